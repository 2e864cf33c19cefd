//! Lockfiles of Python package managers (`uv.lock`, `poetry.lock`), read line by line for the
//! local sources they install from.

/// Local paths in a `uv.lock` with their 1-based line numbers, in file order:
/// `source = { path = "…" }`, `{ directory = "…" }` and `{ editable = "…" }`.
pub fn uv_local_paths(text: &str) -> Vec<(usize, &str)> {
    let mut paths = Vec::new();
    for (number, line) in text.lines().map(str::trim).enumerate() {
        let Some(source) = line.strip_prefix("source = {") else {
            continue;
        };
        for key in ["path", "directory", "editable"] {
            let path = quoted_after(source, &format!("{key} = "));
            paths.extend(path.map(|p| (number + 1, p)));
        }
    }
    paths
}

/// Local paths in a `poetry.lock` with their 1-based line numbers, in file order: the `url`
/// of `[package.source]` tables of type `file` or `directory`.
pub fn poetry_local_paths(text: &str) -> Vec<(usize, &str)> {
    let mut paths = Vec::new();
    let mut local = false;
    for (number, line) in text.lines().map(str::trim).enumerate() {
        if line.starts_with('[') {
            local = false;
        } else if let Some(kind) = quoted_after(line, "type = ") {
            local = kind == "file" || kind == "directory";
        } else if local {
            let url = quoted_after(line, "url = ");
            paths.extend(url.map(|p| (number + 1, p)));
        }
    }
    paths
}

/// The double-quoted string right after `key` in `line`.
fn quoted_after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(key)?;
    let rest = line.get(at + key.len()..)?.strip_prefix('"')?;
    rest.split('"').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uv_sources() {
        let lock = "[[package]]\nname = \"app\"\nsource = { editable = \".\" }\n\n\
            [[package]]\nname = \"a\"\nsource = { path = \"vendor/a.whl\" }\n\n\
            [[package]]\nname = \"b\"\nsource = { directory = \"libs/b\" }\n\n\
            [[package]]\nname = \"c\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        assert_eq!(
            uv_local_paths(lock),
            vec![(3, "."), (7, "vendor/a.whl"), (11, "libs/b")]
        );
    }

    #[test]
    fn poetry_sources() {
        let lock = "[[package]]\nname = \"a\"\n\n[package.source]\ntype = \"directory\"\n\
            url = \"libs/a\"\n\n[[package]]\nname = \"b\"\n\n[package.source]\n\
            type = \"legacy\"\nurl = \"https://example.com/simple\"\n\n[[package]]\n\
            name = \"c\"\nurl = \"not/a/source\"\n\n[package.source]\ntype = \"file\"\n\
            url = \"vendor/c.tar.gz\"\n";
        assert_eq!(
            poetry_local_paths(lock),
            vec![(6, "libs/a"), (21, "vendor/c.tar.gz")]
        );
    }
}
