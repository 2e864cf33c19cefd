//! Helpers shared by the unit tests, so that each exists once: a parsed spec, a build context,
//! the plan of a spec or the problems it fails with, parts of a plan, the build environment of a
//! golden graph and the one rendering of a graph that golden files hold.

use crate::llb::{BuildEnv, Definition, SourceFile, ops_json};
use crate::plan::{Builder, Facts, Options, Plan, PlanError, Step};
use crate::spec::{Diagnostics, Span, Spec};

/// The commands of the builder stage's runs, in order (a plan without builder has none).
pub(crate) fn commands(plan: &Plan) -> Vec<&str> {
    let steps = plan.builder.iter().flat_map(|builder| &builder.steps);
    steps
        .filter_map(|step| match step {
            Step::Run(run) => Some(run.command.as_str()),
            _ => None,
        })
        .collect()
}

/// What a golden graph is marshalled with: a fixed session id and `spec` as the source map's
/// `shallot.yaml`.
pub(crate) fn build_env(spec: &str) -> BuildEnv {
    BuildEnv {
        session: Some("test-session".to_string()),
        spec: Some(SourceFile {
            filename: "shallot.yaml".to_string(),
            data: spec.as_bytes().to_vec(),
            language: "YAML".to_string(),
        }),
        context_name: "context".to_string(),
        ..BuildEnv::default()
    }
}

/// The graph as golden files hold it: [`ops_json`], pretty-printed.
pub(crate) fn dump(def: &Definition) -> String {
    format!("{:#}", ops_json(def))
}

/// The plan of a parsed spec, with its runtime's recipe; its spec problems as
/// [`Diagnostics`](crate::spec::Diagnostics).
pub(crate) fn plan_of(spec: &Spec, facts: &Facts, options: &Options) -> Result<Plan, Diagnostics> {
    let Some(recipe) = crate::runtimes::find(&spec.runtime.value) else {
        panic!("no recipe for `{}`", spec.runtime.value)
    };
    Plan::from_spec(recipe, spec, facts, options).map_err(|e| match e {
        PlanError::Spec(d) => d,
        other => panic!("not a spec problem: {other}"),
    })
}

/// The file name that spec problems are rendered against, as the frontend names the spec.
const SPEC_FILE: &str = "shallot.yaml";

/// `src` parsed against every runtime there is; a spec that does not parse fails the test with
/// its problems rendered, so that the failure shows what is wrong with the test's spec.
pub(crate) fn parse(src: &str) -> Spec {
    match crate::spec::parse(src, &crate::runtimes::names()) {
        Ok(spec) => spec,
        Err(d) => panic!("spec should parse, got:\n{}", d.render(src, SPEC_FILE)),
    }
}

/// A build context holding `files` (text or bytes, by path) and `dockerignore`.
pub(crate) fn facts<B: AsRef<[u8]>>(files: &[(&str, B)], dockerignore: Option<&str>) -> Facts {
    Facts {
        files: files
            .iter()
            .map(|(path, bytes)| (path.to_string(), bytes.as_ref().to_vec()))
            .collect(),
        dockerignore: dockerignore.map(str::to_string),
        ..Facts::default()
    }
}

/// The plan of `src` in the context `facts`, with default options.
pub(crate) fn plan(src: &str, facts: &Facts) -> Plan {
    plan_with(src, facts, &Options::default())
}

/// The plan of `src` in the context `facts` with `options`; a plan that fails fails the test
/// with its problems rendered against `src`.
pub(crate) fn plan_with(src: &str, facts: &Facts, options: &Options) -> Plan {
    match plan_of(&parse(src), facts, options) {
        Ok(plan) => plan,
        Err(d) => panic!("plan should build, got:\n{}", d.render(src, SPEC_FILE)),
    }
}

/// The problems that `src` fails to plan with in the context `facts` (default options); a plan
/// that builds fails the test.
pub(crate) fn diagnostics(src: &str, facts: &Facts) -> Diagnostics {
    match plan_of(&parse(src), facts, &Options::default()) {
        Ok(plan) => panic!("expected errors, got {plan:#?}"),
        Err(d) => d,
    }
}

/// [`diagnostics`] in the short form, one line a problem, as users see them.
pub(crate) fn plan_err(src: &str, facts: &Facts) -> String {
    diagnostics(src, facts).short(SPEC_FILE)
}

/// The builder stage of a plan that must have one.
pub(crate) fn builder(plan: &Plan) -> &Builder {
    plan.builder.as_ref().expect("a builder stage")
}

/// The value of `key` in the builder stage's environment.
pub(crate) fn env<'a>(plan: &'a Plan, key: &str) -> Option<&'a str> {
    builder(plan)
        .env
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A span from `line:col` to `end_line:end_col`, written on one line as tests compare many.
pub(crate) fn span(line: u32, col: u32, end_line: u32, end_col: u32) -> Span {
    Span {
        line,
        col,
        end_line,
        end_col,
    }
}

/// Runs `check` with snapshots in `src/runtimes/snapshots/`, where every runtime's live: the
/// path is relative to the test file that asserts, `src/runtimes/<name>/tests.rs`.
pub(crate) fn runtime_snapshots(check: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.bind(check);
}

/// The run that leaves caches and other platforms' native packages out of a node app's
/// runtime image (the last run of every node builder that installs), as the recipe writes it.
pub(crate) fn node_lean_run() -> String {
    node_lean(|run| run.command.clone())
}

/// How the progress output names [`node_lean_run`].
pub(crate) fn node_lean_label() -> String {
    node_lean(|run| run.label.clone().unwrap_or_default())
}

/// Something of the last run of a plain node app's builder (the lean step).
fn node_lean(of: impl Fn(&crate::plan::Run) -> String) -> String {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\n",
        &facts(&[("package.json", "{}")], None),
    );
    let runs = plan.builder.iter().flat_map(|b| &b.steps);
    let last = runs
        .filter_map(|step| match step {
            Step::Run(run) => Some(of(run)),
            _ => None,
        })
        .last();
    last.unwrap_or_else(|| panic!("a node plan without runs: {plan:#?}"))
}
