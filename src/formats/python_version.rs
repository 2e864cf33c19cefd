//! Python version strings as `.python-version` files (pyenv, uv) write them.

/// The version a `.python-version` line pins: `X.Y.Z` for a release (`3.13.5`,
/// `cpython@3.13.1`), `X.Y` for a minor (`3.13`, `cpython-3.13`, `python3.13`) or a pre-release
/// of one (`3.14.0rc1`, which has no image of its own), a bare `X`. `None` for anything else
/// (e.g. `pypy3.10`, `system`).
pub fn python_version(line: &str) -> Option<String> {
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
            let rest: Vec<&str> = parts.collect();
            if !rest
                .iter()
                .all(|p| p.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                return None;
            }
            Some(match rest.as_slice() {
                [patch] if is_number(patch) => format!("{major}.{minor}.{patch}"),
                _ => format!("{major}.{minor}"),
            })
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
            ("3.13.5", Some("3.13.5")),
            ("3.14.0rc1", Some("3.14")),
            ("cpython-3.13", Some("3.13")),
            ("cpython@3.13.1", Some("3.13.1")),
            ("cpython-3.13.1-linux-x86_64-gnu", Some("3.13.1")),
            ("python3.12", Some("3.12")),
            ("3", Some("3")),
            ("3.13t", None),
            ("pypy3.10", None),
            ("system", None),
            ("", None),
        ] {
            assert_eq!(python_version(line).as_deref(), expected, "{line:?}");
        }
    }
}
