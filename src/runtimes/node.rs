//! Node.js: npm in the official Debian node image, run on distroless node.
//!
//! Builder: `package.json`, the lockfile and any local `file:` packages are copied first and
//! installed on a cache mount for npm's cache, so a source-only change keeps the install step
//! cached. Without `build` commands only production dependencies are installed; with them the
//! full tree is installed for the build and pruned to production dependencies afterwards.
//! Runtime: distroless node, whose entrypoint is already `/nodejs/bin/node`, so the command is
//! just the script (repeating `node` there is a classic distroless mistake).

use super::Recipe;
use crate::plan::{
    Cache, Entrypoint, RecipeArtifact, RecipeBuilder, RecipeInput, RecipePlan, Run, Step, error_at,
};
use crate::spec::{Diagnostic, Diagnostics};

/// The node recipe.
pub const NODE: Recipe = Recipe {
    name: "node",
    probes: &[
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        ".npmrc",
    ],
    spec_probes: super::no_spec_probes,
    plan,
};

/// Node majors that have a distroless image (even majors in support).
const VERSIONS: [&str; 3] = ["22", "24", "26"];
const DEFAULT_VERSION: &str = "24";

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let spec = input.spec;
    let facts = input.facts;
    let mut problems = Vec::new();

    let version = match &spec.runtime_version {
        None => DEFAULT_VERSION.to_string(),
        Some(v) if VERSIONS.contains(&v.value.as_str()) => v.value.clone(),
        Some(v) => {
            problems.push(error_at(
                v,
                format!("node {} has no distroless image", v.value),
                Some(format!("use one of: {}", VERSIONS.join(", "))),
            ));
            DEFAULT_VERSION.to_string()
        }
    };

    let package = match facts.text("package.json") {
        None if facts.has("package.json") => {
            problems.push(error_at(
                &spec.runtime,
                "package.json in the build context is not UTF-8 text".to_string(),
                None,
            ));
            None
        }
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => Some(value),
            Err(e) => {
                problems.push(error_at(
                    &spec.runtime,
                    format!(
                        "package.json in the build context is not valid JSON: {} at line {}, column {}",
                        strip_position(&e.to_string()),
                        e.line(),
                        e.column()
                    ),
                    None,
                ));
                None
            }
        },
    };

    let entrypoint = match &spec.entrypoint {
        Some(e) => e.value.clone(),
        None => {
            let main = package
                .as_ref()
                .and_then(|p| p.get("main"))
                .and_then(|m| m.as_str());
            problems.push(Diagnostic {
                span: spec.runtime.span,
                message: "runtime `node` needs `entrypoint`, the script that starts the app"
                    .to_string(),
                hint: Some(format!("add `entrypoint: {}`", main.unwrap_or("server.js"))),
            });
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }

    let mut steps = Vec::new();
    if let Some(package) = &package {
        let lockfile = ["package-lock.json", "npm-shrinkwrap.json"]
            .into_iter()
            .find(|f| facts.has(f));
        let mut manifests = vec!["package.json".to_string()];
        manifests.extend(lockfile.map(str::to_string));
        if facts.has(".npmrc") {
            manifests.push(".npmrc".to_string());
        }
        manifests.extend(local_packages(package));
        steps.push(Step::CopyFiles { paths: manifests });

        let install = if lockfile.is_some() {
            "npm ci"
        } else {
            "npm install"
        };
        let command = if spec.build.is_empty() {
            format!("{install} --omit=dev")
        } else {
            install.to_string()
        };
        steps.push(Step::Run(Run {
            command,
            caches: vec![npm_cache()],
            span: Some(spec.runtime.span),
        }));
    }
    steps.push(Step::CopySource);
    for command in &spec.build {
        steps.push(Step::Run(Run {
            command: command.value.clone(),
            caches: vec![npm_cache()],
            span: Some(command.span),
        }));
    }
    if package.is_some() && !spec.build.is_empty() {
        // The build may need devDependencies; the runtime image must not carry them.
        steps.push(Step::Run(Run {
            command: "npm prune --omit=dev".to_string(),
            caches: vec![npm_cache()],
            span: Some(spec.runtime.span),
        }));
    }

    if facts.has(".npmrc") {
        // npm's config may hold registry tokens: it was needed to install, not to run.
        steps.push(Step::Run(Run {
            command: "rm -f .npmrc".to_string(),
            caches: vec![],
            span: Some(spec.runtime.span),
        }));
    }

    Ok(RecipePlan {
        builder: Some(RecipeBuilder {
            image: format!("node:{version}-trixie-slim"),
            env: vec![
                // npm would otherwise try the registry for audits, funding notes and updates.
                ("NPM_CONFIG_AUDIT".to_string(), "false".to_string()),
                ("NPM_CONFIG_FUND".to_string(), "false".to_string()),
                (
                    "NPM_CONFIG_UPDATE_NOTIFIER".to_string(),
                    "false".to_string(),
                ),
            ],
            steps,
        }),
        runtime_image: format!("gcr.io/distroless/nodejs{version}-debian13:nonroot"),
        runtime_note: None,
        artifacts: vec![RecipeArtifact::workdir()],
        entrypoint: Entrypoint::Inherit {
            fallback: vec!["/nodejs/bin/node".to_string()],
        },
        cmd: vec![entrypoint],
        env: vec![("NODE_ENV".to_string(), "production".to_string())],
        exclude: vec!["node_modules".to_string()],
    })
}

fn npm_cache() -> Cache {
    Cache {
        target: "/root/.npm".to_string(),
        id: "shallot-npm".to_string(),
        locked: false,
    }
}

/// Local packages (`file:` / `link:` dependencies inside the context): npm needs them to
/// install, so they are copied with the manifests.
fn local_packages(package: &serde_json::Value) -> Vec<String> {
    let mut paths = Vec::new();
    for section in [
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
    ] {
        let Some(deps) = package.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        for spec in deps.values().filter_map(|v| v.as_str()) {
            let path = spec
                .strip_prefix("file:")
                .or_else(|| spec.strip_prefix("link:"))
                .or_else(|| spec.starts_with("./").then_some(spec));
            if let Some(path) = path.and_then(inside_context) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    paths.sort();
    paths
}

/// A relative path normalized, if it stays inside the context.
fn inside_context(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if path.starts_with('/') || path.starts_with('~') {
        return None;
    }
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// serde_json's message without its trailing " at line X column Y".
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_packages_are_found_and_normalized() {
        let package = serde_json::json!({
            "dependencies": {"a": "file:packages/a", "b": "^1.0.0", "c": "link:./packages/c/"},
            "devDependencies": {"d": "file:../outside", "e": "file:packages/a", "f": "./vendor/f.tgz"}
        });
        assert_eq!(
            local_packages(&package),
            vec!["packages/a", "packages/c", "vendor/f.tgz"]
        );
    }

    #[test]
    fn paths_outside_the_context_are_refused() {
        assert_eq!(inside_context("../x"), None);
        assert_eq!(inside_context("/abs"), None);
        assert_eq!(inside_context("a/../b"), Some("b".to_string()));
        assert_eq!(inside_context("a/./b/"), Some("a/b".to_string()));
    }
}
