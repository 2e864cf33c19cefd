//! Lockfiles of Python package managers (`uv.lock`, `poetry.lock`), read line by line for the
//! local sources they install from.

/// Local paths in a `uv.lock`, in file order: `source = { path = "…" }`,
/// `{ directory = "…" }` and `{ editable = "…" }`.
pub fn uv_local_paths(text: &str) -> Vec<&str> {
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some(source) = line.strip_prefix("source = {") else {
            continue;
        };
        for key in ["path", "directory", "editable"] {
            paths.extend(quoted_after(source, &format!("{key} = ")));
        }
    }
    paths
}

/// Local paths in a `poetry.lock`, in file order: the `url` of `[package.source]` tables of
/// type `file` or `directory`.
pub fn poetry_local_paths(text: &str) -> Vec<&str> {
    let mut paths = Vec::new();
    let mut local = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            local = false;
        } else if let Some(kind) = quoted_after(line, "type = ") {
            local = kind == "file" || kind == "directory";
        } else if local {
            paths.extend(quoted_after(line, "url = "));
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
        assert_eq!(uv_local_paths(lock), vec![".", "vendor/a.whl", "libs/b"]);
    }

    #[test]
    fn poetry_sources() {
        let lock = "[[package]]\nname = \"a\"\n\n[package.source]\ntype = \"directory\"\n\
            url = \"libs/a\"\n\n[[package]]\nname = \"b\"\n\n[package.source]\n\
            type = \"legacy\"\nurl = \"https://example.com/simple\"\n\n[[package]]\n\
            name = \"c\"\nurl = \"not/a/source\"\n\n[package.source]\ntype = \"file\"\n\
            url = \"vendor/c.tar.gz\"\n";
        assert_eq!(poetry_local_paths(lock), vec!["libs/a", "vendor/c.tar.gz"]);
    }
}
