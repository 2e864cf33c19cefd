//! A marshalled graph decoded into readable JSON: the one rendering shared by
//! `shallot llb --json` and the golden LLB tests.
//!
//! Each op becomes an object with its digest, its kind and decoded body, its inputs, platform,
//! metadata and source-map location. Objects are `serde_json` maps, which sort their keys, so
//! the text depends only on the graph.

use super::{Definition, Digest};
use crate::proto::pb;
use base64::Engine as _;
use prost::Message;
use serde_json::{Map, Value, json};

/// Every op of `def`, in wire order (inputs first, the terminal last), decoded into JSON.
///
/// An op reads `{"digest", "kind", <kind>: {..}, "inputs", "metadata", ...}` where `kind` is
/// `exec`, `source`, `file` or `terminal` (the bodiless last op that points at the result).
/// Bytes that do not decode as a `pb.Op` show as `{"digest", "error"}`.
pub fn ops_json(def: &Definition) -> Value {
    def.pb.def.iter().map(|bytes| op_json(def, bytes)).collect()
}

fn op_json(def: &Definition, bytes: &[u8]) -> Value {
    let digest = Digest::of(bytes);
    let mut out = Map::new();
    out.insert("digest".into(), digest.as_str().into());
    match pb::Op::decode(bytes) {
        Ok(op) => {
            let (kind, body) = match &op.op {
                Some(pb::op::Op::Exec(exec)) => ("exec", Some(exec_json(exec))),
                Some(pb::op::Op::Source(source)) => ("source", Some(source_json(source))),
                Some(pb::op::Op::File(file)) => ("file", Some(file_json(file))),
                None => ("terminal", None),
            };
            out.insert("kind".into(), kind.into());
            if let Some(body) = body {
                out.insert(kind.into(), body);
            }
            let inputs = op
                .inputs
                .iter()
                .map(|input| json!({"digest": input.digest, "index": input.index}));
            out.insert("inputs".into(), inputs.collect());
            if let Some(platform) = &op.platform {
                out.insert("platform".into(), platform_json(platform));
            }
            if let Some(constraints) = &op.constraints {
                out.insert("constraints".into(), json!({"filter": constraints.filter}));
            }
        }
        Err(error) => {
            out.insert("error".into(), format!("not a pb.Op: {error}").into());
        }
    }
    if let Some(meta) = def.pb.metadata.get(digest.as_str()) {
        out.insert("metadata".into(), metadata_json(meta));
    }
    if let Some(location) = location_json(def.pb.source.as_ref(), &digest) {
        out.insert("location".into(), location);
    }
    Value::Object(out)
}

fn exec_json(exec: &pb::ExecOp) -> Value {
    let meta = exec.meta.clone().unwrap_or_default();
    let mut out = Map::new();
    out.insert("args".into(), json!(meta.args));
    out.insert("env".into(), json!(meta.env));
    out.insert("cwd".into(), meta.cwd.into());
    out.insert("user".into(), meta.user.into());
    let mounts = exec.mounts.iter().map(mount_json).collect();
    out.insert("mounts".into(), mounts);
    let network = pb::NetMode::try_from(exec.network).map(|n| n.as_str_name());
    out.insert("network".into(), enum_json(network, exec.network));
    let security = pb::SecurityMode::try_from(exec.security).map(|s| s.as_str_name());
    out.insert("security".into(), enum_json(security, exec.security));
    // The rarely used fields show only when set, so common ops stay short.
    if !exec.secretenv.is_empty() {
        let secrets = exec
            .secretenv
            .iter()
            .map(|s| json!({"id": s.id, "name": s.name, "optional": s.optional}));
        out.insert("secret_env".into(), secrets.collect());
    }
    if !meta.hostname.is_empty() {
        out.insert("hostname".into(), meta.hostname.into());
    }
    if !meta.extra_hosts.is_empty() {
        let hosts = meta
            .extra_hosts
            .iter()
            .map(|h| json!({"host": h.host, "ip": h.ip}));
        out.insert("extra_hosts".into(), hosts.collect());
    }
    if let Some(proxy) = &meta.proxy_env {
        out.insert(
            "proxy_env".into(),
            json!({
                "http_proxy": proxy.http_proxy,
                "https_proxy": proxy.https_proxy,
                "ftp_proxy": proxy.ftp_proxy,
                "no_proxy": proxy.no_proxy,
                "all_proxy": proxy.all_proxy,
            }),
        );
    }
    if meta.remove_mount_stubs_recursive {
        out.insert("remove_mount_stubs_recursive".into(), true.into());
    }
    Value::Object(out)
}

/// `input` indexes the op's inputs and `output` its outputs; -1 is none.
fn mount_json(mount: &pb::Mount) -> Value {
    let kind = pb::MountType::try_from(mount.mount_type).map(|t| t.as_str_name());
    let mut out = Map::new();
    out.insert("target".into(), mount.dest.clone().into());
    out.insert("type".into(), enum_json(kind, mount.mount_type));
    out.insert("input".into(), mount.input.into());
    out.insert("output".into(), mount.output.into());
    out.insert("readonly".into(), mount.readonly.into());
    if !mount.selector.is_empty() {
        out.insert("selector".into(), mount.selector.clone().into());
    }
    if let Some(cache) = &mount.cache_opt {
        let sharing = pb::CacheSharingOpt::try_from(cache.sharing).map(|s| s.as_str_name());
        out.insert(
            "cache".into(),
            json!({"id": cache.id, "sharing": enum_json(sharing, cache.sharing)}),
        );
    }
    if let Some(secret) = &mount.secret_opt {
        out.insert(
            "secret".into(),
            json!({
                "id": secret.id,
                "uid": secret.uid,
                "gid": secret.gid,
                "mode": mode_json(secret.mode),
                "optional": secret.optional,
            }),
        );
    }
    if let Some(ssh) = &mount.ssh_opt {
        out.insert(
            "ssh".into(),
            json!({
                "id": ssh.id,
                "uid": ssh.uid,
                "gid": ssh.gid,
                "mode": mode_json(ssh.mode),
                "optional": ssh.optional,
            }),
        );
    }
    Value::Object(out)
}

fn source_json(source: &pb::SourceOp) -> Value {
    json!({"identifier": source.identifier, "attrs": source.attrs})
}

/// `input`, `secondary_input` and `output` of an action index the op's inputs and earlier
/// actions' results, as in BuildKit's FileOp; -1 is none.
fn file_json(file: &pb::FileOp) -> Value {
    let actions = file.actions.iter().map(|action| {
        let mut out = match &action.action {
            Some(pb::file_action::Action::Copy(copy)) => copy_json(copy),
            Some(pb::file_action::Action::Mkfile(mkfile)) => mkfile_json(mkfile),
            Some(pb::file_action::Action::Mkdir(mkdir)) => json!({
                "action": "mkdir",
                "path": mkdir.path,
                "mode": mode_json(mkdir.mode),
                "make_parents": mkdir.make_parents,
                "owner": owner_json(mkdir.owner.as_ref()),
                "timestamp": mkdir.timestamp,
            }),
            Some(pb::file_action::Action::Rm(rm)) => json!({
                "action": "rm",
                "path": rm.path,
                "allow_not_found": rm.allow_not_found,
                "allow_wildcard": rm.allow_wildcard,
            }),
            None => json!({"action": null}),
        };
        if let Value::Object(fields) = &mut out {
            fields.insert("input".into(), action.input.into());
            fields.insert("secondary_input".into(), action.secondary_input.into());
            fields.insert("output".into(), action.output.into());
        }
        out
    });
    json!({"actions": actions.collect::<Vec<_>>()})
}

fn copy_json(copy: &pb::FileActionCopy) -> Value {
    json!({
        "action": "copy",
        "src": copy.src,
        "dest": copy.dest,
        "owner": owner_json(copy.owner.as_ref()),
        "mode": mode_json(copy.mode),
        "timestamp": copy.timestamp,
        "follow_symlink": copy.follow_symlink,
        "dir_copy_contents": copy.dir_copy_contents,
        "attempt_unpack_docker_compatibility": copy.attempt_unpack_docker_compatibility,
        "create_dest_path": copy.create_dest_path,
        "allow_wildcard": copy.allow_wildcard,
        "allow_empty_wildcard": copy.allow_empty_wildcard,
        "include_patterns": copy.include_patterns,
        "exclude_patterns": copy.exclude_patterns,
    })
}

fn mkfile_json(mkfile: &pb::FileActionMkFile) -> Value {
    // Text stays readable; anything else is base64 so the dump is still exact.
    let (key, data) = match std::str::from_utf8(&mkfile.data) {
        Ok(text) => ("data", text.to_string()),
        Err(_) => (
            "data_base64",
            base64::engine::general_purpose::STANDARD.encode(&mkfile.data),
        ),
    };
    json!({
        "action": "mkfile",
        "path": mkfile.path,
        "mode": mode_json(mkfile.mode),
        key: data,
        "owner": owner_json(mkfile.owner.as_ref()),
        "timestamp": mkfile.timestamp,
    })
}

/// A file mode in octal (`"0755"`); a negative one (-1: keep the source's) as it is.
fn mode_json(mode: impl Into<i64>) -> Value {
    let mode: i64 = mode.into();
    if mode < 0 {
        mode.into()
    } else {
        format!("{mode:04o}").into()
    }
}

/// `{"user": .., "group": ..}`, each a numeric id, `{"name", "input"}` or null.
fn owner_json(owner: Option<&pb::ChownOpt>) -> Value {
    let user = |u: Option<&pb::UserOpt>| match u.and_then(|u| u.user.as_ref()) {
        Some(pb::user_opt::User::ById(id)) => json!(id),
        Some(pb::user_opt::User::ByName(named)) => {
            json!({"name": named.name, "input": named.input})
        }
        None => Value::Null,
    };
    match owner {
        Some(owner) => {
            json!({"user": user(owner.user.as_ref()), "group": user(owner.group.as_ref())})
        }
        None => Value::Null,
    }
}

fn platform_json(platform: &pb::Platform) -> Value {
    let mut out = Map::new();
    out.insert("os".into(), platform.os.clone().into());
    out.insert("architecture".into(), platform.architecture.clone().into());
    if !platform.variant.is_empty() {
        out.insert("variant".into(), platform.variant.clone().into());
    }
    if !platform.os_version.is_empty() {
        out.insert("os_version".into(), platform.os_version.clone().into());
    }
    if !platform.os_features.is_empty() {
        out.insert("os_features".into(), json!(platform.os_features));
    }
    Value::Object(out)
}

/// Caps are listed by name (only those set to true: the ones the op needs).
fn metadata_json(meta: &pb::OpMetadata) -> Value {
    let caps: Vec<&String> = meta
        .caps
        .iter()
        .filter(|(_, on)| **on)
        .map(|(cap, _)| cap)
        .collect();
    let mut out = Map::new();
    out.insert("caps".into(), json!(caps));
    out.insert("description".into(), json!(meta.description));
    out.insert("ignore_cache".into(), meta.ignore_cache.into());
    if let Some(export) = &meta.export_cache {
        out.insert("export_cache".into(), export.value.into());
    }
    if let Some(group) = &meta.progress_group {
        out.insert(
            "progress_group".into(),
            json!({"id": group.id, "name": group.name, "weak": group.weak}),
        );
    }
    Value::Object(out)
}

/// Where in the user's files the op comes from: `[{"file", "ranges": ["line:char-line:char"]}]`,
/// with BuildKit's positions (1-based lines, 0-based characters).
fn location_json(source: Option<&pb::Source>, digest: &Digest) -> Option<Value> {
    let source = source?;
    let locations = source.locations.get(digest.as_str())?;
    let position = |p: Option<&pb::Position>| p.map_or((0, 0), |p| (p.line, p.character));
    let entries = locations.locations.iter().map(|location| {
        let file = usize::try_from(location.source_index)
            .ok()
            .and_then(|i| source.infos.get(i))
            .map_or(Value::from(location.source_index), |info| {
                info.filename.clone().into()
            });
        let ranges: Vec<String> = location
            .ranges
            .iter()
            .map(|range| {
                let (start_line, start_char) = position(range.start.as_ref());
                let (end_line, end_char) = position(range.end.as_ref());
                format!("{start_line}:{start_char}-{end_line}:{end_char}")
            })
            .collect();
        json!({"file": file, "ranges": ranges})
    });
    Some(entries.collect())
}

/// A protobuf enum by its lowercased name; an unknown value as its number.
fn enum_json<E>(name: Result<&'static str, E>, raw: i32) -> Value {
    match name {
        Ok(name) => name.to_ascii_lowercase().into(),
        Err(_) => raw.into(),
    }
}
