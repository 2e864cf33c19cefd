//! What a recipe learned from the build context, and one way to read it: every recipe reads
//! its manifests through these readers, so an unreadable file is reported in the same words
//! whatever the runtime.

use crate::spec::{Diagnostic, Span};
use std::collections::{BTreeMap, BTreeSet};

/// What the recipe learned from the build context: the contents of the files it asked for
/// (those that exist) and the context's `.dockerignore`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Contents of probed files that exist, by path relative to the context root.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The context's `.dockerignore`, if any.
    pub dockerignore: Option<String>,
    /// Files named by the spec that were looked for and are not in the context (a file
    /// neither here nor in `files` was not looked for).
    pub absent: BTreeSet<String>,
}

impl Facts {
    /// Whether the context has this file.
    pub fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// These facts without the files `gone` says are not there (excluded from the context):
    /// those were looked for and are not in what the build sees, so they count as absent.
    pub fn without(&self, gone: impl Fn(&str) -> bool) -> Facts {
        let (gone, kept): (BTreeMap<_, _>, BTreeMap<_, _>) = self
            .files
            .iter()
            .map(|(path, bytes)| (path.clone(), bytes.clone()))
            .partition(|(path, _)| gone(path));
        Facts {
            files: kept,
            dockerignore: self.dockerignore.clone(),
            absent: self
                .absent
                .iter()
                .cloned()
                .chain(gone.into_keys())
                .collect(),
        }
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

    /// A required file's text, at `at`: `Ok(None)` when the context lacks it.
    pub fn read_text(&self, path: &str, at: Span) -> Result<Option<&str>, Diagnostic> {
        match self.files.get(path) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| unreadable(path, at, "is not UTF-8 text".to_string())),
        }
    }

    /// A JSON file, parsed; `Ok(None)` when the context lacks it.
    pub fn read_json(&self, path: &str, at: Span) -> Result<Option<serde_json::Value>, Diagnostic> {
        let Some(text) = self.read_text(path, at)? else {
            return Ok(None);
        };
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
        text.parse::<toml::Table>()
            .map(Some)
            .map_err(|e| unreadable(path, at, format!("is not valid TOML: {}", e.message())))
    }
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
                "go.mod in the build context is not UTF-8 text".to_string()
            )
        );
        let json = facts("package.json", b"{\"name\": }");
        assert_eq!(
            message(json.read_json("package.json", AT).map(|_| ())).1,
            "package.json in the build context is not valid JSON: expected value at line 1, column 10"
        );
        let toml = facts("Cargo.toml", b"[package\n");
        assert!(
            message(toml.read_toml("Cargo.toml", AT).map(|_| ()))
                .1
                .starts_with("Cargo.toml in the build context is not valid TOML: "),
        );
    }
}
