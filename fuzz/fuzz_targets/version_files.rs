//! The small files a version or a start command is read from, each a few lines:
//! rust-toolchain, .tool-versions, .python-version, runtime.txt, Java's version strings,
//! .yarnrc.yml, Procfile and next.config.js. Every reader gets the whole input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::{
    java_version, next_config, procfile, python_version, runtime_txt, rust_toolchain,
    tool_versions, yarnrc,
};

fuzz_target!(|text: &str| {
    let _ = rust_toolchain::toolchain_channel(text);
    let _ = tool_versions::tool_version(text, &["nodejs", "node", "python", "golang", "rust"]);
    for line in text.lines().take(8) {
        let _ = python_version::python_version(line);
    }
    let _ = python_version::python_version(text);
    let _ = runtime_txt::runtime_line(text);
    let _ = java_version::feature_release(text);
    let _ = yarnrc::yarnrc_value(text, "yarnPath");
    let _ = yarnrc::yarnrc_value(text, "nodeLinker");
    let _ = procfile::web_command(text);
    let _ = next_config::is_standalone(text);
});
