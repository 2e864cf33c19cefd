//! pnpm's `pnpm-lock.yaml`, lockfile versions 6 and 9: production is what is reachable from
//! the root importer's `dependencies` and `optionalDependencies` (what `pnpm install --prod`
//! installs), never from its `devDependencies`.
//!
//! v9 keeps each resolved package's dependencies under `snapshots` (`name@version(peers)`);
//! v6 keeps them under `packages` (`/name@version(peers)`), and a single-project v6 lockfile
//! has the root's dependencies at the top instead of under `importers`. A `link:` dependency is
//! a local folder: listed, without a version (its package.json is not read). Packages for
//! another OS, CPU or libc are left out, as in [`super::npm`].

use super::npm::for_platform;
use super::{Ecosystem, Found, Package, SbomError};
use crate::plan::Platform;
use serde_json::Value;
use std::collections::BTreeSet;

/// Reads a v6 or v9 pnpm lockfile.
pub fn pnpm_lock(file: &str, text: &str, platform: &Platform) -> Result<Found, SbomError> {
    let lock: Value = serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or_default();
        SbomError::at(file, usize::try_from(line).unwrap_or(0), "not YAML")
    })?;
    let version = match lock.get("lockfileVersion") {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let v9 = version.starts_with('9');
    if !v9 && !version.starts_with('6') {
        return Err(SbomError::at(
            file,
            0,
            format!("lockfile version `{version}` is not one shallot reads (6 and 9 are)"),
        ));
    }
    let root = lock
        .get("importers")
        .and_then(|i| i.get("."))
        .unwrap_or(&lock);
    let mut pending: Vec<(String, String)> = Vec::new();
    for key in ["dependencies", "optionalDependencies"] {
        pending.extend(requires(root.get(key)));
    }
    let mut found = Found::default();
    let mut seen = BTreeSet::new();
    while let Some((name, version)) = pending.pop() {
        if let Some(path) = version.strip_prefix("link:") {
            let package = Package::new(Ecosystem::Npm, &name, None);
            found
                .packages
                .push(package.noted(format!("local package at {path}")));
            // A workspace package is an importer of its own, whose dependencies pnpm installs.
            let importer = lock.get("importers").and_then(|i| i.get(path));
            if seen.insert(format!("link:{path}")) {
                for key in ["dependencies", "optionalDependencies"] {
                    pending.extend(requires(importer.and_then(|i| i.get(key))));
                }
            }
            continue;
        }
        let key = snapshot_key(&name, &version);
        if !seen.insert(key.clone()) {
            continue;
        }
        let entry = if v9 {
            lock.get("snapshots").and_then(|s| s.get(&key))
        } else {
            lock.get("packages").and_then(|s| s.get(format!("/{key}")))
        };
        let Some(entry) = entry else {
            found
                .notes
                .push(format!("{file} has no entry for `{key}`: left out"));
            continue;
        };
        // v9 keeps `os`, `cpu` and `libc` with the package. A package for another platform
        // is skipped by pnpm when optional, and removed by the builder otherwise.
        let info = match lock.get("packages").and_then(|p| p.get(plain(&key))) {
            Some(info) if v9 => info,
            _ => entry,
        };
        if !for_platform(info, platform) {
            found.notes.push(format!(
                "{key} is not for {platform} (its os, cpu or libc), so not in the image"
            ));
            continue;
        }
        for section in ["dependencies", "optionalDependencies"] {
            pending.extend(requires(entry.get(section)));
        }
        found.packages.push(package_of(&key));
    }
    Ok(found)
}

/// `name → version` pairs of a dependency map: v6 and v9 write `{specifier, version}`,
/// snapshots and v6 packages a bare version.
fn requires(deps: Option<&Value>) -> Vec<(String, String)> {
    let Some(deps) = deps.and_then(Value::as_object) else {
        return Vec::new();
    };
    deps.iter()
        .filter_map(|(name, dep)| {
            let version = dep.get("version").unwrap_or(dep);
            let version = match version {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((name.clone(), version))
        })
        .collect()
}

/// The snapshot key of a dependency: `name@version`, or the version itself when it names
/// another package (an alias, `string-width@4.2.3`).
fn snapshot_key(name: &str, version: &str) -> String {
    let plain = version.split('(').next().unwrap_or(version);
    if plain.get(1..).is_some_and(|rest| rest.contains('@')) {
        version.to_string()
    } else {
        format!("{name}@{version}")
    }
}

/// A snapshot key without its peer suffix (`a@1.0.0(b@2.0.0)` → `a@1.0.0`).
fn plain(key: &str) -> &str {
    key.split('(').next().unwrap_or(key)
}

/// The package a snapshot key names, its peer suffix dropped (`a@1.0.0(b@2.0.0)` → a 1.0.0).
fn package_of(key: &str) -> Package {
    let plain = plain(key);
    let at = plain.get(1..).and_then(|r| r.find('@')).map(|i| i + 1);
    let (name, version) = match at {
        Some(at) => (plain.get(..at).unwrap_or(plain), plain.get(at + 1..)),
        None => (plain, None),
    };
    let package = Package::new(Ecosystem::Npm, name, version);
    match version.and_then(|v| v.strip_prefix("file:")) {
        Some(path) => Package {
            version: None,
            ..package
        }
        .noted(format!("local package at {path}")),
        None => package,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V9: &str = "lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      express:
        specifier: ^4.19.0
        version: 4.19.2
      lib:
        specifier: workspace:*
        version: link:packages/lib
      '@types/x':
        specifier: npm:string-width@^4
        version: string-width@4.2.3
    optionalDependencies:
      fsevents:
        specifier: ^2
        version: 2.3.3
    devDependencies:
      jest:
        specifier: ^29
        version: 29.7.0
  packages/lib:
    dependencies:
      left-pad:
        specifier: ^1
        version: 1.3.0
packages:
  express@4.19.2:
    resolution: {integrity: sha512-x}
  fsevents@2.3.3:
    resolution: {integrity: sha512-y}
    os: [darwin]
snapshots:
  fsevents@2.3.3:
    optional: true
  express@4.19.2:
    dependencies:
      debug: 2.6.9(supports-color@8.1.1)
  debug@2.6.9(supports-color@8.1.1):
    dependencies:
      ms: 2.0.0
  ms@2.0.0: {}
  left-pad@1.3.0: {}
  string-width@4.2.3: {}
  jest@29.7.0:
    dependencies:
      ms: 2.0.0
";

    const V6: &str = "lockfileVersion: '6.0'
dependencies:
  express:
    specifier: ^4.19.0
    version: 4.19.2
devDependencies:
  jest:
    specifier: ^29
    version: 29.7.0
packages:
  /express@4.19.2:
    dependencies:
      ms: 2.1.3
    dev: false
  /ms@2.1.3:
    dev: false
  /jest@29.7.0:
    dev: true
";

    #[test]
    fn v9_and_v6_production_sets() {
        let found = pnpm_lock("pnpm-lock.yaml", V9, &Platform::default()).unwrap_or_default();
        assert_eq!(
            found.names(),
            [
                "debug@2.6.9",
                "express@4.19.2",
                "left-pad@1.3.0",
                "lib@-",
                "ms@2.0.0",
                "string-width@4.2.3"
            ]
        );
        // The optional package for macOS is installed there, not on Linux.
        let mac = Platform::new("darwin", "arm64", "");
        let found = pnpm_lock("pnpm-lock.yaml", V9, &mac).unwrap_or_default();
        assert!(found.names().contains(&"fsevents@2.3.3".to_string()));
        let found = pnpm_lock("pnpm-lock.yaml", V6, &Platform::default()).unwrap_or_default();
        assert_eq!(found.names(), ["express@4.19.2", "ms@2.1.3"]);
    }

    #[test]
    fn unknown_versions_and_bad_yaml_are_errors() {
        let e = pnpm_lock(
            "pnpm-lock.yaml",
            "lockfileVersion: 5.4\n",
            &Platform::default(),
        );
        assert!(e.is_err(), "{e:?}");
        let e = pnpm_lock("pnpm-lock.yaml", "a: [\nb: }\n", &Platform::default());
        assert!(matches!(e, Err(SbomError::Malformed { .. })), "{e:?}");
    }
}
