//! `next.config.{js,mjs,cjs,ts}`: whether the app asks Next.js for `output: 'standalone'`.
//!
//! The config is a program, not data: shallot cannot run it, so it reads the text. Comments
//! are skipped (a commented-out `// output: 'standalone'` is a common leftover), strings that
//! are single words are kept (others are emptied), and the setting counts when the key `output`
//! is followed by `:` and the string `standalone` in any quotes. A value computed at run time (`output: process.env.X`) is not
//! seen; such an app is built as any other node app.

/// Whether the config's text sets `output: 'standalone'`.
pub fn is_standalone(config: &str) -> bool {
    let code = without_comments(config);
    let mut rest = code.as_str();
    while let Some(at) = rest.find("output") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "output".len()..];
        // `output` as a whole key, plain or quoted: not `outputFileTracing` or `myoutput`.
        let whole = !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        let after_key = after.strip_prefix(['"', '\'']).unwrap_or(after);
        if whole {
            if let Some(value) = after_key.trim_start().strip_prefix(':') {
                let value = value.trim_start();
                if ["'standalone'", "\"standalone\"", "`standalone`"]
                    .iter()
                    .any(|v| value.starts_with(v))
                {
                    return true;
                }
            }
        }
        rest = after;
    }
    false
}

/// `text` with `//` and `/* */` comments removed and string literals (in `'`, `"` or `` ` ``)
/// that are not single words emptied; a `//` inside a URL is not taken for a comment.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                let mut literal = String::new();
                while let Some(s) = chars.next() {
                    if s == '\\' {
                        literal.extend(chars.next());
                    } else if s == c {
                        break;
                    } else {
                        literal.push(s);
                    }
                }
                // Only a word can be a key or the value looked for; anything else (a URL, a
                // sentence that quotes the setting) is emptied, so it cannot match.
                if !literal
                    .chars()
                    .all(|s| s.is_alphanumeric() || "_-.".contains(s))
                {
                    literal.clear();
                }
                out.push(c);
                out.push_str(&literal);
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for s in chars.by_ref() {
                    if last == '*' && s == '/' {
                        break;
                    }
                    last = s;
                }
                out.push(' ');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_standalone;

    #[test]
    fn standalone_is_seen_as_the_configs_write_it() {
        let configs = [
            "module.exports = { output: 'standalone' }",
            "/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  output: \"standalone\",\n};\nexport default nextConfig;\n",
            "import type { NextConfig } from 'next'\nconst config: NextConfig = { output: `standalone` }\nexport default config\n",
            "module.exports = {\"output\":\"standalone\"}",
            "module.exports = {\n  reactStrictMode: true,\n  output : 'standalone' ,\n}",
        ];
        for config in configs {
            assert!(is_standalone(config), "{config}");
        }
    }

    #[test]
    fn other_outputs_comments_and_lookalikes_are_not_standalone() {
        let configs = [
            "module.exports = {}",
            "module.exports = { output: 'export' }",
            "module.exports = {\n  // output: 'standalone',\n  reactStrictMode: true,\n}",
            "module.exports = {\n  /* output: 'standalone', */\n}",
            "module.exports = { outputFileTracingRoot: 'standalone' }",
            "module.exports = { myoutput: 'standalone' }",
            "const url = 'https://example.com' // output: 'standalone'\nmodule.exports = {}",
            "module.exports = { output: process.env.STANDALONE ? 'standalone' : undefined }",
            "const s = \"output: 'standalone'\"; module.exports = {}",
        ];
        for config in configs {
            assert!(!is_standalone(config), "{config}");
        }
    }
}
