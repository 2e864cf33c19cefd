//! Everything about a build that comes from outside the spec: build args, labels, the target
//! and named contexts. The gateway and the CLI fill [`Options`] before planning, so the plan
//! (and `shallot plan`) shows exactly the images and steps a build will use.

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
}

impl Options {
    /// The builder image the build args ask for, if any.
    pub fn builder_image(&self) -> Option<&str> {
        self.build_args.get(BUILDER_IMAGE_ARG).map(String::as_str)
    }

    /// The spec's file name, for errors: [`Options::spec_name`], else `shallot.yaml`.
    pub fn spec_name(&self) -> &str {
        self.spec_name.as_deref().unwrap_or("shallot.yaml")
    }

    /// The runtime image the build args ask for, if any.
    pub fn runtime_image(&self) -> Option<&str> {
        self.build_args.get(RUNTIME_IMAGE_ARG).map(String::as_str)
    }

    /// The image a named context puts in place of `stage`'s base image `reference`: a context
    /// named like the reference (as the Dockerfile frontend does for `FROM`) or like the
    /// stage. Only `docker-image://` values name an image.
    pub fn named_image(&self, stage: Stage, reference: &str) -> Result<Option<String>, BadContext> {
        let Some((name, value)) = [reference, stage.name()]
            .into_iter()
            .find_map(|name| self.contexts.get_key_value(name))
        else {
            return Ok(None);
        };
        match value.strip_prefix("docker-image://") {
            Some(image) if !image.is_empty() => Ok(Some(image.to_string())),
            _ => Err(BadContext {
                name: name.clone(),
                value: value.clone(),
            }),
        }
    }
}

/// A named context that replaces a base image but does not name an image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("option context:{name}={value}: {}", BadContext::WHY)]
pub struct BadContext {
    /// The context's name.
    pub name: String,
    /// What it was given.
    pub value: String,
}

impl BadContext {
    /// What would be right.
    pub const WHY: &str = "a base image's named context must be `docker-image://<ref>`";
}

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
