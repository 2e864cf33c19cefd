//! Node-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! errors in the spec, in a build command and in the version files, as the build reports them.

mod support;

use support::*;

e2e_tests!(
    fn bad_spec_fails_the_build_with_its_line() {
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

    fn failing_build_command_names_its_step() {
        let log = NODE.build_fails("failing", |dir| {
            edit(dir, "shallot.yaml", |spec| {
                spec.replace("npm run build", "npm run no-such-script")
            })
        });
        assert!(
            log.contains("[builder 5/7] RUN npm run no-such-script"),
            "{log}"
        );
        assert!(
            log.contains("Missing script"),
            "npm's own message is lost:\n{log}"
        );
    }

    fn version_without_an_image_fails_naming_its_file() {
        let log = NODE_YARN.build_fails("bad-version", |dir| {
            std::fs::write(dir.join(".nvmrc"), "v20.11.1\n").expect("write")
        });
        assert!(
            log.contains(
                "shallot.yaml:2:10: node 20 (from .nvmrc) has no distroless image (hint: use one of: 22, 24, 26; change .nvmrc or write `runtime: node@24`)"
            ),
            "{log}"
        );
    }
);
