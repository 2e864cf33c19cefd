//! The platform a plan builds for (`--platform linux/arm64`), and the Dockerfile-style
//! platform args (`${TARGETARCH}`, …) a spec value may name to differ per platform.
//!
//! A multi-platform build makes one plan per platform (see [`crate::load`]); most recipes plan
//! the same for each, and the static recipe picks each platform's binary by these args, the
//! way a Dockerfile's `COPY dist/${TARGETARCH}/app` or `COPY dist/$TARGETPLATFORM/app` does.

use serde::Serialize;
use std::fmt;

/// The platform args shallot puts in, as BuildKit's Dockerfile frontend names them.
pub const PLATFORM_ARGS: &[&str] = &["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"];

/// A target platform, `os/arch[/variant]` as BuildKit writes it (`linux/arm64`,
/// `linux/arm/v7`). The default is `linux/amd64`, the platform of a default build on the usual
/// worker; the frontend and the CLI set the one each plan is for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, `arm`, … (Go's `GOARCH` names, as OCI images use them).
    pub architecture: String,
    /// `v7` for `linux/arm/v7`; empty when the platform names none.
    pub variant: String,
}

impl Default for Platform {
    fn default() -> Self {
        Platform::new("linux", "amd64", "")
    }
}

impl Platform {
    /// The platform `os/architecture[/variant]` (an empty variant names none).
    pub fn new(os: &str, architecture: &str, variant: &str) -> Platform {
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.to_string(),
        }
    }

    /// Reads `os/arch[/variant]`; `None` unless there are two or three parts, each made of
    /// ASCII letters, digits and `_` (so that a platform put into a path cannot climb out of
    /// it).
    pub fn parse(text: &str) -> Option<Platform> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let plain = |part: &&str| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !parts.iter().all(plain) {
            return None;
        }
        match parts.as_slice() {
            [os, arch] => Some(Platform::new(os, arch, "")),
            [os, arch, variant] => Some(Platform::new(os, arch, variant)),
            _ => None,
        }
    }

    /// The value of a platform arg (one of [`PLATFORM_ARGS`]) for this platform.
    pub fn arg(&self, name: &str) -> Option<String> {
        match name {
            "TARGETPLATFORM" => Some(self.to_string()),
            "TARGETOS" => Some(self.os.clone()),
            "TARGETARCH" => Some(self.architecture.clone()),
            "TARGETVARIANT" => Some(self.variant.clone()),
            _ => None,
        }
    }

    /// `text` with each `${NAME}` of a platform arg replaced by its value for this platform;
    /// anything else stays as written.
    pub fn expand(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after
                .find('}')
                .and_then(|end| Some((self.arg(&after[..end])?, end)))
            {
                Some((value, end)) => {
                    out.push_str(&value);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str("${");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The `${NAME}` references in `text` that are not platform args, and whether it names any
/// platform arg: what the static recipe checks its entrypoint with.
pub fn platform_refs(text: &str) -> (bool, Vec<String>) {
    let mut platform = false;
    let mut others = Vec::new();
    for name in super::interpolate::references(text) {
        if PLATFORM_ARGS.contains(&name.as_str()) {
            platform = true;
        } else {
            others.push(name);
        }
    }
    (platform, others)
}

/// `os/arch[/variant]`.
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_as_buildkit_writes_platforms() {
        for text in ["linux/amd64", "linux/arm64", "linux/arm/v7"] {
            assert_eq!(
                Platform::parse(text).map(|p| p.to_string()),
                Some(text.into())
            );
        }
        for bad in [
            "linux",
            "a/b/c/d",
            "linux/../..",
            "linux/amd64/",
            "linux/am d64",
        ] {
            assert_eq!(Platform::parse(bad), None, "{bad}");
        }
        assert_eq!(Platform::default().to_string(), "linux/amd64");
    }

    #[test]
    fn expands_the_platform_args_only() {
        let arm = Platform::new("linux", "arm", "v7");
        assert_eq!(
            arm.expand("dist/${TARGETPLATFORM}/app-${TARGETOS}-${TARGETARCH}${TARGETVARIANT}"),
            "dist/linux/arm/v7/app-linux-armv7"
        );
        let amd = Platform::default();
        assert_eq!(
            amd.expand("${VERSION}/${TARGETARCH}/${TARGETVARIANT}x${"),
            "${VERSION}/amd64/x${"
        );
    }

    #[test]
    fn tells_platform_args_from_other_references() {
        assert_eq!(
            platform_refs("dist/${TARGETARCH}/${VERSION}/${TARGETOS}"),
            (true, vec!["VERSION".to_string()])
        );
        assert_eq!(platform_refs("./server"), (false, Vec::new()));
    }
}
