//! Every integration test in one test binary: each file beside this one is a module, and
//! `common/` their shared fixtures. One binary links the provider and its dependencies
//! once instead of once per file, which keeps a clean `cargo test` small on disk and
//! quick to link. Run one file's tests with e.g. `cargo test --test integration serve_auth::`.

mod common;

mod api_client;
mod architecture;
mod cli_expectations;
mod credential_hosts;
mod credentials;
mod cross_setup;
mod docs;
mod examples;
mod grpc_actions;
mod grpc_discovery;
mod grpc_identity;
mod grpc_lifecycle;
mod grpc_provider;
mod handshake;
mod private_cloud_tls;
mod release_all;
mod release_install;
mod replication_api;
mod serve_auth;
mod serve_connections;
mod serve_grpcio;
mod serve_lifecycle;
mod serve_sockets;
mod serve_typed_api;
mod sim_credentials;
mod sim_exposure;
mod terraform_credentials;
mod terraform_discovery;
mod terraform_e2e;
mod waiting;
