//! With the `peers` feature, compiles the vendored etcd protos (`proto/`) into a gRPC client
//! in `OUT_DIR`. protox parses them in pure Rust, so no `protoc` is needed; without the
//! feature this does nothing, so the default build compiles no peer code at all.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_PEERS").is_some() {
        peers::compile()?;
    }
    Ok(())
}

#[cfg(feature = "peers")]
mod peers {
    use std::path::PathBuf;

    pub fn compile() -> Result<(), Box<dyn std::error::Error>> {
        let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
        println!("cargo:rerun-if-changed={}", root.display());
        let files = [root.join("etcdserverpb/rpc.proto"), root.join("v3lockpb/v3lock.proto")];
        let descriptors = protox::compile(files, [&root])?;
        tonic_prost_build::configure().build_client(true).build_server(false).compile_fds(descriptors)?;
        Ok(())
    }
}

#[cfg(not(feature = "peers"))]
mod peers {
    pub fn compile() -> Result<(), Box<dyn std::error::Error>> {
        Err("CARGO_FEATURE_PEERS is set but the build script was built without the `peers` feature".into())
    }
}
