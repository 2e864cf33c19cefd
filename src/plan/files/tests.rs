//! Tests for `files`: where each path comes from and goes to, the include list, the copy in the
//! graph, and the runtimes that refuse it.

use crate::formats::elf::tests::elf64;
use crate::formats::elf::{EM_X86_64, ET_EXEC};
use crate::llb::{Stage, from_plan};
use crate::plan::{Artifact, Ids, Plan, Source};
use crate::testkit::{build_env, dump, facts, plan, plan_err};

const GO_MOD: &str = "module example.com/site\n\ngo 1.22\n";
const GO_SPEC: &str = "runtime: go\nport: 8080\nfiles: [templates, ./static/]\n";

fn go_plan(spec: &str) -> Plan {
    plan(spec, &facts(&[("go.mod", GO_MOD)], None))
}

/// The artifacts after the recipe's own (the binary).
fn files_of(plan: &Plan) -> &[Artifact] {
    plan.runtime_stage.artifacts.get(1..).unwrap_or_default()
}

#[test]
fn go_files_come_from_the_builder_after_the_build_into_the_workdir() {
    let plan = go_plan(GO_SPEC);
    insta::assert_json_snapshot!("go_files_runtime_stage", plan.runtime_stage);
    let files = files_of(&plan);
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].from, Source::Builder("/app/templates".to_string()));
    assert_eq!(files[0].to, "/app/templates");
    assert_eq!(files[1].from, Source::Builder("/app/static".to_string()));
    assert_eq!(files[1].to, "/app/static");
    assert!(
        files
            .iter()
            .all(|f| f.owner == Ids::NONROOT && f.mode.is_none())
    );
}

#[test]
fn files_follow_the_workdir_and_the_user() {
    let plan = go_plan("runtime: go\nworkdir: /srv\nuser: 1000\nfiles: [web/templates]\n");
    let files = files_of(&plan);
    assert_eq!(
        files[0].from,
        Source::Builder("/srv/web/templates".to_string())
    );
    assert_eq!(files[0].to, "/srv/web/templates");
    assert_eq!(
        files[0].owner,
        Ids {
            uid: 1000,
            gid: 1000
        }
    );
}

#[test]
fn the_copy_in_the_graph_reads_like_its_dockerfile_line() {
    let plan = go_plan(GO_SPEC);
    let graph = dump(&from_plan(&plan, &build_env(GO_SPEC), Stage::Runtime));
    // One step copies everything from the builder, each path with its own owner.
    assert!(
        graph.contains(
            "[runtime 2/2] COPY --from=builder /.shallot/root/ / \
             and --chown=65532:65532 /out/site /app/site \
             and --chown=65532:65532 /app/templates /app/templates \
             and --chown=65532:65532 /app/static /app/static\""
        ),
        "{graph}"
    );
}

#[test]
fn files_are_sent_when_the_spec_has_an_include_list() {
    let plan = go_plan("runtime: go\ninclude: [\"*.go\"]\nfiles: [templates]\n");
    assert!(plan.context.include.contains(&"templates".to_string()));
    let plan = go_plan(GO_SPEC);
    assert!(plan.context.include.is_empty(), "no include list: send all");
}

#[test]
fn static_files_come_from_the_context() {
    let spec = "runtime: static\nentrypoint: ./server\nfiles: [static]\n";
    let plan = plan(
        spec,
        &facts(&[("server", elf64(EM_X86_64, ET_EXEC, None))], None),
    );
    let files = files_of(&plan);
    assert_eq!(files[0].from, Source::Context("static".to_string()));
    assert_eq!(files[0].to, "/app/static");
}

#[test]
fn rust_and_java_take_files_too() {
    let cargo = "[package]\nname = \"site\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";
    let rust = plan(
        "runtime: rust\nfiles: [templates]\n",
        &facts(
            &[("Cargo.toml", cargo), ("src/main.rs", "fn main() {}\n")],
            None,
        ),
    );
    assert_eq!(
        files_of(&rust)[0].from,
        Source::Builder("/app/templates".to_string())
    );
    let pom = "<project><artifactId>site</artifactId><version>1</version></project>";
    let java = plan(
        "runtime: java\nfiles: [config]\n",
        &facts(&[("pom.xml", pom)], None),
    );
    assert_eq!(
        files_of(&java)[0].from,
        Source::Builder("/app/config".to_string())
    );
}

#[test]
fn runtimes_that_ship_the_whole_app_refuse_files() {
    let node = plan_err(
        "runtime: node\nentrypoint: server.js\nfiles: [views]\n",
        &facts(&[("package.json", "{}")], None),
    );
    assert_eq!(
        node,
        "shallot.yaml:3:9: runtime `node` already ships the whole app directory, so `files` would copy nothing (hint: remove `files`; to keep a path out of the image, list it in `exclude`)"
    );
    let python = plan_err(
        "runtime: python\nentrypoint: app.py\nfiles: [templates]\n",
        &facts(&[("requirements.txt", "flask\n")], None),
    );
    assert!(
        python.starts_with(
            "shallot.yaml:3:9: runtime `python` already ships the whole app directory"
        ),
        "{python}"
    );
}
