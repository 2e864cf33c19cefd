//! `.dockerignore`, normalized, then matched against paths drawn from its own lines (so the
//! globs meet paths they nearly match) and a few every context has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::plan::{dockerignore_patterns, is_excluded, literal_pattern};
use shallot::runtimes::inside_context;

const PATHS: &[&str] = &[
    "package.json",
    "src/main.rs",
    ".env",
    "a/b/c",
    "node_modules/x/y",
];

fuzz_target!(|text: &str| {
    let patterns = dockerignore_patterns(text);
    for path in text.lines().take(16).chain(PATHS.iter().copied()) {
        let _ = is_excluded(&patterns, path);
        // A context path's own literal pattern excludes it (the spec file is left out so).
        if let Some(path) = inside_context(path) {
            let literal = literal_pattern(&path);
            assert!(
                is_excluded(&[literal], &path),
                "{path:?} not excluded by itself"
            );
        }
    }
});
