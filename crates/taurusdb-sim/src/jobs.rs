//! Asynchronous jobs left behind by pause and resume, and how they progress.
//!
//! The real service answers a pause with a job id at once and changes the task's stage only
//! when that job finishes, which can take seconds, may fail, and is sometimes not even
//! queryable for a while. A [`JobPlan`] scripts that deterministically: tests count polls
//! (`hidden_polls` "not found" answers, then `running_polls` "Running" answers, then the
//! outcome), the demo uses wall time (`duration`). The default plan finishes jobs at creation.
//!
//! Everything here is plain data driven by the state module under its lock: a job moves on
//! only when it is polled (poll counts) or when the state is next looked at (wall time).

use std::time::{Duration, Instant, SystemTime};

use super::clock::{format_time, now_timestamp};

/// Job status while it runs.
pub(crate) const STATUS_RUNNING: &str = "Running";
/// Job status once it finished successfully.
pub(crate) const STATUS_COMPLETED: &str = "Completed";
/// Job status once it failed.
pub(crate) const STATUS_FAILED: &str = "Failed";

/// How the jobs created from now on progress. The default finishes them at creation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobPlan {
    /// How many `GET /v3/{project}/jobs?id=` answers say the job does not exist (`DBS.200009`,
    /// exactly like an unknown job) before it becomes visible.
    pub hidden_polls: u32,
    /// How many visible answers then say `Running`; ignored when `duration` is set.
    pub running_polls: u32,
    /// What the job ends with.
    pub outcome: JobOutcome,
    /// When set, the job ends once this much wall time has passed since its creation (whether
    /// or not anyone polls it), instead of after `running_polls`; `hidden_polls` still applies
    /// to the job query.
    pub duration: Option<Duration>,
}

impl JobPlan {
    /// A plan that finishes (successfully) after `duration` of wall time: the demo's plan.
    pub fn timed(duration: Duration) -> JobPlan {
        JobPlan {
            duration: Some(duration),
            ..JobPlan::default()
        }
    }

    /// Whether a job under this plan is over as soon as it is created.
    fn finishes_at_creation(&self) -> bool {
        self.outcome != JobOutcome::Never
            && match self.duration {
                Some(duration) => duration.is_zero(),
                None => self.hidden_polls == 0 && self.running_polls == 0,
            }
    }
}

/// How a job ends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum JobOutcome {
    /// Status `Completed`, process `100%`, and the task's stage changes.
    #[default]
    Complete,
    /// Status `Failed` with this `fail_reason`; the task's stage does not change.
    Fail(String),
    /// Stays `Running` forever.
    Never,
}

/// A job as the simulator recorded it (what `GET /v3/{project}/jobs?id=` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimJob {
    /// Job id, as returned in `job_id`.
    pub id: String,
    /// Job name, e.g. `PauseStarRocksDataReplication`.
    pub name: String,
    /// `Running`, `Completed` or `Failed`.
    pub status: String,
    /// Instance the job runs on.
    pub instance_id: String,
    /// Task the job pauses or resumes.
    pub task_name: String,
    /// Project the job belongs to.
    pub project_id: String,
    /// Progress, e.g. `50%`; `100%` once completed.
    pub process: String,
    /// Why the job failed; empty unless `status` is `Failed`.
    pub fail_reason: String,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS+0000`.
    pub created: String,
    /// End time, same format; empty while running.
    pub ended: String,
}

/// A stage change to make because a job completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StageChange {
    pub project_id: String,
    pub instance_id: String,
    pub task_name: String,
    pub stage: &'static str,
}

/// A job with its script and progress.
#[derive(Debug, Clone)]
pub(crate) struct JobRecord {
    job: SimJob,
    plan: JobPlan,
    /// Job queries answered so far (hidden ones included).
    polls: u32,
    started: Instant,
    /// Wall-clock creation time, for the `ended` of wall-time jobs.
    started_wall: SystemTime,
    /// Stage the task gets when the job completes.
    target_stage: &'static str,
    done: bool,
}

impl JobRecord {
    /// A running job following `plan`; if the plan finishes it at creation, it is finished
    /// and the stage change to apply is returned too.
    pub(crate) fn start(
        job: SimJob,
        plan: JobPlan,
        target_stage: &'static str,
        now: Instant,
    ) -> (JobRecord, Option<StageChange>) {
        let mut record = JobRecord {
            job,
            plan,
            polls: 0,
            started: now,
            started_wall: SystemTime::now(),
            target_stage,
            done: false,
        };
        record.job.status = STATUS_RUNNING.to_owned();
        record.job.process = "0%".to_owned();
        record.job.fail_reason.clear();
        record.job.ended.clear();
        let change = if record.plan.finishes_at_creation() {
            record.finish(now_timestamp())
        } else {
            None
        };
        (record, change)
    }

    /// The job as it stands.
    pub(crate) fn job(&self) -> &SimJob {
        &self.job
    }

    /// For wall-time plans: finishes the job if its time has come.
    pub(crate) fn tick(&mut self, now: Instant) -> Option<StageChange> {
        let duration = self.plan.duration?;
        if self.done {
            return None;
        }
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= duration && self.plan.outcome != JobOutcome::Never {
            // It ended when its time came, however late someone looks.
            return self.finish(format_time(self.started_wall + duration));
        }
        let percent = if duration.is_zero() {
            99
        } else {
            (elapsed.as_millis() * 100 / duration.as_millis().max(1)).clamp(1, 99)
        };
        self.job.process = format!("{percent}%");
        None
    }

    /// One job query: `None` while the job is still hidden, else the job as reported now, plus
    /// the stage change to apply if this query is the one that finished it.
    pub(crate) fn poll(&mut self, now: Instant) -> (Option<SimJob>, Option<StageChange>) {
        self.polls = self.polls.saturating_add(1);
        let mut change = self.tick(now);
        if !self.done && self.plan.duration.is_none() {
            let visible = self.polls.saturating_sub(self.plan.hidden_polls);
            if visible > self.plan.running_polls && self.plan.outcome != JobOutcome::Never {
                change = self.finish(now_timestamp());
            } else if visible > 0 {
                let percent = if visible <= self.plan.running_polls {
                    u64::from(visible) * 100 / (u64::from(self.plan.running_polls) + 1)
                } else {
                    50
                };
                self.job.process = format!("{}%", percent.clamp(1, 99));
            }
        }
        let shown = (self.polls > self.plan.hidden_polls).then(|| self.job.clone());
        (shown, change)
    }

    /// Ends the job with its plan's outcome at time `ended` (no-op for `Never` or when already
    /// over).
    fn finish(&mut self, ended: String) -> Option<StageChange> {
        if self.done {
            return None;
        }
        match &self.plan.outcome {
            JobOutcome::Never => None,
            JobOutcome::Complete => {
                self.done = true;
                self.job.status = STATUS_COMPLETED.to_owned();
                self.job.process = "100%".to_owned();
                self.job.ended = ended;
                Some(StageChange {
                    project_id: self.job.project_id.clone(),
                    instance_id: self.job.instance_id.clone(),
                    task_name: self.job.task_name.clone(),
                    stage: self.target_stage,
                })
            }
            JobOutcome::Fail(reason) => {
                self.done = true;
                self.job.status = STATUS_FAILED.to_owned();
                self.job.fail_reason.clone_from(reason);
                self.job.ended = ended;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> SimJob {
        SimJob {
            id: "j".to_owned(),
            name: "PauseStarRocksDataReplication".to_owned(),
            status: String::new(),
            instance_id: "i".to_owned(),
            task_name: "t".to_owned(),
            project_id: "p".to_owned(),
            process: String::new(),
            fail_reason: String::new(),
            created: now_timestamp(),
            ended: String::new(),
        }
    }

    fn change() -> Option<StageChange> {
        Some(StageChange {
            project_id: "p".to_owned(),
            instance_id: "i".to_owned(),
            task_name: "t".to_owned(),
            stage: "Paused",
        })
    }

    #[test]
    fn default_plan_finishes_at_creation() {
        let now = Instant::now();
        let (mut record, at_start) = JobRecord::start(job(), JobPlan::default(), "Paused", now);
        assert_eq!(at_start, change());
        assert_eq!(record.job().status, "Completed");
        assert_eq!(record.job().process, "100%");
        assert!(!record.job().ended.is_empty());
        let (shown, again) = record.poll(now);
        assert_eq!(shown.map(|j| j.status).as_deref(), Some("Completed"));
        assert_eq!(again, None, "the stage changes once");
    }

    #[test]
    fn poll_counts_drive_hidden_running_then_outcome() {
        let now = Instant::now();
        let plan = JobPlan {
            hidden_polls: 2,
            running_polls: 3,
            ..JobPlan::default()
        };
        let (mut record, at_start) = JobRecord::start(job(), plan, "Paused", now);
        assert_eq!(at_start, None);
        assert_eq!(record.poll(now), (None, None));
        assert_eq!(record.poll(now), (None, None));
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (shown, change) = record.poll(now);
            assert_eq!(change, None);
            let shown = shown.expect("visible");
            assert_eq!(shown.status, "Running");
            assert!(shown.ended.is_empty());
            seen.push(shown.process);
        }
        assert_eq!(seen, ["25%", "50%", "75%"]);
        let (shown, change_now) = record.poll(now);
        assert_eq!(change_now, change());
        assert_eq!(shown.map(|j| j.status).as_deref(), Some("Completed"));
    }

    #[test]
    fn fail_and_never_outcomes() {
        let now = Instant::now();
        let plan = JobPlan {
            outcome: JobOutcome::Fail("disk full".to_owned()),
            ..JobPlan::default()
        };
        let (record, at_start) = JobRecord::start(job(), plan, "Paused", now);
        assert_eq!(at_start, None);
        assert_eq!(record.job().status, "Failed");
        assert_eq!(record.job().fail_reason, "disk full");

        let plan = JobPlan {
            outcome: JobOutcome::Never,
            ..JobPlan::default()
        };
        let (mut record, at_start) = JobRecord::start(job(), plan, "Paused", now);
        assert_eq!(at_start, None);
        for _ in 0..50 {
            let (shown, change) = record.poll(now);
            assert_eq!(change, None);
            assert_eq!(shown.map(|j| j.status).as_deref(), Some("Running"));
        }
    }

    #[test]
    fn wall_time_plans_finish_when_due_even_unpolled() {
        let start = Instant::now();
        let plan = JobPlan {
            hidden_polls: 1,
            ..JobPlan::timed(Duration::from_secs(10))
        };
        let (mut record, at_start) = JobRecord::start(job(), plan, "Paused", start);
        assert_eq!(at_start, None);
        assert_eq!(record.poll(start + Duration::from_secs(1)), (None, None));
        let (shown, change_now) = record.poll(start + Duration::from_secs(5));
        assert_eq!(change_now, None);
        let shown = shown.expect("visible");
        assert_eq!(
            (shown.status.as_str(), shown.process.as_str()),
            ("Running", "50%")
        );
        assert_eq!(record.tick(start + Duration::from_secs(10)), change());
        assert_eq!(record.job().status, "Completed");
        assert_eq!(record.tick(start + Duration::from_secs(11)), None);

        let (record, at_start) =
            JobRecord::start(job(), JobPlan::timed(Duration::ZERO), "Paused", start);
        assert_eq!(at_start, change());
        assert_eq!(record.job().status, "Completed");
    }
}
