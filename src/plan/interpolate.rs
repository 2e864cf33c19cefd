//! Build args in the spec: `${NAME}` in `env`, `labels`, `args` and `build` becomes the value
//! passed with `--build-arg NAME=VALUE`.

use crate::spec::Spec;
use std::collections::BTreeMap;

/// The spec with `${NAME}` replaced by build args in `env`, `labels`, `args` and `build`.
/// A `${NAME}` whose build arg is not passed stays as written (a shell in `build` may still
/// expand it).
pub(super) fn interpolate(spec: &Spec, args: &BTreeMap<String, String>) -> Spec {
    let replace = |text: &mut String| {
        for (name, value) in args {
            let pattern = format!("${{{name}}}");
            if text.contains(&pattern) {
                *text = text.replace(&pattern, value);
            }
        }
    };
    let mut spec = spec.clone();
    spec.env.values_mut().for_each(|v| replace(&mut v.value));
    spec.labels.values_mut().for_each(|v| replace(&mut v.value));
    spec.args.iter_mut().for_each(|v| replace(&mut v.value));
    spec.build.iter_mut().for_each(|v| replace(&mut v.value));
    spec
}

/// The `${NAME}` references in `text`, for the outline of build args.
pub fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let name = &rest[..end];
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    names
}
