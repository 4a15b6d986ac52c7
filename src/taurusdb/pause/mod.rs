//! `taurusdb_replication_pause`: plan and apply turned into pause calls.
//!
//! Plan calls no API. Create pauses once, keeps the job ID, and (by default) waits
//! until the job completed and the task reads Paused, within `timeouts.create`. If the
//! pause happened but the wait did not end well, the state with the job ID is returned
//! together with the error, so Terraform records it (tainted) and nothing is lost.
//! Read refreshes `stage`; a task resumed behind Terraform's back, or changed triggers,
//! plan an in-place update that pauses again (no resume in between); a task that no
//! longer exists leaves state with a warning. Changing instance_id, task_name or
//! project_id plans a replacement (another task). Destroy calls nothing and warns,
//! unless `resume_on_destroy` asks it to resume the task and wait.
//!
//! A pause or resume counts as "not done" only when the answer proves it (a 4xx refusal,
//! no connection); any other answer (5xx, redirect, broken connection) may have come after
//! the work was done. A refusal while the task already reads the target stage ends well
//! (see [`refused`]).

pub mod model;
pub mod refused;
pub mod validate;

use std::sync::Arc;

use crate::taurusdb::api::deadline::{DeadlineToken, deadline_after};
use crate::taurusdb::api::wait::{self, TargetStage, WaitError, WaitPolicy, WaitTarget};
use crate::taurusdb::api::{ApiClient, ApiError};
use crate::taurusdb::diagnose::{self, Operation};
use crate::taurusdb::provider::ProviderHandle;
use crate::tf::attr::Attr;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::path::AttrPath;
use crate::tf::provider::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, RequestContext, Resource,
};
use crate::tf::schema::Schema;
use crate::tf::value::Value;
use model::{ImportId, PauseState, REPLACING, SCHEMA_VERSION, TYPE_NAME, attrs};

pub struct ReplicationPause {
    schema: Schema,
    provider: Arc<ProviderHandle>,
    wait_policy: WaitPolicy,
}

/// The known identity of a planned or stored pause.
struct Target<'a> {
    project: &'a str,
    instance: &'a str,
    task: &'a str,
}

impl<'a> Target<'a> {
    fn of(state: &'a PauseState) -> Result<Self, Diagnostic> {
        match (
            state.project_id.known(),
            state.instance_id.known(),
            state.task_name.known(),
        ) {
            (Some(project), Some(instance), Some(task)) => Ok(Self {
                project,
                instance,
                task,
            }),
            _ => Err(Diagnostic::error(
                "Values are not known",
                "instance_id, task_name and project_id must be known here. This is a bug in the provider or Terraform.",
            )),
        }
    }

    fn operation(&self, action: &'a str) -> Operation<'a> {
        Operation {
            action,
            project: self.project,
            instance: self.instance,
            task: self.task,
        }
    }
}

impl ReplicationPause {
    pub fn new(provider: Arc<ProviderHandle>, wait_policy: WaitPolicy) -> Self {
        Self {
            schema: model::schema(),
            provider,
            wait_policy,
        }
    }

    fn default_project(&self, ctx: &RequestContext) -> Attr<String> {
        self.provider
            .configured(ctx)
            .ok()
            .and_then(|c| c.settings.project_id.clone())
            .into()
    }

    fn client(&self, ctx: &RequestContext) -> Result<ApiClient, Diagnostic> {
        let configured = self.provider.configured(ctx)?;
        configured.client().cloned()
    }

    fn plan_change(
        &self,
        ctx: &RequestContext,
        req: &PlanRequest,
    ) -> Result<(PauseState, Vec<AttrPath>), Diagnostics> {
        let config = PauseState::from_value(&req.config)?;
        let diagnostics = validate::validate(&config);
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let prior = if req.prior.is_null() {
            None
        } else {
            Some(PauseState::from_value(&req.prior)?)
        };
        let mut planned = PauseState {
            instance_id: config.instance_id,
            task_name: config.task_name,
            project_id: config.project_id.or(self.default_project(ctx)),
            triggers: config.triggers,
            wait_for_completion: config.wait_for_completion.or(Attr::Known(true)),
            resume_on_destroy: config.resume_on_destroy.or(Attr::Known(false)),
            timeouts: config.timeouts,
            ..PauseState::default()
        };
        if planned.project_id.is_null()
            && let Some(prior) = &prior
        {
            planned.project_id = prior.project_id.clone();
        }
        if planned.project_id.is_null() {
            return Err(missing_project().into());
        }
        let Some(prior) = prior else {
            // A create will need the API: say now, before anything is applied, if the
            // provider cannot reach it.
            self.client(ctx).map_err(Diagnostics::from)?;
            planned.id = planned.derived_id();
            planned.job_id = Attr::Unknown;
            planned.stage = Attr::Unknown;
            return Ok((planned, Vec::new()));
        };
        let replace: Vec<AttrPath> = REPLACING
            .iter()
            .filter(|name| planned.replaces(&prior, name))
            .map(|name| AttrPath::attr(*name))
            .collect();
        // Pause again in place (same task, so no resume in between) when the triggers
        // changed or the task was resumed behind Terraform's back.
        let resumed = planned.waits() && prior.stage.known().is_some_and(|s| !wait::is_paused(s));
        let repause = resumed || !planned.triggers.same_as(&prior.triggers);
        if !replace.is_empty() {
            planned.id = planned.derived_id();
            planned.job_id = Attr::Unknown;
            planned.stage = Attr::Unknown;
        } else if repause {
            planned.id = prior.id.clone().or(planned.derived_id());
            planned.job_id = Attr::Unknown;
            planned.stage = Attr::Unknown;
        } else {
            planned.id = prior.id.clone().or(planned.derived_id());
            planned.job_id = prior.job_id.clone();
            planned.stage = prior.stage.clone();
        }
        Ok((planned, replace))
    }

    /// Pauses the task `state` names and (unless told not to) waits for it, within
    /// timeouts.create. Used by create and by the in-place re-pause.
    async fn pause_and_wait(&self, ctx: &RequestContext, state: &PauseState) -> PauseOutcome {
        let prepared = self
            .client(ctx)
            .and_then(|client| Ok((client, state.timeout(attrs::CREATE)?)))
            .and_then(|(client, timeout)| Ok((client, timeout, Target::of(state)?)));
        let (client, timeout, target) = match prepared {
            Ok(prepared) => prepared,
            Err(d) => return PauseOutcome::NotDone(d),
        };
        let deadline = DeadlineToken::new(&ctx.cancel, deadline_after(timeout));
        let op = target.operation("pause");
        let paused = client
            .pause_replication(
                target.project,
                target.instance,
                target.task,
                deadline.token(),
            )
            .await;
        let mut done = state.clone();
        done.id = done.derived_id();
        done.stage = Attr::Null;
        let job = match paused {
            Ok(job) => job,
            Err(err) if err.may_have_been_processed() => {
                done.job_id = Attr::Null;
                return PauseOutcome::Uncertain(
                    done,
                    diagnose::uncertain(&err, op, deadline.expired()),
                );
            }
            Err(err) if refused::may_mean_already_there(&err) => {
                let ids = (target.project, target.instance, target.task);
                let already = refused::stage_if_already_there(
                    &client,
                    ids,
                    TargetStage::Paused,
                    deadline.token(),
                )
                .await;
                return match already {
                    Some(stage) => {
                        let warning = diagnose::already_at_target(&err, op, &stage);
                        done.job_id = Attr::Null;
                        done.stage = Attr::Known(stage);
                        PauseOutcome::Done(done, warning.into())
                    }
                    None => PauseOutcome::NotDone(diagnose::api_failed(&err, op)),
                };
            }
            Err(_) if deadline.expired() => {
                return PauseOutcome::NotDone(diagnose::timed_out_before_sending(op, timeout));
            }
            Err(err) => return PauseOutcome::NotDone(diagnose::api_failed(&err, op)),
        };
        tracing::info!(
            instance_id = %target.instance,
            task_name = %target.task,
            job_id = %job.job_id,
            request_id = job.request_id.as_deref().unwrap_or(""),
            "paused replication task"
        );
        done.job_id = Attr::Known(job.job_id.clone());
        if !state.waits() {
            return PauseOutcome::Done(done, Diagnostics::new());
        }
        let waited = wait::wait_for(
            &client,
            WaitTarget {
                project_id: target.project,
                instance_id: target.instance,
                task_name: target.task,
                job_id: &job.job_id,
                stage: TargetStage::Paused,
            },
            deadline.deadline(),
            self.wait_policy,
            &ctx.cancel,
        )
        .await;
        match waited {
            Ok(waited) => {
                done.stage = Attr::Known(waited.stage);
                let warnings = waited
                    .job_unreadable
                    .map(|err| diagnose::job_unreadable(&err, op))
                    .into_iter()
                    .collect();
                PauseOutcome::Done(done, warnings)
            }
            // The pause happened: its job ID goes to state along with the error.
            Err(err) => {
                let diagnostic = diagnose::wait_failed(&err, op, &job.job_id);
                PauseOutcome::Uncertain(done, diagnostic)
            }
        }
    }

    async fn create(&self, ctx: &RequestContext, planned: &Value) -> ApplyResponse {
        let state = match PauseState::from_value(planned) {
            Ok(state) => state,
            Err(d) => return failed(d),
        };
        match self.pause_and_wait(ctx, &state).await {
            PauseOutcome::Done(state, warnings) => succeeded(state, warnings),
            PauseOutcome::NotDone(d) => failed(d),
            // Returned with the error, so Terraform records it (tainted).
            PauseOutcome::Uncertain(state, d) => ApplyResponse {
                new_state: state.to_value(),
                private: Vec::new(),
                diagnostics: d.into(),
            },
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
                ApplyResponse {
                    new_state: kept_state.to_value(),
                    private: Vec::new(),
                    diagnostics: d.into(),
                }
            }
        }
    }

    async fn destroy(&self, ctx: &RequestContext, prior: &Value) -> ApplyResponse {
        let removed_only = || {
            ApplyResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostic::warning(
                "Replication task left paused",
                "Destroying taurusdb_replication_pause only removes it from Terraform state. The data synchronization task stays as it is; set resume_on_destroy = true to resume it on destroy.",
            )
            .into(),
        }
        };
        let state = match PauseState::from_value(prior) {
            Ok(state) => state,
            Err(d) => return kept(prior, d),
        };
        if !state.resumes_on_destroy() {
            return removed_only();
        }
        let target = match Target::of(&state) {
            Ok(target) => target,
            Err(d) => return kept(prior, d),
        };
        let prepared = self
            .client(ctx)
            .and_then(|client| Ok((client, state.timeout(attrs::DELETE)?)));
        let (client, timeout) = match prepared {
            Ok(prepared) => prepared,
            Err(d) => return kept(prior, d),
        };
        let deadline = DeadlineToken::new(&ctx.cancel, deadline_after(timeout));
        let gone = |detail: String| ApplyResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostic::warning("Nothing to resume", detail).into(),
        };
        let job = match client
            .resume_replication(
                target.project,
                target.instance,
                target.task,
                deadline.token(),
            )
            .await
        {
            Ok(job) => job,
            Err(err) if task_vanished(&err) => {
                return gone(format!(
                    "The task no longer exists ({err}); it was removed from state."
                ));
            }
            Err(err) if err.may_have_been_processed() => {
                let op = target.operation("resume");
                return kept(prior, diagnose::uncertain(&err, op, deadline.expired()));
            }
            Err(err) if refused::may_mean_already_there(&err) => {
                let ids = (target.project, target.instance, target.task);
                let already = refused::stage_if_already_there(
                    &client,
                    ids,
                    TargetStage::NotPaused,
                    deadline.token(),
                )
                .await;
                let op = target.operation("resume");
                return match already {
                    Some(stage) => ApplyResponse {
                        new_state: Value::Null,
                        private: Vec::new(),
                        diagnostics: diagnose::already_at_target(&err, op, &stage).into(),
                    },
                    None => kept(prior, diagnose::api_failed(&err, op)),
                };
            }
            Err(_) if deadline.expired() => {
                return kept(
                    prior,
                    diagnose::timed_out_before_sending(target.operation("resume"), timeout),
                );
            }
            Err(err) => {
                return kept(
                    prior,
                    diagnose::api_failed(&err, target.operation("resume")),
                );
            }
        };
        tracing::info!(task_name = %target.task, job_id = %job.job_id, "resumed replication task");
        let waited = wait::wait_for(
            &client,
            WaitTarget {
                project_id: target.project,
                instance_id: target.instance,
                task_name: target.task,
                job_id: &job.job_id,
                stage: TargetStage::NotPaused,
            },
            deadline.deadline(),
            self.wait_policy,
            &ctx.cancel,
        )
        .await;
        match waited {
            Ok(waited) => ApplyResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: waited
                    .job_unreadable
                    .map(|err| diagnose::job_unreadable(&err, target.operation("resume")))
                    .into_iter()
                    .collect(),
            },
            Err(WaitError::TaskGone { .. }) => gone(
                "The task disappeared while it was being resumed; it was removed from state."
                    .into(),
            ),
            Err(err) => kept(
                prior,
                diagnose::wait_failed(&err, target.operation("resume"), &job.job_id),
            ),
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

fn succeeded(state: PauseState, warnings: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        new_state: state.to_value(),
        private: Vec::new(),
        diagnostics: warnings,
    }
}

/// Nothing happened remotely: no state, one error.
fn failed(diagnostic: Diagnostic) -> ApplyResponse {
    ApplyResponse {
        new_state: Value::Null,
        private: Vec::new(),
        diagnostics: diagnostic.into(),
    }
}

/// A destroy that did not finish: the resource stays in state.
fn kept(prior: &Value, diagnostic: Diagnostic) -> ApplyResponse {
    ApplyResponse {
        new_state: prior.clone(),
        private: Vec::new(),
        diagnostics: diagnostic.into(),
    }
}

/// The task (or its instance) does not exist any more.
fn task_vanished(err: &ApiError) -> bool {
    matches!(err.code(), Some("DBS.270022" | "DBS.200022"))
}

fn missing_project() -> Diagnostic {
    Diagnostic::error(
        "Missing project_id",
        "Set project_id on this resource, or project_id (or HW_PROJECT_ID) in the provider block.",
    )
    .at(AttrPath::attr(attrs::PROJECT_ID))
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
            Ok(config) => validate::validate(&config),
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
        match self.plan_change(ctx, &req) {
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
                return unchanged(
                    Diagnostic::warning(
                        "Replication pause not refreshed",
                        format!(
                            "The task's stage could not be checked: {} {}",
                            d.summary, d.detail
                        ),
                    )
                    .into(),
                );
            }
        };
        // State imported before any project was known: the provider's default applies.
        state.project_id = state.project_id.clone().or(self.default_project(ctx));
        if state.project_id.is_null() {
            return unchanged(
                Diagnostic::warning(
                    "Replication pause not refreshed",
                    "This resource has no project_id and the provider has none either, so its task cannot be looked up. Set project_id.",
                )
                .at(AttrPath::attr(attrs::PROJECT_ID))
                .into(),
            );
        }
        let target = match Target::of(&state) {
            Ok(target) => target,
            Err(d) => return unchanged(d.into()),
        };
        let found = client
            .find_replication(target.project, target.instance, target.task, &ctx.cancel)
            .await;
        let removed = |why: String| {
            ReadResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostic::warning(
                "Replication task no longer exists",
                format!("{why} The resource was removed from state; the next apply pauses again if it is still configured."),
            )
            .into(),
        }
        };
        match found {
            Ok(Some(task)) => {
                state.stage = task.stage.into();
                ReadResponse {
                    new_state: state.to_value(),
                    private: req.private,
                    diagnostics: Diagnostics::new(),
                }
            }
            Ok(None) => removed(format!(
                "Instance {:?} lists no synchronization task {:?}.",
                target.instance, target.task
            )),
            Err(err) if task_vanished(&err) => removed(format!("TaurusDB answered: {err}.")),
            Err(err) => unchanged(diagnose::api_failed(&err, target.operation("read")).into()),
        }
    }

    async fn import(&self, ctx: &RequestContext, id: &str) -> ImportResponse {
        let Some(import) = ImportId::parse(id) else {
            return ImportResponse {
                state: None,
                diagnostics: Diagnostic::error(
                    "Invalid import ID",
                    format!("Expected <instance_id>/<task_name> or <project_id>/<instance_id>/<task_name>, got {id:?}."),
                )
                .into(),
            };
        };
        let state = PauseState {
            instance_id: Attr::Known(import.instance_id),
            task_name: Attr::Known(import.task_name),
            project_id: Attr::from(import.project_id).or(self.default_project(ctx)),
            wait_for_completion: Attr::Known(true),
            resume_on_destroy: Attr::Known(false),
            ..PauseState::default()
        };
        let mut diagnostics = validate::validate(&state);
        if diagnostics.has_errors() {
            for d in &mut diagnostics.0 {
                d.path = None;
                d.detail = format!("{} (in import ID {id:?})", d.detail);
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

    fn upgrade(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        if version > SCHEMA_VERSION {
            return Err(Diagnostic::error(
                "State from a newer provider",
                format!("This state was written with schema version {version}; this provider knows version {SCHEMA_VERSION}. Use a newer provider."),
            )
            .into());
        }
        let mut upgraded = PauseState::from_value(&state)?;
        // Version 0 had no flags: give them their defaults so no plan shows a change.
        upgraded.wait_for_completion = upgraded.wait_for_completion.or(Attr::Known(true));
        upgraded.resume_on_destroy = upgraded.resume_on_destroy.or(Attr::Known(false));
        Ok(upgraded.to_value())
    }
}
