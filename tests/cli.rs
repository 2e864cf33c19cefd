//! The `shallot` binary end to end: exit codes, messages and what it writes.

use prost::Message as _;
use shallot::proto::pb;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BAD_SPEC: &str = "\
# syntax=shallot:dev
runtime: node
entrypoint: server.js
port: 70000
buidl:
  - npm run build
";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `shallot` in `dir`.
fn shallot(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shallot"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("shallot runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// A scratch context holding `shallot.yaml` with this text.
fn context_with(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("shallot.yaml"), spec).expect("spec written");
    dir
}

fn llb_bytes(args: &[&str]) -> Vec<u8> {
    let out = shallot(&root(), args);
    assert!(out.status.success(), "{}", stderr(&out));
    out.stdout
}

// ---- check --------------------------------------------------------------------------------------

#[test]
fn check_example_is_ok() {
    let out = shallot(&root(), &["check", "examples/node/shallot.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "examples/node/shallot.yaml: ok\n");
    assert_eq!(stderr(&out), "");
}

#[test]
fn check_reports_every_problem_with_its_location() {
    let dir = context_with(BAD_SPEC);
    let out = shallot(dir.path(), &["check", "shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let lines: Vec<String> = stderr(&out).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "shallot.yaml:4:7: port must be between 1 and 65535, got 70000 (hint: use the port your app listens on, e.g. 8080)",
            "shallot.yaml:5:1: unknown key `buidl` (hint: did you mean `build`?)",
        ]
    );
}

#[test]
fn check_pretty_shows_snippets_with_carets() {
    let dir = context_with(BAD_SPEC);
    let out = shallot(dir.path(), &["check", "--pretty", "shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("check_pretty_bad_spec", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("4 | port: 70000\n  |       ^^^^^ use the port"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "no ANSI escapes");
}

#[test]
fn check_reports_recipe_errors_too() {
    let dir = context_with("runtime: node@16\n");
    let out = shallot(dir.path(), &["check", "shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let mut lines: Vec<&str> = err.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        vec![
            "shallot.yaml:1:10: runtime `node` needs `entrypoint`: nothing else says how the app starts (no Procfile `web:` line, no `scripts.start` or `main` in package.json, no server.js or index.js) (hint: add `entrypoint: server.js` (the script that starts the app), or `scripts.start` to package.json)",
            "shallot.yaml:1:15: node 16 is older than 18, the oldest shallot builds (hint: use 18 or newer; write e.g. `runtime: node@24`)",
        ]
    );
}

#[test]
fn check_reads_the_context_next_to_the_spec() {
    let dir = context_with("runtime: node\nentrypoint: server.js\n");
    std::fs::write(dir.path().join("package.json"), "{ not json").unwrap();
    let out = shallot(dir.path(), &["check", "shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .starts_with("shallot.yaml:1:10: package.json in the build context is not valid JSON"),
        "{}",
        stderr(&out)
    );
}

// ---- missing input ------------------------------------------------------------------------------

#[test]
fn missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["check", "plan", "llb"] {
        let out = shallot(dir.path(), &[command, "missing.yaml"]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert_eq!(stdout(&out), "", "{command}");
        let err = stderr(&out);
        assert!(
            err.starts_with("shallot: cannot read missing.yaml: "),
            "{command}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{command}: {err}");
    }
}

#[test]
fn default_spec_is_shallot_yaml_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = shallot(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("shallot: cannot read shallot.yaml: "),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        dir.path().join("shallot.yaml"),
        "runtime: node\nentrypoint: a.js\n",
    )
    .unwrap();
    // The script the spec starts must be in the context.
    let out = shallot(dir.path(), &["check"]);
    assert_eq!(
        stderr(&out),
        "shallot.yaml:2:13: `a.js` is not in the build context (hint: check the path (relative to the context's root), make the file in `build`, and keep it out of `exclude` and .dockerignore)\n"
    );
    std::fs::write(dir.path().join("a.js"), "").unwrap();
    let out = shallot(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "shallot.yaml: ok\n");
}

// ---- plan ---------------------------------------------------------------------------------------

#[test]
fn plan_prints_json() {
    let out = shallot(&root(), &["plan", "examples/node/shallot.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("plan is JSON");
    assert_eq!(plan["runtime"], "node");
    assert_eq!(plan["builder"]["image"], "node:24-trixie-slim");
    assert_eq!(
        plan["runtime_stage"]["image"],
        "gcr.io/distroless/nodejs24-debian13:nonroot"
    );
    // The context was read: the example's local packages are manifests.
    assert_eq!(
        plan["builder"]["steps"][0]["CopyFiles"]["paths"],
        serde_json::json!([
            "package.json",
            "package-lock.json",
            "packages/greeting",
            "packages/stamp"
        ])
    );
    assert_eq!(
        plan["context"]["exclude"],
        // The .dockerignore and the spec file are in the context and never shipped.
        serde_json::json!(["node_modules", "dist", ".dockerignore", "shallot.yaml"])
    );
}

#[test]
fn plan_image_flags_win() {
    let out = shallot(
        &root(),
        &[
            "plan",
            "examples/node/shallot.yaml",
            "--builder-image",
            "example.com/b:1",
            "--runtime-image",
            "example.com/r:2",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["builder"]["image"], "example.com/b:1");
    assert_eq!(plan["runtime_stage"]["image"], "example.com/r:2");
}

#[test]
fn plan_of_a_bad_spec_fails() {
    let dir = context_with(BAD_SPEC);
    let out = shallot(dir.path(), &["plan", "shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with("shallot.yaml:4:7: port must be between"),
        "{}",
        stderr(&out)
    );
}

// ---- llb ----------------------------------------------------------------------------------------

#[test]
fn llb_json_lists_the_ops() {
    let out = shallot(&root(), &["llb", "--json", "examples/node/shallot.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ops: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(ops.len(), 10);
    for op in &ops {
        assert!(op["digest"].as_str().unwrap().starts_with("sha256:"));
    }
    // Ops are decoded: a run shows its command line and a source its image.
    let kinds: Vec<&str> = ops.iter().map(|op| op["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.last(), Some(&"terminal"));
    let npm_ci = ops
        .iter()
        .find(|op| op["exec"]["args"] == serde_json::json!(["/bin/sh", "-c", "npm ci"]))
        .expect("an exec op runs `npm ci`");
    assert_eq!(npm_ci["kind"], "exec");
    assert_eq!(
        npm_ci["metadata"]["description"]["llb.customname"],
        "[builder 3/5] RUN npm ci"
    );
    assert_eq!(npm_ci["exec"]["mounts"][1]["cache"]["id"], "shallot-npm");
    assert!(
        ops.iter().any(|op| op["kind"] == "source"
            && op["source"]["identifier"]
                == "docker-image://gcr.io/distroless/nodejs24-debian13:nonroot"),
        "a source op pulls the runtime image"
    );
    // Each op points at its inputs by digest, all of them listed earlier.
    let terminal_input = ops[9]["inputs"][0]["digest"].as_str().unwrap();
    assert!(ops[..9].iter().any(|op| op["digest"] == terminal_input));
}

#[test]
fn llb_writes_a_definition_into_a_pipe() {
    let bytes = llb_bytes(&["llb", "examples/node/shallot.yaml"]);
    let def = pb::Definition::decode(bytes.as_slice()).expect("a pb.Definition");
    assert_eq!(def.def.len(), 10);
    let terminal = pb::Op::decode(def.def.last().unwrap().as_slice()).unwrap();
    assert_eq!(terminal.inputs.len(), 1);
    assert_eq!(terminal.op, None);
    // Every op has metadata, and the spec rides along for the source map.
    assert_eq!(def.metadata.len(), def.def.len());
    let source = def.source.expect("a source map");
    assert_eq!(source.infos[0].filename, "examples/node/shallot.yaml");
    assert_eq!(
        source.infos[0].data,
        include_bytes!("../examples/node/shallot.yaml")
    );

    // The CLI has no daemon to ask, so runs carry their own PATH.
    let runs: Vec<pb::ExecOp> = def
        .def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
            Some(pb::op::Op::Exec(e)) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), 2);
    for run in runs {
        let env = run.meta.unwrap().env;
        assert!(env.iter().any(|e| e.starts_with("PATH=")), "{env:?}");
    }
}

#[test]
fn llb_is_deterministic() {
    let args = ["llb", "examples/node/shallot.yaml"];
    assert_eq!(llb_bytes(&args), llb_bytes(&args));
}

#[test]
fn llb_targets() {
    let decode = |target: &str| {
        let bytes = llb_bytes(&["llb", "--target", target, "examples/node/shallot.yaml"]);
        let def = pb::Definition::decode(bytes.as_slice()).unwrap();
        def.def
            .iter()
            .filter_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
                Some(pb::op::Op::Source(s)) => Some(s.identifier),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        decode("runtime"),
        vec![
            "docker-image://gcr.io/distroless/nodejs24-debian13:nonroot",
            "docker-image://docker.io/library/node:24-trixie-slim",
            "local://context",
        ]
    );
    assert_eq!(
        decode("debug"),
        vec![
            "docker-image://gcr.io/distroless/nodejs24-debian13:debug-nonroot",
            "docker-image://docker.io/library/node:24-trixie-slim",
            "local://context",
        ]
    );
    // The builder's library step mounts the runtime base, so it is a source of that stage too.
    assert_eq!(
        decode("builder"),
        vec![
            "docker-image://docker.io/library/node:24-trixie-slim",
            "local://context",
            "docker-image://gcr.io/distroless/nodejs24-debian13:nonroot",
        ]
    );
}

#[test]
fn llb_of_a_bad_spec_writes_nothing() {
    let dir = context_with(BAD_SPEC);
    let out = shallot(dir.path(), &["llb", "shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).starts_with("shallot.yaml:4:7: "),
        "{}",
        stderr(&out)
    );
}

// ---- hostile edges --------------------------------------------------------------------------

/// Runs `shallot` in the repository root with stdout going to `stdout`.
fn shallot_into(stdout: std::process::Stdio, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shallot"))
        .args(args)
        .current_dir(root())
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("shallot runs")
}

#[test]
fn a_closed_pipe_is_a_quiet_exit() {
    // The reading end is closed before shallot starts, as when `head -1` has had its line.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    for args in [
        &["plan", "examples/node/shallot.yaml"][..],
        &["check", "examples/node/shallot.yaml"],
        &["llb", "--json", "examples/node/shallot.yaml"],
    ] {
        let writer = writer.try_clone().expect("a pipe end");
        let out = shallot_into(writer.into(), args);
        assert_eq!(stderr(&out), "", "{args:?}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_device_is_a_clear_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    let out = shallot_into(full.into(), &["plan", "examples/node/shallot.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "shallot: cannot write: No space left on device (os error 28)\n"
    );
}

#[cfg(unix)]
#[test]
fn a_spec_linked_to_dev_zero_is_too_large() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("shallot.yaml")).expect("a link");
    let out = shallot(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "shallot.yaml:1:1: spec is too large: the limit is 262144 bytes \
         (hint: a spec only names the runtime and how to start the app)\n"
    );
}

#[test]
fn a_utf16_spec_gets_a_located_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("runtime: node\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.path().join("shallot.yaml"), utf16).expect("spec written");
    let out = shallot(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "shallot.yaml:1:1: spec is UTF-16 text (it starts with a UTF-16 byte-order mark) \
         (hint: save it as UTF-8)\n"
    );
    let out = shallot(dir.path(), &["plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("shallot.yaml:1:1: spec is UTF-16 text"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn values_cannot_forge_lines_or_reach_the_terminal() {
    let dir = context_with("runtime: node\nentrypoint: \"a\\nshallot.yaml:1:1: \\e[2J\"\n");
    let out = shallot(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a\\nshallot.yaml:1:1: \\x1b[2J"), "{err}");
}

// ---- sbom ---------------------------------------------------------------------------------------

/// The purls of an SPDX document's packages, in its order.
fn purls(document: &serde_json::Value) -> Vec<String> {
    let packages = document["packages"].as_array().cloned().unwrap_or_default();
    packages
        .iter()
        .filter_map(|p| p.pointer("/externalRefs/0/referenceLocator")?.as_str())
        .map(str::to_string)
        .collect()
}

#[test]
fn sbom_prints_the_production_packages_of_the_example() {
    let out = shallot(&root(), &["sbom", "examples/node"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let document: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(document["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        purls(&document),
        [
            "pkg:npm/shallot-example-node@1.0.0",
            "pkg:generic/node@24",
            "pkg:npm/greeting@1.0.0"
        ]
    );
    // The devDependency `stamp` is built with, never shipped.
    assert!(!stdout(&out).contains("stamp"), "{}", stdout(&out));
}

#[test]
fn sbom_takes_the_spec_with_f_and_the_date_from_source_date_epoch() {
    let out = Command::new(env!("CARGO_BIN_EXE_shallot"))
        .args(["sbom", "-f", "examples/go/shallot.yaml", "examples/go"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(root())
        .output()
        .expect("shallot runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let document: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(document["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    assert_eq!(
        purls(&document),
        [
            "pkg:golang/example.com/hello",
            "pkg:golang/stdlib@1.26",
            "pkg:golang/example.com/greeting@v0.0.0"
        ]
    );
}

#[test]
fn sbom_of_a_broken_lockfile_names_the_file_and_line() {
    let dir = context_with("runtime: node\nentrypoint: server.js\n");
    std::fs::write(dir.path().join("server.js"), "").expect("written");
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}").expect("written");
    std::fs::write(
        dir.path().join("package-lock.json"),
        "{\n\"packages\": [}\n",
    )
    .expect("written");
    let out = shallot(dir.path(), &["sbom"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("shallot: package-lock.json:2:"),
        "{}",
        stderr(&out)
    );
}
