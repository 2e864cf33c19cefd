//! Which parts of the build context are sent: `.dockerignore`, normalized as Docker does, and
//! the one matcher that says whether a path is excluded, with Docker's rules, so that a file the
//! build will not see does not count when the recipe decides.
//!
//! The matcher is our own: the gitignore-style crates (`ignore`, `globset`) match unanchored
//! patterns at any depth and read `**` differently, and Docker's rules are short (moby's
//! `patternmatcher`): a pattern is anchored at the context root, `*` and `?` stay within one
//! path segment, `**` spans segments, a pattern that matches a directory excludes everything
//! below it, and the last matching pattern wins, so `!` re-includes.

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

/// Whether the context path `path` (relative, `/`-separated) is left out by `patterns`, the
/// exclude list as BuildKit gets it (each possibly `!`-negated), under Docker's rules.
pub fn is_excluded(patterns: &[String], path: &str) -> bool {
    let path = clean_path(path);
    let path = path.trim_start_matches('/');
    let mut excluded = false;
    for pattern in patterns {
        let (negated, glob) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern.as_str()),
        };
        // An exclusion cannot change an excluded path, nor a re-inclusion an included one.
        if negated != excluded {
            continue;
        }
        let glob = clean_path(glob);
        let tokens = tokens(glob.trim_start_matches('/'));
        if matches_or_parent(&tokens, path) {
            excluded = !negated;
        }
    }
    excluded
}

/// `path` as an exclude pattern that matches exactly that path: glob characters escaped.
pub fn literal_pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// This character.
    Char(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any characters other than `/`.
    Star,
    /// `**` before more pattern: any number of whole segments, none included (`(.*/)?`).
    Segments,
    /// `**` at the end: anything.
    Rest,
    /// `[…]`: one character in (or, with `^`, not in) these ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A pattern as tokens, as moby's `patternmatcher` turns it into a regular expression.
fn tokens(pattern: &str) -> Vec<Token> {
    let mut chars = pattern.chars().peekable();
    let mut out = Vec::new();
    while let Some(c) = chars.next() {
        let token = match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` is read as `**`.
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    Token::Rest
                } else {
                    Token::Segments
                }
            }
            '*' => Token::Star,
            '?' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '[' => class(&mut chars),
            c => Token::Char(c),
        };
        out.push(token);
    }
    out
}

/// A `[…]` class after its `[`; an unclosed one is read as far as it goes.
fn class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Token {
    let negated = chars.next_if(|c| *c == '^').is_some();
    let mut ranges = Vec::new();
    while let Some(c) = chars.next() {
        if c == ']' {
            break;
        }
        let c = if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        };
        let end = match chars.next_if(|n| *n == '-') {
            Some(_) => chars.next().unwrap_or(c),
            None => c,
        };
        ranges.push((c, end));
    }
    Token::Class { negated, ranges }
}

/// Whether `tokens` match `path` or one of the directories above it.
fn matches_or_parent(tokens: &[Token], path: &str) -> bool {
    let chars: Vec<char> = path.chars().collect();
    let ends = match_ends(tokens, &chars);
    // A directory above the path is the path up to one of its slashes.
    ends.last() == Some(&true) || chars.iter().zip(&ends).any(|(c, end)| *c == '/' && *end)
}

/// Where a match of all of `tokens` from the start of `chars` can end: `ends[j]` says whether
/// `tokens` match `chars[..j]`. The set of positions reachable after each token is found in one
/// sweep, so a pattern runs in time linear in its length times the path's, however many `*` and
/// `**` it has (a sweep per reachable position made `**/**/…/x` cubic).
fn match_ends(tokens: &[Token], chars: &[char]) -> Vec<bool> {
    let n = chars.len();
    let mut at = vec![false; n + 1];
    at[0] = true;
    for token in tokens {
        let mut next = vec![false; n + 1];
        // Whether a reachable position lies before this one (for `**`, in this segment for `*`).
        let mut reached = false;
        for j in 0..=n {
            // The character before `j`, and where it starts.
            let before = j.checked_sub(1).and_then(|i| chars.get(i).map(|c| (i, *c)));
            next[j] = match token {
                Token::Star => {
                    if before.is_some_and(|(_, c)| c == '/') {
                        reached = false;
                    }
                    reached |= at[j];
                    reached
                }
                Token::Rest => {
                    reached |= at[j];
                    reached
                }
                Token::Segments => {
                    let after_slash = reached && before.is_some_and(|(_, c)| c == '/');
                    reached |= at[j];
                    at[j] || after_slash
                }
                Token::Char(want) => before.is_some_and(|(i, c)| at[i] && c == *want),
                Token::One => before.is_some_and(|(i, c)| at[i] && c != '/'),
                Token::Class { negated, ranges } => before.is_some_and(|(i, c)| {
                    at[i] && ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
                }),
            };
        }
        at = next;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], path: &str) -> bool {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        is_excluded(&patterns, path)
    }

    #[test]
    fn patterns_are_anchored_and_stars_stay_in_a_segment() {
        assert!(excluded(&["yarn.lock"], "yarn.lock"));
        assert!(!excluded(&["yarn.lock"], "sub/yarn.lock"));
        assert!(excluded(&["*.lock"], "yarn.lock"));
        assert!(!excluded(&["*.lock"], "sub/yarn.lock"));
        assert!(excluded(&["*/yarn.lock"], "sub/yarn.lock"));
        assert!(excluded(&["yarn.loc?"], "yarn.lock"));
        assert!(!excluded(&["yarn.lock?"], "yarn.lock"));
        assert!(excluded(&["/yarn.lock"], "yarn.lock"));
        assert!(excluded(&["./yarn.lock"], "yarn.lock"));
        assert!(excluded(&["[xy]arn.lock"], "yarn.lock"));
        assert!(!excluded(&["[^y]arn.lock"], "yarn.lock"));
        assert!(excluded(&["[a-z]arn.lock"], "yarn.lock"));
    }

    #[test]
    fn double_stars_span_segments() {
        assert!(excluded(&["**/yarn.lock"], "yarn.lock"));
        assert!(excluded(&["**/yarn.lock"], "a/b/yarn.lock"));
        assert!(excluded(&["**"], "package.json"));
        assert!(excluded(&["a/**"], "a/b/c"));
        assert!(!excluded(&["a/**"], "ab"));
        assert!(excluded(&["a/**/c"], "a/c"));
        assert!(excluded(&["a/**/c"], "a/b/b/c"));
        assert!(excluded(&["**/*.lock"], "deep/er/yarn.lock"));
    }

    // Found while fuzzing (fuzz/fuzz_targets/dockerignore.rs ran at 5k inputs/s): a sweep per
    // reachable position made `**/**/…/x` against a deep path cubic; 300 of each took 3.8 s.
    #[test]
    fn many_double_stars_against_a_deep_path_stay_linear() {
        let pattern = format!("{}x", "**/".repeat(1000));
        let deep = "a/".repeat(1000);
        assert!(excluded(&[&pattern], &format!("{deep}x")));
        assert!(excluded(&[&pattern], &format!("{deep}x/below")));
        assert!(!excluded(&[&pattern], &format!("{deep}y")));
        let stars = format!("{}x", "*".repeat(2001));
        assert!(excluded(&[&stars], &format!("{}x", "a".repeat(2000))));
    }

    #[test]
    fn a_directory_excludes_everything_below_it() {
        assert!(excluded(&["vendor"], "vendor/modules.txt"));
        assert!(excluded(&["*/"], "sub/file"));
        assert!(!excluded(&["vendor"], "vendors/modules.txt"));
        assert!(excluded(
            &["gradle"],
            "gradle/wrapper/gradle-wrapper.properties"
        ));
    }

    #[test]
    fn the_last_match_wins_and_bang_reincludes() {
        assert!(!excluded(&["*.lock", "!yarn.lock"], "yarn.lock"));
        assert!(excluded(&["*.lock", "!yarn.lock", "yarn.*"], "yarn.lock"));
        assert!(!excluded(&["!yarn.lock"], "yarn.lock"));
        assert!(excluded(&["*", "!src"], "package.json"));
        assert!(!excluded(&["*", "!src"], "src/index.js"));
    }

    #[test]
    fn literal_patterns_match_only_their_path() {
        let odd = "deploy/app[1]*.yaml";
        let pattern = literal_pattern(odd);
        assert_eq!(pattern, "deploy/app\\[1\\]\\*.yaml");
        assert!(excluded(&[&pattern], odd));
        assert!(!excluded(&[&pattern], "deploy/app1x.yaml"));
        assert!(excluded(
            &[&literal_pattern("shallot.yaml")],
            "shallot.yaml"
        ));
    }
}
