//! Node-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! errors in the spec, in a build command and in the version files, as the build reports them.

mod support;

use support::*;

e2e_tests!(
    fn bad_spec_fails_the_build_with_its_line() on [Dockerd, Buildx] {
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

    fn a_dangling_link_among_the_probed_files_is_no_file() on [Dockerd, Buildx] {
        // BuildKit cannot read a link whose target is missing; the build's steps could not
        // either, so the frontend takes it as no file rather than failing the build.
        let dir = example_copy("node");
        std::os::unix::fs::symlink("/nonexistent/nvmrc", dir.path().join(".nvmrc"))
            .expect("a link");
        let r = build(dir.path(), "shallot.yaml", "shallot-e2e/node:dangling", &[]);
        assert!(r.ok, "a dangling .nvmrc link failed the build:\n{}", r.text);
    }

    fn failing_build_command_names_its_step() on [Dockerd, Buildx] {
        let log = NODE.build_fails("failing", |dir| {
            edit(dir, "shallot.yaml", |spec| {
                spec.replace("npm run build", "npm run no-such-script")
            })
        });
        assert!(
            log.contains("[builder 5/5] RUN npm run no-such-script"),
            "{log}"
        );
        assert!(
            log.contains("Missing script"),
            "npm's own message is lost:\n{log}"
        );
        // buildx prints the spec lines of the failed step from the graph's source map, which
        // BuildKit finds only when its digests of our ops are ours (Docker 20.10's client
        // prints none).
        if daemon() == Daemon::Buildx {
            assert!(
                log.contains(">>>   - npm run no-such-script"),
                "the failed step's spec line is not shown:\n{log}"
            );
        }
    }

    fn a_node_version_too_old_fails_naming_its_file() on [Dockerd, Buildx] {
        let log = NODE_YARN.build_fails("bad-version", |dir| {
            std::fs::write(dir.join(".nvmrc"), "v16.20.2\n").expect("write")
        });
        assert!(
            log.contains(
                "shallot.yaml:2:10: node 16 (from .nvmrc) is older than 18, the oldest shallot builds (hint: use 18 or newer; change .nvmrc or write `runtime: node@24`)"
            ),
            "{log}"
        );
    }

    fn scripts_start_starts_the_app_when_the_spec_names_no_entrypoint() on [Dockerd, Buildx] {
        let tag = "shallot-e2e/start:node-scripts-start";
        let r = build(&fixture("node-scripts-start"), "shallot.yaml", tag, &[]);
        assert!(r.ok, "build failed:\n{}", r.text);
        let config = image_config(tag);
        assert_eq!(config["Cmd"], serde_json::json!(["server.js"]));
        let body = answer(tag);
        assert!(body.contains("hello from scripts.start"), "{body}");
    }

    fn a_bin_of_a_dependency_starts_the_app_with_the_port_expanded() on [Dockerd, Buildx] {
        // scripts.start is `hello-serve --port $PORT …`: the bin of a local file: package.
        let tag = "shallot-e2e/start:node-bin";
        let r = build(&fixture("node-bin"), "shallot.yaml", tag, &[]);
        assert!(r.ok, "build failed:\n{}", r.text);
        // The builder checked the bin after the install.
        assert!(
            r.text
                .lines()
                .any(|l| l.contains("] RUN ") && l.contains("( test -e node_modules/.bin/hello-serve")),
            "{}",
            r.text
        );
        let config = image_config(tag);
        assert_eq!(
            config["Cmd"],
            serde_json::json!([
                "node_modules/.bin/hello-serve",
                "--port",
                "8080",
                "--greeting",
                "hello from a bin"
            ])
        );
        let body = answer(tag);
        assert!(body.contains("hello from a bin"), "{body}");
    }

    fn a_start_script_the_build_does_not_make_fails_the_build_at_its_line() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-scripts-start");
        std::fs::write(
            dir.path().join("shallot.yaml"),
            "# syntax=shallot:dev\nruntime: node\nentrypoint: dist/server.js\nport: 8080\nbuild:\n  - mkdir -p dist\n",
        )
        .expect("write");
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/start:node-missing",
            &[],
        );
        assert!(!r.ok, "a missing start script built:\n{}", r.text);
        assert!(
            r.text.contains("shallot.yaml:3:13: `dist/server.js` is not in the app after the build (hint: check the path"),
            "the check does not point at the line:\n{}",
            r.text
        );
    }

    fn a_start_command_that_needs_a_shell_is_a_spec_error_at_its_line() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-scripts-start");
        std::fs::write(
            dir.path().join("shallot.yaml"),
            "# syntax=shallot:dev\nruntime: node\nentrypoint: npm run migrate && node server.js\nport: 8080\n",
        )
        .expect("write");
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/start:node-shell",
            &[],
        );
        assert!(!r.ok, "a start command with && built:\n{}", r.text);
        assert!(
            r.text.contains("shallot.yaml:3:13: `npm run migrate && node server.js` needs a shell for `&&`, and the runtime image has none (hint: run the steps before the app in `build`"),
            "{}",
            r.text
        );
    }
);
