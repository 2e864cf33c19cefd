//! The frontend's conversation with BuildKit over the LLBBridge API.
//!
//! [`serve`] pings the daemon, runs the build ([`build`]: read the spec, gather the context's
//! facts, plan, resolve the base images, marshal the graph, solve) and always answers through
//! `Return`: with the image, or with an error that says what is wrong and where. A panic in the
//! build becomes an error answer too, so BuildKit is never left waiting.

mod bridge;
mod errors;
mod opts;
mod stdio;
pub mod testbridge;

pub use bridge::{Bridge, CallError, Caps};
pub use errors::{Failure, source_detail};
pub use opts::{Invocation, host_platform, parse_platform, platform_id};
pub use stdio::{Stream, channel, stdio};

use crate::context::{self, Context};
use crate::llb::{self, BuildEnv, LocalOptions, Meta, SourceFile, Stage, State};
use crate::plan::{Facts, Options, Plan};
use crate::proto::{gateway as gw, pb};
use crate::{image, runtimes, spec};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

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
    let unreachable = |message: String| CallError {
        call: "connect",
        status: tonic::Status::unavailable(message),
    };
    let channel = channel(stream)
        .await
        .map_err(|e| unreachable(format!("cannot talk to BuildKit over stdio: {e}")))?;
    let bridge = tokio::time::timeout(PING_TIMEOUT, Bridge::connect(channel))
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
    bridge.r#return(request).await
}

/// What the caller asked for, from the frontend options.
#[derive(Clone, Debug, PartialEq)]
struct Request {
    filename: String,
    dockerfile_key: String,
    context_key: String,
    stage: Stage,
    debug: bool,
    platform: pb::Platform,
    resolve_mode: String,
    options: Options,
}

impl Request {
    fn from(inv: &Invocation) -> Result<Request, Failure> {
        let bad = |key: &str, value: &str, why: &str| Failure::BadOption {
            key: key.to_string(),
            value: value.to_string(),
            why: why.to_string(),
        };
        let (stage, debug) = match inv.opt("target").unwrap_or_default() {
            "" | "runtime" => (Stage::Runtime, false),
            "debug" => (Stage::Runtime, true),
            "builder" => (Stage::Builder, false),
            other => {
                return Err(bad(
                    "target",
                    other,
                    "shallot's targets are `runtime` (default), `debug` and `builder`",
                ));
            }
        };
        let platform = match inv.opt("platform").filter(|p| !p.is_empty()) {
            None => inv.worker_platform.clone().unwrap_or_else(host_platform),
            Some(list) if list.contains(',') => {
                return Err(bad(
                    "platform",
                    list,
                    "one platform per build for now; build each platform separately",
                ));
            }
            Some(one) => parse_platform(one).ok_or_else(|| {
                bad(
                    "platform",
                    one,
                    "expected os/arch[/variant], e.g. linux/amd64",
                )
            })?,
        };
        let resolve_mode = match inv.opt("image-resolve-mode").unwrap_or("default") {
            mode @ ("default" | "pull" | "local") => mode.to_string(),
            other => {
                return Err(bad(
                    "image-resolve-mode",
                    other,
                    "expected default, pull or local",
                ));
            }
        };
        let nonempty = |key: &str, default: &str| {
            inv.opt(key)
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
                .to_string()
        };
        Ok(Request {
            filename: nonempty("filename", "shallot.yaml"),
            dockerfile_key: nonempty("dockerfilekey", "dockerfile"),
            context_key: nonempty("contextkey", "context"),
            stage,
            debug,
            platform,
            resolve_mode,
            options: Options {
                builder_image: inv.build_arg("SHALLOT_BUILDER_IMAGE").map(str::to_string),
                runtime_image: inv.build_arg("SHALLOT_RUNTIME_IMAGE").map(str::to_string),
            },
        })
    }
}

/// Runs the build and returns the result to hand back to BuildKit.
pub async fn build(bridge: &mut Bridge, inv: &Invocation) -> Result<gw::Result, Failure> {
    let request = Request::from(inv)?;
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
    // The spec and the context's manifests are read at the same time; every recipe's probes
    // are read because the runtime is not known before the spec is.
    let probes = runtimes::all_probes();
    let mut spec_bridge = bridge.clone();
    let (spec_file, facts) = tokio::join!(
        load_spec(&mut spec_bridge, inv, &request, &inputs),
        context::gather(&mut reader, &probes)
    );
    let spec_file = spec_file?;
    let text = String::from_utf8_lossy(&spec_file.data).into_owned();
    let spec_error = |diagnostics| Failure::Spec {
        diagnostics,
        file: spec_file.clone(),
    };
    let mut spec = spec::parse(&text, &runtimes::names()).map_err(spec_error)?;
    if request.debug {
        spec.debug.value = true;
    }
    let mut facts: Facts = facts?;
    if let Some(recipe) = runtimes::find(&spec.runtime.value) {
        context::gather_headers(&mut reader, &(recipe.spec_probes)(&spec), &mut facts).await?;
    }
    let plan = Plan::from_spec(&spec, &facts, &request.options).map_err(spec_error)?;

    let log_name = |image: &str| {
        format!(
            "[internal] load metadata for {}",
            llb::normalize_image(image)
        )
    };
    let builder_image = plan.builder.as_ref().map(|b| b.image.clone());
    let final_image = match (request.stage, &builder_image) {
        (Stage::Runtime, _) => Some(plan.runtime_stage.image.clone()),
        (Stage::Builder, Some(_)) => None,
        (Stage::Builder, None) => {
            return Err(Failure::BadOption {
                key: "target".to_string(),
                value: "builder".to_string(),
                why: format!("runtime `{}` has no builder stage", plan.runtime),
            });
        }
    };
    let resolve = |image: Option<String>| {
        let mut bridge = bridge.clone();
        let platform = request.platform.clone();
        let mode = request.resolve_mode.clone();
        async move {
            match image {
                Some(image) => bridge
                    .resolve_image_config(&image, &platform, &mode, &log_name(&image))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    };
    // Both base images are resolved at once.
    let (builder_config, final_config) = tokio::join!(resolve(builder_image), resolve(final_image));
    let builder_config = builder_config?;
    let base_config = match final_config? {
        Some(config) => config,
        None => builder_config.clone().unwrap_or_default(),
    };

    let env = BuildEnv {
        session: inv.session_id.clone(),
        platform: Some(request.platform.clone()),
        builder_env: builder_config.as_ref().map(config_env).unwrap_or_default(),
        needs_default_path: !bridge.caps.llb.contains("exec.meta.setsdefaultpath"),
        spec: Some(spec_file.clone()),
        context_name: request.context_key.clone(),
        context_input: match &context_source {
            ContextSource::Input(def) => Some(def.clone()),
            ContextSource::Local(_) => None,
        },
    };
    let definition = llb::from_plan(&plan, &env, request.stage);
    let missing = bridge.caps.missing_llb(&definition.caps);
    if !missing.is_empty() {
        return Err(Failure::MissingCaps(missing));
    }
    let id = bridge.solve(definition.pb.clone()).await?;

    let config = match request.stage {
        Stage::Runtime => image::config(&plan.config, Some(&base_config), &request.platform, None),
        Stage::Builder => base_config,
    };
    let platform_id = platform_id(&request.platform);
    let mut platform =
        json!({"architecture": request.platform.architecture, "os": request.platform.os});
    if !request.platform.variant.is_empty() {
        platform["variant"] = json!(request.platform.variant);
    }
    let platforms = json!({"Platforms": [{"ID": platform_id, "Platform": platform}]});
    let metadata = BTreeMap::from([
        (
            "containerimage.config".to_string(),
            config.to_string().into_bytes(),
        ),
        (
            "refs.platforms".to_string(),
            platforms.to_string().into_bytes(),
        ),
    ]);
    let result = if bridge.caps.gateway("proto.refarray") {
        gw::result::Result::Ref(gw::Ref {
            id,
            def: Some(definition.pb),
        })
    } else {
        gw::result::Result::RefDeprecated(id)
    };
    Ok(gw::Result {
        result: Some(result),
        metadata,
    })
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

/// Reads the spec file from the `dockerfile` input or local source.
async fn load_spec(
    bridge: &mut Bridge,
    inv: &Invocation,
    request: &Request,
    inputs: &BTreeMap<String, pb::Definition>,
) -> Result<SourceFile, Failure> {
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
    let id = bridge.solve(definition).await.map_err(unreadable)?;
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
    Ok(SourceFile {
        filename: name.clone(),
        data,
        language: "YAML".to_string(),
    })
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
        let mut listings: BTreeMap<String, Vec<(String, bool, i64)>> = BTreeMap::new();
        let mut files = BTreeMap::new();
        for path in paths {
            let (dir, file) = match path.rsplit_once('/') {
                Some((dir, file)) => (dir.to_string(), file),
                None => (String::new(), *path),
            };
            if !listings.contains_key(&dir) {
                // A missing directory simply has no entries.
                let entries = self
                    .bridge
                    .read_dir(&id, if dir.is_empty() { "/" } else { &dir })
                    .await;
                listings.insert(dir.clone(), entries.unwrap_or_default());
            }
            let exists = listings.get(&dir).is_some_and(|entries| {
                entries
                    .iter()
                    .any(|(name, is_dir, _)| name == file && !is_dir)
            });
            if exists {
                let data = self.bridge.read_file(&id, path, limit).await?;
                files.insert(path.to_string(), data);
            }
        }
        Ok(files)
    }
}
