//! Every way a user can give the provider credentials, as they would use it: the real
//! Terraform and OpenTofu CLIs (every one available, see `common::cli`) apply a pause
//! against the simulator with only that method configured and no `project_id`
//! anywhere, so the project is looked up by region. Each test asserts what the user
//! sees (apply succeeds, the state holds the job and the looked-up project), what the
//! simulated IAM, STS and metadata service saw (the credential calls that method makes,
//! no request with expired keys), and that no secret reaches the CLI's output or state.
//!
//! Every host, the ECS metadata service included, is the simulator: no test can reach
//! the real 169.254.169.254.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::cli;
use common::workspace::*;
use common::*;
use taurusdb_sim::{self as sim, CredentialEndpoint, JobPlan, SimHandle};

/// The region whose project the provider looks up (the simulator knows [`PROJECT`]
/// under it).
const REGION: &str = sim::DEFAULT_REGION;

/// Every CLI here; each test runs under each of them.
fn every_cli() -> Vec<cli::Cli> {
    cli::matching(
        "the credential methods (no terraform or tofu binary)",
        |_| true,
    )
}

/// Every credential endpoint of the simulator, for messages and "none used" checks.
const ENDPOINTS: [CredentialEndpoint; 5] = [
    CredentialEndpoint::Metadata,
    CredentialEndpoint::AssumeRole,
    CredentialEndpoint::TokenExchange,
    CredentialEndpoint::StsAssumeAgency,
    CredentialEndpoint::OidcToken,
];

/// A workspace whose environment holds no credentials and no project: only the hosts
/// (TaurusDB, IAM, STS and the metadata service, all the simulator) and the region.
fn workspace(cli: &cli::Cli, sim: &SimHandle) -> Workspace {
    let mut ws = Workspace::new(cli.path.clone(), sim);
    ws.set_env("HW_AUTH_TOKEN", None);
    ws.set_env("HW_PROJECT_ID", None);
    ws.set_env("HW_AUTH_URL", Some(&format!("{}/v3", sim.endpoint())));
    ws.set_env("HW_STS_ENDPOINT", Some(&sim.endpoint()));
    ws.set_env("HW_METADATA_ENDPOINT", Some(&sim.endpoint()));
    ws.set_env("HW_REGION_NAME", Some(REGION));
    ws
}

/// How many credentials each endpoint issued, for assertion messages.
fn issued(sim: &SimHandle) -> Vec<(CredentialEndpoint, usize)> {
    ENDPOINTS
        .iter()
        .map(|e| (*e, sim.issued_credentials(*e)))
        .collect()
}

/// Asserts that only the `used` endpoints issued credentials, each at least once.
fn assert_issued_only(method: &str, sim: &SimHandle, used: &[CredentialEndpoint]) {
    for endpoint in ENDPOINTS {
        let count = sim.issued_credentials(endpoint);
        if used.contains(&endpoint) {
            assert!(
                count >= 1,
                "{method}: {endpoint:?} issued nothing: {:?}",
                issued(sim)
            );
        } else {
            assert_eq!(
                count,
                0,
                "{method}: {endpoint:?} was not to be used: {:?}",
                issued(sim)
            );
        }
    }
}

/// The values a test configures that must never be shown.
const SECRETS: [&str; 4] = [SECRET_KEY, IAM_PASSWORD, sim::DEMO_ID_TOKEN, TOKEN];

/// Asserts that no secret of the test appears in the run's output or the state file.
fn assert_no_secrets(method: &str, ws: &Workspace, run: &Run) {
    let output = run.all();
    let state =
        std::fs::read_to_string(ws.dir.path().join("terraform.tfstate")).unwrap_or_default();
    for secret in SECRETS {
        assert!(
            !output.contains(secret),
            "{method}: secret {secret:?} in the CLI's output:\n{output}"
        );
        assert!(
            !state.contains(secret),
            "{method}: secret {secret:?} in the state file"
        );
    }
}

/// The pause request the provider sent (the one that changed the task).
fn pause_request(method: &str, sim: &SimHandle) -> sim::RecordedRequest {
    sim.requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/replication/pause"))
        .unwrap_or_else(|| panic!("{method}: no pause request reached the simulator"))
}

/// Applies a pause with `provider` as the provider block's body and asserts what a user
/// of any credential method sees: apply succeeds; the state holds the simulator's job
/// and the project looked up by region; the task is paused; no request was refused or
/// signed with expired keys; no secret is shown. Returns the apply's run.
async fn pause_applies(method: &str, ws: &Workspace, sim: &SimHandle, provider: &str) -> Run {
    let run = pause_applies_showing_anything(method, ws, sim, provider).await;
    assert_no_secrets(method, ws, &run);
    run
}

/// [`pause_applies`] without the check that no secret is shown, for a test that checks
/// more first.
async fn pause_applies_showing_anything(
    method: &str,
    ws: &Workspace,
    sim: &SimHandle,
    provider: &str,
) -> Run {
    ws.write_config_with_provider(provider, &pause_block("window", INSTANCE, TASK));
    let run = ws.run(APPLY, &[]).await;
    assert_eq!(
        run.status,
        Some(0),
        "{method}: apply failed:\n{}",
        run.all()
    );
    assert_pause_in_state(method, ws, sim).await;
    run
}

/// The checks of [`pause_applies`] after a successful apply.
async fn assert_pause_in_state(method: &str, ws: &Workspace, sim: &SimHandle) {
    let values = resource_values(&ws.state_json().await);
    let job_id = values["job_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{method}: no job_id in state: {values}"));
    assert!(
        sim.job(job_id).is_some(),
        "{method}: job {job_id} in state is not the simulator's"
    );
    assert_eq!(
        values["project_id"], PROJECT,
        "{method}: the state's project is not the looked-up one"
    );
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused"),
        "{method}"
    );
    let requests = sim.requests();
    assert!(
        requests.iter().any(|r| r.method == "GET"
            && r.path == "/v3/projects"
            && r.query.as_deref() == Some(&format!("name={REGION}"))),
        "{method}: the project of {REGION} was not looked up"
    );
    let refused: Vec<String> = requests
        .iter()
        .filter(|r| matches!(r.status, 401 | 403))
        .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
        .collect();
    assert!(
        refused.is_empty(),
        "{method}: refused requests: {refused:?}"
    );
    assert_eq!(
        sim.expired_credential_uses(),
        0,
        "{method}: requests signed with expired keys"
    );
}

/// Asserts the pause was signed with AK/SK whose access key starts with `access_key`
/// (temporary keys also carry their security token).
fn assert_signed_by(method: &str, sim: &SimHandle, access_key: &str, temporary: bool) {
    let pause = pause_request(method, sim);
    let auth = pause.header("authorization").unwrap_or("");
    assert!(
        auth.starts_with(&format!("SDK-HMAC-SHA256 Access={access_key}")),
        "{method}: pause not signed by {access_key}: {auth:?}"
    );
    assert_eq!(
        pause.header("x-security-token").is_some(),
        temporary,
        "{method}: security token on the pause"
    );
}

/// The CLI's output as one line of words: diagnostics are boxed (`│`) and wrapped at
/// the CLI's chosen width, which differs between CLIs.
fn flat(output: &str) -> String {
    output
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prefix of the access keys of temporary credentials the simulator issues.
const TEMPORARY_AK: &str = "TMP";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_in_the_provider_block() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("token ({})", cli.label());
        let run = pause_applies(&method, &ws, &sim, &format!("  token = \"{TOKEN}\"")).await;
        assert_eq!(
            pause_request(&method, &sim).header("x-auth-token"),
            Some(TOKEN)
        );
        assert_issued_only(&method, &sim, &[]);
        assert!(!run.all().contains("deprecated"), "{method}: {}", run.all());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deprecated_auth_token_works_and_warns_naming_token() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("auth_token ({})", cli.label());
        let run = pause_applies_showing_anything(
            &method,
            &ws,
            &sim,
            &format!("  auth_token = \"{TOKEN}\""),
        )
        .await;
        assert_eq!(
            pause_request(&method, &sim).header("x-auth-token"),
            Some(TOKEN)
        );
        let output = flat(&run.all());
        assert!(
            output.contains("Warning: auth_token is deprecated"),
            "{method}: no deprecation warning:\n{output}"
        );
        assert!(
            output.contains("Use token instead"),
            "{method}: the warning does not name token:\n{output}"
        );
        // Last: the warning points at the line holding the token, which the CLI shows.
        assert_no_secrets(&method, &ws, &run);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_key_and_secret_key_in_the_provider_block() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("AK/SK ({})", cli.label());
        pause_applies(&method, &ws, &sim, &aksk_attributes()).await;
        assert_signed_by(&method, &sim, ACCESS_KEY, false);
        assert_issued_only(&method, &sim, &[]);
    }
}

/// `access_key` and `secret_key` of the simulator's key pair, as provider attributes.
fn aksk_attributes() -> String {
    format!("  access_key = \"{ACCESS_KEY}\"\n  secret_key = \"{SECRET_KEY}\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_password_with_user_name_and_domain_name() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("user_name + domain_name ({})", cli.label());
        let provider = format!(
            "  user_name   = \"{IAM_USER}\"\n  password    = \"{IAM_PASSWORD}\"\n  domain_name = \"{IAM_DOMAIN}\""
        );
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_password_token_used(&method, &sim);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_password_with_user_id() {
    let user_id = sim::IamUser {
        name: IAM_USER.to_string(),
        password: IAM_PASSWORD.to_string(),
        domain: IAM_DOMAIN.to_string(),
    }
    .id();
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("user_id ({})", cli.label());
        let provider = format!("  user_id  = \"{user_id}\"\n  password = \"{IAM_PASSWORD}\"");
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_password_token_used(&method, &sim);
        let login = sim
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path == "/v3/auth/tokens")
            .expect("a password login");
        let body: serde_json::Value = serde_json::from_str(&login.body).expect("JSON login");
        let user = &body["auth"]["identity"]["password"]["user"];
        assert!(
            user["id"] == user_id.as_str() && user["name"].is_null(),
            "{method}: the login did not name the user by ID alone"
        );
    }
}

/// Asserts IAM issued a token for the password and the pause carried one of them.
fn assert_password_token_used(method: &str, sim: &SimHandle) {
    assert!(sim.issued_tokens() >= 1, "{method}: IAM issued no token");
    assert!(
        sim.count("POST", "/v3/auth/tokens") >= 1,
        "{method}: no password login"
    );
    let token = pause_request(method, sim)
        .header("x-auth-token")
        .unwrap_or("")
        .to_string();
    assert!(
        token.starts_with("MIIsim"),
        "{method}: the pause did not carry an IAM-issued token: {token:?}"
    );
    assert_issued_only(method, sim, &[]);
}

/// An hcloud (KooCLI) `config.json` in `dir` whose `current` profile `ci` holds the
/// simulator's AK/SK, and a profile `ci_agency` that assumes the demo agency with them.
fn write_shared_config(dir: &Path) -> std::path::PathBuf {
    let profile = |name: &str, agency: &str, agency_domain: &str| {
        serde_json::json!({
            "name": name,
            "mode": "AKSK",
            "accessKeyId": ACCESS_KEY,
            "secretAccessKey": SECRET_KEY,
            "region": REGION,
            "agencyName": agency,
            "agencyDomainName": agency_domain,
        })
    };
    let config = serde_json::json!({
        "current": "ci",
        "profiles": [
            profile("ci", "", ""),
            profile("ci_agency", sim::DEMO_AGENCY_NAME, sim::DEMO_DOMAIN_NAME),
        ],
    });
    let path = dir.join("hcloud-config.json");
    std::fs::write(&path, config.to_string()).expect("write the shared config file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_config_file_profile_with_aksk() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("shared_config_file AKSK profile ({})", cli.label());
        let file = write_shared_config(ws.dir.path());
        let provider = format!(
            "  shared_config_file = \"{}\"\n  profile            = \"ci\"",
            file.display()
        );
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_signed_by(&method, &sim, ACCESS_KEY, false);
        assert_issued_only(&method, &sim, &[]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_config_file_profile_assuming_an_agency() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("shared_config_file agency profile ({})", cli.label());
        let file = write_shared_config(ws.dir.path());
        let provider = format!(
            "  shared_config_file = \"{}\"\n  profile            = \"ci_agency\"",
            file.display()
        );
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_signed_by(&method, &sim, TEMPORARY_AK, true);
        assert_issued_only(&method, &sim, &[CredentialEndpoint::AssumeRole]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_metadata_service_when_nothing_is_configured() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("ECS metadata ({})", cli.label());
        pause_applies(&method, &ws, &sim, "").await;
        assert_signed_by(&method, &sim, TEMPORARY_AK, true);
        assert_issued_only(&method, &sim, &[CredentialEndpoint::Metadata]);
        assert!(
            sim.count("PUT", "/meta-data/latest/api/token") >= 1,
            "{method}: no metadata session token asked for"
        );
    }
}

/// An `assume_role` block for the demo agency, by domain name or by domain ID.
fn assume_role_block(by_domain_id: bool) -> String {
    let domain = if by_domain_id {
        format!("domain_id   = \"{}\"", sim::DEMO_DOMAIN_ID)
    } else {
        format!("domain_name = \"{}\"", sim::DEMO_DOMAIN_NAME)
    };
    format!(
        "  assume_role {{\n    agency_name = \"{}\"\n    {domain}\n  }}",
        sim::DEMO_AGENCY_NAME
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_by_domain_name_on_aksk() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("assume_role domain_name ({})", cli.label());
        let provider = format!("{}\n{}", aksk_attributes(), assume_role_block(false));
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_signed_by(&method, &sim, TEMPORARY_AK, true);
        assert_issued_only(&method, &sim, &[CredentialEndpoint::AssumeRole]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_chain_iam_then_sts_on_aksk() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("assume_role chain ({})", cli.label());
        let provider = format!(
            "{}\n{}\n{}",
            aksk_attributes(),
            assume_role_block(false),
            assume_role_block(true)
        );
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_signed_by(&method, &sim, TEMPORARY_AK, true);
        assert_issued_only(
            &method,
            &sim,
            &[
                CredentialEndpoint::AssumeRole,
                CredentialEndpoint::StsAssumeAgency,
            ],
        );
        // The second hop is signed with the first hop's keys, not the configured ones.
        let sts = sim
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path == "/v5/agencies/assume")
            .expect("an STS request");
        let auth = sts.header("authorization").unwrap_or("");
        assert!(
            auth.starts_with(&format!("SDK-HMAC-SHA256 Access={TEMPORARY_AK}")),
            "{method}: STS hop not signed by the first hop's keys: {auth:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_from_the_environment_alone_on_aksk() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let mut ws = workspace(&cli, &sim);
        ws.set_env("HW_ASSUME_ROLE_AGENCY_NAME", Some(sim::DEMO_AGENCY_NAME));
        ws.set_env("HW_ASSUME_ROLE_DOMAIN_ID", Some(sim::DEMO_DOMAIN_ID));
        let method = format!("assume_role from env ({})", cli.label());
        pause_applies(&method, &ws, &sim, &aksk_attributes()).await;
        assert_signed_by(&method, &sim, TEMPORARY_AK, true);
        assert_issued_only(&method, &sim, &[CredentialEndpoint::StsAssumeAgency]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_with_oidc_from_an_id_token_file() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = workspace(&cli, &sim);
        let method = format!("assume_role_with_oidc ({})", cli.label());
        let token_file = ws.dir.path().join("id-token");
        std::fs::write(&token_file, sim::DEMO_ID_TOKEN).expect("write the id token");
        let provider = format!(
            "  assume_role_with_oidc {{\n    idp_id        = \"{}\"\n    id_token_file = \"{}\"\n    agency_name   = \"{}\"\n    domain_id     = \"{}\"\n  }}",
            sim::DEMO_IDP_ID,
            token_file.display(),
            sim::DEMO_AGENCY_NAME,
            sim::DEMO_DOMAIN_ID
        );
        pause_applies(&method, &ws, &sim, &provider).await;
        assert_signed_by(&method, &sim, TEMPORARY_AK, true);
        assert_issued_only(
            &method,
            &sim,
            &[
                CredentialEndpoint::OidcToken,
                CredentialEndpoint::TokenExchange,
                CredentialEndpoint::StsAssumeAgency,
            ],
        );
        let presented = sim.presented_id_tokens();
        assert!(
            !presented.is_empty() && presented.iter().all(|t| t == sim::DEMO_ID_TOKEN),
            "{method}: the file's token was not the one presented ({} presented)",
            presented.len()
        );
    }
}

/// The issue's "done when": metadata credentials that live 8 seconds, a pause whose job
/// takes 20, waited for. The provider renews the keys while it waits, so the apply
/// succeeds and no request is signed with expired keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_credentials_are_renewed_while_a_long_pause_is_waited_for() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        sim.set_temporary_credentials_lifetime(Duration::from_secs(8));
        sim.set_job_plan(JobPlan::timed(Duration::from_secs(20)));
        let ws = workspace(&cli, &sim);
        let method = format!("metadata renewal ({})", cli.label());
        ws.write_config_with_provider(
            "",
            &format!(
                r#"resource "taurusdb_replication_pause" "window" {{
  instance_id         = "{INSTANCE}"
  task_name           = "{TASK}"
  wait_for_completion = true
}}
"#
            ),
        );
        // Plan apart, so the apply below is one provider process: every metadata
        // credential it gets after its first is a renewal.
        ws.ok(&["plan", "-input=false", "-no-color", "-out=pause.tfplan"])
            .await;
        let before = sim.issued_credentials(CredentialEndpoint::Metadata);
        let run = ws
            .run(&["apply", "-input=false", "-no-color", "pause.tfplan"], &[])
            .await;
        assert_eq!(
            run.status,
            Some(0),
            "{method}: apply failed:\n{}",
            run.all()
        );
        assert_pause_in_state(&method, &ws, &sim).await;
        assert_no_secrets(&method, &ws, &run);
        let job_id = resource_values(&ws.state_json().await)["job_id"]
            .as_str()
            .map(str::to_owned)
            .expect("job_id");
        assert_eq!(
            sim.job(&job_id).map(|j| j.status),
            Some("Completed".to_string()),
            "{method}: apply ended before the job did"
        );
        let during_apply = sim.issued_credentials(CredentialEndpoint::Metadata) - before;
        assert!(
            during_apply > 1,
            "{method}: metadata credentials issued {during_apply} time(s) during the apply: \
             never renewed"
        );
        assert_eq!(sim.expired_credential_uses(), 0, "{method}");
        assert_issued_only(&method, &sim, &[CredentialEndpoint::Metadata]);
    }
}

/// No credentials anywhere and no metadata service: the apply fails saying the
/// metadata service gave none and naming every way to give credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_and_no_metadata_service_names_every_way_to_give_them() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        // The service answers 404, or nothing listens where it should be.
        let nothing_listens = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            format!("http://{}", listener.local_addr().expect("addr"))
        };
        for (case, metadata) in [
            ("metadata off", None),
            ("nothing listens", Some(nothing_listens)),
        ] {
            let sim = start_sim().await;
            sim.set_metadata_service(false);
            let mut ws = workspace(&cli, &sim);
            if let Some(endpoint) = &metadata {
                ws.set_env("HW_METADATA_ENDPOINT", Some(endpoint));
            }
            let method = format!("no credentials, {case} ({})", cli.label());
            ws.write_config(&pause_block("window", INSTANCE, TASK));
            let run = ws.run(APPLY, &[]).await;
            assert_eq!(run.status, Some(1), "{method}: {}", run.all());
            let output = flat(&run.all());
            assert!(
                output.contains("Missing TaurusDB credentials"),
                "{method}:\n{output}"
            );
            assert!(
                output.contains("the ECS metadata service gave none"),
                "{method}: the metadata service is not named:\n{output}"
            );
            for way in [
                "token",
                "HW_AUTH_TOKEN",
                "HW_ACCESS_KEY",
                "user_name",
                "user_id",
                "shared_config_file",
                "HW_PROFILE",
                "assume_role_with_oidc",
            ] {
                assert!(output.contains(way), "{method}: {way} not named:\n{output}");
            }
            assert_no_secrets(&method, &ws, &run);
            assert_eq!(sim.count("POST", "/replication/pause"), 0, "{method}");
            assert_issued_only(&method, &sim, &[]);
        }
    }
}

/// The values of `header` the simulator received.
fn sent_values(sim: &SimHandle, header: &str) -> Vec<String> {
    sim.requests()
        .iter()
        .filter_map(|r| r.header(header).map(str::to_string))
        .filter(|v| !v.is_empty())
        .collect()
}

/// A run of 40 upper-case letters and digits: the shape of the simulator's temporary
/// secret keys.
fn has_temporary_secret_key_shape(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            run += 1;
            if run >= 40 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// With `TF_LOG=trace` (the CLI's and the provider's logs on stderr), the temporary
/// credentials of every method (ECS metadata with its session token, an assumed agency,
/// OIDC with an inline ID token) and the tokens they are obtained with appear nowhere:
/// neither in the output nor in the state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_show_no_temporary_credentials_or_the_tokens_they_come_from() {
    for cli in every_cli() {
        let oidc = format!(
            "  assume_role_with_oidc {{\n    idp_id      = \"{}\"\n    id_token    = \"{}\"\n    agency_name = \"{}\"\n    domain_id   = \"{}\"\n  }}",
            sim::DEMO_IDP_ID,
            sim::DEMO_ID_TOKEN,
            sim::DEMO_AGENCY_NAME,
            sim::DEMO_DOMAIN_ID
        );
        let assumed = format!("{}\n{}", aksk_attributes(), assume_role_block(false));
        for (name, provider) in [
            ("metadata", String::new()),
            ("oidc", oidc),
            ("assume", assumed),
        ] {
            let sim = start_sim().await;
            let ws = workspace(&cli, &sim);
            let method = format!("{name} under TF_LOG=trace ({})", cli.label());
            ws.write_config_with_provider(&provider, &pause_block("window", INSTANCE, TASK));
            let run = ws.run(APPLY, &[("TF_LOG", "trace")]).await;
            assert_eq!(
                run.status,
                Some(0),
                "{method}: apply failed:\n{}",
                run.all()
            );
            let output = run.all();
            assert!(
                output.contains("obtained temporary credentials"),
                "{method}: the provider's logs are not in the output"
            );
            let state = std::fs::read_to_string(ws.dir.path().join("terraform.tfstate"))
                .unwrap_or_default();
            let mut secrets: Vec<String> = SECRETS.iter().map(|s| s.to_string()).collect();
            secrets.extend(sent_values(&sim, "x-security-token"));
            secrets.extend(sent_values(&sim, "x-metadata-token"));
            secrets.extend(sent_values(&sim, "x-auth-token"));
            assert!(
                secrets.len() > SECRETS.len(),
                "{method}: no temporary credentials seen"
            );
            for secret in &secrets {
                assert!(
                    !output.contains(secret.as_str()) && !state.contains(secret.as_str()),
                    "{method}: a secret ({} chars) is in the output or the state",
                    secret.len()
                );
            }
            assert!(
                !output.contains("gQsim"),
                "{method}: a security token in the logs"
            );
            assert!(
                !has_temporary_secret_key_shape(&output),
                "{method}: a temporary secret key in the logs"
            );
        }
    }
}
