//! One way from a build request to a plan, for the frontend and the CLI alike: read the spec and
//! the context's manifests (at the same time), parse the spec, pick its recipe, read what the
//! recipe names from the spec, and plan with the caller's [`Options`].
//!
//! Only the reading differs between BuildKit and the local disk: the caller passes the spec's
//! read as a future and the context as a [`Context`].
//!
//! A build for several platforms plans once per platform, from the one reading: a recipe may
//! decide per platform (the static recipe's binary), and every platform's problems are
//! reported together, before anything is built.

use crate::context::{self, Context};
use crate::plan::{BadOption, Facts, Options, Plan, PlanError, Platform, Recipe, Target};
use crate::runtimes;
use crate::spec::{self, Diagnostics, Spec};
use std::future::Future;

/// A spec, its recipe, the context's facts and the plans they make.
#[derive(Debug)]
pub struct Loaded {
    /// The spec's text, as parsed.
    pub text: String,
    /// The validated spec.
    pub spec: Spec,
    /// The spec's runtime.
    pub recipe: &'static Recipe,
    /// What the recipe read from the context.
    pub facts: Facts,
    /// What the build will do on its first platform: what queries, lint and `shallot plan`
    /// look at.
    pub plan: Plan,
    /// Every platform's plan, in the order the build names them (the first is [`Loaded::plan`]).
    pub plans: Vec<(Platform, Plan)>,
}

/// Why loading stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError<E> {
    /// The spec or the context could not be read.
    #[error(transparent)]
    Read(E),
    /// The spec is invalid, or asks for something its context cannot give.
    #[error(transparent)]
    Spec(#[from] Diagnostics),
    /// An image build arg or a base image's named context does not name a usable image.
    #[error(transparent)]
    Option(#[from] BadOption),
    /// `--target builder` for a runtime that has no builder stage.
    #[error("runtime `{runtime}` has no builder stage")]
    NoBuilder {
        /// The runtime.
        runtime: &'static str,
    },
    /// The spec names a runtime no recipe serves; [`spec::parse`] refuses those, so this is
    /// a bug, reported rather than panicked on.
    #[error("no recipe for runtime `{0}`")]
    NoRecipe(String),
}

impl<E> From<PlanError> for LoadError<E> {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Spec(d) => LoadError::Spec(d),
            PlanError::Option(o) => LoadError::Option(o),
        }
    }
}

/// Loads a spec from `spec` (a read that yields its text) and plans it against `context`,
/// once for each of `platforms` (none: for `options.platform` only).
pub async fn load<C, F, E>(
    context: &mut C,
    spec: F,
    options: &Options,
    platforms: &[Platform],
) -> Result<Loaded, LoadError<E>>
where
    C: Context,
    F: Future<Output = Result<String, E>>,
    E: From<C::Error>,
{
    // The runtime is not known before the spec is, so every recipe's manifests are read while
    // the spec is: two transfers overlap instead of following each other.
    // The spec file itself is read too: only a context that holds it can ship it. So are the
    // files specs name most often (`guesses`): a spec naming only those needs no second read.
    let manifests = runtimes::all_probes();
    let guesses = runtimes::default_spec_probes();
    let mut probes = manifests.clone();
    probes.extend(guesses.iter().map(String::as_str));
    let spec_file = options
        .spec_file
        .as_deref()
        .and_then(crate::runtimes::inside_context);
    probes.extend(spec_file.as_deref());
    probes.sort_unstable();
    probes.dedup();
    let (text, facts) = tokio::join!(spec, context::gather(context, &probes));
    let text = text.map_err(LoadError::Read)?;
    let spec = spec::parse(&text, &runtimes::names())?;
    let recipe = runtimes::find(&spec.runtime.value)
        .ok_or_else(|| LoadError::NoRecipe(spec.runtime.value.clone()))?;
    let mut facts = facts.map_err(|e| LoadError::Read(e.into()))?;
    let options = &spec_in_context(options, spec_file.clone(), &text, &mut facts);
    let platforms = match platforms {
        [] => std::slice::from_ref(&options.platform),
        some => some,
    };
    let named = spec_probes(recipe, &spec, platforms);
    // The spec file is left to `spec_in_context`: one named by the spec is read again.
    let read = |path: &String| {
        spec_file.as_ref() != Some(path)
            && (guesses.contains(path) || manifests.contains(&path.as_str()))
    };
    let (seen, unseen): (Vec<String>, Vec<String>) = named.iter().cloned().partition(read);
    context::headers_read(&seen, &mut facts);
    settle_guesses(
        guesses,
        &manifests,
        &named,
        spec_file.as_deref(),
        &mut facts,
    );
    context::gather_headers(context, &unseen, &mut facts)
        .await
        .map_err(|e| LoadError::Read(e.into()))?;
    let plans = plan_each(recipe, &spec, &facts, options, platforms)?;
    // There is a platform, so there is a plan; were there none, nothing would be built.
    let Some((_, plan)) = plans.first() else {
        return Err(LoadError::NoRecipe(spec.runtime.value.clone()));
    };
    if options.target == Target::Builder && plan.builder.is_none() {
        return Err(LoadError::NoBuilder {
            runtime: recipe.name,
        });
    }
    Ok(Loaded {
        text,
        spec,
        recipe,
        facts,
        plan: plan.clone(),
        plans,
    })
}

/// The files the recipe names from the spec, for every platform: each with its platform args
/// put in, kept only when it stays inside the context, once each.
fn spec_probes(recipe: &Recipe, spec: &Spec, platforms: &[Platform]) -> Vec<String> {
    let mut named = Vec::new();
    for path in (recipe.spec_probes)(spec) {
        for platform in platforms {
            if let Some(path) = runtimes::inside_context(&platform.expand(&path)) {
                if !named.contains(&path) {
                    named.push(path);
                }
            }
        }
    }
    named
}

/// One plan per platform; the problems of all of them (each once) when any fails.
fn plan_each<E>(
    recipe: &Recipe,
    spec: &Spec,
    facts: &Facts,
    options: &Options,
    platforms: &[Platform],
) -> Result<Vec<(Platform, Plan)>, LoadError<E>> {
    let mut plans = Vec::new();
    let mut problems: Vec<spec::Diagnostic> = Vec::new();
    for platform in platforms {
        let options = Options {
            platform: platform.clone(),
            ..options.clone()
        };
        match Plan::from_spec(recipe, spec, facts, &options) {
            Ok(plan) => plans.push((platform.clone(), plan)),
            Err(PlanError::Spec(found)) => {
                for problem in found.0 {
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
            }
            Err(PlanError::Option(bad)) => return Err(LoadError::Option(bad)),
        }
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        problems.sort_by_key(|d| (d.span.line, d.span.col));
        Err(LoadError::Spec(Diagnostics(problems)))
    }
}

/// Makes the guessed files' facts what they would be had the guesses not been read with the
/// manifests: a named one holds its header ([`context::headers_read`]) and is never oversized,
/// an unnamed one is gone. Manifests and the spec file (`spec_in_context`'s) are left alone.
fn settle_guesses(
    guesses: &[String],
    manifests: &[&str],
    named: &[String],
    spec: Option<&str>,
    facts: &mut Facts,
) {
    for guess in guesses {
        if manifests.contains(&guess.as_str()) || spec == Some(guess.as_str()) {
            continue;
        }
        facts.oversized.remove(guess);
        if !named.contains(guess) {
            facts.files.remove(guess);
        }
    }
}

/// `options` with the spec file's path only when the context holds that file with the spec's
/// contents (the `filename` option names it in the spec's own directory, which need not be the
/// context); the file's contents are dropped from the facts unless a recipe asked for it.
fn spec_in_context(
    options: &Options,
    spec_file: Option<String>,
    text: &str,
    facts: &mut Facts,
) -> Options {
    let held = spec_file.filter(|path| {
        let same = facts.files.get(path).map(Vec::as_slice) == Some(text.as_bytes());
        if !runtimes::all_probes().contains(&path.as_str()) {
            facts.files.remove(path);
        }
        same
    });
    Options {
        spec_file: held,
        ..options.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A context held in memory.
    struct Files(BTreeMap<String, Vec<u8>>);

    impl Context for Files {
        type Error = std::io::Error;

        async fn read_existing(
            &mut self,
            paths: &[&str],
            limit: usize,
        ) -> Result<BTreeMap<String, Vec<u8>>, std::io::Error> {
            Ok(paths
                .iter()
                .filter_map(|p| {
                    let data = self.0.get(*p)?;
                    Some((p.to_string(), data[..data.len().min(limit)].to_vec()))
                })
                .collect())
        }
    }

    const NODE_SPEC: &str = "runtime: node\nentrypoint: server.js\n";

    fn node_app() -> Files {
        Files(BTreeMap::from([
            ("package.json".to_string(), b"{}".to_vec()),
            ("package-lock.json".to_string(), b"{}".to_vec()),
            ("server.js".to_string(), b"".to_vec()),
            (".dockerignore".to_string(), b"node_modules\n".to_vec()),
        ]))
    }

    /// A context that records what each read asked for.
    struct Recording {
        files: Files,
        reads: Vec<Vec<String>>,
    }

    impl Context for Recording {
        type Error = std::io::Error;

        async fn read_existing(
            &mut self,
            paths: &[&str],
            limit: usize,
        ) -> Result<BTreeMap<String, Vec<u8>>, std::io::Error> {
            self.reads
                .push(paths.iter().map(|p| p.to_string()).collect());
            self.files.read_existing(paths, limit).await
        }
    }

    fn load_with<C: Context<Error = std::io::Error>>(
        files: &mut C,
        spec: &str,
        options: &Options,
    ) -> Result<Loaded, LoadError<std::io::Error>> {
        load_for(files, spec, options, &[])
    }

    fn load_for<C: Context<Error = std::io::Error>>(
        files: &mut C,
        spec: &str,
        options: &Options,
        platforms: &[Platform],
    ) -> Result<Loaded, LoadError<std::io::Error>> {
        let text = std::future::ready(Ok(spec.to_string()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(load(files, text, options, platforms))
    }

    fn amd64_and_arm64() -> [Platform; 2] {
        [Platform::default(), Platform::new("linux", "arm64", "")]
    }

    #[test]
    fn each_platform_is_planned_with_its_own_binary() {
        use crate::formats::elf::tests::elf64;
        use crate::formats::elf::{EM_AARCH64, EM_X86_64, ET_EXEC};
        let mut files = Files(BTreeMap::from([
            ("bin/amd64/app".to_string(), elf64(EM_X86_64, ET_EXEC, None)),
            (
                "bin/arm64/app".to_string(),
                elf64(EM_AARCH64, ET_EXEC, None),
            ),
        ]));
        let spec = "runtime: static\nentrypoint: bin/${TARGETARCH}/app\n";
        let loaded = load_for(&mut files, spec, &Options::default(), &amd64_and_arm64())
            .unwrap_or_else(|e| panic!("{e}"));
        let from: Vec<(String, &crate::plan::Source)> = loaded
            .plans
            .iter()
            .map(|(platform, plan)| (platform.to_string(), &plan.runtime_stage.artifacts[0].from))
            .collect();
        assert_eq!(
            from,
            vec![
                (
                    "linux/amd64".to_string(),
                    &crate::plan::Source::Context("bin/amd64/app".into())
                ),
                (
                    "linux/arm64".to_string(),
                    &crate::plan::Source::Context("bin/arm64/app".into())
                ),
            ]
        );
        assert_eq!(loaded.plan, loaded.plans[0].1);
    }

    #[test]
    fn a_problem_every_platform_has_is_reported_once() {
        // One binary for both platforms, and it is missing: one problem, not one a platform.
        let spec = "runtime: static\nentrypoint: ./server\n";
        let e = load_for(
            &mut node_app(),
            spec,
            &Options::default(),
            &amd64_and_arm64(),
        )
        .map(|_| ())
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "shallot.yaml:2:13: `server` is not a file in the build context (hint: build the binary into the context before `docker build`)"
        );
    }

    #[test]
    fn reads_the_recipes_files_and_dockerignore_and_plans() {
        let loaded = load_with(&mut node_app(), NODE_SPEC, &Options::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.recipe.name, "node");
        assert!(loaded.facts.has("package-lock.json"));
        assert_eq!(loaded.facts.dockerignore.as_deref(), Some("node_modules\n"));
        assert_eq!(loaded.plan.runtime, "node");
        assert_eq!(loaded.text, NODE_SPEC);
    }

    #[test]
    fn a_guessed_start_file_needs_no_second_read_and_is_only_its_header() {
        let mut files = node_app();
        files
            .0
            .insert("server.js".to_string(), vec![b'x'; (1 << 20) + 10]);
        let mut context = Recording {
            files,
            reads: Vec::new(),
        };
        let loaded = load_with(&mut context, NODE_SPEC, &Options::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(context.reads.len(), 1, "{:?}", context.reads);
        assert!(context.reads[0].contains(&"server.js".to_string()));
        // What a read of its header alone would have given.
        assert_eq!(loaded.facts.files["server.js"].len(), context::HEADER_BYTES);
        assert!(!loaded.facts.oversized.contains("server.js"));
    }

    #[test]
    fn guessed_files_the_spec_does_not_name_are_no_facts_and_others_are_read_after() {
        let files = Files(BTreeMap::from([
            ("requirements.txt".to_string(), b"flask\n".to_vec()),
            ("web.py".to_string(), b"".to_vec()),
            ("index.js".to_string(), b"//".to_vec()),
            ("src/main.rs".to_string(), b"fn main() {}".to_vec()),
        ]));
        let mut context = Recording {
            files,
            reads: Vec::new(),
        };
        let spec = "runtime: python\nentrypoint: web.py\n";
        let loaded =
            load_with(&mut context, spec, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!loaded.facts.has("index.js") && !loaded.facts.has("src/main.rs"));
        assert!(!loaded.facts.lacks("index.js"));
        assert_eq!(context.reads.len(), 2, "{:?}", context.reads);
        assert_eq!(context.reads[1], ["web.py"]);
        assert!(loaded.facts.has("web.py"));
    }

    #[test]
    fn a_named_guess_the_context_lacks_is_absent() {
        let mut files = node_app();
        files.0.remove("server.js");
        let mut context = Recording {
            files,
            reads: Vec::new(),
        };
        let e = load_with(&mut context, NODE_SPEC, &Options::default())
            .map(|_| ())
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("shallot.yaml:2:13: `server.js` is not in the build context"),
            "{e}"
        );
        assert_eq!(context.reads.len(), 1);
    }

    #[test]
    fn the_spec_file_is_excluded_only_when_the_context_holds_it() {
        let mut files = node_app();
        files
            .0
            .insert("shallot.yaml".to_string(), NODE_SPEC.as_bytes().to_vec());
        files
            .0
            .insert("app.yaml".to_string(), b"runtime: other\n".to_vec());
        for (named, excluded) in [
            ("shallot.yaml", true),
            ("./shallot.yaml", true),
            // Another file of that name (the spec lives beside the context): kept.
            ("app.yaml", false),
            ("missing.yaml", false),
        ] {
            let options = Options {
                spec_file: Some(named.to_string()),
                ..Default::default()
            };
            let loaded =
                load_with(&mut files, NODE_SPEC, &options).unwrap_or_else(|e| panic!("{e}"));
            let exclude = &loaded.plan.context.exclude;
            let path = named.trim_start_matches("./");
            assert_eq!(exclude.iter().any(|p| p == path), excluded, "{named}");
            assert!(!loaded.facts.has(path), "{named} is no recipe's fact");
        }
    }

    #[test]
    fn a_start_script_the_context_lacks_is_a_spec_error_at_its_line() {
        let e = load_with(
            &mut node_app(),
            "runtime: node\nentrypoint: app.js\n",
            &Options::default(),
        )
        .map(|_| ())
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("shallot.yaml:2:13: `app.js` is not in the build context"),
            "{e}"
        );
    }

    #[test]
    fn options_choose_the_final_images() {
        let options = Options {
            build_args: BTreeMap::from([(
                crate::plan::RUNTIME_IMAGE_ARG.to_string(),
                "mirror/distroless-node:nonroot".to_string(),
            )]),
            target: Target::Debug,
            contexts: BTreeMap::from([(
                "builder".to_string(),
                "docker-image://mirror/node:24".to_string(),
            )]),
            ..Default::default()
        };
        let loaded =
            load_with(&mut node_app(), NODE_SPEC, &options).unwrap_or_else(|e| panic!("{e}"));
        let builder = loaded.plan.builder.as_ref().map(|b| b.image.as_str());
        assert_eq!(builder, Some("mirror/node:24"));
        assert_eq!(
            loaded.plan.runtime_stage.image,
            "mirror/distroless-node:debug-nonroot"
        );
    }

    #[test]
    fn a_named_context_that_is_no_image_is_refused() {
        let options = Options {
            contexts: BTreeMap::from([("runtime".to_string(), "local:dir".to_string())]),
            ..Default::default()
        };
        let e = load_with(&mut node_app(), NODE_SPEC, &options)
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(e, LoadError::Option(_)), "{e}");
        assert_eq!(
            e.to_string(),
            "option context:runtime=local:dir: a base image's named context must be `docker-image://<ref>`"
        );
    }

    #[test]
    fn unknown_runtime_is_a_spec_error_not_a_panic() {
        let e = load_with(&mut node_app(), "runtime: cobol\n", &Options::default())
            .map(|_| ())
            .unwrap_err();
        let LoadError::Spec(d) = e else {
            panic!("expected a spec error, got {e}")
        };
        assert!(
            d.short("shallot.yaml")
                .starts_with("shallot.yaml:1:10: unknown runtime `cobol`"),
            "{d}"
        );
    }

    // The static recipe takes amd64 binaries; this test's own executable is one here.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn builder_target_needs_a_builder_stage() {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let binary = std::fs::read(exe).unwrap_or_else(|e| panic!("{e}"));
        let mut files = Files(BTreeMap::from([("server".to_string(), binary)]));
        let options = Options {
            target: Target::Builder,
            ..Default::default()
        };
        let spec = "runtime: static\nentrypoint: ./server\n";
        let e = load_with(&mut files, spec, &options)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e.to_string(), "runtime `static` has no builder stage");
    }
}
