//! The TaurusDB operations: pause and resume a task, list an instance's tasks, find one,
//! show a job. One [`ApiClient`] per provider process: its clones share the connection
//! pool ([`transport`](super::transport)), the IAM token and the task-list pollers
//! ([`task_watch`](super::task_watch)).

use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::taurusdb::api::endpoint;
use crate::taurusdb::api::error::ApiError;
use crate::taurusdb::api::listing::{Listing, PAGE_SIZE};
use crate::taurusdb::api::response::MAX_BODY_BYTES;
use crate::taurusdb::api::task_ref::TaskRef;
use crate::taurusdb::api::task_watch::{Interest, ListSource, Subscription, Watches};
use crate::taurusdb::api::transport::{Call, ClientConfig, Transport};
use crate::taurusdb::api::wire::{self, Job, JobStarted, ListBody, Replication};

/// A TaurusDB API client. Cheap to clone; clones share the connection pool, the IAM
/// token and in-flight task lists.
#[derive(Debug, Clone)]
pub struct ApiClient {
    transport: Arc<Transport>,
    watches: Arc<Watches>,
}

impl ApiClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        Ok(Self {
            transport: Arc::new(Transport::new(config)?),
            watches: Arc::new(Watches::default()),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.transport.config.endpoint
    }

    /// Pauses a StarRocks data synchronization task; the service answers with the
    /// ID of the job doing it.
    pub async fn pause_replication(
        &self,
        task: &TaskRef,
        cancel: &CancellationToken,
    ) -> Result<JobStarted, ApiError> {
        self.start_job(task, "/pause", cancel).await
    }

    /// Resumes a paused task; answers with the ID of the job doing it.
    pub async fn resume_replication(
        &self,
        task: &TaskRef,
        cancel: &CancellationToken,
    ) -> Result<JobStarted, ApiError> {
        self.start_job(task, "/resume", cancel).await
    }

    async fn start_job(
        &self,
        task: &TaskRef,
        action: &str,
        cancel: &CancellationToken,
    ) -> Result<JobStarted, ApiError> {
        let url = replication_url(&self.transport, &task.project, &task.instance, action)?;
        let call = Call::post(url, &task.project, wire::job_request(&task.task)?);
        wire::job_started(self.transport.send(call, cancel).await?)
    }

    /// Every synchronization task of an instance (all pages). Concurrent calls for the
    /// same instance share one read (see [`task_watch`](super::task_watch)): a refresh of
    /// many pauses on one instance costs one list, not one per resource.
    pub async fn list_replications(
        &self,
        project_id: &str,
        instance_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Arc<Vec<Replication>>, ApiError> {
        let mut subscription = self.watch_tasks(project_id, instance_id, Interest::Once);
        tokio::select! {
            snapshot = subscription.next() => snapshot.tasks,
            () = cancel.cancelled() => Err(ApiError::Cancelled),
        }
    }

    /// Subscribes to an instance's task list, read on behalf of every subscriber of that
    /// instance at the pace the most demanding one needs.
    pub fn watch_tasks(
        &self,
        project_id: &str,
        instance_id: &str,
        interest: Interest,
    ) -> Subscription {
        let source: Arc<dyn ListSource> = self.transport.clone();
        self.watches.subscribe(
            &source,
            (project_id.to_string(), instance_id.to_string()),
            interest,
        )
    }

    /// One task by name, or None when the instance has no such task.
    pub async fn find_replication(
        &self,
        task: &TaskRef,
        cancel: &CancellationToken,
    ) -> Result<Option<Replication>, ApiError> {
        let tasks = self
            .list_replications(&task.project, &task.instance, cancel)
            .await?;
        Ok(tasks.iter().find(|t| t.task_name == task.task).cloned())
    }

    /// A job by ID, or None when the service does not know it (yet).
    pub async fn show_job(
        &self,
        project_id: &str,
        job_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Job>, ApiError> {
        let url = format!(
            "{}/v3/{}/jobs?id={}",
            self.transport.config.endpoint,
            path_segment(project_id, "project_id")?,
            encode_segment(job_id)
        );
        match self
            .transport
            .send(Call::get(url, project_id), cancel)
            .await
        {
            Ok(reply) => wire::job(&reply, job_id),
            Err(err) if err.is_job_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// The shared pollers read whole task lists straight from the transport.
impl ListSource for Transport {
    fn fetch<'a>(
        &'a self,
        project_id: &'a str,
        instance_id: &'a str,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Arc<Vec<Replication>>, ApiError>> {
        fetch_replications(self, project_id, instance_id, cancel)
            .map(|tasks| tasks.map(Arc::new))
            .boxed()
    }
}

fn replication_url(
    transport: &Transport,
    project_id: &str,
    instance_id: &str,
    action: &str,
) -> Result<String, ApiError> {
    Ok(format!(
        "{}/v3/{}/instances/{}/starrocks/databases/replication{action}",
        transport.config.endpoint,
        path_segment(project_id, "project_id")?,
        path_segment(instance_id, "instance_id")?
    ))
}

/// One path segment of an API URL, encoded; refused when it could change the path
/// (a URL parser collapses "." and ".." segments, also when percent-encoded).
fn path_segment(value: &str, what: &str) -> Result<String, ApiError> {
    match endpoint::path_segment_problem(value) {
        None => Ok(encode_segment(value)),
        Some(problem) => Err(ApiError::Config(format!("{what} {problem}"))),
    }
}

/// Reads every page of an instance's task list.
async fn fetch_replications(
    transport: &Transport,
    project_id: &str,
    instance_id: &str,
    cancel: &CancellationToken,
) -> Result<Vec<Replication>, ApiError> {
    // Every page counts against one budget of bytes; each name is kept once.
    let mut listing = Listing::new();
    while listing.may_read_another_page() {
        let url = format!(
            "{}?limit={PAGE_SIZE}&offset={}",
            replication_url(transport, project_id, instance_id, "")?,
            listing.len()
        );
        let limit = listing.remaining_budget().min(MAX_BODY_BYTES);
        let call = Call::get(url, project_id).with_body_limit(limit);
        let reply = match transport.send(call, cancel).await {
            Err(ApiError::BodyTooLarge { .. }) if limit < MAX_BODY_BYTES => {
                return Err(listing.over_budget());
            }
            reply => reply?,
        };
        listing.count_page(reply.body.len())?;
        let page: ListBody = wire::parse_body(&reply)?;
        drop(reply);
        let total = page.total_count();
        let got = page.replications.len();
        let before = listing.len();
        for task in page.replications {
            listing.add(task);
        }
        // A short page, the announced total, or a page with nothing new (a server
        // that ignores offset) ends the listing.
        let done =
            got < PAGE_SIZE || total.is_some_and(|t| listing.len() >= t) || listing.len() == before;
        if done {
            return Ok(listing.into_tasks());
        }
    }
    if listing.remaining_budget() == 0 {
        return Err(listing.over_budget());
    }
    Ok(listing.into_tasks())
}

/// Percent-encodes one URL path segment (unreserved characters kept).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("abc-123_x.y~z"), "abc-123_x.y~z");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("ü"), "%C3%BC");
    }
}
