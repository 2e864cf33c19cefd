//! Python's lockfiles: pip's pinned `requirements.txt`, `uv.lock` and `poetry.lock`, read for
//! what the recipe installs (`pip install -r`, `uv sync --no-dev`, `poetry install --only
//! main`). None of them records licences.
//!
//! A requirement or dependency whose environment marker says it is for another OS
//! (`sys_platform == 'win32'`, `platform_system == "Windows"`) is left out, as the installer
//! leaves it out on Linux; any other marker is taken to hold.

use super::{Ecosystem, Found, Package, SbomError, pypi_normalize};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The package a requirement names: `name==version`, with extras and markers cut off.
/// Includes (`-r`), editables (`-e`) and URLs are not followed: the notes say so.
pub fn requirements(file: &str, text: &str) -> Found {
    let mut found = Found::default();
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for (number, line) in joined.lines().enumerate() {
        let line = match line.find(" #") {
            Some(at) => line.get(..at).unwrap_or(line),
            None => line,
        }
        .trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = number + 1;
        if line.starts_with("-r") || line.starts_with("--requirement") || line.starts_with("-e") {
            found
                .notes
                .push(format!("{file}:{at}: `{line}` is not followed"));
            continue;
        }
        if line.starts_with('-') {
            continue;
        }
        let (requirement, marker) = line.split_once(';').unwrap_or((line, ""));
        if for_another_os(marker) {
            continue;
        }
        let name_end = requirement
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(requirement.len());
        let name = requirement.get(..name_end).unwrap_or_default();
        let rest = requirement.get(name_end..).unwrap_or_default();
        let url_or_path = line.contains("://")
            || line.starts_with('.')
            || line.starts_with('/')
            || rest.starts_with('/');
        if name.is_empty() || url_or_path || rest.trim_start().starts_with('@') {
            found.notes.push(format!(
                "{file}:{at}: `{line}` is not a package from an index: left out"
            ));
            continue;
        }
        let rest = rest.split_once(']').map_or(rest, |(_, after)| after);
        // Options after a requirement (`--hash=…`) say nothing of its version.
        let rest = rest.split(" --").next().unwrap_or(rest).trim();
        let pinned = rest
            .strip_prefix("===")
            .or_else(|| rest.strip_prefix("=="))
            .map(|v| v.split(',').next().unwrap_or(v).trim())
            .filter(|v| !v.is_empty() && !v.contains('*'));
        let package = Package::new(Ecosystem::Pypi, name, pinned);
        found.packages.push(match pinned {
            Some(_) => package,
            None => package.noted(format!("not pinned in {file} (`{}`)", rest.trim())),
        });
    }
    found
}

/// Whether an environment marker excludes Linux: one of its `and` clauses compares the OS
/// with something else than Linux.
fn for_another_os(marker: &str) -> bool {
    let marker = marker.replace('"', "'");
    if marker.contains(" or ") {
        return false;
    }
    marker.split(" and ").any(|clause| {
        let clause = clause.trim().trim_matches(|c| c == '(' || c == ')');
        let equals = |key: &str| {
            clause
                .strip_prefix(key)
                .and_then(|r| r.trim().strip_prefix("=="))
                .map(|v| v.trim().trim_matches('\'').to_string())
        };
        let linux = [("sys_platform", "linux"), ("platform_system", "Linux")];
        linux
            .iter()
            .any(|(key, value)| equals(key).is_some_and(|v| v != *value))
            || equals("os_name").is_some_and(|v| v != "posix")
    })
}

/// A uv.lock dependency entry.
#[derive(Debug, Deserialize)]
struct UvDep {
    name: String,
    version: Option<String>,
    #[serde(default)]
    extra: Vec<String>,
    marker: Option<String>,
}

/// A uv.lock `[[package]]`.
#[derive(Debug, Deserialize)]
struct UvPackage {
    name: String,
    version: Option<String>,
    source: Option<toml::Table>,
    #[serde(default)]
    dependencies: Vec<UvDep>,
    #[serde(default, rename = "optional-dependencies")]
    optional: BTreeMap<String, Vec<UvDep>>,
}

/// A uv.lock.
#[derive(Debug, Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPackage>,
}

/// Parses TOML, an error naming the line.
fn parse_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, SbomError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text.get(..span.start).unwrap_or("").lines().count().max(1));
        let message = e.message().to_string();
        SbomError::at(file, line.unwrap_or(0), message)
    })
}

/// Reads a uv.lock: what the project (the package at `.`) needs, without its dev groups and
/// extras, followed through each package's dependencies (and the extras they ask for).
pub fn uv_lock(file: &str, text: &str) -> Result<Found, SbomError> {
    let lock: UvLock = parse_toml(file, text)?;
    let at_root = |p: &&UvPackage| {
        p.source.as_ref().is_some_and(|s| {
            ["editable", "virtual"]
                .iter()
                .any(|k| s.get(*k).and_then(|v| v.as_str()) == Some("."))
        })
    };
    let Some(root) = lock.package.iter().find(at_root) else {
        return Err(SbomError::at(
            file,
            0,
            "no project package (`source = { editable = \".\" }` or `{ virtual = \".\" }`)",
        ));
    };
    let mut found = Found {
        app: Some(Package::new(
            Ecosystem::Pypi,
            &root.name,
            root.version.as_deref(),
        )),
        ..Found::default()
    };
    let mut pending: Vec<&UvDep> = root.dependencies.iter().collect();
    let mut seen: BTreeSet<(String, Option<String>, Vec<String>)> = BTreeSet::new();
    while let Some(dep) = pending.pop() {
        if dep.marker.as_deref().is_some_and(for_another_os) {
            continue;
        }
        let key = (dep.name.clone(), dep.version.clone(), dep.extra.clone());
        if !seen.insert(key) {
            continue;
        }
        let matches = |p: &&UvPackage| {
            p.name == dep.name && (dep.version.is_none() || p.version == dep.version)
        };
        let Some(package) = lock.package.iter().find(matches) else {
            found
                .notes
                .push(format!("{file} has no package `{}`: left out", dep.name));
            continue;
        };
        pending.extend(package.dependencies.iter());
        for extra in &dep.extra {
            pending.extend(package.optional.get(extra).into_iter().flatten());
        }
        let listed = Package::new(Ecosystem::Pypi, &package.name, package.version.as_deref());
        found
            .packages
            .push(match local_source(package.source.as_ref()) {
                Some(path) => listed.noted(format!("local package at {path}")),
                None => listed,
            });
    }
    Ok(found)
}

/// The local path a uv source names (`path`, `directory`, `editable`), if any.
fn local_source(source: Option<&toml::Table>) -> Option<String> {
    let source = source?;
    ["path", "directory", "editable"]
        .iter()
        .find_map(|k| source.get(*k)?.as_str().map(str::to_string))
}

/// A poetry.lock `[[package]]`.
#[derive(Debug, Deserialize)]
struct PoetryPackage {
    name: String,
    version: Option<String>,
    /// poetry < 1.5: `main` or `dev`.
    category: Option<String>,
    /// poetry ≥ 2: the groups that need the package.
    groups: Option<Vec<String>>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
}

/// A poetry.lock.
#[derive(Debug, Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
}

/// Reads a poetry.lock: the packages of the `main` group, which the lockfile marks (`groups`
/// since poetry 2, `category` before 1.5); between those, what the project's own dependencies
/// (from `pyproject`) reach. Optional packages (extras) are left out: the recipe installs none.
pub fn poetry_lock(file: &str, text: &str, pyproject: &str) -> Result<Found, SbomError> {
    let lock: PoetryLock = parse_toml(file, text)?;
    let marked = lock
        .package
        .iter()
        .any(|p| p.groups.is_some() || p.category.is_some());
    let chosen: Vec<&PoetryPackage> = if marked {
        let main = |p: &&PoetryPackage| match (&p.groups, &p.category) {
            (Some(groups), _) => groups.iter().any(|g| g == "main"),
            (None, Some(category)) => category == "main",
            (None, None) => false,
        };
        lock.package.iter().filter(main).collect()
    } else {
        poetry_reachable(&lock, &project_requirements(pyproject))
    };
    let mut found = Found::default();
    for package in chosen.into_iter().filter(|p| !p.optional) {
        let listed = Package::new(Ecosystem::Pypi, &package.name, package.version.as_deref());
        found.packages.push(listed);
    }
    Ok(found)
}

/// The lock's packages that `roots` (normalized names) reach through their dependencies.
fn poetry_reachable<'a>(lock: &'a PoetryLock, roots: &[String]) -> Vec<&'a PoetryPackage> {
    let mut pending: Vec<String> = roots.to_vec();
    let mut seen = BTreeSet::new();
    let mut chosen = Vec::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(package) = lock
            .package
            .iter()
            .find(|p| pypi_normalize(&p.name) == name)
        else {
            continue;
        };
        for (dep, how) in &package.dependencies {
            let marker = how.get("markers").and_then(|m| m.as_str()).unwrap_or("");
            let optional = how.get("optional").and_then(|o| o.as_bool()) == Some(true);
            if !optional && !for_another_os(marker) {
                pending.push(pypi_normalize(dep));
            }
        }
        chosen.push(package);
    }
    chosen
}

/// The project's own requirements (normalized names): `[tool.poetry.dependencies]` but
/// `python`, and `[project] dependencies`.
fn project_requirements(pyproject: &str) -> Vec<String> {
    let Ok(table) = toml::from_str::<toml::Table>(pyproject) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let poetry = table
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_table());
    names.extend(poetry.into_iter().flat_map(|d| d.keys().cloned()));
    let project = table
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_array());
    for requirement in project.into_iter().flatten().filter_map(|r| r.as_str()) {
        let end = requirement
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(requirement.len());
        names.extend(requirement.get(..end).map(str::to_string));
    }
    names.retain(|n| n != "python");
    names.iter().map(|n| pypi_normalize(n)).collect()
}

/// The app as pyproject.toml describes it (`[project]`, else `[tool.poetry]`).
pub fn describe(text: &str) -> Option<Package> {
    let table = toml::from_str::<toml::Table>(text).ok()?;
    let project = table
        .get("project")
        .or_else(|| table.get("tool").and_then(|t| t.get("poetry")))?;
    let name = project.get("name")?.as_str()?;
    let version = project.get("version").and_then(|v| v.as_str());
    let mut package = Package::new(Ecosystem::Pypi, name, version);
    package.license = match project.get("license") {
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(toml::Value::Table(t)) => t.get("text").and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    };
    Some(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_requirements() {
        let text = "# app\n--no-index\nFlask[async]==3.0.3 ; python_version >= '3.8'\n\
            pywin32==306 ; sys_platform == \"win32\"\nrequests>=2 \\\n  --hash=sha256:abc\n\
            -r other.txt\ngit+https://example.com/x.git\nlocal @ file:///x\n";
        let found = requirements("requirements.txt", text);
        assert_eq!(found.names(), ["Flask@3.0.3", "requests@-"]);
        assert_eq!(found.notes.len(), 3, "{:?}", found.notes);
    }

    const UV: &str = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "flask" },
    { name = "httpx", extra = ["http2"] },
]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "flask"
version = "3.0.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "click" },
]

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "colorama", marker = "platform_system == 'Windows'" },
]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
http2 = [{ name = "h2" }]

[[package]]
name = "h2"
version = "4.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "https://pypi.org/simple" }
"#;

    #[test]
    fn uv_without_dev_groups() {
        let found = uv_lock("uv.lock", UV).unwrap_or_default();
        assert_eq!(
            found.names(),
            ["click@8.1.7", "flask@3.0.3", "h2@4.1.0", "httpx@0.27.0"]
        );
        assert_eq!(found.app.map(|a| a.name), Some("app".to_string()));
        let e = uv_lock("uv.lock", "version = 1\n[[package]\n");
        assert!(
            matches!(&e, Err(SbomError::Malformed { line: Some(2), .. })),
            "{e:?}"
        );
    }

    #[test]
    fn poetry_main_group_by_groups_category_or_reach() {
        let groups = "[[package]]\nname = \"flask\"\nversion = \"3.0.3\"\ngroups = [\"main\"]\n\n\
            [[package]]\nname = \"pytest\"\nversion = \"8.2.0\"\ngroups = [\"dev\"]\n\n\
            [[package]]\nname = \"extra\"\nversion = \"1.0\"\noptional = true\ngroups = [\"main\"]\n";
        let found = poetry_lock("poetry.lock", groups, "").unwrap_or_default();
        assert_eq!(found.names(), ["flask@3.0.3"]);
        let category = groups.replace("groups = [\"main\"]", "category = \"main\"");
        let category = category.replace("groups = [\"dev\"]", "category = \"dev\"");
        let found = poetry_lock("poetry.lock", &category, "").unwrap_or_default();
        assert_eq!(found.names(), ["flask@3.0.3"]);
        let unmarked = "[[package]]\nname = \"Flask\"\nversion = \"3.0.3\"\n\
            [package.dependencies]\nclick = \">=8\"\n\n\
            [[package]]\nname = \"click\"\nversion = \"8.1.7\"\n\n\
            [[package]]\nname = \"pytest\"\nversion = \"8.2.0\"\n";
        let pyproject = "[tool.poetry.dependencies]\npython = \"^3.12\"\nflask = \"^3\"\n\
            [tool.poetry.group.dev.dependencies]\npytest = \"^8\"\n";
        let found = poetry_lock("poetry.lock", unmarked, pyproject).unwrap_or_default();
        assert_eq!(found.names(), ["Flask@3.0.3", "click@8.1.7"]);
    }
}
