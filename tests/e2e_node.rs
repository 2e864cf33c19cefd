//! The node example, end to end on a real BuildKit: `docker build -f shallot.yaml` through
//! `# syntax=shallot:dev`, then the image is run, asked over HTTP and taken apart.

mod support;

use support::*;

/// Builds examples/node (from the repository, unchanged) once.
fn example_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let r = build(
            &repo().join("examples/node"),
            "shallot.yaml",
            "shallot-e2e/node:example",
            &[],
        );
        assert!(r.ok, "building examples/node failed:\n{}", r.text);
    });
    "shallot-e2e/node:example"
}

#[test]
fn example_builds_runs_and_answers_on_its_port() {
    if !ready() {
        return;
    }
    let image = example_image();
    let body = answer(image);
    assert!(body.contains("hello from shallot"), "body: {body}");
    // From the local runtime dependency, and from the build step's devDependency tool.
    assert!(body.contains("greetings, shallot"), "body: {body}");
    assert!(body.contains(r#""builtBy":"stamp""#), "body: {body}");
}

#[test]
fn image_config_is_set_on_top_of_the_base() {
    if !ready() {
        return;
    }
    let config = image_config(example_image());
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    // The base image's node entrypoint is kept; the command is only the script.
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/nodejs/bin/node"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(["server.js"]));
    assert_eq!(config["WorkingDir"], "/app");
    let env = env_of(&config);
    assert!(env.contains(&"PORT=8080"), "env: {env:?}");
    assert!(env.contains(&"NODE_ENV=production"), "env: {env:?}");
    assert!(
        env.iter().any(|e| e.starts_with("SSL_CERT_FILE=")),
        "base env lost: {env:?}"
    );
}

#[test]
fn runtime_image_has_no_shell_and_only_production_dependencies() {
    if !ready() {
        return;
    }
    let image = example_image();
    assert_no_shell(image);

    let files = image_files(image);
    let line = |path: &str| file_line(&files, path);
    assert!(
        line("bin/sh").is_none() && line("/npm").is_none(),
        "shell or npm in the image:\n{files}"
    );
    // The app directory belongs to the runtime user, so the app can write its own files.
    let app = line(" app/").unwrap_or_else(|| panic!("no /app in:\n{files}"));
    assert!(
        app.contains("65532/65532"),
        "/app is not owned by 65532: {app}"
    );
    assert!(
        line("app/dist/build-info.json").is_some(),
        "build output missing:\n{files}"
    );
    assert!(
        line("app/node_modules/greeting").is_some(),
        "runtime dependency missing:\n{files}"
    );
    assert!(
        line("app/node_modules/stamp").is_none(),
        "devDependency shipped in the runtime image:\n{files}"
    );
}

#[test]
fn debug_target_has_a_shell() {
    if !ready() {
        return;
    }
    let dir = example_copy("node");
    let r = build(
        dir.path(),
        "shallot.yaml",
        "shallot-e2e/node:debug",
        &["--target", "debug"],
    );
    assert!(r.ok, "debug build failed:\n{}", r.text);
    assert!(
        r.text.contains("nodejs-runtime:debug-nonroot"),
        "debug variant not used:\n{}",
        r.text
    );
    let out = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        "shallot-e2e/node:debug",
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
    let dir = example_copy("node");
    let first = build(dir.path(), "shallot.yaml", "shallot-e2e/node:cache", &[]);
    assert!(first.ok, "first build failed:\n{}", first.text);

    let server = dir.path().join("server.js");
    let source = std::fs::read_to_string(&server).expect("server.js");
    std::fs::write(
        &server,
        format!("{source}\n// a source-only change {}\n", unique()),
    )
    .expect("write");
    let second = build(dir.path(), "shallot.yaml", "shallot-e2e/node:cache", &[]);
    assert!(second.ok, "second build failed:\n{}", second.text);
    assert_eq!(
        step_cached(&second.text, "[builder 3/6] RUN npm ci"),
        Some(true),
        "a source-only change re-ran the install:\n{}",
        second.text
    );
    assert_eq!(
        step_cached(&second.text, "[builder 4/6] COPY . ."),
        Some(false),
        "the changed source was not copied:\n{}",
        second.text
    );

    // A manifest change does re-run it: the check above can fail.
    let package = dir.path().join("package.json");
    let manifest = std::fs::read_to_string(&package).expect("package.json");
    std::fs::write(
        &package,
        manifest.replace(
            "\"version\": \"1.0.0\"",
            &format!("\"version\": \"1.0.{}\"", unique()),
        ),
    )
    .expect("write");
    let third = build(dir.path(), "shallot.yaml", "shallot-e2e/node:cache", &[]);
    assert!(third.ok, "third build failed:\n{}", third.text);
    assert_eq!(
        step_cached(&third.text, "[builder 3/6] RUN npm ci"),
        Some(false),
        "{}",
        third.text
    );
}

#[test]
fn bad_spec_fails_the_build_with_its_line() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("shallot.yaml"),
        "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 70000\n",
    )
    .expect("write");
    let r = build(dir.path(), "shallot.yaml", "shallot-e2e/node:bad", &[]);
    assert!(!r.ok, "a bad spec built:\n{}", r.text);
    assert!(
        r.text
            .contains("shallot.yaml:4:7: port must be between 1 and 65535, got 70000"),
        "the error does not point at the line:\n{}",
        r.text
    );
}

#[test]
fn failing_build_command_names_its_step() {
    if !ready() {
        return;
    }
    let dir = example_copy("node");
    let spec = std::fs::read_to_string(dir.path().join("shallot.yaml")).expect("spec");
    std::fs::write(
        dir.path().join("shallot.yaml"),
        spec.replace("npm run build", "npm run no-such-script"),
    )
    .expect("write");
    let r = build(dir.path(), "shallot.yaml", "shallot-e2e/node:failing", &[]);
    assert!(!r.ok, "a failing build command built:\n{}", r.text);
    assert!(
        r.text.contains("[builder 5/6] RUN npm run no-such-script"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("Missing script"),
        "npm's own message is lost:\n{}",
        r.text
    );
}

/// Builds `examples/<example>` (a copy) with yarn or pnpm, runs it, looks inside, then
/// checks that a source-only change keeps `install` (the dependency step) cached and a
/// manifest change re-runs it.
fn package_manager_example(example: &str, install: &str) {
    if !ready() {
        return;
    }
    let dir = example_copy(example);
    let tag = format!("shallot-e2e/node:{example}");
    let first = build(dir.path(), "shallot.yaml", &tag, &[]);
    assert!(
        first.ok,
        "building examples/{example} failed:\n{}",
        first.text
    );

    let body = answer(&tag);
    assert!(body.contains("hello from shallot"), "body: {body}");
    assert!(body.contains("greetings, shallot"), "body: {body}");
    assert!(body.contains(r#""builtBy":"stamp""#), "body: {body}");

    let config = image_config(&tag);
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/nodejs/bin/node"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(["server.js"]));

    assert_no_shell(&tag);
    let files = image_files(&tag);
    // Directories are listed with a trailing `/`, symlinks as `path -> target`.
    let has = |path: &str| {
        files.lines().any(|l| {
            l.ends_with(path)
                || l.ends_with(&format!("{path}/"))
                || l.contains(&format!("{path} -> "))
        })
    };
    for absent in ["bin/sh", "/npm", "/yarn", "/pnpm", "node_modules/stamp"] {
        assert!(!has(absent), "{absent} in the runtime image:\n{files}");
    }
    assert!(
        has("app/dist/build-info.json"),
        "build output missing:\n{files}"
    );
    assert!(
        has("app/node_modules/greeting"),
        "runtime dependency missing:\n{files}"
    );

    let server = dir.path().join("server.js");
    let source = std::fs::read_to_string(&server).expect("server.js");
    std::fs::write(
        &server,
        format!("{source}\n// a source-only change {}\n", unique()),
    )
    .expect("write");
    let second = build(dir.path(), "shallot.yaml", &tag, &[]);
    assert!(second.ok, "second build failed:\n{}", second.text);
    let install_step = format!("[builder 4/7] RUN {install}");
    assert_eq!(
        step_cached(&second.text, &install_step),
        Some(true),
        "a source-only change re-ran the install:\n{}",
        second.text
    );
    assert_eq!(
        step_cached(&second.text, "[builder 5/7] COPY . ."),
        Some(false),
        "the changed source was not copied:\n{}",
        second.text
    );

    let package = dir.path().join("package.json");
    let manifest = std::fs::read_to_string(&package).expect("package.json");
    std::fs::write(
        &package,
        manifest.replace(
            "\"version\": \"1.0.0\"",
            &format!("\"version\": \"1.0.{}\"", unique()),
        ),
    )
    .expect("write");
    let third = build(dir.path(), "shallot.yaml", &tag, &[]);
    assert!(third.ok, "third build failed:\n{}", third.text);
    assert_eq!(
        step_cached(&third.text, &install_step),
        Some(false),
        "{}",
        third.text
    );
}

#[test]
fn yarn_example_builds_runs_and_caches_its_install() {
    package_manager_example(
        "node-yarn",
        "yarn install --frozen-lockfile --non-interactive",
    );
}

#[test]
fn pnpm_example_builds_runs_and_caches_its_install() {
    package_manager_example("node-pnpm", "pnpm install --frozen-lockfile");
}

#[test]
fn version_without_an_image_fails_naming_its_file() {
    if !ready() {
        return;
    }
    let dir = example_copy("node-yarn");
    std::fs::write(dir.path().join(".nvmrc"), "v20.11.1\n").expect("write");
    let r = build(
        dir.path(),
        "shallot.yaml",
        "shallot-e2e/node:bad-version",
        &[],
    );
    assert!(!r.ok, "node 20 built:\n{}", r.text);
    assert!(
        r.text.contains(
            "shallot.yaml:2:10: node 20 (from .nvmrc) has no distroless image (hint: use one of: 22, 24, 26)"
        ),
        "{}",
        r.text
    );
}
