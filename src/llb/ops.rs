//! The op vocabulary: processes with their mounts, file actions and local sources.

use super::{Meta, Output, State};
use crate::image::DEFAULT_PATH;
use crate::proto::pb;
use std::collections::{BTreeMap, BTreeSet};

/// How runs share a cache mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSharing {
    /// Concurrent runs use it at once (npm, pip and go caches are safe this way).
    Shared,
    /// Each concurrent run gets its own copy.
    Private,
    /// Concurrent runs wait for each other (apt, gradle).
    Locked,
}

/// A filesystem mounted into a run besides its root.
// A graph has a handful of these; boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Mount {
    /// A persistent cache directory that is never part of a layer.
    Cache {
        /// Where it appears, e.g. `/root/.npm`.
        target: String,
        /// Cache id; runs with the same id see the same directory.
        id: String,
        /// How concurrent runs share it.
        sharing: CacheSharing,
    },
    /// A build secret, readable only by this run (`--secret id=…`).
    Secret {
        /// Where it appears, e.g. `/run/secrets/npm_token`.
        target: String,
        /// The id the build passes it under.
        id: String,
        /// Missing is not an error.
        optional: bool,
    },
    /// The client's SSH agent socket (`--ssh id`); `SSH_AUTH_SOCK` points at it.
    Ssh {
        /// Where the socket appears.
        target: String,
        /// The agent id.
        id: String,
    },
    /// A read-only view of (a directory of) another state.
    ReadOnly {
        /// Where it appears.
        target: String,
        /// What to mount.
        source: State,
        /// A sub-path of `source`, `/` for all of it.
        selector: String,
    },
}

impl Mount {
    fn target(&self) -> &str {
        match self {
            Mount::Cache { target, .. }
            | Mount::Secret { target, .. }
            | Mount::Ssh { target, .. }
            | Mount::ReadOnly { target, .. } => target,
        }
    }
}

/// A process to run, like a Dockerfile `RUN`.
#[derive(Clone, Debug)]
pub struct Exec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    mounts: Vec<Mount>,
    default_path: bool,
    network: Network,
    pub(super) meta: Meta,
}

impl Exec {
    /// Runs in this network (`RUN --network`); the sandbox by default.
    pub fn network(mut self, network: Network) -> Exec {
        self.network = network;
        self
    }

    /// Runs `script` with `/bin/sh -c`, as a Dockerfile `RUN` in shell form does.
    pub fn shell(script: &str) -> Exec {
        Exec::args(["/bin/sh", "-c", script])
    }

    /// Runs a program with these arguments, without a shell.
    pub fn args<I, S>(args: I) -> Exec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Exec {
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            mounts: Vec::new(),
            default_path: false,
            network: Network::Sandbox,
            meta: Meta::default(),
        }
    }

    /// Adds an environment variable for this run only.
    pub fn env(mut self, key: &str, value: &str) -> Exec {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a mount.
    pub fn mount(mut self, mount: Mount) -> Exec {
        self.mounts.push(mount);
        self
    }

    /// Puts a default PATH into the environment when neither the state nor the run has one.
    /// Needed for daemons without `exec.meta.setsdefaultpath`.
    pub fn default_path(mut self, yes: bool) -> Exec {
        self.default_path = yes;
        self
    }

    /// Sets the progress name and source location.
    pub fn meta(mut self, meta: Meta) -> Exec {
        self.meta = meta;
        self
    }

    pub(super) fn build(&self, state: &State) -> (pb::op::Op, Vec<Output>, BTreeSet<&'static str>) {
        let mut caps = BTreeSet::from(["exec.meta.base"]);
        let mut inputs = Inputs::default();
        let env = self.environment(state, &mut caps);
        let mut mounts = vec![root_mount(inputs.add(state))];
        let mut extra: Vec<&Mount> = self.mounts.iter().collect();
        // Sorted by target, as BuildKit's Go client does, so the op bytes do not depend on the
        // order in which a recipe lists its mounts.
        extra.sort_by(|a, b| a.target().cmp(b.target()));
        for mount in extra {
            mounts.push(mount.to_pb(&mut inputs, &mut caps));
        }
        let meta = pb::Meta {
            args: self.args.clone(),
            env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
            cwd: state.dir.clone(),
            user: state.user.clone().unwrap_or_default(),
            ..Default::default()
        };
        if self.network != Network::Sandbox {
            caps.insert("exec.meta.network");
        }
        let op = pb::op::Op::Exec(pb::ExecOp {
            meta: Some(meta),
            mounts,
            network: self.network.to_pb() as i32,
            ..Default::default()
        });
        (op, inputs.list, caps)
    }

    /// The run's environment: the state's, the run's own on top, then what a run needs when
    /// the daemon does not provide it (an agent socket, a PATH).
    fn environment(
        &self,
        state: &State,
        caps: &mut BTreeSet<&'static str>,
    ) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = state.env.iter().cloned().collect();
        env.extend(self.env.iter().cloned());
        // As BuildKit's Go client does: the first agent socket is the default one.
        let first_ssh = self.mounts.iter().find_map(|m| match m {
            Mount::Ssh { target, .. } => Some(target.clone()),
            _ => None,
        });
        if let Some(socket) = first_ssh {
            env.entry("SSH_AUTH_SOCK".to_string()).or_insert(socket);
        }
        if self.default_path {
            env.entry("PATH".to_string())
                .or_insert_with(|| DEFAULT_PATH.to_string());
        } else if !env.contains_key("PATH") {
            caps.insert("exec.meta.setsdefaultpath");
        }
        env
    }
}

/// The run's root filesystem: the state it runs in, writable, and the op's output 0.
fn root_mount(input: i64) -> pb::Mount {
    pb::Mount {
        input,
        selector: String::new(),
        dest: "/".to_string(),
        output: 0,
        readonly: false,
        mount_type: pb::MountType::Bind as i32,
        ..Default::default()
    }
}

/// A mount that the daemon provides rather than an input (cache, secret, SSH socket); it has
/// no output either.
fn provided_mount(target: &str, mount_type: pb::MountType) -> pb::Mount {
    pb::Mount {
        input: -1,
        dest: target.to_string(),
        output: -1,
        mount_type: mount_type as i32,
        ..Default::default()
    }
}

impl Mount {
    /// The mount as BuildKit gets it; its source joins `inputs` and the caps it needs join
    /// `caps`.
    fn to_pb(&self, inputs: &mut Inputs, caps: &mut BTreeSet<&'static str>) -> pb::Mount {
        match self {
            Mount::Cache {
                target,
                id,
                sharing,
            } => {
                caps.extend(["exec.mount.cache", "exec.mount.cache.sharing"]);
                pb::Mount {
                    cache_opt: Some(pb::CacheOpt {
                        id: id.clone(),
                        sharing: sharing.to_pb() as i32,
                    }),
                    ..provided_mount(target, pb::MountType::Cache)
                }
            }
            Mount::Secret {
                target,
                id,
                optional,
            } => {
                caps.insert("exec.mount.secret");
                pb::Mount {
                    secret_opt: Some(pb::SecretOpt {
                        id: id.clone(),
                        uid: 0,
                        gid: 0,
                        mode: 0o400,
                        optional: *optional,
                    }),
                    ..provided_mount(target, pb::MountType::Secret)
                }
            }
            Mount::Ssh { target, id } => {
                caps.insert("exec.mount.ssh");
                pb::Mount {
                    ssh_opt: Some(pb::SshOpt {
                        id: id.clone(),
                        uid: 0,
                        gid: 0,
                        mode: 0o600,
                        optional: false,
                    }),
                    ..provided_mount(target, pb::MountType::Ssh)
                }
            }
            Mount::ReadOnly {
                target,
                source,
                selector,
            } => read_only_mount(target, inputs.add(source), selector, caps),
        }
    }
}

/// A read-only bind of `selector` in input `input` at `target`.
fn read_only_mount(
    target: &str,
    input: i64,
    selector: &str,
    caps: &mut BTreeSet<&'static str>,
) -> pb::Mount {
    caps.insert("exec.mount.bind");
    // BuildKit spells "all of it" as no selector.
    let selector = if selector == "/" { "" } else { selector };
    if !selector.is_empty() {
        caps.insert("exec.mount.selector");
    }
    pb::Mount {
        input,
        selector: selector.to_string(),
        dest: target.to_string(),
        output: -1,
        readonly: true,
        mount_type: pb::MountType::Bind as i32,
        ..Default::default()
    }
}

impl CacheSharing {
    /// The sharing mode as BuildKit names it.
    fn to_pb(self) -> pb::CacheSharingOpt {
        match self {
            CacheSharing::Shared => pb::CacheSharingOpt::Shared,
            CacheSharing::Private => pb::CacheSharingOpt::Private,
            CacheSharing::Locked => pb::CacheSharingOpt::Locked,
        }
    }
}

/// The distinct inputs of one op; the same state mounted twice is one input.
#[derive(Default)]
struct Inputs {
    list: Vec<Output>,
}

impl Inputs {
    /// The input index of `state`, or -1 for scratch.
    fn add(&mut self, state: &State) -> i64 {
        let Some(output) = &state.output else {
            return -1;
        };
        let found = self.list.iter().position(|o| {
            std::sync::Arc::ptr_eq(&o.vertex, &output.vertex) && o.index == output.index
        });
        let index = found.unwrap_or_else(|| {
            self.list.push(output.clone());
            self.list.len() - 1
        });
        wire_index(index)
    }
}

/// An index as the wire's `int64`; a graph never has `i64::MAX` of anything.
fn wire_index(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

/// A copy from another state (see [`State::copy`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    /// Absolute path in the source state; may hold wildcards when `allow_wildcard` is set.
    pub src: String,
    /// Absolute path in the destination.
    pub dest: String,
    /// Owner `(uid, gid)` of the copied files; `None` keeps the source's.
    pub owner: Option<(u32, u32)>,
    /// Mode of the copied files; `None` keeps the source's.
    pub mode: Option<i32>,
    /// Copy a directory's contents rather than the directory itself.
    pub contents_only: bool,
    /// Create missing parents of `dest`.
    pub create_dest_path: bool,
    /// Treat `src` as a pattern.
    pub allow_wildcard: bool,
    /// A pattern that matches nothing is not an error.
    pub allow_empty_wildcard: bool,
    /// Modification time to set, in Unix nanoseconds (`SOURCE_DATE_EPOCH`); `None` keeps it.
    pub timestamp: Option<i64>,
}

impl Copy {
    /// Copies `src` to `dest`, creating `dest`'s parents, keeping owner and mode.
    pub fn new(src: &str, dest: &str) -> Copy {
        Copy {
            src: src.to_string(),
            dest: dest.to_string(),
            owner: None,
            mode: None,
            contents_only: false,
            create_dest_path: true,
            allow_wildcard: false,
            allow_empty_wildcard: false,
            timestamp: None,
        }
    }

    /// Copies the contents of directory `src` into `dest`.
    pub fn contents(src: &str, dest: &str) -> Copy {
        Copy {
            contents_only: true,
            allow_wildcard: true,
            ..Copy::new(src, dest)
        }
    }

    /// Sets the owner of what is copied.
    pub fn owner(mut self, uid: u32, gid: u32) -> Copy {
        self.owner = Some((uid, gid));
        self
    }
}

/// One action of a file op.
// A graph has a handful of these; boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum FileAction {
    /// Copy from a state into the op's filesystem.
    Copy(State, Copy),
    /// Make a directory.
    Mkdir {
        /// Absolute path.
        path: String,
        /// Permission bits.
        mode: i32,
        /// Owner `(uid, gid)`.
        owner: Option<(u32, u32)>,
        /// Modification time in Unix nanoseconds (`SOURCE_DATE_EPOCH`); `None` is now.
        timestamp: Option<i64>,
    },
    /// Make a file with these contents (its parent must exist).
    Mkfile {
        /// Absolute path.
        path: String,
        /// Permission bits.
        mode: i32,
        /// The file's contents.
        data: Vec<u8>,
        /// Modification time in Unix nanoseconds (`SOURCE_DATE_EPOCH`); `None` is now.
        timestamp: Option<i64>,
    },
}

fn chown(owner: Option<(u32, u32)>) -> Option<pb::ChownOpt> {
    owner.map(|(uid, gid)| pb::ChownOpt {
        user: Some(pb::UserOpt {
            user: Some(pb::user_opt::User::ById(uid)),
        }),
        group: Some(pb::UserOpt {
            user: Some(pb::user_opt::User::ById(gid)),
        }),
    })
}

pub(super) fn file_op(
    base: &State,
    actions: Vec<FileAction>,
) -> (pb::op::Op, Vec<Output>, BTreeSet<&'static str>) {
    let caps = BTreeSet::from(["file.base"]);
    let mut inputs = Inputs::default();
    let base_input = inputs.add(base);
    // Secondary inputs are op inputs too; resolve them first so that indexes of earlier
    // actions' outputs (which start after the last op input) are known.
    let sources: Vec<i64> = actions
        .iter()
        .map(|action| match action {
            FileAction::Copy(from, _) => inputs.add(from),
            FileAction::Mkdir { .. } | FileAction::Mkfile { .. } => -1,
        })
        .collect();
    let n_inputs = wire_index(inputs.list.len());
    let last = actions.len().saturating_sub(1);
    let mut pb_actions = Vec::with_capacity(actions.len());
    for (i, (action, secondary)) in actions.into_iter().zip(sources).enumerate() {
        let input = if i == 0 {
            base_input
        } else {
            n_inputs + wire_index(i - 1)
        };
        let output = if i == last { 0 } else { -1 };
        let action = action_pb(action);
        pb_actions.push(pb::FileAction {
            input,
            secondary_input: secondary,
            output,
            action: Some(action),
        });
    }
    (
        pb::op::Op::File(pb::FileOp {
            actions: pb_actions,
        }),
        inputs.list,
        caps,
    )
}

/// One file action's body as BuildKit gets it (its inputs are set by [`file_op`]).
fn action_pb(action: FileAction) -> pb::file_action::Action {
    match action {
        FileAction::Copy(_, copy) => pb::file_action::Action::Copy(pb::FileActionCopy {
            src: copy.src,
            dest: copy.dest,
            owner: chown(copy.owner),
            mode: copy.mode.unwrap_or(-1),
            follow_symlink: true,
            dir_copy_contents: copy.contents_only,
            create_dest_path: copy.create_dest_path,
            allow_wildcard: copy.allow_wildcard,
            allow_empty_wildcard: copy.allow_empty_wildcard,
            timestamp: copy.timestamp.unwrap_or(-1),
            ..Default::default()
        }),
        FileAction::Mkdir {
            path,
            mode,
            owner,
            timestamp,
        } => pb::file_action::Action::Mkdir(pb::FileActionMkDir {
            path,
            mode,
            make_parents: true,
            owner: chown(owner),
            timestamp: timestamp.unwrap_or(-1),
        }),
        FileAction::Mkfile {
            path,
            mode,
            data,
            timestamp,
        } => pb::file_action::Action::Mkfile(pb::FileActionMkFile {
            path,
            mode,
            data,
            owner: None,
            timestamp: timestamp.unwrap_or(-1),
        }),
    }
}

/// The network a run gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Network {
    /// Its own network namespace, as BuildKit sets it up (the default).
    #[default]
    Sandbox,
    /// The daemon host's network (`docker build --network host`; needs the daemon's
    /// `network.host` entitlement).
    Host,
    /// No network at all.
    None,
}

impl Network {
    /// Every mode.
    pub const ALL: [Network; 3] = [Network::Sandbox, Network::Host, Network::None];

    /// The mode's name in `force-network-mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Sandbox => "sandbox",
            Network::Host => "host",
            Network::None => "none",
        }
    }

    /// The mode called `name`.
    pub fn parse(name: &str) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.as_str() == name)
    }

    fn to_pb(self) -> pb::NetMode {
        match self {
            Network::Sandbox => pb::NetMode::Unset,
            Network::Host => pb::NetMode::Host,
            Network::None => pb::NetMode::None,
        }
    }
}

/// Options of a local source (see [`State::local`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalOptions {
    /// The client session that holds the directory (`BUILDKIT_SESSION_ID`).
    pub session: Option<String>,
    /// Only these paths are sent (`local.followpaths`).
    pub follow_paths: Vec<String>,
    /// Only paths matching these patterns are sent.
    pub include_patterns: Vec<String>,
    /// Paths matching these `.dockerignore` patterns are not sent.
    pub exclude_patterns: Vec<String>,
    /// Key under which the daemon keeps the previous transfer, to send only changes.
    pub shared_key_hint: Option<String>,
}

impl LocalOptions {
    pub(super) fn attrs(&self) -> (BTreeMap<String, String>, BTreeSet<&'static str>) {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeSet::from(["source.local"]);
        let json = |list: &[String]| serde_json::to_string(list).unwrap_or_default();
        if let Some(session) = &self.session {
            attrs.insert("local.session".to_string(), session.clone());
            caps.insert("source.local.sessionid");
        }
        if !self.follow_paths.is_empty() {
            attrs.insert("local.followpaths".to_string(), json(&self.follow_paths));
            caps.insert("source.local.followpaths");
        }
        if !self.include_patterns.is_empty() {
            attrs.insert(
                "local.includepattern".to_string(),
                json(&self.include_patterns),
            );
            caps.insert("source.local.includepatterns");
        }
        if !self.exclude_patterns.is_empty() {
            attrs.insert(
                "local.excludepatterns".to_string(),
                json(&self.exclude_patterns),
            );
            caps.insert("source.local.excludepatterns");
        }
        if let Some(hint) = &self.shared_key_hint {
            attrs.insert("local.sharedkeyhint".to_string(), hint.clone());
            caps.insert("source.local.sharedkeyhint");
        }
        (attrs, caps)
    }
}
