//! A [`Plan`] as an LLB graph: the builder stage, the runtime stage, and progress names that
//! read like the Dockerfile an expert would have written.

use super::{
    Copy, Definition, Exec, FileAction, LocalOptions, Meta, Mount, Network, Range, SourceFile,
    State,
};
use crate::plan::{Artifact, Builder, CrossCompile, Plan, PlatformField, Run, Source, Stage, Step};
use crate::proto::pb;
use crate::spec::Span;

/// What the graph needs beyond the plan: facts about this build that only the edge knows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildEnv {
    /// The client session holding the `context` directory (`BUILDKIT_SESSION_ID`).
    pub session: Option<String>,
    /// Target platform of every op; `None` lets the daemon choose its own.
    pub platform: Option<pb::Platform>,
    /// The platform the daemon runs on: a builder that cross-compiles runs there.
    pub build_platform: Option<pb::Platform>,
    /// Environment of the builder image (from its config), applied to builder runs as
    /// `FROM` does in a Dockerfile.
    pub builder_env: Vec<(String, String)>,
    /// The daemon does not fill in PATH for runs (`exec.meta.setsdefaultpath` missing).
    pub needs_default_path: bool,
    /// The spec file, for BuildKit's source map.
    pub spec: Option<SourceFile>,
    /// The name of the local source holding the context (default `context`).
    pub context_name: String,
    /// A frontend input that replaces the local context (callers such as bake pass one).
    pub context_input: Option<pb::Definition>,
    /// How base images are resolved (`image-resolve-mode`).
    pub resolve_mode: ResolveMode,
    /// The network the builder's runs get (`force-network-mode`, `docker build --network`).
    pub network: Network,
    /// Run every op again instead of using the cache (`--no-cache`).
    pub no_cache: bool,
    /// `SOURCE_DATE_EPOCH` in seconds: the modification time of the files shallot creates
    /// in the runtime image.
    pub epoch: Option<i64>,
    /// Each step's progress name starts with the target platform (`[linux/arm64 builder 2/5]`),
    /// as the Dockerfile frontend names them in a multi-platform build, so that the platforms'
    /// steps can be told apart.
    pub platform_in_names: bool,
}

/// How BuildKit finds a base image: `image-resolve-mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResolveMode {
    /// The daemon's own choice (a local image if it has one, else the registry).
    #[default]
    Default,
    /// Always ask the registry.
    Pull,
    /// Only images the daemon already has.
    Local,
}

impl ResolveMode {
    /// Every mode.
    pub const ALL: [ResolveMode; 3] = [ResolveMode::Default, ResolveMode::Pull, ResolveMode::Local];

    /// The mode's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }

    /// The mode called `name`.
    pub fn parse(name: &str) -> Option<ResolveMode> {
        ResolveMode::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The image source's resolve-mode attribute: none for the default.
    fn attr(self) -> Option<&'static str> {
        (self != ResolveMode::Default).then(|| self.as_str())
    }
}

/// Builds both stages; returns the graph ending at `stage`.
pub fn from_plan(plan: &Plan, env: &BuildEnv, stage: Stage) -> Definition {
    let context = context_state(plan, env);
    let source = env.spec.as_ref();
    let base = runtime_base(plan, env);
    let builder = plan
        .builder
        .as_ref()
        .map(|b| builder_stage(b, env, &context, &base));
    if stage == Stage::Builder {
        // Without a builder stage, the "builder" is the context itself.
        return builder.unwrap_or(context).marshal(source);
    }
    runtime_stage(plan, env, &context, builder.as_ref(), base).marshal(source)
}

/// How many steps the runtime stage has: its image, the staged root when there is a builder
/// to take it from, and one copy per artifact.
fn runtime_steps(plan: &Plan) -> usize {
    let staged = plan.runtime_stage.staged.is_some() && plan.builder.is_some();
    1 + usize::from(staged) + plan.runtime_stage.artifacts.len()
}

/// The runtime stage's base image: where the runtime stage starts, and what a builder run
/// that must know the base's files mounts.
fn runtime_base(plan: &Plan, env: &BuildEnv) -> State {
    let total = runtime_steps(plan);
    let image = super::normalize_image(&plan.runtime_stage.image);
    let from = match &plan.runtime_stage.note {
        Some(note) => format!("FROM {image} ({note})"),
        None => format!("FROM {image}"),
    };
    State::image(
        &plan.runtime_stage.image,
        env.platform.as_ref(),
        env.resolve_mode.attr(),
        source_meta(&step_name(env, "runtime", 1, total, &from)),
    )
}

/// The build context: the frontend input that replaces it, or else the local directory.
fn context_state(plan: &Plan, env: &BuildEnv) -> State {
    let imported = env.context_input.as_ref().and_then(State::from_definition);
    imported.unwrap_or_else(|| {
        State::local(
            if env.context_name.is_empty() {
                "context"
            } else {
                &env.context_name
            },
            &LocalOptions {
                session: env.session.clone(),
                include_patterns: plan.context.include.clone(),
                exclude_patterns: plan.context.exclude.clone(),
                shared_key_hint: Some("context".to_string()),
                ..Default::default()
            },
            source_meta("[internal] load build context"),
        )
    })
}

/// The runtime stage: its base image, then one copy per artifact.
fn runtime_stage(
    plan: &Plan,
    env: &BuildEnv,
    context: &State,
    builder: Option<&State>,
    base: State,
) -> State {
    let artifacts = &plan.runtime_stage.artifacts;
    let staged = plan.runtime_stage.staged.as_ref().zip(builder);
    let total = runtime_steps(plan);
    let mut runtime = base;
    let timestamp = env.epoch.map(|s| s.saturating_mul(1_000_000_000));
    if let Some((root, builder)) = staged {
        // The system under the app: root's, like the rest of the base.
        let from = format!("{root}/");
        let name = step_name(
            env,
            "runtime",
            2,
            total,
            &format!("COPY --from=builder {from} /"),
        );
        let mut copy = Copy::contents(&from, "/").owner(0, 0);
        copy.timestamp = timestamp;
        let actions = vec![FileAction::Copy(builder.clone(), copy)];
        runtime = runtime.file(actions, named(env, &name, None));
    }
    let first = total - artifacts.len() + 1;
    for (i, artifact) in artifacts.iter().enumerate() {
        let (origin, from, path) = artifact_origin(&artifact.from, builder, context);
        let name = step_name(
            env,
            "runtime",
            i + first,
            total,
            &artifact_line(artifact, from, &path),
        );
        // The copy creates the destination directory owned by the runtime user, too.
        let actions = vec![FileAction::Copy(
            origin.clone(),
            artifact_copy(artifact, &path, timestamp),
        )];
        runtime = runtime.file(actions, named(env, &name, artifact.span));
    }
    runtime
}

/// Where an artifact is copied from: the state, its `--from=` flag as the progress name shows
/// it, and the absolute path in that state.
fn artifact_origin<'a>(
    from: &Source,
    builder: Option<&'a State>,
    context: &'a State,
) -> (&'a State, &'static str, String) {
    match (from, builder) {
        (Source::Builder(path), Some(builder)) => (builder, "--from=builder ", path.clone()),
        // A recipe without a builder stage takes everything from the context.
        (Source::Builder(path), None) | (Source::Context(path), _) => {
            let path = path.trim_start_matches("./").trim_start_matches('/');
            let path = if path == "." { "" } else { path };
            (context, "", format!("/{path}"))
        }
    }
}

/// The Dockerfile line an artifact's copy stands for, e.g.
/// `COPY --from=builder --chown=65532:65532 /app/dist /app`.
fn artifact_line(artifact: &Artifact, from: &str, path: &str) -> String {
    let crate::plan::Ids { uid, gid } = artifact.owner;
    let chmod = artifact
        .mode
        .map(|m| format!(" --chmod={m:o}"))
        .unwrap_or_default();
    format!(
        "COPY {from}--chown={uid}:{gid}{chmod} {path} {}",
        artifact.to
    )
}

/// The copy of one artifact from `path`, owned by its owner, stamped with `timestamp`.
fn artifact_copy(artifact: &Artifact, path: &str, timestamp: Option<i64>) -> Copy {
    let crate::plan::Ids { uid, gid } = artifact.owner;
    let mut copy = if artifact.directory {
        Copy::contents(path, &artifact.to)
    } else {
        Copy::new(path, &artifact.to)
    }
    .owner(uid, gid);
    copy.mode = artifact.mode.and_then(|m| i32::try_from(m).ok());
    copy.timestamp = timestamp;
    copy
}

/// The builder stage: its image, environment and steps.
fn builder_stage(plan: &Builder, env: &BuildEnv, context: &State, base: &State) -> State {
    let steps: Vec<Step> = plan
        .steps
        .iter()
        .cloned()
        .chain([Step::Run(plan.libraries.clone())])
        .collect();
    let total = steps.len() + 1;
    let mut builder = builder_base(plan, env, total);
    let workdir = plan.workdir.as_str();
    // Steps before the source is copied install dependencies: only they see secrets and SSH.
    let source_at = steps
        .iter()
        .position(|s| *s == Step::CopySource)
        .unwrap_or(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let name = |what: &str| step_name(env, "builder", i + 2, total, what);
        builder = match step {
            Step::CopyFiles { paths } => {
                let name = name(&format!("COPY {} ./", paths.join(" ")));
                let actions = copy_files(context, paths, workdir);
                builder.file(actions, named(env, &name, None))
            }
            Step::CopySource => builder.copy(
                context,
                Copy::contents("/", workdir),
                named(env, &name("COPY . ."), None),
            ),
            Step::Run(run) => {
                let name = name(&format!(
                    "RUN {}",
                    run.label.as_ref().unwrap_or(&run.command)
                ));
                let mut exec = run_exec(run, env).meta(named(env, &name, run.span));
                if let Some(target) = &run.base_mount {
                    exec = exec.mount(Mount::ReadOnly {
                        target: target.clone(),
                        source: base.clone(),
                        selector: "/".to_string(),
                    });
                }
                if i < source_at {
                    exec = with_credentials(exec, plan);
                }
                builder.run(exec)
            }
        };
    }
    builder
}

/// The builder's `FROM`: its image on the platform it runs on, its environment and workdir.
fn builder_base(plan: &Builder, env: &BuildEnv, total: usize) -> State {
    let from = format!("FROM {}", super::normalize_image(&plan.image));
    // A cross-compiling builder runs natively on the build platform, told the target by env.
    let (platform, target_env) = match (&plan.cross, &env.build_platform, &env.platform) {
        (CrossCompile::Env(vars), Some(build), Some(target)) => {
            (Some(build), cross_env(vars, target))
        }
        _ => (env.platform.as_ref(), Vec::new()),
    };
    let mut builder = State::image(
        &plan.image,
        platform,
        env.resolve_mode.attr(),
        source_meta(&step_name(env, "builder", 1, total, &from)),
    );
    for (key, value) in env.builder_env.iter().chain(&plan.env).chain(&target_env) {
        builder = builder.env(key, value);
    }
    builder.dir(&plan.workdir)
}

/// Copies of the context's `paths` (manifests, lock files) into the builder's `workdir`.
fn copy_files(context: &State, paths: &[String], workdir: &str) -> Vec<FileAction> {
    paths
        .iter()
        .map(|path| {
            FileAction::Copy(
                context.clone(),
                Copy::contents(&format!("/{path}"), &crate::plan::join(workdir, path)),
            )
        })
        .collect()
}

/// A builder `RUN` with its cache mounts.
fn run_exec(run: &Run, env: &BuildEnv) -> Exec {
    let mut exec = Exec::shell(&run.command)
        .default_path(env.needs_default_path)
        .network(env.network);
    for cache in &run.caches {
        exec = exec.mount(Mount::Cache {
            target: cache.target.clone(),
            id: cache.id.clone(),
            sharing: if cache.locked {
                super::CacheSharing::Locked
            } else {
                super::CacheSharing::Shared
            },
        });
    }
    exec
}

/// `exec` with the builder's secrets and SSH agents mounted.
fn with_credentials(mut exec: Exec, plan: &Builder) -> Exec {
    for secret in &plan.secrets {
        exec = exec.mount(Mount::Secret {
            target: secret.target.clone(),
            id: secret.id.clone(),
            optional: !secret.required,
        });
    }
    for (k, id) in plan.ssh.iter().enumerate() {
        exec = exec.mount(Mount::Ssh {
            target: format!("/run/buildkit/ssh_agent.{k}"),
            id: id.clone(),
        });
    }
    exec
}

/// A progress name such as `[builder 2/5] RUN npm ci`: the stage, the step's place, the line.
fn step_name(env: &BuildEnv, stage: &str, n: usize, total: usize, what: &str) -> String {
    match env.platform.as_ref().filter(|_| env.platform_in_names) {
        Some(p) => {
            let platform = crate::plan::Platform::new(&p.os, &p.architecture, &p.variant);
            format!("[{platform} {stage} {n}/{total}] {what}")
        }
        None => format!("[{stage} {n}/{total}] {what}"),
    }
}

/// The environment that tells a cross-compiler the target (e.g. `GOARCH=arm64`).
fn cross_env(vars: &[(String, PlatformField)], target: &pb::Platform) -> Vec<(String, String)> {
    vars.iter()
        .filter_map(|(name, field)| {
            let value = match field {
                PlatformField::Os => target.os.clone(),
                PlatformField::Arch => target.architecture.clone(),
                PlatformField::ArmVersion if target.architecture == "arm" => {
                    target.variant.trim_start_matches('v').to_string()
                }
                PlatformField::ArmVersion => String::new(),
            };
            (!value.is_empty()).then(|| (name.clone(), value))
        })
        .collect()
}

/// The platform a plan's builder runs on: the build platform when it cross-compiles.
pub fn builder_platform(plan: &Plan, env: &BuildEnv) -> Option<pb::Platform> {
    match plan.builder.as_ref().map(|b| &b.cross) {
        Some(CrossCompile::Env(_)) if env.build_platform.is_some() => env.build_platform.clone(),
        _ => env.platform.clone(),
    }
}

/// A step's progress name and spec lines; `--no-cache` runs it again.
fn named(env: &BuildEnv, name: &str, span: Option<Span>) -> Meta {
    Meta {
        name: Some(name.to_string()),
        location: span.map(|s| Range {
            start_line: s.line,
            start_col: s.col,
            end_line: s.end_line.max(s.line),
            end_col: s.end_col,
        }),
        ignore_cache: env.no_cache,
    }
}

/// A source's (image, local directory) progress name. `--no-cache` leaves sources alone, as
/// the Dockerfile frontend does: it re-runs the steps, it does not re-pull bases (`--pull`
/// does). It also keeps a shared base from differing in ignore-cache between concurrent builds,
/// which BuildKit before v0.12 cannot take: the solver merges such vertices under a second
/// digest and can lose the first, panicking with "failed to get edge" (moby/buildkit#2303,
/// fixed by #3953), which takes Docker 20.10's dockerd down.
fn source_meta(name: &str) -> Meta {
    Meta {
        name: Some(name.to_string()),
        ..Meta::default()
    }
}
