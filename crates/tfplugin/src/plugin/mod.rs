//! The go-plugin host interface and the other ways of serving gRPC: everything
//! Terraform (or OpenTofu, or any gRPC client) needs to reach the services. Nothing
//! here knows what the provider manages.

pub mod accept;
pub mod activity;
pub mod admission;
pub mod auth;
pub mod authority;
pub mod conn;
pub mod files;
pub mod handshake;
pub mod host_services;
pub mod hpack;
pub mod limits;
pub mod requests;
pub mod serve;
pub mod signals;
pub mod socket;
pub mod standalone;
pub mod tls;
