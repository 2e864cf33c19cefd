//! Java-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! JVM options, a Java version too old to run, and a version without a distroless image,
//! which runs on a jlinked runtime.

mod support;

use std::process::Command;

use support::*;

/// The text of the file at `path` in `image`, read without running it (it has no shell).
fn image_file(image: &str, path: &str) -> String {
    let id = docker_ok(&["create", image]);
    let id = id.trim();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{DOCKER} cp {id}:{path} - | tar -xO"))
        .output()
        .unwrap_or_else(|e| panic!("docker cp: {e}"));
    let _ = docker(&["rm", "-f", id]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

e2e_tests!(
    fn jvm_options_reach_the_jvm_through_java_tool_options() on [Dockerd, Buildx] {
        let dir = JAVA.copy();
        edit(dir.path(), "shallot.yaml", |spec| {
            format!("{spec}jvm_options: -Xmx64m -Dshallot.check=yes\n")
        });
        let r = JAVA.build(dir.path(), "shallot-e2e/java:jvm", &[]);
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

    fn unsupported_java_version_fails_the_build_with_its_file() on [Dockerd, Buildx] {
        let log = JAVA.build_fails("bad", |dir| {
            std::fs::write(dir.join(".java-version"), "1.8.0_402\n").expect("write")
        });
        assert!(
            log.contains(
                "shallot.yaml:2:10: java 8 (from .java-version) is older than 11, the oldest \
                 shallot builds"
            ),
            "the error does not name the file and the versions:\n{log}"
        );
        assert!(
            log.contains("use 11 or newer; change .java-version"),
            "{log}"
        );
    }

    fn java_11_runs_on_a_jlinked_runtime_with_only_its_modules() on [Dockerd, Buildx] {
        let dir = JAVA.copy();
        edit(dir.path(), "shallot.yaml", |spec| {
            spec.replace("runtime: java\n", "runtime: java@11\n")
        });
        // javac 11 cannot compile for 17, which the example's pom asks for.
        edit(dir.path(), "pom.xml", |pom| {
            pom.replace("<maven.compiler.release>17<", "<maven.compiler.release>11<")
        });
        let tag = "shallot-e2e/java:jlinked-11";
        let r = build_on(
            dir.path(),
            "shallot.yaml",
            tag,
            Some(JAVA11_BUILDER),
            CC_RUNTIME,
            &[],
        );
        assert!(r.ok, "build of the java 11 app failed:\n{}", r.text);
        assert!(r.text.contains("jdeps + jlink: java 11"), "{}", r.text);

        let config = image_config(tag);
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!(["/opt/java/openjdk/bin/java", "-jar"])
        );
        assert!(
            env_of(&config).contains(&"JAVA_HOME=/opt/java/openjdk"),
            "{config}"
        );
        let body = answer(tag);
        assert!(body.contains("hello from shallot"), "body: {body}");

        // The runtime is 11 and holds the modules jdeps found (the JDK's HTTP server) and
        // jdk.crypto.ec for TLS, nothing else.
        let release = image_file(tag, "/opt/java/openjdk/release");
        assert!(release.contains("JAVA_VERSION=\"11."), "{release}");
        assert!(
            release.contains("MODULES=\"java.base jdk.crypto.ec jdk.httpserver\""),
            "{release}"
        );
        let files = image_files(tag);
        assert!(
            file_line(&files, "opt/java/openjdk/bin/java").is_some(),
            "no java"
        );
        for absent in [
            "/jmods/",
            "bin/javac",
            "bin/jlink",
            "bin/jdeps",
            "bin/sh",
            ".shallot",
        ] {
            let found: Vec<&str> = files.lines().filter(|l| l.contains(absent)).collect();
            assert!(found.is_empty(), "{absent} in the image: {found:#?}");
        }
        assert_no_shell(tag);
    }
);
