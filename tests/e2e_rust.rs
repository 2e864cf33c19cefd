//! Rust-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! spec errors about binaries and versions, as the build reports them.

mod support;

use support::*;

e2e_tests!(
    fn several_binaries_without_entrypoint_is_a_spec_error() on [Dockerd, Buildx] {
        let log = RUST.build_fails("bad", |dir| {
            std::fs::write(
                dir.join("shallot.yaml"),
                "# syntax=shallot:dev\nruntime: rust\nport: 8080\n",
            )
            .expect("write");
            edit(dir, "Cargo.toml", |text| {
                format!("{text}\n[[bin]]\nname = \"admin\"\npath = \"src/admin.rs\"\n")
            });
        });
        assert!(
            log.contains(
                "shallot.yaml:2:10: the package has several binaries: server, admin; which one runs?"
            ),
            "the error does not list the binaries:\n{log}"
        );
    }

    fn unknown_version_is_a_spec_error_at_the_version() on [Dockerd, Buildx] {
        let log = RUST.build_fails("bad", |dir| {
            std::fs::write(
                dir.join("shallot.yaml"),
                "# syntax=shallot:dev\nruntime: rust@1.70\nentrypoint: server\n",
            )
            .expect("write")
        });
        assert!(
            log.contains(
                "shallot.yaml:2:15: rust 1.70 has no official rust:<version>-trixie image"
            ),
            "{log}"
        );
    }
);
