//! Everything about a build that comes from outside the spec: build args, labels, the target
//! and named contexts. The gateway and the CLI fill [`Options`] before planning, so the plan
//! (and `shallot plan`) shows exactly the images and steps a build will use.

use super::Platform;
use crate::formats::image_ref;
use serde::Serialize;
use std::collections::BTreeMap;

/// The build arg that replaces the builder image.
pub const BUILDER_IMAGE_ARG: &str = "SHALLOT_BUILDER_IMAGE";
/// The build arg that replaces the runtime image.
pub const RUNTIME_IMAGE_ARG: &str = "SHALLOT_RUNTIME_IMAGE";

/// Build settings that come from outside the spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Build arguments (`--build-arg NAME=value`): `${NAME}` in the spec's `env`, `labels`,
    /// `args` and `build` is replaced by the value; [`BUILDER_IMAGE_ARG`] and
    /// [`RUNTIME_IMAGE_ARG`] replace the base images.
    pub build_args: BTreeMap<String, String>,
    /// Labels from the build command (`--label`); they win over the spec's.
    pub labels: BTreeMap<String, String>,
    /// Which image the build returns (`--target`).
    pub target: Target,
    /// Named contexts (`--build-context NAME=VALUE`), by name, as given.
    pub contexts: BTreeMap<String, String>,
    /// The spec file's path relative to the build context's root, when the context holds it
    /// (the `filename` option; for the CLI, the spec relative to `--context`): it is never
    /// copied into the image. `None`: the spec is not in the context.
    pub spec_file: Option<String>,
    /// The spec's file name as the build names it (`-f`), for errors the build itself prints;
    /// `None` means `shallot.yaml`.
    pub spec_name: Option<String>,
    /// The platform the plan builds for; by default `linux/amd64`. A multi-platform build
    /// plans once per platform ([`crate::load::load`]).
    pub platform: Platform,
}

impl Options {
    /// The builder image the build args ask for, if any; an error when it is not an image
    /// reference, so it never reaches BuildKit.
    pub fn builder_image(&self) -> Result<Option<&str>, BadOption> {
        self.image_arg(BUILDER_IMAGE_ARG)
    }

    /// The spec's file name, for errors: [`Options::spec_name`], else `shallot.yaml`.
    pub fn spec_name(&self) -> &str {
        self.spec_name.as_deref().unwrap_or("shallot.yaml")
    }

    /// The runtime image the build args ask for, if any; checked like
    /// [`Options::builder_image`].
    pub fn runtime_image(&self) -> Result<Option<&str>, BadOption> {
        self.image_arg(RUNTIME_IMAGE_ARG)
    }

    /// The build arg `arg`, checked as an image reference.
    fn image_arg(&self, arg: &str) -> Result<Option<&str>, BadOption> {
        let Some(image) = self.build_args.get(arg) else {
            return Ok(None);
        };
        check_image(image).map_err(|why| BadOption::new(format!("build-arg:{arg}"), image, why))?;
        Ok(Some(image))
    }

    /// The image a named context puts in place of `stage`'s base image `reference`: a context
    /// named like the reference (as the Dockerfile frontend does for `FROM`) or like the
    /// stage. Only `docker-image://` values name an image.
    /// The image must be a valid reference, as BuildKit will parse it.
    pub fn named_image(&self, stage: Stage, reference: &str) -> Result<Option<String>, BadOption> {
        let Some((name, value)) = [reference, stage.name()]
            .into_iter()
            .find_map(|name| self.contexts.get_key_value(name))
        else {
            return Ok(None);
        };
        match value.strip_prefix("docker-image://") {
            Some(image) if !image.is_empty() => {
                check_image(image)
                    .map_err(|why| BadOption::new(format!("context:{name}"), value, why))?;
                Ok(Some(image.to_string()))
            }
            _ => Err(BadOption::new(
                format!("context:{name}"),
                value,
                NOT_AN_IMAGE_CONTEXT.to_string(),
            )),
        }
    }
}

/// Why `image`, an image given as an option, cannot be used.
fn check_image(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err(
            "the image must not be empty; pass a reference like `node:22-trixie-slim`, or leave the option out"
                .to_owned(),
        );
    }
    image_ref::parse(image)
        .map(drop)
        .map_err(|e| format!("not an image reference: {e} (hint: {})", e.hint(image)))
}

/// A build option whose value cannot be used, such as an image override that is empty or not
/// an image reference. Worded like the gateway's option errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("option {key}={value}: {why}")]
pub struct BadOption {
    /// The option, as BuildKit names it (`build-arg:SHALLOT_BUILDER_IMAGE`, `context:builder`).
    pub key: String,
    /// Its value, with control characters escaped and cut to a sane length.
    pub value: String,
    /// What is wrong and what would be right.
    pub why: String,
}

impl BadOption {
    /// The longest value shown; the rest is cut.
    const MAX_SHOWN: usize = 100;

    fn new(key: String, value: &str, why: String) -> BadOption {
        // The value came from outside: it must not forge lines or escapes in the message.
        let mut shown = String::new();
        for c in value.chars().take(Self::MAX_SHOWN) {
            if c.is_control() {
                shown.extend(c.escape_default());
            } else {
                shown.push(c);
            }
        }
        if value.chars().count() > Self::MAX_SHOWN {
            shown.push_str("...");
        }
        BadOption {
            key,
            value: shown,
            why,
        }
    }
}

/// Why a named context that replaces a base image but names no image cannot be used.
pub const NOT_AN_IMAGE_CONTEXT: &str =
    "a base image's named context must be `docker-image://<ref>`";

/// What the build returns: `--target`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The runtime image (the default).
    #[default]
    Runtime,
    /// The runtime image's debug variant, with a busybox shell.
    Debug,
    /// The builder stage, to look inside.
    Builder,
}

impl Target {
    /// Every target, as users write them.
    pub const ALL: [Target; 3] = [Target::Runtime, Target::Debug, Target::Builder];

    /// The name users write in `--target`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Runtime => "runtime",
            Target::Debug => "debug",
            Target::Builder => "builder",
        }
    }

    /// What the target is, for `--call=targets`.
    pub fn description(self) -> &'static str {
        match self {
            Target::Runtime => "The app on its distroless runtime image",
            Target::Debug => "The app on the runtime image's debug variant, which has a shell",
            Target::Builder => "The build stage with the runtime's toolchain, to inspect the build",
        }
    }

    /// The target called `name`; empty is the default.
    pub fn parse(name: &str) -> Option<Target> {
        match name {
            "" => Some(Target::Runtime),
            name => Target::ALL.into_iter().find(|t| t.name() == name),
        }
    }

    /// The stage whose result the build returns.
    pub fn stage(self) -> Stage {
        match self {
            Target::Runtime | Target::Debug => Stage::Runtime,
            Target::Builder => Stage::Builder,
        }
    }
}

/// One of the two stages of every build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The runtime image.
    Runtime,
    /// The builder.
    Builder,
}

impl Stage {
    /// The stage's name, as in `--target` and `--build-context`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Runtime => "runtime",
            Stage::Builder => "builder",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;
    use crate::plan::PlanError;

    fn with_args(args: &[(&str, &str)]) -> Options {
        Options {
            build_args: args
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Options::default()
        }
    }

    fn with_context(name: &str, value: &str) -> Options {
        Options {
            contexts: BTreeMap::from([(name.to_string(), value.to_string())]),
            ..Options::default()
        }
    }

    #[test]
    fn image_build_args_must_be_references() {
        let example = "write a reference like `node:22-trixie-slim` or `gcr.io/distroless/static-debian13@sha256:<64 hex digits>`";
        let cases = [
            (
                BUILDER_IMAGE_ARG,
                "",
                "option build-arg:SHALLOT_BUILDER_IMAGE=: the image must not be empty; pass a reference like `node:22-trixie-slim`, or leave the option out".to_owned(),
            ),
            (
                BUILDER_IMAGE_ARG,
                "UPPER/case",
                "option build-arg:SHALLOT_BUILDER_IMAGE=UPPER/case: not an image reference: repository names must be lowercase, got `UPPER/case` (hint: write it in lowercase: `upper/case`)".to_owned(),
            ),
            (
                RUNTIME_IMAGE_ARG,
                "node:22:slim",
                format!("option build-arg:SHALLOT_RUNTIME_IMAGE=node:22:slim: not an image reference: it has more than one tag (hint: {example})"),
            ),
            (
                RUNTIME_IMAGE_ARG,
                "node\n:22",
                format!("option build-arg:SHALLOT_RUNTIME_IMAGE=node\\n:22: not an image reference: it contains a line break (hint: {example})"),
            ),
        ];
        for (arg, value, expected) in cases {
            let options = with_args(&[(arg, value)]);
            let got = if arg == BUILDER_IMAGE_ARG {
                options.builder_image().map(|_| ())
            } else {
                options.runtime_image().map(|_| ())
            };
            assert_eq!(got.map_err(|e| e.to_string()), Err(expected), "{value:?}");
        }
        let good = with_args(&[(BUILDER_IMAGE_ARG, "localhost:5000/node:24")]);
        assert_eq!(good.builder_image(), Ok(Some("localhost:5000/node:24")));
        assert_eq!(good.runtime_image(), Ok(None));
        let long = with_args(&[(BUILDER_IMAGE_ARG, &"x".repeat(1000))]);
        let message = long.builder_image().map_err(|e| e.to_string()).err();
        let cut = format!("={}...: ", "x".repeat(100));
        assert!(
            message
                .as_ref()
                .is_some_and(|m| m.len() < 400 && m.contains(&cut)),
            "a long value is cut: {message:?}"
        );
    }

    #[test]
    fn image_contexts_must_be_references() {
        let bad = with_context("builder", "docker-image://Node:24");
        let err = bad.named_image(Stage::Builder, "node:24").map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("option context:builder=docker-image://Node:24: not an image reference: repository names must be lowercase, got `Node` (hint: write it in lowercase: `node:24`)".to_owned())
        );
        // The wording for a context that is no image at all stays as it was.
        let not_image = with_context("runtime", "local:somewhere");
        let err = not_image.named_image(Stage::Runtime, "x").map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err(format!(
                "option context:runtime=local:somewhere: {}",
                NOT_AN_IMAGE_CONTEXT
            ))
        );
        let good = with_context("node:24", "docker-image://mirror.io/node:24");
        assert_eq!(
            good.named_image(Stage::Builder, "node:24")
                .ok()
                .flatten()
                .as_deref(),
            Some("mirror.io/node:24")
        );
    }

    #[test]
    fn a_bad_image_arg_stops_the_plan() {
        let spec = crate::testkit::parse("runtime: node\nentrypoint: server.js\n");
        let facts =
            crate::testkit::facts(&[("package.json", "{}"), ("package-lock.json", "{}")], None);
        let Some(recipe) = crate::runtimes::find("node") else {
            panic!("no node recipe");
        };
        for arg in [BUILDER_IMAGE_ARG, RUNTIME_IMAGE_ARG] {
            let options = with_args(&[(arg, "https://node")]);
            match Plan::from_spec(recipe, &spec, &facts, &options) {
                Err(PlanError::Option(e)) => {
                    assert_eq!(e.key, format!("build-arg:{arg}"));
                    assert_eq!(
                        e.why,
                        "not an image reference: it has a scheme (`https://`) (hint: drop the scheme: `node`)"
                    );
                }
                other => panic!("{arg}: expected an option error, got {other:?}"),
            }
        }
    }
}
