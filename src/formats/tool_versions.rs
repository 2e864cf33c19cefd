//! asdf's `.tool-versions` (also read by mise): one tool per line, its name then the versions
//! to try, preferred first, e.g. `nodejs 22.3.0` or `python 3.13.1 3.12.8`.

/// The preferred version of the first of `names` (a tool's plugin names: asdf's `nodejs`,
/// mise's `node`) that a line names. `#` starts a comment anywhere on a line; lines that name
/// other tools are skipped. `None` when no line names the tool, or one names it without a
/// version.
pub fn tool_version<'a>(text: &'a str, names: &[&str]) -> Option<&'a str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let tool = words.next()?;
        if !names.contains(&tool) {
            return None;
        }
        words.next()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\u{feff}# tools for this app\n\
        nodejs 22.3.0\n\
        python   3.13.1 3.12.8   # the second is a fallback\n\
        golang 1.25.0\n\
        java temurin-21.0.2+13.0.LTS\n\
        rust\t1.92.0\n\
        ruby\n";

    #[test]
    fn each_tools_preferred_version() {
        assert_eq!(tool_version(FILE, &["nodejs", "node"]), Some("22.3.0"));
        assert_eq!(tool_version(FILE, &["python"]), Some("3.13.1"));
        assert_eq!(tool_version(FILE, &["golang", "go"]), Some("1.25.0"));
        assert_eq!(
            tool_version(FILE, &["java"]),
            Some("temurin-21.0.2+13.0.LTS")
        );
        assert_eq!(tool_version(FILE, &["rust"]), Some("1.92.0"));
    }

    #[test]
    fn absent_tools_comments_and_bare_names_say_nothing() {
        assert_eq!(tool_version(FILE, &["ruby"]), None);
        assert_eq!(tool_version(FILE, &["elixir"]), None);
        assert_eq!(tool_version("# nodejs 22\n", &["nodejs"]), None);
        assert_eq!(tool_version("nodejs22 1\n", &["nodejs"]), None);
        assert_eq!(
            tool_version("node 24 # mise's name\n", &["nodejs", "node"]),
            Some("24")
        );
    }
}
