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
//! The package manager is chosen from the files present: `uv.lock`, else `poetry.lock`, else
//! `requirements.txt` (each lockfile with its `pyproject.toml`). Manifests and the local paths
//! they name are copied first and installed on a cache mount, so a source-only change keeps the
//! install step cached.

use super::Recipe;
use crate::formats::python_lock::{poetry_local_paths, uv_local_paths};
use crate::formats::python_version::minor_version;
use crate::formats::requirements;
use crate::plan::{
    Cache, CrossCompile, Entrypoint, RecipeArtifact, RecipeInput, RecipePlan, Run, Step, error_at,
    join,
};
use crate::plan::{Facts, RecipeBuilder};
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// The python recipe.
pub const PYTHON: Recipe = Recipe {
    name: "python",
    probes: &[
        "requirements.txt",
        "pyproject.toml",
        "poetry.lock",
        "uv.lock",
        ".python-version",
    ],
    spec_probes: super::no_spec_probes,
    serves: true,
    plan,
};

/// Python versions that have a distroless image, with the Debian release that carries them
/// (distroless python is Debian's own interpreter, so each Debian release has one version).
const VERSIONS: [(&str, &str); 1] = [("3.13", "debian13")];
const DEFAULT_VERSION: &str = "3.13";
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
    let spec = input.spec;
    let facts = input.facts;
    let mut problems = Vec::new();

    let (version, debian) = match version(spec, facts) {
        Ok(found) => found,
        Err(problem) => {
            problems.push(problem);
            (DEFAULT_VERSION, "debian13")
        }
    };
    let command = match entrypoint(spec) {
        Ok(command) => command,
        Err(problem) => {
            problems.push(problem);
            Vec::new()
        }
    };
    let manager = manager(facts);
    if matches!(manager, Some(Manager::Poetry | Manager::Uv)) && !facts.has("pyproject.toml") {
        let lock = if manager == Some(Manager::Uv) {
            "uv.lock"
        } else {
            "poetry.lock"
        };
        problems.push(error_at(
            &spec.runtime,
            format!("{lock} in the build context has no pyproject.toml beside it"),
            Some("commit pyproject.toml with its lockfile".to_string()),
        ));
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }

    let workdir = spec.workdir.value.as_str();
    let venv = join(workdir, VENV);
    let mut env = vec![
        ("PIP_DISABLE_PIP_VERSION_CHECK".to_string(), "1".to_string()),
        ("PIP_ROOT_USER_ACTION".to_string(), "ignore".to_string()),
    ];
    let mut steps = Vec::new();
    if let Some(manager) = manager {
        // Build commands (and the compile step) run with the venv active, as after `activate`.
        env.push(("VIRTUAL_ENV".to_string(), venv.clone()));
        env.push((
            "PATH".to_string(),
            format!("{venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ));
        env.extend(manager_env(manager, &venv));
        steps.extend(install_steps(spec, facts, manager));
    }
    steps.push(Step::CopySource);
    for command in &spec.build {
        steps.push(Step::Run(Run {
            command: command.value.clone(),
            caches: manager.map(caches).unwrap_or_default(),
            span: Some(command.span),
        }));
    }
    steps.push(Step::Run(Run {
        // The venv was compiled by its installer; compiling the app last keeps that step out
        // of the install's cache key.
        command: format!("python3 -m compileall -q -x '(^|/)\\{VENV}/' ."),
        caches: vec![],
        span: Some(spec.runtime.span),
    }));

    let entrypoint = if manager.is_some() {
        Entrypoint::Set(vec![format!("{venv}/bin/python3")])
    } else {
        // No dependencies: no venv, distroless' own `/usr/bin/python3.X` runs the app.
        Entrypoint::Inherit {
            fallback: vec!["/usr/bin/python3".to_string()],
        }
    };
    Ok(RecipePlan {
        builder: Some(RecipeBuilder {
            image: format!("python:{version}-slim-trixie"),
            env,
            steps,
            cross: CrossCompile::No,
        }),
        runtime_image: format!("gcr.io/distroless/python3-{debian}:nonroot"),
        runtime_note: None,
        artifacts: vec![RecipeArtifact::workdir()],
        entrypoint,
        cmd: command,
        // Logs reach `docker logs` as they are written, not when a buffer fills.
        env: vec![("PYTHONUNBUFFERED".to_string(), "1".to_string())],
        exclude: vec![VENV.to_string(), "**/__pycache__".to_string()],
        unlocked: None,
    })
}

/// The Python version: `python@X.Y`, else the context's `.python-version`, else the default;
/// with the Debian release whose distroless image carries it.
fn version(spec: &Spec, facts: &Facts) -> Result<(&'static str, &'static str), Diagnostic> {
    let listed = || {
        VERSIONS
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |wanted: &str| VERSIONS.iter().copied().find(|(v, _)| *v == wanted);
    if let Some(v) = &spec.runtime_version {
        return find(&v.value).ok_or_else(|| {
            error_at(
                v,
                format!("python {} has no distroless image", v.value),
                Some(format!(
                    "use one of: {} (distroless python is Debian's interpreter)",
                    listed()
                )),
            )
        });
    }
    let Some(file) = facts.files.get(".python-version") else {
        return find(DEFAULT_VERSION)
            .ok_or_else(|| error_at(&spec.runtime, "no default python".to_string(), None));
    };
    let text = String::from_utf8_lossy(file);
    let Some(line) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return find(DEFAULT_VERSION)
            .ok_or_else(|| error_at(&spec.runtime, "no default python".to_string(), None));
    };
    let Some(wanted) = minor_version(line) else {
        return Err(error_at(
            &spec.runtime,
            format!("`{line}` in .python-version is not a Python version"),
            Some(format!(
                "write a version such as {DEFAULT_VERSION} in .python-version, or `runtime: python@{DEFAULT_VERSION}`"
            )),
        ));
    };
    // A bare major (`3`) accepts any 3.x: the default, if it is one.
    if wanted == "3" {
        return find(DEFAULT_VERSION)
            .ok_or_else(|| error_at(&spec.runtime, "no default python".to_string(), None));
    }
    find(&wanted).ok_or_else(|| {
        error_at(
            &spec.runtime,
            format!("python {wanted} (from .python-version) has no distroless image"),
            Some(format!(
                "use one of: {}; change .python-version or write `runtime: python@{DEFAULT_VERSION}`",
                listed()
            )),
        )
    })
}

/// The command after the interpreter: `[script]` or `["-m", module]`.
fn entrypoint(spec: &Spec) -> Result<Vec<String>, Diagnostic> {
    let Some(e) = &spec.entrypoint else {
        return Err(Diagnostic {
            span: spec.runtime.span,
            message:
                "runtime `python` needs `entrypoint`, the script or module that starts the app"
                    .to_string(),
            hint: Some(
                "add `entrypoint: app.py` (a script) or `entrypoint: -m app` (a module)"
                    .to_string(),
            ),
        });
    };
    let words: Vec<&str> = e.value.split_whitespace().collect();
    match words.as_slice() {
        ["-m", module] if is_module(module) => Ok(vec!["-m".to_string(), module.to_string()]),
        ["-m", ..] => Err(error_at(
            e,
            "`-m` needs one module name, e.g. `-m app` or `-m app.server`".to_string(),
            Some("put arguments in `args`".to_string()),
        )),
        [first, ..] if is_interpreter(first) => Err(error_at(
            e,
            "entrypoint starts with the interpreter, which the image already runs".to_string(),
            Some(format!(
                "write only the script or module: `entrypoint: {}`",
                words[1..].join(" ")
            )),
        )),
        [script] => Ok(vec![script.to_string()]),
        _ => Err(error_at(
            e,
            "entrypoint is one script (or `-m module`), without arguments".to_string(),
            Some("put arguments in `args`".to_string()),
        )),
    }
}

fn is_module(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    })
}

fn is_interpreter(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word);
    name == "python"
        || name.strip_prefix("python").is_some_and(|v| {
            v.chars().next().is_some_and(|c| c.is_ascii_digit())
                && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
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

/// Tool (when missing), venv, manifests, install.
fn install_steps(spec: &Spec, facts: &Facts, manager: Manager) -> Vec<Step> {
    let span = Some(spec.runtime.span);
    let mut steps = Vec::new();
    let tool = match manager {
        Manager::Pip => None,
        Manager::Poetry => Some(("poetry", POETRY_VERSION)),
        Manager::Uv => Some(("uv", UV_VERSION)),
    };
    if let Some((tool, version)) = tool {
        // A builder image that already has the tool (a custom one, or an offline mirror's)
        // is used as it is.
        steps.push(Step::Run(Run {
            command: format!(
                "command -v {tool} >/dev/null || python3 -m pip install {tool}=={version}"
            ),
            caches: vec![pip_cache()],
            span,
        }));
    }
    steps.push(Step::Run(Run {
        // Made by `/usr/bin/python3`, the path distroless has, so the venv points there.
        command: format!(
            "[ -e /usr/bin/python3 ] || ln -s \"$(command -v python3)\" /usr/bin/python3; \
             /usr/bin/python3 -m venv --without-pip {VENV}"
        ),
        caches: vec![],
        span,
    }));

    let (mut manifests, install) = match manager {
        Manager::Pip => (
            vec!["requirements.txt".to_string()],
            format!(
                "/usr/bin/python3 -m pip --python {VENV}/bin/python install -r requirements.txt"
            ),
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
            .text("requirements.txt")
            .map(requirements_paths)
            .unwrap_or_default(),
        Manager::Poetry => facts
            .text("poetry.lock")
            .map(poetry_paths)
            .unwrap_or_default(),
        Manager::Uv => facts.text("uv.lock").map(uv_paths).unwrap_or_default(),
    };
    for path in local {
        if !manifests.contains(&path) {
            manifests.push(path);
        }
    }
    steps.push(Step::CopyFiles { paths: manifests });
    steps.push(Step::Run(Run {
        command: install,
        caches: caches(manager),
        span,
    }));
    steps
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

/// The paths that stay inside the context, normalized, once each, sorted.
fn in_context<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut paths: Vec<String> = paths.into_iter().filter_map(inside_context).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A local path from a manifest (`file:` allowed), if it stays inside the context.
fn inside_context(path: &str) -> Option<String> {
    super::inside_context(path.strip_prefix("file:").unwrap_or(path))
}

#[cfg(test)]
mod tests;
