//! How a python app starts: the spec's `entrypoint` (with `args`), else the Procfile's `web:`
//! line, translated into what the venv's interpreter runs (no shebang, no shell):
//!
//! | Written | Command after the interpreter |
//! |---|---|
//! | `app.py args`, `python [flags] app.py args` | `[flags] app.py args` |
//! | `-m app args`, `python -m app args` | `-m app args` |
//! | `gunicorn app:app` (a console script of a dependency) | `<venv>/bin/gunicorn app:app` |
//!
//! What it runs is checked: a script the spec names must be in the context (or made by
//! `build`); a console script must be in the venv and a module importable, which the builder
//! checks after the build.

use crate::formats::procfile::web_command;
use crate::plan::start::{self, Check, Origin, StartPlan};
use crate::plan::{Facts, shell::quote};
use crate::spec::{Diagnostic, Span, Spec};
use std::collections::BTreeMap;

/// A start command that would do, for hints.
const EXAMPLE: &str = "`entrypoint: app.py`";

/// The translated start command.
#[derive(Debug)]
pub(super) struct PythonStart {
    /// What the interpreter runs.
    pub cmd: Vec<String>,
    /// Where it came from and its check.
    pub plan: StartPlan,
}

/// What the recipe needs to know to translate a start command.
pub(super) struct Context<'a> {
    pub spec: &'a Spec,
    pub facts: &'a Facts,
    /// The venv, relative to the workdir, when dependencies are installed into one.
    pub venv: Option<&'a str>,
    /// The venv's absolute path (where console scripts are in the image).
    pub venv_path: &'a str,
    /// The image's environment, where `$PORT` and the like are expanded.
    pub env: &'a BTreeMap<String, String>,
    /// Whether build steps run (and may make the script).
    pub builds: bool,
}

/// What a start command runs.
#[derive(Debug, PartialEq, Eq)]
enum Target<'w> {
    Script(&'w str),
    Module(&'w str),
    Console(&'w str),
}

/// The context files a spec's start command names, looked for before planning.
pub(super) fn probes(spec: &Spec) -> Vec<String> {
    let Some(entrypoint) = &spec.entrypoint else {
        return Vec::new();
    };
    let words = start::parse(&entrypoint.value).unwrap_or_default();
    let words: Vec<String> = words.iter().map_while(|w| w.literal()).collect();
    let files = match target(&words, &Facts::default()) {
        Ok((Target::Module(module), _)) => module_files(module).to_vec(),
        Ok((Target::Script(path) | Target::Console(path), _)) => [path.to_string()].to_vec(),
        Err(_) => Vec::new(),
    };
    files
        .iter()
        .filter_map(|f| crate::runtimes::inside_context(f))
        .collect()
}

/// Where a module's source would be in the context.
fn module_files(module: &str) -> [String; 2] {
    let path = module.replace('.', "/");
    [format!("{path}.py"), format!("{path}/__init__.py")]
}

/// The start command, translated.
pub(super) fn start(cx: &Context<'_>) -> Result<PythonStart, Diagnostic> {
    let (command, origin, span) = written(cx)?;
    let fail = |e: start::StartError| e.diagnostic(&command, &origin, span, EXAMPLE);
    let words = start::words(&command, cx.env).map_err(fail)?;
    let (target, rest) = target(&words, cx.facts).map_err(|why| {
        let (message, hint) = why.words(&command, &origin);
        Diagnostic::new(span, message, Some(hint))
    })?;
    let check = check(cx, &origin, span, &target)?;
    let mut cmd = match target {
        Target::Console(name) => vec![format!("{}/bin/{name}", cx.venv_path)],
        _ => Vec::new(),
    };
    cmd.extend(rest.iter().cloned());
    Ok(PythonStart {
        cmd,
        plan: StartPlan::new(origin, command, check),
    })
}

/// The start command as the app wrote it, where, and the spec line errors point at.
fn written(cx: &Context<'_>) -> Result<(String, Origin, Span), Diagnostic> {
    if let Some(e) = &cx.spec.entrypoint {
        return Ok((e.value.clone(), Origin::Entrypoint, e.span));
    }
    let at = cx.spec.runtime.span;
    if let Some(web) = cx.facts.read_text("Procfile", at)?.and_then(web_command) {
        return Ok((web.to_string(), Origin::Procfile, at));
    }
    Err(Diagnostic::new(
        at,
        "runtime `python` needs `entrypoint`: nothing else says how the app starts (no Procfile `web:` line)".to_string(),
        Some("add `entrypoint: app.py` (a script), `entrypoint: -m app` (a module) or `entrypoint: gunicorn app:app` (a dependency's command), or a Procfile with `web: …`".to_string()),
    ))
}

/// Why a start command runs nothing python can.
#[derive(Debug)]
enum Bad {
    Module,
    Code,
    Nothing,
}

impl Bad {
    fn words(&self, command: &str, origin: &Origin) -> (String, String) {
        let from = match origin {
            Origin::Entrypoint => String::new(),
            other => format!(" (from {other})"),
        };
        match self {
            Bad::Module => (
                format!(
                    "`{command}`{from}: `-m` needs a module name, e.g. `-m app` or `-m app.server`"
                ),
                "write the module's dotted name after `-m`".to_string(),
            ),
            Bad::Code => (
                format!("`{command}`{from} runs code from the command line, not a script"),
                format!("put the code in a file and start that, e.g. {EXAMPLE}"),
            ),
            Bad::Nothing => (
                format!("`{command}`{from} names no script or module to run"),
                format!("name one, e.g. {EXAMPLE} or `entrypoint: -m app`"),
            ),
        }
    }
}

/// What `words` run, and the words after the interpreter (flags, `-m module` or the script,
/// and the args).
fn target<'w>(words: &'w [String], facts: &Facts) -> Result<(Target<'w>, &'w [String]), Bad> {
    let (first, rest) = words.split_first().ok_or(Bad::Nothing)?;
    if is_interpreter(first) {
        // `python [flags] (script | -m module) args`: the image runs the interpreter.
        let i = rest
            .iter()
            .position(|w| !w.starts_with('-') || w == "-m" || w == "-c");
        let i = i.ok_or(Bad::Nothing)?;
        return match rest.get(i).map(String::as_str) {
            Some("-c") => Err(Bad::Code),
            Some("-m") => module(rest.get(i + 1)).map(|m| (m, rest)),
            Some(script) => Ok((Target::Script(script), rest)),
            None => Err(Bad::Nothing),
        };
    }
    if first == "-m" {
        return module(rest.first()).map(|m| (m, words));
    }
    let script = first.ends_with(".py") || first.contains('/') || facts.has(first);
    if script {
        Ok((Target::Script(first), words))
    } else {
        Ok((Target::Console(first), rest))
    }
}

fn module(name: Option<&String>) -> Result<Target<'_>, Bad> {
    match name {
        Some(name) if is_module(name) => Ok(Target::Module(name)),
        _ => Err(Bad::Module),
    }
}

/// A dotted module name: `app`, `app.server`.
pub(super) fn is_module(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// `python`, `python3`, `python3.13`, `/usr/bin/python3`.
fn is_interpreter(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word);
    name == "python"
        || name.strip_prefix("python").is_some_and(|v| {
            v.chars().next().is_some_and(|c| c.is_ascii_digit())
                && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
}

/// What the builder checks for `target`, or the plan's own error when it already knows.
fn check(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    target: &Target<'_>,
) -> Result<Option<Check>, Diagnostic> {
    let from = match origin {
        Origin::Entrypoint => String::new(),
        other => format!(" (from {other})"),
    };
    let spec_named = *origin == Origin::Entrypoint;
    match *target {
        Target::Script(path) => script_check(cx, span, path, &from, spec_named),
        Target::Module(module) => {
            let files = module_files(module);
            let looked_for = files.iter().all(|f| cx.facts.lacks(f));
            if files.iter().any(|f| cx.facts.has(f)) || (spec_named && !looked_for) {
                return Ok(None);
            }
            Ok(Some(Check {
                test: format!(
                    "python3 -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)' {}",
                    quote(module)
                ),
                span,
                message: format!(
                    "module `{module}`{from} is neither in the app nor in its dependencies"
                ),
                hint: "check the module's name (`-m app.server` runs app/server.py), or add the package that provides it to the dependencies".to_string(),
            }))
        }
        Target::Console(name) => {
            let Some(venv) = cx.venv else {
                return Err(Diagnostic::new(
                    span,
                    format!(
                        "`{name}`{from} is not a script in the build context, and the app has no dependencies that could provide it as a command"
                    ),
                    Some(format!(
                        "add the package that provides `{name}` to requirements.txt, or start with a script, e.g. {EXAMPLE}"
                    )),
                ));
            };
            let path = format!("{venv}/bin/{name}");
            Ok(Some(Check {
                test: format!("test -e {}", quote(&path)),
                span,
                message: format!(
                    "`{name}`{from} is not a command of the app's dependencies ({path} is missing after the install)"
                ),
                hint: format!(
                    "add the package that provides `{name}` to the dependencies, or start with a script, e.g. {EXAMPLE}"
                ),
            }))
        }
    }
}

/// A script: none when the context has it; a plan error when the context was seen to lack
/// it and nothing is built; else a check in the builder.
fn script_check(
    cx: &Context<'_>,
    span: Span,
    path: &str,
    from: &str,
    spec_named: bool,
) -> Result<Option<Check>, Diagnostic> {
    if path.starts_with('/') {
        // An absolute path is the app's own business (e.g. a file in the base image).
        return Ok(None);
    }
    let Some(relative) = crate::runtimes::inside_context(path) else {
        return Err(leaves_the_app(span, path));
    };
    let looked_for = cx.facts.lacks(&relative);
    let hint = "check the path (relative to the context's root), make the file in `build`, and keep it out of `exclude` and .dockerignore".to_string();
    if cx.facts.has(&relative) || (spec_named && !looked_for) {
        return Ok(None);
    }
    if looked_for && !cx.builds {
        let (message, hint) = start::not_sent(cx.facts, path, &relative, from, hint);
        return Err(Diagnostic::new(span, message, Some(hint)));
    }
    Ok(Some(Check {
        test: format!("test -e {}", quote(&relative)),
        span,
        message: format!("`{path}`{from} is not in the app after the build"),
        hint,
    }))
}

/// A relative script path that climbs out of the app's directory: the image has only the app.
fn leaves_the_app(span: Span, path: &str) -> Diagnostic {
    Diagnostic::new(
        span,
        format!("`{path}` points outside the build context; the image holds only the app"),
        Some("name a file inside the build context, relative to its root".to_string()),
    )
}
