//! Finding tasks rather than changing them: the `taurusdb_replication_tasks` data source
//! ([`tasks`]) and the `taurusdb_replication_pause` list resource for `terraform query`
//! ([`list`]). Both name an instance (its project defaulting to the provider's) and filter
//! its tasks ([`taurusdb_api::filter`]); neither calls anything but the list API.

pub mod list;
pub mod tasks;

use std::sync::Arc;

use crate::taurusdb::config::attrs as settings;
use crate::taurusdb::handle::ProviderHandle;
use crate::taurusdb::task::attrs;
use taurusdb_api::ApiClient;
use taurusdb_api::names::instance_id_problem;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;
use tfplugin::tf::provider::RequestContext;

/// The instance a discovery looks at, once its project is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub project_id: String,
    pub instance_id: String,
}

/// What discoveries need of their provider: the API client and the default project.
#[derive(Clone)]
pub struct Provider(pub Arc<ProviderHandle>);

impl Provider {
    /// The configured client, or why there is none.
    pub fn client(&self, ctx: &RequestContext) -> Result<ApiClient, Diagnostic> {
        self.0.configured(ctx)?.client().cloned()
    }

    /// The instance `instance_id` in `project_id`, or in the provider's project when
    /// `project_id` is not set; an error at project_id when neither names one.
    pub async fn instance(
        &self,
        ctx: &RequestContext,
        instance_id: &Attr<String>,
        project_id: &Attr<String>,
    ) -> Result<Instance, Diagnostic> {
        let default = match (project_id.is_null(), self.0.configured(ctx)) {
            (true, Ok(configured)) => configured.default_project(&ctx.cancel).await?,
            _ => Attr::Null,
        };
        if default.is_unknown() {
            // Reading needs the project now; the provider's is not known yet.
            return Err(self.0.configured(ctx)?.client().err().unwrap_or_else(|| {
                Diagnostic::error(
                    format!("{} not known yet", attrs::PROJECT_ID),
                    format!("Set {} here.", attrs::PROJECT_ID),
                )
            }));
        }
        let default = default.known().cloned();
        let project = project_id.known().cloned().or(default).ok_or_else(|| {
            Diagnostic::error(
                format!("Missing {}", attrs::PROJECT_ID),
                format!(
                    "Set {} here, or {} in the provider block.",
                    attrs::PROJECT_ID,
                    settings::PROJECT_ID.or_env()
                ),
            )
            .at(AttrPath::attr(attrs::PROJECT_ID))
        })?;
        let instance = instance_id.known().cloned().ok_or_else(|| {
            Diagnostic::error(
                format!("Missing {}", attrs::INSTANCE_ID),
                format!("{} must be known here.", attrs::INSTANCE_ID),
            )
            .at(AttrPath::attr(attrs::INSTANCE_ID))
        })?;
        Ok(Instance {
            project_id: project,
            instance_id: instance,
        })
    }
}

/// Problems with instance_id and project_id (unknown values pass), at the attribute.
pub fn validate_instance(instance_id: &Attr<String>, project_id: &Attr<String>) -> Diagnostics {
    [
        (attrs::INSTANCE_ID, instance_id),
        (attrs::PROJECT_ID, project_id),
    ]
    .into_iter()
    .filter_map(|(attr, value)| {
        let problem = instance_id_problem(value.known()?)?;
        Some(
            Diagnostic::error(format!("Invalid {attr}"), format!("{attr} {problem}."))
                .at(AttrPath::attr(attr)),
        )
    })
    .collect()
}
