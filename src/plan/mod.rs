//! The build plan: a runtime recipe applied to a spec and the facts of the build context.
//!
//! A [`Plan`] is plain data (no LLB types), so it can be dumped (`shallot plan`), compared in
//! tests and read by a person: which images, which files are copied first, which commands run
//! with which cache mounts, what the runtime image receives and how its config is set.
//! [`Plan::from_spec`] is pure; the facts it needs ([`Facts`]) are gathered at the edge.

mod assemble;
mod dockerignore;
pub mod facts;
mod files;
mod interpolate;
pub mod native;
mod options;
mod platform;
mod problems;
mod recipe;
pub mod shell;
pub mod start;
mod unique;
mod versions;

pub use assemble::{debug_variant, image_env};
pub use dockerignore::{dockerignore_patterns, is_excluded, literal_pattern};
pub use facts::Facts;
pub use interpolate::references;
pub use native::{BASE_MOUNT, STAGED_ROOT};
pub use unique::{FirstOfEach, first_of_each};

pub use options::{
    BUILDER_IMAGE_ARG, BadOption, NOT_AN_IMAGE_CONTEXT, Options, RUNTIME_IMAGE_ARG, Stage, Target,
};
pub use platform::{PLATFORM_ARGS, Platform, platform_refs};
pub use problems::Problems;
pub use recipe::{
    Deps, Manifests, Recipe, RecipeArtifact, RecipeBuilder, RecipeInput, RecipePlan, no_spec_probes,
};
pub use versions::{Version, Versions, version_line};

use crate::spec::{Diagnostic, Diagnostics, Located, Span, Spec, User};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A complete, runtime-independent description of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The runtime's name, e.g. `node`.
    pub runtime: &'static str,
    /// How the build context is sent.
    pub context: ContextUse,
    /// The builder stage; `None` when the runtime image takes files straight from the context
    /// (a prebuilt binary).
    pub builder: Option<Builder>,
    /// The runtime stage.
    pub runtime_stage: Runtime,
    /// The runtime image's config (what we set on top of the base image's).
    pub config: ImageConfig,
    /// Set when the dependency step installs without a lockfile.
    pub unlocked: Option<Unlocked>,
    /// The language runtime's version the image runs (node `24`, python `3.13`, go `1.26`),
    /// whatever images replace the recipe's: what the SBOM names the runtime at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version: Option<String>,
    /// The start command as the app wrote it and where (`Procfile `web:``, package.json's
    /// `scripts.start`, …), for runtimes that read one; the image config has its exec form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<start::Start>,
}

/// A dependency step that installs without a lockfile, so versions are chosen at build time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unlocked {
    /// The install command, e.g. `npm install`.
    pub command: String,
    /// Lockfiles that would pin the versions.
    pub lockfiles: Vec<String>,
    /// The spec location of the install step.
    pub span: Span,
}

/// How the build context is sent to BuildKit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContextUse {
    /// Only paths matching these patterns are sent (the spec's `include` plus the manifests
    /// the recipe copies); empty sends everything.
    pub include: Vec<String>,
    /// Patterns never sent: `.dockerignore`, the spec's `exclude` and the recipe's own
    /// (e.g. `node_modules`).
    pub exclude: Vec<String>,
}

/// The builder stage: an image with the runtime's toolchain and the steps run in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Builder {
    /// Image reference.
    pub image: String,
    /// Where the app is built.
    pub workdir: String,
    /// Environment for every step.
    pub env: Vec<(String, String)>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The last run, after every step: the shared libraries the runtime stage's files need
    /// and its base lacks, staged for the runtime ([`native::libraries`]).
    pub libraries: Run,
    /// Secrets mounted into the runs before the source is copied (dependency installation),
    /// and nowhere else.
    pub secrets: Vec<SecretMount>,
    /// SSH agent ids forwarded into those same runs.
    pub ssh: Vec<String>,
    /// Whether the builder runs on the build platform and compiles for the target.
    pub cross: CrossCompile,
}

/// How a builder produces code for the target platform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub enum CrossCompile {
    /// The builder runs on the target platform (under emulation when that is not the build
    /// platform).
    #[default]
    No,
    /// The builder runs natively on the build platform and is told the target through these
    /// environment variables (Go's `GOOS`, `GOARCH`, `GOARM`).
    Env(Vec<(String, PlatformField)>),
}

/// A part of the target platform, for [`CrossCompile::Env`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PlatformField {
    /// `linux`.
    Os,
    /// `amd64`, `arm64`, `arm`, …
    Arch,
    /// The ARM version without its `v` (`7` for `linux/arm/v7`); unset for other arches.
    ArmVersion,
}

/// A build secret mounted into dependency steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecretMount {
    /// The id the build passes it under (`--secret id=…`).
    pub id: String,
    /// Where it is mounted.
    pub target: String,
    /// The build fails when it is not passed.
    pub required: bool,
}

/// One step of the builder stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Step {
    /// Copy these context paths (files or directories) into the workdir, keeping their
    /// relative paths: the dependency manifests, before the install step.
    CopyFiles {
        /// Paths relative to the context root.
        paths: Vec<String>,
    },
    /// Copy the whole context (less the excluded paths) into the workdir.
    CopySource,
    /// Run a shell command in the workdir.
    Run(Run),
}

/// A command run in the builder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    /// Shell command (run with `/bin/sh -c`).
    pub command: String,
    /// Cache mounts the command uses.
    pub caches: Vec<Cache>,
    /// The spec lines this command comes from.
    pub span: Option<Span>,
    /// What the progress line shows in place of the command, for a script nobody would read
    /// on one line; `None` shows the command, as a Dockerfile's `RUN` line does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Where the runtime stage's base image is mounted, read-only, for a run that must see
    /// what the base has; `None` mounts nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_mount: Option<String>,
}

impl Run {
    /// `command` on these caches, for the spec line at `span`.
    pub fn at(command: impl Into<String>, caches: Vec<Cache>, span: Span) -> Run {
        Run {
            command: command.into(),
            caches,
            span: Some(span),
            label: None,
            base_mount: None,
        }
    }

    /// This run, shown in the progress output as `label`.
    pub fn labelled(mut self, label: impl Into<String>) -> Run {
        self.label = Some(label.into());
        self
    }
}

/// A persistent cache directory mounted into a run; never part of a layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cache {
    /// Where it is mounted.
    pub target: String,
    /// Cache id, namespaced `shallot-…`.
    pub id: String,
    /// Concurrent builds must wait for each other (tools that do not lock their cache).
    pub locked: bool,
}

/// The runtime stage: a distroless image and what is copied into it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Runtime {
    /// Image reference.
    pub image: String,
    /// The builder's staged root ([`native::STAGED_ROOT`]: a carried interpreter, shared
    /// libraries), copied onto the image's `/` before the artifacts; `None` without a builder.
    pub staged: Option<String>,
    /// Why this image, shown in the progress line (e.g. `server is statically linked`).
    pub note: Option<String>,
    /// Copies from the builder or the context.
    pub artifacts: Vec<Artifact>,
}

/// Where an artifact comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Source {
    /// A path in the builder stage (absolute in [`Plan`]; relative to the workdir in a
    /// [`RecipePlan`], `.` for the workdir itself).
    Builder(String),
    /// A path in the build context (relative to its root).
    Context(String),
}

/// A path copied into the runtime image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Where it comes from.
    pub from: Source,
    /// Absolute path in the runtime image.
    pub to: String,
    /// Owner of the copy: the runtime user, so the app can write its own files.
    #[serde(serialize_with = "Ids::serialize_pair")]
    pub owner: Ids,
    /// A directory (made first, so that it too belongs to the owner) rather than a file.
    pub directory: bool,
    /// Permission bits to set (e.g. `0o755` for a binary); `None` keeps the source's.
    pub mode: Option<u32>,
    /// Where in the spec this comes from.
    pub span: Option<Span>,
}

/// The image config shallot sets; everything else is inherited from the base image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    /// `None` keeps the base image's entrypoint (e.g. distroless node's `/nodejs/bin/node`);
    /// the fallback is used when the base has none.
    pub entrypoint: Entrypoint,
    /// Command after the entrypoint.
    pub cmd: Vec<String>,
    /// Variables set on top of the base image's.
    pub env: Vec<(String, String)>,
    /// Ports the app listens on.
    pub exposed_ports: Vec<Port>,
    /// Who the app runs as.
    pub user: Ids,
    /// Working directory.
    pub workdir: String,
    /// Image labels.
    pub labels: BTreeMap<String, String>,
}

/// A numeric user and group, as the image config and file owners take them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl Ids {
    /// distroless' `nonroot` user and group.
    pub const NONROOT: Ids = Ids {
        uid: 65532,
        gid: 65532,
    };
    /// `root`.
    pub const ROOT: Ids = Ids { uid: 0, gid: 0 };

    /// The ids the spec's `user` stands for.
    pub fn of(user: &User) -> Ids {
        match *user {
            User::Nonroot => Ids::NONROOT,
            User::Root => Ids::ROOT,
            User::Id { uid, gid } => Ids { uid, gid },
        }
    }

    /// As `[uid, gid]`, the form file owners take in a dumped plan.
    fn serialize_pair<S: Serializer>(ids: &Ids, s: S) -> Result<S::Ok, S::Error> {
        [ids.uid, ids.gid].serialize(s)
    }
}

/// `uid:gid`, the image config's `User`.
impl fmt::Display for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

impl Serialize for Ids {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A TCP port the app listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Port(pub u16);

/// `8080/tcp`, the image config's `ExposedPorts` key.
impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/tcp", self.0)
    }
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The runtime image's entrypoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Entrypoint {
    /// Keep the base image's; use `fallback` if it has none.
    Inherit {
        /// Used when the base image has no entrypoint.
        fallback: Vec<String>,
    },
    /// Set exactly this.
    Set(Vec<String>),
}

/// The base image's own entrypoint, with nothing to fall back on.
impl Default for Entrypoint {
    fn default() -> Self {
        Entrypoint::Inherit {
            fallback: Vec::new(),
        }
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The spec asks for something its context cannot give; every problem, with its place.
    #[error(transparent)]
    Spec(#[from] Diagnostics),
    /// A build option (an image build arg or a named context for a base image) does not name
    /// a usable image.
    #[error(transparent)]
    Option(#[from] BadOption),
}

impl Plan {
    /// Applies `recipe` to the spec, then the settings all runtimes share and the options
    /// from outside the spec.
    pub fn from_spec(
        recipe: &Recipe,
        spec: &Spec,
        facts: &Facts,
        options: &Options,
    ) -> Result<Plan, PlanError> {
        let interpolated;
        let spec = if options.build_args.is_empty() {
            spec
        } else {
            interpolated = interpolate::interpolate(spec, &options.build_args)
                .map_err(|d| Diagnostics(vec![d]))?;
            &interpolated
        };
        // A file the build will not see must not decide anything: the recipe sees only what
        // the context's excludes let through.
        let excludes = assemble::sent_excludes(spec, facts, options);
        let sent = facts.without(|path| is_excluded(&excludes, path));
        let facts = &sent;
        let input = RecipeInput {
            spec,
            facts,
            platform: &options.platform,
        };
        let recipe_plan = (recipe.plan)(input).map_err(|mut d| {
            d.0.sort_by_key(|d| (d.span.line, d.span.col));
            d
        })?;
        files::check(recipe.name, spec, &recipe_plan)?;
        assemble::assemble(recipe, spec, facts, options, recipe_plan)
    }
}

/// `dir` joined with a relative `path`.
pub fn join(dir: &str, path: &str) -> String {
    let path = path.trim_start_matches("./");
    if dir.ends_with('/') {
        format!("{dir}{path}")
    } else {
        format!("{dir}/{path}")
    }
}

/// A diagnostic at a spec location.
pub fn error_at<T>(at: &Located<T>, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        span: at.span,
        message,
        hint,
    }
}

#[cfg(test)]
mod tests;
