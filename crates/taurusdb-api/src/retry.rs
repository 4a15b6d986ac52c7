//! When a failed request may be sent again, and after how long.
//!
//! The rule that matters: a request that may have changed something is never re-sent
//! blindly. A POST is retried only when the service provably did not process it: it
//! answered 429 (throttled) or 409 with an "instance busy" code, or no connection was
//! made at all. Reads (GET) are also retried on 5xx answers, timeouts and broken
//! connections. Delays grow exponentially with jitter, capped, and a `Retry-After`
//! header from the service wins.

use std::time::Duration;

use reqwest::Method;

use crate::error::ApiError;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: try once).
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// No computed delay exceeds this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is cut to it.
    pub max_retry_after: Duration,
}

/// Retries after the first attempt when the caller does not say.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Why a failure may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    Throttled,
    InstanceBusy,
    NotConnected,
    ServerError,
    Timeout,
    ConnectionBroken,
}

impl RetryReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryReason::Throttled => "throttled (429)",
            RetryReason::InstanceBusy => "instance busy (409)",
            RetryReason::NotConnected => "could not connect",
            RetryReason::ServerError => "server error (5xx)",
            RetryReason::Timeout => "timed out",
            RetryReason::ConnectionBroken => "connection broken",
        }
    }
}

/// Whether `error` from a `method` request may be retried without risking that the
/// work is done twice.
pub fn retry_reason(method: &Method, error: &ApiError) -> Option<RetryReason> {
    let safe_to_repeat = method == Method::GET || method == Method::HEAD;
    match error {
        ApiError::Status { status: 429, .. } => Some(RetryReason::Throttled),
        err if err.is_instance_busy() => Some(RetryReason::InstanceBusy),
        ApiError::Connect { .. } => Some(RetryReason::NotConnected),
        ApiError::Status { status, .. } if *status >= 500 && safe_to_repeat => {
            Some(RetryReason::ServerError)
        }
        ApiError::Timeout { .. } if safe_to_repeat => Some(RetryReason::Timeout),
        ApiError::Transport { .. } if safe_to_repeat => Some(RetryReason::ConnectionBroken),
        _ => None,
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based): the service's `Retry-After`
    /// when it sent one, else exponential backoff with "equal jitter" (half fixed, half
    /// random), so many resources throttled at once do not retry in lockstep.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let exponent = retry.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// A uniformly distributed number in [0, 1) from the OS generator.
pub fn jitter() -> f64 {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .is_err()
    {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// The longest `Retry-After` taken from a server: anything longer is cut to this, so no
/// answer can stall a caller for hours or overflow a deadline computed from it.
pub const RETRY_AFTER_CEILING: Duration = Duration::from_secs(600);

/// Parses `Retry-After` given in seconds (the form the API gateway uses), cut to
/// [`RETRY_AFTER_CEILING`].
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds = value.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds).min(RETRY_AFTER_CEILING))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: Option<&str>) -> ApiError {
        ApiError::Status {
            status,
            code: code.map(str::to_string),
            message: String::new(),
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn posts_are_retried_only_when_provably_unprocessed() {
        let post = Method::POST;
        assert_eq!(
            retry_reason(&post, &status(429, None)),
            Some(RetryReason::Throttled)
        );
        assert_eq!(
            retry_reason(&post, &status(409, Some("DBS.200019"))),
            Some(RetryReason::InstanceBusy)
        );
        assert_eq!(retry_reason(&post, &status(409, Some("DBS.999999"))), None);
        assert_eq!(retry_reason(&post, &status(500, None)), None);
        assert_eq!(retry_reason(&post, &status(503, None)), None);
        let timeout = ApiError::Timeout {
            endpoint: String::new(),
            timeout: Duration::ZERO,
        };
        assert_eq!(retry_reason(&post, &timeout), None);
        let broken = ApiError::Transport {
            endpoint: String::new(),
            detail: String::new(),
        };
        assert_eq!(retry_reason(&post, &broken), None);
        let refused = ApiError::Connect {
            endpoint: String::new(),
            detail: String::new(),
            attempts: 1,
            waited: Duration::ZERO,
        };
        assert_eq!(
            retry_reason(&post, &refused),
            Some(RetryReason::NotConnected)
        );
        assert_eq!(retry_reason(&post, &status(400, Some("DBS.200022"))), None);
    }

    #[test]
    fn gets_are_also_retried_on_server_errors_and_timeouts() {
        let get = Method::GET;
        assert_eq!(
            retry_reason(&get, &status(503, None)),
            Some(RetryReason::ServerError)
        );
        let timeout = ApiError::Timeout {
            endpoint: String::new(),
            timeout: Duration::ZERO,
        };
        assert_eq!(retry_reason(&get, &timeout), Some(RetryReason::Timeout));
        assert_eq!(retry_reason(&get, &status(404, None)), None);
    }

    #[test]
    fn delays_grow_are_capped_and_honour_retry_after() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        assert_eq!(policy.delay(1, None, 1.0), Duration::from_millis(100));
        assert_eq!(policy.delay(1, None, 0.0), Duration::from_millis(50));
        assert_eq!(policy.delay(3, None, 1.0), Duration::from_millis(400));
        assert_eq!(policy.delay(9, None, 1.0), Duration::from_millis(1000));
        assert_eq!(policy.delay(40, None, 1.0), Duration::from_millis(1000));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2)), 0.3),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(600)), 0.3),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn jitter_stays_in_range_and_varies() {
        let samples: Vec<f64> = (0..32).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(
            samples
                .iter()
                .any(|j| (j - samples[0]).abs() > f64::EPSILON)
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        // A hostile server cannot ask for forever (nor overflow a deadline).
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(RETRY_AFTER_CEILING)
        );
    }
}
