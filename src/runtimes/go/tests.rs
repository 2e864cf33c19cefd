//! Tests for the go recipe: the example's plan and LLB as golden files, version choice, the
//! main package, cgo, vendoring and go.mod reading.

use super::*;
use crate::llb::{Definition, Stage, from_plan};
use crate::plan::{Facts, Plan, Step};
use crate::spec::Span;
use crate::testkit::{
    build_env, builder, commands, diagnostics, dump, env, facts, plan, runtime_snapshots,
};

const EXAMPLE_SPEC: &str = include_str!("../../../examples/go/shallot.yaml");
const EXAMPLE_GO_MOD: &str = include_str!("../../../examples/go/go.mod");

const GO_MOD: &str = "module example.com/app\n\ngo 1.22\n";

fn example_plan() -> Plan {
    plan(EXAMPLE_SPEC, &facts(&[("go.mod", EXAMPLE_GO_MOD)], None))
}

fn spec_with(runtime: &str, extra: &str) -> String {
    format!("runtime: {runtime}\nport: 8080\n{extra}")
}

/// The example's graph for `stage`.
fn example_llb(stage: Stage) -> Definition {
    from_plan(&example_plan(), &build_env(EXAMPLE_SPEC), stage)
}

// ---- the example --------------------------------------------------------------------------------

#[test]
fn example_plan_golden() {
    runtime_snapshots(|| insta::assert_json_snapshot!("go_example_plan", example_plan()));
}

#[test]
fn example_runtime_llb_golden() {
    runtime_snapshots(|| {
        insta::assert_snapshot!("go_example_runtime", dump(&example_llb(Stage::Runtime)))
    });
}

#[test]
fn example_builder_llb_golden() {
    runtime_snapshots(|| {
        insta::assert_snapshot!("go_example_builder", dump(&example_llb(Stage::Builder)))
    });
}

#[test]
fn example_plan_shape() {
    let plan = example_plan();
    let runtime = Span {
        line: 2,
        col: 10,
        end_line: 2,
        end_col: 12,
    };
    assert_eq!(
        builder(&plan).steps,
        vec![
            // The local module's go.mod only: its source comes with the rest, later.
            Step::CopyFiles {
                paths: vec!["go.mod".to_string(), "greeting/go.mod".to_string()],
            },
            Step::Run(Run::at("go mod download", vec![module_cache()], runtime)),
            Step::CopySource,
            Step::Run(Run::at(
                "go build -trimpath -ldflags=\"-s -w\" -o /out/hello .",
                vec![module_cache(), build_cache()],
                runtime,
            )),
        ]
    );
    // go.mod says `go 1.19`, older than every builder: the newest builds it.
    assert_eq!(builder(&plan).image, "golang:1.26-trixie");
    assert_eq!(env(&plan, "CGO_ENABLED"), Some("0"));
    assert_eq!(env(&plan, "GOTOOLCHAIN"), Some("local"));
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/static-debian13:nonroot"
    );
    assert_eq!(plan.runtime_stage.note, None);
    let artifact = &plan.runtime_stage.artifacts[..];
    assert_eq!(artifact.len(), 1);
    assert_eq!(artifact[0].from, Source::Builder("/out/hello".to_string()));
    assert_eq!(artifact[0].to, "/app/hello");
    assert_eq!(
        artifact[0].owner,
        crate::plan::Ids {
            uid: 65532,
            gid: 65532
        }
    );
    assert!(!artifact[0].directory);
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/hello".to_string()])
    );
    assert!(plan.config.cmd.is_empty());
    assert_eq!(plan.config.user.to_string(), "65532:65532");
    assert_eq!(plan.config.exposed_ports, vec![crate::plan::Port(8080)]);
}

#[test]
fn caches_are_outside_the_binary_path_and_namespaced() {
    let plan = example_plan();
    for step in &builder(&plan).steps {
        if let Step::Run(run) = step {
            for cache in &run.caches {
                assert!(cache.id.starts_with("shallot-go-"), "{cache:?}");
                assert!(!OUT_DIR.starts_with(&cache.target), "{cache:?}");
            }
        }
    }
    assert_eq!(env(&plan, "GOMODCACHE"), Some("/go/pkg/mod"));
    assert_eq!(env(&plan, "GOCACHE"), Some("/root/.cache/go-build"));
}

// ---- main package and binary ---------------------------------------------------------------------

#[test]
fn entrypoint_selects_another_main_package() {
    for written in ["./cmd/api", "cmd/api", "./cmd/api/"] {
        let plan = plan(
            &spec_with("go", &format!("entrypoint: {written}\n")),
            &facts(&[("go.mod", GO_MOD)], None),
        );
        assert_eq!(
            commands(&plan).last().copied(),
            Some("go build -trimpath -ldflags=\"-s -w\" -o /out/api ./cmd/api"),
            "{written}"
        );
        assert_eq!(
            plan.config.entrypoint,
            Entrypoint::Set(vec!["/app/api".to_string()])
        );
    }
}

#[test]
fn entrypoint_outside_the_context_is_an_error_at_it() {
    for written in ["../other", "/abs/cmd", "cmd/../.."] {
        let errors = diagnostics(
            &spec_with("go", &format!("entrypoint: {written}\n")),
            &facts(&[("go.mod", GO_MOD)], None),
        )
        .0;
        assert_eq!(errors.len(), 1, "{written}: {errors:?}");
        assert_eq!((errors[0].span.line, errors[0].span.col), (3, 13));
        assert!(
            errors[0]
                .message
                .contains("not a directory inside the build context")
        );
    }
}

#[test]
fn binary_is_named_after_the_package_or_module() {
    assert_eq!(binary_name("./cmd/server", Some("x.io/app")), "server");
    assert_eq!(binary_name(".", Some("example.com/hello")), "hello");
    assert_eq!(binary_name(".", Some("github.com/o/tool/v2")), "tool");
    assert_eq!(binary_name(".", Some("tool")), "tool");
    assert_eq!(binary_name(".", None), "app");
    assert_eq!(binary_name(".", Some("x.io/we ird$")), "we-ird-");
    assert_eq!(binary_name("./main.go", None), "main");
}

#[test]
fn workdir_moves_the_binary() {
    let plan = plan(
        &spec_with("go", "workdir: /srv\n"),
        &facts(&[("go.mod", GO_MOD)], None),
    );
    assert_eq!(plan.runtime_stage.artifacts[0].to, "/srv/app");
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/srv/app".to_string()])
    );
}

#[test]
fn args_become_the_command() {
    let plan = plan(
        &spec_with("go", "args: [--verbose]\n"),
        &facts(&[("go.mod", GO_MOD)], None),
    );
    assert_eq!(plan.config.cmd, vec!["--verbose"]);
}

// ---- cgo, build commands, vendoring, go.sum ------------------------------------------------------

#[test]
fn cgo_builds_with_cgo_and_runs_on_base() {
    let plan = plan(
        &spec_with("go", "cgo: true\n"),
        &facts(&[("go.mod", GO_MOD)], None),
    );
    assert_eq!(env(&plan, "CGO_ENABLED"), Some("1"));
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/base-debian13:nonroot"
    );
    assert_eq!(
        plan.runtime_stage.note.as_deref(),
        Some("app uses cgo, so it needs glibc")
    );
}

#[test]
fn build_commands_run_after_the_source_and_before_go_build() {
    let plan = plan(
        &spec_with("go", "build:\n  - go generate ./...\n"),
        &facts(&[("go.mod", GO_MOD), ("go.sum", "")], None),
    );
    assert_eq!(
        commands(&plan),
        vec![
            "go mod download",
            "go generate ./...",
            "go build -trimpath -ldflags=\"-s -w\" -o /out/app ."
        ]
    );
    assert_eq!(
        builder(&plan).steps[0],
        Step::CopyFiles {
            paths: vec!["go.mod".to_string(), "go.sum".to_string()]
        }
    );
}

#[test]
fn vendored_modules_need_no_download() {
    let plan = plan(
        &spec_with("go", ""),
        &facts(&[("go.mod", GO_MOD), ("vendor/modules.txt", "# x\n")], None),
    );
    assert_eq!(
        builder(&plan).steps.first(),
        Some(&Step::CopySource),
        "{plan:#?}"
    );
    assert_eq!(commands(&plan).len(), 1);
}

#[test]
fn debug_uses_the_debug_variant() {
    let plan = plan(
        &spec_with("go", "debug: true\n"),
        &facts(&[("go.mod", GO_MOD)], None),
    );
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/static-debian13:debug-nonroot"
    );
}

// ---- versions ------------------------------------------------------------------------------------

#[test]
fn version_comes_from_the_spec_then_go_mod_then_the_default() {
    let image = |runtime: &str, go_mod: Option<&str>| {
        let files: Vec<(&str, &str)> = go_mod.map(|m| ("go.mod", m)).into_iter().collect();
        let files = if files.is_empty() {
            vec![("go.mod", "module x\n")]
        } else {
            files
        };
        builder(&plan(&spec_with(runtime, ""), &facts(&files, None)))
            .image
            .clone()
    };
    assert_eq!(image("go@1.24", Some(GO_MOD)), "golang:1.24-trixie");
    assert_eq!(
        image("go", Some("module x\ngo 1.25.3\n")),
        "golang:1.25-trixie"
    );
    assert_eq!(
        image("go", Some("module x\ngo 1.24\n")),
        "golang:1.24-trixie"
    );
    assert_eq!(
        image("go", Some("module x\ngo 1.26rc1\n")),
        "golang:1.26-trixie"
    );
    // Older than every builder: the newest toolchain builds old modules.
    assert_eq!(
        image("go", Some("module x\ngo 1.16\n")),
        "golang:1.26-trixie"
    );
    assert_eq!(image("go", None), "golang:1.26-trixie");
}

#[test]
fn unknown_version_is_an_error_at_the_version_listing_the_known_ones() {
    let errors = diagnostics(
        &spec_with("go@1.20", ""),
        &facts(&[("go.mod", GO_MOD)], None),
    )
    .0;
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].span.line, errors[0].span.col), (1, 13));
    assert_eq!(
        errors[0].message,
        "go 1.20 has no builder image shallot knows"
    );
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("use one of: 1.24, 1.25, 1.26")
    );
}

#[test]
fn spec_version_older_than_go_mod_is_an_error() {
    let errors = diagnostics(
        &spec_with("go@1.24", ""),
        &facts(&[("go.mod", "module x\ngo 1.25.1\n")], None),
    )
    .0;
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].span.line, errors[0].span.col), (1, 13));
    assert_eq!(
        errors[0].message,
        "go.mod needs go 1.25.1 (its `go` line), newer than go 1.24"
    );
}

#[test]
fn go_mod_newer_than_every_builder_is_an_error_naming_go_mod() {
    let errors = diagnostics(
        &spec_with("go", ""),
        &facts(&[("go.mod", "module x\ngo 1.30\n")], None),
    )
    .0;
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].span.line, errors[0].span.col), (1, 10));
    assert!(
        errors[0].message.starts_with("go.mod's `go 1.30` line"),
        "{errors:?}"
    );
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("use one of: 1.24, 1.25, 1.26; or set `images.builder`")
    );
}

#[test]
fn unreadable_go_line_is_an_error() {
    let errors = diagnostics(
        &spec_with("go", ""),
        &facts(&[("go.mod", "module x\ngo latest\n")], None),
    )
    .0;
    assert_eq!(
        errors[0].message,
        "go.mod's `go latest` line is not a Go version"
    );
}

// ---- go.mod --------------------------------------------------------------------------------------

#[test]
fn missing_go_mod_is_an_error_with_a_hint() {
    let errors = diagnostics(&spec_with("go", ""), &Facts::default()).0;
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "runtime `go` needs go.mod at the root of the build context"
    );
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("create it with `go mod init <module path>`")
    );
}

#[test]
fn local_replacements_bring_their_go_mod_first() {
    let go_mod =
        "module x\ngo 1.22\nreplace (\n  a => ./libs/a\n  b => ./libs/b/\n  c => ./libs/a\n)\n";
    let plan = plan(&spec_with("go", ""), &facts(&[("go.mod", go_mod)], None));
    assert_eq!(
        builder(&plan).steps[0],
        Step::CopyFiles {
            paths: vec![
                "go.mod".to_string(),
                "libs/a/go.mod".to_string(),
                "libs/b/go.mod".to_string(),
            ]
        }
    );
}

#[test]
fn replacement_outside_the_context_is_an_error() {
    for target in ["../elsewhere", "/abs/path"] {
        let go_mod = format!("module x\ngo 1.22\nreplace a => {target}\n");
        let errors = diagnostics(&spec_with("go", ""), &facts(&[("go.mod", &go_mod)], None)).0;
        assert_eq!(errors.len(), 1, "{target}");
        assert_eq!(
            errors[0].message,
            format!(
                "go.mod line 3 replaces `a` with `{target}`, which is outside the build context"
            )
        );
    }
}

#[test]
fn all_problems_are_reported_together() {
    let errors = diagnostics(
        &spec_with("go@1.2", "entrypoint: ../x\n"),
        &facts(&[("go.mod", "module x\nreplace a => ../a\n")], None),
    )
    .0;
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn tool_versions_names_the_toolchain_over_go_mods_minimum() {
    let image = |files: &[(&str, &str)]| {
        builder(&plan(&spec_with("go", ""), &facts(files, None)))
            .image
            .clone()
    };
    let go_mod = ("go.mod", "module x\ngo 1.24\n");
    assert_eq!(
        image(&[go_mod, (".tool-versions", "golang 1.25.0\n")]),
        "golang:1.25-trixie"
    );
    assert_eq!(
        image(&[go_mod, (".tool-versions", "go 1.26\n")]),
        "golang:1.26-trixie"
    );
    assert_eq!(
        image(&[go_mod, (".tool-versions", "nodejs 24\n")]),
        "golang:1.24-trixie"
    );
    // The spec still wins.
    let spec = spec_with("go@1.24", "");
    let f = facts(&[go_mod, (".tool-versions", "golang 1.26.0\n")], None);
    assert_eq!(builder(&plan(&spec, &f)).image, "golang:1.24-trixie");
    let old = facts(
        &[
            ("go.mod", "module x\ngo 1.25\n"),
            (".tool-versions", "golang 1.24.2\n"),
        ],
        None,
    );
    assert_eq!(
        crate::testkit::plan_err(&spec_with("go", ""), &old),
        "shallot.yaml:1:10: go.mod needs go 1.25 (its `go` line), newer than go 1.24.2 (from .tool-versions) (hint: use a newer Go in .tool-versions or lower go.mod's `go` line)"
    );
    let unknown = facts(&[go_mod, (".tool-versions", "golang 1.22.0\n")], None);
    assert!(
        crate::testkit::plan_err(&spec_with("go", ""), &unknown)
            .contains("go 1.22.0 (from .tool-versions) has no builder image shallot knows"),
    );
}

#[test]
fn twenty_thousand_replacements_bring_each_go_mod_once_in_order() {
    let lines: String = (0..20_000)
        .map(|i| format!("  m{i} => ./libs/r{}\n", (i * 7) % 10_000))
        .collect();
    let go_mod = format!("module x\ngo 1.22\nreplace (\n{lines})\n");
    let plan = plan(
        &spec_with("go", ""),
        &facts(&[("go.mod", go_mod.as_str())], None),
    );
    let Step::CopyFiles { paths } = &builder(&plan).steps[0] else {
        panic!("the first step copies the manifests");
    };
    assert_eq!(paths.len(), 10_001);
    assert_eq!(paths[..3], ["go.mod", "libs/r0/go.mod", "libs/r7/go.mod"]);
    assert_eq!(paths[10_000], "libs/r9993/go.mod");
}
