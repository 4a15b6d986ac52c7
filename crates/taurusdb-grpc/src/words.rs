//! What a client of the typed API reads when a pause or resume does not end well, or
//! ends with a warning: built here from the job flow's typed outcome
//! ([`taurusdb_api::job`]), in the typed API's terms (its `timeout` field, ListTasks,
//! GetJob). The words are the ones the provider's diagnostics use for the same outcome
//! ("summary: detail"), settings named from the one table (`taurusdb_api::settings`), so
//! a client and a Terraform user read the same account; the provider's tests compare
//! the two. Service text in them is made [`printable`].

use stdx::printable::printable;
use taurusdb_api::job::{Gone, JobKind, NotDone, Uncertain};
use taurusdb_api::settings::{self, assume_role, attrs, endpoints, hint_all, oidc};
use taurusdb_api::wait::WaitError;
use taurusdb_api::{ApiError, TaskRef};

/// The setting that bounds a job: the request's field.
pub const BOUND: &str = "timeout";
/// After a request that may or may not have been carried out.
pub const IF_UNCERTAIN: &str = "Check the task's stage with ListTasks, or call again: a task that \
                            already reads the target stage is reported as done.";
/// After the bound ran out before the request was sent: what was not done.
pub const IF_NOT_SENT: &str = "Nothing was sent; call again";

/// After the job started but the wait did not end well.
pub fn if_job_failed(job_id: &str) -> String {
    format!(
        "Job {job_id} was started. Check the task's stage with ListTasks and the job with \
         GetJob."
    )
}

/// A message: its summary and its detail, as a client reads them.
fn said(summary: String, detail: String) -> String {
    format!("{summary}: {detail}")
}

/// A job that certainly did not happen.
pub fn not_done(not_done: &NotDone, kind: JobKind, task: &TaskRef) -> String {
    let verb = kind.verb();
    match not_done {
        NotDone::Api(err) => {
            let (summary, detail) = api_failed(err, kind, task);
            said(summary, detail)
        }
        NotDone::TimedOutBeforeSending { timeout } => said(
            format!("Timed out before the {verb} of task {:?}", task.task),
            format!(
                "{BOUND} ({timeout:?}) ran out before the {verb} request could be sent (for \
                 example while retrying a throttled request). {IF_NOT_SENT}."
            ),
        ),
        NotDone::Busy(busy) => {
            let running = busy.running;
            let job = match &busy.job_id {
                Some(job_id) => format!("job {job_id}"),
                None => "its request is on its way".to_string(),
            };
            said(
                format!("Task {:?} is being {} right now", task.task, running.done()),
                format!(
                    "The provider is already running a {} of this task ({job}) for another \
                     caller, so this {verb} was not sent: the two contradict each other, and \
                     which came last would decide. {IF_NOT_SENT}. Make sure one configuration \
                     does not both pause and resume the task, then run again once the {} has \
                     ended.",
                    running.verb(),
                    running.verb()
                ),
            )
        }
    }
}

/// A job that happened, or may have, but did not end well; `shutting_down`: the server
/// stopped the wait (rather than the client going away).
pub fn uncertain(
    uncertain: &Uncertain,
    kind: JobKind,
    task: &TaskRef,
    shutting_down: bool,
) -> String {
    let verb = kind.verb();
    let name = &task.task;
    match uncertain {
        Uncertain::Request { err, timed_out } => {
            let why = if *timed_out {
                format!("{BOUND} ran out while the {verb} request was in flight")
            } else {
                printable(&err.to_string())
            };
            said(
                format!("The {verb} of task {name:?} may or may not have happened"),
                format!(
                    "The {verb} request was sent, but the answer does not show whether \
                     TaurusDB carried it out: {why}.\n\n{IF_UNCERTAIN}"
                ),
            )
        }
        Uncertain::Wait { job_id, err } => {
            let kept = if_job_failed(job_id);
            let (summary, detail) = match err {
                WaitError::JobFailed { reason, .. } => (
                    format!("The {verb} job for task {name:?} failed"),
                    format!("Job {job_id} failed: {}\n\n{kept}", printable(reason)),
                ),
                WaitError::TimedOut {
                    waited, last_seen, ..
                } => (
                    format!("Timed out waiting for the {verb} of task {name:?}"),
                    format!(
                        "Waited {waited:.0?} for job {job_id}; last seen: {}. Raise {BOUND} \
                         if the service is slow.\n\n{kept}",
                        printable(last_seen),
                    ),
                ),
                WaitError::Cancelled => return stopped_waiting(kind, task, job_id, shutting_down),
                WaitError::TaskGone { .. } => (
                    format!("Task {name:?} disappeared during the {verb}"),
                    format!("{}.\n\n{kept}", printable(&err.to_string())),
                ),
                WaitError::TaskCancelled { .. } => (
                    format!("Task {name:?} was cancelled during the {verb}"),
                    format!(
                        "{}: a cancelled task neither pauses nor replicates, so the {verb} \
                         cannot take effect.\n\n{kept}",
                        printable(&err.to_string())
                    ),
                ),
                WaitError::Api(api) => {
                    let (summary, detail) = api_failed(api, kind, task);
                    (summary, format!("{detail}\n\n{kept}"))
                }
            };
            said(summary, detail)
        }
    }
}

/// A wait cut short by the server's stop or the client.
fn stopped_waiting(kind: JobKind, task: &TaskRef, job_id: &str, shutting_down: bool) -> String {
    let who = if shutting_down {
        "This server is shutting down"
    } else {
        "The call was cancelled"
    };
    let verb = kind.verb();
    format!(
        "{who}: it stopped waiting for the {verb} of task {:?}. Job {job_id} was started and \
         may still complete, so the {verb} may or may not have happened. Check the task's \
         stage with ListTasks and the job with GetJob.",
        task.task,
    )
}

/// The task was found missing.
pub fn gone(gone: &Gone, kind: JobKind, task: &TaskRef) -> String {
    match gone {
        Gone::Refused(err) => {
            let (summary, detail) = api_failed(err, kind, task);
            said(summary, detail)
        }
        Gone::DuringWait => said(
            format!(
                "Task {:?} disappeared during the {}",
                task.task,
                kind.verb()
            ),
            format!("Instance {:?} no longer lists the task.", task.instance),
        ),
    }
}

/// A warning: the service refused, but the task already reads the stage the job was
/// for, so nothing needed doing.
pub fn already_there(refusal: &ApiError, kind: JobKind, task: &TaskRef, stage: &str) -> String {
    let summary = match kind {
        JobKind::Pause => format!("Task {:?} is already paused", task.task),
        JobKind::Resume => format!("Task {:?} is not paused", task.task),
    };
    let verb = kind.verb();
    said(
        summary,
        format!(
            "TaurusDB refused the {verb} ({}), and the task's stage reads {stage:?}, which \
             is what the {verb} was for. Nothing was changed, and no job ID is recorded.",
            printable(&refusal.to_string())
        ),
    )
}

/// A warning: the jobs API could not be read, so only the task's stage was checked.
pub fn job_unreadable(err: &ApiError, kind: JobKind) -> String {
    said(
        format!("Could not read the {} job", kind.verb()),
        format!(
            "The jobs API answered {}. The wait relied on the task's stage alone, which \
             reached the expected value. Allow the credentials to read jobs to have failed \
             jobs reported with their reason.",
            printable(&err.to_string())
        ),
    )
}

/// A failed call of the API during a `kind` job: the summary, and the detail with the
/// API's error, what it means for `task`, and a hint.
fn api_failed(err: &ApiError, kind: JobKind, task: &TaskRef) -> (String, String) {
    if let ApiError::TemporaryCredentials {
        last_resort: true, ..
    } = err
    {
        // Nothing was configured and this is no ECS with an agency: say every way.
        return (
            "Missing TaurusDB credentials".to_string(),
            format!(
                "No credentials are configured, and the ECS metadata service gave none \
                 ({err}): this machine is probably not an ECS with an agency. Set one of \
                 these in the provider block or the environment: {}; or run on an ECS whose \
                 agency may use TaurusDB.",
                settings::every_way_to_give_credentials()
            ),
        );
    }
    let summary = format!("Failed to {} replication task {:?}", kind.verb(), task.task);
    let mut detail = format!("TaurusDB API error: {}", printable(&err.to_string()));
    if err.is_instance_not_found() {
        detail.push_str(&format!(
            "\n\nNo StarRocks instance {:?} exists in project {:?}.",
            task.instance, task.project
        ));
    } else if err.is_task_not_found() {
        detail.push_str(&format!(
            "\n\nInstance {:?} has no synchronization task {:?}.",
            task.instance, task.task
        ));
    }
    if let ApiError::TemporaryCredentials { from, .. } = err {
        detail.push_str(&format!(
            "\n\nNothing was sent to TaurusDB. Check the settings of {} (the {} and {} \
             blocks, the shared config profile) and that the credentials they start from \
             may assume the agency.",
            printable(from),
            assume_role::BLOCK,
            oidc::BLOCK
        ));
    } else if matches!(err, ApiError::Connect { .. }) {
        detail.push_str(&format!(
            "\n\nNothing was {}: the request never reached TaurusDB (no connection was \
             made, so it was never delivered). Check:\n\
             - the address: {}, or {} and {}, from which it is derived;\n\
             - the way there: DNS, firewalls, and a proxy (HTTPS_PROXY, HTTP_PROXY, \
             NO_PROXY) on this machine;\n\
             - in a private cloud: the `{}` key of {}, {} and {}.",
            kind.done(),
            attrs::ENDPOINT.hint(),
            attrs::REGION.hint(),
            attrs::CLOUD.hint(),
            endpoints::GAUSSDB.attr,
            endpoints::ATTR,
            attrs::CA_FILE.hint(),
            attrs::INSECURE.hint(),
        ));
    } else if matches!(err, ApiError::IamToken(_)) {
        detail.push_str(&format!(
            "\n\nCheck {} and {}.",
            hint_all(&[attrs::USER_NAME, attrs::PASSWORD, attrs::DOMAIN_NAME]),
            attrs::AUTH_URL.hint()
        ));
    } else if matches!(err.status(), Some(401 | 403)) && !err.is_task_gone() {
        // A 403 "no such instance" (DBS.2000044) is no credential problem.
        detail.push_str(&format!(
            "\n\nThe credentials were rejected. Check {}, or {} and the machine's clock.",
            attrs::TOKEN.hint(),
            hint_all(&[attrs::ACCESS_KEY, attrs::SECRET_KEY])
        ));
    }
    (summary, detail)
}
