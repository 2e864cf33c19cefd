//! Java version strings as build files and version managers write them.

/// The feature release in a version string: `21`, `21.0.2`, `17.0.9+9`, `temurin-21.0.1`,
/// `openjdk64-17.0.2`, and `1.8` (the old spelling, feature release 8).
pub fn feature_release(text: &str) -> Option<String> {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    // A vendor prefix (jenv, asdf, sdkman) ends at the last `-` before a digit.
    let text = match text.rfind('-') {
        Some(i) if text[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => &text[i + 1..],
        _ => text,
    };
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let first = parts.next()?;
    let major = if first == "1" { parts.next()? } else { first };
    let valid = !major.is_empty() && major.len() <= 3 && !major.starts_with('0');
    valid.then(|| major.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_releases_are_read_from_common_spellings() {
        for (text, expected) in [
            ("21", Some("21")),
            ("21.0.2", Some("21")),
            ("17.0.9+9", Some("17")),
            ("temurin-21.0.1", Some("21")),
            ("openjdk64-17.0.2", Some("17")),
            ("corretto-17", Some("17")),
            ("1.8", Some("8")),
            ("1.8.0_392", Some("8")),
            ("'17'", Some("17")),
            ("\"25\"", Some("25")),
            ("latest", None),
            ("", None),
            ("0", None),
        ] {
            assert_eq!(feature_release(text).as_deref(), expected, "{text:?}");
        }
    }
}
