//! The options users of `docker build` reach for, with a shallot spec, on the real BuildKit
//! (Docker 20.10's v0.8): secrets and SSH in the dependency steps only, labels and build args,
//! `--no-cache`, `SOURCE_DATE_EPOCH`, `exclude`, `--target builder`, `--network host`.

mod support;

use support::*;

/// A package.json `preinstall` script: npm runs it in the install step. The script is new
/// content on every run, so the install step runs instead of coming from an earlier run's cache.
fn with_preinstall(package: String, script: &str) -> String {
    let script = format!("{script} # run {}", unique());
    package.replacen(
        "\"scripts\": {",
        &format!("\"scripts\": {{\n    \"preinstall\": \"{script}\","),
        1,
    )
}

e2e_tests!(
    fn a_secret_reaches_the_install_step_only() on [Dockerd, Buildx] {
        let dir = example_copy("node");
        let secret = "s3cr3t-value-that-must-not-leak";
        let secret_file = dir.path().join("token.txt");
        std::fs::write(&secret_file, secret).expect("secret file");
        edit(dir.path(), ".dockerignore", |t| format!("{t}\ntoken.txt\n"));
        edit(dir.path(), "shallot.yaml", |t| {
            format!("{t}  - test ! -e /run/secrets/npm_token\nsecrets: [npm_token]\n")
        });
        edit(dir.path(), "package.json", |p| {
            with_preinstall(p, "echo secret-bytes=$(wc -c < /run/secrets/npm_token)")
        });
        let src = format!("id=npm_token,src={}", secret_file.display());
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:secret",
            &["--secret", &src],
        );
        assert!(r.ok, "build with a secret failed:\n{}", r.text);
        assert!(
            r.text.contains(&format!("secret-bytes={}", secret.len())),
            "the install step did not see the secret:\n{}",
            r.text
        );
        // Not in any layer, not in the config, not in the history.
        let files = image_files("shallot-e2e/options:secret");
        assert!(
            !files.contains("run/secrets"),
            "secret mount left a file:\n{files}"
        );
        let inspect = docker_ok(&["inspect", "shallot-e2e/options:secret"]);
        let history = docker_ok(&["history", "--no-trunc", "shallot-e2e/options:secret"]);
        assert!(!inspect.contains(secret) && !history.contains(secret));

        // A required secret that is not passed fails the build, naming it.
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:nosecret",
            &["--no-cache"],
        );
        assert!(
            !r.ok,
            "a build without its required secret succeeded:\n{}",
            r.text
        );
        assert!(r.text.contains("npm_token"), "{}", r.text);
    }

    fn ssh_agent_reaches_the_install_step() on [Dockerd, Buildx] {
        if !std::path::Path::new("/usr/bin/ssh-agent").exists() {
            panic!("ssh-agent is missing: apt-get install openssh-client");
        }
        let agent_dir = tempfile::tempdir().expect("tempdir");
        let socket = agent_dir.path().join("agent.sock");
        let mut agent = std::process::Command::new("/usr/bin/ssh-agent")
            .args(["-D", "-a"])
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent");
        for _ in 0..50 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let dir = example_copy("node");
        edit(dir.path(), "shallot.yaml", |t| format!("{t}ssh: true\n"));
        edit(dir.path(), "package.json", |p| {
            with_preinstall(p, "test -S $SSH_AUTH_SOCK && echo agent-at=$SSH_AUTH_SOCK")
        });
        let ssh = format!("default={}", socket.display());
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:ssh",
            &["--ssh", &ssh],
        );
        let _ = agent.kill();
        let _ = agent.wait();
        assert!(r.ok, "build with ssh failed:\n{}", r.text);
        assert!(
            r.text.contains("agent-at=/run/buildkit/ssh_agent.0"),
            "{}",
            r.text
        );
    }

    fn labels_build_args_and_source_date_epoch() on [Dockerd, Buildx] {
        let dir = example_copy("node");
        edit(dir.path(), "shallot.yaml", |t| {
            format!(
                "{t}labels:\n  org.opencontainers.image.version: \"${{VERSION}}\"\nenv:\n  APP_VERSION: \"${{VERSION}}\"\n"
            )
        });
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:labels",
            &[
                "--label",
                "team=web",
                "--build-arg",
                "VERSION=1.2.3",
                "--build-arg",
                "SOURCE_DATE_EPOCH=1700000000",
            ],
        );
        assert!(r.ok, "build failed:\n{}", r.text);
        let config = image_config("shallot-e2e/options:labels");
        assert_eq!(config["Labels"]["team"], "web");
        assert_eq!(
            config["Labels"]["org.opencontainers.image.version"],
            "1.2.3"
        );
        let env = env_of(&config);
        assert!(env.contains(&"APP_VERSION=1.2.3"), "{env:?}");
        let created = docker_ok(&[
            "inspect",
            "--format",
            "{{.Created}}",
            "shallot-e2e/options:labels",
        ]);
        assert!(
            created.starts_with("2023-11-14T22:13:20"),
            "created: {created}"
        );
        // The files shallot copies into the runtime image carry the epoch too. (The directory's
        // own time is set by the daemon as files land in it; BuildKit ≥ v0.13 can clamp it with
        // the exporter's rewrite-timestamp.)
        let files = image_files("shallot-e2e/options:labels");
        let server = files
            .lines()
            .find(|l| l.ends_with(" app/server.js"))
            .expect("server.js");
        assert!(
            server.contains("2023-11-14 22:13"),
            "server.js time: {server}"
        );
    }

    fn no_cache_reruns_the_install_and_exclude_keeps_files_out() on [Dockerd, Buildx] {
        let dir = example_copy("node");
        std::fs::write(dir.path().join("notes.txt"), "not for the image").expect("notes");
        edit(dir.path(), "shallot.yaml", |t| {
            format!("{t}exclude: [notes.txt]\n")
        });
        let first = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:nocache",
            &[],
        );
        assert!(first.ok, "{}", first.text);
        assert!(!image_files("shallot-e2e/options:nocache").contains("app/notes.txt"));
        let second = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:nocache",
            &["--no-cache"],
        );
        assert!(second.ok, "{}", second.text);
        assert_eq!(
            step_cached(&second.text, "[builder 3/5] RUN npm ci"),
            Some(false),
            "{}",
            second.text
        );
    }

    fn builder_target_is_the_builder_stage() on [Dockerd, Buildx] {
        let dir = example_copy("node");
        let r = build(
            dir.path(),
            "shallot.yaml",
            "shallot-e2e/options:builder",
            &["--target", "builder"],
        );
        assert!(r.ok, "{}", r.text);
        let out = docker_ok(&[
            "run",
            "--rm",
            "shallot-e2e/options:builder",
            "/bin/sh",
            "-c",
            "ls /app/dist && node --version",
        ]);
        assert!(out.contains("build-info.json"), "{out}");
    }

    // Docker's only: `--network host` needs the network.host entitlement, which the current
    // BuildKit of scripts/buildkit-up does not grant.
    fn host_network_is_used_only_when_asked() on [Dockerd] {
        // A server on the host's loopback: a run reaches it only on the host's network.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            // Bounded: a few connections at most, then the thread ends with the test.
            for stream in listener.incoming().take(4).flatten() {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let _ = stream.read(&mut [0u8; 1024]);
                let _ =
                    stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhost-reached");
            }
        });
        let dir = example_copy("node");
        let probe = format!(
            "wget -qO- http://127.0.0.1:{port}/ && echo ' run {}'",
            unique()
        );
        edit(dir.path(), "shallot.yaml", |t| format!("{t}  - {probe}\n"));
        let tag = "shallot-e2e/options:network";
        let r = build(dir.path(), "shallot.yaml", tag, &["--network", "host"]);
        assert!(r.ok, "build with --network host failed:\n{}", r.text);
        assert!(r.text.contains("host-reached"), "{}", r.text);
        // The sandbox (the default) has its own loopback: the same run fails.
        edit(dir.path(), "shallot.yaml", |t| {
            t.replace(" run ", " sandboxed run ")
        });
        let r = build(dir.path(), "shallot.yaml", tag, &[]);
        assert!(
            !r.ok,
            "the sandbox reached the host's loopback:\n{}",
            r.text
        );
    }
);
