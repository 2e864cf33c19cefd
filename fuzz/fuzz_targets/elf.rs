//! The ELF header and program headers of a prebuilt binary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::elf::Elf;

fuzz_target!(|bytes: &[u8]| {
    let _ = Elf::parse(bytes);
});
