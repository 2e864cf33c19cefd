//! The LLB bytes `shallot llb` writes for every example and target, pinned by sha256.
//!
//! The golden file was written before the pipeline was reshaped (issue 7), so a refactor that
//! changes a single byte of any example's graph fails here. A deliberate change (a bug fix, a
//! new default) regenerates it with `SHALLOT_BLESS=1 cargo test --test llb_bytes` and says why
//! in its commit.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const GOLDEN: &str = "tests/golden/llb-sha256.txt";
const TARGETS: [&str; 3] = ["runtime", "debug", "builder"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `shallot llb ARGS` run from the repository root; its bytes, or its error text.
fn llb(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_shallot"))
        .arg("llb")
        .args(args)
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run shallot: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The static example's context with its binary built, as the example's README says.
fn static_context() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let status = Command::new("cc")
        .args(["-static", "-Os", "-o"])
        .arg(dir.path().join("server"))
        .arg(root().join("examples/static/server.c"))
        .status()
        .expect("cc runs (the static example needs a C compiler)");
    assert!(status.success(), "cc -static failed");
    dir
}

/// One line per case: `<example> <target> [extra args] <sha256 of the bytes | error>`.
fn current() -> String {
    let static_dir = static_context();
    let mut examples: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .filter_map(|e| Some(e.ok()?.file_name().to_str()?.to_string()))
        .collect();
    examples.sort();
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for example in &examples {
        let spec = format!("examples/{example}/shallot.yaml");
        if !Path::new(&root().join(&spec)).is_file() {
            continue;
        }
        for target in TARGETS {
            let mut args = vec!["--target".to_string(), target.to_string(), spec.clone()];
            if example == "static" {
                args.push("--context".to_string());
                args.push(static_dir.path().display().to_string());
            }
            cases.push((format!("{example} {target}"), args));
        }
    }
    cases.push((
        "node runtime --build-arg".to_string(),
        [
            "--build-arg",
            "SHALLOT_RUNTIME_IMAGE=mirror.example/node:24",
            "--build-arg",
            "VERSION=1.2",
            "examples/node/shallot.yaml",
        ]
        .map(str::to_string)
        .to_vec(),
    ));
    let mut text = String::new();
    for (name, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = match llb(&args) {
            Ok(bytes) => format!("{:x}", Sha256::digest(&bytes)),
            // The temp dir's name must not reach the golden file.
            Err(e) => format!(
                "error: {}",
                e.replace(&static_dir.path().display().to_string(), "<ctx>")
            ),
        };
        let _ = writeln!(text, "{name} {result}");
    }
    text
}

#[test]
fn every_example_writes_the_pinned_bytes() {
    let now = current();
    let golden_path = root().join(GOLDEN);
    if std::env::var_os("SHALLOT_BLESS").is_some() {
        std::fs::write(&golden_path, &now).expect("golden file written");
        return;
    }
    let golden = std::fs::read_to_string(&golden_path).expect("tests/golden/llb-sha256.txt");
    assert_eq!(
        now, golden,
        "the LLB bytes changed; if that is intended, bless with SHALLOT_BLESS=1 and say why"
    );
}
