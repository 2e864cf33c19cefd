//! The multi-platform frontend image, as `scripts/frontend-image --platform
//! linux/amd64,linux/arm64 REF` pushes it: an OCI index with both platforms, each platform's
//! image one static binary of that platform's ELF machine within the 5 MB budget; and the arm64
//! image, run under qemu-user (binfmt_misc) on this amd64 host, as the frontend of a real build
//! on each daemon, whose image answers.
//!
//! BuildKit picks the frontend image of its own platform out of an index, so the arm64 image is
//! named by the digest of its manifest (`REF@sha256:…`): a manifest named directly is run
//! whatever its platform, by the current BuildKit and by dockerd's v0.8 alike, both pulling it
//! from the registry. (dockerd does not run a local arm64 image: v0.8 finds its platform wrong
//! and asks the registry of its name instead.) That the arm64 binary ran is seen twice: the
//! image holds no other program, and during the build a process of the daemon runs
//! `/shallot-frontend` with qemu-aarch64 as its executable.
//!
//! The first run on a machine cross-compiles the arm64 frontend (a few minutes); later runs
//! reuse `target/static`, as the amd64 build does.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use shallot::formats::elf::{EM_X86_64, Elf, Linking};
use support::*;

/// `e_machine` of AArch64.
const EM_AARCH64: u16 = 183;
/// The budget for the frontend image, per platform.
const MAX_BYTES: u64 = 5_000_000;
const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// One platform's image in the index, as the registry serves it.
struct PlatformImage {
    /// The manifest's digest (`sha256:…`).
    digest: String,
    manifest: serde_json::Value,
    config: serde_json::Value,
    /// `/shallot-frontend` out of the image's one layer.
    binary: Vec<u8>,
}

/// The pushed multi-platform image: its repository in the registry and its images by
/// architecture.
struct MultiArch {
    /// `name` in `127.0.0.1:5000/name:tag`.
    name: String,
    tag: String,
    index: serde_json::Value,
    images: BTreeMap<String, PlatformImage>,
}

impl MultiArch {
    /// The reference of the `arch` image alone: `127.0.0.1:5000/name:tag@sha256:…`.
    fn by_digest(&self, arch: &str) -> String {
        let image = self
            .images
            .get(arch)
            .unwrap_or_else(|| panic!("no {arch} image in {}", self.index));
        format!("{REGISTRY}/{}:{}@{}", self.name, self.tag, image.digest)
    }
}

/// Builds and pushes the multi-platform image once per test binary, after the harness for
/// both daemons (the registry and the buildx builder come with the current BuildKit); `None`
/// when that is skipped.
fn multiarch() -> Option<&'static MultiArch> {
    static BUILT: OnceLock<MultiArch> = OnceLock::new();
    if !ready_on(Daemon::Buildx) {
        return None;
    }
    Some(BUILT.get_or_init(build_multiarch))
}

fn build_multiarch() -> MultiArch {
    // Beside the frontend under test (so that checkouts testing side by side keep apart):
    // shallot:dev gives 127.0.0.1:5000/shallot:dev-multiarch.
    let frontend = frontend();
    let (name, tag) = match frontend.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name.to_string(), format!("{tag}-multiarch")),
        _ => (frontend.clone(), "multiarch".to_string()),
    };
    let reference = format!("{REGISTRY}/{name}:{tag}");
    let out = Command::new("bash")
        .arg(repo().join("scripts/frontend-image"))
        .args(["--platform", "linux/amd64,linux/arm64", &reference])
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("scripts/frontend-image: {e}"));
    assert!(
        out.status.success(),
        "scripts/frontend-image --platform linux/amd64,linux/arm64 {reference} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let index = json(&registry_get(&format!("{name}/manifests/{tag}")));
    assert_eq!(
        index["mediaType"], INDEX_TYPE,
        "{reference} is no index: {index}"
    );
    let mut images = BTreeMap::new();
    for entry in index["manifests"].as_array().into_iter().flatten() {
        let arch = entry["platform"]["architecture"]
            .as_str()
            .unwrap_or_default();
        let digest = entry["digest"].as_str().unwrap_or_default().to_string();
        let manifest = json(&registry_get(&format!("{name}/manifests/{digest}")));
        let config_digest = manifest["config"]["digest"].as_str().unwrap_or_default();
        let config = json(&registry_get(&format!("{name}/blobs/{config_digest}")));
        let layer = manifest["layers"][0]["digest"].as_str().unwrap_or_default();
        let binary = layer_file(&name, layer, "shallot-frontend");
        let image = PlatformImage {
            digest,
            manifest,
            config,
            binary,
        };
        images.insert(arch.to_string(), image);
    }
    MultiArch {
        name,
        tag,
        index,
        images,
    }
}

/// `GET http://127.0.0.1:5000/v2/<path>`, accepting an index or a manifest.
fn registry_get(path: &str) -> Vec<u8> {
    let url = format!("http://{REGISTRY}/v2/{path}");
    let out = Command::new("curl")
        .args(["-fsS", "-m", "60", "-H"])
        .arg(format!("Accept: {INDEX_TYPE}, {MANIFEST_TYPE}"))
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    assert!(
        out.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// The file `path` out of the gzipped tar layer `digest` of repository `name`.
fn layer_file(name: &str, digest: &str, path: &str) -> Vec<u8> {
    let url = format!("http://{REGISTRY}/v2/{name}/blobs/{digest}");
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c"])
        .arg(format!("curl -fsS -m 60 {url} | tar -xzOf - {path}"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash: {e}"));
    assert!(
        out.status.success(),
        "{path} out of {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The `(NEEDED)` entries of the ELF file's dynamic section, as readelf lists them.
fn needed(binary: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let file = dir.path().join("shallot-frontend");
    std::fs::write(&file, binary).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let out = Command::new("readelf")
        .arg("-dW")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run readelf: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .map(str::to_string)
        .collect()
}

#[test]
fn index_holds_amd64_and_arm64_each_a_small_static_binary_of_its_machine() {
    on(Daemon::Buildx, || {
        let Some(multi) = multiarch() else { return };
        let platforms: BTreeSet<String> = multi.index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let field = |key: &str| m["platform"][key].as_str().unwrap_or("?").to_string();
                format!("{}/{}", field("os"), field("architecture"))
            })
            .collect();
        assert_eq!(
            platforms,
            BTreeSet::from(["linux/amd64".to_string(), "linux/arm64".to_string()]),
            "the index lists other platforms: {}",
            multi.index
        );
        for (arch, machine) in [("amd64", EM_X86_64), ("arm64", EM_AARCH64)] {
            let image = &multi.images[arch];
            assert_eq!(image.config["architecture"], arch, "{}", image.config);
            assert_eq!(image.config["os"], "linux");
            let config = &image.config["config"];
            assert_eq!(config["Entrypoint"][0], "/shallot-frontend", "{config}");
            let caps = config["Labels"]["moby.buildkit.frontend.caps"].as_str();
            assert!(
                caps.is_some_and(|c| c.contains("moby.buildkit.frontend.inputs")),
                "{config}"
            );

            // FROM scratch: one layer, one file.
            let layers = image.manifest["layers"].as_array().map(Vec::len);
            assert_eq!(layers, Some(1), "{arch}: {}", image.manifest);
            let compressed = image.manifest["layers"][0]["size"].as_u64().unwrap_or(0);
            assert!(
                compressed <= MAX_BYTES,
                "{arch} layer is {compressed} bytes"
            );
            let size = image.binary.len() as u64;
            assert!(size <= MAX_BYTES, "{arch} binary is {size} bytes");

            let elf = Elf::parse(&image.binary).unwrap_or_else(|e| panic!("{arch} binary {e}"));
            assert!(elf.is_64, "{arch} binary is not 64-bit");
            assert_eq!(elf.machine, machine, "{arch} binary's ELF machine");
            assert_eq!(elf.linking, Linking::Static, "{arch} binary has PT_INTERP");
            assert_eq!(needed(&image.binary), Vec::<String>::new(), "{arch}");
            eprintln!(
                "{arch}: binary {size} bytes, layer {compressed} bytes compressed, {}",
                image.digest
            );
        }
    });
}

e2e_tests! {
    /// The arm64 frontend, under qemu-user, plans the node example on this amd64 daemon: the
    /// build loads that image, the daemon runs its binary through qemu-aarch64, and the image
    /// it makes is the daemon's platform's (the worker's, not the emulated frontend's own) and
    /// answers.
    fn arm64_frontend_under_qemu_builds_the_node_example() on [Dockerd, Buildx] {
        let Some(multi) = multiarch() else { return };
        let frontend = multi.by_digest("arm64");
        let digest = &multi.images["arm64"].digest;
        let tag = format!("shallot-e2e/frontend-arm64:node-{}", daemon().name());
        let context = repo().join("examples").join("node");

        let watch = QemuWatch::start(match daemon() {
            Daemon::Dockerd => "dockerd",
            Daemon::Buildx => "buildkitd",
        });
        let run = build_through(&frontend, &context, "shallot.yaml", &tag, Some(NODE_BUILDER), NODE_RUNTIME, &[]);
        let seen = watch.stop();
        assert!(run.ok, "build through {frontend} failed:\n{}", run.text);
        assert!(
            run.text.contains(digest.as_str()),
            "the build did not load the arm64 frontend {digest}:\n{}",
            run.text
        );
        assert!(
            !seen.is_empty(),
            "no qemu-aarch64 process ran /shallot-frontend under {} during the build:\n{}",
            daemon().name(),
            run.text
        );
        eprintln!("{}: {}", daemon().name(), seen.iter().cloned().collect::<Vec<_>>().join("; "));

        let config = docker_ok(&["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", &tag]);
        assert_eq!(config.trim(), "linux/amd64", "the image is not the daemon's platform");
        let body = answer(&tag);
        assert!(body.contains("hello from shallot"), "{body}");
    }
}

/// Watches `/proc`, from `start` to `stop`, for the arm64 frontend: a process whose executable
/// is qemu-aarch64 (binfmt_misc runs the interpreter, which keeps the binary's path in its
/// arguments) running `/shallot-frontend`, below a process named `daemon` (`dockerd`,
/// `buildkitd`), so that a frontend of the other daemon's build does not count.
struct QemuWatch {
    stop: std::sync::Arc<AtomicBool>,
    thread: std::thread::JoinHandle<BTreeSet<String>>,
}

impl QemuWatch {
    fn start(daemon: &'static str) -> QemuWatch {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = BTreeSet::new();
            while !stopped.load(Ordering::Relaxed) {
                seen.extend(qemu_frontends(daemon));
                std::thread::sleep(Duration::from_millis(5));
            }
            seen
        });
        QemuWatch { stop, thread }
    }

    /// What was seen, one line per process.
    fn stop(self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .unwrap_or_else(|_| panic!("the /proc watcher panicked"))
    }
}

/// The processes running `/shallot-frontend` through qemu-aarch64 below `daemon` now.
fn qemu_frontends(daemon: &str) -> Vec<String> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
            if !exe.file_name()?.to_str()?.starts_with("qemu-aarch64") {
                return None;
            }
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if !args.iter().any(|a| a == "/shallot-frontend") {
                return None;
            }
            let ancestors = ancestors(pid);
            ancestors.iter().any(|c| c == daemon).then(|| {
                format!(
                    "pid {pid} {} `{}` below {}",
                    exe.display(),
                    args.join(" "),
                    ancestors.join(" < ")
                )
            })
        })
        .collect()
}

/// The names (`comm`) of the parent, grandparent, … of `pid`.
fn ancestors(mut pid: u32) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..32 {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            break;
        };
        let parent = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .and_then(|v| v.trim().parse::<u32>().ok());
        let Some(parent) = parent.filter(|p| *p != 0) else {
            break;
        };
        let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).unwrap_or_default();
        names.push(comm.trim().to_string());
        pid = parent;
    }
    names
}
