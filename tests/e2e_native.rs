//! Native code that follows the app onto distroless, end to end: interpreter versions no
//! distroless image has, carried from their official builder image onto distroless `cc`, and
//! shared libraries of compiled dependencies copied into the runtime image. The stand-ins keep
//! the official images' layout (`/usr/local`), which is what the carry reads. The builds that
//! compile from source need the package registries (`--network host`: apt and PyPI or npm).

mod support;

use support::*;

/// `docker run --entrypoint <entrypoint> image args…`, which must succeed; its output.
fn run_in(image: &str, entrypoint: &str, args: &[&str]) -> String {
    let mut all = vec!["run", "--rm", "--entrypoint", entrypoint, image];
    all.extend_from_slice(args);
    docker_ok(&all)
}

/// Held by the builds whose runtime base is the same `cc` image: BuildKit v0.32 shares one
/// vertex between concurrent builds and shows the first build's name for it, which carries the
/// note these tests read (`(python 3.11 carried from the builder)`).
static ON_CC: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Builds `dir` on these images as `tag`, one build on `cc` at a time.
fn build_on_cc(dir: &std::path::Path, tag: &str, builder: &str) -> Run {
    let _turn = ON_CC
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    build_on(dir, "shallot.yaml", tag, Some(builder), CC_RUNTIME, &[])
}

/// The example `name` with its `runtime:` line replaced by `runtime: <runtime>`.
fn example_on(name: &str, runtime: &str) -> tempfile::TempDir {
    let dir = example_copy(name);
    edit(dir.path(), "shallot.yaml", |spec| {
        spec.lines()
            .map(|l| match l.starts_with("runtime:") {
                true => format!("runtime: {runtime}\n"),
                false => format!("{l}\n"),
            })
            .collect()
    });
    dir
}

e2e_tests!(
    fn a_python_version_without_a_distroless_image_is_carried_onto_cc_and_answers() on [Dockerd, Buildx] {
        let dir = example_on("python", "python@3.11");
        let tag = "shallot-e2e/native:python311";
        let r = build_on_cc(dir.path(), tag, PYTHON_OFFICIAL_311);
        assert!(r.ok, "build failed:\n{}", r.text);
        assert!(
            r.text.contains("(python 3.11 carried from the builder)"),
            "{}",
            r.text
        );
        let body = answer(tag);
        assert!(body.contains("hello from shallot"), "{body}");
        assert!(body.contains("greetings, shallot"), "{body}");
        // The interpreter is the builder's 3.11, lean; the venv points at it.
        let version = run_in(
            tag,
            "/usr/local/bin/python3",
            &[
                "-c",
                "import sys, ssl, sqlite3, ctypes; print(sys.version_info[:2], sys.prefix)",
            ],
        );
        assert_eq!(version.trim(), "(3, 11) /usr/local");
        let files = image_files(tag);
        for present in [
            "usr/local/bin/python3.11",
            "usr/local/lib/python3.11/os.py",
            "usr/local/lib/python3.11/lib-dynload/",
        ] {
            assert!(
                file_line(&files, present).is_some(),
                "no {present}:\n{files}"
            );
        }
        let venv = file_line(&files, "app/.venv/bin/python3").expect("venv interpreter");
        assert!(venv.ends_with("-> /usr/local/bin/python3"), "{venv}");
        for absent in [
            "python3.11/test/",
            "python3.11/idlelib/",
            "python3.11/tkinter/",
            "python3.11/ensurepip/",
            "site-packages/pip/",
            "usr/local/include/",
            "/.shallot/",
        ] {
            assert!(!files.contains(absent), "{absent} in the image:\n{files}");
        }
        assert_no_shell(tag);
    }

    fn a_node_major_without_a_distroless_image_is_carried_onto_cc_and_answers() on [Dockerd, Buildx] {
        let dir = example_on("node", "node@20");
        let tag = "shallot-e2e/native:node20";
        let r = build_on_cc(dir.path(), tag, NODE_OFFICIAL_20);
        assert!(r.ok, "build failed:\n{}", r.text);
        let body = answer(tag);
        assert!(body.contains("hello from shallot"), "{body}");
        let version = run_in(tag, "/nodejs/bin/node", &["-p", "process.version"]);
        assert!(version.trim().starts_with("v20."), "{version}");
        let config = image_config(tag);
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!(["/nodejs/bin/node"])
        );
        assert_no_shell(tag);
    }

    // Docker's only: `--network host` needs the network.host entitlement, which the current
    // BuildKit of scripts/buildkit-up does not grant.
    fn psycopg2_compiled_against_libpq_dev_runs_with_its_library_on_cc() on [Dockerd] {
        let tag = "shallot-e2e/native:psycopg2";
        let r = build_on(
            &fixture("python-psycopg2"),
            "shallot.yaml",
            tag,
            Some(PYTHON_OFFICIAL_311),
            CC_RUNTIME,
            &["--network", "host"],
        );
        assert!(r.ok, "build failed:\n{}", r.text);
        assert!(
            r.text
                .contains("RUN apt-get install libpq-dev gcc libc6-dev"),
            "{}",
            r.text
        );
        let body = answer(tag);
        assert!(body.contains("built against libpq 1"), "{body}");
        assert!(body.contains("running libpq 1"), "{body}");
        let files = image_files(tag);
        assert!(
            file_line(&files, "x86_64-linux-gnu/libpq.so.5").is_some(),
            "{files}"
        );
        for absent in [
            "usr/bin/gcc",
            "usr/bin/apt-get",
            "usr/include/postgresql",
            "bin/dpkg",
        ] {
            assert!(file_line(&files, absent).is_none(), "{absent} in the image");
        }
        assert_no_shell(tag);
    }

    // Docker's only: `--network host` needs the network.host entitlement, which the current
    // BuildKit of scripts/buildkit-up does not grant.
    fn a_library_the_builder_cannot_resolve_fails_the_build_naming_the_file() on [Dockerd] {
        // psycopg2 compiled, then libpq removed from the builder: the extension needs a library
        // that is nowhere, which must stop the build rather than crash the app at start.
        let dir = fixture_copy("python-psycopg2");
        edit(dir.path(), "shallot.yaml", |spec| {
            format!("{spec}build:\n  - rm -f /usr/lib/x86_64-linux-gnu/libpq.so*\n")
        });
        let r = build_on(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/native:missing",
            Some(PYTHON_OFFICIAL_311),
            CC_RUNTIME,
            &["--network", "host"],
        );
        assert!(!r.ok, "the build passed:\n{}", r.text);
        assert!(
            r.text
                .contains("needs libpq.so.5, which the builder does not have"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("_psycopg"),
            "the message names the extension:\n{}",
            r.text
        );
    }
);

e2e_tests!(
    // Docker's only: `--network host` needs the network.host entitlement, which the current
    // BuildKit of scripts/buildkit-up does not grant.
    fn a_node_addon_linking_a_debian_library_runs_on_a_carried_node_with_its_library() on [Dockerd] {
        let tag = "shallot-e2e/native:node-addon";
        let r = build_on(
            &fixture("node-addon"),
            "shallot.yaml",
            tag,
            Some(NODE_OFFICIAL_20),
            CC_RUNTIME,
            &["--network", "host"],
        );
        assert!(r.ok, "build failed:\n{}", r.text);
        let body = answer(tag);
        assert!(body.contains("sqlite 3."), "{body}");
        let files = image_files(tag);
        assert!(
            file_line(&files, "x86_64-linux-gnu/libsqlite3.so.0").is_some(),
            "{files}"
        );
        assert!(
            file_line(&files, "app/sqlite-version/build/Release/addon.node").is_some(),
            "{files}"
        );
        for absent in [
            "usr/bin/g++",
            "usr/bin/make",
            "usr/include/sqlite3.h",
            "bin/apt-get",
        ] {
            assert!(file_line(&files, absent).is_none(), "{absent} in the image");
        }
        assert_no_shell(tag);
    }
);
