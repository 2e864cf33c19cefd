//! Tests for what a node runtime image leaves out: the lean run's place and arguments, the
//! standalone output's copies, command and environment, and the entrypoint it refuses.

use super::super::NODE;
use crate::plan::{Ids, Plan, Source, Step};
use crate::testkit::{builder, commands, facts, node_lean_run, plan, plan_err};

const PACKAGE: &str = r#"{"name": "app", "version": "1.0.0"}"#;
const LOCK: &str = r#"{"lockfileVersion": 3}"#;
const STANDALONE_SPEC: &str = "runtime: node\nport: 8080\nbuild: [npm run build]\n";
const NEXT_CONFIG: &str =
    "/** @type {import('next').NextConfig} */\nmodule.exports = {\n  output: 'standalone',\n};\n";

fn next_plan(config_file: &str, config: &str, spec: &str) -> Plan {
    plan(
        spec,
        &facts(
            &[
                ("package.json", PACKAGE),
                ("package-lock.json", LOCK),
                (config_file, config),
            ],
            None,
        ),
    )
}

#[test]
fn the_lean_run_is_last_and_walks_node_modules_after_removing_the_caches() {
    let lean = node_lean_run();
    assert!(
        lean.starts_with("node -e 'const fs = require(`fs`)"),
        "{lean}"
    );
    assert!(
        lean.ends_with("' .next/cache,node_modules/.cache node_modules"),
        "{lean}"
    );
    // One shell word: the script has no single quote of its own.
    assert_eq!(lean.matches('\'').count(), 2, "{lean}");
    // The platform is the builder's own, and the libc distroless'.
    for part in [
        "process.platform, m.os",
        "process.arch, m.cpu",
        "`glibc`, m.libc",
    ] {
        assert!(lean.contains(part), "{part} in {lean}");
    }
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nbuild: [npm run build]\n",
        &facts(
            &[("package.json", PACKAGE), ("package-lock.json", LOCK)],
            None,
        ),
    );
    assert_eq!(
        commands(&plan),
        vec!["npm ci", "npm run build", "npm prune --omit=dev", &lean]
    );
}

#[test]
fn without_package_json_nothing_is_installed_or_pruned() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\n",
        &facts::<&str>(&[], None),
    );
    assert!(commands(&plan).is_empty(), "{:?}", commands(&plan));
}

#[test]
fn next_configs_are_probed() {
    for file in super::NEXT_CONFIGS {
        assert!(NODE.probes.contains(&file), "{file}");
    }
}

#[test]
fn standalone_output_ships_the_standalone_tree_and_starts_server_js() {
    let plan = next_plan("next.config.js", NEXT_CONFIG, STANDALONE_SPEC);
    insta::assert_json_snapshot!("node_standalone_plan", plan);
    let artifacts = &plan.runtime_stage.artifacts;
    assert_eq!(artifacts.len(), 1);
    assert_eq!(
        artifacts[0].from,
        Source::Builder("/app/.next/standalone".to_string())
    );
    assert_eq!(artifacts[0].to, "/app");
    assert!(artifacts[0].directory);
    assert_eq!(artifacts[0].owner, Ids::NONROOT);
    assert_eq!(plan.config.cmd, vec!["server.js"]);
    assert!(
        plan.config
            .env
            .contains(&("HOSTNAME".to_string(), "0.0.0.0".to_string()))
    );
    let commands = commands(&plan);
    let complete = commands[commands.len() - 2];
    assert!(
        complete.starts_with("if [ ! -f .next/standalone/server.js ]; then echo"),
        "{complete}"
    );
    assert!(
        complete.ends_with(
            "&& mkdir -p .next/standalone/.next \
             && if [ -d .next/static ]; then cp -R .next/static .next/standalone/.next/static; fi \
             && if [ -d public ]; then cp -R public .next/standalone/public; fi"
        ),
        "{complete}"
    );
    // The standalone tree's own node_modules are pruned too.
    assert!(
        commands[commands.len() - 1].ends_with(
            " .next/cache,node_modules/.cache node_modules .next/standalone/node_modules"
        ),
        "{}",
        commands[commands.len() - 1]
    );
    assert!(matches!(builder(&plan).steps.last(), Some(Step::Run(_))));
}

#[test]
fn every_config_file_counts_and_other_outputs_do_not() {
    for file in ["next.config.mjs", "next.config.ts", "next.config.cjs"] {
        let plan = next_plan(
            file,
            "export default { output: \"standalone\" }\n",
            STANDALONE_SPEC,
        );
        assert_eq!(plan.config.cmd, vec!["server.js"], "{file}");
    }
    let plan = next_plan(
        "next.config.js",
        "module.exports = { output: 'export' }\n",
        "runtime: node\nentrypoint: server.js\n",
    );
    assert_eq!(
        plan.runtime_stage.artifacts[0].from,
        Source::Builder("/app".to_string())
    );
    assert!(!plan.config.env.iter().any(|(k, _)| k == "HOSTNAME"));
}

#[test]
fn standalone_accepts_server_js_and_refuses_another_entrypoint() {
    let plan = next_plan(
        "next.config.js",
        NEXT_CONFIG,
        "runtime: node\nentrypoint: ./server.js\nbuild: [npm run build]\n",
    );
    assert_eq!(plan.config.cmd, vec!["server.js"]);
    let err = plan_err(
        "runtime: node\nentrypoint: dist/custom-server.js\nbuild: [npm run build]\n",
        &facts(
            &[
                ("package.json", PACKAGE),
                ("package-lock.json", LOCK),
                ("next.config.js", NEXT_CONFIG),
            ],
            None,
        ),
    );
    assert_eq!(
        err,
        "shallot.yaml:2:13: next.config.js sets `output: 'standalone'`, so the image holds only the server Next.js writes to .next/standalone, and `dist/custom-server.js` is not part of it (hint: remove `entrypoint` (the standalone server is `server.js`), or remove `output: 'standalone'` from next.config.js to ship the whole app)"
    );
}
