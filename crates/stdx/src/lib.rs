//! Small additions to std that every crate of the provider shares, kept in a leaf crate
//! so that the protocol crate (`tfplugin`) and the API client (`taurusdb-api`) need not
//! depend on each other for them:
//! - [`regular_file`]: reading a small file someone named (regular files only, never
//!   blocking on a FIFO, capped, off the async workers when inside the runtime);
//! - [`calendar`]: UTC dates of `SystemTime`s, for timestamps in logs, signatures and
//!   the simulator;
//! - [`duration`]: Go's duration grammar, for `timeouts` and the command line;
//! - [`printable`]: the service's text made safe for a person's terminal.

pub mod calendar;
pub mod duration;
pub mod printable;
pub mod regular_file;
