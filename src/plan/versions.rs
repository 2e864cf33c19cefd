//! One way to pick a runtime's version: what the spec asks for (`runtime: node@22`), else what
//! the app's own files state, else the default; each checked against the versions that have an
//! image, with the same words for every runtime.

use crate::spec::{Diagnostic, Span, Spec};

/// A runtime's versions that have images.
#[derive(Clone, Copy, Debug)]
pub struct Versions {
    /// The runtime, as users write it (`node`).
    pub runtime: &'static str,
    /// Versions that have an image, oldest first.
    pub known: &'static [&'static str],
    /// The version used when nothing names one.
    pub default: &'static str,
    /// What a version needs and an unknown one lacks, e.g. `distroless image`.
    pub image: &'static str,
}

impl Versions {
    /// The known version written `version`, if there is one.
    pub fn find(&self, version: &str) -> Option<&'static str> {
        self.known.iter().copied().find(|v| *v == version)
    }

    /// `use one of: …`, the hint for a version that has no image.
    pub fn use_one_of(&self) -> String {
        format!("use one of: {}", self.known.join(", "))
    }

    /// The version `runtime: <name>@<version>` asks for, if the spec names one; an error at
    /// that version when it has no image.
    pub fn asked(&self, spec: &Spec) -> Result<Option<&'static str>, Diagnostic> {
        let Some(asked) = &spec.runtime_version else {
            return Ok(None);
        };
        match self.find(&asked.value) {
            Some(version) => Ok(Some(version)),
            None => Err(Diagnostic {
                span: asked.span,
                message: format!("{} {} has no {}", self.runtime, asked.value, self.image),
                hint: Some(self.use_one_of()),
            }),
        }
    }

    /// A version the app's file `from` states, as a known one; an error at `at` (the spec's
    /// `runtime`) that names the file when it has no image: the app said what it runs on, so
    /// silently using another would be wrong.
    pub fn stated(&self, version: &str, from: &str, at: Span) -> Result<&'static str, Diagnostic> {
        self.find(version).ok_or_else(|| Diagnostic {
            span: at,
            message: format!(
                "{} {version} (from {from}) has no {}",
                self.runtime, self.image
            ),
            hint: Some(format!(
                "{}; change {from} or write `runtime: {}@{}`",
                self.use_one_of(),
                self.runtime,
                self.default
            )),
        })
    }
}

/// The line of a version file (`.nvmrc`, `.python-version`, `.java-version`, …) that names the
/// version: the first that is neither blank nor a `#` comment, trimmed, without a BOM.
pub fn version_line(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: Versions = Versions {
        runtime: "node",
        known: &["22", "24"],
        default: "24",
        image: "distroless image",
    };

    fn spec(src: &str) -> Spec {
        crate::spec::parse(src, &["node"]).unwrap_or_else(|d| panic!("{d}"))
    }

    #[test]
    fn the_spec_asks_and_unknown_versions_are_errors_at_the_version() {
        assert_eq!(NODE.asked(&spec("runtime: node\n")), Ok(None));
        assert_eq!(NODE.asked(&spec("runtime: node@22\n")), Ok(Some("22")));
        let d = NODE.asked(&spec("runtime: node@18\n")).unwrap_err();
        assert_eq!(
            (d.span.col, d.message.as_str(), d.hint.as_deref()),
            (
                15,
                "node 18 has no distroless image",
                Some("use one of: 22, 24")
            )
        );
    }

    #[test]
    fn a_stated_version_names_its_file() {
        let at = Span::point(1, 10);
        assert_eq!(NODE.stated("24", ".nvmrc", at), Ok("24"));
        let d = NODE.stated("20", ".nvmrc", at).unwrap_err();
        assert_eq!(d.message, "node 20 (from .nvmrc) has no distroless image");
        assert_eq!(
            d.hint.as_deref(),
            Some("use one of: 22, 24; change .nvmrc or write `runtime: node@24`")
        );
    }

    #[test]
    fn version_files_name_their_version_on_the_first_real_line() {
        assert_eq!(version_line("\u{feff}# pinned\n\n  3.12 \n3.11\n"), "3.12");
        assert_eq!(version_line("\n# only a comment\n"), "");
    }
}
