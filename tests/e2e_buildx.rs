//! What `docker buildx` users reach for beyond a plain build, on the current BuildKit: the
//! `--call` queries, a base image swapped by a named context (`--build-context`), and a secret
//! that stays out of the image and of the provenance attestation (`--provenance=mode=max`).
//! Docker 20.10's `docker build` has none of these, so they run on buildx only.

mod support;

use std::path::Path;

use support::*;

/// `docker buildx build` of `dir`'s spec with the test frontend, the builder stand-in from the
/// registry and `extra` (which names the runtime image: a build arg or a named context).
fn buildx_build(dir: &Path, extra: &[&str]) -> Run {
    let spec = dir.join("shallot.yaml");
    let syntax = format!("BUILDKIT_SYNTAX={}", pulled(&frontend()));
    let builder = format!("SHALLOT_BUILDER_IMAGE={}", pulled(NODE_BUILDER));
    let mut args = vec![
        "buildx",
        "--builder",
        BUILDX_BUILDER,
        "build",
        "--progress=plain",
    ];
    args.extend(["-f", spec.to_str().expect("a UTF-8 path")]);
    args.extend(["--build-arg", &syntax, "--build-arg", &builder]);
    args.extend(extra);
    args.push(dir.to_str().expect("a UTF-8 path"));
    docker(&args)
}

e2e_tests!(
    // `--call` is buildx's; Docker 20.10's build cannot send a query.
    fn call_queries_answer_outline_targets_and_check() on [Buildx] {
        let dir = example_copy("node");
        let outline = buildx_build(dir.path(), &["--call=outline"]);
        assert!(outline.ok, "--call=outline failed:\n{}", outline.text);
        for arg in ["SHALLOT_BUILDER_IMAGE", "SHALLOT_RUNTIME_IMAGE", "SOURCE_DATE_EPOCH"] {
            assert!(outline.text.contains(arg), "outline lacks {arg}:\n{}", outline.text);
        }
        let targets = buildx_build(dir.path(), &["--call=targets"]);
        assert!(targets.ok, "--call=targets failed:\n{}", targets.text);
        for target in ["runtime", "debug", "builder"] {
            assert!(
                targets.text.lines().any(|l| l.split_whitespace().next() == Some(target)),
                "targets lacks {target}:\n{}",
                targets.text
            );
        }
        // Unpinned base images get the lint warning, at the spec's runtime line…
        let runtime = format!("SHALLOT_RUNTIME_IMAGE={}", pulled(NODE_RUNTIME));
        let check = buildx_build(dir.path(), &["--call=check", "--build-arg", &runtime]);
        assert!(!check.ok, "--call=check found nothing to say:\n{}", check.text);
        assert!(
            check.text.contains("ImageNotPinned") && check.text.contains("shallot.yaml:2"),
            "the warning does not name the rule and the spec line:\n{}",
            check.text
        );
        // … and none once both are pinned by digest.
        let builder = format!("SHALLOT_BUILDER_IMAGE={}", pinned(NODE_BUILDER));
        let runtime = format!("SHALLOT_RUNTIME_IMAGE={}", pinned(NODE_RUNTIME));
        let check = buildx_build(
            dir.path(),
            &["--call=check", "--build-arg", &builder, "--build-arg", &runtime],
        );
        assert!(check.ok, "--call=check of pinned images warned:\n{}", check.text);
    }

    // Named contexts are a buildx flag; Docker 20.10's build has none.
    fn a_named_context_replaces_the_runtime_image() on [Buildx] {
        let dir = example_copy("node");
        let tag = "shallot-e2e/buildx:named-context";
        let runtime = format!("runtime=docker-image://{}", pulled(NODE_RUNTIME));
        let r = buildx_build(dir.path(), &["--build-context", &runtime, "--load", "-t", tag]);
        assert!(r.ok, "build with a named context failed:\n{}", r.text);
        assert!(
            r.text.contains(&pulled(NODE_RUNTIME)),
            "the runtime image was not the named context's:\n{}",
            r.text
        );
        let body = answer(tag);
        assert!(body.contains("hello from shallot"), "{body}");
    }

    // Attestations need an OCI export from the current BuildKit; v0.8 has none.
    fn a_secret_stays_out_of_layers_and_the_provenance() on [Buildx] {
        let dir = example_copy("node");
        let secret = format!("s3cr3t-provenance-{}", unique());
        let secret_file = dir.path().join("token.txt");
        std::fs::write(&secret_file, &secret).expect("secret file");
        edit(dir.path(), ".dockerignore", |t| format!("{t}\ntoken.txt\n"));
        edit(dir.path(), "shallot.yaml", |t| format!("{t}secrets: [npm_token]\n"));
        let out = tempfile::tempdir().expect("a temp dir");
        let tar = out.path().join("image.tar");
        let src = format!("id=npm_token,src={}", secret_file.display());
        let dest = format!("type=oci,dest={}", tar.display());
        let runtime = format!("SHALLOT_RUNTIME_IMAGE={}", pulled(NODE_RUNTIME));
        let r = buildx_build(
            dir.path(),
            &[
                "--build-arg",
                &runtime,
                "--secret",
                &src,
                "--provenance=mode=max",
                "--output",
                &dest,
            ],
        );
        assert!(r.ok, "build with a secret failed:\n{}", r.text);
        let blobs = unpacked_blobs(&tar, out.path());
        assert!(
            blobs.contains("https://slsa.dev/provenance"),
            "no provenance attestation in the export"
        );
        assert!(
            blobs.contains("npm_token"),
            "the provenance does not list the secret's id"
        );
        assert!(!blobs.contains(&secret), "the secret's value is in the export");
    }
);

/// `image` in the registry, pinned by the digest the registry serves it under.
fn pinned(image: &str) -> String {
    let reference = pulled(image);
    let digest = docker_ok(&[
        "buildx",
        "imagetools",
        "inspect",
        &reference,
        "--format",
        "{{.Manifest.Digest}}",
    ]);
    format!("{reference}@{}", digest.trim())
}

/// Every blob of an OCI tarball as text, gzip layers decompressed (their tar headers and file
/// contents included), so a search sees what any layer, config or attestation holds.
fn unpacked_blobs(tar: &Path, scratch: &Path) -> String {
    let dir = scratch.join("oci");
    std::fs::create_dir_all(&dir).expect("a directory");
    let script = format!(
        "tar -xf {tar} -C {dir} && for b in {dir}/blobs/sha256/*; do \
           if gzip -t \"$b\" 2>/dev/null; then zcat \"$b\"; else cat \"$b\"; fi; echo; done",
        tar = tar.display(),
        dir = dir.display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
