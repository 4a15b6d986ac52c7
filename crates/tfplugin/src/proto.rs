//! Rust types generated from this crate's `proto/` by build.rs.
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

/// `tfplugin6.proto` and the well-known types it imports, as an encoded
/// `FileDescriptorSet`, comments included: what gRPC server reflection describes of the
/// provider service (go-plugin's host services are never reflected).
pub const TFPLUGIN6_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tfplugin6-descriptors.bin"));
