//! yarn classic's `yarn.lock` (v1): entries keyed by the ranges that resolve to them, with no
//! dev flag, so production is what is reachable from package.json's `dependencies` and
//! `optionalDependencies` (what `yarn install --production` installs), never from
//! `devDependencies`.
//!
//! The format is yarn's own (indented `key value` lines), read here line by line: no crate
//! reads it, and the parse is a few lines of splitting. A yarn berry lockfile (YAML, with
//! `__metadata`) is not read: the SBOM says so and lists the runtime and the app.

use super::{Ecosystem, Found, Package, SbomError};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One resolved package of a yarn.lock.
#[derive(Debug, Default)]
struct Entry {
    name: String,
    version: Option<String>,
    /// `name` → range, from `dependencies` and `optionalDependencies`.
    requires: Vec<(String, String)>,
}

/// Reads a yarn v1 lockfile; `manifest` is package.json's text.
pub fn yarn_lock(file: &str, text: &str, manifest: &str) -> Result<Found, SbomError> {
    if text.lines().any(|l| l.trim_end() == "__metadata:") {
        return Ok(Found {
            notes: vec![format!(
                "{file} is a yarn berry lockfile, which shallot does not read yet: only the runtime and the app are listed"
            )],
            ..Found::default()
        });
    }
    let (entries, by_spec) = parse(file, text)?;
    let manifest: Value = serde_json::from_str(manifest)
        .map_err(|e| SbomError::at("package.json", e.line(), format!("not JSON: {e}")))?;
    let mut pending: Vec<(String, String)> = Vec::new();
    for key in ["dependencies", "optionalDependencies"] {
        if let Some(deps) = manifest.get(key).and_then(Value::as_object) {
            let ranges = deps
                .iter()
                .filter_map(|(n, r)| Some((n.clone(), r.as_str()?.to_string())));
            pending.extend(ranges);
        }
    }
    let mut found = Found::default();
    let mut seen = BTreeSet::new();
    while let Some((name, range)) = pending.pop() {
        let spec = format!("{name}@{range}");
        let Some(&index) = by_spec.get(&spec) else {
            found
                .notes
                .push(format!("{file} has no entry for `{spec}`: left out"));
            continue;
        };
        if !seen.insert(index) {
            continue;
        }
        let Some(entry) = entries.get(index) else {
            continue;
        };
        pending.extend(entry.requires.iter().cloned());
        let mut package = Package::new(Ecosystem::Npm, &entry.name, entry.version.as_deref());
        let local = range.strip_prefix("file:").or(range.strip_prefix("link:"));
        package.note = local.map(|path| format!("local package at {path}"));
        found.packages.push(package);
    }
    Ok(found)
}

/// The entries, and each spec (`name@range`) → its entry's index.
fn parse(file: &str, text: &str) -> Result<(Vec<Entry>, BTreeMap<String, usize>), SbomError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_spec = BTreeMap::new();
    // The section of the current entry the lines belong to (`dependencies:`).
    let mut section: Option<String> = None;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let bad = |why: &str| SbomError::at(file, number + 1, why.to_string());
        match indent {
            0 => {
                let header = trimmed
                    .strip_suffix(':')
                    .ok_or_else(|| bad("expected `<name>@<range>:` to start an entry"))?;
                let mut entry = Entry::default();
                for spec in header.split(", ").map(unquote) {
                    let name = spec_name(spec).ok_or_else(|| bad("a key without `@<range>`"))?;
                    entry.name = name.to_string();
                    by_spec.insert(spec.to_string(), entries.len());
                }
                entries.push(entry);
                section = None;
            }
            2 => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| bad("a field before any entry"))?;
                section = trimmed.strip_suffix(':').map(str::to_string);
                if let Some(version) = trimmed.strip_prefix("version ") {
                    entry.version = Some(unquote(version).to_string());
                }
            }
            _ => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| bad("a field before any entry"))?;
                let requires = matches!(
                    section.as_deref(),
                    Some("dependencies" | "optionalDependencies")
                );
                if requires {
                    let (name, range) = trimmed
                        .split_once(' ')
                        .ok_or_else(|| bad("expected `<name> <range>`"))?;
                    entry
                        .requires
                        .push((unquote(name).to_string(), unquote(range).to_string()));
                }
            }
        }
    }
    Ok((entries, by_spec))
}

/// `text` without the double quotes around it.
fn unquote(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

/// The name of a `name@range` spec (`@scope/name@^1` → `@scope/name`).
fn spec_name(spec: &str) -> Option<&str> {
    let at = spec.get(1..)?.find('@')? + 1;
    spec.get(..at).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz"
  dependencies:
    "@babel/highlight" "^7.12.13"

"@babel/highlight@^7.12.13":
  version "7.13.10"

express@^4.17.1:
  version "4.17.1"
  dependencies:
    "@babel/code-frame" "^7.10.4"
  optionalDependencies:
    fsevents "~2.3.1"

fsevents@~2.3.1:
  version "2.3.2"

jest@^26:
  version "26.6.3"
  dependencies:
    "@babel/code-frame" "^7.0.0"
"#;

    #[test]
    fn reachable_from_the_production_dependencies_only() {
        let manifest =
            r#"{"dependencies": {"express": "^4.17.1"}, "devDependencies": {"jest": "^26"}}"#;
        let found = yarn_lock("yarn.lock", LOCK, manifest).unwrap_or_default();
        assert_eq!(
            found.names(),
            [
                "@babel/code-frame@7.12.13",
                "@babel/highlight@7.13.10",
                "express@4.17.1",
                "fsevents@2.3.2"
            ]
        );
    }

    #[test]
    fn a_broken_line_is_an_error_at_its_line() {
        let e = yarn_lock(
            "yarn.lock",
            "express@^4:\n  version \"4\"\nnot a key\n",
            "{}",
        );
        assert_eq!(
            e.map(|_| ()).unwrap_err().to_string(),
            "yarn.lock:3: expected `<name>@<range>:` to start an entry"
        );
    }
}
