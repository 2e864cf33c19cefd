//! Tests for `plan`: the node example's plan as a golden file, and each setting that shapes it.

use super::*;
use crate::spec::Span;
use crate::testkit::{
    builder, commands, diagnostics, facts, node_lean_label, node_lean_run, plan, plan_with, span,
};

const EXAMPLE_SPEC: &str = include_str!("../../examples/node/shallot.yaml");
const EXAMPLE_PACKAGE: &str = include_str!("../../examples/node/package.json");
const EXAMPLE_LOCK: &str = include_str!("../../examples/node/package-lock.json");
const EXAMPLE_DOCKERIGNORE: &str = include_str!("../../examples/node/.dockerignore");

/// A minimal package.json with no local packages.
const PACKAGE: &str = r#"{"name": "app", "version": "1.0.0"}"#;

fn example_facts() -> Facts {
    facts(
        &[
            ("package.json", EXAMPLE_PACKAGE),
            ("package-lock.json", EXAMPLE_LOCK),
        ],
        Some(EXAMPLE_DOCKERIGNORE),
    )
}

/// Package and lockfile, no `.dockerignore`.
fn locked_facts() -> Facts {
    facts(
        &[("package.json", PACKAGE), ("package-lock.json", "{}")],
        None,
    )
}

fn env<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

// ---- the example --------------------------------------------------------------------------------

#[test]
fn example_plan_golden() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    insta::assert_json_snapshot!("node_example_plan", plan);
}

#[test]
fn example_plan_shape() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let npm = Cache {
        target: "/root/.npm".to_string(),
        id: "shallot-npm".to_string(),
        locked: false,
    };
    let run = |command: &str, span: Span| Step::Run(Run::at(command, vec![npm.clone()], span));
    let runtime_span = span(2, 10, 2, 14);
    assert_eq!(
        builder(&plan).steps,
        vec![
            Step::CopyFiles {
                paths: vec![
                    "package.json".to_string(),
                    "package-lock.json".to_string(),
                    "packages/greeting".to_string(),
                    "packages/stamp".to_string(),
                ],
            },
            run("npm ci", runtime_span),
            Step::CopySource,
            run("npm run build", span(6, 5, 6, 18)),
            run("npm prune --omit=dev", runtime_span),
            Step::Run(Run::at(node_lean_run(), vec![], runtime_span).labelled(node_lean_label())),
        ]
    );
    assert_eq!(plan.runtime, "node");
    assert_eq!(builder(&plan).image, "node:24-trixie-slim");
    assert_eq!(builder(&plan).workdir, "/app");
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/nodejs24-debian13:nonroot"
    );
    assert_eq!(
        plan.runtime_stage.artifacts,
        vec![Artifact {
            from: Source::Builder("/app".to_string()),
            to: "/app".to_string(),
            owner: Ids::NONROOT,
            directory: true,
            mode: None,
            span: Some(span(3, 13, 3, 22)),
        }]
    );
    assert_eq!(
        plan.config,
        ImageConfig {
            entrypoint: Entrypoint::Inherit {
                fallback: vec!["/nodejs/bin/node".to_string()],
            },
            cmd: vec!["server.js".to_string()],
            env: vec![
                ("NODE_ENV".to_string(), "production".to_string()),
                ("PORT".to_string(), "8080".to_string()),
            ],
            exposed_ports: vec![Port(8080)],
            user: Ids::NONROOT,
            workdir: "/app".to_string(),
            labels: BTreeMap::new(),
        }
    );
    // The example's .dockerignore already lists node_modules: it is not repeated; the
    // .dockerignore itself is never shipped.
    assert_eq!(
        plan.context.exclude,
        vec!["node_modules", "dist", ".dockerignore"]
    );
}

#[test]
fn plan_is_pure() {
    let a = plan(EXAMPLE_SPEC, &example_facts());
    let b = plan(EXAMPLE_SPEC, &example_facts());
    assert_eq!(a, b);
}

// ---- install steps ------------------------------------------------------------------------------

#[test]
fn without_build_installs_production_dependencies_once() {
    let plan = plan("runtime: node\nentrypoint: server.js\n", &locked_facts());
    assert_eq!(commands(&plan), vec!["npm ci --omit=dev", &node_lean_run()]);
    assert_eq!(
        builder(&plan).steps[0],
        Step::CopyFiles {
            paths: vec!["package.json".to_string(), "package-lock.json".to_string()],
        }
    );
    assert_eq!(builder(&plan).steps[2], Step::CopySource);
    assert_eq!(builder(&plan).steps.len(), 4);
}

#[test]
fn without_lockfile_uses_npm_install() {
    let facts = facts(&[("package.json", PACKAGE)], None);
    let plan = plan("runtime: node\nentrypoint: server.js\n", &facts);
    assert_eq!(
        commands(&plan),
        vec!["npm install --omit=dev", &node_lean_run()]
    );
    assert_eq!(
        builder(&plan).steps[0],
        Step::CopyFiles {
            paths: vec!["package.json".to_string()],
        }
    );
}

#[test]
fn without_lockfile_build_uses_npm_install_then_prune() {
    let facts = facts(&[("package.json", PACKAGE)], None);
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nbuild: [npm run build]\n",
        &facts,
    );
    assert_eq!(
        commands(&plan),
        vec![
            "npm install",
            "npm run build",
            "npm prune --omit=dev",
            &node_lean_run()
        ]
    );
}

#[test]
fn shrinkwrap_and_npmrc_are_manifests() {
    let facts = facts(
        &[
            ("package.json", PACKAGE),
            ("npm-shrinkwrap.json", "{}"),
            (".npmrc", "registry=https://example.invalid/\n"),
        ],
        None,
    );
    let plan = plan("runtime: node\nentrypoint: server.js\n", &facts);
    assert_eq!(
        builder(&plan).steps[0],
        Step::CopyFiles {
            paths: vec![
                "package.json".to_string(),
                "npm-shrinkwrap.json".to_string(),
                ".npmrc".to_string(),
            ],
        }
    );
    // npm's config may hold tokens: removed before the app reaches the runtime image.
    assert_eq!(
        commands(&plan),
        vec!["npm ci --omit=dev", "rm -f .npmrc", &node_lean_run()]
    );
}

#[test]
fn without_package_json_there_is_no_install() {
    let plan = plan("runtime: node\nentrypoint: server.js\n", &Facts::default());
    assert_eq!(builder(&plan).steps, vec![Step::CopySource]);
}

#[test]
fn without_package_json_build_runs_without_prune() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nbuild: [make]\n",
        &Facts::default(),
    );
    assert_eq!(builder(&plan).steps.len(), 2);
    assert_eq!(builder(&plan).steps[0], Step::CopySource);
    assert_eq!(commands(&plan), vec!["make"]);
}

#[test]
fn builder_env_silences_npm() {
    let plan = plan("runtime: node\nentrypoint: server.js\n", &locked_facts());
    assert_eq!(
        builder(&plan).env,
        vec![
            ("NPM_CONFIG_AUDIT".to_string(), "false".to_string()),
            ("NPM_CONFIG_FUND".to_string(), "false".to_string()),
            (
                "NPM_CONFIG_UPDATE_NOTIFIER".to_string(),
                "false".to_string()
            ),
            ("npm_config_nodedir".to_string(), "/usr/local".to_string()),
        ]
    );
}

// ---- user and workdir ---------------------------------------------------------------------------

#[test]
fn user_root_owns_artifacts_as_zero() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nuser: root\n",
        &locked_facts(),
    );
    assert_eq!(
        plan.runtime_stage.artifacts[0].owner,
        Ids { uid: 0, gid: 0 }
    );
    assert_eq!(plan.config.user.to_string(), "0:0");
}

#[test]
fn user_ids_are_used_as_written() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nuser: 1000:2000\n",
        &locked_facts(),
    );
    assert_eq!(
        plan.runtime_stage.artifacts[0].owner,
        Ids {
            uid: 1000,
            gid: 2000
        }
    );
    assert_eq!(plan.config.user.to_string(), "1000:2000");
}

#[test]
fn bare_uid_is_also_the_gid() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nuser: 1000\n",
        &locked_facts(),
    );
    assert_eq!(
        plan.runtime_stage.artifacts[0].owner,
        Ids {
            uid: 1000,
            gid: 1000
        }
    );
    assert_eq!(plan.config.user.to_string(), "1000:1000");
}

#[test]
fn workdir_reaches_builder_artifacts_and_config() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nworkdir: /srv/app\n",
        &locked_facts(),
    );
    assert_eq!(builder(&plan).workdir, "/srv/app");
    assert_eq!(plan.config.workdir, "/srv/app");
    let artifact = &plan.runtime_stage.artifacts[0];
    assert_eq!(artifact.from, Source::Builder("/srv/app".to_string()));
    assert_eq!(artifact.to, "/srv/app");
    assert!(artifact.directory);
}

// ---- images -------------------------------------------------------------------------------------

const IMAGES_SPEC: &str = "runtime: node\nentrypoint: server.js\nimages:\n  builder: my/builder:1\n  runtime: my/runtime:nonroot\n";

#[test]
fn recipe_images_by_default() {
    let plan = plan("runtime: node\nentrypoint: server.js\n", &locked_facts());
    assert_eq!(builder(&plan).image, "node:24-trixie-slim");
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/nodejs24-debian13:nonroot"
    );
}

#[test]
fn spec_images_replace_recipe_images() {
    let plan = plan(IMAGES_SPEC, &locked_facts());
    assert_eq!(builder(&plan).image, "my/builder:1");
    assert_eq!(plan.runtime_stage.image, "my/runtime:nonroot");
}

#[test]
fn options_replace_spec_images() {
    let options = Options {
        build_args: BTreeMap::from([
            (BUILDER_IMAGE_ARG.to_string(), "arg/builder:2".to_string()),
            (RUNTIME_IMAGE_ARG.to_string(), "arg/runtime:3".to_string()),
        ]),
        ..Default::default()
    };
    let plan = plan_with(IMAGES_SPEC, &locked_facts(), &options);
    assert_eq!(builder(&plan).image, "arg/builder:2");
    assert_eq!(plan.runtime_stage.image, "arg/runtime:3");
}

#[test]
fn options_replace_recipe_images_one_at_a_time() {
    let options = Options {
        build_args: BTreeMap::from([(RUNTIME_IMAGE_ARG.to_string(), "arg/runtime:3".to_string())]),
        ..Default::default()
    };
    let plan = plan_with(
        "runtime: node\nentrypoint: server.js\n",
        &locked_facts(),
        &options,
    );
    assert_eq!(builder(&plan).image, "node:24-trixie-slim");
    assert_eq!(plan.runtime_stage.image, "arg/runtime:3");
}

#[test]
fn node_version_picks_its_images() {
    let plan = plan("runtime: node@22\nentrypoint: server.js\n", &locked_facts());
    assert_eq!(builder(&plan).image, "node:22-trixie-slim");
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/nodejs22-debian13:nonroot"
    );
}

#[test]
fn debug_uses_the_debug_variant() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\ndebug: true\n",
        &locked_facts(),
    );
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/nodejs24-debian13:debug-nonroot"
    );
    // The builder is not affected.
    assert_eq!(builder(&plan).image, "node:24-trixie-slim");
}

#[test]
fn debug_applies_to_overridden_runtime_images() {
    let options = Options {
        build_args: BTreeMap::from([(
            RUNTIME_IMAGE_ARG.to_string(),
            "registry.example/app:nonroot".to_string(),
        )]),
        ..Default::default()
    };
    let plan = plan_with(
        "runtime: node\nentrypoint: server.js\ndebug: true\n",
        &locked_facts(),
        &options,
    );
    assert_eq!(
        plan.runtime_stage.image,
        "registry.example/app:debug-nonroot"
    );
}

#[test]
fn debug_variant_table() {
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let pinned = format!("gcr.io/distroless/nodejs24-debian13@{digest}");
    let pinned_tagged = format!("gcr.io/distroless/nodejs24-debian13:nonroot@{digest}");
    let cases: Vec<(&str, &str)> = vec![
        (
            "gcr.io/distroless/nodejs24-debian13:nonroot",
            "gcr.io/distroless/nodejs24-debian13:debug-nonroot",
        ),
        (
            "gcr.io/distroless/nodejs24-debian13:latest",
            "gcr.io/distroless/nodejs24-debian13:debug",
        ),
        (
            "gcr.io/distroless/nodejs24-debian13",
            "gcr.io/distroless/nodejs24-debian13:debug",
        ),
        (&pinned, &pinned),
        (&pinned_tagged, &pinned_tagged),
        (
            "gcr.io/distroless/nodejs24-debian13:debug",
            "gcr.io/distroless/nodejs24-debian13:debug",
        ),
        (
            "gcr.io/distroless/nodejs24-debian13:debug-nonroot",
            "gcr.io/distroless/nodejs24-debian13:debug-nonroot",
        ),
        ("my/runtime:1.2.3", "my/runtime:1.2.3"),
        ("localhost:5000/x", "localhost:5000/x:debug"),
        ("localhost:5000/x:nonroot", "localhost:5000/x:debug-nonroot"),
        ("localhost:5000/x:latest", "localhost:5000/x:debug"),
        ("localhost:5000/x:v1", "localhost:5000/x:v1"),
        ("distroless", "distroless:debug"),
    ];
    for (input, expected) in cases {
        assert_eq!(debug_variant(input), expected, "debug_variant({input:?})");
    }
}

// ---- errors -------------------------------------------------------------------------------------

#[test]
fn main_starts_the_app_when_nothing_else_says_and_the_builder_checks_it() {
    let facts = facts(
        &[(
            "package.json",
            r#"{"name": "app", "main": "dist/index.js"}"#,
        )],
        None,
    );
    let plan = plan(
        "# comment\nruntime: node\nport: 8080\nbuild: [make]\n",
        &facts,
    );
    assert_eq!(plan.config.cmd, ["dist/index.js"]);
    let start = plan
        .start
        .as_ref()
        .map(|s| (s.from.to_string(), s.command.as_str()));
    assert_eq!(
        start,
        Some(("package.json `main`".to_string(), "dist/index.js"))
    );
    // The last step, after the build: the script must be there, or the build fails at
    // the spec's `runtime` line (what named no start command).
    let Some(Step::Run(check)) = builder(&plan).steps.last() else {
        panic!("no check step")
    };
    assert_eq!(
        check.command,
        "test -e dist/index.js || { echo 'shallot.yaml:2:10: `dist/index.js` (from package.json `main`) is not in the app after the build (hint: check the path (relative to the context'\\''s root), make the file in `build`, and keep it out of `exclude` and .dockerignore)' >&2; exit 1; }"
    );
    assert_eq!(check.span, Some(span(2, 10, 2, 14)));
}

#[test]
fn missing_entrypoint_says_what_else_would_do() {
    let d = diagnostics("runtime: node\n", &locked_facts());
    assert_eq!(
        d.short("shallot.yaml"),
        "shallot.yaml:1:10: runtime `node` needs `entrypoint`: nothing else says how the app starts (no Procfile `web:` line, no `scripts.start` or `main` in package.json, no server.js or index.js) (hint: add `entrypoint: server.js` (the script that starts the app), or `scripts.start` to package.json)"
    );
}

#[test]
fn unsupported_node_version_lists_supported_ones() {
    let d = diagnostics("runtime: node@16\nentrypoint: server.js\n", &locked_facts());
    assert_eq!(
        d.0,
        vec![Diagnostic {
            span: span(1, 15, 1, 17),
            message: "node 16 is older than 18, the oldest shallot builds".to_string(),
            hint: Some("use 18 or newer; write e.g. `runtime: node@24`".to_string()),
        }]
    );
}

#[test]
fn invalid_package_json_is_reported_at_runtime() {
    let facts = facts(&[("package.json", "{\n  \"name\": \"app\",\n}\n")], None);
    let d = diagnostics("runtime: node\nentrypoint: server.js\n", &facts);
    assert_eq!(
        d.short("shallot.yaml"),
        "shallot.yaml:1:10: package.json in the build context is not valid JSON: trailing comma at line 3, column 1"
    );
}

#[test]
fn non_utf8_package_json_is_reported() {
    let utf16 = facts(&[("package.json", [0xff, 0xfe, b'{'])], None);
    let d = diagnostics("runtime: node\nentrypoint: server.js\n", &utf16);
    assert_eq!(
        d.short("shallot.yaml"),
        "shallot.yaml:1:10: package.json in the build context is UTF-16 text (it starts with a UTF-16 byte-order mark) (hint: save it as UTF-8)"
    );
    let latin1 = facts(&[("package.json", b"{\n\"a\": \"\xe9\"}".as_slice())], None);
    let d = diagnostics("runtime: node\nentrypoint: server.js\n", &latin1);
    assert_eq!(
        d.short("shallot.yaml"),
        "shallot.yaml:1:10: package.json in the build context is not UTF-8 text: the first bad byte (0xe9) is at line 2, column 7 (hint: save it as UTF-8)"
    );
}

#[test]
fn all_recipe_problems_are_reported_together() {
    let facts = facts(&[("package.json", "not json")], None);
    let d = diagnostics("runtime: node@16\n", &facts);
    let lines: Vec<String> = d.0.iter().map(|d| d.message.clone()).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    // Sorted by position: the two at `node` (1:10), then the version (1:15).
    assert!(lines[0].starts_with("package.json in the build context is not valid JSON"));
    assert!(
        lines[1]
            .starts_with("runtime `node` needs `entrypoint`: nothing else says how the app starts")
    );
    assert_eq!(
        lines[2],
        "node 16 is older than 18, the oldest shallot builds"
    );
}

// ---- context excludes ---------------------------------------------------------------------------

#[test]
fn default_excludes_without_dockerignore() {
    let plan = plan("runtime: node\nentrypoint: server.js\n", &locked_facts());
    assert_eq!(plan.context.exclude, vec![".git", ".env", "node_modules"]);
}

#[test]
fn dockerignore_replaces_default_excludes() {
    let facts = facts(
        &[("package.json", PACKAGE)],
        Some("# build output\n\ndist\n./coverage\n  *.log  \n"),
    );
    let plan = plan("runtime: node\nentrypoint: server.js\n", &facts);
    assert_eq!(
        plan.context.exclude,
        vec!["dist", "coverage", "*.log", "node_modules", ".dockerignore"]
    );
}

#[test]
fn empty_dockerignore_still_excludes_node_modules() {
    let facts = facts(&[("package.json", PACKAGE)], Some(""));
    let plan = plan("runtime: node\nentrypoint: server.js\n", &facts);
    assert_eq!(plan.context.exclude, vec!["node_modules", ".dockerignore"]);
}

#[test]
fn the_spec_file_in_the_context_is_never_shipped() {
    let options = Options {
        spec_file: Some("deploy/app[1].yaml".to_string()),
        ..Options::default()
    };
    let plan = plan_with(
        "runtime: node\nentrypoint: server.js\nexclude: ['!deploy']\n",
        &locked_facts(),
        &options,
    );
    // Last, after every pattern that could re-include it, and as a literal path.
    assert_eq!(
        plan.context.exclude.last().map(String::as_str),
        Some("deploy/app\\[1\\].yaml")
    );
    assert!(is_excluded(&plan.context.exclude, "deploy/app[1].yaml"));
    assert!(!is_excluded(&plan.context.exclude, "deploy/app1.yaml"));
}

#[test]
fn dockerignore_patterns_skip_comments_and_blank_lines() {
    let text = "# comment\n\n   \nnode_modules\n./build\r\n!keep.txt\n";
    assert_eq!(
        dockerignore_patterns(text),
        vec!["node_modules", "build", "!keep.txt"]
    );
    assert!(dockerignore_patterns("").is_empty());
    assert!(dockerignore_patterns("# only a comment\n").is_empty());
}

#[test]
fn dockerignore_patterns_normalize_like_docker() {
    // Docker (moby/patternmatcher ignorefile.ReadAll, used by BuildKit's Dockerfile frontend)
    // cleans each pattern, drops a leading `/` (also after `!`) and strips a BOM, because the
    // daemon's exclude matcher compares against paths relative to the context root: `/.env`
    // passed through as-is excludes nothing, so the secret is sent and copied into the image.
    let text = "\u{feff}node_modules\n/.env\n/dist/\n!/dist/keep.txt\nsecrets/../.npmrc\n";
    assert_eq!(
        dockerignore_patterns(text),
        vec!["node_modules", ".env", "dist", "!dist/keep.txt", ".npmrc"]
    );
}

// ---- config -------------------------------------------------------------------------------------

#[test]
fn spec_env_overrides_recipe_env() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nport: 3000\nenv:\n  NODE_ENV: development\n  LOG: debug\n",
        &locked_facts(),
    );
    assert_eq!(
        plan.config.env,
        vec![
            ("LOG".to_string(), "debug".to_string()),
            ("NODE_ENV".to_string(), "development".to_string()),
            ("PORT".to_string(), "3000".to_string()),
        ]
    );
    assert_eq!(plan.config.exposed_ports, vec![Port(3000)]);
}

#[test]
fn spec_env_overrides_port_env() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nport: 3000\nenv:\n  PORT: \"4000\"\n",
        &locked_facts(),
    );
    assert_eq!(env(&plan.config.env, "PORT"), Some("4000"));
    assert_eq!(plan.config.exposed_ports, vec![Port(3000)]);
}

#[test]
fn without_port_nothing_is_exposed() {
    let plan = plan("runtime: node\nentrypoint: server.js\n", &locked_facts());
    assert!(plan.config.exposed_ports.is_empty());
    assert_eq!(env(&plan.config.env, "PORT"), None);
    assert_eq!(env(&plan.config.env, "NODE_ENV"), Some("production"));
}

#[test]
fn args_follow_the_entrypoint() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nargs: [--verbose, \"--port=1\"]\n",
        &locked_facts(),
    );
    assert_eq!(plan.config.cmd, vec!["server.js", "--verbose", "--port=1"]);
}

#[test]
fn labels_pass_through() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nlabels:\n  org.opencontainers.image.source: https://example.com/app\n  team: web\n",
        &locked_facts(),
    );
    assert_eq!(
        plan.config.labels,
        BTreeMap::from([
            (
                "org.opencontainers.image.source".to_string(),
                "https://example.com/app".to_string()
            ),
            ("team".to_string(), "web".to_string()),
        ])
    );
}

// ---- helpers ------------------------------------------------------------------------------------

#[test]
fn join_table() {
    assert_eq!(join("/app", "package.json"), "/app/package.json");
    assert_eq!(join("/app/", "package.json"), "/app/package.json");
    assert_eq!(join("/", "x"), "/x");
    assert_eq!(join("/app", "./packages/a"), "/app/packages/a");
}

#[test]
fn include_adds_the_manifests_and_exclude_adds_to_dockerignore() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\ninclude: [src, server.js]\nexclude: [tests]\n",
        &locked_facts(),
    );
    let mut include = plan.context.include.clone();
    include.sort();
    // The manifests the recipe copies first must be sent too, or the copy would fail.
    assert!(include.contains(&"package.json".to_string()), "{include:?}");
    assert!(include.contains(&"src".to_string()) && include.contains(&"server.js".to_string()));
    assert!(plan.context.exclude.contains(&"tests".to_string()));
    assert!(plan.context.exclude.contains(&"node_modules".to_string()));
    // Without `include`, everything is sent.
    let plan = plan_default();
    assert!(plan.context.include.is_empty());
}

fn plan_default() -> Plan {
    plan("runtime: node\nentrypoint: server.js\n", &locked_facts())
}

#[test]
fn secrets_and_ssh_go_to_the_builder() {
    let plan = plan(
        "runtime: node\nentrypoint: server.js\nsecrets: [a, {id: b, target: /root/.npmrc, required: false}]\nssh: [default]\n",
        &locked_facts(),
    );
    let builder = builder(&plan);
    assert_eq!(
        builder.secrets,
        vec![
            SecretMount {
                id: "a".to_string(),
                target: "/run/secrets/a".to_string(),
                required: true
            },
            SecretMount {
                id: "b".to_string(),
                target: "/root/.npmrc".to_string(),
                required: false
            },
        ]
    );
    assert_eq!(builder.ssh, vec!["default"]);
}

#[test]
fn build_args_fill_references_and_leave_the_rest() {
    let spec = crate::spec::parse(
        "runtime: node\nentrypoint: server.js\nenv:\n  V: \"${VERSION}-${OTHER}\"\nbuild:\n  - echo ${VERSION} $HOME\n",
        &crate::runtimes::names(),
    )
    .expect("spec");
    let options = Options {
        build_args: BTreeMap::from([("VERSION".to_string(), "1.2".to_string())]),
        ..Default::default()
    };
    let plan = crate::testkit::plan_of(&spec, &locked_facts(), &options).expect("plan");
    assert!(
        plan.config
            .env
            .contains(&("V".to_string(), "1.2-${OTHER}".to_string()))
    );
    assert!(commands(&plan).contains(&"echo 1.2 $HOME"));
    assert_eq!(references("a ${X} ${Y}${X} ${1A} ${}"), vec!["X", "Y"]);
}

#[test]
fn a_pattern_repeated_after_its_re_include_still_excludes() {
    let spec = "runtime: node\nentrypoint: server.js\nexclude: [secret.txt]\n";
    let f = facts(
        &[("package.json", "{}"), ("package-lock.json", "{}")],
        Some("secret.txt\n!secret.txt\n"),
    );
    let planned = plan(spec, &f);
    let exclude = &planned.context.exclude;
    assert!(
        crate::plan::is_excluded(exclude, "secret.txt"),
        "{exclude:?}"
    );
}
