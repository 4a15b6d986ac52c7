//! Reading an answer without trusting it: a body is read up to a limit (a larger one is
//! an error, never buffered whole), and a redirect becomes an error naming its target
//! (redirects are never followed: credentials go only to the hosts the user configured).

use bytes::{Bytes, BytesMut};

use crate::endpoint;

/// The largest response body read; the API's answers are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The connection failed while reading.
    Transport(reqwest::Error),
    /// The body is larger than the limit.
    TooLarge,
}

/// Reads a response body of at most `limit` bytes.
pub async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, BodyError> {
    if response
        .content_length()
        .is_some_and(|announced| announced > limit as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Where a redirect points, resolved against the request's URL and shown without user
/// name, password or query; None without a usable `Location`.
pub fn redirect_target(request_url: &str, location: Option<&str>) -> Option<String> {
    let base = reqwest::Url::parse(request_url).ok()?;
    let target = base.join(location?.trim()).ok()?;
    Some(endpoint::display_url(&target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_targets_are_absolute_and_hide_secrets() {
        let request =
            "http://127.0.0.1:8080/v3/p/instances/i/starrocks/databases/replication/pause";
        assert_eq!(
            redirect_target(request, Some("https://u:p@evil.example:444/x?token=t#f")).as_deref(),
            Some("https://evil.example:444/x")
        );
        assert_eq!(
            redirect_target(request, Some("/moved?session=s")).as_deref(),
            Some("http://127.0.0.1:8080/moved")
        );
        assert_eq!(redirect_target(request, None), None);
        assert_eq!(redirect_target(request, Some("http://[::1")), None);
    }
}
