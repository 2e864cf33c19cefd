//! Helpers shared by the unit tests, so that each exists once: the plan of a spec, the run
//! commands of a plan, the build environment of a golden graph and the one rendering of a graph
//! that golden files hold.

use crate::llb::{BuildEnv, Definition, SourceFile, ops_json};
use crate::plan::{Plan, Step};

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
pub(crate) fn plan_of(
    spec: &crate::spec::Spec,
    facts: &crate::plan::Facts,
    options: &crate::plan::Options,
) -> Result<crate::plan::Plan, crate::spec::Diagnostics> {
    use crate::plan::{Plan, PlanError};
    let Some(recipe) = crate::runtimes::find(&spec.runtime.value) else {
        panic!("no recipe for `{}`", spec.runtime.value)
    };
    Plan::from_spec(recipe, spec, facts, options).map_err(|e| match e {
        PlanError::Spec(d) => d,
        other => panic!("not a spec problem: {other}"),
    })
}
