//! A software bill of materials of the runtime image, from the manifests and lockfiles the
//! recipe already reads: what is installed into the image, with versions, purls and (where
//! the lockfile has them) licences, plus the language runtime and the app itself.
//!
//! Pure: [`lockfiles`] says which context files to read for a [`Plan`], the edge (the gateway
//! or the CLI) reads them through [`crate::context::Context`], and [`Sbom::from_plan`] turns
//! the texts into a typed package list that [`spdx::document`] writes as SPDX 2.3 JSON.
//!
//! Only production dependencies are listed: those the build installs into the runtime image
//! (`npm ci --omit=dev`, `yarn --production`, `pnpm --prod`, `uv sync --no-dev`, `poetry
//! install --only main`). The lockfile read is the one the plan copies for its install step,
//! so the SBOM and the build agree on which lockfile counts.

mod go;
mod npm;
mod pnpm;
mod python;
pub mod spdx;
mod yarn;

use crate::plan::{Plan, Platform, Step};
use serde::Serialize;
use std::collections::BTreeMap;

/// Largest lockfile the edge reads whole for an SBOM (larger ones are refused, not cut).
pub const MAX_LOCKFILE_BYTES: usize = 64 << 20;

/// The lockfiles an SBOM reads (go.mod stands for Go's), every one a recipe may copy for its
/// install step; the first the plan copies is the one read.
const LOCKFILES: [&str; 8] = [
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "uv.lock",
    "poetry.lock",
    "requirements.txt",
    "go.mod",
];

/// Where a package comes from, which decides its purl type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Ecosystem {
    /// npm's registry (also yarn and pnpm): `pkg:npm/…`.
    Npm,
    /// PyPI: `pkg:pypi/…`.
    Pypi,
    /// Go modules: `pkg:golang/…`.
    Golang,
    /// Anything else (a language runtime): `pkg:generic/…`.
    Generic,
}

/// One package in the image.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Package {
    /// Its name as its ecosystem writes it (`@scope/name`, `github.com/a/b`).
    pub name: String,
    /// Its version, when the lockfile pins one.
    pub version: Option<String>,
    /// Which ecosystem names it.
    pub ecosystem: Ecosystem,
    /// The declared licence, as the lockfile states it (an SPDX expression or not).
    pub license: Option<String>,
    /// What the reader knows beyond name and version (a local package, an indirect module).
    pub note: Option<String>,
}

impl Package {
    /// A package of `ecosystem` with nothing but a name and a version.
    pub fn new(ecosystem: Ecosystem, name: &str, version: Option<&str>) -> Package {
        Package {
            name: name.to_string(),
            version: version.map(str::to_string),
            ecosystem,
            license: None,
            note: None,
        }
    }

    /// This package with `note`.
    pub fn noted(mut self, note: impl Into<String>) -> Package {
        self.note = Some(note.into());
        self
    }

    /// The package URL (<https://github.com/package-url/purl-spec>).
    pub fn purl(&self) -> String {
        let name = match self.ecosystem {
            Ecosystem::Npm | Ecosystem::Golang => self
                .name
                .split('/')
                .map(purl_escape)
                .collect::<Vec<_>>()
                .join("/"),
            Ecosystem::Pypi => purl_escape(&pypi_normalize(&self.name)),
            Ecosystem::Generic => purl_escape(&self.name),
        };
        let kind = match self.ecosystem {
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Golang => "golang",
            Ecosystem::Generic => "generic",
        };
        match &self.version {
            Some(version) => format!("pkg:{kind}/{name}@{}", purl_escape(version)),
            None => format!("pkg:{kind}/{name}"),
        }
    }
}

/// A purl segment: everything but unreserved characters percent-encoded (`@` in an npm scope
/// becomes `%40`, `+` in a version `%2B`).
fn purl_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A Python distribution name as PyPI compares them (PEP 503): lowercase, each run of `-`,
/// `_` and `.` one `-`.
pub fn pypi_normalize(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
            continue;
        }
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// What a reader found in one lockfile.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The production packages, in any order, repeats allowed.
    pub packages: Vec<Package>,
    /// The app as its manifest describes it (name, version, licence), when it says.
    pub app: Option<Package>,
    /// What was skipped or guessed, one sentence each, for the document's comment.
    pub notes: Vec<String>,
}

#[cfg(test)]
impl Found {
    /// The packages as `name@version` (`-` without one), sorted: what the readers' tests compare.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version.as_deref().unwrap_or("-")))
            .collect();
        names.sort();
        names
    }
}

/// A lockfile or manifest an SBOM needs could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// The file is not what its name says (bad JSON, YAML or TOML, or a shape no version of
    /// its tool writes).
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Malformed {
        /// The context path.
        file: String,
        /// The 1-based line, where the parser knows it.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The file is larger than [`MAX_LOCKFILE_BYTES`].
    #[error("{file} is larger than {max} bytes: too large to read for an SBOM")]
    TooLarge {
        /// The context path.
        file: String,
        /// The limit.
        max: usize,
    },
}

impl SbomError {
    /// A malformed-file error at `line` (0 or unknown: none).
    pub fn at(file: &str, line: usize, message: impl Into<String>) -> SbomError {
        SbomError::Malformed {
            file: file.to_string(),
            line: (line > 0).then_some(line),
            message: message.into(),
        }
    }
}

/// The bill of materials of one platform's runtime image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sbom {
    /// The app: the root package the document describes.
    pub app: Package,
    /// The language runtime the app runs on (`node`, `python`, the Go standard library), when
    /// the runtime has one.
    pub runtime: Option<Package>,
    /// The production dependencies, sorted, each once.
    pub packages: Vec<Package>,
    /// The lockfile the packages were read from; `None` when there is none to read.
    pub lockfile: Option<String>,
    /// What the reader skipped or could not know, one sentence each.
    pub notes: Vec<String>,
    /// The platform the image is for.
    pub platform: Platform,
}

/// The context files an SBOM of `plan` reads: the manifests and lockfiles the plan copies
/// before its install step, when the SBOM has a reader for them (go.mod is read for Go).
pub fn lockfiles(plan: &Plan) -> Vec<String> {
    let copied = copied_first(plan);
    let mut paths: Vec<String> = copied
        .iter()
        .filter(|p| LOCKFILES.contains(&p.as_str()))
        .cloned()
        .collect();
    // The app's own description, even when the plan does not copy it (a requirements.txt app
    // with a pyproject.toml).
    let described = match plan.runtime {
        "node" => Some("package.json"),
        "python" => Some("pyproject.toml"),
        "go" => Some("go.mod"),
        _ => None,
    };
    paths.extend(described.map(str::to_string));
    paths.sort();
    paths.dedup();
    paths
}

/// The paths of the plan's first copy of files (the manifests, before the install step).
fn copied_first(plan: &Plan) -> Vec<String> {
    let steps = plan.builder.as_ref().map(|b| b.steps.as_slice());
    steps
        .unwrap_or_default()
        .iter()
        .find_map(|step| match step {
            Step::CopyFiles { paths } => Some(paths.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The context files an SBOM reads, by path (those the context has).
pub type Files = BTreeMap<String, Vec<u8>>;

impl Sbom {
    /// The SBOM of the image `plan` builds for `platform`, from `files` (what
    /// [`lockfiles`] named, as the context has them).
    pub fn from_plan(plan: &Plan, platform: &Platform, files: &Files) -> Result<Sbom, SbomError> {
        let text = |path: &str| -> Result<Option<String>, SbomError> {
            let Some(bytes) = files.get(path) else {
                return Ok(None);
            };
            if bytes.len() > MAX_LOCKFILE_BYTES {
                return Err(SbomError::TooLarge {
                    file: path.to_string(),
                    max: MAX_LOCKFILE_BYTES,
                });
            }
            // pip reads a requirements file in UTF-16 by its byte-order mark, and so does the
            // recipe that plans the install: the SBOM must read the same packages.
            if path == "requirements.txt" {
                return Ok(Some(
                    crate::formats::requirements::decode(bytes).into_owned(),
                ));
            }
            String::from_utf8(bytes.clone())
                .map(Some)
                .map_err(|e| SbomError::at(path, 0, format!("not UTF-8: {e}")))
        };
        let copied = copied_first(plan);
        let lockfile = LOCKFILES
            .iter()
            .find(|name| copied.iter().any(|c| c == *name) && files.contains_key(**name))
            .map(|name| name.to_string());
        let mut found = match lockfile.as_deref() {
            Some(name) => read_lockfile(name, &text, platform)?,
            None => Found::default(),
        };
        let described = describe_app(plan, &text)?;
        let app = found
            .app
            .take()
            .or(described)
            .unwrap_or_else(|| unnamed_app(plan));
        let mut notes = std::mem::take(&mut found.notes);
        if lockfile.is_none() {
            notes.insert(0, no_lockfile_note(plan));
        }
        let mut packages = found.packages;
        packages.retain(|p| !(p.name == app.name && p.ecosystem == app.ecosystem));
        packages.sort();
        packages.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(Sbom {
            app,
            runtime: runtime_package(plan),
            packages,
            lockfile,
            notes,
            platform: platform.clone(),
        })
    }
}

/// Reads the lockfile `name` with its ecosystem's reader.
fn read_lockfile(
    name: &str,
    text: &dyn Fn(&str) -> Result<Option<String>, SbomError>,
    platform: &Platform,
) -> Result<Found, SbomError> {
    let body = text(name)?.unwrap_or_default();
    let manifest = |path: &str| text(path).map(Option::unwrap_or_default);
    match name {
        "package-lock.json" | "npm-shrinkwrap.json" => npm::package_lock(name, &body, platform),
        "yarn.lock" => yarn::yarn_lock(name, &body, &manifest("package.json")?),
        "pnpm-lock.yaml" => pnpm::pnpm_lock(name, &body, platform),
        "requirements.txt" => Ok(python::requirements(name, &body)),
        "uv.lock" => python::uv_lock(name, &body),
        "poetry.lock" => python::poetry_lock(name, &body, &manifest("pyproject.toml")?),
        "go.mod" => go::go_mod(name, &body),
        _ => Ok(Found::default()),
    }
}

/// The app when no manifest names it: the image's `org.opencontainers.image.title` and
/// `version` labels when the spec sets them, else `app`.
fn unnamed_app(plan: &Plan) -> Package {
    let label = |key: &str| plan.config.labels.get(key).map(String::as_str);
    let name = label("org.opencontainers.image.title").unwrap_or("app");
    Package::new(
        Ecosystem::Generic,
        name,
        label("org.opencontainers.image.version"),
    )
}

/// The note of an SBOM with no lockfile to read.
fn no_lockfile_note(plan: &Plan) -> String {
    match &plan.unlocked {
        Some(unlocked) => format!(
            "no lockfile ({}): `{}` picks dependency versions at build time, so only the runtime and the app are listed",
            unlocked.lockfiles.join(", "),
            unlocked.command
        ),
        None if !matches!(plan.runtime, "node" | "python" | "go") => format!(
            "shallot does not read the lockfiles of runtime `{}` yet: only the app is listed",
            plan.runtime
        ),
        None => "no lockfile: only the runtime and the app are listed".to_string(),
    }
}

/// The app as its manifest describes it: package.json, pyproject.toml or go.mod.
fn describe_app(
    plan: &Plan,
    text: &dyn Fn(&str) -> Result<Option<String>, SbomError>,
) -> Result<Option<Package>, SbomError> {
    Ok(match plan.runtime {
        "node" => text("package.json")?.and_then(|t| npm::describe(&t)),
        "python" => text("pyproject.toml")?.and_then(|t| python::describe(&t)),
        "go" => text("go.mod")?.and_then(|t| go::describe(&t)),
        _ => None,
    })
}

/// The language runtime in the image, at the version the plan has for it (its recipe's
/// choice, whatever image replaces the recipe's). Go's runtime is its standard library,
/// compiled into the binary.
fn runtime_package(plan: &Plan) -> Option<Package> {
    let (ecosystem, name, what) = match plan.runtime {
        "node" => (Ecosystem::Generic, "node", "the Node.js runtime"),
        "python" => (Ecosystem::Generic, "python", "the Python interpreter"),
        // As Go's own tools (and syft) name it.
        "go" => (
            Ecosystem::Golang,
            "stdlib",
            "the Go standard library, compiled into the binary",
        ),
        _ => return None,
    };
    let version = plan.runtime_version.as_deref();
    Some(Package::new(ecosystem, name, version).noted(what))
}

#[cfg(test)]
mod tests;
