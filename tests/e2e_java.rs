//! Java-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! JVM options and a Java version without an image.

mod support;

use support::*;

e2e_tests!(
    fn jvm_options_reach_the_jvm_through_java_tool_options() {
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

    fn unsupported_java_version_fails_the_build_with_its_file() {
        let log = JAVA.build_fails("bad", |dir| {
            std::fs::write(dir.join(".java-version"), "11.0.2\n").expect("write")
        });
        assert!(
            log.contains("shallot.yaml:2:10: java 11 (from .java-version) has no distroless image"),
            "the error does not name the file and the versions:\n{log}"
        );
        assert!(log.contains("17, 21, 25"), "{log}");
    }
);
