//! Heroku's `runtime.txt`: one line naming the language and its version, `python-3.11` or
//! `python-3.11.9`.

/// The language and version in a `runtime.txt`: `("python", "3.11.9")` for `python-3.11.9`.
/// The first line that is neither blank nor a `#` comment counts (as the buildpack reads it),
/// without a BOM; `None` when there is none or it has no `-` between a name and a version.
pub fn runtime_line(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let (name, version) = line.split_once('-')?;
    let valid = !name.is_empty() && !version.is_empty();
    valid.then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_lines_as_heroku_writes_them() {
        for (text, expected) in [
            ("python-3.11", Some(("python", "3.11"))),
            ("python-3.11.9\n", Some(("python", "3.11.9"))),
            (
                "\u{feff}\n# pinned\n  python-3.13.1  \r\n",
                Some(("python", "3.13.1")),
            ),
            ("pypy3.10-7.3.17", Some(("pypy3.10", "7.3.17"))),
            ("3.11", None),
            ("python-", None),
            ("", None),
            ("# only a comment\n", None),
        ] {
            assert_eq!(runtime_line(text), expected, "{text:?}");
        }
    }
}
