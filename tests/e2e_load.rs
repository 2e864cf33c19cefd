//! Under load: eight builds of different apps started at once on each BuildKit; on dockerd's
//! v0.8, a `--no-cache` build beside others on the same base images (the sequence that made
//! its solver panic with "failed to get edge" and take dockerd down); and a build whose client
//! is killed while the frontend waits on a registry, which must end the frontend within 1 s.

mod support;

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::*;

/// One app per example: every runtime, and node with each package manager.
const APPS: [&Case; 8] = [
    &NODE, &NODE_YARN, &NODE_PNPM, &PYTHON, &GO, &RUST, &JAVA, &STATIC,
];

/// How long a build of the load test may take before it counts as hung: a guard, not a
/// timing (eight cold builds share CI's 2 cores).
const BUILD_DEADLINE: Duration = Duration::from_secs(600);

/// How soon the frontend must be gone once its build's client is killed.
const CANCEL_DEADLINE: Duration = Duration::from_secs(1);

#[test]
fn eight_apps_build_at_once_on_the_current_buildkit() {
    on(Daemon::Buildx, eight_apps_build_at_once);
}

#[test]
fn eight_apps_build_at_once_on_dockerd() {
    on(Daemon::Dockerd, eight_apps_build_at_once);
}

/// Starts a build of each of [`APPS`] at once, each with a source change so its steps after
/// the dependencies run; all must succeed, land in dockerd and (the quick starters) answer.
fn eight_apps_build_at_once() {
    let started = Instant::now();
    let logs = tempfile::tempdir().expect("tempdir");
    let mut builds = Vec::new();
    for case in APPS {
        let dir = case.copy();
        if let Some(change) = case.cache.as_ref().and_then(|c| c.source_changes.first()) {
            apply(dir.path(), change);
        }
        let tag = case.tag("load");
        // A stale image of the tag must not pass for this build's.
        let _ = docker(&["rmi", "-f", &tag]);
        let log = logs.path().join(case.example);
        let running = Running::start(case.build_command(dir.path(), &tag, &[]), &log);
        builds.push((case, dir, tag, running));
    }
    let mut failed = Vec::new();
    let mut built = Vec::new();
    for (case, _dir, tag, running) in builds {
        let r = running.finish(BUILD_DEADLINE);
        if r.ok {
            built.push((case, tag));
        } else {
            failed.push(format!("== {}:\n{}", case.example, r.text));
        }
    }
    eprintln!(
        "{} builds at once on {}: {:.1} s",
        APPS.len(),
        daemon().name(),
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "builds failed:\n{}", failed.join("\n"));
    for (case, tag) in &built {
        assert!(
            docker(&["image", "inspect", tag]).ok,
            "{tag} not in dockerd"
        );
        // The JVM starts slowly on a loaded machine; the others answer at once.
        if case.example != "java" {
            let body = answer(tag);
            assert!(body.contains("hello from shallot"), "{tag}: {body}");
        }
    }
}

#[test]
fn a_no_cache_build_beside_others_on_the_same_bases_keeps_dockerd_up() {
    on(Daemon::Dockerd, no_cache_beside_others);
}

/// The sequence that panicked BuildKit v0.8 while `--no-cache` marked the base images too:
/// build A of a copy of the node example is running, a `--no-cache` build B of another copy
/// starts, A ends (its client killed), and a build C of node-pnpm, on the same bases, starts.
fn no_cache_beside_others() {
    let logs = tempfile::tempdir().expect("tempdir");
    let mut a = long_build(&NODE, "a", logs.path(), &[]);
    a.wait_until_sleeping();
    let mut b = long_build(&NODE, "b", logs.path(), &["--no-cache"]);
    b.wait_until_sleeping();
    a.stop();

    let c = NODE_PNPM.build(
        &repo().join("examples/node-pnpm"),
        "shallot-e2e/load:c",
        &[],
    );
    let up = docker(&["info", "--format", "{{.ServerVersion}}"]);
    assert!(
        up.ok,
        "dockerd is down (a \"failed to get edge\" panic? see its log):\n{}\n{}",
        up.text, c.text
    );
    assert!(c.ok, "build C failed:\n{}", c.text);
    b.stop();
}

/// A build of a copy of `case`'s example whose last step sleeps for minutes, so that it stays
/// running until stopped; `extra` goes to the build.
fn long_build(case: &Case, name: &str, logs: &Path, extra: &[&str]) -> LongBuild {
    let dir = case.copy();
    let step = format!("sleep 300 && echo {}", unique());
    edit(dir.path(), "shallot.yaml", |spec| {
        format!("{spec}  - {step}\n")
    });
    let tag = format!("shallot-e2e/load:{name}");
    let running = Running::start(
        case.build_command(dir.path(), &tag, extra),
        &logs.join(name),
    );
    LongBuild {
        running,
        step,
        _dir: dir,
    }
}

/// A build from [`long_build`].
struct LongBuild {
    running: Running,
    /// Its sleeping step's command, new to BuildKit's cache and to the host's processes.
    step: String,
    _dir: tempfile::TempDir,
}

impl LongBuild {
    /// The processes of its sleeping step (the shell that runs it).
    fn sleeping(&self) -> Vec<u32> {
        let step = self.step.as_bytes();
        pids_where(|cmdline, _| cmdline.windows(step.len()).any(|w| w == step))
    }

    /// Waits until its sleeping step runs: its whole graph is loaded by then. (Its frontend is
    /// gone already: it hands BuildKit the graph and exits, and BuildKit builds it after.)
    fn wait_until_sleeping(&mut self) {
        let running = poll(BUILD_DEADLINE, || {
            !self.sleeping().is_empty() || self.running.ended()
        });
        assert!(
            running && !self.sleeping().is_empty(),
            "{:?} does not run:\n{}",
            self.step,
            self.running.text()
        );
    }

    /// Kills the client; returns once BuildKit has stopped the build's sleeping step.
    fn stop(mut self) {
        self.running.kill();
        let stopped = poll(BUILD_DEADLINE, || self.sleeping().is_empty());
        assert!(
            stopped,
            "{:?} still runs after its client was killed",
            self.step
        );
    }
}

#[test]
fn a_cancelled_build_ends_the_frontend_within_a_second_on_the_current_buildkit() {
    on(Daemon::Buildx, || {
        cancel_while_resolving(|context, builder| {
            let mut cmd = Command::new("buildctl");
            cmd.args(["--addr", &buildkit_host(), "build", "--progress=plain"])
                .args(["--frontend", "gateway.v0", "--opt"])
                .arg(format!("source={}", pulled(&frontend())))
                .args(["--opt", "filename=shallot.yaml", "--opt"])
                .arg(format!("build-arg:SHALLOT_BUILDER_IMAGE={builder}"))
                .arg("--opt")
                .arg(format!(
                    "build-arg:SHALLOT_RUNTIME_IMAGE={}",
                    pulled(NODE_RUNTIME)
                ))
                .arg("--local")
                .arg(format!("context={}", context.display()))
                .arg("--local")
                .arg(format!("dockerfile={}", context.display()));
            cmd
        })
    });
}

#[test]
fn a_cancelled_build_ends_the_frontend_within_a_second_on_dockerd() {
    on(Daemon::Dockerd, || {
        cancel_while_resolving(|context, builder| {
            let tag = "shallot-e2e/load:cancelled";
            build_command(
                context,
                "shallot.yaml",
                tag,
                Some(builder),
                NODE_RUNTIME,
                &[],
            )
        })
    });
}

/// Starts the build `command(context, builder image)` on a builder image whose registry
/// accepts connections and never answers, so that the frontend waits in ResolveImageConfig;
/// then kills the client and fails unless the frontend is gone within [`CANCEL_DEADLINE`].
fn cancel_while_resolving(command: impl FnOnce(&Path, &str) -> Command) {
    let registry = SilentRegistry::start();
    // The address is in the frontend's options, so it tells this build's frontend apart.
    let builder = format!("{}/shallot-load/builder:hang", registry.address);
    let context = repo().join("examples/node");
    let logs = tempfile::tempdir().expect("tempdir");
    let mut client = Running::start(command(&context, &builder), &logs.path().join("client"));
    if !registry.connected(BUILD_DEADLINE) {
        panic!("the build never asked the registry:\n{}", client.text());
    }
    let frontends = frontends_with(&registry.address);
    assert_eq!(
        frontends.len(),
        1,
        "one shallot-frontend process for this build, found {frontends:?}:\n{}",
        client.text()
    );
    let killed = Instant::now();
    client.kill();
    // A zombie has no command line any more: it counts as gone.
    let gone = poll(CANCEL_DEADLINE, || {
        frontends_with(&registry.address).is_empty()
    });
    let took = killed.elapsed();
    eprintln!(
        "frontend on {} gone {:.0} ms after its client was killed",
        daemon().name(),
        took.as_secs_f64() * 1000.0
    );
    assert!(
        gone,
        "the frontend still runs {took:?} after its client was killed:\n{}",
        client.text()
    );
}

/// A registry address that accepts TCP connections and never says a word.
struct SilentRegistry {
    /// `127.0.0.1:<port>`.
    address: String,
    accepted: mpsc::Receiver<TcpStream>,
}

impl SilentRegistry {
    fn start() -> SilentRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let (tx, accepted) = mpsc::channel();
        // Blocks in accept until the test binary exits; every connection is kept open.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if tx.send(stream).is_err() {
                    break;
                }
            }
        });
        SilentRegistry { address, accepted }
    }

    /// Whether a connection came within `within`; it stays open, unanswered.
    fn connected(&self, within: Duration) -> bool {
        match self.accepted.recv_timeout(within) {
            Ok(stream) => {
                std::mem::forget(stream);
                true
            }
            Err(_) => false,
        }
    }
}

/// A client process started in the background, its output going to a file.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn start(mut cmd: Command, log: &Path) -> Running {
        let out = File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Running {
            child,
            log: log.to_path_buf(),
        }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn ended(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the client process (SIGKILL: no chance to say goodbye) and reaps it.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the client to end, killing it after `within`.
    fn finish(mut self, within: Duration) -> Run {
        let ended = poll(within, || self.ended());
        self.kill();
        let ok = ended && self.child.wait().is_ok_and(|s| s.success());
        Run {
            ok,
            text: self.text(),
        }
    }
}

impl Drop for Running {
    /// A failed test leaves no build running behind it.
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `done` every 10 ms until it holds or `within` has passed; returns whether it held.
fn poll(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The pids of the host's processes whose command line and environment (NUL-separated, as
/// `/proc` gives them) pass `matches`.
fn pids_where(matches: impl Fn(&[u8], &[u8]) -> bool) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            matches(&cmdline, &environ)
        })
        .collect()
}

/// The pids of running `shallot-frontend` processes (seen from the host's pid namespace)
/// whose environment, which holds the build's options, contains `marker`.
fn frontends_with(marker: &str) -> Vec<u32> {
    let marker = marker.as_bytes();
    pids_where(|cmdline, environ| {
        let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        program.ends_with(b"/shallot-frontend")
            && environ.windows(marker.len()).any(|w| w == marker)
    })
}
