//! The go example, end to end on a real BuildKit: `docker build -f shallot.yaml` through the
//! frontend under test, with local stand-ins for `golang:1.26-trixie` (Debian's go 1.19) and
//! distroless static; then the image is run, asked over HTTP and taken apart.

mod support;

use support::*;

/// Stand-in for `golang:1.26-trixie` (scripts/stand-in-images-go).
const GO_BUILDER: &str = "shallot-test/go-builder:latest";
/// Stand-in for `gcr.io/distroless/static-debian13:nonroot` (scripts/stand-in-images-static).
const STATIC_RUNTIME: &str = "shallot-test/static-runtime:nonroot";

fn build_go(context: &std::path::Path, tag: &str, extra: &[&str]) -> Run {
    build_on(
        context,
        "shallot.yaml",
        tag,
        Some(GO_BUILDER),
        STATIC_RUNTIME,
        extra,
    )
}

/// Builds examples/go (from the repository, unchanged) once.
fn example_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let r = build_go(&repo().join("examples/go"), "shallot-e2e/go:example", &[]);
        assert!(r.ok, "building examples/go failed:\n{}", r.text);
    });
    "shallot-e2e/go:example"
}

#[test]
fn example_builds_runs_and_answers_on_its_port() {
    if !ready() {
        return;
    }
    let image = example_image();
    let body = answer(image);
    assert!(body.contains("hello from shallot"), "body: {body}");
    // From the local module wired in by go.mod's replace directive.
    assert!(body.contains("greetings, shallot"), "body: {body}");
}

#[test]
fn image_config_runs_the_binary_as_nonroot() {
    if !ready() {
        return;
    }
    let config = image_config(example_image());
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(config["Entrypoint"], serde_json::json!(["/app/hello"]));
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
fn runtime_image_has_the_binary_and_no_shell_toolchain_or_caches() {
    if !ready() {
        return;
    }
    let image = example_image();
    assert_no_shell(image);

    let files = image_files(image);
    let line = |path: &str| file_line(&files, path);
    for absent in [
        "bin/sh",
        "bin/go",
        "/gofmt",
        "pkg/mod/",
        "go-build/",
        "main.go",
    ] {
        assert!(line(absent).is_none(), "{absent} in the image:\n{files}");
    }
    let binary = line(" app/hello").unwrap_or_else(|| panic!("no /app/hello in:\n{files}"));
    assert!(binary.starts_with("-rwxr-xr-x"), "{binary}");
    assert!(
        binary.contains("65532/65532"),
        "not owned by 65532: {binary}"
    );
}

#[test]
fn source_only_change_keeps_the_download_step_cached() {
    if !ready() {
        return;
    }
    let dir = example_copy("go");
    let first = build_go(dir.path(), "shallot-e2e/go:cache", &[]);
    assert!(first.ok, "first build failed:\n{}", first.text);

    let main = dir.path().join("main.go");
    let source = std::fs::read_to_string(&main).expect("main.go");
    std::fs::write(
        &main,
        format!("{source}\n// a source-only change {}\n", unique()),
    )
    .expect("write");
    let second = build_go(dir.path(), "shallot-e2e/go:cache", &[]);
    assert!(second.ok, "second build failed:\n{}", second.text);
    assert_eq!(
        step_cached(&second.text, "[builder 3/5] RUN go mod download"),
        Some(true),
        "a source-only change re-ran the download:\n{}",
        second.text
    );
    assert_eq!(
        step_cached(&second.text, "[builder 4/5] COPY . ."),
        Some(false),
        "the changed source was not copied:\n{}",
        second.text
    );

    // A change to a local module's source is a source change too.
    let greeting = dir.path().join("greeting/greeting.go");
    let source = std::fs::read_to_string(&greeting).expect("greeting.go");
    std::fs::write(
        &greeting,
        source.replace("greetings, ", &format!("greetings again ({}), ", unique())),
    )
    .expect("write");
    let third = build_go(dir.path(), "shallot-e2e/go:cache", &[]);
    assert!(third.ok, "third build failed:\n{}", third.text);
    assert_eq!(
        step_cached(&third.text, "[builder 3/5] RUN go mod download"),
        Some(true),
        "{}",
        third.text
    );

    // A manifest change does re-run it: the checks above can fail.
    let go_mod = dir.path().join("go.mod");
    let manifest = std::fs::read_to_string(&go_mod).expect("go.mod");
    std::fs::write(
        &go_mod,
        format!("{manifest}\n// a manifest change {}\n", unique()),
    )
    .expect("write");
    let fourth = build_go(dir.path(), "shallot-e2e/go:cache", &[]);
    assert!(fourth.ok, "fourth build failed:\n{}", fourth.text);
    assert_eq!(
        step_cached(&fourth.text, "[builder 3/5] RUN go mod download"),
        Some(false),
        "{}",
        fourth.text
    );
}

#[test]
fn entrypoint_selects_another_main_package() {
    if !ready() {
        return;
    }
    let dir = example_copy("go");
    let cmd = dir.path().join("cmd/hi");
    std::fs::create_dir_all(&cmd).expect("mkdir");
    std::fs::write(
        cmd.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi from cmd/hi\") }\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("shallot.yaml"),
        "# syntax=shallot:dev\nruntime: go\nentrypoint: ./cmd/hi\n",
    )
    .expect("write");
    let r = build_go(dir.path(), "shallot-e2e/go:cmd", &[]);
    assert!(r.ok, "build failed:\n{}", r.text);
    assert!(
        r.text
            .contains("RUN go build -trimpath -ldflags=\"-s -w\" -o /out/hi ./cmd/hi"),
        "{}",
        r.text
    );
    let out = docker_ok(&["run", "--rm", "shallot-e2e/go:cmd"]);
    assert!(out.contains("hi from cmd/hi"), "{out}");
}

#[test]
fn debug_target_has_a_shell() {
    if !ready() {
        return;
    }
    let dir = example_copy("go");
    let r = build_go(dir.path(), "shallot-e2e/go:debug", &["--target", "debug"]);
    assert!(r.ok, "debug build failed:\n{}", r.text);
    assert!(
        r.text.contains("static-runtime:debug-nonroot"),
        "debug variant not used:\n{}",
        r.text
    );
    let out = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        "shallot-e2e/go:debug",
        "-c",
        "ls -l /app/hello && echo shell-$((40+2))",
    ]);
    assert!(out.contains("shell-42"), "{out}");
}

#[test]
fn go_mod_newer_than_every_builder_fails_with_the_known_versions() {
    if !ready() {
        return;
    }
    let dir = example_copy("go");
    let go_mod = dir.path().join("go.mod");
    let manifest = std::fs::read_to_string(&go_mod).expect("go.mod");
    std::fs::write(&go_mod, manifest.replace("go 1.19", "go 1.99")).expect("write");
    let r = build_go(dir.path(), "shallot-e2e/go:too-new", &[]);
    assert!(!r.ok, "a go.mod for go 1.99 built:\n{}", r.text);
    assert!(
        r.text.contains("shallot.yaml:2:10: go.mod's `go 1.99` line asks for a Go newer than any builder image shallot knows")
            && r.text.contains("use one of: 1.24, 1.25, 1.26"),
        "{}",
        r.text
    );
}

#[test]
fn compile_errors_name_the_build_step() {
    if !ready() {
        return;
    }
    let dir = example_copy("go");
    let main = dir.path().join("main.go");
    let source = std::fs::read_to_string(&main).expect("main.go");
    std::fs::write(&main, source.replace("port := ", "port = ")).expect("write");
    let r = build_go(dir.path(), "shallot-e2e/go:broken", &[]);
    assert!(!r.ok, "a broken program built:\n{}", r.text);
    assert!(r.text.contains("[builder 5/5] RUN go build"), "{}", r.text);
    assert!(
        r.text.contains("undefined: port"),
        "go's own message is lost:\n{}",
        r.text
    );
}
