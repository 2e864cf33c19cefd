//! The frontend's conversation with BuildKit over the LLBBridge API.
//!
//! [`serve`] pings the daemon, runs the build ([`build`]: read the spec, gather the context's
//! facts, plan, resolve the base images, marshal the graph, solve) and always answers through
//! `Return`: with the image, or with an error that says what is wrong and where. A panic in the
//! build becomes an error answer too, so BuildKit is never left waiting. With a `requestid`
//! option, [`build`] answers that query (outline, targets, lint, describe) instead of building.
//! With `attest:sbom`, each platform's result carries the SBOM [`crate::sbom`] writes, as an
//! in-toto attestation (`sbom.rs`).

mod bridge;
mod errors;
mod opts;
mod request;
mod sbom;
mod stdio;
mod subrequests;
#[cfg(feature = "testbridge")]
pub mod testbridge;
mod trace;

pub use bridge::{Bridge, CallError, Caps};
pub use errors::{Failure, source_detail};
pub use opts::{Invocation, host_platform, parse_platform, plan_platform, platform_id};
pub use request::{BUILD_ARGS, Request, SbomAsked};
pub use stdio::{Stream, channel, stdio};
pub use trace::{Span, SpanGuard, TRACE_ARG, TRACE_TITLE, Trace};

use crate::context::Context;
use crate::llb::{self, BuildEnv, LocalOptions, Meta, SourceFile, State};
use crate::plan::{Plan, Platform, Stage};
use crate::proto::{gateway as gw, pb};
use crate::{image, lint, load, spec};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use subrequests::Query;

/// Largest spec file accepted.
const MAX_SPEC_BYTES: usize = 256 << 10;
/// How long BuildKit has to answer the first call.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs one build over `stream` and answers BuildKit. Fails only when BuildKit cannot be
/// reached or does not take the answer.
pub async fn serve<S: Stream + 'static>(
    stream: S,
    invocation: Invocation,
) -> Result<(), CallError> {
    let trace = Trace::for_build_arg(invocation.build_arg(TRACE_ARG));
    let unreachable = |message: String| CallError {
        call: "connect",
        status: tonic::Status::unavailable(message),
    };
    let connecting = trace.span("connect", String::new);
    let channel = channel(stream)
        .await
        .map_err(|e| unreachable(format!("cannot talk to BuildKit over stdio: {e}")))?;
    drop(connecting);
    let bridge = tokio::time::timeout(PING_TIMEOUT, Bridge::connect(channel, trace.clone()))
        .await
        .map_err(|_| unreachable("BuildKit did not answer ping within 15 s".to_string()))??;

    let mut worker = bridge.clone();
    // A separate task, so that a panic is caught as a JoinError and still answered.
    let outcome = tokio::spawn(async move { build(&mut worker, &invocation).await }).await;
    let outcome = match outcome {
        Ok(result) => result,
        Err(e) => Err(Failure::Internal(format!("the build task stopped: {e}"))),
    };
    let request = match outcome {
        Ok(result) => gw::ReturnRequest {
            result: Some(result),
            error: None,
        },
        Err(failure) => {
            eprintln!("shallot: {failure}");
            gw::ReturnRequest {
                result: None,
                error: Some(failure.status()),
            }
        }
    };
    let mut bridge = bridge;
    if trace.is_on() {
        show_trace(&mut bridge).await;
    }
    let returned = bridge.r#return(request).await;
    if trace.is_on() {
        eprintln!("{}", trace.render());
    }
    returned
}

/// Puts the trace into the build's progress, where `--progress=plain` shows it: each line is
/// the name of a vertex that makes an empty directory (`/0`, `/1`, … on scratch, so cached
/// after the first traced build), solved and evaluated now, since a lazy solve shows nothing.
/// One solve a line, one after the other, so that the lines are shown in order (BuildKit
/// reports the cached vertices of one graph in any order): a millisecond or two a line, after
/// every span was timed. A daemon that cannot evaluate a solve (`gateway.solve.evaluate`) gets
/// none; the trace is in its log, from stderr, all the same.
async fn show_trace(bridge: &mut Bridge) {
    if !bridge.caps.gateway("gateway.solve.evaluate") {
        return;
    }
    for (i, line) in bridge.trace().lines().into_iter().enumerate() {
        let mkdir = llb::FileAction::Mkdir {
            path: format!("/{i}"),
            mode: 0o755,
            owner: None,
            timestamp: None,
        };
        let meta = Meta {
            name: Some(line),
            ..Default::default()
        };
        let definition = State::scratch().file(vec![mkdir], meta).marshal(None).pb;
        let solved = bridge
            .solve_request(gw::SolveRequest {
                definition: Some(definition),
                evaluate: true,
                ..Default::default()
            })
            .await;
        // The trace never fails a build.
        if let Err(e) = solved {
            eprintln!("shallot: the trace was not shown: {e}");
            return;
        }
    }
}

/// Runs the build and returns the result to hand back to BuildKit.
pub async fn build(bridge: &mut Bridge, inv: &Invocation) -> Result<gw::Result, Failure> {
    let request = Request::from(inv)?;
    let query = Query::from_request(&request)?;
    if query == Some(Query::Describe) {
        return Ok(subrequests::describe());
    }
    let inputs = bridge.inputs().await?;
    let context_source = match inputs.get(&request.context_key) {
        Some(def) => ContextSource::Input(def.clone()),
        None => ContextSource::Local(request.context_key.clone()),
    };
    let mut reader = GatewayContext {
        bridge: bridge.clone(),
        source: context_source.clone(),
        session: inv.session_id.clone(),
    };
    let mut spec_bridge = bridge.clone();
    // The file and the definition that read it stay here: errors and warnings point at them.
    let mut read = None;
    let read_spec = async {
        let (file, definition) = load_spec(&mut spec_bridge, inv, &request, &inputs).await?;
        let text = spec::decode(&file.data).map_err(|diagnostics| Failure::Spec {
            diagnostics,
            file: file.clone(),
        });
        read = Some((file, definition));
        text
    };
    let platforms: Vec<Platform> = request.platforms.iter().map(plan_platform).collect();
    let loading = bridge.trace().span("load", || {
        "spec and context read, parsed, planned".to_string()
    });
    let loaded = load::load(&mut reader, read_spec, &request.options, &platforms).await;
    drop(loading);
    let (spec_file, spec_definition) = read.unwrap_or_default();
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return subrequests::on_failure(query, Failure::from_load(e, spec_file)),
    };
    if let Some(query) = query {
        let answered = subrequests::Loaded {
            request: &request,
            file: &spec_file,
            spec: &loaded.spec,
            plan: &loaded.plan,
            recipe: loaded.recipe,
        };
        return Ok(subrequests::answer(query, &answered));
    }
    let warnings = lint::lint(&loaded.spec, &loaded.plan, loaded.recipe);
    // The warnings go while the images are resolved: neither waits for the other.
    let mut warner = bridge.clone();
    let warned = subrequests::send_warnings(&mut warner, &warnings, &spec_file, &spec_definition);
    let built = async {
        let mut images = Vec::new();
        // The loader planned each platform, in the request's order.
        for (platform, (_, plan)) in request.platforms.iter().zip(&loaded.plans) {
            let on = PlatformBuild {
                request: &request,
                plan,
                spec_file: &spec_file,
                context_source: &context_source,
                platform,
            };
            images.push(build_platform(bridge, inv, &on).await?);
        }
        Ok::<_, Failure>(images)
    };
    let ((), images) = tokio::join!(warned, built);
    let images = images?;
    // Asked with a scanner image, the SBOM is left to BuildKit, which runs it.
    let attestations = match request.sbom {
        SbomAsked::Lockfiles => sbom::attestations(bridge, &mut reader, &loaded, &request).await?,
        SbomAsked::No | SbomAsked::Scanner(_) => BTreeMap::new(),
    };
    Ok(result(bridge, &request, images, attestations))
}

/// One platform's image: its ref, its definition and its config.
struct PlatformImage {
    platform: pb::Platform,
    id: String,
    definition: pb::Definition,
    config: serde_json::Value,
}

/// What one platform's build is made of.
struct PlatformBuild<'a> {
    request: &'a Request,
    plan: &'a Plan,
    spec_file: &'a SourceFile,
    context_source: &'a ContextSource,
    platform: &'a pb::Platform,
}

/// Builds the graph for one platform, solves it and makes its image config.
async fn build_platform(
    bridge: &mut Bridge,
    inv: &Invocation,
    on: &PlatformBuild<'_>,
) -> Result<PlatformImage, Failure> {
    let (request, plan, platform) = (on.request, on.plan, on.platform);
    let stage = request.options.target.stage();
    let mut env = build_env(bridge, inv, on);
    let (builder_config, base_config) = resolve_bases(bridge, request, plan, &env).await?;
    env.builder_env = builder_config.as_ref().map(config_env).unwrap_or_default();
    let marshalling = bridge.trace().span("llb", String::new);
    let definition = llb::from_plan(plan, &env, stage);
    drop(marshalling);
    let missing = bridge.caps.missing_llb(&definition.caps);
    if !missing.is_empty() {
        return Err(Failure::MissingCaps(missing));
    }
    let cache_imports = if bridge.caps.gateway("importcaches") {
        request.cache_imports.clone()
    } else {
        Vec::new()
    };
    let id = bridge
        .solve_request(gw::SolveRequest {
            definition: Some(definition.pb.clone()),
            cache_imports,
            ..Default::default()
        })
        .await?;
    let created = request.epoch.map(image::rfc3339);
    let config = match stage {
        Stage::Runtime => image::config(
            &plan.config,
            Some(&base_config),
            platform,
            created.as_deref(),
        ),
        Stage::Builder => base_config,
    };
    Ok(PlatformImage {
        platform: platform.clone(),
        id,
        definition: definition.pb,
        config,
    })
}

/// What the graph needs to know about this build beyond the plan.
fn build_env(bridge: &Bridge, inv: &Invocation, on: &PlatformBuild<'_>) -> BuildEnv {
    BuildEnv {
        session: inv.session_id.clone(),
        platform: Some(on.platform.clone()),
        build_platform: Some(inv.worker_platform.clone().unwrap_or_else(host_platform)),
        builder_env: Vec::new(),
        needs_default_path: !bridge.caps.llb.contains("exec.meta.setsdefaultpath"),
        spec: Some(on.spec_file.clone()),
        context_name: on.request.context_key.clone(),
        context_input: match on.context_source {
            ContextSource::Input(def) => Some(def.clone()),
            ContextSource::Local(_) => None,
        },
        resolve_mode: on.request.resolve_mode,
        network: on.request.network,
        no_cache: on.request.no_cache,
        epoch: on.request.epoch,
        platform_in_names: on.request.platforms.len() > 1,
    }
}

/// The configs of the builder image (if any) and of the image the result is based on, asked
/// of BuildKit at the same time.
async fn resolve_bases(
    bridge: &Bridge,
    request: &Request,
    plan: &Plan,
    env: &BuildEnv,
) -> Result<(Option<serde_json::Value>, serde_json::Value), Failure> {
    let platform = env.platform.clone().unwrap_or_else(host_platform);
    // A cross-compiling builder's image is the build platform's.
    let builder_on = llb::builder_platform(plan, env).unwrap_or_else(|| platform.clone());
    let builder_image = plan.builder.as_ref().map(|b| b.image.clone());
    let final_image = match request.options.target.stage() {
        Stage::Runtime => Some(plan.runtime_stage.image.clone()),
        Stage::Builder => None,
    };
    let resolve = |image: Option<String>, platform: pb::Platform| {
        let mut bridge = bridge.clone();
        let mode = request.resolve_mode;
        async move {
            let Some(image) = image else { return Ok(None) };
            let log_name = format!(
                "[internal] load metadata for {}",
                llb::normalize_image(&image)
            );
            bridge
                .resolve_image_config(&image, &platform, mode, &log_name)
                .await
                .map(Some)
        }
    };
    let (builder_config, final_config) = tokio::join!(
        resolve(builder_image, builder_on),
        resolve(final_image, platform)
    );
    let builder_config = builder_config?;
    let base_config = match final_config? {
        Some(config) => config,
        None => builder_config.clone().unwrap_or_default(),
    };
    Ok((builder_config, base_config))
}

/// The answer for BuildKit: one ref (one platform) or a map of refs, with each config and the
/// `refs.platforms` list (which current BuildKit needs even for one platform), and the
/// attestations by platform id.
fn result(
    bridge: &Bridge,
    request: &Request,
    images: Vec<PlatformImage>,
    attestations: BTreeMap<String, gw::Attestations>,
) -> gw::Result {
    let array_refs = bridge.caps.gateway("proto.refarray");
    let mut metadata = BTreeMap::new();
    let mut listed = Vec::new();
    for image in &images {
        let mut platform =
            json!({"architecture": image.platform.architecture, "os": image.platform.os});
        if !image.platform.variant.is_empty() {
            platform["variant"] = json!(image.platform.variant);
        }
        listed.push(json!({"ID": platform_id(&image.platform), "Platform": platform}));
    }
    metadata.insert(
        "refs.platforms".to_string(),
        json!({ "Platforms": listed }).to_string().into_bytes(),
    );
    if let Some(epoch) = request.epoch {
        metadata.insert(
            "source.date.epoch".to_string(),
            epoch.to_string().into_bytes(),
        );
    }
    let single = images.len() == 1;
    let mut refs = BTreeMap::new();
    let mut deprecated = BTreeMap::new();
    let mut only = None;
    for image in images {
        let id = platform_id(&image.platform);
        let config = image.config.to_string().into_bytes();
        if single {
            metadata.insert("containerimage.config".to_string(), config.clone());
        }
        metadata.insert(format!("containerimage.config/{id}"), config);
        let reference = gw::Ref {
            id: image.id.clone(),
            def: Some(image.definition),
        };
        if single {
            only = Some((reference.clone(), image.id.clone()));
        }
        deprecated.insert(id.clone(), image.id);
        refs.insert(id, reference);
    }
    let result = match (only, array_refs) {
        (Some((reference, _)), true) => gw::result::Result::Ref(reference),
        (Some((_, id)), false) => gw::result::Result::RefDeprecated(id),
        (None, true) => gw::result::Result::Refs(gw::RefMap { refs }),
        (None, false) => {
            gw::result::Result::RefsDeprecated(gw::RefMapDeprecated { refs: deprecated })
        }
    };
    gw::Result {
        result: Some(result),
        metadata,
        attestations,
    }
}

/// The `Env` of an image config.
fn config_env(config: &serde_json::Value) -> Vec<(String, String)> {
    config
        .pointer("/config/Env")
        .and_then(|e| e.as_array())
        .map(|vars| {
            vars.iter()
                .filter_map(|v| v.as_str()?.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the spec file from the `dockerfile` input or local source; also returns the
/// definition that loaded it (warnings point at its op).
async fn load_spec(
    bridge: &mut Bridge,
    inv: &Invocation,
    request: &Request,
    inputs: &BTreeMap<String, pb::Definition>,
) -> Result<(SourceFile, pb::Definition), Failure> {
    let name = &request.filename;
    let definition = match inputs.get("dockerfile") {
        Some(def) if request.dockerfile_key == "dockerfile" => def.clone(),
        _ => {
            let options = LocalOptions {
                session: inv.session_id.clone(),
                follow_paths: vec![name.clone()],
                shared_key_hint: Some(request.dockerfile_key.clone()),
                ..Default::default()
            };
            let meta = Meta {
                name: Some(format!("[internal] load build definition from {name}")),
                ..Default::default()
            };
            State::local(&request.dockerfile_key, &options, meta)
                .marshal(None)
                .pb
        }
    };
    let unreadable = |source| Failure::SpecUnreadable {
        path: name.clone(),
        how: format!(
            "pass it with `-f {name}` or the `filename` option, relative to the directory sent as `{}`",
            request.dockerfile_key
        ),
        source,
    };
    let id = bridge.solve(definition.clone()).await.map_err(unreadable)?;
    let data = bridge
        .read_file(&id, name, MAX_SPEC_BYTES + 1)
        .await
        .map_err(unreadable)?;
    if data.len() > MAX_SPEC_BYTES {
        return Err(Failure::SpecTooLarge {
            path: name.clone(),
            size: data.len(),
            max: MAX_SPEC_BYTES,
        });
    }
    let file = SourceFile {
        filename: name.clone(),
        data,
        language: "YAML".to_string(),
    };
    Ok((file, definition))
}

/// Where the build context comes from.
#[derive(Clone, Debug)]
enum ContextSource {
    /// A local directory of the client session, by name.
    Local(String),
    /// A frontend input (a definition the caller passed).
    Input(pb::Definition),
}

/// BuildKit's build context as a [`Context`] for the recipe's probes.
struct GatewayContext {
    bridge: Bridge,
    source: ContextSource,
    session: Option<String>,
}

impl GatewayContext {
    /// Runs `call` for each key at once, each on its own clone of the bridge, and collects the
    /// answers by key.
    async fn all<K, V, F, Fut>(&self, id: &str, keys: BTreeSet<K>, call: F) -> BTreeMap<K, V>
    where
        K: Ord + Send + 'static,
        V: Send + 'static,
        F: Fn(Bridge, String, K) -> Fut,
        Fut: std::future::Future<Output = (K, V)> + Send + 'static,
    {
        let mut calls = tokio::task::JoinSet::new();
        for key in keys {
            calls.spawn(call(self.bridge.clone(), id.to_string(), key));
        }
        let mut answers = BTreeMap::new();
        while let Some(answer) = calls.join_next().await {
            match answer {
                Ok((key, value)) => {
                    answers.insert(key, value);
                }
                // A panic goes on up, to be answered as one (see `serve`); nothing cancels.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
        answers
    }
}

impl Context for GatewayContext {
    type Error = CallError;

    async fn read_existing(
        &mut self,
        paths: &[&str],
        limit: usize,
    ) -> Result<BTreeMap<String, Vec<u8>>, CallError> {
        let definition = match &self.source {
            ContextSource::Input(def) => def.clone(),
            ContextSource::Local(name) => {
                // Only the probed files are sent; the whole context travels later, in the build.
                let options = LocalOptions {
                    session: self.session.clone(),
                    follow_paths: paths.iter().map(|p| p.to_string()).collect(),
                    shared_key_hint: Some(format!("{name}-probes")),
                    ..Default::default()
                };
                let meta = Meta {
                    name: Some("[internal] load dependency manifests".to_string()),
                    ..Default::default()
                };
                State::local(name, &options, meta).marshal(None).pb
            }
        };
        let id = self.bridge.solve(definition).await?;
        // Every directory is listed, then every file there read, each batch at once: a call
        // waits for BuildKit, never for the call before it.
        let split = |path: &str| match path.rsplit_once('/') {
            Some((dir, file)) => (dir.to_string(), file.to_string()),
            None => (String::new(), path.to_string()),
        };
        let dirs: BTreeSet<String> = paths.iter().map(|p| split(p).0).collect();
        let listings = self
            .all(&id, dirs, |mut bridge, id, dir| async move {
                let at = if dir.is_empty() { "/" } else { dir.as_str() };
                // A missing directory simply has no entries.
                let entries = bridge.read_dir(&id, at).await.unwrap_or_default();
                (dir, entries)
            })
            .await;
        let existing: BTreeSet<String> = paths
            .iter()
            .filter(|path| {
                let (dir, file) = split(path);
                listings.get(&dir).is_some_and(|entries| {
                    entries
                        .iter()
                        .any(|(name, is_dir, _)| *name == file && !is_dir)
                })
            })
            .map(|path| path.to_string())
            .collect();
        let reads = self
            .all(&id, existing, move |mut bridge, id, path| async move {
                let read = bridge.read_file(&id, &path, limit).await;
                (path, read)
            })
            .await;
        let mut files = BTreeMap::new();
        // In path order, so that the error reported is the same whichever call ends first.
        for (path, read) in reads {
            match read {
                Ok(data) => {
                    files.insert(path, data);
                }
                // A dangling link: the build's steps would not find the file either.
                Err(e) if e.is_missing_file() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(files)
    }
}
