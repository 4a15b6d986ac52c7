//! Timestamps in the formats the job API (`2024-09-11T10:21:37+0000`) and IAM
//! (`2024-09-11T10:21:37.000000Z`, RFC 3339) use.
//!
//! The crate has no date library, and the simulator only needs UTC instants, so the civil-date
//! conversion lives here, small and tested.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as `YYYY-MM-DDTHH:MM:SS+0000` (UTC).
pub(crate) fn now_timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format_unix(secs)
}

/// `at` as `YYYY-MM-DDTHH:MM:SS+0000` (UTC).
pub(crate) fn format_time(at: SystemTime) -> String {
    format_unix(
        at.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    )
}

/// `at` as IAM writes `expires_at`: RFC 3339 in UTC with microseconds,
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub(crate) fn format_rfc3339(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let base = format_unix(since.as_secs());
    let civil = base.strip_suffix("+0000").unwrap_or(&base);
    format!("{civil}.{:06}Z", since.subsec_micros())
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS+0000`.
pub(crate) fn format_unix(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+0000",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Converts days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both values are small and positive by construction.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00+0000");
        assert_eq!(format_unix(1_000_000_000), "2001-09-09T01:46:40+0000");
        assert_eq!(format_unix(1_709_164_800), "2024-02-29T00:00:00+0000");
        assert_eq!(format_unix(1_735_689_599), "2024-12-31T23:59:59+0000");
    }

    #[test]
    fn rfc3339_for_iam() {
        let at = UNIX_EPOCH + std::time::Duration::from_micros(1_000_000_000_123_456);
        assert_eq!(format_rfc3339(at), "2001-09-09T01:46:40.123456Z");
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn now_has_the_job_api_shape() {
        let now = now_timestamp();
        assert_eq!(now.len(), "2024-09-11T10:21:37+0000".len(), "{now}");
        assert!(now.ends_with("+0000"));
    }
}
