//! One job per task in flight: calls that pause (or resume) the same task with the same
//! client at the same time join one job instead of each sending its own request.
//!
//! The key is the client (one endpoint with one set of credentials, [`ClientId`]) and
//! the task (project, instance, name); the kind of job must match too. The first caller
//! starts a *flight* in a task of its own ([`job::happen`]: the one POST, then the wait
//! on the task's stage); every caller that comes while it runs joins it, hears its
//! events (a late one first hears the job ID it missed) and reads the shared outcome
//! as its own ([`job::run`]), within its own timeout and cancellation:
//!
//! - a caller that leaves (its timeout, StopProvider, a client gone) leaves alone: the
//!   job runs on, to its outcome, while any caller still waits;
//! - when the last one leaves, the flight is cancelled, exactly as a lone caller's job
//!   always was (the wait stops; a POST already sent is not undone, and the callers
//!   answer with the job ID when one came back): nobody is left to hear the outcome, and
//!   StopProvider and shutdown still end every apply promptly with its job ID;
//! - a caller that does not wait leaves once the job started; a flight nobody waits for
//!   ends there;
//! - a pause while a resume of the same task is in flight (or the reverse) is refused,
//!   certainly not done ([`Busy`]): the two contradict each other, and waiting for the
//!   first to send the second would make the end state depend on who came first.
//!
//! A flight is forgotten once it ends: a pause that comes after it sends its own request
//! (and ends well if the task already reads Paused). The one exception is a pause job
//! *handed over* ([`hand_over`]): the destroy of a resource whose state recorded a pause
//! job still running (an apply interrupted before the wait ended) leaves it here, and
//! the next pause of that task with that client waits for that job instead of sending
//! another request.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::job::{self, Happened, JobEvent, JobKind};
use crate::wait::WaitPolicy;
use crate::{ApiClient, ClientId, TaskRef};

/// Which flight a call joins: one per client and task at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    client: ClientId,
    task: TaskRef,
}

/// What a flight tells each caller that joined it, in order; `End` last.
#[derive(Debug)]
pub enum Message {
    Event(JobEvent),
    End(Arc<Happened>),
}

/// A job in flight.
struct Flight {
    kind: JobKind,
    /// Fired when the last caller leaves.
    cancel: CancellationToken,
    state: Mutex<FlightState>,
}

struct FlightState {
    /// Callers still there, and those of them that wait past the start.
    callers: usize,
    waiting: usize,
    /// How to wait: the first waiting caller's policy.
    policy: Option<WaitPolicy>,
    /// Once the job started: told to callers that join later.
    job_id: Option<String>,
    subscribers: Vec<mpsc::UnboundedSender<Message>>,
    ended: bool,
}

static FLIGHTS: LazyLock<Mutex<HashMap<Key, Arc<Flight>>>> = LazyLock::new(Mutex::default);
static HANDED_OVER: LazyLock<Mutex<HashMap<Key, String>>> = LazyLock::new(Mutex::default);
/// Callers there per task (with any client), and a notice whenever that changes: what
/// [`until_callers`] watches.
static CALLERS: LazyLock<Mutex<HashMap<TaskRef, usize>>> = LazyLock::new(Mutex::default);
static CHANGED: Notify = Notify::const_new();

/// Counts a caller in (`true`) or out for [`until_callers`].
fn count_caller(task: &TaskRef, joins: bool) {
    let mut callers = lock(&CALLERS);
    let count = callers.entry(task.clone()).or_default();
    if joins {
        *count += 1;
    } else {
        *count = count.saturating_sub(1);
        if *count == 0 {
            callers.remove(task);
        }
    }
    drop(callers);
    CHANGED.notify_waiters();
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The other kind of job is in flight for the task: this call is refused, unsent.
#[derive(Debug, Clone)]
pub struct Busy {
    /// What is in flight.
    pub running: JobKind,
    /// Its job, once the service started one.
    pub job_id: Option<String>,
}

/// One caller's place in a flight. Dropping it leaves the flight.
pub struct Joined {
    key: Key,
    flight: Arc<Flight>,
    waits: bool,
    messages: mpsc::UnboundedReceiver<Message>,
    left: bool,
}

/// Joins the flight of a `kind` job on `task` with `client`, or starts one. `policy` is how
/// to wait when this caller waits (None: it leaves once the job started).
pub fn join(
    client: &ApiClient,
    kind: JobKind,
    task: &TaskRef,
    policy: Option<WaitPolicy>,
) -> Result<Joined, Busy> {
    let key = Key {
        client: client.id(),
        task: task.clone(),
    };
    let waits = policy.is_some();
    let (sender, messages) = mpsc::unbounded_channel();
    let mut flights = lock(&FLIGHTS);
    let flight = match flights.get(&key) {
        Some(flight) => {
            let mut state = lock(&flight.state);
            if flight.kind != kind {
                return Err(Busy {
                    running: flight.kind,
                    job_id: state.job_id.clone(),
                });
            }
            if let Some(job_id) = &state.job_id {
                let started = JobEvent::Started {
                    job_id: job_id.clone(),
                };
                let _ = sender.send(Message::Event(started));
            }
            state.subscribers.push(sender);
            state.callers += 1;
            state.waiting += usize::from(waits);
            state.policy = state.policy.or(policy);
            tracing::debug!(
                action = kind.verb(),
                task = %task,
                callers = state.callers,
                "joined the {} already in flight", kind.verb()
            );
            flight.clone()
        }
        None => {
            let flight = Arc::new(Flight {
                kind,
                cancel: CancellationToken::new(),
                state: Mutex::new(FlightState {
                    callers: 1,
                    waiting: usize::from(waits),
                    policy,
                    job_id: None,
                    subscribers: vec![sender],
                    ended: false,
                }),
            });
            flights.insert(key.clone(), flight.clone());
            let handed_over = match kind {
                JobKind::Pause => lock(&HANDED_OVER).remove(&key),
                JobKind::Resume => None,
            };
            tokio::spawn(fly(
                client.clone(),
                key.clone(),
                flight.clone(),
                handed_over,
            ));
            flight
        }
    };
    drop(flights);
    count_caller(task, true);
    Ok(Joined {
        key,
        flight,
        waits,
        messages,
        left: false,
    })
}

/// Runs the flight's job to its end and tells every caller still there.
async fn fly(client: ApiClient, key: Key, flight: Arc<Flight>, handed_over: Option<String>) {
    let tell = |event: JobEvent| flight.tell(event);
    let policy = || flight.policy_if_waited();
    let happened = job::happen(
        &client,
        flight.kind,
        &key.task,
        handed_over,
        &policy,
        &tell,
        &flight.cancel,
    )
    .await;
    let happened = Arc::new(happened);
    let mut flights = lock(&FLIGHTS);
    if flights
        .get(&key)
        .is_some_and(|current| Arc::ptr_eq(current, &flight))
    {
        flights.remove(&key);
    }
    let mut state = lock(&flight.state);
    state.ended = true;
    for subscriber in state.subscribers.drain(..) {
        let _ = subscriber.send(Message::End(happened.clone()));
    }
}

impl Flight {
    /// Tells every caller still there; a start is remembered for those who join later.
    fn tell(&self, event: JobEvent) {
        let mut state = lock(&self.state);
        if let JobEvent::Started { job_id } = &event {
            state.job_id = Some(job_id.clone());
        }
        state
            .subscribers
            .retain(|subscriber| subscriber.send(Message::Event(event.clone())).is_ok());
    }

    /// How to wait once the job started, if any caller still waits.
    fn policy_if_waited(&self) -> Option<WaitPolicy> {
        let state = lock(&self.state);
        if state.waiting > 0 {
            state.policy
        } else {
            None
        }
    }
}

impl Joined {
    /// The flight's next message; None only if its task died without an end.
    pub async fn next(&mut self) -> Option<Message> {
        self.messages.recv().await
    }

    /// Leaves the flight; true when this was its last caller (the flight is then
    /// cancelled, and ends soon: [`next`](Self::next) still hears its end).
    pub fn leave(&mut self) -> bool {
        if self.left {
            return false;
        }
        self.left = true;
        let mut flights = lock(&FLIGHTS);
        let mut state = lock(&self.flight.state);
        state.callers -= 1;
        state.waiting -= usize::from(self.waits);
        let last = state.callers == 0;
        if last && !state.ended {
            self.flight.cancel.cancel();
            if flights
                .get(&self.key)
                .is_some_and(|current| Arc::ptr_eq(current, &self.flight))
            {
                flights.remove(&self.key);
            }
        }
        drop(state);
        drop(flights);
        count_caller(&self.key.task, false);
        last
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Leaves `job_id`, a pause job of `task` still running that a destroyed resource had
/// recorded, to the next pause of `task` with `client` in this process: that pause
/// waits for the job instead of sending another request.
pub fn hand_over(client: &ApiClient, task: &TaskRef, job_id: &str) {
    let key = Key {
        client: client.id(),
        task: task.clone(),
    };
    lock(&HANDED_OVER).insert(key, job_id.to_string());
}

/// Returns once the number of calls for `task` under way (with any client, joined to
/// a flight or not) satisfies `enough`: lets tests know that calls have arrived (or
/// left) without sleeping.
pub async fn until_callers(task: &TaskRef, enough: impl Fn(usize) -> bool) {
    loop {
        let changed = CHANGED.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let callers = lock(&CALLERS).get(task).copied().unwrap_or(0);
        if enough(callers) {
            return;
        }
        changed.await;
    }
}
