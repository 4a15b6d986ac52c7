//! The go-plugin host interface: everything Terraform (or OpenTofu) needs to start the
//! binary and reach its gRPC services. Nothing here knows what the provider manages.

pub mod conn;
pub mod handshake;
pub mod host_services;
pub mod serve;
pub mod tls;
