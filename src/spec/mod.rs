//! The app spec: `shallot.yaml` text → a typed, validated [`Spec`] where every value keeps the
//! [`Span`] it came from.
//!
//! ```yaml
//! # syntax=shallot:dev
//! runtime: node          # required; `node@22` also picks a version
//! entrypoint: server.js
//! port: 8080
//! ```
//!
//! Optional keys: `args`, `env`, `build`, `debug`, `labels`, `workdir`, `user` and `images`
//! (see [`Spec`] for their types and defaults).
//!
//! Why it is built this way:
//!
//! - **Every problem at once.** The YAML is first read into a loosely typed tree with a location
//!   on each key and value (serde-saphyr's `Spanned`), then checked key by key. A
//!   `deny_unknown_fields` struct would stop at the first typo or type mismatch; walking the tree
//!   reports all of them together. Only YAML syntax errors and resource-limit breaches stop early.
//! - **Precise locations.** Each [`Diagnostic`] carries the span of the offending key or value,
//!   so errors print rustc-style ([`Diagnostics::render`]) and the same spans can become BuildKit
//!   source-map ranges.
//! - **Hostile input is expected.** The spec comes from an untrusted build context: input over
//!   256 KiB is rejected before parsing, and the parser runs with a tight budget (one document,
//!   nesting depth 16, few nodes, anchors and aliases), so an alias bomb is a clean error.
//!   Booleans are strict (`yes`/`on` are strings, not `true`).
//! - **Scalars keep their text.** String-valued keys (`env`, `labels`, `args`, …) accept any
//!   scalar and keep its source text, so `DEBUG: true` is `"true"` and `RATIO: 1.50` is `"1.50"`.
//! - **Pure.** No I/O; the list of known runtimes is passed in. Checks that depend on one runtime
//!   (e.g. whether `entrypoint` is required) belong to the runtime recipes, not here.

mod node;
mod source;
#[cfg(test)]
mod tests;
mod validate;

pub use source::safe;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter, NonFiniteFloatPolicy};

use self::source::Source;

/// Largest accepted spec, in bytes; checked before parsing (and readers need read no more).
pub const MAX_SPEC_BYTES: usize = 256 * 1024;
/// Deepest accepted nesting of lists and mappings.
const MAX_DEPTH: usize = 16;
/// Most anchors, and most aliases, a spec may use.
const MAX_ALIASES: usize = 32;
/// Most YAML nodes (scalars, lists, mappings) a spec may contain.
const MAX_NODES: usize = 4096;
/// The file name [`Diagnostics`]' `Display` uses.
const DEFAULT_PATH: &str = "shallot.yaml";

/// A region of the spec text: 1-based lines and columns (columns count characters).
///
/// `end_line:end_col` is exclusive: the position just after the last character, so a
/// one-character value at `3:7` has `end_col` 8. An empty span has `end == start`.
/// `Span::default()` (all zeros) means "not written in the spec", e.g. a defaulted value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub struct Span {
    /// First line, 1-based.
    pub line: u32,
    /// First column, 1-based, in characters.
    pub col: u32,
    /// Line of the end position.
    pub end_line: u32,
    /// Column just past the last character.
    pub end_col: u32,
}

impl Span {
    /// An empty span at `line:col`.
    pub const fn point(line: u32, col: u32) -> Self {
        Span {
            line,
            col,
            end_line: line,
            end_col: col,
        }
    }
}

/// A value and where it was written in the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written; `Span::default()` if it is a default.
    pub span: Span,
}

/// The user the app runs as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum User {
    /// `nonroot`: uid and gid 65532, distroless' unprivileged user. The default.
    Nonroot,
    /// `root`: uid and gid 0.
    Root,
    /// A numeric `uid` or `uid:gid`; a bare uid means gid = uid.
    Id {
        /// User id.
        uid: u32,
        /// Group id.
        gid: u32,
    },
}

/// `images:` overrides for the runtime recipe's default image references.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct Images {
    /// `images.builder`: the image the build stage runs in. By default, the recipe's.
    pub builder: Option<Located<String>>,
    /// `images.runtime`: the base of the final image. By default, the recipe's.
    pub runtime: Option<Located<String>>,
}

/// A parsed and validated `shallot.yaml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spec {
    /// `runtime`: the runtime name only, e.g. `node` for `node@22`. Required.
    pub runtime: Located<String>,
    /// The part after `@` in `runtime`, e.g. `22` for `node@22`. By default, none.
    pub runtime_version: Option<Located<String>>,
    /// `entrypoint`: the file or command to run. By default, none (the recipe decides).
    pub entrypoint: Option<Located<String>>,
    /// `port`: the port the app listens on, 1..=65535. By default, none.
    pub port: Option<Located<u16>>,
    /// `args`: extra arguments for the entrypoint. By default, empty.
    pub args: Vec<Located<String>>,
    /// `env`: environment variables of the final image. By default, empty.
    pub env: BTreeMap<String, Located<String>>,
    /// `build`: shell commands run in the build stage, in order. By default, empty.
    pub build: Vec<Located<String>>,
    /// Whether the spec writes `build` at all: `build: []` says "build nothing", where a spec
    /// without `build` lets the recipe run the app's own build (node's `scripts.build`).
    pub build_written: bool,
    /// `debug`: use the runtime image's debug variant (with a shell). By default, `false`.
    pub debug: Located<bool>,
    /// `labels`: image labels. By default, empty.
    pub labels: BTreeMap<String, Located<String>>,
    /// `workdir`: the absolute path the app lives in. By default, `/app`.
    pub workdir: Located<String>,
    /// `user`: who the app runs as. By default, [`User::Nonroot`].
    pub user: Located<User>,
    /// `images`: image overrides. By default, none.
    pub images: Images,
    /// `cgo`: build Go code with cgo (and run it on a glibc image). By default, `false`.
    pub cgo: Located<bool>,
    /// `jvm_options`: JVM flags, passed as `JAVA_TOOL_OPTIONS`. By default, none.
    pub jvm_options: Option<Located<String>>,
    /// `secrets`: build secrets mounted into the dependency steps only. By default, none.
    pub secrets: Vec<Secret>,
    /// `ssh`: SSH agent sockets forwarded into the dependency steps (`true` = `default`).
    /// By default, none.
    pub ssh: Vec<Located<String>>,
    /// `packages`: Debian packages the build needs (`libpq-dev`), installed with apt in the
    /// builder before anything else; the libraries the app then links follow it into the
    /// runtime image. By default, none.
    pub packages: Vec<Located<String>>,
    /// `include`: only these context paths are sent (patterns). By default, everything.
    pub include: Vec<Located<String>>,
    /// `exclude`: these context paths are not sent, on top of `.dockerignore`. By default, none.
    pub exclude: Vec<Located<String>>,
    /// `files`: files and directories the app reads at run time (templates, static assets),
    /// copied next to a compiled binary in the workdir, keeping their relative paths. Paths are
    /// relative and normalized (`./templates/` is `templates`). By default, none.
    pub files: Vec<Located<String>>,
    /// The whole document (line 1 to the last line), for errors about missing keys.
    pub whole: Span,
}

/// A build secret (`--secret id=ID,src=FILE`) that the dependency steps may read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Secret {
    /// The id the build passes it under.
    pub id: Located<String>,
    /// Where it is mounted; by default `/run/secrets/<id>`.
    pub target: Option<Located<String>>,
    /// Fail the build when it is not passed. By default, `true`.
    pub required: bool,
}

/// One problem in a spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Where the problem is; the best span available.
    pub span: Span,
    /// What is wrong: lowercase, no trailing period.
    pub message: String,
    /// How to fix it, if there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem at `span`.
    pub fn new(span: Span, message: String, hint: Option<String>) -> Diagnostic {
        Diagnostic {
            span,
            message,
            hint,
        }
    }
}

/// Every problem found; never empty.
///
/// `Display` is the [short form](Diagnostics::short) with the path `shallot.yaml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", short_form(.0, DEFAULT_PATH))]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Short form, one line per problem:
    /// `shallot.yaml:3:7: port must be between 1 and 65535, got 70000 (hint: …)`.
    pub fn short(&self, path: &str) -> String {
        short_form(&self.0, path)
    }

    /// rustc-style, plain ASCII, no colours, one block per problem separated by a blank line:
    ///
    /// ```text
    /// error: port must be between 1 and 65535, got 70000
    ///  --> shallot.yaml:3:7
    ///   |
    /// 3 | port: 70000
    ///   |       ^^^^^ use the port your app listens on, e.g. 8080
    /// ```
    ///
    /// `src` must be the text given to [`parse`]; long lines are cropped around the caret.
    pub fn render(&self, src: &str, path: &str) -> String {
        let src = Source::new(src);
        self.0
            .iter()
            .map(|d| source::render_one(d, &src, path))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn short_form(diagnostics: &[Diagnostic], path: &str) -> String {
    diagnostics
        .iter()
        .map(|d| source::short_line(d, path))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The spec's bytes as text, or a located error when they are not UTF-8 text.
///
/// Used wherever the bytes become text (the CLI and the gateway), so a UTF-16 spec or a binary
/// file gets the same answer everywhere. More than [`MAX_SPEC_BYTES`] bytes is an error, so a
/// reader may stop after one byte over the limit.
pub fn decode(bytes: &[u8]) -> Result<String, Diagnostics> {
    let at = |span: Span, message: String, hint: &str| {
        Diagnostics(vec![Diagnostic::new(span, message, Some(hint.to_owned()))])
    };
    let save_as_utf8 = "save it as UTF-8";
    if bytes.len() > MAX_SPEC_BYTES {
        let hint = "a spec only names the runtime and how to start the app";
        let message = format!("spec is too large: the limit is {MAX_SPEC_BYTES} bytes");
        return Err(at(Span::point(1, 1), message, hint));
    }
    let bom = if bytes.starts_with(&[0xff, 0xfe, 0, 0]) || bytes.starts_with(&[0, 0, 0xfe, 0xff]) {
        Some("UTF-32")
    } else if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        Some("UTF-16")
    } else {
        None
    };
    if let Some(encoding) = bom {
        let message =
            format!("spec is {encoding} text (it starts with a {encoding} byte-order mark)");
        return Err(at(Span::point(1, 1), message, save_as_utf8));
    }
    let (good, bad) = match std::str::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            // NUL is valid UTF-8 but never in a text file; UTF-16 without a byte-order mark
            // is full of them.
            None => return Ok(text.to_owned()),
            Some(nul) => (text.get(..nul).unwrap_or(""), 0),
        },
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
            (std::str::from_utf8(good).unwrap_or(""), byte)
        }
    };
    let line = good.matches('\n').count() + 1;
    let col = good.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let span = Span::point(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    );
    let what = if bad == 0 {
        "NUL".to_owned()
    } else {
        format!("0x{bad:02x}")
    };
    let message = format!(
        "spec is not UTF-8 text: the first bad byte ({what}) is at line {line}, column {col}"
    );
    Err(at(span, message, save_as_utf8))
}

/// Parses and validates a spec.
///
/// `known_runtimes` lists the accepted `runtime` names (e.g. from `runtimes::ALL`); it is used
/// for the unknown-runtime check and for hints. All problems are returned together, sorted by
/// position, except that a YAML syntax error or a resource-limit breach ends parsing early.
pub fn parse(src: &str, known_runtimes: &[&str]) -> Result<Spec, Diagnostics> {
    if src.len() > MAX_SPEC_BYTES {
        return Err(Diagnostics(vec![Diagnostic {
            span: Span::point(1, 1),
            message: format!(
                "spec is too large: {} bytes, the limit is {MAX_SPEC_BYTES} bytes",
                src.len()
            ),
            hint: Some("a spec only names the runtime and how to start the app".to_owned()),
        }]));
    }
    let src = Source::new(src);
    let root = serde_saphyr::from_str_with_options(src.text(), options())
        .map_err(|err| Diagnostics(vec![yaml_error(&err, &src)]))?;
    validate::spec(root, &src, known_runtimes)
}

/// Parser options: strict and small, because specs come from untrusted build contexts.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_documents: 1,
            max_nodes: MAX_NODES,
            max_events: 4 * MAX_NODES,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_total_scalar_bytes: MAX_SPEC_BYTES,
            max_merge_keys: 16,
            max_inclusion_depth: 0,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_NODES,
            max_replay_stack_depth: MAX_DEPTH,
            max_alias_expansions_per_anchor: MAX_ALIASES,
        },
        // Duplicates reach the validator, which reports them with both locations.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        reject_unsupported_tags: true,
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    }
}

/// Maps an error from serde-saphyr (syntax, budget, tags) to a diagnostic at its location.
fn yaml_error(err: &serde_saphyr::Error, src: &Source<'_>) -> Diagnostic {
    use serde_saphyr::Error as E;

    let mut span = err
        .location()
        .map_or(Span::point(1, 1), |loc| src.span_of(&loc));
    let mut inner = err;
    while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = inner {
        inner = error;
    }
    let too_complex = format!(
        "keep the spec small and flat: at most {MAX_DEPTH} levels of nesting, {MAX_ALIASES} \
         anchors and {MAX_ALIASES} aliases"
    );
    let (message, hint) = match inner {
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Documents { .. } => (
                "a spec must be a single YAML document".to_owned(),
                Some("remove the `---` separator and everything after it".to_owned()),
            ),
            BudgetBreach::Depth { .. } => (
                format!("spec is nested more than {MAX_DEPTH} levels deep"),
                Some(too_complex),
            ),
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. } => (
                "spec uses too many YAML anchors or aliases".to_owned(),
                Some(too_complex),
            ),
            _ => (
                "spec is too large or too complex to parse safely".to_owned(),
                Some(too_complex),
            ),
        },
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => (
            "spec's YAML aliases expand to too much data".to_owned(),
            Some(too_complex),
        ),
        E::UnsupportedTag { tag, .. } => (
            format!("unsupported YAML tag `{}`", validate::show(tag)),
            Some("remove the tag; a spec uses plain YAML values".to_owned()),
        ),
        other => {
            let text = serde_saphyr::UserMessageFormatter.format_message(other);
            if text.contains("found a tab") {
                // The parser reports where the scalar before the tab starts; point at the tab.
                span = src.next_tab(span).unwrap_or(span);
                let hint = "indent with spaces; YAML does not allow tabs here".to_owned();
                (
                    format!("invalid YAML: {}", validate::clean(&text)),
                    Some(hint),
                )
            } else if text.contains("recursion limit exceeded") {
                (
                    format!("spec is nested more than {MAX_DEPTH} levels deep"),
                    Some(too_complex),
                )
            } else {
                let hint = syntax_hint(&text).map(str::to_owned);
                (format!("invalid YAML: {}", validate::clean(&text)), hint)
            }
        }
    };
    Diagnostic {
        span,
        message,
        hint,
    }
}

/// What usually fixes a YAML syntax error, by the parser's words for it.
fn syntax_hint(text: &str) -> Option<&'static str> {
    const HINTS: &[(&str, &str)] = &[
        (
            "mapping values are not allowed",
            "a `: ` inside a plain value starts a mapping: quote the value, or start each key of a mapping in the same column",
        ),
        (
            "tabs disallowed",
            "indent with spaces; YAML does not allow tabs here",
        ),
        ("unclosed quote", "close the quote that starts here"),
        ("unclosed bracket", "close the bracket that starts here"),
        (
            "reference to unknown value",
            "an alias `*name` needs an anchor `&name` written before it",
        ),
        (
            "simple key expected",
            "write a key on one line, at most 1024 characters long, followed by `:`",
        ),
        (
            "did not find expected key",
            "start each key of a mapping in the same column",
        ),
        (
            "did not find expected '-'",
            "start each item of a list with `- ` in the same column",
        ),
    ];
    HINTS
        .iter()
        .find(|(words, _)| text.contains(words))
        .map(|(_, hint)| *hint)
}
