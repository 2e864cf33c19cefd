//! npm version syntax as `engines.node` and `packageManager` write it: ranges, partial and
//! exact versions, and whether a range allows the majors shallot chooses from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::npm_range::{Partial, is_exact_version, parse_range};

fuzz_target!(|text: &str| {
    let _ = Partial::parse(text);
    let _ = is_exact_version(text);
    if let Some(intervals) = parse_range(text) {
        for interval in intervals {
            for major in [0, 1, 18, 22, 24, 26, (1 << 53) - 1, u64::MAX] {
                let _ = interval.allows_major(major);
            }
        }
    }
});
