//! pip's `requirements.txt`: the local paths a file names (included requirement and
//! constraint files, `--find-links` directories, editable and plain local requirements).

use std::borrow::Cow;

/// The text of a requirements file as pip reads it: UTF-16 or UTF-32 by its byte-order mark
/// (what a Windows editor's "Unicode" writes), else UTF-8, a byte that is not being replaced
/// (pip decides about other encodings itself, e.g. by a `# -*- coding: … -*-` line).
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let utf16 = |big: bool| {
        let units = bytes.get(2..).unwrap_or_default().chunks_exact(2);
        let units = units.map(|p| {
            let pair = <[u8; 2]>::try_from(p).unwrap_or_default();
            if big {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        });
        let text = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER));
        Cow::Owned(text.collect())
    };
    match bytes {
        [0xff, 0xfe, 0, 0, ..] | [0, 0, 0xfe, 0xff, ..] => String::from_utf8_lossy(bytes),
        [0xff, 0xfe, ..] => utf16(false),
        [0xfe, 0xff, ..] => utf16(true),
        _ => String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)),
    }
}

/// Paths as written, with their 1-based line numbers, in file order: `-r`/`-c`/`-e`/`-f`
/// values (also `--requirement=x`, `-rx`) and requirements that are paths rather than names
/// (`./pkg`, `vendor/x.whl`), with extras and markers cut off. URLs are left out. Only this
/// file is read: paths named by included files are not followed.
pub fn local_paths(text: &str) -> Vec<(usize, &str)> {
    let mut paths = Vec::new();
    for (number, line) in text.lines().enumerate() {
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
        let path = path.filter(|p| !p.contains("://"));
        paths.extend(path.map(|p| (number + 1, p)));
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
                (3, "base.txt"),
                (4, "constraints.txt"),
                (5, "other.txt"),
                (6, "./libs/a"),
                (7, "wheels"),
                (8, "./pkg"),
                (9, "vendor/x.whl"),
                (10, "dist.tar.gz"),
            ]
        );
        assert!(local_paths("requests\n#-r x.txt\n").is_empty());
    }

    #[test]
    fn text_is_decoded_as_pip_decodes_it() {
        assert_eq!(decode(b"\xef\xbb\xbf-e ./a\r\n"), "-e ./a\r\n");
        assert_eq!(decode(b"\xff\xfe-\0e\0 \0.\0"), "-e .");
        assert_eq!(decode(b"\xfe\xff\0-\0e"), "-e");
        assert_eq!(decode(b"caf\xe9 -e ../x"), "caf\u{fffd} -e ../x");
    }
}
