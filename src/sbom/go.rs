//! Go's `go.mod`: the main module's `require` lines, as `replace` directives change them.
//!
//! Every required module is listed, `// indirect` ones too, each noted as such: since Go 1.17
//! go.mod lists every module that provides a package to the build (the indirect ones are
//! those the main module does not import itself), and without the binary's build info shallot
//! cannot tell which of them end up linked. A module replaced by a local directory keeps its
//! required version and is noted as local; one replaced by another module is listed as that
//! module, at its version, since that is what is compiled in.

use super::{Ecosystem, Found, Package, SbomError};

/// A `replace` directive: what it replaces (any version, or one) and with what.
#[derive(Debug)]
struct Replace {
    module: String,
    version: Option<String>,
    with: String,
    with_version: Option<String>,
}

/// A `require` line.
#[derive(Debug)]
struct Require {
    module: String,
    version: String,
    indirect: bool,
}

/// Reads go.mod's requirements.
pub fn go_mod(file: &str, text: &str) -> Result<Found, SbomError> {
    let (requires, replaces) = parse(file, text)?;
    let mut found = Found::default();
    for require in requires {
        let replace = replaces.iter().find(|r| {
            r.module == require.module && r.version.as_ref().is_none_or(|v| *v == require.version)
        });
        let mut package = match replace {
            Some(r) if r.with_version.is_none() => {
                Package::new(Ecosystem::Golang, &require.module, Some(&require.version))
                    .noted(format!("replaced by the local directory {}", r.with))
            }
            Some(r) => Package::new(Ecosystem::Golang, &r.with, r.with_version.as_deref())
                .noted(format!("replaces {} {}", require.module, require.version)),
            None => Package::new(Ecosystem::Golang, &require.module, Some(&require.version)),
        };
        if require.indirect {
            let note = package.note.take();
            let indirect = "indirect requirement (`// indirect` in go.mod)";
            package.note = Some(match note {
                Some(n) => format!("{n}; {indirect}"),
                None => indirect.to_string(),
            });
        }
        found.packages.push(package);
    }
    Ok(found)
}

/// The `require` and `replace` directives, single or in blocks.
fn parse(file: &str, text: &str) -> Result<(Vec<Require>, Vec<Replace>), SbomError> {
    let mut requires = Vec::new();
    let mut replaces = Vec::new();
    let mut block: Option<&str> = None;
    for (number, raw) in text.lines().enumerate() {
        let (code, comment) = raw.split_once("//").unwrap_or((raw, ""));
        let words: Vec<&str> = code.split_whitespace().collect();
        let (verb, args) = match (block, words.as_slice()) {
            (_, []) => continue,
            (Some(_), [")"]) => {
                block = None;
                continue;
            }
            (Some(verb), args) => (verb, args),
            (None, [verb, "("]) => {
                block = Some(verb);
                continue;
            }
            (None, [verb, args @ ..]) => (*verb, args),
        };
        let bad = |why: &str| SbomError::at(file, number + 1, why.to_string());
        let unquote = |w: &str| w.trim_matches(|c| c == '"' || c == '`').to_string();
        match verb {
            "require" => {
                let [module, version] = args else {
                    return Err(bad("expected `require <module> <version>`"));
                };
                requires.push(Require {
                    module: unquote(module),
                    version: unquote(version),
                    indirect: comment.trim() == "indirect" || comment.contains("indirect;"),
                });
            }
            "replace" => {
                let (old, new) = match args.iter().position(|w| *w == "=>") {
                    Some(arrow) => (args.get(..arrow), args.get(arrow + 1..)),
                    None => (None, None),
                };
                let (Some([module, old_version @ ..]), Some([with, new_version @ ..])) = (old, new)
                else {
                    return Err(bad("expected `replace <module> [version] => <target>`"));
                };
                replaces.push(Replace {
                    module: unquote(module),
                    version: old_version.first().map(|v| unquote(v)),
                    with: unquote(with),
                    with_version: new_version.first().map(|v| unquote(v)),
                });
            }
            _ => {}
        }
    }
    Ok((requires, replaces))
}

/// The app as go.mod describes it: the main module's path (a module has no version of its
/// own until it is tagged).
pub fn describe(text: &str) -> Option<Package> {
    let module = crate::formats::go_mod::GoMod::parse(text).module?;
    Some(Package::new(Ecosystem::Golang, &module, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_with_indirect_and_replacements() {
        let text = "module example.com/app\n\ngo 1.22\n\n\
            require github.com/a/b v1.2.3\n\
            require (\n\tgolang.org/x/sys v0.20.0 // indirect\n\texample.com/local v0.0.0\n\
            \texample.com/forked v1.0.0\n)\n\n\
            replace example.com/local => ./local\n\
            replace example.com/forked v1.0.0 => github.com/me/forked v1.0.1\n";
        let found = go_mod("go.mod", text).unwrap_or_default();
        let listed: Vec<String> = found
            .packages
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    p.name,
                    p.version.as_deref().unwrap_or("-"),
                    p.note.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                "github.com/a/b v1.2.3 -",
                "golang.org/x/sys v0.20.0 indirect requirement (`// indirect` in go.mod)",
                "example.com/local v0.0.0 replaced by the local directory ./local",
                "github.com/me/forked v1.0.1 replaces example.com/forked v1.0.0",
            ]
        );
        assert_eq!(
            describe(text).map(|p| p.purl()),
            Some("pkg:golang/example.com/app".to_string())
        );
    }

    #[test]
    fn a_broken_require_is_an_error_at_its_line() {
        let e = go_mod("go.mod", "module m\nrequire (\n\tonly-a-path\n)\n");
        assert_eq!(
            e.map(|_| ()).unwrap_err().to_string(),
            "go.mod:3: expected `require <module> <version>`"
        );
    }
}
