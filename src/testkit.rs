//! Helpers shared by the unit tests, so that each exists once: the run commands of a plan, the
//! build environment of a golden graph and the one rendering of a graph that golden files hold.

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
