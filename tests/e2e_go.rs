//! Go-specific end-to-end tests (the checks every runtime shares are in e2e_runtimes.rs):
//! another main package, a go.mod newer than every builder, and compile errors.

mod support;

use support::*;

e2e_tests!(
    fn entrypoint_selects_another_main_package() on [Dockerd, Buildx] {
        let dir = GO.copy();
        let cmd = dir.path().join("cmd/hi");
        std::fs::create_dir_all(&cmd).expect("mkdir");
        std::fs::write(
            cmd.join("main.go"),
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi from cmd/hi\") }\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("shallot.yaml"),
            "# syntax=shallot:dev\nruntime: go\nentrypoint: ./cmd/hi\n",
        )
        .expect("write");
        let r = GO.build(dir.path(), "shallot-e2e/go:cmd", &[]);
        assert!(r.ok, "build failed:\n{}", r.text);
        assert!(
            r.text
                .contains("RUN go build -trimpath -ldflags=\"-s -w\" -o /out/hi ./cmd/hi"),
            "{}",
            r.text
        );
        let out = docker_ok(&["run", "--rm", "shallot-e2e/go:cmd"]);
        assert!(out.contains("hi from cmd/hi"), "{out}");
    }

    fn go_mod_newer_than_every_builder_fails_with_the_known_versions() on [Dockerd, Buildx] {
        let log = GO.build_fails("too-new", |dir| {
            edit(dir, "go.mod", |m| m.replace("go 1.19", "go 1.99"))
        });
        assert!(
            log.contains("shallot.yaml:2:10: go.mod's `go 1.99` line asks for a Go newer than any builder image shallot knows")
                && log.contains("use one of: 1.24, 1.25, 1.26"),
            "{log}"
        );
    }

    fn compile_errors_name_the_build_step() on [Dockerd, Buildx] {
        let log = GO.build_fails("broken", |dir| {
            edit(dir, "main.go", |s| s.replace("port := ", "port = "))
        });
        assert!(log.contains("[builder 5/5] RUN go build"), "{log}");
        assert!(
            log.contains("undefined: port"),
            "go's own message is lost:\n{log}"
        );
    }
);
