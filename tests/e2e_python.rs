//! Python-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! byte code compiled at build time, uv projects, and a version without an image.

mod support;

use support::*;

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

e2e_tests!(
    fn byte_code_is_compiled_at_build_time_and_used() on [Dockerd, Buildx] {
        // A read-only root: nothing can be compiled at run time, so a match proves the build did.
        let out = docker(&[
            "run",
            "--rm",
            "--read-only",
            &PYTHON.example_image(),
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

    fn a_uv_project_builds_with_uv_sync_and_runs() on [Dockerd, Buildx] {
        // The example as a uv project: the stand-in builder has uv, so the build stays offline.
        let dir = PYTHON.copy();
        std::fs::remove_file(dir.path().join("requirements.txt")).expect("rm requirements.txt");
        std::fs::write(dir.path().join("pyproject.toml"), UV_PYPROJECT).expect("write");
        std::fs::write(dir.path().join("uv.lock"), UV_LOCK).expect("write");
        let r = PYTHON.build(dir.path(), "shallot-e2e/python:uv", &[]);
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

    fn a_python_version_too_old_fails_naming_the_file() on [Dockerd, Buildx] {
        let log = PYTHON.build_fails("bad", |dir| {
            std::fs::write(
                dir.join(".python-version"),
                "# The Python version to use\n3.8\n",
            )
            .expect("write")
        });
        assert!(
            log.contains(
                "python 3.8 (from .python-version) is older than 3.9, the oldest shallot builds"
            ),
            "{log}"
        );
        assert!(log.contains("use 3.9 or newer"), "{log}");
    }

    fn a_procfile_console_script_starts_the_app_on_the_spec_port() on [Dockerd, Buildx] {
        // The spec is `runtime: python` and `port: 8080`; the Procfile's web line runs a
        // console script from a vendored wheel with `--port $PORT`.
        let tag = "shallot-e2e/start:python-procfile";
        let r = build_on(
            &fixture("python-procfile"),
            "shallot.yaml",
            tag,
            Some(PYTHON_BUILDER),
            PYTHON_RUNTIME,
            &[],
        );
        assert!(r.ok, "build failed:\n{}", r.text);
        assert!(
            r.text
                .lines()
                .any(|l| l.contains("] RUN ") && l.contains("( test -e .venv/bin/hello-serve")),
            "{}",
            r.text
        );
        let config = image_config(tag);
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!(["/app/.venv/bin/python3"])
        );
        assert_eq!(
            config["Cmd"],
            serde_json::json!([
                "/app/.venv/bin/hello-serve",
                "--host",
                "0.0.0.0",
                "--port",
                "8080"
            ])
        );
        let body = answer(tag);
        assert!(body.contains("hello from a console script"), "{body}");
    }

    fn a_console_script_no_dependency_provides_fails_the_build_naming_it() on [Dockerd, Buildx] {
        let dir = fixture_copy("python-procfile");
        std::fs::write(
            dir.path().join("Procfile"),
            "web: gunicorn app:app --bind 0.0.0.0:$PORT\n",
        )
        .expect("write");
        let r = build_on(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/start:python-missing",
            Some(PYTHON_BUILDER),
            PYTHON_RUNTIME,
            &[],
        );
        assert!(!r.ok, "a missing console script built:\n{}", r.text);
        assert!(
            r.text.contains("shallot.yaml:2:10: `gunicorn` (from Procfile `web:`) is not a command of the app's dependencies (.venv/bin/gunicorn is missing after the install)"),
            "{}",
            r.text
        );
    }
);
