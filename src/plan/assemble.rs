//! What every runtime shares, applied to a recipe's decisions: users and owners, image
//! precedence, the debug variant, env and labels, the context's include/exclude lists, secrets
//! and SSH, and paths made absolute under the workdir.

use super::dockerignore::{dockerignore_patterns, literal_pattern};
use super::native;
use super::unique::first_of_each;
use super::{
    Artifact, Builder, ContextUse, Deps, Ids, ImageConfig, Manifests, Options, Plan, PlanError,
    Port, Recipe, RecipePlan, Runtime, SecretMount, Source, Stage, Step, Target, join, start,
};
use crate::plan::Facts;
use crate::spec::{Diagnostics, Spec};
use std::collections::BTreeMap;

/// Patterns kept out of the context when it has no `.dockerignore`: secrets and history
/// do not belong in an image.
const DEFAULT_EXCLUDES: [&str; 2] = [".git", ".env"];

/// The whole plan from the recipe's part and the spec.
pub(super) fn assemble(
    recipe: &Recipe,
    spec: &Spec,
    facts: &Facts,
    options: &Options,
    r: RecipePlan,
) -> Result<Plan, PlanError> {
    let workdir = spec.workdir.value.clone();
    let ids = Ids::of(&spec.user.value);
    let context = context_use(spec, facts, options, &r);
    let mut artifacts = artifacts(spec, &r, ids);
    artifacts.extend(super::files::artifacts(spec, r.builder.is_some(), ids));

    let runtime_image = runtime_image(spec, options, r.runtime_image)?;
    let env = image_env(spec, &r.env);
    let args = args(spec, &env)?;
    // The start command's check runs last, on what the runtime stage takes.
    let check = r.start.as_ref().and_then(|s| s.check.as_ref());
    let check = check.map(|c| Step::Run(c.run(options.spec_name())));
    let builder = match r.builder {
        Some(b) => Some(Builder {
            steps: native::apt_install(&spec.packages)
                .map(Step::Run)
                .into_iter()
                .chain(b.steps(spec))
                .chain(check)
                .collect(),
            libraries: libraries(spec, &artifacts),
            image: builder_image(spec, options, b.image)?,
            workdir: workdir.clone(),
            env: b.env,
            secrets: secrets(spec),
            ssh: spec.ssh.iter().map(|l| l.value.clone()).collect(),
            cross: b.cross,
        }),
        None => None,
    };
    let staged = builder.as_ref().map(|_| native::STAGED_ROOT.to_string());
    Ok(Plan {
        runtime: recipe.name,
        context,
        builder,
        runtime_stage: Runtime {
            staged,
            image: runtime_image,
            note: r.runtime_note,
            artifacts,
        },
        config: ImageConfig {
            entrypoint: r.entrypoint,
            cmd: r.cmd.into_iter().chain(args).collect(),
            env: env.into_iter().collect(),
            exposed_ports: spec.port.iter().map(|p| Port(p.value)).collect(),
            user: ids,
            workdir,
            labels: labels(spec, options),
        },
        unlocked: r.unlocked,
        runtime_version: r.version,
        start: r.start.map(|s| s.start),
    })
}

/// The builder's last run: the shared libraries of everything the runtime stage takes from
/// the builder.
fn libraries(spec: &Spec, artifacts: &[Artifact]) -> super::Run {
    let taken = artifacts.iter().filter_map(|a| match &a.from {
        Source::Builder(path) => Some(path.clone()),
        Source::Context(_) => None,
    });
    let scan: Vec<String> = taken.chain([native::STAGED_ROOT.to_string()]).collect();
    native::libraries(&scan, spec.runtime.span)
}

/// The spec's `args` with `$NAME` and `${NAME}` expanded in the image's environment: the
/// runtime image has no shell that would do it when the app starts.
fn args(spec: &Spec, env: &BTreeMap<String, String>) -> Result<Vec<String>, Diagnostics> {
    let mut problems = super::Problems::new();
    let args = spec
        .args
        .iter()
        .map(|arg| {
            let expanded = start::expand_arg(&arg.value, env).map_err(|e| {
                let example = "`args: [\"--port\", \"$PORT\"]`";
                e.diagnostic(&arg.value, &start::Origin::Entrypoint, arg.span, example)
            });
            problems.or(expanded, String::new())
        })
        .collect();
    problems.check()?;
    Ok(args)
}

/// The builder image: a named context, then the build arg, then `images.builder`, then the
/// recipe's.
fn builder_image(spec: &Spec, options: &Options, default: String) -> Result<String, PlanError> {
    let chosen = options
        .builder_image()?
        .map(str::to_string)
        .or_else(|| spec.images.builder.as_ref().map(|l| l.value.clone()))
        .unwrap_or(default);
    Ok(options
        .named_image(Stage::Builder, &chosen)?
        .unwrap_or(chosen))
}

/// The runtime image, chosen like the builder's; its debug variant for `debug: true` or
/// `--target debug`. A named context is used as given: its owner chose the variant.
fn runtime_image(spec: &Spec, options: &Options, default: String) -> Result<String, PlanError> {
    let chosen = options
        .runtime_image()?
        .map(str::to_string)
        .or_else(|| spec.images.runtime.as_ref().map(|l| l.value.clone()))
        .unwrap_or(default);
    let chosen = if spec.debug.value || options.target == Target::Debug {
        debug_variant(&chosen)
    } else {
        chosen
    };
    Ok(options
        .named_image(Stage::Runtime, &chosen)?
        .unwrap_or(chosen))
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

/// The runtime image's environment as shallot sets it: the recipe's, then `PORT`, then the
/// spec's `env` (which wins). Start commands expand their variables in it.
pub fn image_env(spec: &Spec, recipe_env: &[(String, String)]) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = recipe_env.iter().cloned().collect();
    if let Some(port) = &spec.port {
        env.insert("PORT".to_string(), port.value.to_string());
    }
    for (key, value) in &spec.env {
        env.insert(key.clone(), value.value.clone());
    }
    env
}

/// The spec's labels; the build command's win.
fn labels(spec: &Spec, options: &Options) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    labels.extend(options.labels.clone());
    labels
}

/// What of the context is sent: the spec's `include` plus what the recipe copies from it, and
/// `.dockerignore` (or the defaults), the recipe's and the spec's excludes, then the files that
/// only describe the build (`.dockerignore` and the spec itself).
fn context_use(spec: &Spec, facts: &Facts, options: &Options, r: &RecipePlan) -> ContextUse {
    let mut include: Vec<String> = spec.include.iter().map(|l| l.value.clone()).collect();
    // With an `include` list, the files the recipe copies first must be sent too.
    if !include.is_empty() {
        let copied = r.builder.iter().flat_map(|b| match &b.deps {
            Some(Deps {
                manifests: Manifests::Files(paths),
                ..
            }) => paths.clone(),
            _ => Vec::new(),
        });
        let artifacts = r.artifacts.iter().filter_map(|a| match &a.from {
            Source::Context(path) => Some(path.clone()),
            Source::Builder(_) => None,
        });
        // The run-time files the spec names are context paths too (or made by the build,
        // where listing them is harmless).
        let files = spec.files.iter().map(|l| l.value.clone());
        include.extend(copied.chain(artifacts).chain(files));
    }
    let mut exclude = context_excludes(facts);
    exclude.extend(r.exclude.iter().cloned());
    exclude.extend(spec.exclude.iter().map(|l| l.value.clone()));
    exclude.extend(build_files(facts, options));
    ContextUse {
        include: first_of_each(include),
        // With a `!` re-include, the last matching pattern wins, so a repeat after it is not
        // redundant (`a`, `!a`, `a` excludes `a`): such lists are kept as they are.
        exclude: if exclude.iter().any(|p| p.starts_with('!')) {
            exclude
        } else {
            first_of_each(exclude)
        },
    }
}

/// The context's own excludes: `.dockerignore`'s patterns, or the defaults without one.
fn context_excludes(facts: &Facts) -> Vec<String> {
    match &facts.dockerignore {
        Some(text) => dockerignore_patterns(text),
        None => DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
    }
}

/// Files in the context that describe the build and are no part of the app, last so that no
/// pattern re-includes them: `.dockerignore` and the spec file.
fn build_files(facts: &Facts, options: &Options) -> Vec<String> {
    let dockerignore = facts
        .dockerignore
        .as_ref()
        .map(|_| ".dockerignore".to_string());
    let spec = options.spec_file.as_deref().map(literal_pattern);
    dockerignore.into_iter().chain(spec).collect()
}

/// The excludes that decide which of the recipe's probed files the build sees: the same list
/// [`ContextUse::exclude`] holds, less the recipe's own patterns, which name what the recipe
/// makes itself (`node_modules`, `.venv`) and never a file it reads.
pub(super) fn sent_excludes(spec: &Spec, facts: &Facts, options: &Options) -> Vec<String> {
    let mut exclude = context_excludes(facts);
    exclude.extend(spec.exclude.iter().map(|l| l.value.clone()));
    exclude.extend(build_files(facts, options));
    exclude
}

/// The spec's secrets, each at its target (by default `/run/secrets/<id>`).
fn secrets(spec: &Spec) -> Vec<SecretMount> {
    spec.secrets
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
        .collect()
}

/// The recipe's artifacts with absolute paths, owned by the runtime user.
fn artifacts(spec: &Spec, r: &RecipePlan, owner: Ids) -> Vec<Artifact> {
    let workdir = &spec.workdir.value;
    let absolute = |path: &str| match path {
        "." => workdir.clone(),
        p if p.starts_with('/') => p.to_string(),
        p => join(workdir, p),
    };
    r.artifacts
        .iter()
        .map(|a| Artifact {
            from: match &a.from {
                Source::Builder(path) => Source::Builder(absolute(path)),
                Source::Context(path) => Source::Context(path.clone()),
            },
            to: absolute(&a.to),
            owner,
            directory: a.directory,
            mode: a.mode,
            span: spec.entrypoint.as_ref().map(|l| l.span),
        })
        .collect()
}
