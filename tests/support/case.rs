//! The end-to-end checks every runtime shares, run on one [`Case`] (a row of
//! `support::runtimes`). `runtime_tests!` turns a row into one named test per check, so a new
//! runtime adds a row, not a file of copies.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use super::*;

/// The owner every recipe gives the app (`tar -tv --numeric-owner` spelling).
pub const NONROOT: &str = "65532/65532";

/// Files of the context that describe the build, absent from every runtime image.
pub const NEVER_SHIPPED: [&str; 2] = ["app/shallot.yaml", "app/.dockerignore"];

/// One runtime's example: what it is built on and what the built image must look like.
pub struct Case {
    /// `examples/<example>`; images are tagged `shallot-e2e/<example>:<what>`.
    pub example: &'static str,
    /// The stand-in builder image (`SHALLOT_BUILDER_IMAGE`); none for recipes without one.
    pub builder: Option<&'static str>,
    /// The stand-in runtime image, `…:nonroot`; its debug variant is `…:debug-nonroot`.
    pub runtime: &'static str,
    /// Makes a copy of the example buildable (static compiles its binary); without it the
    /// example is built from the repository as it is.
    pub prepare: Option<fn(&Path)>,
    /// Text the example build's progress must show.
    pub build_log: &'static [&'static str],
    /// Text the app's answer to `GET /` must contain.
    pub body: &'static [&'static str],
    /// The image's `Entrypoint`.
    pub entrypoint: &'static [&'static str],
    /// The image's `Cmd`; empty means none (null or `[]`).
    pub cmd: &'static [&'static str],
    /// Entries the image's `Env` must have; `NAME=` alone only needs the name (its value is
    /// the base image's).
    pub env: &'static [&'static str],
    /// Paths the runtime image must have (see [`has_path`]).
    pub present: &'static [Entry],
    /// Paths the runtime image must not have (see [`has_path`]).
    pub absent: &'static [&'static str],
    /// Text no line of the runtime image's listing may contain.
    pub absent_anywhere: &'static [&'static str],
    /// Text no line under `/app` may contain (sources and build files).
    pub absent_in_app: &'static [&'static str],
    /// How many entries `/app` holds, when that is fixed.
    pub app_entries: Option<usize>,
    /// A shell command the debug image runs before it answers (empty: none).
    pub debug_probe: &'static str,
    /// The dependency step's caching, for recipes that have one.
    pub cache: Option<Cache>,
}

/// A path the runtime image must have, and what its listing line must say.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Matched as [`has_path`] matches.
    pub path: &'static str,
    /// The mode the line starts with, e.g. `-rwxr-xr-x`.
    pub mode: Option<&'static str>,
    /// `uid/gid`, e.g. [`NONROOT`].
    pub owner: Option<&'static str>,
    /// The target of a symbolic link.
    pub link_to: Option<&'static str>,
}

impl Entry {
    /// The path, whatever it is.
    pub const fn path(path: &'static str) -> Entry {
        Entry {
            path,
            mode: None,
            owner: None,
            link_to: None,
        }
    }

    /// An executable owned by the runtime user.
    pub const fn executable(path: &'static str) -> Entry {
        Entry::path(path).mode("-rwxr-xr-x").owned_by(NONROOT)
    }

    /// With this mode.
    pub const fn mode(self, mode: &'static str) -> Entry {
        Entry {
            mode: Some(mode),
            ..self
        }
    }

    /// With this owner.
    pub const fn owned_by(self, owner: &'static str) -> Entry {
        Entry {
            owner: Some(owner),
            ..self
        }
    }

    /// A link to `target`.
    pub const fn link_to(self, target: &'static str) -> Entry {
        Entry {
            link_to: Some(target),
            ..self
        }
    }

    fn check(&self, files: &str) {
        let line = has_path(files, self.path)
            .unwrap_or_else(|| panic!("{} missing from the runtime image:\n{files}", self.path));
        if let Some(mode) = self.mode {
            assert!(line.starts_with(mode), "not {mode}: {line}");
        }
        if let Some(owner) = self.owner {
            assert!(line.contains(owner), "not owned by {owner}: {line}");
        }
        if let Some(target) = self.link_to {
            assert!(line.contains(&format!("-> {target}")), "{line}");
        }
    }
}

/// A change to a file of the example's copy. `{n}` in the text becomes a number new to every
/// change, so that the change misses BuildKit's cache.
#[derive(Clone, Copy)]
pub enum Edit {
    /// Appends text to the file.
    Append(&'static str, &'static str),
    /// Replaces every occurrence of the text (which must occur).
    Replace(&'static str, &'static str, &'static str),
    /// Writes the file anew.
    Write(&'static str, &'static str),
}

impl Edit {
    fn apply(&self, dir: &Path, n: u32) {
        let fill = |text: &str| text.replace("{n}", &n.to_string());
        match *self {
            Edit::Append(file, text) => edit(dir, file, |old| format!("{old}{}", fill(text))),
            Edit::Replace(file, from, to) => edit(dir, file, |old| {
                assert!(old.contains(from), "{file} has no {from:?}");
                old.replace(from, &fill(to))
            }),
            Edit::Write(file, text) => edit(dir, file, |_| fill(text)),
        }
    }
}

/// Applies `edits`, all with one new number, which it returns.
pub fn apply(dir: &Path, edits: &[Edit]) -> u32 {
    let n = unique();
    for e in edits {
        e.apply(dir, n);
    }
    n
}

/// A source-only change keeps the dependency step cached; a manifest change re-runs it.
pub struct Cache {
    /// The dependency step, as BuildKit's progress names it.
    pub dependency_step: &'static str,
    /// A step a source change must re-run (it takes the source).
    pub source_step: &'static str,
    /// Source-only changes, each followed by a build.
    pub source_changes: &'static [&'static [Edit]],
    /// Text the app answers with after a source change, if the change shows.
    pub changed_body: Option<&'static str>,
    /// A change to the dependency manifest.
    pub manifest_change: &'static [Edit],
    /// Text the image's `Cmd` has after the manifest change (`{n}` as in the change).
    pub changed_cmd: Option<&'static str>,
}

/// The line of an [`image_files`] listing for `path`: a file or a directory (listed with a
/// trailing `/`) ending in `path`, or a link at `path`.
pub fn has_path<'a>(files: &'a str, path: &str) -> Option<&'a str> {
    let dir = format!("{path}/");
    let link = format!("{path} -> ");
    files
        .lines()
        .find(|l| l.ends_with(path) || l.ends_with(&dir) || l.contains(&link))
}

impl Case {
    /// `shallot-e2e/<example>:<what>`, with `-<daemon>` after `what` on other daemons than
    /// dockerd (both daemons' tests run at once and load into the same dockerd).
    pub fn tag(&self, what: &str) -> String {
        match daemon() {
            Daemon::Dockerd => format!("shallot-e2e/{}:{what}", self.example),
            other => format!("shallot-e2e/{}:{what}-{}", self.example, other.name()),
        }
    }

    /// `docker build` of `context` on this case's stand-ins.
    pub fn build(&self, context: &Path, tag: &str, extra: &[&str]) -> Run {
        build_on(
            context,
            "shallot.yaml",
            tag,
            self.builder,
            self.runtime,
            extra,
        )
    }

    /// The command of [`Case::build`], to start it beside others or stop it.
    pub fn build_command(&self, context: &Path, tag: &str, extra: &[&str]) -> Command {
        build_command(
            context,
            "shallot.yaml",
            tag,
            self.builder,
            self.runtime,
            extra,
        )
    }

    /// A copy of the example, prepared to build.
    pub fn copy(&self) -> tempfile::TempDir {
        let dir = example_copy(self.example);
        if let Some(prepare) = self.prepare {
            prepare(dir.path());
        }
        dir
    }

    /// Builds the example once per test binary and daemon and returns its tag.
    pub fn example_image(&self) -> String {
        static BUILT: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
        let tag = self.tag("example");
        let mut built = BUILT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let log = built.entry(tag.clone()).or_insert_with(|| {
            let r = match self.prepare {
                None => self.build(&repo().join("examples").join(self.example), &tag, &[]),
                Some(_) => self.build(self.copy().path(), &tag, &[]),
            };
            assert!(
                r.ok,
                "building examples/{} failed:\n{}",
                self.example, r.text
            );
            r.text
        });
        for text in self.build_log {
            assert!(
                log.contains(text),
                "the build does not say {text:?}:\n{log}"
            );
        }
        tag
    }

    /// Builds a copy of the example, changed by `change`, that must fail; returns the log.
    pub fn build_fails(&self, what: &str, change: impl FnOnce(&Path)) -> String {
        let dir = self.copy();
        change(dir.path());
        let r = self.build(dir.path(), &self.tag(what), &[]);
        assert!(
            !r.ok,
            "{} built, but must fail:\n{}",
            self.tag(what),
            r.text
        );
        r.text
    }
}

/// The example builds, runs and answers on its port.
pub fn example_builds_runs_and_answers_on_its_port(case: &Case) {
    let body = answer(&case.example_image());
    for text in case.body {
        assert!(body.contains(text), "no {text:?} in the body: {body}");
    }
}

/// The recipe's user, port, entrypoint, command, directory and environment, on top of the
/// base image's.
pub fn image_config_is_set_on_top_of_the_base(case: &Case) {
    let config = image_config(&case.example_image());
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(config["Entrypoint"], serde_json::json!(case.entrypoint));
    if case.cmd.is_empty() {
        assert!(
            config["Cmd"].is_null() || config["Cmd"] == serde_json::json!([]),
            "Cmd: {}",
            config["Cmd"]
        );
    } else {
        assert_eq!(config["Cmd"], serde_json::json!(case.cmd));
    }
    assert_eq!(config["WorkingDir"], "/app");
    let env = env_of(&config);
    for var in case.env {
        let found = match var.strip_suffix('=') {
            Some(_) => env.iter().any(|e| e.starts_with(var)),
            None => env.contains(var),
        };
        assert!(found, "{var} missing (base env lost?): {env:?}");
    }
}

/// The runtime image has the app, owned by the runtime user, and no shell, toolchain,
/// caches or sources.
pub fn runtime_image_has_the_app_and_no_shell_or_build_tools(case: &Case) {
    let image = case.example_image();
    assert_no_shell(&image);
    let files = image_files(&image);
    // The build's own files are in every example's context and in no image.
    for path in NEVER_SHIPPED.iter().chain(case.absent) {
        assert!(
            has_path(&files, path).is_none(),
            "{path} in the runtime image:\n{files}"
        );
    }
    for text in case.absent_anywhere {
        assert!(
            !files.lines().any(|l| l.contains(text)),
            "{text} in the runtime image:\n{files}"
        );
    }
    let app: Vec<&str> = files.lines().filter(|l| l.contains(" app/")).collect();
    for text in case.absent_in_app {
        assert!(
            !app.iter().any(|l| l.contains(text)),
            "{text} in /app of the runtime image:\n{}",
            app.join("\n")
        );
    }
    for entry in case.present {
        entry.check(&files);
    }
    if let Some(count) = case.app_entries {
        let inside: Vec<&&str> = app.iter().filter(|l| !l.ends_with(" app/")).collect();
        assert_eq!(inside.len(), count, "{inside:#?}");
    }
}

/// `--target debug` builds on the runtime's debug variant, which has a shell.
pub fn debug_target_has_a_shell(case: &Case) {
    let dir = case.copy();
    let tag = case.tag("debug");
    let r = case.build(dir.path(), &tag, &["--target", "debug"]);
    assert!(r.ok, "debug build failed:\n{}", r.text);
    let name = case.runtime.rsplit('/').next().unwrap_or(case.runtime);
    let variant = name.replace(":nonroot", ":debug-nonroot");
    assert!(
        r.text.contains(&variant),
        "debug variant {variant} not used:\n{}",
        r.text
    );
    let script = format!("{}echo shell-$((40+2))", case.debug_probe);
    let out = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        &tag,
        "-c",
        &script,
    ]);
    assert!(out.contains("shell-42"), "{out}");
}

/// A source-only change keeps the dependency step cached, and a manifest change re-runs it
/// (so the first check can fail).
pub fn source_only_change_keeps_the_dependency_step_cached(case: &Case) {
    let cache = case
        .cache
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no dependency step to cache", case.example));
    let dir = case.copy();
    let tag = case.tag("cache");
    let build = || {
        let r = case.build(dir.path(), &tag, &[]);
        assert!(r.ok, "build failed:\n{}", r.text);
        r.text
    };
    build();

    for change in cache.source_changes {
        apply(dir.path(), change);
        let log = build();
        assert_eq!(
            step_cached(&log, cache.dependency_step),
            Some(true),
            "a source-only change re-ran the dependency step:\n{log}"
        );
        assert_eq!(
            step_cached(&log, cache.source_step),
            Some(false),
            "the changed source did not re-run {}:\n{log}",
            cache.source_step
        );
        if let Some(text) = cache.changed_body {
            let body = answer(&tag);
            assert!(body.contains(text), "the change does not show: {body}");
        }
    }

    let n = apply(dir.path(), cache.manifest_change);
    let log = build();
    assert_eq!(
        step_cached(&log, cache.dependency_step),
        Some(false),
        "a manifest change did not re-run the dependency step:\n{log}"
    );
    if let Some(cmd) = cache.changed_cmd {
        let cmd = cmd.replace("{n}", &n.to_string());
        let config = image_config(&tag);
        assert!(
            config["Cmd"].to_string().contains(&cmd),
            "Cmd: {}",
            config["Cmd"]
        );
    }
}

/// One module of tests per row and daemon (`node::dockerd::…`, `node::buildx::…`):
/// `runtime: ROW` has every check above, `runtime: ROW => [check, …]` only those named.
#[allow(unused_macros)] // each test binary uses part of the kit
macro_rules! runtime_tests {
    (@on $module:ident $daemon:ident $case:path => [$($check:ident),+]) => {
        mod $module {
            use super::*;

            $(
                #[test]
                fn $check() {
                    $crate::support::on($crate::support::Daemon::$daemon, || {
                        $crate::support::case::$check(&$case)
                    });
                }
            )+
        }
    };
    ($($runtime:ident: $case:path => [$($check:ident),+ $(,)?]),+ $(,)?) => {
        $(
            mod $runtime {
                use super::*;

                $crate::support::case::runtime_tests!(@on dockerd Dockerd $case => [$($check),+]);
                $crate::support::case::runtime_tests!(@on buildx Buildx $case => [$($check),+]);
            }
        )+
    };
    ($($runtime:ident: $case:path),+ $(,)?) => {
        $crate::support::case::runtime_tests!($(
            $runtime: $case => [
                example_builds_runs_and_answers_on_its_port,
                image_config_is_set_on_top_of_the_base,
                runtime_image_has_the_app_and_no_shell_or_build_tools,
                debug_target_has_a_shell,
                source_only_change_keeps_the_dependency_step_cached,
            ]
        ),+);
    };
}
#[allow(unused_imports)]
pub(crate) use runtime_tests;
