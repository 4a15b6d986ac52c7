//! The simulator's world: instances, replication tasks, jobs, the request log and the fault
//! queue, behind one `std::sync::Mutex`.
//!
//! All mutations of the simulated service happen here, in plain synchronous methods, so the
//! rules (which errors, which stage, which job) are testable without HTTP and the lock is never
//! held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::clock::now_timestamp;
use super::config::Seed;
use super::errors::ApiError;
use super::faults::{Fault, FaultKind};
use super::record::RecordedRequest;

/// Stage of a task that is replicating.
pub(crate) const STAGE_INCREMENTAL: &str = "Incremental";
/// Stage of a paused task.
pub(crate) const STAGE_PAUSED: &str = "Paused";

/// A job as the simulator recorded it (what `GET /v3/{project}/jobs?id=` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimJob {
    /// Job id, as returned in `job_id`.
    pub id: String,
    /// Job name, e.g. `PauseStarRocksDataReplication`.
    pub name: String,
    /// `Completed` (simulated jobs finish at once).
    pub status: String,
    /// Instance the job ran on.
    pub instance_id: String,
    /// Task the job paused or resumed.
    pub task_name: String,
    /// Project the job belongs to.
    pub project_id: String,
    /// Progress, e.g. `100%`.
    pub process: String,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS+0000`.
    pub created: String,
    /// End time, same format.
    pub ended: String,
}

/// A replication action that changes a task's stage and leaves a job behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplicationAction {
    /// `POST .../replication/pause`.
    Pause,
    /// `POST .../replication/resume`.
    Resume,
}

impl ReplicationAction {
    fn job_name(self) -> &'static str {
        match self {
            ReplicationAction::Pause => "PauseStarRocksDataReplication",
            ReplicationAction::Resume => "ResumeStarRocksDataReplication",
        }
    }

    fn target_stage(self) -> &'static str {
        match self {
            ReplicationAction::Pause => STAGE_PAUSED,
            ReplicationAction::Resume => STAGE_INCREMENTAL,
        }
    }
}

/// One replication task of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Task {
    /// Task name (unique within its instance).
    pub name: String,
    /// Current stage, e.g. `Incremental` or `Paused`.
    pub stage: String,
}

impl Task {
    /// The database the task reads from and writes to (the name without a `_sync` suffix).
    pub(crate) fn database(&self) -> &str {
        self.name.strip_suffix("_sync").unwrap_or(&self.name)
    }
}

/// The mutable world. Only reachable through [`Shared::lock`].
#[derive(Debug, Default)]
pub(crate) struct SimState {
    /// Instances keyed by (project id, instance id); tasks in insertion order.
    instances: HashMap<(String, String), Vec<Task>>,
    jobs: HashMap<String, SimJob>,
    requests: Vec<RecordedRequest>,
    faults: VecDeque<Fault>,
}

impl SimState {
    /// A world holding the seed's instances and tasks.
    pub(crate) fn from_seed(seed: &Seed) -> SimState {
        let mut state = SimState::default();
        for instance in &seed.instances {
            state.add_instance(&seed.project_id, &instance.instance_id);
            for task in &instance.tasks {
                state.add_task(&seed.project_id, &instance.instance_id, task);
            }
        }
        state
    }

    /// Creates an empty instance; no-op if it exists.
    pub(crate) fn add_instance(&mut self, project_id: &str, instance_id: &str) {
        self.instances
            .entry((project_id.to_owned(), instance_id.to_owned()))
            .or_default();
    }

    /// Adds a task at stage `Incremental`, creating the instance if needed; no-op if the task
    /// exists.
    pub(crate) fn add_task(&mut self, project_id: &str, instance_id: &str, task_name: &str) {
        let tasks = self
            .instances
            .entry((project_id.to_owned(), instance_id.to_owned()))
            .or_default();
        if !tasks.iter().any(|t| t.name == task_name) {
            tasks.push(Task {
                name: task_name.to_owned(),
                stage: STAGE_INCREMENTAL.to_owned(),
            });
        }
    }

    fn task_mut(&mut self, project_id: &str, instance_id: &str, task: &str) -> Option<&mut Task> {
        self.instances
            .get_mut(&(project_id.to_owned(), instance_id.to_owned()))?
            .iter_mut()
            .find(|t| t.name == task)
    }

    /// The stage of a task, if the task exists.
    pub(crate) fn task_stage(
        &self,
        project_id: &str,
        instance_id: &str,
        task: &str,
    ) -> Option<String> {
        self.instances
            .get(&(project_id.to_owned(), instance_id.to_owned()))?
            .iter()
            .find(|t| t.name == task)
            .map(|t| t.stage.clone())
    }

    /// Sets a task's stage; no-op if the task does not exist.
    pub(crate) fn set_task_stage(
        &mut self,
        project_id: &str,
        instance_id: &str,
        task: &str,
        stage: &str,
    ) {
        if let Some(t) = self.task_mut(project_id, instance_id, task) {
            stage.clone_into(&mut t.stage);
        }
    }

    /// The tasks of an instance, in insertion order.
    pub(crate) fn tasks(&self, project_id: &str, instance_id: &str) -> Result<Vec<Task>, ApiError> {
        self.instances
            .get(&(project_id.to_owned(), instance_id.to_owned()))
            .cloned()
            .ok_or(ApiError::InstanceNotFound)
    }

    /// Pauses or resumes a task and records the (already completed) job.
    pub(crate) fn apply(
        &mut self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        action: ReplicationAction,
    ) -> Result<SimJob, ApiError> {
        let key = (project_id.to_owned(), instance_id.to_owned());
        let tasks = self
            .instances
            .get_mut(&key)
            .ok_or(ApiError::InstanceNotFound)?;
        let task = tasks
            .iter_mut()
            .find(|t| t.name == task_name)
            .ok_or(ApiError::TaskNotFound)?;
        action.target_stage().clone_into(&mut task.stage);
        let now = now_timestamp();
        let job = SimJob {
            id: uuid::Uuid::new_v4().to_string(),
            name: action.job_name().to_owned(),
            status: "Completed".to_owned(),
            instance_id: instance_id.to_owned(),
            task_name: task_name.to_owned(),
            project_id: project_id.to_owned(),
            process: "100%".to_owned(),
            created: now.clone(),
            ended: now,
        };
        self.jobs.insert(job.id.clone(), job.clone());
        Ok(job)
    }

    /// A job by id, in any project.
    pub(crate) fn job(&self, job_id: &str) -> Option<SimJob> {
        self.jobs.get(job_id).cloned()
    }

    /// A job by id, only if it belongs to `project_id`.
    pub(crate) fn job_in_project(
        &self,
        project_id: &str,
        job_id: &str,
    ) -> Result<SimJob, ApiError> {
        self.jobs
            .get(job_id)
            .filter(|j| j.project_id == project_id)
            .cloned()
            .ok_or(ApiError::JobNotFound)
    }

    /// Appends a request to the log; returns its index and the new log length.
    pub(crate) fn push_request(&mut self, record: RecordedRequest) -> (usize, usize) {
        self.requests.push(record);
        (self.requests.len() - 1, self.requests.len())
    }

    /// Fills in the status sent for the request at `index`.
    pub(crate) fn set_request_status(&mut self, index: usize, status: u16) {
        if let Some(record) = self.requests.get_mut(index) {
            record.status = status;
        }
    }

    /// A copy of the request log.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.clone()
    }

    /// How many logged requests have this method (case-insensitive) and a path ending with
    /// `path_suffix`.
    pub(crate) fn count(&self, method: &str, path_suffix: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.ends_with(path_suffix))
            .count()
    }

    /// Queues a fault behind the ones already waiting.
    pub(crate) fn inject(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Removes and returns the oldest queued fault matching this request, if any.
    pub(crate) fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let position = self.faults.iter().position(|f| f.matches(method, path))?;
        self.faults.remove(position).map(|f| f.kind)
    }
}

/// Everything the server tasks and the handles share.
pub(crate) struct Shared {
    state: Mutex<SimState>,
    /// The accepted `X-Auth-Token`.
    pub(crate) auth_token: String,
    /// Flips to `true` when the simulator shuts down (releases hung requests, stops serving).
    pub(crate) shutdown: watch::Sender<bool>,
    /// Number of requests recorded so far (lets tests wait without sleeping).
    pub(crate) recorded: watch::Sender<usize>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("Shared")
            .field("auth_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Shared state for a simulator with this token and starting world.
    pub(crate) fn new(auth_token: String, seed: &Seed) -> Shared {
        Shared {
            state: Mutex::new(SimState::from_seed(seed)),
            auth_token,
            shutdown: watch::Sender::new(false),
            recorded: watch::Sender::new(0),
        }
    }

    /// Locks the world. A panic elsewhere while holding the lock does not make it unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves once shutdown has begun.
    pub(crate) async fn shutting_down(&self) {
        let mut rx = self.shutdown.subscribe();
        // An error means the sender is gone, which also means shutting down.
        let _ = rx.wait_for(|stopping| *stopping).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> SimState {
        SimState::from_seed(&Seed::demo())
    }

    const P: &str = crate::sim::config::DEMO_PROJECT_ID;
    const I: &str = crate::sim::config::DEMO_INSTANCE_ID;

    #[test]
    fn seeded_tasks_start_incremental_in_order() {
        let state = world();
        let tasks = state.tasks(P, I).expect("instance");
        let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["orders_sync", "users_sync", "payments_sync"]);
        assert!(tasks.iter().all(|t| t.stage == STAGE_INCREMENTAL));
        assert_eq!(tasks[0].database(), "orders");
    }

    #[test]
    fn apply_checks_instance_then_task() {
        let mut state = world();
        assert_eq!(
            state.apply(P, "nope", "orders_sync", ReplicationAction::Pause),
            Err(ApiError::InstanceNotFound)
        );
        assert_eq!(
            state.apply("other", I, "orders_sync", ReplicationAction::Pause),
            Err(ApiError::InstanceNotFound)
        );
        assert_eq!(
            state.apply(P, I, "nope", ReplicationAction::Pause),
            Err(ApiError::TaskNotFound)
        );
        let job = state
            .apply(P, I, "orders_sync", ReplicationAction::Pause)
            .expect("pause");
        assert_eq!(job.name, "PauseStarRocksDataReplication");
        assert_eq!(
            state.task_stage(P, I, "orders_sync").as_deref(),
            Some("Paused")
        );
        assert_eq!(state.job(&job.id), Some(job.clone()));
        assert_eq!(
            state.job_in_project("other", &job.id),
            Err(ApiError::JobNotFound)
        );
        let job = state
            .apply(P, I, "orders_sync", ReplicationAction::Resume)
            .expect("resume");
        assert_eq!(job.name, "ResumeStarRocksDataReplication");
        assert_eq!(
            state.task_stage(P, I, "orders_sync").as_deref(),
            Some("Incremental")
        );
    }

    #[test]
    fn add_task_is_idempotent_and_creates_the_instance() {
        let mut state = SimState::default();
        state.add_task("p", "i", "t1");
        state.set_task_stage("p", "i", "t1", "Paused");
        state.add_task("p", "i", "t1");
        assert_eq!(state.task_stage("p", "i", "t1").as_deref(), Some("Paused"));
        assert_eq!(state.tasks("p", "i").map(|t| t.len()), Ok(1));
        state.set_task_stage("p", "i", "missing", "Paused");
        assert_eq!(state.task_stage("p", "i", "missing"), None);
    }

    #[test]
    fn faults_are_taken_fifo_among_matches() {
        let mut state = SimState::default();
        let first = FaultKind::api_error(500, "A", "a");
        let second = FaultKind::api_error(500, "B", "b");
        state.inject(Fault::on("POST", "/pause", first.clone()));
        state.inject(Fault::any(second.clone()));
        assert_eq!(state.take_fault("GET", "/list"), Some(second));
        assert_eq!(state.take_fault("GET", "/list"), None);
        assert_eq!(state.take_fault("POST", "/x/pause"), Some(first));
        assert_eq!(state.take_fault("POST", "/x/pause"), None);
    }
}
