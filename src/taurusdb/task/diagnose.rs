//! API and wait failures turned into what a user reads: the HTTP status, error_code,
//! error_msg and request id, pointed at the attribute the error is about, with a hint
//! where one helps; and a job's typed outcome ([`JobOutcome`]) turned into diagnostics
//! ([`worded`]).
//!
//! Provider-wide: the caller says what it was doing ([`Verb`], [`Operation`]) and, in
//! its own terms, what a failed or unsure job leaves behind ([`Aftermath`]): a resource
//! keeps its state and tries again at the next apply, an action would say otherwise.

use std::time::Duration;

use crate::taurusdb::config::{attrs as settings, hint_all};
use crate::taurusdb::task::attrs;
use stdx::printable::printable;
use taurusdb_api::job::flight::Busy;
use taurusdb_api::job::{Gone, JobKind, JobOutcome, NotDone, Uncertain};
use taurusdb_api::wait::WaitError;
use taurusdb_api::{ApiError, TaskRef};
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;

/// What the provider was doing with a task when the API failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Read,
    Run(JobKind),
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Read => "read",
            Verb::Run(kind) => kind.verb(),
        }
    }
}

impl From<JobKind> for Verb {
    fn from(kind: JobKind) -> Self {
        Verb::Run(kind)
    }
}

/// A job on a task.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    pub kind: JobKind,
    pub task: &'a TaskRef,
}

/// What a failed or unsure job leaves behind, in the words of its caller.
#[derive(Debug, Clone)]
pub struct Aftermath {
    /// The setting that bounds the job, e.g. `timeouts.create`.
    pub bound: String,
    /// After a request that may or may not have been carried out.
    pub if_uncertain: &'static str,
    /// After the bound ran out before the request was sent: what was not done.
    pub if_not_sent: &'static str,
    /// After the job started but the wait did not end well, given the job's ID.
    pub if_job_failed: fn(job_id: &str) -> String,
}

/// The diagnostic for a failed API call.
pub fn api_failed(err: &ApiError, verb: impl Into<Verb>, task: &TaskRef) -> Diagnostic {
    let verb = verb.into();
    let summary = format!(
        "Failed to {} replication task {:?}",
        verb.as_str(),
        task.task
    );
    explained(err, summary, task, Some(verb))
}

/// The diagnostic for a failed listing of an instance's tasks.
pub fn list_failed(err: &ApiError, project_id: &str, instance_id: &str) -> Diagnostic {
    let summary = format!("Failed to list the replication tasks of instance {instance_id:?}");
    explained(
        err,
        summary,
        &TaskRef::new(project_id, instance_id, ""),
        Some(Verb::Read),
    )
}

/// The diagnostic for credentials that could not be obtained before any call.
pub fn credentials_unavailable(err: &ApiError) -> Diagnostic {
    if let ApiError::TemporaryCredentials {
        last_resort: true, ..
    } = err
    {
        return crate::taurusdb::config::sources::no_credentials(err);
    }
    explained(
        err,
        "Could not obtain TaurusDB credentials".to_string(),
        &TaskRef::new("", "", ""),
        None,
    )
}

/// `summary` with the API's error, what it means for `task` (and for what `verb` was
/// to do), and a hint.
fn explained(err: &ApiError, summary: String, task: &TaskRef, verb: Option<Verb>) -> Diagnostic {
    if let ApiError::TemporaryCredentials {
        last_resort: true, ..
    } = err
    {
        // Nothing was configured and this is no ECS with an agency: say every way.
        return crate::taurusdb::config::sources::no_credentials(err);
    }
    let mut detail = format!("TaurusDB API error: {}", printable(&err.to_string()));
    let mut path = None;
    if err.is_instance_not_found() {
        detail.push_str(&format!(
            "\n\nNo StarRocks instance {:?} exists in project {:?}.",
            task.instance, task.project
        ));
        path = Some(attrs::INSTANCE_ID);
    } else if err.is_task_not_found() {
        detail.push_str(&format!(
            "\n\nInstance {:?} has no synchronization task {:?}.",
            task.instance, task.task
        ));
        path = Some(attrs::TASK_NAME);
    }
    if let ApiError::TemporaryCredentials { from, .. } = err {
        detail.push_str(&format!(
            "\n\nNothing was sent to TaurusDB. Check the settings of {} (the {} and {} \
             blocks, the shared config profile) and that the credentials they start from \
             may assume the agency.",
            printable(from),
            crate::taurusdb::config::assume_role::BLOCK,
            crate::taurusdb::config::oidc::BLOCK
        ));
    } else if matches!(err, ApiError::Connect { .. }) {
        detail.push_str(&unreachable(verb));
    } else if matches!(err, ApiError::IamToken(_)) {
        detail.push_str(&format!(
            "\n\nCheck {} and {}.",
            hint_all(&[
                settings::USER_NAME,
                settings::PASSWORD,
                settings::DOMAIN_NAME
            ]),
            settings::AUTH_URL.hint()
        ));
    } else if matches!(err.status(), Some(401 | 403)) && !err.is_task_gone() {
        // A 403 "no such instance" (DBS.2000044) is no credential problem.
        detail.push_str(&format!(
            "\n\nThe credentials were rejected. Check {}, or {} and the machine's clock.",
            settings::TOKEN.hint(),
            hint_all(&[settings::ACCESS_KEY, settings::SECRET_KEY])
        ));
    }
    let diagnostic = Diagnostic::error(summary, detail);
    match path {
        Some(attr) => diagnostic.at(AttrPath::attr(attr)),
        None => diagnostic,
    }
}

/// What a failure to connect means (nothing reached TaurusDB, so nothing was done) and
/// what to check: the address, the way there, the settings of a private cloud. The
/// error itself already says how many attempts were made over how long.
fn unreachable(verb: Option<Verb>) -> String {
    let nothing_done = match verb {
        Some(Verb::Run(kind)) => format!("Nothing was {}: the", kind.done()),
        Some(Verb::Read) | None => "The".to_string(),
    };
    format!(
        "\n\n{nothing_done} request never reached TaurusDB (no connection was made, \
         so it was never delivered). Check:\n\
         - the address: {}, or {} and {}, from which it is derived;\n\
         - the way there: DNS, firewalls, and a proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) \
         on this machine;\n\
         - in a private cloud: the `{}` key of {}, {} and {}.",
        settings::ENDPOINT.hint(),
        settings::REGION.hint(),
        settings::CLOUD.hint(),
        crate::taurusdb::config::endpoints::GAUSSDB.attr,
        crate::taurusdb::config::endpoints::ATTR,
        settings::CA_FILE.hint(),
        settings::INSECURE.hint(),
    )
}

/// The pause or resume request was sent, but the answer does not prove whether the
/// service carried it out (a broken connection, a timeout, a 5xx from the gateway, a
/// redirect): it may have happened.
pub fn uncertain(
    err: &ApiError,
    op: Operation<'_>,
    aftermath: &Aftermath,
    timed_out: bool,
) -> Diagnostic {
    let verb = op.kind.verb();
    let why = if timed_out {
        format!(
            "{} ran out while the {verb} request was in flight",
            aftermath.bound
        )
    } else {
        printable(&err.to_string())
    };
    Diagnostic::error(
        format!(
            "The {verb} of task {:?} may or may not have happened",
            op.task.task
        ),
        format!(
            "The {verb} request was sent, but the answer does not show whether TaurusDB \
             carried it out: {why}.\n\n{}",
            aftermath.if_uncertain
        ),
    )
}

/// A warning: the service refused the pause or resume, but the task already reads the
/// stage the operation was for, so nothing needed doing.
pub fn already_at_target(err: &ApiError, op: Operation<'_>, stage: &str) -> Diagnostic {
    let summary = match op.kind {
        JobKind::Pause => format!("Task {:?} is already paused", op.task.task),
        JobKind::Resume => format!("Task {:?} is not paused", op.task.task),
    };
    let verb = op.kind.verb();
    Diagnostic::warning(
        summary,
        format!(
            "TaurusDB refused the {verb} ({}), and the task's stage reads {stage:?}, which \
             is what the {verb} was for. Nothing was changed, and no job ID is recorded.",
            printable(&err.to_string())
        ),
    )
}

/// The deadline passed before the pause or resume request could be sent.
pub fn timed_out_before_sending(
    op: Operation<'_>,
    aftermath: &Aftermath,
    timeout: Duration,
) -> Diagnostic {
    let verb = op.kind.verb();
    Diagnostic::error(
        format!("Timed out before the {verb} of task {:?}", op.task.task),
        format!(
            "{} ({timeout:?}) ran out before the {verb} request could be sent (for example \
             while retrying a throttled request). {}.",
            aftermath.bound, aftermath.if_not_sent
        ),
    )
}

/// The other kind of job is in flight for the task (in this process, with this client):
/// this one was refused before anything was sent.
pub fn busy(busy: &Busy, op: Operation<'_>, aftermath: &Aftermath) -> Diagnostic {
    let running = busy.running;
    let job = match &busy.job_id {
        Some(job_id) => format!("job {job_id}"),
        None => "its request is on its way".to_string(),
    };
    Diagnostic::error(
        format!(
            "Task {:?} is being {} right now",
            op.task.task,
            running.done()
        ),
        format!(
            "The provider is already running a {} of this task ({job}) for another caller, \
             so this {} was not sent: the two contradict each other, and which came last \
             would decide. {}. Make sure one configuration does not both pause and resume \
             the task, then run again once the {} has ended.",
            running.verb(),
            op.kind.verb(),
            aftermath.if_not_sent,
            running.verb()
        ),
    )
}

/// A warning: the jobs API could not be read, so only the task's stage was checked.
pub fn job_unreadable(err: &ApiError, op: Operation<'_>) -> Diagnostic {
    Diagnostic::warning(
        format!("Could not read the {} job", op.kind.verb()),
        format!(
            "The jobs API answered {}. The wait relied on the task's stage alone, which \
             reached the expected value. Allow the credentials to read jobs to have failed \
             jobs reported with their reason.",
            printable(&err.to_string())
        ),
    )
}

/// The diagnostic for a wait that did not end well.
pub fn wait_failed(
    err: &WaitError,
    op: Operation<'_>,
    aftermath: &Aftermath,
    job_id: &str,
) -> Diagnostic {
    let verb = op.kind.verb();
    let task = &op.task.task;
    let kept = (aftermath.if_job_failed)(job_id);
    let (summary, detail) = match err {
        WaitError::JobFailed { reason, .. } => (
            format!("The {verb} job for task {task:?} failed"),
            format!("Job {job_id} failed: {}\n\n{kept}", printable(reason)),
        ),
        WaitError::TimedOut {
            waited, last_seen, ..
        } => (
            format!("Timed out waiting for the {verb} of task {task:?}"),
            format!(
                "Waited {waited:.0?} for job {job_id}; last seen: {}. Raise {} if \
                 the service is slow.\n\n{kept}",
                printable(last_seen),
                aftermath.bound
            ),
        ),
        WaitError::Cancelled => (
            format!("Stopped waiting for the {verb} of task {task:?}"),
            format!(
                "Terraform asked the provider to stop while job {job_id} was running.\n\n{kept}"
            ),
        ),
        WaitError::TaskGone { .. } => (
            format!("Task {task:?} disappeared during the {verb}"),
            format!("{}.\n\n{kept}", printable(&err.to_string())),
        ),
        WaitError::TaskCancelled { .. } => (
            format!("Task {task:?} was cancelled during the {verb}"),
            format!(
                "{}: a cancelled task neither pauses nor replicates, so the {verb} cannot \
                 take effect.\n\n{kept}",
                printable(&err.to_string())
            ),
        ),
        WaitError::Api(api) => {
            let inner = api_failed(api, op.kind, op.task);
            (inner.summary, format!("{}\n\n{kept}", inner.detail))
        }
    };
    Diagnostic::error(summary, detail)
}

/// The error for a task found missing, for a caller to whom that is a failure.
pub fn gone(gone: &Gone, op: Operation<'_>) -> Diagnostic {
    match gone {
        Gone::Refused(err) => api_failed(err, op.kind, op.task),
        Gone::DuringWait => Diagnostic::error(
            format!(
                "Task {:?} disappeared during the {}",
                op.task.task,
                op.kind.verb()
            ),
            format!("Instance {:?} no longer lists the task.", op.task.instance),
        ),
    }
}

/// The error for a job that certainly did not happen.
pub fn not_done(not_done: &NotDone, op: Operation<'_>, aftermath: &Aftermath) -> Diagnostic {
    match not_done {
        NotDone::Api(err) => api_failed(err, op.kind, op.task),
        NotDone::TimedOutBeforeSending { timeout } => {
            timed_out_before_sending(op, aftermath, *timeout)
        }
        NotDone::Busy(running) => busy(running, op, aftermath),
    }
}

/// The error for a job that happened, or may have, but did not end well.
pub fn not_certain(uncertain: &Uncertain, op: Operation<'_>, aftermath: &Aftermath) -> Diagnostic {
    match uncertain {
        Uncertain::Request { err, timed_out } => self::uncertain(err, op, aftermath, *timed_out),
        Uncertain::Wait { job_id, err } => wait_failed(err, op, aftermath, job_id),
    }
}

/// A job's outcome in a caller's words.
#[derive(Debug)]
pub enum Worded {
    /// The job ended well; `job_id` is None when the task already read the target
    /// stage (then `warnings` says so).
    Done {
        job_id: Option<String>,
        stage: Option<String>,
        warnings: Diagnostics,
    },
    /// The task or its instance does not exist (only with `gone_ends_it`): the caller
    /// decides whether that is a failure ([`gone`]).
    Gone(Gone),
    /// Certainly nothing happened.
    NotDone(Diagnostic),
    /// The job happened, or may have, but did not end well; its ID when one is known.
    Uncertain {
        job_id: Option<String>,
        diagnostic: Diagnostic,
    },
}

/// `outcome` as the diagnostics of the caller whose words `aftermath` holds.
pub fn worded(outcome: JobOutcome, op: Operation<'_>, aftermath: &Aftermath) -> Worded {
    match outcome {
        JobOutcome::Done {
            job_id,
            stage,
            job_unreadable,
        } => Worded::Done {
            job_id: Some(job_id),
            stage,
            warnings: job_unreadable
                .map(|err| self::job_unreadable(&err, op))
                .into_iter()
                .collect(),
        },
        JobOutcome::AlreadyThere { refusal, stage } => Worded::Done {
            job_id: None,
            warnings: already_at_target(&refusal, op, &stage).into(),
            stage: Some(stage),
        },
        JobOutcome::Gone(gone) => Worded::Gone(gone),
        JobOutcome::NotDone(not_done) => Worded::NotDone(self::not_done(&not_done, op, aftermath)),
        JobOutcome::Uncertain(uncertain) => Worded::Uncertain {
            job_id: uncertain.job_id().map(str::to_string),
            diagnostic: not_certain(&uncertain, op, aftermath),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_instance_points_at_instance_id() {
        let err = ApiError::Status {
            status: 400,
            code: Some("DBS.200022".into()),
            message: "Instance not found.".into(),
            request_id: Some("rid".into()),
            retry_after: None,
        };
        let d = api_failed(&err, JobKind::Pause, &TaskRef::new("p", "i", "t"));
        assert_eq!(d.path, Some(AttrPath::attr("instance_id")));
        for part in ["400", "DBS.200022", "Instance not found.", "rid"] {
            assert!(d.detail.contains(part), "{part} missing from {}", d.detail);
        }
    }

    #[test]
    fn every_instance_not_found_code_points_at_instance_id() {
        for (status, code) in [
            (400, "DBS.200022"),
            (400, "DBS.05000044"),
            (403, "DBS.2000044"),
        ] {
            let err = ApiError::Status {
                status,
                code: Some(code.into()),
                message: "Instance not found.".into(),
                request_id: None,
                retry_after: None,
            };
            let task = TaskRef::new("p", "i", "t");
            for d in [
                api_failed(&err, JobKind::Resume, &task),
                list_failed(&err, "p", "i"),
            ] {
                assert_eq!(d.path, Some(AttrPath::attr("instance_id")), "{code}");
                assert!(
                    d.detail
                        .contains("No StarRocks instance \"i\" exists in project \"p\""),
                    "{code}: {}",
                    d.detail
                );
                assert!(d.detail.contains(code), "{code}: {}", d.detail);
                assert!(
                    !d.detail.contains("credentials were rejected"),
                    "{code}: {}",
                    d.detail
                );
            }
        }
    }

    #[test]
    fn a_cancelled_task_ends_the_wait_with_the_job_kept() {
        let task = TaskRef::new("p", "i", "t");
        let op = Operation {
            kind: JobKind::Resume,
            task: &task,
        };
        let aftermath = Aftermath {
            bound: "timeouts.create".into(),
            if_uncertain: "",
            if_not_sent: "",
            if_job_failed: |job| format!("Job {job} is kept."),
        };
        let err = WaitError::TaskCancelled {
            task_name: "t".into(),
            stage: "Cancelled".into(),
        };
        let d = wait_failed(&err, op, &aftermath, "j-1");
        assert_eq!(d.summary, "Task \"t\" was cancelled during the resume");
        for part in ["\"Cancelled\"", "cannot take effect", "Job j-1 is kept."] {
            assert!(d.detail.contains(part), "{part} missing from {}", d.detail);
        }
    }

    #[test]
    fn the_services_text_cannot_drive_the_terminal() {
        let hostile = ApiError::Status {
            status: 400,
            code: Some("DBS.000001".into()),
            message: "bad\u{1b}[2J\nFake: all good\u{202e}".into(),
            request_id: None,
            retry_after: None,
        };
        let d = api_failed(&hostile, JobKind::Pause, &TaskRef::new("p", "i", "t"));
        assert!(
            !d.detail.contains('\u{1b}') && !d.detail.contains('\u{202e}'),
            "{:?}",
            d.detail
        );
        assert!(d.detail.contains("bad\\u{1b}[2J\\nFake"), "{:?}", d.detail);
        let failed = WaitError::JobFailed {
            job_id: "j".into(),
            reason: "no\u{1b}]0;title\u{7}".into(),
        };
        let task = TaskRef::new("p", "i", "t");
        let op = Operation {
            kind: JobKind::Pause,
            task: &task,
        };
        let aftermath = Aftermath {
            bound: "timeouts.create".into(),
            if_uncertain: "",
            if_not_sent: "",
            if_job_failed: |_| String::new(),
        };
        let d = wait_failed(&failed, op, &aftermath, "j");
        assert!(
            !d.detail.chars().any(|c| c == '\u{1b}' || c == '\u{7}'),
            "{:?}",
            d.detail
        );
    }

    #[test]
    fn rejected_credentials_name_the_settings_to_check() {
        let rejected = ApiError::Status {
            status: 401,
            code: Some("APIGW.0301".into()),
            message: "Incorrect IAM authentication information".into(),
            request_id: None,
            retry_after: None,
        };
        let d = api_failed(&rejected, Verb::Read, &TaskRef::new("p", "i", "t"));
        assert!(d.summary.starts_with("Failed to read"), "{}", d.summary);
        for hint in ["token (HW_AUTH_TOKEN)", "HW_ACCESS_KEY", "HW_SECRET_KEY"] {
            assert!(d.detail.contains(hint), "{hint} missing from {}", d.detail);
        }
        let iam = ApiError::IamToken(Box::new(rejected));
        let d = api_failed(&iam, Verb::Read, &TaskRef::new("p", "i", "t"));
        assert!(
            d.detail
                .contains("(HW_USER_NAME, HW_USER_PASSWORD, HW_DOMAIN_NAME)")
        );
        assert!(d.detail.contains("auth_url (HW_AUTH_URL)"), "{}", d.detail);
    }

    /// The typed API words a job's outcome itself (it may not depend on this module);
    /// its words must stay the ones these diagnostics use, with its own aftermath.
    #[test]
    fn the_typed_api_words_outcomes_as_these_diagnostics_do() {
        use std::time::Duration;
        use taurusdb_api::job::flight::Busy;
        use taurusdb_grpc::words;

        let said = |d: Diagnostic| format!("{}: {}", d.summary, d.detail);
        let typed_api = Aftermath {
            bound: words::BOUND.to_string(),
            if_uncertain: words::IF_UNCERTAIN,
            if_not_sent: words::IF_NOT_SENT,
            if_job_failed: words::if_job_failed,
        };
        let status = |status: u16, code: &str| ApiError::Status {
            status,
            code: Some(code.into()),
            message: "m\u{1b}".into(),
            request_id: Some("rid".into()),
            retry_after: None,
        };
        let api_errors = [
            status(400, "DBS.200022"),
            status(400, "DBS.270022"),
            status(401, "APIGW.0301"),
            status(403, "DBS.2000044"),
            status(409, "DBS.200019"),
            status(504, "APIGW.0201"),
            ApiError::IamToken(Box::new(status(401, "401"))),
            ApiError::TemporaryCredentials {
                from: "the ECS metadata service".into(),
                last_resort: true,
                error: Box::new(status(404, "x")),
            },
            ApiError::TemporaryCredentials {
                from: "assume_role".into(),
                last_resort: false,
                error: Box::new(status(403, "x")),
            },
            ApiError::Connect {
                endpoint: "https://e".into(),
                detail: "refused".into(),
                attempts: 3,
                waited: Duration::from_secs(2),
            },
            ApiError::Interrupted {
                endpoint: "https://e".into(),
            },
        ];
        let task = TaskRef::new("p", "i", "t");
        for kind in [JobKind::Pause, JobKind::Resume] {
            let op = Operation { kind, task: &task };
            for err in &api_errors {
                let not_done = NotDone::Api(err.clone());
                assert_eq!(
                    words::not_done(&not_done, kind, &task),
                    said(self::not_done(&not_done, op, &typed_api)),
                    "{err:?}"
                );
                for timed_out in [false, true] {
                    let unsure = Uncertain::Request {
                        err: err.clone(),
                        timed_out,
                    };
                    assert_eq!(
                        words::uncertain(&unsure, kind, &task, false),
                        said(not_certain(&unsure, op, &typed_api)),
                        "{err:?}"
                    );
                }
                let gone = Gone::Refused(err.clone());
                assert_eq!(
                    words::gone(&gone, kind, &task),
                    said(self::gone(&gone, op)),
                    "{err:?}"
                );
                assert_eq!(
                    words::already_there(err, kind, &task, "Paused"),
                    said(already_at_target(err, op, "Paused"))
                );
                assert_eq!(
                    words::job_unreadable(err, kind),
                    said(job_unreadable(err, op))
                );
                let wait = Uncertain::Wait {
                    job_id: "j-1".into(),
                    err: WaitError::Api(err.clone()),
                };
                assert_eq!(
                    words::uncertain(&wait, kind, &task, false),
                    said(not_certain(&wait, op, &typed_api)),
                    "{err:?}"
                );
            }
            for err in [
                WaitError::JobFailed {
                    job_id: "j-1".into(),
                    reason: "disk\nfull".into(),
                },
                WaitError::TimedOut {
                    job_id: "j-1".into(),
                    waited: Duration::from_millis(1500),
                    last_seen: "job Running 50%".into(),
                },
                WaitError::TaskGone {
                    task_name: "t".into(),
                },
                WaitError::TaskCancelled {
                    task_name: "t".into(),
                    stage: "Cancelled".into(),
                },
            ] {
                let wait = Uncertain::Wait {
                    job_id: "j-1".into(),
                    err,
                };
                assert_eq!(
                    words::uncertain(&wait, kind, &task, false),
                    said(not_certain(&wait, op, &typed_api)),
                );
            }
            for not_done in [
                NotDone::TimedOutBeforeSending {
                    timeout: Duration::from_secs(90),
                },
                NotDone::Busy(Busy {
                    running: JobKind::Resume,
                    job_id: Some("j-2".into()),
                }),
                NotDone::Busy(Busy {
                    running: JobKind::Pause,
                    job_id: None,
                }),
            ] {
                assert_eq!(
                    words::not_done(&not_done, kind, &task),
                    said(self::not_done(&not_done, op, &typed_api)),
                );
            }
            assert_eq!(
                words::gone(&Gone::DuringWait, kind, &task),
                said(self::gone(&Gone::DuringWait, op)),
            );
        }
    }
}
