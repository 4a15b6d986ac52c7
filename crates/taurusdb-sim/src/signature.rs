//! Verifying Huawei Cloud AK/SK signatures ("SDK-HMAC-SHA256") as the API gateway does:
//! the simulator's side of `taurusdb_api::signer`. Only the simulator checks signatures,
//! so the parsing of `Authorization` and `X-Sdk-Date` and the constant-time comparison
//! live here; the canonical request and the string to sign are the client's own
//! functions, so both sides compute them the same way by construction.

use std::time::{Duration, SystemTime};

use aws_lc_rs::hmac;
use stdx::calendar;
use taurusdb_api::Secret;
use taurusdb_api::signer::{
    ALGORITHM, HEADER_SDK_DATE, SignInput, canonical_request, string_to_sign,
};

/// How old (or how far in the future) the gateway lets a signature be, roughly.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The parts of an `Authorization` header, for a server that verifies signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub access_key: String,
    /// Lower-cased, in the order the header lists them.
    pub signed_headers: Vec<String>,
    /// Lower-case hex, 64 digits.
    pub signature: String,
}

/// Why [`verify`] rejected a request. Never contains the secret key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(&'static str),
    #[error("signed header {0:?} is missing from the request")]
    MissingSignedHeader(String),
    #[error("the request has no X-Sdk-Date header")]
    MissingDate,
    #[error("X-Sdk-Date {0:?} is not a valid YYYYMMDDTHHMMSSZ time")]
    InvalidDate(String),
    #[error("X-Sdk-Date is {skew_secs} s away from the server clock (limit {limit_secs} s)")]
    DateOutOfRange { skew_secs: u64, limit_secs: u64 },
    #[error("signature does not match the request")]
    SignatureMismatch,
}

/// Parses an `X-Sdk-Date` value; `None` unless it is exactly `YYYYMMDDTHHMMSSZ` and a real
/// calendar time.
pub fn parse_sdk_date(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u16> {
        b.get(range)?.iter().try_fold(0u16, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
        })
    };
    let two = |range| u8::try_from(num(range)?).ok();
    let date = (i32::from(num(0..4)?), two(4..6)?, two(6..8)?);
    calendar::from_utc(date, (two(9..11)?, two(11..13)?, two(13..15)?))
}

/// Checks that a (well-formed) `X-Sdk-Date` is within `max_skew` of `now`, as the gateway does.
pub fn check_date_skew(
    sdk_date: &str,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), VerifyError> {
    let signed_at =
        parse_sdk_date(sdk_date).ok_or_else(|| VerifyError::InvalidDate(sdk_date.to_owned()))?;
    let skew = match now.duration_since(signed_at) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > max_skew {
        return Err(VerifyError::DateOutOfRange {
            skew_secs: skew.as_secs(),
            limit_secs: max_skew.as_secs(),
        });
    }
    Ok(())
}

/// Parses `SDK-HMAC-SHA256 Access=..., SignedHeaders=a;b, Signature=<64 hex>`; `None` when
/// the value is not exactly that (any order of the three parts, spaces around them allowed).
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    parse_authorization_detailed(value).ok()
}

/// Server-side check: recomputes the signature from the request and compares it in constant
/// time. `headers` must hold every header named in `SignedHeaders` (looked up ignoring case)
/// and `X-Sdk-Date`. Does not check how old the date is: see [`check_date_skew`].
pub fn verify(
    authorization: &str,
    secret_key: &Secret,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<ParsedAuthorization, VerifyError> {
    let parsed =
        parse_authorization_detailed(authorization).map_err(VerifyError::MalformedAuthorization)?;

    let date = headers
        .iter()
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(HEADER_SDK_DATE))
        .map(|(_, value)| value.trim())
        .ok_or(VerifyError::MissingDate)?;
    if parse_sdk_date(date).is_none() {
        return Err(VerifyError::InvalidDate(date.to_owned()));
    }

    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(parsed.signed_headers.len());
    for name in &parsed.signed_headers {
        let before = signed.len();
        signed.extend(
            headers
                .iter()
                .filter(|(candidate, _)| candidate.trim().eq_ignore_ascii_case(name))
                .copied(),
        );
        if signed.len() == before {
            return Err(VerifyError::MissingSignedHeader(name.clone()));
        }
    }

    let input = SignInput {
        method,
        path,
        query,
        headers: &signed,
        body,
    };
    let sts = string_to_sign(date, &canonical_request(&input));
    let claimed =
        hex_decode(&parsed.signature).ok_or(VerifyError::MalformedAuthorization("bad hex"))?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key.expose().as_bytes());
    hmac::verify(&key, sts.as_bytes(), &claimed).map_err(|_| VerifyError::SignatureMismatch)?;
    Ok(parsed)
}

fn parse_authorization_detailed(value: &str) -> Result<ParsedAuthorization, &'static str> {
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .ok_or("does not start with SDK-HMAC-SHA256")?;
    if !rest.starts_with([' ', '\t']) {
        return Err("does not start with SDK-HMAC-SHA256");
    }
    let (mut access, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (name, val) = part
            .trim()
            .split_once('=')
            .ok_or("a part is not name=value")?;
        let slot = match name.trim() {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            _ => return Err("unknown part (expected Access, SignedHeaders, Signature)"),
        };
        if slot.replace(val.trim()).is_some() {
            return Err("a part appears twice");
        }
    }
    let access = access.ok_or("no Access")?;
    let signed = signed.ok_or("no SignedHeaders")?;
    let sig = sig.ok_or("no Signature")?;

    if access.is_empty() || !access.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("Access is empty or has invalid characters");
    }
    let mut signed_headers = Vec::new();
    for name in signed.split(';') {
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err("SignedHeaders has an empty or invalid name");
        }
        let name = name.to_ascii_lowercase();
        if signed_headers.contains(&name) {
            return Err("SignedHeaders names a header twice");
        }
        signed_headers.push(name);
    }
    if sig.len() != 64 || !sig.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("Signature is not 64 hex digits");
    }
    Ok(ParsedAuthorization {
        access_key: access.to_owned(),
        signed_headers,
        signature: sig.to_ascii_lowercase(),
    })
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?))
        .collect()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    use taurusdb_api::signer::{AkSk, sdk_date, sign};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    // 2020-06-08T02:39:00Z, the python SDK test's X-Sdk-Date.
    const PY_TIME: u64 = 1_591_583_940;
    // 2006-01-02T15:04:05Z, the go SDK test's X-Sdk-Date.
    const GO_TIME: u64 = 1_136_214_245;

    #[test]
    fn parse_sdk_date_round_trips_and_rejects_garbage() {
        for secs in [0, GO_TIME, PY_TIME, 1_709_251_199, 4_107_542_400] {
            assert_eq!(parse_sdk_date(&sdk_date(at(secs))), Some(at(secs)));
        }
        assert_eq!(
            parse_sdk_date("19601231T120000Z"),
            Some(UNIX_EPOCH - Duration::from_secs(284_040_000))
        );
        for bad in [
            "",
            "20060102T150405",
            "20060102 150405Z",
            "20060102T150405z",
            "2006010xT150405Z",
            "20061302T150405Z",
            "20230229T000000Z",
            "20060100T000000Z",
            "20060102T240000Z",
            "20060102T156000Z",
            "20060102T150460Z",
            "+0060102T150405Z",
            "20060102T150405Zx",
            "２0060102T150405Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad:?}");
        }
        assert!(parse_sdk_date("20240229T000000Z").is_some());
    }

    #[test]
    fn date_skew_check() {
        let now = at(PY_TIME);
        assert_eq!(
            check_date_skew("20200608T023900Z", now, MAX_CLOCK_SKEW),
            Ok(())
        );
        assert_eq!(
            check_date_skew("20200608T025400Z", now, MAX_CLOCK_SKEW),
            Ok(())
        );
        assert_eq!(
            check_date_skew("20200608T022300Z", now, MAX_CLOCK_SKEW),
            Err(VerifyError::DateOutOfRange {
                skew_secs: 960,
                limit_secs: 900
            })
        );
        assert!(matches!(
            check_date_skew("yesterday", now, MAX_CLOCK_SKEW),
            Err(VerifyError::InvalidDate(_))
        ));
    }

    /// Signs like the real client will: host, content type, project id, temporary token.
    fn signed_request() -> (AkSk, Vec<(String, String)>) {
        let creds = AkSk {
            access_key: Secret::new("AKIDEXAMPLE"),
            secret_key: Secret::new("s3cr3t-sk-value"),
            security_token: Some(Secret::new("tok-123")),
        };
        let headers = [
            ("Host", "gaussdb.ap-southeast-1.myhuaweicloud.com"),
            ("Content-Type", "application/json"),
            ("X-Project-Id", "0123456789abcdef"),
        ];
        let input = SignInput {
            method: "POST",
            path: "/v3/0123456789abcdef/instances/abc/starrocks/databases/replication/pause",
            query: Some("x=1&y=a%20b"),
            headers: &headers,
            body: br#"{"task_name":"task_1"}"#,
        };
        let added = sign(&creds, &input, at(PY_TIME));
        let all = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .chain(added.into_iter().map(|(n, v)| (n.to_owned(), v)))
            .collect();
        (creds, all)
    }

    struct Request<'a> {
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        body: &'a [u8],
    }

    const PAUSE: Request<'static> = Request {
        method: "POST",
        path: "/v3/0123456789abcdef/instances/abc/starrocks/databases/replication/pause",
        query: Some("y=a+b&x=1"),
        body: br#"{"task_name":"task_1"}"#,
    };

    fn run_verify(
        secret: &Secret,
        headers: &[(String, String)],
        req: &Request<'_>,
    ) -> Result<ParsedAuthorization, VerifyError> {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let auth = pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| *v)
            .unwrap_or("");
        verify(
            auth, secret, req.method, req.path, req.query, &pairs, req.body,
        )
    }

    #[test]
    fn sign_then_verify_round_trip() {
        let (creds, headers) = signed_request();
        assert!(headers.contains(&("X-Security-Token".to_owned(), "tok-123".to_owned())));
        // Header names arrive lower-cased from an HTTP server; the query re-encoded.
        let lowered: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        let parsed = run_verify(&creds.secret_key, &lowered, &PAUSE).expect("verifies");
        assert_eq!(parsed.access_key, "AKIDEXAMPLE");
        assert_eq!(
            parsed.signed_headers,
            [
                "content-type",
                "host",
                "x-project-id",
                "x-sdk-date",
                "x-security-token"
            ]
        );
        // Method case does not matter; extra unsigned headers do not matter.
        let mut extra = lowered.clone();
        extra.push(("user-agent".to_owned(), "curl".to_owned()));
        let req = Request {
            method: "post",
            ..PAUSE
        };
        assert!(run_verify(&creds.secret_key, &extra, &req).is_ok());
    }

    #[test]
    fn verify_rejects_tampering() {
        let (creds, headers) = signed_request();
        let sk = &creds.secret_key;
        let body = Request {
            body: br#"{"task_name":"task_2"}"#,
            ..PAUSE
        };
        assert_eq!(
            run_verify(sk, &headers, &body),
            Err(VerifyError::SignatureMismatch)
        );
        let path = Request {
            path: "/v3/0123456789abcdef/instances/abc/starrocks/databases/replication/resume",
            ..PAUSE
        };
        assert_eq!(
            run_verify(sk, &headers, &path),
            Err(VerifyError::SignatureMismatch)
        );
        let query = Request {
            query: Some("x=2&y=a+b"),
            ..PAUSE
        };
        assert_eq!(
            run_verify(sk, &headers, &query),
            Err(VerifyError::SignatureMismatch)
        );
        let method = Request {
            method: "DELETE",
            ..PAUSE
        };
        assert_eq!(
            run_verify(sk, &headers, &method),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            run_verify(&Secret::new("wrong"), &headers, &PAUSE),
            Err(VerifyError::SignatureMismatch)
        );

        let replace = |name: &str, value: &str| -> Vec<(String, String)> {
            headers
                .iter()
                .map(|(n, v)| {
                    let v = if n == name { value } else { v.as_str() };
                    (n.clone(), v.to_owned())
                })
                .collect()
        };
        assert_eq!(
            run_verify(sk, &replace("X-Project-Id", "other"), &PAUSE),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            run_verify(sk, &replace("X-Sdk-Date", "20200608T023901Z"), &PAUSE),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            run_verify(sk, &replace("X-Sdk-Date", "soon"), &PAUSE),
            Err(VerifyError::InvalidDate("soon".to_owned()))
        );
        let without = |name: &str| -> Vec<(String, String)> {
            headers.iter().filter(|(n, _)| n != name).cloned().collect()
        };
        assert_eq!(
            run_verify(sk, &without("X-Project-Id"), &PAUSE),
            Err(VerifyError::MissingSignedHeader("x-project-id".to_owned()))
        );
        assert_eq!(
            run_verify(sk, &without("X-Sdk-Date"), &PAUSE),
            Err(VerifyError::MissingDate)
        );
    }

    #[test]
    fn verify_rejects_malformed_authorization() {
        let (creds, headers) = signed_request();
        let sig = "a".repeat(64);
        let good_rest = format!("Access=AK, SignedHeaders=x-sdk-date, Signature={sig}");
        for bad in [
            String::new(),
            "garbage".to_owned(),
            format!("SDK-HMAC-SHA1 {good_rest}"),
            format!("SDK-HMAC-SHA256{good_rest}"),
            format!("V11-HMAC-SHA256 {good_rest}"),
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date".to_owned(),
            format!("SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature={sig}"),
            format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=, Signature={sig}"),
            format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;;b, Signature={sig}"),
            format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;A, Signature={sig}"),
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=abc".to_owned(),
            format!(
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature={}",
                "g".repeat(64)
            ),
            format!("SDK-HMAC-SHA256 {good_rest}, Access=AK"),
            format!("SDK-HMAC-SHA256 {good_rest}, Extra=1"),
            format!("SDK-HMAC-SHA256 {good_rest}, "),
        ] {
            assert_eq!(parse_authorization(&bad), None, "{bad:?}");
            let mut with = headers.clone();
            with.retain(|(n, _)| n != "Authorization");
            with.push(("Authorization".to_owned(), bad.clone()));
            assert!(
                matches!(
                    run_verify(&creds.secret_key, &with, &PAUSE),
                    Err(VerifyError::MalformedAuthorization(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn parse_authorization_accepts_sdk_output_and_spacing() {
        let upper = "ABCDEF0123456789".repeat(4);
        let parsed = parse_authorization(&format!(
            "  SDK-HMAC-SHA256   Signature={upper} ,SignedHeaders=Host;X-Sdk-Date,Access=AK  "
        ))
        .expect("parses");
        assert_eq!(parsed.access_key, "AK");
        assert_eq!(parsed.signed_headers, ["host", "x-sdk-date"]);
        assert_eq!(parsed.signature, upper.to_ascii_lowercase());
    }

    #[test]
    fn verify_errors_never_print_the_secret() {
        let (_, headers) = signed_request();
        let err = run_verify(&Secret::new("s3cr3t-other"), &headers, &PAUSE).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
