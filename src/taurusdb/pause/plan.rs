//! The plan of a `taurusdb_replication_pause`, decided without calling the API: a new
//! pause, a replacement (the configuration names another task), a pause again in place
//! (the triggers changed, or the task was resumed behind Terraform's back; no resume in
//! between), or nothing to do (only flags changed).

use crate::taurusdb::config::attrs as settings;
use crate::taurusdb::pause::model::{PauseState, REPLACING, attrs};
use taurusdb_api::wait;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::Diagnostic;
use tfplugin::tf::path::AttrPath;

/// What a plan does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// No prior state: pause.
    Create,
    /// Another task: these attributes force a new pause.
    Replace(Vec<AttrPath>),
    /// The same task, paused again in place.
    PauseAgain,
    /// Nothing to pause: job ID and stage stay.
    Keep,
}

impl Change {
    /// The attributes Terraform shows as forcing a replacement.
    pub fn requires_replace(self) -> Vec<AttrPath> {
        match self {
            Change::Replace(paths) => paths,
            _ => Vec::new(),
        }
    }
}

/// Which change `planned` (with its defaults and project filled in) is from `prior`.
pub fn decide(planned: &PauseState, prior: Option<&PauseState>) -> Change {
    let Some(prior) = prior else {
        return Change::Create;
    };
    let replace: Vec<AttrPath> = REPLACING
        .iter()
        .filter(|name| planned.replaces(prior, name))
        .map(|name| AttrPath::attr(*name))
        .collect();
    if !replace.is_empty() {
        return Change::Replace(replace);
    }
    // With wait_for_completion = false the stage is only recorded, never a reason.
    let resumed = planned.waits() && prior.stage.known().is_some_and(|s| !wait::is_paused(s));
    if resumed || !planned.triggers.same_as(&prior.triggers) {
        Change::PauseAgain
    } else {
        Change::Keep
    }
}

/// The planned state for `config` against `prior`, and the change it is. The project
/// comes from the configuration, else the provider (`default_project`), else the prior
/// state; with none at all the plan fails at `project_id`.
pub fn plan(
    config: PauseState,
    prior: Option<&PauseState>,
    default_project: Attr<String>,
) -> Result<(PauseState, Change), Diagnostic> {
    // A provider whose configuration is not known yet (Unknown) does not move an
    // existing task to another project: the prior one stays.
    let default_project = match (default_project, prior) {
        (Attr::Unknown, Some(prior)) if prior.project_id.known().is_some() => Attr::Null,
        (default_project, _) => default_project,
    };
    let mut planned = PauseState {
        instance_id: config.instance_id,
        task_name: config.task_name,
        project_id: config.project_id.or(default_project),
        triggers: config.triggers,
        wait_for_completion: config.wait_for_completion,
        resume_on_destroy: config.resume_on_destroy,
        timeouts: config.timeouts,
        ..PauseState::default()
    }
    .with_defaults();
    if let Some(prior) = prior {
        planned.project_id = planned.project_id.or(prior.project_id.clone());
    }
    if planned.project_id.is_null() {
        return Err(missing_project());
    }
    let change = decide(&planned, prior);
    // Always derived, never the prior `id`: apply derives it the same way, and a prior
    // `id` edited by hand or written by an older version would otherwise make the
    // applied state differ from the plan (after the pause was sent).
    // Always derived, never the prior `id`: apply derives it the same way, and a prior
    // `id` edited by hand or written by an older version would otherwise make the
    // applied state differ from the plan (after the pause was sent).
    planned.id = planned.derived_id();
    (planned.job_id, planned.stage) = match (&change, prior) {
        (Change::Keep, Some(prior)) => (prior.job_id.clone(), prior.stage.clone()),
        _ => (Attr::Unknown, Attr::Unknown),
    };
    Ok((planned, change))
}

pub fn missing_project() -> Diagnostic {
    Diagnostic::error(
        format!("Missing {}", attrs::PROJECT_ID),
        format!(
            "Set {} on this resource, or {} in the provider block.",
            attrs::PROJECT_ID,
            settings::PROJECT_ID.or_env()
        ),
    )
    .at(AttrPath::attr(attrs::PROJECT_ID))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::taurusdb::pause::model::Triggers;
    use tfplugin::tf::value::Value;

    fn known(text: &str) -> Attr<String> {
        Attr::Known(text.to_string())
    }

    /// What a completed pause of `i/t` in project `p` leaves in state.
    fn paused() -> PauseState {
        PauseState {
            id: known("i/t"),
            instance_id: known("i"),
            task_name: known("t"),
            project_id: known("p"),
            job_id: known("job-1"),
            stage: known("Paused"),
            ..PauseState::default()
        }
        .with_defaults()
    }

    fn triggers(pairs: &[(&str, &str)]) -> Triggers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
            .into()
    }

    #[test]
    fn the_plan_decision_follows_the_table() {
        let replace =
            |names: &[&str]| Change::Replace(names.iter().map(|n| AttrPath::attr(*n)).collect());
        type Edit = fn(&mut PauseState, &mut PauseState);
        let cases: [(&str, Edit, Change); 12] = [
            ("nothing changed", |_, _| {}, Change::Keep),
            (
                "another instance",
                |planned, _| planned.instance_id = known("j"),
                replace(&[attrs::INSTANCE_ID]),
            ),
            (
                "another task in another project",
                |planned, _| {
                    planned.task_name = known("u");
                    planned.project_id = known("q");
                },
                replace(&[attrs::TASK_NAME, attrs::PROJECT_ID]),
            ),
            (
                "a name not known until apply",
                |planned, _| planned.task_name = Attr::Unknown,
                replace(&[attrs::TASK_NAME]),
            ),
            (
                "triggers changed",
                |planned, _| planned.triggers = triggers(&[("release", "2")]),
                Change::PauseAgain,
            ),
            (
                "triggers set where there were none",
                |planned, prior| {
                    prior.triggers = triggers(&[]);
                    planned.triggers = triggers(&[("k", "v")]);
                },
                Change::PauseAgain,
            ),
            (
                "a trigger not known until apply",
                |planned, _| {
                    planned.triggers = Triggers(Value::Map(BTreeMap::from([(
                        "k".to_string(),
                        Value::Unknown,
                    )])))
                },
                Change::PauseAgain,
            ),
            (
                "resumed behind Terraform's back",
                |_, prior| prior.stage = known("Incremental"),
                Change::PauseAgain,
            ),
            (
                "resumed, but the pause is fire-and-forget",
                |planned, prior| {
                    prior.stage = known("Incremental");
                    planned.wait_for_completion = Attr::Known(false);
                },
                Change::Keep,
            ),
            (
                "paused, in other letters",
                |_, prior| prior.stage = known("PAUSED"),
                Change::Keep,
            ),
            (
                "imported and not read yet",
                |_, prior| prior.stage = Attr::Null,
                Change::Keep,
            ),
            (
                "only resume_on_destroy changed",
                |planned, _| planned.resume_on_destroy = Attr::Known(true),
                Change::Keep,
            ),
        ];
        for (case, edit, expected) in cases {
            let (mut planned, mut prior) = (paused(), paused());
            edit(&mut planned, &mut prior);
            assert_eq!(decide(&planned, Some(&prior)), expected, "{case}");
        }
        assert_eq!(decide(&paused(), None), Change::Create);
    }

    #[test]
    fn a_plan_keeps_or_forgets_the_job_id_as_the_change_says() {
        let config = |task: &str, release: &str| PauseState {
            instance_id: known("i"),
            task_name: known(task),
            triggers: triggers(&[("release", release)]),
            ..PauseState::default()
        };
        let mut prior = paused();
        prior.triggers = triggers(&[("release", "1")]);
        let cases = [
            (
                "t",
                "1",
                Change::Keep,
                known("i/t"),
                known("job-1"),
                known("Paused"),
            ),
            (
                "t",
                "2",
                Change::PauseAgain,
                known("i/t"),
                Attr::Unknown,
                Attr::Unknown,
            ),
            (
                "u",
                "1",
                Change::Replace(vec![AttrPath::attr(attrs::TASK_NAME)]),
                known("i/u"),
                Attr::Unknown,
                Attr::Unknown,
            ),
        ];
        for (task, release, change, id, job_id, stage) in cases {
            let (planned, got) =
                plan(config(task, release), Some(&prior), Attr::Null).expect("plans");
            assert_eq!(got, change, "{task} {release}");
            assert_eq!(
                (planned.id, planned.job_id, planned.stage),
                (id, job_id, stage)
            );
            assert_eq!(planned.project_id, known("p"), "the prior project stays");
            assert_eq!(planned.wait_for_completion, Attr::Known(true));
        }
        let (created, change) = plan(config("t", "1"), None, known("default")).expect("plans");
        assert_eq!(change, Change::Create);
        assert_eq!(created.project_id, known("default"));
        assert_eq!(
            (created.job_id, created.stage),
            (Attr::Unknown, Attr::Unknown)
        );
    }

    #[test]
    fn a_plan_derives_the_id_whatever_the_prior_id_says() {
        let config = |release: &str| PauseState {
            instance_id: known("i"),
            task_name: known("t"),
            triggers: triggers(&[("release", release)]),
            ..PauseState::default()
        };
        for legacy in [known("hand-edited"), known("t"), Attr::Null] {
            let mut prior = paused();
            prior.id = legacy.clone();
            prior.triggers = triggers(&[("release", "1")]);
            for (release, change) in [("1", Change::Keep), ("2", Change::PauseAgain)] {
                let (planned, got) =
                    plan(config(release), Some(&prior), Attr::Null).expect("plans");
                assert_eq!(got, change, "{legacy:?} {release}");
                assert_eq!(planned.id, known("i/t"), "{legacy:?} {release}");
            }
        }
    }

    #[test]
    fn a_plan_without_any_project_fails_at_project_id() {
        let config = PauseState {
            instance_id: known("i"),
            task_name: known("t"),
            ..PauseState::default()
        };
        let err = plan(config, None, Attr::Null).expect_err("no project");
        assert_eq!(err.path, Some(AttrPath::attr(attrs::PROJECT_ID)));
        assert!(err.detail.contains("HW_PROJECT_ID"), "{}", err.detail);
    }
}
