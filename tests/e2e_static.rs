//! The static example, end to end on a real BuildKit: examples/static/server.c is compiled on
//! the host (gcc, statically and dynamically) into a copy of the example, then built through
//! the frontend under test on local stand-ins for distroless static and cc, run and asked over
//! HTTP. No binary is committed.

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

/// Stand-in for `gcr.io/distroless/static-debian13:nonroot` (scripts/stand-in-images-static).
const STATIC_RUNTIME: &str = "shallot-test/static-runtime:nonroot";
/// Stand-in for `gcr.io/distroless/cc-debian13:nonroot`.
const CC_RUNTIME: &str = "shallot-test/cc-runtime:nonroot";

/// A copy of examples/static with `server` compiled by the host's gcc (`-static` or not).
fn example_with_binary(static_link: bool) -> tempfile::TempDir {
    let dir = example_copy("static");
    let mut gcc = Command::new("gcc");
    if static_link {
        gcc.arg("-static");
    }
    let out = gcc
        .args(["-Os", "-o"])
        .arg(dir.path().join("server"))
        .arg(dir.path().join("server.c"))
        .output()
        .unwrap_or_else(|e| panic!("gcc cannot run (install gcc and libc6-dev): {e}"));
    assert!(
        out.status.success(),
        "gcc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn build_static(context: &Path, runtime: &str, tag: &str) -> Run {
    build_on(context, "shallot.yaml", tag, None, runtime, &[])
}

/// The statically linked example, built once.
fn example_image() -> &'static str {
    static BUILT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let log = BUILT.get_or_init(|| {
        let dir = example_with_binary(true);
        let r = build_static(dir.path(), STATIC_RUNTIME, "shallot-e2e/static:example");
        assert!(r.ok, "building examples/static failed:\n{}", r.text);
        r.text
    });
    assert!(
        log.contains("(server is statically linked)"),
        "the progress does not say why static:\n{log}"
    );
    "shallot-e2e/static:example"
}

fn answers_on_its_port(image: &str) {
    let body = answer(image);
    assert!(body.contains("hello from shallot"), "body: {body}");
}

#[test]
fn static_binary_builds_runs_and_answers_on_its_port() {
    if !ready() {
        return;
    }
    answers_on_its_port(example_image());
}

#[test]
fn image_config_runs_the_binary_as_nonroot() {
    if !ready() {
        return;
    }
    let config = image_config(example_image());
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(config["Entrypoint"], serde_json::json!(["/app/server"]));
    assert_eq!(config["WorkingDir"], "/app");
}

#[test]
fn runtime_image_has_only_the_binary_and_no_shell() {
    if !ready() {
        return;
    }
    let image = example_image();
    assert_no_shell(image);
    let files = image_files(image);
    assert!(
        !files
            .lines()
            .any(|l| l.ends_with("bin/sh") || l.ends_with("server.c")),
        "shell or source in the image:\n{files}"
    );
    let binary = files
        .lines()
        .find(|l| l.ends_with(" app/server"))
        .unwrap_or_else(|| panic!("no /app/server in:\n{files}"));
    assert!(binary.starts_with("-rwxr-xr-x"), "{binary}");
    assert!(binary.contains("65532/65532"), "{binary}");
}

#[test]
fn dynamic_binary_is_put_on_cc_and_runs() {
    if !ready() {
        return;
    }
    let dir = example_with_binary(false);
    let r = build_static(dir.path(), CC_RUNTIME, "shallot-e2e/static:dynamic");
    assert!(r.ok, "build failed:\n{}", r.text);
    assert!(
        r.text
            .contains("(server is dynamically linked (/lib64/ld-linux-x86-64.so.2))"),
        "the progress does not say why cc:\n{}",
        r.text
    );
    answers_on_its_port("shallot-e2e/static:dynamic");
}

#[test]
fn a_script_is_refused_at_the_entrypoint_line() {
    if !ready() {
        return;
    }
    let dir = example_copy("static");
    std::fs::write(dir.path().join("server"), "#!/bin/sh\necho hello\n").expect("write");
    let r = build_static(dir.path(), STATIC_RUNTIME, "shallot-e2e/static:script");
    assert!(!r.ok, "a script built:\n{}", r.text);
    assert!(
        r.text
            .contains("shallot.yaml:4:13: `server` is not an ELF executable (a Linux binary)"),
        "{}",
        r.text
    );
}

#[test]
fn a_missing_binary_is_refused_at_the_entrypoint_line() {
    if !ready() {
        return;
    }
    let dir = example_copy("static");
    // A binary built in the checkout by hand (it is git-ignored) must not count.
    let _ = std::fs::remove_file(dir.path().join("server"));
    let r = build_static(dir.path(), STATIC_RUNTIME, "shallot-e2e/static:missing");
    assert!(!r.ok, "a missing binary built:\n{}", r.text);
    assert!(
        r.text
            .contains("shallot.yaml:4:13: `server` is not a file in the build context"),
        "{}",
        r.text
    );
}
