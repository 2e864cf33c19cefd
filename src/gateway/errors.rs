//! Why a build failed, and how that goes back to BuildKit.
//!
//! Every failure becomes a `google.rpc.Status` in `ReturnRequest.error`. Spec errors also carry
//! BuildKit's `errdefs.Source` detail (the spec file and the offending lines), so buildctl and
//! buildx print the YAML lines as they do for a Dockerfile; the message itself starts with
//! `file:line:col`, which is all the classic `docker build` shows.

use super::bridge::CallError;
use crate::llb::SourceFile;
use crate::load::LoadError;
use crate::plan::{BadOption, Target};
use crate::proto::rpc;
use crate::spec::{Diagnostics, Span};
use base64::Engine as _;
use serde_json::json;

/// gRPC code BuildKit shows without a prefix.
const UNKNOWN: i32 = 2;
/// gRPC code for a capability the daemon lacks.
const UNIMPLEMENTED: i32 = 12;

/// A failed build.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The spec is invalid (or asks for something its context cannot give).
    #[error("{}", .diagnostics.short(&.file.filename))]
    Spec {
        /// What is wrong, with locations.
        diagnostics: Diagnostics,
        /// The spec file.
        file: SourceFile,
    },
    /// The spec could not be read from the build definition.
    #[error("cannot read {path} from the build definition ({how}): {source}")]
    SpecUnreadable {
        /// The spec's path.
        path: String,
        /// How to fix it.
        how: String,
        /// BuildKit's answer.
        source: CallError,
    },
    /// The spec is too large to be a spec.
    #[error("{path} is {size} bytes; a spec is at most {max} bytes")]
    SpecTooLarge {
        /// The spec's path.
        path: String,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A call to BuildKit failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The daemon lacks LLB features the build needs.
    #[error(
        "this BuildKit lacks {}; upgrade BuildKit (Docker ≥ 20.10) or drop the spec settings that need them",
        .0.join(", ")
    )]
    MissingCaps(Vec<String>),
    /// A frontend option has a value shallot cannot use.
    #[error("option {key}={value}: {why}")]
    BadOption {
        /// The option.
        key: String,
        /// Its value.
        value: String,
        /// What would be right.
        why: String,
    },
    /// The SBOM asked for (`attest:sbom`) could not be made from the app's lockfile.
    #[error("cannot make the SBOM: {0}")]
    Sbom(#[from] crate::sbom::SbomError),
    /// A subrequest (`requestid`) shallot does not answer.
    #[error("unsupported request {0}")]
    UnsupportedRequest(String),
    /// A bug in shallot; the message says where.
    #[error("internal error in shallot: {0}")]
    Internal(String),
}

impl Failure {
    /// The failure of loading the spec read from `file`.
    pub fn from_load(e: LoadError<Failure>, file: SourceFile) -> Failure {
        match e {
            LoadError::Read(failure) => failure,
            LoadError::Spec(diagnostics) => Failure::Spec { diagnostics, file },
            LoadError::Option(BadOption { key, value, why }) => {
                Failure::BadOption { key, value, why }
            }
            LoadError::NoBuilder { runtime } => Failure::BadOption {
                key: "target".to_string(),
                value: Target::Builder.name().to_string(),
                why: format!("runtime `{runtime}` has no builder stage"),
            },
            other => Failure::Internal(other.to_string()),
        }
    }

    /// The error for `ReturnRequest.error`.
    pub fn status(&self) -> rpc::Status {
        let code = match self {
            Failure::MissingCaps(_) | Failure::UnsupportedRequest(_) => UNIMPLEMENTED,
            _ => UNKNOWN,
        };
        let details = match self {
            Failure::Spec { diagnostics, file } => diagnostics
                .0
                .first()
                .map(|d| source_detail(file, d.span))
                .into_iter()
                .collect(),
            // BuildKit's clients recognize this detail (`UnsupportedSubrequestError`), e.g. to
            // say that the frontend cannot answer `--call`.
            Failure::UnsupportedRequest(name) => vec![prost_types::Any {
                type_url: "github.com/moby/buildkit/errdefs.Subrequest+json".to_string(),
                value: json!({ "name": name }).to_string().into_bytes(),
            }],
            _ => Vec::new(),
        };
        let message = match self {
            // Already one escaped line a problem, as BuildKit shows it.
            Failure::Spec { .. } => self.to_string(),
            // Build args, option values, paths and BuildKit's own words: one line, escaped, so
            // a value cannot colour the user's terminal or forge a line of the build's output.
            _ => crate::spec::safe(&self.to_string()).into_owned(),
        };
        rpc::Status {
            code,
            message,
            details,
        }
    }
}

/// BuildKit's `errdefs.Source` detail: JSON inside an Any, as BuildKit's grpcerrors encodes it.
pub fn source_detail(file: &SourceFile, span: Span) -> prost_types::Any {
    let position = |line: u32, col: u32| json!({"line": line, "character": col.saturating_sub(1)});
    let end_line = span.end_line.max(span.line);
    let body = json!({
        "info": {
            "filename": file.filename,
            "data": base64::engine::general_purpose::STANDARD.encode(&file.data),
            "language": file.language,
        },
        "ranges": [{"start": position(span.line, span.col), "end": position(end_line, span.end_col)}],
    });
    prost_types::Any {
        type_url: "github.com/moby/buildkit/errdefs.Source+json".to_string(),
        value: body.to_string().into_bytes(),
    }
}
