//! The SBOM attestation: when a build asks for one (`attest:sbom`, buildx `--sbom=true`), each
//! platform's result carries an in-toto attestation whose predicate is the SPDX document that
//! [`crate::sbom`] writes from the lockfile the build installs from.
//!
//! BuildKit (v0.11 on) runs an SBOM processor after every build that asks for an SBOM: unless
//! the result already holds an attestation of predicate type `https://spdx.dev/Document`, it
//! resolves the scanner image (`docker/buildkit-syft-scanner`) and runs it on the image. The
//! Dockerfile frontend runs that scanner itself and returns its output as the result's
//! attestation, which is how the daemon knows the request is handled. shallot returns its own
//! document the same way, so no scanner image is pulled: the build works offline. A daemon
//! without the `reference.attestations` cap (BuildKit v0.8, Docker 20.10) runs no processor
//! and takes no attestation; the build goes on, and the progress says the SBOM was left out.

use super::bridge::Bridge;
use super::errors::Failure;
use super::opts::platform_id;
use super::request::Request;
use crate::context::{self, Context};
use crate::llb::{FileAction, Meta, State};
use crate::load::Loaded;
use crate::plan::Stage;
use crate::proto::{gateway as gw, pb};
use crate::sbom::{self, Sbom, spdx};
use std::collections::BTreeMap;

/// Where the document is in the attestation's filesystem.
const SBOM_PATH: &str = "/sbom.spdx.json";
/// Said of an SBOM attached to `--target builder`, which lists the runtime image's packages.
const BUILDER_NOTE: &str = "the build's target is the builder stage, which also holds the \
    devDependencies and build tools: this SBOM lists only what the runtime image receives";
/// The cap a daemon needs to take attestations in a result (BuildKit v0.11).
const ATTESTATIONS_CAP: &str = "reference.attestations";

/// The attestations to return, by platform id: one SBOM per platform of `platforms` (the
/// request's, in the order `loaded.plans` follows). None, and a notice in the progress, when
/// the daemon cannot take them.
pub(super) async fn attestations<C>(
    bridge: &mut Bridge,
    reader: &mut C,
    loaded: &Loaded,
    request: &Request,
) -> Result<BTreeMap<String, gw::Attestations>, Failure>
where
    C: Context,
    Failure: From<C::Error>,
{
    if !bridge.caps.gateway(ATTESTATIONS_CAP) {
        let why = "the SBOM was not attached: this BuildKit takes no attestations \
            (`reference.attestations`, BuildKit v0.11 / Docker 23 and later); `shallot sbom` prints it";
        notice(bridge, why).await;
        return Ok(BTreeMap::new());
    }
    let mut paths: Vec<String> = loaded
        .plans
        .iter()
        .flat_map(|(_, plan)| sbom::lockfiles(plan))
        .collect();
    paths.sort();
    paths.dedup();
    let files =
        context::gather_whole(reader, &loaded.facts, &paths, sbom::MAX_LOCKFILE_BYTES).await?;
    let mut attestations = BTreeMap::new();
    for (platform, (planned_for, plan)) in request.platforms.iter().zip(&loaded.plans) {
        let mut bom = Sbom::from_plan(plan, planned_for, &files)?;
        if request.options.target.stage() == Stage::Builder {
            bom.notes.push(BUILDER_NOTE.to_string());
        }
        let document = spdx::document(&bom, request.epoch);
        let attestation = attach(bridge, &bom, &document, request.epoch).await?;
        attestations.insert(
            platform_id(platform),
            gw::Attestations {
                attestation: vec![attestation],
            },
        );
    }
    Ok(attestations)
}

/// Solves a scratch filesystem holding `document` and describes it as an in-toto SBOM
/// attestation of the result (no subjects: the exporter makes the image its subject).
async fn attach(
    bridge: &mut Bridge,
    bom: &Sbom,
    document: &serde_json::Value,
    epoch: Option<i64>,
) -> Result<gw::Attestation, Failure> {
    let data = serde_json::to_vec_pretty(document)
        .map_err(|e| Failure::Internal(format!("the SBOM does not serialize: {e}")))?;
    let mkfile = FileAction::Mkfile {
        path: SBOM_PATH.to_string(),
        mode: 0o644,
        data,
        timestamp: epoch.map(|s| s.saturating_mul(1_000_000_000)),
    };
    let source = bom.lockfile.as_deref().unwrap_or("no lockfile");
    let meta = Meta {
        name: Some(format!(
            "[{}] SBOM: {} packages from {source}",
            bom.platform,
            bom.packages.len()
        )),
        ..Default::default()
    };
    let definition: pb::Definition = State::scratch().file(vec![mkfile], meta).marshal(None).pb;
    let id = bridge.solve(definition.clone()).await?;
    Ok(gw::Attestation {
        kind: gw::AttestationKind::InToto as i32,
        // BuildKit's reason for an SBOM, which `--attest` filters and its exporters read.
        metadata: BTreeMap::from([("reason".to_string(), b"sbom".to_vec())]),
        r#ref: Some(gw::Ref {
            id,
            def: Some(definition),
        }),
        path: SBOM_PATH.to_string(),
        in_toto_predicate_type: spdx::PREDICATE_TYPE.to_string(),
        in_toto_subjects: Vec::new(),
    })
}

/// Puts `line` into the build's progress as the name of a step (a directory made on scratch,
/// read at once so that the daemon runs it and shows it: v0.8 has neither `Warn` nor
/// `Evaluate`), and into the daemon's log. A notice never fails the build.
async fn notice(bridge: &mut Bridge, line: &str) {
    eprintln!("shallot: {line}");
    let mkdir = FileAction::Mkdir {
        path: "/notice".to_string(),
        mode: 0o755,
        owner: None,
        timestamp: None,
    };
    let meta = Meta {
        name: Some(format!("[shallot] warning: {line}")),
        ..Default::default()
    };
    let definition = State::scratch().file(vec![mkdir], meta).marshal(None).pb;
    let shown = match bridge.solve(definition).await {
        Ok(id) => bridge.read_dir(&id, "/").await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = shown {
        eprintln!("shallot: the notice was not shown: {e}");
    }
}
