//! The events of one watched pause or resume on their way to a client that may read
//! slowly, or stop reading while staying connected. The job must never wait for its
//! reader, and what waits for the reader must not grow: a [`watch_channel`] keeps at
//! most [`WATCH_BACKLOG`] unread events. When it is full the oldest progress event (job
//! status, stage) gives way, so a late reader sees the latest state; the job's start
//! (`started`, `already_there`) and its final outcome are never dropped. Each event's
//! text is bounded where it is read ([`MAX_TEXT_BYTES`](taurusdb_api::wire::MAX_TEXT_BYTES)),
//! so the backlog is bounded in bytes too.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::Stream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::proto::replication::v1 as pb;

/// How many unread events a watch keeps; beyond it the oldest progress gives way.
pub const WATCH_BACKLOG: usize = 16;

/// A watch stream: events, then the completed event or the error status.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::JobEvent, Status>> + Send>>;

/// The job's end of a watch. Dropping it without [`EventSink::finish`] ends the stream.
pub struct EventSink {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
    /// Cancelled when the reader drops the stream.
    reader_gone: CancellationToken,
    capacity: usize,
}

#[derive(Default)]
struct Queue {
    events: VecDeque<pb::JobEvent>,
    /// The final outcome, once the job ended.
    last: Option<Result<pb::JobEvent, Status>>,
    /// No more events will come.
    ended: bool,
}

/// A watch keeping at most `capacity` unread events (at least 4).
pub fn watch_channel(capacity: usize) -> (EventSink, EventStream) {
    let shared = Arc::new(Shared {
        queue: Mutex::default(),
        wake: Notify::new(),
        reader_gone: CancellationToken::new(),
        capacity: capacity.max(4),
    });
    let guard = shared.reader_gone.clone().drop_guard();
    let stream = futures_util::stream::unfold((shared.clone(), guard), |(shared, guard)| async {
        let item = shared.next().await?;
        Some((item, (shared, guard)))
    });
    (EventSink { shared }, Box::pin(stream))
}

impl EventSink {
    /// Queues a progress event; never blocks. A full backlog drops its oldest progress
    /// event (never a start).
    pub fn progress(&self, event: pb::JobEvent) {
        {
            let mut queue = self.shared.lock();
            if queue.events.len() >= self.shared.capacity
                && let Some(oldest) = queue.events.iter().position(is_progress)
            {
                queue.events.remove(oldest);
            }
            queue.events.push_back(event);
        }
        self.shared.wake.notify_one();
    }

    /// Queues the final outcome, after every event still unread.
    pub fn finish(self, last: Result<pb::JobEvent, Status>) {
        self.shared.lock().last = Some(last);
        // Drop ends the stream and wakes the reader.
    }

    /// Resolves when the reader dropped the stream.
    pub async fn closed(&self) {
        self.shared.reader_gone.cancelled().await;
    }
}

impl Drop for EventSink {
    fn drop(&mut self) {
        self.shared.lock().ended = true;
        self.shared.wake.notify_one();
    }
}

/// Whether an event only reports progress (a later one supersedes it).
fn is_progress(event: &pb::JobEvent) -> bool {
    use pb::job_event::Event;
    matches!(event.event, Some(Event::Job(_) | Event::Stage(_)))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next item for the reader, or None once the outcome was read.
    async fn next(&self) -> Option<Result<pb::JobEvent, Status>> {
        loop {
            {
                let mut queue = self.lock();
                if let Some(event) = queue.events.pop_front() {
                    return Some(Ok(event));
                }
                if let Some(last) = queue.last.take() {
                    return Some(last);
                }
                if queue.ended {
                    return None;
                }
            }
            // notify_one leaves a permit when nobody waits: no wake-up is lost.
            self.wake.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;
    use pb::job_event::Event;

    fn stage(n: usize) -> pb::JobEvent {
        pb::JobEvent {
            event: Some(Event::Stage(pb::StageChanged {
                stage: format!("s{n}"),
            })),
        }
    }

    #[tokio::test]
    async fn an_unread_backlog_keeps_the_start_the_latest_progress_and_the_outcome() {
        let (sink, stream) = watch_channel(4);
        sink.progress(pb::JobEvent {
            event: Some(Event::Started(pb::Started {
                job_id: "j-1".into(),
            })),
        });
        for n in 0..10_000 {
            sink.progress(stage(n));
        }
        sink.finish(Err(Status::aborted("job failed")));
        let items: Vec<_> = stream.collect().await;
        let events: Vec<_> = items
            .iter()
            .filter_map(|item| item.as_ref().ok()?.event.clone())
            .collect();
        assert!(matches!(&events[0], Event::Started(s) if s.job_id == "j-1"));
        let stages: Vec<_> = events[1..]
            .iter()
            .map(|e| match e {
                Event::Stage(s) => s.stage.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(stages, ["s9997", "s9998", "s9999"]);
        assert!(
            items.last().is_some_and(Result::is_err),
            "the outcome is last"
        );
    }

    /// How long a test waits for what must happen at once before it calls it a hang.
    const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(10);

    #[tokio::test]
    async fn a_dropped_stream_tells_the_job() {
        use futures_util::FutureExt as _;
        let (sink, stream) = watch_channel(4);
        // While the reader holds the stream, the job is not told anything.
        assert!(
            sink.closed().now_or_never().is_none(),
            "the reader is still there"
        );
        drop(stream);
        tokio::time::timeout(HANG_GUARD, sink.closed())
            .await
            .expect("the job hears that its reader left");
        // What the job still sends goes nowhere and never piles up: it never blocks, and
        // the backlog stays within its capacity however much it sends.
        for n in 0..10_000 {
            sink.progress(stage(n));
        }
        assert_eq!(sink.shared.lock().events.len(), 4);
        // Later listeners hear it too (the token stays cancelled), and the outcome ends it.
        tokio::time::timeout(HANG_GUARD, sink.closed())
            .await
            .expect("told again at once");
        let shared = sink.shared.clone();
        sink.finish(Ok(stage(0)));
        assert!(shared.lock().ended, "the job's end ends the stream");
    }
}
