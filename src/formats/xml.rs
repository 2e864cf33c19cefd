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

/// Elements open at once beyond which a document is refused (a pom needs a handful).
const MAX_DEPTH: usize = 64;

/// Every element with text, as its path from the root (`project/build/finalName`, namespace
/// prefixes dropped) and its text, in document order.
pub fn leaves(text: &str) -> Result<Vec<(String, String)>, XmlError> {
    let mut out = Vec::new();
    // Open elements: name and the text seen directly inside.
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = skip_past(after, "-->", "a comment")?;
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after
                .find("]]>")
                .ok_or(XmlError::Unterminated("a CDATA section"))?;
            if let Some((_, text)) = stack.last_mut() {
                text.push_str(&after[..end]);
            }
            rest = &after[end + 3..];
        } else if rest.starts_with("<!") {
            return Err(XmlError::Dtd);
        } else if let Some(after) = rest.strip_prefix("<?") {
            rest = skip_past(after, "?>", "a processing instruction")?;
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after
                .find('>')
                .ok_or(XmlError::Unterminated("a closing tag"))?;
            let name = local_name(after[..end].trim());
            let (open, text) = stack
                .pop()
                .ok_or_else(|| XmlError::ClosesNothing(name.to_string()))?;
            if open != name {
                return Err(XmlError::Mismatched {
                    open,
                    close: name.to_string(),
                });
            }
            let mut path: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
            path.push(&open);
            out.push((path.join("/"), text));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = tag_end(after).ok_or(XmlError::Unterminated("a tag"))?;
            let tag = &after[..end];
            let self_closing = tag.ends_with('/');
            let name = tag
                .trim_end_matches('/')
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or("");
            if name.is_empty() {
                return Err(XmlError::NoName);
            }
            if stack.len() >= MAX_DEPTH {
                return Err(XmlError::TooDeep);
            }
            let name = local_name(name).to_string();
            if self_closing {
                let mut path: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
                path.push(&name);
                out.push((path.join("/"), String::new()));
            } else {
                stack.push((name, String::new()));
            }
            rest = &after[end + 1..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            if let Some((_, text)) = stack.last_mut() {
                text.push_str(&unescape(&rest[..end])?);
            }
            rest = &rest[end..];
        }
    }
    match stack.pop() {
        Some((open, _)) => Err(XmlError::ElementNotClosed(open)),
        None => Ok(out),
    }
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

fn unescape(text: &str) -> Result<String, XmlError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .filter(|&i| i <= 10)
            .ok_or(XmlError::BareAmpersand)?;
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
                .ok_or_else(|| XmlError::UnknownEntity(e.to_string()))?,
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
    fn broken_documents_are_refused() {
        for (text, why) in [
            ("<a><!-- x", "a comment is not closed"),
            ("<a><![CDATA[x", "a CDATA section is not closed"),
            ("<?xml", "a processing instruction is not closed"),
            ("<a></a", "a closing tag is not closed"),
            ("<a x=\"1>\"", "a tag is not closed"),
            ("<a>< ></a>", "a tag has no name"),
            ("<!DOCTYPE a>", "a DOCTYPE or DTD is not accepted"),
            ("<a>&#xZZ;</a>", "unknown entity `&#xZZ;`"),
            ("<a>&averyveryverylongname;</a>", "a `&` starts no entity"),
        ] {
            assert_eq!(
                leaves(text).map_err(|e| e.to_string()),
                Err(why.to_string()),
                "{text}"
            );
        }
    }
}
