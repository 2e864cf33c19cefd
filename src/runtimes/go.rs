//! Go: `go build` in the official Debian golang image, run on distroless static.
//!
//! Builder: `go.mod`, `go.sum` and the `go.mod` of every local `replace` module are copied
//! first and `go mod download` fills the module cache (a cache mount), so a source-only change
//! keeps that step cached. `go build -trimpath` then compiles the main package (the module root,
//! or `entrypoint: ./cmd/x`) with a build cache mount, writing the binary outside both mounts.
//! With `vendor/modules.txt` Go builds from `vendor/` and there is nothing to download.
//! Runtime: the binary alone on `static-debian13` (no libc): cgo is off unless `cgo: true`, in
//! which case the binary links glibc and runs on `base-debian13`. The image's entrypoint is the
//! binary itself.

use super::Recipe;
use crate::formats::go_mod::{GoMod, minor_of};
use crate::formats::tool_versions::tool_version;
use crate::plan::shell::quote;
use crate::plan::{
    Cache, CrossCompile, Deps, Entrypoint, Facts, Manifests, PlatformField, Problems,
    RecipeArtifact, RecipeBuilder, RecipeInput, RecipePlan, Run, Source, Versions, error_at, join,
};
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// The go recipe.
pub const GO: Recipe = Recipe {
    name: "go",
    probes: &["go.mod", "go.sum", "vendor/modules.txt", ".tool-versions"],
    spec_probes: super::no_spec_probes,
    serves: true,
    plan,
};

/// Go releases with a `golang:<v>-trixie` builder image, oldest first. Any of them builds a
/// module whose `go` line is older (Go 1 compatibility), so older lines use the default.
const VERSIONS: Versions = Versions {
    runtime: "go",
    known: &["1.24", "1.25", "1.26"],
    default: "1.26",
    image: "builder image shallot knows",
    carried_from: None,
};
/// Where the binary is written: outside the cache mounts, so that it is part of the layer.
const OUT_DIR: &str = "/out";

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let RecipeInput { spec, facts, .. } = input;
    let mut problems = Problems::new();
    let go_mod = problems.or(go_mod(spec, facts), GoMod::default());
    let version = problems.or(version(spec, facts, &go_mod), VERSIONS.default);
    let package = problems.or(main_package(spec), ".".to_string());
    let manifests = manifests(spec, facts, &go_mod, &mut problems);
    problems.check()?;

    let name = binary_name(&package, go_mod.module.as_deref());
    let binary = join(OUT_DIR, &name);
    // With vendor/modules.txt, go builds from vendor/ (module `go` line 1.14 or later) and
    // would not use a download.
    let deps = (!facts.has("vendor/modules.txt")).then(|| Deps {
        manifests: Manifests::Files(manifests),
        install: vec![Run::at(
            "go mod download",
            vec![module_cache()],
            spec.runtime.span,
        )],
    });
    // -s -w drop the symbol and DWARF tables (stack traces keep their names); -trimpath
    // keeps the builder's paths out of the binary, so builds are reproducible.
    let build = format!(
        "go build -trimpath -ldflags=\"-s -w\" -o {} {}",
        quote(&binary),
        quote(&package)
    );
    let at = spec
        .entrypoint
        .as_ref()
        .map_or(spec.runtime.span, |e| e.span);
    let cgo = spec.cgo.value;
    Ok(RecipePlan {
        builder: Some(RecipeBuilder {
            image: format!("golang:{version}-trixie"),
            env: builder_env(cgo),
            cross: cross(cgo),
            deps,
            build_caches: vec![module_cache(), build_cache()],
            finish: vec![Run::at(build, vec![module_cache(), build_cache()], at)],
            ..Default::default()
        }),
        runtime_image: if cgo {
            "gcr.io/distroless/base-debian13:nonroot".to_string()
        } else {
            "gcr.io/distroless/static-debian13:nonroot".to_string()
        },
        runtime_note: cgo.then(|| format!("{name} uses cgo, so it needs glibc")),
        artifacts: vec![RecipeArtifact {
            from: Source::Builder(binary),
            to: name.clone(),
            directory: false,
            mode: None,
        }],
        entrypoint: Entrypoint::Set(vec![join(&spec.workdir.value, &name)]),
        version: Some(version.to_string()),
        ..Default::default()
    })
}

/// The context's go.mod, read.
fn go_mod(spec: &Spec, facts: &Facts) -> Result<GoMod, Diagnostic> {
    match facts.read_text("go.mod", spec.runtime.span)? {
        Some(text) => Ok(GoMod::parse(text)),
        None if facts.is_excluded("go.mod") => Err(error_at(
            &spec.runtime,
            "runtime `go` needs go.mod, and .dockerignore or the spec's `exclude` leaves it out of the build".to_string(),
            Some("re-include it (a `!go.mod` line after the pattern that matches it in .dockerignore)".to_string()),
        )),
        None => Err(error_at(
            &spec.runtime,
            "runtime `go` needs go.mod at the root of the build context".to_string(),
            Some("create it with `go mod init <module path>`".to_string()),
        )),
    }
}

/// What `go mod download` reads: go.mod, go.sum and the go.mod of every local `replace`
/// (each one outside the context is a problem).
fn manifests(spec: &Spec, facts: &Facts, go_mod: &GoMod, problems: &mut Problems) -> Vec<String> {
    let mut manifests = crate::plan::FirstOfEach::starting_with(vec!["go.mod".to_string()]);
    if facts.has("go.sum") {
        manifests.push("go.sum".to_string());
    }
    for replace in &go_mod.replaces {
        // Go reads only the replacement's go.mod to resolve the module graph; its source
        // comes with the rest of the context, after the download.
        let Some(dir) = super::inside_context(&replace.path) else {
            problems.push(error_at(
                &spec.runtime,
                format!(
                    "go.mod line {} replaces `{}` with `{}`, which is outside the build context",
                    replace.line, replace.module, replace.path
                ),
                Some(
                    "only the build context reaches the build: move the module into it, or run `go mod vendor`"
                        .to_string(),
                ),
            ));
            continue;
        };
        manifests.push(join(&dir, "go.mod"));
    }
    manifests.into_vec()
}

/// The builder's environment: cgo as the spec says, caches where they are mounted, and no
/// toolchain downloads.
fn builder_env(cgo: bool) -> Vec<(String, String)> {
    vec![
        // The golang images have gcc, so cgo would be on and the binary would need a libc
        // that distroless static does not have.
        (
            "CGO_ENABLED".to_string(),
            if cgo { "1" } else { "0" }.to_string(),
        ),
        // The caches are mounted at these paths whatever the image's HOME or GOPATH.
        ("GOCACHE".to_string(), build_cache().target),
        ("GOMODCACHE".to_string(), module_cache().target),
        // Never download another toolchain because of a `toolchain` line.
        ("GOTOOLCHAIN".to_string(), "local".to_string()),
    ]
}

/// Go cross-compiles natively; with cgo it would need a cross C toolchain, so a cgo build
/// runs on the target platform instead.
fn cross(cgo: bool) -> CrossCompile {
    if cgo {
        CrossCompile::No
    } else {
        CrossCompile::Env(vec![
            ("GOOS".to_string(), PlatformField::Os),
            ("GOARCH".to_string(), PlatformField::Arch),
            ("GOARM".to_string(), PlatformField::ArmVersion),
        ])
    }
}

/// The builder's Go version: `go@<v>`, else the `golang` line of asdf's `.tool-versions`, else
/// the `go` line of go.mod, else the default. go.mod's line is the oldest Go the module
/// builds with, not a choice of toolchain (mise stops reading it as one), so a toolchain the
/// app names wins, as on railpack, as long as it is not older than that line.
fn version(spec: &Spec, facts: &Facts, go_mod: &GoMod) -> Result<&'static str, Diagnostic> {
    let needed = go_mod.go.as_deref().map(|line| (line, minor_of(line)));
    let tool = facts
        .read_text(".tool-versions", spec.runtime.span)?
        .and_then(|t| tool_version(t, &["golang", "go"]));
    if let (None, Some(tool)) = (&spec.runtime_version, tool) {
        return tool_go_version(spec, tool, needed);
    }
    if let Some(version) = VERSIONS.asked(spec)? {
        if let (Some(asked), Some((line, Some(minor)))) = (&spec.runtime_version, needed) {
            if minor_of(version).is_some_and(|v| v < minor) {
                return Err(error_at(
                    asked,
                    format!("go.mod needs go {line} (its `go` line), newer than go {version}"),
                    Some(format!(
                        "use a newer version ({}) or lower go.mod's `go` line",
                        VERSIONS.known.join(", ")
                    )),
                ));
            }
        }
        return Ok(version);
    }
    match needed {
        None => Ok(VERSIONS.default),
        Some((line, None)) => Err(error_at(
            &spec.runtime,
            format!("go.mod's `go {line}` line is not a Go version"),
            Some("write it like `go 1.26` or `go 1.26.1`".to_string()),
        )),
        Some((line, Some(minor))) => {
            let newest = VERSIONS.known.iter().copied().filter_map(minor_of).max();
            if newest.is_some_and(|newest| minor > newest) {
                return Err(error_at(
                    &spec.runtime,
                    format!(
                        "go.mod's `go {line}` line asks for a Go newer than any builder image shallot knows"
                    ),
                    Some(format!(
                        "{}; or set `images.builder`",
                        VERSIONS.use_one_of()
                    )),
                ));
            }
            // Older lines are built by the newest toolchain, which honours the module's
            // language version.
            let same_minor = VERSIONS
                .known
                .iter()
                .copied()
                .find(|v| minor_of(v) == Some(minor));
            Ok(same_minor.unwrap_or(VERSIONS.default))
        }
    }
}

/// The builder for the Go release `.tool-versions` names (`golang 1.25.0`): the known one of
/// its minor, an error naming the file when there is none or go.mod needs a newer one.
fn tool_go_version(
    spec: &Spec,
    tool: &str,
    needed: Option<(&str, Option<u32>)>,
) -> Result<&'static str, Diagnostic> {
    let minor = minor_of(tool);
    let known = VERSIONS
        .known
        .iter()
        .copied()
        .find(|v| minor.is_some() && minor_of(v) == minor);
    let version = match known {
        Some(version) => version,
        None => VERSIONS.stated(tool, ".tool-versions", spec.runtime.span)?,
    };
    match needed {
        Some((line, Some(needs))) if minor.is_some_and(|m| m < needs) => Err(error_at(
            &spec.runtime,
            format!(
                "go.mod needs go {line} (its `go` line), newer than go {tool} (from .tool-versions)"
            ),
            Some("use a newer Go in .tool-versions or lower go.mod's `go` line".to_string()),
        )),
        _ => Ok(version),
    }
}

/// The package to build, as `go build` wants it: `.` or `./dir`.
fn main_package(spec: &Spec) -> Result<String, Diagnostic> {
    let Some(entrypoint) = &spec.entrypoint else {
        return Ok(".".to_string());
    };
    let value = entrypoint.value.trim();
    if matches!(value, "." | "./") {
        return Ok(".".to_string());
    }
    match super::inside_context(value) {
        Some(dir) => Ok(format!("./{dir}")),
        _ => Err(error_at(
            entrypoint,
            format!(
                "entrypoint `{value}` is not a directory inside the build context; for go it names the main package"
            ),
            Some("write it like `./cmd/server`, or leave it out for the module root".to_string()),
        )),
    }
}

/// The binary's name: the main package's directory, or for the module root the module path's
/// last element (without a `/vN` major version suffix).
fn binary_name(package: &str, module: Option<&str>) -> String {
    let from_package = package
        .rsplit('/')
        .next()
        .map(|n| n.strip_suffix(".go").unwrap_or(n))
        .filter(|n| *n != ".");
    let from_module = || {
        let mut parts = module?.rsplit('/');
        let last = parts.next()?;
        let is_major = last
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if is_major { parts.next() } else { Some(last) }
    };
    let name: String = from_package
        .or_else(from_module)
        .unwrap_or("app")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        "app".to_string()
    } else {
        name
    }
}

fn module_cache() -> Cache {
    Cache {
        target: "/go/pkg/mod".to_string(),
        id: "shallot-go-mod".to_string(),
        // Go locks its module cache itself.
        locked: false,
    }
}

fn build_cache() -> Cache {
    Cache {
        target: "/root/.cache/go-build".to_string(),
        id: "shallot-go-build".to_string(),
        // The build cache is safe for concurrent use.
        locked: false,
    }
}

#[cfg(test)]
mod tests;
