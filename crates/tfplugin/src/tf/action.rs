//! Actions (Terraform 1.14+): operations a configuration runs rather than manages, e.g.
//! from a resource's `lifecycle { action_trigger { ... } }` or `terraform apply
//! -invoke=action.<type>.<name>`.
//!
//! An [`Action`] sees plain [`Value`]s, like a resource, and tells its user what happens
//! while it runs through [`Progress`]: sending never blocks and never fails, so the work
//! goes on at its own pace whether or not anyone reads. The service
//! ([`service`](crate::tf::service)) turns the messages into the stream's Progress events
//! and the diagnostics `invoke` returns into its one Completed event. When the backlog
//! of unread messages is full the oldest give way, and the reader is told how many.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::tf::diagnostics::Diagnostics;
use crate::tf::provider::RequestContext;
use crate::tf::schema::Schema;
use crate::tf::value::Value;

/// An action type.
#[tonic::async_trait]
pub trait Action: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// Static checks of a configuration; values may be unknown.
    fn validate(&self, config: &Value) -> Diagnostics;
    /// Before apply: what can be said without doing anything (values may be unknown).
    async fn plan(&self, ctx: &RequestContext, config: &Value) -> Diagnostics;
    /// Runs the action, telling `progress` what happens as it happens. The diagnostics
    /// are the last word: errors fail the apply. Ends soon after `ctx.cancel` fires.
    async fn invoke(
        &self,
        ctx: &RequestContext,
        config: &Value,
        progress: &Progress,
    ) -> Diagnostics;
}

/// How many unread progress messages are kept; beyond it the oldest give way.
pub const PROGRESS_BACKLOG: usize = 256;

/// The sending end of an action's progress messages. Clones send to the same reader.
#[derive(Clone)]
pub struct Progress {
    shared: Arc<Shared>,
}

/// The reading end: messages in the order they were sent, oldest dropped first when
/// the reader falls behind by more than the backlog.
pub struct ProgressReader {
    shared: Arc<Shared>,
}

struct Shared {
    backlog: Mutex<Backlog>,
    sent: Notify,
    capacity: usize,
}

#[derive(Default)]
struct Backlog {
    messages: VecDeque<String>,
    /// Messages dropped since the reader last took one.
    dropped: u64,
}

/// A progress channel keeping at most `capacity` unread messages (at least one).
pub fn progress_channel(capacity: usize) -> (Progress, ProgressReader) {
    let shared = Arc::new(Shared {
        backlog: Mutex::default(),
        sent: Notify::new(),
        capacity: capacity.max(1),
    });
    (
        Progress {
            shared: shared.clone(),
        },
        ProgressReader { shared },
    )
}

impl Progress {
    /// Queues a message for the reader; never blocks, even when nobody reads.
    pub fn send(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::debug!(progress = %message, "action progress");
        {
            let mut backlog = self.shared.lock();
            if backlog.messages.len() >= self.shared.capacity {
                backlog.messages.pop_front();
                backlog.dropped += 1;
            }
            backlog.messages.push_back(message);
        }
        self.shared.sent.notify_one();
    }
}

impl ProgressReader {
    /// The next message if one is waiting. After messages were dropped, a note saying
    /// how many comes first.
    pub fn try_next(&self) -> Option<String> {
        let mut backlog = self.shared.lock();
        if backlog.dropped > 0 {
            let dropped = std::mem::take(&mut backlog.dropped);
            return Some(format!(
                "({dropped} earlier progress message{} not shown)",
                if dropped == 1 { "" } else { "s" }
            ));
        }
        backlog.messages.pop_front()
    }

    /// Resolves when a message may have been sent since the last call (cancel-safe;
    /// one reader).
    pub async fn sent(&self) {
        self.shared.sent.notified().await;
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Backlog> {
        self.backlog
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_arrive_in_order() {
        let (progress, reader) = progress_channel(8);
        progress.send("one");
        progress.clone().send("two");
        assert_eq!(reader.try_next().as_deref(), Some("one"));
        assert_eq!(reader.try_next().as_deref(), Some("two"));
        assert_eq!(reader.try_next(), None);
    }

    #[test]
    fn a_full_backlog_drops_the_oldest_and_says_so() {
        let (progress, reader) = progress_channel(2);
        for n in 1..=5 {
            progress.send(format!("m{n}"));
        }
        assert_eq!(
            reader.try_next().as_deref(),
            Some("(3 earlier progress messages not shown)")
        );
        assert_eq!(reader.try_next().as_deref(), Some("m4"));
        assert_eq!(reader.try_next().as_deref(), Some("m5"));
        assert_eq!(reader.try_next(), None);
    }

    #[tokio::test]
    async fn a_message_sent_before_waiting_is_not_missed() {
        let (progress, reader) = progress_channel(2);
        progress.send("early");
        // The permit left by the send resolves the wait at once.
        reader.sent().await;
        assert_eq!(reader.try_next().as_deref(), Some("early"));
    }
}
