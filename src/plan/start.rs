//! Start commands as the platforms write them (`web: gunicorn app:app --bind 0.0.0.0:$PORT` in a
//! Procfile, `"start": "node server.js"` in package.json, `entrypoint: npm start` in the spec),
//! turned into the words of an exec form at build time.
//!
//! The runtime images have no shell, so what a shell does for a simple command is done here:
//! words are split at blanks, quotes and backslashes are removed, and `$NAME`, `${NAME}` and
//! `${NAME:-default}` become values from the image's own environment (`PORT` from `port:`, the
//! spec's `env`, the recipe's), which the plan knows; a variable the image does not set is an
//! error naming it. Anything more (`&&`, pipes, redirections, `$(…)`, globs, `cd`, `export`,
//! `NAME=value cmd`) needs a shell when the container starts and is refused, with what to write
//! instead.
//!
//! The recipes translate the words (`npm start` → `scripts.start`, a console script → the
//! venv's) and say what the builder checks before the runtime stage takes the files
//! ([`Check`]), so that a start command that would crash when the container starts fails the
//! build instead, at the spec's line.

use super::Run;
use crate::spec::{Diagnostic, Diagnostics, Span};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

/// Why a script a start command runs (written `path`, `relative` in the context) is not in
/// what the build is sent, and what to do: it is not in the context, or `.dockerignore` or the
/// spec's `exclude` leaves it out (`hint` is for the former). `from` follows the path in the
/// message, e.g. `` (from Procfile `web:`)``.
pub fn not_sent(
    facts: &super::Facts,
    path: &str,
    relative: &str,
    from: &str,
    hint: String,
) -> (String, String) {
    if facts.is_excluded(relative) {
        (
            format!(
                "`{path}`{from} is in the build context, but .dockerignore or the spec's `exclude` leaves it out of the build"
            ),
            format!(
                "re-include it (a `!{relative}` line after the pattern that matches it in .dockerignore), or start another file"
            ),
        )
    } else {
        (format!("`{path}`{from} is not in the build context"), hint)
    }
}

/// Where a start command came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The spec's `entrypoint` (with `args`).
    Entrypoint,
    /// The `web:` line of the context's `Procfile`.
    Procfile,
    /// A script of package.json, e.g. `start` (`npm start`).
    PackageScript(String),
    /// package.json's `main`.
    PackageMain,
    /// A file the runtime starts by convention when nothing says otherwise (node's
    /// `server.js`).
    Convention(String),
    /// A server the app's build writes, which is what the image runs (Next.js' standalone
    /// `server.js`).
    BuildOutput(String),
}

/// `` `entrypoint` ``, `` Procfile `web:` ``, `` package.json `scripts.start` ``, …: the words
/// errors and the plan use.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Entrypoint => write!(f, "`entrypoint`"),
            Origin::Procfile => write!(f, "Procfile `web:`"),
            Origin::PackageScript(name) => write!(f, "package.json `scripts.{name}`"),
            Origin::PackageMain => write!(f, "package.json `main`"),
            Origin::Convention(file) => write!(f, "`{file}` in the build context"),
            Origin::BuildOutput(file) => write!(f, "`{file}`, which the build writes"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The start command the plan runs, as the app wrote it, and where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Start {
    /// Where it came from.
    pub from: Origin,
    /// The command as written there (the translated form is the image config's).
    pub command: String,
}

/// A recipe's start command: where it came from and what the builder checks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartPlan {
    /// Where it came from, as written.
    pub start: Start,
    /// What the builder checks after the build steps; `None` when the plan already knows.
    pub check: Option<Check>,
}

impl StartPlan {
    /// The start command `command`, written at `from`, and what the builder checks for it.
    pub fn new(from: Origin, command: String, check: Option<Check>) -> StartPlan {
        StartPlan {
            start: Start { from, command },
            check,
        }
    }
}

/// A check, run in the builder's workdir after every build step and before the runtime stage
/// takes the files, that the start command will find what it runs: the one failure it catches
/// would otherwise be a container that crashes when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// A shell condition that holds when the start command can run, e.g. `test -e server.js`.
    pub test: String,
    /// The spec line the start command comes from (the build's error points there).
    pub span: Span,
    /// What is wrong when the test fails, in the words of a spec error.
    pub message: String,
    /// What would be right.
    pub hint: String,
}

impl Check {
    /// The builder run: the test, or the error as `file:line:col: message (hint: …)` on stderr
    /// and a failed step at the spec's line.
    pub fn run(&self, spec_file: &str) -> Run {
        let error = Diagnostics(vec![Diagnostic::new(
            self.span,
            self.message.clone(),
            Some(self.hint.clone()),
        )]);
        let command = format!(
            "{} || {{ echo {} >&2; exit 1; }}",
            self.test,
            super::shell::quote(&error.short(spec_file))
        );
        Run::at(command, Vec::new(), self.span)
    }
}

/// Why a start command cannot be run without a shell, or cannot be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// A construct only a shell runs, and what to write instead.
    Shell {
        /// The construct as the user wrote it, e.g. `` `&&` ``.
        construct: String,
        /// What to write instead (`{example}` stands for the recipe's example start command).
        instead: &'static str,
    },
    /// A variable the image's environment does not set.
    Unset(String),
    /// A quote that is never closed.
    Unclosed(char),
    /// No command at all.
    Empty,
    /// A control character (an escape sequence's ESC, a bell) other than a tab or line end:
    /// no command or argument has one, and a terminal would interpret it.
    Control(char),
    /// Longer than [`MAX_COMMAND_BYTES`]: its length in bytes.
    TooLong(usize),
}

/// The longest start command shallot takes. Real ones are a line; a megabyte-long one would
/// become an image config of that size, and its words cost memory many times over.
pub const MAX_COMMAND_BYTES: usize = 16 << 10;

/// What to write instead of a list of commands.
const ONE_COMMAND: &str =
    "run the steps before the app in `build`, and start the app with one command, e.g. {example}";

impl StartError {
    fn shell(construct: impl Into<String>, instead: &'static str) -> StartError {
        StartError::Shell {
            construct: construct.into(),
            instead,
        }
    }

    /// The error at `at`, for `command` from `origin`; `example` is a start command that would
    /// do, as the recipe writes it (e.g. `` `entrypoint: server.js` ``).
    pub fn diagnostic(
        &self,
        command: &str,
        origin: &Origin,
        at: Span,
        example: &str,
    ) -> Diagnostic {
        let from = match origin {
            Origin::Entrypoint => String::new(),
            other => format!(" (from {other})"),
        };
        let (message, hint) = match self {
            StartError::Shell { construct, instead } => (
                format!(
                    "`{command}`{from} needs a shell for {construct}, and the runtime image has none"
                ),
                instead.replace("{example}", example),
            ),
            StartError::Unset(name) => (
                format!("`${name}` in `{command}`{from} is not set in the image's environment"),
                if name == "PORT" {
                    "set `port:` (e.g. `port: 8080`), which sets PORT".to_string()
                } else {
                    format!("set {name} in `env`, or write its value")
                },
            ),
            StartError::Unclosed(quote) => (
                format!("`{command}`{from} has a {quote} that is never closed"),
                format!("close the quote, or write {example}"),
            ),
            StartError::Empty => (
                format!("the start command{from} is empty"),
                format!("write one, e.g. {example}"),
            ),
            StartError::TooLong(len) => (
                format!(
                    "the start command{from} is {len} bytes long; shallot takes at most \
                     {MAX_COMMAND_BYTES}"
                ),
                format!("start the app with one short command, e.g. {example}"),
            ),
            StartError::Control(c) => (
                format!(
                    "`{command}`{from} holds the control character U+{:04X}, which no command has",
                    u32::from(*c)
                ),
                format!("remove it (an editor or a paste may have left it), or write {example}"),
            ),
        };
        Diagnostic::new(at, message, Some(hint))
    }
}

/// A part of a word: text, or a variable to expand.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var {
        name: String,
        /// `${NAME:-default}` (`colon`: also when empty) or `${NAME-default}`.
        default: Option<(bool, String)>,
    },
}

/// One word of a start command, before its variables are expanded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word(Vec<Piece>);

impl Word {
    /// The word, when it has no variables (what a plan can look for before it knows the
    /// environment).
    pub fn literal(&self) -> Option<String> {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                Piece::Var { .. } => None,
            })
            .collect()
    }

    fn push(&mut self, c: char) {
        match self.0.last_mut() {
            Some(Piece::Text(t)) => t.push(c),
            _ => self.0.push(Piece::Text(c.to_string())),
        }
    }

    fn expand(&self, env: &BTreeMap<String, String>) -> Result<String, StartError> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var { name, default } => {
                    let value = env.get(name).map(String::as_str);
                    match (value, default) {
                        (Some(""), Some((true, d))) => out.push_str(d),
                        (Some(v), _) => out.push_str(v),
                        (None, Some((_, d))) => out.push_str(d),
                        (None, None) => return Err(StartError::Unset(name.clone())),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `text` as the words a POSIX shell makes of a simple command, before expansion; anything
/// that needs a shell is refused.
pub fn parse(text: &str) -> Result<Vec<Word>, StartError> {
    if text.len() > MAX_COMMAND_BYTES {
        return Err(StartError::TooLong(text.len()));
    }
    let control = |c: &char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if let Some(c) = text.chars().find(control) {
        return Err(StartError::Control(c));
    }
    let mut words: Vec<Word> = Vec::new();
    let mut word: Option<Word> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '#' if word.is_none() => break,
            '\'' => {
                let w = word.get_or_insert_with(Word::default);
                w.0.push(Piece::Text(String::new()));
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(StartError::Unclosed('\'')),
                    }
                }
            }
            '"' => double_quoted(&mut chars, word.get_or_insert_with(Word::default))?,
            '\\' => {
                let w = word.get_or_insert_with(Word::default);
                match chars.next() {
                    Some(c) => w.push(c),
                    None => w.push('\\'),
                }
            }
            '$' => {
                let piece = variable(&mut chars, false)?;
                word.get_or_insert_with(Word::default).0.push(piece);
            }
            '~' if word.is_none() => {
                return Err(StartError::shell("`~`", "write the path out"));
            }
            c => match operator(c, chars.peek().copied()) {
                Some(e) => return Err(e),
                None => word.get_or_insert_with(Word::default).push(c),
            },
        }
    }
    words.extend(word);
    let words = merge_text(words);
    refuse_shell_commands(&words)?;
    Ok(words)
}

/// The words of `text`, expanded in `env`.
pub fn words(text: &str, env: &BTreeMap<String, String>) -> Result<Vec<String>, StartError> {
    let words = parse(text)?;
    let words: Vec<String> = words
        .iter()
        .map(|w| w.expand(env))
        .collect::<Result<_, _>>()?;
    // `exec cmd` is how some Procfiles say "replace the shell": there is no shell to replace.
    let words = match words.split_first() {
        Some((first, rest)) if first == "exec" => rest.to_vec(),
        _ => words,
    };
    if words.is_empty() {
        return Err(StartError::Empty);
    }
    Ok(words)
}

/// One of the spec's `args`, with `$NAME`, `${NAME}` and `${NAME:-default}` expanded in `env`
/// (no words are split and no quotes removed: an arg is one word as written); `$$` is a `$`.
pub fn expand_arg(arg: &str, env: &BTreeMap<String, String>) -> Result<String, StartError> {
    let mut word = Word::default();
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            word.push(c);
        } else if chars.next_if_eq(&'$').is_some() {
            word.push('$');
        } else {
            word.0.push(variable(&mut chars, true)?);
        }
    }
    word.expand(env)
}

/// The rest of a `"…"` word: `\` escapes only `$`, `` ` ``, `"` and `\`; `$` expands.
fn double_quoted(chars: &mut Peekable<Chars<'_>>, w: &mut Word) -> Result<(), StartError> {
    w.0.push(Piece::Text(String::new()));
    loop {
        match chars.next() {
            Some('"') => return Ok(()),
            Some('\\') => match chars.next() {
                Some(c @ ('$' | '`' | '"' | '\\')) => w.push(c),
                Some(c) => {
                    w.push('\\');
                    w.push(c);
                }
                None => return Err(StartError::Unclosed('"')),
            },
            Some('$') => {
                let piece = variable(chars, false)?;
                w.0.push(piece);
            }
            Some('`') => return Err(command_substitution("`` `…` ``")),
            Some(c) => w.push(c),
            None => return Err(StartError::Unclosed('"')),
        }
    }
}

fn command_substitution(construct: &str) -> StartError {
    StartError::shell(
        construct,
        "set the value in `env` and write `$NAME`, or write the value out",
    )
}

/// What follows a `$`: a variable, or a `$` that stays (before anything that cannot start a
/// name). Special parameters (`$1`, `$@`, `$$`, …) and `$(…)` need a shell; in `lenient` mode
/// (an arg, where nothing else is a shell's) they stay as written.
fn variable(chars: &mut Peekable<Chars<'_>>, lenient: bool) -> Result<Piece, StartError> {
    let is_name_start = |c: &char| c.is_ascii_alphabetic() || *c == '_';
    match chars.peek().copied() {
        Some('{') => {
            chars.next();
            let mut inner = String::new();
            loop {
                match chars.next() {
                    Some('}') => break,
                    Some(c) => inner.push(c),
                    None => return Err(StartError::Unclosed('{')),
                }
            }
            braced(&inner)
        }
        Some(c) if is_name_start(&c) => {
            let mut name = String::new();
            while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
                name.push(c);
            }
            Ok(Piece::Var {
                name,
                default: None,
            })
        }
        Some('(') if !lenient => Err(command_substitution("`$(…)`")),
        Some(c) if !lenient && (c.is_ascii_digit() || "@*#?$!-".contains(c)) => {
            Err(StartError::shell(
                format!("`${c}`"),
                "write the value out: nothing passes arguments to the start command",
            ))
        }
        _ => Ok(Piece::Text("$".to_string())),
    }
}

/// `${NAME}`, `${NAME:-default}` or `${NAME-default}`; other forms need a shell.
fn braced(inner: &str) -> Result<Piece, StartError> {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, rest) = inner.split_at(name_end);
    let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let default = if rest.is_empty() {
        None
    } else if let Some(d) = rest.strip_prefix(":-") {
        Some((true, d))
    } else {
        rest.strip_prefix('-').map(|d| (false, d))
    };
    let plain_default = default.is_none_or(|(_, d)| !d.contains(['$', '`', '\\', '"', '\'']));
    if !valid_name || (!rest.is_empty() && default.is_none()) || !plain_default {
        return Err(StartError::shell(
            format!("`${{{inner}}}`"),
            "only `${NAME}` and `${NAME:-default}` (with a plain default) are expanded",
        ));
    }
    Ok(Piece::Var {
        name: name.to_string(),
        default: default.map(|(colon, d)| (colon, d.to_string())),
    })
}

/// The error for an unquoted operator character, if `c` is one.
fn operator(c: char, next: Option<char>) -> Option<StartError> {
    let (construct, instead) = match (c, next) {
        ('&', Some('&')) => ("`&&`", ONE_COMMAND),
        ('|', Some('|')) => ("`||`", ONE_COMMAND),
        (';', _) => ("`;`", ONE_COMMAND),
        ('\n' | '\r', _) => ("a second line", ONE_COMMAND),
        ('&', _) => ("`&`", ONE_COMMAND),
        ('|', _) => (
            "a pipe (`|`)",
            "the app's output reaches `docker logs` as it is: start the app with one command, e.g. {example}",
        ),
        ('<' | '>', _) => (
            if c == '<' {
                "a redirection (`<`)"
            } else {
                "a redirection (`>`)"
            },
            "the app's output reaches `docker logs` as it is: start the app with one command, e.g. {example}",
        ),
        ('(' | ')', _) => (
            "`(`…`)`",
            "quote the word that holds it, e.g. \"app:create_app()\"",
        ),
        ('`', _) => return Some(command_substitution("`` `…` ``")),
        ('*' | '?' | '[', _) => (
            "a glob",
            "name the file, or quote the word if it is not a pattern",
        ),
        _ => return None,
    };
    Some(StartError::shell(construct, instead))
}

/// Adjacent text pieces as one, so a word that was quoted in parts reads as one literal.
fn merge_text(words: Vec<Word>) -> Vec<Word> {
    words
        .into_iter()
        .map(|w| {
            let mut merged = Word::default();
            for piece in w.0 {
                match (merged.0.last_mut(), piece) {
                    (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
                    (_, piece) => merged.0.push(piece),
                }
            }
            merged
        })
        .collect()
}

/// Commands that are the shell's own (`cd`, `export`, `sh -c`, …) and assignments before the
/// command (`NAME=value cmd`).
fn refuse_shell_commands(words: &[Word]) -> Result<(), StartError> {
    let first = words
        .iter()
        .map(Word::literal)
        .find(|w| w.as_deref() != Some("exec"));
    let Some(Some(first)) = first else {
        return Ok(());
    };
    if let Some((name, _)) = first.split_once('=')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(StartError::Shell {
            construct: format!("`{name}=…` before the command"),
            instead: "set the variable in the spec's `env`, which the image sets for the app",
        });
    }
    let instead = match first.as_str() {
        "cd" => {
            "write the path from the app's directory (e.g. `node dist/server.js`), or set `workdir`"
        }
        "export" | "set" | "unset" => {
            "set the variable in the spec's `env`, which the image sets for the app"
        }
        "sh" | "bash" | "eval" | "source" | "." | "ulimit" | "trap" => ONE_COMMAND,
        _ => return Ok(()),
    };
    Err(StartError::shell(format!("`{first}`"), instead))
}

#[cfg(test)]
mod tests;
