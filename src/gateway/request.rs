//! What the caller asked for: the frontend options, named as the Dockerfile frontend names
//! them, checked and typed. A value shallot cannot use is an error, never silently ignored.

use super::errors::Failure;
use super::opts::{Invocation, host_platform, parse_platform, plan_platform};
use crate::llb::{Network, ResolveMode};
use crate::plan::{BUILDER_IMAGE_ARG, Options, RUNTIME_IMAGE_ARG, Target};
use crate::proto::{gateway as gw, pb};
use std::collections::BTreeMap;

/// The build args shallot reads itself (besides `${NAME}` references in the spec).
pub const BUILD_ARGS: [(&str, &str); 3] = [
    (
        BUILDER_IMAGE_ARG,
        "replaces the builder image (mirrors, air gaps, pinning)",
    ),
    (RUNTIME_IMAGE_ARG, "replaces the runtime image"),
    (
        "SOURCE_DATE_EPOCH",
        "Unix seconds: the image's created time and the time of the files shallot writes",
    ),
];

/// The typed frontend options.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The spec's path in the `dockerfile` source (`filename`, default `shallot.yaml`).
    pub filename: String,
    /// The local source that holds the spec (`dockerfilekey`, default `dockerfile`).
    pub dockerfile_key: String,
    /// The local source that holds the context (`contextkey`, default `context`).
    pub context_key: String,
    /// Target platforms (`platform`, comma-separated); one image per platform.
    pub platforms: Vec<pb::Platform>,
    /// `image-resolve-mode`: `default`, `pull` or `local`.
    pub resolve_mode: ResolveMode,
    /// `force-network-mode` (`docker build --network`): the network of the builder's runs.
    pub network: Network,
    /// `no-cache`: run every op again.
    pub no_cache: bool,
    /// `build-arg:SOURCE_DATE_EPOCH`, in seconds.
    pub epoch: Option<i64>,
    /// `cache-imports` (JSON) and the legacy `cache-from` (registry refs).
    pub cache_imports: Vec<gw::CacheOptionsEntry>,
    /// `requestid`: a subrequest (outline, targets, lint, describe) instead of a build.
    pub request_id: Option<String>,
    /// `attest:sbom` (`docker buildx build --sbom=true`) or the build arg
    /// `BUILDKIT_ATTEST_SBOM`: whether and how an SBOM attestation is asked for.
    pub sbom: SbomAsked,
    /// What the plan takes from the options: build args, labels, the target and named
    /// contexts.
    pub options: Options,
}

/// What a build asks of its SBOM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SbomAsked {
    /// No SBOM (no `attest:sbom`, or `disabled=true`).
    #[default]
    No,
    /// An SBOM, which shallot writes from the lockfiles the build installs from.
    Lockfiles,
    /// An SBOM by this scanner image (`generator=REF`): left to BuildKit, which runs the
    /// scanner on the image when the result carries no SBOM.
    Scanner(String),
}

/// `attest:sbom`, else `build-arg:BUILDKIT_ATTEST_SBOM`, as BuildKit reads them: a CSV list of
/// `key=value` fields (an empty value asks with the defaults).
fn sbom_asked(inv: &Invocation) -> SbomAsked {
    let Some(value) = inv
        .opt("attest:sbom")
        .or_else(|| inv.opt("build-arg:BUILDKIT_ATTEST_SBOM"))
    else {
        return SbomAsked::No;
    };
    let fields: BTreeMap<&str, &str> = value
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| f.split_once('=').unwrap_or((f, "")))
        .collect();
    if fields
        .get("disabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return SbomAsked::No;
    }
    match fields.get("generator").filter(|g| !g.is_empty()) {
        Some(generator) => SbomAsked::Scanner(generator.to_string()),
        None => SbomAsked::Lockfiles,
    }
}

fn bad(key: &str, value: &str, why: &str) -> Failure {
    Failure::BadOption {
        key: key.to_string(),
        value: value.to_string(),
        why: why.to_string(),
    }
}

impl Request {
    /// Reads and checks the options.
    pub fn from(inv: &Invocation) -> Result<Request, Failure> {
        // Checked in this order, so that the first bad option is the one reported.
        let target = target(inv)?;
        let platforms = platforms(inv)?;
        let resolve_mode = resolve_mode(inv)?;
        let network = network(inv)?;
        let epoch = epoch(inv)?;
        let cache_imports = cache_imports(inv)?;
        let filename = nonempty(inv, "filename", "shallot.yaml");
        // What a plan is for; the loader plans each platform in turn.
        let platform = platforms.first().map(plan_platform).unwrap_or_default();
        Ok(Request {
            filename: filename.clone(),
            dockerfile_key: nonempty(inv, "dockerfilekey", "dockerfile"),
            context_key: nonempty(inv, "contextkey", "context"),
            platforms,
            resolve_mode,
            network,
            // Empty means every stage; a list names stages, and shallot's are all one build.
            no_cache: inv.opt("no-cache").is_some(),
            epoch,
            cache_imports,
            request_id: inv
                .opt("requestid")
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            sbom: sbom_asked(inv),
            options: Options {
                build_args: prefixed(inv, "build-arg:"),
                labels: prefixed(inv, "label:"),
                target,
                contexts: prefixed(inv, "context:"),
                // Docker's clients send the spec's name within its own directory, which is
                // the context's root when the spec is in it; the loader keeps it only when
                // the context holds that file with the spec's contents.
                spec_file: Some(filename.clone()),
                spec_name: Some(filename),
                platform,
            },
        })
    }
}

/// The option `key`, or `default` when it is missing or empty.
fn nonempty(inv: &Invocation, key: &str, default: &str) -> String {
    inv.opt(key)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
        .to_string()
}

/// Every option whose key starts with `prefix`, keyed by the rest of the key.
fn prefixed(inv: &Invocation, prefix: &str) -> BTreeMap<String, String> {
    inv.opts
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())))
        .collect()
}

/// `target`; empty is the default target.
fn target(inv: &Invocation) -> Result<Target, Failure> {
    let target = inv.opt("target").unwrap_or_default();
    Target::parse(target).ok_or_else(|| {
        bad(
            "target",
            target,
            "shallot's targets are `runtime` (default), `debug` and `builder`",
        )
    })
}

/// `platform`: a comma-separated list, in order and without repeats; by default the worker's
/// platform (or the host's).
fn platforms(inv: &Invocation) -> Result<Vec<pb::Platform>, Failure> {
    let Some(list) = inv.opt("platform").filter(|p| !p.trim().is_empty()) else {
        return Ok(vec![
            inv.worker_platform.clone().unwrap_or_else(host_platform),
        ]);
    };
    let mut platforms: Vec<pb::Platform> = Vec::new();
    for one in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let platform = parse_platform(one).ok_or_else(|| {
            bad(
                "platform",
                one,
                "expected os/arch[/variant], e.g. linux/amd64",
            )
        })?;
        if !platforms.contains(&platform) {
            platforms.push(platform);
        }
    }
    Ok(platforms)
}

/// `image-resolve-mode`; empty is the default mode.
fn resolve_mode(inv: &Invocation) -> Result<ResolveMode, Failure> {
    match inv.opt("image-resolve-mode").unwrap_or_default() {
        "" => Ok(ResolveMode::Default),
        mode => ResolveMode::parse(mode).ok_or_else(|| {
            bad(
                "image-resolve-mode",
                mode,
                "expected default, pull or local",
            )
        }),
    }
}

/// `force-network-mode`; empty (and `default`, as Docker passes it) is the sandbox.
fn network(inv: &Invocation) -> Result<Network, Failure> {
    match inv.opt("force-network-mode").unwrap_or_default() {
        "" | "default" => Ok(Network::Sandbox),
        mode => Network::parse(mode)
            .ok_or_else(|| bad("force-network-mode", mode, "expected sandbox, host or none")),
    }
}

/// `build-arg:SOURCE_DATE_EPOCH`: whole, non-negative Unix seconds.
fn epoch(inv: &Invocation) -> Result<Option<i64>, Failure> {
    let Some(text) = inv.build_arg("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let seconds = text.trim().parse::<i64>().ok().filter(|s| *s >= 0);
    seconds.map(Some).ok_or_else(|| {
        bad(
            "build-arg:SOURCE_DATE_EPOCH",
            text,
            "expected Unix seconds, e.g. 1700000000",
        )
    })
}

/// `cache-imports` entries first, then one registry import per `cache-from` reference.
fn cache_imports(inv: &Invocation) -> Result<Vec<gw::CacheOptionsEntry>, Failure> {
    let mut imports = match inv.opt("cache-imports").filter(|v| !v.is_empty()) {
        Some(json) => cache_imports_json(json)?,
        None => Vec::new(),
    };
    if let Some(list) = inv.opt("cache-from").filter(|v| !v.is_empty()) {
        imports.extend(cache_from(list));
    }
    Ok(imports)
}

/// `cache-imports`: a JSON list of `{"Type", "Attrs"}`; a missing or non-string field reads
/// as empty.
fn cache_imports_json(json: &str) -> Result<Vec<gw::CacheOptionsEntry>, Failure> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        bad(
            "cache-imports",
            json,
            &format!("expected a JSON list of {{\"Type\", \"Attrs\"}}: {e}"),
        )
    })?;
    Ok(entries.iter().map(cache_import).collect())
}

/// One `{"Type", "Attrs"}` entry of `cache-imports`.
fn cache_import(entry: &serde_json::Value) -> gw::CacheOptionsEntry {
    let kind = entry
        .get("Type")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    let attrs = entry
        .get("Attrs")
        .and_then(|a| a.as_object())
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    gw::CacheOptionsEntry {
        r#type: kind.to_string(),
        attrs,
    }
}

/// The legacy `cache-from`: comma-separated registry references.
fn cache_from(list: &str) -> impl Iterator<Item = gw::CacheOptionsEntry> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|reference| gw::CacheOptionsEntry {
            r#type: "registry".to_string(),
            attrs: BTreeMap::from([("ref".to_string(), reference.to_string())]),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Stage;

    fn request(opts: &[(&str, &str)]) -> Result<Request, Failure> {
        Request::from(&Invocation {
            opts: opts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn sbom_is_asked_by_the_attest_option_or_the_build_arg() {
        let asked = |opts: &[(&str, &str)]| request(opts).map(|r| r.sbom).ok();
        assert_eq!(asked(&[]), Some(SbomAsked::No));
        assert_eq!(asked(&[("attest:sbom", "")]), Some(SbomAsked::Lockfiles));
        assert_eq!(
            asked(&[("build-arg:BUILDKIT_ATTEST_SBOM", "true")]),
            Some(SbomAsked::Lockfiles)
        );
        assert_eq!(
            asked(&[("attest:sbom", "disabled=true")]),
            Some(SbomAsked::No)
        );
        assert_eq!(
            asked(&[("attest:sbom", "generator=reg/scanner:1,scan-stage=true")]),
            Some(SbomAsked::Scanner("reg/scanner:1".to_string()))
        );
    }

    #[test]
    fn defaults() {
        let r = request(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.filename, "shallot.yaml");
        // The plan leaves the spec out of the image when the context holds it.
        assert_eq!(r.options.spec_file.as_deref(), Some("shallot.yaml"));
        assert_eq!(r.options.target, Target::Runtime);
        assert_eq!(r.platforms.len(), 1);
        assert!(!r.no_cache && r.epoch.is_none() && r.request_id.is_none());
    }

    #[test]
    fn options_are_typed() {
        let r = request(&[
            ("platform", "linux/amd64, linux/arm64/v8,linux/amd64"),
            ("no-cache", ""),
            ("force-network-mode", "host"),
            ("build-arg:SOURCE_DATE_EPOCH", "1700000000"),
            ("build-arg:VERSION", "1.2"),
            ("label:team", "web"),
            (
                "cache-imports",
                r#"[{"Type":"local","Attrs":{"src":"/cache"}}]"#,
            ),
            ("cache-from", "reg/app:cache"),
            ("context:builder", "docker-image://mirror/node:24"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.platforms.len(), 2, "duplicates collapse");
        assert!(r.no_cache);
        assert_eq!(r.network, Network::Host);
        assert_eq!(r.epoch, Some(1_700_000_000));
        assert_eq!(
            r.options.build_args.get("VERSION").map(String::as_str),
            Some("1.2")
        );
        assert_eq!(
            r.options.labels.get("team").map(String::as_str),
            Some("web")
        );
        assert_eq!(r.cache_imports.len(), 2);
        assert_eq!(r.cache_imports[0].r#type, "local");
        assert_eq!(
            r.cache_imports[1].attrs.get("ref").map(String::as_str),
            Some("reg/app:cache")
        );
        assert_eq!(
            r.options
                .named_image(Stage::Builder, "node:24-trixie-slim")
                .unwrap_or_default(),
            Some("mirror/node:24".to_string())
        );
        assert_eq!(
            r.options
                .named_image(Stage::Runtime, "x")
                .unwrap_or_default(),
            None
        );
    }

    #[test]
    fn named_contexts_by_reference_and_bad_forms() {
        let r = request(&[
            (
                "context:node:24-trixie-slim",
                "docker-image://local/node:24",
            ),
            ("context:runtime", "local:somewhere"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.options
                .named_image(Stage::Builder, "node:24-trixie-slim")
                .unwrap_or_default(),
            Some("local/node:24".to_string())
        );
        let err = r
            .options
            .named_image(Stage::Runtime, "gcr.io/x")
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "option context:runtime=local:somewhere: a base image's named context must be `docker-image://<ref>`"
        );
    }

    #[test]
    fn bad_values_are_errors() {
        for (key, value) in [
            ("build-arg:SOURCE_DATE_EPOCH", "yesterday"),
            ("cache-imports", "not json"),
            ("platform", "linux/amd64,arm"),
            ("force-network-mode", "bridge"),
        ] {
            assert!(request(&[(key, value)]).is_err(), "{key}={value}");
        }
    }
}
