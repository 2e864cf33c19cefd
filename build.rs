//! Compiles `proto/` into Rust with protox (pure Rust), so a fresh machine needs no `protoc`.

use std::error::Error;

/// Schema files that the gateway file builds on, generated first.
const BASE: [&str; 4] = [
    "proto/apicaps.proto",
    "proto/stat.proto",
    "proto/status.proto",
    "proto/ops.proto",
];
const GATEWAY: &str = "proto/gateway.proto";

fn main() -> Result<(), Box<dyn Error>> {
    for file in BASE.iter().chain([&GATEWAY]) {
        println!("cargo:rerun-if-changed={file}");
    }
    // BTreeMap keeps map fields in key order, so identical ops serialize to identical bytes.
    tonic_prost_build::configure()
        .btree_map(".")
        .build_client(false)
        .build_server(false)
        .compile_fds(protox::compile(BASE, ["proto"])?)?;
    // Our modules are flat (see src/proto.rs) rather than nested by package, so the gateway
    // refers to the base packages by path; declaring them extern also keeps them from being
    // generated twice.
    tonic_prost_build::configure()
        .btree_map(".")
        .extern_path(".pb", "crate::proto::pb")
        .extern_path(".moby.buildkit.v1.apicaps", "crate::proto::apicaps")
        .extern_path(".fsutil.types", "crate::proto::fsutil")
        .extern_path(".google.rpc", "crate::proto::rpc")
        .build_client(true)
        .build_server(true)
        .compile_fds(protox::compile([GATEWAY], ["proto"])?)?;
    Ok(())
}
