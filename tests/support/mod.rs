//! End-to-end harness: a real BuildKit (dockerd's v0.8, or a current one through buildx; see
//! [`Daemon`]), the frontend image and local stand-ins for the base images. Outside CI a
//! missing daemon skips the tests loudly; in CI it fails them.
#![allow(dead_code)] // each test binary uses part of the kit

pub mod case;
pub mod runtimes;

#[allow(unused_imports)]
pub use case::*;
#[allow(unused_imports)]
pub use runtimes::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The Docker 20.10 client (with BuildKit v0.8 behind it).
pub const DOCKER: &str = "/usr/bin/docker";
/// The frontend image under test: `shallot:dev` (what the examples name in `# syntax=`), or
/// `SHALLOT_E2E_FRONTEND`, so that several checkouts can test side by side. Builds pass it as
/// `BUILDKIT_SYNTAX`, which wins over the `# syntax=` line.
pub fn frontend() -> String {
    std::env::var("SHALLOT_E2E_FRONTEND")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "shallot:dev".to_string())
}
/// Stand-ins for `node:24-trixie-slim` and distroless node (see scripts/stand-in-images).
pub const NODE_BUILDER: &str = "shallot-test/node-builder:latest";
/// Stand-in for `gcr.io/distroless/nodejs24-debian13:nonroot`.
pub const NODE_RUNTIME: &str = "shallot-test/nodejs-runtime:nonroot";

/// Unpacks the tarball `tar` (an OCI export) into `dir`.
pub fn untar(tar: &Path, dir: &Path) {
    let out = Command::new("tar")
        .arg("-xf")
        .arg(tar)
        .arg("-C")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("tar: {e}"));
    assert!(out.status.success(), "cannot unpack {}", tar.display());
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A BuildKit the end-to-end tests build on; the built image is run by dockerd either way.
///
/// Each `runtime_tests!` case runs once per daemon (`node::dockerd::…`, `node::buildx::…`), so
/// `cargo test` alone covers both and a failure names its daemon. The daemon of a test is
/// thread-local state set by [`on`] rather than a parameter, so [`build_on`] and the checks
/// keep their signatures and the test files stay as they read today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Daemon {
    /// Docker 20.10's embedded BuildKit v0.8: `docker build` with `DOCKER_BUILDKIT=1`.
    Dockerd,
    /// A current BuildKit (scripts/buildkit-up): `docker buildx --builder current build
    /// --load`, pulling the frontend and the stand-ins from [`REGISTRY`].
    Buildx,
}

impl Daemon {
    /// The test module's name for this daemon.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Dockerd => "dockerd",
            Daemon::Buildx => "buildx",
        }
    }
}

thread_local! {
    static DAEMON: std::cell::Cell<Daemon> = const { std::cell::Cell::new(Daemon::Dockerd) };
}

/// The daemon this test builds on: [`Daemon::Dockerd`] unless [`on`] says otherwise.
pub fn daemon() -> Daemon {
    DAEMON.with(|d| d.get())
}

/// Runs `test` with its builds on `daemon`, once the harness for it is [`ready_on`]; skips
/// (outside CI) or fails (in CI) as that says.
pub fn on(daemon: Daemon, test: impl FnOnce()) {
    DAEMON.with(|d| d.set(daemon));
    if ready_on(daemon) {
        test();
    }
}

/// The registry the current BuildKit pulls from (scripts/buildkit-up).
pub const REGISTRY: &str = "127.0.0.1:5000";
/// The buildx builder of the current BuildKit.
pub const BUILDX_BUILDER: &str = "current";

/// `image` as the current BuildKit pulls it: from [`REGISTRY`], where
/// scripts/stand-ins-to-registry pushed it under the same name.
pub fn pulled(image: &str) -> String {
    format!("{REGISTRY}/{image}")
}

/// Makes sure BuildKit, the frontend image and the stand-ins are there for the daemon of this
/// test ([`daemon`]). Returns false (after saying so loudly) when the test must be skipped.
pub fn ready() -> bool {
    ready_on(daemon())
}

/// [`ready`] for `daemon`, once per test binary and daemon: dockerd with the frontend image and
/// the stand-ins, and for [`Daemon::Buildx`] also the current BuildKit with all of them pushed
/// to its registry.
pub fn ready_on(daemon: Daemon) -> bool {
    static DOCKERD: OnceLock<Result<(), Setup>> = OnceLock::new();
    static BUILDX: OnceLock<Result<(), Setup>> = OnceLock::new();
    let mut state = DOCKERD.get_or_init(setup_dockerd);
    if daemon == Daemon::Buildx && state.is_ok() {
        state = BUILDX.get_or_init(setup_buildx);
    }
    match state {
        Ok(()) => true,
        Err(Setup::Failed(why)) => panic!("{why}"),
        Err(Setup::NoDaemon(why)) if in_ci() => {
            panic!("end-to-end tests need BuildKit in CI: {why}")
        }
        Err(Setup::NoDaemon(why)) => {
            eprintln!(
                "\n!!! SKIPPING end-to-end test on {}: {why} !!!\n",
                daemon.name()
            );
            false
        }
    }
}

fn setup_dockerd() -> Result<(), Setup> {
    let daemon = Command::new(DOCKER)
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match daemon {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(Setup::NoDaemon(format!(
                "docker daemon not reachable: {why}; run scripts/dockerd-up"
            )));
        }
        Err(e) => {
            return Err(Setup::NoDaemon(format!(
                "{DOCKER} cannot run: {e}; run scripts/dockerd-up"
            )));
        }
    }
    let frontend = frontend();
    script("scripts/frontend-image", Some(&frontend))?;
    script("scripts/stand-in-images", None)
}

fn setup_buildx() -> Result<(), Setup> {
    let builder = Command::new(DOCKER)
        .args(["buildx", "inspect", BUILDX_BUILDER])
        .output();
    let why = match builder {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let running = text.lines().any(|l| {
                l.split_once(':')
                    .is_some_and(|(key, value)| key == "Status" && value.trim() == "running")
            });
            if out.status.success() && running {
                None
            } else {
                Some(text.trim().to_string())
            }
        }
        Err(e) => Some(e.to_string()),
    };
    if let Some(why) = why {
        return Err(Setup::NoDaemon(format!(
            "no current BuildKit (buildx builder `{BUILDX_BUILDER}`: {why}); run scripts/buildkit-up"
        )));
    }
    let frontend = frontend();
    script("scripts/stand-ins-to-registry", Some(&frontend))
}

/// Runs `scripts/<name> [arg]` from the repository, with the `shallot` CLI of this build
/// (stand-ins-to-registry asks it for the default images' names).
fn script(name: &str, arg: Option<&str>) -> Result<(), Setup> {
    let out = Command::new("bash")
        .arg(repo().join(name))
        .args(arg)
        .env("SHALLOT_BIN", env!("CARGO_BIN_EXE_shallot"))
        .current_dir(repo())
        .output()
        .map_err(|e| Setup::Failed(format!("{name}: {e}")))?;
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        return Err(Setup::Failed(format!("{name} failed:\n{log}")));
    }
    Ok(())
}

/// `#[test]` functions that need the harness, each a module with one test per daemon:
/// `fn name() on [Dockerd, Buildx] { … }` runs as `name::dockerd` and `name::buildx`; without
/// `on`, on dockerd only (the runtime table covers every runtime on both; a file moves its tests
/// to both once they are proven there). Each skips (outside CI) or fails (in CI) as
/// [`ready_on`] says.
#[allow(unused_macros)] // each test binary uses part of the kit
macro_rules! e2e_tests {
    (@one Dockerd $body:block) => {
        #[test]
        fn dockerd() {
            $crate::support::on($crate::support::Daemon::Dockerd, || $body);
        }
    };
    (@one Buildx $body:block) => {
        #[test]
        fn buildx() {
            $crate::support::on($crate::support::Daemon::Buildx, || $body);
        }
    };
    (@each $(#[$meta:meta])* fn $name:ident() [$($daemon:ident),+] $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $($crate::support::e2e_tests!(@one $daemon $body);)+
        }
    };
    () => {};
    ($(#[$meta:meta])* fn $name:ident() on [$($daemon:ident),+ $(,)?] $body:block $($rest:tt)*) => {
        $crate::support::e2e_tests!(@each $(#[$meta])* fn $name() [$($daemon),+] $body);
        $crate::support::e2e_tests!($($rest)*);
    };
    ($(#[$meta:meta])* fn $name:ident() $body:block $($rest:tt)*) => {
        $crate::support::e2e_tests!(@each $(#[$meta])* fn $name() [Dockerd] $body);
        $crate::support::e2e_tests!($($rest)*);
    };
}
#[allow(unused_imports)]
pub(crate) use e2e_tests;

/// Why the harness is not ready.
enum Setup {
    /// No daemon: skip outside CI.
    NoDaemon(String),
    /// A setup script failed: always a failure.
    Failed(String),
}

/// The result of a docker command.
pub struct Run {
    /// Exit status was zero.
    pub ok: bool,
    /// stdout and stderr together (BuildKit progress goes to stderr).
    pub text: String,
}

fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Run {
        ok: out.status.success(),
        text,
    }
}

/// `docker <args>`.
pub fn docker(args: &[&str]) -> Run {
    run(Command::new(DOCKER).args(args))
}

/// `docker <args>` that must succeed; returns stdout+stderr.
pub fn docker_ok(args: &[&str]) -> String {
    let r = docker(args);
    assert!(r.ok, "docker {args:?} failed:\n{}", r.text);
    r.text
}

/// [`build_on`] with the node stand-in images.
pub fn build(context: &Path, spec: &str, tag: &str, extra: &[&str]) -> Run {
    build_on(context, spec, tag, Some(NODE_BUILDER), NODE_RUNTIME, extra)
}

/// A build of `context/spec` through the frontend under test on the test's [`daemon`], with
/// these base images (`SHALLOT_BUILDER_IMAGE`, `SHALLOT_RUNTIME_IMAGE`) and `extra` arguments;
/// the image ends up in dockerd as `tag` either way.
pub fn build_on(
    context: &Path,
    spec: &str,
    tag: &str,
    builder: Option<&str>,
    runtime: &str,
    extra: &[&str],
) -> Run {
    build_through(&frontend_ref(), context, spec, tag, builder, runtime, extra)
}

/// [`build_on`] through the frontend image `frontend`, named as the test's [`daemon`] finds it
/// (a local name on dockerd, or a registry reference, possibly `…@sha256:…`, on either).
pub fn build_through(
    frontend: &str,
    context: &Path,
    spec: &str,
    tag: &str,
    builder: Option<&str>,
    runtime: &str,
    extra: &[&str],
) -> Run {
    let mut cmd = build_command_through(frontend, context, spec, tag, builder, runtime, extra);
    // One build at a time on dockerd: Docker 20.10's BuildKit (v0.8) panics ("failed to get
    // edge") and takes dockerd down when concurrent solves share a vertex with and without
    // ignore-cache (moby/buildkit#2303, fixed in v0.12). shallot's graphs share base images,
    // which never carry it, but a step before the context is copied (yarn classic's install,
    // `packages:`) is shared as a Dockerfile's RUN would be. e2e_load builds at once on
    // purpose. The current BuildKit has no such bug.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = (daemon() == Daemon::Dockerd).then(|| {
        ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    });
    run(&mut cmd)
}

/// The frontend under test as the test's [`daemon`] finds it: [`frontend`] in dockerd's image
/// store, or pulled from [`REGISTRY`] by the current BuildKit.
fn frontend_ref() -> String {
    match daemon() {
        Daemon::Dockerd => frontend(),
        Daemon::Buildx => pulled(&frontend()),
    }
}

/// The command [`build_on`] runs, for tests that start builds side by side or stop them.
pub fn build_command(
    context: &Path,
    spec: &str,
    tag: &str,
    builder: Option<&str>,
    runtime: &str,
    extra: &[&str],
) -> Command {
    build_command_through(&frontend_ref(), context, spec, tag, builder, runtime, extra)
}

/// [`build_command`] through the frontend image `frontend` (see [`build_through`]).
fn build_command_through(
    frontend: &str,
    context: &Path,
    spec: &str,
    tag: &str,
    builder: Option<&str>,
    runtime: &str,
    extra: &[&str],
) -> Command {
    let daemon = daemon();
    let image = |name: &str| match daemon {
        Daemon::Dockerd => name.to_string(),
        Daemon::Buildx => pulled(name),
    };
    let mut cmd = Command::new(DOCKER);
    match daemon {
        Daemon::Dockerd => {
            cmd.env("DOCKER_BUILDKIT", "1").arg("build");
        }
        Daemon::Buildx => {
            cmd.args(["buildx", "--builder", BUILDX_BUILDER, "build", "--load"]);
        }
    }
    cmd.args(["--progress=plain", "-f"])
        .arg(context.join(spec))
        .args(["-t", tag])
        .args(["--build-arg", &format!("BUILDKIT_SYNTAX={frontend}")])
        .args([
            "--build-arg",
            &format!("SHALLOT_RUNTIME_IMAGE={}", image(runtime)),
        ]);
    if let Some(builder) = builder {
        cmd.args([
            "--build-arg",
            &format!("SHALLOT_BUILDER_IMAGE={}", image(builder)),
        ]);
    }
    cmd.args(extra).arg(context);
    cmd
}

/// buildkitd's address: `BUILDKIT_HOST`, else where scripts/buildkit-up starts it.
pub fn buildkit_host() -> String {
    std::env::var("BUILDKIT_HOST")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unix:///run/buildkit/buildkitd.sock".to_string())
}

/// A copy of `examples/<name>` in a temporary directory (so tests can change files).
pub fn example_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    copy_dir(&repo().join("examples").join(name), dir.path());
    dir
}

/// `tests/fixtures/<name>`: a small app with the shape users' apps have.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests").join("fixtures").join(name)
}

/// A copy of [`fixture`] `name` in a temporary directory (so tests can change files).
pub fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    copy_dir(&fixture(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name))
                .unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
        }
    }
}

/// Rewrites `dir/file` with `f` of its text.
pub fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    std::fs::write(&path, f(text)).unwrap_or_else(|e| panic!("{file}: {e}"));
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// `GET /` on 127.0.0.1:port, retried for up to 10 s while the app starts.
pub fn http_get(port: u16) -> String {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let attempt = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
            s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut body = String::new();
            s.read_to_string(&mut body)?;
            Ok(body)
        });
        match attempt {
            Ok(body) if !body.is_empty() => return body,
            _ if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(200))
            }
            Ok(_) => panic!("empty answer on port {port}"),
            Err(e) => panic!("no answer on port {port}: {e}"),
        }
    }
}

/// A running container, removed when dropped.
pub struct Container(pub String);

impl Container {
    /// `docker run -d` of `image` publishing container port `inner` on 127.0.0.1:`outer`.
    pub fn start(image: &str, outer: u16, inner: u16) -> Container {
        let id = docker_ok(&[
            "run",
            "-d",
            "-p",
            &format!("127.0.0.1:{outer}:{inner}"),
            image,
        ]);
        Container(id.trim().to_string())
    }

    /// The container's log.
    pub fn logs(&self) -> String {
        docker(&["logs", &self.0]).text
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

/// Whether a step named `step` (e.g. `[builder 3/7] RUN npm ci`) ran from cache in a plain
/// progress log: BuildKit prints `#N <name>` and later `#N CACHED`.
pub fn step_cached(log: &str, step: &str) -> Option<bool> {
    let id = log.lines().find_map(|l| {
        let (num, rest) = l.split_once(' ')?;
        (num.starts_with('#') && rest.trim_end() == step).then(|| num.to_string())
    })?;
    Some(log.lines().any(|l| l.trim_end() == format!("{id} CACHED")))
}

/// Whether the step named `step` ran its command in a plain progress log: its process wrote
/// output (`#N 1.234 text`). A step whose result came from the cache is `CACHED`, or, with a
/// cache imported from a registry, only downloads and extracts its layer (`#N sha256:…`,
/// `#N extracting …`) when a later step needs it. `None` when the log has no such step.
pub fn step_ran(log: &str, step: &str) -> Option<bool> {
    let id = log.lines().find_map(|l| {
        let (num, rest) = l.split_once(' ')?;
        (num.starts_with('#') && rest.trim_end() == step).then(|| num.to_string())
    })?;
    Some(log.lines().any(|l| {
        let mut words = l.split_whitespace();
        words.next() == Some(id.as_str()) && words.next().is_some_and(|w| w.parse::<f64>().is_ok())
    }))
}

/// The files of an image as `tar -tv --numeric-owner` lists them.
pub fn image_files(image: &str) -> String {
    let id = docker_ok(&["create", image]);
    let id = id.trim();
    let listing = Command::new("sh")
        .arg("-c")
        .arg(format!("{DOCKER} export {id} | tar -tv --numeric-owner"))
        .output()
        .unwrap_or_else(|e| panic!("export: {e}"));
    let _ = docker(&["rm", "-f", id]);
    String::from_utf8_lossy(&listing.stdout).into_owned()
}

/// A number not used by an earlier run: BuildKit's cache is content-addressed and outlives
/// test runs, so a change that must miss the cache has to be new content every time.
pub fn unique() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ((nanos / 1000) as u32).wrapping_add(n.wrapping_mul(7919)) % 1_000_000_000
}

/// The image's config, as `docker inspect` shows it.
pub fn image_config(image: &str) -> serde_json::Value {
    let text = docker_ok(&["inspect", "--format", "{{json .Config}}", image]);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("config of {image}: {e}"))
}

/// The config's `Env`, one `NAME=value` each.
pub fn env_of(config: &serde_json::Value) -> Vec<&str> {
    config["Env"]
        .as_array()
        .map(|vars| vars.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default()
}

/// Fails unless running `/bin/sh` in the image fails: distroless images have no shell.
pub fn assert_no_shell(image: &str) {
    let shell = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        "true",
    ]);
    assert!(!shell.ok, "{image} has a shell:\n{}", shell.text);
}

/// The line of an [`image_files`] listing for `path` (a file, a directory or a link).
pub fn file_line<'a>(files: &'a str, path: &str) -> Option<&'a str> {
    files
        .lines()
        .find(|l| l.ends_with(path) || l.contains(&format!("{path} -> ")))
}

/// Runs `image` (its app on port 8080), asks `GET /` and returns the whole HTTP answer,
/// failing with the app's log unless it is 200 OK.
pub fn answer(image: &str) -> String {
    let port = free_port();
    let app = Container::start(image, port, 8080);
    let body = http_get(port);
    assert!(
        body.contains("200 OK"),
        "status: {body}\nlog: {}",
        app.logs()
    );
    body
}
