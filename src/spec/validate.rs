//! Checks the YAML tree key by key and builds a [`Spec`], collecting every problem.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::node::Node;
use super::source::Source;
use crate::formats::image_ref;

use super::{Diagnostic, Diagnostics, Images, Located, Secret, Span, Spec, User};

/// Top-level keys, in the order hints list them.
const KEYS: &[&str] = &[
    "runtime",
    "entrypoint",
    "port",
    "args",
    "env",
    "build",
    "debug",
    "labels",
    "workdir",
    "user",
    "images",
    "packages",
    "cgo",
    "jvm_options",
    "secrets",
    "ssh",
    "include",
    "exclude",
    "files",
];
/// Keys of a `secrets` entry.
const SECRET_KEYS: &[&str] = &["id", "target", "required"];
/// Keys of `images`.
const IMAGE_KEYS: &[&str] = &["builder", "runtime"];
/// Keys only one runtime reads, and that runtime.
const RUNTIME_KEYS: &[(&str, &str)] = &[("cgo", "go"), ("jvm_options", "java")];
/// Where a secret without a `target` is mounted (the plan mounts it there too).
const SECRETS_DIR: &str = "/run/secrets";
/// The default `workdir`.
const DEFAULT_WORKDIR: &str = "/app";
/// User-provided text longer than this is cut in messages.
const MAX_SHOWN_CHARS: usize = 60;
const USER_HINT: &str =
    "expected `nonroot`, `root`, a uid like `1000`, or `uid:gid` like `1000:1000`";
const ENV_NAME_HINT: &str = "env names must match [A-Za-z_][A-Za-z0-9_]*";

/// A mapping entry with a string key: key, key span, value.
type Entry<'n> = (String, Span, &'n Spanned<Node>);
/// Checks a map key (env name, label key); `Err` holds the message and an optional hint.
type KeyCheck = fn(&str) -> Result<(), (String, Option<String>)>;

/// Validates the document `root` into a [`Spec`].
pub(super) fn spec(
    root: Spanned<Node>,
    src: &Source<'_>,
    known_runtimes: &[&str],
) -> Result<Spec, Diagnostics> {
    let mut cx = Cx {
        src,
        known_runtimes,
        diags: Vec::new(),
    };
    let spec = cx.spec(&root);
    let mut diags = cx.diags;
    match spec {
        Some(spec) if diags.is_empty() => Ok(spec),
        _ => {
            if diags.is_empty() {
                // Unreachable by construction; keep the "never empty" promise regardless.
                diags.push(Diagnostic {
                    span: src.whole(),
                    message: "invalid spec".to_owned(),
                    hint: None,
                });
            }
            diags.sort_by_key(|d| (d.span.line, d.span.col));
            Err(Diagnostics(diags))
        }
    }
}

struct Cx<'s, 'a> {
    src: &'s Source<'a>,
    known_runtimes: &'s [&'s str],
    diags: Vec<Diagnostic>,
}

impl Cx<'_, '_> {
    fn error(&mut self, span: Span, message: String, hint: Option<String>) {
        self.diags.push(Diagnostic {
            span,
            message,
            hint,
        });
    }

    fn span(&self, node: &Spanned<Node>) -> Span {
        self.src.span_of(&node.referenced)
    }

    /// The text of a scalar: a string as parsed, anything else as written (`1.50` stays
    /// `1.50`). `None` for null, lists and mappings.
    fn text(&self, node: &Spanned<Node>) -> Option<String> {
        let written = || {
            self.src
                .slice(&node.defined)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        match &node.value {
            Node::Str(s) => Some(s.clone()),
            Node::Int(n) => Some(written().map_or_else(|| n.to_string(), str::to_owned)),
            Node::Bool(b) => Some(written().map_or_else(|| b.to_string(), str::to_owned)),
            Node::Num => Some(written().unwrap_or("number").to_owned()),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }

    /// Describes what was found, for "…, got X" messages.
    fn got(&self, node: &Spanned<Node>) -> String {
        match self.text(node) {
            Some(text) => format!("{} `{}`", node.value.kind(), show(&text)),
            None => node.value.kind().to_owned(),
        }
    }

    /// A scalar as text, or an error naming `what` and the expected type.
    fn string(&mut self, node: &Spanned<Node>, what: &str) -> Option<Located<String>> {
        let span = self.span(node);
        match self.text(node) {
            Some(value) => Some(Located { value, span }),
            None => {
                let got = self.got(node);
                self.error(span, format!("{what} must be a string, got {got}"), None);
                None
            }
        }
    }

    /// The entries of a mapping with string keys; reports other keys and duplicates.
    /// `within` names the mapping in messages (`None` at the top level).
    fn entries<'n>(
        &mut self,
        entries: &'n [(Spanned<Node>, Spanned<Node>)],
        within: Option<&str>,
    ) -> Vec<Entry<'n>> {
        let suffix = within.map_or(String::new(), |w| format!(" in `{w}`"));
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut out = Vec::new();
        for (key, value) in entries {
            let span = self.span(key);
            let Some(name) = self.text(key) else {
                let got = self.got(key);
                self.error(
                    span,
                    format!("keys must be strings, got {got}{suffix}"),
                    None,
                );
                continue;
            };
            if let Some(first) = seen.get(&name) {
                let hint = format!("first defined at line {}", first.line);
                let message = format!("duplicate key `{}`{suffix}", show(&name));
                self.error(span, message, Some(hint));
                continue;
            }
            seen.insert(name.clone(), span);
            out.push((name, span, value));
        }
        out
    }

    fn unknown_key(&mut self, name: &str, span: Span, valid: &[&str], within: Option<&str>) {
        let suffix = within.map_or(String::new(), |w| format!(" in `{w}`"));
        let hint = match closest(name, valid) {
            Some(known) => format!("did you mean `{known}`?"),
            None => format!("valid keys are: {}", valid.join(", ")),
        };
        self.error(
            span,
            format!("unknown key `{}`{suffix}", show(name)),
            Some(hint),
        );
    }

    fn expected_runtimes(&self) -> String {
        if self.known_runtimes.is_empty() {
            "no runtimes are available".to_owned()
        } else {
            format!("expected one of: {}", self.known_runtimes.join(", "))
        }
    }

    fn spec(&mut self, root: &Spanned<Node>) -> Option<Spec> {
        let entries = self.top_level(root)?;
        let mut spec = defaults(self.src.whole());
        let mut runtime = None;
        let mut written = Vec::new();
        for (key, key_span, value) in self.entries(entries, None) {
            if key == "runtime" {
                runtime = self.runtime(value);
            } else {
                self.optional_key(&mut spec, &key, key_span, value);
                written.push((key, key_span));
            }
        }
        if let Some((name, _)) = &runtime {
            self.foreign_keys(&name.value, &written);
        }
        let Some((runtime, runtime_version)) = runtime else {
            // An invalid `runtime` has been reported already; only a missing one is left.
            if !has_key(entries, "runtime") {
                let hint = format!("add `runtime: <name>`; {}", self.expected_runtimes());
                self.error(
                    spec.whole,
                    "missing required key `runtime`".to_owned(),
                    Some(hint),
                );
            }
            return None;
        };
        Some(Spec {
            runtime,
            runtime_version,
            ..spec
        })
    }

    /// Keys that belong to another runtime than `runtime`: they would be ignored silently.
    fn foreign_keys(&mut self, runtime: &str, written: &[(String, Span)]) {
        for (key, span) in written {
            let owner = RUNTIME_KEYS.iter().find(|(k, _)| k == key);
            if let Some((key, owner)) = owner.filter(|(_, owner)| *owner != runtime) {
                let message = format!("`{key}` is a {owner} key; runtime `{runtime}` has no {key}");
                self.error(*span, message, Some("remove it".to_owned()));
            }
        }
    }

    /// The document's top-level entries: none for an empty document, an error for anything
    /// but a mapping.
    fn top_level<'n>(
        &mut self,
        root: &'n Spanned<Node>,
    ) -> Option<&'n [(Spanned<Node>, Spanned<Node>)]> {
        match &root.value {
            Node::Map(entries) => Some(entries.as_slice()),
            Node::Null => Some(&[]),
            _ => {
                let span = self.span(root);
                let got = self.got(root);
                self.error(
                    span,
                    format!("a spec must be a mapping of keys to values, got {got}"),
                    Some("start with a line like `runtime: node`".to_owned()),
                );
                None
            }
        }
    }

    /// Checks one top-level key other than `runtime` into `spec`; an invalid value leaves the
    /// default in place.
    fn optional_key(&mut self, spec: &mut Spec, key: &str, key_span: Span, value: &Spanned<Node>) {
        match key {
            "entrypoint" => spec.entrypoint = self.non_empty(value, "entrypoint"),
            "port" => spec.port = self.port(value),
            "args" => spec.args = self.strings(value, "args"),
            "env" => spec.env = self.env(value),
            "build" => {
                spec.build = self.strings(value, "build");
                spec.build_written = true;
            }
            "debug" => keep_default(&mut spec.debug, self.boolean(value, "debug")),
            "cgo" => keep_default(&mut spec.cgo, self.boolean(value, "cgo")),
            "jvm_options" => spec.jvm_options = self.non_empty(value, "jvm_options"),
            "secrets" => spec.secrets = self.secrets(value),
            "ssh" => spec.ssh = self.ssh(value),
            "include" => spec.include = self.patterns(value, "include"),
            "exclude" => spec.exclude = self.patterns(value, "exclude"),
            "files" => spec.files = self.files(value),
            "labels" => spec.labels = self.labels(value),
            "workdir" => keep_default(&mut spec.workdir, self.workdir(value)),
            "user" => keep_default(&mut spec.user, self.user(value)),
            "images" => spec.images = self.images(value),
            "packages" => spec.packages = self.packages(value),
            _ => self.unknown_key(key, key_span, KEYS, None),
        }
    }

    /// `runtime: name` or `runtime: name@version`.
    fn runtime(
        &mut self,
        node: &Spanned<Node>,
    ) -> Option<(Located<String>, Option<Located<String>>)> {
        let Located { value: text, span } = self.string(node, "runtime")?;
        let (name, version) = match text.split_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (text.as_str(), None),
        };
        let name_len = name.chars().count();
        let name_span = self.sub_span(node, &text, 0, name_len);
        let mut ok = true;
        if name.is_empty() {
            let message = if version.is_some() {
                format!("runtime `{}` has no name before `@`", show(&text))
            } else {
                "runtime must not be empty".to_owned()
            };
            self.error(span, message, Some(self.expected_runtimes()));
            ok = false;
        } else if !self.known_runtimes.contains(&name) {
            let message = format!("unknown runtime `{}`", show(name));
            self.error(name_span, message, Some(self.expected_runtimes()));
            ok = false;
        }
        let version = match version {
            None => None,
            Some("") => {
                self.error(
                    span,
                    format!("runtime `{}` has an empty version", show(&text)),
                    Some(format!(
                        "write a version after `@`, e.g. `{name}@22`, or drop the `@`"
                    )),
                );
                ok = false;
                None
            }
            Some(version) => {
                let version_span =
                    self.sub_span(node, &text, name_len + 1, version.chars().count());
                let valid = version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                if !valid {
                    self.error(
                        version_span,
                        format!("invalid runtime version `{}`", show(version)),
                        Some("a version may contain only letters, digits, `.` and `-`".to_owned()),
                    );
                    ok = false;
                }
                Some(Located {
                    value: version.to_owned(),
                    span: version_span,
                })
            }
        };
        ok.then(|| {
            let name = Located {
                value: name.to_owned(),
                span: name_span,
            };
            (name, version)
        })
    }

    /// The span of characters `from..from + len` of the scalar `text` written at `node`,
    /// if it is written on one line without escapes; else the whole node's span.
    fn sub_span(&self, node: &Spanned<Node>, text: &str, from: usize, len: usize) -> Span {
        let whole = self.span(node);
        let Some(written) = self.src.slice(&node.referenced) else {
            return whole;
        };
        let quote = usize::from(written.starts_with(['"', '\'']));
        let exact = written
            .get(quote..)
            .is_some_and(|rest| rest.starts_with(text) && !text.contains('\n'));
        let (Ok(start), Ok(len)) = (u32::try_from(quote + from), u32::try_from(len)) else {
            return whole;
        };
        if !exact || whole.line != whole.end_line {
            return whole;
        }
        let col = whole.col.saturating_add(start);
        Span {
            line: whole.line,
            col,
            end_line: whole.line,
            end_col: col.saturating_add(len),
        }
    }

    fn non_empty(&mut self, node: &Spanned<Node>, what: &str) -> Option<Located<String>> {
        let value = self.string(node, what)?;
        if value.value.trim().is_empty() {
            self.error(value.span, format!("{what} must not be empty"), None);
            return None;
        }
        Some(value)
    }

    fn port(&mut self, node: &Spanned<Node>) -> Option<Located<u16>> {
        let span = self.span(node);
        let range_hint = Some("use the port your app listens on, e.g. 8080".to_owned());
        match &node.value {
            Node::Int(n) => match u16::try_from(*n) {
                Ok(port) if port > 0 => Some(Located { value: port, span }),
                _ => {
                    let text = self.text(node).unwrap_or_default();
                    let message = format!("port must be between 1 and 65535, got {}", show(&text));
                    self.error(span, message, range_hint);
                    None
                }
            },
            other => {
                let quoted = matches!(other, Node::Str(s) if s.trim().parse::<u16>().is_ok());
                let hint = if quoted {
                    Some("remove the quotes".to_owned())
                } else {
                    range_hint
                };
                let got = self.got(node);
                let message = format!("port must be an integer between 1 and 65535, got {got}");
                self.error(span, message, hint);
                None
            }
        }
    }

    /// A list of scalars (`args`, `build`).
    fn strings(&mut self, node: &Spanned<Node>, what: &str) -> Vec<Located<String>> {
        let Node::Seq(items) = &node.value else {
            let span = self.span(node);
            let got = self.got(node);
            let hint = match &node.value {
                Node::Null => format!("write `{what}: []` for none"),
                _ => format!("write one `- item` per line under `{what}:`, or `{what}: [a, b]`"),
            };
            let message = format!("{what} must be a list of strings, got {got}");
            self.error(span, message, Some(hint));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let label = format!("{what}[{i}]");
            let value = if what == "build" || what == "ssh" {
                self.non_empty(item, &label)
            } else {
                self.string(item, &label)
            };
            out.extend(value);
        }
        out
    }

    /// A list of context path patterns (`include`, `exclude`), each one BuildKit can compile.
    fn patterns(&mut self, node: &Spanned<Node>, what: &str) -> Vec<Located<String>> {
        let patterns = self.strings(node, what);
        for (i, pattern) in patterns.iter().enumerate() {
            if let Some(problem) = pattern_problem(&pattern.value) {
                let message = format!("{what}[{i}] `{}` {problem}", show(&pattern.value));
                let hint = "write `\\[` for a literal `[`, `\\\\` for a literal `\\`".to_owned();
                self.error(pattern.span, message, Some(hint));
            }
        }
        patterns
    }

    /// A mapping of names to scalars (`env`, `labels`).
    fn string_map(
        &mut self,
        node: &Spanned<Node>,
        what: &str,
        key_ok: KeyCheck,
    ) -> BTreeMap<String, Located<String>> {
        let mut out = BTreeMap::new();
        let entries = match &node.value {
            Node::Map(entries) => entries,
            _ => {
                let span = self.span(node);
                let got = self.got(node);
                let message = format!("{what} must be a mapping of names to values, got {got}");
                self.error(
                    span,
                    message,
                    Some(format!("write `{what}: {{NAME: value}}`")),
                );
                return out;
            }
        };
        for (name, key_span, value) in self.entries(entries, Some(what)) {
            let mut ok = true;
            if let Err((message, hint)) = key_ok(&name) {
                self.error(key_span, message, hint);
                ok = false;
            }
            let span = self.span(value);
            let text = self.text(value);
            match text {
                Some(text) if ok => {
                    out.insert(name, Located { value: text, span });
                }
                Some(_) => {}
                None => {
                    let got = self.got(value);
                    let hint = matches!(value.value, Node::Null)
                        .then(|| format!("write `{}: \"\"` for an empty value", show(&name)));
                    let message = format!("{what} `{}` must be a string, got {got}", show(&name));
                    self.error(span, message, hint);
                }
            }
        }
        out
    }

    fn env(&mut self, node: &Spanned<Node>) -> BTreeMap<String, Located<String>> {
        self.string_map(node, "env", |name| {
            if name.is_empty() {
                Err(("env names must not be empty".to_owned(), None))
            } else if is_env_name(name) {
                Ok(())
            } else {
                let message = format!("invalid env name `{}`", show(name));
                Err((message, Some(ENV_NAME_HINT.to_owned())))
            }
        })
    }

    fn labels(&mut self, node: &Spanned<Node>) -> BTreeMap<String, Located<String>> {
        self.string_map(node, "labels", |name| {
            if name.trim().is_empty() {
                Err(("label keys must not be empty".to_owned(), None))
            } else {
                Ok(())
            }
        })
    }

    fn boolean(&mut self, node: &Spanned<Node>, key: &str) -> Option<Located<bool>> {
        let span = self.span(node);
        if let Node::Bool(value) = node.value {
            return Some(Located { value, span });
        }
        let got = self.got(node);
        self.error(
            span,
            format!("{key} must be true or false, got {got}"),
            None,
        );
        None
    }

    fn workdir(&mut self, node: &Spanned<Node>) -> Option<Located<String>> {
        let value = self.string(node, "workdir")?;
        if !value.value.starts_with('/') {
            let message = format!(
                "workdir must be an absolute path, got `{}`",
                show(&value.value)
            );
            let hint = Some("start it with `/`, e.g. `/app`".to_owned());
            self.error(value.span, message, hint);
            return None;
        }
        self.plain_path(value, "workdir")
    }

    /// `value` when it is an absolute path without control characters or `..`; else an error.
    /// A line break or NUL would end the path early in the image config or forge lines in
    /// messages; `..` would leave the directory the path names.
    fn plain_path(&mut self, value: Located<String>, what: &str) -> Option<Located<String>> {
        let problem = if value.value.chars().any(char::is_control) {
            "must not contain control characters or line breaks"
        } else if value.value.split('/').any(|part| part == "..") {
            "must not contain a `..` component"
        } else {
            return Some(value);
        };
        let message = format!("{what} {problem}, got `{}`", show(&value.value));
        let hint = "write a plain absolute path, e.g. `/app`".to_owned();
        self.error(value.span, message, Some(hint));
        None
    }

    fn user(&mut self, node: &Spanned<Node>) -> Option<Located<User>> {
        let span = self.span(node);
        let parsed = match &node.value {
            Node::Int(n) => u32::try_from(*n).ok().map(|uid| User::Id { uid, gid: uid }),
            Node::Str(s) => parse_user(s),
            _ => None,
        };
        if parsed.is_none() {
            let message = match (&node.value, self.text(node)) {
                (Node::Str(_) | Node::Int(_), Some(text)) if ids_too_large(&text) => {
                    format!(
                        "invalid user `{}`: a uid or gid is at most {}",
                        show(&text),
                        u32::MAX
                    )
                }
                (Node::Str(_) | Node::Int(_), Some(text)) => {
                    format!("invalid user `{}`", show(&text))
                }
                _ => format!("user must be a name or a uid, got {}", self.got(node)),
            };
            self.error(span, message, Some(USER_HINT.to_owned()));
        }
        parsed.map(|value| Located { value, span })
    }

    fn images(&mut self, node: &Spanned<Node>) -> Images {
        let mut images = Images::default();
        let Node::Map(entries) = &node.value else {
            let span = self.span(node);
            let got = self.got(node);
            let message = format!("images must be a mapping, got {got}");
            let hint = "write `images: {builder: <ref>, runtime: <ref>}`".to_owned();
            self.error(span, message, Some(hint));
            return images;
        };
        for (key, key_span, value) in self.entries(entries, Some("images")) {
            let slot = match key.as_str() {
                "builder" => &mut images.builder,
                "runtime" => &mut images.runtime,
                _ => {
                    self.unknown_key(&key, key_span, IMAGE_KEYS, Some("images"));
                    continue;
                }
            };
            *slot = self.image_ref(value, &format!("images.{key}"));
        }
        images
    }

    /// `secrets`: a list of ids, or of `{id, target, required}` mappings.
    fn secrets(&mut self, node: &Spanned<Node>) -> Vec<Secret> {
        let Node::Seq(items) = &node.value else {
            let span = self.span(node);
            let got = self.got(node);
            let hint =
                "write `secrets: [npm_token]` and build with `--secret id=npm_token,src=FILE`";
            self.error(
                span,
                format!("secrets must be a list, got {got}"),
                Some(hint.to_owned()),
            );
            return Vec::new();
        };
        let mut secrets = Vec::new();
        for item in items {
            let secret = match &item.value {
                Node::Map(entries) => {
                    let mut id = None;
                    let mut target = None;
                    let mut required = true;
                    for (key, key_span, value) in self.entries(entries, Some("secrets")) {
                        match key.as_str() {
                            "id" => id = self.secret_id(value),
                            "target" => target = self.absolute(value, "secrets.target"),
                            "required" => {
                                required = self
                                    .boolean(value, "secrets.required")
                                    .is_none_or(|b| b.value);
                            }
                            _ => self.unknown_key(&key, key_span, SECRET_KEYS, Some("secrets")),
                        }
                    }
                    if id.is_none() && !has_key(entries, "id") {
                        self.error(self.span(item), "a secret needs an `id`".to_owned(), None);
                    }
                    id.map(|id| Secret {
                        id,
                        target,
                        required,
                    })
                }
                _ => self.secret_id(item).map(|id| Secret {
                    id,
                    target: None,
                    required: true,
                }),
            };
            secrets.extend(secret);
        }
        self.duplicate_secrets(&secrets);
        secrets
    }

    fn secret_id(&mut self, node: &Spanned<Node>) -> Option<Located<String>> {
        let id = self.non_empty(node, "secret id")?;
        let valid = id
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            let message = format!("invalid secret id `{}`", show(&id.value));
            let hint = "an id may contain only letters, digits, `_`, `-` and `.`".to_owned();
            self.error(id.span, message, Some(hint));
            return None;
        }
        if id.value == "." || id.value == ".." {
            let message = format!("invalid secret id `{}`", id.value);
            let hint = format!(
                "an id names a file in `{SECRETS_DIR}`, so it must not be `.` or `..`; write a name like `npm_token`"
            );
            self.error(id.span, message, Some(hint));
            return None;
        }
        Some(id)
    }

    /// Reports secrets that share an id or a mount target (the default target included).
    fn duplicate_secrets(&mut self, secrets: &[Secret]) {
        let mut ids: BTreeMap<&str, Span> = BTreeMap::new();
        let mut targets: BTreeMap<String, Span> = BTreeMap::new();
        for secret in secrets {
            let id = &secret.id;
            if let Some(first) = ids.get(id.value.as_str()) {
                let message = format!("duplicate secret id `{}`", show(&id.value));
                let hint = format!("first defined at line {}", first.line);
                self.error(id.span, message, Some(hint));
                continue;
            }
            ids.insert(&id.value, id.span);
            let (target, span) = match &secret.target {
                Some(t) => (t.value.trim_end_matches('/').to_owned(), t.span),
                None => (format!("{SECRETS_DIR}/{}", id.value), id.span),
            };
            if let Some(first) = targets.get(&target) {
                let message = format!("duplicate secret target `{}`", show(&target));
                let hint = format!(
                    "line {} mounts a secret there already; give each secret its own `target`",
                    first.line
                );
                self.error(span, message, Some(hint));
                continue;
            }
            targets.insert(target, span);
        }
    }

    /// `packages`: Debian package names, each with an optional `=version`, once each.
    fn packages(&mut self, node: &Spanned<Node>) -> Vec<Located<String>> {
        let mut out: Vec<Located<String>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, item) in self.strings(node, "packages").into_iter().enumerate() {
            let written = item.value.trim();
            let (name, version) = written.split_once('=').unwrap_or((written, ""));
            if !is_debian_package(name) || (written.contains('=') && !is_debian_version(version)) {
                let message = format!(
                    "packages[{i}] `{}` is not a Debian package name",
                    show(written)
                );
                let hint = "write names as apt takes them, e.g. `libpq-dev` or `libpq-dev=15.8-0+deb12u1`: lowercase letters, digits, `+`, `-` and `.`".to_owned();
                self.error(item.span, message, Some(hint));
                continue;
            }
            if !seen.insert(name.to_owned()) {
                let message = format!("packages lists `{}` twice", show(name));
                self.error(
                    item.span,
                    message,
                    Some("list each package once".to_owned()),
                );
                continue;
            }
            out.push(Located {
                value: written.to_owned(),
                span: item.span,
            });
        }
        out
    }

    /// `ssh: true` (the default agent) or a list of agent ids.
    fn ssh(&mut self, node: &Spanned<Node>) -> Vec<Located<String>> {
        let span = self.span(node);
        match &node.value {
            Node::Bool(true) => vec![Located {
                value: "default".to_owned(),
                span,
            }],
            Node::Bool(false) => Vec::new(),
            Node::Seq(_) => self.strings(node, "ssh"),
            _ => {
                let got = self.got(node);
                let hint = "write `ssh: true` and build with `--ssh default`".to_owned();
                self.error(
                    span,
                    format!("ssh must be true, false or a list of agent ids, got {got}"),
                    Some(hint),
                );
                Vec::new()
            }
        }
    }

    fn absolute(&mut self, node: &Spanned<Node>, what: &str) -> Option<Located<String>> {
        let value = self.string(node, what)?;
        if !value.value.starts_with('/') {
            let message = format!(
                "{what} must be an absolute path, got `{}`",
                show(&value.value)
            );
            self.error(value.span, message, None);
            return None;
        }
        self.plain_path(value, what)
    }

    /// `files`: paths relative to the context root (or to the builder's workdir, for what the
    /// build makes) that stay inside it, normalized (`./templates/` is `templates`).
    fn files(&mut self, node: &Spanned<Node>) -> Vec<Located<String>> {
        let mut out = Vec::new();
        for item in self.strings(node, "files") {
            let written = item.value.trim();
            let problem = if written.starts_with('/') {
                Some("is absolute")
            } else if written.split('/').any(|part| part == "..") {
                Some("leaves the app's directory with `..`")
            } else if written.contains(['*', '?', '[', '\\']) {
                Some("is a pattern, not a path")
            } else if relative_path(written).is_empty() {
                Some("names the whole app directory")
            } else {
                None
            };
            if let Some(problem) = problem {
                let message = format!("files entry `{}` {problem}", show(written));
                let hint = "name a file or directory relative to the build context, e.g. `templates` or `static/style.css`".to_owned();
                self.error(item.span, message, Some(hint));
                continue;
            }
            out.push(Located {
                value: relative_path(written),
                span: item.span,
            });
        }
        out
    }

    fn image_ref(&mut self, node: &Spanned<Node>, what: &str) -> Option<Located<String>> {
        let value = self.string(node, what)?;
        if value.value.is_empty() {
            self.error(value.span, format!("{what} must not be empty"), None);
            return None;
        }
        if value.value.chars().any(char::is_whitespace) {
            let message = format!(
                "{what} must not contain whitespace, got `{}`",
                show(&value.value)
            );
            let hint = "write an image reference like `node:22-trixie-slim`".to_owned();
            self.error(value.span, message, Some(hint));
            return None;
        }
        if let Err(e) = image_ref::parse(&value.value) {
            let message = format!(
                "{what} `{}` is not an image reference: {e}",
                show(&value.value)
            );
            self.error(value.span, message, Some(e.hint(&value.value)));
            return None;
        }
        Some(value)
    }
}

/// A spec with every key at its default. `runtime` has none: [`Cx::spec`] replaces it, and
/// returns no spec without one.
fn defaults(whole: Span) -> Spec {
    Spec {
        runtime: Located {
            value: String::new(),
            span: whole,
        },
        runtime_version: None,
        entrypoint: None,
        port: None,
        args: Vec::new(),
        env: BTreeMap::new(),
        build: Vec::new(),
        build_written: false,
        debug: unwritten(false),
        labels: BTreeMap::new(),
        workdir: unwritten(DEFAULT_WORKDIR.to_owned()),
        user: unwritten(User::Nonroot),
        images: Images::default(),
        cgo: unwritten(false),
        jvm_options: None,
        secrets: Vec::new(),
        ssh: Vec::new(),
        packages: Vec::new(),
        include: Vec::new(),
        exclude: Vec::new(),
        files: Vec::new(),
        whole,
    }
}

/// `path` without `.` parts, repeated or trailing slashes: `./static//css/` is `static/css`.
fn relative_path(path: &str) -> String {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// A default value, which the spec did not write.
fn unwritten<T>(value: T) -> Located<T> {
    Located {
        value,
        span: Span::default(),
    }
}

/// Replaces `slot` with `checked` when the value was valid; else the default stays.
fn keep_default<T>(slot: &mut Located<T>, checked: Option<Located<T>>) {
    if let Some(checked) = checked {
        *slot = checked;
    }
}

/// Whether a mapping has the string key `name`, valid or not.
fn has_key(entries: &[(Spanned<Node>, Spanned<Node>)], name: &str) -> bool {
    entries
        .iter()
        .any(|(k, _)| matches!(&k.value, Node::Str(s) if s == name))
}

/// `nonroot`, `root`, `1000` or `1000:1000`.
fn parse_user(s: &str) -> Option<User> {
    fn id(s: &str) -> Option<u32> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
    match s {
        "nonroot" => Some(User::Nonroot),
        "root" => Some(User::Root),
        _ => match s.split_once(':') {
            Some((uid, gid)) => Some(User::Id {
                uid: id(uid)?,
                gid: id(gid)?,
            }),
            None => id(s).map(|uid| User::Id { uid, gid: uid }),
        },
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The first of `candidates` within edit distance 2 of `name`, closest first.
fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if name.chars().count() > 64 {
        return None;
    }
    candidates
        .iter()
        .map(|c| (levenshtein(name, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(prev.len());
        cur.push(i + 1);
        for (cb, pair) in b.iter().zip(prev.windows(2)) {
            if let [diag, up] = *pair {
                let left = cur.last().copied().unwrap_or(usize::MAX - 1);
                cur.push((diag + usize::from(ca != *cb)).min(up + 1).min(left + 1));
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// User text for a message: control characters escaped, cut to a sane length.
pub(super) fn show(text: &str) -> String {
    let mut out = clean(text);
    if let Some((cut, _)) = out.char_indices().nth(MAX_SHOWN_CHARS) {
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

/// Escapes control characters so messages stay on one line and carry no terminal escapes.
pub(super) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Debian policy 5.6.1: at least two characters, lowercase letters, digits, `+`, `-` and `.`,
/// starting with a letter or digit.
fn is_debian_package(name: &str) -> bool {
    name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

/// Debian policy 5.6.12, loosely: an epoch, upstream version and revision use letters,
/// digits and `.+~:-`, and start with a digit.
fn is_debian_version(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
}

/// Whether `text` is `uid` or `uid:gid` in digits, one of them past 32 bits.
fn ids_too_large(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() <= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.iter().any(|p| p.parse::<u32>().is_err())
}

/// Why BuildKit's pattern matcher would refuse `pattern`, if it would: a `[` class without its
/// `]`, or a `\\` with nothing after it.
fn pattern_problem(pattern: &str) -> Option<&'static str> {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            // A `\\` takes the next character as it is (the guard consumes it); it needs one.
            '\\' if chars.next().is_none() => return Some("ends with a lone `\\`"),
            '[' => loop {
                match chars.next() {
                    Some(']') => break,
                    Some('\\') => {
                        chars.next();
                    }
                    Some(_) => {}
                    None => return Some("has a `[` without its `]`"),
                }
            },
            _ => {}
        }
    }
    None
}
