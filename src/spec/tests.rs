//! Tests for `spec`: a table of bad inputs with exact messages, good inputs, and render output.

use super::*;
use crate::testkit::span;

const RUNTIMES: &[&str] = &["node", "python", "go", "rust", "java", "static"];

fn ok(src: &str) -> Spec {
    match parse(src, RUNTIMES) {
        Ok(spec) => spec,
        Err(diags) => panic!(
            "expected a valid spec, got:\n{}",
            diags.render(src, "shallot.yaml")
        ),
    }
}

fn err(src: &str) -> Diagnostics {
    match parse(src, RUNTIMES) {
        Ok(spec) => panic!("expected errors, got {spec:#?}"),
        Err(diags) => diags,
    }
}

fn at<T>(value: T, span: Span) -> Located<T> {
    Located { value, span }
}

fn text(value: &str, span: Span) -> Located<String> {
    at(value.to_owned(), span)
}

// ---- bad inputs ------------------------------------------------------------------------------

#[test]
fn bad_inputs_report_exact_messages() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("typo_key", "runtime: node\nentrypont: server.js\n".to_owned(), "shallot.yaml:2:1: unknown key `entrypont` (hint: did you mean `entrypoint`?)"),
        ("unknown_key_far", "runtime: node\ncolour: red\n".to_owned(), "shallot.yaml:2:1: unknown key `colour` (hint: valid keys are: runtime, entrypoint, port, args, env, build, debug, labels, workdir, user, images, packages, cgo, jvm_options, secrets, ssh, include, exclude, files)"),
        ("port_zero", "runtime: node\nport: 0\n".to_owned(), "shallot.yaml:2:7: port must be between 1 and 65535, got 0 (hint: use the port your app listens on, e.g. 8080)"),
        ("port_too_big", "runtime: node\nentrypoint: server.js\nport: 70000\n".to_owned(), "shallot.yaml:3:7: port must be between 1 and 65535, got 70000 (hint: use the port your app listens on, e.g. 8080)"),
        ("port_string", "runtime: node\nport: abc\n".to_owned(), "shallot.yaml:2:7: port must be an integer between 1 and 65535, got string `abc` (hint: use the port your app listens on, e.g. 8080)"),
        ("port_quoted", "runtime: node\nport: \"8080\"\n".to_owned(), "shallot.yaml:2:7: port must be an integer between 1 and 65535, got string `8080` (hint: remove the quotes)"),
        ("port_float", "runtime: node\nport: 80.5\n".to_owned(), "shallot.yaml:2:7: port must be an integer between 1 and 65535, got number `80.5` (hint: use the port your app listens on, e.g. 8080)"),
        ("unknown_runtime", "runtime: nodejs\n".to_owned(), "shallot.yaml:1:10: unknown runtime `nodejs` (hint: expected one of: node, python, go, rust, java, static)"),
        ("missing_runtime", "entrypoint: server.js\nport: 8080\n".to_owned(), "shallot.yaml:1:1: missing required key `runtime` (hint: add `runtime: <name>`; expected one of: node, python, go, rust, java, static)"),
        ("empty_document", "# syntax=shallot:dev\n".to_owned(), "shallot.yaml:1:1: missing required key `runtime` (hint: add `runtime: <name>`; expected one of: node, python, go, rust, java, static)"),
        ("env_bad_name", "runtime: node\nenv:\n  1DEBUG: \"x\"\n".to_owned(), "shallot.yaml:3:3: invalid env name `1DEBUG` (hint: env names must match [A-Za-z_][A-Za-z0-9_]*)"),
        ("env_null_value", "runtime: node\nenv:\n  DEBUG:\n".to_owned(), "shallot.yaml:3:8: env `DEBUG` must be a string, got null (hint: write `DEBUG: \"\"` for an empty value)"),
        ("env_not_map", "runtime: node\nenv: [A=1]\n".to_owned(), "shallot.yaml:2:6: env must be a mapping of names to values, got a list (hint: write `env: {NAME: value}`)"),
        ("labels_empty_key", "runtime: node\nlabels:\n  \"\": x\n".to_owned(), "shallot.yaml:3:3: label keys must not be empty"),
        ("user_bob", "runtime: node\nuser: bob\n".to_owned(), "shallot.yaml:2:7: invalid user `bob` (hint: expected `nonroot`, `root`, a uid like `1000`, or `uid:gid` like `1000:1000`)"),
        ("user_bad_gid", "runtime: node\nuser: \"1000:x\"\n".to_owned(), "shallot.yaml:2:7: invalid user `1000:x` (hint: expected `nonroot`, `root`, a uid like `1000`, or `uid:gid` like `1000:1000`)"),
        ("user_negative", "runtime: node\nuser: -1\n".to_owned(), "shallot.yaml:2:7: invalid user `-1` (hint: expected `nonroot`, `root`, a uid like `1000`, or `uid:gid` like `1000:1000`)"),
        ("workdir_relative", "runtime: node\nworkdir: app\n".to_owned(), "shallot.yaml:2:10: workdir must be an absolute path, got `app` (hint: start it with `/`, e.g. `/app`)"),
        ("images_builder_empty", "runtime: node\nimages:\n  builder: \"\"\n".to_owned(), "shallot.yaml:3:12: images.builder must not be empty"),
        ("images_whitespace", "runtime: node\nimages:\n  runtime: gcr.io/distroless/nodejs24 debian13\n".to_owned(), "shallot.yaml:3:12: images.runtime must not contain whitespace, got `gcr.io/distroless/nodejs24 debian13` (hint: write an image reference like `node:22-trixie-slim`)"),
        ("images_unknown_key", "runtime: node\nimages:\n  bilder: node:24\n".to_owned(), "shallot.yaml:3:3: unknown key `bilder` in `images` (hint: did you mean `builder`?)"),
        ("images_not_map", "runtime: node\nimages: node:24\n".to_owned(), "shallot.yaml:2:9: images must be a mapping, got string `node:24` (hint: write `images: {builder: <ref>, runtime: <ref>}`)"),
        ("duplicate_key", "runtime: node\nport: 8080\nport: 9090\n".to_owned(), "shallot.yaml:3:1: duplicate key `port` (hint: first defined at line 2)"),
        ("packages_not_list", "runtime: python\npackages: libpq-dev\n".to_owned(), "shallot.yaml:2:11: packages must be a list of strings, got string `libpq-dev` (hint: write one `- item` per line under `packages:`, or `packages: [a, b]`)"),
        ("packages_upper", "runtime: python\npackages: [LibPQ-dev]\n".to_owned(), "shallot.yaml:2:12: packages[0] `LibPQ-dev` is not a Debian package name (hint: write names as apt takes them, e.g. `libpq-dev` or `libpq-dev=15.8-0+deb12u1`: lowercase letters, digits, `+`, `-` and `.`)"),
        ("packages_option", "runtime: python\npackages: [gcc, --allow-unauthenticated]\n".to_owned(), "shallot.yaml:2:17: packages[1] `--allow-unauthenticated` is not a Debian package name (hint: write names as apt takes them, e.g. `libpq-dev` or `libpq-dev=15.8-0+deb12u1`: lowercase letters, digits, `+`, `-` and `.`)"),
        ("packages_shell", "runtime: python\npackages: [\"gcc; rm -rf /\"]\n".to_owned(), "shallot.yaml:2:12: packages[0] `gcc; rm -rf /` is not a Debian package name (hint: write names as apt takes them, e.g. `libpq-dev` or `libpq-dev=15.8-0+deb12u1`: lowercase letters, digits, `+`, `-` and `.`)"),
        ("packages_bad_version", "runtime: python\npackages: [gcc=latest]\n".to_owned(), "shallot.yaml:2:12: packages[0] `gcc=latest` is not a Debian package name (hint: write names as apt takes them, e.g. `libpq-dev` or `libpq-dev=15.8-0+deb12u1`: lowercase letters, digits, `+`, `-` and `.`)"),
        ("packages_twice", "runtime: python\npackages: [gcc, libpq-dev, gcc=4:14.2.0-1]\n".to_owned(), "shallot.yaml:2:28: packages lists `gcc` twice (hint: list each package once)"),
        ("packages_one_char", "runtime: python\npackages: [g]\n".to_owned(), "shallot.yaml:2:12: packages[0] `g` is not a Debian package name (hint: write names as apt takes them, e.g. `libpq-dev` or `libpq-dev=15.8-0+deb12u1`: lowercase letters, digits, `+`, `-` and `.`)"),
        ("duplicate_env", "runtime: node\nenv:\n  A: \"1\"\n  A: \"2\"\n".to_owned(), "shallot.yaml:4:3: duplicate key `A` in `env` (hint: first defined at line 3)"),
        ("alias_bomb", "runtime: node\nl1: &l1 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\nl2: &l2 [*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1]\nl3: &l3 [*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2]\nl4: &l4 [*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3]\nl5: &l5 [*l4,*l4,*l4,*l4,*l4,*l4,*l4,*l4,*l4]\nl6: &l6 [*l5,*l5,*l5,*l5,*l5,*l5,*l5,*l5,*l5]\nl7: &l7 [*l6,*l6,*l6,*l6,*l6,*l6,*l6,*l6,*l6]\nl8: &l8 [*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7]\nl9: &l9 [*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8]\n".to_owned(), "shallot.yaml:5:22: spec's YAML aliases expand to too much data (hint: keep the spec small and flat: at most 16 levels of nesting, 32 anchors and 32 aliases)"),
        ("tab_indent", "runtime: node\n\tport: 8080\n".to_owned(), "shallot.yaml:2:1: invalid YAML: while scanning a plain scalar, found a tab (hint: indent with spaces; YAML does not allow tabs here)"),
        ("unclosed_flow", "runtime: [node\n".to_owned(), "shallot.yaml:1:10: invalid YAML: unclosed bracket '[' (hint: close the bracket that starts here)"),
        ("two_documents", "runtime: node\n---\nruntime: go\n".to_owned(), "shallot.yaml:2:1: a spec must be a single YAML document (hint: remove the `---` separator and everything after it)"),
        ("too_deep", "runtime: node\nargs: [[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]\n".to_owned(), "shallot.yaml:2:22: spec is nested more than 16 levels deep (hint: keep the spec small and flat: at most 16 levels of nesting, 32 anchors and 32 aliases)"),
        ("custom_tag", "runtime: !shell node\n".to_owned(), "shallot.yaml:1:17: unsupported YAML tag `!shell` (hint: remove the tag; a spec uses plain YAML values)"),
        ("args_not_list", "runtime: node\nargs: --verbose\n".to_owned(), "shallot.yaml:2:7: args must be a list of strings, got string `--verbose` (hint: write one `- item` per line under `args:`, or `args: [a, b]`)"),
        ("args_item_list", "runtime: node\nargs:\n  - --port\n  - [8080]\n".to_owned(), "shallot.yaml:4:5: args[1] must be a string, got a list"),
        ("build_empty_command", "runtime: node\nbuild:\n  - npm ci\n  - \"\"\n".to_owned(), "shallot.yaml:4:5: build[1] must not be empty"),
        ("debug_yes", "runtime: node\ndebug: yes\n".to_owned(), "shallot.yaml:2:8: debug must be true or false, got string `yes`"),
        ("runtime_empty_version", "runtime: node@\n".to_owned(), "shallot.yaml:1:10: runtime `node@` has an empty version (hint: write a version after `@`, e.g. `node@22`, or drop the `@`)"),
        ("runtime_bad_version", "runtime: node@2 2\n".to_owned(), "shallot.yaml:1:15: invalid runtime version `2 2` (hint: a version may contain only letters, digits, `.` and `-`)"),
        ("runtime_no_name", "runtime: \"@22\"\n".to_owned(), "shallot.yaml:1:10: runtime `@22` has no name before `@` (hint: expected one of: node, python, go, rust, java, static)"),
        ("not_a_mapping", "- runtime: node\n".to_owned(), "shallot.yaml:1:1: a spec must be a mapping of keys to values, got a list (hint: start with a line like `runtime: node`)"),
        ("control_chars_in_key", "runtime: node\n\"bad\\e[31mkey\": x\n".to_owned(), "shallot.yaml:2:1: unknown key `bad\\u{1b}[31mkey` (hint: valid keys are: runtime, entrypoint, port, args, env, build, debug, labels, workdir, user, images, packages, cgo, jvm_options, secrets, ssh, include, exclude, files)"),
        ("several_at_once", "runtime: nodejs\nport: 0\nuser: bob\nwrkdir: /srv\n".to_owned(), "shallot.yaml:1:10: unknown runtime `nodejs` (hint: expected one of: node, python, go, rust, java, static)\nshallot.yaml:2:7: port must be between 1 and 65535, got 0 (hint: use the port your app listens on, e.g. 8080)\nshallot.yaml:3:7: invalid user `bob` (hint: expected `nonroot`, `root`, a uid like `1000`, or `uid:gid` like `1000:1000`)\nshallot.yaml:4:1: unknown key `wrkdir` (hint: did you mean `workdir`?)"),
        ("oversized", format!("runtime: node\n#{}\n", "x".repeat(300_000)), "shallot.yaml:1:1: spec is too large: 300016 bytes, the limit is 262144 bytes (hint: a spec only names the runtime and how to start the app)"),
    ];
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for (name, src, expected) in &cases {
        let diags = err(src);
        assert!(!diags.0.is_empty(), "{name}: empty diagnostics");
        let got = diags.short("shallot.yaml");
        if got != *expected {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn alias_bomb_is_rejected_quickly() {
    let mut src =
        String::from("runtime: node\nl0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for i in 1..=30 {
        let prev = i - 1;
        let refs = vec![format!("*l{prev}"); 10].join(",");
        src.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    let diags = err(&src);
    assert_eq!(diags.0.len(), 1);
    assert!(
        diags.0[0].message.contains("aliases"),
        "{}",
        diags.0[0].message
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn diagnostics_display_is_the_short_form() {
    let diags = err("runtime: node\nport: 0\nuser: bob\n");
    assert_eq!(diags.to_string(), diags.short("shallot.yaml"));
    assert_eq!(diags.0.len(), 2);
}

#[test]
fn error_spans_cover_the_value() {
    let diags = err("runtime: node\nentrypoint: server.js\nport: 70000\n");
    assert_eq!(diags.0[0].span, span(3, 7, 3, 12));
    let diags = err("entrypoint: server.js\nport: 8080\n");
    assert_eq!(diags.0[0].span, span(1, 1, 2, 11));
    let diags = err("runtime: 'nodejs@22'\n");
    assert_eq!(diags.0[0].span, span(1, 11, 1, 17));
}

#[test]
fn empty_known_runtimes_still_gives_a_hint() {
    let Err(diags) = parse("runtime: node\n", &[]) else {
        panic!("no runtime is known, so `node` must be rejected");
    };
    assert_eq!(
        diags.short("s.yaml"),
        "s.yaml:1:10: unknown runtime `node` (hint: no runtimes are available)"
    );
}

// ---- good inputs -----------------------------------------------------------------------------

#[test]
fn an_empty_build_is_told_from_none() {
    let none = ok("runtime: node\nbuild: []\n");
    assert!(none.build.is_empty() && none.build_written);
    let some = ok("runtime: node\nbuild: [make]\n");
    assert!(some.build_written && some.build.len() == 1);
}

#[test]
fn minimal_spec() {
    let src = "# syntax=shallot:dev\n\
               runtime: node          # required\n\
               entrypoint: server.js  # string\n\
               port: 8080             # optional integer 1..65535\n";
    let expected = Spec {
        runtime: text("node", span(2, 10, 2, 14)),
        runtime_version: None,
        entrypoint: Some(text("server.js", span(3, 13, 3, 22))),
        port: Some(at(8080, span(4, 7, 4, 11))),
        args: Vec::new(),
        env: BTreeMap::new(),
        build: Vec::new(),
        build_written: false,
        debug: at(false, Span::default()),
        labels: BTreeMap::new(),
        workdir: text("/app", Span::default()),
        user: at(User::Nonroot, Span::default()),
        images: Images::default(),
        cgo: Located {
            value: false,
            span: Span::default(),
        },
        jvm_options: None,
        secrets: vec![],
        ssh: vec![],
        packages: vec![],
        include: vec![],
        exclude: vec![],
        files: vec![],
        whole: span(1, 1, 4, 51),
    };
    assert_eq!(ok(src), expected);
}

#[test]
fn defaults_apply_when_keys_are_absent() {
    let spec = ok("runtime: go\n");
    assert_eq!(spec.runtime.value, "go");
    assert_eq!(spec.runtime_version, None);
    assert_eq!(spec.entrypoint, None);
    assert_eq!(spec.port, None);
    assert!(spec.args.is_empty() && spec.build.is_empty() && !spec.build_written);
    assert!(spec.env.is_empty() && spec.labels.is_empty());
    assert_eq!(spec.debug, at(false, Span::default()));
    assert_eq!(spec.workdir, text("/app", Span::default()));
    assert_eq!(spec.user, at(User::Nonroot, Span::default()));
    assert_eq!(spec.images, Images::default());
    assert_eq!(spec.whole, span(1, 1, 1, 12));
}

#[test]
fn full_spec_with_every_key() {
    let src = "\
runtime: node@24
entrypoint: dist/server.js
port: 3000
args: [--max-old-space-size=256, \"--title=my app\"]
env:
  NODE_ENV: production
  _PORT2: 3000
labels:
  org.opencontainers.image.source: https://example.com/app
build:
  - npm ci
  - npm run build
debug: true
workdir: /srv/app
user: 1000:2000
images:
  builder: node:24-trixie-slim
  runtime: gcr.io/distroless/nodejs24-debian13
";
    let spec = ok(src);
    assert_eq!(spec.runtime, text("node", span(1, 10, 1, 14)));
    assert_eq!(spec.runtime_version, Some(text("24", span(1, 15, 1, 17))));
    assert_eq!(
        spec.entrypoint,
        Some(text("dist/server.js", span(2, 13, 2, 27)))
    );
    assert_eq!(spec.port, Some(at(3000, span(3, 7, 3, 11))));
    assert_eq!(
        spec.args,
        vec![
            text("--max-old-space-size=256", span(4, 8, 4, 32)),
            text("--title=my app", span(4, 34, 4, 50)),
        ]
    );
    let env: Vec<(&str, &str)> = spec
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(env, [("NODE_ENV", "production"), ("_PORT2", "3000")]);
    assert_eq!(spec.env["_PORT2"].span, span(7, 11, 7, 15));
    assert_eq!(
        spec.labels["org.opencontainers.image.source"].value,
        "https://example.com/app"
    );
    assert_eq!(
        spec.build,
        vec![
            text("npm ci", span(11, 5, 11, 11)),
            text("npm run build", span(12, 5, 12, 18)),
        ]
    );
    assert_eq!(spec.debug, at(true, span(13, 8, 13, 12)));
    assert_eq!(spec.workdir, text("/srv/app", span(14, 10, 14, 18)));
    assert_eq!(
        spec.user,
        at(
            User::Id {
                uid: 1000,
                gid: 2000
            },
            span(15, 7, 15, 16)
        )
    );
    assert_eq!(
        spec.images,
        Images {
            builder: Some(text("node:24-trixie-slim", span(17, 12, 17, 31))),
            runtime: Some(text(
                "gcr.io/distroless/nodejs24-debian13",
                span(18, 12, 18, 47)
            )),
        }
    );
    assert_eq!(spec.whole, span(1, 1, 18, 47));
}

#[test]
fn env_and_label_scalars_keep_their_source_text() {
    let src = "\
runtime: node
env:
  DEBUG: true
  RATIO: 1.50
  HEX: 0x1F
  PORT: 8080
  NEG: -7
  EXP: 1e3
  QUOTED: 'true'
  EMPTY: \"\"
  NO: no
labels:
  version: 2.0
  beta: false
";
    let spec = ok(src);
    let env: Vec<(&str, &str)> = spec
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("DEBUG", "true"),
            ("EMPTY", ""),
            ("EXP", "1e3"),
            ("HEX", "0x1F"),
            ("NEG", "-7"),
            ("NO", "no"),
            ("PORT", "8080"),
            ("QUOTED", "true"),
            ("RATIO", "1.50"),
        ]
    );
    assert_eq!(spec.env["DEBUG"].span, span(3, 10, 3, 14));
    assert_eq!(spec.labels["version"].value, "2.0");
    assert_eq!(spec.labels["beta"].value, "false");
}

#[test]
fn runtime_version_is_split_off() {
    let spec = ok("runtime: node@22\n");
    assert_eq!(spec.runtime, text("node", span(1, 10, 1, 14)));
    assert_eq!(spec.runtime_version, Some(text("22", span(1, 15, 1, 17))));

    let spec = ok("runtime: \"python@3.13\"\n");
    assert_eq!(spec.runtime, text("python", span(1, 11, 1, 17)));
    assert_eq!(spec.runtime_version, Some(text("3.13", span(1, 18, 1, 22))));

    let spec = ok("runtime: java@21-jre\n");
    assert_eq!(
        spec.runtime_version.map(|v| v.value),
        Some("21-jre".to_owned())
    );
}

#[test]
fn user_forms() {
    let user = |src: &str| ok(&format!("runtime: node\nuser: {src}\n")).user.value;
    assert_eq!(user("nonroot"), User::Nonroot);
    assert_eq!(user("root"), User::Root);
    assert_eq!(
        user("1000"),
        User::Id {
            uid: 1000,
            gid: 1000
        }
    );
    assert_eq!(
        user("\"1000\""),
        User::Id {
            uid: 1000,
            gid: 1000
        }
    );
    assert_eq!(user("0"), User::Id { uid: 0, gid: 0 });
    assert_eq!(user("1000:50"), User::Id { uid: 1000, gid: 50 });
}

#[test]
fn anchors_within_limits_are_fine() {
    let src = "runtime: node\nenv: &e {A: \"1\"}\nlabels: *e\n";
    let spec = ok(src);
    assert_eq!(spec.labels["A"].value, "1");
    assert_eq!(spec.env["A"].value, "1");
}

#[test]
fn bom_and_crlf_are_accepted() {
    let src = "\u{feff}runtime: node\r\nport: 8080\r\n";
    let spec = ok(src);
    assert_eq!(spec.runtime, text("node", span(1, 10, 1, 14)));
    assert_eq!(spec.port, Some(at(8080, span(2, 7, 2, 11))));
    assert_eq!(spec.whole, span(1, 1, 2, 11));
}

// ---- rendering -------------------------------------------------------------------------------

#[test]
fn render_shows_snippet_and_carets() {
    let src = "runtime: node\nentrypoint: server.js\nport: 70000\n";
    let expected = "\
error: port must be between 1 and 65535, got 70000
 --> shallot.yaml:3:7
  |
3 | port: 70000
  |       ^^^^^ use the port your app listens on, e.g. 8080
";
    assert_eq!(err(src).render(src, "shallot.yaml"), expected);
}

#[test]
fn render_several_errors_with_wide_gutter() {
    let src = "runtime: node\n\n\n\n\n\n\n\n\nwrkdir: /srv\nuser:\tbob\n";
    let expected = "\
error: unknown key `wrkdir`
  --> app/shallot.yaml:10:1
   |
10 | wrkdir: /srv
   | ^^^^^^ did you mean `workdir`?

error: invalid user `bob`
  --> app/shallot.yaml:11:7
   |
11 | user: bob
   |       ^^^ expected `nonroot`, `root`, a uid like `1000`, or `uid:gid` like `1000:1000`
";
    assert_eq!(err(src).render(src, "app/shallot.yaml"), expected);
}

#[test]
fn render_crops_long_lines() {
    let src = format!("runtime: node\nargs: [{}, [x]]\n", "a".repeat(200));
    let rendered = err(&src).render(&src, "shallot.yaml");
    let expected = format!(
        "\
error: args[1] must be a string, got a list
 --> shallot.yaml:2:210
  |
2 | ...{}, [x]]
  |    {}^
",
        "a".repeat(38),
        " ".repeat(40),
    );
    assert_eq!(rendered, expected);
}

#[test]
fn odd_inputs_never_panic() {
    let cases = [
        "",
        "\t",
        "\u{feff}",
        "\r\n",
        ":",
        "? [a]\n: b\n",
        "{",
        "[]",
        "\"x\"",
        "~",
        "\u{0}",
        "runtime: node\nenv: {\"\": x}\n",
        "runtime: node\nlabels: {1: 2}\n",
        "runtime: node\nport: 99999999999999999999999999999999999999999\n",
        "runtime: node\nport: .inf\n",
        "runtime: node\nargs: !!binary aGk=\n",
        "runtime: node\n<<: {port: 1}\n",
        "runtime: |\n  node\n  @22\n",
        "\u{e9}: \u{fc}\nruntime: \u{e9}\u{e9}\u{e9}@\u{fc}\n",
        "runtime: node\nentrypoint: \"\\e[31mred\"\n",
    ];
    for src in cases {
        if let Err(diags) = parse(src, RUNTIMES) {
            assert!(!diags.0.is_empty());
            let rendered = diags.render(src, "f");
            assert!(rendered.is_ascii() || src.contains('\u{e9}'), "{rendered}");
            assert!(!rendered.contains('\u{1b}'));
        }
    }
}

#[test]
fn packages_are_debian_names_with_an_optional_version() {
    let spec =
        ok("runtime: python\npackages:\n  - libpq-dev\n  - g++\n  - libc6-dev=2.36-9+deb12u9\n");
    let names: Vec<&str> = spec.packages.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(names, ["libpq-dev", "g++", "libc6-dev=2.36-9+deb12u9"]);
    assert_eq!(spec.packages[1].span, span(4, 5, 4, 8));
    assert!(ok("runtime: python\npackages: []\n").packages.is_empty());
}

#[test]
fn secrets_ssh_include_exclude() {
    let spec = ok("runtime: node
secrets:
  - npm_token
  - {id: pip-conf, target: /etc/pip.conf, required: false}
ssh: true
include: [src, package.json]
exclude: [tests]
");
    assert_eq!(spec.secrets.len(), 2);
    assert_eq!(spec.secrets[0].id.value, "npm_token");
    assert_eq!(spec.secrets[0].id.span, span(3, 5, 3, 14));
    assert!(spec.secrets[0].required && spec.secrets[0].target.is_none());
    assert_eq!(spec.secrets[1].id.value, "pip-conf");
    assert_eq!(
        spec.secrets[1].target.as_ref().map(|t| t.value.as_str()),
        Some("/etc/pip.conf")
    );
    assert!(!spec.secrets[1].required);
    assert_eq!(spec.ssh.len(), 1);
    assert_eq!(spec.ssh[0].value, "default");
    assert_eq!(
        spec.include
            .iter()
            .map(|l| l.value.as_str())
            .collect::<Vec<_>>(),
        ["src", "package.json"]
    );
    assert_eq!(spec.exclude[0].value, "tests");
    assert!(ok("runtime: node\nssh: [default, work]\n").ssh.len() == 2);
    assert!(ok("runtime: node\nssh: false\n").ssh.is_empty());
}

#[test]
fn bad_secrets_and_ssh() {
    let cases = [
        (
            "runtime: node\nsecrets: npm\n",
            "shallot.yaml:2:10: secrets must be a list, got string `npm` (hint: write `secrets: [npm_token]` and build with `--secret id=npm_token,src=FILE`)",
        ),
        (
            "runtime: node\nsecrets: [\"a b\"]\n",
            "shallot.yaml:2:11: invalid secret id `a b` (hint: an id may contain only letters, digits, `_`, `-` and `.`)",
        ),
        (
            "runtime: node\nsecrets: [{target: /x}]\n",
            "shallot.yaml:2:11: a secret needs an `id`",
        ),
        (
            "runtime: node\nsecrets: [{id: a, target: x}]\n",
            "shallot.yaml:2:27: secrets.target must be an absolute path, got `x`",
        ),
        (
            "runtime: node\nsecrets: [{id: a, mode: 1}]\n",
            "shallot.yaml:2:19: unknown key `mode` in `secrets` (hint: valid keys are: id, target, required)",
        ),
        (
            "runtime: node\nssh: 1\n",
            "shallot.yaml:2:6: ssh must be true, false or a list of agent ids, got number `1` (hint: write `ssh: true` and build with `--ssh default`)",
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(err(src).short("shallot.yaml"), expected, "{src}");
    }
}

#[test]
fn files_are_normalized_relative_paths() {
    let spec = ok("runtime: go\nfiles: [templates, ./static/, web//css/site.css]\n");
    let files: Vec<&str> = spec.files.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(files, ["templates", "static", "web/css/site.css"]);
    assert_eq!(spec.files[1].span, span(2, 20, 2, 29));
    assert!(ok("runtime: go\n").files.is_empty());
}

#[test]
fn bad_files_say_what_a_path_must_be() {
    let hint = "(hint: name a file or directory relative to the build context, e.g. `templates` or `static/style.css`)";
    let cases = [
        ("runtime: go\nfiles: templates\n", "shallot.yaml:2:8: files must be a list of strings, got string `templates` (hint: write one `- item` per line under `files:`, or `files: [a, b]`)".to_string()),
        ("runtime: go\nfiles: [/etc/passwd]\n", format!("shallot.yaml:2:9: files entry `/etc/passwd` is absolute {hint}")),
        ("runtime: go\nfiles: [../secrets]\n", format!("shallot.yaml:2:9: files entry `../secrets` leaves the app's directory with `..` {hint}")),
        ("runtime: go\nfiles: [\"static/*.css\"]\n", format!("shallot.yaml:2:9: files entry `static/*.css` is a pattern, not a path {hint}")),
        ("runtime: go\nfiles: [.]\n", format!("shallot.yaml:2:9: files entry `.` names the whole app directory {hint}")),
    ];
    for (src, expected) in cases {
        assert_eq!(err(src).to_string(), expected, "{src}");
    }
}

// ---- decoding ----------------------------------------------------------------------------------

#[test]
fn decode_gives_located_errors_for_text_that_is_not_utf8() {
    let short = |bytes: &[u8]| decode(bytes).map_err(|d| d.to_string());
    assert_eq!(short(b"runtime: node\n"), Ok("runtime: node\n".to_owned()));
    assert_eq!(
        short("\u{feff}runtime: node\n".as_bytes()),
        Ok("\u{feff}runtime: node\n".to_owned())
    );
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("runtime: node\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(
        short(&utf16),
        Err(
            "shallot.yaml:1:1: spec is UTF-16 text (it starts with a UTF-16 byte-order mark) \
             (hint: save it as UTF-8)"
                .to_owned()
        )
    );
    assert_eq!(
        short(b"runtime: node\nentrypoint: caf\xe9.js\n"),
        Err(
            "shallot.yaml:2:16: spec is not UTF-8 text: the first bad byte (0xe9) is at \
             line 2, column 16 (hint: save it as UTF-8)"
                .to_owned()
        )
    );
    let no_bom: Vec<u8> = "runtime"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        short(&no_bom),
        Err(
            "shallot.yaml:1:2: spec is not UTF-8 text: the first bad byte (NUL) is at \
             line 1, column 2 (hint: save it as UTF-8)"
                .to_owned()
        )
    );
    let huge = vec![b'#'; 256 * 1024 + 1];
    assert_eq!(
        short(&huge),
        Err(
            "shallot.yaml:1:1: spec is too large: the limit is 262144 bytes (hint: a spec only \
             names the runtime and how to start the app)"
                .to_owned()
        )
    );
}

// ---- accepted but invalid (issue 10) ---------------------------------------------------------

/// Values BuildKit or the image would choke on, each refused at its span.
#[test]
fn hostile_values_are_refused_where_they_are_written() {
    let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let example = "write a reference like `node:22-trixie-slim` or `gcr.io/distroless/static-debian13@sha256:<64 hex digits>`";
    let component = "must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit";
    let cases: Vec<(String, String)> = vec![
        (
            "runtime: node\nimages:\n  builder: UPPER/case\n".to_owned(),
            "shallot.yaml:3:12: images.builder `UPPER/case` is not an image reference: repository names must be lowercase, got `UPPER/case` (hint: write it in lowercase: `upper/case`)".to_owned(),
        ),
        (
            "runtime: node\nimages:\n  runtime: node@sha256:abc\n".to_owned(),
            format!("shallot.yaml:3:12: images.runtime `node@sha256:abc` is not an image reference: digest `sha256:abc` has 3 hex digits; sha256 needs 64 (hint: {example})"),
        ),
        (
            "runtime: node\nimages:\n  runtime: node:22:slim\n".to_owned(),
            format!("shallot.yaml:3:12: images.runtime `node:22:slim` is not an image reference: it has more than one tag (hint: {example})"),
        ),
        (
            "runtime: node\nimages:\n  builder: -node\n".to_owned(),
            format!("shallot.yaml:3:12: images.builder `-node` is not an image reference: path component `-node` {component} (hint: {example})"),
        ),
        (
            "runtime: node\nimages:\n  builder: https://gcr.io/distroless/nodejs24-debian13\n".to_owned(),
            "shallot.yaml:3:12: images.builder `https://gcr.io/distroless/nodejs24-debian13` is not an image reference: it has a scheme (`https://`) (hint: drop the scheme: `gcr.io/distroless/nodejs24-debian13`)".to_owned(),
        ),
        (
            "runtime: node\nimages:\n  builder: \"node\\e[31m\"\n".to_owned(),
            format!("shallot.yaml:3:12: images.builder `node\\u{{1b}}[31m` is not an image reference: it contains the character `\\u{{1b}}` (hint: {example})"),
        ),
        (
            "runtime: node\nimages:\n  builder: \"node\\0\"\n".to_owned(),
            format!("shallot.yaml:3:12: images.builder `node\\u{{0}}` is not an image reference: it contains the character `\\u{{0}}` (hint: {example})"),
        ),
        (
            "runtime: node\nworkdir: \"/app\\nshallot.yaml:1:1: forged\"\n".to_owned(),
            "shallot.yaml:2:10: workdir must not contain control characters or line breaks, got `/app\\nshallot.yaml:1:1: forged` (hint: write a plain absolute path, e.g. `/app`)".to_owned(),
        ),
        (
            "runtime: node\nworkdir: \"/app\\0\"\n".to_owned(),
            "shallot.yaml:2:10: workdir must not contain control characters or line breaks, got `/app\\u{0}` (hint: write a plain absolute path, e.g. `/app`)".to_owned(),
        ),
        (
            "runtime: node\nworkdir: /app/../etc\n".to_owned(),
            "shallot.yaml:2:10: workdir must not contain a `..` component, got `/app/../etc` (hint: write a plain absolute path, e.g. `/app`)".to_owned(),
        ),
        (
            "runtime: node\nsecrets: [{id: a, target: /run/../etc/passwd}]\n".to_owned(),
            "shallot.yaml:2:27: secrets.target must not contain a `..` component, got `/run/../etc/passwd` (hint: write a plain absolute path, e.g. `/app`)".to_owned(),
        ),
        (
            "runtime: node\nsecrets: [\"..\"]\n".to_owned(),
            "shallot.yaml:2:11: invalid secret id `..` (hint: an id names a file in `/run/secrets`, so it must not be `.` or `..`; write a name like `npm_token`)".to_owned(),
        ),
        (
            "runtime: node\nsecrets: [\".\"]\n".to_owned(),
            "shallot.yaml:2:11: invalid secret id `.` (hint: an id names a file in `/run/secrets`, so it must not be `.` or `..`; write a name like `npm_token`)".to_owned(),
        ),
        (
            "runtime: node\nsecrets: [\"\"]\n".to_owned(),
            "shallot.yaml:2:11: secret id must not be empty".to_owned(),
        ),
        (
            "runtime: node\nsecrets: [a/b]\n".to_owned(),
            "shallot.yaml:2:11: invalid secret id `a/b` (hint: an id may contain only letters, digits, `_`, `-` and `.`)".to_owned(),
        ),
        (
            "runtime: node\nsecrets:\n  - npm\n  - npm\n".to_owned(),
            "shallot.yaml:4:5: duplicate secret id `npm` (hint: first defined at line 3)".to_owned(),
        ),
        (
            "runtime: node\nsecrets:\n  - {id: a, target: /run/x}\n  - {id: b, target: /run/x/}\n".to_owned(),
            "shallot.yaml:4:21: duplicate secret target `/run/x` (hint: line 3 mounts a secret there already; give each secret its own `target`)".to_owned(),
        ),
        (
            "runtime: node\nsecrets:\n  - a\n  - {id: b, target: /run/secrets/a}\n".to_owned(),
            "shallot.yaml:4:21: duplicate secret target `/run/secrets/a` (hint: line 3 mounts a secret there already; give each secret its own `target`)".to_owned(),
        ),
        (
            "runtime: node\nssh: [\"\"]\n".to_owned(),
            "shallot.yaml:2:7: ssh[0] must not be empty".to_owned(),
        ),
        (
            "runtime: node\ncgo: true\n".to_owned(),
            "shallot.yaml:2:1: `cgo` is a go key; runtime `node` has no cgo (hint: remove it)".to_owned(),
        ),
        (
            "runtime: python@3.13\njvm_options: -Xmx1g\n".to_owned(),
            "shallot.yaml:2:1: `jvm_options` is a java key; runtime `python` has no jvm_options (hint: remove it)".to_owned(),
        ),
        (
            "runtime: java\ncgo: false\n".to_owned(),
            "shallot.yaml:2:1: `cgo` is a go key; runtime `java` has no cgo (hint: remove it)".to_owned(),
        ),
    ];
    let mut failures = Vec::new();
    for (src, expected) in &cases {
        let got = err(src).short("shallot.yaml");
        if got != *expected {
            failures.push(format!(
                "{src:?}:\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    let good = format!(
        "runtime: go\ncgo: true\nworkdir: /srv/app\nimages:\n  builder: localhost:5000/golang:1.24@sha256:{sha}\n  runtime: gcr.io/distroless/base-debian13:nonroot\nsecrets: [a, {{id: b, target: /run/b}}]\nssh: [default]\n"
    );
    assert_eq!(
        ok(&good).images.runtime.map(|l| l.value).as_deref(),
        Some("gcr.io/distroless/base-debian13:nonroot")
    );
    assert!(
        ok("runtime: java\njvm_options: -Xmx1g\n")
            .jvm_options
            .is_some()
    );
}
