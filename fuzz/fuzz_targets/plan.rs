//! The whole way a build takes, from a spec and a build context to LLB bytes: `load` (the
//! frontend's and the CLI's one path: spec, recipe, context facts, `Plan::from_spec`), the
//! lints, then both stages' graphs, marshalled and decoded again.
//!
//! Input: one byte of options (target, spec file, epoch, two platforms), then sections separated by a 0 byte: the spec, the build args
//! (`NAME=value` lines), then context files. A file section starts with a byte that picks its
//! path from every recipe's probes, `.dockerignore` and a few paths specs name; past those,
//! the path is the section's first line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::context::Context;
use shallot::llb::{self, BuildEnv, SourceFile, Stage};
use shallot::load::{Loaded, load};
use shallot::plan::{Options, Platform, Target};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::pin;
use std::task::{Poll, Waker};

/// Paths specs name (entrypoints, start scripts, binaries) beside the probes.
const NAMED: &[&str] = &[
    "shallot.yaml",
    "server.js",
    "index.js",
    "app.py",
    "main.py",
    "server",
    "bin/app",
    "src/main.rs",
    "main.go",
];

/// A build context held in memory.
struct Files(BTreeMap<String, Vec<u8>>);

impl Context for Files {
    type Error = Infallible;

    async fn read_existing(
        &mut self,
        paths: &[&str],
        limit: usize,
    ) -> Result<BTreeMap<String, Vec<u8>>, Infallible> {
        Ok(paths
            .iter()
            .filter_map(|p| {
                let data = self.0.get(*p)?;
                Some((p.to_string(), data[..data.len().min(limit)].to_vec()))
            })
            .collect())
    }
}

fn paths() -> Vec<&'static str> {
    let mut paths = shallot::runtimes::all_probes();
    paths.push(".dockerignore");
    paths.extend(NAMED);
    paths
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut sections = rest.split(|b| *b == 0);
    let spec = String::from_utf8_lossy(sections.next().unwrap_or_default()).into_owned();
    let args = String::from_utf8_lossy(sections.next().unwrap_or_default()).into_owned();
    let paths = paths();
    let mut files = BTreeMap::new();
    for section in sections {
        let Some((&pick, contents)) = section.split_first() else {
            continue;
        };
        match paths.get(usize::from(pick)) {
            Some(path) => {
                files.insert(path.to_string(), contents.to_vec());
            }
            None => {
                let (path, contents) = match contents.iter().position(|b| *b == b'\n') {
                    Some(at) => (&contents[..at], &contents[at + 1..]),
                    None => (contents, &[][..]),
                };
                files.insert(
                    String::from_utf8_lossy(path).into_owned(),
                    contents.to_vec(),
                );
            }
        }
    }
    let options = Options {
        build_args: args
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        target: Target::ALL[usize::from(flags % 3)],
        spec_file: (flags & 4 != 0).then(|| "shallot.yaml".to_string()),
        ..Options::default()
    };
    let mut context = Files(files);
    // A multi-platform build plans each platform (the static recipe picks a binary per platform).
    let platforms = match flags & 16 {
        0 => Vec::new(),
        _ => vec![Platform::default(), Platform::new("linux", "arm64", "")],
    };
    let future = pin!(load(
        &mut context,
        std::future::ready(Ok::<_, Infallible>(spec.clone())),
        &options,
        &platforms,
    ));
    // Every read above is ready at once: one poll finishes the load.
    let Poll::Ready(loaded) = future.poll(&mut std::task::Context::from_waker(Waker::noop()))
    else {
        panic!("load waited on a context held in memory");
    };
    let Ok(Loaded {
        spec: parsed,
        recipe,
        plan,
        ..
    }) = loaded
    else {
        return;
    };
    let _ = shallot::lint::lint(&parsed, &plan, recipe);
    let _ = serde_json::to_string(&plan);
    let env = BuildEnv {
        session: Some("fuzz".to_string()),
        spec: Some(SourceFile {
            filename: "shallot.yaml".to_string(),
            data: spec.into_bytes(),
            language: "YAML".to_string(),
        }),
        context_name: "context".to_string(),
        epoch: (flags & 8 != 0).then_some(1_700_000_000),
        ..BuildEnv::default()
    };
    for stage in [Stage::Runtime, Stage::Builder] {
        let definition = llb::from_plan(&plan, &env, stage);
        let _ = definition.to_bytes();
        let _ = llb::ops_json(&definition);
    }
});
