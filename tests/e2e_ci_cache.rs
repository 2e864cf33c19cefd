//! The CI cache recipe of the README, as an ephemeral CI runner lives it: a fresh BuildKit
//! builds the app and exports its cache to a registry (`--cache-to type=registry,mode=max`),
//! then goes away; the next run gets another fresh BuildKit, the app's source changes, and the
//! build imports that cache (`--cache-from`): the dependency install must come from the cache.
//!
//! Each "runner" is a buildkitd of its own (the current BuildKit's binary, an empty state
//! directory, the registry mirrors of scripts/buildkit-up), driven through `docker buildx`
//! with a `remote` builder as GitHub Actions' docker/setup-buildx-action makes one.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// Where scripts/buildkit-up keeps the current BuildKit's binaries and its config.
const BUILDKIT_BIN: &str = "/usr/local/lib/buildkit-current/bin";
const BUILDKIT_CONFIG: &str = "/var/lib/buildkit-current/buildkitd.toml";

/// A throwaway buildkitd with its own state, and a buildx builder that drives it.
struct Runner {
    daemon: Child,
    builder: String,
    _state: tempfile::TempDir,
}

impl Runner {
    /// Starts a fresh buildkitd (nothing cached) and a buildx `remote` builder for it.
    fn start(name: &str) -> Runner {
        let state = tempfile::tempdir().expect("a temp dir");
        let socket = state.path().join("buildkitd.sock");
        let config = state.path().join("buildkitd.toml");
        std::fs::write(&config, runner_config(&socket)).expect("the runner's config");
        let daemon = Command::new(Path::new(BUILDKIT_BIN).join("buildkitd"))
            .arg("--config")
            .arg(&config)
            .arg("--root")
            .arg(state.path().join("root"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(state.path().join("log")).expect("a log file"))
            .spawn()
            .expect("buildkitd starts");
        let builder = format!("shallot-ci-{name}-{}", unique());
        let addr = format!("unix://{}", socket.display());
        wait_for_socket(&socket, state.path());
        docker_ok(&[
            "buildx", "create", "--name", &builder, "--driver", "remote", &addr,
        ]);
        Runner {
            daemon,
            builder,
            _state: state,
        }
    }

    /// `docker buildx build` of the node app in `dir` on this runner, with `cache` flags.
    fn build(&self, dir: &Path, cache: &[&str]) -> Run {
        let image = |name: &str| pulled(name);
        let mut cmd = Command::new(DOCKER);
        cmd.args([
            "buildx",
            "--builder",
            &self.builder,
            "build",
            "--progress=plain",
        ])
        .arg("-f")
        .arg(dir.join("shallot.yaml"))
        .args([
            "--build-arg",
            &format!("BUILDKIT_SYNTAX={}", image(&frontend())),
        ])
        .args([
            "--build-arg",
            &format!("SHALLOT_BUILDER_IMAGE={}", image(NODE_BUILDER)),
        ])
        .args([
            "--build-arg",
            &format!("SHALLOT_RUNTIME_IMAGE={}", image(NODE_RUNTIME)),
        ])
        .args(cache)
        .arg(dir);
        let out = cmd.output().expect("docker buildx runs");
        Run {
            ok: out.status.success(),
            text: String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = docker(&["buildx", "rm", "--force", &self.builder]);
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// scripts/buildkit-up's config (registry mirrors, the OCI worker) with this runner's socket.
fn runner_config(socket: &Path) -> String {
    let shared = std::fs::read_to_string(BUILDKIT_CONFIG)
        .unwrap_or_else(|e| panic!("{BUILDKIT_CONFIG}: {e} (run scripts/buildkit-up)"));
    let address = format!("  address = [\"unix://{}\"]", socket.display());
    shared
        .lines()
        .map(|line| match line.trim_start().starts_with("address") {
            true => address.clone(),
            // The shared daemon's state stays its own.
            false if line.starts_with("root") => String::new(),
            false => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn wait_for_socket(socket: &Path, state: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !socket.exists() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(state.join("log")).unwrap_or_default();
            panic!("buildkitd did not start in 30 s:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The node example's dependency install, as the progress names it.
fn install_step() -> &'static str {
    NODE.cache
        .as_ref()
        .expect("the node case has a dependency step")
        .dependency_step
}

fn cache_ref() -> String {
    format!("{REGISTRY}/cache/shallot-e2e-node-{}", unique())
}

e2e_tests!(
    // The flow needs the current BuildKit's binary and registry; dockerd has neither.
    fn a_fresh_runner_with_the_registry_cache_skips_the_dependency_install() on [Buildx] {
        assert!(
            PathBuf::from(BUILDKIT_BIN).join("buildkitd").exists(),
            "no buildkitd in {BUILDKIT_BIN}: run scripts/buildkit-up"
        );
        let dir = example_copy("node");
        let cache = cache_ref();
        let to = format!("type=registry,ref={cache},mode=max,registry.insecure=true");
        let from = format!("type=registry,ref={cache},registry.insecure=true");

        let first = Runner::start("first");
        let r = first.build(dir.path(), &["--cache-to", &to]);
        assert!(r.ok, "the first runner's build failed:\n{}", r.text);
        assert_eq!(
            step_ran(&r.text, install_step()),
            Some(true),
            "a fresh runner did not run the install:\n{}",
            r.text
        );
        drop(first);

        edit(dir.path(), "server.js", |s| format!("{s}\n// a source-only change\n"));
        let second = Runner::start("second");
        let r = second.build(dir.path(), &["--cache-from", &from]);
        assert!(r.ok, "the second runner's build failed:\n{}", r.text);
        // The install's layer comes from the registry (downloaded, not run).
        assert_eq!(
            step_ran(&r.text, install_step()),
            Some(false),
            "the install ran again despite the imported cache:\n{}",
            r.text
        );
        assert!(
            r.text.contains("importing cache manifest from"),
            "no cache import in the log:\n{}",
            r.text
        );
    }
);
