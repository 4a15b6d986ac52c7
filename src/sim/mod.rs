//! In-memory simulator of the TaurusDB HTAP (StarRocks) replication API.
//!
//! The provider talks to a handful of Huawei Cloud endpoints (pause, resume, list replication
//! tasks, show job). This module serves those endpoints from memory over plain HTTP so the demo
//! and every test can run without a cloud account or network access. It mimics the real
//! service's status codes, error codes and JSON shapes, records every request it receives, and
//! lets tests inject faults (canned replies, hung requests) to exercise client error handling.
//!
//! Start one with [`start`], drive and inspect it through the returned [`SimHandle`], or run it
//! as a stand-alone process with [`run_cli`].

mod auth;
mod cli;
mod clock;
mod config;
mod errors;
mod faults;
mod gateway;
mod handle;
mod inputs;
mod record;
mod routes;
mod state;

#[cfg(test)]
mod test_support;

pub use cli::run_cli;
pub use config::{Seed, SeedInstance, SimConfig};
pub use faults::{Fault, FaultKind};
pub use handle::{SimHandle, start};
pub use record::RecordedRequest;
pub use state::SimJob;
