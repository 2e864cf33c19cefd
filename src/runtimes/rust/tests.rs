//! Tests for the rust recipe: the example's plan and LLB as golden files, version and binary
//! detection from the app's files, the dependency step's files, and the errors.

use super::*;
use crate::llb::{Definition, Stage, from_plan};
use crate::plan::{Facts, Options, Plan, Platform, Step};
use crate::testkit::{
    build_env, builder, commands, diagnostics, dump, facts, plan, plan_with, span,
};

const EXAMPLE_SPEC: &str = include_str!("../../../examples/rust/shallot.yaml");
const EXAMPLE_MANIFEST: &str = include_str!("../../../examples/rust/Cargo.toml");
const EXAMPLE_LOCK: &str = include_str!("../../../examples/rust/Cargo.lock");
const EXAMPLE_MAIN: &str = include_str!("../../../examples/rust/src/main.rs");
const EXAMPLE_DOCKERIGNORE: &str = include_str!("../../../examples/rust/.dockerignore");

const SPEC: &str = "runtime: rust\nport: 8080\n";
const MANIFEST: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n";

fn example_facts() -> Facts {
    facts(
        &[
            ("Cargo.toml", EXAMPLE_MANIFEST),
            ("Cargo.lock", EXAMPLE_LOCK),
            ("src/main.rs", EXAMPLE_MAIN),
        ],
        Some(EXAMPLE_DOCKERIGNORE),
    )
}

/// A package with `src/main.rs` and the given manifest and extra files.
fn app(manifest: &str, extra: &[(&str, &str)]) -> Facts {
    let mut files = vec![("Cargo.toml", manifest), ("src/main.rs", "fn main() {}")];
    files.extend_from_slice(extra);
    facts(&files, None)
}

fn copied_first(plan: &Plan) -> Option<Vec<&str>> {
    match builder(plan).steps.first() {
        Some(Step::CopyFiles { paths }) => Some(paths.iter().map(String::as_str).collect()),
        _ => None,
    }
}

/// Snapshots live with the other runtimes' under `src/runtimes/snapshots/`.
macro_rules! snapshot {
    ($($assert:tt)*) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            $($assert)*
        })
    };
}

// ---- the example --------------------------------------------------------------------------------

#[test]
fn example_plan_golden() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    snapshot!(insta::assert_json_snapshot!("rust_example_plan", plan));
}

#[test]
fn example_plan_shape() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let b = builder(&plan);
    assert_eq!(b.image, "rust:1-trixie");
    assert_eq!(
        b.env,
        vec![("CARGO_TARGET_DIR".to_string(), "/cargo-target".to_string())]
    );
    assert_eq!(
        copied_first(&plan),
        Some(vec!["Cargo.toml", "Cargo.lock", "greeting/Cargo.toml"])
    );
    assert_eq!(
        commands(&plan),
        vec![
            "mkdir -p src greeting/src && touch src/lib.rs greeting/src/lib.rs \
             && cargo fetch --locked && rm src/lib.rs greeting/src/lib.rs",
            "find . -type f -exec touch {} + && cargo build --release --locked --bin server \
             && cp /cargo-target/release/server /usr/local/bin/server",
        ]
    );
    assert_eq!(b.steps[2], Step::CopySource);
    let Step::Run(fetch) = &b.steps[1] else {
        panic!("fetch is a run")
    };
    let ids: Vec<(&str, &str, bool)> = fetch
        .caches
        .iter()
        .map(|c| (c.target.as_str(), c.id.as_str(), c.locked))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("/usr/local/cargo/registry", "shallot-cargo-registry", false),
            ("/usr/local/cargo/git/db", "shallot-cargo-git", false),
        ]
    );
    let Step::Run(build) = &b.steps[3] else {
        panic!("build is a run")
    };
    assert!(
        build
            .caches
            .iter()
            .any(|c| c.id == "shallot-cargo-target-linux-amd64"
                && c.target == "/cargo-target"
                && c.locked)
    );
    // The build step points at the entrypoint line.
    assert_eq!(build.span, Some(span(3, 13, 3, 19)));

    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/cc-debian13:nonroot"
    );
    assert_eq!(plan.runtime_stage.artifacts.len(), 1);
    let artifact = &plan.runtime_stage.artifacts[0];
    assert_eq!(
        artifact.from,
        Source::Builder("/usr/local/bin/server".to_string())
    );
    assert_eq!(artifact.to, "/app/server");
    assert_eq!(artifact.mode, Some(0o755));
    assert!(!artifact.directory);
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/server".to_string()])
    );
    assert!(plan.config.cmd.is_empty());
    assert_eq!(plan.config.user.to_string(), "65532:65532");
    assert_eq!(plan.config.exposed_ports, vec![crate::plan::Port(8080)]);
    assert!(plan.context.exclude.contains(&"target".to_string()));
}

/// The cache ids of the example's build step (the spec's `build` commands get the same) when
/// planned for `platform`.
fn build_cache_ids(platform: &str) -> Vec<String> {
    let options = Options {
        platform: Platform::parse(platform).expect("a platform"),
        ..Options::default()
    };
    let plan = plan_with(EXAMPLE_SPEC, &example_facts(), &options);
    let Some(Step::Run(build)) = builder(&plan).steps.last() else {
        panic!("the build is the last step")
    };
    build.caches.iter().map(|c| c.id.clone()).collect()
}

#[test]
fn each_platform_builds_in_its_own_target_cache() {
    // cargo builds for the platform its builder runs on; the platforms of a multi-platform
    // build must not wait for each other on one locked target directory. The downloads are
    // the same for every platform and stay shared.
    assert_eq!(
        build_cache_ids("linux/arm64"),
        [
            "shallot-cargo-registry",
            "shallot-cargo-git",
            "shallot-cargo-target-linux-arm64"
        ]
    );
    assert_eq!(
        build_cache_ids("linux/amd64")[2],
        "shallot-cargo-target-linux-amd64"
    );
    assert_eq!(
        build_cache_ids("linux/arm/v7")[2],
        "shallot-cargo-target-linux-arm-v7"
    );
}

fn names(def: &Definition) -> Vec<String> {
    def.ops()
        .iter()
        .filter_map(|(digest, _)| {
            def.pb
                .metadata
                .get(digest.as_str())
                .and_then(|m| m.description.get("llb.customname"))
                .cloned()
        })
        .collect()
}

#[test]
fn example_llb_golden() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let runtime = from_plan(&plan, &build_env(EXAMPLE_SPEC), Stage::Runtime);
    let builder = from_plan(&plan, &build_env(EXAMPLE_SPEC), Stage::Builder);
    snapshot!(insta::assert_snapshot!(
        "rust_example_runtime",
        dump(&runtime)
    ));
    snapshot!(insta::assert_snapshot!(
        "rust_example_builder",
        dump(&builder)
    ));
}

#[test]
fn example_progress_names_read_like_a_dockerfile() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let def = from_plan(&plan, &build_env(EXAMPLE_SPEC), Stage::Runtime);
    let names = names(&def);
    for expected in [
        "[builder 1/5] FROM docker.io/library/rust:1-trixie",
        "[builder 2/5] COPY Cargo.toml Cargo.lock greeting/Cargo.toml ./",
        "[builder 3/5] RUN mkdir -p src greeting/src && touch src/lib.rs greeting/src/lib.rs \
         && cargo fetch --locked && rm src/lib.rs greeting/src/lib.rs",
        "[builder 4/5] COPY . .",
        "[runtime 1/2] FROM gcr.io/distroless/cc-debian13:nonroot",
        "[runtime 2/2] COPY --from=builder /.shallot/root/ / and --chown=65532:65532 --chmod=755 \
         /usr/local/bin/server /app/server",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no step {expected:?} in {names:#?}"
        );
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("[builder 5/5] RUN find . -type f -exec touch")),
        "{names:#?}"
    );
}

// ---- versions -----------------------------------------------------------------------------------

fn builder_image(src: &str, facts: &Facts) -> String {
    builder(&plan(src, facts)).image.clone()
}

#[test]
fn spec_version_picks_the_builder_and_not_the_runtime() {
    let facts = app(MANIFEST, &[]);
    for (version, image) in [
        ("1", "rust:1-trixie"),
        ("1.92", "rust:1.92-trixie"),
        ("1.95.0", "rust:1.95.0-trixie"),
        ("1.89", "rust:1.89-trixie"),
        ("stable", "rust:1-trixie"),
    ] {
        let src = format!("runtime: rust@{version}\n");
        let plan = plan(&src, &facts);
        assert_eq!(builder(&plan).image, image, "rust@{version}");
        assert_eq!(
            plan.runtime_stage.image,
            "gcr.io/distroless/cc-debian13:nonroot"
        );
    }
}

#[test]
fn spec_version_without_an_image_is_an_error_at_the_version() {
    let facts = app(MANIFEST, &[]);
    for version in [
        "1.80", "1.88.1", "nightly", "beta", "2", "1.x", "1.92.0.1", "1.", "01.92",
    ] {
        let src = format!("runtime: rust@{version}\n");
        let errors = diagnostics(&src, &facts).0;
        assert_eq!(errors.len(), 1, "{version}: {errors:#?}");
        assert_eq!(
            errors[0].message,
            format!("rust {version} has no official rust:<version>-trixie image")
        );
        let at = u32::try_from(version.chars().count()).unwrap();
        assert_eq!(errors[0].span, span(1, 15, 1, 15 + at), "{version}");
        let hint = errors[0].hint.as_deref().unwrap_or_default();
        assert!(hint.contains("use 1 (the newest stable)"), "{hint}");
        assert!(hint.contains("1.89"), "{hint}");
    }
}

#[test]
fn toolchain_file_picks_the_version() {
    let toml = "[toolchain]\nchannel = \"1.93.0\"\ncomponents = [\"clippy\"]\n";
    let facts = app(MANIFEST, &[("rust-toolchain.toml", toml)]);
    assert_eq!(builder_image(SPEC, &facts), "rust:1.93.0-trixie");
    // The file is copied with the manifests: rustup reads it in the dependency step.
    let plan = plan(SPEC, &facts);
    assert!(
        copied_first(&plan)
            .unwrap()
            .contains(&"rust-toolchain.toml")
    );

    let legacy = app(MANIFEST, &[("rust-toolchain", "1.90\n")]);
    assert_eq!(builder_image(SPEC, &legacy), "rust:1.90-trixie");
    let legacy_toml = app(
        MANIFEST,
        &[("rust-toolchain", "[toolchain]\nchannel = \"stable\"\n")],
    );
    assert_eq!(builder_image(SPEC, &legacy_toml), "rust:1-trixie");
    // The legacy file wins when both are there, as with rustup ("both `rust-toolchain` and
    // `rust-toolchain.toml` exist. Using `rust-toolchain`"), whose choice the builder makes.
    let both = app(
        MANIFEST,
        &[
            ("rust-toolchain.toml", "[toolchain]\nchannel = \"1.91\"\n"),
            ("rust-toolchain", "1.90"),
        ],
    );
    assert_eq!(builder_image(SPEC, &both), "rust:1.90-trixie");
}

#[test]
fn spec_version_wins_over_the_toolchain_file() {
    let facts = app(
        MANIFEST,
        &[(
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"nightly\"\n",
        )],
    );
    assert_eq!(
        builder_image("runtime: rust@1.94\n", &facts),
        "rust:1.94-trixie"
    );
}

#[test]
fn toolchain_file_without_an_image_is_an_error_naming_the_file() {
    let facts = app(
        MANIFEST,
        &[(
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"nightly-2026-01-01\"\n",
        )],
    );
    let errors = diagnostics(SPEC, &facts).0;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        errors[0].message,
        "rust-toolchain.toml asks for the `nightly-2026-01-01` toolchain, which has no official \
         rust:<version>-trixie image"
    );
    assert_eq!(errors[0].span, span(1, 10, 1, 14));
    assert!(
        errors[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("runtime: rust@1"))
    );

    let unreadable = app(MANIFEST, &[("rust-toolchain.toml", "[toolchain]\n")]);
    let unreadable = diagnostics(SPEC, &unreadable).0;
    assert_eq!(
        unreadable[0].message,
        "cannot read the toolchain channel from rust-toolchain.toml in the build context"
    );
}

#[test]
fn without_a_version_the_default_is_the_newest_stable() {
    assert_eq!(builder_image(SPEC, &app(MANIFEST, &[])), "rust:1-trixie");
}

// ---- binaries -----------------------------------------------------------------------------------

#[test]
fn the_only_binary_is_the_default_entrypoint() {
    let plan = plan(SPEC, &app(MANIFEST, &[]));
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/app".to_string()])
    );
    let explicit = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[bin]]\nname = \"srv\"\npath = \"src/main.rs\"\n";
    let plan = plan_of(SPEC, &app(explicit, &[]));
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/srv".to_string()])
    );
}

fn plan_of(src: &str, facts: &Facts) -> Plan {
    plan(src, facts)
}

#[test]
fn several_binaries_without_entrypoint_are_listed() {
    let manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[bin]]\nname = \"worker\"\n\n[[bin]]\nname = \"admin\"\npath = \"tools/admin.rs\"\n";
    let errors = diagnostics(SPEC, &app(manifest, &[])).0;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        errors[0].message,
        "the package has several binaries: app, worker, admin; which one runs?"
    );
    assert_eq!(errors[0].hint.as_deref(), Some("add `entrypoint: app`"));
    assert_eq!(errors[0].span, span(1, 10, 1, 14));

    // Naming one of them builds it.
    let plan = plan("runtime: rust\nentrypoint: admin\n", &app(manifest, &[]));
    assert!(commands(&plan)[1].contains("cargo build --release --bin admin"));
    // `[[bin]]` without a path needs its inferred file to exist for `cargo fetch`.
    assert!(commands(&plan)[0].contains("touch src/lib.rs src/bin/worker.rs &&"));
}

#[test]
fn no_binary_is_an_error() {
    let facts = facts(&[("Cargo.toml", MANIFEST)], None);
    let errors = diagnostics(SPEC, &facts).0;
    assert_eq!(
        errors[0].message,
        "cannot tell which binary to run: Cargo.toml declares none and there is no src/main.rs"
    );
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("add `entrypoint: <binary name>`")
    );
    // A virtual workspace needs the entrypoint too; with it, cargo finds the member's binary.
    let workspace = "[workspace]\nmembers = [\"server\"]\n";
    let facts = crate::testkit::facts(&[("Cargo.toml", workspace)], None);
    assert_eq!(diagnostics(SPEC, &facts).0.len(), 1);
    let plan = plan("runtime: rust\nentrypoint: server\n", &facts);
    assert_eq!(
        copied_first(&plan),
        Some(vec!["Cargo.toml", "server/Cargo.toml"])
    );
    assert_eq!(
        commands(&plan)[0],
        "mkdir -p server/src && touch server/src/lib.rs && cargo fetch && rm server/src/lib.rs"
    );
}

#[test]
fn entrypoint_must_be_a_binary_name() {
    let errors = diagnostics(
        "runtime: rust\nentrypoint: ./run server\n",
        &app(MANIFEST, &[]),
    )
    .0;
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "`./run server` is not a cargo binary name"
    );
    assert_eq!(errors[0].span, span(2, 13, 2, 25));
}

#[test]
fn manifest_problems_are_errors() {
    let missing = diagnostics(SPEC, &Facts::default()).0;
    assert_eq!(
        missing[0].message,
        "runtime `rust` needs a Cargo.toml at the root of the build context"
    );
    let invalid = diagnostics(SPEC, &app("[package\nname = 1", &[])).0;
    assert!(
        invalid[0]
            .message
            .starts_with("Cargo.toml in the build context is not valid TOML: "),
        "{invalid:#?}"
    );
    // Every problem at once: a bad version and a missing manifest.
    let both = diagnostics("runtime: rust@0.9\n", &Facts::default()).0;
    assert_eq!(both.len(), 2, "{both:#?}");
}

// ---- the dependency step ------------------------------------------------------------------------

#[test]
fn workspace_members_and_path_dependencies_are_copied_first() {
    let manifest = r#"
[package]
name = "app"
version = "0.1.0"

[workspace]
members = ["crates/core", "./tools/cli/"]

[dependencies]
core = { path = "crates/core" }
util = { path = "libs/util", version = "1" }
serde = "1"

[target.'cfg(unix)'.dependencies]
unixy = { path = "libs/unixy" }

[patch.crates-io]
foo = { path = "patched/foo" }
"#;
    let facts = app(manifest, &[("Cargo.lock", "version = 4\n")]);
    let plan = plan(SPEC, &facts);
    assert_eq!(
        copied_first(&plan),
        Some(vec![
            "Cargo.toml",
            "Cargo.lock",
            "crates/core/Cargo.toml",
            "libs/unixy/Cargo.toml",
            "libs/util/Cargo.toml",
            "patched/foo/Cargo.toml",
            "tools/cli/Cargo.toml",
        ])
    );
    assert!(commands(&plan)[0].starts_with(
        "mkdir -p src crates/core/src libs/unixy/src libs/util/src patched/foo/src tools/cli/src \
         && touch src/lib.rs crates/core/src/lib.rs"
    ));
}

#[test]
fn unlocatable_local_crates_skip_the_dependency_step() {
    let glob = "[workspace]\nmembers = [\"crates/*\"]\n";
    // The lockfile names a local crate the root manifest does not (a nested path dependency).
    let nested_lock = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"greeting\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"words\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let nested = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\ngreeting = { path = \"greeting\" }\n";
    for (manifest, extra, src) in [
        (glob, vec![], "runtime: rust\nentrypoint: app\n"),
        (nested, vec![("Cargo.lock", nested_lock)], SPEC),
    ] {
        let plan = plan(src, &app(manifest, &extra));
        assert_eq!(builder(&plan).steps[0], Step::CopySource, "{manifest}");
        assert_eq!(commands(&plan).len(), 1, "{manifest}");
    }
    // With the nested crate's parent named, the lockfile's local packages are all accounted for.
    let lock_ok = nested_lock.replace("name = \"words\"", "name = \"greeting2\"");
    let two = format!("{nested}greeting2 = {{ path = \"greeting2\" }}\n");
    let plan = plan(SPEC, &app(&two, &[("Cargo.lock", &lock_ok)]));
    assert!(copied_first(&plan).is_some());
}

#[test]
fn crates_and_sources_outside_the_context_are_errors_naming_their_field() {
    let manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nworkspace = \"..\"\n\
        [dependencies]\nx = { path = \"../x\" }\nin = { path = \"crates/../in\" }\n\
        [target.'cfg(unix)'.build-dependencies]\ny = { path = \"/abs/y\" }\n\
        [patch.crates-io]\nserde = { path = \"../../serde\" }\n\
        [workspace]\nmembers = [\"crates/*\", \"../tools\"]\n";
    let config = "[source.vendored]\ndirectory = \"../vendor\"\n";
    let d = diagnostics(SPEC, &app(manifest, &[(".cargo/config.toml", config)]));
    let messages: Vec<&str> = d.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "Cargo.toml's `workspace.members` lists `../tools`, which is outside the build context",
            "Cargo.toml's `package.workspace` is `..`, which is outside the build context",
            "Cargo.toml's `dependencies.x` has `path = \"../x\"`, which is outside the build context",
            "Cargo.toml's `target.cfg(unix).build-dependencies.y` has `path = \"/abs/y\"`, which is outside the build context",
            "Cargo.toml's `patch.crates-io.serde` has `path = \"../../serde\"`, which is outside the build context",
            ".cargo/config.toml's `source.vendored.directory` is `../vendor`, which is outside the build context",
        ]
    );
}

#[test]
fn unreadable_cargo_config_and_lockfile_are_errors_at_their_place() {
    let d = diagnostics(
        SPEC,
        &app(
            MANIFEST,
            &[
                (".cargo/config.toml", "[build\n"),
                ("Cargo.lock", "version = 4\n<<<<<<< HEAD\n"),
            ],
        ),
    );
    let messages: Vec<&str> = d.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            ".cargo/config.toml in the build context is not valid TOML: unclosed table, expected `]` at line 1, column 7",
            "Cargo.lock in the build context is not valid TOML: key with no value, expected `=` at line 2, column 9",
        ]
    );
    // A lockfile larger than shallot reads is cargo's to judge.
    let mut big = app(MANIFEST, &[("Cargo.lock", "version = 4\n[[package")]);
    big.oversized.insert("Cargo.lock".to_string());
    plan(SPEC, &big);
}

#[test]
fn vendored_sources_are_copied_with_the_manifests() {
    let config = "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"vendor\"\n";
    let plan = plan(
        SPEC,
        &app(
            MANIFEST,
            &[
                ("Cargo.lock", "version = 4\n"),
                (".cargo/config.toml", config),
            ],
        ),
    );
    assert_eq!(
        copied_first(&plan),
        Some(vec![
            "Cargo.toml",
            "Cargo.lock",
            ".cargo/config.toml",
            "vendor"
        ])
    );
}

#[test]
fn without_a_lockfile_cargo_is_not_locked() {
    let plan = plan(SPEC, &app(MANIFEST, &[]));
    assert_eq!(
        commands(&plan),
        vec![
            "mkdir -p src && touch src/lib.rs && cargo fetch && rm src/lib.rs",
            "find . -type f -exec touch {} + && cargo build --release --bin app \
             && cp /cargo-target/release/app /usr/local/bin/app",
        ]
    );
}

#[test]
fn build_commands_run_before_cargo_build_with_the_caches() {
    let plan = plan(
        "runtime: rust\nbuild:\n  - ./generate.sh\n",
        &app(MANIFEST, &[]),
    );
    let steps = &builder(&plan).steps;
    let Step::Run(generate) = &steps[3] else {
        panic!("{steps:#?}")
    };
    assert_eq!(generate.command, "./generate.sh");
    assert_eq!(generate.caches.len(), 3);
    assert!(matches!(&steps[4], Step::Run(r) if r.command.contains("cargo build")));
}

#[test]
fn odd_paths_are_quoted_for_the_shell() {
    assert_eq!(quote("crates/core"), "crates/core");
    assert_eq!(quote("my crate"), "'my crate'");
    assert_eq!(quote("it's"), r"'it'\''s'");
    assert_eq!(
        with_stubs(&["a b/src/lib.rs".to_string()], "cargo fetch"),
        "mkdir -p 'a b/src' && touch 'a b/src/lib.rs' && cargo fetch && rm 'a b/src/lib.rs'"
    );
}

#[test]
fn paths_are_normalized_and_kept_inside_the_context() {
    assert_eq!(
        crate::runtimes::context_path("./a/../b/"),
        Some("b".to_string())
    );
    assert_eq!(crate::runtimes::context_path("."), Some(String::new()));
    assert_eq!(crate::runtimes::context_path("../x"), None);
    assert_eq!(crate::runtimes::context_path("/abs"), None);
}

#[test]
fn tool_versions_come_after_the_toolchain_file() {
    let tools = "nodejs 24\nrust 1.92.0\n";
    assert_eq!(
        builder_image(SPEC, &app(MANIFEST, &[(".tool-versions", tools)])),
        "rust:1.92.0-trixie"
    );
    let both = app(
        MANIFEST,
        &[("rust-toolchain", "1.90"), (".tool-versions", tools)],
    );
    assert_eq!(builder_image(SPEC, &both), "rust:1.90-trixie");
    let old = app(MANIFEST, &[(".tool-versions", "rust 1.70.0\n")]);
    assert!(
        crate::testkit::plan_err(SPEC, &old).contains(
            "rust 1.70.0 (from .tool-versions) has no official rust:<version>-trixie image"
        ),
    );
}

#[test]
fn twenty_thousand_members_and_bins_are_each_listed_once() {
    // A workspace of 20,000 members and a package with 20,000 `[[bin]]`s (every name twice).
    let members: Vec<String> = (0..20_000).map(|i| format!("\"crates/c{i}\"")).collect();
    let bins: String = (0..20_000)
        .map(|i| format!("[[bin]]\nname = \"b{}\"\n", (i * 7) % 10_000))
        .collect();
    let manifest = format!(
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[workspace]\nmembers = [{}]\n\n{bins}",
        members.join(", ")
    );
    let plan = plan("runtime: rust\nentrypoint: b7\n", &app(&manifest, &[]));
    let Some(copied) = copied_first(&plan) else {
        panic!("the manifests are copied first");
    };
    assert_eq!(copied.len(), 20_001);
    assert_eq!(copied[..2], ["Cargo.toml", "crates/c0/Cargo.toml"]);
    let fetch = commands(&plan)[0];
    // One stand-in per bin name, in first-seen order, then one per member; each dir once.
    assert!(fetch.contains("touch src/lib.rs src/bin/b0.rs src/bin/b7.rs src/bin/b14.rs "));
    assert_eq!(
        fetch.matches("src/bin/b9993.rs").count(),
        2,
        "touched, then removed"
    );
    assert_eq!(fetch.matches(" crates/c19999/src ").count(), 1);
    assert_eq!(fetch.matches(" src/bin ").count(), 1);
}
