//! How a node app starts: the spec's `entrypoint`, else the Procfile's `web:` line, else
//! package.json's `scripts.start`, else its `main`, else `server.js` or `index.js`, translated
//! into what distroless node's entrypoint (`/nodejs/bin/node`) runs:
//!
//! | Written | Command |
//! |---|---|
//! | `server.js`, `node [flags] build/index.js args` | `[flags] build/index.js args` |
//! | `npm start`, `npm run X`, `yarn start`, `pnpm start` | package.json's script, translated (one level) |
//! | `next start`, `npx next start` (a dependency's bin) | `node_modules/.bin/next start` (node follows the link) |
//!
//! What it runs is checked: a script the spec names must be in the context (or made by
//! `build`), a bin must come from a production dependency, and the builder checks the path
//! after the build when the plan cannot know.

use crate::formats::procfile::web_command;
use crate::plan::start::{self, Check, Origin, StartPlan};
use crate::plan::{Facts, shell::quote};
use crate::spec::{Diagnostic, Span, Spec};
use serde_json::Value;
use std::collections::BTreeMap;

/// A start command that would do, for hints.
const EXAMPLE: &str = "`entrypoint: server.js`";
/// The files node apps start from by convention (npm's own default is `node server.js`).
const CONVENTION: [&str; 2] = ["server.js", "index.js"];
/// Bins whose package is not named like them.
const BIN_PACKAGES: &[(&str, &str)] = &[
    ("nest", "@nestjs/cli"),
    ("tsc", "typescript"),
    ("nuxi", "nuxt"),
    ("remix-serve", "@remix-run/serve"),
    ("svelte-kit", "@sveltejs/kit"),
    ("pm2-runtime", "pm2"),
    ("strapi", "@strapi/strapi"),
    ("fastify", "fastify-cli"),
    ("react-router-serve", "@react-router/serve"),
];

/// The translated start command: the image's `cmd` and what the plan shows and checks.
#[derive(Debug)]
pub(super) struct NodeStart {
    /// What `/nodejs/bin/node` runs.
    pub cmd: Vec<String>,
    /// Where it came from and its check.
    pub plan: StartPlan,
}

/// What the recipe needs to know to translate a start command.
struct Context<'a> {
    spec: &'a Spec,
    facts: &'a Facts,
    package: Option<&'a Value>,
    /// The image's environment, where `$PORT` and the like are expanded.
    env: &'a BTreeMap<String, String>,
    /// Whether build steps run (and may make the script).
    builds: bool,
}

/// The context files a spec's start command names, looked for before planning.
pub(super) fn probes(spec: &Spec) -> Vec<String> {
    let Some(entrypoint) = &spec.entrypoint else {
        return CONVENTION.iter().map(|f| f.to_string()).collect();
    };
    let words = start::parse(&entrypoint.value).unwrap_or_default();
    let mut literal = words.iter().map(|w| w.literal());
    let script = match literal.next().flatten().as_deref() {
        Some("node" | "nodejs") => literal.flatten().find(|w| !w.starts_with('-')),
        Some(first) if !is_tool(first) => Some(first.to_string()),
        _ => None,
    };
    script
        .and_then(|s| crate::runtimes::inside_context(&s))
        .into_iter()
        .collect()
}

fn is_tool(word: &str) -> bool {
    matches!(word, "npm" | "yarn" | "pnpm" | "npx")
}

/// The start command of an app whose image sets `recipe_env` (and what the spec adds),
/// translated.
pub(super) fn start(
    spec: &Spec,
    facts: &Facts,
    package: Option<&Value>,
    recipe_env: &[(String, String)],
    builds: bool,
) -> Result<NodeStart, Diagnostic> {
    translated(&Context {
        spec,
        facts,
        package,
        env: &crate::plan::image_env(spec, recipe_env),
        // What a build (the spec's, or the app's `scripts.build`) makes, the builder checks;
        // without one, the context is all there is.
        builds,
    })
}

/// The start command, translated.
fn translated(cx: &Context<'_>) -> Result<NodeStart, Diagnostic> {
    let (command, origin, span) = written(cx)?;
    let fail = |e: start::StartError| e.diagnostic(&command, &origin, span, EXAMPLE);
    let words = start::words(&command, cx.env).map_err(fail)?;
    let (cmd, check) = match origin {
        // `main` and the conventional files name a script, not a command.
        Origin::PackageMain | Origin::Convention(_) => script(cx, &origin, span, words)?,
        _ => translate(cx, &origin, span, words, 0)?,
    };
    Ok(NodeStart {
        cmd,
        plan: StartPlan::new(origin, command, check),
    })
}

/// The start command as the app wrote it, where, and the spec line errors point at.
fn written(cx: &Context<'_>) -> Result<(String, Origin, Span), Diagnostic> {
    let at = cx.spec.runtime.span;
    if let Some(e) = &cx.spec.entrypoint {
        return Ok((e.value.clone(), Origin::Entrypoint, e.span));
    }
    if let Some(web) = cx.facts.read_text("Procfile", at)?.and_then(web_command) {
        return Ok((web.to_string(), Origin::Procfile, at));
    }
    let field = |path: &[&str]| {
        let value = path.iter().try_fold(cx.package?, |v, key| v.get(key));
        value.and_then(Value::as_str).map(str::to_string)
    };
    if let Some(command) = field(&["scripts", "start"]) {
        return Ok((command, Origin::PackageScript("start".to_string()), at));
    }
    if let Some(main) = field(&["main"]) {
        return Ok((main, Origin::PackageMain, at));
    }
    if let Some(file) = CONVENTION.into_iter().find(|f| cx.facts.has(f)) {
        return Ok((file.to_string(), Origin::Convention(file.to_string()), at));
    }
    Err(Diagnostic::new(
        at,
        "runtime `node` needs `entrypoint`: nothing else says how the app starts (no Procfile `web:` line, no `scripts.start` or `main` in package.json, no server.js or index.js)".to_string(),
        Some("add `entrypoint: server.js` (the script that starts the app), or `scripts.start` to package.json".to_string()),
    ))
}

type Translated = (Vec<String>, Option<Check>);

/// `words` as what node runs.
fn translate(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    words: Vec<String>,
    depth: u8,
) -> Result<Translated, Diagnostic> {
    let Some((first, rest)) = words.split_first() else {
        return Err(start::StartError::Empty.diagnostic("", origin, span, EXAMPLE));
    };
    match first.as_str() {
        "node" | "nodejs" => node(cx, origin, span, rest),
        "npm" | "yarn" | "pnpm" => match package_script(cx, first, rest) {
            Some((name, args)) => run_script(cx, origin, span, (first, name, args), depth),
            None => Err(unknown_tool_use(&words, origin, span)),
        },
        "npx" => match rest.split_first() {
            Some((bin, args)) => bin_command(cx, origin, span, bin, args),
            None => Err(unknown_tool_use(&words, origin, span)),
        },
        _ if looks_like_script(cx, first) => script(cx, origin, span, words),
        bin => bin_command(cx, origin, span, bin, rest),
    }
}

/// `node [flags] script args`: distroless' entrypoint is node, so the command is the rest.
fn node(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    rest: &[String],
) -> Result<Translated, Diagnostic> {
    // Flags that take the next word as their value.
    const VALUED: [&str; 5] = [
        "-r",
        "--require",
        "--import",
        "--loader",
        "--experimental-loader",
    ];
    let mut i = 0;
    while let Some(word) = rest.get(i).filter(|w| w.starts_with('-')) {
        if matches!(word.as_str(), "-e" | "--eval" | "-p" | "--print") {
            return Err(Diagnostic::new(
                span,
                format!(
                    "`node {word}`{} runs code from the command line, not a script",
                    from(origin)
                ),
                Some(format!(
                    "put the code in a file and start that, e.g. {EXAMPLE}"
                )),
            ));
        }
        i += if VALUED.contains(&word.as_str()) {
            2
        } else {
            1
        };
    }
    let Some(path) = rest.get(i) else {
        return Err(Diagnostic::new(
            span,
            format!("`node`{} names no script to run", from(origin)),
            Some(format!("name it, e.g. {EXAMPLE}")),
        ));
    };
    let check = script_check(cx, origin, span, path)?;
    Ok((rest.to_vec(), check))
}

/// A script and its args, run by node.
fn script(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    words: Vec<String>,
) -> Result<Translated, Diagnostic> {
    let check = match words.first() {
        Some(path) => script_check(cx, origin, span, path)?,
        None => None,
    };
    Ok((words, check))
}

/// The package script `npm start`, `npm run X`, `yarn X`, `pnpm run X` … runs, and the args
/// passed on to it.
fn package_script<'w>(
    cx: &Context<'_>,
    tool: &str,
    rest: &'w [String],
) -> Option<(&'w str, Vec<String>)> {
    let (name, args) = match rest {
        [start, args @ ..] if start == "start" => ("start", args),
        [run, name, args @ ..] if run == "run" || run == "run-script" => (name.as_str(), args),
        [name, args @ ..] if tool != "npm" && has_script(cx, name) => (name.as_str(), args),
        _ => return None,
    };
    // npm passes what follows `--` to the script; yarn and pnpm pass everything.
    let args = match args.split_first() {
        Some((dashes, after)) if dashes == "--" => after.to_vec(),
        _ => args.to_vec(),
    };
    Some((name, args))
}

fn has_script(cx: &Context<'_>, name: &str) -> bool {
    script_text(cx, name).is_some()
}

fn script_text(cx: &Context<'_>, name: &str) -> Option<String> {
    let scripts = cx.package?.get("scripts")?;
    scripts.get(name)?.as_str().map(str::to_string)
}

/// `npm run <name>` as the script it runs, translated; a script that runs another package
/// script is one level too deep to follow.
fn run_script(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    (tool, name, args): (&str, &str, Vec<String>),
    depth: u8,
) -> Result<Translated, Diagnostic> {
    let Some(text) = script_text(cx, name) else {
        return Err(Diagnostic::new(
            span,
            format!(
                "`{tool} {}`{} runs package.json `scripts.{name}`, which package.json does not have",
                if name == "start" {
                    "start".to_string()
                } else {
                    format!("run {name}")
                },
                from(origin)
            ),
            Some(format!(
                "add it to package.json, or write the command itself, e.g. {EXAMPLE}"
            )),
        ));
    };
    let inner = Origin::PackageScript(name.to_string());
    if depth > 0 {
        return Err(Diagnostic::new(
            span,
            format!(
                "{origin} runs another package script (`{tool} …`), which shallot does not follow"
            ),
            Some(format!(
                "write in {origin} the command that starts the app, e.g. `node server.js`"
            )),
        ));
    }
    let fail = |e: start::StartError| e.diagnostic(&text, &inner, span, EXAMPLE);
    let mut words = start::words(&text, cx.env).map_err(fail)?;
    words.extend(args);
    translate(cx, &inner, span, words, depth + 1)
}

/// `<bin> args`: a dependency's command, run by node through its `node_modules/.bin` link.
fn bin_command(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    bin: &str,
    args: &[String],
) -> Result<Translated, Diagnostic> {
    let path = format!("node_modules/.bin/{bin}");
    let wanted = format!(
        "add the package that provides `{bin}` to `dependencies` in package.json, or start with a script, e.g. {EXAMPLE}"
    );
    match provider(cx.package, bin) {
        Provider::Production => {}
        Provider::Development(package) => {
            return Err(Diagnostic::new(
                span,
                format!(
                    "`{bin}`{} comes from `{package}`, a devDependency, which the image does not keep",
                    from(origin)
                ),
                Some(format!(
                    "move `{package}` to `dependencies` in package.json"
                )),
            ));
        }
        Provider::None => {
            return Err(Diagnostic::new(
                span,
                format!(
                    "`{bin}`{} is not a script in the build context or a command of the app's dependencies",
                    from(origin)
                ),
                Some(wanted),
            ));
        }
    }
    let check = Check {
        test: format!("test -e {}", quote(&path)),
        span,
        message: format!(
            "`{bin}`{} is not a command of the app's production dependencies ({path} is missing after the install)",
            from(origin)
        ),
        hint: wanted,
    };
    let mut cmd = vec![path];
    cmd.extend(args.iter().cloned());
    Ok((cmd, Some(check)))
}

/// Which of the app's dependencies provides a bin.
enum Provider {
    Production,
    Development(String),
    None,
}

/// The dependency that provides `bin`: one named like it (or known to provide it), else a
/// local package (whose bins the plan cannot see: the builder checks).
fn provider(package: Option<&Value>, bin: &str) -> Provider {
    let deps = |section: &str| {
        package
            .and_then(|p| p.get(section))
            .and_then(Value::as_object)
    };
    let provides = |name: &str| {
        name == bin
            || name.rsplit('/').next() == Some(bin)
            || BIN_PACKAGES.iter().any(|(b, p)| *b == bin && *p == name)
    };
    let local = |spec: &Value| {
        spec.as_str().is_some_and(|s| {
            ["file:", "link:", "portal:", "./"]
                .iter()
                .any(|p| s.starts_with(p))
        })
    };
    for section in ["dependencies", "optionalDependencies"] {
        if let Some(deps) = deps(section)
            && deps
                .iter()
                .any(|(name, spec)| provides(name) || local(spec))
        {
            return Provider::Production;
        }
    }
    let dev = deps("devDependencies").and_then(|d| d.keys().find(|n| provides(n)));
    match dev {
        Some(name) => Provider::Development(name.clone()),
        None => Provider::None,
    }
}

/// Whether a word is a script rather than a command: a path, a file name with a JavaScript
/// extension, or a file in the context.
fn looks_like_script(cx: &Context<'_>, word: &str) -> bool {
    word.contains('/')
        || [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"]
            .iter()
            .any(|e| word.ends_with(e))
        || cx.facts.has(word)
}

/// The check that a script exists: none when the context has it; a plan error when the
/// context was seen to lack it and nothing is built; else a check in the builder.
fn script_check(
    cx: &Context<'_>,
    origin: &Origin,
    span: Span,
    path: &str,
) -> Result<Option<Check>, Diagnostic> {
    if path.starts_with('/') {
        // An absolute path is the app's own business (e.g. a file in the base image).
        return Ok(None);
    }
    let Some(relative) = crate::runtimes::context_path(path) else {
        return Err(leaves_the_app(span, path));
    };
    let hint = "check the path (relative to the context's root), make the file in `build`, and keep it out of `exclude` and .dockerignore".to_string();
    let looked_for = cx.facts.lacks(&relative);
    if cx.facts.has(&relative) {
        return Ok(None);
    }
    if looked_for && !cx.builds {
        let (message, hint) = start::not_sent(cx.facts, path, &relative, &from(origin), hint);
        return Err(Diagnostic::new(span, message, Some(hint)));
    }
    // The loader looks for every script the spec names; one it did not look for leaves the
    // plan nothing to go on, so it trusts the spec.
    if matches!(origin, Origin::Entrypoint | Origin::Convention(_)) && !looked_for {
        return Ok(None);
    }
    // node resolves a script without an extension as `X.js` or `X/index.js` too.
    let q = quote(&relative);
    let test = if relative
        .rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
    {
        format!("test -e {q}")
    } else {
        format!("test -e {q} || test -e {q}.js || test -e {q}/index.js")
    };
    let message = format!("`{path}`{} is not in the app after the build", from(origin));
    Ok(Some(Check {
        test,
        span,
        message,
        hint,
    }))
}

/// `npm install`, `yarn build`, … : a package manager that does not start the app.
fn unknown_tool_use(words: &[String], origin: &Origin, span: Span) -> Diagnostic {
    Diagnostic::new(
        span,
        format!(
            "`{}`{} does not start the app: the runtime image has no npm, yarn or pnpm",
            words.join(" "),
            from(origin)
        ),
        Some(format!(
            "start with `npm start` (package.json `scripts.start`) or the script itself, e.g. {EXAMPLE}"
        )),
    )
}

/// ` (from Procfile `web:`)` for start commands that are not the spec's own.
fn from(origin: &Origin) -> String {
    match origin {
        Origin::Entrypoint => String::new(),
        other => format!(" (from {other})"),
    }
}

/// A relative script path that climbs out of the app's directory: the image has only the app.
fn leaves_the_app(span: Span, path: &str) -> Diagnostic {
    Diagnostic::new(
        span,
        format!("`{path}` points outside the build context; the image holds only the app"),
        Some("name a file inside the build context, relative to its root".to_string()),
    )
}
