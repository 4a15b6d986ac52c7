//! UTC calendar dates of `SystemTime`s, through the `time` crate: the one calendar
//! routine behind the log timestamps (tfplugin's `logging`), `X-Sdk-Date` (taurusdb-api's
//! `signer`) and the simulator's job and token times.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// `at` in UTC. Instants beyond the years ±9999 are clamped to them.
pub fn utc(at: SystemTime) -> OffsetDateTime {
    let signed =
        |d: std::time::Duration| time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
    let since_epoch = match at.duration_since(UNIX_EPOCH) {
        Ok(after) => signed(after),
        Err(before) => -signed(before.duration()),
    };
    OffsetDateTime::UNIX_EPOCH.saturating_add(since_epoch)
}

/// The instant of a UTC calendar date and time of day; None unless each field is in
/// range (a day the month has, hours 0-23, minutes and seconds 0-59).
pub fn from_utc(date: (i32, u8, u8), (hour, minute, second): (u8, u8, u8)) -> Option<SystemTime> {
    let (year, month, day) = date;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc().into())
}

/// `at`'s UTC date and time of day to the second, `YYYY{date_sep}MM{date_sep}DD` `T`
/// `HH{time_sep}MM{time_sep}SS`: the shape every timestamp here starts with.
pub fn date_time(at: SystemTime, date_sep: &str, time_sep: &str) -> String {
    let t = utc(at);
    format!(
        "{:04}{date_sep}{:02}{date_sep}{:02}T{:02}{time_sep}{:02}{time_sep}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `at` as RFC 3339 in UTC with exactly six fractional digits, e.g.
/// `2023-11-14T22:13:20.123456Z` (sub-microsecond precision is truncated): hclog's
/// `@timestamp` and IAM's `expires_at`.
pub fn rfc3339_micros(at: SystemTime) -> String {
    let micros = utc(at).microsecond();
    format!("{}.{micros:06}Z", date_time(at, "-", ":"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn calendar_fields_round_trip_across_leap_days_and_the_epoch() {
        for secs in [0, 951_782_400, 1_709_164_800, 4_107_542_400] {
            let at = UNIX_EPOCH + Duration::from_secs(secs);
            let t = utc(at);
            let date = (t.year(), u8::from(t.month()), t.day());
            assert_eq!(from_utc(date, (t.hour(), t.minute(), t.second())), Some(at));
        }
        assert_eq!(
            from_utc((1969, 12, 31), (23, 59, 59)),
            Some(UNIX_EPOCH - Duration::from_secs(1))
        );
        assert_eq!(from_utc((2023, 2, 29), (0, 0, 0)), None);
        assert_eq!(from_utc((2024, 2, 29), (24, 0, 0)), None);
    }

    #[test]
    fn far_instants_are_clamped_not_a_panic() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(utc(far).year(), 9999);
        assert_eq!(rfc3339_micros(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
    }
}
