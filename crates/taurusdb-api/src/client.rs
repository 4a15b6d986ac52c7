//! The TaurusDB operations: pause and resume a task, list an instance's tasks (whole, or
//! page by page), find one, show a job. One [`ApiClient`] per provider process: its
//! clones share the connection pool ([`transport`](super::transport)), the IAM token and
//! the task-list pollers ([`task_watch`](super::task_watch)).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::endpoint;
use crate::error::ApiError;
use crate::listing::TaskList;
use crate::pages::{PageCursor, TaskPages};
use crate::project::Projects;
use crate::settings::attrs;
use crate::task_ref::TaskRef;
use crate::task_watch::{Interest, ListSource, Subscription, Watches};
use crate::transport::{Call, ClientConfig, Transport};
use crate::wire::{self, Job, JobStarted, ReplicationTask};

/// An [`ApiClient`]'s identity (see [`ApiClient::id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientId(u64);

/// A TaurusDB API client. Cheap to clone; clones share the connection pool, the IAM
/// token and in-flight task lists.
#[derive(Debug, Clone)]
pub struct ApiClient {
    /// Which client this is (clones share it): what work shared per client is keyed on.
    id: ClientId,
    transport: Arc<Transport>,
    watches: Arc<Watches>,
    projects: Arc<Projects>,
}

impl ApiClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Ok(Self {
            id: ClientId(NEXT.fetch_add(1, Ordering::Relaxed)),
            transport: Arc::new(Transport::new(config)?),
            watches: Arc::new(Watches::default()),
            projects: Arc::new(Projects::default()),
        })
    }

    /// The project of the configured region, looked up in IAM once per client (see
    /// [`project`](super::project)).
    pub async fn default_project(&self, cancel: &CancellationToken) -> Result<String, ApiError> {
        let config = &self.transport.config;
        let (Some(iam_url), Some(region)) = (&config.iam_url, config.settings.text(attrs::REGION))
        else {
            return Err(ApiError::Config(
                "no region (and IAM endpoint) to look the project up in".into(),
            ));
        };
        self.projects
            .lookup(&self.transport, iam_url, region, cancel)
            .await
    }

    /// Makes sure the credentials can be had: temporary ones are obtained now (and kept
    /// for the requests that follow), so a plan can say that none are available before
    /// anything is applied. Other credentials need no call.
    pub async fn ready(&self, cancel: &CancellationToken) -> Result<(), ApiError> {
        self.transport.ready(cancel).await
    }

    /// Which kind of credentials the client uses (`token`, `aksk`, `ecs-metadata`, ...).
    pub fn credentials_kind(&self) -> &'static str {
        self.transport.config.credentials.kind()
    }

    /// Which client this is: one endpoint with one set of credentials, the same for
    /// every clone and never given to another client in this process.
    pub fn id(&self) -> ClientId {
        self.id
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
        let url = replication_url(
            &self.transport.config.endpoint,
            &task.project,
            &task.instance,
            action,
        )?;
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
    ) -> Result<Arc<TaskList>, ApiError> {
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

    /// An instance's task list read page by page, as the caller asks for pages, past
    /// the shared poller: for a reader that may stop early. Same budget as a whole read.
    pub fn task_pages(&self, project_id: &str, instance_id: &str) -> TaskPages {
        TaskPages::new(self.transport.clone(), project_id, instance_id)
    }

    /// One task by name, or None when the instance has no such task.
    pub async fn find_replication(
        &self,
        task: &TaskRef,
        cancel: &CancellationToken,
    ) -> Result<Option<ReplicationTask>, ApiError> {
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
    ) -> BoxFuture<'a, Result<Arc<TaskList>, ApiError>> {
        let mut cursor = PageCursor::collecting(project_id, instance_id);
        async move {
            while cursor.next(self, cancel).await?.is_some() {}
            let list = cursor.into_list();
            if !list.unreadable.is_empty() {
                // Every reader of the list (waits, refreshes) goes on without those tasks;
                // the data source and the typed API also tell their callers.
                tracing::warn!(project_id, instance_id, "{}", list.unreadable);
            }
            Ok(Arc::new(list))
        }
        .boxed()
    }
}

pub(super) fn replication_url(
    endpoint: &str,
    project_id: &str,
    instance_id: &str,
    action: &str,
) -> Result<String, ApiError> {
    Ok(format!(
        "{endpoint}/v3/{}/instances/{}/starrocks/databases/replication{action}",
        path_segment(project_id, "project_id")?,
        path_segment(instance_id, "instance_id")?
    ))
}

/// One path segment of an API URL, encoded; refused when it could change the path
/// (a URL parser collapses "." and ".." segments, also when percent-encoded).
pub(super) fn path_segment(value: &str, what: &str) -> Result<String, ApiError> {
    match endpoint::path_segment_problem(value) {
        None => Ok(encode_segment(value)),
        Some(problem) => Err(ApiError::Config(format!("{what} {problem}"))),
    }
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
