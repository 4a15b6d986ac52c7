//! Terraform's side of the plugin protocol: values and their codec, schemas,
//! diagnostics, and the gRPC service that decodes, dispatches and encodes. Nothing
//! here knows what the provider manages.

pub mod action;
pub mod attr;
pub mod data_source;
pub mod diagnostics;
pub mod identity;
pub mod list;
pub mod path;
pub mod provider;
pub mod schema;
pub mod service;
pub mod types;
pub mod value;
