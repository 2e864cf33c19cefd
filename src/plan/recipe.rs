//! The interface between the plan and the runtime recipes.
//!
//! A [`Recipe`] is plain data plus a `plan` function: it names the context files it needs to see
//! and turns a spec and those files into a [`RecipePlan`], the runtime-specific part of the build.
//! [`Plan::from_spec`](super::Plan::from_spec) adds what every runtime shares. The recipes
//! themselves live in `crate::runtimes`; this module knows none of them.

use super::{CrossCompile, Entrypoint, Facts, Source, Step, Unlocked};
use crate::spec::{Diagnostics, Spec};

/// How one runtime is built and run.
#[derive(Debug)]
pub struct Recipe {
    /// The name users write in `runtime:`.
    pub name: &'static str,
    /// Context files (relative paths) whose presence and contents the recipe looks at.
    pub probes: &'static [&'static str],
    /// Context files named by the spec whose beginning the recipe looks at (at most
    /// [`HEADER_BYTES`](crate::context::HEADER_BYTES) of each), e.g. a prebuilt binary.
    pub spec_probes: fn(&Spec) -> Vec<String>,
    /// Apps of this runtime usually listen on a port, so a spec without `port` is worth a
    /// lint warning (a prebuilt binary may be anything).
    pub serves: bool,
    /// Decides the runtime-specific part of the plan.
    pub plan: fn(RecipeInput<'_>) -> Result<RecipePlan, Diagnostics>,
}

/// For recipes that need nothing named by the spec.
pub fn no_spec_probes(_: &Spec) -> Vec<String> {
    Vec::new()
}

/// What a recipe gets to decide with.
#[derive(Clone, Copy, Debug)]
pub struct RecipeInput<'a> {
    /// The validated spec.
    pub spec: &'a Spec,
    /// The context's files the recipe asked for.
    pub facts: &'a Facts,
}

/// What a recipe decides for one spec; [`Plan::from_spec`] adds what all runtimes share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipePlan {
    /// The builder stage, if the runtime needs one.
    pub builder: Option<RecipeBuilder>,
    /// Runtime image (the `nonroot` variant).
    pub runtime_image: String,
    /// Why this runtime image, for the progress output.
    pub runtime_note: Option<String>,
    /// What the runtime image receives.
    pub artifacts: Vec<RecipeArtifact>,
    /// Entrypoint.
    pub entrypoint: Entrypoint,
    /// Command.
    pub cmd: Vec<String>,
    /// Runtime environment the recipe always sets (the spec's `env` wins).
    pub env: Vec<(String, String)>,
    /// Context patterns never sent.
    pub exclude: Vec<String>,
    /// Set when dependencies are installed without a lockfile.
    pub unlocked: Option<Unlocked>,
}

/// A recipe's builder stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeBuilder {
    /// Builder image.
    pub image: String,
    /// Environment for every step.
    pub env: Vec<(String, String)>,
    /// Steps, in order.
    pub steps: Vec<Step>,
    /// Whether the toolchain can compile for another platform natively.
    pub cross: CrossCompile,
}

/// A path a recipe puts into the runtime image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeArtifact {
    /// Where it comes from: a builder path relative to the workdir (`.` for all of it) or
    /// absolute, or a context path.
    pub from: Source,
    /// Where it goes: relative to the workdir (`.` for the workdir itself) or absolute.
    pub to: String,
    /// A directory rather than a file.
    pub directory: bool,
    /// Permission bits to set; `None` keeps the source's.
    pub mode: Option<u32>,
}

impl RecipeArtifact {
    /// The whole workdir of the builder, as the runtime's workdir.
    pub fn workdir() -> RecipeArtifact {
        RecipeArtifact {
            from: Source::Builder(".".to_string()),
            to: ".".to_string(),
            directory: true,
            mode: None,
        }
    }
}
