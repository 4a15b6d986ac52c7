//! The project of calls that name none: the configured `project_id`, or the one IAM
//! lists for the client's region, looked up once per client ([`project`](super::project)).
//! One type for every caller (the provider's resources, the typed gRPC API), so they
//! agree on when a lookup happens; each words a failed lookup ([`ApiError`]) its own way.

use tokio_util::sync::CancellationToken;

use crate::client::ApiClient;
use crate::error::ApiError;

/// Where the project of calls that name none comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DefaultProject {
    /// A project ID that was configured.
    Configured(String),
    /// None configured: the client's region's, looked up in IAM on first use.
    OfRegion,
    /// Neither a project ID nor a region to look one up in: calls must name theirs.
    #[default]
    Unavailable,
}

impl DefaultProject {
    /// The configured project, else a lookup when there is a region to look in.
    pub fn new(project_id: Option<String>, region: Option<&str>) -> Self {
        match (project_id, region) {
            (Some(project_id), _) => Self::Configured(project_id),
            (None, Some(_)) => Self::OfRegion,
            (None, None) => Self::Unavailable,
        }
    }

    /// The configured project ID, if there is one (no lookup).
    pub fn configured(&self) -> Option<&str> {
        match self {
            Self::Configured(project_id) => Some(project_id),
            Self::OfRegion | Self::Unavailable => None,
        }
    }

    /// The project: configured, or looked up with `client` (once per client and region;
    /// a failure is not remembered); None when there is no way to have one.
    pub async fn get(
        &self,
        client: &ApiClient,
        cancel: &CancellationToken,
    ) -> Result<Option<String>, ApiError> {
        match self {
            Self::Configured(project_id) => Ok(Some(project_id.clone())),
            Self::OfRegion => client.default_project(cancel).await.map(Some),
            Self::Unavailable => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_project_wins_and_a_region_alone_is_looked_up() {
        let configured = DefaultProject::new(Some("p1".into()), Some("cn-north-4"));
        assert_eq!(configured.configured(), Some("p1"));
        assert_eq!(
            DefaultProject::new(None, Some("cn-north-4")),
            DefaultProject::OfRegion
        );
        assert_eq!(DefaultProject::new(None, None), DefaultProject::Unavailable);
    }
}
