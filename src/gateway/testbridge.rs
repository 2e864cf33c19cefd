//! An in-process LLBBridge server that plays BuildKit, for tests and benchmarks.
//!
//! It serves the calls shallot makes from plain data: local directories by name, image configs
//! by reference, the caps of a chosen BuildKit version, frontend inputs. It records what the
//! frontend sent (solved definitions, warnings, the Return), so tests can check the error paths
//! and newer caps that the local daemon cannot show. Solves are not executed: a definition whose
//! head is a local source yields a ref holding that directory's (followed) files; any other
//! definition yields an empty ref.
//!
//! Compiled only with the `testbridge` feature (`tests/bridge.rs`, `benches/frontend.rs`), so
//! the frontend and CLI binaries do not carry it.

use crate::proto::apicaps::ApiCap;
use crate::proto::gateway as gw;
use crate::proto::gateway::llb_bridge_server::{LlbBridge, LlbBridgeServer};
use crate::proto::pb;
use prost::Message;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tonic::{Request, Response, Status};

/// The 17 gateway caps of BuildKit v0.8.3 (Docker 20.10).
pub const GATEWAY_CAPS_V0_8: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "resolveimage.resolvemode",
    "readfile",
    "return",
    "returnmap",
    "readdir",
    "statfile",
    "importcaches",
    "proto.refarray",
    "reference.output",
    "frontend.inputs",
    "gateway.solve.metadata",
    "gateway.exec",
    "frontend.caps",
    "gateway.solve.evaluate",
];

/// Gateway caps added after v0.8 that a frontend may use (present in current BuildKit).
pub const GATEWAY_CAPS_NEWER: &[&str] = &[
    "gateway.exec.extrahosts",
    "gateway.exec.signals",
    "gateway.warnings",
    "gateway.evaluate",
    "reference.attestations",
    "gateway.exec.secretenv",
    "source.metaresolver",
];

/// The 42 LLB caps of BuildKit v0.8.3.
pub const LLB_CAPS_V0_8: &[&str] = &[
    "source.image",
    "source.image.resolvemode",
    "source.local",
    "source.local.unique",
    "source.local.sessionid",
    "source.local.includepatterns",
    "source.local.followpaths",
    "source.local.excludepatterns",
    "source.local.sharedkeyhint",
    "source.git",
    "source.git.keepgitdir",
    "source.git.fullurl",
    "source.git.httpauth",
    "source.git.knownsshhosts",
    "source.git.mountsshsock",
    "source.http",
    "source.http.checksum",
    "source.http.perm",
    "soruce.http.uidgid",
    "source.buildop.llbfilename",
    "exec.meta.base",
    "exec.meta.proxyenv",
    "exec.meta.network",
    "exec.meta.security",
    "exec.meta.security.devices.v1",
    "exec.meta.setsdefaultpath",
    "exec.mount.bind",
    "exec.mount.bind.readwrite-nooutput",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.selector",
    "exec.mount.tmpfs",
    "exec.mount.secret",
    "exec.mount.ssh",
    "exec.cgroup",
    "file.base",
    "file.rm.wildcard",
    "constraints",
    "platform",
    "meta.ignorecache",
    "meta.description",
    "meta.exportcache",
];

/// LLB caps added after v0.8 that shallot may use.
pub const LLB_CAPS_NEWER: &[&str] = &[
    "source.local.differ",
    "file.copy.includeexcludepatterns",
    "exec.secretenv",
    "exec.mount.tmpfs.size",
    "mergeop",
    "diffop",
    "file.rm.nofollowsymlink",
    "exec.meta.removemountstubs.recursive",
    "file.copy.alwaysreplaceexistingdestpaths",
    "exec.validexitcode",
    "file.copy.modestring",
    "file.symlink.create",
];

/// What the fake daemon knows.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// Enabled gateway caps.
    pub gateway_caps: Vec<String>,
    /// Enabled LLB caps.
    pub llb_caps: Vec<String>,
    /// Local directories by name (`context`, `dockerfile`): relative path → contents.
    pub locals: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    /// Image configs by reference, as written in the plan (e.g. `node:24-trixie-slim`).
    pub images: BTreeMap<String, serde_json::Value>,
    /// Frontend inputs the caller passed.
    pub inputs: BTreeMap<String, pb::Definition>,
}

impl Setup {
    /// A daemon like Docker 20.10's BuildKit v0.8.
    pub fn v0_8() -> Setup {
        Setup {
            gateway_caps: GATEWAY_CAPS_V0_8.iter().map(|s| s.to_string()).collect(),
            llb_caps: LLB_CAPS_V0_8.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// A current daemon (v0.8's caps plus the newer ones shallot knows of).
    pub fn current() -> Setup {
        let mut setup = Setup::v0_8();
        setup
            .gateway_caps
            .extend(GATEWAY_CAPS_NEWER.iter().map(|s| s.to_string()));
        setup
            .llb_caps
            .extend(LLB_CAPS_NEWER.iter().map(|s| s.to_string()));
        setup
    }

    /// Adds a file to a local directory.
    pub fn file(mut self, local: &str, path: &str, data: impl Into<Vec<u8>>) -> Setup {
        self.locals
            .entry(local.to_string())
            .or_default()
            .insert(path.to_string(), data.into());
        self
    }

    /// Adds an image config.
    pub fn image(mut self, reference: &str, config: serde_json::Value) -> Setup {
        self.images.insert(reference.to_string(), config);
        self
    }
}

/// What the frontend sent.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// Every definition solved, in order.
    pub solves: Vec<pb::Definition>,
    /// Cache imports passed with the solves.
    pub cache_imports: Vec<gw::CacheOptionsEntry>,
    /// Image references resolved, in order.
    pub resolved: Vec<String>,
    /// Warnings sent.
    pub warnings: Vec<gw::WarnRequest>,
    /// The answer: a result or an error.
    pub returned: Option<gw::ReturnRequest>,
    /// Calls answered before Return, by method name.
    pub calls: Vec<&'static str>,
}

impl Recorded {
    /// The returned error, if the build failed.
    pub fn error(&self) -> Option<&crate::proto::rpc::Status> {
        self.returned.as_ref().and_then(|r| r.error.as_ref())
    }

    /// The returned result, if the build succeeded.
    pub fn result(&self) -> Option<&gw::Result> {
        self.returned.as_ref().and_then(|r| r.result.as_ref())
    }

    /// The returned image config, parsed.
    pub fn image_config(&self) -> Option<serde_json::Value> {
        let bytes = self.result()?.metadata.get("containerimage.config")?;
        serde_json::from_slice(bytes).ok()
    }
}

#[derive(Default)]
struct State {
    setup: Setup,
    refs: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    recorded: Recorded,
}

/// The fake daemon; cheap to clone (clones share state).
#[derive(Clone, Default)]
pub struct TestBridge {
    state: Arc<Mutex<State>>,
}

impl TestBridge {
    /// A daemon with this setup.
    pub fn new(setup: Setup) -> TestBridge {
        TestBridge {
            state: Arc::new(Mutex::new(State {
                setup,
                ..Default::default()
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide what was recorded.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What the frontend sent so far.
    pub fn recorded(&self) -> Recorded {
        self.lock().recorded.clone()
    }

    /// The gRPC service, to serve over any stream.
    pub fn service(&self) -> LlbBridgeServer<TestBridge> {
        LlbBridgeServer::new(self.clone())
            .max_decoding_message_size(16 << 20)
            .max_encoding_message_size(16 << 20)
    }

    /// Runs shallot's frontend against this daemon in-process, as BuildKit would run it with
    /// `invocation`, and returns what it sent.
    pub async fn run(&self, invocation: super::Invocation) -> Recorded {
        let (client, server) = tokio::io::duplex(1 << 20);
        let bridge = self.clone();
        let serving = tokio::spawn(async move { bridge.serve_io(server).await });
        if let Err(e) = super::serve(client, invocation).await {
            self.lock().recorded.calls.push("connection failed");
            eprintln!("test bridge: the frontend could not answer: {e}");
        }
        serving.abort();
        self.recorded()
    }
}

/// A byte stream as a tonic server connection.
struct Conn<IO>(IO);

impl<IO> tonic::transport::server::Connected for Conn<IO> {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl<IO: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Conn<IO> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<IO: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Conn<IO> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl TestBridge {
    /// Serves one connection over `io` (e.g. a frontend process's stdout and stdin joined)
    /// until it closes.
    pub async fn serve_io<IO>(&self, io: IO) -> Result<(), tonic::transport::Error>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        let incoming = tokio_stream::once(Ok::<_, std::io::Error>(Conn(io)));
        tonic::transport::Server::builder()
            .add_service(self.service())
            .serve_with_incoming(incoming)
            .await
    }
}

/// A local source's name and followed paths, if `definition`'s head is one.
fn local_head(definition: &pb::Definition) -> Option<(String, Vec<String>)> {
    let terminal = pb::Op::decode(definition.def.last()?.as_slice()).ok()?;
    let head = terminal.inputs.first()?;
    let op = definition.def.iter().find_map(|bytes| {
        (crate::llb::Digest::of(bytes).as_str() == head.digest)
            .then(|| pb::Op::decode(bytes.as_slice()).ok())
            .flatten()
    })?;
    let Some(pb::op::Op::Source(source)) = op.op else {
        return None;
    };
    let name = source.identifier.strip_prefix("local://")?.to_string();
    let follow = source
        .attrs
        .get("local.followpaths")
        .and_then(|json| serde_json::from_str::<Vec<String>>(json).ok())
        .unwrap_or_default();
    Some((name, follow))
}

#[tonic::async_trait]
impl LlbBridge for TestBridge {
    async fn resolve_image_config(
        &self,
        request: Request<gw::ResolveImageConfigRequest>,
    ) -> Result<Response<gw::ResolveImageConfigResponse>, Status> {
        let reference = request.into_inner().r#ref;
        let mut state = self.lock();
        state.recorded.calls.push("ResolveImageConfig");
        state.recorded.resolved.push(reference.clone());
        match state.setup.images.get(&reference) {
            Some(config) => Ok(Response::new(gw::ResolveImageConfigResponse {
                digest: format!("sha256:{:064}", 0),
                config: config.to_string().into_bytes(),
                r#ref: String::new(),
            })),
            None => Err(Status::not_found(format!(
                "{reference}: not found (pull access denied or repository does not exist)"
            ))),
        }
    }

    async fn solve(
        &self,
        request: Request<gw::SolveRequest>,
    ) -> Result<Response<gw::SolveResponse>, Status> {
        let request = request.into_inner();
        let definition = request.definition.unwrap_or_default();
        let mut state = self.lock();
        state.recorded.calls.push("Solve");
        let files = match local_head(&definition) {
            Some((name, follow)) => {
                let all = state.setup.locals.get(&name).cloned().unwrap_or_default();
                all.into_iter()
                    .filter(|(path, _)| follow.is_empty() || follow.contains(path))
                    .collect()
            }
            None => BTreeMap::new(),
        };
        let id = format!("ref-{}", state.refs.len());
        state.refs.insert(id.clone(), files);
        state.recorded.solves.push(definition);
        state.recorded.cache_imports.extend(request.cache_imports);
        let result = if request.allow_result_array_ref {
            gw::result::Result::Ref(gw::Ref {
                id: id.clone(),
                def: None,
            })
        } else {
            gw::result::Result::RefDeprecated(id.clone())
        };
        Ok(Response::new(gw::SolveResponse {
            r#ref: String::new(),
            result: Some(gw::Result {
                result: Some(result),
                metadata: BTreeMap::new(),
                attestations: BTreeMap::new(),
            }),
        }))
    }

    async fn read_file(
        &self,
        request: Request<gw::ReadFileRequest>,
    ) -> Result<Response<gw::ReadFileResponse>, Status> {
        let request = request.into_inner();
        let mut state = self.lock();
        state.recorded.calls.push("ReadFile");
        let data = state
            .refs
            .get(&request.r#ref)
            .ok_or_else(|| Status::not_found(format!("no such ref {}", request.r#ref)))?
            .get(request.file_path.trim_start_matches('/'))
            .ok_or_else(|| {
                Status::not_found(format!(
                    "open {}: no such file or directory",
                    request.file_path
                ))
            })?;
        let limit = request
            .range
            .map(|r| usize::try_from(r.length).unwrap_or(usize::MAX))
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        Ok(Response::new(gw::ReadFileResponse {
            data: data.iter().take(limit).copied().collect(),
        }))
    }

    async fn read_dir(
        &self,
        request: Request<gw::ReadDirRequest>,
    ) -> Result<Response<gw::ReadDirResponse>, Status> {
        let request = request.into_inner();
        let mut state = self.lock();
        state.recorded.calls.push("ReadDir");
        let files = state
            .refs
            .get(&request.r#ref)
            .ok_or_else(|| Status::not_found(format!("no such ref {}", request.r#ref)))?;
        let dir = request.dir_path.trim_matches('/');
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: BTreeMap<String, bool> = BTreeMap::new();
        for path in files.keys() {
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((sub, _)) => entries.insert(sub.to_string(), true),
                    None => entries.insert(rest.to_string(), false),
                };
            }
        }
        let entries = entries
            .into_iter()
            .map(|(name, dir)| crate::proto::fsutil::Stat {
                path: name,
                mode: if dir { (1 << 31) | 0o755 } else { 0o644 },
                ..Default::default()
            })
            .collect();
        Ok(Response::new(gw::ReadDirResponse { entries }))
    }

    async fn stat_file(
        &self,
        _request: Request<gw::StatFileRequest>,
    ) -> Result<Response<gw::StatFileResponse>, Status> {
        Err(Status::unimplemented("the test bridge does not stat files"))
    }

    async fn ping(
        &self,
        _request: Request<gw::PingRequest>,
    ) -> Result<Response<gw::PongResponse>, Status> {
        let mut state = self.lock();
        state.recorded.calls.push("Ping");
        let caps = |ids: &[String]| {
            ids.iter()
                .map(|id| ApiCap {
                    id: id.clone(),
                    enabled: true,
                    ..Default::default()
                })
                .collect()
        };
        Ok(Response::new(gw::PongResponse {
            frontend_api_caps: caps(&state.setup.gateway_caps),
            llb_caps: caps(&state.setup.llb_caps),
        }))
    }

    async fn r#return(
        &self,
        request: Request<gw::ReturnRequest>,
    ) -> Result<Response<gw::ReturnResponse>, Status> {
        let mut state = self.lock();
        if state.recorded.returned.is_some() {
            return Err(Status::failed_precondition("gateway result is already set"));
        }
        state.recorded.returned = Some(request.into_inner());
        Ok(Response::new(gw::ReturnResponse {}))
    }

    async fn inputs(
        &self,
        _request: Request<gw::InputsRequest>,
    ) -> Result<Response<gw::InputsResponse>, Status> {
        let mut state = self.lock();
        state.recorded.calls.push("Inputs");
        if !state
            .setup
            .gateway_caps
            .iter()
            .any(|c| c == "frontend.inputs")
        {
            return Err(Status::unimplemented("unknown method Inputs"));
        }
        Ok(Response::new(gw::InputsResponse {
            definitions: state.setup.inputs.clone(),
        }))
    }

    async fn warn(
        &self,
        request: Request<gw::WarnRequest>,
    ) -> Result<Response<gw::WarnResponse>, Status> {
        let mut state = self.lock();
        // Recorded even when refused, so tests can tell "not sent" from "sent to an old daemon".
        state.recorded.calls.push("Warn");
        if !state
            .setup
            .gateway_caps
            .iter()
            .any(|c| c == "gateway.warnings")
        {
            return Err(Status::unimplemented("unknown method Warn"));
        }
        state.recorded.warnings.push(request.into_inner());
        Ok(Response::new(gw::WarnResponse {}))
    }
}
