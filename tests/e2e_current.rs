//! The frontend on a current BuildKit without Docker's client in the build: plain `buildctl build
//! --frontend gateway.v0`, as CI systems drive buildkitd, with the image exported as a docker
//! tarball into dockerd and run there, with no image named: the defaults (node:24-trixie-slim,
//! gcr.io/distroless/nodejs24-debian13) come through the registry that mirrors docker.io and
//! gcr.io, where scripts/stand-ins-to-registry put the stand-ins under those names. (The runtime
//! table runs on the current BuildKit through buildx in e2e_runtimes.rs.)

mod support;

use std::process::{Command, Stdio};

use support::*;

#[test]
fn buildctl_gateway_build_with_the_default_images_loads_into_dockerd_runs_and_answers() {
    on(Daemon::Buildx, || {
        let context = repo().join("examples").join("node");
        let context = context.display();
        let tag = "shallot-e2e/node:buildctl";
        let build = format!(
            "buildctl --addr {addr} build --progress=plain --frontend gateway.v0 \
             --opt source={frontend} --opt filename=shallot.yaml \
             --local context={context} --local dockerfile={context} \
             --output type=docker,name={tag},dest=- | {DOCKER} load",
            addr = buildkit_host(),
            frontend = pulled(&frontend()),
        );
        let out = Command::new("bash")
            .args(["-o", "pipefail", "-c", &build])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run bash: {e}"));
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{build}\nfailed:\n{log}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(tag),
            "docker load did not load {tag}:\n{log}"
        );
        let body = answer(tag);
        assert!(body.contains("hello from shallot"), "{body}");
    });
}
