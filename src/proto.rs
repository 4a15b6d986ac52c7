//! Rust types generated from `proto/` by build.rs.
//!
//! Kept in one place so the rest of the crate imports wire types from here and never
//! from a generated file path.

/// Terraform's plugin protocol, version 6.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's host services: controller (shutdown) and stdio mirroring.
pub mod plugin {
    tonic::include_proto!("plugin");
}
