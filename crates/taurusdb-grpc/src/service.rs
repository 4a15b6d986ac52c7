//! The `taurusdb.replication.v1.Replication` service: each RPC checks its request,
//! takes the server's own TaurusDB access, and answers with the job flow
//! ([`taurusdb_api::job`]) and the API client; failures become statuses through
//! [`CallError`].

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::access::{Access, ServerApi};
use crate::convert;
use crate::error::CallError;
use crate::proto::replication::v1 as pb;
use crate::proto::replication::v1::replication_server::{Replication, ReplicationServer};
use crate::request::{self, JobCall};
use crate::run::{self, EventStream, JobSpec, RunningJob};
use taurusdb_api::job::JobKind;

/// Serves the typed API with the server's own configuration.
pub struct ReplicationService {
    api: Arc<ServerApi>,
    /// Fired when the server stops (after its grace period): running jobs end and say
    /// they were interrupted.
    shutdown: CancellationToken,
}

impl ReplicationService {
    pub fn new(api: ServerApi, shutdown: CancellationToken) -> Self {
        Self {
            api: Arc::new(api),
            shutdown,
        }
    }

    pub fn into_server(self) -> ReplicationServer<Self> {
        ReplicationServer::new(self)
    }

    fn access(&self) -> Result<&Access, CallError> {
        self.api
            .access()
            .map_err(|reason| CallError::NotConfigured(reason.to_string()))
    }

    /// The project a request names, else the server's (configured or looked up).
    async fn project_of(&self, access: &Access, given: &str) -> Result<String, CallError> {
        let default = if given.is_empty() {
            let cancel = self.shutdown.child_token();
            access
                .default_project(&cancel)
                .await
                .map_err(|err| CallError::Read {
                    what: "look up the project of this server's region".into(),
                    err,
                })?
        } else {
            None
        };
        request::project(given, default.as_deref())
    }

    /// The checked job of a Pause/Resume/Watch request.
    async fn job(
        &self,
        kind: JobKind,
        request: &Request<pb::JobRequest>,
    ) -> Result<JobSpec, Status> {
        let arrived = Instant::now();
        let access = self.access()?;
        let deadline = request::call_deadline(request.metadata());
        let project = self
            .project_of(access, &request.get_ref().project_id)
            .await?;
        // What is left of the deadline once the project is known (a lookup takes time).
        let left = deadline.map(|d| d.saturating_sub(arrived.elapsed()));
        let call = JobCall::from_request(request.get_ref(), Some(&project), left)?;
        Ok(JobSpec {
            kind,
            call,
            access: access.clone(),
        })
    }

    async fn run(
        &self,
        kind: JobKind,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<pb::JobResult>, Status> {
        let spec = self.job(kind, &request).await?;
        let result = RunningJob::spawn(spec, &self.shutdown).finish().await?;
        Ok(Response::new(result))
    }

    async fn watch(
        &self,
        kind: JobKind,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let spec = self.job(kind, &request).await?;
        Ok(Response::new(run::spawn_watched(spec, &self.shutdown)))
    }
}

#[tonic::async_trait]
impl Replication for ReplicationService {
    async fn pause(
        &self,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<pb::JobResult>, Status> {
        self.run(JobKind::Pause, request).await
    }

    async fn resume(
        &self,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<pb::JobResult>, Status> {
        self.run(JobKind::Resume, request).await
    }

    type WatchPauseStream = EventStream;

    async fn watch_pause(
        &self,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<Self::WatchPauseStream>, Status> {
        self.watch(JobKind::Pause, request).await
    }

    type WatchResumeStream = EventStream;

    async fn watch_resume(
        &self,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<Self::WatchResumeStream>, Status> {
        self.watch(JobKind::Resume, request).await
    }

    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let access = self.access()?;
        let request = request.get_ref();
        let project = self.project_of(access, &request.project_id).await?;
        let instance = request::instance(&request.instance_id)?;
        let filter = request::task_filter(request)?;
        let cancel = self.shutdown.child_token();
        let tasks = access
            .client
            .list_replications(&project, &instance, &cancel)
            .await
            .map_err(|err| CallError::Read {
                what: format!("list the tasks of instance {instance:?}"),
                err,
            })?;
        let warnings = if tasks.unreadable.is_empty() {
            Vec::new()
        } else {
            vec![tasks.unreadable.to_string()]
        };
        Ok(Response::new(pb::ListTasksResponse {
            tasks: tasks
                .iter()
                .filter(|task| filter.keeps(task))
                .map(convert::task)
                .collect(),
            warnings,
        }))
    }

    async fn get_job(
        &self,
        request: Request<pb::GetJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let access = self.access()?;
        let request = request.get_ref();
        let project = self.project_of(access, &request.project_id).await?;
        let job_id = request::job_id(&request.job_id)?;
        let cancel = self.shutdown.child_token();
        match access.client.show_job(&project, &job_id, &cancel).await {
            Ok(Some(job)) => Ok(Response::new(convert::job(&job))),
            Ok(None) => Err(CallError::JobNotFound { project, job_id }.into()),
            Err(err) => Err(CallError::Read {
                what: format!("read job {job_id:?}"),
                err,
            }
            .into()),
        }
    }
}
