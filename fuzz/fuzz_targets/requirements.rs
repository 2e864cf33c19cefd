//! requirements.txt: the local paths it installs from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::requirements::{decode, local_paths};

fuzz_target!(|text: &str| {
    let _ = local_paths(text);
    let _ = local_paths(&decode(text.as_bytes()));
});
