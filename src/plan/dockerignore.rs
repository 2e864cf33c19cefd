//! Which parts of the build context are sent: `.dockerignore`, normalized as Docker does.

/// The patterns of a `.dockerignore`, normalized as Docker does: one per line, `#` comments
/// and blank lines skipped, each path cleaned and made relative to the context root (`/.env`
/// is `.env`), a leading `!` kept. BuildKit matches excludes against relative paths, so an
/// unnormalized `/.env` would exclude nothing.
pub fn dockerignore_patterns(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let (negated, path) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean_path(path);
            let cleaned = cleaned.trim_start_matches('/');
            if cleaned.is_empty() || cleaned == "." {
                return None;
            }
            Some(if negated {
                format!("!{cleaned}")
            } else {
                cleaned.to_string()
            })
        })
        .collect()
}

/// Lexically cleans a slash-separated path (Go's `filepath.Clean`): no `.`, no `..` that can
/// be resolved, no repeated or trailing `/`.
fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if rooted { format!("/{joined}") } else { joined }
}
