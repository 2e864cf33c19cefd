//! go.mod: module, `go` line and local replaces, and the Go version's minor release.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::go_mod::{GoMod, minor_of};

fuzz_target!(|text: &str| {
    let go_mod = GoMod::parse(text);
    if let Some(go) = &go_mod.go {
        let _ = minor_of(go);
    }
    let _ = minor_of(text);
});
