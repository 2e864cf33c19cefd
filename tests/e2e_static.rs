//! Static-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! a dynamically linked binary goes on distroless cc; a script or a missing binary is refused
//! at the entrypoint line.

mod support;

use support::*;

e2e_tests!(
    fn dynamic_binary_is_put_on_cc_and_runs() on [Dockerd, Buildx] {
        let dir = example_copy("static");
        compile_server(dir.path(), false);
        let tag = STATIC.tag("dynamic");
        let r = build_on(dir.path(), "shallot.yaml", &tag, None, CC_RUNTIME, &[]);
        assert!(r.ok, "build failed:\n{}", r.text);
        assert!(
            r.text
                .contains("(server is dynamically linked (/lib64/ld-linux-x86-64.so.2))"),
            "the progress does not say why cc:\n{}",
            r.text
        );
        let body = answer(&tag);
        assert!(body.contains("hello from shallot"), "body: {body}");
    }

    fn a_script_is_refused_at_the_entrypoint_line() on [Dockerd, Buildx] {
        let log = STATIC.build_fails("script", |dir| {
            std::fs::write(dir.join("server"), "#!/bin/sh\necho hello\n").expect("write")
        });
        assert!(
            log.contains("shallot.yaml:4:13: `server` is not an ELF executable (a Linux binary)"),
            "{log}"
        );
    }

    fn a_missing_binary_is_refused_at_the_entrypoint_line() on [Dockerd, Buildx] {
        let log = STATIC.build_fails("missing", |dir| {
            // What `prepare` compiled (or a binary built in the checkout by hand) must not count.
            let _ = std::fs::remove_file(dir.join("server"));
        });
        assert!(
            log.contains("shallot.yaml:4:13: `server` is not a file in the build context"),
            "{log}"
        );
    }
);
