//! Image references from build args and named contexts, and the hint for a bad one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::image_ref::parse;

fuzz_target!(|text: &str| {
    if let Err(e) = parse(text) {
        let _ = e.to_string();
        let _ = e.hint(text);
    }
    let _ = shallot::llb::normalize_image(text);
});
