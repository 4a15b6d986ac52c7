//! What the job flow and the API client return, as the typed API's messages.

use crate::proto::replication::v1 as pb;
use taurusdb_api::job::JobEvent;
use taurusdb_api::wait::WaitEvent;
use taurusdb_api::wire::{Job, ReplicationTask};

/// A listed task.
pub fn task(task: &ReplicationTask) -> pb::Task {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    pb::Task {
        task_name: task.task_name.clone(),
        source_database: text(&task.source_database),
        target_database: text(&task.target_database),
        status: text(&task.status),
        stage: text(&task.stage),
        percentage: text(&task.percentage),
        catchup_stage: text(&task.catchup_stage),
        catchup_percentage: text(&task.catchup_percentage),
        is_main_task: task.is_main_task,
        is_need_repair: task.is_need_repair,
    }
}

/// A job as the jobs API reports it.
pub fn job(job: &Job) -> pb::Job {
    pb::Job {
        id: job.id.clone(),
        status: job.status.name().to_string(),
        progress: job.process.clone().unwrap_or_default(),
        fail_reason: job.fail_reason.clone().unwrap_or_default(),
    }
}

/// A step of a running pause or resume, as a watch stream event.
pub fn event(event: JobEvent) -> pb::JobEvent {
    use pb::job_event::Event;
    let event = match event {
        JobEvent::Started { job_id } => Event::Started(pb::Started { job_id }),
        JobEvent::AlreadyThere { stage } => Event::AlreadyThere(pb::AlreadyThere { stage }),
        JobEvent::Wait(WaitEvent::Job { status, progress }) => Event::Job(pb::JobProgress {
            status,
            progress: progress.unwrap_or_default(),
        }),
        JobEvent::Wait(WaitEvent::Stage(stage)) => Event::Stage(pb::StageChanged { stage }),
    };
    pb::JobEvent { event: Some(event) }
}

/// The stream's last event of a pause or resume that ended well.
pub fn completed(result: pb::JobResult) -> pb::JobEvent {
    pb::JobEvent {
        event: Some(pb::job_event::Event::Completed(result)),
    }
}
