//! `cargo bench --bench bad_input`: how long and how much memory the `shallot` binary (release
//! build) takes to answer each case of the bad-input corpus (`tests/bad-input/`), measured by
//! `/usr/bin/time`. Prints the slowest and the largest cases and fails when one passes the
//! bounds shallot promises: a bad input answered in under 100 ms, in at most 20 MB.

#[path = "../tests/support/bad_input.rs"]
mod cases;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The answer to a bad input comes within this many seconds…
const MAX_SECONDS: f64 = 0.100;
/// … and in at most this many kilobytes of peak memory.
const MAX_KB: u64 = 20 * 1024;
/// Each case runs this many times; the figures are the fastest run's time and the largest RSS.
const RUNS: usize = 5;

/// One case's figures.
struct Measured {
    name: String,
    seconds: f64,
    kb: u64,
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut all: Vec<Measured> = cases::all(&root)
        .iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap_or(path)
                .display()
                .to_string();
            measure(path, name)
        })
        .collect();
    all.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    println!("bad-input corpus: {} cases, {RUNS} runs each", all.len());
    println!("slowest:");
    for m in all.iter().take(5) {
        println!("  {:7.1} ms  {:6} KB  {}", m.seconds * 1e3, m.kb, m.name);
    }
    all.sort_by_key(|m| std::cmp::Reverse(m.kb));
    println!("largest:");
    for m in all.iter().take(5) {
        println!("  {:7.1} ms  {:6} KB  {}", m.seconds * 1e3, m.kb, m.name);
    }
    let over: Vec<&Measured> = all
        .iter()
        .filter(|m| m.seconds > MAX_SECONDS || m.kb > MAX_KB)
        .collect();
    for m in &over {
        println!(
            "OVER BOUNDS: {} ({:.1} ms, {} KB)",
            m.name,
            m.seconds * 1e3,
            m.kb
        );
    }
    assert!(
        over.is_empty(),
        "{} cases over {MAX_SECONDS} s or {MAX_KB} KB",
        over.len()
    );
    println!(
        "all within {:.0} ms and {} MB",
        MAX_SECONDS * 1e3,
        MAX_KB / 1024
    );
}

/// Runs the case [`RUNS`] times under `/usr/bin/time`: the fastest wall time, the largest RSS.
fn measure(path: &Path, name: String) -> Measured {
    let text = std::fs::read_to_string(path).expect("a case file");
    let dir = tempfile::tempdir().expect("a temp dir");
    let case = cases::prepare(&text, dir.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut seconds = f64::MAX;
    let mut kb = 0;
    for _ in 0..RUNS {
        // The wall time around the whole run (time's own `%e` counts in 10 ms steps).
        let start = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M", "--", env!("CARGO_BIN_EXE_shallot")])
            .args(&case.args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .output()
            .expect("/usr/bin/time and the shallot binary");
        seconds = seconds.min(start.elapsed().as_secs_f64());
        // `time` writes its line last, after whatever the binary wrote to stderr.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        let rss: u64 = last
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: no peak RSS from /usr/bin/time: {stderr}"));
        kb = kb.max(rss);
    }
    Measured { name, seconds, kb }
}
