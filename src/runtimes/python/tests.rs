//! Tests for the python recipe: the example's plan and LLB as golden files, package manager and
//! version detection from the context's files, and the spec errors.

use super::*;
use crate::llb::{Definition, Stage, from_plan};
use crate::plan::{Plan, Source, Step};
use crate::testkit::{
    build_env, builder, commands, diagnostics, dump, env, facts, plan, plan_err, runtime_snapshots,
};

const EXAMPLE_SPEC: &str = include_str!("../../../examples/python/shallot.yaml");
const EXAMPLE_REQUIREMENTS: &str = include_str!("../../../examples/python/requirements.txt");
const EXAMPLE_DOCKERIGNORE: &str = include_str!("../../../examples/python/.dockerignore");

const SPEC: &str = "runtime: python\nentrypoint: app.py\n";

fn example_facts() -> Facts {
    facts(
        &[("requirements.txt", EXAMPLE_REQUIREMENTS)],
        Some(EXAMPLE_DOCKERIGNORE),
    )
}

fn copied(plan: &Plan) -> Vec<String> {
    builder(plan)
        .steps
        .iter()
        .find_map(|s| match s {
            Step::CopyFiles { paths } => Some(paths.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn example_plan() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    runtime_snapshots(|| insta::assert_json_snapshot!("python_example_plan", plan));
}

#[test]
fn example_uses_pip_into_a_venv_that_distroless_can_run() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    assert_eq!(builder(&plan).image, "python:3.13-slim-trixie");
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/python3-debian13:nonroot"
    );
    assert_eq!(copied(&plan), vec!["requirements.txt", "vendor"]);
    let runs = commands(&plan);
    assert!(runs[0].contains("/usr/bin/python3 -m venv --without-pip .venv"));
    assert_eq!(
        runs[1],
        "/usr/bin/python3 -m pip --python .venv/bin/python install -r requirements.txt"
    );
    assert!(runs[2].starts_with("python3 -m compileall"));
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/app/.venv/bin/python3".to_string()])
    );
    assert_eq!(plan.config.cmd, vec!["app.py"]);
    assert_eq!(plan.runtime_stage.artifacts.len(), 1);
    assert_eq!(
        plan.runtime_stage.artifacts[0].from,
        Source::Builder("/app".to_string())
    );
    assert!(plan.context.exclude.contains(&".venv".to_string()));
    assert_eq!(env(&plan, "VIRTUAL_ENV"), Some("/app/.venv"));
}

#[test]
fn install_runs_on_the_pip_cache_and_before_the_source() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let steps = &builder(&plan).steps;
    let install = steps
        .iter()
        .position(|s| matches!(s, Step::Run(r) if r.command.contains("install -r")))
        .expect("install step");
    let source = steps
        .iter()
        .position(|s| matches!(s, Step::CopySource))
        .expect("source copy");
    assert!(install < source, "install must come before the source copy");
    let Step::Run(run) = &steps[install] else {
        unreachable!()
    };
    assert_eq!(run.caches, vec![pip_cache()]);
    assert_eq!(run.caches[0].id, "shallot-pip");
}

#[test]
fn example_builder_golden() {
    let dumped = dump(&example_llb(Stage::Builder));
    runtime_snapshots(|| insta::assert_snapshot!("python_example_builder", dumped));
}

#[test]
fn example_runtime_golden() {
    let dumped = dump(&example_llb(Stage::Runtime));
    runtime_snapshots(|| insta::assert_snapshot!("python_example_runtime", dumped));
}

#[test]
fn example_llb_names_read_like_a_dockerfile() {
    let def = example_llb(Stage::Runtime);
    let names: Vec<String> = def
        .ops()
        .iter()
        .filter_map(|(d, _)| {
            def.pb
                .metadata
                .get(d.as_str())
                .and_then(|m| m.description.get("llb.customname"))
                .cloned()
        })
        .collect();
    for expected in [
        "[builder 1/6] FROM docker.io/library/python:3.13-slim-trixie",
        "[builder 3/6] COPY requirements.txt vendor ./",
        "[builder 4/6] RUN /usr/bin/python3 -m pip --python .venv/bin/python install -r requirements.txt",
        "[builder 5/6] COPY . .",
        "[runtime 1/2] FROM gcr.io/distroless/python3-debian13:nonroot",
        "[runtime 2/2] COPY --from=builder /.shallot/root/ / and --chown=65532:65532 /app /app",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no step {expected:?} in {names:#?}"
        );
    }
}

fn example_llb(stage: Stage) -> Definition {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    from_plan(&plan, &build_env(EXAMPLE_SPEC), stage)
}

// ------------------------------------------------------------ package managers

const PYPROJECT: &str = "[project]\nname = \"app\"\nversion = \"1.0.0\"\n";

#[test]
fn poetry_is_detected_from_its_lockfile() {
    let lock = "[[package]]\nname = \"greeting\"\nversion = \"1.0.0\"\n\n[package.source]\ntype = \"directory\"\nurl = \"packages/greeting\"\n\n[[package]]\nname = \"requests\"\n\n[package.source]\ntype = \"legacy\"\nurl = \"https://example.org/simple\"\n";
    let plan = plan(
        SPEC,
        &facts(
            &[
                ("pyproject.toml", PYPROJECT),
                ("poetry.lock", lock),
                ("requirements.txt", "flask\n"),
            ],
            None,
        ),
    );
    assert_eq!(
        copied(&plan),
        vec!["pyproject.toml", "poetry.lock", "packages/greeting"]
    );
    let runs = commands(&plan);
    assert_eq!(
        runs[0],
        "command -v poetry >/dev/null || python3 -m pip install poetry==2.5.1"
    );
    assert!(runs[2].starts_with("poetry install --only main --no-root"));
    assert_eq!(env(&plan, "POETRY_VIRTUALENVS_IN_PROJECT"), Some("true"));
    let Step::Run(install) = &builder(&plan).steps[3] else {
        panic!("step 3 is the install")
    };
    assert_eq!(install.caches[0].id, "shallot-poetry");
    assert_eq!(install.caches[0].target, "/root/.cache/pypoetry");
}

#[test]
fn uv_is_detected_first() {
    let lock = "version = 1\n\n[[package]]\nname = \"app\"\nsource = { virtual = \".\" }\n\n[[package]]\nname = \"greeting\"\nsource = { path = \"vendor/greeting-1.0.0-py3-none-any.whl\" }\n\n[[package]]\nname = \"lib\"\nsource = { editable = \"libs/lib\" }\n";
    let plan = plan(
        SPEC,
        &facts(
            &[
                ("pyproject.toml", PYPROJECT),
                ("uv.lock", lock),
                ("poetry.lock", ""),
                ("requirements.txt", "flask\n"),
            ],
            None,
        ),
    );
    assert_eq!(
        copied(&plan),
        vec![
            "pyproject.toml",
            "uv.lock",
            "libs/lib",
            "vendor/greeting-1.0.0-py3-none-any.whl"
        ]
    );
    let runs = commands(&plan);
    assert_eq!(
        runs[0],
        "command -v uv >/dev/null || python3 -m pip install uv==0.13.9"
    );
    assert_eq!(runs[2], "uv sync --locked --no-dev --no-install-project");
    assert_eq!(env(&plan, "UV_PROJECT_ENVIRONMENT"), Some("/app/.venv"));
    assert_eq!(env(&plan, "UV_PYTHON_DOWNLOADS"), Some("never"));
    assert_eq!(env(&plan, "UV_LINK_MODE"), Some("copy"));
    let Step::Run(install) = &builder(&plan).steps[3] else {
        panic!("step 3 is the install")
    };
    assert_eq!(install.caches[0].id, "shallot-uv");
}

#[test]
fn a_lockfile_without_pyproject_is_an_error() {
    assert_eq!(
        plan_err(SPEC, &facts(&[("uv.lock", "")], None)),
        "shallot.yaml:1:10: uv.lock in the build context has no pyproject.toml beside it (hint: commit pyproject.toml with its lockfile)"
    );
}

#[test]
fn without_manifests_there_is_no_venv_and_distroless_runs_the_script() {
    let plan = plan(SPEC, &Facts::default());
    assert_eq!(
        commands(&plan),
        vec!["python3 -m compileall -q -x '(^|/)\\.venv/' ."]
    );
    assert!(copied(&plan).is_empty());
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Inherit {
            fallback: vec!["/usr/bin/python3".to_string()]
        }
    );
    assert_eq!(env(&plan, "VIRTUAL_ENV"), None);
}

#[test]
fn build_commands_run_after_the_source_and_before_compiling() {
    let plan = plan(
        "runtime: python\nentrypoint: -m app\nbuild: [python manage.py collectstatic --noinput]\n",
        &facts(&[("requirements.txt", "django\n")], None),
    );
    let runs = commands(&plan);
    assert_eq!(runs[2], "python manage.py collectstatic --noinput");
    assert!(runs[3].starts_with("python3 -m compileall"));
    assert!(env(&plan, "PATH").is_some_and(|p| p.starts_with("/app/.venv/bin:")));
}

#[test]
fn the_venv_follows_the_workdir() {
    let plan = plan(
        "runtime: python\nentrypoint: app.py\nworkdir: /srv/app\n",
        &facts(&[("requirements.txt", "flask\n")], None),
    );
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec!["/srv/app/.venv/bin/python3".to_string()])
    );
}

#[test]
fn requirements_local_paths_are_found() {
    let text = "\
# a comment with ./not/a/path
-r base.txt
--constraint=constraints.txt
-e ./libs/editable
--find-links ./wheels
-fvendor
./pkgs/local[extra] ; python_version >= '3.8'
dist/thing-1.0-py3-none-any.whl
flask==3.0  # ./nope
requests @ https://example.org/r.whl
--index-url https://example.org/simple
-e git+https://example.org/repo.git#egg=x
../outside
-e .
";
    assert_eq!(
        requirements_paths(text),
        vec![
            "base.txt",
            "constraints.txt",
            "dist/thing-1.0-py3-none-any.whl",
            "libs/editable",
            "pkgs/local",
            "vendor",
            "wheels"
        ]
    );
}

// ------------------------------------------------------------ versions

#[test]
fn versions_from_the_spec() {
    let plan = plan(
        "runtime: python@3.13\nentrypoint: app.py\n",
        &Facts::default(),
    );
    assert_eq!(builder(&plan).image, "python:3.13-slim-trixie");
    assert_eq!(
        plan_err(
            "runtime: python@3.8\nentrypoint: app.py\n",
            &Facts::default()
        ),
        "shallot.yaml:1:17: python 3.8 is older than 3.9, the oldest shallot builds (hint: use 3.9 or newer; write e.g. `runtime: python@3.13`)"
    );
}

#[test]
fn versions_from_python_version_with_comments() {
    let file = "# The Python version to use\n\n  3.13.5  \n";
    let planned = plan(SPEC, &facts(&[(".python-version", file)], None));
    assert_eq!(builder(&planned).image, "python:3.13-slim-trixie");
    for ok in [
        "3.13",
        "cpython-3.13.1-linux-x86_64-gnu",
        "cpython@3.13",
        "python3.13",
        "3",
        "# only a comment\n",
    ] {
        let plan = plan(SPEC, &facts(&[(".python-version", ok)], None));
        assert_eq!(builder(&plan).image, "python:3.13-slim-trixie", "{ok}");
    }
}

#[test]
fn a_python_version_file_without_an_image_is_an_error_naming_the_file() {
    assert_eq!(
        plan_err(
            SPEC,
            &facts(&[(".python-version", "# pinned\n3.8\n")], None)
        ),
        "shallot.yaml:1:10: python 3.8 (from .python-version) is older than 3.9, the oldest shallot builds (hint: use 3.9 or newer; change .python-version or write `runtime: python@3.13`)"
    );
    assert_eq!(
        plan_err(SPEC, &facts(&[(".python-version", "pypy3.10\n")], None)),
        "shallot.yaml:1:10: `pypy3.10` in .python-version is not a Python version (hint: write a version such as 3.13 in .python-version, or `runtime: python@3.13`)"
    );
    assert_eq!(
        plan_err(SPEC, &facts(&[(".python-version", "3.13t\n")], None)),
        "shallot.yaml:1:10: `3.13t` in .python-version is not a Python version (hint: write a version such as 3.13 in .python-version, or `runtime: python@3.13`)"
    );
}

#[test]
fn the_spec_version_wins_over_the_file() {
    let plan = plan(
        "runtime: python@3.13\nentrypoint: app.py\n",
        &facts(&[(".python-version", "3.12\n")], None),
    );
    assert_eq!(builder(&plan).image, "python:3.13-slim-trixie");
}

// ------------------------------------------------------------ entrypoint

#[test]
fn a_module_entrypoint_is_spelled_dash_m() {
    let plan = plan(
        "runtime: python\nentrypoint: -m app.server\nargs: [--port, \"8080\"]\n",
        &Facts::default(),
    );
    assert_eq!(plan.config.cmd, vec!["-m", "app.server", "--port", "8080"]);
}

#[test]
fn entrypoint_errors() {
    assert_eq!(
        plan_err("runtime: python\n", &Facts::default()),
        "shallot.yaml:1:10: runtime `python` needs `entrypoint`: nothing else says how the app starts (no Procfile `web:` line) (hint: add `entrypoint: app.py` (a script), `entrypoint: -m app` (a module) or `entrypoint: gunicorn app:app` (a dependency's command), or a Procfile with `web: …`)"
    );
    assert_eq!(
        plan_err("runtime: python\nentrypoint: -m 1app\n", &Facts::default()),
        "shallot.yaml:2:13: `-m 1app`: `-m` needs a module name, e.g. `-m app` or `-m app.server` (hint: write the module's dotted name after `-m`)"
    );
    assert_eq!(
        plan_err(
            "runtime: python\nentrypoint: python -c 'print(1)'\n",
            &Facts::default()
        ),
        "shallot.yaml:2:13: `python -c 'print(1)'` runs code from the command line, not a script (hint: put the code in a file and start that, e.g. `entrypoint: app.py`)"
    );
    // A console script needs dependencies to come from.
    assert_eq!(
        plan_err(
            "runtime: python\nentrypoint: gunicorn app:app\n",
            &Facts::default()
        ),
        "shallot.yaml:2:13: `gunicorn` is not a script in the build context, and the app has no dependencies that could provide it as a command (hint: add the package that provides `gunicorn` to requirements.txt, or start with a script, e.g. `entrypoint: app.py`)"
    );
    assert_eq!(
        plan_err(
            "runtime: python\nentrypoint: flask run && gunicorn app:app\n",
            &example_facts()
        ),
        "shallot.yaml:2:13: `flask run && gunicorn app:app` needs a shell for `&&`, and the runtime image has none (hint: run the steps before the app in `build`, and start the app with one command, e.g. `entrypoint: app.py`)"
    );
    assert_eq!(
        plan_err(
            "runtime: python\nentrypoint: uvicorn main:app --port $PORT\n",
            &example_facts()
        ),
        "shallot.yaml:2:13: `$PORT` in `uvicorn main:app --port $PORT` is not set in the image's environment (hint: set `port:` (e.g. `port: 8080`), which sets PORT)"
    );
}

/// The translation table: what the spec's `entrypoint` (or a Procfile's `web:`) says, and
/// what the venv's interpreter runs.
#[test]
fn start_commands_become_what_the_interpreter_runs() {
    let with_app = facts(
        &[
            ("requirements.txt", "gunicorn\n"),
            ("app.py", ""),
            ("serve", ""),
        ],
        None,
    );
    let cases: &[(&str, &[&str])] = &[
        ("app.py", &["app.py"]),
        ("app.py --debug", &["app.py", "--debug"]),
        ("python app.py", &["app.py"]),
        ("python3 -u app.py x", &["-u", "app.py", "x"]),
        ("python -m app.server", &["-m", "app.server"]),
        ("-m app --port $PORT", &["-m", "app", "--port", "8080"]),
        // A file in the context is a script even without `.py`.
        ("serve", &["serve"]),
        ("gunicorn app:app", &["/app/.venv/bin/gunicorn", "app:app"]),
        (
            "uvicorn main:app --host 0.0.0.0 --port ${PORT}",
            &[
                "/app/.venv/bin/uvicorn",
                "main:app",
                "--host",
                "0.0.0.0",
                "--port",
                "8080",
            ],
        ),
        (
            "exec gunicorn 'app:create_app()'",
            &["/app/.venv/bin/gunicorn", "app:create_app()"],
        ),
    ];
    for (entrypoint, cmd) in cases {
        let spec = format!("runtime: python\nentrypoint: {entrypoint}\nport: 8080\n");
        let planned = plan(&spec, &with_app);
        assert_eq!(planned.config.cmd, *cmd, "{entrypoint}");
        assert_eq!(
            planned.config.entrypoint,
            Entrypoint::Set(vec!["/app/.venv/bin/python3".to_string()]),
            "{entrypoint}"
        );
    }
    // `entrypoint: gunicorn` with `args` is the same command.
    let plan = plan(
        "runtime: python\nentrypoint: gunicorn\nargs: [app:app, --bind, \"0.0.0.0:$PORT\"]\nport: 8000\n",
        &with_app,
    );
    assert_eq!(
        plan.config.cmd,
        [
            "/app/.venv/bin/gunicorn",
            "app:app",
            "--bind",
            "0.0.0.0:8000"
        ]
    );
}

#[test]
fn console_scripts_and_modules_are_checked_in_the_builder() {
    let console = plan(
        "runtime: python\nentrypoint: gunicorn app:app\n",
        &example_facts(),
    );
    let last = commands(&console)
        .last()
        .map(|c| c.to_string())
        .unwrap_or_default();
    assert!(
        last.starts_with("test -e .venv/bin/gunicorn || { echo 'shallot.yaml:2:13: `gunicorn` is not a command of the app'\\''s dependencies (.venv/bin/gunicorn is missing after the install) (hint: add the package that provides `gunicorn` to the dependencies"),
        "{last}"
    );
    // A module the context was seen to lack may be a dependency's: the builder checks.
    let mut lacking = example_facts();
    lacking
        .absent
        .extend(["web.py".to_string(), "web/__init__.py".to_string()]);
    let module = plan("runtime: python\nentrypoint: -m web\n", &lacking);
    let last = commands(&module)
        .last()
        .map(|c| c.to_string())
        .unwrap_or_default();
    assert!(
        last.starts_with("python3 -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)' web || { echo 'shallot.yaml:2:13: module `web` is neither in the app nor in its dependencies"),
        "{last}"
    );
    // One the context has is not checked again.
    let having = facts(
        &[("requirements.txt", "x\n"), ("web/__init__.py", "")],
        None,
    );
    let known = plan("runtime: python\nentrypoint: -m web\n", &having);
    assert!(
        commands(&known)
            .last()
            .is_some_and(|c| c.contains("compileall"))
    );
}

#[test]
fn a_script_the_context_lacks_is_an_error_unless_the_build_makes_it() {
    let mut lacking = example_facts();
    lacking.absent.insert("main.py".to_string());
    assert_eq!(
        plan_err("runtime: python\nentrypoint: main.py\n", &lacking),
        "shallot.yaml:2:13: `main.py` is not in the build context (hint: check the path (relative to the context's root), make the file in `build`, and keep it out of `exclude` and .dockerignore)"
    );
    let plan = plan(
        "runtime: python\nentrypoint: main.py\nbuild: [make main.py]\n",
        &lacking,
    );
    let last = commands(&plan)
        .last()
        .map(|c| c.to_string())
        .unwrap_or_default();
    assert!(last.starts_with("test -e main.py || { echo 'shallot.yaml:2:13: `main.py` is not in the app after the build"), "{last}");
}

const PROCFILE_SPEC: &str = "runtime: python\nport: 8080\n";
const PROCFILE: &str = "release: python manage.py migrate\r\nweb: gunicorn app:app --bind 0.0.0.0:$PORT --workers 2\r\nworker: celery -A app worker\r\n";

#[test]
fn procfile_web_line_starts_the_app() {
    let f = facts(
        &[("requirements.txt", "gunicorn\n"), ("Procfile", PROCFILE)],
        None,
    );
    let procfile = plan(PROCFILE_SPEC, &f);
    runtime_snapshots(|| insta::assert_json_snapshot!("python_procfile_plan", procfile));
    assert_eq!(
        procfile.config.cmd,
        [
            "/app/.venv/bin/gunicorn",
            "app:app",
            "--bind",
            "0.0.0.0:8080",
            "--workers",
            "2"
        ]
    );
    let start = procfile.start.as_ref().map(|s| s.from.to_string());
    assert_eq!(start.as_deref(), Some("Procfile `web:`"));
    // The spec's entrypoint wins over the Procfile.
    let spec_wins = plan("runtime: python\nentrypoint: app.py\n", &f);
    assert_eq!(spec_wins.config.cmd, ["app.py"]);
    // Errors say where the command came from.
    let shell = facts(
        &[(
            "Procfile",
            "web: python manage.py migrate; gunicorn app:app\n",
        )],
        None,
    );
    assert_eq!(
        plan_err(PROCFILE_SPEC, &shell),
        "shallot.yaml:1:10: `python manage.py migrate; gunicorn app:app` (from Procfile `web:`) needs a shell for `;`, and the runtime image has none (hint: run the steps before the app in `build`, and start the app with one command, e.g. `entrypoint: app.py`)"
    );
}

#[test]
fn all_problems_are_reported_together() {
    let short = plan_err("runtime: python@3.8\n", &Facts::default());
    assert_eq!(short.lines().count(), 2, "{short}");
}

#[test]
fn runtime_txt_and_tool_versions_come_after_python_version() {
    let image = |files: &[(&str, &str)]| builder(&plan(SPEC, &facts(files, None))).image.clone();
    assert_eq!(
        image(&[("runtime.txt", "python-3.13")]),
        "python:3.13-slim-trixie"
    );
    assert_eq!(
        image(&[("runtime.txt", "python-3.13.1\n")]),
        "python:3.13-slim-trixie"
    );
    assert_eq!(
        image(&[(".tool-versions", "nodejs 24\npython 3.13.1 3.12.8\n")]),
        "python:3.13-slim-trixie"
    );
    // The first file that names a version decides, so a stale later one is not read.
    assert_eq!(
        image(&[(".python-version", "3.13"), ("runtime.txt", "python-3.10")]),
        "python:3.13-slim-trixie"
    );
    // runtime.txt decides before .tool-versions, and a patch pin selects its tag.
    assert_eq!(
        image(&[
            ("runtime.txt", "python-3.11"),
            (".tool-versions", "python 3.13")
        ]),
        "python:3.11-slim-trixie"
    );
    assert_eq!(
        image(&[(".tool-versions", "python 3.10.4\n")]),
        "python:3.10.4-slim-trixie"
    );
    assert_eq!(
        plan_err(SPEC, &facts(&[("runtime.txt", "python-2.7.18\n")], None)),
        "shallot.yaml:1:10: python 2.7.18 (from runtime.txt) is older than 3.9, the oldest shallot builds (hint: use 3.9 or newer; change runtime.txt or write `runtime: python@3.13`)"
    );
    assert_eq!(
        plan_err(SPEC, &facts(&[("runtime.txt", "node-22\n")], None)),
        "shallot.yaml:1:10: runtime.txt in the build context names `node-22`, which is not a Python version (hint: write `python-3.13` there, as Heroku reads it, or `runtime: python@3.13`)"
    );
}

#[test]
fn twenty_thousand_local_requirements_are_each_copied_once_sorted() {
    let text: String = (0..20_000)
        .map(|i| format!("./pkgs/p{}\n", (i * 7) % 10_000))
        .collect();
    let plan = plan(SPEC, &facts(&[("requirements.txt", text.as_str())], None));
    let paths = copied(&plan);
    let mut expected: Vec<String> = (0..10_000).map(|i| format!("pkgs/p{i}")).collect();
    expected.sort();
    assert_eq!(paths.len(), 10_001);
    assert_eq!(paths[0], "requirements.txt");
    assert_eq!(paths[1..], expected);
}

#[test]
fn a_version_without_a_distroless_image_is_carried_onto_cc() {
    let carried = plan(
        "runtime: python@3.11\nentrypoint: app.py\n",
        &facts(&[("requirements.txt", "flask==3.0.3\n")], None),
    );
    let b = builder(&carried);
    assert_eq!(b.image, "python:3.11-slim-trixie");
    assert_eq!(
        carried.runtime_stage.image,
        "gcr.io/distroless/cc-debian13:nonroot"
    );
    assert_eq!(
        carried.runtime_stage.note.as_deref(),
        Some("python 3.11 carried from the builder")
    );
    let runs: Vec<&str> = b
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Run(r) => Some(r.command.as_str()),
            _ => None,
        })
        .collect();
    // The interpreter is staged first, then the venv is made by the interpreter the runtime
    // has at the same path, and pip installs with it.
    assert!(
        runs[0].contains("cp -a \"$lib\" \"$root$prefix/lib/\""),
        "{}",
        runs[0]
    );
    assert_eq!(
        runs[1],
        "/usr/local/bin/python3 -m venv --without-pip .venv"
    );
    assert_eq!(
        runs[2],
        "/usr/local/bin/python3 -m pip --python .venv/bin/python install -r requirements.txt"
    );
    assert_eq!(
        carried.config.entrypoint,
        Entrypoint::Set(vec!["/app/.venv/bin/python3".to_string()])
    );
    assert!(
        carried
            .config
            .env
            .contains(&("LANG".to_string(), "C.UTF-8".to_string()))
    );
    // A patch pin selects that tag; without dependencies the carried interpreter runs the app.
    let pinned = plan(
        "runtime: python@3.12.7\nentrypoint: app.py\n",
        &Facts::default(),
    );
    assert_eq!(builder(&pinned).image, "python:3.12.7-slim-trixie");
    assert_eq!(
        pinned.config.entrypoint,
        Entrypoint::Set(vec!["/usr/local/bin/python3".to_string()])
    );
    // A patch of the distroless version runs on the distroless image.
    let patch = plan(
        "runtime: python@3.13.2\nentrypoint: app.py\n",
        &Facts::default(),
    );
    assert_eq!(builder(&patch).image, "python:3.13-slim-trixie");
    assert_eq!(
        patch.runtime_stage.image,
        "gcr.io/distroless/python3-debian13:nonroot"
    );
}

#[test]
fn an_old_gunicorn_is_checked_for_pkg_resources_at_build_time() {
    let runs = |requirements: &str| -> Vec<String> {
        let planned = plan(
            "runtime: python\nentrypoint: app.py\n",
            &facts(&[("requirements.txt", requirements)], None),
        );
        builder(&planned)
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Run(r) => r.label.clone(),
                _ => None,
            })
            .collect()
    };
    let label = "check that gunicorn finds pkg_resources when it starts".to_string();
    assert!(runs("Django==4.0\ngunicorn==20.1.0\n").contains(&label));
    assert!(!runs("flask==3.0.3\n").contains(&label));
}

// ------------------------------------------------------------ files the install cannot use

#[test]
fn local_paths_outside_the_context_are_errors_naming_their_line() {
    let requirements = "flask\n-e ../libs/a\n-r /home/dev/base.txt\nfile:../w.whl\n-e ./in\n";
    let d = diagnostics(SPEC, &facts(&[("requirements.txt", requirements)], None));
    let messages: Vec<&str> = d.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "requirements.txt line 2 names `../libs/a`, which is outside the build context",
            "requirements.txt line 3 names `/home/dev/base.txt`, which is outside the build context",
            "requirements.txt line 4 names `file:../w.whl`, which is outside the build context",
        ]
    );
    let pyproject = "[project]\nname = \"app\"\n";
    let uv = "version = 1\n[[package]]\nname = \"app\"\nsource = { editable = \".\" }\n\
        [[package]]\nname = \"b\"\nsource = { directory = \"../b\" }\n";
    let d = diagnostics(
        SPEC,
        &facts(&[("pyproject.toml", pyproject), ("uv.lock", uv)], None),
    );
    assert_eq!(
        d.0[0].message,
        "uv.lock line 7 names `../b`, which is outside the build context"
    );
    assert_eq!(d.0.len(), 1, "the project itself (`.`) is inside");
}

#[test]
fn manifests_uv_and_poetry_cannot_read_are_errors_at_their_place() {
    let d = diagnostics(
        SPEC,
        &facts(
            &[("pyproject.toml", "[project\n"), ("poetry.lock", "x = \n")],
            None,
        ),
    );
    let messages: Vec<&str> = d.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "pyproject.toml in the build context is not valid TOML: unclosed table, expected `]` at line 1, column 9",
            "poetry.lock in the build context is not valid TOML: string values must be quoted, expected literal string at line 1, column 5",
        ]
    );
    // pip never reads pyproject.toml for `-r requirements.txt`.
    plan(
        SPEC,
        &facts(
            &[
                ("pyproject.toml", "[project\n"),
                ("requirements.txt", "flask\n"),
            ],
            None,
        ),
    );
    // A lockfile larger than shallot reads is uv's to judge.
    let mut big = facts(
        &[
            ("pyproject.toml", "[project]\n"),
            ("uv.lock", "version = 1\n[[pack"),
        ],
        None,
    );
    big.oversized.insert("uv.lock".to_string());
    plan(SPEC, &big);
}

#[test]
fn a_utf16_requirements_file_is_read_as_pip_reads_it() {
    let mut utf16 = vec![0xff, 0xfe];
    for unit in "flask\n-e ./libs/a\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let plan = plan(SPEC, &facts(&[("requirements.txt", utf16)], None));
    assert_eq!(copied(&plan), vec!["requirements.txt", "libs/a"]);
}

#[test]
fn version_files_and_procfile_must_be_text() {
    let f = facts(&[(".python-version", b"3.1\xff".as_slice())], None);
    assert_eq!(
        plan_err(SPEC, &f),
        "shallot.yaml:1:10: .python-version in the build context is not UTF-8 text: the first bad byte (0xff) is at line 1, column 4 (hint: save it as UTF-8)"
    );
    let f = facts(
        &[("Procfile", b"web: python app.py # caf\xe9".as_slice())],
        None,
    );
    assert_eq!(
        plan_err("runtime: python\n", &f),
        "shallot.yaml:1:10: Procfile in the build context is not UTF-8 text: the first bad byte (0xe9) is at line 1, column 25 (hint: save it as UTF-8)"
    );
}
