//! The rust example, end to end on a real BuildKit: `docker build -f shallot.yaml` through the
//! frontend under test, on the local stand-ins for `rust:1-trixie` and distroless cc; then the
//! image is run, asked over HTTP and taken apart.

mod support;

use support::*;

/// Stand-in for `rust:1-trixie` (see scripts/stand-in-images-rust).
const RUST_BUILDER: &str = "shallot-test/rust-builder:latest";
/// Stand-in for `gcr.io/distroless/cc-debian13:nonroot`.
const RUST_RUNTIME: &str = "shallot-test/rust-runtime:nonroot";

const FETCH: &str = "[builder 3/5] RUN mkdir -p src greeting/src && touch src/lib.rs \
                     greeting/src/lib.rs && cargo fetch --locked && rm src/lib.rs greeting/src/lib.rs";
const COPY_SOURCE: &str = "[builder 4/5] COPY . .";

fn build(context: &std::path::Path, tag: &str, extra: &[&str]) -> Run {
    build_on(
        context,
        "shallot.yaml",
        tag,
        Some(RUST_BUILDER),
        RUST_RUNTIME,
        extra,
    )
}

/// Builds examples/rust (from the repository, unchanged) once.
fn example_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let r = build(
            &repo().join("examples/rust"),
            "shallot-e2e/rust:example",
            &[],
        );
        assert!(r.ok, "building examples/rust failed:\n{}", r.text);
    });
    "shallot-e2e/rust:example"
}

#[test]
fn example_builds_runs_and_answers_on_its_port() {
    if !ready() {
        return;
    }
    let image = example_image();
    let body = answer(image);
    assert!(body.contains("hello from shallot"), "body: {body}");
    // From the local path dependency.
    assert!(body.contains("greetings, shallot"), "body: {body}");
}

#[test]
fn image_config_is_set_on_top_of_the_base() {
    if !ready() {
        return;
    }
    let config = image_config(example_image());
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(config["Entrypoint"], serde_json::json!(["/app/server"]));
    assert!(
        config["Cmd"].is_null() || config["Cmd"] == serde_json::json!([]),
        "Cmd: {}",
        config["Cmd"]
    );
    assert_eq!(config["WorkingDir"], "/app");
    let env = env_of(&config);
    assert!(env.contains(&"PORT=8080"), "env: {env:?}");
    assert!(
        env.iter().any(|e| e.starts_with("SSL_CERT_FILE=")),
        "base env lost: {env:?}"
    );
}

#[test]
fn runtime_image_has_only_the_binary_and_no_shell() {
    if !ready() {
        return;
    }
    let image = example_image();
    assert_no_shell(image);

    let files = image_files(image);
    let line = |path: &str| file_line(&files, path);
    for absent in [
        "bin/sh",
        "bin/cargo",
        "bin/rustc",
        "bin/cc",
        "/registry/",
        "main.rs",
    ] {
        assert!(
            line(absent).is_none(),
            "{absent} in the runtime image:\n{files}"
        );
    }
    let binary = line(" app/server").unwrap_or_else(|| panic!("no /app/server in:\n{files}"));
    assert!(binary.starts_with("-rwxr-xr-x"), "not executable: {binary}");
    assert!(
        binary.contains("65532/65532"),
        "not owned by 65532: {binary}"
    );
    // Only the binary goes into /app: no sources, no target directory.
    let in_app: Vec<&str> = files
        .lines()
        .filter(|l| l.contains(" app/") && !l.ends_with(" app/"))
        .collect();
    assert_eq!(in_app.len(), 1, "{in_app:#?}");
}

#[test]
fn debug_target_has_a_shell() {
    if !ready() {
        return;
    }
    let dir = example_copy("rust");
    let r = build(dir.path(), "shallot-e2e/rust:debug", &["--target", "debug"]);
    assert!(r.ok, "debug build failed:\n{}", r.text);
    assert!(
        r.text.contains("rust-runtime:debug-nonroot"),
        "debug variant not used:\n{}",
        r.text
    );
    let out = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        "shallot-e2e/rust:debug",
        "-c",
        "ls -l /app/server && echo shell-$((40+2))",
    ]);
    assert!(out.contains("shell-42"), "{out}");
}

#[test]
fn source_only_change_keeps_the_fetch_step_cached() {
    if !ready() {
        return;
    }
    let dir = example_copy("rust");
    let first = build(dir.path(), "shallot-e2e/rust:cache", &[]);
    assert!(first.ok, "first build failed:\n{}", first.text);

    // A change in the app and in the path dependency's source: no manifest changes.
    let main = dir.path().join("src/main.rs");
    let source = std::fs::read_to_string(&main).expect("main.rs");
    std::fs::write(
        &main,
        source.replace(
            "hello from shallot",
            &format!("hello from shallot, changed {}", unique()),
        ),
    )
    .expect("write");
    let lib = dir.path().join("greeting/src/lib.rs");
    let source = std::fs::read_to_string(&lib).expect("lib.rs");
    std::fs::write(
        &lib,
        format!("{source}\n// a source-only change {}\n", unique()),
    )
    .expect("write");
    let second = build(dir.path(), "shallot-e2e/rust:cache", &[]);
    assert!(second.ok, "second build failed:\n{}", second.text);
    assert_eq!(
        step_cached(&second.text, FETCH),
        Some(true),
        "a source-only change re-ran cargo fetch:\n{}",
        second.text
    );
    assert_eq!(
        step_cached(&second.text, COPY_SOURCE),
        Some(false),
        "the changed source was not copied:\n{}",
        second.text
    );
    // And the new source is what runs.
    let port = free_port();
    let app = Container::start("shallot-e2e/rust:cache", port, 8080);
    let body = http_get(port);
    assert!(
        body.contains("hello from shallot, changed"),
        "body: {body}\nlog: {}",
        app.logs()
    );
    drop(app);

    // A manifest change does re-run it: the check above can fail.
    let manifest = dir.path().join("greeting/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
    let version = format!("0.1.{}", unique());
    std::fs::write(
        &manifest,
        text.replace("version = \"0.1.0\"", &format!("version = \"{version}\"")),
    )
    .expect("write");
    let lock = dir.path().join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).expect("Cargo.lock");
    std::fs::write(
        &lock,
        text.replacen(
            "name = \"greeting\"\nversion = \"0.1.0\"",
            &format!("name = \"greeting\"\nversion = \"{version}\""),
            1,
        ),
    )
    .expect("write");
    let third = build(dir.path(), "shallot-e2e/rust:cache", &[]);
    assert!(third.ok, "third build failed:\n{}", third.text);
    assert_eq!(
        step_cached(&third.text, FETCH),
        Some(false),
        "a manifest change did not re-run cargo fetch:\n{}",
        third.text
    );
}

#[test]
fn several_binaries_without_entrypoint_is_a_spec_error() {
    if !ready() {
        return;
    }
    let dir = example_copy("rust");
    std::fs::write(
        dir.path().join("shallot.yaml"),
        "# syntax=shallot:dev\nruntime: rust\nport: 8080\n",
    )
    .expect("write");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
    std::fs::write(
        &manifest,
        format!("{text}\n[[bin]]\nname = \"admin\"\npath = \"src/admin.rs\"\n"),
    )
    .expect("write");
    let r = build(dir.path(), "shallot-e2e/rust:bad", &[]);
    assert!(!r.ok, "an ambiguous spec built:\n{}", r.text);
    assert!(
        r.text.contains(
            "shallot.yaml:2:10: the package has several binaries: server, admin; which one runs?"
        ),
        "the error does not list the binaries:\n{}",
        r.text
    );
}

#[test]
fn unknown_version_is_a_spec_error_at_the_version() {
    if !ready() {
        return;
    }
    let dir = example_copy("rust");
    std::fs::write(
        dir.path().join("shallot.yaml"),
        "# syntax=shallot:dev\nruntime: rust@1.70\nentrypoint: server\n",
    )
    .expect("write");
    let r = build(dir.path(), "shallot-e2e/rust:bad", &[]);
    assert!(!r.ok, "rust@1.70 built:\n{}", r.text);
    assert!(
        r.text
            .contains("shallot.yaml:2:15: rust 1.70 has no official rust:<version>-trixie image"),
        "{}",
        r.text
    );
}
