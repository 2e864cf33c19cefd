//! Golden SBOMs of the example apps and fixtures, loaded and planned as the CLI does, and the
//! rules the readers share.

use super::*;
use crate::context::{self, LocalDir};
use crate::plan::Options;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SBOM of the app in `dir` (relative to the repository), for linux/amd64.
fn sbom_of(dir: &str) -> Result<Sbom, SbomError> {
    sbom_with(dir, Options::default())
}

/// [`sbom_of`] with these options.
fn sbom_with(dir: &str, options: Options) -> Result<Sbom, SbomError> {
    let dir = root().join(dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let spec = std::fs::read_to_string(dir.join("shallot.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        spec_file: Some("shallot.yaml".to_string()),
        ..options
    };
    let mut context = LocalDir::new(&dir);
    let spec = std::future::ready(Ok::<_, crate::context::LocalError>(spec));
    let loaded = runtime
        .block_on(crate::load::load(&mut context, spec, &options, &[]))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let paths = lockfiles(&loaded.plan);
    let files = runtime
        .block_on(context::gather_whole(
            &mut context,
            &loaded.facts,
            &paths,
            MAX_LOCKFILE_BYTES,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    Sbom::from_plan(&loaded.plan, &Platform::default(), &files)
}

fn names(sbom: &Sbom) -> Vec<String> {
    sbom.packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version.as_deref().unwrap_or("-")))
        .collect()
}

#[test]
fn golden_documents_of_the_examples() {
    for (name, dir) in [
        ("sbom_node", "examples/node"),
        ("sbom_node_yarn", "examples/node-yarn"),
        ("sbom_node_pnpm", "examples/node-pnpm"),
        ("sbom_python", "examples/python"),
        ("sbom_go", "examples/go"),
        ("sbom_rust", "examples/rust"),
        ("sbom_node_native", "tests/fixtures/node-native"),
        (
            "sbom_node_stale_yarn_lock",
            "tests/fixtures/node-stale-yarn-lock",
        ),
        ("sbom_python_psycopg2", "tests/fixtures/python-psycopg2"),
    ] {
        let sbom = sbom_of(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        insta::assert_json_snapshot!(name, spdx::document(&sbom, None));
    }
}

#[test]
fn examples_list_their_production_dependencies_and_not_the_dev_ones() {
    for dir in ["examples/node", "examples/node-yarn", "examples/node-pnpm"] {
        let sbom = sbom_of(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let listed: Vec<&str> = sbom.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(listed, ["greeting"], "{dir}");
    }
    let python = sbom_of("examples/python").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&python), ["greeting@1.0.0"]);
    let go = sbom_of("examples/go").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&go), ["example.com/greeting@v0.0.0"]);
    let node = sbom_of("examples/node").unwrap_or_else(|e| panic!("{e}"));
    let runtime = node.runtime.map(|r| r.purl());
    assert_eq!(runtime.as_deref(), Some("pkg:generic/node@24"));
    assert_eq!(node.app.purl(), "pkg:npm/shallot-example-node@1.0.0");
}

#[test]
fn the_document_is_the_same_bytes_every_time_and_dated_by_the_epoch() {
    let sbom = sbom_of("examples/node").unwrap_or_else(|e| panic!("{e}"));
    let first = spdx::document(&sbom, Some(1_700_000_000)).to_string();
    for _ in 0..5 {
        assert_eq!(
            spdx::document(&sbom, Some(1_700_000_000)).to_string(),
            first
        );
    }
    assert!(
        first.contains("\"created\":\"2023-11-14T22:13:20Z\""),
        "{first}"
    );
    let undated = spdx::document(&sbom, None);
    assert_eq!(
        undated.pointer("/creationInfo/created"),
        Some(&serde_json::json!("1970-01-01T00:00:00Z"))
    );
    assert_ne!(
        undated.get("documentNamespace"),
        serde_json::from_str::<serde_json::Value>(&first)
            .ok()
            .as_ref()
            .and_then(|d| d.get("documentNamespace"))
    );
}

#[test]
fn without_a_lockfile_the_runtime_and_the_app_are_listed_and_the_comment_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
    };
    write("shallot.yaml", "runtime: node\nentrypoint: server.js\n");
    write("server.js", "");
    write(
        "package.json",
        r#"{"name": "bare", "version": "0.1.0", "dependencies": {"express": "^4"}}"#,
    );
    let sbom = sbom_of(&dir.path().display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    assert!(sbom.packages.is_empty());
    assert_eq!(sbom.lockfile, None);
    let document = spdx::document(&sbom, None);
    let comment = document["comment"].as_str().unwrap_or_default();
    assert!(comment.contains("no lockfile"), "{comment}");
    assert_eq!(document["packages"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_broken_lockfile_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
    };
    write("shallot.yaml", "runtime: node\nentrypoint: server.js\n");
    write("server.js", "");
    write("package.json", r#"{"name": "broken"}"#);
    write(
        "package-lock.json",
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n  oops\n}\n",
    );
    let e = sbom_of(&dir.path().display().to_string());
    let message = e.map(|_| ()).unwrap_err().to_string();
    assert!(
        message.starts_with("package-lock.json:4: not JSON"),
        "{message}"
    );
}

#[test]
fn purls_escape_scopes_and_normalize_python_names() {
    let scoped = Package::new(Ecosystem::Npm, "@types/node", Some("20.1.0+b"));
    assert_eq!(scoped.purl(), "pkg:npm/%40types/node@20.1.0%2Bb");
    let python = Package::new(Ecosystem::Pypi, "Zope.Interface_x", Some("6.0"));
    assert_eq!(python.purl(), "pkg:pypi/zope-interface-x@6.0");
}

#[test]
fn only_the_lockfile_the_plan_copies_is_read() {
    // The stale fixture has a yarn.lock beside its package-lock.json; npm installs.
    let sbom = sbom_of("tests/fixtures/node-stale-yarn-lock").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sbom.lockfile.as_deref(), Some("package-lock.json"));
    assert!(Path::new(&root().join("tests/fixtures/node-stale-yarn-lock/yarn.lock")).exists());
}

#[test]
fn the_runtime_keeps_its_version_when_a_mirror_replaces_the_images() {
    for (dir, purl) in [
        ("examples/node", "pkg:generic/node@24"),
        ("examples/python", "pkg:generic/python@3.13"),
        ("examples/go", "pkg:golang/stdlib@1.26"),
    ] {
        let options = Options {
            build_args: [
                ("SHALLOT_BUILDER_IMAGE", "mirror.example/builder:latest"),
                ("SHALLOT_RUNTIME_IMAGE", "mirror.example/runtime:nonroot"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            ..Options::default()
        };
        let sbom = sbom_with(dir, options).unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(
            sbom.runtime.map(|r| r.purl()).as_deref(),
            Some(purl),
            "{dir}"
        );
    }
}

#[test]
fn truncated_and_mangled_lockfiles_never_panic() {
    let read = |path: &str| std::fs::read_to_string(root().join(path)).unwrap_or_default();
    let samples = [
        ("package-lock.json", read("examples/node/package-lock.json")),
        ("yarn.lock", read("examples/node-yarn/yarn.lock")),
        ("pnpm-lock.yaml", read("examples/node-pnpm/pnpm-lock.yaml")),
        ("requirements.txt", read("examples/python/requirements.txt")),
        ("go.mod", read("examples/go/go.mod")),
        (
            "uv.lock",
            "version = 1\n[[package]]\nname = \"app\"\nsource = { editable = \".\" }\n\
             dependencies = [{ name = \"a\", extra = [\"x\"] }]\n"
                .to_string(),
        ),
        (
            "poetry.lock",
            "[[package]]\nname = \"a\"\nversion = \"1\"\n[package.dependencies]\nb = \"*\"\n"
                .to_string(),
        ),
    ];
    let manifest = read("examples/node-yarn/package.json");
    let platform = Platform::default();
    for (name, text) in &samples {
        let cuts = text.char_indices().map(|(i, _)| i);
        for cut in cuts.chain([text.len()]) {
            let head = text.get(..cut).unwrap_or_default();
            let mangled = head.replace(['"', ':'], "\n");
            for body in [head, mangled.as_str()] {
                // Only that they return, with a package list or an error.
                let _ = match *name {
                    "package-lock.json" => npm::package_lock(name, body, &platform),
                    "yarn.lock" => yarn::yarn_lock(name, body, &manifest),
                    "pnpm-lock.yaml" => pnpm::pnpm_lock(name, body, &platform),
                    "requirements.txt" => Ok(python::requirements(name, body)),
                    "uv.lock" => python::uv_lock(name, body),
                    "poetry.lock" => python::poetry_lock(name, body, body),
                    _ => go::go_mod(name, body),
                };
            }
        }
    }
}

#[test]
fn an_app_no_manifest_names_takes_the_title_label() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
    };
    write(
        "shallot.yaml",
        "runtime: python\nentrypoint: app.py\nlabels:\n  org.opencontainers.image.title: hello\n  org.opencontainers.image.version: 2.1.0\n",
    );
    write("app.py", "");
    write("requirements.txt", "flask==3.0.3\n");
    let sbom = sbom_of(&dir.path().display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sbom.app.purl(), "pkg:generic/hello@2.1.0");
    assert_eq!(names(&sbom), ["flask@3.0.3"]);
}

/// Copies the tree at `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn a_utf16_requirements_file_gives_the_packages_of_its_utf8_twin() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let example = root().join("examples/python");
    copy_tree(&example, dir.path());
    let text =
        std::fs::read_to_string(example.join("requirements.txt")).unwrap_or_else(|e| panic!("{e}"));
    // What a Windows editor's "Unicode" writes: UTF-16LE after a byte-order mark.
    let mut utf16 = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    std::fs::write(dir.path().join("requirements.txt"), utf16).unwrap_or_else(|e| panic!("{e}"));
    let twin = sbom_of(&dir.path().to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
    let original = sbom_of("examples/python").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&twin), names(&original));
    assert!(!names(&twin).is_empty());
}
