//! A [`Plan`] as an LLB graph: the builder stage, the runtime stage, and progress names that
//! read like the Dockerfile an expert would have written.

use super::{
    Copy, Definition, Exec, FileAction, LocalOptions, Meta, Mount, Range, SourceFile, State,
};
use crate::plan::{Plan, Step};
use crate::proto::pb;
use crate::spec::Span;

/// What the graph needs beyond the plan: facts about this build that only the edge knows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildEnv {
    /// The client session holding the `context` directory (`BUILDKIT_SESSION_ID`).
    pub session: Option<String>,
    /// Target platform of every op; `None` lets the daemon choose its own.
    pub platform: Option<pb::Platform>,
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
}

/// Which stage to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The runtime image (default).
    Runtime,
    /// The builder, for inspection.
    Builder,
}

/// Builds both stages; returns the graph ending at `stage`.
pub fn from_plan(plan: &Plan, env: &BuildEnv, stage: Stage) -> Definition {
    let platform = env.platform.as_ref();
    let imported = env.context_input.as_ref().and_then(State::from_definition);
    let context = imported.unwrap_or_else(|| {
        State::local(
            if env.context_name.is_empty() {
                "context"
            } else {
                &env.context_name
            },
            &LocalOptions {
                session: env.session.clone(),
                exclude_patterns: plan.context.exclude.clone(),
                shared_key_hint: Some("context".to_string()),
                ..Default::default()
            },
            named("[internal] load build context", None),
        )
    });

    let total = plan.builder.steps.len() + 1;
    let step_name = |n: usize, what: &str| format!("[builder {n}/{total}] {what}");
    let image_span = None::<Span>;
    let mut builder = State::image(
        &plan.builder.image,
        platform,
        named(
            &step_name(
                1,
                &format!("FROM {}", super::normalize_image(&plan.builder.image)),
            ),
            image_span,
        ),
    );
    for (key, value) in env.builder_env.iter().chain(&plan.builder.env) {
        builder = builder.env(key, value);
    }
    builder = builder.dir(&plan.builder.workdir);
    let workdir = plan.builder.workdir.as_str();

    for (i, step) in plan.builder.steps.iter().enumerate() {
        let n = i + 2;
        builder = match step {
            Step::CopyFiles { paths } => {
                let actions = paths
                    .iter()
                    .map(|path| {
                        FileAction::Copy(
                            context.clone(),
                            Copy::contents(&format!("/{path}"), &crate::plan::join(workdir, path)),
                        )
                    })
                    .collect();
                let name = format!("COPY {} ./", paths.join(" "));
                builder.file(actions, named(&step_name(n, &name), None))
            }
            Step::CopySource => builder.copy(
                &context,
                Copy::contents("/", workdir),
                named(&step_name(n, "COPY . ."), None),
            ),
            Step::Run(run) => {
                let mut exec = Exec::shell(&run.command)
                    .default_path(env.needs_default_path)
                    .meta(named(
                        &step_name(n, &format!("RUN {}", run.command)),
                        run.span,
                    ));
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
                builder.run(exec)
            }
        };
    }

    let source = env.spec.as_ref();
    if stage == Stage::Builder {
        return builder.marshal(source);
    }

    let artifacts = &plan.runtime_stage.artifacts;
    let total = artifacts.len() + 1;
    let mut runtime = State::image(
        &plan.runtime_stage.image,
        platform,
        named(
            &format!(
                "[runtime 1/{total}] FROM {}",
                super::normalize_image(&plan.runtime_stage.image)
            ),
            None,
        ),
    );
    for (i, artifact) in artifacts.iter().enumerate() {
        let (uid, gid) = artifact.owner;
        let name = format!(
            "[runtime {}/{total}] COPY --from=builder --chown={uid}:{gid} {} {}",
            i + 2,
            artifact.from,
            artifact.to
        );
        let copy = FileAction::Copy(
            builder.clone(),
            Copy::contents(&artifact.from, &artifact.to).owner(uid, gid),
        );
        let actions = if artifact.directory {
            // The directory itself is made first so that it, too, belongs to the runtime user.
            let mkdir = FileAction::Mkdir {
                path: artifact.to.clone(),
                mode: 0o755,
                owner: Some(artifact.owner),
            };
            vec![mkdir, copy]
        } else {
            vec![copy]
        };
        runtime = runtime.file(actions, named(&name, artifact.span));
    }
    runtime.marshal(source)
}

fn named(name: &str, span: Option<Span>) -> Meta {
    Meta {
        name: Some(name.to_string()),
        location: span.map(|s| Range {
            start_line: s.line,
            start_col: s.col,
            end_line: s.end_line.max(s.line),
            end_col: s.end_col,
        }),
        ignore_cache: false,
    }
}
