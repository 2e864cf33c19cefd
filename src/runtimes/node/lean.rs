//! What a node app's runtime image leaves out, and Next.js' standalone output.
//!
//! - **Native packages for another platform.** npm's platform packages
//!   (`@next/swc-linux-x64-musl`, `@esbuild/linux-arm64`, `@img/sharp-linuxmusl-x64`, …) say in
//!   their package.json which `os`, `cpu` and `libc` they run on. Package managers install
//!   more of them than run here (a lockfile made elsewhere, yarn classic ignoring `libc`,
//!   `ignore-platform`), and each can be tens of MB. After the build, a script run by the
//!   builder's own node (the builder may lack `find -delete` and friends) removes every package
//!   under `node_modules` whose `os`, `cpu` or `libc` does not fit. `os` and `cpu` are the
//!   builder's `process.platform` and `process.arch`: node's builder is not a cross-compiler,
//!   so it runs on the target platform (emulated when that is another one). `libc` is always
//!   `glibc`: the runtime image is distroless, which is glibc whatever the builder is.
//! - **Build caches.** `.next/cache` and `node_modules/.cache` (babel, eslint, webpack loaders)
//!   speed up the next build in the same directory; a container never builds again.
//! - **Next.js standalone output.** With `output: 'standalone'` in next.config, `next build`
//!   writes `.next/standalone`: a `server.js` and only the `node_modules` files the server
//!   traces. The runtime image then gets that tree as the app directory, with `.next/static`
//!   and `public` put where the server looks for them (Next.js leaves that copy to whoever
//!   writes the Dockerfile), and starts `server.js`.

use super::start::NodeStart;
use crate::formats::next_config::is_standalone;
use crate::plan::shell::quote;
use crate::plan::start::{Origin, StartPlan};
use crate::plan::{Facts, RecipeArtifact, Run, Source};
use crate::spec::{Diagnostic, Span, Spec};

/// The config files Next.js reads, in its own order of preference.
pub(super) const NEXT_CONFIGS: [&str; 4] = [
    "next.config.js",
    "next.config.mjs",
    "next.config.ts",
    "next.config.cjs",
];

/// Where `next build` writes the standalone server.
const STANDALONE: &str = ".next/standalone";

/// Build caches that have no use at run time.
const CACHES: [&str; 2] = [".next/cache", "node_modules/.cache"];

/// Removes build caches, then walks the `node_modules` directories given as arguments (plain,
/// scoped and pnpm's `.pnpm` store, nested `node_modules` included; symbolic links are not
/// followed) and removes each package whose package.json `os`, `cpu` or `libc` rules out this
/// platform, read as npm reads them (`"!win32"` excludes, `"any"` allows all). It prints what
/// it removes. One line, its strings in backticks: it is one single-quoted shell word and
/// a progress line.
const PRUNE_SCRIPT: &str = "const fs = require(`fs`), path = require(`path`); \
    for (const c of process.argv[1].split(`,`)) fs.rmSync(c, { recursive: true, force: true }); \
    const fits = (value, list) => { \
      if (typeof list === `string`) list = [list]; \
      if (!Array.isArray(list) || list.length === 0 || (list.length === 1 && list[0] === `any`)) return true; \
      let negated = 0, hit = false; \
      for (const e of list) { \
        if (e[0] === `!`) { negated++; if (e.slice(1) === value) return false; } else if (e === value) hit = true; \
      } \
      return hit || negated === list.length; \
    }; \
    const dirs = (d) => { try { return fs.readdirSync(d, { withFileTypes: true }) \
      .filter((e) => e.isDirectory()).map((e) => e.name); } catch { return []; } }; \
    const pkg = (d) => { \
      let m = {}; \
      try { m = JSON.parse(fs.readFileSync(path.join(d, `package.json`), `utf8`)); } catch {} \
      if (fits(process.platform, m.os) && fits(process.arch, m.cpu) && fits(`glibc`, m.libc)) \
        return walk(path.join(d, `node_modules`)); \
      fs.rmSync(d, { recursive: true, force: true }); \
      console.log(`removed ${d}: for ${[m.os, m.cpu, m.libc].flat().filter(Boolean).join(` `)}, \
    not ${process.platform} ${process.arch} glibc`); \
    }; \
    const walk = (nm) => { \
      for (const n of dirs(nm)) { \
        if (n === `.bin`) continue; \
        if (n === `.pnpm`) for (const s of dirs(path.join(nm, n))) walk(path.join(nm, n, s, `node_modules`)); \
        else if (n[0] === `@`) for (const s of dirs(path.join(nm, n))) pkg(path.join(nm, n, s)); \
        else pkg(path.join(nm, n)); \
      } \
    }; \
    for (const nm of process.argv.slice(2)) walk(nm);";

/// The next.config that enables standalone output, if any.
pub(super) fn standalone_config(facts: &Facts) -> Option<&'static str> {
    NEXT_CONFIGS
        .into_iter()
        .find(|file| facts.text(file).is_some_and(is_standalone))
}

/// The start command of a standalone app: Next.js' `server.js`. An `entrypoint` naming
/// another script is an error, because the standalone tree holds only what `server.js` needs.
pub(super) fn standalone_start(spec: &Spec, config: &str) -> Result<NodeStart, Diagnostic> {
    match &spec.entrypoint {
        Some(e) if e.value.trim().trim_start_matches("./") != "server.js" => Err(Diagnostic::new(
            e.span,
            format!(
                "{config} sets `output: 'standalone'`, so the image holds only the server Next.js writes to {STANDALONE}, and `{}` is not part of it",
                e.value
            ),
            Some(format!(
                "remove `entrypoint` (the standalone server is `server.js`), or remove `output: 'standalone'` from {config} to ship the whole app"
            )),
        )),
        // The build checks that `next build` wrote it ([`complete_standalone`]).
        _ => Ok(NodeStart {
            cmd: vec!["server.js".to_string()],
            plan: StartPlan::new(
                Origin::BuildOutput(format!("{STANDALONE}/server.js")),
                "server.js".to_string(),
                None,
            ),
        }),
    }
}

/// The builder's last runs: the standalone tree completed (for a standalone app), then the
/// caches and foreign native packages removed.
pub(super) fn finish(at: Span, standalone: bool) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut node_modules = vec!["node_modules".to_string()];
    if standalone {
        runs.push(Run::at(complete_standalone(), Vec::new(), at));
        node_modules.push(format!("{STANDALONE}/node_modules"));
    }
    let prune = format!(
        "node -e {} {} {}",
        quote(PRUNE_SCRIPT),
        CACHES.join(","),
        node_modules.join(" ")
    );
    let label = format!("{LABEL} {} {}", CACHES.join(","), node_modules.join(" "));
    runs.push(Run::at(prune, Vec::new(), at).labelled(label));
    runs
}

/// How the progress output shows the pruning script, which is too long to read on one line.
pub(crate) const LABEL: &str = "node -e <remove build caches and packages for other platforms>";

/// Puts `.next/static` and `public` into the standalone tree, where its `server.js` serves
/// them from; fails with the reason when the build made no standalone server.
fn complete_standalone() -> String {
    format!(
        "if [ ! -f {STANDALONE}/server.js ]; then echo \"next.config sets output: 'standalone', \
         but the build wrote no {STANDALONE}/server.js: run next build in the spec's build \
         (e.g. npm run build)\" >&2; exit 1; fi \
         && mkdir -p {STANDALONE}/.next \
         && if [ -d .next/static ]; then cp -R .next/static {STANDALONE}/.next/static; fi \
         && if [ -d public ]; then cp -R public {STANDALONE}/public; fi"
    )
}

/// What the runtime image receives: the standalone tree as the app directory, or the whole
/// workdir.
pub(super) fn artifacts(standalone: bool) -> Vec<RecipeArtifact> {
    if standalone {
        vec![RecipeArtifact {
            from: Source::Builder(STANDALONE.to_string()),
            to: ".".to_string(),
            directory: true,
            mode: None,
        }]
    } else {
        vec![RecipeArtifact::workdir()]
    }
}

/// Environment a standalone server needs: it listens on `HOSTNAME`, which Docker sets to the
/// container's id, so it would not answer on the published port.
pub(super) fn env(standalone: bool) -> Vec<(String, String)> {
    if standalone {
        vec![("HOSTNAME".to_string(), "0.0.0.0".to_string())]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
