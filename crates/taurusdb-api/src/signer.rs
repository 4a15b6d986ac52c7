//! Huawei Cloud AK/SK request signing ("SDK-HMAC-SHA256").
//!
//! Why this module exists: the TaurusDB API (like every Huawei Cloud API behind the API
//! gateway) accepts either an IAM token or a request signed with an access key / secret key
//! pair. Users of the provider commonly only have AK/SK (`HW_ACCESS_KEY`/`HW_SECRET_KEY`,
//! possibly with `HW_SECURITY_TOKEN`), so the client must sign every request — and sign it
//! again on every retry, because the gateway rejects signatures older than about 15 minutes.
//! The embedded simulator needs the reverse operation, so this module also parses and
//! verifies `Authorization` headers. It is pure computation: no I/O, no clock of its own
//! (callers pass `now`), no dependency on an HTTP client.
//!
//! The algorithm follows Huawei's SDK signers (`core/auth/signer` in huaweicloud-sdk-go-v3 and
//! `huaweicloudsdkcore/signer/signer.py` in huaweicloud-sdk-python-v3) and reproduces their
//! published test vectors:
//!
//! 1. `X-Sdk-Date: YYYYMMDDTHHMMSSZ` (UTC).
//! 2. `CanonicalRequest = METHOD \n URI \n QUERY \n HEADERS \n SIGNEDHEADERS \n hex(sha256(body))`
//!    - URI: the path percent-decoded, split on `/`, every segment percent-encoded (only
//!      `A-Za-z0-9-_.~` kept, upper-case hex), joined with `/`, and a `/` appended when it does
//!      not already end in one. So `%2F` inside a segment becomes a separator, exactly as in
//!      the Python SDK (which `unquote`s the path first) and as a server sees the decoded path.
//!    - QUERY: parsed as `application/x-www-form-urlencoded` (`+` is a space, a key without
//!      `=` has the empty value), pairs sorted by decoded key then decoded value, both encoded
//!      like path segments, written `k=v` and joined with `&` (a bare key becomes `k=`).
//!    - HEADERS: `lowercase-name:trimmed-value\n` per signed header, sorted; SIGNEDHEADERS:
//!      the lowercase names joined with `;`.
//! 3. `StringToSign = "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex(sha256(CanonicalRequest))`.
//! 4. `Signature = hex(HMAC-SHA256(key = SK, StringToSign))`.
//! 5. `Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=...`.
//!
//! Differences from the SDKs, on purpose: the SDKs choose the signed headers themselves (the
//! Go SDK skips `Content-Type`, newer SDKs skip names containing `_`); here the caller says
//! which headers to sign and [`sign`] adds `X-Sdk-Date` and `X-Security-Token`. The SDKs'
//! `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` escape hatch (for non-JSON bodies) is not
//! supported: the body is always hashed, on both sides.
//!
//! The secret key only ever reaches the HMAC; it appears in no `Debug`, `Display` or error
//! output.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use aws_lc_rs::{digest, hmac};

use super::secret::Secret;
use stdx::calendar;

/// The signing algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header carrying the signing time, `YYYYMMDDTHHMMSSZ`.
pub const HEADER_SDK_DATE: &str = "X-Sdk-Date";
/// Header carrying the security token of temporary credentials (signed).
pub const HEADER_SECURITY_TOKEN: &str = "X-Security-Token";
/// Header carrying the signature.
pub const HEADER_AUTHORIZATION: &str = "Authorization";
/// How old (or how far in the future) the gateway lets a signature be, roughly.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// AK/SK credentials. `Debug` shows neither key (both are [`Secret`]s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key: Secret,
    pub secret_key: Secret,
    /// Present for temporary credentials; sent and signed as `X-Security-Token`.
    pub security_token: Option<Secret>,
}

/// What gets signed: the request as it will be sent.
#[derive(Clone, Copy)]
pub struct SignInput<'a> {
    /// `"GET"`, `"POST"`, ... (upper-cased for signing).
    pub method: &'a str,
    /// As sent on the wire, may be percent-encoded.
    pub path: &'a str,
    /// Raw query string without `?`, may be percent-encoded.
    pub query: Option<&'a str>,
    /// The headers to sign (any case), values as sent.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes that will be sent (empty for none).
    pub body: &'a [u8],
}

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

/// `now` as `X-Sdk-Date` wants it: `20060102T150405Z` (UTC, whole seconds; an instant
/// before 1970 rounds towards the past, so 1969-12-31T23:59:59.5 stays in 23:59:59).
pub fn sdk_date(now: SystemTime) -> String {
    format!("{}Z", calendar::date_time(now, "", ""))
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

/// The canonical request (step 2) for `input`, signing exactly `input.headers`.
pub fn canonical_request(input: &SignInput<'_>) -> String {
    let (headers, signed) = canonical_headers(input.headers);
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method.to_ascii_uppercase(),
        canonical_uri(input.path),
        canonical_query(input.query),
        headers,
        signed,
        hex_lower(digest::digest(&digest::SHA256, input.body).as_ref()),
    )
}

/// The canonical URI: decode, split on `/`, encode each segment, ensure a trailing `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode(path, false);
    let mut out = String::with_capacity(decoded.len() + 8);
    for (i, segment) in decoded.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        percent_encode_into(&mut out, segment);
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string; empty for `None` or `""`.
pub fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .unwrap_or("")
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode_into(&mut out, key);
        out.push('=');
        percent_encode_into(&mut out, value);
    }
    out
}

/// `SDK-HMAC-SHA256\n{sdk_date}\n{hex(sha256(canonical_request))}`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    let hash = digest::digest(&digest::SHA256, canonical_request.as_bytes());
    format!("{ALGORITHM}\n{sdk_date}\n{}", hex_lower(hash.as_ref()))
}

/// `hex(HMAC-SHA256(secret_key, string_to_sign))`, lower-case.
pub fn signature(secret_key: &Secret, string_to_sign: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key.expose().as_bytes());
    hex_lower(hmac::sign(&key, string_to_sign.as_bytes()).as_ref())
}

/// The `Authorization` header value for already computed parts.
pub fn authorization_header(access_key: &str, signed_headers: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// Signs `input` at time `now` and returns the headers to ADD to the request, in this order:
/// `X-Sdk-Date`, `X-Security-Token` (when the credentials have one) and `Authorization`.
///
/// Signed are `input.headers` plus `X-Sdk-Date` and `X-Security-Token`; any `X-Sdk-Date`,
/// `X-Security-Token` or `Authorization` already in `input.headers` is ignored (replaced by
/// the values returned here), since they could not be sent alongside the returned ones.
pub fn sign(
    creds: &Credentials,
    input: &SignInput<'_>,
    now: SystemTime,
) -> Vec<(&'static str, String)> {
    let date = sdk_date(now);
    let mut headers: Vec<(&str, &str)> = input
        .headers
        .iter()
        .copied()
        .filter(|(name, _)| {
            ![HEADER_SDK_DATE, HEADER_SECURITY_TOKEN, HEADER_AUTHORIZATION]
                .iter()
                .any(|own| name.trim().eq_ignore_ascii_case(own))
        })
        .collect();
    headers.push((HEADER_SDK_DATE, &date));
    if let Some(token) = &creds.security_token {
        headers.push((HEADER_SECURITY_TOKEN, token.expose()));
    }
    let signed_input = SignInput {
        headers: &headers,
        ..*input
    };
    let (_, signed_headers) = canonical_headers(&headers);
    let sts = string_to_sign(&date, &canonical_request(&signed_input));
    let authorization = authorization_header(
        creds.access_key.expose(),
        &signed_headers,
        &signature(&creds.secret_key, &sts),
    );

    let mut out = Vec::with_capacity(3);
    out.push((HEADER_SDK_DATE, date));
    if let Some(token) = &creds.security_token {
        out.push((HEADER_SECURITY_TOKEN, token.expose().to_owned()));
    }
    out.push((HEADER_AUTHORIZATION, authorization));
    out
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

/// `(canonical headers block, signed headers list)`. Names are lower-cased and trimmed,
/// values trimmed; lines sorted by name then value; a name given twice gives two lines but
/// is listed once. With no headers at all the block is `"\n"`, as in the SDKs.
fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut lines: Vec<(String, &str)> = headers
        .iter()
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim()))
        .collect();
    lines.sort();
    let mut block = String::new();
    let mut signed = String::new();
    for (i, (name, value)) in lines.iter().enumerate() {
        let _ = writeln!(block, "{name}:{value}");
        if i == 0 || lines[i - 1].0 != *name {
            if !signed.is_empty() {
                signed.push(';');
            }
            signed.push_str(name);
        }
    }
    if block.is_empty() {
        block.push('\n');
    }
    (block, signed)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn percent_encode_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Decodes `%XX` (either case); a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match (
                b.get(i + 1).copied().and_then(hex_value),
                b.get(i + 2).copied().and_then(hex_value),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const AK: &str = "AccessKey";
    const SK: &str = "SecretKey";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn creds() -> Credentials {
        Credentials {
            access_key: Secret::new(AK),
            secret_key: Secret::new(SK),
            security_token: None,
        }
    }

    fn header<'a>(out: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        out.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    // 2020-06-08T02:39:00Z, the python SDK test's X-Sdk-Date.
    const PY_TIME: u64 = 1_591_583_940;
    const PY_HOST: &str = "service.endpoint.myhuaweicloud.com";
    // 2006-01-02T15:04:05Z, the go SDK test's X-Sdk-Date.
    const GO_TIME: u64 = 1_136_214_245;

    #[test]
    fn python_sdk_vector_get() {
        let headers = [("Host", PY_HOST)];
        let input = SignInput {
            method: "GET",
            path: "/resources",
            query: Some("size=1"),
            headers: &headers,
            body: b"",
        };
        let out = sign(&creds(), &input, at(PY_TIME));
        assert_eq!(header(&out, "X-Sdk-Date"), Some("20200608T023900Z"));
        assert_eq!(
            header(&out, "Authorization"),
            Some(
                "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, \
                 Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
            )
        );
        assert_eq!(out.len(), 2, "no security token without one");

        // The same through the individual steps, showing the canonical request.
        let with_date = [("Host", PY_HOST), ("X-Sdk-Date", "20200608T023900Z")];
        let cr = canonical_request(&SignInput {
            headers: &with_date,
            ..input
        });
        assert_eq!(
            cr,
            "GET\n/resources/\nsize=1\n\
             host:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n\n\
             host;x-sdk-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sts = string_to_sign("20200608T023900Z", &cr);
        assert!(sts.starts_with("SDK-HMAC-SHA256\n20200608T023900Z\n"));
        assert_eq!(
            signature(&Secret::new(SK), &sts),
            "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
        );
    }

    #[test]
    fn python_sdk_vector_post() {
        let headers = [("Host", PY_HOST)];
        let input = SignInput {
            method: "POST",
            path: "/resources",
            query: Some("size=1"),
            headers: &headers,
            body: br#"{"name":"test","id":1}"#,
        };
        let out = sign(&creds(), &input, at(PY_TIME));
        assert_eq!(
            header(&out, "Authorization"),
            Some(
                "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, \
                 Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"
            )
        );
    }

    #[test]
    fn go_sdk_vector_get() {
        // The go test targets https://example.huaweicloud.com but signs no host header.
        let input = SignInput {
            method: "GET",
            path: "/path",
            query: Some("limit=1"),
            headers: &[],
            body: b"",
        };
        let out = sign(&creds(), &input, at(GO_TIME));
        assert_eq!(header(&out, "X-Sdk-Date"), Some("20060102T150405Z"));
        assert_eq!(
            header(&out, "Authorization"),
            Some(
                "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, \
                 Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
            )
        );
    }

    #[test]
    fn go_sdk_vector_post() {
        // Go's json.Encoder writes the body with a trailing newline; the test sends
        // Content-Type: application/json but the go SDK leaves content-type unsigned.
        let input = SignInput {
            method: "POST",
            path: "/path",
            query: Some("key=value"),
            headers: &[],
            body: b"{\"Name\":\"test\",\"Id\":1}\n",
        };
        let out = sign(&creds(), &input, at(GO_TIME));
        assert_eq!(
            header(&out, "Authorization"),
            Some(
                "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, \
                 Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
            )
        );
    }

    #[test]
    fn canonical_query_matches_the_sdk_test() {
        // Both SDKs' canonical-query unit test, given here as the encoded wire form.
        let raw = "limit=1&enable=true&test=%E4%B8%80+%28%26%3D%3F%21%23%25.*%29\
                   &path=/tmp/123&multi=3&multi=1&multi=2";
        assert_eq!(
            canonical_query(Some(raw)),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123\
             &test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn canonical_query_edge_cases() {
        assert_eq!(canonical_query(None), "");
        assert_eq!(canonical_query(Some("")), "");
        assert_eq!(canonical_query(Some("b&a=&&c=1")), "a=&b=&c=1");
        assert_eq!(canonical_query(Some("a=%7e%2b+")), "a=~%2B%20");
        // Sorted by decoded bytes: '.' (0x2E) before '/' (0x2F) although "%2F" < ".".
        assert_eq!(canonical_query(Some("k=%2F&k=.")), "k=.&k=%2F");
        assert_eq!(canonical_query(Some("x=%zz")), "x=%25zz");
    }

    #[test]
    fn canonical_uri_decodes_then_reencodes() {
        assert_eq!(canonical_uri("/v3/a%2Fb/x"), "/v3/a/b/x/");
        assert_eq!(canonical_uri("/v3/a%2fb/x"), "/v3/a/b/x/");
        assert_eq!(canonical_uri("/v3/a/b/x/"), "/v3/a/b/x/");
        assert_eq!(canonical_uri("/v3/a b/x"), "/v3/a%20b/x/");
        assert_eq!(canonical_uri("/v3/a%20b/x"), "/v3/a%20b/x/");
        assert_eq!(canonical_uri("/v3/a+b~c"), "/v3/a%2Bb~c/");
        assert_eq!(canonical_uri("/v3/%E4%B8%80"), "/v3/%E4%B8%80/");
        assert_eq!(canonical_uri("/v3/一"), "/v3/%E4%B8%80/");
        assert_eq!(canonical_uri("/bad%zz%4"), "/bad%25zz%254/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        // Encoding is idempotent on an already canonical path.
        let once = canonical_uri("/v3/p%20q/r%2Fs");
        assert_eq!(canonical_uri(&once), once);
    }

    #[test]
    fn canonical_headers_trim_lowercase_sort() {
        let (block, signed) = canonical_headers(&[
            ("X-Project-Id", " p1 "),
            ("Content-Type", "application/json"),
            (" host", "h"),
        ]);
        assert_eq!(
            block,
            "content-type:application/json\nhost:h\nx-project-id:p1\n"
        );
        assert_eq!(signed, "content-type;host;x-project-id");
        assert_eq!(canonical_headers(&[]), ("\n".to_owned(), String::new()));
        let (block, signed) = canonical_headers(&[("X-A", "2"), ("x-a", "1")]);
        assert_eq!(block, "x-a:1\nx-a:2\n");
        assert_eq!(signed, "x-a");
    }

    #[test]
    fn sdk_date_formats_known_times() {
        assert_eq!(sdk_date(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(sdk_date(at(GO_TIME)), "20060102T150405Z");
        assert_eq!(sdk_date(at(PY_TIME)), "20200608T023900Z");
        assert_eq!(sdk_date(at(1_709_251_199)), "20240229T235959Z");
        assert_eq!(sdk_date(at(4_107_542_400)), "21000301T000000Z");
        assert_eq!(
            sdk_date(at(GO_TIME) + Duration::from_millis(999)),
            "20060102T150405Z"
        );
        let before = |secs: u64| UNIX_EPOCH - Duration::from_secs(secs);
        assert_eq!(sdk_date(before(1)), "19691231T235959Z");
        assert_eq!(sdk_date(before(284_040_000)), "19601231T120000Z");
        assert_eq!(
            sdk_date(UNIX_EPOCH - Duration::from_millis(500)),
            "19691231T235959Z"
        );
    }

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
    fn signed_request() -> (Credentials, Vec<(String, String)>) {
        let creds = Credentials {
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
    fn sign_replaces_caller_supplied_own_headers() {
        let stale = [
            ("Host", PY_HOST),
            ("x-sdk-date", "19990101T000000Z"),
            ("Authorization", "old"),
        ];
        let input = SignInput {
            method: "GET",
            path: "/resources",
            query: Some("size=1"),
            headers: &stale,
            body: b"",
        };
        let out = sign(&creds(), &input, at(PY_TIME));
        assert!(header(&out, "Authorization").is_some_and(|a| {
            a.ends_with("cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842")
        }));
    }

    #[test]
    fn secrets_never_printed() {
        let (creds, headers) = signed_request();
        let debug = format!("{creds:?}");
        assert!(!debug.contains("s3cr3t-sk-value"), "{debug}");
        assert!(!debug.contains("tok-123"), "{debug}");
        let err = run_verify(&Secret::new("s3cr3t-other"), &headers, &PAUSE).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
