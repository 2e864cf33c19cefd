//! uv.lock and poetry.lock: the local paths they install from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::python_lock::{poetry_local_paths, uv_local_paths};

fuzz_target!(|text: &str| {
    let _ = uv_local_paths(text);
    let _ = poetry_local_paths(text);
});
