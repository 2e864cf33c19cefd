//! The spec's `files`: what a compiled app reads at run time (Go templates, static assets),
//! copied next to its binary.
//!
//! A runtime whose image receives only the build's output (go, rust, java, static) would
//! otherwise start without them and fail on the first request that needs one. A runtime whose
//! image receives the whole app directory (node, python) already ships them, so `files` there
//! is refused rather than ignored: a key that silently does nothing misleads whoever reads the
//! spec. Which runtime is which is read from the recipe's own artifacts, so a new runtime needs
//! no entry here.

use super::{Artifact, Ids, RecipeArtifact, RecipePlan, Source, join};
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// Refuses `files` when the recipe already copies the whole workdir into the runtime image.
pub(super) fn check(runtime: &str, spec: &Spec, r: &RecipePlan) -> Result<(), Diagnostics> {
    let Some(first) = spec.files.first() else {
        return Ok(());
    };
    if !r.artifacts.contains(&RecipeArtifact::workdir()) {
        return Ok(());
    }
    Err(Diagnostics(vec![Diagnostic::new(
        first.span,
        format!(
            "runtime `{runtime}` already ships the whole app directory, so `files` would copy nothing"
        ),
        Some("remove `files`; to keep a path out of the image, list it in `exclude`".to_string()),
    )]))
}

/// The spec's `files` as runtime artifacts: from the builder's workdir after the build (so a
/// file the build makes counts too), or from the context when there is no builder; each to the
/// same relative path under the runtime's workdir, owned by the runtime user.
pub(super) fn artifacts(spec: &Spec, has_builder: bool, owner: Ids) -> Vec<Artifact> {
    let workdir = &spec.workdir.value;
    spec.files
        .iter()
        .map(|path| Artifact {
            from: if has_builder {
                Source::Builder(join(workdir, &path.value))
            } else {
                Source::Context(path.value.clone())
            },
            to: join(workdir, &path.value),
            owner,
            // Copied as it is: a directory with its contents, or a single file.
            directory: false,
            mode: None,
            span: Some(path.span),
        })
        .collect()
}

#[cfg(test)]
mod tests;
