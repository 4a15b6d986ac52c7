//! The replication actions (Terraform 1.14+): `taurusdb_replication_pause` and
//! `taurusdb_replication_resume`, for pausing replication around a migration
//! (`lifecycle { action_trigger { ... } }`) or on demand (`terraform apply -invoke=...`).
//!
//! Validation is the resource's, at the same attributes. Plan calls no API but says
//! what a create's plan would (no credentials, no endpoint, no project). Invoke runs the
//! one job flow ([`taurusdb_api::job`]) and narrates it
//! ([`narrate`]); what the flow ends with becomes the diagnostics of the Completed event.
//! An action keeps no state, so a pause that may or may not have happened says so, with
//! the job ID when one is known, and what to do next.

pub mod model;
pub mod narrate;

use std::sync::Arc;
use std::time::Duration;

use crate::taurusdb::handle::ProviderHandle;
use crate::taurusdb::task::diagnose::{self, Aftermath, Operation, Worded};
use model::{ActionConfig, attrs};
use narrate::Narrator;
use taurusdb_api::job::{self, JobKind, JobRequest};
use taurusdb_api::wait::WaitPolicy;
use taurusdb_api::{ApiClient, TaskRef};
use tfplugin::tf::action::{Action as TfAction, Progress};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::Diagnostics;
use tfplugin::tf::provider::RequestContext;
use tfplugin::tf::schema::Schema;
use tfplugin::tf::value::Value;

/// One replication action: a pause or a resume of a task.
pub struct ReplicationAction {
    kind: JobKind,
    schema: Schema,
    provider: Arc<ProviderHandle>,
    wait_policy: WaitPolicy,
}

/// What an invoke needs, known and checked.
struct Run {
    client: ApiClient,
    task: TaskRef,
    timeout: Duration,
    waits: bool,
}

impl ReplicationAction {
    pub fn new(kind: JobKind, provider: Arc<ProviderHandle>, wait_policy: WaitPolicy) -> Self {
        Self {
            kind,
            schema: model::schema(kind),
            provider,
            wait_policy,
        }
    }

    /// The pause and the resume action of a provider.
    pub fn both(provider: &Arc<ProviderHandle>, wait_policy: WaitPolicy) -> Vec<Arc<dyn TfAction>> {
        [JobKind::Pause, JobKind::Resume]
            .into_iter()
            .map(|kind| {
                Arc::new(Self::new(kind, provider.clone(), wait_policy)) as Arc<dyn TfAction>
            })
            .collect()
    }

    /// The checks a plan makes: the configuration, then what the provider must have
    /// (configured, a project, an endpoint and credentials). Values may be unknown.
    async fn check(
        &self,
        ctx: &RequestContext,
        config: &Value,
    ) -> Result<ActionConfig, Diagnostics> {
        let config = ActionConfig::from_value(config)?;
        let diagnostics = config.validate();
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let configured = self.provider.configured(ctx)?;
        config.project(configured.default_project_unlooked())?;
        // A configuration not known yet is known when the action is invoked.
        if !configured.is_deferred() {
            configured
                .client()?
                .ready(&ctx.cancel)
                .await
                .map_err(|err| diagnose::credentials_unavailable(&err))?;
        }
        Ok(config)
    }

    /// What an invoke runs with; every value must be known by now (a project the
    /// provider looks up is looked up now).
    async fn prepare(&self, ctx: &RequestContext, config: &Value) -> Result<Run, Diagnostics> {
        let config = self.check(ctx, config).await?;
        let configured = self.provider.configured(ctx)?;
        let default_project = if config.project_id.is_null() {
            configured.default_project(&ctx.cancel).await?
        } else {
            Attr::Null
        };
        Ok(Run {
            task: config.task_ref(default_project)?,
            client: configured.client()?.clone(),
            timeout: config.timeout()?,
            waits: config.waits(),
        })
    }
}

#[tonic::async_trait]
impl TfAction for ReplicationAction {
    fn type_name(&self) -> &'static str {
        model::type_name(self.kind)
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match ActionConfig::from_value(config) {
            Ok(config) => config.validate(),
            Err(d) => d.into(),
        }
    }

    async fn plan(&self, ctx: &RequestContext, config: &Value) -> Diagnostics {
        match self.check(ctx, config).await {
            Ok(_) => Diagnostics::new(),
            Err(diagnostics) => diagnostics,
        }
    }

    async fn invoke(
        &self,
        ctx: &RequestContext,
        config: &Value,
        progress: &Progress,
    ) -> Diagnostics {
        let run = match self.prepare(ctx, config).await {
            Ok(run) => run,
            Err(diagnostics) => return diagnostics,
        };
        let narrator = Narrator::new(self.kind, progress);
        let observe = |event| narrator.tell(event);
        let request = JobRequest {
            kind: self.kind,
            task: &run.task,
            timeout: run.timeout,
            wait: run.waits.then_some(self.wait_policy),
            // A task that does not exist is an error: there was something to do.
            gone_ends_it: false,
            observer: Some(&observe),
        };
        let outcome = job::run(&run.client, request, &ctx.cancel).await;
        let op = Operation {
            kind: self.kind,
            task: &run.task,
        };
        match diagnose::worded(outcome, op, &aftermath(self.kind)) {
            Worded::Done { warnings, .. } => warnings,
            Worded::NotDone(diagnostic) | Worded::Uncertain { diagnostic, .. } => diagnostic.into(),
            Worded::Gone(gone) => diagnose::gone(&gone, op).into(),
        }
    }
}

const PAUSE_UNCERTAIN: &str = "An action keeps no record: check the task's stage, or invoke the \
     action again (a pause of a task that already reads Paused ends well).";
const RESUME_UNCERTAIN: &str = "An action keeps no record: check the task's stage, or invoke the \
     action again (a resume of a task that already runs ends well).";

/// What a failed or unsure action leaves behind, in an action's words.
fn aftermath(kind: JobKind) -> Aftermath {
    match kind {
        JobKind::Pause => Aftermath {
            bound: attrs::TIMEOUT.to_string(),
            if_uncertain: PAUSE_UNCERTAIN,
            if_not_sent: "Nothing was paused",
            if_job_failed: |job_id| {
                format!(
                    "The pause job {job_id} was started, but the task did not read Paused when \
                     the action ended: the pause may or may not have happened. {PAUSE_UNCERTAIN}"
                )
            },
        },
        JobKind::Resume => Aftermath {
            bound: attrs::TIMEOUT.to_string(),
            if_uncertain: RESUME_UNCERTAIN,
            if_not_sent: "Nothing was resumed",
            if_job_failed: |job_id| {
                format!(
                    "The resume job {job_id} was started, but the task still read Paused when \
                     the action ended: the resume may or may not have happened. \
                     {RESUME_UNCERTAIN}"
                )
            },
        },
    }
}
