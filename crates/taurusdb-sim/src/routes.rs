//! The simulated API endpoints and the router that ties them to the gateway middleware.
//!
//! Handlers are thin: they decode inputs (see `inputs`), call one method on the state, and shape
//! the JSON exactly like the real TaurusDB API (string counts, job envelope). The identity
//! endpoints live in their own modules (`iam`, `securitytokens`, `oidc`, `sts`, `projects`,
//! `metadata`). Unknown routes and methods get the gateway's `APIGW.0101` 404.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::auth::{IAM_TOKENS_PATH, OIDC_TOKENS_PATH, SECURITY_TOKENS_PATH, STS_ASSUME_PATH};
use super::errors::{ApiError, Lang, respond};
use super::gateway::gateway;
use super::iam::issue_token;
use super::inputs::{paging, query_value, task_name_from_body};
use super::jobs::SimJob;
use super::metadata::{SECURITY_KEY_PATH, SESSION_TOKEN_PATH};
use super::state::{ReplicationAction, Shared};
use super::{metadata, oidc, projects, securitytokens, sts};

const REPLICATION: &str =
    "/v3/{project_id}/instances/{instance_id}/starrocks/databases/replication";

/// The full application: API routes, 404 fallback, and the gateway middleware around all.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(REPLICATION, get(list_tasks))
        .route(&format!("{REPLICATION}/pause"), post(pause))
        .route(&format!("{REPLICATION}/resume"), post(resume))
        .route("/v3/{project_id}/jobs", get(show_job))
        .route(IAM_TOKENS_PATH, post(issue_token))
        .route("/v3/projects", get(projects::list))
        .route(SECURITY_TOKENS_PATH, post(securitytokens::issue))
        .route(OIDC_TOKENS_PATH, post(oidc::exchange))
        .route(STS_ASSUME_PATH, post(sts::assume))
        .route(SESSION_TOKEN_PATH, put(metadata::session_token))
        .route(SECURITY_KEY_PATH, get(metadata::security_key))
        .fallback(no_such_api)
        .method_not_allowed_fallback(no_such_api)
        .layer(middleware::from_fn_with_state(shared.clone(), gateway))
        .with_state(shared)
}

type InstancePath = Result<Path<(String, String)>, PathRejection>;

async fn pause(
    State(shared): State<Arc<Shared>>,
    lang: Lang,
    path: InstancePath,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(
        lang,
        replicate(&shared, path, body, ReplicationAction::Pause),
    )
}

async fn resume(
    State(shared): State<Arc<Shared>>,
    lang: Lang,
    path: InstancePath,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(
        lang,
        replicate(&shared, path, body, ReplicationAction::Resume),
    )
}

fn replicate(
    shared: &Shared,
    path: InstancePath,
    body: Result<Bytes, BytesRejection>,
    action: ReplicationAction,
) -> Result<Value, ApiError> {
    let Path((project_id, instance_id)) = path.map_err(|_| ApiError::NoSuchApi)?;
    let body = body.map_err(|_| ApiError::invalid("The request body could not be read."))?;
    let task_name = task_name_from_body(&body)?;
    let job = shared
        .lock()
        .apply(&project_id, &instance_id, &task_name, action)?;
    Ok(json!({ "job_id": job.id }))
}

async fn list_tasks(
    State(shared): State<Arc<Shared>>,
    lang: Lang,
    path: InstancePath,
    RawQuery(query): RawQuery,
) -> Response {
    respond(lang, list(&shared, path, query.as_deref()))
}

fn list(shared: &Shared, path: InstancePath, query: Option<&str>) -> Result<Value, ApiError> {
    let Path((project_id, instance_id)) = path.map_err(|_| ApiError::NoSuchApi)?;
    let page = paging(query)?;
    if shared.lock().is_endless(&project_id, &instance_id) {
        let replications: Vec<Value> = (page.offset..page.offset.saturating_add(page.limit))
            .map(|n| json!({ "task_name": format!("endless_{n:07}"), "stage": "Incremental" }))
            .collect();
        return Ok(json!({ "replications": replications }));
    }
    let tasks = shared.lock().tasks(&project_id, &instance_id)?;
    let replications: Vec<Value> = tasks
        .iter()
        .skip(page.offset)
        .take(page.limit)
        .map(|task| {
            json!({
                "task_name": task.name,
                "source_database": task.database(),
                "target_database": task.database(),
                "status": "Yes",
                "stage": task.stage,
                "percentage": "100",
                "catchup_stage": "-",
                "catchup_percentage": "100",
                "is_need_repair": false,
                "is_main_task": true,
            })
        })
        .collect();
    Ok(json!({
        "total_count": tasks.len().to_string(),
        "replications": replications,
    }))
}

async fn show_job(
    State(shared): State<Arc<Shared>>,
    lang: Lang,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    respond(lang, job(&shared, path, query.as_deref()))
}

fn job(
    shared: &Shared,
    path: Result<Path<String>, PathRejection>,
    query: Option<&str>,
) -> Result<Value, ApiError> {
    let Path(project_id) = path.map_err(|_| ApiError::NoSuchApi)?;
    let job_id = query_value(query, "id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid("Parameter id is mandatory."))?;
    let job = shared.lock().poll_job(&project_id, &job_id)?;
    Ok(job_json(&job))
}

fn job_json(job: &SimJob) -> Value {
    json!({
        "job": {
            "id": job.id,
            "name": job.name,
            "status": job.status,
            "process": job.process,
            "fail_reason": job.fail_reason,
            "created": job.created,
            "ended": job.ended,
            "instance": { "id": job.instance_id },
        }
    })
}

async fn no_such_api(lang: Lang) -> Response {
    ApiError::NoSuchApi.into_response_in(lang).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        DEMO_INSTANCE, DEMO_PROJECT, client, jobs_url, list_url, pause_body, pause_url, resume_url,
        start_demo, url_for,
    };
    use crate::{JobOutcome, JobPlan};

    async fn json_of(response: reqwest::Response) -> Value {
        response.json().await.expect("json body")
    }

    async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> Value {
        assert_eq!(response.status().as_u16(), status);
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(request_id.len(), 32, "X-Request-Id {request_id:?}");
        let body = json_of(response).await;
        assert_eq!(body["error_code"], code, "{body}");
        assert!(body["error_msg"].is_string(), "{body}");
        body
    }

    #[tokio::test]
    async fn pause_happy_path_pauses_and_leaves_a_completed_job() {
        let sim = start_demo().await;
        let http = client();
        let response = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status().as_u16(), 200);
        assert!(response.headers().contains_key("x-request-id"));
        let body = json_of(response).await;
        let job_id = body["job_id"].as_str().expect("job_id").to_owned();
        assert_eq!(job_id.len(), 36);

        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "users_sync")
                .as_deref(),
            Some("Incremental")
        );
        let job = sim.job(&job_id).expect("job recorded");
        assert_eq!(job.name, "PauseStarRocksDataReplication");
        assert_eq!(job.status, "Completed");
        assert_eq!(job.instance_id, DEMO_INSTANCE);
        assert_eq!(job.task_name, "orders_sync");

        let shown = json_of(
            http.get(jobs_url(&sim, &job_id))
                .send()
                .await
                .expect("job query"),
        )
        .await;
        let j = &shown["job"];
        assert_eq!(j["id"], job_id.as_str());
        assert_eq!(j["name"], "PauseStarRocksDataReplication");
        assert_eq!(j["status"], "Completed");
        assert_eq!(j["process"], "100%");
        assert_eq!(j["fail_reason"], "");
        assert!(j["created"].is_string() && j["ended"].is_string());
        assert_eq!(j["instance"]["id"], DEMO_INSTANCE);

        let listed = json_of(http.get(list_url(&sim, "")).send().await.expect("list")).await;
        assert_eq!(listed["replications"][0]["stage"], "Paused");
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn resume_sets_incremental_with_its_own_job_name() {
        let sim = start_demo().await;
        sim.set_task_stage(DEMO_PROJECT, DEMO_INSTANCE, "users_sync", "Paused");
        let response = client()
            .post(resume_url(&sim))
            .json(&pause_body("users_sync"))
            .send()
            .await
            .expect("resume");
        assert_eq!(response.status().as_u16(), 200);
        let body = json_of(response).await;
        let job = sim
            .job(body["job_id"].as_str().expect("job_id"))
            .expect("job");
        assert_eq!(job.name, "ResumeStarRocksDataReplication");
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "users_sync")
                .as_deref(),
            Some("Incremental")
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn unknown_instance_is_dbs_200022_in_the_requested_language() {
        let sim = start_demo().await;
        let http = client();
        let unknown = url_for(
            &sim,
            DEMO_PROJECT,
            "0000000000000000000000000000000in07",
            "/pause",
        );
        let body = expect_error(
            http.post(&unknown)
                .json(&pause_body("orders_sync"))
                .send()
                .await
                .expect("pause"),
            400,
            "DBS.200022",
        )
        .await;
        assert_eq!(body["error_msg"], "Instance not found.");

        // The instance exists, but not in this project.
        let other_project = url_for(
            &sim,
            "ffffffffffffffffffffffffffffffff",
            DEMO_INSTANCE,
            "/pause",
        );
        expect_error(
            http.post(&other_project)
                .json(&pause_body("orders_sync"))
                .send()
                .await
                .expect("pause"),
            400,
            "DBS.200022",
        )
        .await;

        let zh = expect_error(
            http.post(&unknown)
                .header("X-Language", "zh-cn")
                .json(&pause_body("orders_sync"))
                .send()
                .await
                .expect("pause"),
            400,
            "DBS.200022",
        )
        .await;
        assert_eq!(zh["error_msg"], "实例不存在。");

        let list = url_for(&sim, DEMO_PROJECT, "nope", "");
        expect_error(
            http.get(&list).send().await.expect("list"),
            400,
            "DBS.200022",
        )
        .await;
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn pausing_a_paused_task_is_a_400_refusal_without_a_job() {
        let sim = start_demo().await;
        let http = client();
        sim.set_task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync", "Paused");
        let body = expect_error(
            http.post(pause_url(&sim))
                .json(&pause_body("orders_sync"))
                .send()
                .await
                .expect("pause"),
            400,
            "SIM.270101",
        )
        .await;
        assert_eq!(
            body["error_msg"],
            "The synchronization task is already paused."
        );
        expect_error(
            http.post(resume_url(&sim))
                .json(&pause_body("users_sync"))
                .send()
                .await
                .expect("resume"),
            400,
            "SIM.270102",
        )
        .await;
        assert!(sim.jobs().is_empty());
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn unknown_task_is_dbs_270022() {
        let sim = start_demo().await;
        let body = expect_error(
            client()
                .post(pause_url(&sim))
                .json(&pause_body("no_such_task"))
                .send()
                .await
                .expect("pause"),
            400,
            "DBS.270022",
        )
        .await;
        assert_eq!(
            body["error_msg"],
            "The synchronization task does not exist."
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn invalid_bodies_are_dbs_200001_without_side_effects() {
        let sim = start_demo().await;
        let http = client();
        let bodies = [
            "not json".to_owned(),
            String::new(),
            "{}".to_owned(),
            r#"{"task_name": 42}"#.to_owned(),
            r#"{"task_name": "ab"}"#.to_owned(),
            r#"{"task_name": "orders-sync"}"#.to_owned(),
            format!(r#"{{"task_name": "{}"}}"#, "a".repeat(129)),
        ];
        for body in bodies {
            expect_error(
                http.post(pause_url(&sim))
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("pause"),
                400,
                "DBS.200001",
            )
            .await;
        }
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Incremental")
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn list_returns_all_fields_in_insertion_order() {
        let sim = start_demo().await;
        sim.add_task(DEMO_PROJECT, DEMO_INSTANCE, "zz_late_task");
        let body = json_of(client().get(list_url(&sim, "")).send().await.expect("list")).await;
        assert_eq!(body["total_count"], "4");
        let rows = body["replications"].as_array().expect("array");
        let names: Vec<&str> = rows
            .iter()
            .filter_map(|r| r["task_name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["orders_sync", "users_sync", "payments_sync", "zz_late_task"]
        );
        let first = &rows[0];
        assert_eq!(first["source_database"], "orders");
        assert_eq!(first["target_database"], "orders");
        assert_eq!(first["status"], "Yes");
        assert_eq!(first["stage"], "Incremental");
        assert_eq!(first["percentage"], "100");
        assert_eq!(first["catchup_stage"], "-");
        assert_eq!(first["catchup_percentage"], "100");
        assert_eq!(first["is_need_repair"], false);
        assert_eq!(first["is_main_task"], true);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn list_pages_with_limit_and_offset() {
        let sim = start_demo().await;
        let http = client();
        let page = json_of(
            http.get(list_url(&sim, "?limit=1&offset=1"))
                .send()
                .await
                .expect("list"),
        )
        .await;
        assert_eq!(page["total_count"], "3");
        let rows = page["replications"].as_array().expect("array");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["task_name"], "users_sync");

        let past_end = json_of(
            http.get(list_url(&sim, "?limit=10&offset=7"))
                .send()
                .await
                .expect("list"),
        )
        .await;
        assert_eq!(past_end["total_count"], "3");
        assert_eq!(past_end["replications"], json!([]));

        for bad in ["?limit=0", "?limit=101", "?limit=ten", "?offset=-1"] {
            expect_error(
                http.get(list_url(&sim, bad)).send().await.expect("list"),
                400,
                "DBS.200001",
            )
            .await;
        }
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn job_query_errors() {
        let sim = start_demo().await;
        let http = client();
        let body = expect_error(
            http.get(jobs_url(&sim, "no-such-job"))
                .send()
                .await
                .expect("job"),
            400,
            "DBS.200009",
        )
        .await;
        assert_eq!(body["error_msg"], "Job not found.");

        let missing_id = format!("{}/v3/{DEMO_PROJECT}/jobs", sim.endpoint());
        expect_error(
            http.get(&missing_id).send().await.expect("job"),
            400,
            "DBS.200001",
        )
        .await;

        // A job is only visible in its own project.
        let paused = json_of(
            http.post(pause_url(&sim))
                .json(&pause_body("payments_sync"))
                .send()
                .await
                .expect("pause"),
        )
        .await;
        let job_id = paused["job_id"].as_str().expect("job_id");
        let elsewhere = format!("{}/v3/otherproject/jobs?id={job_id}", sim.endpoint());
        expect_error(
            http.get(&elsewhere).send().await.expect("job"),
            400,
            "DBS.200009",
        )
        .await;
        sim.shutdown().await;
    }

    async fn start_pause(http: &reqwest::Client, sim: &crate::SimHandle, task: &str) -> String {
        let response = http
            .post(pause_url(sim))
            .json(&pause_body(task))
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status().as_u16(), 200);
        let body = json_of(response).await;
        body["job_id"].as_str().expect("job_id").to_owned()
    }

    async fn listed_stage(http: &reqwest::Client, sim: &crate::SimHandle, task: &str) -> Value {
        let listed = json_of(http.get(list_url(sim, "")).send().await.expect("list")).await;
        listed["replications"]
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["task_name"] == task)
            .map(|r| r["stage"].clone())
            .unwrap_or(Value::Null)
    }

    #[tokio::test]
    async fn planned_job_is_hidden_then_running_then_completed() {
        let sim = start_demo().await;
        let http = client();
        sim.set_job_plan(JobPlan {
            hidden_polls: 2,
            running_polls: 2,
            ..JobPlan::default()
        });
        let job_id = start_pause(&http, &sim, "orders_sync").await;

        for _ in 0..2 {
            // Exactly the answer for an unknown job.
            let body = expect_error(
                http.get(jobs_url(&sim, &job_id)).send().await.expect("job"),
                400,
                "DBS.200009",
            )
            .await;
            assert_eq!(body["error_msg"], "Job not found.");
            assert_eq!(
                listed_stage(&http, &sim, "orders_sync").await,
                "Incremental"
            );
        }
        for expected in ["33%", "66%"] {
            let shown = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
            assert_eq!(shown["job"]["status"], "Running");
            assert_eq!(shown["job"]["process"], expected);
            assert_eq!(shown["job"]["ended"], "");
            assert_eq!(
                listed_stage(&http, &sim, "orders_sync").await,
                "Incremental"
            );
            assert_eq!(
                sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                    .as_deref(),
                Some("Incremental")
            );
        }
        let done = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
        assert_eq!(done["job"]["status"], "Completed");
        assert_eq!(done["job"]["process"], "100%");
        assert_eq!(done["job"]["fail_reason"], "");
        assert_ne!(done["job"]["ended"], "");
        assert_eq!(listed_stage(&http, &sim, "orders_sync").await, "Paused");
        assert_eq!(
            sim.job(&job_id).map(|j| j.status).as_deref(),
            Some("Completed")
        );

        // The plan applies to later jobs too; resume's stage is Incremental on completion.
        let resume = json_of(
            http.post(resume_url(&sim))
                .json(&pause_body("orders_sync"))
                .send()
                .await
                .expect("resume"),
        )
        .await;
        let resume_id = resume["job_id"].as_str().expect("job_id");
        for _ in 0..4 {
            let _ = http
                .get(jobs_url(&sim, resume_id))
                .send()
                .await
                .expect("job");
            assert_eq!(listed_stage(&http, &sim, "orders_sync").await, "Paused");
        }
        let _ = http
            .get(jobs_url(&sim, resume_id))
            .send()
            .await
            .expect("job");
        assert_eq!(
            listed_stage(&http, &sim, "orders_sync").await,
            "Incremental"
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn failed_job_reports_its_reason_and_keeps_the_stage() {
        let sim = start_demo().await;
        let http = client();
        sim.set_job_plan(JobPlan {
            running_polls: 1,
            outcome: JobOutcome::Fail("The instance is being backed up.".to_owned()),
            ..JobPlan::default()
        });
        let job_id = start_pause(&http, &sim, "users_sync").await;
        let running = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
        assert_eq!(running["job"]["status"], "Running");
        let failed = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
        assert_eq!(failed["job"]["status"], "Failed");
        assert_eq!(
            failed["job"]["fail_reason"],
            "The instance is being backed up."
        );
        assert_eq!(listed_stage(&http, &sim, "users_sync").await, "Incremental");
        let again = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
        assert_eq!(again["job"]["status"], "Failed");

        // With no running polls the job has failed by the first query.
        sim.set_job_plan(JobPlan {
            outcome: JobOutcome::Fail("boom".to_owned()),
            ..JobPlan::default()
        });
        let job_id = start_pause(&http, &sim, "users_sync").await;
        let failed = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
        assert_eq!(failed["job"]["status"], "Failed");
        assert_eq!(failed["job"]["fail_reason"], "boom");
        assert_eq!(listed_stage(&http, &sim, "users_sync").await, "Incremental");
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn never_ending_job_stays_running() {
        let sim = start_demo().await;
        let http = client();
        sim.set_job_plan(JobPlan {
            outcome: JobOutcome::Never,
            ..JobPlan::default()
        });
        let job_id = start_pause(&http, &sim, "payments_sync").await;
        for _ in 0..10 {
            let shown = json_of(http.get(jobs_url(&sim, &job_id)).send().await.expect("job")).await;
            assert_eq!(shown["job"]["status"], "Running");
        }
        assert_eq!(
            listed_stage(&http, &sim, "payments_sync").await,
            "Incremental"
        );

        // Back to the default: jobs complete at creation again.
        sim.set_job_plan(JobPlan::default());
        start_pause(&http, &sim, "orders_sync").await;
        assert_eq!(listed_stage(&http, &sim, "orders_sync").await, "Paused");
        assert_eq!(sim.jobs().len(), 2);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn removed_task_vanishes_from_the_list_and_cannot_be_paused() {
        let sim = start_demo().await;
        let http = client();
        assert!(sim.remove_task(DEMO_PROJECT, DEMO_INSTANCE, "users_sync"));
        let listed = json_of(http.get(list_url(&sim, "")).send().await.expect("list")).await;
        assert_eq!(listed["total_count"], "2");
        assert_eq!(listed_stage(&http, &sim, "users_sync").await, Value::Null);
        expect_error(
            http.post(pause_url(&sim))
                .json(&pause_body("users_sync"))
                .send()
                .await
                .expect("pause"),
            400,
            "DBS.270022",
        )
        .await;
        assert!(!sim.remove_task(DEMO_PROJECT, DEMO_INSTANCE, "users_sync"));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn unknown_routes_and_methods_are_apigw_0101() {
        let sim = start_demo().await;
        let http = client();
        let base = sim.endpoint();
        let cases = [
            http.get(format!("{base}/")),
            http.get(format!("{base}/healthz")),
            http.get(format!("{base}/v3/{DEMO_PROJECT}/instances")),
            http.get(pause_url(&sim)),
            http.delete(list_url(&sim, "")),
            http.post(format!("{}/", pause_url(&sim))),
        ];
        for case in cases {
            let body = expect_error(case.send().await.expect("request"), 404, "APIGW.0101").await;
            assert_eq!(
                body["error_msg"],
                "The API does not exist or has not been published in the environment."
            );
        }
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn every_response_gets_a_fresh_request_id() {
        let sim = start_demo().await;
        let http = client();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let response = http.get(list_url(&sim, "")).send().await.expect("list");
            let id = response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .expect("x-request-id")
                .to_owned();
            ids.push(id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
        sim.shutdown().await;
    }
}
