//! Multi-platform builds on the current BuildKit: `--platform linux/amd64,linux/arm64` returns
//! one image per platform, and the program in each is built for its platform, read from the
//! ELF header of the app's binary or of the interpreter (`e_machine`: x86-64 is 62, aarch64
//! 183). go cross-compiles on the build platform; node's, python's and rust's builders run on
//! the target platform (arm64 under qemu), node keeps that platform's native package and cargo
//! builds for the platform it runs on; static takes each platform's binary from the spec's
//! `${TARGETPLATFORM}`, or refuses one binary for two.
//!
//! Each build is exported as an OCI tarball (`-o type=oci`, no attestations) and read here with
//! `tar`: the index, each platform's manifest and config, and files of its layers. The arm64
//! stand-ins come from scripts/stand-ins-to-registry (multi-platform indexes under the amd64
//! stand-ins' names). Outside CI the tests skip when the builder has no linux/arm64.

mod support;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::*;

const PLATFORMS: &str = "linux/amd64,linux/arm64";
/// Each platform's architecture and its executables' `e_machine`.
const MACHINES: [(&str, u16); 2] = [("amd64", 62), ("arm64", 183)];

/// Runs `test` (on the current BuildKit, which [`e2e_tests!`] has made ready) when it can
/// build for linux/arm64 (qemu's binfmt handler); else skips loudly, or fails in CI.
fn with_arm64(test: impl FnOnce()) {
    let inspect = docker(&["buildx", "inspect", BUILDX_BUILDER]);
    if inspect.text.contains("linux/arm64") {
        test();
    } else if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!(
            "the builder `{BUILDX_BUILDER}` cannot build for linux/arm64 in CI:\n{}",
            inspect.text
        );
    } else {
        eprintln!(
            "\n!!! SKIPPING: the builder `{BUILDX_BUILDER}` has no linux/arm64 \
             (qemu-user-static, binfmt_misc) !!!\n"
        );
    }
}

/// One platform's image in an exported OCI layout.
struct Image {
    /// `os/arch` from the index.
    platform: String,
    /// The image config.
    config: Value,
    /// Its layers' blobs, bottom first.
    layers: Vec<PathBuf>,
}

impl Image {
    /// The paths of the image's files and directories (`app/hello`), layer by layer.
    fn files(&self) -> Vec<String> {
        self.layers
            .iter()
            .flat_map(|layer| {
                let out = Command::new("tar")
                    .arg("-tzf")
                    .arg(layer)
                    .output()
                    .unwrap_or_else(|e| panic!("tar: {e}"));
                assert!(out.status.success(), "tar -tzf {}", layer.display());
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The first bytes of the file at `path` (absolute in the image), from the top layer that
    /// has it; read to stdout, so nothing of the image is written to disk.
    fn head(&self, path: &str) -> Vec<u8> {
        let wanted = path.trim_start_matches('/');
        for layer in self.layers.iter().rev() {
            let listing = Command::new("tar")
                .arg("-tzf")
                .arg(layer)
                .output()
                .unwrap_or_else(|e| panic!("tar: {e}"));
            let text = String::from_utf8_lossy(&listing.stdout);
            let Some(member) = text.lines().find(|l| l.trim_start_matches("./") == wanted) else {
                continue;
            };
            let out = Command::new("sh")
                .arg("-c")
                .arg(r#"tar -xzOf "$1" "$2" | head -c 64"#)
                .args(["sh", &layer.display().to_string(), member])
                .output()
                .unwrap_or_else(|e| panic!("tar: {e}"));
            return out.stdout;
        }
        panic!("no {path} in the {} image", self.platform);
    }

    /// `e_machine` of the ELF file at `path`.
    fn machine(&self, path: &str) -> u16 {
        let head = self.head(path);
        assert_eq!(
            head.get(..4),
            Some(b"\x7fELF".as_slice()),
            "{path} in the {} image is not ELF",
            self.platform
        );
        u16::from_le_bytes([head[18], head[19]])
    }
}

/// Reads the OCI tarball `tar` (unpacked into `dir`): the images its index lists, in order.
fn images(tar: &Path, dir: &Path) -> Vec<Image> {
    untar(tar, dir);
    let blob = |digest: &str| {
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let json = |digest: &str| -> Value {
        let text = std::fs::read(blob(digest)).unwrap_or_else(|e| panic!("blob {digest}: {e}"));
        serde_json::from_slice(&text).unwrap_or_else(|e| panic!("blob {digest}: {e}"))
    };
    let top: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    let index = json(
        top["manifests"][0]["digest"]
            .as_str()
            .expect("the image index"),
    );
    let manifests = index["manifests"].as_array().expect("an index of images");
    manifests
        .iter()
        .map(|entry| {
            let manifest = json(entry["digest"].as_str().expect("digest"));
            let platform = format!(
                "{}/{}",
                entry["platform"]["os"].as_str().unwrap_or("?"),
                entry["platform"]["architecture"].as_str().unwrap_or("?")
            );
            Image {
                platform,
                config: json(manifest["config"]["digest"].as_str().expect("config")),
                layers: manifest["layers"]
                    .as_array()
                    .expect("layers")
                    .iter()
                    .map(|l| blob(l["digest"].as_str().expect("layer digest")))
                    .collect(),
            }
        })
        .collect()
}

/// A `--platform linux/amd64,linux/arm64` build of `context` on these stand-ins (pulled from
/// the registry), exported as an OCI tarball into `out`: the images, or the failed build's log.
fn build_platforms(
    context: &Path,
    builder: Option<&str>,
    runtime: &str,
    out: &Path,
) -> Result<(Vec<Image>, String), String> {
    let tar = out.join("image.tar");
    let mut args = vec![
        "buildx".to_string(),
        "--builder".into(),
        BUILDX_BUILDER.into(),
        "build".into(),
        "--progress=plain".into(),
        "--provenance=false".into(),
        "--platform".into(),
        PLATFORMS.into(),
        "-f".into(),
        context.join("shallot.yaml").display().to_string(),
        "--build-arg".into(),
        format!("BUILDKIT_SYNTAX={}", pulled(&frontend())),
        "--build-arg".into(),
        format!("SHALLOT_RUNTIME_IMAGE={}", pulled(runtime)),
        "-o".into(),
        format!("type=oci,dest={}", tar.display()),
    ];
    if let Some(builder) = builder {
        args.push("--build-arg".into());
        args.push(format!("SHALLOT_BUILDER_IMAGE={}", pulled(builder)));
    }
    args.push(context.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let r = docker(&args);
    println!(
        "{PLATFORMS} build of {}: {:.1?}",
        context.display(),
        started.elapsed()
    );
    if !r.ok {
        return Err(r.text);
    }
    let unpacked = out.join("oci");
    std::fs::create_dir_all(&unpacked).expect("mkdir");
    Ok((images(&tar, &unpacked), r.text))
}

/// Fails unless `images` are one linux/amd64 and one linux/arm64 image, in that order, each
/// with its config's architecture and `path` an ELF file for it.
fn one_per_platform(images: &[Image], path: &str) {
    let platforms: Vec<&str> = images.iter().map(|i| i.platform.as_str()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "the index");
    for (image, (arch, machine)) in images.iter().zip(MACHINES) {
        assert_eq!(
            image.config["architecture"], arch,
            "{}'s config",
            image.platform
        );
        assert_eq!(image.config["os"], "linux");
        let found = image.machine(path);
        println!("{}: {path} has ELF machine {found}", image.platform);
        assert_eq!(found, machine, "{path} in the {} image", image.platform);
    }
}

/// Each step whose name contains `needle` in a `--progress=plain` log (`#17 [builder 5/6] RUN
/// …`), with the lines it wrote and how long it took (`#17 DONE 23.9s`), in order.
fn steps<'a>(log: &'a str, needle: &str) -> Vec<(Vec<&'a str>, Option<&'a str>)> {
    let mut numbers: Vec<&str> = Vec::new();
    for line in log.lines() {
        if let Some((number, name)) = line.split_once(' ')
            && number.starts_with('#')
            && name.starts_with('[')
            && name.contains(needle)
            && !numbers.contains(&number)
        {
            numbers.push(number);
        }
    }
    numbers
        .iter()
        .map(|number| {
            let prefix = format!("{number} ");
            let lines: Vec<&str> = log
                .lines()
                .filter_map(|l| l.strip_prefix(prefix.as_str()))
                .collect();
            let done = lines.iter().find_map(|l| l.strip_prefix("DONE "));
            (lines, done)
        })
        .collect()
}

/// A process killed when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Compiles examples/static/server.c statically with `compiler` into `out`.
fn compile(compiler: &str, source: &Path, out: &Path) {
    std::fs::create_dir_all(out.parent().expect("a directory")).expect("mkdir");
    let r = Command::new(compiler)
        .args(["-static", "-Os", "-o"])
        .arg(out)
        .arg(source)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{compiler} cannot run (scripts/stand-in-images-static installs it for arm64): {e}"
            )
        });
    assert!(
        r.status.success(),
        "{compiler} failed:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

e2e_tests!(
    fn go_cross_compiles_one_binary_per_platform() on [Buildx] {
        with_arm64(|| {
            let dir = example_copy("go");
            let out = tempfile::tempdir().expect("tempdir");
            let (images, log) =
                build_platforms(dir.path(), Some(GO_BUILDER), STATIC_RUNTIME, out.path())
                    .unwrap_or_else(|log| panic!("the go build failed:\n{log}"));
            one_per_platform(&images, "/app/hello");
            assert!(log.contains("RUN go build"), "{log}");
        });
    }

    fn node_runs_its_builder_on_each_platform() on [Buildx] {
        with_arm64(|| {
            // The fixture ships a native package per platform; each builder keeps its own
            // platform's (it asks node where it runs), so the arm64 one shows it ran as arm64.
            let dir = fixture_copy("node-native");
            std::fs::write(dir.path().join("run-id.txt"), unique().to_string()).expect("run id");
            let out = tempfile::tempdir().expect("tempdir");
            let (images, log) =
                build_platforms(dir.path(), Some(NODE_BUILDER), NODE_RUNTIME, out.path())
                    .unwrap_or_else(|log| panic!("the node build failed:\n{log}"));
            one_per_platform(&images, "/nodejs/bin/node");
            let packages = [("x64", "arm64"), ("arm64", "x64")];
            for (image, (kept, dropped)) in images.iter().zip(packages) {
                let files = image.files();
                let has = |package: &str| {
                    files.iter().any(|f| {
                        f == &format!("app/node_modules/@fake/swc-linux-{package}-gnu/binding.node")
                    })
                };
                assert!(
                    has(kept),
                    "the {} image lacks swc-linux-{kept}-gnu:\n{log}",
                    image.platform
                );
                assert!(
                    !has(dropped),
                    "the {} image has swc-linux-{dropped}-gnu",
                    image.platform
                );
            }
            let pruned = "removed node_modules/@fake/swc-linux-x64-gnu: \
                          for linux x64 glibc, not linux arm64 glibc";
            assert!(
                log.contains(pruned),
                "the arm64 builder did not prune as arm64:\n{log}"
            );
            // As the Dockerfile frontend names them, each step says its platform.
            for platform in ["linux/amd64", "linux/arm64"] {
                let step = format!("[{platform} builder 3/");
                assert!(log.contains(&step), "no step named {step}…:\n{log}");
            }
        });
    }

    fn python_runs_its_builder_on_each_platform() on [Buildx] {
        with_arm64(|| {
            let dir = example_copy("python");
            let out = tempfile::tempdir().expect("tempdir");
            let (images, log) =
                build_platforms(dir.path(), Some(PYTHON_BUILDER), PYTHON_RUNTIME, out.path())
                    .unwrap_or_else(|log| panic!("the python build failed:\n{log}"));
            // The interpreter the venv's python3 (the entrypoint) runs, and the venv the builder
            // made with the example's package in it.
            one_per_platform(&images, "/usr/bin/python3.11");
            for image in &images {
                assert_eq!(
                    image.config["config"]["Entrypoint"],
                    serde_json::json!(["/app/.venv/bin/python3"]),
                    "{}",
                    image.platform
                );
                let venv = "app/.venv/lib/python3.11/site-packages/greeting";
                assert!(
                    image.files().iter().any(|f| f == venv),
                    "no {venv} in the {} image:\n{log}",
                    image.platform
                );
            }
        });
    }

    fn rust_runs_its_builder_on_each_platform() on [Buildx] {
        with_arm64(|| {
            // No `--target`: cargo builds for the platform its builder runs on, so an arm64
            // binary shows that the arm64 builder (rustc for aarch64, under qemu) built it.
            let dir = example_copy("rust");
            std::fs::write(
                dir.path().join("src/main.rs"),
                std::fs::read_to_string(dir.path().join("src/main.rs")).expect("main.rs")
                    + &format!("\n// run {}\n", unique()),
            )
            .expect("a source change");
            let out = tempfile::tempdir().expect("tempdir");
            let (images, log) =
                build_platforms(dir.path(), Some(RUST_BUILDER), RUST_RUNTIME, out.path())
                    .unwrap_or_else(|log| panic!("the rust build failed:\n{log}"));
            one_per_platform(&images, "/app/server");
            for image in &images {
                assert_eq!(
                    image.config["config"]["Entrypoint"],
                    serde_json::json!(["/app/server"]),
                    "{}",
                    image.platform
                );
            }
            // Both platforms compiled (the source changed), each in its own target cache, so
            // neither waited for the other: the step takes about as long as cargo says it took
            // (progress names carry no platform; the emulated build is the slow one).
            let builds = steps(&log, "cargo build --release");
            assert_eq!(builds.len(), 2, "two cargo builds:\n{log}");
            for (lines, done) in &builds {
                let finished = lines
                    .iter()
                    .find(|l| l.contains("Finished `release` profile"))
                    .unwrap_or_else(|| panic!("a cargo build that did not run:\n{log}"));
                println!(
                    "cargo build step: DONE {}; cargo: {}",
                    done.unwrap_or("?"),
                    finished.trim()
                );
            }
        });
    }

    fn static_takes_each_platforms_binary_from_the_spec() on [Buildx] {
        with_arm64(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let source = repo().join("examples/static/server.c");
            compile("gcc", &source, &dir.path().join("dist/linux/amd64/server"));
            compile(
                "aarch64-linux-gnu-gcc",
                &source,
                &dir.path().join("dist/linux/arm64/server"),
            );
            std::fs::write(
                dir.path().join("shallot.yaml"),
                "runtime: static\nentrypoint: dist/${TARGETPLATFORM}/server\nport: 8080\n",
            )
            .expect("spec");
            let out = tempfile::tempdir().expect("tempdir");
            let (images, _) = build_platforms(dir.path(), None, STATIC_RUNTIME, out.path())
                .unwrap_or_else(|log| panic!("the static build failed:\n{log}"));
            one_per_platform(&images, "/app/server");
            for image in &images {
                assert_eq!(
                    image.config["config"]["Entrypoint"],
                    serde_json::json!(["/app/server"])
                );
            }
            // The arm64 image's server is a working program: run it here under qemu.
            let arm64 = out.path().join("server-arm64");
            let (image, member) = (&images[1], "app/server");
            let status = Command::new("sh")
                .arg("-c")
                .arg(r#"for l in "$@"; do tar -xzOf "$l" "$0" 2>/dev/null && exit 0; done; exit 1"#)
                .arg(member)
                .args(image.layers.iter().rev())
                .stdout(std::fs::File::create(&arm64).expect("create"))
                .status()
                .expect("tar");
            assert!(status.success(), "no {member} in the arm64 image");
            std::fs::set_permissions(&arm64, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            let port = free_port();
            let server = Running(
                Command::new(&arm64)
                    .env("PORT", port.to_string())
                    .spawn()
                    .expect("run the arm64 server"),
            );
            let body = http_get(port);
            drop(server);
            assert!(body.contains("hello from shallot"), "{body}");
        });
    }

    fn static_refuses_one_binary_for_two_platforms() on [Buildx] {
        with_arm64(|| {
            let dir = example_copy("static");
            compile_server(dir.path(), true);
            let out = tempfile::tempdir().expect("tempdir");
            let log = match build_platforms(dir.path(), None, STATIC_RUNTIME, out.path()) {
                Ok(_) => panic!("one x86-64 binary built for linux/arm64 too"),
                Err(log) => log,
            };
            assert!(
                log.contains(
                    "shallot.yaml:4:13: `server` is built for x86-64 (amd64), not for linux/arm64"
                ),
                "{log}"
            );
            assert!(
                log.contains("name each one's binary: `entrypoint: dist/${TARGETARCH}/server`"),
                "{log}"
            );
        });
    }
);
