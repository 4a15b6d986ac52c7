//! In-memory simulator of the TaurusDB HTAP (StarRocks) replication API.
//!
//! The provider talks to a handful of Huawei Cloud endpoints (pause, resume, list replication
//! tasks, show job). This module serves those endpoints from memory over plain HTTP so the demo
//! and every test can run without a cloud account or network access. It mimics the real
//! service's status codes, error codes and JSON shapes, records the requests it receives (the
//! most recent, bodies cut, nothing but method, path and status of one that failed
//! authentication), and lets tests inject faults (canned replies, throttling, slow or hung
//! requests, dropped connections) to exercise client error handling. It authenticates like the API gateway
//! (`X-Auth-Token`, or AK/SK `SDK-HMAC-SHA256` signatures verified in [`signature`] on the provider's own
//! signer's canonical form, temporary keys included), issues tokens like IAM (`POST /v3/auth/tokens`, OIDC
//! id token exchange), temporary credentials like IAM `securitytokens`, STS `AssumeAgency` and
//! the ECS metadata service, looks projects up by region name, and runs pause/resume as jobs
//! that can be scripted to stay hidden, run for a while, fail, or never end ([`JobPlan`]).
//!
//! Start one with [`start`], drive and inspect it through the returned [`SimHandle`], or run it
//! as a stand-alone process with [`run`] (the `sim` command, flags in [`SimArgs`]).

mod auth;
mod cli;
mod clock;
mod config;
mod errors;
mod faults;
mod gateway;
mod handle;
mod iam;
mod identities;
mod identity_state;
mod inputs;
mod jobs;
mod listener;
mod metadata;
mod oidc;
mod projects;
mod record;
mod routes;
mod securitytokens;
pub mod signature;
mod state;
mod sts;
mod temporary;

#[cfg(test)]
mod test_support;

pub use cli::{SimArgs, run};
pub use config::{IamUser, Seed, SeedInstance, SimConfig};
pub use faults::{Fault, FaultKind};
pub use handle::{SimHandle, start, start_https};
pub use identities::{
    Agency, DEFAULT_REGION, DEFAULT_TEMPORARY_LIFETIME, DEMO_AGENCY_NAME, DEMO_DOMAIN_ID,
    DEMO_DOMAIN_NAME, DEMO_ID_TOKEN, DEMO_IDP_ID, IamProject, OidcProvider,
};
pub use jobs::{JobOutcome, JobPlan, SimJob};
pub use record::{RecordLimits, RecordedRequest};
pub use temporary::CredentialEndpoint;
