//! The interface between the plan and the runtime recipes.
//!
//! A [`Recipe`] is plain data plus a `plan` function: it names the context files it needs to see
//! and turns a spec and those files into a [`RecipePlan`], the runtime-specific part of the build.
//! [`Plan::from_spec`](super::Plan::from_spec) adds what every runtime shares. The recipes
//! themselves live in `crate::runtimes`; this module knows none of them.

use super::start::StartPlan;
use super::{Cache, CrossCompile, Entrypoint, Facts, Platform, Run, Source, Step, Unlocked};
use crate::spec::{Diagnostics, Spec};

/// How one runtime is built and run.
#[derive(Debug)]
pub struct Recipe {
    /// The name users write in `runtime:`.
    pub name: &'static str,
    /// Context files (relative paths) whose presence and contents the recipe looks at.
    pub probes: &'static [&'static str],
    /// Context files named by the spec whose beginning the recipe looks at (at most
    /// [`HEADER_BYTES`](crate::context::HEADER_BYTES) of each), e.g. a prebuilt binary. A path
    /// may name platform args (`dist/${TARGETARCH}/app`): the file is read for each platform
    /// of the build.
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
    /// The platform this plan builds for (one plan per platform of a multi-platform build).
    pub platform: &'a Platform,
}

/// What a recipe decides for one spec; [`Plan::from_spec`](super::Plan::from_spec) adds what
/// all runtimes share. What a recipe leaves out (`..Default::default()`) is empty: no note, no
/// command, no environment, nothing excluded, and the base image's entrypoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// Where the start command came from, and what the builder checks for it (after every
    /// other step, before the runtime stage takes the files).
    pub start: Option<StartPlan>,
    /// The version of the language runtime the app runs on (node's major, python's series,
    /// Go's release the binary is compiled with); `None` for runtimes without one.
    pub version: Option<String>,
}

/// A recipe's builder stage, as parts: [`RecipeBuilder::steps`] puts them in the one order
/// every runtime shares (setup, manifests, install, source, the spec's `build` or the app's own,
/// finish), so a recipe says what its steps are and never where they go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipeBuilder {
    /// Builder image.
    pub image: String,
    /// Environment for every step.
    pub env: Vec<(String, String)>,
    /// Whether the toolchain can compile for another platform natively.
    pub cross: CrossCompile,
    /// Runs before anything is copied in (e.g. making the package manager available).
    pub setup: Vec<Run>,
    /// How dependencies are installed; `None` when there is nothing to install.
    pub deps: Option<Deps>,
    /// The app's own build (node's `scripts.build`), run in place of the spec's `build`
    /// commands when the spec writes no `build` (`build: []` builds nothing).
    pub default_build: Vec<Run>,
    /// Cache mounts for the spec's `build` commands.
    pub build_caches: Vec<Cache>,
    /// Runs after the spec's `build` commands: compile, prune, clean up.
    pub finish: Vec<Run>,
}

/// The dependency install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deps {
    /// What the install reads.
    pub manifests: Manifests,
    /// The install runs, on their cache mounts.
    pub install: Vec<Run>,
}

/// What a dependency install reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manifests {
    /// These context paths, copied before the source, so that a change to the source alone
    /// keeps the install cached.
    Files(Vec<String>),
    /// The whole source: the install cannot be told its manifests without walking the context
    /// (a workspace), so it gives up the manifests-first layer.
    WholeSource,
}

impl RecipeBuilder {
    /// The builder's steps, in order, with the spec's `build` commands in their place.
    pub fn steps(&self, spec: &Spec) -> Vec<Step> {
        let mut steps: Vec<Step> = self.setup.iter().cloned().map(Step::Run).collect();
        match &self.deps {
            Some(Deps {
                manifests: Manifests::Files(paths),
                install,
            }) => {
                steps.push(Step::CopyFiles {
                    paths: paths.clone(),
                });
                steps.extend(install.iter().cloned().map(Step::Run));
                steps.push(Step::CopySource);
            }
            Some(Deps {
                manifests: Manifests::WholeSource,
                install,
            }) => {
                steps.push(Step::CopySource);
                steps.extend(install.iter().cloned().map(Step::Run));
            }
            None => steps.push(Step::CopySource),
        }
        if spec.build_written {
            steps.extend(spec.build.iter().map(|command| {
                Step::Run(Run::at(
                    command.value.clone(),
                    self.build_caches.clone(),
                    command.span,
                ))
            }));
        } else {
            steps.extend(self.default_build.iter().cloned().map(Step::Run));
        }
        steps.extend(self.finish.iter().cloned().map(Step::Run));
        steps
    }
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
