//! Lint rules: things a valid spec allows but that are probably not what the author wants.
//!
//! Validation ([`spec::parse`](crate::spec::parse), [`Plan::from_spec`]) refuses what cannot be
//! built; lint only warns, because each rule has legitimate exceptions (a debug image that runs
//! as root, a worker that listens on no port). The rules look at the spec, the context's facts
//! and the plan, never at anything else, so [`lint`] is pure and gives the same warnings to
//! `docker build --call=check` (the `frontend.lint` subrequest) and to a normal build (BuildKit's
//! `Warn` call).
//!
//! Every warning points at a line of the spec: a key the author wrote, or else the `runtime`
//! line, because clients print the warning with that line and cannot print line 0.
//!
//! `port` out of range has no rule: validation already refuses it.

use crate::plan::{Plan, Recipe};
use crate::spec::{Located, Span, Spec, User};

/// Where the rules are explained. shallot has no fixed public home yet, so the link is relative
/// to its repository; it is set here only.
pub const RULES_URL: &str = "docs/queries.md#lint-rules";

/// A lint rule: a stable name (used by `--call=check` output and in the docs) and what it
/// checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable name, in BuildKit's style (`RunsAsRoot`).
    pub name: &'static str,
    /// One sentence: what the rule wants.
    pub description: &'static str,
}

/// `user: root` or uid 0.
pub const RUNS_AS_ROOT: Rule = Rule {
    name: "RunsAsRoot",
    description: "The app should not run as root",
};
/// Dependencies are installed without a lockfile.
pub const NO_LOCKFILE: Rule = Rule {
    name: "NoLockfile",
    description: "Dependencies should be installed from a lockfile",
};
/// A base image is referenced by tag only.
pub const IMAGE_NOT_PINNED: Rule = Rule {
    name: "ImageNotPinned",
    description: "Base images should be pinned by digest",
};
/// A secret-looking `env` variable has a literal value.
pub const SECRET_IN_ENV: Rule = Rule {
    name: "SecretInEnv",
    description: "Secrets should not be written into the image's environment",
};
/// No `port`.
pub const NO_PORT: Rule = Rule {
    name: "NoPort",
    description: "A server should declare the port it listens on",
};

/// Every rule, sorted by name (the order of the docs' table).
pub const RULES: [Rule; 5] = [
    IMAGE_NOT_PINNED,
    NO_LOCKFILE,
    NO_PORT,
    RUNS_AS_ROOT,
    SECRET_IN_ENV,
];

/// One warning about one spec location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The rule that fired.
    pub rule: Rule,
    /// What is wrong here: lowercase, no trailing period.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// Where in the spec; never `Span::default()`.
    pub span: Span,
}

impl Warning {
    fn new(rule: Rule, message: String, hint: &str, span: Span) -> Warning {
        Warning {
            rule,
            message,
            hint: hint.to_string(),
            span,
        }
    }

    /// The one-line form BuildKit shows in the progress output: `RuleName: message`.
    pub fn short(&self) -> String {
        format!("{}: {}", self.rule.name, self.message)
    }

    /// The message with its hint, for `--call=check`'s `detail`.
    pub fn detail(&self) -> String {
        format!("{} (hint: {})", self.message, self.hint)
    }
}

/// Parts of an env name that mark a secret when they are a whole word (`API_KEY`) …
const SECRET_WORDS: &[&str] = &["KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"];
/// … or the end of one (`DBPASSWORD`, `AUTHTOKEN`); `KEY` is not here, or `MONKEY` would match.
const SECRET_SUFFIXES: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "PASSWD"];

/// Every warning for this build, in spec order (then by rule name).
pub fn lint(spec: &Spec, plan: &Plan, recipe: &Recipe) -> Vec<Warning> {
    let build = Build { spec, plan, recipe };
    let mut warnings: Vec<Warning> = CHECKS.iter().flat_map(|check| check(&build)).collect();
    for warning in &mut warnings {
        // Clients print the warning's lines; a defaulted value has none, so use `runtime`'s.
        if warning.span.line == 0 {
            warning.span = spec.runtime.span;
        }
    }
    warnings.sort_by(|a, b| {
        (a.span.line, a.span.col, a.rule.name).cmp(&(b.span.line, b.span.col, b.rule.name))
    });
    warnings
}

/// What the rules look at.
struct Build<'a> {
    spec: &'a Spec,
    plan: &'a Plan,
    recipe: &'a Recipe,
}

/// One rule's check: its warnings, with `Span::default()` where the spec wrote nothing.
type Check = fn(&Build<'_>) -> Vec<Warning>;

/// The check of every rule in [`RULES`], in the same order.
const CHECKS: [Check; 5] = [
    image_not_pinned,
    no_lockfile,
    no_port,
    runs_as_root,
    secret_in_env,
];

/// [`RUNS_AS_ROOT`]: `user: root`, or a uid of 0.
fn runs_as_root(build: &Build<'_>) -> Vec<Warning> {
    let user = &build.spec.user;
    let root = match user.value {
        User::Root => true,
        User::Id { uid, .. } => uid == 0,
        User::Nonroot => false,
    };
    if !root {
        return Vec::new();
    }
    let message = "the app runs as root".to_string();
    let hint = "remove `user` to run as `nonroot` (uid 65532), or name an unprivileged uid";
    vec![Warning::new(RUNS_AS_ROOT, message, hint, user.span)]
}

/// [`NO_LOCKFILE`]: the recipe knows whether its install is pinned; the plan carries what it
/// decided.
fn no_lockfile(build: &Build<'_>) -> Vec<Warning> {
    let Some(unlocked) = &build.plan.unlocked else {
        return Vec::new();
    };
    let message = format!(
        "no lockfile in the build context, so `{}` picks dependency versions at build time",
        unlocked.command
    );
    let hint = format!("commit one of: {}", unlocked.lockfiles.join(", "));
    vec![Warning::new(NO_LOCKFILE, message, &hint, unlocked.span)]
}

/// [`IMAGE_NOT_PINNED`]: each stage's image as planned, pointing at where the spec names it.
fn image_not_pinned(build: &Build<'_>) -> Vec<Warning> {
    let Build { spec, plan, .. } = build;
    let images = [
        (
            "builder",
            plan.builder.as_ref().map(|b| &b.image),
            &spec.images.builder,
        ),
        (
            "runtime",
            Some(&plan.runtime_stage.image),
            &spec.images.runtime,
        ),
    ];
    let mut warnings = Vec::new();
    for (stage, image, written) in images {
        let Some(image) = image.filter(|i| !i.contains("@sha256:")) else {
            continue;
        };
        let message = format!("the {stage} image `{image}` is not pinned by digest");
        let hint = format!(
            "set `images.{stage}: {image}@sha256:<digest>` so that rebuilds use the same image"
        );
        let span = written.as_ref().map_or(Span::default(), |w| w.span);
        warnings.push(Warning::new(IMAGE_NOT_PINNED, message, &hint, span));
    }
    warnings
}

/// [`SECRET_IN_ENV`]: a secret-looking name with a value written into the spec.
fn secret_in_env(build: &Build<'_>) -> Vec<Warning> {
    let hint = "pass it at run time, or list it under `secrets:` if only the build needs it";
    build
        .spec
        .env
        .iter()
        .filter(|(name, value)| looks_secret(name) && is_literal(value))
        .map(|(name, value)| {
            let message = format!("`env.{name}` looks like a secret and is stored in the image");
            Warning::new(SECRET_IN_ENV, message, hint, value.span)
        })
        .collect()
}

/// [`NO_PORT`]: only for a runtime whose apps usually serve.
fn no_port(build: &Build<'_>) -> Vec<Warning> {
    if build.spec.port.is_some() || !build.recipe.serves {
        return Vec::new();
    }
    let message = "no `port`: the image declares no port and sets no `PORT`".to_string();
    let hint = "add `port: 8080` (the port the app listens on); ignore this for a worker that serves nothing";
    vec![Warning::new(
        NO_PORT,
        message,
        hint,
        build.spec.runtime.span,
    )]
}

/// Whether an env name reads like a credential: a secret word as a whole `_`-separated part
/// (`API_KEY`, `GITHUB_TOKEN`) or at the end of one (`DBPASSWORD`).
fn looks_secret(name: &str) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_uppercase)
        .any(|part| {
            SECRET_WORDS.contains(&part.as_str())
                || SECRET_SUFFIXES.iter().any(|s| part.ends_with(s))
        })
}

/// A value written out in the spec, rather than empty or taken from a build arg (`${NAME}`).
fn is_literal(value: &Located<String>) -> bool {
    !value.value.trim().is_empty() && !value.value.contains("${")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Facts, Options};
    use crate::runtimes;

    const BASE: &str = "runtime: node\nentrypoint: server.js\nport: 8080\nimages:\n  builder: node:24@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  runtime: gcr.io/distroless/nodejs24-debian13@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n";

    fn facts(lockfile: bool) -> Facts {
        let mut facts = Facts::default();
        facts
            .files
            .insert("package.json".to_string(), b"{}".to_vec());
        if lockfile {
            facts
                .files
                .insert("package-lock.json".to_string(), b"{}".to_vec());
        }
        facts
    }

    fn warnings_with(src: &str, facts: &Facts) -> Vec<Warning> {
        let spec = crate::spec::parse(src, &runtimes::names()).unwrap_or_else(|d| panic!("{d}"));
        let plan = crate::testkit::plan_of(&spec, facts, &Options::default())
            .unwrap_or_else(|d| panic!("{d}"));
        let recipe = runtimes::find(&spec.runtime.value).unwrap_or_else(|| panic!("a recipe"));
        lint(&spec, &plan, recipe)
    }

    fn rules(src: &str) -> Vec<(&'static str, u32)> {
        warnings_with(src, &facts(true))
            .iter()
            .map(|w| (w.rule.name, w.span.line))
            .collect()
    }

    #[test]
    fn a_careful_spec_has_no_warnings() {
        assert_eq!(rules(BASE), vec![]);
    }

    #[test]
    fn runs_as_root() {
        assert_eq!(
            rules(&format!("{BASE}user: root\n")),
            vec![("RunsAsRoot", 7)]
        );
        assert_eq!(
            rules(&format!("{BASE}user: 0:1000\n")),
            vec![("RunsAsRoot", 7)]
        );
        assert_eq!(rules(&format!("{BASE}user: 1000\n")), vec![]);
        assert_eq!(rules(&format!("{BASE}user: nonroot\n")), vec![]);
    }

    #[test]
    fn no_lockfile() {
        let found = warnings_with(BASE, &facts(false));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, NO_LOCKFILE);
        assert_eq!(
            found[0].span.line, 1,
            "the install step comes from `runtime`"
        );
        assert!(found[0].message.contains("`npm install`"), "{found:?}");
        assert!(warnings_with(BASE, &facts(true)).is_empty());
        // Without a package.json nothing is installed, so there is nothing to lock.
        assert!(warnings_with(BASE, &Facts::default()).is_empty());
    }

    #[test]
    fn image_not_pinned_points_at_the_image_or_at_runtime() {
        let tagged =
            "runtime: node\nentrypoint: server.js\nport: 8080\nimages:\n  builder: node:24\n";
        assert_eq!(
            rules(tagged),
            vec![("ImageNotPinned", 1), ("ImageNotPinned", 5)],
            "runtime's default image is reported at `runtime`, the builder's at `images.builder`"
        );
        let found = warnings_with(tagged, &facts(true));
        assert_eq!(
            found[0].message,
            "the runtime image `gcr.io/distroless/nodejs24-debian13:nonroot` is not pinned by digest"
        );
    }

    #[test]
    fn secret_in_env() {
        let env = "env:\n  API_KEY: abc\n  GITHUB_TOKEN: ghp_x\n  DBPASSWORD: hunter2\n  MONKEY: banana\n  KEYBOARD: us\n  FROM_ARG: ${TOKEN}\n  SECRET_NAME: ${NAME}\n  EMPTY_TOKEN: \"\"\n";
        assert_eq!(
            rules(&format!("{BASE}{env}")),
            vec![("SecretInEnv", 8), ("SecretInEnv", 9), ("SecretInEnv", 10)]
        );
    }

    #[test]
    fn no_port() {
        let src = BASE.replace("port: 8080\n", "");
        let found = warnings_with(&src, &facts(true));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, NO_PORT);
        assert_eq!(found[0].span.line, 1);
        assert_eq!(
            found[0].short(),
            "NoPort: no `port`: the image declares no port and sets no `PORT`"
        );
    }

    #[test]
    fn words_that_look_like_secrets() {
        for name in [
            "API_KEY",
            "api_key",
            "SECRET_KEY_BASE",
            "authToken_x",
            "DB_PASSWD",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["MONKEY", "KEYBOARD", "PATH", "NODE_ENV", "TOKENIZER_MODEL"] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn rules_are_sorted_and_unique() {
        let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
