//! pip's `requirements.txt`: the local paths a file names (included requirement and
//! constraint files, `--find-links` directories, editable and plain local requirements).

/// Paths as written, in file order: `-r`/`-c`/`-e`/`-f` values (also `--requirement=x`,
/// `-rx`) and requirements that are paths rather than names (`./pkg`, `vendor/x.whl`), with
/// extras and markers cut off. URLs are left out. Only this file is read: paths named by
/// included files are not followed.
pub fn local_paths(text: &str) -> Vec<&str> {
    let mut paths = Vec::new();
    for line in text.lines() {
        // pip's comments: a `#` at the start or after whitespace.
        let line = match line
            .find(" #")
            .or_else(|| line.starts_with('#').then_some(0))
        {
            Some(at) => &line[..at],
            None => line,
        };
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        let path = if let Some((option, value)) = first.split_once('=') {
            is_path_option(option).then_some(value)
        } else if is_path_option(first) {
            words.next()
        } else if let Some(rest) = ["-r", "-c", "-e", "-f"]
            .iter()
            .find_map(|o| first.strip_prefix(o).filter(|r| !r.is_empty()))
        {
            Some(rest)
        } else if first.starts_with('-') {
            None
        } else {
            // A requirement; local when it is a path rather than a name or URL.
            let req = first.split(['[', ';']).next().unwrap_or(first);
            let local = !req.contains("://")
                && (req.starts_with('.')
                    || req.contains('/')
                    || req.ends_with(".whl")
                    || req.ends_with(".tar.gz")
                    || req.ends_with(".zip"));
            local.then_some(req)
        };
        paths.extend(path.filter(|p| !p.contains("://")));
    }
    paths
}

fn is_path_option(option: &str) -> bool {
    matches!(
        option,
        "-r" | "--requirement"
            | "-c"
            | "--constraint"
            | "-e"
            | "--editable"
            | "-f"
            | "--find-links"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_found_in_order() {
        let text = "# pinned\nflask==3.1.0\n-r base.txt\n--constraint=constraints.txt\n\
            -cother.txt\n-e ./libs/a # editable\n--find-links wheels\n\
            ./pkg[extra]; python_version > '3'\nvendor/x.whl\ndist.tar.gz\n\
            https://example.com/x.whl\n-e git+https://example.com/r.git#egg=r\n\
            --index-url https://example.com/simple\n-f https://example.com/links\n";
        assert_eq!(
            local_paths(text),
            vec![
                "base.txt",
                "constraints.txt",
                "other.txt",
                "./libs/a",
                "wheels",
                "./pkg",
                "vendor/x.whl",
                "dist.tar.gz",
            ]
        );
        assert!(local_paths("requests\n#-r x.txt\n").is_empty());
    }
}
