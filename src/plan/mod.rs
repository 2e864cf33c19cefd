//! The build plan: a runtime recipe applied to a spec and the facts of the build context.
//!
//! A [`Plan`] is plain data (no LLB types), so it can be dumped (`shallot plan`), compared in
//! tests and read by a person: which images, which files are copied first, which commands run
//! with which cache mounts, what the runtime image receives and how its config is set.
//! [`Plan::from_spec`] is pure; the facts it needs ([`Facts`]) are gathered at the edge.

use crate::runtimes::{self, Recipe};
use crate::spec::{Diagnostic, Diagnostics, Located, Span, Spec, User};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the recipe learned from the build context: the contents of the files it asked for
/// (those that exist) and the context's `.dockerignore`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Contents of probed files that exist, by path relative to the context root.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The context's `.dockerignore`, if any.
    pub dockerignore: Option<String>,
}

impl Facts {
    /// Whether the context has this file.
    pub fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// A file's text, if it exists and is UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// Build settings that come from outside the spec (build args, frontend options).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `SHALLOT_BUILDER_IMAGE`: replaces the builder image, whatever the spec says.
    pub builder_image: Option<String>,
    /// `SHALLOT_RUNTIME_IMAGE`: replaces the runtime image, whatever the spec says.
    pub runtime_image: Option<String>,
    /// Build arguments (`--build-arg NAME=value`): `${NAME}` in the spec's `env`, `labels`,
    /// `args` and `build` is replaced by the value.
    pub build_args: BTreeMap<String, String>,
    /// Labels from the build command (`--label`); they win over the spec's.
    pub labels: BTreeMap<String, String>,
}

/// A complete, runtime-independent description of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The runtime's name, e.g. `node`.
    pub runtime: String,
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
    /// Owner `(uid, gid)` of the copy: the runtime user, so the app can write its own files.
    pub owner: (u32, u32),
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
    /// e.g. `8080/tcp`.
    pub exposed_ports: Vec<String>,
    /// `uid:gid`.
    pub user: String,
    /// Working directory.
    pub workdir: String,
    /// Image labels.
    pub labels: BTreeMap<String, String>,
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

/// What a recipe gets to decide with.
#[derive(Clone, Copy, Debug)]
pub struct RecipeInput<'a> {
    /// The validated spec.
    pub spec: &'a Spec,
    /// The context's files the recipe asked for.
    pub facts: &'a Facts,
}

/// Patterns kept out of the context when it has no `.dockerignore`: secrets and history
/// do not belong in an image.
const DEFAULT_EXCLUDES: [&str; 2] = [".git", ".env"];

impl Plan {
    /// Applies the spec's recipe and the settings all runtimes share.
    pub fn from_spec(spec: &Spec, facts: &Facts, options: &Options) -> Result<Plan, Diagnostics> {
        let interpolated;
        let spec = if options.build_args.is_empty() {
            spec
        } else {
            interpolated = interpolate(spec, &options.build_args);
            &interpolated
        };
        let recipe = runtimes::find(&spec.runtime.value).ok_or_else(|| {
            Diagnostics(vec![Diagnostic {
                span: spec.runtime.span,
                message: format!("unknown runtime `{}`", spec.runtime.value),
                hint: Some(format!("expected one of: {}", runtimes::names().join(", "))),
            }])
        })?;
        let recipe_plan = (recipe.plan)(RecipeInput { spec, facts }).map_err(|mut d| {
            d.0.sort_by_key(|d| (d.span.line, d.span.col));
            d
        })?;
        Ok(assemble(recipe, spec, facts, options, recipe_plan))
    }
}

fn assemble(recipe: &Recipe, spec: &Spec, facts: &Facts, options: &Options, r: RecipePlan) -> Plan {
    let workdir = spec.workdir.value.clone();
    let (uid, gid) = match spec.user.value {
        User::Nonroot => (65532, 65532),
        User::Root => (0, 0),
        User::Id { uid, gid } => (uid, gid),
    };
    let builder_image = |default: String| {
        options
            .builder_image
            .clone()
            .or_else(|| spec.images.builder.as_ref().map(|l| l.value.clone()))
            .unwrap_or(default)
    };
    let runtime_image = options
        .runtime_image
        .clone()
        .or_else(|| spec.images.runtime.as_ref().map(|l| l.value.clone()))
        .unwrap_or(r.runtime_image);
    let runtime_image = if spec.debug.value {
        debug_variant(&runtime_image)
    } else {
        runtime_image
    };

    let mut env: BTreeMap<String, String> = r.env.into_iter().collect();
    if let Some(port) = &spec.port {
        env.insert("PORT".to_string(), port.value.to_string());
    }
    for (key, value) in &spec.env {
        env.insert(key.clone(), value.value.clone());
    }
    let mut labels: BTreeMap<String, String> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    labels.extend(options.labels.clone());

    // With an `include` list, the files the recipe copies first must be sent too.
    let mut include: Vec<String> = spec.include.iter().map(|l| l.value.clone()).collect();
    if !include.is_empty() {
        let steps = r.builder.iter().flat_map(|b| &b.steps);
        let copied = steps.flat_map(|step| match step {
            Step::CopyFiles { paths } => paths.clone(),
            _ => Vec::new(),
        });
        let artifacts = r.artifacts.iter().filter_map(|a| match &a.from {
            Source::Context(path) => Some(path.clone()),
            Source::Builder(_) => None,
        });
        for path in copied.chain(artifacts) {
            if !include.contains(&path) {
                include.push(path);
            }
        }
    }
    let secrets: Vec<SecretMount> = spec
        .secrets
        .iter()
        .map(|s| SecretMount {
            id: s.id.value.clone(),
            target: s
                .target
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_else(|| format!("/run/secrets/{}", s.id.value)),
            required: s.required,
        })
        .collect();
    let ssh: Vec<String> = spec.ssh.iter().map(|l| l.value.clone()).collect();

    let mut exclude: Vec<String> = match &facts.dockerignore {
        Some(text) => dockerignore_patterns(text),
        None => DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
    };
    let spec_excludes = spec.exclude.iter().map(|l| l.value.clone());
    for pattern in r.exclude.into_iter().chain(spec_excludes) {
        if !exclude.contains(&pattern) {
            exclude.push(pattern);
        }
    }

    let absolute = |path: &str| match path {
        "." => workdir.clone(),
        p if p.starts_with('/') => p.to_string(),
        p => join(&workdir, p),
    };
    let artifacts = r
        .artifacts
        .iter()
        .map(|a| Artifact {
            from: match &a.from {
                Source::Builder(path) => Source::Builder(absolute(path)),
                Source::Context(path) => Source::Context(path.clone()),
            },
            to: absolute(&a.to),
            owner: (uid, gid),
            directory: a.directory,
            mode: a.mode,
            span: spec.entrypoint.as_ref().map(|l| l.span),
        })
        .collect();

    let cmd = r
        .cmd
        .into_iter()
        .chain(spec.args.iter().map(|a| a.value.clone()));
    Plan {
        runtime: recipe.name.to_string(),
        context: ContextUse { include, exclude },
        builder: r.builder.map(|b| Builder {
            image: builder_image(b.image),
            workdir: workdir.clone(),
            env: b.env,
            steps: b.steps,
            secrets,
            ssh,
            cross: b.cross,
        }),
        runtime_stage: Runtime {
            image: runtime_image,
            note: r.runtime_note,
            artifacts,
        },
        config: ImageConfig {
            entrypoint: r.entrypoint,
            cmd: cmd.collect(),
            env: env.into_iter().collect(),
            exposed_ports: spec
                .port
                .iter()
                .map(|p| format!("{}/tcp", p.value))
                .collect(),
            user: format!("{uid}:{gid}"),
            workdir,
            labels,
        },
        unlocked: r.unlocked,
    }
}

/// The spec with `${NAME}` replaced by build args in `env`, `labels`, `args` and `build`.
/// A `${NAME}` whose build arg is not passed stays as written (a shell in `build` may still
/// expand it).
fn interpolate(spec: &Spec, args: &BTreeMap<String, String>) -> Spec {
    let replace = |text: &mut String| {
        for (name, value) in args {
            let pattern = format!("${{{name}}}");
            if text.contains(&pattern) {
                *text = text.replace(&pattern, value);
            }
        }
    };
    let mut spec = spec.clone();
    spec.env.values_mut().for_each(|v| replace(&mut v.value));
    spec.labels.values_mut().for_each(|v| replace(&mut v.value));
    spec.args.iter_mut().for_each(|v| replace(&mut v.value));
    spec.build.iter_mut().for_each(|v| replace(&mut v.value));
    spec
}

/// The `${NAME}` references in `text`, for the outline of build args.
pub fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let name = &rest[..end];
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    names
}

/// The debug variant of a distroless reference: `…:nonroot` → `…:debug-nonroot`,
/// `…:latest` or no tag → `…:debug`. A reference pinned by digest, or with another tag, is
/// kept: its owner chose it.
pub fn debug_variant(reference: &str) -> String {
    if reference.contains('@') {
        return reference.to_string();
    }
    let (name, tag) = match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (reference, None),
    };
    match tag {
        None | Some("latest") => format!("{name}:debug"),
        Some("nonroot") => format!("{name}:debug-nonroot"),
        Some(_) => reference.to_string(),
    }
}

/// The patterns of a `.dockerignore`, normalized as Docker does: one per line, `#` comments
/// and blank lines skipped, each path cleaned and made relative to the context root (`/.env`
/// is `.env`), a leading `!` kept. BuildKit matches excludes against relative paths, so an
/// unnormalized `/.env` would exclude nothing.
pub fn dockerignore_patterns(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let (negated, path) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean_path(path);
            let cleaned = cleaned.trim_start_matches('/');
            if cleaned.is_empty() || cleaned == "." {
                return None;
            }
            Some(if negated {
                format!("!{cleaned}")
            } else {
                cleaned.to_string()
            })
        })
        .collect()
}

/// Lexically cleans a slash-separated path (Go's `filepath.Clean`): no `.`, no `..` that can
/// be resolved, no repeated or trailing `/`.
fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if rooted { format!("/{joined}") } else { joined }
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
