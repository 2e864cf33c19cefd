//! Shell words: every command the plan builds from a value the user wrote (a path, a package,
//! a binary name) quotes that value here, so a space or a `;` stays part of the word.

use std::borrow::Cow;

/// `word` as one POSIX shell word: unchanged when it has only characters the shell leaves
/// alone, else in single quotes (an embedded `'` becomes `'\''`).
pub fn quote(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn plain_words_stay_and_others_are_quoted() {
        assert_eq!(quote("./cmd/server"), "./cmd/server");
        assert_eq!(quote("my-app_2"), "my-app_2");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("./my dir"), "'./my dir'");
        assert_eq!(quote("a;rm -rf /"), "'a;rm -rf /'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
    }

    /// What `sh` makes of a quoted word is the word itself.
    #[test]
    fn the_shell_reads_back_the_word() {
        for word in ["a b", "it's", "$(echo x)", "`x`", "tab\there", "\\n", "*"] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", quote(word))])
                .output()
                .unwrap_or_else(|e| panic!("sh: {e}"));
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }
}
