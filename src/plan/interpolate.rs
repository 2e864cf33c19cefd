//! Build args in the spec: `${NAME}` in `env`, `labels`, `args` and `build` becomes the value
//! passed with `--build-arg NAME=VALUE`.

use crate::spec::{Diagnostic, Located, Spec};
use std::collections::BTreeMap;

/// The most the interpolated values may hold in all, in bytes. A spec is at most 256 KiB, but a
/// build arg used many times could otherwise make gigabytes of image config from it.
pub const MAX_INTERPOLATED_BYTES: usize = 1 << 20;

/// The spec with `${NAME}` replaced by build args in `env`, `labels`, `args` and `build`.
/// A `${NAME}` whose build arg is not passed stays as written (a shell in `build` may still
/// expand it). Values are put in once, as written: a `${…}` inside a build arg's value stays.
/// `Err` at the first value that takes the total past [`MAX_INTERPOLATED_BYTES`].
pub(super) fn interpolate(
    spec: &Spec,
    args: &BTreeMap<String, String>,
) -> Result<Spec, Diagnostic> {
    let mut spec = spec.clone();
    let mut left = MAX_INTERPOLATED_BYTES;
    let mut put = |what: String, value: &mut Located<String>| {
        let text = substitute(&value.value, args, left).ok_or_else(|| too_large(&what, value))?;
        left -= text.len();
        value.value = text;
        Ok::<(), Diagnostic>(())
    };
    for (name, value) in spec.env.iter_mut() {
        put(format!("env `{name}`"), value)?;
    }
    for (name, value) in spec.labels.iter_mut() {
        put(format!("labels `{name}`"), value)?;
    }
    for (i, value) in spec.args.iter_mut().enumerate() {
        put(format!("args[{i}]"), value)?;
    }
    for (i, value) in spec.build.iter_mut().enumerate() {
        put(format!("build[{i}]"), value)?;
    }
    Ok(spec)
}

/// `text` with each `${NAME}` of a passed build arg replaced, in one pass; `None` if the result
/// would be longer than `budget` bytes.
fn substitute(text: &str, args: &BTreeMap<String, String>, budget: usize) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let arg = after
            .find('}')
            .and_then(|end| Some((args.get(&after[..end])?, end)));
        match arg {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
        if out.len() > budget {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= budget).then_some(out)
}

fn too_large(what: &str, value: &Located<String>) -> Diagnostic {
    Diagnostic::new(
        value.span,
        format!(
            "with the build args put in, the spec's values pass {} MiB at {}",
            MAX_INTERPOLATED_BYTES >> 20,
            crate::spec::safe(what)
        ),
        Some("pass shorter build args, or use each one less often".to_string()),
    )
}

/// The `${NAME}` references in `text`, for the outline of build args.
pub fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let name = &rest[..end];
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid && seen.insert(name) {
            names.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_put_in_once_not_expanded_again() {
        let args = args(&[("A", "${B}${B}"), ("B", "x")]);
        assert_eq!(
            substitute("${A}-${B}-${C}-${", &args, 100).as_deref(),
            Some("${B}${B}-x-${C}-${")
        );
    }

    #[test]
    fn the_budget_stops_an_amplifying_arg_early() {
        let big = "x".repeat(1000);
        let args = args(&[("X", &big)]);
        let text = "${X}".repeat(10_000);
        assert_eq!(substitute(&text, &args, 5_000), None);
        assert_eq!(
            substitute("${X}${X}", &args, 2_000).map(|s| s.len()),
            Some(2_000)
        );
    }
}
