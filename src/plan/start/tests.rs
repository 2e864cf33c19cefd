use super::*;
use crate::spec::Span;

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("PORT".to_string(), "8080".to_string()),
        ("HOST".to_string(), "0.0.0.0".to_string()),
        ("EMPTY".to_string(), String::new()),
    ])
}

fn ok(text: &str) -> Vec<String> {
    words(text, &env()).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

/// The construct a refused command names.
fn refused(text: &str) -> String {
    match words(text, &env()) {
        Err(StartError::Shell { construct, .. }) => construct,
        other => panic!("{text}: expected a shell construct, got {other:?}"),
    }
}

#[test]
fn words_split_at_blanks_as_a_shell_splits_them() {
    assert_eq!(ok("gunicorn app:app"), ["gunicorn", "app:app"]);
    assert_eq!(ok("  node\tserver.js  "), ["node", "server.js"]);
    assert_eq!(
        ok("node 'my app.js' \"two words\""),
        ["node", "my app.js", "two words"]
    );
    assert_eq!(ok(r"node my\ app.js"), ["node", "my app.js"]);
    assert_eq!(ok(r#"a"b"'c'd"#), ["abcd"]);
    assert_eq!(ok("echo '' x"), ["echo", "", "x"]);
    assert_eq!(ok(r#"x "a\"b\\c\n""#), ["x", "a\"b\\c\\n"]);
    assert_eq!(ok("gunicorn app:app # a comment"), ["gunicorn", "app:app"]);
    assert_eq!(ok("node a#b"), ["node", "a#b"]);
    // Parentheses are fine once quoted (gunicorn's factory form).
    assert_eq!(
        ok("gunicorn 'app:create_app()'"),
        ["gunicorn", "app:create_app()"]
    );
}

#[test]
fn variables_expand_from_the_images_environment() {
    assert_eq!(
        ok("uvicorn main:app --host $HOST --port $PORT"),
        ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]
    );
    assert_eq!(
        ok("gunicorn -b ${HOST}:${PORT}"),
        ["gunicorn", "-b", "0.0.0.0:8080"]
    );
    assert_eq!(ok("x \"--port=$PORT\""), ["x", "--port=8080"]);
    // Single quotes keep a `$` as it is, as in a shell.
    assert_eq!(ok("x '$PORT'"), ["x", "$PORT"]);
    assert_eq!(ok(r"x \$PORT"), ["x", "$PORT"]);
    // A `$` that starts no name stays.
    assert_eq!(ok("x a$ $/"), ["x", "a$", "$/"]);
    // Defaults are supported: `:-` also for an empty value, `-` only for an unset one.
    assert_eq!(ok("x ${PORT:-3000} ${NOPE:-3000}"), ["x", "8080", "3000"]);
    assert_eq!(
        ok("x ${EMPTY:-d} '<'${EMPTY-d}'>' ${NOPE-d}"),
        ["x", "d", "<>", "d"]
    );
}

#[test]
fn glob_brackets_are_refused_but_expanded_empty_values_are_not() {
    // `[` is a glob character; quoted it is text.
    assert_eq!(refused("x [a]"), "a glob");
    assert_eq!(ok("x '[a]'"), ["x", "[a]"]);
}

#[test]
fn a_variable_the_image_does_not_set_is_an_error_naming_it() {
    assert_eq!(
        words("node server.js --db $DATABASE_URL", &env()),
        Err(StartError::Unset("DATABASE_URL".to_string()))
    );
    assert_eq!(
        words("x ${PORT}", &BTreeMap::new()),
        Err(StartError::Unset("PORT".to_string()))
    );
    let d = StartError::Unset("PORT".to_string()).diagnostic(
        "gunicorn -b :$PORT",
        &Origin::Procfile,
        Span::point(1, 10),
        "`entrypoint: app.py`",
    );
    assert_eq!(
        d.message,
        "`$PORT` in `gunicorn -b :$PORT` (from Procfile `web:`) is not set in the image's environment"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("set `port:` (e.g. `port: 8080`), which sets PORT")
    );
}

#[test]
fn every_shell_construct_is_refused_by_name() {
    assert_eq!(refused("npm run migrate && node server.js"), "`&&`");
    assert_eq!(refused("a || b"), "`||`");
    assert_eq!(refused("a; b"), "`;`");
    assert_eq!(refused("a & b"), "`&`");
    assert_eq!(refused("a | tee log"), "a pipe (`|`)");
    assert_eq!(refused("a > log"), "a redirection (`>`)");
    assert_eq!(refused("a 2>&1"), "a redirection (`>`)");
    assert_eq!(refused("a < in"), "a redirection (`<`)");
    assert_eq!(refused("a `date`"), "`` `…` ``");
    assert_eq!(refused("a \"`date`\""), "`` `…` ``");
    assert_eq!(refused("a $(date)"), "`$(…)`");
    assert_eq!(refused("node *.js"), "a glob");
    assert_eq!(refused("node ?.js"), "a glob");
    assert_eq!(refused("cd web && node server.js"), "`&&`");
    assert_eq!(refused("cd web"), "`cd`");
    assert_eq!(refused("export A=b"), "`export`");
    assert_eq!(
        refused("NODE_ENV=production node server.js"),
        "`NODE_ENV=…` before the command"
    );
    assert_eq!(refused("sh -c 'node server.js'"), "`sh`");
    assert_eq!(refused("a $1"), "`$1`");
    assert_eq!(refused("a $$"), "`$$`");
    assert_eq!(refused("a ${PORT/8/9}"), "`${PORT/8/9}`");
    assert_eq!(refused("a ${PORT:=1}"), "`${PORT:=1}`");
    assert_eq!(refused("~/bin/app"), "`~`");
    assert_eq!(refused("a\nb"), "a second line");
    assert_eq!(refused("(a)"), "`(`…`)`");
}

#[test]
fn exec_in_front_is_dropped_and_nothing_is_an_error() {
    assert_eq!(ok("exec gunicorn app:app"), ["gunicorn", "app:app"]);
    assert_eq!(words("", &env()), Err(StartError::Empty));
    assert_eq!(words("exec", &env()), Err(StartError::Empty));
    assert_eq!(words("# nothing", &env()), Err(StartError::Empty));
    assert_eq!(words("node 'x", &env()), Err(StartError::Unclosed('\'')));
    assert_eq!(words("node \"x", &env()), Err(StartError::Unclosed('"')));
    assert_eq!(words("node ${X", &env()), Err(StartError::Unclosed('{')));
    assert_eq!(
        words("\u{1b}[2Jserve", &env()),
        Err(StartError::Control('\u{1b}'))
    );
    assert_eq!(
        words("node 'a\u{7}b'", &env()),
        Err(StartError::Control('\u{7}'))
    );
}

#[test]
fn a_refusal_says_what_to_write_instead() {
    let e = words("npm run migrate && node server.js", &env()).unwrap_err();
    let d = e.diagnostic(
        "npm run migrate && node server.js",
        &Origin::Entrypoint,
        Span::point(2, 13),
        "`entrypoint: server.js`",
    );
    assert_eq!(
        d.message,
        "`npm run migrate && node server.js` needs a shell for `&&`, and the runtime image has none"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "run the steps before the app in `build`, and start the app with one command, e.g. `entrypoint: server.js`"
        )
    );
    let d = e.diagnostic(
        "x",
        &Origin::PackageScript("start".to_string()),
        Span::point(1, 1),
        "",
    );
    assert!(
        d.message.contains("(from package.json `scripts.start`)"),
        "{}",
        d.message
    );
}

#[test]
fn literal_words_are_known_before_the_environment_is() {
    let words = parse("node server.js --port $PORT").unwrap_or_default();
    let literal: Vec<Option<String>> = words.iter().map(Word::literal).collect();
    assert_eq!(
        literal,
        [
            Some("node".to_string()),
            Some("server.js".to_string()),
            Some("--port".to_string()),
            None
        ]
    );
}

#[test]
fn args_expand_variables_but_keep_their_text() {
    let arg = |a: &str| expand_arg(a, &env());
    assert_eq!(arg("--port=$PORT"), Ok("--port=8080".to_string()));
    assert_eq!(arg("${HOST}:${PORT}"), Ok("0.0.0.0:8080".to_string()));
    assert_eq!(arg("two words 'kept'"), Ok("two words 'kept'".to_string()));
    assert_eq!(arg("^a$"), Ok("^a$".to_string()));
    assert_eq!(arg("$$PORT costs $$5"), Ok("$PORT costs $5".to_string()));
    assert_eq!(arg("$1 and $(x)"), Ok("$1 and $(x)".to_string()));
    assert_eq!(arg("${NOPE:-x}"), Ok("x".to_string()));
    assert_eq!(arg("$NOPE"), Err(StartError::Unset("NOPE".to_string())));
}

#[test]
fn the_check_fails_the_step_with_the_spec_error() {
    let check = Check {
        test: "test -e server.js".to_string(),
        span: Span::point(2, 13),
        message: "`server.js` is not in the app".to_string(),
        hint: "it's missing".to_string(),
    };
    let run = check.run("deploy/app.yaml");
    assert_eq!(
        run.command,
        r#"test -e server.js || { echo 'deploy/app.yaml:2:13: `server.js` is not in the app (hint: it'\''s missing)' >&2; exit 1; }"#
    );
    assert_eq!(run.span, Some(Span::point(2, 13)));
    // The shell prints exactly the spec error and fails.
    let out = std::process::Command::new("sh")
        .args(["-c", &run.command])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("sh: {e}"));
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "deploy/app.yaml:2:13: `server.js` is not in the app (hint: it's missing)\n"
    );
}
