//! The table of runtimes for the end-to-end tests: one [`Case`] per example, on local
//! stand-ins for the real base images (scripts/stand-in-images*). The stand-ins carry the
//! host's or Debian bookworm's versions: they stand in for layout and configuration.

use std::path::Path;
use std::process::Command;

use super::case::{Cache, Case, Edit, Entry, NONROOT};
use super::{NODE_BUILDER, NODE_RUNTIME};

/// Stand-in for `python:3.13-slim-trixie` (Python 3.11, with uv).
pub const PYTHON_BUILDER: &str = "shallot-test/python-builder:latest";
/// Stand-in for `gcr.io/distroless/python3-debian13:nonroot`.
pub const PYTHON_RUNTIME: &str = "shallot-test/python-runtime:nonroot";
/// Stand-in for `python:3.11-slim-trixie`, laid out as the official image is (Python 3.11
/// under `/usr/local`, shared libpython; apt works), for a version no distroless image has.
pub const PYTHON_OFFICIAL_311: &str = "shallot-test/python-official:3.11";
/// Stand-in for `node:20-trixie-slim`: the official node 20 binary under `/usr/local`, npm and
/// yarn; apt works.
pub const NODE_OFFICIAL_20: &str = "shallot-test/node-official:20";
/// Stand-in for `golang:1.26-trixie` (Debian's go 1.19).
pub const GO_BUILDER: &str = "shallot-test/go-builder:latest";
/// Stand-in for `gcr.io/distroless/static-debian13:nonroot`.
pub const STATIC_RUNTIME: &str = "shallot-test/static-runtime:nonroot";
/// Stand-in for `gcr.io/distroless/cc-debian13:nonroot` (scripts/stand-in-images-static).
pub const CC_RUNTIME: &str = "shallot-test/cc-runtime:nonroot";
/// Stand-in for `rust:1-trixie`.
pub const RUST_BUILDER: &str = "shallot-test/rust-builder:latest";
/// Stand-in for `gcr.io/distroless/cc-debian13:nonroot` (scripts/stand-in-images-rust).
pub const RUST_RUNTIME: &str = "shallot-test/rust-runtime:nonroot";
/// Stand-in for `maven:3.9-eclipse-temurin-*`: Debian's Maven, plugins and OpenJDK 17, offline.
pub const JAVA_BUILDER: &str = "shallot-test/java-builder:latest";
/// Stand-in for `gcr.io/distroless/java*-debian13:nonroot`: OpenJDK 17's JRE, no shell.
pub const JAVA_RUNTIME: &str = "shallot-test/java-runtime:nonroot";
/// Stand-in for `maven:3.9-eclipse-temurin-11`, a release no distroless image has: bullseye's
/// OpenJDK 11 (with its jmods, for jlink) and Debian's Maven, offline.
pub const JAVA11_BUILDER: &str = "shallot-test/java11-builder:latest";

/// A source-only change to a file: a comment at its end.
const fn comment(file: &'static str) -> Edit {
    Edit::Append(file, "\n// a source-only change {n}\n")
}

/// npm: the local runtime dependency and the build step's devDependency tool both show in
/// the answer; only production dependencies ship.
pub const NODE: Case = Case {
    example: "node",
    builder: Some(NODE_BUILDER),
    runtime: NODE_RUNTIME,
    prepare: None,
    build_log: &[],
    body: &[
        "hello from shallot",
        "greetings, shallot",
        r#""builtBy":"stamp""#,
    ],
    // The base image's node entrypoint is kept; the command is only the script.
    entrypoint: &["/nodejs/bin/node"],
    cmd: &["server.js"],
    env: &["PORT=8080", "NODE_ENV=production", "SSL_CERT_FILE="],
    present: &[
        // The app directory belongs to the runtime user, so the app can write its own files.
        Entry::path(" app/").owned_by(NONROOT),
        Entry::path("app/dist/build-info.json"),
        Entry::path("app/node_modules/greeting"),
    ],
    absent: &["bin/sh", "/npm", "app/node_modules/stamp"],
    absent_anywhere: &[],
    absent_in_app: &[],
    app_entries: None,
    debug_probe: "",
    cache: Some(Cache {
        dependency_step: "[builder 3/5] RUN npm ci",
        source_step: "[builder 4/5] COPY . .",
        source_changes: SERVER_JS,
        changed_body: None,
        manifest_change: PACKAGE_VERSION,
        changed_cmd: None,
    }),
};

const SERVER_JS: &[&[Edit]] = &[&[comment("server.js")]];
const PACKAGE_VERSION: &[Edit] = &[Edit::Replace(
    "package.json",
    "\"version\": \"1.0.0\"",
    "\"version\": \"1.0.{n}\"",
)];

/// The node example with yarn or pnpm: as [`NODE`], with neither tool in the runtime image.
const fn node_with(example: &'static str, install: &'static str) -> Case {
    Case {
        example,
        absent: &["bin/sh", "/npm", "/yarn", "/pnpm", "node_modules/stamp"],
        cache: Some(Cache {
            dependency_step: install,
            source_step: "[builder 5/6] COPY . .",
            source_changes: SERVER_JS,
            changed_body: None,
            manifest_change: PACKAGE_VERSION,
            changed_cmd: None,
        }),
        ..NODE
    }
}

/// examples/node-yarn.
pub const NODE_YARN: Case = node_with(
    "node-yarn",
    "[builder 4/6] RUN yarn install --frozen-lockfile --non-interactive",
);

/// examples/node-pnpm.
pub const NODE_PNPM: Case = node_with(
    "node-pnpm",
    "[builder 4/6] RUN pnpm install --frozen-lockfile",
);

/// pip into a venv, from a vendored wheel.
pub const PYTHON: Case = Case {
    example: "python",
    builder: Some(PYTHON_BUILDER),
    runtime: PYTHON_RUNTIME,
    prepare: None,
    build_log: &[],
    // `greetings` is from the dependency pip installed out of the vendored wheel.
    body: &["hello from shallot", "greetings, shallot"],
    // The venv's interpreter (a link to /usr/bin/python3, which distroless has) runs the script.
    entrypoint: &["/app/.venv/bin/python3"],
    cmd: &["app.py"],
    env: &["PORT=8080", "PYTHONUNBUFFERED=1", "LANG=C.UTF-8"],
    present: &[
        Entry::path(" app/").owned_by(NONROOT),
        Entry::path("app/.venv/bin/python3").link_to("/usr/bin/python3"),
        Entry::path("site-packages/greeting/__init__.py"),
    ],
    absent: &["bin/sh", "bin/pip"],
    // pip, ensurepip and caches.
    absent_anywhere: &["/pip/", "ensurepip/", ".cache/"],
    absent_in_app: &[],
    app_entries: None,
    debug_probe: "",
    cache: Some(Cache {
        dependency_step: "[builder 4/6] RUN /usr/bin/python3 -m pip --python .venv/bin/python install -r requirements.txt",
        source_step: "[builder 5/6] COPY . .",
        source_changes: &[&[Edit::Write(
            "messages.py",
            "HELLO = \"hello from shallot, changed {n}\"\n",
        )]],
        changed_body: Some("hello from shallot, changed"),
        manifest_change: &[Edit::Append("requirements.txt", "# changed {n}\n")],
        changed_cmd: None,
    }),
};

/// A static go binary, with a local module wired in by go.mod's replace directive.
pub const GO: Case = Case {
    example: "go",
    builder: Some(GO_BUILDER),
    runtime: STATIC_RUNTIME,
    prepare: None,
    build_log: &[],
    body: &["hello from shallot", "greetings, shallot"],
    entrypoint: &["/app/hello"],
    cmd: &[],
    env: &["PORT=8080", "SSL_CERT_FILE="],
    present: &[Entry::executable(" app/hello")],
    absent: &[
        "bin/sh",
        "bin/go",
        "/gofmt",
        "pkg/mod/",
        "go-build/",
        "main.go",
    ],
    absent_anywhere: &[],
    absent_in_app: &[],
    app_entries: None,
    debug_probe: "ls -l /app/hello && ",
    cache: Some(Cache {
        dependency_step: "[builder 3/5] RUN go mod download",
        source_step: "[builder 4/5] COPY . .",
        source_changes: &[
            &[comment("main.go")],
            // A change to a local module's source is a source change too.
            &[Edit::Replace(
                "greeting/greeting.go",
                "greetings, ",
                "greetings again ({n}), ",
            )],
        ],
        changed_body: None,
        manifest_change: &[Edit::Append("go.mod", "\n// a manifest change {n}\n")],
        changed_cmd: None,
    }),
};

/// A cargo binary with a local path dependency; only the binary ships.
pub const RUST: Case = Case {
    example: "rust",
    builder: Some(RUST_BUILDER),
    runtime: RUST_RUNTIME,
    prepare: None,
    build_log: &[],
    body: &["hello from shallot", "greetings, shallot"],
    entrypoint: &["/app/server"],
    cmd: &[],
    env: &["PORT=8080", "SSL_CERT_FILE="],
    present: &[Entry::executable(" app/server")],
    absent: &[
        "bin/sh",
        "bin/cargo",
        "bin/rustc",
        "bin/cc",
        "/registry/",
        "main.rs",
    ],
    absent_anywhere: &[],
    absent_in_app: &[],
    // Only the binary goes into /app: no sources, no target directory.
    app_entries: Some(1),
    debug_probe: "ls -l /app/server && ",
    cache: Some(Cache {
        dependency_step: "[builder 3/5] RUN mkdir -p src greeting/src && touch src/lib.rs \
                          greeting/src/lib.rs && cargo fetch --locked && rm src/lib.rs greeting/src/lib.rs",
        source_step: "[builder 4/5] COPY . .",
        // A change in the app and in the path dependency's source: no manifest changes.
        source_changes: &[&[
            Edit::Replace(
                "src/main.rs",
                "hello from shallot",
                "hello from shallot, changed {n}",
            ),
            comment("greeting/src/lib.rs"),
        ]],
        changed_body: Some("hello from shallot, changed"),
        manifest_change: &[
            Edit::Replace(
                "greeting/Cargo.toml",
                "version = \"0.1.0\"",
                "version = \"0.1.{n}\"",
            ),
            Edit::Replace(
                "Cargo.lock",
                "name = \"greeting\"\nversion = \"0.1.0\"",
                "name = \"greeting\"\nversion = \"0.1.{n}\"",
            ),
        ],
        changed_cmd: None,
    }),
};

/// A Maven jar, run by distroless java's `java -jar`.
pub const JAVA: Case = Case {
    example: "java",
    builder: Some(JAVA_BUILDER),
    runtime: JAVA_RUNTIME,
    prepare: None,
    build_log: &[],
    body: &["hello from shallot"],
    // distroless java's `java -jar` is kept; the command is only the jar.
    entrypoint: &["/usr/bin/java", "-jar"],
    cmd: &["/app/hello-1.0.0.jar"],
    env: &["PORT=8080", "SSL_CERT_FILE="],
    present: &[Entry::path("app/hello-1.0.0.jar").owned_by(NONROOT)],
    absent: &[],
    // A shell, Maven, a compiler or a Maven cache.
    absent_anywhere: &["bin/sh", "bin/mvn", "share/maven", "bin/javac", ".m2"],
    absent_in_app: &[".java", "pom.xml", "target/"],
    app_entries: None,
    debug_probe: "",
    cache: Some(Cache {
        dependency_step: "[builder 3/5] RUN mvn -B -ntp dependency:go-offline",
        source_step: "[builder 5/5] RUN mvn -B -ntp package -DskipTests && copy the shared \
                      libraries the app needs and the runtime base lacks",
        source_changes: &[&[comment("src/main/java/dev/shallot/hello/App.java")]],
        changed_body: None,
        manifest_change: &[Edit::Replace(
            "pom.xml",
            "<version>1.0.0</version>",
            "<version>1.0.{n}</version>",
        )],
        // The new version names a new jar, and that is what the image runs.
        changed_cmd: Some("/app/hello-1.0.{n}.jar"),
    }),
};

/// A prebuilt binary, compiled on the host (no binary is committed): no builder, no
/// dependency step.
pub const STATIC: Case = Case {
    example: "static",
    builder: None,
    runtime: STATIC_RUNTIME,
    prepare: Some(compile_static),
    build_log: &["(server is statically linked)"],
    body: &["hello from shallot"],
    entrypoint: &["/app/server"],
    cmd: &[],
    env: &["PORT=8080", "SSL_CERT_FILE="],
    present: &[Entry::executable(" app/server")],
    absent: &["bin/sh", "server.c"],
    absent_anywhere: &[],
    absent_in_app: &[],
    app_entries: None,
    debug_probe: "",
    cache: None,
};

fn compile_static(dir: &Path) {
    compile_server(dir, true);
}

/// Compiles examples/static's `server.c` into `dir/server` with the host's gcc.
pub fn compile_server(dir: &Path, static_link: bool) {
    let mut gcc = Command::new("gcc");
    if static_link {
        gcc.arg("-static");
    }
    let out = gcc
        .args(["-Os", "-o"])
        .arg(dir.join("server"))
        .arg(dir.join("server.c"))
        .output()
        .unwrap_or_else(|e| panic!("gcc cannot run (install gcc and libc6-dev): {e}"));
    assert!(
        out.status.success(),
        "gcc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
