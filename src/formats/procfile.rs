//! Procfile (Heroku, Render, Railway and the buildpacks read it): one `type: command` line per
//! process type. shallot starts the `web` process; the others (`worker:`, `release:`, …) are
//! not what an image serving HTTP runs, so they are left alone without a word.

/// The command of the `web:` line, trimmed; `None` without one. Lines are `name: command`
/// (spaces around the colon are allowed), `#` starts a comment line, CRLF line ends and a
/// byte-order mark are read as the platforms read them. The first `web:` line counts.
pub fn web_command(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().find_map(|line| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        let (name, command) = line.split_once(':')?;
        (name.trim() == "web").then(|| command.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::web_command;

    #[test]
    fn the_web_line_is_the_command() {
        assert_eq!(
            web_command("web: gunicorn app:app\n"),
            Some("gunicorn app:app")
        );
        assert_eq!(
            web_command(
                "release: python manage.py migrate\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\nworker: celery -A app worker\n"
            ),
            Some("gunicorn app:app --bind 0.0.0.0:$PORT")
        );
    }

    #[test]
    fn spacing_crlf_comments_and_bom_are_read_as_the_platforms_read_them() {
        assert_eq!(web_command("web:node server.js"), Some("node server.js"));
        assert_eq!(
            web_command("web :  node server.js  \r\n"),
            Some("node server.js")
        );
        assert_eq!(
            web_command("\u{feff}web: npm start\r\nworker: x\r\n"),
            Some("npm start")
        );
        assert_eq!(web_command("# web: old.js\nweb: new.js\n"), Some("new.js"));
        assert_eq!(web_command("  web: indented.js"), Some("indented.js"));
        // The first web line counts.
        assert_eq!(web_command("web: a\nweb: b\n"), Some("a"));
    }

    #[test]
    fn other_process_types_are_not_the_web_process() {
        assert_eq!(
            web_command("worker: node worker.js\nrelease: migrate\n"),
            None
        );
        assert_eq!(web_command("webapp: node x.js\n"), None);
        assert_eq!(web_command(""), None);
        assert_eq!(web_command("no colon here\n"), None);
    }
}
