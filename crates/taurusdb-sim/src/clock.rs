//! Timestamps in the formats the job API (`2024-09-11T10:21:37+0000`) and IAM
//! (`2024-09-11T10:21:37.000000Z`, RFC 3339) use.
//!
//! The calendar arithmetic is the `time` crate's, through [`stdx::calendar`]; this file
//! only holds the simulator's formats, and [`SimClock`], the time credentials expire by.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use stdx::calendar;

/// The simulator's idea of "now" for expiries (IAM tokens, temporary credentials, metadata
/// session tokens): the system time plus an offset tests move forward, so an expiry is
/// checkable without sleeping. Signature dates are still checked against the real time.
#[derive(Debug, Default)]
pub(crate) struct SimClock {
    offset: Mutex<Duration>,
}

impl SimClock {
    /// The simulated current time.
    pub(crate) fn now(&self) -> SystemTime {
        SystemTime::now() + *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the simulated time forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SS+0000` (UTC).
pub(crate) fn now_timestamp() -> String {
    format_time(SystemTime::now())
}

/// `at` as `YYYY-MM-DDTHH:MM:SS+0000` (UTC, whole seconds).
pub(crate) fn format_time(at: SystemTime) -> String {
    format!("{}+0000", calendar::date_time(at, "-", ":"))
}

/// `at` as IAM writes `expires_at`: RFC 3339 in UTC with microseconds,
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub(crate) fn format_rfc3339(at: SystemTime) -> String {
    calendar::rfc3339_micros(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn format_unix(secs: u64) -> String {
        format_time(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00+0000");
        assert_eq!(format_unix(1_000_000_000), "2001-09-09T01:46:40+0000");
        assert_eq!(format_unix(1_709_164_800), "2024-02-29T00:00:00+0000");
        assert_eq!(format_unix(1_735_689_599), "2024-12-31T23:59:59+0000");
    }

    #[test]
    fn rfc3339_for_iam() {
        let at = UNIX_EPOCH + Duration::from_micros(1_000_000_000_123_456);
        assert_eq!(format_rfc3339(at), "2001-09-09T01:46:40.123456Z");
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn the_sim_clock_only_moves_forward_when_told() {
        let clock = SimClock::default();
        let before = SystemTime::now();
        assert!(clock.now() >= before);
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::from_secs(3600));
    }

    #[test]
    fn now_has_the_job_api_shape() {
        let now = now_timestamp();
        assert_eq!(now.len(), "2024-09-11T10:21:37+0000".len(), "{now}");
        assert!(now.ends_with("+0000"));
    }
}
