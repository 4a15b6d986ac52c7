//! Compiles the typed API's proto/ into Rust with protox (a pure-Rust protobuf
//! compiler), so a fresh machine needs no system `protoc`. Its descriptors (with their
//! comments) are also written to `$OUT_DIR/descriptors.bin`, which `serve`'s gRPC
//! reflection serves beside tfplugin's (`proto::FILE_DESCRIPTOR_SET`).

use protox::prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/taurusdb/replication/v1/replication.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("descriptors.bin"), descriptors.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
