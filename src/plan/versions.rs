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
    /// The oldest version whose interpreter can be carried from its official builder image onto
    /// a distroless base, when other versions than `known` are possible; `None`: only `known`.
    pub carried_from: Option<&'static str>,
}

/// A version a build runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// As written (`3.12.7`, `20`), for the builder image's tag.
    pub tag: String,
    /// The known version whose distroless image carries it (`3.13` for `3.13.2`); `None` when
    /// the interpreter is carried from the builder.
    pub distroless: Option<&'static str>,
}

impl Version {
    /// A version with a distroless image, as the recipe's tables name it.
    pub fn distroless(version: &'static str) -> Version {
        Version {
            tag: version.to_string(),
            distroless: Some(version),
        }
    }
}

impl Versions {
    /// The known version written `version`, if there is one.
    pub fn find(&self, version: &str) -> Option<&'static str> {
        self.known.iter().copied().find(|v| *v == version)
    }

    /// `written` as a version a build can run on: a known one (or a patch release of one), or
    /// with `carried_from`, any numeric version from it on (at most `major.minor.patch`).
    pub fn pick(&self, written: &str) -> Option<Version> {
        if let Some(known) = self.find(written) {
            return Some(Version::distroless(known));
        }
        let parts = numbers(written)?;
        let depth = self.default.split('.').count();
        if parts.len() < depth || parts.len() > 3 {
            return None;
        }
        let series = written.split('.').take(depth).collect::<Vec<_>>().join(".");
        // A patch of a version with a distroless image runs on that image, as the same
        // series' builder makes it.
        if let Some(known) = self.find(&series) {
            return Some(Version::distroless(known));
        }
        let oldest = numbers(self.carried_from?)?;
        (parts[..depth] >= oldest[..]).then(|| Version {
            tag: written.to_string(),
            distroless: None,
        })
    }

    /// Like [`asked`](Self::asked), for a runtime that can carry versions without a distroless
    /// image: any version [`pick`](Self::pick) takes.
    pub fn asked_version(&self, spec: &Spec) -> Result<Option<Version>, Diagnostic> {
        let Some(asked) = &spec.runtime_version else {
            return Ok(None);
        };
        self.pick(&asked.value)
            .map(Some)
            .ok_or_else(|| self.unusable(&asked.value, None, asked.span))
    }

    /// Like [`stated`](Self::stated), for a runtime that can carry versions without a
    /// distroless image.
    pub fn stated_version(
        &self,
        version: &str,
        from: &str,
        at: Span,
    ) -> Result<Version, Diagnostic> {
        self.pick(version)
            .ok_or_else(|| self.unusable(version, Some(from), at))
    }

    /// Why `version` (from the file `from`, or the spec) cannot be used, and what can.
    fn unusable(&self, version: &str, from: Option<&str>, at: Span) -> Diagnostic {
        let runtime = self.runtime;
        let origin = from.map(|f| format!(" (from {f})")).unwrap_or_default();
        let oldest = self.carried_from.unwrap_or(self.default);
        let message = if numbers(version).is_some() {
            format!("{runtime} {version}{origin} is older than {oldest}, the oldest shallot builds")
        } else {
            format!("{runtime} `{version}`{origin} is not a {runtime} version")
        };
        let change = match from {
            Some(f) => format!("change {f} or write `runtime: {runtime}@{}`", self.default),
            None => format!("write e.g. `runtime: {runtime}@{}`", self.default),
        };
        Diagnostic::new(
            at,
            message,
            Some(format!("use {oldest} or newer; {change}")),
        )
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

/// The numbers of a dotted version (`3.12.7` → `[3, 12, 7]`); `None` if a part is not one.
fn numbers(version: &str) -> Option<Vec<u64>> {
    version
        .split('.')
        .map(|p| {
            let digits = !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| p.parse().ok()).flatten()
        })
        .collect()
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
        carried_from: None,
    };

    const PYTHON: Versions = Versions {
        runtime: "python",
        known: &["3.13"],
        default: "3.13",
        image: "distroless image",
        carried_from: Some("3.9"),
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

    #[test]
    fn carried_versions_reach_back_to_the_oldest_and_patches_keep_their_image() {
        let pick = |v: &str| PYTHON.pick(v);
        assert_eq!(pick("3.13"), Some(Version::distroless("3.13")));
        assert_eq!(pick("3.13.2"), Some(Version::distroless("3.13")));
        let carried = pick("3.11").unwrap();
        assert_eq!((carried.tag.as_str(), carried.distroless), ("3.11", None));
        assert_eq!(pick("3.12.7").unwrap().tag, "3.12.7");
        assert_eq!(pick("3.10").map(|v| v.distroless), Some(None));
        for bad in [
            "3.8",
            "2.7",
            "3",
            "3.x",
            "3.12.7.1",
            "",
            "3..1",
            "99999999999.1",
        ] {
            assert_eq!(pick(bad), None, "{bad}");
        }
        assert_eq!(
            NODE.pick("20"),
            None,
            "only known versions without carried_from"
        );
    }

    #[test]
    fn unusable_versions_say_what_is_oldest_and_what_is_not_a_version() {
        let at = Span::point(1, 10);
        let d = PYTHON
            .stated_version("3.8", ".python-version", at)
            .unwrap_err();
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "python 3.8 (from .python-version) is older than 3.9, the oldest shallot builds",
                Some("use 3.9 or newer; change .python-version or write `runtime: python@3.13`")
            )
        );
        let spec = crate::spec::parse("runtime: python@next\n", &["python"]).unwrap();
        let d = PYTHON.asked_version(&spec).unwrap_err();
        assert_eq!(d.message, "python `next` is not a python version");
        assert_eq!(d.span.col, 17);
    }
}
