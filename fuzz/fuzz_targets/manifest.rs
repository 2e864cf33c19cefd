//! One manifest a recipe reads (package.json, a lockfile, requirements.txt, pyproject.toml,
//! go.mod, Cargo.toml, pom.xml, a Gradle build, a prebuilt binary…) under a fixed spec,
//! through `Facts`' readers and `Plan::from_spec`: the first byte picks which, the rest is
//! the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::plan::{Facts, Options, Plan};
use shallot::spec::{Span, Spec};
use std::sync::OnceLock;

/// The spec, the fuzzed file's path, and the files beside it.
const CASES: &[(&str, &str, &[(&str, &str)])] = &[
    (
        "runtime: node\nentrypoint: server.js\n",
        "package.json",
        &[("server.js", "")],
    ),
    (
        "runtime: node\n",
        "package.json",
        &[("package-lock.json", "{}")],
    ),
    (
        "runtime: node\nentrypoint: server.js\n",
        "package-lock.json",
        &[("package.json", "{}"), ("server.js", "")],
    ),
    (
        "runtime: node\nentrypoint: server.js\n",
        "yarn.lock",
        &[("package.json", "{}"), ("server.js", "")],
    ),
    (
        "runtime: node\nentrypoint: server.js\n",
        "pnpm-lock.yaml",
        &[("package.json", "{}"), ("server.js", "")],
    ),
    (
        "runtime: node\nentrypoint: server.js\n",
        ".yarnrc.yml",
        &[
            ("package.json", "{\"packageManager\": \"yarn@4.5.0\"}"),
            ("yarn.lock", ""),
            ("server.js", ""),
        ],
    ),
    (
        "runtime: node\n",
        ".nvmrc",
        &[
            (
                "package.json",
                "{\"scripts\": {\"start\": \"node server.js\"}}",
            ),
            ("server.js", ""),
        ],
    ),
    (
        "runtime: python\nentrypoint: app.py\n",
        "requirements.txt",
        &[("app.py", "")],
    ),
    (
        "runtime: python\nentrypoint: app.py\n",
        "pyproject.toml",
        &[("app.py", "")],
    ),
    (
        "runtime: python\nentrypoint: app.py\n",
        "poetry.lock",
        &[
            ("pyproject.toml", "[tool.poetry]\nname = \"app\"\n"),
            ("app.py", ""),
        ],
    ),
    (
        "runtime: python\nentrypoint: app.py\n",
        "uv.lock",
        &[
            ("pyproject.toml", "[project]\nname = \"app\"\n"),
            ("app.py", ""),
        ],
    ),
    (
        "runtime: python\n",
        "Procfile",
        &[("requirements.txt", "gunicorn\n")],
    ),
    (
        "runtime: python\nentrypoint: app.py\n",
        "runtime.txt",
        &[("requirements.txt", ""), ("app.py", "")],
    ),
    ("runtime: go\n", "go.mod", &[]),
    (
        "runtime: go\n",
        "vendor/modules.txt",
        &[("go.mod", "module app\n\ngo 1.25\n")],
    ),
    ("runtime: rust\n", "Cargo.toml", &[("src/main.rs", "")]),
    (
        "runtime: rust\n",
        "rust-toolchain.toml",
        &[
            ("Cargo.toml", "[package]\nname = \"app\"\n"),
            ("src/main.rs", ""),
        ],
    ),
    (
        "runtime: rust\n",
        ".cargo/config.toml",
        &[
            ("Cargo.toml", "[package]\nname = \"app\"\n"),
            ("src/main.rs", ""),
        ],
    ),
    ("runtime: java\n", "pom.xml", &[]),
    ("runtime: java\n", "build.gradle", &[]),
    (
        "runtime: java\n",
        "build.gradle.kts",
        &[("settings.gradle.kts", "rootProject.name = \"app\"\n")],
    ),
    (
        "runtime: java\n",
        "gradle.properties",
        &[("build.gradle", "plugins { id 'application' }\n")],
    ),
    (
        "runtime: java\n",
        ".tool-versions",
        &[(
            "pom.xml",
            "<project><artifactId>a</artifactId><version>1</version></project>",
        )],
    ),
    ("runtime: static\nentrypoint: ./server\n", "server", &[]),
];

fn specs() -> &'static [Spec] {
    static SPECS: OnceLock<Vec<Spec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        let names = shallot::runtimes::names();
        CASES
            .iter()
            .map(|(src, ..)| shallot::spec::parse(src, &names).expect("a fixed spec parses"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let index = usize::from(pick) % CASES.len();
    let (_, path, beside) = CASES[index];
    let spec = &specs()[index];
    let mut facts = Facts::default();
    for (other, text) in beside {
        facts
            .files
            .insert(other.to_string(), text.as_bytes().to_vec());
    }
    facts.files.insert(path.to_string(), file.to_vec());
    let at = Span::point(1, 1);
    let _ = facts.read_json(path, at);
    let _ = facts.read_toml(path, at);
    let recipe = shallot::runtimes::find(&spec.runtime.value).expect("a recipe");
    let _ = Plan::from_spec(recipe, spec, &facts, &Options::default());
});
