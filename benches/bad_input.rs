//! `cargo bench --bench bad_input`: how long and how much memory the `shallot` binary (release
//! build) takes to answer each case of the bad-input corpus (`tests/bad-input/`), measured by
//! `/usr/bin/time`. Prints the slowest and the largest cases and fails when one passes the
//! bounds shallot promises: a bad input answered in under 100 ms, in at most 20 MB.
//!
//! The bound is on CPU time (user + system, in `time`'s 10 ms steps), which a busy machine
//! does not inflate; the wall time (the fastest run) is printed beside it, and on an idle
//! machine the two agree.

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
    /// Wall time of the fastest run.
    seconds: f64,
    /// CPU time (user + system) of the most expensive run.
    cpu: f64,
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
    all.sort_by(|a, b| {
        b.cpu
            .total_cmp(&a.cpu)
            .then(b.seconds.total_cmp(&a.seconds))
    });
    println!("bad-input corpus: {} cases, {RUNS} runs each", all.len());
    println!("  (load average: {})", load_average());
    println!("slowest (CPU, then wall):");
    for m in all.iter().take(5) {
        show(m);
    }
    all.sort_by_key(|m| std::cmp::Reverse(m.kb));
    println!("largest:");
    for m in all.iter().take(5) {
        show(m);
    }
    let over: Vec<&Measured> = all
        .iter()
        .filter(|m| m.cpu > MAX_SECONDS || m.kb > MAX_KB)
        .collect();
    for m in &over {
        print!("OVER BOUNDS: ");
        show(m);
    }
    assert!(
        over.is_empty(),
        "{} cases over {MAX_SECONDS} s of CPU or {MAX_KB} KB",
        over.len()
    );
    println!(
        "all within {:.0} ms and {} MB",
        MAX_SECONDS * 1e3,
        MAX_KB / 1024
    );
}

fn show(m: &Measured) {
    println!(
        "  {:6.0} ms CPU  {:7.1} ms wall  {:6} KB  {}",
        m.cpu * 1e3,
        m.seconds * 1e3,
        m.kb,
        m.name
    );
}

/// The machine's load when the run ends, so a reader can weigh the wall times.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Runs the case [`RUNS`] times under `/usr/bin/time`: the fastest wall time, the largest RSS.
fn measure(path: &Path, name: String) -> Measured {
    let text = std::fs::read_to_string(path).expect("a case file");
    let dir = tempfile::tempdir().expect("a temp dir");
    let case = cases::prepare(&text, dir.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut seconds = f64::MAX;
    let mut kb = 0;
    let mut cpu: f64 = 0.0;
    for _ in 0..RUNS {
        // The wall time around the whole run (time's own `%e` counts in 10 ms steps).
        let start = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M %U %S", "--", env!("CARGO_BIN_EXE_shallot")])
            .args(&case.args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .output()
            .expect("/usr/bin/time and the shallot binary");
        seconds = seconds.min(start.elapsed().as_secs_f64());
        // `time` writes its line last, after whatever the binary wrote to stderr.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        let figures: Vec<f64> = last
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [rss, user, system] = figures[..] else {
            panic!("{name}: no figures from /usr/bin/time: {stderr}");
        };
        // Whole kilobytes, as `time` prints them.
        let rss = rss as u64;
        cpu = cpu.max(user + system);
        kb = kb.max(rss);
    }
    Measured {
        name,
        seconds,
        cpu,
        kb,
    }
}
