//! Queries: BuildKit subrequests (`requestid`), answered instead of a build.
//!
//! `docker buildx build --call=outline|targets|check` and `buildctl … --opt requestid=…` ask the
//! frontend about a build rather than for it. The answer is a `Result` with no ref, only
//! metadata: `result.json` (the data, in the shapes of BuildKit's `frontend/subrequests`
//! packages), `result.txt` (the same for a person), `version`, and for lint
//! `result.statuscode`.
//!
//! The queries reuse the build's own loading (spec, plan), so they describe
//! exactly what a build would do; only `frontend.subrequests.describe` needs nothing loaded.
//! The same lint warnings also reach a normal build's progress output through BuildKit's `Warn`
//! call ([`send_warnings`]), when the daemon has it.

use super::bridge::Bridge;
use super::errors::Failure;
use super::opts::platform_id;
use super::request::{BUILD_ARGS, Request};
use crate::lint::{self, RULES_URL, Warning};
use crate::llb::{Digest, SourceFile};
use crate::plan::{Plan, Recipe, Step, Target, debug_variant, references};
use crate::proto::{gateway as gw, pb};
use crate::spec::{Diagnostics, Located, Span, Spec};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The version of every query's answer format (BuildKit's are all `1.0.0`).
const VERSION: &str = "1.0.0";

/// A query shallot answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// `frontend.subrequests.describe`: the queries themselves.
    Describe,
    /// `frontend.outline`: the build's parameters (build args, secrets, SSH, caches).
    Outline,
    /// `frontend.targets`: the stages a build can return.
    Targets,
    /// `frontend.lint` (`--call=check`): the lint warnings.
    Lint,
}

/// Every query, sorted by request id; `describe` lists them in this order.
const QUERIES: [Query; 4] = [Query::Lint, Query::Outline, Query::Describe, Query::Targets];

impl Query {
    /// The query a `requestid` names; `None` for a build. An id shallot does not answer is an
    /// error that BuildKit's clients recognize (`errdefs.Subrequest`).
    pub fn from_request(request: &Request) -> Result<Option<Query>, Failure> {
        let Some(id) = request.request_id.as_deref() else {
            return Ok(None);
        };
        QUERIES
            .into_iter()
            .find(|q| q.id() == id)
            .map(Some)
            .ok_or_else(|| Failure::UnsupportedRequest(id.to_string()))
    }

    /// The request id, as BuildKit names it.
    pub fn id(self) -> &'static str {
        match self {
            Query::Describe => "frontend.subrequests.describe",
            Query::Outline => "frontend.outline",
            Query::Targets => "frontend.targets",
            Query::Lint => "frontend.lint",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Query::Describe => "List the queries shallot answers",
            Query::Outline => "List the parameters of the build: build args, secrets, SSH, caches",
            Query::Targets => "List the stages a build can return",
            Query::Lint => "Check the spec for likely mistakes",
        }
    }

    /// The frontend options that change the answer.
    fn opts(self) -> Value {
        match self {
            Query::Outline => json!([{"name": "target", "description": "the stage to outline"}]),
            _ => json!([]),
        }
    }

    /// The metadata keys of the answer.
    fn metadata(self) -> Value {
        let mut keys = vec![
            json!({"name": "result.json", "description": "the answer, as JSON"}),
            json!({"name": "result.txt", "description": "the answer, for a person"}),
        ];
        if self == Query::Lint {
            keys.push(json!({"name": "result.statuscode", "description": "1 when the spec has warnings or errors, else 0"}));
        }
        keys.push(json!({"name": "version", "description": "the answer's format version"}));
        Value::Array(keys)
    }
}

/// What a build loaded, for the queries that need it.
pub struct Loaded<'a> {
    /// The typed options.
    pub request: &'a Request,
    /// The spec file as read.
    pub file: &'a SourceFile,
    /// The parsed spec.
    pub spec: &'a Spec,
    /// The plan (with named-context image replacements).
    pub plan: &'a Plan,
    /// The spec's runtime.
    pub recipe: &'a Recipe,
}

/// The answer to `query`.
pub fn answer(query: Query, loaded: &Loaded<'_>) -> gw::Result {
    match query {
        Query::Describe => describe(),
        Query::Outline => outline(loaded),
        Query::Targets => targets(loaded),
        Query::Lint => {
            let warnings = lint::lint(loaded.spec, loaded.plan, loaded.recipe);
            lint_result(loaded.file, &warnings, None)
        }
    }
}

/// Turns a failure during loading into an answer where the query reports it: `lint` answers an
/// invalid spec with a `buildError` (and status 1) instead of failing; everything else fails.
pub fn on_failure(query: Option<Query>, failure: Failure) -> Result<gw::Result, Failure> {
    match (query, failure) {
        (Some(Query::Lint), Failure::Spec { diagnostics, file }) => {
            Ok(lint_result(&file, &[], Some(&diagnostics)))
        }
        (_, failure) => Err(failure),
    }
}

/// `frontend.subrequests.describe`.
pub fn describe() -> gw::Result {
    let descriptors: Vec<Value> = QUERIES
        .iter()
        .map(|q| {
            json!({
                "name": q.id(),
                "version": VERSION,
                "type": "rpc",
                "description": q.description(),
                "opts": q.opts(),
                "inputs": [],
                "metadata": q.metadata(),
                "refs": [],
            })
        })
        .collect();
    let mut rows = vec![row(["NAME", "VERSION", "DESCRIPTION"])];
    rows.extend(QUERIES.iter().map(|q| {
        row([
            q.id().trim_start_matches("frontend."),
            VERSION,
            q.description(),
        ])
    }));
    metadata(Value::Array(descriptors), table(&rows), None)
}

/// `frontend.outline`: shallot's own build args and every `${NAME}` the spec references, the
/// secrets and SSH sockets the spec asks for, and the cache mounts the plan uses.
fn outline(loaded: &Loaded<'_>) -> gw::Result {
    let spec = loaded.spec;
    let args = outline_args(loaded.request, spec);
    let caches = cache_mounts(loaded.plan);
    let cache: Vec<Value> = caches
        .iter()
        .map(|(id, spans)| with_location(json!({"ID": id}), spans))
        .collect();
    let (name, description) = target_of(loaded.request);
    let body = json!({
        "name": name,
        "description": description,
        "args": args,
        "secrets": outline_secrets(spec),
        "ssh": outline_ssh(spec),
        "cache": cache,
        "sources": [base64(&loaded.file.data)],
    });
    let text = outline_text(name, description, &args, spec, &caches);
    metadata(body, text, None)
}

/// The outline for a person: the target, then a table each for the build args and for the
/// secrets, SSH sockets and caches there are.
fn outline_text(
    name: &str,
    description: &str,
    args: &[Value],
    spec: &Spec,
    caches: &BTreeMap<&str, Vec<Span>>,
) -> String {
    let mut text = format!("TARGET: {name}\nDESCRIPTION: {description}\n\n");
    let mut arg_rows = vec![row(["BUILD ARG", "VALUE", "DESCRIPTION"])];
    arg_rows.extend(args.iter().map(|a| {
        row([
            str_of(a, "name"),
            str_of(a, "value"),
            str_of(a, "description"),
        ])
    }));
    text.push_str(&table(&arg_rows));
    push_section(
        &mut text,
        row(["SECRET", "REQUIRED"]),
        spec.secrets
            .iter()
            .map(|s| row([s.id.value.as_str(), yes_no(s.required)])),
    );
    push_section(
        &mut text,
        row(["SSH", "REQUIRED"]),
        spec.ssh.iter().map(|s| row([s.value.as_str(), "yes"])),
    );
    push_section(
        &mut text,
        row(["CACHE"]),
        caches.keys().map(|id| row([*id])),
    );
    text
}

/// The outline's build args: shallot's own first, then each `${NAME}` the spec references,
/// with the value the options give it and every place the spec references it.
fn outline_args(request: &Request, spec: &Spec) -> Vec<Value> {
    // (name, description, spans where the spec references it)
    let mut args: Vec<(String, String, Vec<Span>)> = BUILD_ARGS
        .iter()
        .map(|(name, description)| (name.to_string(), description.to_string(), Vec::new()))
        .collect();
    for (name, span, place) in spec_references(spec) {
        match args.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, _, spans)) => spans.push(span),
            None => args.push((name, format!("referenced in `{place}`"), vec![span])),
        }
    }
    let value_of = |name: &str| {
        request
            .options
            .build_args
            .get(name)
            .cloned()
            .unwrap_or_default()
    };
    args.iter()
        .map(|(name, description, spans)| {
            with_location(
                json!({"name": name, "description": description, "value": value_of(name)}),
                spans,
            )
        })
        .collect()
}

/// The outline's secrets, as the spec lists them.
fn outline_secrets(spec: &Spec) -> Vec<Value> {
    spec.secrets
        .iter()
        .map(|s| {
            with_location(
                json!({"name": s.id.value, "required": s.required}),
                &[s.id.span],
            )
        })
        .collect()
}

/// The outline's SSH sockets; each one the spec names is required.
fn outline_ssh(spec: &Spec) -> Vec<Value> {
    spec.ssh
        .iter()
        .map(|s| with_location(json!({"name": s.value, "required": true}), &[s.span]))
        .collect()
}

/// Cache ids once each, with every run that mounts them.
fn cache_mounts(plan: &Plan) -> BTreeMap<&str, Vec<Span>> {
    let mut caches: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
    for step in plan.builder.iter().flat_map(|b| &b.steps) {
        if let Step::Run(run) = step {
            for cache in &run.caches {
                let spans = caches.entry(&cache.id).or_default();
                if let Some(span) = run.span.filter(|s| !spans.contains(s)) {
                    spans.push(span);
                }
            }
        }
    }
    caches
}

/// Appends a table after a blank line, unless it has no rows below its `header`.
fn push_section(text: &mut String, header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) {
    let rows: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
    if rows.len() > 1 {
        text.push('\n');
        text.push_str(&table(&rows));
    }
}

/// `frontend.targets`: `runtime` (the default), `debug` and, when the runtime has one, `builder`.
fn targets(loaded: &Loaded<'_>) -> gw::Result {
    let Loaded {
        request,
        file,
        spec,
        plan,
        ..
    } = loaded;
    let platform = request
        .platforms
        .iter()
        .map(platform_id)
        .collect::<Vec<_>>()
        .join(",");
    let runtime_span = spec.runtime.span;
    let mut targets = vec![
        (
            "runtime",
            true,
            plan.runtime_stage.image.clone(),
            runtime_span,
        ),
        (
            "debug",
            false,
            debug_variant(&plan.runtime_stage.image),
            Some(spec.debug.span)
                .filter(|s| s.line > 0)
                .unwrap_or(runtime_span),
        ),
    ];
    if let Some(builder) = &plan.builder {
        let span = spec
            .images
            .builder
            .as_ref()
            .map_or(runtime_span, |b| b.span);
        targets.push(("builder", false, builder.image.clone(), span));
    }
    let listed: Vec<Value> = targets
        .iter()
        .map(|(name, default, base, span)| {
            let mut target = json!({
                "name": name,
                "description": target_description(name),
                "base": base,
                "platform": platform,
                "location": location(&[*span]),
            });
            if *default {
                target["default"] = json!(true);
            }
            target
        })
        .collect();
    let mut rows = vec![row(["TARGET", "BASE", "DESCRIPTION"])];
    rows.extend(targets.iter().map(|(name, default, base, _)| {
        let description = target_description(name).to_string();
        let name = if *default {
            format!("{name} (default)")
        } else {
            name.to_string()
        };
        vec![name, base.clone(), description]
    }));
    let body = json!({"targets": listed, "sources": [base64(&file.data)]});
    metadata(body, table(&rows), None)
}

/// `frontend.lint`: the warnings, or the spec's errors as `buildError`.
fn lint_result(
    file: &SourceFile,
    warnings: &[Warning],
    invalid: Option<&Diagnostics>,
) -> gw::Result {
    let listed: Vec<Value> = warnings
        .iter()
        .map(|w| {
            json!({
                "ruleName": w.rule.name,
                "description": w.rule.description,
                "url": RULES_URL,
                "detail": w.detail(),
                "location": location(&[w.span]),
            })
        })
        .collect();
    let mut body = json!({
        "warnings": listed,
        "sources": [{"filename": file.filename, "data": base64(&file.data), "language": file.language}],
    });
    let lines: Vec<&str> = std::str::from_utf8(&file.data)
        .unwrap_or_default()
        .lines()
        .collect();
    let snippet = |span: Span| {
        let shown = lines
            .get(span.line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or_default();
        format!(
            " --> {}:{}:{}\n{:>4} | {shown}\n",
            file.filename, span.line, span.col, span.line
        )
    };
    let mut text = String::new();
    if let Some(diagnostics) = invalid {
        let spans: Vec<Span> = diagnostics.0.iter().map(|d| d.span).collect();
        body["buildError"] = json!({
            "message": diagnostics.short(&file.filename),
            "location": location(&spans),
        });
        for d in &diagnostics.0 {
            text.push_str(&format!("error: {}\n{}", d.message, snippet(d.span)));
            if let Some(hint) = &d.hint {
                text.push_str(&format!("     = hint: {hint}\n"));
            }
            text.push('\n');
        }
    }
    for w in warnings {
        text.push_str(&format!(
            "warning: {}\n{}     = hint: {}\n     = rule: {} ({})\n\n",
            w.short(),
            snippet(w.span),
            w.hint,
            w.rule.description,
            RULES_URL
        ));
    }
    let failed = invalid.is_some() || !warnings.is_empty();
    if !failed {
        text.push_str("no warnings\n");
    }
    metadata(body, text, Some(failed))
}

/// Sends each warning through BuildKit's `Warn` call, so a normal build shows it with the spec
/// line. Without the daemon's `gateway.warnings` cap nothing is sent: such daemons (Docker
/// 20.10) have no place to show them, and text on stderr would only clutter the build log.
/// A warning that cannot be delivered does not fail the build.
pub async fn send_warnings(
    bridge: &mut Bridge,
    warnings: &[Warning],
    file: &SourceFile,
    loaded_by: &pb::Definition,
) {
    if warnings.is_empty() || !bridge.caps.gateway("gateway.warnings") {
        return;
    }
    let info = pb::SourceInfo {
        filename: file.filename.clone(),
        data: file.data.clone(),
        definition: Some(loaded_by.clone()),
        language: file.language.clone(),
    };
    let digest = head_digest(loaded_by);
    for warning in warnings {
        let request = gw::WarnRequest {
            digest: digest.clone(),
            level: 1,
            short: warning.short().into_bytes(),
            detail: vec![
                warning.rule.description.as_bytes().to_vec(),
                format!("hint: {}", warning.hint).into_bytes(),
            ],
            url: RULES_URL.to_string(),
            info: Some(info.clone()),
            ranges: vec![pb_range(warning.span)],
        };
        if let Err(e) = bridge.warn(request).await {
            eprintln!("shallot: cannot send a lint warning: {e}");
        }
    }
}

/// The digest of the op a definition ends at (its terminal op's input), as the Dockerfile
/// frontend names the op that loaded the Dockerfile.
fn head_digest(definition: &pb::Definition) -> String {
    use prost::Message as _;
    definition
        .def
        .last()
        .and_then(|bytes| pb::Op::decode(bytes.as_slice()).ok())
        .and_then(|terminal| terminal.inputs.first().map(|i| i.digest.clone()))
        .or_else(|| {
            definition
                .def
                .last()
                .map(|b| Digest::of(b).as_str().to_string())
        })
        .unwrap_or_default()
}

/// Every `${NAME}` in `env`, `labels`, `args` and `build` (the keys interpolated from build
/// args): name, the value's span and where it is, in spec order.
fn spec_references(spec: &Spec) -> Vec<(String, Span, String)> {
    let mut places: Vec<(String, &Located<String>)> = Vec::new();
    places.extend(spec.env.iter().map(|(k, v)| (format!("env.{k}"), v)));
    places.extend(spec.labels.iter().map(|(k, v)| (format!("labels.{k}"), v)));
    places.extend(spec.args.iter().map(|v| ("args".to_string(), v)));
    places.extend(spec.build.iter().map(|v| ("build".to_string(), v)));
    places.sort_by_key(|(_, v)| (v.span.line, v.span.col));
    places
        .into_iter()
        .flat_map(|(place, v)| {
            references(&v.value)
                .into_iter()
                .map(move |name| (name, v.span, place.clone()))
        })
        .collect()
}

/// The target the options name, and what it is.
fn target_of(request: &Request) -> (&'static str, &'static str) {
    let target = request.options.target;
    (target.name(), target.description())
}

/// What the target called `name` is.
fn target_description(name: &str) -> &'static str {
    Target::parse(name).map_or("", Target::description)
}

/// BuildKit's `pb.Range` for a spec span: lines 1-based, characters 0-based.
fn pb_range(span: Span) -> pb::Range {
    let position = |line: u32, col: u32| pb::Position {
        line: i32::try_from(line).unwrap_or(i32::MAX),
        character: i32::try_from(col.saturating_sub(1)).unwrap_or(i32::MAX),
    };
    pb::Range {
        start: Some(position(span.line, span.col)),
        end: Some(position(span.end_line.max(span.line), span.end_col)),
    }
}

/// A `pb.Location` in the spec (source 0) as JSON.
fn location(spans: &[Span]) -> Value {
    let ranges: Vec<Value> = spans
        .iter()
        .map(|s| {
            let r = pb_range(*s);
            let position = |p: Option<pb::Position>| {
                let p = p.unwrap_or_default();
                json!({"line": p.line, "character": p.character})
            };
            json!({"start": position(r.start), "end": position(r.end)})
        })
        .collect();
    json!({"sourceIndex": 0, "ranges": ranges})
}

/// `item` with a `location` when it has spans (BuildKit's location is optional there).
fn with_location(mut item: Value, spans: &[Span]) -> Value {
    if !spans.is_empty() {
        item["location"] = location(spans);
    }
    item
}

fn metadata(body: Value, text: String, failed: Option<bool>) -> gw::Result {
    let mut metadata = BTreeMap::from([
        (
            "result.json".to_string(),
            serde_json::to_vec_pretty(&body).unwrap_or_default(),
        ),
        ("result.txt".to_string(), text.into_bytes()),
        ("version".to_string(), VERSION.as_bytes().to_vec()),
    ]);
    if let Some(failed) = failed {
        let code = if failed { "1" } else { "0" };
        metadata.insert("result.statuscode".to_string(), code.as_bytes().to_vec());
    }
    gw::Result {
        result: None,
        metadata,
        attestations: BTreeMap::new(),
    }
}

fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn str_of<'v>(item: &'v Value, key: &str) -> &'v str {
    item.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Left-aligned columns two spaces apart (what Go's tabwriter prints for BuildKit's tables).
fn table(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count()) + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::Invocation;
    use crate::plan::Facts;
    use crate::runtimes;

    const SPEC: &str = "runtime: node\nentrypoint: server.js\nenv:\n  VERSION: ${VERSION}\nbuild:\n  - echo ${VERSION} ${GIT_SHA}\nsecrets:\n  - npm_token\nssh: [default]\n";

    fn request(opts: &[(&str, &str)]) -> Request {
        let inv = Invocation {
            opts: opts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        Request::from(&inv).unwrap_or_else(|e| panic!("{e}"))
    }

    fn file(src: &str) -> SourceFile {
        SourceFile {
            filename: "shallot.yaml".to_string(),
            data: src.as_bytes().to_vec(),
            language: "YAML".to_string(),
        }
    }

    /// Answers `query` for `src` with a node context (package.json and a lockfile).
    fn ask(
        query: Query,
        src: &str,
        opts: &[(&str, &str)],
    ) -> (Value, String, BTreeMap<String, Vec<u8>>) {
        let request = request(opts);
        let spec = crate::spec::parse(src, &runtimes::names()).unwrap_or_else(|d| panic!("{d}"));
        let mut facts = Facts::default();
        for path in ["package.json", "package-lock.json"] {
            facts.files.insert(path.to_string(), b"{}".to_vec());
        }
        let plan = crate::testkit::plan_of(&spec, &facts, &request.options)
            .unwrap_or_else(|d| panic!("{d}"));
        let file = file(src);
        let recipe = runtimes::find(&spec.runtime.value).unwrap_or_else(|| panic!("a recipe"));
        let loaded = Loaded {
            request: &request,
            file: &file,
            spec: &spec,
            plan: &plan,
            recipe,
        };
        split(answer(query, &loaded))
    }

    fn split(result: gw::Result) -> (Value, String, BTreeMap<String, Vec<u8>>) {
        assert!(result.result.is_none(), "a query returns no ref");
        let json = serde_json::from_slice(&result.metadata["result.json"])
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&result.metadata["result.txt"]).into_owned();
        (json, text, result.metadata)
    }

    /// A location of one range per `(line, first character, end character)`.
    fn loc(ranges: &[(u32, u32, u32)]) -> Value {
        let ranges: Vec<Value> = ranges
            .iter()
            .map(|(l, s, e)| json!({"start": {"line": l, "character": s}, "end": {"line": l, "character": e}}))
            .collect();
        json!({"sourceIndex": 0, "ranges": ranges})
    }

    fn encoded(src: &str) -> String {
        base64(src.as_bytes())
    }

    #[test]
    fn request_ids() {
        assert_eq!(Query::from_request(&request(&[])).ok(), Some(None));
        let lint = request(&[("requestid", "frontend.lint")]);
        assert_eq!(Query::from_request(&lint).ok(), Some(Some(Query::Lint)));
        let unknown = request(&[("requestid", "frontend.convertllb")]);
        let failure = Query::from_request(&unknown).map(|_| ()).unwrap_err();
        let status = failure.status();
        assert_eq!(status.code, 12);
        assert_eq!(status.message, "unsupported request frontend.convertllb");
        assert_eq!(
            status.details[0].type_url,
            "github.com/moby/buildkit/errdefs.Subrequest+json"
        );
        let body: Value = serde_json::from_slice(&status.details[0].value).unwrap_or_default();
        assert_eq!(body, json!({"name": "frontend.convertllb"}));
    }

    #[test]
    fn describe_lists_every_query_sorted() {
        let (json, text, metadata) = split(describe());
        let names: Vec<&str> = json
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "frontend.lint",
                "frontend.outline",
                "frontend.subrequests.describe",
                "frontend.targets"
            ]
        );
        assert_eq!(
            json[0],
            json!({
                "name": "frontend.lint",
                "version": "1.0.0",
                "type": "rpc",
                "description": "Check the spec for likely mistakes",
                "opts": [],
                "inputs": [],
                "metadata": [
                    {"name": "result.json", "description": "the answer, as JSON"},
                    {"name": "result.txt", "description": "the answer, for a person"},
                    {"name": "result.statuscode", "description": "1 when the spec has warnings or errors, else 0"},
                    {"name": "version", "description": "the answer's format version"},
                ],
                "refs": [],
            })
        );
        assert_eq!(metadata["version"], b"1.0.0");
        assert!(
            text.starts_with("NAME                  VERSION  DESCRIPTION\nlint "),
            "{text}"
        );
    }

    #[test]
    fn outline_has_build_args_with_their_references_secrets_ssh_and_caches() {
        let (json, text, _) = ask(
            Query::Outline,
            SPEC,
            &[
                ("build-arg:VERSION", "1.2"),
                ("build-arg:SOURCE_DATE_EPOCH", "1700000000"),
            ],
        );
        let own = |name: &str, value: &str| {
            let description = BUILD_ARGS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| *d)
                .unwrap_or_default();
            json!({"name": name, "description": description, "value": value})
        };
        assert_eq!(
            json,
            json!({
                "name": "runtime",
                "description": "The app on its distroless runtime image",
                "args": [
                    own("SHALLOT_BUILDER_IMAGE", ""),
                    own("SHALLOT_RUNTIME_IMAGE", ""),
                    own("SOURCE_DATE_EPOCH", "1700000000"),
                    {"name": "VERSION", "description": "referenced in `env.VERSION`", "value": "1.2",
                     "location": loc(&[(4, 11, 21), (6, 4, 30)])},
                    {"name": "GIT_SHA", "description": "referenced in `build`", "value": "",
                     "location": loc(&[(6, 4, 30)])},
                ],
                "secrets": [{"name": "npm_token", "required": true, "location": loc(&[(8, 4, 13)])}],
                "ssh": [{"name": "default", "required": true, "location": loc(&[(9, 6, 13)])}],
                "cache": [{"ID": "shallot-npm", "location": loc(&[(1, 9, 13), (6, 4, 30)])}],
                "sources": [encoded(SPEC)],
            })
        );
        assert!(text.contains("VERSION                1.2"), "{text}");
        assert!(
            text.contains("SECRET     REQUIRED\nnpm_token  yes\n"),
            "{text}"
        );
    }

    #[test]
    fn targets_list_runtime_debug_and_builder() {
        let src = "runtime: node\nentrypoint: server.js\nport: 8080\n";
        let (json, text, _) = ask(Query::Targets, src, &[("platform", "linux/arm64")]);
        let runtime = loc(&[(1, 9, 13)]);
        assert_eq!(
            json,
            json!({
                "targets": [
                    {"name": "runtime", "default": true,
                     "description": "The app on its distroless runtime image",
                     "base": "gcr.io/distroless/nodejs24-debian13:nonroot",
                     "platform": "linux/arm64", "location": runtime},
                    {"name": "debug",
                     "description": "The app on the runtime image's debug variant, which has a shell",
                     "base": "gcr.io/distroless/nodejs24-debian13:debug-nonroot",
                     "platform": "linux/arm64", "location": runtime},
                    {"name": "builder",
                     "description": "The build stage with the runtime's toolchain, to inspect the build",
                     "base": "node:24-trixie-slim",
                     "platform": "linux/arm64", "location": runtime},
                ],
                "sources": [encoded(src)],
            })
        );
        assert!(text.contains("runtime (default)  gcr.io/"), "{text}");
    }

    #[test]
    fn lint_reports_warnings_with_locations_and_status() {
        let src = "runtime: node\nentrypoint: server.js\nport: 8080\nuser: root\nimages:\n  builder: node:24@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  runtime: distroless@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n";
        let (json, text, metadata) = ask(Query::Lint, src, &[]);
        assert_eq!(
            json,
            json!({
                "warnings": [{
                    "ruleName": "RunsAsRoot",
                    "description": "The app should not run as root",
                    "url": "docs/queries.md#lint-rules",
                    "detail": "the app runs as root (hint: remove `user` to run as `nonroot` (uid 65532), or name an unprivileged uid)",
                    "location": loc(&[(4, 6, 10)]),
                }],
                "sources": [{"filename": "shallot.yaml", "data": encoded(src), "language": "YAML"}],
            })
        );
        assert_eq!(metadata["result.statuscode"], b"1");
        assert!(text.contains("   4 | user: root\n"), "{text}");
    }

    #[test]
    fn lint_of_a_careful_spec_is_status_0() {
        let src = "runtime: node\nentrypoint: server.js\nport: 8080\nimages:\n  builder: node:24@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  runtime: distroless@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n";
        let (json, text, metadata) = ask(Query::Lint, src, &[]);
        assert_eq!(json["warnings"], json!([]));
        assert_eq!(metadata["result.statuscode"], b"0");
        assert_eq!(text, "no warnings\n");
    }

    #[test]
    fn lint_of_an_invalid_spec_is_a_build_error() {
        let src = "runtime: node\nport: 70000\n";
        let diagnostics = crate::spec::parse(src, &runtimes::names())
            .map(|_| ())
            .unwrap_err();
        let failure = Failure::Spec {
            diagnostics,
            file: file(src),
        };
        let (json, _, metadata) =
            split(on_failure(Some(Query::Lint), failure).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(
            json["buildError"],
            json!({
                "message": "shallot.yaml:2:7: port must be between 1 and 65535, got 70000 (hint: use the port your app listens on, e.g. 8080)",
                "location": loc(&[(2, 6, 11)]),
            })
        );
        assert_eq!(json["warnings"], json!([]));
        assert_eq!(metadata["result.statuscode"], b"1");
        // Other queries fail as a build would.
        let failure = Failure::Internal("x".to_string());
        assert!(on_failure(Some(Query::Lint), failure).is_err());
    }

    #[test]
    fn tables_align() {
        let rows = vec![row(["A", "LONGER"]), row(["LONGEST", "x"])];
        assert_eq!(table(&rows), "A        LONGER\nLONGEST  x\n");
    }
}
