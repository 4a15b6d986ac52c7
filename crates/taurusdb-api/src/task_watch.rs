//! One task-list poller per instance, shared by everyone who needs that instance's list.
//!
//! The list call answers with every task of an instance and its stage, so N resources
//! (or actions, or gRPC calls) waiting on tasks of one instance need one list read per
//! tick, not N. Each instance that someone is interested in gets a [`Watch`]: a small task
//! that reads the list when the most demanding subscriber is due (see
//! [`PollSchedule`](super::poll_schedule::PollSchedule)), publishes the result to all of
//! them, and ends when the last subscriber leaves.
//!
//! Freshness: a waiter subscribes after its pause was accepted and only takes lists read
//! after that moment. A one-off reader (a refresh) also takes a read already in flight,
//! so a burst of refreshes costs one request.
//!
//! Throttling: a list read that is still throttled after the client's own retries
//! (which honour `Retry-After`) is not a failure for waiters (they are bounded by their
//! own deadlines); the poller backs off, doubling its pause up to the schedule's cap, and
//! tries again. A one-off reader gets the throttling error: it has no deadline to wait on.
//!
//! Should the poller ever stop without being done (a panic), its subscribers get an
//! error rather than silence, and the instance gets a fresh poller next time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use futures_util::future::BoxFuture;

use crate::error::ApiError;
use crate::listing::TaskList;
use crate::poll_schedule::PollSchedule;

/// What reads an instance's whole task list for the pollers.
pub trait ListSource: Send + Sync + 'static {
    fn fetch<'a>(
        &'a self,
        project_id: &'a str,
        instance_id: &'a str,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Arc<TaskList>, ApiError>>;
}

/// Which instance a list belongs to: (project_id, instance_id).
pub type InstanceKey = (String, String);

/// One list read, as every subscriber sees it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When the read started: it reflects everything the service did before.
    pub started: Instant,
    seq: u64,
    /// Still throttled after the client's retries: only one-off readers take it.
    throttled: bool,
    pub tasks: Result<Arc<TaskList>, ApiError>,
}

/// How often a subscriber needs a new list.
#[derive(Debug, Clone, Copy)]
pub enum Interest {
    /// One list, as soon as possible; a read already in flight will do.
    Once,
    /// A list on this curve, counted from the subscription, each read after it.
    Polling(PollSchedule),
}

/// The pollers of one client, by instance.
#[derive(Default)]
pub struct Watches {
    by_instance: Mutex<HashMap<InstanceKey, Arc<Watch>>>,
}

impl std::fmt::Debug for Watches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watches").finish_non_exhaustive()
    }
}

impl Watches {
    /// Registers interest in an instance's task list, starting its poller if needed.
    pub fn subscribe(
        self: &Arc<Self>,
        source: &Arc<dyn ListSource>,
        key: InstanceKey,
        interest: Interest,
    ) -> Subscription {
        let mut by_instance = lock(&self.by_instance);
        let (watch, fresh) = match by_instance.get(&key) {
            Some(watch) => (watch.clone(), false),
            None => {
                let watch = Arc::new(Watch::new(key.clone()));
                by_instance.insert(key, watch.clone());
                (watch, true)
            }
        };
        let subscription = watch.add(interest);
        drop(by_instance);
        if fresh {
            tokio::spawn(watch.clone().run(self.clone(), source.clone()));
        }
        subscription
    }

    /// Forgets `watch` if nobody subscribed since it found itself idle.
    fn remove_if_idle(&self, watch: &Arc<Watch>) -> bool {
        let mut by_instance = lock(&self.by_instance);
        if !lock(&watch.state).subscribers.is_empty() {
            return false;
        }
        if by_instance
            .get(&watch.key)
            .is_some_and(|w| Arc::ptr_eq(w, watch))
        {
            by_instance.remove(&watch.key);
        }
        true
    }

    /// How many instances are being polled now (for tests and logs).
    pub fn active(&self) -> usize {
        lock(&self.by_instance).len()
    }
}

/// The poller of one instance.
struct Watch {
    key: InstanceKey,
    state: Mutex<WatchState>,
    wake: Notify,
    published: watch::Sender<Option<Snapshot>>,
}

#[derive(Default)]
struct WatchState {
    next_id: u64,
    subscribers: HashMap<u64, Subscriber>,
    /// Start of the read in flight, if any.
    reading_since: Option<Instant>,
    /// Start of the last read.
    last_read: Option<Instant>,
    /// After a throttled read: no read before this.
    throttled_until: Option<Instant>,
    throttle_pause: Duration,
    seq: u64,
}

struct Subscriber {
    interest: Interest,
    since: Instant,
    /// The oldest read start this subscriber accepts.
    accepts_from: Instant,
    /// Start of the last read it was given.
    last_served: Option<Instant>,
}

impl Subscriber {
    /// When this subscriber needs its next read; None once a one-off reader was served.
    /// A new waiter's first read is due at once, but never sooner than a fifth of its
    /// floor interval after the last read began: waits starting together share it.
    fn due(&self, last_read: Option<Instant>) -> Option<Instant> {
        match (self.last_served, self.interest) {
            (None, Interest::Once) => Some(self.since),
            (None, Interest::Polling(schedule)) => Some(match last_read {
                Some(last) => self.since.max(last + schedule.min_interval / 5),
                None => self.since,
            }),
            (Some(_), Interest::Once) => None,
            (Some(last), Interest::Polling(schedule)) => {
                Some(last + schedule.interval(last.saturating_duration_since(self.since)))
            }
        }
    }
}

impl Watch {
    fn new(key: InstanceKey) -> Self {
        Self {
            key,
            state: Mutex::new(WatchState::default()),
            wake: Notify::new(),
            published: watch::Sender::new(None),
        }
    }

    fn add(self: &Arc<Self>, interest: Interest) -> Subscription {
        let now = Instant::now();
        let mut state = lock(&self.state);
        let accepts_from = match (interest, state.reading_since) {
            (Interest::Once, Some(reading)) => reading,
            _ => now,
        };
        let id = state.next_id;
        state.next_id += 1;
        state.subscribers.insert(
            id,
            Subscriber {
                interest,
                since: now,
                accepts_from,
                last_served: None,
            },
        );
        drop(state);
        self.wake.notify_one();
        Subscription {
            watch: self.clone(),
            id,
            accepts_from,
            takes_throttled: matches!(interest, Interest::Once),
            last_seq: 0,
            updates: self.published.subscribe(),
        }
    }

    fn remove(&self, id: u64) {
        lock(&self.state).subscribers.remove(&id);
        self.wake.notify_one();
    }

    /// When the next read is due: the earliest subscriber, but not while throttled.
    fn next_due(&self) -> Option<Instant> {
        let state = lock(&self.state);
        let last_read = state.last_read;
        let due = state
            .subscribers
            .values()
            .filter_map(|s| s.due(last_read))
            .min()?;
        Some(match state.throttled_until {
            Some(until) => due.max(until),
            None => due,
        })
    }

    /// Publishes `tasks` as read at `started` to the subscribers that accept it.
    fn publish(
        &self,
        state: &mut WatchState,
        started: Instant,
        throttled: bool,
        tasks: Result<Arc<TaskList>, ApiError>,
    ) {
        for subscriber in state.subscribers.values_mut() {
            let takes = !throttled || matches!(subscriber.interest, Interest::Once);
            if takes && started >= subscriber.accepts_from {
                subscriber.last_served = Some(started);
            }
        }
        state.seq += 1;
        self.published.send_replace(Some(Snapshot {
            started,
            seq: state.seq,
            throttled,
            tasks,
        }));
    }

    async fn run(self: Arc<Self>, registry: Arc<Watches>, source: Arc<dyn ListSource>) {
        let mut guard = PollerGuard {
            watch: self.clone(),
            registry: registry.clone(),
            done: false,
        };
        self.poll(&registry, source).await;
        guard.done = true;
    }

    async fn poll(self: &Arc<Self>, registry: &Watches, source: Arc<dyn ListSource>) {
        let (project, instance) = self.key.clone();
        // Reads serve many callers: no single caller's cancellation may stop one.
        let never = CancellationToken::new();
        loop {
            let Some(due) = self.next_due() else {
                if registry.remove_if_idle(self) {
                    return;
                }
                // Someone is still here but needs nothing now: wait for news.
                self.wake.notified().await;
                continue;
            };
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = self.wake.notified() => continue,
            }
            let started = Instant::now();
            {
                let mut state = lock(&self.state);
                state.reading_since = Some(started);
                state.last_read = Some(started);
            }
            let tasks = source.fetch(&project, &instance, &never).await;
            let mut state = lock(&self.state);
            state.reading_since = None;
            if let Err(err @ ApiError::Status { status: 429, .. }) = &tasks {
                let doubled = (state.throttle_pause * 2).clamp(
                    PollSchedule::STAGE.min_interval,
                    PollSchedule::STAGE.max_interval,
                );
                let pause = doubled.max(err.retry_after().unwrap_or_default());
                state.throttle_pause = pause;
                state.throttled_until = Instant::now().checked_add(pause);
                tracing::warn!(
                    instance_id = %instance,
                    pause_ms = pause.as_millis() as u64,
                    "task list still throttled after retries; polling this instance more slowly"
                );
                self.publish(&mut state, started, true, tasks);
                continue;
            }
            state.throttled_until = None;
            state.throttle_pause = Duration::ZERO;
            self.publish(&mut state, started, false, tasks);
        }
    }
}

/// Ends a poller's watch if its task stops without being done (a panic): subscribers
/// get an error instead of waiting for news that never comes, and the instance's next
/// subscriber starts a fresh poller.
struct PollerGuard {
    watch: Arc<Watch>,
    registry: Arc<Watches>,
    done: bool,
}

impl Drop for PollerGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut by_instance = lock(&self.registry.by_instance);
        if by_instance
            .get(&self.watch.key)
            .is_some_and(|w| Arc::ptr_eq(w, &self.watch))
        {
            by_instance.remove(&self.watch.key);
        }
        drop(by_instance);
        let mut state = lock(&self.watch.state);
        let failed = Err(ApiError::Config(POLLER_STOPPED.into()));
        // Everyone accepts it: it is stamped after every subscription.
        let now = Instant::now();
        for subscriber in state.subscribers.values_mut() {
            subscriber.accepts_from = subscriber.accepts_from.min(now);
        }
        self.watch.publish(&mut state, now, false, failed);
    }
}

const POLLER_STOPPED: &str = "internal error: the task-list reader stopped unexpectedly";

/// A subscriber's end: new lists as they are read; unsubscribes on drop.
pub struct Subscription {
    watch: Arc<Watch>,
    id: u64,
    accepts_from: Instant,
    /// One-off readers take a read that was still throttled; waiters wait for a better one.
    takes_throttled: bool,
    last_seq: u64,
    updates: watch::Receiver<Option<Snapshot>>,
}

impl Subscription {
    /// The next list read this subscriber accepts (cancel-safe).
    pub async fn next(&mut self) -> Snapshot {
        loop {
            let current = self.updates.borrow_and_update().clone();
            if let Some(snapshot) = current
                && snapshot.seq > self.last_seq
                && snapshot.started >= self.accepts_from
                && (self.takes_throttled || !snapshot.throttled)
            {
                self.last_seq = snapshot.seq;
                return snapshot;
            }
            if self.updates.changed().await.is_err() {
                // The sender lives in the watch this subscription holds: unreachable, but
                // never spin.
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.watch.remove(self.id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
