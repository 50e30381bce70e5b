//! Compiles `proto/coterie/v1/coterie.proto` into Rust client and server code in `OUT_DIR`.
//!
//! The proto is parsed by protox (pure Rust), and the resulting descriptor set is handed to
//! tonic-prost-build, so building Coterie never needs `protoc` installed. The encoded
//! descriptor set is also written to `OUT_DIR/coterie_descriptor.bin`, for the servers'
//! gRPC reflection service.

use std::path::PathBuf;

use protox::prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let file = root.join("coterie/v1/coterie.proto");
    println!("cargo:rerun-if-changed={}", root.display());

    let descriptors = protox::compile([&file], [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("coterie_descriptor.bin"), descriptors.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .btree_map(".coterie.v1.ErrorDetail.metadata")
        .compile_fds(descriptors)?;
    Ok(())
}
