//! A typed builder for BuildKit's LLB graph.
//!
//! [`State`] is immutable and reads like a Dockerfile: `State::image(..).dir(..).run(..)`,
//! `state.copy(..)`. Each call returns a new state that shares its history, so a graph is just
//! the [`State`] at its head. [`State::marshal`] walks it inputs-first and writes a
//! `pb::Definition` whose bytes depend only on the graph: maps are ordered, mounts are sorted by
//! target, and an op's identity is the sha256 of its serialized bytes (no counters, no clock).
//!
//! Every op records the capabilities it needs (`exec.mount.cache`, `file.base`, …) in its
//! metadata, so a daemon that lacks one refuses the build loudly instead of mis-building it, and
//! [`Definition::caps`] lists them so the gateway can check them against Ping first.

mod chain;
mod from_plan;
mod json;
mod ops;

pub use crate::plan::Stage;
pub use from_plan::{BuildEnv, ResolveMode, builder_platform, from_plan};
pub use json::ops_json;
pub use ops::{CacheSharing, Copy, Exec, FileAction, LocalOptions, Mount, Network};

use crate::proto::pb;
use prost::Message;
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// `sha256:<hex>` of an op's serialized bytes: its identity in the graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(String);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let hash = Sha256::digest(bytes);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        Digest(format!("sha256:{hex}"))
    }

    /// The `sha256:…` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A place in a user's file (1-based lines and columns), for BuildKit's source map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    /// First line.
    pub start_line: u32,
    /// Column on the first line.
    pub start_col: u32,
    /// Last line.
    pub end_line: u32,
    /// Column on the last line.
    pub end_col: u32,
}

/// What an op shows in the progress output and where in the spec it comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// The progress line, e.g. `[builder 2/4] RUN npm ci`.
    pub name: Option<String>,
    /// The spec lines this op stands for (several for runs chained into one); a failure of
    /// the op points there.
    pub locations: Vec<Range>,
    /// Ignore the cache for this op (`no-cache`).
    pub ignore_cache: bool,
}

/// One op of the graph with its inputs. Built only through [`State`].
#[derive(Debug)]
struct Vertex {
    body: Body,
    inputs: Vec<Output>,
    meta: Meta,
    caps: BTreeSet<&'static str>,
}

/// What a vertex is.
// A graph has a handful of these; boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Body {
    /// An op without `inputs`; marshal fills them from the vertex's inputs.
    Op(pb::Op),
    /// The head of a graph marshalled elsewhere (a frontend input): its ops are copied as
    /// they are.
    Imported(pb::Definition),
}

/// One output of a vertex.
#[derive(Clone, Debug)]
struct Output {
    vertex: Arc<Vertex>,
    index: i64,
}

/// An immutable filesystem state plus the process settings that later `run`s inherit.
#[derive(Clone, Debug)]
pub struct State {
    /// `None` is scratch, the empty filesystem.
    output: Option<Output>,
    env: Vec<(String, String)>,
    dir: String,
    user: Option<String>,
    platform: Option<pb::Platform>,
}

impl State {
    /// The empty filesystem.
    pub fn scratch() -> State {
        State {
            output: None,
            env: Vec::new(),
            dir: "/".to_string(),
            user: None,
            platform: None,
        }
    }

    /// An image, by a reference that is normalized the way Docker does (`node:24` →
    /// `docker.io/library/node:24`).
    ///
    /// `resolve_mode` (`pull` or `local`) overrides how the daemon finds it; `None` is its
    /// default (Docker: local images first).
    pub fn image(
        reference: &str,
        platform: Option<&pb::Platform>,
        resolve_mode: Option<&str>,
        meta: Meta,
    ) -> State {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeSet::from(["source.image"]);
        if let Some(mode) = resolve_mode {
            attrs.insert("image.resolvemode".to_string(), mode.to_string());
            caps.insert("source.image.resolvemode");
        }
        let op = pb::op::Op::Source(pb::SourceOp {
            identifier: format!("docker-image://{}", normalize_image(reference)),
            attrs,
        });
        if platform.is_some() {
            caps.insert("platform");
        }
        State::scratch()
            .with_platform(platform.cloned())
            .push(op, vec![], meta, caps)
    }

    /// A directory that the client sends through the session (`context`, `dockerfile`).
    pub fn local(name: &str, options: &LocalOptions, meta: Meta) -> State {
        let (attrs, caps) = options.attrs();
        let op = pb::op::Op::Source(pb::SourceOp {
            identifier: format!("local://{name}"),
            attrs,
        });
        State::scratch().push(op, vec![], meta, caps)
    }

    /// The state at the head of an already marshalled graph (e.g. a frontend input), or
    /// `None` when the definition is empty or malformed.
    pub fn from_definition(definition: &pb::Definition) -> Option<State> {
        let terminal = pb::Op::decode(definition.def.last()?.as_slice()).ok()?;
        let head = terminal.inputs.first()?;
        let vertex = Arc::new(Vertex {
            body: Body::Imported(definition.clone()),
            inputs: vec![],
            meta: Meta::default(),
            caps: BTreeSet::new(),
        });
        let mut state = State::scratch();
        state.output = Some(Output {
            vertex,
            index: head.index,
        });
        Some(state)
    }

    fn with_platform(mut self, platform: Option<pb::Platform>) -> State {
        self.platform = platform;
        self
    }

    /// Sets an environment variable for later `run`s (like Dockerfile `ENV`).
    pub fn env(mut self, key: &str, value: &str) -> State {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Sets the working directory for later `run`s (like `WORKDIR`, without creating it).
    pub fn dir(mut self, dir: &str) -> State {
        self.dir = dir.to_string();
        self
    }

    /// Sets the user for later `run`s (like `USER`).
    pub fn user(mut self, user: &str) -> State {
        self.user = Some(user.to_string());
        self
    }

    /// Runs a process on this state and returns the state of its root filesystem afterwards.
    pub fn run(&self, exec: Exec) -> State {
        let (op, inputs, caps) = exec.build(self);
        self.clone().push(op, inputs, exec.meta, caps)
    }

    /// Applies file actions (copy, mkdir, …) in order, as one op.
    pub fn file(&self, actions: Vec<FileAction>, meta: Meta) -> State {
        let (op, inputs, caps) = ops::file_op(self, actions);
        self.clone().push(op, inputs, meta, caps)
    }

    /// Copies `copy.src` from `from` into this state (like `COPY --from`).
    pub fn copy(&self, from: &State, copy: Copy, meta: Meta) -> State {
        self.file(vec![FileAction::Copy(from.clone(), copy)], meta)
    }

    fn push(
        mut self,
        op: pb::op::Op,
        inputs: Vec<Output>,
        meta: Meta,
        mut caps: BTreeSet<&'static str>,
    ) -> State {
        if meta.name.is_some() {
            caps.insert("meta.description");
        }
        if meta.ignore_cache {
            caps.insert("meta.ignorecache");
        }
        let vertex = Arc::new(Vertex {
            body: Body::Op(pb::Op {
                inputs: vec![],
                op: Some(op),
                platform: self.platform.clone(),
                constraints: None,
            }),
            inputs,
            meta,
            caps,
        });
        self.output = Some(Output { vertex, index: 0 });
        self
    }

    /// Serializes the graph that ends at this state.
    ///
    /// `source` names the spec file and holds its text; ops with a [`Meta::location`] point
    /// into it, so BuildKit shows the spec's lines when such an op fails.
    pub fn marshal(&self, source: Option<&SourceFile>) -> Definition {
        let mut m = Marshaler::default();
        let head = self.output.as_ref().map(|out| pb::Input {
            digest: m.visit(&out.vertex).0,
            index: out.index,
        });
        // The terminal op: only an input, no body. It always gets a metadata entry, since Go
        // clients treat a definition without metadata as nil.
        let terminal = pb::Op {
            inputs: head.into_iter().collect(),
            ..Default::default()
        };
        let bytes = terminal.encode_to_vec();
        let digest = Digest::of(&bytes);
        m.defs.push(bytes);
        let mut terminal_caps = BTreeMap::from([("constraints".to_string(), true)]);
        if self.platform.is_some() {
            terminal_caps.insert("platform".to_string(), true);
        }
        for cap in terminal_caps.keys() {
            m.caps.insert(cap.clone());
        }
        m.metadata.insert(
            digest.0.clone(),
            pb::OpMetadata {
                caps: terminal_caps,
                ..Default::default()
            },
        );
        let source = source.and_then(|file| {
            if m.locations.is_empty() {
                return None;
            }
            let locations = m
                .locations
                .iter()
                .map(|(digest, ranges)| {
                    let location = pb::Location {
                        source_index: 0,
                        ranges: ranges.iter().map(pb_range).collect(),
                    };
                    (
                        digest.clone(),
                        pb::Locations {
                            locations: vec![location],
                        },
                    )
                })
                .collect();
            Some(pb::Source {
                locations,
                infos: vec![pb::SourceInfo {
                    filename: file.filename.clone(),
                    data: file.data.clone(),
                    definition: None,
                    language: file.language.clone(),
                }],
            })
        });
        Definition {
            pb: pb::Definition {
                def: m.defs,
                metadata: m.metadata,
                source,
            },
            caps: m.caps,
        }
    }
}

/// An op's bytes as BuildKit writes them: its kind (exec, source, file) after its platform.
/// BuildKit ≥ v0.12 marshals every op it loads again (vtprotobuf, which writes a oneof after
/// the other fields) and digests those bytes; prost writes fields in number order, the kind
/// first. Bytes in another order get another digest there, which our source map (keyed by our
/// digests) does not know, so a failing step would show no spec lines. Two messages written
/// one after the other read as one message with the fields of both.
fn op_bytes(op: pb::Op) -> Vec<u8> {
    let head = pb::Op {
        inputs: op.inputs,
        platform: op.platform,
        constraints: op.constraints,
        op: None,
    };
    let kind = pb::Op {
        op: op.op,
        ..Default::default()
    };
    let mut bytes = head.encode_to_vec();
    bytes.extend(kind.encode_to_vec());
    bytes
}

/// The spec file as BuildKit's source map carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown in errors, e.g. `shallot.yaml`.
    pub filename: String,
    /// The whole file.
    pub data: Vec<u8>,
    /// A language tag for newer clients (`YAML`).
    pub language: String,
}

/// A marshalled graph and the capabilities its ops need.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The wire form, ready for `SolveRequest.Definition`.
    pub pb: pb::Definition,
    /// Every LLB cap some op uses, for a check against the daemon's Ping answer.
    pub caps: BTreeSet<String>,
}

impl Definition {
    /// The serialized `pb.Definition` (what `buildctl build` reads from stdin).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.pb.encode_to_vec()
    }

    /// The ops decoded back, in order, with their digests (for golden tests and `shallot llb --json`).
    pub fn ops(&self) -> Vec<(Digest, pb::Op)> {
        self.pb
            .def
            .iter()
            .map(|bytes| {
                (
                    Digest::of(bytes),
                    pb::Op::decode(bytes.as_slice()).unwrap_or_default(),
                )
            })
            .collect()
    }
}

#[derive(Default)]
struct Marshaler {
    defs: Vec<Vec<u8>>,
    seen: BTreeSet<Digest>,
    /// Vertices already serialized, by address, so shared history is walked once.
    done: HashMap<*const Vertex, Digest>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    locations: BTreeMap<String, Vec<Range>>,
    caps: BTreeSet<String>,
}

impl Marshaler {
    fn visit(&mut self, vertex: &Arc<Vertex>) -> Digest {
        let key = Arc::as_ptr(vertex);
        if let Some(digest) = self.done.get(&key) {
            return digest.clone();
        }
        let op = match &vertex.body {
            Body::Op(op) => op,
            Body::Imported(definition) => {
                let digest = self.import(definition);
                self.done.insert(key, digest.clone());
                return digest;
            }
        };
        let inputs = vertex
            .inputs
            .iter()
            .map(|input| pb::Input {
                digest: self.visit(&input.vertex).0,
                index: input.index,
            })
            .collect();
        let mut op = op.clone();
        op.inputs = inputs;
        let bytes = op_bytes(op);
        let digest = Digest::of(&bytes);
        if self.seen.insert(digest.clone()) {
            self.defs.push(bytes);
        }
        let mut meta = pb::OpMetadata {
            ignore_cache: vertex.meta.ignore_cache,
            caps: vertex.caps.iter().map(|c| (c.to_string(), true)).collect(),
            ..Default::default()
        };
        if let Some(name) = &vertex.meta.name {
            // Build commands and paths come from the spec; progress shows them on a terminal.
            meta.description.insert(
                "llb.customname".to_string(),
                crate::spec::safe(name).into_owned(),
            );
        }
        self.caps.extend(vertex.caps.iter().map(|c| c.to_string()));
        self.metadata.insert(digest.0.clone(), meta);
        if !vertex.meta.locations.is_empty() {
            self.locations
                .insert(digest.0.clone(), vertex.meta.locations.clone());
        }
        self.done.insert(key, digest.clone());
        digest
    }
}

impl Marshaler {
    /// Copies an imported graph's ops (already inputs-first) and returns its head's digest.
    fn import(&mut self, definition: &pb::Definition) -> Digest {
        let Some((terminal, ops)) = definition.def.split_last() else {
            return Digest(String::new());
        };
        for bytes in ops {
            let digest = Digest::of(bytes);
            if let Some(meta) = definition.metadata.get(digest.as_str()) {
                self.metadata.insert(digest.0.clone(), meta.clone());
                self.caps.extend(
                    meta.caps
                        .iter()
                        .filter(|(_, on)| **on)
                        .map(|(c, _)| c.clone()),
                );
            }
            if self.seen.insert(digest) {
                self.defs.push(bytes.clone());
            }
        }
        let head = pb::Op::decode(terminal.as_slice())
            .ok()
            .and_then(|t| t.inputs.into_iter().next());
        Digest(head.map(|h| h.digest).unwrap_or_default())
    }
}

fn pb_range(range: &Range) -> pb::Range {
    let position = |line: u32, col: u32| pb::Position {
        line: i32::try_from(line).unwrap_or(i32::MAX),
        character: i32::try_from(col.saturating_sub(1)).unwrap_or(i32::MAX),
    };
    pb::Range {
        start: Some(position(range.start_line, range.start_col)),
        end: Some(position(range.end_line, range.end_col)),
    }
}

/// Normalizes an image reference the way Docker does: a registry host and, for Docker Hub's
/// official images, `library/`; `:latest` when neither tag nor digest is given.
pub fn normalize_image(reference: &str) -> String {
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    let (first, rest) = match name.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (name, None),
    };
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    let full = match (rest, is_host) {
        // Docker Hub written out: `docker.io/node` is the official `docker.io/library/node`.
        (Some(rest), true) if first == "docker.io" || first == "index.docker.io" => {
            if rest.contains('/') {
                format!("docker.io/{rest}")
            } else {
                format!("docker.io/library/{rest}")
            }
        }
        (Some(_), true) => name.to_string(),
        (Some(rest), false) => format!("docker.io/{first}/{rest}"),
        (None, _) => format!("docker.io/library/{name}"),
    };
    // A tag is a `:` after the last `/`.
    let last = full.rsplit('/').next().unwrap_or(&full);
    let tagged = last.contains(':');
    match digest {
        Some(digest) => format!("{full}@{digest}"),
        None if tagged => full,
        None => format!("{full}:latest"),
    }
}

#[cfg(test)]
mod tests;
