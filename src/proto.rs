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

/// The typed replication API for direct gRPC clients (`taurusdb.replication.v1`).
pub mod replication {
    pub mod v1 {
        tonic::include_proto!("taurusdb.replication.v1");
    }
}

/// The files of `proto/` that `serve` offers (tfplugin6 and the typed Replication API,
/// not go-plugin's host services) and the well-known types they import, as an encoded
/// `FileDescriptorSet`, comments included: what gRPC server reflection describes.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));
