//! The simulator's world: instances, replication tasks, jobs, issued IAM tokens, the request
//! log and the fault queue, behind one `std::sync::Mutex`.
//!
//! All mutations of the simulated service happen here, in plain synchronous methods, so the
//! rules (which errors, which stage, which job) are testable without HTTP and the lock is never
//! held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use super::auth::Credentials;
use super::clock::{SimClock, now_timestamp};
use super::config::{Seed, SimConfig};
use super::errors::ApiError;
use super::faults::{Fault, FaultKind};
use super::identity_state::IdentityState;
use super::jobs::{JobPlan, JobRecord, SimJob, StageChange};
use super::record::{RecordedRequest, RequestLog};

/// Stage of a task that is replicating.
pub(crate) const STAGE_INCREMENTAL: &str = "Incremental";
/// Stage of a paused task.
pub(crate) const STAGE_PAUSED: &str = "Paused";

/// How long an issued IAM token stays valid.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A replication action that creates a job which, on completion, changes a task's stage.
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

    pub(crate) fn target_stage(self) -> &'static str {
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
    /// Jobs in creation order.
    jobs: Vec<JobRecord>,
    /// Plan given to jobs created from now on.
    job_plan: JobPlan,
    /// Tokens issued by the IAM endpoint and not revoked, with their expiry.
    tokens: HashMap<String, SystemTime>,
    /// How many tokens the IAM endpoint issued in total.
    tokens_issued: usize,
    requests: RequestLog,
    faults: VecDeque<Fault>,
    /// A task whose stage reads differently at every list read, if any.
    churn: Option<StageChurn>,
    /// Instances whose list never ends (project id, instance id).
    endless: Vec<(String, String)>,
    /// Agencies, identity providers, projects, and the temporary credentials issued.
    pub(crate) identity: IdentityState,
}

/// A task whose stage changes at every list read: `Churn<n>` padded with `x` to `len`
/// bytes (a service reporting ever-new, huge stages).
#[derive(Debug, Clone)]
struct StageChurn {
    project_id: String,
    instance_id: String,
    task: String,
    len: usize,
    reads: u64,
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

    /// Removes a task; returns whether it existed.
    pub(crate) fn remove_task(&mut self, project_id: &str, instance_id: &str, task: &str) -> bool {
        let Some(tasks) = self
            .instances
            .get_mut(&(project_id.to_owned(), instance_id.to_owned()))
        else {
            return false;
        };
        let before = tasks.len();
        tasks.retain(|t| t.name != task);
        tasks.len() != before
    }

    /// The stage of a task, if the task exists (after finishing jobs whose time has come).
    pub(crate) fn task_stage(
        &mut self,
        project_id: &str,
        instance_id: &str,
        task: &str,
    ) -> Option<String> {
        self.tick_jobs(Instant::now());
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

    /// From now on, every list read gives the task a new stage of `len` bytes; `None`
    /// stops that (the task keeps its last stage).
    pub(crate) fn churn_stage(
        &mut self,
        project_id: &str,
        instance_id: &str,
        task: &str,
        len: Option<usize>,
    ) {
        self.churn = len.map(|len| StageChurn {
            project_id: project_id.to_owned(),
            instance_id: instance_id.to_owned(),
            task: task.to_owned(),
            len,
            reads: 0,
        });
    }

    /// Makes an instance's list endless: every page holds as many fresh tasks as asked
    /// for, and no total is given.
    pub(crate) fn make_endless(&mut self, project_id: &str, instance_id: &str) {
        self.add_instance(project_id, instance_id);
        self.endless
            .push((project_id.to_owned(), instance_id.to_owned()));
    }

    /// Whether an instance's list is endless.
    pub(crate) fn is_endless(&self, project_id: &str, instance_id: &str) -> bool {
        self.endless
            .iter()
            .any(|(p, i)| p == project_id && i == instance_id)
    }

    /// The tasks of an instance, in insertion order, with their current stages (after
    /// finishing jobs whose time has come).
    pub(crate) fn tasks(
        &mut self,
        project_id: &str,
        instance_id: &str,
    ) -> Result<Vec<Task>, ApiError> {
        self.tick_jobs(Instant::now());
        if let Some(churn) = &mut self.churn
            && churn.project_id == project_id
            && churn.instance_id == instance_id
        {
            churn.reads += 1;
            let mut stage = format!("Churn{}", churn.reads);
            let pad = churn.len.saturating_sub(stage.len());
            stage.extend(std::iter::repeat_n('x', pad));
            let task = churn.task.clone();
            self.set_task_stage(project_id, instance_id, &task, &stage);
        }
        self.instances
            .get(&(project_id.to_owned(), instance_id.to_owned()))
            .cloned()
            .ok_or(ApiError::InstanceNotFound)
    }

    /// Starts a pause or resume job on a task, following the current [`JobPlan`]; the task's
    /// stage changes when (and if) the job completes, which may be right away. Pausing a task
    /// that reads `Paused`, or resuming one that does not, is refused (`AlreadyPaused`,
    /// `NotPaused`) without a job.
    pub(crate) fn apply(
        &mut self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        action: ReplicationAction,
    ) -> Result<SimJob, ApiError> {
        self.apply_at(project_id, instance_id, task_name, action, Instant::now())
    }

    fn apply_at(
        &mut self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        action: ReplicationAction,
        now: Instant,
    ) -> Result<SimJob, ApiError> {
        self.tick_jobs(now);
        let tasks = self
            .instances
            .get(&(project_id.to_owned(), instance_id.to_owned()))
            .ok_or(ApiError::InstanceNotFound)?;
        let task = tasks
            .iter()
            .find(|t| t.name == task_name)
            .ok_or(ApiError::TaskNotFound)?;
        let paused = task.stage.eq_ignore_ascii_case(STAGE_PAUSED);
        match action {
            ReplicationAction::Pause if paused => return Err(ApiError::AlreadyPaused),
            ReplicationAction::Resume if !paused => return Err(ApiError::NotPaused),
            _ => {}
        }
        let job = SimJob {
            id: uuid::Uuid::new_v4().to_string(),
            name: action.job_name().to_owned(),
            status: String::new(),
            instance_id: instance_id.to_owned(),
            task_name: task_name.to_owned(),
            project_id: project_id.to_owned(),
            process: String::new(),
            fail_reason: String::new(),
            created: now_timestamp(),
            ended: String::new(),
        };
        let (record, change) =
            JobRecord::start(job, self.job_plan.clone(), action.target_stage(), now);
        let job = record.job().clone();
        self.jobs.push(record);
        self.apply_change(change);
        Ok(job)
    }

    fn apply_change(&mut self, change: Option<StageChange>) {
        if let Some(c) = change {
            self.set_task_stage(&c.project_id, &c.instance_id, &c.task_name, c.stage);
        }
    }

    /// Finishes wall-time jobs whose duration has passed.
    fn tick_jobs(&mut self, now: Instant) {
        let changes: Vec<StageChange> = self
            .jobs
            .iter_mut()
            .filter_map(|record| record.tick(now))
            .collect();
        for change in changes {
            self.apply_change(Some(change));
        }
    }

    /// Sets the plan of jobs created from now on.
    pub(crate) fn set_job_plan(&mut self, plan: JobPlan) {
        self.job_plan = plan;
    }

    /// A job by id, in any project, as it stands (not counted as a poll).
    pub(crate) fn job(&mut self, job_id: &str) -> Option<SimJob> {
        self.tick_jobs(Instant::now());
        self.jobs
            .iter()
            .find(|r| r.job().id == job_id)
            .map(|r| r.job().clone())
    }

    /// Every job, in creation order.
    pub(crate) fn jobs(&mut self) -> Vec<SimJob> {
        self.tick_jobs(Instant::now());
        self.jobs.iter().map(|r| r.job().clone()).collect()
    }

    /// Answers one job query in `project_id`: advances the job's plan, and reports it unless
    /// it is still hidden (then, like an unknown job, `JobNotFound`).
    pub(crate) fn poll_job(&mut self, project_id: &str, job_id: &str) -> Result<SimJob, ApiError> {
        self.poll_job_at(project_id, job_id, Instant::now())
    }

    fn poll_job_at(
        &mut self,
        project_id: &str,
        job_id: &str,
        now: Instant,
    ) -> Result<SimJob, ApiError> {
        self.tick_jobs(now);
        let record = self
            .jobs
            .iter_mut()
            .find(|r| r.job().id == job_id && r.job().project_id == project_id)
            .ok_or(ApiError::JobNotFound)?;
        let (shown, change) = record.poll(now);
        self.apply_change(change);
        shown.ok_or(ApiError::JobNotFound)
    }

    /// Records a newly issued IAM token valid until `expires_at`.
    pub(crate) fn issue_token(&mut self, token: String, expires_at: SystemTime) {
        self.tokens.insert(token, expires_at);
        self.tokens_issued += 1;
    }

    /// Whether `token` was issued, not revoked, and has not expired at `now`.
    pub(crate) fn token_is_valid(&self, token: &str, now: SystemTime) -> bool {
        self.tokens.get(token).is_some_and(|expires| now < *expires)
    }

    /// How many tokens were issued in total.
    pub(crate) fn tokens_issued(&self) -> usize {
        self.tokens_issued
    }

    /// Makes every issued token invalid.
    pub(crate) fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }

    /// Keeps a request in the log (dropping the oldest beyond its limits); returns its
    /// sequence number and how many requests arrived so far.
    pub(crate) fn push_request(&mut self, record: RecordedRequest) -> (usize, usize) {
        self.requests.push(record)
    }

    /// The request log.
    pub(crate) fn request_log(&self) -> &RequestLog {
        &self.requests
    }

    /// Fills in the status sent for request `seq`.
    pub(crate) fn set_request_status(&mut self, seq: usize, status: u16) {
        self.requests.set_status(seq, status);
    }

    /// Request `seq` failed authentication: only its method, path and status are kept.
    pub(crate) fn refuse_request(&mut self, seq: usize) {
        self.requests.refuse(seq);
    }

    /// A copy of the kept requests, oldest first.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.records()
    }

    /// How many kept requests have this method (case-insensitive) and a path ending with
    /// `path_suffix`.
    pub(crate) fn count(&self, method: &str, path_suffix: &str) -> usize {
        self.requests.count(method, path_suffix)
    }

    /// Queues a fault behind the ones already waiting.
    pub(crate) fn inject(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Queues `n` copies of a fault.
    pub(crate) fn inject_many(&mut self, fault: &Fault, n: usize) {
        self.faults.extend(std::iter::repeat_n(fault, n).cloned());
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
    /// The configured token, access keys and IAM users.
    pub(crate) credentials: Credentials,
    /// Project reported in tokens scoped by project name (the seed's project).
    pub(crate) default_project_id: String,
    /// TCP connections accepted so far.
    pub(crate) connections: AtomicUsize,
    /// Flips to `true` when the simulator shuts down (releases hung requests, stops serving).
    pub(crate) shutdown: watch::Sender<bool>,
    /// Number of requests arrived so far, dropped ones included (lets tests wait without
    /// sleeping).
    pub(crate) recorded: watch::Sender<usize>,
    /// The time tokens and temporary credentials expire by.
    pub(crate) clock: SimClock,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Credentials` prints no secret.
        f.debug_struct("Shared")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Shared state for a simulator with these settings and starting world.
    pub(crate) fn new(config: &SimConfig, seed: &Seed) -> Shared {
        let mut state = SimState::from_seed(seed);
        state.set_job_plan(config.job_plan.clone());
        state.identity = IdentityState::new(config, &seed.project_id);
        state.requests = RequestLog::new(config.record_limits);
        Shared {
            state: Mutex::new(state),
            credentials: Credentials::from_config(config),
            default_project_id: seed.project_id.clone(),
            connections: AtomicUsize::new(0),
            shutdown: watch::Sender::new(false),
            recorded: watch::Sender::new(0),
            clock: SimClock::default(),
        }
    }

    /// Counts one accepted TCP connection.
    pub(crate) fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// TCP connections accepted so far.
    pub(crate) fn connection_count(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
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

    const P: &str = crate::config::DEMO_PROJECT_ID;
    const I: &str = crate::config::DEMO_INSTANCE_ID;

    #[test]
    fn seeded_tasks_start_incremental_in_order() {
        let mut state = world();
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
        assert_eq!(state.poll_job("other", &job.id), Err(ApiError::JobNotFound));
        assert_eq!(state.poll_job(P, &job.id), Ok(job.clone()));
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
    fn pausing_a_paused_task_or_resuming_a_running_one_is_refused_without_a_job() {
        let mut state = world();
        assert_eq!(
            state.apply(P, I, "orders_sync", ReplicationAction::Resume),
            Err(ApiError::NotPaused)
        );
        state
            .apply(P, I, "orders_sync", ReplicationAction::Pause)
            .expect("pause");
        assert_eq!(
            state.apply(P, I, "orders_sync", ReplicationAction::Pause),
            Err(ApiError::AlreadyPaused)
        );
        // The service's stage spelling varies; any case counts.
        state.set_task_stage(P, I, "users_sync", "PAUSED");
        assert_eq!(
            state.apply(P, I, "users_sync", ReplicationAction::Pause),
            Err(ApiError::AlreadyPaused)
        );
        assert_eq!(state.jobs().len(), 1, "refusals leave no job");
        // A pause whose job has not completed yet leaves the stage as it was: another pause
        // is accepted.
        state.set_job_plan(JobPlan {
            running_polls: 1,
            ..JobPlan::default()
        });
        state
            .apply(P, I, "payments_sync", ReplicationAction::Pause)
            .expect("pause");
        state
            .apply(P, I, "payments_sync", ReplicationAction::Pause)
            .expect("stage not yet paused");
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
    fn planned_jobs_change_the_stage_only_on_completion() {
        let mut state = world();
        let now = Instant::now();
        state.set_job_plan(JobPlan {
            hidden_polls: 1,
            running_polls: 1,
            ..JobPlan::default()
        });
        let job = state
            .apply_at(P, I, "orders_sync", ReplicationAction::Pause, now)
            .expect("pause");
        assert_eq!(job.status, "Running");
        assert_eq!(job.ended, "");
        assert_eq!(state.jobs(), vec![job.clone()]);
        assert_eq!(
            state.poll_job_at(P, &job.id, now),
            Err(ApiError::JobNotFound)
        );
        let running = state.poll_job_at(P, &job.id, now).expect("visible");
        assert_eq!(running.status, "Running");
        assert_eq!(
            state.task_stage(P, I, "orders_sync").as_deref(),
            Some("Incremental")
        );
        let done = state.poll_job_at(P, &job.id, now).expect("visible");
        assert_eq!(done.status, "Completed");
        assert_eq!(
            state.task_stage(P, I, "orders_sync").as_deref(),
            Some("Paused")
        );

        // A timed job completes when due, seen through the task list without any job query.
        state.set_job_plan(JobPlan::timed(Duration::from_secs(30)));
        let job = state
            .apply_at(P, I, "orders_sync", ReplicationAction::Resume, now)
            .expect("resume");
        state.tick_jobs(now + Duration::from_secs(29));
        assert_eq!(
            state.job(&job.id).map(|j| j.status).as_deref(),
            Some("Running")
        );
        state.tick_jobs(now + Duration::from_secs(30));
        let tasks = state.tasks(P, I).expect("tasks");
        assert_eq!(tasks[0].stage, "Incremental");
    }

    #[test]
    fn removed_tasks_are_gone_and_their_jobs_change_nothing() {
        let mut state = world();
        state.set_job_plan(JobPlan {
            running_polls: 1,
            ..JobPlan::default()
        });
        let job = state
            .apply(P, I, "users_sync", ReplicationAction::Pause)
            .expect("pause");
        assert!(state.remove_task(P, I, "users_sync"));
        assert!(!state.remove_task(P, I, "users_sync"));
        assert!(!state.remove_task(P, "nope", "users_sync"));
        assert_eq!(state.task_stage(P, I, "users_sync"), None);
        assert_eq!(state.tasks(P, I).map(|t| t.len()), Ok(2));
        assert_eq!(
            state.apply(P, I, "users_sync", ReplicationAction::Pause),
            Err(ApiError::TaskNotFound)
        );
        let _ = state.poll_job(P, &job.id);
        let done = state.poll_job(P, &job.id).expect("job");
        assert_eq!(done.status, "Completed");
        assert_eq!(state.task_stage(P, I, "users_sync"), None);
    }

    #[test]
    fn issued_tokens_expire_and_can_be_revoked() {
        let mut state = SimState::default();
        let now = SystemTime::now();
        state.issue_token("a".to_owned(), now + TOKEN_LIFETIME);
        state.issue_token("b".to_owned(), now + TOKEN_LIFETIME);
        assert_eq!(state.tokens_issued(), 2);
        assert!(state.token_is_valid("a", now));
        assert!(!state.token_is_valid("a", now + TOKEN_LIFETIME));
        assert!(!state.token_is_valid("c", now));
        state.revoke_tokens();
        assert!(!state.token_is_valid("a", now));
        assert_eq!(state.tokens_issued(), 2);
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
        state.inject_many(&Fault::any(FaultKind::Hang), 2);
        assert_eq!(state.take_fault("GET", "/a"), Some(FaultKind::Hang));
        assert_eq!(state.take_fault("GET", "/a"), Some(FaultKind::Hang));
        assert_eq!(state.take_fault("GET", "/a"), None);
    }
}
