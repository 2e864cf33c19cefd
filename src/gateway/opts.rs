//! What BuildKit tells the frontend through its environment: options, session and workers.

use crate::proto::pb;
use std::collections::BTreeMap;

/// The frontend's invocation, read from `BUILDKIT_*` variables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Invocation {
    /// Frontend options (`filename`, `build-arg:X`, `platform`, …).
    pub opts: BTreeMap<String, String>,
    /// The client session holding the local sources.
    pub session_id: Option<String>,
    /// The first platform of the first worker: the build platform.
    pub worker_platform: Option<pb::Platform>,
}

impl Invocation {
    /// Reads the invocation from environment variables.
    pub fn from_env<I>(vars: I) -> Invocation
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut inv = Invocation::default();
        for (key, value) in vars {
            if key.starts_with("BUILDKIT_FRONTEND_OPT_") {
                // The option's key may hold `:`, its value `=`; the first `=` separates them.
                if let Some((k, v)) = value.split_once('=') {
                    inv.opts.insert(k.to_string(), v.to_string());
                }
            } else if key == "BUILDKIT_SESSION_ID" && !value.is_empty() {
                inv.session_id = Some(value);
            } else if key == "BUILDKIT_WORKERS" {
                inv.worker_platform = first_worker_platform(&value);
            }
        }
        inv
    }

    /// An option's value.
    pub fn opt(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }

    /// A build argument (`--build-arg NAME=value`).
    pub fn build_arg(&self, name: &str) -> Option<&str> {
        self.opt(&format!("build-arg:{name}"))
            .filter(|v| !v.is_empty())
    }
}

/// The first platform of the first worker in `BUILDKIT_WORKERS`. BuildKit v0.8 (Docker 20.10)
/// writes the worker's fields as `Platforms`, current BuildKit as `platforms`; without it the
/// frontend would fall back to its own architecture, which under emulation (an arm64 frontend
/// image on an amd64 daemon) is not the daemon's.
fn first_worker_platform(json: &str) -> Option<pb::Platform> {
    let workers: serde_json::Value = serde_json::from_str(json).ok()?;
    let worker = workers.get(0)?;
    let p = worker
        .get("platforms")
        .or_else(|| worker.get("Platforms"))?
        .get(0)?;
    let field = |name: &str| {
        p.get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Some(pb::Platform {
        architecture: field("architecture"),
        os: field("os"),
        variant: field("variant"),
        ..Default::default()
    })
}

/// Parses `os/arch[/variant]` (e.g. `linux/arm64/v8`).
pub fn parse_platform(text: &str) -> Option<pb::Platform> {
    let mut parts = text.trim().split('/');
    let os = parts.next().filter(|s| !s.is_empty())?;
    let arch = parts.next().filter(|s| !s.is_empty())?;
    let variant = parts.next().unwrap_or_default();
    if parts.next().is_some() {
        return None;
    }
    Some(pb::Platform {
        os: os.to_string(),
        architecture: arch.to_string(),
        variant: variant.to_string(),
        ..Default::default()
    })
}

/// The platform's ID as BuildKit writes it: `os/arch[/variant]`.
pub fn platform_id(p: &pb::Platform) -> String {
    if p.variant.is_empty() {
        format!("{}/{}", p.os, p.architecture)
    } else {
        format!("{}/{}/{}", p.os, p.architecture, p.variant)
    }
}

/// The platform this binary was built for, when BuildKit names none.
pub fn host_platform() -> pb::Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    };
    pb::Platform {
        os: "linux".to_string(),
        architecture: arch.to_string(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_options_session_and_workers() {
        let inv = Invocation::from_env([
            ("PATH".to_string(), "/bin".to_string()),
            ("BUILDKIT_FRONTEND_OPT_0".to_string(), "build-arg:A=x=y".to_string()),
            ("BUILDKIT_FRONTEND_OPT_1".to_string(), "no-cache=".to_string()),
            ("BUILDKIT_SESSION_ID".to_string(), "s1".to_string()),
            (
                "BUILDKIT_WORKERS".to_string(),
                r#"[{"ID":"w","Platforms":[{"architecture":"arm64","os":"linux","variant":"v8"}]}]"#
                    .to_string(),
            ),
        ]);
        assert_eq!(inv.build_arg("A"), Some("x=y"));
        assert_eq!(inv.opt("no-cache"), Some(""));
        assert_eq!(inv.session_id.as_deref(), Some("s1"));
        let p = inv.worker_platform.unwrap_or_default();
        assert_eq!(platform_id(&p), "linux/arm64/v8");
    }

    #[test]
    fn reads_current_buildkits_workers() {
        // As BuildKit v0.32 writes them: lowercase fields, the native platform first.
        let workers = r#"[{"id":"q","labels":{},"platforms":[{"architecture":"amd64","os":"linux"},{"architecture":"arm64","os":"linux"}]}]"#;
        let inv = Invocation::from_env([("BUILDKIT_WORKERS".to_string(), workers.to_string())]);
        let p = inv.worker_platform.unwrap_or_default();
        assert_eq!(platform_id(&p), "linux/amd64");
    }

    #[test]
    fn parses_platforms() {
        assert_eq!(
            parse_platform("linux/amd64").map(|p| platform_id(&p)),
            Some("linux/amd64".to_string())
        );
        assert_eq!(parse_platform("linux"), None);
        assert_eq!(parse_platform("a/b/c/d"), None);
    }
}
