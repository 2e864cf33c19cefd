//! `cargo bench`: how fast and how small the frontend is.
//!
//! - spec → LLB: parse, plan and marshal the node example in-process (median of many runs);
//! - the frontend process (`shallot-frontend`, release build) answering an in-process BuildKit
//!   stand-in over its stdin/stdout, as BuildKit runs it: wall time and peak memory (from
//!   `/usr/bin/time -v`), for a good spec and for a bad one;
//! - spec → plan for hostile manifests (issue 10): a node app whose package.json has 20,000
//!   `file:` dependencies, and one with a 20,000-line `.dockerignore` (planning must stay
//!   linear in such lists).
//!
//! Run with `cargo bench --features testbridge` (the stand-in is not in default builds).

use shallot::context::LocalDir;
use shallot::gateway::testbridge::{Setup, TestBridge};
use shallot::llb::{self, BuildEnv, Stage};
use shallot::plan::{Facts, Options, Plan};
use shallot::{runtimes, spec};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn main() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/node");
    let text = std::fs::read_to_string(example.join("shallot.yaml")).expect("example spec");
    let facts = example_facts(&example);

    let samples = 2000;
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            let spec = spec::parse(&text, &runtimes::names()).expect("valid spec");
            let recipe = runtimes::find(&spec.runtime.value).expect("a recipe");
            let plan = Plan::from_spec(recipe, &spec, &facts, &Options::default()).expect("plan");
            let definition = llb::from_plan(&plan, &BuildEnv::default(), Stage::Runtime);
            std::hint::black_box(definition.to_bytes());
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "spec → LLB (node example): median {:?}, p99 {:?} over {samples} runs",
        times[samples / 2],
        times[samples * 99 / 100]
    );

    huge_manifests(&text, &facts);

    let binary = env!("CARGO_BIN_EXE_shallot-frontend");
    let bad = "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 70000\n";
    for (what, spec_text) in [("good spec", text.as_str()), ("bad spec", bad)] {
        let mut runs: Vec<(Duration, u64)> = (0..20)
            .map(|_| frontend_run(binary, spec_text, &facts))
            .collect();
        runs.sort();
        let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
        println!(
            "frontend process, {what}: median {:?} from start to exit, peak RSS {} KiB",
            runs[runs.len() / 2].0,
            peak
        );
    }
}

/// spec → plan for the node example with a 20,000-entry list added to its facts: `file:`
/// dependencies in package.json, then `.dockerignore` patterns (median of a few runs).
fn huge_manifests(spec_text: &str, example: &Facts) {
    let deps: serde_json::Map<String, serde_json::Value> = (0..20_000)
        .map(|i| (format!("dep{i}"), format!("file:./libs/p{i}").into()))
        .collect();
    let package = serde_json::json!({"name": "app", "dependencies": deps}).to_string();
    let mut with_deps = example.clone();
    with_deps
        .files
        .insert("package.json".to_string(), package.into_bytes());
    let mut with_ignore = example.clone();
    let patterns: Vec<String> = (0..20_000).map(|i| format!("junk/{i}/*.log")).collect();
    with_ignore.dockerignore = Some(patterns.join("\n"));

    let spec = spec::parse(spec_text, &runtimes::names()).expect("valid spec");
    let recipe = runtimes::find(&spec.runtime.value).expect("a recipe");
    for (what, facts) in [
        ("20,000 file: deps", &with_deps),
        ("20,000-line .dockerignore", &with_ignore),
    ] {
        let samples = 5;
        let mut times: Vec<Duration> = (0..samples)
            .map(|_| {
                let start = Instant::now();
                let plan =
                    Plan::from_spec(recipe, &spec, facts, &Options::default()).expect("plan");
                std::hint::black_box(plan);
                start.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "spec → plan (node example, {what}): median {:?} over {samples} runs",
            times[samples / 2]
        );
    }
}

fn example_facts(dir: &Path) -> Facts {
    let recipe = runtimes::find("node").expect("node recipe");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime
        .block_on(shallot::context::gather(
            &mut LocalDir::new(dir),
            recipe.probes,
        ))
        .expect("example files")
}

/// Runs the frontend binary against the test bridge; returns wall time and peak RSS (KiB).
fn frontend_run(binary: &str, spec_text: &str, facts: &Facts) -> (Duration, u64) {
    let mut setup = Setup::v0_8()
        .file("dockerfile", "shallot.yaml", spec_text)
        .image(
            "node:24-trixie-slim",
            serde_json::json!({"config": {"Env": ["PATH=/usr/bin:/bin"]}}),
        )
        .image(
            "gcr.io/distroless/nodejs24-debian13:nonroot",
            serde_json::json!({"config": {"Entrypoint": ["/nodejs/bin/node"]}}),
        );
    for (path, data) in &facts.files {
        setup = setup.file("context", path, data.clone());
    }
    let bridge = TestBridge::new(setup);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let start = Instant::now();
        let mut child = tokio::process::Command::new("/usr/bin/time")
            .args(["-f", "%M", binary])
            .env("BUILDKIT_FRONTEND_OPT_0", "filename=shallot.yaml")
            .env("BUILDKIT_SESSION_ID", "bench")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("/usr/bin/time and the frontend binary");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let serving = tokio::spawn({
            let bridge = bridge.clone();
            async move { bridge.serve_io(tokio::io::join(stdout, stdin)).await }
        });
        let output = child.wait_with_output().await.expect("frontend ran");
        let elapsed = start.elapsed();
        serving.abort();
        assert!(
            bridge.recorded().returned.is_some(),
            "the frontend did not answer"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let peak = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak RSS from /usr/bin/time: {stderr}"));
        (elapsed, peak)
    })
}
