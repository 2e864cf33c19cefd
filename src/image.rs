//! The runtime image's OCI config: the base image's config with the plan's settings on top.
//!
//! Pure: the base config arrives as the JSON that `ResolveImageConfig` returned (or nothing, in
//! the CLI), the result is the JSON that goes into `containerimage.config`.

use crate::plan::{Entrypoint, ImageConfig};
use crate::proto::pb;
use serde_json::{Map, Value, json};

/// The PATH of a Linux image or run that does not set one, as Docker and BuildKit default it.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The image config for `config` on top of `base` (the runtime base image's config JSON).
///
/// Inherited from the base: its environment (PATH, SSL_CERT_FILE, …), its entrypoint unless the
/// plan sets one, its labels, its layer history. Set here: Cmd, Env additions, ExposedPorts,
/// User, WorkingDir, Labels, and `created` from `SOURCE_DATE_EPOCH` when given.
pub fn config(
    config: &ImageConfig,
    base: Option<&Value>,
    platform: &pb::Platform,
    created: Option<&str>,
) -> Value {
    let mut image = base.and_then(Value::as_object).cloned().unwrap_or_default();
    let run_config = run_config(config, &object(&image, "config"));
    image.insert("config".into(), Value::Object(run_config));
    image.insert("architecture".into(), json!(platform.architecture));
    image.insert("os".into(), json!(platform.os));
    let variant = (!platform.variant.is_empty()).then(|| json!(platform.variant));
    set_or_remove(&mut image, "variant", variant);
    if !image.contains_key("rootfs") {
        image.insert("rootfs".into(), json!({"type": "layers", "diff_ids": []}));
    }
    let history = history(&image, created);
    image.insert("history".into(), history);
    set_or_remove(&mut image, "created", created.map(|c| json!(c)));
    Value::Object(image)
}

/// The `config` section: how a container of the image runs, the base's with the plan's on top.
fn run_config(config: &ImageConfig, base: &Map<String, Value>) -> Map<String, Value> {
    let mut c = base.clone();
    c.insert("Entrypoint".into(), json!(entrypoint(config, base)));
    c.insert("Cmd".into(), json!(config.cmd));
    c.insert("Env".into(), json!(env(config, base)));
    let ports = config
        .exposed_ports
        .iter()
        .map(|port| (port.to_string(), json!({})));
    set_or_remove(
        &mut c,
        "ExposedPorts",
        extended(base, "ExposedPorts", ports),
    );
    c.insert("User".into(), json!(config.user));
    c.insert("WorkingDir".into(), json!(config.workdir));
    let labels = config.labels.iter().map(|(k, v)| (k.clone(), json!(v)));
    set_or_remove(&mut c, "Labels", extended(base, "Labels", labels));
    c
}

/// The plan's entrypoint, or the base's when the plan inherits it and the base has one.
fn entrypoint(config: &ImageConfig, base: &Map<String, Value>) -> Vec<String> {
    match &config.entrypoint {
        Entrypoint::Set(e) => e.clone(),
        Entrypoint::Inherit { fallback } => base
            .get("Entrypoint")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .map(|a| strings(a))
            .unwrap_or_else(|| fallback.clone()),
    }
}

/// The base's environment with a default PATH, then the plan's variables, each replacing a
/// variable of the same name.
fn env(config: &ImageConfig, base: &Map<String, Value>) -> Vec<String> {
    let mut env = base
        .get("Env")
        .and_then(Value::as_array)
        .map(|a| strings(a))
        .unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, format!("PATH={DEFAULT_PATH}"));
    }
    for (key, value) in &config.env {
        let prefix = format!("{key}=");
        env.retain(|e| !e.starts_with(&prefix));
        env.push(format!("{key}={value}"));
    }
    env
}

/// The base's layer history with one entry for shallot's layers.
fn history(image: &Map<String, Value>, created: Option<&str>) -> Value {
    let mut history = image
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut entry = Map::new();
    entry.insert(
        "created_by".into(),
        json!("COPY --from=builder /app (shallot)"),
    );
    entry.insert("comment".into(), json!("shallot"));
    if let Some(created) = created {
        entry.insert("created".into(), json!(created));
    }
    history.push(Value::Object(entry));
    Value::Array(history)
}

/// The object under `key`; empty when it is missing or not an object.
fn object(map: &Map<String, Value>, key: &str) -> Map<String, Value> {
    map.get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The strings of a JSON array; anything else in it is skipped.
fn strings(array: &[Value]) -> Vec<String> {
    array
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The object under `key` in `base` with `entries` added; `None` when that leaves it empty.
fn extended(
    base: &Map<String, Value>,
    key: &str,
    entries: impl IntoIterator<Item = (String, Value)>,
) -> Option<Value> {
    let mut object = object(base, key);
    object.extend(entries);
    (!object.is_empty()).then_some(Value::Object(object))
}

/// Sets `key` to `value`, or removes it for `None`: an empty field is left out, not inherited.
fn set_or_remove(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(value) => map.insert(key.into(), value),
        None => map.remove(key),
    };
}

/// Unix seconds as RFC 3339 UTC (`2023-11-14T22:13:20Z`), for `SOURCE_DATE_EPOCH`.
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Ids, Port};
    use std::collections::BTreeMap;

    fn plan_config() -> ImageConfig {
        ImageConfig {
            entrypoint: Entrypoint::Inherit {
                fallback: vec!["/nodejs/bin/node".into()],
            },
            cmd: vec!["server.js".into(), "--verbose".into()],
            env: vec![("PORT".into(), "8080".into()), ("PATH".into(), "/x".into())],
            exposed_ports: vec![Port(8080)],
            user: Ids::NONROOT,
            workdir: "/app".into(),
            labels: BTreeMap::from([("team".into(), "web".into())]),
        }
    }

    fn amd64() -> pb::Platform {
        pb::Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        }
    }

    #[test]
    fn inherits_entrypoint_and_env_from_the_base() {
        let base = json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Entrypoint": ["/nodejs/bin/node"], "Env": ["PATH=/usr/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"], "User": "65532", "WorkingDir": "/home/nonroot"},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:aa"]},
            "history": [{"created_by": "base"}]
        });
        let out = config(&plan_config(), Some(&base), &amd64(), None);
        let c = &out["config"];
        assert_eq!(c["Entrypoint"], json!(["/nodejs/bin/node"]));
        assert_eq!(c["Cmd"], json!(["server.js", "--verbose"]));
        assert_eq!(
            c["Env"],
            json!([
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                "PORT=8080",
                "PATH=/x"
            ])
        );
        assert_eq!(c["ExposedPorts"], json!({"8080/tcp": {}}));
        assert_eq!(c["User"], json!("65532:65532"));
        assert_eq!(c["WorkingDir"], json!("/app"));
        assert_eq!(c["Labels"], json!({"team": "web"}));
        assert_eq!(out["rootfs"]["diff_ids"], json!(["sha256:aa"]));
        assert_eq!(out["history"].as_array().map(Vec::len), Some(2));
        assert!(out.get("created").is_none());
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn falls_back_when_the_base_has_no_entrypoint() {
        let out = config(&plan_config(), None, &amd64(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(out["config"]["Entrypoint"], json!(["/nodejs/bin/node"]));
        assert_eq!(out["created"], json!("2024-01-01T00:00:00Z"));
        // No base: a default PATH, then the plan's own PATH replaces it.
        assert_eq!(out["config"]["Env"], json!(["PORT=8080", "PATH=/x"]));
        assert_eq!(out["os"], json!("linux"));
    }
}
