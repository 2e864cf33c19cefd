//! The spec's bytes as the gateway and the CLI take them: decoded, parsed and validated, and
//! every problem rendered in both forms, so the snippet formatter sees hostile spans too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::spec::{self, Diagnostics};

const RUNTIMES: &[&str] = &["node", "python", "go", "rust", "java", "static"];
const PATH: &str = "shallot.yaml";

fn show(problems: &Diagnostics, src: &str) {
    assert!(!problems.0.is_empty(), "an error with no problem");
    let _ = problems.short(PATH);
    let _ = problems.render(src, PATH);
    let _ = problems.to_string();
}

fuzz_target!(|data: &[u8]| {
    match spec::decode(data) {
        // As the CLI does: an undecodable spec is shown against its lossy text.
        Err(problems) => show(&problems, &String::from_utf8_lossy(data)),
        Ok(text) => match spec::parse(&text, RUNTIMES) {
            Ok(spec) => {
                let _ = serde_json::to_string(&spec);
            }
            Err(problems) => show(&problems, &text),
        },
    }
});
