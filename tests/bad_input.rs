//! The bad-input corpus: every case under `tests/bad-input/` is a small build context (a spec
//! and the app files a recipe reads) run through the `shallot` binary, whose whole output and
//! exit code must equal what the case expects, byte for byte. So each message a user can meet
//! is pinned with its file, line and column, and a change to any of them shows in review.
//!
//! A case file reads:
//!
//! ```text
//! # What is wrong, in a line or two.
//! -- shallot.yaml --
//! runtime: node
//! -- package.json --
//! {"engines": {"node": ">=99999999999999999999"}}
//! -- output (exit 1) --
//! package.json:1:…: …
//! ```
//!
//! Sections start with `-- NAME --` and hold whole lines. `args` lists the command line, one
//! argument a line (default: `check`; `(escaped)` decodes each line); `output` (the last section) is stdout then stderr. Any
//! other name is a file of the context, written as it stands unless the header says otherwise:
//! `(escaped)` decodes `\n`, `\t`, `\r`, `\\`, `\xNN` (a byte) and `\u{…}`, and drops the final
//! line break; `(repeat N)` repeats the text N times; `(symlink)` makes a link to the text.
//!
//! `SHALLOT_BLESS=1 cargo test --test bad_input` rewrites the `output` sections with what the
//! binary says now; review the diff.

#[path = "support/bad_input.rs"]
mod cases;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The corpus must not shrink unnoticed: issue 10 asks for at least this many cases.
const AT_LEAST: usize = 150;

#[test]
fn every_bad_input_is_answered_at_its_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let cases = cases::all(&root);
    let bless = std::env::var_os("SHALLOT_BLESS").is_some();
    let mut failures = String::new();
    for case in &cases {
        if let Err(why) = run_case(case, bless) {
            let shown = case.strip_prefix(&root).unwrap_or(case);
            let _ = writeln!(failures, "--- {}\n{why}", shown.display());
        }
    }
    assert!(failures.is_empty(), "cases that differ:\n{failures}");
    assert!(
        cases.len() >= AT_LEAST,
        "{} cases under {}; the corpus holds at least {AT_LEAST}",
        cases.len(),
        root.display()
    );
}

/// Runs one case; `Err` says how its output differs from the expected.
fn run_case(path: &Path, bless: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("unreadable: {e}"))?;
    let dir = tempfile::tempdir().expect("a temp dir");
    let case = cases::prepare(&text, dir.path())?;
    let expected = case.sections.iter().find(|s| s.name == "output");
    let out = Command::new(env!("CARGO_BIN_EXE_shallot"))
        .args(&case.args)
        .current_dir(dir.path())
        .output()
        .expect("shallot runs");
    let code = out
        .status
        .code()
        .map_or("signal".to_string(), |c| c.to_string());
    let actual_header = format!("-- output (exit {code}) --");
    let mut actual = String::from_utf8_lossy(&out.stdout).into_owned();
    actual.push_str(&String::from_utf8_lossy(&out.stderr));
    if bless {
        bless_case(path, &text, &actual_header, &actual);
        return Ok(());
    }
    let expected = expected.ok_or("no `-- output (exit N) --` section")?;
    if expected.header != actual_header || expected.body != actual {
        return Err(format!(
            "expected:\n{}\n{}actual:\n{actual_header}\n{actual}",
            expected.header, expected.body
        ));
    }
    Ok(())
}

/// Rewrites the case's `output` section (always the last) with what the binary printed.
fn bless_case(path: &Path, text: &str, header: &str, output: &str) {
    let kept = match text.find("\n-- output") {
        Some(at) => &text[..=at],
        None => text,
    };
    let mut new = kept.to_string();
    if !new.ends_with('\n') {
        new.push('\n');
    }
    let _ = writeln!(new, "{header}");
    new.push_str(output);
    if new != text {
        std::fs::write(path, new).expect("the case rewritten");
    }
}
