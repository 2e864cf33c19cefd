//! Just enough XML for a pom: elements, text, comments, CDATA and the five entities. A DTD is
//! refused (no entity expansion from an untrusted context).

/// Why a document cannot be read; the messages complete "pom.xml … cannot be read: ".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// A comment, CDATA section, processing instruction or tag without its end.
    #[error("{0} is not closed")]
    Unterminated(&'static str),
    /// A `<!DOCTYPE …>` or other declaration.
    #[error("a DOCTYPE or DTD is not accepted")]
    Dtd,
    /// A closing tag with no element open.
    #[error("`</{0}>` closes nothing")]
    ClosesNothing(String),
    /// A closing tag for another element than the open one.
    #[error("`<{open}>` is closed by `</{close}>`")]
    Mismatched {
        /// The open element.
        open: String,
        /// The name in the closing tag.
        close: String,
    },
    /// `<>` or `< …>`.
    #[error("a tag has no name")]
    NoName,
    /// Past the nesting bound.
    #[error("elements are nested too deeply")]
    TooDeep,
    /// The document ends inside an element.
    #[error("`<{0}>` is not closed")]
    ElementNotClosed(String),
    /// A `&` without a `;` soon after.
    #[error("a `&` starts no entity")]
    BareAmpersand,
    /// An entity other than the five predefined ones and character references.
    #[error("unknown entity `&{0};`")]
    UnknownEntity(String),
}

/// An [`XmlError`] and where its construct starts in the document: 1-based line and column
/// (in characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error} at line {line}, column {column}")]
pub struct Located {
    /// What is wrong.
    pub error: XmlError,
    /// The line.
    pub line: usize,
    /// The column.
    pub column: usize,
}

impl Located {
    /// `error` at the byte offset `at` of `text`.
    fn at(error: XmlError, text: &str, at: usize) -> Located {
        let before = text.get(..at).unwrap_or(text);
        Located {
            error,
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
        }
    }
}

/// The text of a document whose XML declaration says it is ISO-8859-1 (Latin-1), decoded
/// (each byte is the character of that number), as Maven reads such a pom; `None` for any
/// other document.
pub fn declared_latin1(bytes: &[u8]) -> Option<String> {
    let declaration = bytes.strip_prefix(b"<?xml")?;
    let end = declaration.windows(2).position(|w| w == b"?>")?;
    let declaration = String::from_utf8_lossy(declaration.get(..end)?).to_ascii_lowercase();
    let encoding = declaration.split("encoding").nth(1)?;
    let name = encoding
        .trim_start()
        .strip_prefix('=')?
        .trim_start()
        .trim_start_matches(['"', '\''])
        .split(['"', '\''])
        .next()?;
    let latin1 = [
        "iso-8859-1",
        "iso8859-1",
        "iso_8859-1",
        "latin1",
        "latin-1",
        "l1",
    ];
    latin1
        .contains(&name)
        .then(|| bytes.iter().map(|&b| char::from(b)).collect())
}

/// Elements open at once beyond which a document is refused (a pom needs a handful).
const MAX_DEPTH: usize = 64;

/// An open element: its name, the text seen directly inside, and where its start tag is.
type Open = (String, String, usize);

/// Every element with text, as its path from the root (`project/build/finalName`, namespace
/// prefixes dropped) and its text, in document order.
pub fn leaves(text: &str) -> Result<Vec<(String, String)>, Located> {
    let mut out = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    while !rest.is_empty() {
        let at = text.len() - rest.len();
        rest = step(rest, at, &mut stack, &mut out)
            .map_err(|(error, offset)| Located::at(error, text, at + offset))?;
    }
    match stack.pop() {
        Some((open, _, at)) => Err(Located::at(XmlError::ElementNotClosed(open), text, at)),
        None => Ok(out),
    }
}

/// Reads the construct `rest` starts with (at offset `at` of the document), returning what
/// follows it; an error with its offset in `rest`.
fn step<'a>(
    rest: &'a str,
    at: usize,
    stack: &mut Vec<Open>,
    out: &mut Vec<(String, String)>,
) -> Result<&'a str, (XmlError, usize)> {
    let here = |e: XmlError| (e, 0);
    if let Some(after) = rest.strip_prefix("<!--") {
        return skip_past(after, "-->", "a comment").map_err(here);
    }
    if let Some(after) = rest.strip_prefix("<![CDATA[") {
        let end = after
            .find("]]>")
            .ok_or(here(XmlError::Unterminated("a CDATA section")))?;
        if let Some((_, text, _)) = stack.last_mut() {
            text.push_str(&after[..end]);
        }
        return Ok(&after[end + 3..]);
    }
    if rest.starts_with("<!") {
        return Err(here(XmlError::Dtd));
    }
    if let Some(after) = rest.strip_prefix("<?") {
        return skip_past(after, "?>", "a processing instruction").map_err(here);
    }
    if let Some(after) = rest.strip_prefix("</") {
        let end = after
            .find('>')
            .ok_or(here(XmlError::Unterminated("a closing tag")))?;
        let name = local_name(after[..end].trim());
        let (open, text, _) = stack
            .pop()
            .ok_or_else(|| here(XmlError::ClosesNothing(name.to_string())))?;
        if open != name {
            return Err(here(XmlError::Mismatched {
                open,
                close: name.to_string(),
            }));
        }
        let mut path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
        path.push(&open);
        out.push((path.join("/"), text));
        return Ok(&after[end + 1..]);
    }
    if let Some(after) = rest.strip_prefix('<') {
        let end = tag_end(after).ok_or(here(XmlError::Unterminated("a tag")))?;
        let tag = &after[..end];
        let self_closing = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        if name.is_empty() {
            return Err(here(XmlError::NoName));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(here(XmlError::TooDeep));
        }
        let name = local_name(name).to_string();
        if self_closing {
            let mut path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
            path.push(&name);
            out.push((path.join("/"), String::new()));
        } else {
            stack.push((name, String::new(), at));
        }
        return Ok(&after[end + 1..]);
    }
    let end = rest.find('<').unwrap_or(rest.len());
    let text = unescape(&rest[..end])?;
    if let Some((_, inside, _)) = stack.last_mut() {
        inside.push_str(&text);
    }
    Ok(&rest[end..])
}

fn skip_past<'a>(text: &'a str, end: &str, what: &'static str) -> Result<&'a str, XmlError> {
    let at = text.find(end).ok_or(XmlError::Unterminated(what))?;
    Ok(&text[at + end.len()..])
}

/// Where a start tag ends: the first `>` outside quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Text with its entities replaced; an error with the offset of its `&`.
fn unescape(text: &str) -> Result<String, (XmlError, usize)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let at = text.len() - rest.len() + amp;
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .filter(|&i| i <= 10)
            .ok_or((XmlError::BareAmpersand, at))?;
        let entity = &after[..semi];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            e => e
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| e.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32)
                .ok_or_else(|| (XmlError::UnknownEntity(e.to_string()), at))?,
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf<'a>(leaves: &'a [(String, String)], path: &str) -> Option<&'a str> {
        leaves
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }

    #[test]
    fn leaves_have_paths_without_prefixes_in_document_order() {
        let text = "\u{feff}<?xml version=\"1.0\"?>\n<!-- <a>no</a> -->\n\
            <p:root xmlns:p=\"urn:x\" a=\"x>y\"><p:a>a&amp;b</p:a><b><![CDATA[1.<0>]]></b>\
            <c><empty/><x>&#65;&#x42;&lt;&gt;&quot;&apos;</x></c></p:root>";
        let leaves = leaves(text).map_err(|e| e.to_string());
        let Ok(leaves) = leaves else {
            panic!("should parse: {leaves:?}");
        };
        let paths: Vec<&str> = leaves.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "root/a",
                "root/b",
                "root/c/empty",
                "root/c/x",
                "root/c",
                "root"
            ]
        );
        assert_eq!(leaf(&leaves, "root/a"), Some("a&b"));
        assert_eq!(leaf(&leaves, "root/b"), Some("1.<0>"));
        assert_eq!(leaf(&leaves, "root/c/x"), Some("AB<>\"'"));
        assert_eq!(leaf(&leaves, "root/c/empty"), Some(""));
    }

    #[test]
    fn a_declared_latin1_document_is_decoded_and_no_other() {
        let pom = b"<?xml version=\"1.0\" encoding='ISO-8859-1' ?>\n<a>Caf\xe9</a>";
        let text = declared_latin1(pom);
        assert_eq!(
            text.as_deref(),
            Some("<?xml version=\"1.0\" encoding='ISO-8859-1' ?>\n<a>Caf\u{e9}</a>")
        );
        assert_eq!(declared_latin1(b"<?xml version=\"1.0\"?><a>\xe9</a>"), None);
        assert_eq!(
            declared_latin1(b"<?xml encoding=\"UTF-8\"?><a>\xe9</a>"),
            None
        );
        assert_eq!(declared_latin1(b"<a>\xe9</a>"), None);
    }

    #[test]
    fn broken_documents_are_refused() {
        for (text, why) in [
            ("<a><!-- x", "a comment is not closed at line 1, column 4"),
            (
                "<a><![CDATA[x",
                "a CDATA section is not closed at line 1, column 4",
            ),
            (
                "<?xml",
                "a processing instruction is not closed at line 1, column 1",
            ),
            ("<a></a", "a closing tag is not closed at line 1, column 4"),
            ("<a x=\"1>\"", "a tag is not closed at line 1, column 1"),
            ("<a>< ></a>", "a tag has no name at line 1, column 4"),
            (
                "<!DOCTYPE a>",
                "a DOCTYPE or DTD is not accepted at line 1, column 1",
            ),
            (
                "<a>&#xZZ;</a>",
                "unknown entity `&#xZZ;` at line 1, column 4",
            ),
            (
                "<a>\n  x &averyveryverylongname;</a>",
                "a `&` starts no entity at line 2, column 5",
            ),
            ("<a>\n <b>\n", "`<b>` is not closed at line 2, column 2"),
            (
                "\u{feff}<a>\n\u{e9}</b>",
                "`<a>` is closed by `</b>` at line 2, column 2",
            ),
        ] {
            assert_eq!(
                leaves(text).map_err(|e| e.to_string()),
                Err(why.to_string()),
                "{text}"
            );
        }
    }
}
