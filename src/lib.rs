//! shallot: a BuildKit frontend that turns a short YAML spec into a small, safe container image.
//!
//! Data flows one way: [`spec`] (YAML → typed, validated, with source spans) → [`plan`] (a runtime
//! recipe applied to the spec and the context's facts, as plain data) → [`llb`] (the BuildKit
//! graph, with deterministic digests) → [`gateway`] (the LLBBridge client that talks to BuildKit).
//! `spec`, `plan` and `llb` are pure; I/O happens only in `gateway`, [`context`] readers and the CLI.
//! [`load`] is the one way from a request to a plan that the frontend and the CLI share.
//! [`sbom`] (pure, beside `llb`) turns a plan and its lockfiles into an SPDX document.
#![deny(missing_docs)]

pub mod context;
pub mod formats;
pub mod gateway;
pub mod image;
pub mod lint;
pub mod llb;
pub mod load;
pub mod plan;
pub mod proto;
pub mod runtimes;
pub mod sbom;
pub mod spec;
#[cfg(test)]
pub(crate) mod testkit;
