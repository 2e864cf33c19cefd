//! What a recipe learned from the build context, and one way to read it: every recipe reads
//! its manifests through these readers, so an unreadable file is reported in the same words
//! whatever the runtime.

use crate::spec::{Diagnostic, Span};
use std::collections::{BTreeMap, BTreeSet};

/// Largest context file a recipe may read; manifests are far smaller. The context is asked for
/// one byte more, so that a larger file is known to be one ([`Facts::oversized`]).
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// What the recipe learned from the build context: the contents of the files it asked for
/// (those that exist) and the context's `.dockerignore`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Contents of probed files that exist, by path relative to the context root.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The context's `.dockerignore`, if any.
    pub dockerignore: Option<String>,
    /// Files named by the spec that were looked for and are not in the context (a file
    /// neither here nor in `files` was not looked for), and files left out of what the build
    /// is sent ([`Facts::without`]).
    pub absent: BTreeSet<String>,
    /// Files in the context that the build is not sent: `.dockerignore` or the spec's
    /// `exclude` leaves them out (also in `absent`).
    pub excluded: BTreeSet<String>,
    /// Files larger than [`MAX_FILE_BYTES`], of which `files` holds only the beginning.
    pub oversized: BTreeSet<String>,
}

impl Facts {
    /// Whether the context has this file.
    pub fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// These facts without the files `gone` says are not there (excluded from the context):
    /// those are [`excluded`](Facts::excluded), and absent as far as the build can tell.
    pub fn without(&self, gone: impl Fn(&str) -> bool) -> Facts {
        let (files, excluded): (BTreeMap<_, _>, BTreeMap<_, _>) = self
            .files
            .iter()
            .map(|(path, bytes)| (path.clone(), bytes.clone()))
            .partition(|(path, _)| !gone(path));
        let excluded: BTreeSet<String> = excluded.into_keys().collect();
        Facts {
            files,
            dockerignore: self.dockerignore.clone(),
            absent: self.absent.union(&excluded).cloned().collect(),
            oversized: self.oversized.clone(),
            excluded: self.excluded.union(&excluded).cloned().collect(),
        }
    }

    /// Whether the context has this file but the build is not sent it.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.excluded.contains(path)
    }

    /// Whether the context was seen to lack this file.
    pub fn lacks(&self, path: &str) -> bool {
        self.absent.contains(path)
    }

    /// A file's text, if it exists and is UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|b| std::str::from_utf8(b).ok())
    }

    /// A required file's text, at `at`: `Ok(None)` when the context lacks it. A file larger
    /// than shallot reads, or one that is not UTF-8, is an error saying so (where the first
    /// bad byte is).
    pub fn read_text(&self, path: &str, at: Span) -> Result<Option<&str>, Diagnostic> {
        let Some(bytes) = self.files.get(path) else {
            return Ok(None);
        };
        if self.oversized.contains(path) {
            let why = format!(
                "is larger than 1 MiB ({} bytes), the most shallot reads of a manifest",
                MAX_FILE_BYTES
            );
            return Err(unreadable(path, at, why));
        }
        std::str::from_utf8(bytes).map(Some).map_err(|e| {
            let mut problem = unreadable(path, at, not_utf8(bytes, &e));
            problem.hint = Some("save it as UTF-8".to_string());
            problem
        })
    }

    /// A JSON file, parsed; `Ok(None)` when the context lacks it. A byte-order mark is
    /// skipped, as npm and node skip it.
    pub fn read_json(&self, path: &str, at: Span) -> Result<Option<serde_json::Value>, Diagnostic> {
        let Some(text) = self.read_text(path, at)? else {
            return Ok(None);
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(unreadable(
                path,
                at,
                "is empty, which is not JSON".to_string(),
            ));
        }
        serde_json::from_str(text).map(Some).map_err(|e| {
            // serde_json's message ends with its own position; ours is written out once.
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            let why = format!(
                "is not valid JSON: {message} at line {}, column {}",
                e.line(),
                e.column()
            );
            unreadable(path, at, why)
        })
    }

    /// A TOML file, parsed; `Ok(None)` when the context lacks it.
    pub fn read_toml(&self, path: &str, at: Span) -> Result<Option<toml::Table>, Diagnostic> {
        let Some(text) = self.read_text(path, at)? else {
            return Ok(None);
        };
        parse_toml(text)
            .map(Some)
            .map_err(|why| unreadable(path, at, format!("is not valid TOML: {why}")))
    }
}

/// `text` as a TOML table, or why not: the parser's message and where it found the problem,
/// as `… at line L, column C` (the JSON reader's words).
pub fn parse_toml(text: &str) -> Result<toml::Table, String> {
    text.parse::<toml::Table>().map_err(|e| {
        let message = e.message().trim_end().to_string();
        match e.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                format!("{message} at line {line}, column {column}")
            }
            None => message,
        }
    })
}

/// The 1-based line and column (in characters) of the byte offset `at` in `text`.
pub fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Why `bytes` are not UTF-8 text, for a message that follows the file's name: a UTF-16 or
/// UTF-32 byte-order mark (what a Windows editor's "Unicode" writes), or where the first bad
/// byte is.
fn not_utf8(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let wide = if bytes.starts_with(&[0xff, 0xfe, 0, 0]) || bytes.starts_with(&[0, 0, 0xfe, 0xff]) {
        Some("UTF-32")
    } else if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        Some("UTF-16")
    } else {
        None
    };
    if let Some(encoding) = wide {
        return format!("is {encoding} text (it starts with a {encoding} byte-order mark)");
    }
    let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
    let good = std::str::from_utf8(good).unwrap_or_default();
    let byte = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
    let (line, column) = line_and_column(good, good.len());
    format!(
        "is not UTF-8 text: the first bad byte (0x{byte:02x}) is at line {line}, column {column}"
    )
}

/// `<path> in the build context <why>`, the one wording for a manifest that cannot be read.
pub fn unreadable(path: &str, at: Span, why: String) -> Diagnostic {
    Diagnostic {
        span: at,
        message: format!("{path} in the build context {why}"),
        hint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(path: &str, bytes: &[u8]) -> Facts {
        Facts {
            files: BTreeMap::from([(path.to_string(), bytes.to_vec())]),
            ..Facts::default()
        }
    }

    const AT: Span = Span::point(1, 10);

    #[test]
    fn absent_files_are_none_and_present_ones_parse() {
        let f = facts("package.json", br#"{"name": "app"}"#);
        assert_eq!(f.read_json("other.json", AT), Ok(None));
        let value = f
            .read_json("package.json", AT)
            .map(|v| v.map(|v| v["name"].clone()));
        assert_eq!(value, Ok(Some(serde_json::json!("app"))));
        let toml = facts("Cargo.toml", b"[package]\nname = \"x\"\n");
        let name = toml
            .read_toml("Cargo.toml", AT)
            .map(|t| t.and_then(|t| t["package"]["name"].as_str().map(str::to_string)));
        assert_eq!(name, Ok(Some("x".to_string())));
    }

    #[test]
    fn one_wording_for_unreadable_files() {
        let message = |r: Result<(), Diagnostic>| r.map_err(|d| (d.span, d.message)).unwrap_err();
        let binary = facts("go.mod", &[0xff, 0xfe]);
        assert_eq!(
            message(binary.read_text("go.mod", AT).map(|_| ())),
            (
                AT,
                "go.mod in the build context is UTF-16 text (it starts with a UTF-16 byte-order mark)"
                    .to_string()
            )
        );
        let latin1 = facts("go.mod", b"module x\n// caf\xe9\n");
        assert_eq!(
            message(latin1.read_text("go.mod", AT).map(|_| ())).1,
            "go.mod in the build context is not UTF-8 text: the first bad byte (0xe9) is at line 2, column 7"
        );
        let json = facts("package.json", b"{\"name\": }");
        assert_eq!(
            message(json.read_json("package.json", AT).map(|_| ())).1,
            "package.json in the build context is not valid JSON: expected value at line 1, column 10"
        );
        let empty = facts("package.json", b" \n");
        assert_eq!(
            message(empty.read_json("package.json", AT).map(|_| ())).1,
            "package.json in the build context is empty, which is not JSON"
        );
        let toml = facts("Cargo.toml", b"[package]\nname = \"x\"\nname = \"y\"\n");
        assert_eq!(
            message(toml.read_toml("Cargo.toml", AT).map(|_| ())).1,
            "Cargo.toml in the build context is not valid TOML: duplicate key at line 3, column 1"
        );
        let mut big = facts("package.json", b"{}");
        big.oversized.insert("package.json".to_string());
        assert_eq!(
            message(big.read_json("package.json", AT).map(|_| ())).1,
            "package.json in the build context is larger than 1 MiB (1048576 bytes), the most shallot reads of a manifest"
        );
    }

    #[test]
    fn a_byte_order_mark_before_json_is_skipped_as_npm_skips_it() {
        let f = facts("package.json", "\u{feff}{\"name\": \"app\"}".as_bytes());
        let name = f
            .read_json("package.json", AT)
            .map(|v| v.map(|v| v["name"].clone()));
        assert_eq!(name, Ok(Some(serde_json::json!("app"))));
    }

    #[test]
    fn files_left_out_are_excluded_and_absent() {
        let mut f = facts("package.json", b"{}");
        f.files.insert("server.js".to_string(), Vec::new());
        let sent = f.without(|p| p == "server.js");
        assert!(sent.has("package.json") && !sent.has("server.js"));
        assert!(sent.is_excluded("server.js") && sent.lacks("server.js"));
        assert!(!sent.is_excluded("package.json"));
    }

    #[test]
    fn positions_count_lines_and_characters() {
        assert_eq!(line_and_column("", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("\u{e9}\u{e9}x", 4), (1, 3));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }
}
