//! The `taurusdb_replication_tasks` data source: every task of an instance (all pages, read
//! through the instance's shared poller, so it costs one list however many readers there
//! are), filtered by a name pattern and a stage. An invalid pattern is refused at
//! validate when it is known then, otherwise at read, pointed at name_regex. Tasks
//! whose name is not a string are left out with one warning.

pub mod model;

use crate::taurusdb::discovery::{Provider, validate_instance};
use crate::taurusdb::task::diagnose;
use model::{TYPE_NAME, TasksConfig, attrs};
use taurusdb_api::filter::{TaskFilter, name_regex};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::data_source::{DataReadResponse, DataSource};
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;
use tfplugin::tf::provider::RequestContext;
use tfplugin::tf::schema::Schema;
use tfplugin::tf::value::Value;

pub struct ReplicationTasks {
    schema: Schema,
    provider: Provider,
}

impl ReplicationTasks {
    pub fn new(provider: Provider) -> Self {
        Self {
            schema: model::schema(),
            provider,
        }
    }

    async fn read_tasks(
        &self,
        ctx: &RequestContext,
        config: TasksConfig,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let problems = validate_config(&config);
        if problems.has_errors() {
            return Err(problems);
        }
        let filter = TaskFilter {
            name: match config.name_regex.known() {
                Some(pattern) => Some(name_regex(pattern).map_err(invalid_regex)?),
                None => None,
            },
            stage: config.stage.known().cloned(),
        };
        let instance = self
            .provider
            .instance(ctx, &config.instance_id, &config.project_id)
            .await?;
        let client = self.provider.client(ctx)?;
        let tasks = client
            .list_replications(&instance.project_id, &instance.instance_id, &ctx.cancel)
            .await
            .map_err(|err| {
                diagnose::list_failed(&err, &instance.project_id, &instance.instance_id)
            })?;
        let kept: Vec<_> = tasks.iter().filter(|t| filter.keeps(t)).collect();
        let state = TasksConfig {
            project_id: Attr::Known(instance.project_id),
            ..config
        };
        let mut warnings = Diagnostics::new();
        if !tasks.unreadable.is_empty() {
            warnings.push(Diagnostic::warning(
                "Listed task skipped",
                tasks.unreadable.to_string(),
            ));
        }
        Ok((state.to_state(&kept), warnings))
    }
}

/// Problems with the configuration (unknown values pass).
fn validate_config(config: &TasksConfig) -> Diagnostics {
    let mut diagnostics = validate_instance(&config.instance_id, &config.project_id);
    if let Some(pattern) = config.name_regex.known()
        && let Err(problem) = name_regex(pattern)
    {
        diagnostics.push(invalid_regex(problem));
    }
    diagnostics
}

fn invalid_regex(problem: String) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid {}", attrs::NAME_REGEX),
        format!(
            "{} is not a valid regular expression:\n{problem}",
            attrs::NAME_REGEX
        ),
    )
    .at(AttrPath::attr(attrs::NAME_REGEX))
}

#[tonic::async_trait]
impl DataSource for ReplicationTasks {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match TasksConfig::from_value(config) {
            Ok(config) => validate_config(&config),
            Err(d) => d.into(),
        }
    }

    async fn read(&self, ctx: &RequestContext, config: Value) -> DataReadResponse {
        let result = match TasksConfig::from_value(&config) {
            Ok(typed) => self.read_tasks(ctx, typed).await,
            Err(d) => Err(d.into()),
        };
        match result {
            Ok((state, diagnostics)) => DataReadResponse { state, diagnostics },
            Err(diagnostics) => DataReadResponse {
                state: config,
                diagnostics,
            },
        }
    }
}
