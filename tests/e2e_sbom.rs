//! The SBOM attestation on real daemons. On the current BuildKit, `docker buildx build
//! --sbom=true` of the node, python and go examples exports an OCI layout whose attestation
//! manifest holds shallot's SPDX document (no scanner image: this machine reaches no registry
//! but the local one, so a build that needed `docker/buildkit-syft-scanner` would fail), and
//! its packages are the lockfile's production set, which is also what the image's layers hold.
//! On dockerd's BuildKit v0.8 a build asking for an SBOM still succeeds, and says it has none.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// The SPDX predicate type BuildKit names SBOMs by.
const SPDX: &str = "https://spdx.dev/Document";

/// An exported OCI layout, unpacked.
struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// Unpacks the OCI tarball `tar` into `dir`.
    fn unpack(tar: &Path, dir: &Path) -> Layout {
        std::fs::create_dir_all(dir).expect("mkdir");
        untar(tar, dir);
        Layout {
            dir: dir.to_path_buf(),
        }
    }

    fn blob(&self, digest: &str) -> PathBuf {
        self.dir
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }

    fn json(&self, digest: &str) -> Value {
        let bytes = std::fs::read(self.blob(digest)).unwrap_or_else(|e| panic!("{digest}: {e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{digest}: {e}"))
    }

    /// Every manifest the layout reaches, through indexes, with its index entry.
    fn manifests(&self) -> Vec<(Value, Value)> {
        let top: Value = serde_json::from_slice(
            &std::fs::read(self.dir.join("index.json")).expect("index.json"),
        )
        .expect("index.json is JSON");
        let mut pending: Vec<Value> = top["manifests"].as_array().cloned().unwrap_or_default();
        let mut found = Vec::new();
        while let Some(entry) = pending.pop() {
            let body = self.json(entry["digest"].as_str().expect("a digest"));
            match body["manifests"].as_array() {
                Some(children) => pending.extend(children.iter().cloned()),
                None => found.push((entry, body)),
            }
        }
        found
    }

    /// The SPDX documents of the attestation manifests, each with the digest of the image
    /// manifest it is about.
    fn sboms(&self) -> Vec<(String, Value)> {
        let mut sboms = Vec::new();
        for (entry, manifest) in self.manifests() {
            let annotations = &entry["annotations"];
            if annotations["vnd.docker.reference.type"] != "attestation-manifest" {
                continue;
            }
            let subject = annotations["vnd.docker.reference.digest"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            for layer in manifest["layers"].as_array().into_iter().flatten() {
                if layer["annotations"]["in-toto.io/predicate-type"] == SPDX {
                    let statement = self.json(layer["digest"].as_str().expect("a digest"));
                    assert_eq!(statement["predicateType"], SPDX);
                    sboms.push((subject.clone(), statement["predicate"].clone()));
                }
            }
        }
        sboms
    }

    /// The images (not attestations): platform `os/arch` and the paths in their layers.
    fn images(&self) -> Vec<(String, String, BTreeSet<String>)> {
        let mut images = Vec::new();
        for (entry, manifest) in self.manifests() {
            if entry["annotations"]["vnd.docker.reference.type"] == "attestation-manifest" {
                continue;
            }
            let config = self.json(manifest["config"]["digest"].as_str().expect("config"));
            let platform = format!(
                "{}/{}",
                config["os"].as_str().unwrap_or("?"),
                config["architecture"].as_str().unwrap_or("?")
            );
            let mut files = BTreeSet::new();
            for layer in manifest["layers"].as_array().into_iter().flatten() {
                let path = self.blob(layer["digest"].as_str().expect("a digest"));
                let out = Command::new("tar")
                    .arg("-tzf")
                    .arg(&path)
                    .output()
                    .unwrap_or_else(|e| panic!("tar: {e}"));
                assert!(out.status.success(), "tar -tzf {}", path.display());
                let listing = String::from_utf8_lossy(&out.stdout).into_owned();
                files.extend(
                    listing
                        .lines()
                        .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_string()),
                );
            }
            let digest = entry["digest"].as_str().unwrap_or_default().to_string();
            images.push((digest, platform, files));
        }
        images
    }
}

/// `docker buildx build --sbom=true` of `context` on these stand-ins, exported as an OCI
/// tarball and unpacked into `out`.
fn build_with_sbom(
    context: &Path,
    builder: &str,
    runtime: &str,
    out: &Path,
    extra: &[&str],
) -> (Layout, String) {
    let tar = out.join("image.tar");
    let spec = context.join("shallot.yaml");
    let syntax = format!("BUILDKIT_SYNTAX={}", pulled(&frontend()));
    let builder = format!("SHALLOT_BUILDER_IMAGE={}", pulled(builder));
    let runtime = format!("SHALLOT_RUNTIME_IMAGE={}", pulled(runtime));
    let dest = format!("type=oci,dest={}", tar.display());
    let mut args = vec![
        "buildx",
        "--builder",
        BUILDX_BUILDER,
        "build",
        "--progress=plain",
        "--sbom=true",
        "--provenance=false",
        "-f",
        spec.to_str().expect("a UTF-8 path"),
        "--build-arg",
        &syntax,
        "--build-arg",
        &builder,
        "--build-arg",
        &runtime,
        "--output",
        &dest,
    ];
    args.extend(extra);
    args.push(context.to_str().expect("a UTF-8 path"));
    let r = docker(&args);
    assert!(r.ok, "build with --sbom=true failed:\n{}", r.text);
    assert!(
        !r.text.contains("syft"),
        "BuildKit ran its scanner:\n{}",
        r.text
    );
    (Layout::unpack(&tar, &out.join("oci")), r.text)
}

/// The one SBOM of a single-platform layout, checked to be about its one image.
fn only_sbom(layout: &Layout) -> (Value, BTreeSet<String>) {
    let sboms = layout.sboms();
    let images = layout.images();
    let ([(subject, document)], [(image, _, files)]) = (sboms.as_slice(), images.as_slice()) else {
        panic!(
            "one image and one SBOM expected, got {} and {}",
            images.len(),
            sboms.len()
        )
    };
    assert_eq!(subject, image, "the SBOM is not about the image");
    (document.clone(), files.clone())
}

/// `name@version` of each dependency in an SPDX document (not the app, not the runtime).
fn dependencies(document: &Value) -> BTreeSet<String> {
    let packages = document["packages"].as_array().expect("packages");
    packages
        .iter()
        .filter(|p| p["primaryPackagePurpose"] == "LIBRARY")
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap_or("?"),
                p["versionInfo"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// The purl of the document's package named `name`.
fn purl_of(document: &Value, name: &str) -> Option<String> {
    let packages = document["packages"].as_array()?;
    let package = packages.iter().find(|p| p["name"] == name)?;
    Some(
        package["externalRefs"][0]["referenceLocator"]
            .as_str()?
            .to_string(),
    )
}

/// package-lock.json's production set, read here on its own terms: every installed path that
/// is not `dev`, a link counting with its target.
fn npm_production_set(lock: &str) -> BTreeSet<String> {
    let lock: Value = serde_json::from_str(lock).expect("package-lock.json");
    let packages = lock["packages"].as_object().expect("packages");
    packages
        .iter()
        .filter_map(|(path, entry)| {
            let name = path.rsplit_once("node_modules/")?.1;
            let target = match entry["resolved"].as_str() {
                Some(to) if entry["link"] == true => &packages[to],
                _ => entry,
            };
            (target["dev"] != true)
                .then(|| format!("{name}@{}", target["version"].as_str().unwrap_or("-")))
        })
        .collect()
}

e2e_tests!(
    fn node_sbom_is_the_lockfiles_production_set() on [Buildx] {
        let dir = example_copy("node");
        let out = tempfile::tempdir().expect("a temp dir");
        let (layout, log) = build_with_sbom(dir.path(), NODE_BUILDER, NODE_RUNTIME, out.path(), &[]);
        let (document, files) = only_sbom(&layout);
        let lock = std::fs::read_to_string(dir.path().join("package-lock.json")).expect("lock");
        let expected = npm_production_set(&lock);
        assert_eq!(dependencies(&document), expected);
        println!("node SBOM: {} dependencies {expected:?}; log:\n{log}", expected.len());
        // The devDependency the build runs (`stamp`) is neither listed nor shipped; what is
        // listed is what the image's node_modules holds.
        assert!(!document.to_string().contains("\"stamp\""), "{document:#}");
        assert!(!files.iter().any(|f| f.ends_with("node_modules/stamp")), "stamp shipped");
        for package in &expected {
            let name = package.split('@').next().unwrap_or_default();
            let installed = format!("app/node_modules/{name}");
            assert!(files.contains(&installed), "{installed} not in the image");
        }
        assert_eq!(purl_of(&document, "node").as_deref(), Some("pkg:generic/node@24"));
        assert_eq!(
            purl_of(&document, "shallot-example-node").as_deref(),
            Some("pkg:npm/shallot-example-node@1.0.0")
        );
    }

    fn python_sbom_is_the_pinned_requirements() on [Buildx] {
        let dir = example_copy("python");
        let out = tempfile::tempdir().expect("a temp dir");
        let (layout, _) = build_with_sbom(dir.path(), PYTHON_BUILDER, PYTHON_RUNTIME, out.path(), &[]);
        let (document, files) = only_sbom(&layout);
        let requirements =
            std::fs::read_to_string(dir.path().join("requirements.txt")).expect("requirements");
        let expected: BTreeSet<String> = requirements
            .lines()
            .filter_map(|l| l.split_once("=="))
            .map(|(name, version)| format!("{}@{}", name.trim(), version.trim()))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(dependencies(&document), expected);
        println!("python SBOM: {} dependencies {expected:?}", expected.len());
        // Each is installed in the image's venv, at that version.
        for package in &expected {
            let dist_info = format!("{}.dist-info", package.replace('@', "-"));
            assert!(
                files.iter().any(|f| f.ends_with(&dist_info)),
                "{dist_info} not in the image"
            );
        }
        assert_eq!(purl_of(&document, "greeting").as_deref(), Some("pkg:pypi/greeting@1.0.0"));
        assert_eq!(purl_of(&document, "python").as_deref(), Some("pkg:generic/python@3.13"));
    }

    fn go_sbom_is_the_required_modules_one_per_platform() on [Buildx] {
        let dir = example_copy("go");
        let out = tempfile::tempdir().expect("a temp dir");
        let platforms: &[&str] = if docker(&["buildx", "inspect", BUILDX_BUILDER]).text.contains("linux/arm64") {
            &["--platform", "linux/amd64,linux/arm64"]
        } else {
            eprintln!("\n!!! the builder has no linux/arm64: one platform only !!!\n");
            &[]
        };
        let (layout, _) = build_with_sbom(dir.path(), GO_BUILDER, STATIC_RUNTIME, out.path(), platforms);
        let go_mod = std::fs::read_to_string(dir.path().join("go.mod")).expect("go.mod");
        let expected: BTreeSet<String> = go_mod
            .lines()
            .filter_map(|l| l.trim().strip_prefix("require "))
            .filter_map(|r| r.split_once(' '))
            .map(|(module, version)| format!("{module}@{}", version.trim()))
            .collect();
        let images = layout.images();
        let sboms = layout.sboms();
        assert_eq!(sboms.len(), images.len().max(1), "one SBOM per platform");
        for (digest, platform, _) in &images {
            let (_, document) = sboms
                .iter()
                .find(|(subject, _)| subject == digest)
                .unwrap_or_else(|| panic!("no SBOM for the {platform} image"));
            assert_eq!(dependencies(document), expected, "{platform}");
            let comment = document["comment"].as_str().unwrap_or_default();
            assert!(comment.contains(&format!("for {platform}")), "{platform}: {comment}");
            assert_eq!(
                purl_of(document, "stdlib").as_deref(),
                Some("pkg:golang/stdlib@1.26")
            );
            println!("go SBOM for {platform}: {} dependencies {expected:?}", expected.len());
        }
    }

    // Docker 20.10 has no --sbom; the build arg asks as buildctl's `attest:sbom` would.
    fn an_sbom_asked_of_buildkit_v0_8_leaves_the_build_working() on [Dockerd] {
        let dir = example_copy("node");
        let tag = "shallot-e2e/sbom:v08";
        let r = build(dir.path(), "shallot.yaml", tag, &["--build-arg", "BUILDKIT_ATTEST_SBOM="]);
        assert!(r.ok, "the build failed:\n{}", r.text);
        assert!(
            r.text.contains("[shallot] warning: the SBOM was not attached"),
            "the progress does not say the SBOM is missing:\n{}",
            r.text
        );
        let body = answer(tag);
        assert!(body.contains("hello from shallot"), "{body}");
    }
);
