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
//! argument a line (default: `check`); `output` (the last section) is stdout then stderr. Any
//! other name is a file of the context, written as it stands unless the header says otherwise:
//! `(escaped)` decodes `\n`, `\t`, `\r`, `\\`, `\xNN` (a byte) and `\u{…}`, and drops the final
//! line break; `(repeat N)` repeats the text N times; `(symlink)` makes a link to the text.
//!
//! `SHALLOT_BLESS=1 cargo test --test bad_input` rewrites the `output` sections with what the
//! binary says now; review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The corpus must not shrink unnoticed: issue 10 asks for at least this many cases.
const AT_LEAST: usize = 150;

/// One section of a case file.
struct Section {
    header: String,
    name: String,
    body: String,
}

/// A context file as a case describes it.
enum Entry {
    File(Vec<u8>),
    Link(String),
}

#[test]
fn every_bad_input_is_answered_at_its_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut cases = Vec::new();
    collect(&root, &mut cases);
    cases.sort();
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

fn collect(dir: &Path, cases: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, cases);
        } else if path.extension().is_some_and(|e| e == "case") {
            cases.push(path);
        }
    }
}

/// Runs one case; `Err` says how its output differs from the expected.
fn run_case(path: &Path, bless: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("unreadable: {e}"))?;
    let sections = sections(&text)?;
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut args = vec!["check".to_string()];
    let mut expected = None;
    for section in &sections {
        match section.name.as_str() {
            "args" => args = section.body.lines().map(str::to_string).collect(),
            "output" => expected = Some(section),
            _ => write_entry(dir.path(), &section.name, entry(section)?),
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_shallot"))
        .args(&args)
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

/// Splits a case file at its `-- NAME --` lines; text before the first is its description.
fn sections(text: &str) -> Result<Vec<Section>, String> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches('\n');
        if let Some(inner) = bare.strip_prefix("-- ").and_then(|l| l.strip_suffix(" --")) {
            let name = inner.split(" (").next().unwrap_or(inner).to_string();
            sections.push(Section {
                header: bare.to_string(),
                name,
                body: String::new(),
            });
        } else if let Some(section) = sections.last_mut() {
            section.body.push_str(line);
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            return Err(format!("a line before the first section: {line:?}"));
        }
    }
    Ok(sections)
}

/// What the section's header says to write.
fn entry(section: &Section) -> Result<Entry, String> {
    let modifiers = section
        .header
        .split_once(" (")
        .map_or("", |(_, m)| m.trim_end_matches(" --").trim_end_matches(')'));
    let mut bytes = section.body.clone().into_bytes();
    for modifier in modifiers.split(", ").filter(|m| !m.is_empty()) {
        if modifier == "escaped" {
            bytes = unescape(section.body.strip_suffix('\n').unwrap_or(&section.body))?;
        } else if modifier == "symlink" {
            return Ok(Entry::Link(section.body.trim_end().to_string()));
        } else if let Some(n) = modifier.strip_prefix("repeat ") {
            let n: usize = n.parse().map_err(|_| format!("bad repeat count {n:?}"))?;
            bytes = bytes.repeat(n);
        } else {
            return Err(format!(
                "unknown modifier {modifier:?} in {}",
                section.header
            ));
        }
    }
    Ok(Entry::File(bytes))
}

fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('r') => out.push(b'\r'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).map_err(|_| format!("bad \\x{hex}"))?);
            }
            Some('u') => {
                let braced: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let code = u32::from_str_radix(braced.trim_start_matches('{'), 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad \\u{braced}}}"))?;
                out.extend_from_slice(code.encode_utf8(&mut [0; 4]).as_bytes());
            }
            other => return Err(format!("unknown escape \\{other:?}")),
        }
    }
    Ok(out)
}

fn write_entry(dir: &Path, name: &str, entry: Entry) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("a directory");
    }
    match entry {
        Entry::File(bytes) => std::fs::write(&path, bytes).expect("a file"),
        Entry::Link(target) => std::os::unix::fs::symlink(target, &path).expect("a link"),
    }
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
