//! Consecutive builder runs as one exec, as an expert writes `RUN npm run build && npm prune
//! --omit=dev`: every op costs BuildKit a tenth of a second or more even when it does little,
//! so the runs after the source copy are chained into one.
//!
//! The chain's command joins the runs with ` && ` and keeps each run's shell to itself, so
//! that a run that calls `set -eu`, `cd` or `exit 0` changes nothing for the others, and a run
//! that fails stops the chain:
//!
//! - a labelled run (a script nobody reads on one line) is written to a file in a scratch
//!   state mounted at [`SCRIPTS`] and run as `/bin/sh /.shallot/run/<name>`, so that a
//!   failing build's message reads `npm run build && /bin/sh /.shallot/run/copy-the-shared-…`
//!   rather than forty lines of script;
//! - a plain command (no `;`, `||`, `&`, comment or newline, no `cd`, `export`, `exit` or
//!   other builtin that changes the shell) is joined as it is;
//! - any other one-line command runs in a subshell, `( cmd )`, and a command of several lines
//!   (or one with a comment) is written to a file like a labelled one.

use crate::plan::{Cache, Run};

/// Where a chain's scripts are mounted, read-only.
pub const SCRIPTS: &str = "/.shallot/run";

/// Builtins whose effect outlives the command (working directory, variables, options, traps,
/// the shell itself): a command that starts with one is not joined bare.
const STATEFUL: [&str; 27] = [
    ".", "alias", "builtin", "cd", "command", "declare", "eval", "exec", "exit", "export",
    "getopts", "hash", "local", "popd", "pushd", "read", "readonly", "return", "set", "shift",
    "source", "trap", "typeset", "ulimit", "umask", "unalias", "unset",
];

/// Runs chained into one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// The shell command: the runs joined with ` && `.
    pub command: String,
    /// What the progress line shows after `RUN `: each run's label or command, joined with
    /// ` && `, as a Dockerfile line would read.
    pub line: String,
    /// The files the command runs by path under [`SCRIPTS`]: `(name, contents)`.
    pub scripts: Vec<(String, String)>,
}

impl Chain {
    /// The chain of `runs`, in order.
    pub fn of(runs: &[&Run]) -> Chain {
        let mut scripts = Vec::new();
        let alone = runs.len() == 1;
        // Each run's part of the command, and of the progress line: a script shows its label
        // (or its command), a subshell shows as it runs.
        let (parts, line): (Vec<String>, Vec<String>) = runs
            .iter()
            .map(|run| match &run.label {
                Some(label) => (script(&mut scripts, label, &run.command), label.clone()),
                None if alone || joinable(&run.command) => {
                    (run.command.clone(), run.command.clone())
                }
                None if one_line(&run.command) => {
                    let subshell = format!("( {} )", run.command);
                    (subshell.clone(), subshell)
                }
                None => (
                    script(&mut scripts, &run.command, &run.command),
                    run.command.clone(),
                ),
            })
            .unzip();
        Chain {
            command: parts.join(" && "),
            line: line.join(" && "),
            scripts,
        }
    }
}

/// Whether `run` can join the chain of `runs`: none of them mounts a different cache (or the
/// same cache shared differently) where `run` mounts one.
pub fn fits(runs: &[&Run], run: &Run) -> bool {
    let theirs = || runs.iter().flat_map(|r| &r.caches);
    run.caches
        .iter()
        .all(|cache: &Cache| theirs().all(|c| c.target != cache.target || c == cache))
}

/// Adds `command` as a script named after `title`; returns the command that runs it.
fn script(scripts: &mut Vec<(String, String)>, title: &str, command: &str) -> String {
    let slug = slug(title);
    let mut name = slug.clone();
    let mut n = 1;
    while scripts.iter().any(|(taken, _)| *taken == name) {
        n += 1;
        name = format!("{slug}-{n}");
    }
    let mut data = command.to_string();
    if !data.ends_with('\n') {
        data.push('\n');
    }
    scripts.push((name.clone(), data));
    format!("/bin/sh {SCRIPTS}/{name}")
}

/// A file name from the first words of `title`: `copy-the-shared-libraries`.
fn slug(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(4)
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "run".to_string()
    } else {
        words.join("-")
    }
}

/// Whether `command` means the same joined with ` && ` between others: one line of simple
/// commands joined by `&&` and pipes, none of which changes the shell's own state.
fn joinable(command: &str) -> bool {
    if !one_line(command) || command.contains(';') || command.contains("||") {
        return false;
    }
    // `&` on its own runs in the background (`2>&1` is harmless but rare enough to wrap).
    if command.replace("&&", "").contains('&') {
        return false;
    }
    command
        .split("&&")
        .flat_map(|part| part.split('|'))
        .all(|part| match part.split_whitespace().next() {
            Some(word) => !word.contains('=') && !STATEFUL.contains(&word),
            None => false,
        })
}

/// One line that a subshell's `( … )` can hold: no newline, no comment that would swallow the
/// closing parenthesis, no trailing backslash.
fn one_line(command: &str) -> bool {
    !command.contains(['\n', '\r', '#']) && !command.trim_end().ends_with('\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Span;

    fn run(command: &str) -> Run {
        Run::at(command, Vec::new(), Span::default())
    }

    #[test]
    fn plain_commands_join_as_they_are_and_labelled_ones_run_from_files() {
        let build = run("npm run build");
        let prune = run("npm prune --omit=dev");
        let lean = run("set -eu\nrm -rf x\nexit 0").labelled("node -e <lean> a,b");
        let libs = run("set -eu\nexit 0").labelled("copy the shared libraries");
        let chain = Chain::of(&[&build, &prune, &lean, &libs]);
        assert_eq!(
            chain.command,
            "npm run build && npm prune --omit=dev && /bin/sh /.shallot/run/node-e-lean-a \
             && /bin/sh /.shallot/run/copy-the-shared-libraries"
        );
        assert_eq!(
            chain.line,
            "npm run build && npm prune --omit=dev && node -e <lean> a,b \
             && copy the shared libraries"
        );
        assert_eq!(
            chain.scripts,
            vec![
                (
                    "node-e-lean-a".to_string(),
                    "set -eu\nrm -rf x\nexit 0\n".to_string()
                ),
                (
                    "copy-the-shared-libraries".to_string(),
                    "set -eu\nexit 0\n".to_string()
                ),
            ]
        );
    }

    #[test]
    fn commands_that_change_the_shell_or_mask_failures_keep_to_themselves() {
        let cases = [
            ("cd web && npm run build", "( cd web && npm run build )"),
            ("npm test || true", "( npm test || true )"),
            ("make; make install", "( make; make install )"),
            ("exit 0", "( exit 0 )"),
            ("FOO=1", "( FOO=1 )"),
            ("npm run lint 2>&1", "( npm run lint 2>&1 )"),
            ("go build ./... | tee log", "go build ./... | tee log"),
            (
                "python3 -m compileall -q -x '(^|/)\\.venv/' .",
                "python3 -m compileall -q -x '(^|/)\\.venv/' .",
            ),
        ];
        let last = run("true");
        for (command, part) in cases {
            let first = run(command);
            let chain = Chain::of(&[&first, &last]);
            assert_eq!(chain.command, format!("{part} && true"), "{command}");
            assert_eq!(chain.line, chain.command, "{command}");
            assert!(chain.scripts.is_empty());
        }
        let first = run("make # all of it");
        let chain = Chain::of(&[&first, &first]);
        assert_eq!(
            chain.command,
            "/bin/sh /.shallot/run/make-all-of-it && /bin/sh /.shallot/run/make-all-of-it-2"
        );
    }

    #[test]
    fn a_run_alone_is_its_command() {
        let only = run("cd web; make");
        assert_eq!(Chain::of(&[&only]).command, "cd web; make");
    }

    #[test]
    fn a_cache_mounted_differently_at_the_same_place_breaks_the_chain() {
        let cache = |id: &str, locked| Cache {
            target: "/root/.cache".to_string(),
            id: id.to_string(),
            locked,
        };
        let mut first = run("a");
        first.caches = vec![cache("one", false)];
        let mut same = run("b");
        same.caches = vec![cache("one", false)];
        let mut other = run("c");
        other.caches = vec![cache("two", false)];
        let mut locked = run("d");
        locked.caches = vec![cache("one", true)];
        assert!(fits(&[&first], &same));
        assert!(fits(&[&first], &run("e")));
        assert!(!fits(&[&first], &other));
        assert!(!fits(&[&first], &locked));
    }
}
