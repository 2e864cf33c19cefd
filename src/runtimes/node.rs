//! Node.js: npm, yarn (classic or berry) or pnpm in the official Debian node image, run on
//! distroless node.
//!
//! Builder: `package.json`, the lockfile, the package manager's config and any local `file:`
//! packages are copied first and installed on a cache mount for the package manager's cache, so
//! a source-only change keeps the install step cached. Without `build` commands (the spec's, or
//! else `<manager> run build` when package.json has `scripts.build`; `build: []` turns that
//! off) only production dependencies are installed; with them the full tree is installed for
//! the build and pruned to production dependencies afterwards.
//! Runtime: distroless node, whose entrypoint is already `/nodejs/bin/node`, so the command is
//! just the script (repeating `node` there is a classic distroless mistake). It has no npm,
//! yarn, pnpm or corepack: everything is resolved in the builder. A major without a distroless
//! image (18 on) is carried: the official image's node binary, staged at `/nodejs/bin/node`, on
//! distroless `cc`.
//!
//! The package manager comes from `packageManager` in package.json, else from the one lockfile
//! in the context (several are an error); the node major from the spec (`node@22`), else
//! `.nvmrc`, `.node-version`, `.tool-versions`, `engines.node`, else the default.

mod lean;

use super::Recipe;
use crate::formats::npm_range::{Partial, is_exact_version, parse_range};
use crate::formats::tool_versions::tool_version;
use crate::formats::yarnrc::yarnrc_value;
use crate::plan::{
    Cache, Deps, Entrypoint, Facts, Manifests, Problems, RecipeBuilder, RecipeInput, RecipePlan,
    Run, STAGED_ROOT, Unlocked, Version, Versions, version_line,
};
use crate::spec::{Diagnostic, Diagnostics, Span, Spec};

/// The node recipe.
pub const NODE: Recipe = Recipe {
    name: "node",
    probes: &[
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        ".npmrc",
        "yarn.lock",
        ".yarnrc",
        ".yarnrc.yml",
        "pnpm-lock.yaml",
        "pnpm-workspace.yaml",
        ".pnpmfile.cjs",
        ".nvmrc",
        ".node-version",
        ".tool-versions",
        "Procfile",
        // lean::NEXT_CONFIGS: whether Next.js writes a standalone server.
        "next.config.js",
        "next.config.mjs",
        "next.config.ts",
        "next.config.cjs",
    ],
    spec_probes: start::probes,
    serves: true,
    plan,
};

/// Node majors that have a distroless image (even majors in support), oldest first. The
/// default is also what `lts/*` means (the newest LTS line shallot is released against; pure
/// code cannot follow the calendar).
const VERSIONS: Versions = Versions {
    runtime: "node",
    known: &["22", "24", "26"],
    default: "24",
    image: "distroless image",
    carried_from: Some("18"),
};
/// Majors whose official image has no trixie variant (they ended before trixie was released),
/// so their builder is the bookworm one; their binary runs on any newer glibc.
const BOOKWORM_ONLY: [&str; 4] = ["18", "19", "21", "23"];
/// Where distroless nodejs keeps node; a carried one goes there too.
const NODE_BIN: &str = "/nodejs/bin/node";
/// The newest major a range may pick without a distroless image.
const NEWEST_CARRIED: u64 = 26;
/// LTS codenames (`lts/<name>` in `.nvmrc`) and their majors, supported or not.
const LTS_NAMES: [(&str, u64); 5] = [
    ("gallium", 16),
    ("hydrogen", 18),
    ("iron", 20),
    ("jod", 22),
    ("krypton", 24),
];

/// yarn classic's cache when running as root (`yarn cache dir`).
const YARN_CLASSIC_CACHE: &str = "/usr/local/share/.cache/yarn";
/// yarn berry's global cache (`~/.yarn/berry/cache`), used with `enableGlobalCache`.
const YARN_BERRY_CACHE: &str = "/root/.yarn/berry/cache";
/// pnpm's store. Named explicitly: left to itself, pnpm puts the store on the project's
/// filesystem (`/.pnpm-store`) when its default is on another one, as a cache mount is.
const PNPM_STORE: &str = "/root/.local/share/pnpm/store";

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let RecipeInput { spec, facts, .. } = input;
    let at = spec.runtime.span;
    let mut problems = Problems::new();
    let package = read_package(facts, at, &mut problems);
    let version = problems.or(
        version(spec, facts, package.as_ref()),
        Version::distroless(VERSIONS.default),
    );
    let carried = version.distroless.is_none();
    let tooling = problems.ok(tooling(facts, package.as_ref(), at));
    let berry = tooling.as_ref().map(|t| t.manager) == Some(Manager::YarnBerry);
    problems.extend(yarnrc_outside(facts, at).into_iter().filter(|_| berry));
    let standalone = lean::standalone_config(facts);
    let env = runtime_env(standalone.is_some());
    let builds = !spec.build.is_empty() || build_script(spec, package.as_ref()).is_some();
    let start = problems.ok(match standalone {
        Some(config) => lean::standalone_start(spec, config),
        None => start::start(spec, facts, package.as_ref(), &env, builds),
    });
    problems.check()?;
    let (Some(tooling), Some(start)) = (tooling, start) else {
        return Err(Diagnostics(Vec::new()));
    };
    let installs = package.is_some();
    // Without a lockfile the install picks versions at build time: the plan says so for lint.
    let unlocked = (installs && tooling.lockfile.is_none()).then(|| Unlocked {
        command: tooling.install(false),
        lockfiles: tooling.lockfiles().iter().map(|f| f.to_string()).collect(),
        span: at,
    });
    let tool_setup = tooling.setup().filter(|_| installs);
    let tool_setup = tool_setup.map(|s| Run::at(s, vec![npm_cache()], at));
    let carry = carried.then(|| carry(at));
    let lean = standalone.is_some();
    Ok(RecipePlan {
        builder: Some(RecipeBuilder {
            image: builder_image(&major(&version)),
            env: tooling.env(),
            setup: carry.into_iter().chain(tool_setup).collect(),
            deps: package.as_ref().map(|package| Deps {
                manifests: manifests(&tooling, package, facts),
                install: vec![Run::at(tooling.install(!builds), vec![tooling.cache()], at)],
            }),
            default_build: app_build(spec, package.as_ref(), &tooling),
            build_caches: vec![tooling.cache()],
            finish: finish(spec, facts, &tooling, installs, builds, lean),
            ..Default::default()
        }),
        artifacts: lean::artifacts(lean),
        cmd: start.cmd,
        env,
        exclude: vec!["node_modules".to_string()],
        unlocked,
        start: Some(start.plan),
        ..runtime(&version)
    })
}

/// package.json, when the context has it and it is an object; its problems (unreadable, not
/// an object, local packages outside the context) are kept in `problems`.
fn read_package(facts: &Facts, at: Span, problems: &mut Problems) -> Option<serde_json::Value> {
    let package = problems.or(facts.read_json("package.json", at), None)?;
    problems.ok(is_object(&package, at))?;
    problems.extend(outside_packages(&package, at));
    Some(package)
}

/// The runtime image's environment: production mode, and for a standalone Next.js server
/// what it needs ([`lean::env`]).
fn runtime_env(standalone: bool) -> Vec<(String, String)> {
    [("NODE_ENV".to_string(), "production".to_string())]
        .into_iter()
        .chain(lean::env(standalone))
        .collect()
}

/// The major of a version, which names the images.
fn major(version: &Version) -> String {
    let major = version.tag.split('.').next().unwrap_or_default();
    major.to_string()
}

/// The runtime image, its note and entrypoint: distroless nodejs for a major that has one,
/// else `cc` with the carried node where distroless keeps its own (so paths stay the same;
/// `cc` has no entrypoint to inherit).
fn runtime(version: &Version) -> RecipePlan {
    let major = major(version);
    match version.distroless {
        Some(_) => RecipePlan {
            runtime_image: format!("gcr.io/distroless/nodejs{major}-debian13:nonroot"),
            entrypoint: Entrypoint::Inherit {
                fallback: vec![NODE_BIN.to_string()],
            },
            version: Some(major),
            ..Default::default()
        },
        None => RecipePlan {
            runtime_image: "gcr.io/distroless/cc-debian13:nonroot".to_string(),
            runtime_note: Some(format!("node {major} carried from the builder")),
            entrypoint: Entrypoint::Set(vec![NODE_BIN.to_string()]),
            version: Some(major),
            ..Default::default()
        },
    }
}

/// The official builder image of a major.
fn builder_image(major: &str) -> String {
    let debian = if BOOKWORM_ONLY.contains(&major) {
        "bookworm"
    } else {
        "trixie"
    };
    format!("node:{major}-{debian}-slim")
}

/// For a major no distroless image has: the builder's node binary (the official images' node
/// is one self-contained file) staged where distroless nodejs keeps it.
fn carry(at: Span) -> Run {
    let command = format!(
        "mkdir -p {STAGED_ROOT}/nodejs/bin && \
         cp \"$(readlink -f \"$(command -v node)\")\" {STAGED_ROOT}{NODE_BIN}"
    );
    Run::at(command, Vec::new(), at).labelled(format!("copy node to {STAGED_ROOT}{NODE_BIN}"))
}

/// package.json's `scripts.build`, when the app platforms would run it: the spec writes no
/// `build` of its own.
fn build_script<'a>(spec: &Spec, package: Option<&'a serde_json::Value>) -> Option<&'a str> {
    let script = package
        .and_then(|p| p.get("scripts"))
        .and_then(|s| s.get("build"))
        .and_then(|b| b.as_str())
        .filter(|b| !b.trim().is_empty());
    script.filter(|_| !spec.build_written)
}

/// The app's own build when the spec writes no `build`: `<manager> run build` for a
/// package.json with `scripts.build`, as the app platforms run it. devDependencies are
/// installed for it and pruned after, as for the spec's `build`.
fn app_build(spec: &Spec, package: Option<&serde_json::Value>, tooling: &Tooling) -> Vec<Run> {
    if build_script(spec, package).is_none() {
        return Vec::new();
    }
    let command = format!("{} run build", tooling.command());
    vec![Run::at(command, vec![tooling.cache()], spec.runtime.span)]
}

/// After the build: devDependencies pruned (when they were installed for a build), package
/// manager config removed, then what the runtime image leaves out ([`lean`]).
fn finish(
    spec: &Spec,
    facts: &Facts,
    tooling: &Tooling,
    installs: bool,
    builds: bool,
    standalone: bool,
) -> Vec<Run> {
    let at = spec.runtime.span;
    let mut finish = Vec::new();
    if installs && builds {
        // The build may need devDependencies; the runtime image must not carry them.
        finish.push(Run::at(tooling.prune(), vec![tooling.cache()], at));
    }
    if let Some(cleanup) = tooling.cleanup(facts) {
        // Package manager config may hold registry tokens: needed to install, not to run.
        finish.push(Run::at(cleanup, vec![], at));
    }
    if installs {
        finish.extend(lean::finish(at, standalone));
    }
    finish
}

/// The node major: `node@N`, else what the app's files ask for.
fn version(
    spec: &Spec,
    facts: &Facts,
    package: Option<&serde_json::Value>,
) -> Result<Version, Diagnostic> {
    match VERSIONS.asked_version(spec)? {
        Some(version) => Ok(version),
        None => app_version(facts, package, spec.runtime.span),
    }
}

/// What the install reads: the manifests, or for a workspace the whole source (its member
/// manifests are not known without walking the context).
fn manifests(tooling: &Tooling, package: &serde_json::Value, facts: &Facts) -> Manifests {
    let workspace = package.get("workspaces").is_some()
        || facts
            .text("pnpm-workspace.yaml")
            .is_some_and(|t| t.lines().any(|l| l.starts_with("packages:")));
    if workspace {
        Manifests::WholeSource
    } else {
        Manifests::Files(tooling.manifests(package, facts))
    }
}

// ---- package managers ---------------------------------------------------------------------------

/// Which package manager installs the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Manager {
    /// npm, which every node image has.
    Npm,
    /// yarn 1.x.
    YarnClassic,
    /// yarn 2 and later, always with the `node-modules` linker: Plug'n'Play would need
    /// `node -r .pnp.cjs`, which the distroless entrypoint does not give.
    YarnBerry,
    /// pnpm.
    Pnpm,
}

/// The package manager and what the app's files say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tooling {
    manager: Manager,
    /// The manager's lockfile, if the context has it.
    lockfile: Option<&'static str>,
    /// The exact version `packageManager` pins, if it names this manager.
    pinned: Option<String>,
    /// yarn berry's `yarnPath` release (from `.yarnrc.yml`), inside the context.
    yarn_path: Option<String>,
    /// The pnpm major that reads this lockfile (from its `lockfileVersion`).
    pnpm_major: &'static str,
}

/// Decides the package manager: `packageManager` in package.json wins; otherwise the one kind
/// of lockfile present (none: npm). Lockfiles of several managers without `packageManager`
/// are an error: guessing would install another dependency tree than the one the app tested.
fn tooling(
    facts: &Facts,
    package: Option<&serde_json::Value>,
    at: Span,
) -> Result<Tooling, Diagnostic> {
    let npm_lock = ["package-lock.json", "npm-shrinkwrap.json"]
        .into_iter()
        .find(|f| facts.has(f));
    let yarn_lock = facts.has("yarn.lock").then_some("yarn.lock");
    let pnpm_lock = facts.has("pnpm-lock.yaml").then_some("pnpm-lock.yaml");

    let declared = package
        .and_then(|p| p.get("packageManager"))
        .map(|field| package_manager_field(field, at))
        .transpose()?;
    let (name, pinned) = match declared {
        Some((name, version)) => (name, Some(version)),
        None => {
            let present: Vec<&str> = [npm_lock, yarn_lock, pnpm_lock]
                .into_iter()
                .flatten()
                .collect();
            if present.len() > 1 {
                return Err(Diagnostic::new(
                at,
                    format!(
                        "the build context has lockfiles of several package managers ({})",
                        present.join(", ")
                    ),
                    Some(
                        "set `packageManager` in package.json (e.g. \"pnpm@9.15.9\") or delete the stale lockfiles"
                            .to_string(),
                    ),
                ));
            }
            let name = if yarn_lock.is_some() {
                "yarn"
            } else if pnpm_lock.is_some() {
                "pnpm"
            } else {
                "npm"
            };
            (name, None)
        }
    };

    let manager = manager(name, pinned.as_deref(), facts);
    let lockfile = match manager {
        Manager::Npm => npm_lock,
        Manager::YarnClassic | Manager::YarnBerry => yarn_lock,
        Manager::Pnpm => pnpm_lock,
    };
    let yarn_path = (manager == Manager::YarnBerry)
        .then(|| facts.text(".yarnrc.yml"))
        .flatten()
        .and_then(|rc| yarnrc_value(rc, "yarnPath"))
        .and_then(|p| super::inside_context(&p));
    let pnpm_major = facts
        .text("pnpm-lock.yaml")
        .map_or("9", pnpm_major_for_lockfile);
    Ok(Tooling {
        manager,
        lockfile,
        pinned: pinned.filter(|_| manager != Manager::Npm),
        yarn_path,
        pnpm_major,
    })
}

/// The manager called `name`: yarn is berry (2 and later) when its pinned version says so,
/// else when the context has berry's files.
fn manager(name: &str, pinned: Option<&str>, facts: &Facts) -> Manager {
    match name {
        "npm" => Manager::Npm,
        "pnpm" => Manager::Pnpm,
        _ => {
            let berry = match pinned.map(major_of) {
                Some(Some(major)) => major >= 2,
                _ => {
                    facts.has(".yarnrc.yml")
                        || facts
                            .text("yarn.lock")
                            .is_some_and(|t| t.lines().any(|l| l.starts_with("__metadata:")))
                }
            };
            if berry {
                Manager::YarnBerry
            } else {
                Manager::YarnClassic
            }
        }
    }
}

/// `packageManager` (`"pnpm@9.15.9"`, `"yarn@4.5.0+sha512.…"`) as name and exact version. The
/// version reaches a shell command, so only plain semver is accepted.
fn package_manager_field(
    value: &serde_json::Value,
    at: Span,
) -> Result<(&'static str, String), Diagnostic> {
    let Some(text) = value.as_str() else {
        return Err(Diagnostic::new(
            at,
            format!(
                "package.json's packageManager is {}, not a string",
                json_kind(value)
            ),
            Some("write it as corepack does, e.g. \"pnpm@9.15.9\" or \"yarn@1.22.22\"".to_string()),
        ));
    };
    let bad = |why: &str| {
        Diagnostic::new(
            at,
            format!("package.json's packageManager `{text}` {why}"),
            Some("write it as corepack does, e.g. \"pnpm@9.15.9\" or \"yarn@1.22.22\"".to_string()),
        )
    };
    let (name, version) = text.split_once('@').ok_or_else(|| bad("has no version"))?;
    let name = match name {
        "npm" => "npm",
        "yarn" => "yarn",
        "pnpm" => "pnpm",
        _ => {
            return Err(Diagnostic::new(
                at,
                format!(
                    "package.json's packageManager names `{name}`, which shallot does not support"
                ),
                Some("use npm, yarn or pnpm".to_string()),
            ));
        }
    };
    let version = version.split('+').next().unwrap_or_default();
    if !is_exact_version(version) {
        return Err(bad("is not an exact version"));
    }
    Ok((name, version.to_string()))
}

fn major_of(version: &str) -> Option<u64> {
    version.split('.').next().and_then(|m| m.parse().ok())
}

/// The pnpm major that writes (and reads) a lockfile: `lockfileVersion: '9.0'` → 9,
/// `6.x` → 8, `5.x` → 7. pnpm 10 also writes 9.0, but changes defaults (dependency build
/// scripts are blocked), so an unpinned app gets the older, compatible one.
fn pnpm_major_for_lockfile(lock: &str) -> &'static str {
    let version = lock
        .lines()
        .find_map(|l| l.strip_prefix("lockfileVersion:"));
    let version = version.map(|v| v.trim().trim_matches(|c| c == '"' || c == '\''));
    match version.and_then(major_of) {
        Some(5) => "7",
        Some(6) => "8",
        _ => "9",
    }
}

impl Tooling {
    /// The command that makes sure the builder has this package manager. The official node
    /// images have npm and yarn classic but no pnpm or yarn berry, and corepack is gone from
    /// node 25 on: a missing tool is installed with npm (which needs the registry at build
    /// time, as the install itself does). A version pinned by `packageManager` is always
    /// installed, so the app gets exactly the version it was locked with.
    fn setup(&self) -> Option<String> {
        let ensure = |tool: &str, package: &str, version: &str| {
            format!("command -v {tool} >/dev/null 2>&1 || npm install -g {package}@{version}")
        };
        match (self.manager, &self.pinned) {
            (Manager::Npm, _) => None,
            // --force: the image's yarn classic already owns the `yarn` command.
            (Manager::YarnClassic, Some(v)) => Some(format!("npm install -g --force yarn@{v}")),
            (Manager::YarnClassic, None) => Some(ensure("yarn", "yarn", "1")),
            (Manager::YarnBerry, Some(v)) => {
                Some(format!("npm install -g --force @yarnpkg/cli-dist@{v}"))
            }
            // yarn classic runs the release named by `yarnPath` itself.
            (Manager::YarnBerry, None) if self.yarn_path.is_some() => {
                Some(ensure("yarn", "yarn", "1"))
            }
            (Manager::YarnBerry, None) => {
                Some("npm install -g --force @yarnpkg/cli-dist@4".to_string())
            }
            (Manager::Pnpm, Some(v)) => Some(format!("npm install -g pnpm@{v}")),
            (Manager::Pnpm, None) => Some(ensure("pnpm", "pnpm", self.pnpm_major)),
        }
    }

    /// The package manager's command.
    fn command(&self) -> &'static str {
        match self.manager {
            Manager::Npm => "npm",
            Manager::YarnClassic | Manager::YarnBerry => "yarn",
            Manager::Pnpm => "pnpm",
        }
    }

    /// What is copied before the install: everything the install reads.
    fn manifests(&self, package: &serde_json::Value, facts: &crate::plan::Facts) -> Vec<String> {
        let mut paths = vec!["package.json".to_string()];
        paths.extend(self.lockfile.map(str::to_string));
        let config: &[&str] = match self.manager {
            Manager::Npm => &[".npmrc"],
            Manager::YarnClassic => &[".yarnrc", ".npmrc"],
            Manager::YarnBerry => &[".yarnrc.yml"],
            Manager::Pnpm => &["pnpm-workspace.yaml", ".npmrc", ".pnpmfile.cjs"],
        };
        paths.extend(
            config
                .iter()
                .filter(|f| facts.has(f))
                .map(|f| f.to_string()),
        );
        if self.manager == Manager::YarnBerry {
            paths.extend(self.yarn_path.clone());
            // Plugins listed in .yarnrc.yml (`- path: .yarn/plugins/…`) load before installing.
            if let Some(rc) = facts.text(".yarnrc.yml") {
                paths.extend(yarn_plugins(rc).filter_map(super::inside_context));
            }
        }
        // Repeats among the files above are kept as they were; a local package is added once.
        let mut paths = crate::plan::FirstOfEach::starting_with(paths);
        paths.extend(local_packages(package));
        paths.into_vec()
    }

    /// The install: frozen to the lockfile when there is one; production-only when nothing is
    /// built (otherwise [`Tooling::prune`] removes devDependencies after the build).
    fn install(&self, production: bool) -> String {
        let locked = self.lockfile.is_some();
        match self.manager {
            Manager::Npm => {
                let install = if locked { "npm ci" } else { "npm install" };
                if production {
                    format!("{install} --omit=dev")
                } else {
                    install.to_string()
                }
            }
            Manager::YarnClassic => {
                let mut command = "yarn install".to_string();
                if locked {
                    command.push_str(" --frozen-lockfile");
                }
                command.push_str(" --non-interactive");
                if production {
                    command.push_str(" --production");
                }
                command
            }
            // `workspaces focus --production` installs only production dependencies;
            // YARN_ENABLE_IMMUTABLE_INSTALLS keeps it to the lockfile.
            Manager::YarnBerry if production => {
                "yarn workspaces focus --all --production".to_string()
            }
            Manager::YarnBerry if locked => "yarn install --immutable".to_string(),
            Manager::YarnBerry => "yarn install".to_string(),
            Manager::Pnpm => {
                let mut command = "pnpm install".to_string();
                if locked {
                    command.push_str(" --frozen-lockfile");
                }
                if production {
                    command.push_str(" --prod");
                }
                command
            }
        }
    }

    /// The lockfiles that pin this manager's installs.
    fn lockfiles(&self) -> &'static [&'static str] {
        match self.manager {
            Manager::Npm => &["package-lock.json", "npm-shrinkwrap.json"],
            Manager::YarnClassic | Manager::YarnBerry => &["yarn.lock"],
            Manager::Pnpm => &["pnpm-lock.yaml"],
        }
    }

    /// Removes devDependencies after the build.
    fn prune(&self) -> String {
        match self.manager {
            Manager::Npm => "npm prune --omit=dev".to_string(),
            // yarn classic has no prune: a production install removes what is not needed.
            Manager::YarnClassic => self.install(true),
            Manager::YarnBerry => "yarn workspaces focus --all --production".to_string(),
            Manager::Pnpm => "pnpm prune --prod".to_string(),
        }
    }

    /// Removes the package manager's config (which may hold tokens) and yarn berry's own
    /// directory (releases, install state) from the app before it reaches the runtime image.
    fn cleanup(&self, facts: &crate::plan::Facts) -> Option<String> {
        let files: Vec<&str> = [".npmrc", ".yarnrc", ".yarnrc.yml"]
            .into_iter()
            .filter(|f| facts.has(f))
            .collect();
        if self.manager == Manager::YarnBerry {
            Some(format!(
                "rm -rf {}",
                [files, vec![".yarn"]].concat().join(" ")
            ))
        } else if files.is_empty() {
            None
        } else {
            Some(format!("rm -f {}", files.join(" ")))
        }
    }

    /// The cache mount of installs and build commands.
    fn cache(&self) -> Cache {
        match self.manager {
            Manager::Npm => npm_cache(),
            // yarn classic does not lock its cache against concurrent installs.
            Manager::YarnClassic => cache(YARN_CLASSIC_CACHE, "shallot-yarn", true),
            Manager::YarnBerry => cache(YARN_BERRY_CACHE, "shallot-yarn-berry", false),
            Manager::Pnpm => cache(PNPM_STORE, "shallot-pnpm", false),
        }
    }

    /// Builder environment: no network chatter, caches where the mounts are.
    fn env(&self) -> Vec<(String, String)> {
        // npm would otherwise try the registry for audits, funding notes and updates; it also
        // installs the other package managers.
        let mut env = vec![
            ("NPM_CONFIG_AUDIT", "false"),
            ("NPM_CONFIG_FUND", "false"),
            ("NPM_CONFIG_UPDATE_NOTIFIER", "false"),
            // node-gyp (which reads it in lower case) builds native addons against the
            // headers the official images carry (`/usr/local/include/node`) instead of
            // downloading them from nodejs.org, which a mirror or an air gap does not have.
            ("npm_config_nodedir", "/usr/local"),
        ];
        match self.manager {
            Manager::Npm => {}
            Manager::YarnClassic => env.extend([
                ("YARN_CACHE_FOLDER", YARN_CLASSIC_CACHE),
                ("YARN_DISABLE_SELF_UPDATE_CHECK", "true"),
            ]),
            Manager::YarnBerry => env.extend([
                ("YARN_ENABLE_GLOBAL_CACHE", "true"),
                (
                    "YARN_ENABLE_IMMUTABLE_INSTALLS",
                    if self.lockfile.is_some() {
                        "true"
                    } else {
                        "false"
                    },
                ),
                ("YARN_ENABLE_TELEMETRY", "0"),
                ("YARN_NODE_LINKER", "node-modules"),
            ]),
            // pnpm reads its settings from npm_config_* variables; a prune that changes
            // what is installed would otherwise ask before purging node_modules and, with no
            // terminal, fail.
            Manager::Pnpm => env.extend([
                ("npm_config_confirm_modules_purge", "false"),
                ("npm_config_store_dir", PNPM_STORE),
            ]),
        }
        env.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn cache(target: &str, id: &str, locked: bool) -> Cache {
    Cache {
        target: target.to_string(),
        id: id.to_string(),
        locked,
    }
}

fn npm_cache() -> Cache {
    cache("/root/.npm", "shallot-npm", false)
}

/// The sections of package.json whose dependencies are installed.
const DEPENDENCY_SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// Local packages package.json names, as `(field, written, path)`: `file:` / `link:` /
/// `portal:` dependencies and bare paths (`./x`, `../x`, `/x`, `~/x`, as npm reads them), and
/// pnpm's patch files. The field is where it is written, e.g. `dependencies.shared`.
fn local_specs(package: &serde_json::Value) -> Vec<(String, &str, &str)> {
    let mut specs = Vec::new();
    for section in DEPENDENCY_SECTIONS {
        let Some(deps) = package.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        for (name, spec) in deps {
            let Some(spec) = spec.as_str() else { continue };
            let path = spec
                .strip_prefix("file:")
                .or_else(|| spec.strip_prefix("link:"))
                .or_else(|| spec.strip_prefix("portal:"))
                .or_else(|| {
                    ["./", "../", "/", "~/"]
                        .iter()
                        .any(|p| spec.starts_with(p))
                        .then_some(spec)
                });
            specs.extend(path.map(|p| (format!("{section}.{name}"), spec, p)));
        }
    }
    let patches = package
        .get("pnpm")
        .and_then(|p| p.get("patchedDependencies"))
        .and_then(|p| p.as_object());
    for (name, patch) in patches.into_iter().flatten() {
        if let Some(path) = patch.as_str() {
            specs.push((format!("pnpm.patchedDependencies.{name}"), path, path));
        }
    }
    specs
}

/// Local packages (`file:` / `link:` / `portal:` dependencies inside the context) and pnpm's
/// patch files: the install needs them, so they are copied with the manifests.
fn local_packages(package: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = local_specs(package)
        .into_iter()
        .filter_map(|(_, _, path)| super::inside_context(path))
        .collect();
    // Sorted, then once each (a scan per path was quadratic in a manifest's thousands).
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// A problem for each local package package.json names outside the context: the install
/// would look for it where the build has nothing.
fn outside_packages(package: &serde_json::Value, at: Span) -> Vec<Diagnostic> {
    local_specs(package)
        .into_iter()
        .filter(|(_, _, path)| super::context_path(path).is_none())
        .map(|(field, written, _)| {
            Diagnostic::new(
                at,
                format!(
                    "package.json's `{field}` is `{written}`, which is outside the build context"
                ),
                Some(
                    "only the build context reaches the build: move the package into it and name it by a relative path (e.g. `file:./packages/shared`), or install it from a registry"
                        .to_string(),
                ),
            )
        })
        .collect()
}

/// package.json as an object, which every field read here is in.
fn is_object(package: &serde_json::Value, at: Span) -> Result<(), Diagnostic> {
    let kind = json_kind(package);
    if kind == "an object" {
        return Ok(());
    }
    Err(Diagnostic::new(
        at,
        format!("package.json in the build context holds {kind}, not an object"),
        Some("write the package's fields in one object, e.g. {\"name\": \"app\"}".to_string()),
    ))
}

/// What a JSON value is, for messages.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The plugin paths listed in `.yarnrc.yml` (`- path: .yarn/plugins/…`), unquoted.
fn yarn_plugins(rc: &str) -> impl Iterator<Item = &str> {
    rc.lines()
        .filter_map(|l| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("path:")
        })
        .map(|p| p.trim().trim_matches(|c| c == '"' || c == '\''))
}

/// A problem for `yarnPath` or a plugin of `.yarnrc.yml` outside the context: yarn berry runs
/// them before it installs anything.
fn yarnrc_outside(facts: &Facts, at: Span) -> Vec<Diagnostic> {
    let Some(rc) = facts.text(".yarnrc.yml") else {
        return Vec::new();
    };
    let yarn_path = yarnrc_value(rc, "yarnPath");
    let named = yarn_path
        .iter()
        .map(|p| ("yarnPath", p.as_str()))
        .chain(yarn_plugins(rc).map(|p| ("plugin", p)));
    named
        .filter(|(_, path)| !path.is_empty() && super::context_path(path).is_none())
        .map(|(what, path)| {
            Diagnostic::new(
                at,
                format!(".yarnrc.yml's {what} `{path}` is outside the build context"),
                Some(
                    "only the build context reaches the build: commit the file under .yarn/ (`yarn set version` and `yarn plugin import` put it there)"
                        .to_string(),
                ),
            )
        })
        .collect()
}

// ---- node versions ------------------------------------------------------------------------------

/// The node major the app's own files ask for: `.nvmrc`, else `.node-version`, else the
/// `nodejs` line of asdf's `.tool-versions` (mise's `node`), else `engines.node` in
/// package.json, else the default. The first file that names a version decides, and a version it names that has no distroless image is an error naming that
/// file (not a silent fallback: the app said what it runs on).
fn app_version(
    facts: &Facts,
    package: Option<&serde_json::Value>,
    at: Span,
) -> Result<Version, Diagnostic> {
    for file in [".nvmrc", ".node-version", ".tool-versions"] {
        let Some(text) = facts.read_text(file, at)? else {
            continue;
        };
        let wish = match file {
            ".tool-versions" => tool_version(text, &["nodejs", "node"]).unwrap_or_default(),
            _ => version_line(text),
        };
        if wish.is_empty() {
            // An empty file says nothing; the next source may.
            continue;
        }
        let major = version_file_major(wish).ok_or_else(|| {
            Diagnostic::new(
                at,
                format!("{file} in the build context names `{wish}`, which is not a node version"),
                Some(format!(
                    "write a major such as {0}, or use `runtime: node@{0}`",
                    VERSIONS.default
                )),
            )
        })?;
        return VERSIONS.stated_version(&major.to_string(), file, at);
    }
    let engines = package
        .and_then(|p| p.get("engines"))
        .and_then(|e| e.get("node"));
    let Some(engines) = engines else {
        return Ok(Version::distroless(VERSIONS.default));
    };
    let range = match engines.as_str() {
        Some(range) => range.to_string(),
        None => engines.to_string(),
    };
    let sets = engines.as_str().and_then(parse_range).ok_or_else(|| {
        Diagnostic::new(
                at,
            format!("engines.node in package.json (`{range}`) is not a version range shallot understands"),
            Some("write a range such as \">=22\", \"^24\" or \"22.x\"".to_string()),
        )
    })?;
    let allows = |major: u64| sets.iter().any(|set| set.allows_major(major));
    // Newest first: a range open to several majors gets the newest with a distroless image,
    // else the newest LTS (even) major, else any, carried from its builder.
    let distroless = VERSIONS.known.iter().rev().copied();
    if let Some(v) = distroless
        .clone()
        .find(|v| allows(major_of(v).unwrap_or_default()))
    {
        return Ok(Version::distroless(v));
    }
    let oldest = VERSIONS.carried_from.and_then(major_of).unwrap_or_default();
    let carried = || (oldest..=NEWEST_CARRIED).rev().filter(|m| allows(*m));
    let major = carried().find(|m| m % 2 == 0).or_else(|| carried().next());
    major
        .and_then(|m| VERSIONS.pick(&m.to_string()))
        .ok_or_else(|| {
            Diagnostic::new(
                at,
                format!(
                    "engines.node in package.json (`{range}`) allows no node version from {oldest} on"
                ),
                Some(format!("allow {oldest} or newer, e.g. \">={}\"", VERSIONS.default)),
            )
        })
}

/// The major an `.nvmrc` / `.node-version` line means: `22`, `v22`, `22.3.0`, `22.x`;
/// `lts/*` (the default, an LTS line), `lts/<codename>`; `node`, `latest`, `stable` or
/// `current` (the newest with an image).
fn version_file_major(line: &str) -> Option<u64> {
    let lower = line.to_ascii_lowercase();
    match lower.as_str() {
        "lts/*" | "lts" | "lts/latest" => return major_of(VERSIONS.default),
        "node" | "latest" | "stable" | "current" => {
            return VERSIONS.known.last().and_then(|v| major_of(v));
        }
        _ => {}
    }
    if let Some(name) = lower.strip_prefix("lts/") {
        return LTS_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, major)| *major);
    }
    let partial = Partial::parse(&lower)?;
    partial.major
}

mod start;
#[cfg(test)]
mod tests;
