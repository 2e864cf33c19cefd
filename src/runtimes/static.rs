//! Static: a prebuilt Linux binary from the build context, on distroless, with no builder.
//!
//! `entrypoint` names the binary. Its ELF header (the first 4 KiB, read by the gateway through
//! [`Recipe::spec_probes`]) decides the runtime image: without a program interpreter
//! (`PT_INTERP`) it is statically linked and runs on `static-debian13`, which has no libc;
//! otherwise it is dynamically linked against glibc and runs on `cc-debian13` (glibc, libgcc_s,
//! libstdc++). The binary must be built for the platform of the plan (`linux/amd64` unless the
//! build says `--platform`): its ELF machine, class and byte order are checked.
//!
//! A multi-platform build plans once per platform, so each platform takes its own binary: the
//! entrypoint may name the platform args `${TARGETPLATFORM}`, `${TARGETOS}`, `${TARGETARCH}`
//! and `${TARGETVARIANT}` (`dist/${TARGETARCH}/server`, `dist/${TARGETPLATFORM}/server`), as a
//! Dockerfile's `COPY` would. One binary for several
//! platforms fails for each platform it is not built for, naming the way to fix it.
//! The binary is copied into the workdir with mode 755 and is the image's entrypoint.

use super::Recipe;
use crate::formats::elf::{ET_DYN, ET_EXEC, Elf, Linking, Machine};
use crate::plan::{
    Entrypoint, Facts, Platform, Problems, RecipeArtifact, RecipeInput, RecipePlan, Source,
    error_at, join, platform_refs,
};
use crate::spec::{Diagnostic, Diagnostics, Located, Spec};

/// The static recipe.
pub const STATIC: Recipe = Recipe {
    name: "static",
    probes: &[],
    spec_probes,
    serves: false,
    plan,
};

const STATIC_IMAGE: &str = "gcr.io/distroless/static-debian13:nonroot";
const CC_IMAGE: &str = "gcr.io/distroless/cc-debian13:nonroot";

/// The binary named by `entrypoint`, whose header the recipe reads.
fn spec_probes(spec: &Spec) -> Vec<String> {
    spec.entrypoint
        .as_ref()
        .and_then(|e| super::inside_context(e.value.trim()))
        .into_iter()
        .collect()
}

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let RecipeInput {
        spec,
        facts,
        platform,
    } = input;
    let mut problems = Problems::new();
    nothing_to_build(spec, &mut problems);
    let binary = problems.ok(binary(spec, facts, platform));
    problems.check()?;
    let Some((path, linking)) = binary else {
        return Err(Diagnostics(Vec::new()));
    };
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let (runtime_image, note) = match linking {
        Linking::Static => (STATIC_IMAGE, format!("{name} is statically linked")),
        Linking::Dynamic(Some(interp)) => {
            (CC_IMAGE, format!("{name} is dynamically linked ({interp})"))
        }
        Linking::Dynamic(None) => (CC_IMAGE, format!("{name} is dynamically linked")),
        // cc runs static binaries too, so it is the safe choice when the header cannot tell.
        Linking::Unknown => (
            CC_IMAGE,
            format!("{name}'s program headers are not in its first 4 KiB; cc runs either kind"),
        ),
    };
    Ok(RecipePlan {
        runtime_image: runtime_image.to_string(),
        runtime_note: Some(note),
        artifacts: vec![RecipeArtifact {
            from: Source::Context(path),
            to: name.clone(),
            directory: false,
            // Whatever the mode in the context (a checkout may lose the x bit), it must run.
            mode: Some(0o755),
        }],
        entrypoint: Entrypoint::Set(vec![join(&spec.workdir.value, &name)]),
        ..Default::default()
    })
}

/// A prebuilt binary has no version to choose and no stage to build in.
fn nothing_to_build(spec: &Spec, problems: &mut Problems) {
    if let Some(version) = &spec.runtime_version {
        problems.push(error_at(
            version,
            format!("runtime `static` has no versions, got `{}`", version.value),
            Some("write `runtime: static`".to_string()),
        ));
    }
    if let Some(first) = spec.build.first() {
        problems.push(error_at(
            first,
            "runtime `static` has no build stage to run `build` commands in".to_string(),
            Some(
                "build the binary before `docker build`, or use a runtime that builds it (e.g. go)"
                    .to_string(),
            ),
        ));
    }
}

/// The binary `entrypoint` names for `platform`, inside the context, and how it is linked.
fn binary(
    spec: &Spec,
    facts: &Facts,
    platform: &Platform,
) -> Result<(String, Linking), Diagnostic> {
    let Some(entrypoint) = &spec.entrypoint else {
        return Err(Diagnostic {
            span: spec.runtime.span,
            message: "runtime `static` needs `entrypoint`, the binary to run".to_string(),
            hint: Some(
                "add `entrypoint: ./server` (a Linux binary in the build context)".to_string(),
            ),
        });
    };
    let written = entrypoint.value.trim();
    let per_platform = platform_args(entrypoint)?;
    // Which platform a path or a binary is for matters only where the spec picks per platform.
    let for_platform = if per_platform {
        format!(" (for {platform})")
    } else {
        String::new()
    };
    let Some(path) = super::inside_context(&platform.expand(written)) else {
        return Err(error_at(
            entrypoint,
            format!("entrypoint `{written}` is not a file inside the build context"),
            Some(
                "name the binary by its path relative to the context, e.g. `./server`".to_string(),
            ),
        ));
    };
    let Some(header) = facts.files.get(&path) else {
        if facts.is_excluded(&path) {
            return Err(error_at(
                entrypoint,
                format!(
                    "`{path}` is in the build context, but .dockerignore or the spec's `exclude` leaves it out of the build"
                ),
                Some(format!(
                    "re-include it (a `!{path}` line after the pattern that matches it in .dockerignore)"
                )),
            ));
        }
        return Err(error_at(
            entrypoint,
            format!("`{path}`{for_platform} is not a file in the build context"),
            Some(format!(
                "build the binary{for_platform} into the context before `docker build`"
            )),
        ));
    };
    let elf = Elf::parse(header).map_err(|why| {
        error_at(
            entrypoint,
            format!("`{path}`{for_platform} {why}"),
            Some(format!(
                "the static runtime runs a Linux executable for {platform}"
            )),
        )
    })?;
    check_runnable(&elf, platform, per_platform)
        .map_err(|(why, hint)| error_at(entrypoint, format!("`{path}` {why}"), Some(hint)))?;
    Ok((path, elf.linking))
}

/// Whether the entrypoint names platform args; an error for a `${NAME}` that is none, which
/// nothing would put in.
fn platform_args(entrypoint: &Located<String>) -> Result<bool, Diagnostic> {
    let (named, others) = platform_refs(&entrypoint.value);
    match others.first() {
        None => Ok(named),
        Some(other) => Err(error_at(
            entrypoint,
            format!(
                "entrypoint names `${{{}}}`, which is not a platform arg",
                crate::spec::safe(other)
            ),
            Some(
                "only ${TARGETPLATFORM}, ${TARGETOS}, ${TARGETARCH} and ${TARGETVARIANT} are put in, e.g. `dist/${TARGETARCH}/server`"
                    .to_string(),
            ),
        )),
    }
}

/// Whether distroless on `platform` can run it; else why not and what to do.
fn check_runnable(
    elf: &Elf,
    platform: &Platform,
    per_platform: bool,
) -> Result<(), (String, String)> {
    let Some(wanted) = Machine::of(&platform.architecture).filter(|_| platform.os == "linux")
    else {
        return Err((
            format!("cannot be checked for {platform}, a platform shallot does not know"),
            "build for a Linux platform such as linux/amd64 or linux/arm64".to_string(),
        ));
    };
    if elf.machine() != wanted {
        let hint = if per_platform {
            format!("the file the entrypoint names for {platform} must be built for it")
        } else {
            format!(
                "build it for {platform} (e.g. GOARCH={}), or, to build for several platforms, name each one's binary: `entrypoint: dist/${{TARGETARCH}}/server`",
                platform.architecture
            )
        };
        return Err((
            format!("is built for {}, not for {platform}", elf.describe()),
            hint,
        ));
    }
    if elf.kind != ET_EXEC && elf.kind != ET_DYN {
        return Err((
            "is an ELF object or core file, not an executable".to_string(),
            "name the linked program, not an object file".to_string(),
        ));
    }
    if let Linking::Dynamic(Some(interp)) = &elf.linking {
        if interp.contains("musl") {
            return Err((
                format!("is linked against musl (its loader is {interp}); distroless images have glibc"),
                "link it statically (e.g. `-static`, or a *-unknown-linux-musl target, which is static by default)".to_string(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "static/tests.rs"]
mod tests;
