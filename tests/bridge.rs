//! The frontend against an in-process BuildKit stand-in (`gateway::testbridge`): the calls it
//! makes, what it returns, and the error paths a real daemon rarely shows.
//!
//! Needs `--features testbridge` (Cargo.toml's `required-features`; `scripts/test` passes it).

use prost::Message;
use serde_json::json;
use shallot::gateway::Invocation;
use shallot::gateway::testbridge::{Recorded, Setup, TestBridge};
use shallot::proto::pb;
use std::collections::BTreeMap;

const SPEC: &str = "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 8080\n";
const PACKAGE: &str = r#"{"name":"app","version":"1.0.0","dependencies":{}}"#;

fn node_images(setup: Setup) -> Setup {
    setup
        .image(
            "node:24-trixie-slim",
            json!({"config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_VERSION=24.1.0"]}}),
        )
        .image(
            "gcr.io/distroless/nodejs24-debian13:nonroot",
            json!({"architecture": "amd64", "os": "linux", "config": {
                "Entrypoint": ["/nodejs/bin/node"], "User": "65532", "WorkingDir": "/home/nonroot",
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]}}),
        )
}

fn app(setup: Setup, spec: &str) -> Setup {
    node_images(setup)
        .file("dockerfile", "shallot.yaml", spec)
        .file("context", "package.json", PACKAGE)
        .file("context", "package-lock.json", "{}")
        .file("context", "server.js", "require('http')")
}

fn invocation(opts: &[(&str, &str)]) -> Invocation {
    Invocation {
        opts: opts
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        session_id: Some("session-1".to_string()),
        worker_platform: None,
    }
}

fn run(setup: Setup, opts: &[(&str, &str)]) -> Recorded {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(TestBridge::new(setup).run(invocation(opts)))
}

fn ops(definition: &pb::Definition) -> Vec<pb::Op> {
    definition
        .def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).expect("op"))
        .collect()
}

fn error_message(recorded: &Recorded) -> String {
    recorded
        .error()
        .map(|e| e.message.clone())
        .unwrap_or_else(|| panic!("no error returned: {:?}", recorded.returned))
}

#[test]
fn builds_on_buildkit_v0_8_and_returns_the_image_config() {
    let recorded = run(app(Setup::v0_8(), SPEC), &[("filename", "shallot.yaml")]);
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("no result: {:?}", recorded.error()));
    assert!(matches!(
        result.result,
        Some(shallot::proto::gateway::result::Result::Ref(_))
    ));
    let config = recorded.image_config().expect("containerimage.config");
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Cmd"], json!(["server.js"]));
    assert_eq!(config["config"]["Entrypoint"], json!(["/nodejs/bin/node"]));
    assert_eq!(config["config"]["ExposedPorts"], json!({"8080/tcp": {}}));
    let platforms: serde_json::Value =
        serde_json::from_slice(&result.metadata["refs.platforms"]).expect("refs.platforms");
    assert_eq!(platforms["Platforms"][0]["ID"], platform_id());
    // Both base images were resolved; the builder's env reaches its runs.
    assert_eq!(
        recorded.resolved,
        vec![
            "node:24-trixie-slim",
            "gcr.io/distroless/nodejs24-debian13:nonroot"
        ]
    );
    let build = recorded.solves.last().expect("a build solve");
    let install = ops(build)
        .into_iter()
        .find_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => e
                .meta
                .filter(|m| m.args.iter().any(|a| a.contains("npm ci"))),
            _ => None,
        })
        .expect("an npm ci exec");
    assert!(
        install.env.contains(&"NODE_VERSION=24.1.0".to_string()),
        "{:?}",
        install.env
    );
    assert!(
        install
            .env
            .contains(&"PATH=/usr/local/bin:/usr/bin:/bin".to_string())
    );
}

fn platform_id() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "linux/arm64"
    } else {
        "linux/amd64"
    }
}

#[test]
fn reads_only_the_spec_and_the_manifests_before_the_build() {
    let recorded = run(app(Setup::v0_8(), SPEC), &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    let follow = |def: &pb::Definition| -> Option<(String, String)> {
        ops(def).into_iter().find_map(|op| match op.op {
            Some(pb::op::Op::Source(s)) if s.identifier.starts_with("local://") => Some((
                s.identifier.clone(),
                s.attrs
                    .get("local.followpaths")
                    .cloned()
                    .unwrap_or_default(),
            )),
            _ => None,
        })
    };
    let (spec_source, spec_follow) = follow(&recorded.solves[0]).expect("spec source");
    assert_eq!(spec_source, "local://dockerfile");
    assert_eq!(spec_follow, r#"["shallot.yaml"]"#);
    let (context_source, probes) = follow(&recorded.solves[1]).expect("probe source");
    assert_eq!(context_source, "local://context");
    // The start files specs name most (node's server.js and index.js) are read with the
    // manifests: the start script this spec names needs no second read of the context.
    assert!(
        probes.contains("package.json")
            && probes.contains(".dockerignore")
            && probes.contains("server.js"),
        "{probes}"
    );
    assert_eq!(recorded.solves.len(), 3, "spec, probes, build");
}

#[test]
fn a_start_script_the_probes_did_not_read_is_read_before_the_build() {
    let spec = "# syntax=shallot:dev\nruntime: node\nentrypoint: app/main.js\nport: 8080\n";
    let setup = app(Setup::v0_8(), spec).file("context", "app/main.js", "require('http')");
    let recorded = run(setup, &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    // It is looked for, so that a missing one is a spec error.
    let named = ops(&recorded.solves[2])
        .into_iter()
        .find_map(|op| match op.op {
            Some(pb::op::Op::Source(s)) => s.attrs.get("local.followpaths").cloned(),
            _ => None,
        });
    assert_eq!(named.as_deref(), Some(r#"["app/main.js"]"#));
    assert_eq!(
        recorded.solves.len(),
        4,
        "spec, probes, the files the spec names, build"
    );
}

#[test]
fn shallot_trace_shows_a_span_per_call_as_vertex_names_and_changes_no_result() {
    let plain = run(app(Setup::v0_8(), SPEC), &[]);
    let traced = run(
        app(Setup::v0_8(), SPEC),
        &[("build-arg:SHALLOT_TRACE", "1")],
    );
    assert_eq!(traced.result(), plain.result(), "the same image");
    assert_eq!(traced.solves[..plain.solves.len()], plain.solves[..]);
    // Then one solve a line, in order.
    let names: Vec<String> = traced.solves[plain.solves.len()..]
        .iter()
        .flat_map(|def| def.metadata.values().cloned().collect::<Vec<_>>())
        .filter_map(|meta| meta.description.get("llb.customname").cloned())
        .collect();
    assert_eq!(names.len(), traced.solves.len() - plain.solves.len());
    assert!(
        names.iter().all(|n| n.starts_with("[shallot trace]")),
        "{names:?}"
    );
    assert!(names[0].ends_with("call (ms from the frontend's start)"));
    assert!(names[names.len() - 1].ends_with("so far"));
    for call in ["ping", "solve", "read file", "resolve image config", "llb"] {
        assert!(
            names.iter().any(|n| n.contains(&format!("  {call}"))),
            "{call}: {names:?}"
        );
    }
}

#[test]
fn a_bad_spec_returns_its_location_as_a_buildkit_source_detail() {
    let spec = "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 70000\n";
    let recorded = run(app(Setup::v0_8(), spec), &[]);
    let error = recorded.error().expect("an error");
    assert_eq!(error.code, 2);
    assert_eq!(
        error.message,
        "shallot.yaml:4:7: port must be between 1 and 65535, got 70000 (hint: use the port your app listens on, e.g. 8080)"
    );
    let detail = error.details.first().expect("a source detail");
    assert_eq!(
        detail.type_url,
        "github.com/moby/buildkit/errdefs.Source+json"
    );
    let body: serde_json::Value = serde_json::from_slice(&detail.value).expect("JSON detail");
    assert_eq!(body["info"]["filename"], "shallot.yaml");
    assert_eq!(body["ranges"][0]["start"]["line"], 4);
    let data = body["info"]["data"].as_str().expect("base64 data");
    assert!(!data.is_empty());
    // Nothing was built.
    assert_eq!(
        recorded.solves.len(),
        2,
        "only the spec and the probes were solved"
    );
}

#[test]
fn a_missing_spec_file_says_how_to_name_it() {
    let setup = node_images(Setup::v0_8()).file("context", "package.json", PACKAGE);
    let recorded = run(setup, &[("filename", "app.yaml")]);
    let message = error_message(&recorded);
    assert!(
        message.starts_with("cannot read app.yaml from the build definition"),
        "{message}"
    );
    assert!(message.contains("-f app.yaml"), "{message}");
}

#[test]
fn a_daemon_without_cache_mounts_is_refused_by_name() {
    let mut setup = app(Setup::v0_8(), SPEC);
    setup.llb_caps.retain(|c| c != "exec.mount.cache");
    let recorded = run(setup, &[]);
    let error = recorded.error().expect("an error");
    assert_eq!(error.code, 12, "Unimplemented");
    assert!(
        error.message.contains("exec.mount.cache"),
        "{}",
        error.message
    );
}

#[test]
fn an_unresolvable_base_image_names_it() {
    let setup = Setup::v0_8()
        .file("dockerfile", "shallot.yaml", SPEC)
        .file("context", "package.json", PACKAGE)
        .file("context", "server.js", "require('http')");
    let recorded = run(setup, &[]);
    let message = error_message(&recorded);
    assert!(message.contains("node:24-trixie-slim"), "{message}");
}

#[test]
fn image_overrides_come_from_build_args() {
    let setup = app(Setup::v0_8(), SPEC)
        .image("mirror.local/node:24", json!({"config": {}}))
        .image(
            "mirror.local/distroless-node:nonroot",
            json!({"config": {"Entrypoint": ["/nodejs/bin/node"]}}),
        );
    let recorded = run(
        setup,
        &[
            ("build-arg:SHALLOT_BUILDER_IMAGE", "mirror.local/node:24"),
            (
                "build-arg:SHALLOT_RUNTIME_IMAGE",
                "mirror.local/distroless-node:nonroot",
            ),
        ],
    );
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    assert_eq!(
        recorded.resolved,
        vec![
            "mirror.local/node:24",
            "mirror.local/distroless-node:nonroot"
        ]
    );
}

#[test]
fn bad_options_are_answered_not_ignored() {
    for (key, value, expected) in [
        (
            "target",
            "prod",
            "option target=prod: shallot's targets are `runtime` (default), `debug` and `builder`",
        ),
        (
            "platform",
            "linux",
            "option platform=linux: expected os/arch[/variant], e.g. linux/amd64",
        ),
        (
            "image-resolve-mode",
            "sometimes",
            "option image-resolve-mode=sometimes: expected default, pull or local",
        ),
    ] {
        let recorded = run(app(Setup::v0_8(), SPEC), &[(key, value)]);
        assert_eq!(error_message(&recorded), expected);
    }
}

#[test]
fn platform_option_sets_the_config_and_the_ops() {
    let setup = app(Setup::v0_8(), SPEC);
    let recorded = run(setup, &[("platform", "linux/arm64/v8")]);
    let config = recorded.image_config().expect("config");
    assert_eq!(config["architecture"], "arm64");
    assert_eq!(config["variant"], "v8");
    let result = recorded.result().expect("result");
    let platforms: serde_json::Value =
        serde_json::from_slice(&result.metadata["refs.platforms"]).expect("json");
    assert_eq!(platforms["Platforms"][0]["ID"], "linux/arm64/v8");
    let build = recorded.solves.last().expect("build");
    // Images and runs are for the target platform (local sources are platform-free).
    let targeted = ops(build)
        .into_iter()
        .filter(|op| match &op.op {
            Some(pb::op::Op::Exec(_)) => true,
            Some(pb::op::Op::Source(s)) => s.identifier.starts_with("docker-image://"),
            _ => false,
        })
        .collect::<Vec<_>>();
    assert_eq!(
        targeted.len(),
        4,
        "two images, npm ci, and the one run after the source copy that leaves out other \
         platforms' packages and stages shared libraries"
    );
    assert!(targeted.iter().all(|op| {
        op.platform
            .as_ref()
            .is_some_and(|p| p.architecture == "arm64" && p.variant == "v8")
    }));
}

#[test]
fn the_builder_target_returns_the_builder_stage() {
    let recorded = run(app(Setup::v0_8(), SPEC), &[("target", "builder")]);
    let config = recorded.image_config().expect("config");
    // The builder image's own config, not the runtime's.
    assert_eq!(config["config"]["Env"][1], "NODE_VERSION=24.1.0");
    assert_eq!(recorded.resolved, vec!["node:24-trixie-slim"]);
}

#[test]
fn a_context_input_replaces_the_local_context() {
    // A caller (bake, a nested frontend) passes the context as an input definition.
    let input = shallot::llb::State::local("elsewhere", &Default::default(), Default::default())
        .marshal(None)
        .pb;
    let mut setup = app(Setup::v0_8(), SPEC)
        .file("elsewhere", "package.json", PACKAGE)
        .file("elsewhere", "server.js", "require('http')");
    setup.inputs = BTreeMap::from([("context".to_string(), input)]);
    let recorded = run(setup, &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    let build = recorded.solves.last().expect("build");
    let sources: Vec<String> = ops(build)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Source(s)) => Some(s.identifier),
            _ => None,
        })
        .collect();
    assert!(
        sources.contains(&"local://elsewhere".to_string()),
        "{sources:?}"
    );
    assert!(
        !sources.contains(&"local://context".to_string()),
        "{sources:?}"
    );
}

#[test]
fn without_the_inputs_cap_inputs_are_not_asked_for() {
    let mut setup = app(Setup::v0_8(), SPEC);
    setup.gateway_caps.retain(|c| c != "frontend.inputs");
    let recorded = run(setup, &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    assert!(!recorded.calls.contains(&"Inputs"), "{:?}", recorded.calls);
}

#[test]
fn a_current_daemon_builds_too() {
    let recorded = run(app(Setup::current(), SPEC), &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
}

// Queries (`requestid`): answered with metadata only, never with a build.

const QUERIES: [&str; 4] = [
    "frontend.subrequests.describe",
    "frontend.outline",
    "frontend.targets",
    "frontend.lint",
];

fn query(setup: Setup, id: &str, opts: &[(&str, &str)]) -> (Recorded, serde_json::Value) {
    let mut opts = opts.to_vec();
    opts.push(("requestid", id));
    let recorded = run(setup, &opts);
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("{id}: no result: {:?}", recorded.error()));
    assert!(result.result.is_none(), "{id}: a query returns no ref");
    let json = serde_json::from_slice(&result.metadata["result.json"])
        .unwrap_or_else(|e| panic!("{id}: result.json: {e}"));
    (recorded, json)
}

fn meta<'r>(recorded: &'r Recorded, key: &str) -> &'r str {
    recorded
        .result()
        .and_then(|r| r.metadata.get(key))
        .map(|v| std::str::from_utf8(v).expect("UTF-8 metadata"))
        .unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn every_query_is_answered_with_metadata_and_no_build_on_both_daemons() {
    for setup in [Setup::v0_8(), Setup::current()] {
        for id in QUERIES {
            let (recorded, _) = query(app(setup.clone(), SPEC), id, &[]);
            assert_eq!(meta(&recorded, "version"), "1.0.0", "{id}");
            assert!(!meta(&recorded, "result.txt").is_empty(), "{id}");
            assert!(recorded.resolved.is_empty(), "{id}: no image resolved");
            assert!(
                recorded.solves.len() <= 3,
                "{id}: only the spec, the probes and the files the spec names"
            );
            assert!(
                !recorded.calls.contains(&"Warn"),
                "{id}: {:?}",
                recorded.calls
            );
        }
    }
    // describe needs nothing from the client.
    let (recorded, json) = query(Setup::v0_8(), QUERIES[0], &[]);
    assert!(recorded.solves.is_empty());
    assert_eq!(json.as_array().map(Vec::len), Some(4));
}

#[test]
fn outline_lists_build_args_with_their_values_and_locations() {
    let spec = "runtime: node\nentrypoint: server.js\nport: 8080\nlabels:\n  version: ${VERSION}\n";
    let (_, json) = query(
        app(Setup::current(), spec),
        "frontend.outline",
        &[
            ("build-arg:VERSION", "1.2"),
            ("build-arg:SHALLOT_RUNTIME_IMAGE", "mirror/node"),
        ],
    );
    let args = json["args"].as_array().expect("args");
    let names: Vec<&str> = args.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "SHALLOT_BUILDER_IMAGE",
            "SHALLOT_RUNTIME_IMAGE",
            "SOURCE_DATE_EPOCH",
            "VERSION"
        ]
    );
    assert_eq!(args[1]["value"], "mirror/node");
    assert_eq!(
        args[3],
        json!({
            "name": "VERSION",
            "description": "referenced in `labels.version`",
            "value": "1.2",
            "location": {"sourceIndex": 0, "ranges": [
                {"start": {"line": 5, "character": 11}, "end": {"line": 5, "character": 21}}
            ]},
        })
    );
    assert_eq!(json["cache"][0]["ID"], "shallot-npm");
}

#[test]
fn targets_name_the_default_and_the_bases() {
    let (_, json) = query(app(Setup::v0_8(), SPEC), "frontend.targets", &[]);
    let targets = json["targets"].as_array().expect("targets");
    let names: Vec<&str> = targets.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["runtime", "debug", "builder"]);
    assert_eq!(targets[0]["default"], true);
    assert_eq!(targets[2]["base"], "node:24-trixie-slim");
    assert_eq!(targets[0]["location"]["ranges"][0]["start"]["line"], 2);
}

#[test]
fn lint_returns_warnings_and_status_1() {
    let spec =
        "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 8080\nuser: root\n";
    let (recorded, json) = query(app(Setup::v0_8(), spec), "frontend.lint", &[]);
    let rules: Vec<(&str, i64)> = json["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            let line = w["location"]["ranges"][0]["start"]["line"].as_i64();
            (
                w["ruleName"].as_str().unwrap_or_default(),
                line.unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("ImageNotPinned", 2),
            ("ImageNotPinned", 2),
            ("RunsAsRoot", 5)
        ]
    );
    assert_eq!(json["sources"][0]["filename"], "shallot.yaml");
    assert_eq!(meta(&recorded, "result.statuscode"), "1");
}

#[test]
fn lint_answers_an_invalid_spec_with_a_build_error() {
    let spec = "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 70000\n";
    for setup in [Setup::v0_8(), Setup::current()] {
        let (recorded, json) = query(app(setup, spec), "frontend.lint", &[]);
        assert_eq!(
            json["buildError"]["message"],
            "shallot.yaml:4:7: port must be between 1 and 65535, got 70000 (hint: use the port your app listens on, e.g. 8080)"
        );
        assert_eq!(
            json["buildError"]["location"]["ranges"][0]["start"]["line"],
            4
        );
        assert_eq!(meta(&recorded, "result.statuscode"), "1");
    }
    // Other queries fail on an invalid spec, as a build does.
    let recorded = run(
        app(Setup::v0_8(), spec),
        &[("requestid", "frontend.outline")],
    );
    assert!(error_message(&recorded).contains("port must be between"));
}

#[test]
fn an_unknown_request_is_an_unsupported_subrequest() {
    let recorded = run(
        app(Setup::current(), SPEC),
        &[("requestid", "frontend.convertllb")],
    );
    let error = recorded.error().expect("an error");
    assert_eq!(error.code, 12, "Unimplemented");
    assert_eq!(error.message, "unsupported request frontend.convertllb");
    let detail = error.details.first().expect("a detail");
    assert_eq!(
        detail.type_url,
        "github.com/moby/buildkit/errdefs.Subrequest+json"
    );
    let body: serde_json::Value = serde_json::from_slice(&detail.value).expect("JSON");
    assert_eq!(body, json!({"name": "frontend.convertllb"}));
    assert!(recorded.solves.is_empty(), "nothing was loaded");
}

#[test]
fn a_build_sends_lint_warnings_through_warn_when_the_daemon_has_it() {
    let spec =
        "# syntax=shallot:dev\nruntime: node\nentrypoint: server.js\nport: 8080\nuser: root\n";
    let recorded = run(app(Setup::current(), spec), &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    let root = recorded
        .warnings
        .iter()
        .find(|w| w.short.starts_with(b"RunsAsRoot: "))
        .unwrap_or_else(|| panic!("{:?}", recorded.warnings));
    assert_eq!(recorded.warnings.len(), 3, "two unpinned images and root");
    assert_eq!(root.level, 1);
    assert_eq!(root.short, b"RunsAsRoot: the app runs as root");
    assert_eq!(root.url, "docs/queries.md#lint-rules");
    assert!(!root.detail.is_empty());
    let range = root.ranges.first().expect("a range");
    assert_eq!(
        range.start.as_ref().map(|p| (p.line, p.character)),
        Some((5, 6))
    );
    let info = root.info.as_ref().expect("source info");
    assert_eq!(info.filename, "shallot.yaml");
    assert_eq!(info.data, spec.as_bytes());
    // The digest is that of the op that loaded the spec: the head of the first solve.
    let loaded_by = &recorded.solves[0];
    let terminal = ops(loaded_by).pop().expect("terminal op");
    assert_eq!(root.digest, terminal.inputs[0].digest);
    assert_eq!(info.definition.as_ref(), Some(loaded_by));

    // Docker 20.10 has no Warn: nothing is sent, and the build is the same.
    let recorded = run(app(Setup::v0_8(), spec), &[]);
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    assert!(!recorded.calls.contains(&"Warn"), "{:?}", recorded.calls);
}

#[test]
fn several_platforms_return_a_ref_map_with_a_config_each() {
    let recorded = run(
        app(Setup::current(), SPEC),
        &[("platform", "linux/amd64,linux/arm64")],
    );
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("no result: {:?}", recorded.error()));
    let Some(shallot::proto::gateway::result::Result::Refs(refs)) = &result.result else {
        panic!("expected a ref map, got {:?}", result.result);
    };
    let keys: Vec<&str> = refs.refs.keys().map(String::as_str).collect();
    assert_eq!(keys, ["linux/amd64", "linux/arm64"]);
    for id in keys {
        let config: serde_json::Value =
            serde_json::from_slice(&result.metadata[&format!("containerimage.config/{id}")])
                .expect("config");
        assert_eq!(
            format!(
                "{}/{}",
                config["os"].as_str().unwrap_or_default(),
                config["architecture"].as_str().unwrap_or_default()
            ),
            id
        );
    }
    let platforms: serde_json::Value =
        serde_json::from_slice(&result.metadata["refs.platforms"]).expect("json");
    assert_eq!(platforms["Platforms"].as_array().map(Vec::len), Some(2));
    // Each platform's images were resolved for it.
    assert_eq!(recorded.resolved.len(), 4);
}

#[test]
fn a_named_context_swaps_a_base_image() {
    let setup = app(Setup::current(), SPEC).image(
        "local/distroless-node:mirror",
        json!({"config": {"Entrypoint": ["/nodejs/bin/node"]}}),
    );
    let recorded = run(
        setup,
        &[(
            "context:runtime",
            "docker-image://local/distroless-node:mirror",
        )],
    );
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    assert!(
        recorded
            .resolved
            .contains(&"local/distroless-node:mirror".to_string())
    );
    let recorded = run(
        app(Setup::current(), SPEC),
        &[("context:builder", "local:elsewhere")],
    );
    assert_eq!(
        error_message(&recorded),
        "option context:builder=local:elsewhere: a base image's named context must be `docker-image://<ref>`"
    );
}

#[test]
fn secrets_and_ssh_are_mounted_in_the_install_step_only() {
    let spec = format!("{SPEC}secrets: [npm_token]\nssh: true\nbuild: [npm run build]\n");
    let recorded = run(app(Setup::v0_8(), &spec), &[]);
    let build = recorded.solves.last().expect("build");
    let execs: Vec<pb::ExecOp> = ops(build)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => Some(e),
            _ => None,
        })
        .collect();
    let has =
        |e: &pb::ExecOp, kind: pb::MountType| e.mounts.iter().any(|m| m.mount_type == kind as i32);
    let args = |e: &pb::ExecOp| {
        e.meta
            .as_ref()
            .map(|m| m.args.join(" "))
            .unwrap_or_default()
    };
    let install = execs
        .iter()
        .find(|e| args(e).contains("npm ci"))
        .expect("install");
    let build_step = execs
        .iter()
        .find(|e| args(e).contains("npm run build"))
        .expect("build");
    assert!(has(install, pb::MountType::Secret) && has(install, pb::MountType::Ssh));
    assert!(!has(build_step, pb::MountType::Secret) && !has(build_step, pb::MountType::Ssh));
    let env = &install.meta.as_ref().expect("meta").env;
    assert!(
        env.contains(&"SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0".to_string()),
        "{env:?}"
    );
    let secret = install
        .mounts
        .iter()
        .find_map(|m| {
            m.secret_opt
                .as_ref()
                .map(|s| (m.dest.clone(), s.id.clone(), s.optional))
        })
        .expect("secret mount");
    assert_eq!(
        secret,
        (
            "/run/secrets/npm_token".to_string(),
            "npm_token".to_string(),
            false
        )
    );
}

#[test]
fn build_args_cache_imports_and_no_cache_reach_the_build() {
    let spec = format!("{SPEC}env:\n  VERSION: \"${{VERSION}}\"\n");
    let recorded = run(
        app(Setup::v0_8(), &spec),
        &[
            ("build-arg:VERSION", "2.0"),
            ("cache-from", "registry.local/app:cache"),
            ("no-cache", ""),
            ("label:team", "web"),
        ],
    );
    let config = recorded.image_config().expect("config");
    let env = config["config"]["Env"].as_array().expect("env").clone();
    assert!(env.contains(&json!("VERSION=2.0")), "{env:?}");
    assert_eq!(config["config"]["Labels"]["team"], "web");
    assert_eq!(recorded.cache_imports.len(), 1);
    assert_eq!(
        recorded.cache_imports[0].attrs["ref"],
        "registry.local/app:cache"
    );
    // Every step runs again; the sources (images, the context) and the scripts the builder
    // runs by path (a file op without inputs) keep their cache flags, so a vertex shared with
    // a concurrent build is the same there (see llb's tests).
    let build = recorded.solves.last().expect("build");
    let mut steps = 0;
    for bytes in &build.def {
        let op = pb::Op::decode(bytes.as_slice()).expect("op");
        let meta = &build.metadata[shallot::llb::Digest::of(bytes).as_str()];
        let scripts = meta
            .description
            .get("llb.customname")
            .is_some_and(|n| n.starts_with("[internal] write the scripts"));
        match op.op {
            Some(pb::op::Op::Source(_)) => assert!(!meta.ignore_cache, "{meta:?}"),
            Some(_) if scripts => assert!(!meta.ignore_cache, "{meta:?}"),
            Some(_) => {
                assert!(meta.ignore_cache, "{meta:?}");
                steps += 1;
            }
            None => {}
        }
    }
    assert!(steps > 0);
}

#[test]
fn go_cross_compiles_on_the_build_platform() {
    let spec = "runtime: go\nport: 8080\n";
    let setup = Setup::current()
        .file("dockerfile", "shallot.yaml", spec)
        .file("context", "go.mod", "module example.com/hello\n\ngo 1.22\n")
        .file("context", "main.go", "package main\n")
        .image(
            "golang:1.26-trixie",
            json!({"config": {"Env": ["PATH=/usr/local/go/bin:/usr/bin:/bin"]}}),
        )
        .image(
            "gcr.io/distroless/static-debian13:nonroot",
            json!({"config": {}}),
        );
    let mut inv = invocation(&[("platform", "linux/arm64")]);
    inv.worker_platform = shallot::gateway::parse_platform("linux/amd64");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let recorded = runtime.block_on(TestBridge::new(setup).run(inv));
    assert!(recorded.result().is_some(), "{:?}", recorded.error());
    let build = recorded.solves.last().expect("build");
    let mut go_build = None;
    let mut images = Vec::new();
    for op in ops(build) {
        let arch = op
            .platform
            .as_ref()
            .map(|p| p.architecture.clone())
            .unwrap_or_default();
        match op.op {
            Some(pb::op::Op::Exec(e)) => {
                let meta = e.meta.unwrap_or_default();
                if meta.args.join(" ").contains("go build") {
                    go_build = Some((arch, meta.env));
                }
            }
            Some(pb::op::Op::Source(s)) if s.identifier.starts_with("docker-image://") => {
                images.push((s.identifier, arch));
            }
            _ => {}
        }
    }
    let (arch, env) = go_build.expect("a go build");
    assert_eq!(arch, "amd64", "the compiler runs natively");
    assert!(
        env.contains(&"GOARCH=arm64".to_string()) && env.contains(&"GOOS=linux".to_string()),
        "{env:?}"
    );
    images.sort();
    assert_eq!(
        images,
        vec![
            (
                "docker-image://docker.io/library/golang:1.26-trixie".to_string(),
                "amd64".to_string()
            ),
            (
                "docker-image://gcr.io/distroless/static-debian13:nonroot".to_string(),
                "arm64".to_string()
            ),
        ]
    );
    let config = recorded.image_config().expect("config");
    assert_eq!(config["architecture"], "arm64");
}

#[test]
fn image_resolve_mode_reaches_the_image_sources() {
    let recorded = run(app(Setup::v0_8(), SPEC), &[("image-resolve-mode", "pull")]);
    let build = recorded.solves.last().expect("build");
    let modes: Vec<Option<String>> = ops(build)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Source(s)) if s.identifier.starts_with("docker-image://") => {
                Some(s.attrs.get("image.resolvemode").cloned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        modes,
        vec![Some("pull".to_string()), Some("pull".to_string())]
    );
    // The default leaves it to the daemon (Docker: local images first).
    let recorded = run(app(Setup::v0_8(), SPEC), &[]);
    let build = recorded.solves.last().expect("build");
    assert!(ops(build).into_iter().all(|op| match op.op {
        Some(pb::op::Op::Source(s)) => !s.attrs.contains_key("image.resolvemode"),
        _ => true,
    }));
}

// ---- SBOM attestation ---------------------------------------------------------------------------

const SBOM_PACKAGE: &str = r#"{"name":"app","version":"1.0.0","license":"MIT",
  "dependencies":{"ms":"^2"},"devDependencies":{"jest":"^29"}}"#;
const SBOM_LOCK: &str = r#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
  "":{"name":"app","version":"1.0.0","license":"MIT","dependencies":{"ms":"^2"},"devDependencies":{"jest":"^29"}},
  "node_modules/ms":{"version":"2.1.3","license":"MIT"},
  "node_modules/jest":{"version":"29.7.0","dev":true,"license":"MIT"}}}"#;

fn sbom_app(setup: Setup) -> Setup {
    node_images(setup)
        .file("dockerfile", "shallot.yaml", SPEC)
        .file("context", "package.json", SBOM_PACKAGE)
        .file("context", "package-lock.json", SBOM_LOCK)
        .file("context", "server.js", "require('http')")
}

/// The SPDX document an attestation's ref makes: the data of its definition's mkfile.
fn attested_document(attestation: &shallot::proto::gateway::Attestation) -> serde_json::Value {
    let definition = attestation
        .r#ref
        .as_ref()
        .and_then(|r| r.def.as_ref())
        .expect("the attestation's ref has its definition");
    let data = ops(definition)
        .into_iter()
        .find_map(|op| match op.op? {
            pb::op::Op::File(file) => file.actions.into_iter().find_map(|a| match a.action? {
                pb::file_action::Action::Mkfile(mkfile) => Some(mkfile.data),
                _ => None,
            }),
            _ => None,
        })
        .expect("a mkfile");
    serde_json::from_slice(&data).expect("the document is JSON")
}

#[test]
fn attest_sbom_returns_an_spdx_attestation_of_the_production_packages() {
    let recorded = run(
        sbom_app(Setup::current()),
        &[
            ("attest:sbom", ""),
            ("build-arg:SOURCE_DATE_EPOCH", "1700000000"),
        ],
    );
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("{}", error_message(&recorded)));
    assert_eq!(result.attestations.len(), 1, "{:?}", result.attestations);
    let attestations = &result.attestations[platform_id()].attestation;
    let [attestation] = attestations.as_slice() else {
        panic!("one attestation expected: {attestations:?}")
    };
    assert_eq!(attestation.kind, 0, "InToto");
    assert_eq!(
        attestation.in_toto_predicate_type,
        "https://spdx.dev/Document"
    );
    assert_eq!(
        attestation.metadata.get("reason").map(Vec::as_slice),
        Some(&b"sbom"[..])
    );
    assert!(
        !attestation
            .r#ref
            .as_ref()
            .map(|r| r.id.as_str())
            .unwrap_or("")
            .is_empty()
    );
    let document = attested_document(attestation);
    assert_eq!(document["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let names: Vec<&str> = document["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["app", "node", "ms"]);
    assert_eq!(attestation.path, "/sbom.spdx.json");
}

#[test]
fn without_attest_sbom_no_attestation_and_no_extra_read() {
    let recorded = run(sbom_app(Setup::current()), &[]);
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("{}", error_message(&recorded)));
    assert!(result.attestations.is_empty());
    let asked = run(sbom_app(Setup::current()), &[("attest:sbom", "")]);
    // The lockfiles were read whole with the probes: the SBOM costs one solve, no reads.
    let reads = |r: &Recorded| r.calls.iter().filter(|c| **c == "ReadFile").count();
    assert_eq!(reads(&asked), reads(&recorded));
    assert_eq!(asked.solves.len(), recorded.solves.len() + 1);
}

#[test]
fn a_scanner_generator_is_left_to_buildkit() {
    let recorded = run(
        sbom_app(Setup::current()),
        &[(
            "attest:sbom",
            "generator=docker/buildkit-syft-scanner:stable-1",
        )],
    );
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("{}", error_message(&recorded)));
    assert!(result.attestations.is_empty());
}

#[test]
fn on_buildkit_v0_8_the_build_succeeds_and_the_progress_says_no_sbom() {
    let recorded = run(
        sbom_app(Setup::v0_8()),
        &[("build-arg:BUILDKIT_ATTEST_SBOM", "")],
    );
    let result = recorded
        .result()
        .unwrap_or_else(|| panic!("{}", error_message(&recorded)));
    assert!(result.attestations.is_empty());
    let named = |d: &pb::Definition| {
        d.metadata.values().any(|m| {
            m.description
                .get("llb.customname")
                .is_some_and(|n| n.contains("the SBOM was not attached"))
        })
    };
    assert!(recorded.solves.iter().any(named), "no notice solved");
}
