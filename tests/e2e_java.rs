//! The java example, end to end on a real BuildKit: `docker build -f shallot.yaml` through the
//! frontend under test, with stand-ins built from Debian's Maven and OpenJDK 17
//! (scripts/stand-in-images-java), then the image is run, asked over HTTP and taken apart.

mod support;

use support::*;

/// Stand-in for `maven:3.9-eclipse-temurin-*`: Debian's Maven, plugins and OpenJDK 17, offline.
const JAVA_BUILDER: &str = "shallot-test/java-builder:latest";
/// Stand-in for `gcr.io/distroless/java*-debian13:nonroot`: OpenJDK 17's JRE, no shell.
const JAVA_RUNTIME: &str = "shallot-test/java-runtime:nonroot";

fn build_java(context: &std::path::Path, tag: &str, extra: &[&str]) -> Run {
    build_on(
        context,
        "shallot.yaml",
        tag,
        Some(JAVA_BUILDER),
        JAVA_RUNTIME,
        extra,
    )
}

/// Builds examples/java (from the repository, unchanged) once.
fn example_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let r = build_java(
            &repo().join("examples/java"),
            "shallot-e2e/java:example",
            &[],
        );
        assert!(r.ok, "building examples/java failed:\n{}", r.text);
    });
    "shallot-e2e/java:example"
}

#[test]
fn example_builds_runs_and_answers_on_its_port() {
    if !ready() {
        return;
    }
    let image = example_image();
    let body = answer(image);
    assert!(body.contains("hello from shallot"), "body: {body}");
}

#[test]
fn image_config_runs_the_named_jar_with_the_base_entrypoint() {
    if !ready() {
        return;
    }
    let config = image_config(example_image());
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    // distroless java's `java -jar` is kept; the command is only the jar.
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/bin/java", "-jar"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(["/app/hello-1.0.0.jar"]));
    assert_eq!(config["WorkingDir"], "/app");
    let env = env_of(&config);
    assert!(env.contains(&"PORT=8080"), "env: {env:?}");
    assert!(
        env.iter().any(|e| e.starts_with("SSL_CERT_FILE=")),
        "base env lost: {env:?}"
    );
}

#[test]
fn runtime_image_has_no_shell_build_tool_or_sources() {
    if !ready() {
        return;
    }
    let image = example_image();
    assert_no_shell(image);

    let files = image_files(image);
    let has = |needle: &str| files.lines().any(|l| l.contains(needle));
    assert!(!has("bin/sh"), "a shell in the image:\n{files}");
    assert!(
        !has("bin/mvn") && !has("share/maven") && !has("bin/javac") && !has(".m2"),
        "Maven, a compiler or a Maven cache in the image:\n{files}"
    );
    let app: Vec<&str> = files.lines().filter(|l| l.contains(" app/")).collect();
    assert!(
        app.iter()
            .any(|l| l.ends_with("app/hello-1.0.0.jar") && l.contains("65532/65532")),
        "the jar is missing or not owned by 65532:\n{}",
        app.join("\n")
    );
    assert!(
        !app.iter()
            .any(|l| l.contains(".java") || l.contains("pom.xml") || l.contains("target/")),
        "sources or build files in the runtime image:\n{}",
        app.join("\n")
    );
}

#[test]
fn jvm_options_reach_the_jvm_through_java_tool_options() {
    if !ready() {
        return;
    }
    let dir = example_copy("java");
    let spec = std::fs::read_to_string(dir.path().join("shallot.yaml")).expect("spec");
    std::fs::write(
        dir.path().join("shallot.yaml"),
        format!("{spec}jvm_options: -Xmx64m -Dshallot.check=yes\n"),
    )
    .expect("write");
    let r = build_java(dir.path(), "shallot-e2e/java:jvm", &[]);
    assert!(r.ok, "build with jvm_options failed:\n{}", r.text);
    let config = docker_ok(&[
        "inspect",
        "--format",
        "{{json .Config}}",
        "shallot-e2e/java:jvm",
    ]);
    assert!(
        config.contains("JAVA_TOOL_OPTIONS=-Xmx64m -Dshallot.check=yes"),
        "{config}"
    );
    assert!(
        config.contains(r#""Cmd":["/app/hello-1.0.0.jar"]"#),
        "flags leaked into the command: {config}"
    );
    // The JVM itself picks them up (it says so on stderr) and still serves.
    let port = free_port();
    let app = Container::start("shallot-e2e/java:jvm", port, 8080);
    let body = http_get(port);
    assert!(body.contains("hello from shallot"), "body: {body}");
    let logs = app.logs();
    assert!(
        logs.contains("Picked up JAVA_TOOL_OPTIONS: -Xmx64m -Dshallot.check=yes"),
        "{logs}"
    );
}

#[test]
fn source_only_change_keeps_the_dependency_step_cached() {
    if !ready() {
        return;
    }
    let dir = example_copy("java");
    let first = build_java(dir.path(), "shallot-e2e/java:cache", &[]);
    assert!(first.ok, "first build failed:\n{}", first.text);

    let app = dir.path().join("src/main/java/dev/shallot/hello/App.java");
    let source = std::fs::read_to_string(&app).expect("App.java");
    std::fs::write(
        &app,
        format!("{source}\n// a source-only change {}\n", unique()),
    )
    .expect("write");
    let second = build_java(dir.path(), "shallot-e2e/java:cache", &[]);
    assert!(second.ok, "second build failed:\n{}", second.text);
    assert_eq!(
        step_cached(
            &second.text,
            "[builder 3/5] RUN mvn -B -ntp dependency:go-offline"
        ),
        Some(true),
        "a source-only change re-ran the dependency step:\n{}",
        second.text
    );
    assert_eq!(
        step_cached(
            &second.text,
            "[builder 5/5] RUN mvn -B -ntp package -DskipTests"
        ),
        Some(false),
        "the changed source was not rebuilt:\n{}",
        second.text
    );

    // A manifest change does re-run it: the check above can fail.
    let pom = dir.path().join("pom.xml");
    let manifest = std::fs::read_to_string(&pom).expect("pom.xml");
    let version = format!("1.0.{}", unique());
    std::fs::write(
        &pom,
        manifest.replace(
            "<version>1.0.0</version>",
            &format!("<version>{version}</version>"),
        ),
    )
    .expect("write");
    let third = build_java(dir.path(), "shallot-e2e/java:cache", &[]);
    assert!(third.ok, "third build failed:\n{}", third.text);
    assert_eq!(
        step_cached(
            &third.text,
            "[builder 3/5] RUN mvn -B -ntp dependency:go-offline"
        ),
        Some(false),
        "{}",
        third.text
    );
    // The new version names a new jar, and that is what the image runs.
    let config = docker_ok(&[
        "inspect",
        "--format",
        "{{json .Config.Cmd}}",
        "shallot-e2e/java:cache",
    ]);
    assert!(
        config.contains(&format!("/app/hello-{version}.jar")),
        "{config}"
    );
}

#[test]
fn debug_target_has_a_shell() {
    if !ready() {
        return;
    }
    let dir = example_copy("java");
    let r = build_java(dir.path(), "shallot-e2e/java:debug", &["--target", "debug"]);
    assert!(r.ok, "debug build failed:\n{}", r.text);
    assert!(
        r.text.contains("java-runtime:debug-nonroot"),
        "debug variant not used:\n{}",
        r.text
    );
    let out = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        "shallot-e2e/java:debug",
        "-c",
        "echo shell-$((40+2))",
    ]);
    assert!(out.contains("shell-42"), "{out}");
}

#[test]
fn unsupported_java_version_fails_the_build_with_its_file() {
    if !ready() {
        return;
    }
    let dir = example_copy("java");
    std::fs::write(dir.path().join(".java-version"), "11.0.2\n").expect("write");
    let r = build_java(dir.path(), "shallot-e2e/java:bad", &[]);
    assert!(!r.ok, "java 11 built:\n{}", r.text);
    assert!(
        r.text
            .contains("shallot.yaml:2:10: java 11 (from .java-version) has no distroless image"),
        "the error does not name the file and the versions:\n{}",
        r.text
    );
    assert!(r.text.contains("17, 21, 25"), "{}", r.text);
}
