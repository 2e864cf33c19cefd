//! What the platforms already read, on the real BuildKit: a lockfile the build does not see
//! (the spec's `exclude`, `.dockerignore`) does not decide the package manager, and
//! `scripts.build` runs without a `build:` in the spec. Each app is built, run and asked.

mod support;

use std::path::Path;
use support::*;

/// Builds `dir` on the node stand-ins as `tag`; fails with the log unless it builds. A file
/// new on every run makes the steps after the install run, so that the install step is shown
/// (cached) in the progress: current BuildKit leaves out the cached steps of a cached result.
fn built(dir: &Path, tag: &str) -> String {
    std::fs::write(dir.join("run-id.txt"), unique().to_string()).expect("write run-id.txt");
    let r = build(dir, "shallot.yaml", tag, &[]);
    assert!(r.ok, "{tag} did not build:\n{}", r.text);
    r.text
}

/// Fails unless the image answers with `text` and lacks `absent` (and the build's own files).
fn answers_without(image: &str, text: &str, absent: &[&str]) {
    let body = answer(image);
    assert!(body.contains(text), "{body}");
    let files = image_files(image);
    for path in absent
        .iter()
        .chain(&["app/shallot.yaml", "app/.dockerignore"])
    {
        assert!(
            file_line(&files, path).is_none(),
            "{path} in the runtime image:\n{files}"
        );
    }
}

e2e_tests!(
    fn a_stale_yarn_lock_excluded_by_the_spec_builds_with_npm() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-stale-yarn-lock");
        let tag = "shallot-e2e/stale-yarn-lock:spec-exclude";
        let log = built(dir.path(), tag);
        assert!(log.contains("RUN npm ci --omit=dev"), "{log}");
        answers_without(tag, "installed with npm", &["app/yarn.lock"]);
    }

    fn a_stale_yarn_lock_in_dockerignore_builds_with_npm() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-stale-yarn-lock");
        edit(dir.path(), "shallot.yaml", |spec| {
            spec.replace("exclude: [yarn.lock]\n", "")
        });
        std::fs::write(
            dir.path().join(".dockerignore"),
            "node_modules\nyarn.lock\n",
        )
        .expect("write .dockerignore");
        let tag = "shallot-e2e/stale-yarn-lock:dockerignore";
        let log = built(dir.path(), tag);
        assert!(log.contains("RUN npm ci --omit=dev"), "{log}");
        answers_without(tag, "installed with npm", &["app/yarn.lock"]);
    }

    fn both_lockfiles_seen_is_still_an_error_at_the_runtime_line() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-stale-yarn-lock");
        edit(dir.path(), "shallot.yaml", |spec| {
            spec.replace("exclude: [yarn.lock]\n", "")
        });
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/stale-yarn-lock:both",
            &[],
        );
        assert!(!r.ok, "built with two lockfiles:\n{}", r.text);
        assert!(
            r.text.contains(
                "shallot.yaml:2:10: the build context has lockfiles of several package managers (package-lock.json, yarn.lock)"
            ),
            "{}",
            r.text
        );
    }

    fn the_build_script_runs_without_a_build_in_the_spec() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-build-script");
        // New source on every run, so the build step runs (and prints) instead of coming
        // from an earlier run's cache.
        edit(dir.path(), "build.js", |t| {
            format!("{t}\n// run {}\n", unique())
        });
        let tag = "shallot-e2e/build-script:default";
        let log = built(dir.path(), tag);
        // The full install for the build, pruned after it.
        assert!(!log.contains("RUN npm ci --omit=dev"), "{log}");
        for step in [
            "RUN npm ci",
            "RUN npm run build && npm prune --omit=dev",
        ] {
            assert!(log.contains(step), "no `{step}`:\n{log}");
        }
        assert!(log.contains("built dist/server.js"), "{log}");
        answers_without(
            tag,
            "compiled by the build script",
            &["app/node_modules/compiler"],
        );
        let files = image_files(tag);
        assert!(file_line(&files, "app/dist/server.js").is_some(), "{files}");
    }
);
