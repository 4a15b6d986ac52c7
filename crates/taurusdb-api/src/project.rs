//! The project of a region, looked up when none is configured, as the huaweicloud
//! provider does: `GET {iam}/v3/projects?name={region}` with the client's credentials.
//! Once per region and client (so once per provider process): concurrent callers wait
//! for the one lookup; a failed lookup is not remembered, so the next caller tries again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde::Deserialize;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::client::encode_segment;
use crate::endpoint;
use crate::error::ApiError;
use crate::transport::{Call, Transport};
use crate::wire;

/// The largest answer read: a region has one project per account (sub-projects add a
/// few).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Looked-up project IDs by region.
#[derive(Debug, Default)]
pub(super) struct Projects {
    by_region: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
}

#[derive(Deserialize)]
struct ProjectList {
    #[serde(default)]
    projects: Vec<Project>,
}

#[derive(Deserialize)]
struct Project {
    id: Option<String>,
    name: Option<String>,
}

impl Projects {
    /// The ID of the project named `region`.
    pub(super) async fn lookup(
        &self,
        transport: &Transport,
        iam_url: &str,
        region: &str,
        cancel: &CancellationToken,
    ) -> Result<String, ApiError> {
        let cell = {
            let mut by_region = self
                .by_region
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            by_region.entry(region.to_string()).or_default().clone()
        };
        let id = cell
            .get_or_try_init(|| fetch(transport, iam_url, region, cancel))
            .await?;
        Ok(id.clone())
    }
}

async fn fetch(
    transport: &Transport,
    iam_url: &str,
    region: &str,
    cancel: &CancellationToken,
) -> Result<String, ApiError> {
    let url = format!(
        "{}/projects?name={}",
        iam_url.trim_end_matches('/'),
        encode_segment(region)
    );
    let call = Call::new(Method::GET, url, None).with_body_limit(MAX_ANSWER_BYTES);
    let reply = transport.send(call, cancel).await?;
    let list: ProjectList = wire::parse_body(&reply)?;
    let ids: Vec<String> = list
        .projects
        .into_iter()
        .filter(|p| p.name.as_deref() == Some(region))
        .filter_map(|p| p.id)
        .collect();
    match ids.as_slice() {
        [id] if endpoint::path_segment_problem(id).is_none() => {
            tracing::info!(region, project_id = %id, "looked up the project of the region");
            Ok(id.clone())
        }
        [_] => Err(wire::invalid(
            &reply,
            "the project ID is not one path segment",
        )),
        _ => Err(ApiError::ProjectLookup {
            region: region.to_string(),
            found: ids.len(),
        }),
    }
}
