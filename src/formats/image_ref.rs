//! Image references, checked with the grammar of the distribution spec (docker/distribution's
//! `reference` package): `[domain[:port]/]path-component(/path-component)*[:tag][@digest]`.
//!
//! BuildKit parses every base image with that grammar; a value it refuses fails the build late,
//! without a location. Checking here lets the spec and the options say what is wrong at once.
//!
//! One deliberate difference: distribution takes a first component with capitals (`UPPER/case`)
//! for a registry host. Nobody means that, so here a first component is a domain only when it
//! has a `.` or a `:` or is `localhost`, as distribution decides for lowercase names; anything
//! else is a path component and must be lowercase.

use std::fmt;

/// The longest name (domain and path, without tag and digest) the grammar allows.
pub const MAX_NAME_LEN: usize = 255;
/// The longest tag the grammar allows.
pub const MAX_TAG_LEN: usize = 128;
/// The longest digest this reader knows (`sha512:` and 128 hex digits).
const MAX_DIGEST_LEN: usize = 135;
/// The longest reference: a longer text is refused before any part of it is echoed.
pub const MAX_LEN: usize = MAX_NAME_LEN + 1 + MAX_TAG_LEN + 1 + MAX_DIGEST_LEN;

/// Why a text is not an image reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageRefError {
    /// Nothing was written.
    #[error("it is empty")]
    Empty,
    /// A URL scheme such as `https://`.
    #[error("it has a scheme (`{0}://`)")]
    Scheme(String),
    /// Whitespace or a control character.
    #[error("it contains {}", describe_char(*.0))]
    BadChar(char),
    /// More than one `@`.
    #[error("it has more than one `@`")]
    TwoDigests,
    /// A name that ends in two `:tag`s.
    #[error("it has more than one tag")]
    TwoTags,
    /// `a//b`, a leading or a trailing `/`.
    #[error("it has an empty path component")]
    EmptyComponent,
    /// A path component with capital letters.
    #[error("repository names must be lowercase, got `{0}`")]
    Uppercase(String),
    /// A path component outside `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
    #[error(
        "path component `{0}` must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit"
    )]
    BadComponent(String),
    /// A registry host that is not a host name or address.
    #[error("registry `{0}` is not a host name")]
    BadDomain(String),
    /// A registry port that is not a number.
    #[error("registry port `{0}` is not a number")]
    BadPort(String),
    /// A tag outside `[\w][\w.-]{0,127}`.
    #[error(
        "tag `{0}` must start with a letter, digit or `_`, have only those, `.` and `-`, and be at most 128 characters"
    )]
    BadTag(String),
    /// A digest that is not `algorithm:hex` with the algorithm's length.
    #[error("digest `{digest}` {why}")]
    BadDigest {
        /// The digest as written.
        digest: String,
        /// What is wrong with it.
        why: String,
    },
    /// A text over [`MAX_LEN`] characters, which no part of is echoed.
    #[error("it is {0} characters long; a reference has at most {MAX_LEN}")]
    WayTooLong(usize),
    /// A name over [`MAX_NAME_LEN`] characters.
    #[error("the name is {0} characters long; at most 255 are allowed")]
    TooLong(usize),
}

impl ImageRefError {
    /// What would be right for `text`, the reference this error is about.
    pub fn hint(&self, text: &str) -> String {
        match self {
            ImageRefError::Scheme(_) => match text.split_once("://") {
                Some((_, rest)) => format!("drop the scheme: `{rest}`"),
                None => EXAMPLE.to_owned(),
            },
            ImageRefError::Uppercase(_) => {
                format!("write it in lowercase: `{}`", text.to_ascii_lowercase())
            }
            _ => EXAMPLE.to_owned(),
        }
    }
}

/// The hint for most errors.
const EXAMPLE: &str = "write a reference like `node:22-trixie-slim` or `gcr.io/distroless/static-debian13@sha256:<64 hex digits>`";

/// A valid image reference, split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The registry, with its port, if written (`gcr.io`, `localhost:5000`).
    pub domain: Option<&'a str>,
    /// The repository path (`distroless/nodejs24-debian13`).
    pub path: &'a str,
    /// The tag, if written.
    pub tag: Option<&'a str>,
    /// The digest, if written (`sha256:…`).
    pub digest: Option<&'a str>,
}

/// Parses `text` as an image reference.
pub fn parse(text: &str) -> Result<ImageRef<'_>, ImageRefError> {
    if text.is_empty() {
        return Err(ImageRefError::Empty);
    }
    if text.len() > MAX_LEN {
        return Err(ImageRefError::WayTooLong(text.len()));
    }
    if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(ImageRefError::BadChar(c));
    }
    if let Some((scheme, _)) = text.split_once("://") {
        return Err(ImageRefError::Scheme(scheme.to_owned()));
    }
    let (name_tag, digest) = match text.split_once('@') {
        Some((_, digest)) if digest.contains('@') => return Err(ImageRefError::TwoDigests),
        Some((name_tag, digest)) => (name_tag, Some(digest)),
        None => (text, None),
    };
    // A `:` after the last `/` starts the tag; one before it belongs to the registry's port.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    if name[last_slash.min(name.len())..].contains(':') {
        return Err(ImageRefError::TwoTags);
    }
    let (domain, path) = split_domain(name);
    if let Some(domain) = domain {
        check_domain(domain)?;
    }
    check_path(path)?;
    if name.len() > MAX_NAME_LEN {
        return Err(ImageRefError::TooLong(name.len()));
    }
    if let Some(tag) = tag {
        check_tag(tag)?;
    }
    if let Some(digest) = digest {
        check_digest(digest)?;
    }
    Ok(ImageRef {
        domain,
        path,
        tag,
        digest,
    })
}

/// The registry and the path of `name`: the first component is a registry when more follow and
/// it has a `.` or a `:` or is `localhost`.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// `host[:port]`: host name components `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` joined by
/// dots, or a bracketed IPv6 address.
fn check_domain(domain: &str) -> Result<(), ImageRefError> {
    let bad = || ImageRefError::BadDomain(domain.to_owned());
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let (addr, after) = rest.split_once(']').ok_or_else(bad)?;
        let ipv6 = !addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
        if !ipv6 {
            return Err(bad());
        }
        match after {
            "" => (None, None),
            _ => (None, Some(after.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    if let Some(host) = host {
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        };
        if !host.split('.').all(component_ok) {
            return Err(bad());
        }
    }
    match port {
        Some(port) if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) => {
            Err(ImageRefError::BadPort(port.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Path components `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, joined by `/`.
fn check_path(path: &str) -> Result<(), ImageRefError> {
    for component in path.split('/') {
        if component.is_empty() {
            return Err(ImageRefError::EmptyComponent);
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(ImageRefError::Uppercase(path.to_owned()));
        }
        if !path_component_ok(component) {
            return Err(ImageRefError::BadComponent(component.to_owned()));
        }
    }
    Ok(())
}

/// One path component: runs of `[a-z0-9]` separated by `.`, `_`, `__` or one or more `-`.
fn path_component_ok(component: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Between runs of letters and digits: `.`, `_`, `__` or dashes only.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`, `\w` being `[A-Za-z0-9_]`.
fn check_tag(tag: &str) -> Result<(), ImageRefError> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let ok = tag.len() <= MAX_TAG_LEN
        && tag.chars().next().is_some_and(word)
        && tag.chars().all(|c| word(c) || c == '.' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ImageRefError::BadTag(tag.to_owned()))
    }
}

/// `algorithm:hex`, with the length the algorithm's hash has, in lowercase hex.
fn check_digest(digest: &str) -> Result<(), ImageRefError> {
    let bad = |why: String| ImageRefError::BadDigest {
        digest: digest.to_owned(),
        why,
    };
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(bad(
            "has no algorithm; write `sha256:<64 hex digits>`".to_owned()
        ));
    };
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            let why = format!(
                "has an unknown algorithm `{algorithm}`; expected sha256, sha384 or sha512"
            );
            return Err(bad(why));
        }
    };
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad("must be lowercase hex digits after the `:`".to_owned()));
    }
    if hex.len() != expected {
        let why = format!("has {} hex digits; {algorithm} needs {expected}", hex.len());
        return Err(bad(why));
    }
    Ok(())
}

/// A character for a message: whitespace and control characters by name or escape.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        '\n' | '\r' => "a line break".to_owned(),
        _ => format!("the character `{}`", c.escape_default()),
    }
}

impl fmt::Display for ImageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(domain) = self.domain {
            write!(f, "{domain}/")?;
        }
        f.write_str(self.path)?;
        if let Some(tag) = self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn valid_references_parse_into_their_parts() {
        let digest_ref = format!("gcr.io/distroless/nodejs24-debian13:nonroot@{SHA}");
        // text, domain, path, tag, digest
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: Vec<Case<'_>> = vec![
            ("node", None, "node", None, None),
            (
                "node:22-trixie-slim",
                None,
                "node",
                Some("22-trixie-slim"),
                None,
            ),
            ("library/node:22", None, "library/node", Some("22"), None),
            (
                "gcr.io/distroless/nodejs24-debian13",
                Some("gcr.io"),
                "distroless/nodejs24-debian13",
                None,
                None,
            ),
            (
                "localhost:5000/app:v1",
                Some("localhost:5000"),
                "app",
                Some("v1"),
                None,
            ),
            ("localhost/app", Some("localhost"), "app", None, None),
            ("[::1]:5000/app", Some("[::1]:5000"), "app", None, None),
            (
                "Registry.Example.COM/app",
                Some("Registry.Example.COM"),
                "app",
                None,
                None,
            ),
            (
                "ab__c/d-e---f/g_h.i",
                None,
                "ab__c/d-e---f/g_h.i",
                None,
                None,
            ),
            ("node:_x.Y-1", None, "node", Some("_x.Y-1"), None),
            (
                &digest_ref,
                Some("gcr.io"),
                "distroless/nodejs24-debian13",
                Some("nonroot"),
                Some(SHA),
            ),
        ];
        for (text, domain, path, tag, digest) in cases {
            let parsed = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.domain, domain, "{text}");
            assert_eq!(parsed.path, path, "{text}");
            assert_eq!(parsed.tag, tag, "{text}");
            assert_eq!(parsed.digest, digest, "{text}");
            assert_eq!(parsed.to_string(), text);
        }
        let node_digest = format!("node@{SHA}");
        assert_eq!(parse(&node_digest).map(|r| r.digest), Ok(Some(SHA)));
        let sha512 = format!("node@sha512:{}", "a".repeat(128));
        assert!(parse(&sha512).is_ok());
        let longest_tag = format!("node:{}", "t".repeat(128));
        assert!(parse(&longest_tag).is_ok());
        let longest_name = format!("a/{}", "b".repeat(253));
        assert!(parse(&longest_name).is_ok());
    }

    #[test]
    fn invalid_references_say_what_is_wrong() {
        let long_name = format!("a/{}", "b".repeat(254));
        let long_tag = format!("node:{}", "t".repeat(129));
        let cases: Vec<(&str, &str)> = vec![
            ("", "it is empty"),
            (
                "UPPER/case",
                "repository names must be lowercase, got `UPPER/case`",
            ),
            ("Node:22", "repository names must be lowercase, got `Node`"),
            (
                "gcr.io/Distroless/x",
                "repository names must be lowercase, got `Distroless/x`",
            ),
            (
                "node@sha256:abc",
                "digest `sha256:abc` has 3 hex digits; sha256 needs 64",
            ),
            ("node:22:slim", "it has more than one tag"),
            ("localhost:5000/app:1:2", "it has more than one tag"),
            (
                "-node",
                "path component `-node` must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit",
            ),
            (
                "node-",
                "path component `node-` must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit",
            ),
            (
                "a..b",
                "path component `a..b` must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit",
            ),
            (
                "a___b",
                "path component `a___b` must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit",
            ),
            (
                "a._b",
                "path component `a._b` must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes, and start and end with a letter or digit",
            ),
            (
                "https://gcr.io/distroless/static",
                "it has a scheme (`https://`)",
            ),
            ("docker://node", "it has a scheme (`docker://`)"),
            ("node\u{1b}[31m", "it contains the character `\\u{1b}`"),
            ("node\0", "it contains the character `\\u{0}`"),
            ("node\n", "it contains a line break"),
            ("node 22", "it contains a space"),
            ("node\t", "it contains a tab"),
            ("node//x", "it has an empty path component"),
            ("node/", "it has an empty path component"),
            ("/node", "it has an empty path component"),
            ("gcr.io/", "it has an empty path component"),
            ("node@a@b", "it has more than one `@`"),
            (
                "node:",
                "tag `` must start with a letter, digit or `_`, have only those, `.` and `-`, and be at most 128 characters",
            ),
            (
                "node:-x",
                "tag `-x` must start with a letter, digit or `_`, have only those, `.` and `-`, and be at most 128 characters",
            ),
            (
                "node:a+b",
                "tag `a+b` must start with a letter, digit or `_`, have only those, `.` and `-`, and be at most 128 characters",
            ),
            (
                "node@",
                "digest `` has no algorithm; write `sha256:<64 hex digits>`",
            ),
            (
                "node@md5:0123456789abcdef0123456789abcdef",
                "digest `md5:0123456789abcdef0123456789abcdef` has an unknown algorithm `md5`; expected sha256, sha384 or sha512",
            ),
            (
                "node@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                "digest `sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef` must be lowercase hex digits after the `:`",
            ),
            ("-bad.io/app", "registry `-bad.io` is not a host name"),
            (
                "bad_host.io/app",
                "registry `bad_host.io` is not a host name",
            ),
            ("a..io/app", "registry `a..io` is not a host name"),
            ("[zz]:5000/app", "registry `[zz]:5000` is not a host name"),
            ("localhost:port/app", "registry port `port` is not a number"),
            ("localhost:/app", "registry port `` is not a number"),
        ];
        for (text, message) in cases {
            match parse(text) {
                Ok(r) => panic!("{text:?} parsed as {r:?}"),
                Err(e) => assert_eq!(e.to_string(), message, "{text:?}"),
            }
        }
        assert_eq!(parse(&long_name), Err(ImageRefError::TooLong(256)));
        let huge = "a".repeat(1 << 20);
        assert_eq!(
            parse(&huge).map_err(|e| e.to_string()),
            Err("it is 1048576 characters long; a reference has at most 520".to_owned())
        );
        assert!(matches!(parse(&long_tag), Err(ImageRefError::BadTag(_))));
        let short = format!("node@{}", &SHA[..SHA.len() - 1]);
        assert!(matches!(
            parse(&short),
            Err(ImageRefError::BadDigest { .. })
        ));
    }

    #[test]
    fn hints_say_what_would_be_right() {
        let hint = |text: &str| parse(text).map_err(|e| e.hint(text)).err();
        assert_eq!(
            hint("UPPER/case").as_deref(),
            Some("write it in lowercase: `upper/case`")
        );
        assert_eq!(
            hint("https://gcr.io/x").as_deref(),
            Some("drop the scheme: `gcr.io/x`")
        );
        assert_eq!(hint("node:1:2").as_deref(), Some(EXAMPLE));
    }
}
