//! Lean images and run-time files, on the real BuildKit: a node app's runtime image without
//! other platforms' native packages or build caches; a Next.js standalone server shipped as
//! its standalone tree; a Go app's templates and static files next to its binary.

mod support;

use std::path::Path;
use support::*;

/// `GET path` on 127.0.0.1:port (the app is already answering `/`).
fn get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect: {e}"));
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("write");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("read");
    body
}

/// Builds `dir` on these stand-ins as `tag`, failing with the log unless it builds.
fn built(dir: &Path, tag: &str, builder: &str, runtime: &str) -> String {
    let r = build_on(dir, "shallot.yaml", tag, Some(builder), runtime, &[]);
    assert!(r.ok, "{tag} did not build:\n{}", r.text);
    r.text
}

/// The image's size as `docker images` shows it, for the report in the test's output.
fn size(tag: &str) -> String {
    docker_ok(&["images", "--format", "{{.Size}}", tag])
        .trim()
        .to_string()
}

e2e_tests!(
    fn node_image_keeps_this_platforms_native_package_and_drops_the_rest() on [Dockerd, Buildx] {
        // A copy with new content on every run, so the pruning step runs (and prints what it
        // removes) instead of coming from an earlier run's cache.
        let dir = fixture_copy("node-native");
        std::fs::write(dir.path().join("run-id.txt"), unique().to_string()).expect("run id");
        let tag = "shallot-e2e/lean:native";
        let log = built(dir.path(), tag, NODE_BUILDER, NODE_RUNTIME);
        for removed in [
            "@fake/swc-linux-x64-musl: for linux x64 musl",
            "@fake/swc-linux-arm64-gnu: for linux arm64 glibc",
        ] {
            assert!(
                log.contains(&format!(
                    "removed node_modules/{removed}, not linux x64 glibc"
                )),
                "{removed}:\n{log}"
            );
        }
        let body = answer(tag);
        assert!(body.contains("native binding swc-linux-x64-gnu"), "{body}");
        let files = image_files(tag);
        assert!(
            file_line(
                &files,
                "app/node_modules/@fake/swc-linux-x64-gnu/binding.node"
            )
            .is_some(),
            "{files}"
        );
        for gone in [
            "app/node_modules/@fake/swc-linux-x64-musl/",
            "app/node_modules/@fake/swc-linux-arm64-gnu/",
            "app/.next/cache/",
            "app/node_modules/.cache/",
        ] {
            assert!(
                file_line(&files, gone).is_none(),
                "{gone} is in the image:\n{files}"
            );
        }
        assert!(file_line(&files, "app/.next/BUILD_ID").is_some(), "{files}");
        println!("node-native image: {}", size(tag));
    }

    fn next_standalone_ships_the_standalone_tree_and_serves_its_assets() on [Dockerd, Buildx] {
        let dir = fixture_copy("node-next-standalone");
        let tag = "shallot-e2e/lean:standalone";
        built(dir.path(), tag, NODE_BUILDER, NODE_RUNTIME);
        let config = image_config(tag);
        assert_eq!(config["Cmd"], serde_json::json!(["server.js"]), "{config}");
        assert!(env_of(&config).contains(&"HOSTNAME=0.0.0.0"), "{config}");
        let port = free_port();
        let app = Container::start(tag, port, 8080);
        let page = http_get(port);
        assert!(
            page.contains("200 OK") && page.contains("standalone Next.js server (fake-next 1.0.0)"),
            "{page}\n{}",
            app.logs()
        );
        let css = get(port, "/_next/static/x.css");
        assert!(
            css.contains("200 OK") && css.contains("body { color: teal; }"),
            "{css}"
        );
        let robots = get(port, "/robots.txt");
        assert!(robots.contains("User-agent: *"), "{robots}");
        let files = image_files(tag);
        for present in [
            "app/server.js",
            "app/.next/static/x.css",
            "app/public/robots.txt",
            "app/node_modules/fake-next/index.js",
        ] {
            assert!(
                file_line(&files, present).is_some(),
                "no {present}:\n{files}"
            );
        }
        for absent in [
            "app/.next/standalone",
            "app/.next/cache/",
            "app/packages/",
            "app/next.config.js",
            "app/server.template.js",
        ] {
            assert!(
                file_line(&files, absent).is_none(),
                "{absent} is in the image:\n{files}"
            );
        }
        // The only node_modules is the standalone tree's, now the app's.
        let node_modules: Vec<&str> = files
            .lines()
            .filter(|l| l.contains("node_modules"))
            .collect();
        assert!(
            node_modules
                .iter()
                .all(|l| l.contains(" app/node_modules/")),
            "{node_modules:#?}"
        );
        println!("node-next-standalone image: {}", size(tag));
    }

    fn go_files_ship_next_to_the_binary_and_are_served() on [Dockerd, Buildx] {
        let dir = fixture_copy("go-templates");
        let tag = "shallot-e2e/lean:go-files";
        let log = built(dir.path(), tag, GO_BUILDER, STATIC_RUNTIME);
        assert!(
            log.lines().any(|l| l.contains("COPY --from=builder ")
                && l.contains(" and --chown=65532:65532 /app/templates /app/templates")),
            "{log}"
        );
        let port = free_port();
        let app = Container::start(tag, port, 8080);
        let page = http_get(port);
        assert!(
            page.contains("200 OK") && page.contains("rendered from a template for shallot"),
            "{page}\n{}",
            app.logs()
        );
        let css = get(port, "/static/style.css");
        assert!(
            css.contains("200 OK") && css.contains("rebeccapurple"),
            "{css}"
        );
        let files = image_files(tag);
        for (path, owner) in [
            ("app/templates/index.html", "65532/65532"),
            ("app/static/style.css", "65532/65532"),
        ] {
            let line = file_line(&files, path).unwrap_or_else(|| panic!("no {path}:\n{files}"));
            assert!(line.contains(owner), "{line}");
        }
        assert!(
            file_line(&files, "app/main.go").is_none(),
            "the source shipped:\n{files}"
        );
        println!("go-templates image: {}", size(tag));
    }

    fn go_without_files_fails_at_start_as_before() on [Dockerd, Buildx] {
        // The same app without `files`: the binary alone, so the template is missing at start.
        let dir = fixture_copy("go-templates");
        edit(dir.path(), "shallot.yaml", |s| {
            s.replace("files: [templates, static]\n", "")
        });
        let tag = "shallot-e2e/lean:go-nofiles";
        built(dir.path(), tag, GO_BUILDER, STATIC_RUNTIME);
        let run = docker(&["run", "--rm", tag]);
        assert!(
            !run.ok && run.text.contains("templates/index.html"),
            "{}",
            run.text
        );
    }
);
