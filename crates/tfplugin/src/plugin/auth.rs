//! The bearer token of `serve --auth-token-file`: checked on every call as
//! `authorization: Bearer <token>`, in constant time. The token never prints.

use std::path::Path;

use aws_lc_rs::digest;

use crate::plugin::files::{self, FileError};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("--auth-token-file: {0}")]
    File(#[from] FileError),
    #[error("--auth-token-file: {0} holds no token (it is empty or only whitespace)")]
    Empty(String),
    #[error("--auth-token-file: {0} must hold one line of printable ASCII without spaces")]
    Malformed(String),
}

/// The expected token, kept only as its SHA-256 digest: comparing digests in
/// constant time reveals neither the token's bytes nor its length.
#[derive(Clone)]
pub struct BearerToken {
    digest: digest::Digest,
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(***)")
    }
}

impl BearerToken {
    /// The token in `path` (surrounding whitespace, such as the final newline, is
    /// ignored).
    pub fn from_file(path: &Path) -> Result<Self, TokenError> {
        let contents = files::read_regular_file(path)?;
        let shown = path.display().to_string();
        let text =
            std::str::from_utf8(&contents).map_err(|_| TokenError::Malformed(shown.clone()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(TokenError::Empty(shown));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::Malformed(shown));
        }
        Ok(Self::new(token))
    }

    pub fn new(token: &str) -> Self {
        Self {
            digest: digest::digest(&digest::SHA256, token.as_bytes()),
        }
    }

    /// Whether an `authorization` header value carries this token.
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some((scheme, presented)) = split_scheme(value) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return false;
        }
        let presented = digest::digest(&digest::SHA256, presented);
        aws_lc_rs::constant_time::verify_slices_are_equal(presented.as_ref(), self.digest.as_ref())
            .is_ok()
    }
}

/// `Bearer abc` -> (`Bearer`, `abc`), with any run of spaces between.
fn split_scheme(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    let start = rest.iter().position(|b| *b != b' ')?;
    Some((scheme, &rest[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bearer_token_passes() {
        let token = BearerToken::new("s3cr3t-token");
        assert!(token.accepts(Some(b"Bearer s3cr3t-token")));
        assert!(token.accepts(Some(b"bearer  s3cr3t-token")));
        assert!(!token.accepts(None));
        assert!(!token.accepts(Some(b"Bearer s3cr3t-tokeN")));
        assert!(!token.accepts(Some(b"Bearer s3cr3t-token ")));
        assert!(!token.accepts(Some(b"Basic s3cr3t-token")));
        assert!(!token.accepts(Some(b"s3cr3t-token")));
        assert!(!token.accepts(Some(b"Bearer ")));
        assert!(!format!("{token:?}").contains("s3cr3t"));
    }

    #[test]
    fn the_file_is_trimmed_and_must_hold_a_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").expect("write");
        let token = BearerToken::from_file(&path).expect("token");
        assert!(token.accepts(Some(b"Bearer abc123")));
        std::fs::write(&path, " \n").expect("write");
        assert!(matches!(
            BearerToken::from_file(&path),
            Err(TokenError::Empty(_))
        ));
        std::fs::write(&path, "two words\n").expect("write");
        assert!(matches!(
            BearerToken::from_file(&path),
            Err(TokenError::Malformed(_))
        ));
    }
}
