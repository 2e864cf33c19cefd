//! Static: a prebuilt Linux binary from the build context, on distroless, with no builder.
//!
//! `entrypoint` names the binary. Its ELF header (the first 4 KiB, read by the gateway through
//! [`Recipe::spec_probes`]) decides the runtime image: without a program interpreter
//! (`PT_INTERP`) it is statically linked and runs on `static-debian13`, which has no libc;
//! otherwise it is dynamically linked against glibc and runs on `cc-debian13` (glibc, libgcc_s,
//! libstdc++). Only x86-64 (amd64) binaries are accepted: that is the platform shallot builds.
//! The binary is copied into the workdir with mode 755 and is the image's entrypoint.

use super::Recipe;
use crate::formats::elf::{EM_X86_64, ET_DYN, ET_EXEC, Elf, Linking};
use crate::plan::{
    Entrypoint, Facts, Problems, RecipeArtifact, RecipeInput, RecipePlan, Source, error_at, join,
};
use crate::spec::{Diagnostic, Diagnostics, Spec};

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
    let RecipeInput { spec, facts } = input;
    let mut problems = Problems::new();
    nothing_to_build(spec, &mut problems);
    let binary = problems.ok(binary(spec, facts));
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

/// The binary `entrypoint` names, inside the context, and how it is linked.
fn binary(spec: &Spec, facts: &Facts) -> Result<(String, Linking), Diagnostic> {
    let Some(entrypoint) = &spec.entrypoint else {
        return Err(Diagnostic {
            span: spec.runtime.span,
            message: "runtime `static` needs `entrypoint`, the binary to run".to_string(),
            hint: Some(
                "add `entrypoint: ./server` (a Linux x86-64 binary in the build context)"
                    .to_string(),
            ),
        });
    };
    let written = entrypoint.value.trim();
    let Some(path) = super::inside_context(written) else {
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
            format!("`{path}` is not a file in the build context"),
            Some("build the binary into the context before `docker build`".to_string()),
        ));
    };
    let elf = Elf::parse(header).map_err(|why| {
        error_at(
            entrypoint,
            format!("`{path}` {why}"),
            Some("the static runtime runs a Linux x86-64 (amd64) executable".to_string()),
        )
    })?;
    check_runnable(&elf)
        .map_err(|(why, hint)| error_at(entrypoint, format!("`{path}` {why}"), Some(hint)))?;
    Ok((path, elf.linking))
}

/// Whether distroless on x86-64 can run it; else why not and what to do.
fn check_runnable(elf: &Elf) -> Result<(), (String, String)> {
    if elf.machine != EM_X86_64 || !elf.is_64 {
        let arch = match (elf.machine, elf.is_64) {
            (EM_X86_64, false) => "x32 (x86-64 with 32-bit pointers)",
            (3, _) => "32-bit x86",
            (40, _) => "32-bit arm",
            (183, _) => "arm64 (aarch64)",
            (243, _) => "riscv",
            (21, _) => "ppc64",
            (22, _) => "s390x",
            (8, _) => "mips",
            (258, _) => "loongarch",
            _ => "another architecture",
        };
        return Err((
            format!("is built for {arch}, not x86-64"),
            "shallot builds amd64 images only: compile the binary for x86-64 (e.g. GOARCH=amd64, --target x86_64-unknown-linux-gnu)".to_string(),
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
                "link it statically (e.g. `-static`, or the x86_64-unknown-linux-musl target, which is static by default)".to_string(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "static/tests.rs"]
mod tests;
