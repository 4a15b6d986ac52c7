//! Credentials go only to hosts the user configured. ConfigureProvider refuses, at the
//! attribute, a `region` that is not a region name (it becomes part of the endpoint and
//! IAM URLs) and an `endpoint` or `auth_url` with a user name or password in it, whether
//! they come from the provider block or the environment, before any URL is built. The
//! diagnostics never repeat the password.

use crate::common;

use common::*;
use taurusdb_sim::SimHandle;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::value::Value;

fn pause_config() -> Value {
    resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
    ])
}

/// Tries to plan and apply a create, whatever configure said: nothing may reach `sim`.
async fn try_to_pause(p: &mut TestProvider) {
    let config = pause_config();
    let planned = plan(p, &Value::Null, &config).await;
    if let Some(planned) = &planned.planned_state {
        let planned = tfplugin::tf::value::decode_msgpack(&planned.msgpack, &resource_type())
            .unwrap_or(Value::Null);
        if planned != Value::Null {
            let _ = apply(p, &Value::Null, &planned, &config).await;
        }
    }
}

fn single_error_at<'a>(diags: &'a [pb::Diagnostic], attribute: &str) -> &'a pb::Diagnostic {
    let errs = errors(diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert_eq!(path_of(errs[0]), vec![attribute.to_string()], "{diags:?}");
    errs[0]
}

/// `x@127.0.0.1:PORT/`: as a region it would make `https://gaussdb.x@127.0.0.1:PORT/...`.
fn hostile_region(sim: &SimHandle) -> String {
    format!("x@{}/", sim.addr())
}

#[tokio::test]
async fn a_region_that_is_not_a_region_name_is_refused_at_configure() {
    let sim = start_sim().await;
    let region = hostile_region(&sim);

    let mut p = start_provider(&[]).await;
    let diags = configure(
        &mut p,
        provider_config(&[
            ("region", Value::string(&region)),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    let err = single_error_at(&diags, "region");
    assert!(
        err.detail.contains("cn-north-4"),
        "shows the format: {err:?}"
    );
    try_to_pause(&mut p).await;

    // From the environment, and with IAM password credentials (the IAM URL is derived
    // from the region too).
    let mut p = start_provider(&[
        ("HW_REGION_NAME", region.as_str()),
        ("HW_USER_NAME", IAM_USER),
        ("HW_USER_PASSWORD", IAM_PASSWORD),
        ("HW_DOMAIN_NAME", IAM_DOMAIN),
    ])
    .await;
    let diags = configure(&mut p, provider_config(&[])).await;
    let err = single_error_at(&diags, "region");
    assert!(err.detail.contains("HW_REGION_NAME"), "{err:?}");
    assert!(!err.detail.contains(IAM_PASSWORD));
    try_to_pause(&mut p).await;

    assert_eq!(sim.connections(), 0, "nothing reached 127.0.0.1");
}

#[tokio::test]
async fn real_region_names_are_accepted() {
    for region in [
        "cn-north-4",
        "ap-southeast-1",
        "eu-west-101",
        "la-south-2",
        "sa-brazil-1",
    ] {
        let mut p = start_provider(&[("HW_REGION_NAME", region)]).await;
        let diags = configure(&mut p, provider_config(&[])).await;
        assert!(diags.is_empty(), "{region}: {diags:?}");
    }
}

#[tokio::test]
async fn userinfo_in_endpoint_or_auth_url_is_refused_without_repeating_it() {
    let sim = start_sim().await;
    let endpoint = sim.endpoint();
    let auth_url = format!("{endpoint}/v3");
    let with_userinfo = format!("http://admin:Pa55word@{}", sim.addr());
    let iam_with_userinfo = format!("{with_userinfo}/v3");
    // IAM password credentials, so both URLs receive secrets.
    let base: Vec<(&str, &str)> = vec![
        ("HW_USER_NAME", IAM_USER),
        ("HW_USER_PASSWORD", IAM_PASSWORD),
        ("HW_DOMAIN_NAME", IAM_DOMAIN),
        ("HW_PROJECT_ID", PROJECT),
        ("HW_TAURUSDB_ENDPOINT", endpoint.as_str()),
        ("HW_AUTH_URL", auth_url.as_str()),
    ];
    let cases = [
        ("endpoint", "HW_TAURUSDB_ENDPOINT", with_userinfo.as_str()),
        ("auth_url", "HW_AUTH_URL", iam_with_userinfo.as_str()),
    ];
    for (attribute, env, url) in cases {
        // In the provider block (which wins over the environment).
        let mut p = start_provider(&base).await;
        let diags = configure(&mut p, provider_config(&[(attribute, Value::string(url))])).await;
        let err = single_error_at(&diags, attribute);
        assert!(!format!("{diags:?}").contains("Pa55word"), "{diags:?}");
        assert!(err.detail.contains("user name or password"), "{err:?}");
        try_to_pause(&mut p).await;

        // From the environment.
        let mut env_vars: Vec<(&str, &str)> =
            base.iter().filter(|(k, _)| *k != env).copied().collect();
        env_vars.push((env, url));
        let mut p = start_provider(&env_vars).await;
        let diags = configure(&mut p, provider_config(&[])).await;
        let err = single_error_at(&diags, attribute);
        assert!(err.detail.contains(env), "{err:?}");
        assert!(!format!("{diags:?}").contains("Pa55word"), "{diags:?}");
        try_to_pause(&mut p).await;
    }
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.header("authorization").is_none() && r.header("x-auth-token").is_none()),
        "no credentials went to a URL with userinfo"
    );
    assert!(sim.requests().is_empty(), "nothing was sent at all");
}

#[tokio::test]
async fn a_provider_project_id_that_would_change_the_api_path_is_refused() {
    let sim = start_sim().await;
    // From the provider block: `..` would make POST /v3/../instances/... go to
    // /instances/... on the same host, with the credentials.
    let mut p = start_provider(&[]).await;
    let diags = configure(
        &mut p,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string("..")),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    single_error_at(&diags, "project_id");
    try_to_pause(&mut p).await;

    // From HW_PROJECT_ID.
    let endpoint = sim.endpoint();
    let mut p = start_provider(&[
        ("HW_TAURUSDB_ENDPOINT", endpoint.as_str()),
        ("HW_PROJECT_ID", ".."),
        ("HW_AUTH_TOKEN", TOKEN),
    ])
    .await;
    let diags = configure(&mut p, provider_config(&[])).await;
    let err = single_error_at(&diags, "project_id");
    assert!(err.detail.contains("HW_PROJECT_ID"), "{err:?}");
    try_to_pause(&mut p).await;

    // The client refuses such a segment itself, whoever asks.
    let client = taurusdb_api::ApiClient::new(taurusdb_api::ClientConfig::new(
        sim.endpoint(),
        taurusdb_api::Credentials::Token(taurusdb_api::Secret::new(TOKEN)),
    ))
    .expect("client");
    let task = taurusdb_api::TaskRef::new("..", INSTANCE, TASK);
    let err = client
        .pause_replication(&task, &tokio_util::sync::CancellationToken::new())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("project_id"), "{err}");
    assert!(
        sim.requests().is_empty(),
        "nothing reached the simulator: {:?}",
        sim.requests()
    );
}
