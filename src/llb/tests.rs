//! Tests for `llb`: golden graphs of the node example, determinism, and the builder's rules
//! (inputs first, sorted mounts, shared inputs once, caps, normalized refs).

use super::*;
use crate::plan::Plan;
use crate::testkit::{build_env, dump, facts, plan};

const EXAMPLE_SPEC: &str = include_str!("../../examples/node/shallot.yaml");
const EXAMPLE_PACKAGE: &str = include_str!("../../examples/node/package.json");
const EXAMPLE_LOCK: &str = include_str!("../../examples/node/package-lock.json");
const EXAMPLE_DOCKERIGNORE: &str = include_str!("../../examples/node/.dockerignore");

fn example_plan() -> Plan {
    let files = [
        ("package.json", EXAMPLE_PACKAGE),
        ("package-lock.json", EXAMPLE_LOCK),
    ];
    plan(EXAMPLE_SPEC, &facts(&files, Some(EXAMPLE_DOCKERIGNORE)))
}

fn example(stage: Stage) -> Definition {
    from_plan(&example_plan(), &build_env(EXAMPLE_SPEC), stage)
}

fn custom_name<'a>(def: &'a Definition, digest: &Digest) -> Option<&'a str> {
    def.pb
        .metadata
        .get(digest.as_str())
        .and_then(|m| m.description.get("llb.customname"))
        .map(String::as_str)
}

/// The ops whose progress name starts with `prefix`.
fn op_named(def: &Definition, prefix: &str) -> (Digest, pb::Op) {
    let found: Vec<_> = def
        .ops()
        .into_iter()
        .filter(|(d, _)| custom_name(def, d).is_some_and(|n| n.starts_with(prefix)))
        .collect();
    assert_eq!(found.len(), 1, "exactly one op named {prefix:?}");
    found.into_iter().next().unwrap()
}

fn exec(op: &pb::Op) -> &pb::ExecOp {
    match &op.op {
        Some(pb::op::Op::Exec(exec)) => exec,
        other => panic!("expected an exec op, got {other:?}"),
    }
}

fn file(op: &pb::Op) -> &pb::FileOp {
    match &op.op {
        Some(pb::op::Op::File(file)) => file,
        other => panic!("expected a file op, got {other:?}"),
    }
}

fn source(op: &pb::Op) -> &pb::SourceOp {
    match &op.op {
        Some(pb::op::Op::Source(source)) => source,
        other => panic!("expected a source op, got {other:?}"),
    }
}

/// Every input refers to an op that comes earlier, and the last op is the terminal.
fn assert_inputs_first(def: &Definition) {
    let ops = def.ops();
    let mut earlier: BTreeSet<&str> = BTreeSet::new();
    for (digest, op) in &ops {
        for input in &op.inputs {
            assert!(
                earlier.contains(input.digest.as_str()),
                "{digest} uses {} before it is defined",
                input.digest
            );
        }
        assert!(
            earlier.insert(digest.as_str()),
            "{digest} is serialized twice"
        );
    }
    let (_, terminal) = ops.last().expect("a definition has a terminal");
    assert_eq!(terminal.inputs.len(), 1, "terminal has one input");
    assert_eq!(terminal.op, None, "terminal has no body");
    for (digest, _) in &ops {
        assert!(
            def.pb.metadata.contains_key(digest.as_str()),
            "{digest} has metadata"
        );
    }
}

/// Mounts sorted by dest, `/` first as output 0, cache mounts without input or output.
fn assert_mounts_ok(def: &Definition) {
    let mut execs = 0;
    for (digest, op) in def.ops() {
        let Some(pb::op::Op::Exec(exec)) = &op.op else {
            continue;
        };
        execs += 1;
        let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
        let mut sorted = dests.clone();
        sorted.sort_unstable();
        assert_eq!(dests, sorted, "{digest}: mounts sorted by dest");
        let root = &exec.mounts[0];
        assert_eq!(root.dest, "/");
        assert_eq!(root.output, 0);
        assert_eq!(root.input, 0);
        assert!(!root.readonly);
        for mount in &exec.mounts[1..] {
            if mount.mount_type == pb::MountType::Cache as i32 {
                assert_eq!(mount.input, -1, "{digest}: cache mount has no input");
                assert_eq!(mount.output, -1, "{digest}: cache mount has no output");
                let cache = mount.cache_opt.as_ref().expect("cache options");
                assert_eq!(cache.id, "shallot-npm");
                assert_eq!(cache.sharing, pb::CacheSharingOpt::Shared as i32);
            }
        }
    }
    assert!(execs > 0, "the graph has runs");
}

fn sha256_of(bytes: &[u8]) -> String {
    Digest::of(bytes).as_str().to_string()
}

// ---- golden graphs ------------------------------------------------------------------------------

#[test]
fn example_runtime_golden() {
    let def = example(Stage::Runtime);
    assert_inputs_first(&def);
    assert_mounts_ok(&def);
    insta::assert_snapshot!("node_example_runtime", dump(&def));
}

#[test]
fn example_builder_golden() {
    let def = example(Stage::Builder);
    assert_inputs_first(&def);
    assert_mounts_ok(&def);
    insta::assert_snapshot!("node_example_builder", dump(&def));
}

#[test]
fn example_progress_names_read_like_a_dockerfile() {
    let def = example(Stage::Runtime);
    let chain = format!(
        "[builder 5/5] RUN npm run build && npm prune --omit=dev && {} && copy the shared \
         libraries the app needs and the runtime base lacks",
        crate::testkit::node_lean_label()
    );
    let names: Vec<String> = def
        .ops()
        .iter()
        .filter_map(|(d, _)| custom_name(&def, d).map(str::to_string))
        .collect();
    assert_eq!(
        names,
        // Inputs first, depth first: the runtime copy's inputs are the runtime image, then
        // the builder.
        vec![
            "[runtime 1/2] FROM gcr.io/distroless/nodejs24-debian13:nonroot",
            "[builder 1/5] FROM docker.io/library/node:24-trixie-slim",
            "[internal] load build context",
            "[builder 2/5] COPY package.json package-lock.json packages/greeting packages/stamp ./",
            "[builder 3/5] RUN npm ci",
            "[builder 4/5] COPY . .",
            "[internal] write the scripts node-e-remove-build, copy-the-shared-libraries",
            &chain,
            "[runtime 2/2] COPY --from=builder /.shallot/root/ / and --chown=65532:65532 /app /app",
        ]
    );
}

#[test]
fn a_multi_platform_build_names_the_platform_in_every_step() {
    let env = BuildEnv {
        platform: Some(pb::Platform {
            os: "linux".to_string(),
            architecture: "arm64".to_string(),
            ..Default::default()
        }),
        platform_in_names: true,
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Runtime);
    let names: Vec<String> = def
        .ops()
        .iter()
        .filter_map(|(d, _)| custom_name(&def, d).map(str::to_string))
        .filter(|n| !n.starts_with("[internal]"))
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("[linux/arm64 ")),
        "{names:?}"
    );
    assert!(names.contains(&"[linux/arm64 builder 3/5] RUN npm ci".to_string()));
}

#[test]
fn example_sources() {
    let def = example(Stage::Runtime);
    let (_, context) = op_named(&def, "[internal] load build context");
    let context = source(&context);
    assert_eq!(context.identifier, "local://context");
    assert_eq!(
        context.attrs,
        BTreeMap::from([
            (
                "local.excludepatterns".to_string(),
                r#"["node_modules","dist",".dockerignore"]"#.to_string()
            ),
            ("local.session".to_string(), "test-session".to_string()),
            ("local.sharedkeyhint".to_string(), "context".to_string()),
        ])
    );
    let (_, builder) = op_named(&def, "[builder 1/5]");
    assert_eq!(
        source(&builder).identifier,
        "docker-image://docker.io/library/node:24-trixie-slim"
    );
    let (_, runtime) = op_named(&def, "[runtime 1/2]");
    assert_eq!(
        source(&runtime).identifier,
        "docker-image://gcr.io/distroless/nodejs24-debian13:nonroot"
    );
}

#[test]
fn example_runs_have_the_builder_settings() {
    let def = example(Stage::Builder);
    let (_, op) = op_named(&def, "[builder 3/5] RUN npm ci");
    let exec = exec(&op);
    let meta = exec.meta.as_ref().unwrap();
    assert_eq!(meta.args, vec!["/bin/sh", "-c", "npm ci"]);
    assert_eq!(meta.cwd, "/app");
    assert_eq!(meta.user, "");
    assert_eq!(
        meta.env,
        vec![
            "NPM_CONFIG_AUDIT=false",
            "NPM_CONFIG_FUND=false",
            "NPM_CONFIG_UPDATE_NOTIFIER=false",
            "npm_config_nodedir=/usr/local",
        ]
    );
    let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
    assert_eq!(dests, vec!["/", "/root/.npm"]);
    // The run's root is the manifest copy.
    let (copy, _) = op_named(&def, "[builder 2/5]");
    assert_eq!(op.inputs.len(), 1);
    assert_eq!(op.inputs[0].digest, copy.as_str());
}

#[test]
fn example_manifest_copy_chains_its_actions() {
    let def = example(Stage::Builder);
    let (_, op) = op_named(&def, "[builder 2/5]");
    let (builder_image, _) = op_named(&def, "[builder 1/5]");
    let (context, _) = op_named(&def, "[internal] load build context");
    let inputs: Vec<&str> = op.inputs.iter().map(|i| i.digest.as_str()).collect();
    assert_eq!(inputs, vec![builder_image.as_str(), context.as_str()]);
    let actions = &file(&op).actions;
    let copies: Vec<(i64, i64, i64, &str, &str)> = actions
        .iter()
        .map(|a| match &a.action {
            Some(pb::file_action::Action::Copy(c)) => (
                a.input,
                a.secondary_input,
                a.output,
                c.src.as_str(),
                c.dest.as_str(),
            ),
            other => panic!("expected a copy, got {other:?}"),
        })
        .collect();
    // Action 0 starts from input 0 (the builder image); each later action starts from the
    // previous action's output (index 2 + i - 1, after the op's 2 inputs); the last is output 0.
    assert_eq!(
        copies,
        vec![
            (0, 1, -1, "/package.json", "/app/package.json"),
            (2, 1, -1, "/package-lock.json", "/app/package-lock.json"),
            (3, 1, -1, "/packages/greeting", "/app/packages/greeting"),
            (4, 1, 0, "/packages/stamp", "/app/packages/stamp"),
        ]
    );
}

#[test]
fn example_runtime_copy_is_owned_by_the_runtime_user() {
    let def = example(Stage::Runtime);
    let (_, op) = op_named(&def, "[runtime 2/2]");
    let (runtime_image, _) = op_named(&def, "[runtime 1/2]");
    let (builder, _) = op_named(&def, "[builder 5/5]");
    let inputs: Vec<(&str, i64)> = op
        .inputs
        .iter()
        .map(|i| (i.digest.as_str(), i.index))
        .collect();
    assert_eq!(
        inputs,
        vec![(runtime_image.as_str(), 0), (builder.as_str(), 0)]
    );
    let owner = |id| {
        Some(pb::ChownOpt {
            user: Some(pb::UserOpt {
                user: Some(pb::user_opt::User::ById(id)),
            }),
            group: Some(pb::UserOpt {
                user: Some(pb::user_opt::User::ById(id)),
            }),
        })
    };
    // One op, two copies from the builder: the staged root, root's, onto the image; then the
    // app, which also creates /app owned by the runtime user.
    let actions = &file(&op).actions;
    let copies: Vec<_> = actions
        .iter()
        .map(|a| match &a.action {
            Some(pb::file_action::Action::Copy(c)) => {
                assert!(c.dir_copy_contents);
                assert!(c.follow_symlink);
                assert_eq!((c.mode, c.timestamp), (-1, -1));
                let (src, dest) = (c.src.as_str(), c.dest.as_str());
                (
                    a.input,
                    a.secondary_input,
                    a.output,
                    src,
                    dest,
                    c.owner.clone(),
                )
            }
            other => panic!("expected a copy, got {other:?}"),
        })
        .collect();
    assert_eq!(
        copies,
        vec![
            (0, 1, -1, "/.shallot/root/", "/", owner(0)),
            (2, 1, 0, "/app", "/app", owner(65532)),
        ]
    );
}

#[test]
fn example_source_map_points_at_the_spec() {
    let def = example(Stage::Runtime);
    let source = def.pb.source.as_ref().expect("a source map");
    assert_eq!(source.infos.len(), 1);
    assert_eq!(source.infos[0].filename, "shallot.yaml");
    assert_eq!(source.infos[0].data, EXAMPLE_SPEC.as_bytes());
    assert_eq!(source.infos[0].language, "YAML");

    let (build, _) = op_named(&def, "[builder 5/5] RUN npm run build");
    let locations = &source.locations[build.as_str()].locations;
    assert_eq!(locations.len(), 1);
    assert_eq!(locations[0].source_index, 0);
    // `  - npm run build` is line 6; characters are 0-based with an exclusive end. The
    // recipe's runs chained after it (`npm prune`, the lean step) point at `node` on line 2.
    assert_eq!(locations[0].ranges.len(), 2);
    assert_eq!(locations[0].ranges[1].start.unwrap().line, 2);
    assert_eq!(
        locations[0].ranges[..1],
        vec![pb::Range {
            start: Some(pb::Position {
                line: 6,
                character: 4
            }),
            end: Some(pb::Position {
                line: 6,
                character: 17
            }),
        }]
    );
    let line = EXAMPLE_SPEC.lines().nth(5).unwrap();
    assert_eq!(&line[4..17], "npm run build");

    // Ops with no spec line have no location.
    let (context, _) = op_named(&def, "[internal] load build context");
    assert!(!source.locations.contains_key(context.as_str()));
}

#[test]
fn chained_runs_point_at_each_of_their_lines() {
    let spec = EXAMPLE_SPEC.replace("  - npm run build", "  - npm run build\n  - npm test");
    let files = [
        ("package.json", EXAMPLE_PACKAGE),
        ("package-lock.json", EXAMPLE_LOCK),
    ];
    let plan = plan(&spec, &facts(&files, Some(EXAMPLE_DOCKERIGNORE)));
    let def = from_plan(&plan, &build_env(&spec), Stage::Builder);
    let (build, _) = op_named(&def, "[builder 5/5] RUN npm run build && npm test");
    let source = def.pb.source.as_ref().expect("a source map");
    let locations = &source.locations[build.as_str()].locations;
    let lines: Vec<(u32, u32)> = locations[0]
        .ranges
        .iter()
        .map(|r| {
            (
                r.start.unwrap().line as u32,
                r.start.unwrap().character as u32,
            )
        })
        .collect();
    // `  - npm run build` and `  - npm test`, lines 6 and 7, then the recipe's own runs
    // (`npm prune`, the lean step), from `runtime: node` on line 2.
    assert_eq!(lines, vec![(6, 4), (7, 4), (2, 9)]);
}

#[test]
fn without_a_spec_file_there_is_no_source_map() {
    let env = BuildEnv {
        spec: None,
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Runtime);
    assert_eq!(def.pb.source, None);
}

// ---- determinism --------------------------------------------------------------------------------

#[test]
fn example_bytes_are_deterministic() {
    for stage in [Stage::Runtime, Stage::Builder] {
        let first = example(stage).to_bytes();
        for _ in 0..25 {
            assert_eq!(example(stage).to_bytes(), first, "{stage:?}");
        }
    }
}

#[test]
fn one_graph_marshals_to_the_same_bytes_each_time() {
    let plan = example_plan();
    let env = build_env(EXAMPLE_SPEC);
    let first = from_plan(&plan, &env, Stage::Runtime);
    for _ in 0..25 {
        let again = from_plan(&plan, &env, Stage::Runtime);
        assert_eq!(again.to_bytes(), first.to_bytes());
        assert_eq!(again, first);
    }
}

fn hand_built_graph() -> State {
    let base = State::image("alpine:3", None, None, Meta::default())
        .env("B", "2")
        .env("A", "1")
        .dir("/src");
    let context = State::local("context", &LocalOptions::default(), Meta::default());
    let copied = base.copy(&context, Copy::contents("/", "/src"), Meta::default());
    copied.run(
        Exec::shell("make")
            .mount(Mount::Cache {
                target: "/root/.cache".to_string(),
                id: "c".to_string(),
                sharing: CacheSharing::Locked,
            })
            .mount(Mount::ReadOnly {
                target: "/ctx".to_string(),
                source: context.clone(),
                selector: "/".to_string(),
            }),
    )
}

#[test]
fn separately_built_identical_graphs_give_identical_bytes() {
    let a = hand_built_graph().marshal(None);
    let b = hand_built_graph().marshal(None);
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.caps, b.caps);
}

#[test]
fn mount_order_does_not_change_the_bytes() {
    let base = State::image("alpine", None, None, Meta::default());
    let cache = |target: &str| Mount::Cache {
        target: target.to_string(),
        id: target.to_string(),
        sharing: CacheSharing::Shared,
    };
    let a = base
        .run(Exec::shell("x").mount(cache("/b")).mount(cache("/a")))
        .marshal(None);
    let b = base
        .run(Exec::shell("x").mount(cache("/a")).mount(cache("/b")))
        .marshal(None);
    assert_eq!(a.to_bytes(), b.to_bytes());
    let (_, op) = &a.ops()[1];
    let dests: Vec<&str> = exec(op).mounts.iter().map(|m| m.dest.as_str()).collect();
    assert_eq!(dests, vec!["/", "/a", "/b"]);
}

#[test]
fn env_is_sorted_and_later_values_win() {
    let state = State::image("alpine", None, None, Meta::default())
        .env("Z", "1")
        .env("A", "1")
        .env("Z", "2");
    let def = state.run(Exec::shell("x").env("M", "3")).marshal(None);
    let (_, op) = &def.ops()[1];
    assert_eq!(
        exec(op).meta.as_ref().unwrap().env,
        vec!["A=1", "M=3", "Z=2"]
    );
}

// ---- pieces -------------------------------------------------------------------------------------

#[test]
fn digest_of_empty_input() {
    assert_eq!(
        Digest::of(b"").as_str(),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        Digest::of(b"abc").to_string(),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn digests_are_the_sha256_of_the_op_bytes() {
    let def = example(Stage::Runtime);
    for (bytes, (digest, _)) in def.pb.def.iter().zip(def.ops()) {
        assert_eq!(digest.as_str(), sha256_of(bytes));
    }
}

#[test]
fn normalize_image_table() {
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let by_digest = format!("node@{digest}");
    let by_digest_full = format!("docker.io/library/node@{digest}");
    let cases: Vec<(&str, &str)> = vec![
        ("node", "docker.io/library/node:latest"),
        ("node:24", "docker.io/library/node:24"),
        (
            "node:24-trixie-slim",
            "docker.io/library/node:24-trixie-slim",
        ),
        ("user/app:1", "docker.io/user/app:1"),
        ("user/app", "docker.io/user/app:latest"),
        (
            "gcr.io/distroless/nodejs24-debian13:nonroot",
            "gcr.io/distroless/nodejs24-debian13:nonroot",
        ),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("localhost/app", "localhost/app:latest"),
        (&by_digest, &by_digest_full),
        ("registry:5000/a/b:tag", "registry:5000/a/b:tag"),
        ("registry:5000/a/b", "registry:5000/a/b:latest"),
        ("docker.io/library/node:24", "docker.io/library/node:24"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            normalize_image(input),
            expected,
            "normalize_image({input:?})"
        );
    }
}

#[test]
fn normalize_image_adds_library_to_docker_hub_official_images() {
    assert_eq!(
        normalize_image("docker.io/node:24"),
        "docker.io/library/node:24"
    );
    assert_eq!(
        normalize_image("index.docker.io/node"),
        "docker.io/library/node:latest"
    );
}

// ---- imported definitions -----------------------------------------------------------------------

fn small_definition() -> Definition {
    State::image("alpine", None, None, Meta::default())
        .run(Exec::shell("echo hi > /hi"))
        .marshal(None)
}

#[test]
fn from_definition_imports_ops_once() {
    let imported = small_definition();
    let imported_ops = imported.ops();
    let head = imported_ops.last().unwrap().1.inputs[0].clone();
    let state = State::from_definition(&imported.pb).expect("a non-empty definition");

    // Use the imported state twice: as the root and as a read-only mount.
    let def = state
        .run(Exec::shell("cat /hi").mount(Mount::ReadOnly {
            target: "/other".to_string(),
            source: state.clone(),
            selector: "/".to_string(),
        }))
        .marshal(None);
    assert_inputs_first(&def);
    let ops = def.ops();
    // The imported ops (less their terminal), then the new run, then the terminal.
    assert_eq!(ops.len(), imported_ops.len() - 1 + 2);
    for (i, (digest, _)) in imported_ops[..imported_ops.len() - 1].iter().enumerate() {
        assert_eq!(&ops[i].0, digest);
        assert_eq!(ops.iter().filter(|(d, _)| d == digest).count(), 1);
    }
    let (_, run) = &ops[ops.len() - 2];
    assert_eq!(run.inputs, vec![head.clone()]);
    let mounts: Vec<(&str, i64)> = exec(run)
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.input))
        .collect();
    assert_eq!(mounts, vec![("/", 0), ("/other", 0)]);
    // Imported caps carry over.
    assert!(def.caps.contains("source.image"));
    assert!(def.caps.contains("exec.meta.base"));
}

#[test]
fn from_definition_of_an_empty_definition_is_none() {
    assert!(State::from_definition(&pb::Definition::default()).is_none());
    // A terminal without an input (scratch) has no head either.
    let scratch = State::scratch().marshal(None);
    assert_eq!(scratch.pb.def.len(), 1);
    assert!(State::from_definition(&scratch.pb).is_none());
    // Bytes that are not an op.
    let garbage = pb::Definition {
        def: vec![vec![0xff, 0xff, 0xff]],
        ..Default::default()
    };
    assert!(State::from_definition(&garbage).is_none());
}

#[test]
fn context_input_replaces_the_local_context() {
    let imported = small_definition();
    let head = imported.ops().last().unwrap().1.inputs[0].digest.clone();
    let env = BuildEnv {
        context_input: Some(imported.pb.clone()),
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Builder);
    assert_inputs_first(&def);
    for (_, op) in def.ops() {
        if let Some(pb::op::Op::Source(s)) = &op.op {
            assert!(!s.identifier.starts_with("local://"), "{}", s.identifier);
        }
    }
    let (_, copy) = op_named(&def, "[builder 4/5] COPY . .");
    assert_eq!(copy.inputs[1].digest, head);
}

// ---- shared inputs ------------------------------------------------------------------------------

#[test]
fn same_state_twice_is_one_input() {
    let base = State::image("alpine", None, None, Meta::default());
    let context = State::local("context", &LocalOptions::default(), Meta::default());
    let def = base
        .run(
            Exec::shell("x")
                .mount(Mount::ReadOnly {
                    target: "/a".to_string(),
                    source: context.clone(),
                    selector: "/".to_string(),
                })
                .mount(Mount::ReadOnly {
                    target: "/b".to_string(),
                    source: context.clone(),
                    selector: "/sub".to_string(),
                }),
        )
        .marshal(None);
    let ops = def.ops();
    let (_, run) = &ops[ops.len() - 2];
    assert_eq!(run.inputs.len(), 2);
    let mounts: Vec<(&str, i64, &str, bool)> = exec(run)
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.input, m.selector.as_str(), m.readonly))
        .collect();
    assert_eq!(
        mounts,
        vec![
            ("/", 0, "", false),
            ("/a", 1, "", true),
            ("/b", 1, "/sub", true),
        ]
    );
    assert!(def.caps.contains("exec.mount.bind"));
    assert!(def.caps.contains("exec.mount.selector"));

    let copied = base
        .file(
            vec![
                FileAction::Copy(context.clone(), Copy::new("/a", "/a")),
                FileAction::Copy(context.clone(), Copy::new("/b", "/b")),
            ],
            Meta::default(),
        )
        .marshal(None);
    let ops = copied.ops();
    let (_, op) = &ops[ops.len() - 2];
    assert_eq!(op.inputs.len(), 2);
    let secondary: Vec<i64> = file(op).actions.iter().map(|a| a.secondary_input).collect();
    assert_eq!(secondary, vec![1, 1]);
}

#[test]
fn shared_vertex_is_serialized_once() {
    let base = State::image("alpine", None, None, Meta::default());
    let left = base.run(Exec::shell("make left"));
    let right = base.run(Exec::shell("make right"));
    let def = left
        .copy(&right, Copy::new("/out", "/out"), Meta::default())
        .marshal(None);
    assert_inputs_first(&def);
    // image, left, right, copy, terminal.
    assert_eq!(def.ops().len(), 5);
    let images = def
        .ops()
        .iter()
        .filter(|(_, op)| matches!(op.op, Some(pb::op::Op::Source(_))))
        .count();
    assert_eq!(images, 1);
}

#[test]
fn identical_vertices_built_apart_are_serialized_once() {
    let left = State::image("alpine", None, None, Meta::default());
    let right = State::image("alpine", None, None, Meta::default());
    let def = left
        .copy(&right, Copy::new("/x", "/x"), Meta::default())
        .marshal(None);
    assert_inputs_first(&def);
    assert_eq!(def.ops().len(), 3);
}

// ---- caps ---------------------------------------------------------------------------------------

#[test]
fn example_caps() {
    let def = example(Stage::Runtime);
    for cap in [
        "exec.mount.cache",
        "file.base",
        "source.local",
        "source.image",
        "meta.description",
    ] {
        assert!(def.caps.contains(cap), "missing cap {cap}: {:?}", def.caps);
    }
    // The definition's caps are exactly the union of its ops' caps.
    let union: BTreeSet<String> = def
        .pb
        .metadata
        .values()
        .flat_map(|m| m.caps.keys().cloned())
        .collect();
    assert_eq!(def.caps, union);
}

#[test]
fn default_path_is_set_when_the_daemon_needs_it() {
    let env = BuildEnv {
        needs_default_path: true,
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Builder);
    let (_, op) = op_named(&def, "[builder 3/5] RUN npm ci");
    let path: Vec<&String> = exec(&op)
        .meta
        .as_ref()
        .unwrap()
        .env
        .iter()
        .filter(|e| e.starts_with("PATH="))
        .collect();
    assert_eq!(
        path,
        vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    );
    assert!(!def.caps.contains("exec.meta.setsdefaultpath"));
}

#[test]
fn default_path_is_left_to_the_daemon_otherwise() {
    let def = example(Stage::Builder);
    let (_, op) = op_named(&def, "[builder 3/5] RUN npm ci");
    let env = &exec(&op).meta.as_ref().unwrap().env;
    assert!(!env.iter().any(|e| e.starts_with("PATH=")), "{env:?}");
    assert!(def.caps.contains("exec.meta.setsdefaultpath"));
}

#[test]
fn image_path_is_kept_and_needs_no_cap() {
    let env = BuildEnv {
        builder_env: vec![("PATH".to_string(), "/opt/node/bin:/usr/bin".to_string())],
        needs_default_path: true,
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Builder);
    let (_, op) = op_named(&def, "[builder 3/5] RUN npm ci");
    let env = &exec(&op).meta.as_ref().unwrap().env;
    assert!(
        env.contains(&"PATH=/opt/node/bin:/usr/bin".to_string()),
        "{env:?}"
    );
    assert!(!def.caps.contains("exec.meta.setsdefaultpath"));
}

#[test]
fn platform_is_set_on_every_op() {
    let platform = pb::Platform {
        architecture: "arm64".to_string(),
        os: "linux".to_string(),
        ..Default::default()
    };
    let env = BuildEnv {
        platform: Some(platform.clone()),
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Runtime);
    let ops = def.ops();
    for (digest, op) in &ops[..ops.len() - 1] {
        if custom_name(&def, digest) == Some("[internal] load build context") {
            // Local sources are platform-independent.
            continue;
        }
        assert_eq!(op.platform.as_ref(), Some(&platform), "{digest}");
    }
    assert!(def.caps.contains("platform"));
}

/// The field numbers of a message's top-level fields, in the order its bytes hold them.
fn field_order(mut bytes: &[u8]) -> Vec<u64> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let key = prost::encoding::decode_varint(&mut bytes).expect("a key");
        fields.push(key >> 3);
        let skip = match key & 7 {
            0 => {
                prost::encoding::decode_varint(&mut bytes).expect("a varint");
                0
            }
            2 => prost::encoding::decode_varint(&mut bytes).expect("a length") as usize,
            other => panic!("wire type {other} in an op"),
        };
        bytes = &bytes[skip..];
    }
    fields
}

#[test]
fn op_kind_is_written_after_the_platform_as_buildkit_writes_it() {
    let env = BuildEnv {
        platform: Some(pb::Platform {
            architecture: "amd64".to_string(),
            os: "linux".to_string(),
            ..Default::default()
        }),
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Runtime);
    let orders: Vec<Vec<u64>> = def.pb.def.iter().map(|b| field_order(b)).collect();
    // Inputs (1), platform (10), then the kind (exec 2, source 3, file 4).
    let kind = |f: &Vec<u64>| f.iter().position(|n| (2..=4).contains(n));
    let platform = |f: &Vec<u64>| f.iter().position(|n| *n == 10);
    let with_both: Vec<&Vec<u64>> = orders
        .iter()
        .filter(|f| kind(f).is_some() && platform(f).is_some())
        .collect();
    assert!(with_both.len() > 5, "{orders:?}");
    for fields in with_both {
        assert!(platform(fields) < kind(fields), "{fields:?}");
        assert_eq!(
            fields.last(),
            kind(fields).map(|i| &fields[i]),
            "{fields:?}"
        );
    }
}

#[test]
fn chained_file_actions_take_the_previous_output() {
    let base = State::image("alpine", None, None, Meta::default());
    let from = State::image("busybox", None, None, Meta::default());
    let state = base.file(
        vec![
            FileAction::Mkdir {
                path: "/data".to_string(),
                mode: 0o700,
                owner: Some((1, 2)),
                timestamp: Some(5),
            },
            FileAction::Copy(from, Copy::new("/bin/sh", "/data/sh")),
        ],
        Meta::default(),
    );
    let def = state.marshal(None);
    let (_, op) = def.ops().into_iter().rev().nth(1).expect("the file op");
    let Some(pb::op::Op::File(file)) = op.op else {
        panic!("expected a file op");
    };
    let io: Vec<(i64, i64, i64)> = file
        .actions
        .iter()
        .map(|a| (a.input, a.secondary_input, a.output))
        .collect();
    // Two op inputs (base, busybox); action 1 builds on action 0's output, index 2.
    assert_eq!(io, vec![(0, -1, -1), (2, 1, 0)]);
    match &file.actions[0].action {
        Some(pb::file_action::Action::Mkdir(m)) => assert_eq!((m.mode, m.timestamp), (0o700, 5)),
        other => panic!("expected a mkdir, got {other:?}"),
    }
}

// ---- the JSON dump ------------------------------------------------------------------------------

/// The ops of `def` as [`ops_json`] renders them, keyed by progress name (`-` for none).
fn json_by_name(def: &Definition) -> BTreeMap<String, serde_json::Value> {
    let ops = ops_json(def);
    let ops = ops.as_array().expect("an array of ops");
    assert_eq!(ops.len(), def.pb.def.len(), "one entry per op");
    ops.iter()
        .map(|op| {
            let name = op["metadata"]["description"]["llb.customname"]
                .as_str()
                .unwrap_or("-");
            (name.to_string(), op.clone())
        })
        .collect()
}

#[test]
fn json_shows_mounts_platform_and_file_actions() {
    let platform = pb::Platform {
        architecture: "arm64".to_string(),
        os: "linux".to_string(),
        variant: "v8".to_string(),
        ..Default::default()
    };
    let named = |name: &str| Meta {
        name: Some(name.to_string()),
        ..Meta::default()
    };
    let base = State::image("alpine", Some(&platform), Some("pull"), named("base"));
    let tools = State::image("busybox", None, None, named("tools"));
    let ran = base.dir("/src").user("1000").env("A", "1").run(
        Exec::shell("make")
            .mount(Mount::Secret {
                target: "/run/secrets/token".to_string(),
                id: "token".to_string(),
                optional: true,
            })
            .mount(Mount::Ssh {
                target: "/run/ssh".to_string(),
                id: "default".to_string(),
            })
            .mount(Mount::ReadOnly {
                target: "/tools".to_string(),
                source: tools,
                selector: "/bin".to_string(),
            })
            .mount(Mount::Cache {
                target: "/cache".to_string(),
                id: "c".to_string(),
                sharing: CacheSharing::Locked,
            })
            .meta(named("make")),
    );
    let done = ran.file(
        vec![FileAction::Mkdir {
            path: "/out".to_string(),
            mode: 0o750,
            owner: Some((1, 2)),
            timestamp: Some(7),
        }],
        named("mkdir"),
    );
    let ops = json_by_name(&done.marshal(None));

    let base = &ops["base"];
    assert_eq!(base["kind"], "source");
    assert_eq!(
        base["source"],
        serde_json::json!({
            "identifier": "docker-image://docker.io/library/alpine:latest",
            "attrs": {"image.resolvemode": "pull"},
        })
    );
    assert_eq!(
        base["platform"],
        serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"})
    );
    assert!(
        ops["tools"].get("platform").is_none(),
        "no platform, no key"
    );

    let make = &ops["make"];
    assert_eq!(make["kind"], "exec");
    let exec = &make["exec"];
    assert_eq!(exec["args"], serde_json::json!(["/bin/sh", "-c", "make"]));
    assert_eq!(exec["cwd"], "/src");
    assert_eq!(exec["user"], "1000");
    assert_eq!(
        exec["env"],
        serde_json::json!(["A=1", "SSH_AUTH_SOCK=/run/ssh"])
    );
    assert_eq!(exec["network"], "unset");
    assert_eq!(exec["security"], "sandbox");
    let mounts: BTreeMap<&str, &serde_json::Value> = exec["mounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .map(|m| (m["target"].as_str().expect("a target"), m))
        .collect();
    assert_eq!(
        mounts["/cache"]["cache"],
        serde_json::json!({"id": "c", "sharing": "locked"})
    );
    assert_eq!(mounts["/cache"]["type"], "cache");
    assert_eq!(mounts["/run/secrets/token"]["type"], "secret");
    assert_eq!(mounts["/run/secrets/token"]["secret"]["id"], "token");
    assert_eq!(mounts["/run/secrets/token"]["secret"]["optional"], true);
    assert_eq!(mounts["/run/ssh"]["type"], "ssh");
    assert_eq!(mounts["/run/ssh"]["ssh"]["id"], "default");
    assert_eq!(mounts["/tools"]["type"], "bind");
    assert_eq!(mounts["/tools"]["selector"], "/bin");
    assert_eq!(mounts["/tools"]["readonly"], true);
    // The read-only mount's input is the op's second input: busybox.
    let input = mounts["/tools"]["input"].as_u64().expect("an input index");
    let input = usize::try_from(input).expect("small");
    assert_eq!(make["inputs"][input]["digest"], ops["tools"]["digest"]);
    assert!(
        make["metadata"]["caps"]
            .as_array()
            .expect("caps")
            .contains(&serde_json::json!("exec.mount.secret"))
    );

    let mkdir = &ops["mkdir"]["file"]["actions"][0];
    assert_eq!(mkdir["action"], "mkdir");
    assert_eq!(mkdir["path"], "/out");
    assert_eq!(mkdir["mode"], "0750");
    assert_eq!(mkdir["owner"], serde_json::json!({"user": 1, "group": 2}));
    assert_eq!(mkdir["timestamp"], 7);
    assert_eq!(ops["-"]["kind"], "terminal");
}

#[test]
fn json_shows_what_shallot_never_writes() {
    // Imported definitions may hold anything BuildKit knows: the dump must still be exact.
    let mkfile = pb::FileAction {
        input: 0,
        secondary_input: -1,
        output: 0,
        action: Some(pb::file_action::Action::Mkfile(pb::FileActionMkFile {
            path: "/bin.dat".to_string(),
            mode: 0o600,
            data: vec![0xff, 0x00],
            owner: Some(pb::ChownOpt {
                user: Some(pb::UserOpt {
                    user: Some(pb::user_opt::User::ByName(pb::NamedUserOpt {
                        name: "app".to_string(),
                        input: 0,
                    })),
                }),
                group: None,
            }),
            timestamp: -1,
        })),
    };
    let rm = pb::FileAction {
        input: 0,
        secondary_input: -1,
        output: -1,
        action: Some(pb::file_action::Action::Rm(pb::FileActionRm {
            path: "/tmp/*".to_string(),
            allow_not_found: true,
            allow_wildcard: true,
        })),
    };
    let file = pb::Op {
        op: Some(pb::op::Op::File(pb::FileOp {
            actions: vec![rm, mkfile],
        })),
        ..Default::default()
    };
    let exec = pb::Op {
        op: Some(pb::op::Op::Exec(pb::ExecOp {
            network: 7,
            security: pb::SecurityMode::Insecure as i32,
            ..Default::default()
        })),
        ..Default::default()
    };
    let def = Definition {
        pb: pb::Definition {
            def: vec![file.encode_to_vec(), exec.encode_to_vec(), vec![0xff]],
            ..Default::default()
        },
        caps: BTreeSet::new(),
    };
    let ops = ops_json(&def);
    let actions = &ops[0]["file"]["actions"];
    assert_eq!(
        actions[0],
        serde_json::json!({
            "action": "rm", "path": "/tmp/*", "allow_not_found": true, "allow_wildcard": true,
            "input": 0, "secondary_input": -1, "output": -1,
        })
    );
    assert_eq!(actions[1]["data_base64"], "/wA=");
    assert!(actions[1].get("data").is_none());
    assert_eq!(actions[1]["mode"], "0600");
    assert_eq!(
        actions[1]["owner"],
        serde_json::json!({"user": {"name": "app", "input": 0}, "group": null})
    );
    // An enum value this schema does not know shows as its number.
    assert_eq!(ops[1]["exec"]["network"], 7);
    assert_eq!(ops[1]["exec"]["security"], "insecure");
    assert_eq!(ops[1]["exec"]["args"], serde_json::json!([]));
    assert!(ops[1].get("metadata").is_none(), "no metadata, no key");
    assert_eq!(ops[2]["digest"], Digest::of(&[0xff]).as_str());
    assert!(
        ops[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("not a pb.Op")),
        "{}",
        ops[2]
    );
    assert!(ops[2].get("kind").is_none());
}

#[test]
fn json_points_at_the_spec_lines() {
    let def = example(Stage::Runtime);
    let ops = json_by_name(&def);
    assert_eq!(
        ops["[builder 3/5] RUN npm ci"]["location"],
        serde_json::json!([{"file": "shallot.yaml", "ranges": ["2:9-2:13"]}])
    );
    assert!(
        ops["[internal] load build context"]
            .get("location")
            .is_none()
    );
}

// ---- the network of runs --------------------------------------------------------------------------

#[test]
fn runs_use_the_sandbox_unless_the_build_asks_for_the_host_network() {
    let execs = |def: &Definition| -> Vec<i32> {
        def.ops()
            .into_iter()
            .filter_map(|(_, op)| match op.op {
                Some(pb::op::Op::Exec(exec)) => Some(exec.network),
                _ => None,
            })
            .collect()
    };
    let sandboxed = example(Stage::Builder);
    assert!(
        execs(&sandboxed)
            .iter()
            .all(|n| *n == pb::NetMode::Unset as i32)
    );
    assert!(!sandboxed.caps.contains("exec.meta.network"));

    let env = BuildEnv {
        network: Network::Host,
        ..build_env(EXAMPLE_SPEC)
    };
    let host = from_plan(&example_plan(), &env, Stage::Builder);
    let networks = execs(&host);
    assert!(!networks.is_empty());
    assert!(networks.iter().all(|n| *n == pb::NetMode::Host as i32));
    assert!(host.caps.contains("exec.meta.network"));
}

#[test]
fn the_library_run_sees_the_runtime_base_read_only_and_the_staged_root_lands_at_the_root() {
    let def = example(Stage::Runtime);
    let (runtime_image, _) = op_named(&def, "[runtime 1/2]");
    let (_, run) = op_named(&def, "[builder 5/5]");
    let base = exec(&run)
        .mounts
        .iter()
        .find(|m| m.dest == crate::plan::BASE_MOUNT)
        .expect("the runtime base is mounted");
    assert!(base.readonly);
    let input = &run.inputs[usize::try_from(base.input).expect("an input")];
    assert_eq!(input.digest, runtime_image.as_str());
    let (_, staged) = op_named(&def, "[runtime 2/2]");
    let copy = &file(&staged).actions[0];
    match &copy.action {
        Some(pb::file_action::Action::Copy(c)) => {
            assert_eq!((c.src.as_str(), c.dest.as_str()), ("/.shallot/root/", "/"));
            assert!(c.dir_copy_contents);
        }
        other => panic!("not a copy: {other:?}"),
    }
}

#[test]
fn the_runs_after_the_source_copy_are_one_exec_that_runs_the_scripts_by_path() {
    let def = example(Stage::Builder);
    let (_, run) = op_named(&def, "[builder 5/5]");
    let (source, _) = op_named(&def, "[builder 4/5] COPY . .");
    let (scripts, written) = op_named(&def, "[internal] write the scripts");
    let exec = exec(&run);
    assert_eq!(
        exec.meta.as_ref().expect("meta").args,
        vec![
            "/bin/sh",
            "-c",
            "npm run build && npm prune --omit=dev && /bin/sh /.shallot/run/node-e-remove-build \
             && /bin/sh /.shallot/run/copy-the-shared-libraries",
        ]
    );
    // The union of the runs' mounts: the npm cache, the runtime base, and the scripts.
    let mounts: Vec<(&str, bool)> = exec
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.readonly))
        .collect();
    assert_eq!(
        mounts,
        vec![
            ("/", false),
            ("/.shallot/base", true),
            ("/.shallot/run", true),
            ("/root/.npm", false),
        ]
    );
    assert_eq!(run.inputs[0].digest, source.as_str());
    let scripts_mount = &exec.mounts[2];
    let input = &run.inputs[usize::try_from(scripts_mount.input).expect("an input")];
    assert_eq!(input.digest, scripts.as_str());
    // Each script is written whole, executable, in an otherwise empty state.
    assert!(written.inputs.is_empty());
    let plan = example_plan();
    let builder = plan.builder.as_ref().expect("a builder");
    let lean = crate::testkit::node_lean_run();
    let files: Vec<(&str, i32, &str)> = file(&written)
        .actions
        .iter()
        .map(|a| match &a.action {
            Some(pb::file_action::Action::Mkfile(f)) => {
                let text = std::str::from_utf8(&f.data).expect("a script is text");
                assert!(text.ends_with('\n'), "{}: {text:?}", f.path);
                (f.path.as_str(), f.mode, text.trim_end_matches('\n'))
            }
            other => panic!("expected a mkfile, got {other:?}"),
        })
        .collect();
    assert_eq!(
        files,
        vec![
            ("/node-e-remove-build", 0o755, lean.trim_end_matches('\n')),
            (
                "/copy-the-shared-libraries",
                0o755,
                builder.libraries.command.trim_end_matches('\n')
            ),
        ]
    );
}

#[test]
fn no_cache_reruns_every_step_and_leaves_the_sources_shared() {
    let env = BuildEnv {
        no_cache: true,
        ..build_env(EXAMPLE_SPEC)
    };
    let def = from_plan(&example_plan(), &env, Stage::Runtime);
    let cached = example(Stage::Runtime);
    let mut steps = 0;
    for (digest, op) in def.ops() {
        let Some(meta) = def.pb.metadata.get(digest.as_str()) else {
            continue; // the terminal op
        };
        let scripts = custom_name(&def, &digest).is_some_and(|n| n.starts_with("[internal] write"));
        match op.op {
            // Sources (and the scripts, which have no inputs) are what concurrent builds share:
            // the same digest must carry the same ignore-cache, or BuildKit before v0.12 panics
            // ("failed to get edge").
            Some(pb::op::Op::Source(_)) => {
                assert!(!meta.ignore_cache, "{:?}", custom_name(&def, &digest));
                assert!(cached.pb.metadata.contains_key(digest.as_str()));
            }
            Some(_) if scripts => {
                assert!(!meta.ignore_cache, "{:?}", custom_name(&def, &digest));
                assert!(cached.pb.metadata.contains_key(digest.as_str()));
            }
            Some(_) => {
                assert!(meta.ignore_cache, "{:?}", custom_name(&def, &digest));
                steps += 1;
            }
            None => {}
        }
    }
    assert!(steps > 0);
    assert!(def.caps.contains("meta.ignorecache"));
}
