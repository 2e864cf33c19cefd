//! Tests for the static recipe: the example's plan and LLB as golden files, and the ELF header
//! deciding the runtime image (or refusing the file).

use super::*;
use crate::formats::elf::tests::elf64;
use crate::formats::elf::{EM_AARCH64, EM_X86_64};
use crate::llb::{Stage, from_plan};
use crate::plan::{Facts, Options, Plan};
use crate::testkit::{
    build_env, diagnostics, dump, facts, parse, plan, plan_of, runtime_snapshots,
};

const EXAMPLE_SPEC: &str = include_str!("../../../examples/static/shallot.yaml");
const EXAMPLE_DOCKERIGNORE: &str = include_str!("../../../examples/static/.dockerignore");
const GLIBC_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

const SPEC: &str = "runtime: static\nentrypoint: ./server\nport: 8080\n";

fn static_server() -> Facts {
    facts(&[("server", elf64(EM_X86_64, ET_EXEC, None))], None)
}

fn example_plan() -> Plan {
    let mut facts = static_server();
    facts.dockerignore = Some(EXAMPLE_DOCKERIGNORE.to_string());
    plan(EXAMPLE_SPEC, &facts)
}

// ---- the example --------------------------------------------------------------------------------

#[test]
fn example_plan_golden() {
    runtime_snapshots(|| insta::assert_json_snapshot!("static_example_plan", example_plan()));
}

#[test]
fn example_runtime_llb_golden() {
    let def = from_plan(&example_plan(), &build_env(EXAMPLE_SPEC), Stage::Runtime);
    let names: Vec<&str> = def
        .ops()
        .iter()
        .map(|(digest, _)| {
            def.pb
                .metadata
                .get(digest.as_str())
                .and_then(|m| m.description.get("llb.customname"))
                .map_or("-", String::as_str)
        })
        .collect();
    // No builder: the binary comes straight from the context.
    assert_eq!(
        names,
        vec![
            "[runtime 1/2] FROM gcr.io/distroless/static-debian13:nonroot (server is statically linked)",
            "[internal] load build context",
            "[runtime 2/2] COPY --chown=65532:65532 --chmod=755 /server /app/server",
            "-",
        ]
    );
    runtime_snapshots(|| insta::assert_snapshot!("static_example_runtime", dump(&def)));
}

#[test]
fn example_plan_shape() {
    let plan = example_plan();
    assert_eq!(plan.builder, None);
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/static-debian13:nonroot"
    );
    assert_eq!(
        plan.runtime_stage.note.as_deref(),
        Some("server is statically linked")
    );
    let artifact = &plan.runtime_stage.artifacts[0];
    assert_eq!(artifact.from, Source::Context("server".to_string()));
    assert_eq!(artifact.to, "/app/server");
    assert_eq!(artifact.mode, Some(0o755));
    assert_eq!(
        artifact.owner,
        crate::plan::Ids {
            uid: 65532,
            gid: 65532
        }
    );
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/server".to_string()])
    );
    assert_eq!(plan.config.user.to_string(), "65532:65532");
    assert_eq!(plan.context.exclude, vec!["*", "!server", ".dockerignore"]);
}

#[test]
fn spec_probes_name_the_binary_inside_the_context() {
    let probes = |entrypoint: &str| {
        spec_probes(&parse(&format!(
            "runtime: static\nentrypoint: {entrypoint}\n"
        )))
    };
    assert_eq!(probes("./server"), vec!["server"]);
    assert_eq!(probes("bin/./server"), vec!["bin/server"]);
    assert!(probes("../server").is_empty());
    assert!(probes("/usr/bin/server").is_empty());
    assert!(spec_probes(&parse("runtime: static\n")).is_empty());
}

#[test]
fn binary_in_a_subdirectory_lands_in_the_workdir() {
    let src = "runtime: static\nentrypoint: build/out/api\n";
    let plan = plan(
        src,
        &facts(&[("build/out/api", elf64(EM_X86_64, ET_DYN, None))], None),
    );
    assert_eq!(
        plan.runtime_stage.artifacts[0].from,
        Source::Context("build/out/api".to_string())
    );
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/api".to_string()])
    );
    // A static-pie (ET_DYN, no interpreter) is static.
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/static-debian13:nonroot"
    );
}

// ---- linking decides the image -------------------------------------------------------------------

#[test]
fn dynamically_linked_binary_runs_on_cc() {
    let plan = plan(
        SPEC,
        &facts(
            &[("server", elf64(EM_X86_64, ET_DYN, Some(GLIBC_LOADER)))],
            None,
        ),
    );
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/cc-debian13:nonroot"
    );
    assert_eq!(
        plan.runtime_stage.note.as_deref(),
        Some("server is dynamically linked (/lib64/ld-linux-x86-64.so.2)")
    );
}

#[test]
fn program_headers_past_the_header_bytes_choose_cc() {
    let mut header = elf64(EM_X86_64, ET_EXEC, None);
    header[0x20..0x28].copy_from_slice(&(1u64 << 20).to_le_bytes());
    let plan = plan(SPEC, &facts(&[("server", header)], None));
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/cc-debian13:nonroot"
    );
}

/// A real binary, to check the reader against a linker's output: this test program, as the
/// gateway would read it (its first 4 KiB).
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
#[test]
fn this_test_binary_is_read_like_the_linker_wrote_it() {
    use std::io::Read as _;
    let exe = std::env::current_exe().expect("current exe");
    let mut header = vec![0; crate::context::HEADER_BYTES];
    let n = std::fs::File::open(exe)
        .and_then(|mut f| f.read(&mut header))
        .expect("read");
    header.truncate(n);
    let elf = Elf::parse(&header).expect("an ELF");
    assert_eq!(elf.machine, EM_X86_64);
    assert!(elf.is_64);
    assert!(check_runnable(&elf, &Platform::default(), false).is_ok());
    // Test binaries link glibc dynamically unless built with crt-static.
    if !cfg!(target_feature = "crt-static") {
        assert_eq!(
            elf.linking,
            Linking::Dynamic(Some(GLIBC_LOADER.to_string()))
        );
    }
}

// ---- refusals ------------------------------------------------------------------------------------

fn one_error(src: &str, facts: &Facts) -> Diagnostic {
    let mut errors = diagnostics(src, facts).0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

#[test]
fn missing_binary_is_an_error_at_the_entrypoint() {
    let error = one_error(SPEC, &Facts::default());
    assert_eq!((error.span.line, error.span.col), (2, 13));
    assert_eq!(error.message, "`server` is not a file in the build context");
}

#[test]
fn a_script_is_not_an_elf() {
    let error = one_error(
        SPEC,
        &facts(&[("server", b"#!/bin/sh\necho hi\n".to_vec())], None),
    );
    assert_eq!((error.span.line, error.span.col), (2, 13));
    assert_eq!(
        error.message,
        "`server` is not an ELF executable (a Linux binary)"
    );
}

#[test]
fn another_architecture_is_an_error_naming_it() {
    let error = one_error(
        SPEC,
        &facts(&[("server", elf64(EM_AARCH64, ET_EXEC, None))], None),
    );
    assert_eq!((error.span.line, error.span.col), (2, 13));
    assert_eq!(
        error.message,
        "`server` is built for arm64 (aarch64), not for linux/amd64"
    );
    assert_eq!(
        error.hint.as_deref(),
        Some(
            "build it for linux/amd64 (e.g. GOARCH=amd64), or, to build for several platforms, name each one's binary: `entrypoint: dist/${TARGETARCH}/server`"
        )
    );
}

#[test]
fn thirty_two_bit_x86_is_refused() {
    let mut header = elf64(3, ET_EXEC, None);
    header[4] = 1; // ELFCLASS32: the 64-bit offsets now read as garbage, but the class decides.
    let error = one_error(SPEC, &facts(&[("server", header)], None));
    assert_eq!(
        error.message,
        "`server` is built for 32-bit x86 (386), not for linux/amd64"
    );
}

#[test]
fn object_files_are_refused() {
    let error = one_error(SPEC, &facts(&[("server", elf64(EM_X86_64, 1, None))], None));
    assert_eq!(
        error.message,
        "`server` is an ELF object or core file, not an executable"
    );
}

#[test]
fn musl_binaries_are_refused() {
    let error = one_error(
        SPEC,
        &facts(
            &[(
                "server",
                elf64(EM_X86_64, ET_DYN, Some("/lib/ld-musl-x86_64.so.1")),
            )],
            None,
        ),
    );
    assert!(
        error.message.contains("is linked against musl"),
        "{error:?}"
    );
}

#[test]
fn entrypoint_is_required() {
    let error = one_error("runtime: static\nport: 8080\n", &Facts::default());
    assert_eq!((error.span.line, error.span.col), (1, 10));
    assert_eq!(
        error.message,
        "runtime `static` needs `entrypoint`, the binary to run"
    );
}

#[test]
fn entrypoint_outside_the_context_is_refused() {
    let error = one_error(
        "runtime: static\nentrypoint: /bin/true\n",
        &Facts::default(),
    );
    assert_eq!((error.span.line, error.span.col), (2, 13));
    assert_eq!(
        error.message,
        "entrypoint `/bin/true` is not a file inside the build context"
    );
}

#[test]
fn versions_and_build_commands_are_refused_together() {
    let errors = diagnostics(
        "runtime: static@1\nentrypoint: ./server\nbuild:\n  - make\n",
        &static_server(),
    )
    .0;
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "runtime `static` has no versions, got `1`",
            "runtime `static` has no build stage to run `build` commands in",
        ]
    );
}

#[test]
fn a_binary_left_out_by_dockerignore_is_named_so() {
    let mut f = static_server();
    f.dockerignore = Some("*\n".to_string());
    let d = diagnostics(SPEC, &f);
    assert_eq!(
        d.0[0].message,
        "`server` is in the build context, but .dockerignore or the spec's `exclude` leaves it out of the build"
    );
    // Re-included, it is the binary again.
    f.dockerignore = Some("*\n!server\n".to_string());
    plan(SPEC, &f);
}

// ---- platforms -----------------------------------------------------------------------------------

/// The plan of `src` for `platform` (`os/arch[/variant]`).
fn plan_for(src: &str, facts: &Facts, platform: &str) -> Result<Plan, Diagnostics> {
    let options = Options {
        platform: Platform::parse(platform).expect("a platform"),
        ..Options::default()
    };
    plan_of(&parse(src), facts, &options)
}

/// A context with an amd64 and an arm64 server, in a directory per platform.
fn both_servers() -> Facts {
    facts(
        &[
            ("dist/linux/amd64/server", elf64(EM_X86_64, ET_EXEC, None)),
            (
                "dist/linux/arm64/server",
                elf64(EM_AARCH64, ET_DYN, Some("/lib/ld-linux-aarch64.so.1")),
            ),
        ],
        None,
    )
}

#[test]
fn an_arm64_binary_builds_for_linux_arm64() {
    let arm = elf64(EM_AARCH64, ET_EXEC, None);
    let plan = plan_for(SPEC, &facts(&[("server", arm)], None), "linux/arm64").expect("plan");
    assert_eq!(plan.runtime_stage.image, STATIC_IMAGE);
    let amd = plan_for(SPEC, &static_server(), "linux/arm64").expect_err("refused");
    assert_eq!(
        amd.0[0].message,
        "`server` is built for x86-64 (amd64), not for linux/arm64"
    );
}

#[test]
fn platform_args_pick_each_platforms_binary() {
    let src = "runtime: static\nentrypoint: dist/${TARGETPLATFORM}/server\n";
    let amd = plan_for(src, &both_servers(), "linux/amd64").expect("amd64");
    let arm = plan_for(src, &both_servers(), "linux/arm64").expect("arm64");
    assert_eq!(
        amd.runtime_stage.artifacts[0].from,
        Source::Context("dist/linux/amd64/server".to_string())
    );
    assert_eq!(
        arm.runtime_stage.artifacts[0].from,
        Source::Context("dist/linux/arm64/server".to_string())
    );
    // The same name in both images; each runtime image fits its own binary's linking.
    for plan in [&amd, &arm] {
        assert_eq!(
            plan.config.entrypoint,
            Entrypoint::Set(vec!["/app/server".to_string()])
        );
    }
    assert_eq!(amd.runtime_stage.image, STATIC_IMAGE);
    assert_eq!(arm.runtime_stage.image, CC_IMAGE);
    assert_eq!(
        arm.runtime_stage.note.as_deref(),
        Some("server is dynamically linked (/lib/ld-linux-aarch64.so.1)")
    );
}

#[test]
fn the_probes_keep_the_platform_args_for_the_loader() {
    let spec = parse("runtime: static\nentrypoint: ./bin/app-${TARGETOS}-${TARGETARCH}\n");
    assert_eq!(
        spec_probes(&spec),
        vec!["bin/app-${TARGETOS}-${TARGETARCH}"]
    );
}

#[test]
fn a_missing_platforms_binary_names_the_platform() {
    let src = "runtime: static\nentrypoint: dist/${TARGETARCH}/server\n";
    let context = facts(
        &[("dist/amd64/server", elf64(EM_X86_64, ET_EXEC, None))],
        None,
    );
    let error = plan_for(src, &context, "linux/arm64").expect_err("refused");
    assert_eq!(
        error.0[0].message,
        "`dist/arm64/server` (for linux/arm64) is not a file in the build context"
    );
    assert_eq!(
        error.0[0].hint.as_deref(),
        Some("build the binary (for linux/arm64) into the context before `docker build`")
    );
    // A binary of the wrong platform where the spec names one per platform.
    let swapped = facts(
        &[("dist/arm64/server", elf64(EM_X86_64, ET_EXEC, None))],
        None,
    );
    let error = plan_for(src, &swapped, "linux/arm64").expect_err("refused");
    assert_eq!(
        error.0[0].message,
        "`dist/arm64/server` is built for x86-64 (amd64), not for linux/arm64"
    );
    assert_eq!(
        error.0[0].hint.as_deref(),
        Some("the file the entrypoint names for linux/arm64 must be built for it")
    );
}

#[test]
fn other_references_in_the_entrypoint_are_refused() {
    let error = one_error(
        "runtime: static\nentrypoint: dist/${VERSION}/server\n",
        &Facts::default(),
    );
    assert_eq!((error.span.line, error.span.col), (2, 13));
    assert_eq!(
        error.message,
        "entrypoint names `${VERSION}`, which is not a platform arg"
    );
}

#[test]
fn platforms_shallot_does_not_know_are_refused() {
    let error = plan_for(SPEC, &static_server(), "linux/sparc64").expect_err("refused");
    assert_eq!(
        error.0[0].message,
        "`server` cannot be checked for linux/sparc64, a platform shallot does not know"
    );
    let arm32 = plan_for(SPEC, &static_server(), "linux/arm/v7").expect_err("refused");
    assert_eq!(
        arm32.0[0].message,
        "`server` is built for x86-64 (amd64), not for linux/arm/v7"
    );
}
