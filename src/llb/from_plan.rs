//! A [`Plan`] as an LLB graph: the builder stage, the runtime stage, and progress names that
//! read like the Dockerfile an expert would have written.

use super::{
    Copy, Definition, Exec, FileAction, LocalOptions, Meta, Mount, Network, Range, SourceFile,
    State, chain,
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

/// How many steps the runtime stage has: its image, then one copy per artifact, where the
/// copies from the builder (the staged root and the artifacts it built) that follow each other
/// are one step.
fn runtime_steps(plan: &Plan) -> usize {
    let from_builder = runtime_copy_origins(plan);
    let joined = from_builder.windows(2).filter(|w| w[0] && w[1]).count();
    1 + from_builder.len() - joined
}

/// For each copy into the runtime image, in order (the staged root, then the artifacts),
/// whether it comes from the builder.
fn runtime_copy_origins(plan: &Plan) -> Vec<bool> {
    let builder = plan.builder.is_some();
    let staged = plan.runtime_stage.staged.is_some() && builder;
    let artifacts = plan
        .runtime_stage
        .artifacts
        .iter()
        .map(|a| builder && matches!(a.from, Source::Builder(_)));
    std::iter::repeat_n(true, usize::from(staged))
        .chain(artifacts)
        .collect()
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

/// One copy into the runtime image: from where, the copy, its Dockerfile arguments
/// (`--chown=65532:65532 /app /app`) and its spec place.
struct RuntimeCopy<'a> {
    origin: &'a State,
    from_builder: bool,
    copy: Copy,
    args: String,
    span: Option<Span>,
}

/// The runtime stage: its base image, then the copies; those from the builder that follow
/// each other are one op (`COPY --from=builder /.shallot/root/ / and --chown=… /app /app`),
/// each with its own owner, mode and time.
fn runtime_stage(
    plan: &Plan,
    env: &BuildEnv,
    context: &State,
    builder: Option<&State>,
    base: State,
) -> State {
    let copies = runtime_copies(plan, env, context, builder);
    let total = runtime_steps(plan);
    let mut runtime = base;
    let mut rest = copies.as_slice();
    let mut n = 2;
    while let Some(first) = rest.first() {
        let len = if first.from_builder {
            rest.iter().take_while(|c| c.from_builder).count()
        } else {
            1
        };
        let (group, after) = rest.split_at(len);
        rest = after;
        let args: Vec<&str> = group.iter().map(|c| c.args.as_str()).collect();
        let from = if first.from_builder {
            "--from=builder "
        } else {
            ""
        };
        let line = format!("COPY {from}{}", args.join(" and "));
        let name = step_name(env, "runtime", n, total, &line);
        let spans = group.iter().filter_map(|c| c.span);
        let actions = group
            .iter()
            .map(|c| FileAction::Copy(c.origin.clone(), c.copy.clone()))
            .collect();
        runtime = runtime.file(actions, named(env, &name, spans));
        n += 1;
    }
    runtime
}

/// Every copy into the runtime image, in order: the builder's staged root (the system under
/// the app: root's, like the rest of the base), then the artifacts.
fn runtime_copies<'a>(
    plan: &Plan,
    env: &BuildEnv,
    context: &'a State,
    builder: Option<&'a State>,
) -> Vec<RuntimeCopy<'a>> {
    let timestamp = env.epoch.map(|s| s.saturating_mul(1_000_000_000));
    let staged = plan.runtime_stage.staged.as_ref().zip(builder);
    let staged = staged.map(|(root, builder)| {
        let from = format!("{root}/");
        let mut copy = Copy::contents(&from, "/").owner(0, 0);
        copy.timestamp = timestamp;
        RuntimeCopy {
            origin: builder,
            from_builder: true,
            copy,
            args: format!("{from} /"),
            span: None,
        }
    });
    let artifacts = plan.runtime_stage.artifacts.iter().map(|artifact| {
        let (origin, from, path) = artifact_origin(&artifact.from, builder, context);
        RuntimeCopy {
            origin,
            from_builder: !from.is_empty(),
            // The copy creates the destination directory owned by the runtime user, too.
            copy: artifact_copy(artifact, &path, timestamp),
            args: artifact_args(artifact, &path),
            span: artifact.span,
        }
    });
    staged.into_iter().chain(artifacts).collect()
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

/// The Dockerfile arguments of an artifact's copy, e.g. `--chown=65532:65532 /app/dist /app`.
fn artifact_args(artifact: &Artifact, path: &str) -> String {
    let crate::plan::Ids { uid, gid } = artifact.owner;
    let chmod = artifact
        .mode
        .map(|m| format!(" --chmod={m:o}"))
        .unwrap_or_default();
    format!("--chown={uid}:{gid}{chmod} {path} {}", artifact.to)
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

/// One op of the builder stage: a step as the plan has it, or the runs after the source copy
/// chained into one exec ([`chain`](super::chain)).
enum Part<'a> {
    /// A copy, or a run before the source copy (a dependency install, with the credentials).
    Step(&'a Step),
    /// Consecutive runs after the source copy.
    Chain(Vec<&'a Run>),
}

/// The builder's ops: `steps` in order, each run after the source copy (at `source_at`)
/// chained to the run before it unless their cache mounts disagree.
fn builder_parts(steps: &[Step], source_at: usize) -> Vec<Part<'_>> {
    let mut parts: Vec<Part> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if let (Step::Run(run), Some(Part::Chain(runs))) = (step, parts.last_mut()) {
            if chain::fits(runs, run) {
                runs.push(run);
                continue;
            }
        }
        parts.push(match step {
            Step::Run(run) if i > source_at => Part::Chain(vec![run]),
            _ => Part::Step(step),
        });
    }
    parts
}

/// The builder stage: its image, environment and steps.
fn builder_stage(plan: &Builder, env: &BuildEnv, context: &State, base: &State) -> State {
    let steps: Vec<Step> = plan
        .steps
        .iter()
        .cloned()
        .chain([Step::Run(plan.libraries.clone())])
        .collect();
    // Steps before the source is copied install dependencies: only they see secrets and SSH.
    let source_at = steps
        .iter()
        .position(|s| *s == Step::CopySource)
        .unwrap_or(steps.len());
    let parts = builder_parts(&steps, source_at);
    let total = parts.len() + 1;
    let mut builder = builder_base(plan, env, total);
    let workdir = plan.workdir.as_str();
    for (i, part) in parts.iter().enumerate() {
        let name = |what: &str| step_name(env, "builder", i + 2, total, what);
        builder = match part {
            Part::Step(Step::CopyFiles { paths }) => {
                let name = name(&format!("COPY {} ./", paths.join(" ")));
                let actions = copy_files(context, paths, workdir);
                builder.file(actions, named(env, &name, None))
            }
            Part::Step(Step::CopySource) => builder.copy(
                context,
                Copy::contents("/", workdir),
                named(env, &name("COPY . ."), None),
            ),
            Part::Step(Step::Run(run)) => {
                let name = name(&format!(
                    "RUN {}",
                    run.label.as_ref().unwrap_or(&run.command)
                ));
                let exec = run_exec(&[run], &run.command, env, base);
                builder.run(with_credentials(exec, plan).meta(named(env, &name, run.span)))
            }
            Part::Chain(runs) => {
                let chain = chain::Chain::of(runs);
                // A failure points at every run's line: which one failed, the exit code says.
                let spans = runs.iter().filter_map(|r| r.span);
                let meta = named(env, &name(&format!("RUN {}", chain.line)), spans);
                let mut exec = run_exec(runs, &chain.command, env, base).meta(meta);
                if !chain.scripts.is_empty() {
                    exec = exec.mount(Mount::ReadOnly {
                        target: chain::SCRIPTS.to_string(),
                        source: scripts_state(&chain.scripts, &builder),
                        selector: "/".to_string(),
                    });
                }
                builder.run(exec)
            }
        };
    }
    builder
}

/// The files a chain runs by path, in an otherwise empty state on `builder`'s platform. Like
/// a source, it ignores `--no-cache` (writing them again changes nothing; the run that uses
/// them runs again): having no inputs, it is shared by every build with the same scripts.
fn scripts_state(scripts: &[(String, String)], builder: &State) -> State {
    let names: Vec<&str> = scripts.iter().map(|(name, _)| name.as_str()).collect();
    let actions = scripts
        .iter()
        .map(|(name, data)| FileAction::Mkfile {
            path: format!("/{name}"),
            mode: 0o755,
            data: data.clone().into_bytes(),
            timestamp: None,
        })
        .collect();
    let name = format!("[internal] write the scripts {}", names.join(", "));
    State::scratch()
        .with_platform(builder.platform.clone())
        .file(actions, source_meta(&name))
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

/// A builder `RUN` of `command` for `runs`, with every cache mount they use (once each) and
/// the runtime base where one of them wants it.
fn run_exec(runs: &[&Run], command: &str, env: &BuildEnv, base: &State) -> Exec {
    let mut exec = Exec::shell(command)
        .default_path(env.needs_default_path)
        .network(env.network);
    let mut targets: Vec<&str> = Vec::new();
    for cache in runs.iter().flat_map(|r| &r.caches) {
        if targets.contains(&cache.target.as_str()) {
            continue;
        }
        targets.push(&cache.target);
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
    for target in runs.iter().filter_map(|r| r.base_mount.as_ref()) {
        if targets.contains(&target.as_str()) {
            continue;
        }
        targets.push(target);
        exec = exec.mount(Mount::ReadOnly {
            target: target.clone(),
            source: base.clone(),
            selector: "/".to_string(),
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

/// A step's progress name and spec lines (each once); `--no-cache` runs it again.
fn named(env: &BuildEnv, name: &str, spans: impl IntoIterator<Item = Span>) -> Meta {
    let mut locations: Vec<Range> = Vec::new();
    for s in spans {
        let range = Range {
            start_line: s.line,
            start_col: s.col,
            end_line: s.end_line.max(s.line),
            end_col: s.end_col,
        };
        if !locations.contains(&range) {
            locations.push(range);
        }
    }
    Meta {
        name: Some(name.to_string()),
        locations,
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
