//! The LLBBridge client: the calls shallot makes to BuildKit, with the daemon's capabilities.

use super::trace::{Trace, definition_label};
use crate::llb::ResolveMode;
use crate::proto::gateway as gw;
use crate::proto::gateway::llb_bridge_client::LlbBridgeClient;
use crate::proto::pb;
use std::collections::{BTreeMap, BTreeSet};
use tonic::transport::Channel;

/// Messages up to 16 MiB, as BuildKit ≥ v0.14 allows (older daemons accept 4 MiB from us).
const MAX_MESSAGE: usize = 16 << 20;

/// Gateway caps that BuildKit's Go client assumes when a daemon lists none.
const DEFAULT_GATEWAY_CAPS: [&str; 4] = [
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "readfile",
];

/// A call to BuildKit failed.
#[derive(Debug, thiserror::Error)]
#[error("{call}: {status}", status = .status.message())]
pub struct CallError {
    /// Which call, for the message.
    pub call: &'static str,
    /// BuildKit's answer.
    pub status: tonic::Status,
}

impl CallError {
    /// Whether BuildKit found no file at the path: a symbolic link whose target is missing or
    /// outside the context (BuildKit resolves links inside it). Its answer carries no code for
    /// this (`Unknown`), only the OS's words.
    pub fn is_missing_file(&self) -> bool {
        self.status.code() == tonic::Code::NotFound
            || self.status.message().contains("no such file or directory")
    }
}

/// What the daemon supports, from its Ping answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// Gateway API caps (`readfile`, `frontend.inputs`, …) that are enabled.
    pub gateway: BTreeSet<String>,
    /// LLB caps (`exec.mount.cache`, `file.base`, …) that are enabled.
    pub llb: BTreeSet<String>,
    /// The daemon listed LLB caps at all (very old daemons do not).
    pub llb_listed: bool,
}

impl Caps {
    /// Whether the gateway cap `id` is enabled.
    pub fn gateway(&self, id: &str) -> bool {
        self.gateway.contains(id)
    }

    /// LLB caps in `wanted` that the daemon lacks.
    pub fn missing_llb<'a>(&self, wanted: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        if !self.llb_listed {
            return Vec::new();
        }
        wanted
            .into_iter()
            .filter(|c| !self.llb.contains(*c))
            .cloned()
            .collect()
    }
}

/// A connected LLBBridge client.
#[derive(Clone, Debug)]
pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    /// The daemon's capabilities.
    pub caps: Caps,
    /// Where each call is timed (off unless `SHALLOT_TRACE` asks).
    trace: Trace,
}

impl Bridge {
    /// Pings the daemon and records its capabilities; each call is timed into `trace`.
    pub async fn connect(channel: Channel, trace: Trace) -> Result<Bridge, CallError> {
        let mut client = LlbBridgeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let span = trace.span("ping", String::new);
        let pong = client
            .ping(gw::PingRequest {})
            .await
            .map_err(|status| CallError {
                call: "ping",
                status,
            })?
            .into_inner();
        drop(span);
        let enabled = |caps: Vec<crate::proto::apicaps::ApiCap>| -> BTreeSet<String> {
            caps.into_iter()
                .filter(|c| c.enabled)
                .map(|c| c.id)
                .collect()
        };
        let llb_listed = !pong.llb_caps.is_empty();
        let mut gateway = enabled(pong.frontend_api_caps);
        if gateway.is_empty() {
            gateway = DEFAULT_GATEWAY_CAPS.iter().map(|s| s.to_string()).collect();
        }
        let caps = Caps {
            gateway,
            llb: enabled(pong.llb_caps),
            llb_listed,
        };
        Ok(Bridge {
            client,
            caps,
            trace,
        })
    }

    /// The trace the calls are timed into.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Solves a definition and returns the result's ref id (solves are lazy: nothing runs
    /// until the ref is read or returned).
    pub async fn solve(&mut self, definition: pb::Definition) -> Result<String, CallError> {
        self.solve_request(gw::SolveRequest {
            definition: Some(definition),
            ..Default::default()
        })
        .await
    }

    /// Solves with cache imports (`cache-imports`).
    pub async fn solve_request(
        &mut self,
        mut request: gw::SolveRequest,
    ) -> Result<String, CallError> {
        request.allow_result_return = true;
        request.allow_result_array_ref = self.caps.gateway("proto.refarray");
        let _span = self.trace.span("solve", || {
            request
                .definition
                .as_ref()
                .map(definition_label)
                .unwrap_or_default()
        });
        let response = self
            .client
            .solve(request)
            .await
            .map_err(|status| CallError {
                call: "solve",
                status,
            })?
            .into_inner();
        let id = match response.result.and_then(|r| r.result) {
            Some(gw::result::Result::Ref(r)) => r.id,
            Some(gw::result::Result::RefDeprecated(id)) => id,
            _ => response.r#ref,
        };
        Ok(id)
    }

    /// Reads a file of a solved ref, at most `limit` bytes.
    pub async fn read_file(
        &mut self,
        reference: &str,
        path: &str,
        limit: usize,
    ) -> Result<Vec<u8>, CallError> {
        let _span = self.trace.span("read file", || path.to_string());
        let request = gw::ReadFileRequest {
            r#ref: reference.to_string(),
            file_path: path.to_string(),
            range: Some(gw::FileRange {
                offset: 0,
                length: i64::try_from(limit).unwrap_or(i64::MAX),
            }),
        };
        let response = self
            .client
            .read_file(request)
            .await
            .map_err(|status| CallError {
                call: "read file",
                status,
            })?;
        Ok(response.into_inner().data)
    }

    /// Lists a directory of a solved ref: `(name, is_dir, size)`.
    pub async fn read_dir(
        &mut self,
        reference: &str,
        path: &str,
    ) -> Result<Vec<(String, bool, i64)>, CallError> {
        let _span = self.trace.span("read dir", || path.to_string());
        let request = gw::ReadDirRequest {
            r#ref: reference.to_string(),
            dir_path: path.to_string(),
            include_pattern: String::new(),
        };
        let response = self
            .client
            .read_dir(request)
            .await
            .map_err(|status| CallError {
                call: "read dir",
                status,
            })?;
        // Go's os.ModeDir is the top bit.
        const MODE_DIR: u32 = 1 << 31;
        Ok(response
            .into_inner()
            .entries
            .into_iter()
            .map(|s| (s.path, s.mode & MODE_DIR != 0, s.size))
            .collect())
    }

    /// The config JSON of an image, as the daemon resolves it (local images first on Docker).
    pub async fn resolve_image_config(
        &mut self,
        reference: &str,
        platform: &pb::Platform,
        resolve_mode: ResolveMode,
        log_name: &str,
    ) -> Result<serde_json::Value, CallError> {
        let _span = self
            .trace
            .span("resolve image config", || reference.to_string());
        let request = gw::ResolveImageConfigRequest {
            r#ref: reference.to_string(),
            platform: Some(platform.clone()),
            resolve_mode: resolve_mode.as_str().to_string(),
            log_name: log_name.to_string(),
        };
        let response = self
            .client
            .resolve_image_config(request)
            .await
            .map_err(|status| CallError {
                call: "resolve image config",
                status,
            })?
            .into_inner();
        serde_json::from_slice(&response.config).map_err(|e| CallError {
            call: "resolve image config",
            status: tonic::Status::invalid_argument(format!(
                "{reference}: config is not JSON: {e}"
            )),
        })
    }

    /// The frontend inputs the caller passed (empty when the daemon cannot pass any).
    pub async fn inputs(&mut self) -> Result<BTreeMap<String, pb::Definition>, CallError> {
        if !self.caps.gateway("frontend.inputs") {
            return Ok(BTreeMap::new());
        }
        let _span = self.trace.span("inputs", String::new);
        let response = self
            .client
            .inputs(gw::InputsRequest {})
            .await
            .map_err(|status| CallError {
                call: "inputs",
                status,
            })?;
        Ok(response.into_inner().definitions)
    }

    /// Sends a warning for the progress output (`Warn`, cap `gateway.warnings`). Does nothing
    /// when the daemon lacks the cap: older daemons (Docker 20.10) have no `Warn` call.
    pub async fn warn(&mut self, request: gw::WarnRequest) -> Result<(), CallError> {
        if !self.caps.gateway("gateway.warnings") {
            return Ok(());
        }
        let _span = self.trace.span("warn", || {
            String::from_utf8_lossy(&request.short).into_owned()
        });
        self.client
            .warn(request)
            .await
            .map_err(|status| CallError {
                call: "warn",
                status,
            })?;
        Ok(())
    }

    /// Answers the build: a result or an error, exactly once.
    pub async fn r#return(&mut self, request: gw::ReturnRequest) -> Result<(), CallError> {
        let _span = self.trace.span("return", String::new);
        self.client
            .r#return(request)
            .await
            .map_err(|status| CallError {
                call: "return",
                status,
            })?;
        Ok(())
    }
}
