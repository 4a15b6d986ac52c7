//! The simulated IAM project lookup, `GET /v3/projects?name={region}`.
//!
//! Credentials that carry no project (temporary keys from an agency or the metadata service,
//! an unscoped token) leave the provider to find its project id from the region name, as the
//! official provider does. By default the simulator knows the seed's project as
//! `cn-north-4`, so such a client lands on the demo instance.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::inputs::query_value;
use super::state::Shared;

/// `GET /v3/projects`: the projects named by `name` (all without it), Keystone-shaped.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let name = query_value(query.as_deref(), "name");
    let base = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|host| format!("http://{host}/v3/projects"))
        .unwrap_or_else(|| "/v3/projects".to_owned());
    let projects: Vec<Value> = shared
        .lock()
        .identity
        .projects_named(name.as_deref())
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "domain_id": p.domain_id,
                "parent_id": p.domain_id,
                "enabled": true,
                "is_domain": false,
                "description": "",
                "links": { "self": format!("{base}/{}", p.id) },
            })
        })
        .collect();
    let self_link = match query.as_deref() {
        Some(q) if !q.is_empty() => format!("{base}?{q}"),
        _ => base,
    };
    let body = json!({
        "projects": projects,
        "links": { "self": self_link, "previous": null, "next": null },
    });
    (StatusCode::OK, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use crate::IamProject;
    use crate::test_support::{DEMO_PROJECT, TOKEN, plain_client, start_full};
    use serde_json::Value;

    async fn lookup(sim: &crate::SimHandle, query: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = plain_client().get(format!("{}/v3/projects{query}", sim.endpoint()));
        if let Some(token) = token {
            request = request.header("X-Auth-Token", token);
        }
        request.send().await.expect("projects")
    }

    #[tokio::test]
    async fn the_default_region_is_the_seed_project() {
        let sim = start_full().await;
        let response = lookup(&sim, "?name=cn-north-4", Some(TOKEN)).await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.expect("json");
        let projects = body["projects"].as_array().expect("projects");
        assert_eq!(projects.len(), 1);
        assert_eq!(projects[0]["id"], DEMO_PROJECT);
        assert_eq!(projects[0]["name"], "cn-north-4");
        assert_eq!(projects[0]["enabled"], true);
        assert!(projects[0]["domain_id"].is_string());
        assert!(body["links"]["self"].is_string());

        let unknown: Value = lookup(&sim, "?name=eu-west-101", Some(TOKEN))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(unknown["projects"], serde_json::json!([]));

        sim.add_project(IamProject {
            name: "eu-west-101".to_owned(),
            id: "0123456789abcdef0123456789abcdef".to_owned(),
            domain_id: "d".to_owned(),
        });
        let added: Value = lookup(&sim, "?name=eu-west-101", Some(TOKEN))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            added["projects"][0]["id"],
            "0123456789abcdef0123456789abcdef"
        );
        let all: Value = lookup(&sim, "", Some(TOKEN))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(all["projects"].as_array().map(Vec::len), Some(2));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn the_lookup_needs_credentials() {
        let sim = start_full().await;
        let response = lookup(&sim, "?name=cn-north-4", None).await;
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "APIGW.0301");
        sim.shutdown().await;
    }
}
