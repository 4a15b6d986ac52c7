//! `taurusdb_replication_pause`: plan and apply turned into pause calls.
//!
//! Plan calls no API. Create pauses once and keeps the job ID. Changing instance_id,
//! task_name or project_id plans a replacement (a new pause). Destroy calls nothing
//! and warns that only the state entry goes. Import takes `<instance_id>/<task_name>`.

pub mod model;
pub mod validate;

use std::sync::Arc;

use crate::taurusdb::diagnose;
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
}

impl ReplicationPause {
    pub fn new(provider: Arc<ProviderHandle>) -> Self {
        Self {
            schema: model::schema(),
            provider,
        }
    }

    fn default_project(&self) -> Attr<String> {
        self.provider
            .configured()
            .ok()
            .and_then(|c| c.settings.project_id.clone())
            .into()
    }

    fn plan_change(&self, req: &PlanRequest) -> Result<(PauseState, Vec<AttrPath>), Diagnostics> {
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
            project_id: config.project_id.or(self.default_project()),
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
        let mut replace = Vec::new();
        match &prior {
            Some(prior) => {
                replace = REPLACING
                    .iter()
                    .filter(|name| planned.replacing(name) != prior.replacing(name))
                    .map(|name| AttrPath::attr(*name))
                    .collect();
                if replace.is_empty() {
                    planned.id = prior.id.clone().or(planned.derived_id());
                    planned.job_id = prior.job_id.clone();
                } else {
                    planned.id = planned.derived_id();
                    planned.job_id = Attr::Unknown;
                }
            }
            None => {
                // A create will need the API: say now, before anything is applied, if
                // the provider cannot reach it.
                self.provider
                    .configured()
                    .and_then(|c| c.client().map(|_| ()))
                    .map_err(Diagnostics::from)?;
                planned.id = planned.derived_id();
                planned.job_id = Attr::Unknown;
            }
        }
        Ok((planned, replace))
    }

    async fn create(&self, ctx: &RequestContext, planned: &Value) -> ApplyResponse {
        let result = async {
            let mut state = PauseState::from_value(planned)?;
            let configured = self.provider.configured()?;
            let client = configured.client()?;
            let (Some(project), Some(instance), Some(task)) = (
                state.project_id.known(),
                state.instance_id.known(),
                state.task_name.known(),
            ) else {
                return Err(Diagnostic::error(
                    "Planned values are not known",
                    "instance_id, task_name and project_id must be known when the pause is applied. This is a bug in the provider or Terraform.",
                ));
            };
            let job = client
                .pause_replication(project, instance, task, &ctx.cancel)
                .await
                .map_err(|err| diagnose::pause_failed(&err, project, instance, task))?;
            tracing::info!(
                instance_id = %instance,
                task_name = %task,
                job_id = %job.job_id,
                request_id = job.request_id.as_deref().unwrap_or(""),
                "paused replication task"
            );
            state.id = state.derived_id();
            state.job_id = Attr::Known(job.job_id);
            Ok(state)
        }
        .await;
        match result {
            Ok(state) => ApplyResponse {
                new_state: state.to_value(),
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostic) => ApplyResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: diagnostic.into(),
            },
        }
    }
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

    async fn plan(&self, _ctx: &RequestContext, req: PlanRequest) -> PlanResponse {
        if req.proposed.is_null() {
            return PlanResponse {
                planned: Value::Null,
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
                diagnostics: Diagnostics::new(),
            };
        }
        match self.plan_change(&req) {
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
            return ApplyResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostic::warning(
                    "Replication task left paused",
                    "Destroying taurusdb_replication_pause only removes it from Terraform state. The data synchronization task stays as it is; resume it in the console or API if needed.",
                )
                .into(),
            };
        }
        if req.prior.is_null() {
            return self.create(ctx, &req.planned).await;
        }
        // Every change replaces, so an update only records what was planned.
        ApplyResponse {
            new_state: req.planned,
            private: req.planned_private,
            diagnostics: Diagnostics::new(),
        }
    }

    async fn read(&self, _ctx: &RequestContext, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: req.current,
            private: req.private,
            diagnostics: Diagnostics::new(),
        }
    }

    async fn import(&self, _ctx: &RequestContext, id: &str) -> ImportResponse {
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
            id: Attr::Null,
            instance_id: Attr::Known(import.instance_id),
            task_name: Attr::Known(import.task_name),
            project_id: Attr::from(import.project_id).or(self.default_project()),
            job_id: Attr::Null,
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
        Ok(state)
    }
}
