//! Turning raw request inputs (query strings, JSON bodies) into validated values.
//!
//! Request data is untrusted: every malformed input must become a `DBS.200001` answer, never a
//! panic. Parsing is done by hand (the provider's axum build has no `query` feature) and kept
//! here so the rules match the API document in one place.

use super::errors::ApiError;

/// Largest accepted `limit`, and its default.
pub(crate) const MAX_LIMIT: usize = 100;

/// Decoded `key=value` pairs of a query string, in order (`+` is a space, `%XX` is decoded).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The first value of `key` in the query, if present.
pub(crate) fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    query_pairs(query)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    /// Items per page, 1 to 100.
    pub limit: usize,
    /// Items to skip.
    pub offset: usize,
}

/// Reads `limit` (default 100, 1..=100) and `offset` (default 0, non-negative).
pub(crate) fn paging(query: Option<&str>) -> Result<Paging, ApiError> {
    let limit = match query_value(query, "limit") {
        None => MAX_LIMIT,
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(format!(
                    "Invalid limit {raw:?}: it must be an integer from 1 to {MAX_LIMIT}."
                )));
            }
        },
    };
    let offset = match query_value(query, "offset") {
        None => 0,
        Some(raw) => raw.trim().parse::<usize>().map_err(|_| {
            ApiError::invalid(format!(
                "Invalid offset {raw:?}: it must be a non-negative integer."
            ))
        })?,
    };
    Ok(Paging { limit, offset })
}

/// Extracts and validates `task_name` from a pause/resume body.
pub(crate) fn task_name_from_body(body: &[u8]) -> Result<String, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("The request body is not valid JSON: {e}")))?;
    let name = value
        .as_object()
        .ok_or_else(|| ApiError::invalid("The request body must be a JSON object."))?
        .get("task_name")
        .ok_or_else(|| ApiError::invalid("Parameter task_name is mandatory."))?
        .as_str()
        .ok_or_else(|| ApiError::invalid("Parameter task_name must be a string."))?;
    validate_task_name(name)?;
    Ok(name.to_owned())
}

/// 3 to 128 characters, only `A-Z a-z 0-9 _`.
pub(crate) fn validate_task_name(name: &str) -> Result<(), ApiError> {
    let valid_chars = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid_chars && (3..=128).contains(&name.len()) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "Invalid task_name: it must be 3 to 128 characters long and contain only letters, \
             digits and underscores (_).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_and_keep_order() {
        let pairs = query_pairs(Some("id=a%2Db&x=1+2&flag&bad=%zz&limit=5"));
        assert_eq!(
            pairs,
            vec![
                ("id".to_owned(), "a-b".to_owned()),
                ("x".to_owned(), "1 2".to_owned()),
                ("flag".to_owned(), String::new()),
                ("bad".to_owned(), "%zz".to_owned()),
                ("limit".to_owned(), "5".to_owned()),
            ]
        );
        assert_eq!(query_value(Some("a=1&a=2"), "a").as_deref(), Some("1"));
        assert_eq!(query_value(None, "a"), None);
        // Truncated escapes and non-UTF-8 never panic.
        assert_eq!(query_value(Some("a=%"), "a").as_deref(), Some("%"));
        assert_eq!(query_value(Some("a=%F"), "a").as_deref(), Some("%F"));
        assert_eq!(query_value(Some("a=%FF"), "a").as_deref(), Some("\u{FFFD}"));
    }

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(
            paging(None),
            Ok(Paging {
                limit: 100,
                offset: 0
            })
        );
        assert_eq!(
            paging(Some("limit=1&offset=1")),
            Ok(Paging {
                limit: 1,
                offset: 1
            })
        );
        for bad in [
            "limit=0",
            "limit=101",
            "limit=abc",
            "limit=",
            "offset=-1",
            "offset=x",
        ] {
            let err = paging(Some(bad)).expect_err(bad);
            assert_eq!(err.code(), "DBS.200001", "{bad}");
        }
    }

    #[test]
    fn task_name_rules() {
        assert_eq!(
            task_name_from_body(br#"{"task_name":"orders_sync"}"#).as_deref(),
            Ok("orders_sync")
        );
        let long = "a".repeat(128);
        assert!(validate_task_name(&long).is_ok());
        assert!(validate_task_name("abc").is_ok());
        for bad in ["ab", "bad-name", "with space", "ünï", ""] {
            assert!(validate_task_name(bad).is_err(), "{bad}");
        }
        assert!(validate_task_name(&"a".repeat(129)).is_err());
        for body in [
            &b"not json"[..],
            b"",
            b"[]",
            b"{}",
            br#"{"task_name": 5}"#,
            br#"{"task_name": null}"#,
        ] {
            let err = task_name_from_body(body).expect_err("invalid body");
            assert_eq!(err.code(), "DBS.200001");
        }
    }
}
