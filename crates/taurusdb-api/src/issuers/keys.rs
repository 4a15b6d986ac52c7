//! The two shapes in which Huawei Cloud hands out temporary credentials, read into one
//! [`IssuedKeys`]: IAM and the ECS metadata service answer
//! `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`, STS v5 answers
//! `{"credentials": {"access_key_id", "secret_access_key", "security_token",
//! "expiration"}}`. All four fields are required; the time is RFC 3339. A malformed
//! answer is an error that names the missing field, never a value.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::secret::Secret;
use crate::signer;
use crate::temporary::IssuedKeys;

#[derive(Deserialize)]
struct IamShape {
    credential: Option<IamKeys>,
}

#[derive(Deserialize)]
struct IamKeys {
    access: Option<String>,
    secret: Option<String>,
    securitytoken: Option<String>,
    expires_at: Option<String>,
}

#[derive(Deserialize)]
struct StsShape {
    credentials: Option<StsKeys>,
}

#[derive(Deserialize)]
struct StsKeys {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    security_token: Option<String>,
    expiration: Option<String>,
}

/// Reads IAM's (and the metadata service's) shape.
pub fn from_iam(body: &[u8]) -> Result<IssuedKeys, String> {
    let shape: IamShape = serde_json::from_slice(body).map_err(|_| "not JSON".to_string())?;
    let c = shape.credential.ok_or("no `credential` object")?;
    assemble(
        [
            ("credential.access", c.access),
            ("credential.secret", c.secret),
            ("credential.securitytoken", c.securitytoken),
        ],
        ("credential.expires_at", c.expires_at),
    )
}

/// Reads STS v5's shape.
pub fn from_sts(body: &[u8]) -> Result<IssuedKeys, String> {
    let shape: StsShape = serde_json::from_slice(body).map_err(|_| "not JSON".to_string())?;
    let c = shape.credentials.ok_or("no `credentials` object")?;
    assemble(
        [
            ("credentials.access_key_id", c.access_key_id),
            ("credentials.secret_access_key", c.secret_access_key),
            ("credentials.security_token", c.security_token),
        ],
        ("credentials.expiration", c.expiration),
    )
}

fn assemble(
    keys: [(&str, Option<String>); 3],
    expiry: (&str, Option<String>),
) -> Result<IssuedKeys, String> {
    let [access, secret, token] = keys.map(|(name, value)| {
        value
            .filter(|v| !v.trim().is_empty())
            .map(Secret::new)
            .ok_or(name)
    });
    let (expiry_name, expiry) = expiry;
    let expires_at = expiry
        .as_deref()
        .and_then(parse_rfc3339)
        .ok_or_else(|| format!("no RFC 3339 time in `{expiry_name}`"))?;
    let missing = |name: &str| format!("no `{name}`");
    Ok(IssuedKeys {
        keys: signer::AkSk {
            access_key: access.map_err(missing)?,
            secret_key: secret.map_err(missing)?,
            security_token: Some(token.map_err(missing)?),
        },
        expires_at,
    })
}

/// `2026-12-06T22:10:00Z`, `2026-12-06T22:10:00.123456Z`, `2026-12-06T22:10:00+08:00`.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !text.is_ascii() {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let sep = |i: usize, allowed: &[u8]| allowed.contains(&bytes[i]);
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos: u32 = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &fraction[..digits.min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_secs: i64 = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let hours = num_of(&rest[1..3])?;
            let minutes = num_of(&rest[4..6])?;
            if &rest[3..4] != ":" || hours > 23 || minutes > 59 {
                return None;
            }
            let secs = hours * 3600 + minutes * 60;
            if rest.starts_with('-') { -secs } else { secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

fn num_of(part: &str) -> Option<i64> {
    part.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| part.parse().ok())?
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(text: &str) -> Option<u64> {
        parse_rfc3339(text).map(|t| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .expect("after epoch")
                .as_secs()
        })
    }

    #[test]
    fn rfc3339_times_in_every_form_the_services_use() {
        assert_eq!(unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix("2026-12-06T22:10:00Z"), Some(1_796_595_000));
        assert_eq!(unix("2026-12-06T22:10:00.123456Z"), Some(1_796_595_000));
        assert_eq!(unix("2026-12-07T06:10:00+08:00"), Some(1_796_595_000));
        assert_eq!(unix("2026-12-06T20:10:00-02:00"), Some(1_796_595_000));
        assert_eq!(unix("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        for bad in [
            "",
            "2026-12-06",
            "2026-12-06T22:10:00",
            "2026-13-06T22:10:00Z",
            "2026-12-06T22:10:00.Z",
            "2026-12-06T22:10:00+0800",
            "２026-12-06T22:10:00Z",
            "2026-12-06T22:10:00Zjunk",
        ] {
            assert_eq!(unix(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn both_shapes_are_read_and_every_field_is_required() {
        let iam = br#"{"credential":{"access":"AK","secret":"SK","securitytoken":"ST","expires_at":"2026-12-06T22:10:00.000000Z"}}"#;
        let keys = from_iam(iam).expect("iam");
        assert_eq!(keys.keys.access_key.expose(), "AK");
        assert_eq!(
            keys.keys.security_token.as_ref().map(Secret::expose),
            Some("ST")
        );
        let sts = br#"{"credentials":{"access_key_id":"AK","secret_access_key":"SK","security_token":"ST","expiration":"2026-12-06T22:10:00Z"}}"#;
        assert_eq!(from_sts(sts).expect("sts"), keys);
        let without_token =
            br#"{"credential":{"access":"AK","secret":"SECRETVALUE","expires_at":"2026-12-06T22:10:00Z"}}"#;
        let err = from_iam(without_token).expect_err("no token");
        assert!(err.contains("credential.securitytoken"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");
        let bad_time = br#"{"credentials":{"access_key_id":"AK","secret_access_key":"SK","security_token":"ST","expiration":"tomorrow"}}"#;
        assert!(from_sts(bad_time).expect_err("time").contains("expiration"));
        assert!(from_iam(b"<html>").is_err());
        assert!(from_sts(iam).is_err(), "the shapes are not interchangeable");
    }
}
