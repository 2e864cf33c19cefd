//! Python version strings as `.python-version` files (pyenv, uv) write them.

/// `X.Y` (or a bare `X`) from a `.python-version` line: `3.13`, `3.13.5`, `cpython-3.13`,
/// `cpython@3.13.1`, `python3.13`. `None` for anything else (e.g. `pypy3.10`, `system`).
pub fn minor_version(line: &str) -> Option<String> {
    let v = line
        .strip_prefix("cpython-")
        .or_else(|| line.strip_prefix("cpython@"))
        .or_else(|| line.strip_prefix("python"))
        .unwrap_or(line);
    // uv's forms may carry a platform after the version: `cpython-3.13.1-linux-x86_64-gnu`.
    let v = v.split('-').next().unwrap_or(v);
    let mut parts = v.split('.');
    let major = parts.next().filter(|p| is_number(p))?;
    match parts.next() {
        None => Some(major.to_string()),
        Some(minor) => {
            // A free-threaded (`3.13t`) build is another ABI: not the distroless interpreter.
            if !is_number(minor) {
                return None;
            }
            let patch_ok = parts.all(|p| p.chars().all(|c| c.is_ascii_alphanumeric()));
            patch_ok.then(|| format!("{major}.{minor}"))
        }
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_version_spellings() {
        for (line, expected) in [
            ("3.13", Some("3.13")),
            ("3.13.5", Some("3.13")),
            ("cpython-3.13", Some("3.13")),
            ("cpython@3.13.1", Some("3.13")),
            ("cpython-3.13.1-linux-x86_64-gnu", Some("3.13")),
            ("python3.12", Some("3.12")),
            ("3", Some("3")),
            ("3.13t", None),
            ("pypy3.10", None),
            ("system", None),
            ("", None),
        ] {
            assert_eq!(minor_version(line).as_deref(), expected, "{line:?}");
        }
    }
}
