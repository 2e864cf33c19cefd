//! The python example, end to end on a real BuildKit: `docker build -f shallot.yaml` through the
//! frontend under test, on local stand-ins for the python builder and distroless python (see
//! scripts/stand-in-images-python; they carry Debian bookworm's Python 3.11, the real images
//! 3.13), then the image is run, asked over HTTP and taken apart.

mod support;

use support::*;

/// Stand-in for `python:3.13-slim-trixie`.
const BUILDER: &str = "shallot-test/python-builder:latest";
/// Stand-in for `gcr.io/distroless/python3-debian13:nonroot`.
const RUNTIME: &str = "shallot-test/python-runtime:nonroot";
/// The pip install step of the example, as BuildKit names it.
const PIP_INSTALL: &str = "[builder 4/6] RUN /usr/bin/python3 -m pip --python .venv/bin/python install -r requirements.txt";

fn build(context: &std::path::Path, tag: &str, extra: &[&str]) -> Run {
    build_on(context, "shallot.yaml", tag, Some(BUILDER), RUNTIME, extra)
}

/// Builds examples/python (from the repository, unchanged) once.
fn example_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let r = build(
            &repo().join("examples/python"),
            "shallot-e2e/python:example",
            &[],
        );
        assert!(r.ok, "building examples/python failed:\n{}", r.text);
    });
    "shallot-e2e/python:example"
}

#[test]
fn example_builds_runs_and_answers_on_its_port() {
    if !ready() {
        return;
    }
    let body = answer(example_image());
    assert!(body.contains("hello from shallot"), "body: {body}");
    // From the dependency pip installed out of the vendored wheel.
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
    // The venv's interpreter (a link to /usr/bin/python3, which distroless has) runs the script.
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/app/.venv/bin/python3"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(["app.py"]));
    assert_eq!(config["WorkingDir"], "/app");
    let env = env_of(&config);
    assert!(env.contains(&"PORT=8080"), "env: {env:?}");
    assert!(env.contains(&"PYTHONUNBUFFERED=1"), "env: {env:?}");
    assert!(env.contains(&"LANG=C.UTF-8"), "base env lost: {env:?}");
}

#[test]
fn runtime_image_has_no_shell_no_pip_and_no_caches() {
    if !ready() {
        return;
    }
    let image = example_image();
    assert_no_shell(image);

    let files = image_files(image);
    let line = |path: &str| file_line(&files, path);
    assert!(line("bin/sh").is_none(), "shell in the image:\n{files}");
    assert!(
        !files
            .lines()
            .any(|l| l.contains("/pip/") || l.ends_with("bin/pip") || l.contains("ensurepip/")),
        "pip in the image:\n{files}"
    );
    assert!(
        !files.lines().any(|l| l.contains(".cache/")),
        "a cache in the image:\n{files}"
    );
    let app = line(" app/").unwrap_or_else(|| panic!("no /app in:\n{files}"));
    assert!(
        app.contains("65532/65532"),
        "/app is not owned by 65532: {app}"
    );
    let python = line("app/.venv/bin/python3").expect("venv interpreter");
    assert!(python.contains("-> /usr/bin/python3"), "{python}");
    assert!(
        files.contains("site-packages/greeting/__init__.py"),
        "dependency missing:\n{files}"
    );
}

#[test]
fn byte_code_is_compiled_at_build_time_and_used() {
    if !ready() {
        return;
    }
    // A read-only root: nothing can be compiled at run time, so a match proves the build did.
    let out = docker(&[
        "run",
        "--rm",
        "--read-only",
        example_image(),
        "-v",
        "-c",
        "import messages, greeting",
    ]);
    assert!(out.ok, "{}", out.text);
    for module in [
        "/app/__pycache__/messages.",
        "greeting/__pycache__/__init__.",
    ] {
        assert!(
            out.text
                .lines()
                .any(|l| l.contains(module) && l.contains(" matches ")),
            "no valid byte code for {module}:\n{}",
            out.text
        );
    }
}

#[test]
fn debug_target_has_a_shell() {
    if !ready() {
        return;
    }
    let dir = example_copy("python");
    let r = build(
        dir.path(),
        "shallot-e2e/python:debug",
        &["--target", "debug"],
    );
    assert!(r.ok, "debug build failed:\n{}", r.text);
    assert!(
        r.text.contains("python-runtime:debug-nonroot"),
        "debug variant not used:\n{}",
        r.text
    );
    let out = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        "shallot-e2e/python:debug",
        "-c",
        "echo shell-$((40+2))",
    ]);
    assert!(out.contains("shell-42"), "{out}");
}

#[test]
fn source_only_change_keeps_the_install_step_cached() {
    if !ready() {
        return;
    }
    let dir = example_copy("python");
    let first = build(dir.path(), "shallot-e2e/python:cache", &[]);
    assert!(first.ok, "first build failed:\n{}", first.text);

    let messages = dir.path().join("messages.py");
    std::fs::write(
        &messages,
        format!("HELLO = \"hello from shallot, changed {}\"\n", unique()),
    )
    .expect("write");
    let second = build(dir.path(), "shallot-e2e/python:cache", &[]);
    assert!(second.ok, "second build failed:\n{}", second.text);
    assert_eq!(
        step_cached(&second.text, PIP_INSTALL),
        Some(true),
        "a source-only change re-ran the install:\n{}",
        second.text
    );
    assert_eq!(
        step_cached(&second.text, "[builder 5/6] COPY . ."),
        Some(false),
        "the changed source was not copied:\n{}",
        second.text
    );
    assert!(answer("shallot-e2e/python:cache").contains("hello from shallot, changed"));

    // A manifest change does re-run it: the check above can fail.
    let requirements = dir.path().join("requirements.txt");
    let text = std::fs::read_to_string(&requirements).expect("requirements.txt");
    std::fs::write(&requirements, format!("{text}# changed {}\n", unique())).expect("write");
    let third = build(dir.path(), "shallot-e2e/python:cache", &[]);
    assert!(third.ok, "third build failed:\n{}", third.text);
    assert_eq!(
        step_cached(&third.text, PIP_INSTALL),
        Some(false),
        "a manifest change did not re-run the install:\n{}",
        third.text
    );
}

const UV_PYPROJECT: &str = r#"[project]
name = "shallot-example-python-uv"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["greeting"]

[tool.uv.sources]
greeting = { path = "vendor/greeting-1.0.0-py3-none-any.whl" }
"#;

/// `uv lock` of [`UV_PYPROJECT`] (uv 0.13.9); the hash is the vendored wheel's.
const UV_LOCK: &str = r#"version = 1
revision = 5
requires-python = ">=3.11"

[[package]]
name = "greeting"
version = "1.0.0"
source = { path = "vendor/greeting-1.0.0-py3-none-any.whl" }
wheels = [
    { filename = "greeting-1.0.0-py3-none-any.whl", hash = "sha256:5ea3ef78611bb374750f750677c535453bd7088d5bd8c9e26cafef01b6ec3e51" },
]

[[package]]
name = "shallot-example-python-uv"
version = "1.0.0"
source = { virtual = "." }
dependencies = [
    { name = "greeting" },
]

[package.metadata]
requires-dist = [{ name = "greeting", path = "vendor/greeting-1.0.0-py3-none-any.whl" }]
"#;

#[test]
fn a_uv_project_builds_with_uv_sync_and_runs() {
    if !ready() {
        return;
    }
    // The example as a uv project: the stand-in builder has uv, so the build stays offline.
    let dir = example_copy("python");
    std::fs::remove_file(dir.path().join("requirements.txt")).expect("rm requirements.txt");
    std::fs::write(dir.path().join("pyproject.toml"), UV_PYPROJECT).expect("write");
    std::fs::write(dir.path().join("uv.lock"), UV_LOCK).expect("write");
    let r = build(dir.path(), "shallot-e2e/python:uv", &[]);
    assert!(r.ok, "uv build failed:\n{}", r.text);
    assert!(
        r.text
            .contains("RUN uv sync --locked --no-dev --no-install-project"),
        "{}",
        r.text
    );
    let body = answer("shallot-e2e/python:uv");
    assert!(body.contains("greetings, shallot"), "body: {body}");
}

#[test]
fn a_python_version_without_an_image_fails_naming_the_file() {
    if !ready() {
        return;
    }
    let dir = example_copy("python");
    std::fs::write(
        dir.path().join(".python-version"),
        "# The Python version to use\n3.12\n",
    )
    .expect("write");
    let r = build(dir.path(), "shallot-e2e/python:bad", &[]);
    assert!(!r.ok, "an unavailable version built:\n{}", r.text);
    assert!(
        r.text
            .contains("python 3.12 (from .python-version) has no distroless image"),
        "{}",
        r.text
    );
    assert!(r.text.contains("use one of: 3.13"), "{}", r.text);
}
