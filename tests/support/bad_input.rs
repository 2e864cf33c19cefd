//! Reading the bad-input corpus (`tests/bad-input/`, see tests/bad_input.rs for the format):
//! shared by the test, which checks each case's output, and the benchmark, which times them.
#![allow(dead_code)] // each user takes part of it

use std::path::{Path, PathBuf};

/// One section of a case file.
pub struct Section {
    /// The `-- … --` line.
    pub header: String,
    /// The name in it, without modifiers.
    pub name: String,
    /// The lines under it.
    pub body: String,
}

/// A context file as a case describes it.
pub enum Entry {
    /// A file with these bytes.
    File(Vec<u8>),
    /// A symbolic link to this path.
    Link(String),
}

/// Every case file under `dir`, sorted.
pub fn all(dir: &Path) -> Vec<PathBuf> {
    let mut cases = Vec::new();
    collect(dir, &mut cases);
    cases.sort();
    cases
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

/// A case made ready to run: its context written to `dir`, its command line and its sections.
pub struct Prepared {
    /// The command line (default `check`).
    pub args: Vec<String>,
    /// Every section, the `output` one included.
    pub sections: Vec<Section>,
}

/// Writes the case's context files into `dir`.
pub fn prepare(text: &str, dir: &Path) -> Result<Prepared, String> {
    let sections = sections(text)?;
    let mut args = vec!["check".to_string()];
    for section in &sections {
        match section.name.as_str() {
            "args" => args = arguments(section)?,
            "output" => {}
            _ => write_entry(dir, &section.name, entry(section)?),
        }
    }
    Ok(Prepared { args, sections })
}

/// Splits a case file at its `-- NAME --` lines; text before the first is its description.
pub fn sections(text: &str) -> Result<Vec<Section>, String> {
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

/// The command line of an `args` section, each line decoded when the header says `(escaped)`.
fn arguments(section: &Section) -> Result<Vec<String>, String> {
    let escaped = section.header.contains("(escaped)");
    section
        .body
        .lines()
        .map(|line| match escaped {
            true => unescape(line).map(|b| String::from_utf8_lossy(&b).into_owned()),
            false => Ok(line.to_string()),
        })
        .collect()
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
