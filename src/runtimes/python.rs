//! Python: pip, poetry or uv in the official Debian python image, run on distroless python.
//!
//! Distroless python's interpreter is Debian's `/usr/bin/python3.13`, so what the builder
//! makes must fit that interpreter exactly:
//!
//! - **Same minor version.** The builder is `python:3.13-slim-trixie`; compiled extensions and
//!   byte code are only valid for the minor version they were made for.
//! - **Paths that exist in the runtime.** Dependencies go into a virtualenv at
//!   `<workdir>/.venv`, created by `/usr/bin/python3` (linked to the builder's interpreter when
//!   the image keeps it elsewhere, as the official one does under `/usr/local`). The venv's
//!   `bin/python3` then points at `/usr/bin/python3`, which distroless also has, and its
//!   `pyvenv.cfg` says `home = /usr/bin`, where distroless keeps Python. The venv's interpreter
//!   is the entrypoint, so its site-packages are found without `PYTHONPATH`, and no path names
//!   the minor version (the stand-in images carry 3.11 and the same plan works).
//! - **No pip in the runtime.** The venv is made `--without-pip`; pip installs into it from
//!   outside (`pip --python`), and poetry and uv install into the venv they find.
//! - **Byte code at build time.** The runtime may not be able to write `__pycache__` (a
//!   read-only root, or files not owned by the runtime user), so dependencies are compiled by
//!   their installer and the app by `compileall` as the last step.
//!
//! A version no distroless image has (3.9 on) is **carried**: the builder is that version's
//! official image, its interpreter is staged lean at the official paths (`/usr/local`), the venv
//! is made by `/usr/local/bin/python3`, and the runtime is distroless `cc`.
//!
//! The package manager is chosen from the files present: `uv.lock`, else `poetry.lock`, else
//! `requirements.txt` (each lockfile with its `pyproject.toml`). Manifests and the local paths
//! they name are copied first and installed on a cache mount, so a source-only change keeps the
//! install step cached.

use super::Recipe;
use crate::formats::python_lock::{poetry_local_paths, uv_local_paths};
use crate::formats::python_version::python_version;
use crate::formats::requirements;
use crate::formats::runtime_txt::runtime_line;
use crate::formats::tool_versions::tool_version;
use crate::plan::{
    Cache, Deps, Entrypoint, Facts, Manifests, Problems, RecipeArtifact, RecipeBuilder,
    RecipeInput, RecipePlan, Run, STAGED_ROOT, Version, Versions, error_at, image_env, join,
    version_line,
};
use crate::spec::{Diagnostic, Diagnostics, Span, Spec};

/// The python recipe.
pub const PYTHON: Recipe = Recipe {
    name: "python",
    probes: &[
        "requirements.txt",
        "pyproject.toml",
        "poetry.lock",
        "uv.lock",
        ".python-version",
        "runtime.txt",
        ".tool-versions",
        "Procfile",
    ],
    spec_probes: start::probes,
    serves: true,
    plan,
};

/// Python versions that have a distroless image. Distroless python is Debian's own
/// interpreter, so each Debian release carries one version: 3.13 is trixie's ([`DEBIAN`]).
/// Any other from 3.9 on is carried from its official image onto distroless `cc`.
const VERSIONS: Versions = Versions {
    runtime: "python",
    known: &["3.13"],
    default: "3.13",
    image: "distroless image",
    carried_from: Some("3.9"),
};
/// Where the official images keep the interpreter a carried version runs.
const OFFICIAL_PYTHON: &str = "/usr/local/bin/python3";
/// The Debian release of the distroless image.
const DEBIAN: &str = "debian13";
/// Tool versions installed when the builder image lacks the tool.
const POETRY_VERSION: &str = "2.5.1";
const UV_VERSION: &str = "0.13.9";
/// Where the dependencies live, relative to the workdir.
const VENV: &str = ".venv";

/// The package manager a project uses, decided from its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Manager {
    Pip,
    Poetry,
    Uv,
}

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let RecipeInput { spec, facts, .. } = input;
    let mut problems = Problems::new();
    let version = problems.or(version(spec, facts), Version::distroless(VERSIONS.default));
    let carried = version.distroless.is_none();
    let manager = manager(facts);
    let venv = join(&spec.workdir.value, VENV);
    // Logs reach `docker logs` as they are written, not when a buffer fills; a carried
    // interpreter gets the locale distroless python sets and `cc` does not.
    let env: Vec<(String, String)> = [("PYTHONUNBUFFERED", "1")]
        .into_iter()
        .chain(carried.then_some(("LANG", "C.UTF-8")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let start = problems.ok(start::start(&start::Context {
        spec,
        facts,
        venv: manager.map(|_| VENV),
        venv_path: &venv,
        env: &image_env(spec, &env),
        builds: !spec.build.is_empty(),
    }));
    problems.or(lock_has_its_project(spec, facts, manager), ());
    // A lockfile without its pyproject.toml is refused above, whatever else it says.
    if manager == Some(Manager::Pip) || facts.has("pyproject.toml") {
        problems.extend(manifest_problems(facts, manager, spec.runtime.span));
    }
    problems.check()?;
    let Some(start) = start else {
        return Err(Diagnostics(Vec::new()));
    };
    Ok(RecipePlan {
        builder: Some(builder(spec, facts, manager, &version)),
        runtime_image: match version.distroless {
            Some(_) => format!("gcr.io/distroless/python3-{DEBIAN}:nonroot"),
            None => format!("gcr.io/distroless/cc-{DEBIAN}:nonroot"),
        },
        runtime_note: carried.then(|| format!("python {} carried from the builder", version.tag)),
        artifacts: vec![RecipeArtifact::workdir()],
        entrypoint: entrypoint(manager.map(|_| venv.as_str()), carried),
        cmd: start.cmd,
        env,
        exclude: vec![VENV.to_string(), "**/__pycache__".to_string()],
        start: Some(start.plan),
        // Distroless python is Debian's interpreter of the known series; a carried one is the
        // builder's, as written.
        version: Some(
            version
                .distroless
                .map_or(version.tag.clone(), str::to_string),
        ),
        ..Default::default()
    })
}

/// The builder: the carried interpreter first, the venv made by the interpreter at the path
/// the runtime has (distroless' `/usr/bin/python3`, or the carried one where the official
/// image keeps it), the install, then the app compiled last (the venv was compiled by its
/// installer; compiling the app apart keeps that out of the install's cache key).
fn builder(
    spec: &Spec,
    facts: &Facts,
    manager: Option<Manager>,
    version: &Version,
) -> RecipeBuilder {
    let carried = version.distroless.is_none();
    // Named by path: the builder's PATH has the venv first once it exists.
    let interpreter = if carried {
        OFFICIAL_PYTHON
    } else {
        "/usr/bin/python3"
    };
    let venv = join(&spec.workdir.value, VENV);
    let carry = carried.then(|| carry(spec));
    let venv_setup = manager.map(|m| setup(spec, m, interpreter));
    let compile = format!("python3 -m compileall -q -x '(^|/)\\{VENV}/' .");
    RecipeBuilder {
        image: format!("python:{}-slim-trixie", version.tag),
        env: builder_env(manager, &venv),
        setup: carry
            .into_iter()
            .chain(venv_setup.into_iter().flatten())
            .collect(),
        deps: manager.map(|m| deps(spec, facts, m, interpreter)),
        build_caches: manager.map(caches).unwrap_or_default(),
        finish: old_gunicorn_check(spec, facts, manager)
            .into_iter()
            .chain([Run::at(compile, vec![], spec.runtime.span)])
            .collect(),
        ..Default::default()
    }
}

/// The venv's interpreter with dependencies; without them the carried interpreter, or
/// distroless' own `/usr/bin/python3.X` (its entrypoint).
fn entrypoint(venv: Option<&str>, carried: bool) -> Entrypoint {
    match (venv, carried) {
        (Some(venv), _) => Entrypoint::Set(vec![format!("{venv}/bin/python3")]),
        (None, true) => Entrypoint::Set(vec![OFFICIAL_PYTHON.to_string()]),
        (None, false) => Entrypoint::Inherit {
            fallback: vec!["/usr/bin/python3".to_string()],
        },
    }
}

/// gunicorn before 21 imports `pkg_resources` when it starts, which only setuptools provides,
/// and the venv is made without it: found at build time, not as a crash at start. Only when
/// the manifests name gunicorn.
fn old_gunicorn_check(spec: &Spec, facts: &Facts, manager: Option<Manager>) -> Option<Run> {
    let manifest = match manager? {
        Manager::Pip => "requirements.txt",
        Manager::Poetry => "poetry.lock",
        Manager::Uv => "uv.lock",
    };
    let named = facts
        .text(manifest)?
        .to_ascii_lowercase()
        .contains("gunicorn");
    named.then(|| {
        let script = r#"import importlib.metadata as m, importlib.util as u, sys
try:
    v = m.version("gunicorn")
except m.PackageNotFoundError:
    sys.exit(0)
major = v.split(".")[0]
if major.isdigit() and int(major) < 21 and u.find_spec("pkg_resources") is None:
    sys.exit("gunicorn %s imports pkg_resources when it starts, and the venv has no setuptools to provide it: add setuptools to the dependencies, or use gunicorn 21 or newer" % v)"#;
        let command = format!("{VENV}/bin/python -c {}", crate::plan::shell::quote(script));
        Run::at(command, Vec::new(), spec.runtime.span)
            .labelled("check that gunicorn finds pkg_resources when it starts")
    })
}

/// uv and poetry install from their lockfile and the `pyproject.toml` beside it.
fn lock_has_its_project(
    spec: &Spec,
    facts: &Facts,
    manager: Option<Manager>,
) -> Result<(), Diagnostic> {
    let lock = match manager {
        Some(Manager::Uv) => "uv.lock",
        Some(Manager::Poetry) => "poetry.lock",
        _ => return Ok(()),
    };
    if facts.has("pyproject.toml") {
        return Ok(());
    }
    Err(error_at(
        &spec.runtime,
        format!("{lock} in the build context has no pyproject.toml beside it"),
        Some("commit pyproject.toml with its lockfile".to_string()),
    ))
}

/// Every builder step runs with pip quiet about itself and, with dependencies, the venv
/// active (as after `activate`) and the package manager's settings.
fn builder_env(manager: Option<Manager>, venv: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("PIP_DISABLE_PIP_VERSION_CHECK".to_string(), "1".to_string()),
        ("PIP_ROOT_USER_ACTION".to_string(), "ignore".to_string()),
    ];
    if let Some(manager) = manager {
        env.push(("VIRTUAL_ENV".to_string(), venv.to_string()));
        env.push((
            "PATH".to_string(),
            format!("{venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ));
        env.extend(manager_env(manager, venv));
    }
    env
}

/// The Python version: `python@X.Y[.Z]`, else the version the app's files state, else the
/// default.
fn version(spec: &Spec, facts: &Facts) -> Result<Version, Diagnostic> {
    if let Some(version) = VERSIONS.asked_version(spec)? {
        return Ok(version);
    }
    let Some((line, from)) = stated_version(spec, facts)? else {
        return Ok(Version::distroless(VERSIONS.default));
    };
    let Some(wanted) = python_version(line) else {
        return Err(error_at(
            &spec.runtime,
            format!("`{line}` in {from} is not a Python version"),
            Some(format!(
                "write a version such as {0} in {from}, or `runtime: python@{0}`",
                VERSIONS.default
            )),
        ));
    };
    // A bare major (`3`) accepts any 3.x: the default, if it is one.
    if wanted == "3" {
        return Ok(Version::distroless(VERSIONS.default));
    }
    VERSIONS.stated_version(&wanted, from, spec.runtime.span)
}

/// The version the app's files state, and which file: `.python-version` (pyenv, uv), else
/// Heroku's `runtime.txt` (`python-3.11`), else the `python` line of asdf's `.tool-versions`;
/// the first that names one decides, as on the app platforms. An empty file says nothing.
fn stated_version<'a>(
    spec: &Spec,
    facts: &'a Facts,
) -> Result<Option<(&'a str, &'static str)>, Diagnostic> {
    let at = spec.runtime.span;
    let line = facts.read_text(".python-version", at)?.map(version_line);
    if let Some(line) = line.filter(|l| !l.is_empty()) {
        return Ok(Some((line, ".python-version")));
    }
    if let Some(text) = facts.read_text("runtime.txt", at)? {
        match runtime_line(text) {
            Some(("python", version)) => return Ok(Some((version, "runtime.txt"))),
            None if version_line(text).is_empty() => {}
            _ => {
                return Err(error_at(
                    &spec.runtime,
                    format!(
                        "runtime.txt in the build context names `{}`, which is not a Python version",
                        version_line(text)
                    ),
                    Some(format!(
                        "write `python-{0}` there, as Heroku reads it, or `runtime: python@{0}`",
                        VERSIONS.default
                    )),
                ));
            }
        }
    }
    let tool = facts.read_text(".tool-versions", at)?;
    Ok(tool
        .and_then(|t| tool_version(t, &["python"]))
        .map(|v| (v, ".tool-versions")))
}

/// The package manager, from the lockfiles and manifests present (most specific first).
fn manager(facts: &Facts) -> Option<Manager> {
    if facts.has("uv.lock") {
        Some(Manager::Uv)
    } else if facts.has("poetry.lock") {
        Some(Manager::Poetry)
    } else if facts.has("requirements.txt") {
        Some(Manager::Pip)
    } else {
        None
    }
}

fn manager_env(manager: Manager, venv: &str) -> Vec<(String, String)> {
    let pairs: &[(&str, &str)] = match manager {
        Manager::Pip => &[],
        // Poetry uses the in-project `.venv` it finds instead of making its own elsewhere.
        Manager::Poetry => &[
            ("POETRY_VIRTUALENVS_IN_PROJECT", "true"),
            ("POETRY_NO_INTERACTION", "1"),
        ],
        // uv must use the venv and interpreter it is given, never download one, and copy
        // (its cache is on another filesystem, so it cannot hard-link).
        Manager::Uv => &[
            ("UV_PYTHON_DOWNLOADS", "never"),
            ("UV_LINK_MODE", "copy"),
            ("UV_COMPILE_BYTECODE", "1"),
        ],
    };
    let mut env: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if manager == Manager::Uv {
        env.push(("UV_PROJECT_ENVIRONMENT".to_string(), venv.to_string()));
    }
    env
}

/// For a version no distroless image has: the builder's interpreter, lean, staged for the
/// runtime at the same paths. Its standard library is compiled here (hash-checked byte code
/// never goes stale, and the runtime user could not write it), and what a server never needs
/// stays behind: tests, IDLE, Tk, ensurepip, pip, the static library, the terminal modules
/// (readline, curses, whose libraries would follow them) and `libpython3.so`, the stable-ABI
/// shim only embedders link. First of all steps, it depends on the image alone and stays
/// cached.
fn carry(spec: &Spec) -> Run {
    let command = format!(
        r#"set -eu
v=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
prefix=$(python3 -c 'import sys; print(sys.base_prefix)')
root={STAGED_ROOT} lib=$prefix/lib/python$v
mkdir -p "$root$prefix/bin" "$root$prefix/lib"
cp -p "$(readlink -f "$prefix/bin/python$v")" "$root$prefix/bin/python$v"
ln -sf "python$v" "$root$prefix/bin/python3"
ln -sf "python$v" "$root$prefix/bin/python"
for so in "$prefix"/lib/libpython"$v"*.so*; do [ ! -e "$so" ] || cp -a "$so" "$root$prefix/lib/"; done
cp -a "$lib" "$root$prefix/lib/"
cd "$root$lib"
rm -rf test idlelib tkinter turtledemo turtle.py ensurepip lib2to3 site-packages config-"$v"* \
    lib-dynload/_tkinter* lib-dynload/_test* lib-dynload/xxlimited* \
    lib-dynload/readline.* lib-dynload/_curses*
mkdir site-packages
find . -name __pycache__ -prune -exec rm -rf {{}} +
python3 -m compileall -q --invalidation-mode unchecked-hash -s "$root" -p / . >/dev/null || true"#
    );
    Run::at(command, Vec::new(), spec.runtime.span).labelled(format!(
        "copy python to {STAGED_ROOT}, without tests, idle, tkinter, ensurepip or pip"
    ))
}

/// Before the manifests: the package manager (when the image lacks it) and the venv, made by
/// `interpreter`, the path the runtime has.
fn setup(spec: &Spec, manager: Manager, interpreter: &str) -> Vec<Run> {
    let at = spec.runtime.span;
    let mut runs = Vec::new();
    let tool = match manager {
        Manager::Pip => None,
        Manager::Poetry => Some(("poetry", POETRY_VERSION)),
        Manager::Uv => Some(("uv", UV_VERSION)),
    };
    if let Some((tool, version)) = tool {
        // A builder image that already has the tool (a custom one, or an offline mirror's)
        // is used as it is.
        let install =
            format!("command -v {tool} >/dev/null || python3 -m pip install {tool}=={version}");
        runs.push(Run::at(install, vec![pip_cache()], at));
    }
    // Made by the interpreter at the path the runtime has, so the venv points there:
    // distroless' `/usr/bin/python3`, or the carried one where the builder keeps it.
    let venv = if interpreter == "/usr/bin/python3" {
        format!(
            "[ -e /usr/bin/python3 ] || ln -s \"$(command -v python3)\" /usr/bin/python3; \
             /usr/bin/python3 -m venv --without-pip {VENV}"
        )
    } else {
        format!("{interpreter} -m venv --without-pip {VENV}")
    };
    runs.push(Run::at(venv, vec![], at));
    runs
}

/// The manifests (with the local paths they name) and the install from them.
fn deps(spec: &Spec, facts: &Facts, manager: Manager, interpreter: &str) -> Deps {
    let (manifests, install) = match manager {
        Manager::Pip => (
            vec!["requirements.txt".to_string()],
            format!("{interpreter} -m pip --python {VENV}/bin/python install -r requirements.txt"),
        ),
        Manager::Poetry => (
            vec!["pyproject.toml".to_string(), "poetry.lock".to_string()],
            // Poetry may leave files uncompiled; compileall skips those already compiled.
            format!("poetry install --only main --no-root && python3 -m compileall -q {VENV}"),
        ),
        Manager::Uv => (
            vec!["pyproject.toml".to_string(), "uv.lock".to_string()],
            "uv sync --locked --no-dev --no-install-project".to_string(),
        ),
    };
    let local = match manager {
        Manager::Pip => facts
            .files
            .get("requirements.txt")
            .map(|bytes| requirements_paths(&requirements::decode(bytes)))
            .unwrap_or_default(),
        Manager::Poetry => facts
            .text("poetry.lock")
            .map(poetry_paths)
            .unwrap_or_default(),
        Manager::Uv => facts.text("uv.lock").map(uv_paths).unwrap_or_default(),
    };
    let mut manifests = crate::plan::FirstOfEach::starting_with(manifests);
    manifests.extend(local);
    Deps {
        manifests: Manifests::Files(manifests.into_vec()),
        install: vec![Run::at(install, caches(manager), spec.runtime.span)],
    }
}

fn caches(manager: Manager) -> Vec<Cache> {
    match manager {
        Manager::Pip => vec![pip_cache()],
        Manager::Poetry => vec![Cache {
            target: "/root/.cache/pypoetry".to_string(),
            id: "shallot-poetry".to_string(),
            locked: false,
        }],
        Manager::Uv => vec![Cache {
            target: "/root/.cache/uv".to_string(),
            id: "shallot-uv".to_string(),
            locked: false,
        }],
    }
}

fn pip_cache() -> Cache {
    Cache {
        target: "/root/.cache/pip".to_string(),
        id: "shallot-pip".to_string(),
        locked: false,
    }
}

/// Context paths a `requirements.txt` needs to install (see [`requirements::local_paths`]).
fn requirements_paths(text: &str) -> Vec<String> {
    in_context(requirements::local_paths(text))
}

/// Local paths in a `uv.lock` (the project itself, `.`, is not one: it is copied with the
/// source).
fn uv_paths(text: &str) -> Vec<String> {
    in_context(uv_local_paths(text))
}

/// Local paths in a `poetry.lock`.
fn poetry_paths(text: &str) -> Vec<String> {
    in_context(poetry_local_paths(text))
}

/// What the package manager's files say that it could not install from: a manifest or lockfile
/// it cannot read, a local path outside the context. Lockfiles larger than shallot reads are
/// not checked (their beginning is no TOML document).
fn manifest_problems(facts: &Facts, manager: Option<Manager>, at: Span) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let (file, paths) = match manager {
        None => return problems,
        Some(Manager::Pip) => {
            let Some(bytes) = facts.files.get("requirements.txt") else {
                return problems;
            };
            let text = requirements::decode(bytes);
            let paths: Vec<(usize, String)> = requirements::local_paths(&text)
                .into_iter()
                .map(|(line, path)| (line, path.to_string()))
                .collect();
            ("requirements.txt", paths)
        }
        Some(manager @ (Manager::Uv | Manager::Poetry)) => {
            if let Err(problem) = facts.read_toml("pyproject.toml", at) {
                problems.push(problem);
            }
            let lock = if manager == Manager::Uv {
                "uv.lock"
            } else {
                "poetry.lock"
            };
            let text = match facts.read_text(lock, at) {
                Ok(text) => text.unwrap_or_default(),
                Err(problem) => {
                    if !facts.oversized.contains(lock) {
                        problems.push(problem);
                    }
                    return problems;
                }
            };
            if let Err(why) = crate::plan::facts::parse_toml(text) {
                problems.push(crate::plan::facts::unreadable(
                    lock,
                    at,
                    format!("is not valid TOML: {why}"),
                ));
                return problems;
            }
            let paths = if manager == Manager::Uv {
                uv_local_paths(text)
            } else {
                poetry_local_paths(text)
            };
            let paths = paths.into_iter().map(|(l, p)| (l, p.to_string())).collect();
            (lock, paths)
        }
    };
    for (line, path) in paths {
        let bare = path.strip_prefix("file:").unwrap_or(&path);
        if super::context_path(bare).is_none() {
            problems.push(Diagnostic::new(
                at,
                format!("{file} line {line} names `{path}`, which is outside the build context"),
                Some(
                    "only the build context reaches the build: move the package into it and name it by a path relative to the context, or install it from an index"
                        .to_string(),
                ),
            ));
        }
    }
    problems
}

/// The paths that stay inside the context, normalized, once each, sorted.
fn in_context<'a>(paths: impl IntoIterator<Item = (usize, &'a str)>) -> Vec<String> {
    let mut paths: Vec<String> = paths
        .into_iter()
        .filter_map(|(_, path)| inside_context(path))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A local path from a manifest (`file:` allowed), if it stays inside the context.
fn inside_context(path: &str) -> Option<String> {
    super::inside_context(path.strip_prefix("file:").unwrap_or(path))
}

mod start;
#[cfg(test)]
mod tests;
