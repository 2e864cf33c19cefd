//! Go's `go.mod` (the directives shallot needs) and Go 1 version strings.

/// What shallot reads from go.mod.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GoMod {
    /// `module` path.
    pub module: Option<String>,
    /// The `go` line's version.
    pub go: Option<String>,
    /// `replace` directives whose target is a local directory.
    pub replaces: Vec<Replace>,
}

/// A `replace old [v] => ./dir`.
#[derive(Debug, PartialEq, Eq)]
pub struct Replace {
    /// The module replaced.
    pub module: String,
    /// The directory replacing it, as written.
    pub path: String,
    /// The 1-based line of go.mod it is written on.
    pub line: usize,
}

impl GoMod {
    /// Reads the directives the recipe needs; anything else (and anything malformed) is left
    /// to `go` itself, which reports it with its own words.
    pub fn parse(text: &str) -> GoMod {
        let mut go_mod = GoMod::default();
        let mut block: Option<String> = None;
        for (number, line) in text.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<String> = line
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '`').to_string())
                .collect();
            let (verb, args) = match &block {
                Some(_) if line == ")" => {
                    block = None;
                    continue;
                }
                Some(verb) => (verb.clone(), &words[..]),
                None => match words.split_first() {
                    Some((verb, rest)) if rest.first().is_some_and(|w| w == "(") => {
                        block = Some(verb.clone());
                        continue;
                    }
                    Some((verb, rest)) => (verb.clone(), rest),
                    None => continue,
                },
            };
            match (verb.as_str(), args) {
                ("module", [path, ..]) => go_mod.module = Some(path.clone()),
                ("go", [version, ..]) => go_mod.go = Some(version.clone()),
                ("replace", args) => {
                    let Some(arrow) = args.iter().position(|w| w == "=>") else {
                        continue;
                    };
                    let (Some(module), Some(path)) = (args.first(), args.get(arrow + 1)) else {
                        continue;
                    };
                    // A local path starts with ./ or ../ or is absolute; anything else is a
                    // module path, fetched like any dependency.
                    if path.starts_with("./")
                        || path.starts_with("../")
                        || path.starts_with('/')
                        || path == "."
                        || path == ".."
                    {
                        go_mod.replaces.push(Replace {
                            module: module.clone(),
                            path: path.clone(),
                            line: number + 1,
                        });
                    }
                }
                _ => {}
            }
        }
        go_mod
    }
}

/// The minor release of a Go 1 version (`1.22.3` → 22, `1.21rc1` → 21); `None` for anything
/// else.
pub fn minor_of(version: &str) -> Option<u32> {
    let rest = version.strip_prefix("1.")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = rest.get(digits.len()..).unwrap_or_default();
    let tail_ok = tail.is_empty()
        || tail
            .strip_prefix('.')
            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        || tail.starts_with("rc")
        || tail.starts_with("beta");
    if digits.is_empty() || !tail_ok {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minors_too_large_are_not_versions() {
        let huge = format!("1.{}", "9".repeat(400));
        for v in ["1.4294967296", "1.18446744073709551616.0", huge.as_str()] {
            assert_eq!(minor_of(v), None, "{v}");
        }
        assert_eq!(minor_of("1.4294967295"), Some(u32::MAX));
    }

    #[test]
    fn minor_versions_are_read() {
        assert_eq!(minor_of("1.22"), Some(22));
        assert_eq!(minor_of("1.22.3"), Some(22));
        assert_eq!(minor_of("1.21rc1"), Some(21));
        assert_eq!(minor_of("1.9"), Some(9));
        assert_eq!(minor_of("2.0"), None);
        assert_eq!(minor_of("1."), None);
        assert_eq!(minor_of("1.22."), None);
        assert_eq!(minor_of("1.22x"), None);
        assert_eq!(minor_of("latest"), None);
    }

    #[test]
    fn go_mod_directives_are_read() {
        let go_mod = GoMod::parse(
            r#"// a comment
module "example.com/app" // trailing

go 1.23.4
toolchain go1.24.1

require (
	example.com/a v1.0.0
	example.com/b v1.2.0 // indirect
)

replace example.com/a => ./third_party/a
replace (
	example.com/b v1.2.0 => ../outside/b
	example.com/c => example.com/fork/c v1.0.0
	example.com/d v0.1.0 => ./d/
)
"#,
        );
        assert_eq!(go_mod.module.as_deref(), Some("example.com/app"));
        assert_eq!(go_mod.go.as_deref(), Some("1.23.4"));
        let replaced: Vec<(&str, &str, usize)> = go_mod
            .replaces
            .iter()
            .map(|r| (r.module.as_str(), r.path.as_str(), r.line))
            .collect();
        assert_eq!(
            replaced,
            vec![
                ("example.com/a", "./third_party/a", 12),
                ("example.com/b", "../outside/b", 14),
                ("example.com/d", "./d/", 16),
            ]
        );
    }
}
