//! npm's `package-lock.json` (and `npm-shrinkwrap.json`), lockfile versions 2 and 3: the
//! `packages` map, one entry per installed path; version 1 (npm 5 and 6): the nested
//! `dependencies` tree.
//!
//! Production means what `npm ci --omit=dev` installs. An entry marked `dev` is left out;
//! one marked `devOptional` stays: npm sets it on a package that a dev dependency needs *and*
//! an optional dependency of a production package needs, and `--omit=dev` drops only what
//! is dev alone (a `devOptional` node goes only when both dev and optional are omitted). An
//! optional package for another OS or CPU (`@esbuild/darwin-arm64`) is skipped as npm skips
//! it. A link (`file:` and workspace packages) counts with its target's entry.
//!
//! A package whose `os`, `cpu` or `libc` rules out the image's platform is left out, optional
//! or not: npm skips the optional ones, and shallot's builder removes the rest before the
//! runtime image takes `node_modules` (`runtimes::node::lean`; the runtime is distroless, so
//! glibc).

use super::{Ecosystem, Found, Package, SbomError};
use crate::plan::Platform;
use serde_json::{Map, Value};

/// Reads a v2 or v3 package-lock.
pub fn package_lock(file: &str, text: &str, platform: &Platform) -> Result<Found, SbomError> {
    let lock: Value = serde_json::from_str(text)
        .map_err(|e| SbomError::at(file, e.line(), format!("not JSON: {e}")))?;
    let Some(packages) = lock.get("packages").and_then(Value::as_object) else {
        let version = lock.get("lockfileVersion").and_then(Value::as_i64);
        if let Some(tree) = lock.get("dependencies").and_then(Value::as_object) {
            return Ok(version_1(tree));
        }
        return Err(SbomError::at(
            file,
            0,
            format!(
                "lockfile version {} has no `packages` (npm 7 or newer writes them: run `npm install` once to update it)",
                version.map_or_else(|| "unknown".to_string(), |v| v.to_string())
            ),
        ));
    };
    let mut found = Found {
        app: packages.get("").and_then(|root| described(root, None)),
        ..Found::default()
    };
    for (path, entry) in packages {
        let Some(installed_as) = installed_name(path) else {
            continue;
        };
        let target = match entry.get("resolved").and_then(Value::as_str) {
            Some(resolved) if flag(entry, "link") => packages.get(resolved).unwrap_or(entry),
            _ => entry,
        };
        if flag(entry, "dev") || flag(target, "dev") {
            continue;
        }
        if !for_platform(target, platform) {
            found.notes.push(format!(
                "{installed_as} is not for {platform} (its os, cpu or libc), so not in the image"
            ));
            continue;
        }
        let Some(mut package) = described(target, Some(installed_as)) else {
            continue;
        };
        if flag(entry, "link") {
            let at = entry.get("resolved").and_then(Value::as_str).unwrap_or("");
            package.note = Some(format!("local package at {at}"));
        }
        found.packages.push(package);
    }
    Ok(found)
}

/// A v1 lockfile (npm 5 and 6), which has only the nested `dependencies` tree: every entry
/// not marked `dev`, at any depth. It records no licences and no OS or CPU (the app is left
/// to package.json, which has its licence).
fn version_1(tree: &Map<String, Value>) -> Found {
    let mut found = Found::default();
    let mut pending: Vec<&Map<String, Value>> = vec![tree];
    while let Some(level) = pending.pop() {
        for (name, entry) in level {
            if flag(entry, "dev") {
                continue;
            }
            let version = entry.get("version").and_then(Value::as_str);
            let local = version.and_then(|v| v.strip_prefix("file:"));
            let package = match local {
                Some(path) => Package::new(Ecosystem::Npm, name, None)
                    .noted(format!("local package at {path}")),
                None => Package::new(Ecosystem::Npm, name, version),
            };
            found.packages.push(package);
            pending.extend(entry.get("dependencies").and_then(Value::as_object));
        }
    }
    found
}

/// The package name a `packages` key installs (`node_modules/a/node_modules/@s/b` → `@s/b`);
/// `None` for the root and for workspace folders (their links name them).
fn installed_name(path: &str) -> Option<&str> {
    let (_, name) = path.rsplit_once("node_modules/")?;
    (!name.is_empty()).then_some(name)
}

/// Whether `entry` has the boolean `key` set.
fn flag(entry: &Value, key: &str) -> bool {
    entry.get(key).and_then(Value::as_bool) == Some(true)
}

/// Whether an entry's `os`, `cpu` and `libc` lists (as npm names them) allow `platform` with
/// glibc, the C library of every distroless image.
pub(super) fn for_platform(entry: &Value, platform: &Platform) -> bool {
    let cpu = match platform.architecture.as_str() {
        "amd64" => "x64",
        "386" => "ia32",
        other => other,
    };
    allows(entry.get("os"), &platform.os)
        && allows(entry.get("cpu"), cpu)
        && allows(entry.get("libc"), "glibc")
}

/// npm's reading of an `os`/`cpu`/`libc` list (or single string): absent or `any` allows
/// all, `!x` excludes x, and a list of plain names allows only those.
fn allows(list: Option<&Value>, value: &str) -> bool {
    let names: Vec<&str> = match list {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    if names == ["any"] {
        return true;
    }
    if names.iter().any(|n| n.strip_prefix('!') == Some(value)) {
        return false;
    }
    let positive: Vec<&&str> = names.iter().filter(|n| !n.starts_with('!')).collect();
    positive.is_empty() || positive.iter().any(|n| **n == value)
}

/// A package from an entry's `name` (else `fallback`), `version` and `license`.
fn described(entry: &Value, fallback: Option<&str>) -> Option<Package> {
    let name = entry.get("name").and_then(Value::as_str).or(fallback)?;
    let version = entry.get("version").and_then(Value::as_str);
    let mut package = Package::new(Ecosystem::Npm, name, version);
    package.license = license(entry);
    Some(package)
}

/// The `license` of a package.json or lock entry: a string, or the old `{type}` object.
fn license(entry: &Value) -> Option<String> {
    match entry.get("license")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The app as its package.json describes it.
pub fn describe(text: &str) -> Option<Package> {
    let manifest: Map<String, Value> = serde_json::from_str(text).ok()?;
    described(&Value::Object(manifest), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
  "name": "app", "version": "2.0.0", "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "version": "2.0.0", "license": "MIT",
         "dependencies": {"express": "^4"}, "devDependencies": {"jest": "^29"}},
    "node_modules/express": {"version": "4.19.2", "license": "MIT"},
    "node_modules/express/node_modules/debug": {"version": "2.6.9", "license": "MIT"},
    "node_modules/debug": {"version": "4.3.4", "license": "MIT"},
    "node_modules/jest": {"version": "29.7.0", "dev": true, "license": "MIT"},
    "node_modules/fsevents": {"version": "2.3.3", "optional": true, "os": ["darwin"]},
    "node_modules/@esbuild/linux-x64": {"version": "0.20.0", "optional": true, "os": ["linux"], "cpu": ["x64"]},
    "node_modules/@next/swc-linux-x64-musl": {"version": "14.0.0", "os": ["linux"], "cpu": ["x64"], "libc": ["musl"]},
    "node_modules/both": {"version": "1.0.0", "devOptional": true, "license": "ISC"},
    "node_modules/@scope/lib": {"resolved": "libs/lib", "link": true},
    "libs/lib": {"name": "@scope/lib", "version": "0.1.0", "license": "Apache-2.0"},
    "node_modules/tool": {"resolved": "tools/tool", "link": true},
    "tools/tool": {"version": "1.0.0", "dev": true}
  }
}"#;

    #[test]
    fn production_packages_of_a_lockfile() {
        let amd64 = Platform::new("linux", "amd64", "");
        let found = package_lock("package-lock.json", LOCK, &amd64).unwrap_or_default();
        assert_eq!(
            found.names(),
            [
                "@esbuild/linux-x64@0.20.0",
                "@scope/lib@0.1.0",
                "both@1.0.0",
                "debug@2.6.9",
                "debug@4.3.4",
                "express@4.19.2"
            ]
        );
        let app = found.app.unwrap_or_else(|| panic!("no app"));
        assert_eq!(
            (app.name.as_str(), app.license.as_deref()),
            ("app", Some("MIT"))
        );
        let arm = Platform::new("linux", "arm64", "");
        let found = package_lock("package-lock.json", LOCK, &arm).unwrap_or_default();
        assert!(!found.names().iter().any(|n| n.starts_with("@esbuild")));
    }

    #[test]
    fn bad_lockfiles_are_errors_with_a_line() {
        let amd64 = Platform::default();
        let e = package_lock("package-lock.json", "{\n\"packages\": [,]}", &amd64);
        assert!(
            matches!(&e, Err(SbomError::Malformed { line: Some(2), .. })),
            "{e:?}"
        );
        let bare = package_lock("package-lock.json", r#"{"lockfileVersion": 1}"#, &amd64);
        let message = bare.map(|_| ()).unwrap_err().to_string();
        assert!(message.contains("lockfile version 1"), "{message}");
    }

    #[test]
    fn version_1_trees_without_their_dev_entries() {
        let lock = r#"{"name": "app", "version": "1.0.0", "lockfileVersion": 1,
          "dependencies": {
            "express": {"version": "4.17.1", "dependencies": {
              "debug": {"version": "2.6.9"}}},
            "debug": {"version": "4.3.1"},
            "local": {"version": "file:libs/local"},
            "jest": {"version": "26.6.3", "dev": true, "dependencies": {
              "chalk": {"version": "4.1.0", "dev": true}}}}}"#;
        let found = package_lock("package-lock.json", lock, &Platform::default());
        let found = found.unwrap_or_default();
        assert_eq!(
            found.names(),
            ["debug@2.6.9", "debug@4.3.1", "express@4.17.1", "local@-"]
        );
    }
}
