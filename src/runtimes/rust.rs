//! Rust: cargo in the official Debian rust image, the binary run on distroless cc.
//!
//! Builder: the manifests (`Cargo.toml`, `Cargo.lock`, the toolchain file, the manifests of
//! local path crates and workspace members, a vendored-sources directory) are copied first and
//! `cargo fetch` runs on them, with empty stand-in sources that exist only during that step
//! (cargo refuses a manifest without targets). Registry and git downloads live on cache mounts,
//! so this step is CACHED until a manifest changes. Then the source is copied and built with
//! the target directory on a locked cache mount as well: after a source change, cargo reuses
//! the compiled dependencies there instead of a dependency layer rebuilt from stub sources,
//! which would recompile every dependency whenever one manifest line changes. The binary is
//! copied out of the cache in the same step (a cache mount is never part of a layer). That
//! cache is one per target platform: cargo builds for the platform its builder runs on (under
//! emulation for another), and one locked directory shared by the platforms of a
//! multi-platform build would make each platform's build wait for the other's.
//!
//! Runtime: distroless cc, because the default `x86_64-unknown-linux-gnu` target links glibc
//! and `libgcc_s` (for unwinding), which distroless `base` and `static` lack. The builder is
//! a trixie image whatever the version, so its glibc matches cc-debian13's.

use super::Recipe;
use crate::formats::rust_toolchain::toolchain_channel;
use crate::formats::tool_versions::tool_version;
use crate::plan::shell::quote;
use crate::plan::{
    Cache, Deps, Entrypoint, Facts, Manifests, Platform, Problems, RecipeArtifact, RecipeBuilder,
    RecipeInput, RecipePlan, Run, Source, error_at, join,
};
use crate::spec::{Diagnostic, Diagnostics, Span, Spec};
use std::collections::BTreeSet;

/// The rust recipe.
pub const RUST: Recipe = Recipe {
    name: "rust",
    probes: &[
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
        "rust-toolchain",
        ".tool-versions",
        ".cargo/config.toml",
        ".cargo/config",
    ],
    spec_probes,
    serves: true,
    plan,
};

/// The default: the newest stable release, `rust:1-trixie`.
const DEFAULT_VERSION: &str = "1";
/// The first release with official `rust:<v>-trixie` images (Debian 13 came out with 1.89).
const FIRST_TRIXIE_MINOR: u32 = 89;
/// Where the build's target directory lives: a cache mount, outside the workdir, so a `target/`
/// in the context (excluded anyway) or a `target-dir` in the app's cargo config changes nothing.
const TARGET_DIR: &str = "/cargo-target";
/// Where the binary is put in the builder: a layer path, not the target cache.
const BIN_DIR: &str = "/usr/local/bin";

/// Only whether `src/main.rs` exists matters (cargo's implicit binary), so only its first
/// bytes are read, and only for rust builds.
fn spec_probes(_: &Spec) -> Vec<String> {
    vec!["src/main.rs".to_string()]
}

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let (spec, facts, platform) = (input.spec, input.facts, input.platform);
    let mut problems = Problems::new();
    let version = problems.or(version(spec, facts), DEFAULT_VERSION.to_string());
    let manifest = problems.ok(manifest(spec, facts));
    if let Some(manifest) = &manifest {
        problems.extend(outside_paths(manifest, facts, spec.runtime.span));
    }
    let binary = problems.ok(binary(spec, facts, manifest.as_ref()));
    problems.check()?;
    let (Some(manifest), Some(Some(binary))) = (manifest, binary) else {
        // No manifest: its own problem was reported; no binary name without one.
        return Err(Diagnostics(Vec::new()));
    };

    let lock_flag = if facts.has("Cargo.lock") {
        " --locked"
    } else {
        ""
    };
    let deps = dependency_files(&manifest, facts).map(|deps| Deps {
        install: vec![Run::at(
            with_stubs(&deps.stubs, &format!("cargo fetch{lock_flag}")),
            vec![registry_cache(), git_cache()],
            spec.runtime.span,
        )],
        manifests: Manifests::Files(deps.copy),
    });
    let (build, installed) = build(&binary, lock_flag);
    let caches = || vec![registry_cache(), git_cache(), target_cache(platform)];
    let at = spec
        .entrypoint
        .as_ref()
        .map_or(spec.runtime.span, |e| e.span);
    Ok(RecipePlan {
        builder: Some(RecipeBuilder {
            image: format!("rust:{version}-trixie"),
            env: vec![("CARGO_TARGET_DIR".to_string(), TARGET_DIR.to_string())],
            // Without every local crate's manifest, cargo cannot fetch before the source is
            // there: the build then goes straight to the source, and the target cache still
            // keeps it quick.
            deps,
            build_caches: caches(),
            finish: vec![Run::at(build, caches(), at)],
            ..Default::default()
        }),
        runtime_image: "gcr.io/distroless/cc-debian13:nonroot".to_string(),
        artifacts: vec![RecipeArtifact {
            from: Source::Builder(installed),
            to: binary.clone(),
            directory: false,
            mode: Some(0o755),
        }],
        entrypoint: Entrypoint::Set(vec![join(&spec.workdir.value, &binary)]),
        exclude: vec!["target".to_string()],
        ..Default::default()
    })
}

/// The release build of `binary`, copied out of the target cache to where the runtime stage
/// takes it from; and that place.
fn build(binary: &str, lock_flag: &str) -> (String, String) {
    let installed = format!("{BIN_DIR}/{binary}");
    // The target cache is shared by every app built here, and cargo decides freshness of
    // local crates by mtimes, which the context copy keeps: an older file of another app
    // with the same crate name could look up to date. Touching the source makes the local
    // crates always rebuild; compiled registry dependencies are still reused.
    let command = format!(
        "find . -type f -exec touch {{}} + && cargo build --release{lock_flag} --bin {} \
         && cp {} {}",
        quote(binary),
        quote(&format!("{TARGET_DIR}/release/{binary}")),
        quote(&installed)
    );
    (command, installed)
}

/// The context's Cargo.toml, parsed.
fn manifest(spec: &Spec, facts: &Facts) -> Result<toml::Table, Diagnostic> {
    if facts.is_excluded("Cargo.toml") {
        return Err(error_at(
            &spec.runtime,
            "runtime `rust` needs Cargo.toml, and .dockerignore or the spec's `exclude` leaves it out of the build".to_string(),
            Some("re-include it (a `!Cargo.toml` line after the pattern that matches it in .dockerignore)".to_string()),
        ));
    }
    facts
        .read_toml("Cargo.toml", spec.runtime.span)?
        .ok_or_else(|| {
            error_at(
                &spec.runtime,
                "runtime `rust` needs a Cargo.toml at the root of the build context".to_string(),
                Some("run `cargo init` there, or build from the directory that has it".to_string()),
            )
        })
}

/// The binary to build and run: `entrypoint`, else the package's only binary. `Ok(None)` when
/// there is no manifest to tell (that is its own problem).
fn binary(
    spec: &Spec,
    facts: &Facts,
    manifest: Option<&toml::Table>,
) -> Result<Option<String>, Diagnostic> {
    if let Some(e) = &spec.entrypoint {
        if is_target_name(&e.value) {
            return Ok(Some(e.value.clone()));
        }
        return Err(error_at(
            e,
            format!("`{}` is not a cargo binary name", e.value),
            Some(
                "name the binary (letters, digits, `-` and `_`), e.g. the package name".to_string(),
            ),
        ));
    }
    let Some(manifest) = manifest else {
        return Ok(None);
    };
    let bins = binaries(manifest, facts.has("src/main.rs"));
    match bins.as_slice() {
        [only] => Ok(Some(only.clone())),
        [] => Err(error_at(
            &spec.runtime,
            "cannot tell which binary to run: Cargo.toml declares none and there is no \
             src/main.rs"
                .to_string(),
            Some("add `entrypoint: <binary name>`".to_string()),
        )),
        several => Err(error_at(
            &spec.runtime,
            format!(
                "the package has several binaries: {}; which one runs?",
                several.join(", ")
            ),
            Some(format!("add `entrypoint: {}`", several[0])),
        )),
    }
}

fn registry_cache() -> Cache {
    Cache {
        target: "/usr/local/cargo/registry".to_string(),
        id: "shallot-cargo-registry".to_string(),
        // cargo locks its own package cache.
        locked: false,
    }
}

fn git_cache() -> Cache {
    Cache {
        target: "/usr/local/cargo/git/db".to_string(),
        id: "shallot-cargo-git".to_string(),
        locked: false,
    }
}

/// The target directory of `platform`'s builds (`shallot-cargo-target-linux-arm64`): the
/// platforms of one build compile side by side, each in its own directory, instead of
/// waiting for one lock (an emulated build takes many times as long as a native one).
fn target_cache(platform: &Platform) -> Cache {
    Cache {
        target: TARGET_DIR.to_string(),
        id: format!(
            "shallot-cargo-target-{}",
            platform.to_string().replace('/', "-")
        ),
        // Two builds writing one target directory corrupt each other's artifacts.
        locked: true,
    }
}

// ---- versions -----------------------------------------------------------------------------------

/// The builder image's version: the spec's `rust@<v>`, else the toolchain file's channel, else
/// the `rust` line of asdf's `.tool-versions`, else the default.
fn version(spec: &Spec, facts: &crate::plan::Facts) -> Result<String, Diagnostic> {
    if let Some(v) = &spec.runtime_version {
        return image_version(&v.value).ok_or_else(|| {
            error_at(
                v,
                format!(
                    "rust {} has no official rust:<version>-trixie image",
                    v.value
                ),
                Some(versions_hint()),
            )
        });
    }
    // rustup reads the legacy file when both are there ("both … exist. Using
    // `rust-toolchain`"), and so does the builder's rustup.
    for file in ["rust-toolchain", "rust-toolchain.toml"] {
        let Some(text) = facts.read_text(file, spec.runtime.span)? else {
            continue;
        };
        let channel = toolchain_channel(text);
        let Some(channel) = channel else {
            return Err(error_at(
                &spec.runtime,
                format!("cannot read the toolchain channel from {file} in the build context"),
                Some(format!(
                    "write `[toolchain]` and `channel = \"1.{FIRST_TRIXIE_MINOR}\"` there, or \
                     pick the version in the spec: `runtime: rust@1.{FIRST_TRIXIE_MINOR}`"
                )),
            ));
        };
        return image_version(&channel).ok_or_else(|| {
            error_at(
                &spec.runtime,
                format!(
                    "{file} asks for the `{channel}` toolchain, which has no official \
                     rust:<version>-trixie image"
                ),
                Some(format!(
                    "{}; or override it in the spec, e.g. `runtime: rust@1`",
                    versions_hint()
                )),
            )
        });
    }
    let tool = facts
        .read_text(".tool-versions", spec.runtime.span)?
        .and_then(|t| tool_version(t, &["rust"]));
    let Some(tool) = tool else {
        return Ok(DEFAULT_VERSION.to_string());
    };
    image_version(tool).ok_or_else(|| {
        error_at(
            &spec.runtime,
            format!(
                "rust {tool} (from .tool-versions) has no official rust:<version>-trixie image"
            ),
            Some(format!(
                "{}; change .tool-versions or write `runtime: rust@1`",
                versions_hint()
            )),
        )
    })
}

fn versions_hint() -> String {
    format!(
        "use 1 (the newest stable), stable, or a release from 1.{FIRST_TRIXIE_MINOR} on as \
         1.<minor> or 1.<minor>.<patch>, e.g. 1.{FIRST_TRIXIE_MINOR} or 1.{FIRST_TRIXIE_MINOR}.0"
    )
}

/// The `rust:<tag>-trixie` tag for a version or channel, if the image exists: `1` and `stable`
/// (the newest), or a stable release `1.N` / `1.N.P` from the first trixie release on.
/// Nightly and beta have no official images.
fn image_version(version: &str) -> Option<String> {
    if version == "1" || version == "stable" {
        return Some(DEFAULT_VERSION.to_string());
    }
    let mut parts = version.split('.');
    let (Some("1"), Some(minor), patch, None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let numeric = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(minor) || !patch.is_none_or(numeric) {
        return None;
    }
    let minor_number: u32 = minor.parse().ok()?;
    (minor_number >= FIRST_TRIXIE_MINOR).then(|| version.to_string())
}

// ---- binaries -----------------------------------------------------------------------------------

/// Whether `name` can be a cargo target name (and so is safe in a command line and a path).
fn is_target_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The binaries the root package declares: its `[[bin]]` entries, plus the implicit one named
/// after the package when `src/main.rs` exists (binaries under `src/bin/` are not seen).
fn binaries(manifest: &toml::Table, has_main: bool) -> Vec<String> {
    let Some(package) = manifest.get("package").and_then(|p| p.as_table()) else {
        return Vec::new();
    };
    let package_name = package.get("name").and_then(|n| n.as_str());
    let mut bins = crate::plan::FirstOfEach::default();
    let mut main_taken = false;
    for bin in targets(manifest, "bin") {
        let Some(name) = bin.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let path = bin.get("path").and_then(|p| p.as_str());
        main_taken |= path.map(|p| p.trim_start_matches("./")) == Some("src/main.rs")
            || (path.is_none() && Some(name) == package_name);
        bins.push(name.to_string());
    }
    let autobins = package
        .get("autobins")
        .and_then(|a| a.as_bool())
        .unwrap_or(true);
    let mut bins = bins.into_vec();
    if let (Some(name), true, true, false) = (package_name, autobins, has_main, main_taken) {
        bins.insert(0, name.to_string());
    }
    bins
}

/// The `[[kind]]` target tables of a manifest.
fn targets<'a>(manifest: &'a toml::Table, kind: &str) -> impl Iterator<Item = &'a toml::Table> {
    manifest
        .get(kind)
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_table())
}

// ---- the dependency step ------------------------------------------------------------------------

/// What the dependency step needs: the context paths copied before the source, and the
/// stand-in sources cargo needs to accept those manifests.
#[derive(Debug, PartialEq, Eq)]
struct DependencyFiles {
    copy: Vec<String>,
    stubs: Vec<String>,
}

/// The dependency step's files, or `None` when some local crate's manifest cannot be located
/// from the root manifest (a glob in `workspace.members`, a path outside the context, or more
/// local packages in `Cargo.lock` than the root manifest names).
fn dependency_files(manifest: &toml::Table, facts: &crate::plan::Facts) -> Option<DependencyFiles> {
    let mut copy = vec!["Cargo.toml".to_string()];
    for file in ["Cargo.lock", "rust-toolchain.toml", "rust-toolchain"] {
        if facts.has(file) {
            copy.push(file.to_string());
        }
    }
    copy.extend(vendored_sources(facts)?);

    let crates = local_crates(manifest)?;
    let has_package = manifest.contains_key("package");
    if let Some(lock) = facts.text("Cargo.lock") {
        // Path crates are the lockfile's packages without a `source`; a nested path dependency
        // (one only another local crate names) is not in the root manifest.
        let lock = lock.parse::<toml::Table>().ok()?;
        let local_in_lock = lock
            .get("package")
            .and_then(|p| p.as_array())
            .map_or(0, |packages| {
                packages
                    .iter()
                    .filter(|p| p.get("source").is_none())
                    .count()
            });
        if local_in_lock > crates.len() + usize::from(has_package) {
            return None;
        }
    }

    let mut stubs = Vec::new();
    if has_package {
        stubs.extend(root_stubs(manifest));
    }
    for dir in &crates {
        copy.push(format!("{dir}/Cargo.toml"));
        stubs.push(format!("{dir}/src/lib.rs"));
    }
    Some(DependencyFiles { copy, stubs })
}

/// Where a crate or vendored directory named outside the context leaves the build nothing to
/// read, a problem for each: workspace members, the package's own workspace, path
/// dependencies and patches ([`cargo_files`]: vendored sources, and the cargo files cargo
/// would fail to read).
fn outside_paths(manifest: &toml::Table, facts: &Facts, at: Span) -> Vec<Diagnostic> {
    let hint = || {
        Some(
            "only the build context reaches the build: build from a directory that holds it too (e.g. the workspace's root), or depend on the crate by version or git"
                .to_string(),
        )
    };
    let outside = |path: &str| super::context_path(path).is_none();
    let mut problems = Vec::new();
    let workspace = table(manifest, "workspace");
    let members = workspace
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array());
    for member in members.into_iter().flatten().filter_map(|m| m.as_str()) {
        if !member.contains(['*', '?', '[']) && outside(member) {
            problems.push(Diagnostic::new(
                at,
                format!("Cargo.toml's `workspace.members` lists `{member}`, which is outside the build context"),
                hint(),
            ));
        }
    }
    let root = table(manifest, "package").and_then(|p| p.get("workspace"));
    if let Some(root) = root.and_then(|w| w.as_str()).filter(|w| outside(w)) {
        problems.push(Diagnostic::new(
            at,
            format!(
                "Cargo.toml's `package.workspace` is `{root}`, which is outside the build context"
            ),
            hint(),
        ));
    }
    for (section, deps) in dependency_tables(manifest) {
        for (name, dep) in deps {
            let path = dep.get("path").and_then(|p| p.as_str());
            if let Some(path) = path.filter(|p| outside(p)) {
                problems.push(Diagnostic::new(
                    at,
                    format!(
                        "Cargo.toml's `{section}.{name}` has `path = \"{path}\"`, which is outside the build context"
                    ),
                    hint(),
                ));
            }
        }
    }
    problems.extend(cargo_files(facts, at));
    problems
}

/// The problems of the cargo files beside the manifest: a config that is no TOML or vendors
/// sources from outside the context, a lockfile that is no TOML.
fn cargo_files(facts: &Facts, at: Span) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for file in [".cargo/config.toml", ".cargo/config"] {
        let config = match facts.read_toml(file, at) {
            Ok(config) => config,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let sources = config.as_ref().and_then(|c| table(c, "source"));
        for (name, source) in sources.into_iter().flatten() {
            let dir = source.get("directory").and_then(|d| d.as_str());
            if let Some(dir) = dir.filter(|d| super::context_path(d).is_none()) {
                problems.push(Diagnostic::new(
                    at,
                    format!(
                        "{file}'s `source.{name}.directory` is `{dir}`, which is outside the build context"
                    ),
                    Some("only the build context reaches the build: vendor into it (`cargo vendor vendor`)".to_string()),
                ));
            }
        }
    }
    // A lockfile larger than shallot reads is left to cargo.
    if !facts.oversized.contains("Cargo.lock") {
        match facts.read_text("Cargo.lock", at) {
            Ok(Some(lock)) => {
                if let Err(why) = crate::plan::facts::parse_toml(lock) {
                    let mut problem = crate::plan::facts::unreadable(
                        "Cargo.lock",
                        at,
                        format!("is not valid TOML: {why}"),
                    );
                    problem.hint = Some(
                        "resolve it, or delete it and run `cargo generate-lockfile`".to_string(),
                    );
                    problems.push(problem);
                }
            }
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    problems
}

/// The dependency tables of a manifest, each with where it is written: `dependencies`,
/// `dev-dependencies`, `build-dependencies` (also under `target.<cfg>`),
/// `workspace.dependencies` and each `patch.<registry>`.
fn dependency_tables(manifest: &toml::Table) -> Vec<(String, &toml::Table)> {
    let sections = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut tables: Vec<(String, &toml::Table)> = sections
        .iter()
        .filter_map(|s| table(manifest, s).map(|t| (s.to_string(), t)))
        .collect();
    for (cfg, target) in table(manifest, "target").into_iter().flatten() {
        let Some(target) = target.as_table() else {
            continue;
        };
        for s in sections {
            tables.extend(table(target, s).map(|t| (format!("target.{cfg}.{s}"), t)));
        }
    }
    let workspace = table(manifest, "workspace").and_then(|w| table(w, "dependencies"));
    tables.extend(workspace.map(|t| ("workspace.dependencies".to_string(), t)));
    for (registry, patch) in table(manifest, "patch").into_iter().flatten() {
        tables.extend(patch.as_table().map(|t| (format!("patch.{registry}"), t)));
    }
    tables
}

/// Directories of local crates other than the root package: workspace members and path
/// dependencies, normalized, sorted, once each. `None` if one cannot be located.
fn local_crates(manifest: &toml::Table) -> Option<BTreeSet<String>> {
    let mut dirs = BTreeSet::new();
    let workspace = manifest.get("workspace").and_then(|w| w.as_table());
    if let Some(members) = workspace
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
    {
        for member in members {
            let member = member.as_str()?;
            if member.contains(['*', '?', '[']) {
                return None;
            }
            dirs.insert(super::context_path(member)?);
        }
    }

    let mut tables: Vec<&toml::Table> = Vec::new();
    let sections = ["dependencies", "dev-dependencies", "build-dependencies"];
    tables.extend(sections.iter().filter_map(|s| table(manifest, s)));
    if let Some(targets) = table(manifest, "target") {
        for target in targets.values().filter_map(|t| t.as_table()) {
            tables.extend(sections.iter().filter_map(|s| table(target, s)));
        }
    }
    if let Some(deps) = workspace.and_then(|w| table(w, "dependencies")) {
        tables.push(deps);
    }
    if let Some(patch) = table(manifest, "patch") {
        tables.extend(patch.values().filter_map(|p| p.as_table()));
    }
    for deps in tables {
        for dep in deps.values() {
            if let Some(path) = dep.get("path").and_then(|p| p.as_str()) {
                dirs.insert(super::context_path(path)?);
            }
        }
    }
    // The root package itself may be named as a path (e.g. by a member); it is copied anyway.
    dirs.remove("");
    Some(dirs)
}

/// Directories of vendored sources named by the app's cargo config (`[source.<name>]
/// directory = "vendor"`): they hold the dependencies, so they are copied with the manifests.
fn vendored_sources(facts: &crate::plan::Facts) -> Option<Vec<String>> {
    let mut dirs = Vec::new();
    for file in [".cargo/config.toml", ".cargo/config"] {
        let Some(text) = facts.text(file) else {
            continue;
        };
        dirs.push(file.to_string());
        let Ok(config) = text.parse::<toml::Table>() else {
            continue;
        };
        for source in table(&config, "source")
            .into_iter()
            .flat_map(|s| s.values())
        {
            if let Some(dir) = source.get("directory").and_then(|d| d.as_str()) {
                // Relative to the directory holding `.cargo/`, i.e. the context root.
                dirs.push(super::context_path(dir).filter(|d| !d.is_empty())?);
            }
        }
    }
    Some(dirs)
}

fn table<'a>(parent: &'a toml::Table, key: &str) -> Option<&'a toml::Table> {
    parent.get(key).and_then(|t| t.as_table())
}

/// Stand-in sources for the root package: a library (so the manifest has a target) and the
/// files cargo infers for targets declared without a `path`, which it requires to exist.
fn root_stubs(manifest: &toml::Table) -> Vec<String> {
    let package_name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str());
    let mut stubs = crate::plan::FirstOfEach::starting_with(vec!["src/lib.rs".to_string()]);
    for (kind, dir) in [
        ("bin", "src/bin"),
        ("example", "examples"),
        ("test", "tests"),
        ("bench", "benches"),
    ] {
        for target in targets(manifest, kind) {
            if target.contains_key("path") {
                continue;
            }
            let Some(name) = target.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            if !is_target_name(name) {
                continue;
            }
            stubs.push(if kind == "bin" && Some(name) == package_name {
                "src/main.rs".to_string()
            } else {
                format!("{dir}/{name}.rs")
            });
        }
    }
    stubs.into_vec()
}

/// `command` with the stand-in sources made before and removed after, so they never reach the
/// layer (only the manifests are there yet, so none of them is a real file).
fn with_stubs(stubs: &[String], command: &str) -> String {
    let dirs = crate::plan::first_of_each(
        stubs
            .iter()
            .filter_map(|s| s.rsplit_once('/').map(|(dir, _)| quote(dir).into_owned())),
    );
    let files: Vec<String> = stubs.iter().map(|s| quote(s).into_owned()).collect();
    let files = files.join(" ");
    format!(
        "mkdir -p {} && touch {files} && {command} && rm {files}",
        dirs.join(" ")
    )
}

#[cfg(test)]
mod tests;
