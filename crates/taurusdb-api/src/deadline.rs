//! A cancellation token that also fires at a deadline.
//!
//! Operations bounded by a timeout (create, delete) hand this token to every call, so a
//! timeout behaves exactly like a cancellation: nothing new starts after it, and a
//! request in flight when it fires is reported as possibly processed.

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Cancelled when `parent` is or when the deadline passes; the timer stops on drop.
#[derive(Debug)]
pub struct DeadlineToken {
    token: CancellationToken,
    deadline: Instant,
    timer: JoinHandle<()>,
}

impl DeadlineToken {
    pub fn new(parent: &CancellationToken, deadline: Instant) -> Self {
        let token = parent.child_token();
        let fire = token.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            fire.cancel();
        });
        Self {
            token,
            deadline,
            timer,
        }
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline (rather than the parent) has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

impl Drop for DeadlineToken {
    fn drop(&mut self) {
        self.timer.abort();
    }
}

/// `now + timeout`, or a day short of forever when that does not fit.
pub fn deadline_after(timeout: std::time::Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + std::time::Duration::from_secs(100 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn fires_at_the_deadline_or_with_its_parent() {
        let parent = CancellationToken::new();
        let timed = DeadlineToken::new(&parent, Instant::now() + Duration::from_secs(5));
        assert!(!timed.token().is_cancelled());
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert!(timed.token().is_cancelled() && timed.expired());

        let later = DeadlineToken::new(&parent, Instant::now() + Duration::from_secs(3600));
        parent.cancel();
        assert!(later.token().is_cancelled() && !later.expired());
    }

    #[test]
    fn huge_timeouts_do_not_overflow() {
        let far = deadline_after(Duration::MAX);
        assert!(far > Instant::now() + Duration::from_secs(3600 * 24 * 365));
    }
}
