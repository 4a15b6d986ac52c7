//! Rust types generated from this crate's `proto/` by build.rs: the typed replication API.
//!
//! Kept in one place so the rest of the crate imports wire types from here and never
//! from a generated file path.

/// The typed replication API for direct gRPC clients (`taurusdb.replication.v1`).
pub mod replication {
    pub mod v1 {
        tonic::include_proto!("taurusdb.replication.v1");
    }
}

/// `replication.proto` and the well-known types it imports, as an encoded
/// `FileDescriptorSet`, comments included: what gRPC server reflection describes of the
/// typed API (tfplugin's set describes the provider service).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));
