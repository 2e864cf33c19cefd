//! Gradle: a build file, settings' project name and gradle.properties' version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::gradle::{BuildFile, properties_version, settings_name};

fuzz_target!(|text: &str| {
    let _ = BuildFile::read(text);
    let _ = settings_name(text);
    let _ = properties_version(text);
});
