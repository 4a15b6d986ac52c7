//! What a replication action tells its user while it runs: each [`JobEvent`] of the job
//! flow as one short progress line ("pause requested, job <id>", "job <id> Running 50%",
//! "task stage Paused"), the service's text in it made [`printable`].

use std::sync::OnceLock;

use stdx::printable::printable;
use taurusdb_api::job::{JobEvent, JobKind};
use taurusdb_api::wait::WaitEvent;
use tfplugin::tf::action::Progress;

/// Turns job events into progress lines; the job flow's observer.
pub struct Narrator<'a> {
    kind: JobKind,
    progress: &'a Progress,
    /// The job's ID, once the service started it.
    job_id: OnceLock<String>,
}

impl<'a> Narrator<'a> {
    pub fn new(kind: JobKind, progress: &'a Progress) -> Self {
        Self {
            kind,
            progress,
            job_id: OnceLock::new(),
        }
    }

    /// Sends the line for `event`; never blocks.
    pub fn tell(&self, event: JobEvent) {
        self.progress.send(printable(&self.line(event)));
    }

    fn line(&self, event: JobEvent) -> String {
        match event {
            JobEvent::Started { job_id } => {
                let line = format!("{} requested, job {job_id}", self.kind.verb());
                let _ = self.job_id.set(job_id);
                line
            }
            JobEvent::AlreadyThere { stage } => match self.kind {
                JobKind::Pause => format!("task already paused (stage {stage})"),
                JobKind::Resume => format!("task already running (stage {stage})"),
            },
            JobEvent::Wait(WaitEvent::Job { status, progress }) => {
                let job = self.job_id.get().map(String::as_str).unwrap_or("?");
                match progress {
                    Some(progress) => format!("job {job} {status} {progress}"),
                    None => format!("job {job} {status}"),
                }
            }
            JobEvent::Wait(WaitEvent::Stage(stage)) => format!("task stage {stage}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::tf::action::progress_channel;

    #[test]
    fn each_event_is_one_line_naming_the_job() {
        let (progress, reader) = progress_channel(16);
        let narrator = Narrator::new(JobKind::Pause, &progress);
        narrator.tell(JobEvent::Started {
            job_id: "j-1".into(),
        });
        narrator.tell(JobEvent::Wait(WaitEvent::Stage("Incremental".into())));
        narrator.tell(JobEvent::Wait(WaitEvent::Job {
            status: "Running".into(),
            progress: Some("50%".into()),
        }));
        narrator.tell(JobEvent::Wait(WaitEvent::Job {
            status: "Completed".into(),
            progress: None,
        }));
        narrator.tell(JobEvent::Wait(WaitEvent::Stage("Paused".into())));
        let lines: Vec<String> = std::iter::from_fn(|| reader.try_next()).collect();
        assert_eq!(
            lines,
            [
                "pause requested, job j-1",
                "task stage Incremental",
                "job j-1 Running 50%",
                "job j-1 Completed",
                "task stage Paused",
            ]
        );
        narrator.tell(JobEvent::Wait(WaitEvent::Stage(
            "Paused\u{1b}[2J\nforged".into(),
        )));
        assert_eq!(
            reader.try_next().as_deref(),
            Some("task stage Paused\\u{1b}[2J\\nforged")
        );
        let resume = Narrator::new(JobKind::Resume, &progress);
        resume.tell(JobEvent::AlreadyThere {
            stage: "Incremental".into(),
        });
        assert_eq!(
            reader.try_next().as_deref(),
            Some("task already running (stage Incremental)")
        );
    }
}
