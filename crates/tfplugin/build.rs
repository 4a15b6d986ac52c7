//! Compiles proto/ into Rust with protox (a pure-Rust protobuf compiler), so a fresh
//! machine needs no system `protoc`. The descriptors of `tfplugin6.proto` (with their
//! comments) are also written to `$OUT_DIR/tfplugin6-descriptors.bin` for gRPC server
//! reflection; go-plugin's controller and stdio, served only to a go-plugin host, are
//! left out of it.

use protox::prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/tfplugin6.proto",
        "proto/grpc_controller.proto",
        "proto/grpc_stdio.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    let reflected = protox::compile(["proto/tfplugin6.proto"], ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("tfplugin6-descriptors.bin"),
        reflected.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
