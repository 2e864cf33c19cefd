//! Rust types generated from `proto/`, our rendition of BuildKit's wire schema.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// LLB: ops, definitions and the source map (`package pb`).
pub mod pb {
    tonic::include_proto!("pb");
}

/// The frontend gateway API (`package moby.buildkit.v1.frontend`).
pub mod gateway {
    tonic::include_proto!("moby.buildkit.v1.frontend");
}

/// Capability records (`package moby.buildkit.v1.apicaps`).
pub mod apicaps {
    tonic::include_proto!("moby.buildkit.v1.apicaps");
}

/// fsutil's file stat (`package fsutil.types`).
pub mod fsutil {
    tonic::include_proto!("fsutil.types");
}

/// `google.rpc.Status`.
pub mod rpc {
    tonic::include_proto!("google.rpc");
}
