//! `taurusdb_replication_pause`: plan and apply turned into pause calls.
//!
//! Plan calls no API. Create pauses once, keeps the job ID, and (by default) waits
//! until the job completed and the task reads Paused, within `timeouts.create`. If the
//! pause happened but the wait did not end well, the state with the job ID is returned
//! together with the error, so Terraform records it (tainted) and nothing is lost.
//! Read refreshes `stage`; a task resumed behind Terraform's back, or changed triggers,
//! plan an in-place update that pauses again (no resume in between); a task that no
//! longer exists leaves state with a warning. Changing instance_id, task_name or
//! project_id plans a replacement (another task). Destroy changes nothing and warns,
//! unless `resume_on_destroy` asks it to resume the task and wait; its warning reads
//! the task's stage and says what is true (paused, not paused, or a pause job this
//! resource recorded still running, which a replacement then waits for instead of
//! pausing again: see [`flight`](taurusdb_api::job::flight)).
//!
//! A pause or resume counts as "not done" only when the answer proves it (a 4xx refusal,
//! no connection); any other answer (5xx, redirect, broken connection) may have come after
//! the work was done. A refusal while the task already reads the target stage ends well
//! (see [`refused`](taurusdb_api::job::refused)). Create, the re-pause and destroy
//! run the same job flow ([`taurusdb_api::job`]); this file says what its outcomes mean
//! for state.

pub mod model;
pub mod plan;

use std::sync::Arc;

use crate::taurusdb::handle::ProviderHandle;
use crate::taurusdb::task::diagnose::{self, Aftermath, Operation, Verb, Worded};
use crate::taurusdb::task::{ImportId, identity};
use model::{PauseState, SCHEMA_VERSION, TYPE_NAME, attrs, timeout_path};
use plan::Change;
use stdx::printable::printable;
use taurusdb_api::job::{self, Gone, JobKind, JobRequest, flight};
use taurusdb_api::wait::{self, WaitPolicy};
use taurusdb_api::{ApiClient, JobStatus, TaskRef};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::identity::IdentitySchema;
use tfplugin::tf::path::AttrPath;
use tfplugin::tf::provider::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, RequestContext, Resource,
};
use tfplugin::tf::schema::Schema;
use tfplugin::tf::value::Value;

pub struct ReplicationPause {
    schema: Schema,
    identity: IdentitySchema,
    provider: Arc<ProviderHandle>,
    wait_policy: WaitPolicy,
}

impl ReplicationPause {
    pub fn new(provider: Arc<ProviderHandle>, wait_policy: WaitPolicy) -> Self {
        Self {
            schema: model::schema(),
            identity: identity::schema(),
            provider,
            wait_policy,
        }
    }

    /// The provider's project (configured, or looked up for its region); Null when it
    /// has none. Looked up only for `wanted_for`, an attribute that is null.
    async fn default_project(
        &self,
        ctx: &RequestContext,
        wanted_for: &Attr<String>,
    ) -> Result<Attr<String>, Diagnostic> {
        if !wanted_for.is_null() {
            return Ok(Attr::Null);
        }
        let Ok(configured) = self.provider.configured(ctx) else {
            return Ok(Attr::Null);
        };
        configured.default_project(&ctx.cancel).await
    }

    fn client(&self, ctx: &RequestContext) -> Result<ApiClient, Diagnostic> {
        let configured = self.provider.configured(ctx)?;
        configured.client().cloned()
    }

    async fn plan_change(
        &self,
        ctx: &RequestContext,
        req: &PlanRequest,
    ) -> Result<(PauseState, Vec<AttrPath>), Diagnostics> {
        let config = PauseState::from_value(&req.config)?;
        let diagnostics = config.validate();
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let prior = if req.prior.is_null() {
            None
        } else {
            Some(PauseState::from_value(&req.prior)?)
        };
        let default_project = self.default_project(ctx, &config.project_id).await?;
        let (planned, change) = plan::plan(config, prior.as_ref(), default_project)?;
        if change == Change::Create {
            // A create will need the API: say now, before anything is applied, if the
            // provider cannot reach it or has no credentials to call it with.
            let configured = self.provider.configured(ctx)?;
            // Unless the provider's configuration is not known yet: then the plan goes
            // on, and apply (configured again, with the values) needs the client.
            if !configured.is_deferred() {
                configured
                    .client()?
                    .ready(&ctx.cancel)
                    .await
                    .map_err(|err| diagnose::credentials_unavailable(&err))?;
            }
        }
        Ok((planned, change.requires_replace()))
    }

    /// Runs a `kind` job on `task` (the one `state` names) within the timeout for it:
    /// `timeouts.create` for a pause, `timeouts.delete` for a resume.
    async fn run_job(
        &self,
        ctx: &RequestContext,
        state: &PauseState,
        task: &TaskRef,
        kind: JobKind,
    ) -> Result<Worded, Diagnostic> {
        let client = self.client(ctx)?;
        let timeout = state.timeout(timeout_of(kind))?;
        // A resume on destroy always waits, and a task that is gone leaves nothing to
        // resume; a pause waits as wait_for_completion says, and needs its task.
        let request = JobRequest {
            kind,
            task,
            timeout,
            wait: (kind == JobKind::Resume || state.waits()).then_some(self.wait_policy),
            gone_ends_it: kind == JobKind::Resume,
            observer: None,
        };
        let outcome = job::run(&client, request, &ctx.cancel).await;
        let op = Operation { kind, task };
        Ok(diagnose::worded(outcome, op, &aftermath(kind)))
    }

    /// Pauses the task `state` names and (unless told not to) waits for it, within
    /// timeouts.create. Used by create and by the in-place re-pause.
    async fn pause_and_wait(&self, ctx: &RequestContext, state: &PauseState) -> PauseOutcome {
        let task = match state.task_ref() {
            Ok(task) => task,
            Err(d) => return PauseOutcome::NotDone(d),
        };
        let outcome = match self.run_job(ctx, state, &task, JobKind::Pause).await {
            Ok(outcome) => outcome,
            Err(d) => return PauseOutcome::NotDone(d),
        };
        let mut done = state.clone();
        done.id = done.derived_id();
        match outcome {
            Worded::Done {
                job_id,
                stage,
                warnings,
            } => {
                done.job_id = job_id.into();
                done.stage = stage.into();
                PauseOutcome::Done(done, warnings)
            }
            Worded::NotDone(diagnostic) => PauseOutcome::NotDone(diagnostic),
            Worded::Uncertain { job_id, diagnostic } => {
                done.job_id = job_id.into();
                done.stage = Attr::Null;
                PauseOutcome::Uncertain(done, diagnostic)
            }
            // Not with gone_ends_it unset, as for a pause; an error all the same.
            Worded::Gone(gone) => {
                let op = Operation {
                    kind: JobKind::Pause,
                    task: &task,
                };
                PauseOutcome::NotDone(diagnose::gone(&gone, op))
            }
        }
    }

    async fn create(&self, ctx: &RequestContext, planned: &Value) -> ApplyResponse {
        let mut state = match PauseState::from_value(planned) {
            Ok(state) => state,
            Err(d) => return failed(d),
        };
        // Planned while the provider's configuration was not known: its project is
        // known now (configured, or looked up).
        if state.project_id.is_unknown() {
            match self.default_project(ctx, &Attr::Null).await {
                Ok(Attr::Known(project)) => state.project_id = Attr::Known(project),
                Ok(_) => {
                    let configured = self.provider.configured(ctx);
                    let d = configured
                        .and_then(|c| c.client().map(|_| ()))
                        .err()
                        .unwrap_or_else(plan::missing_project);
                    return failed(d);
                }
                Err(d) => return failed(d),
            }
        }
        match self.pause_and_wait(ctx, &state).await {
            PauseOutcome::Done(state, warnings) => succeeded(state, warnings),
            PauseOutcome::NotDone(d) => failed(d),
            // Returned with the error, so Terraform records it (tainted).
            PauseOutcome::Uncertain(state, d) => succeeded(state, d.into()),
        }
    }

    /// An in-place update: triggers changed or the task was resumed behind Terraform's
    /// back (planned job_id unknown), so pause again; otherwise only flags changed.
    async fn update(&self, ctx: &RequestContext, req: ApplyRequest) -> ApplyResponse {
        let (prior, planned) = match (
            PauseState::from_value(&req.prior),
            PauseState::from_value(&req.planned),
        ) {
            (Ok(prior), Ok(planned)) => (prior, planned),
            (Err(d), _) | (_, Err(d)) => return kept(&req.prior, d),
        };
        if !planned.job_id.is_unknown() {
            return ApplyResponse {
                new_state: req.planned,
                private: req.planned_private,
                diagnostics: Diagnostics::new(),
            };
        }
        match self.pause_and_wait(ctx, &planned).await {
            PauseOutcome::Done(state, warnings) => succeeded(state, warnings),
            PauseOutcome::NotDone(d) => kept(&req.prior, d),
            // Keep the prior values (so the re-pause stays pending) but record any new
            // job ID: nothing the service did is lost.
            PauseOutcome::Uncertain(state, d) => {
                let mut kept_state = prior;
                if state.job_id.known().is_some() {
                    kept_state.job_id = state.job_id;
                }
                succeeded(kept_state, d.into())
            }
        }
    }

    async fn destroy(&self, ctx: &RequestContext, prior: &Value) -> ApplyResponse {
        let state = match PauseState::from_value(prior) {
            Ok(state) => state,
            Err(d) => return kept(prior, d),
        };
        if !state.resumes_on_destroy() {
            return removed(self.left_as_it_is(ctx, &state).await.into());
        }
        let outcome = match state.task_ref() {
            Ok(task) => self.run_job(ctx, &state, &task, JobKind::Resume).await,
            Err(d) => Err(d),
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(d) => return kept(prior, d),
        };
        let gone =
            |detail: String| removed(Diagnostic::warning("Nothing to resume", detail).into());
        match outcome {
            Worded::Done { warnings, .. } => removed(warnings),
            Worded::Gone(Gone::Refused(err)) => gone(format!(
                "The task no longer exists ({err}); it was removed from state."
            )),
            Worded::Gone(Gone::DuringWait) => gone(DISAPPEARED_WHILE_RESUMING.into()),
            Worded::NotDone(d) | Worded::Uncertain { diagnostic: d, .. } => kept(prior, d),
        }
    }
}

impl ReplicationPause {
    /// What a destroy without `resume_on_destroy` tells the user: what the task is left
    /// as, read from its stage (the ground truth), not assumed. A pause job this resource
    /// recorded that is still running (an apply stopped before its wait ended, the
    /// resource tainted) is handed over ([`flight::hand_over`]): a replacement created in
    /// this run (the destroy of a replaced resource comes before the create, unless
    /// `create_before_destroy`) waits for that job instead of pausing again.
    async fn left_as_it_is(&self, ctx: &RequestContext, state: &PauseState) -> Diagnostic {
        let removal = format!(
            "Destroying {TYPE_NAME} only removes it from Terraform state: the data \
             synchronization task stays as it is (set {} = true to resume it on destroy).",
            attrs::RESUME_ON_DESTROY
        );
        let left = |why: String| {
            Diagnostic::warning("Replication task left as it is", format!("{why} {removal}"))
        };
        let (task, client) = match (state.task_ref(), self.client(ctx)) {
            (Ok(task), Ok(client)) => (task, client),
            (Err(d), _) | (_, Err(d)) => {
                return left(format!("Its stage could not be checked: {}", d.detail));
            }
        };
        let stage = match client.find_replication(&task, &ctx.cancel).await {
            Ok(Some(found)) => found.stage.unwrap_or_default(),
            Ok(None) => return left(format!("Instance {:?} lists no such task.", task.instance)),
            Err(err) => {
                return left(format!(
                    "Its stage could not be read ({}).",
                    printable(&err.to_string())
                ));
            }
        };
        if wait::is_paused(&stage) {
            return Diagnostic::warning("Replication task left paused", removal);
        }
        let stage = printable(&stage);
        let Some(job_id) = state.job_id.known() else {
            return Diagnostic::warning(
                "Replication task not paused",
                format!("The task reads {stage:?}: nothing is paused. {removal}"),
            );
        };
        let job = match client.show_job(&task.project, job_id, &ctx.cancel).await {
            Ok(Some(job)) if matches!(job.status, JobStatus::Pending | JobStatus::Running) => {
                flight::hand_over(&client, &task, job_id);
                return Diagnostic::warning(
                    format!("The pause job {job_id} is still running"),
                    format!(
                        "The task reads {stage:?}: it is not paused yet, and the pause job \
                         {job_id} this resource recorded is still {}. {removal} A replacement \
                         created in this run waits for that job instead of pausing again.",
                        job.status.name()
                    ),
                );
            }
            Ok(Some(job)) => format!("ended {}", printable(job.status.name())),
            Ok(None) => "is not known to the jobs API".to_string(),
            Err(err) => format!("could not be read: {}", printable(&err.to_string())),
        };
        Diagnostic::warning(
            "Replication task not paused",
            format!(
                "The task reads {stage:?}: nothing is paused (the pause job {job_id} this \
                 resource recorded {job}). {removal}"
            ),
        )
    }

    /// The state an import of `import` starts from (read refreshes it next); `source`
    /// says where the task was named, for diagnostics.
    async fn import_task(
        &self,
        ctx: &RequestContext,
        import: ImportId,
        source: &str,
    ) -> ImportResponse {
        let default_project = match self
            .default_project(ctx, &import.project_id.clone().into())
            .await
        {
            Ok(project) => project,
            Err(d) => {
                return ImportResponse {
                    state: None,
                    diagnostics: d.into(),
                };
            }
        };
        let state = PauseState::from_import(import, default_project);
        let mut diagnostics = state.validate();
        if diagnostics.has_errors() {
            for d in &mut diagnostics.0 {
                d.path = None;
                d.detail = format!("{} (in {source})", d.detail);
            }
            return ImportResponse {
                state: None,
                diagnostics,
            };
        }
        let state = PauseState {
            id: state.derived_id(),
            ..state
        };
        ImportResponse {
            state: Some(state.to_value()),
            diagnostics,
        }
    }
}

/// What a pause attempt left behind.
enum PauseOutcome {
    /// Paused (and, if asked, confirmed); the state carries job_id and stage.
    Done(PauseState, Diagnostics),
    /// Nothing happened remotely.
    NotDone(Diagnostic),
    /// The pause happened or may have happened, but not everything went well; the state
    /// carries the job ID when one is known.
    Uncertain(PauseState, Diagnostic),
}

/// The timeout that bounds a `kind` job.
fn timeout_of(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Pause => attrs::CREATE,
        JobKind::Resume => attrs::DELETE,
    }
}

const PAUSE_UNCERTAIN: &str = "The resource is recorded without a job ID (tainted); the next \
     apply pauses the task again (and ends well if the task already reads Paused).";
const RESUME_UNCERTAIN: &str = "The resource stays in state; the next destroy resumes the task \
     again (and ends well if the task already runs).";
const RESUME_FAILED: &str = "The resource stays in state; the next destroy resumes the task again.";
const DISAPPEARED_WHILE_RESUMING: &str =
    "The task disappeared while it was being resumed; it was removed from state.";
const REMOVED_AFTER_READ: &str = "The resource was removed from state; the next apply pauses \
     again if it is still configured.";
const NOT_REFRESHED: &str = "Replication pause not refreshed";

/// What this resource keeps after a failed or unsure pause (create, re-pause) or resume
/// (destroy).
fn aftermath(kind: JobKind) -> Aftermath {
    let bound = timeout_path(timeout_of(kind)).to_string();
    match kind {
        JobKind::Pause => Aftermath {
            bound,
            if_uncertain: PAUSE_UNCERTAIN,
            if_not_sent: "Nothing was paused",
            if_job_failed: |job_id| {
                format!(
                    "The job ID {job_id} is recorded in state, and the next apply pauses the \
                     task again."
                )
            },
        },
        JobKind::Resume => Aftermath {
            bound,
            if_uncertain: RESUME_UNCERTAIN,
            if_not_sent: "Nothing was resumed; the resource stays in state",
            if_job_failed: |_| RESUME_FAILED.to_string(),
        },
    }
}

fn succeeded(state: PauseState, diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        new_state: state.to_value(),
        private: Vec::new(),
        diagnostics,
    }
}

/// Nothing happened remotely: no state, one error.
fn failed(diagnostic: Diagnostic) -> ApplyResponse {
    removed(diagnostic.into())
}

/// The resource leaves state.
fn removed(diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        new_state: Value::Null,
        private: Vec::new(),
        diagnostics,
    }
}

/// A change that did not happen: the resource stays in state as it was.
fn kept(prior: &Value, diagnostic: Diagnostic) -> ApplyResponse {
    ApplyResponse {
        new_state: prior.clone(),
        private: Vec::new(),
        diagnostics: diagnostic.into(),
    }
}

#[tonic::async_trait]
impl Resource for ReplicationPause {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match PauseState::from_value(config) {
            Ok(config) => config.validate(),
            Err(d) => d.into(),
        }
    }

    async fn plan(&self, ctx: &RequestContext, req: PlanRequest) -> PlanResponse {
        if req.proposed.is_null() {
            return PlanResponse {
                planned: Value::Null,
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
                diagnostics: Diagnostics::new(),
            };
        }
        match self.plan_change(ctx, &req).await {
            Ok((planned, requires_replace)) => PlanResponse {
                planned: planned.to_value(),
                requires_replace,
                planned_private: req.prior_private,
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostics) => PlanResponse {
                planned: req.proposed,
                requires_replace: Vec::new(),
                planned_private: req.prior_private,
                diagnostics,
            },
        }
    }

    async fn apply(&self, ctx: &RequestContext, req: ApplyRequest) -> ApplyResponse {
        if req.planned.is_null() {
            return self.destroy(ctx, &req.prior).await;
        }
        if req.prior.is_null() {
            return self.create(ctx, &req.planned).await;
        }
        self.update(ctx, req).await
    }

    async fn read(&self, ctx: &RequestContext, req: ReadRequest) -> ReadResponse {
        let unchanged = |diagnostics: Diagnostics| ReadResponse {
            new_state: req.current.clone(),
            private: req.private.clone(),
            diagnostics,
        };
        if req.current.is_null() {
            return unchanged(Diagnostics::new());
        }
        let mut state = match PauseState::from_value(&req.current) {
            Ok(state) => state,
            Err(d) => return unchanged(d.into()),
        };
        let client = match self.client(ctx) {
            Ok(client) => client,
            Err(d) => {
                let detail = format!(
                    "The task's stage could not be checked: {} {}",
                    d.summary, d.detail
                );
                return unchanged(Diagnostic::warning(NOT_REFRESHED, detail).into());
            }
        };
        // State imported before any project was known: the provider's default applies.
        let default_project = match self.default_project(ctx, &state.project_id).await {
            Ok(project) => project,
            Err(d) => {
                let detail = format!("The task's stage could not be checked: {}", d.detail);
                return unchanged(Diagnostic::warning(NOT_REFRESHED, detail).into());
            }
        };
        state.project_id = state.project_id.clone().or(default_project);
        if state.project_id.is_null() {
            let detail = format!(
                "This resource has no {p} and the provider has none either, so its task \
                 cannot be looked up. Set {p}.",
                p = attrs::PROJECT_ID
            );
            return unchanged(
                Diagnostic::warning(NOT_REFRESHED, detail)
                    .at(AttrPath::attr(attrs::PROJECT_ID))
                    .into(),
            );
        }
        let task = match state.task_ref() {
            Ok(task) => task,
            Err(d) => return unchanged(d.into()),
        };
        let removed = |why: String| ReadResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostic::warning(
                "Replication task no longer exists",
                format!("{why} {REMOVED_AFTER_READ}"),
            )
            .into(),
        };
        match client.find_replication(&task, &ctx.cancel).await {
            Ok(Some(found)) => {
                state.stage = found.stage.into();
                ReadResponse {
                    new_state: state.to_value(),
                    private: req.private,
                    diagnostics: Diagnostics::new(),
                }
            }
            Ok(None) => removed(format!(
                "Instance {:?} lists no synchronization task {:?}.",
                task.instance, task.task
            )),
            Err(err) if err.is_task_gone() => removed(format!("TaurusDB answered: {err}.")),
            Err(err) => unchanged(diagnose::api_failed(&err, Verb::Read, &task).into()),
        }
    }

    async fn import(&self, ctx: &RequestContext, id: &str) -> ImportResponse {
        let Some(import) = ImportId::parse(id) else {
            let detail = format!(
                "Expected <{i}>/<{t}> or <{p}>/<{i}>/<{t}>, got {id:?}.",
                i = attrs::INSTANCE_ID,
                t = attrs::TASK_NAME,
                p = attrs::PROJECT_ID
            );
            return ImportResponse {
                state: None,
                diagnostics: Diagnostic::error("Invalid import ID", detail).into(),
            };
        };
        self.import_task(ctx, import, &format!("import ID {id:?}"))
            .await
    }

    fn identity_schema(&self) -> Option<&IdentitySchema> {
        Some(&self.identity)
    }

    fn identity_of(&self, state: &Value) -> Option<Value> {
        PauseState::from_value(state)
            .ok()
            .map(|state| state.identity())
    }

    async fn import_by_identity(&self, ctx: &RequestContext, identity: &Value) -> ImportResponse {
        match identity::import_id(identity) {
            Ok(import) => self.import_task(ctx, import, "import identity").await,
            Err(d) => ImportResponse {
                state: None,
                diagnostics: d.into(),
            },
        }
    }

    fn upgrade_identity(&self, version: i64, identity: Value) -> Result<Value, Diagnostics> {
        identity::upgrade(version, identity)
    }

    fn upgrade(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        if version > SCHEMA_VERSION {
            let detail = format!(
                "This state was written with schema version {version}; this provider knows \
                 version {SCHEMA_VERSION}. Use a newer provider."
            );
            return Err(Diagnostic::error("State from a newer provider", detail).into());
        }
        // Version 0 had no flags: give them their defaults so no plan shows a change.
        let mut upgraded = PauseState::from_value(&state)?.with_defaults();
        // `id` is derived from instance_id and task_name, as plan and apply derive it: a
        // stored `id` edited by hand or written by an older version is corrected here.
        if let derived @ Attr::Known(_) = upgraded.derived_id() {
            upgraded.id = derived;
        }
        Ok(upgraded.to_value())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::taurusdb::task::diagnose::{already_at_target, uncertain, wait_failed};
    use taurusdb_api::ApiError;
    use taurusdb_api::wait::WaitError;

    fn op(kind: JobKind, task: &TaskRef) -> Operation<'_> {
        Operation { kind, task }
    }

    #[test]
    fn failed_jobs_carry_the_reason_and_the_job_id() {
        let task = TaskRef::new("p", "i", "t");
        let pause = aftermath(JobKind::Pause);
        let err = WaitError::JobFailed {
            job_id: "j1".into(),
            reason: "replication channel broken".into(),
        };
        let d = wait_failed(&err, op(JobKind::Pause, &task), &pause, "j1");
        assert!(d.detail.contains("replication channel broken") && d.detail.contains("j1"));
        let timeout = WaitError::TimedOut {
            job_id: "j1".into(),
            waited: Duration::from_secs(2),
            last_seen: "job Running 50%".into(),
        };
        let d = wait_failed(&timeout, op(JobKind::Pause, &task), &pause, "j1");
        assert!(d.detail.contains("timeouts.create") && d.detail.contains("Running"));
    }

    #[test]
    fn uncertain_and_already_done_say_what_happens_next() {
        let task = TaskRef::new("p", "i", "t");
        let gateway = ApiError::Status {
            status: 504,
            code: None,
            message: "Gateway Timeout".into(),
            request_id: None,
            retry_after: None,
        };
        let d = uncertain(
            &gateway,
            op(JobKind::Pause, &task),
            &aftermath(JobKind::Pause),
            false,
        );
        assert!(d.summary.contains("pause") && d.summary.contains("may or may not"));
        assert!(d.detail.contains("HTTP 504") && d.detail.contains("tainted"));
        let resume = op(JobKind::Resume, &task);
        let d = uncertain(&gateway, resume, &aftermath(JobKind::Resume), true);
        assert!(d.detail.contains("timeouts.delete") && d.detail.contains("stays in state"));
        let d = already_at_target(&gateway, resume, "Incremental");
        assert_eq!(d.summary, "Task \"t\" is not paused");
        assert!(d.detail.contains("\"Incremental\""));
    }
}
