//! Line index over the spec text: turns serde-saphyr locations into [`Span`]s and prints
//! diagnostics in the short and the rustc-like form.

use std::borrow::Cow;

use serde_saphyr::Location;
use unicode_width::UnicodeWidthChar;

use super::{Diagnostic, Span};

/// Longest source line shown unabridged in a snippet, in characters.
const MAX_SNIPPET_CHARS: usize = 120;
/// Characters kept before the caret when a long line is cropped.
const CROP_BEFORE: usize = 40;
/// Longest message, hint or path shown whole, in characters (after escaping).
const MAX_TEXT_CHARS: usize = 400;

/// The spec text with the byte offset of each line start.
pub(super) struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    /// Indexes `src`, ignoring a leading byte-order mark (serde-saphyr ignores it too).
    pub(super) fn new(src: &'a str) -> Self {
        let text = src.strip_prefix('\u{feff}').unwrap_or(src);
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { text, line_starts }
    }

    /// The text handed to the YAML parser.
    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    /// Line `line` (1-based) without its line break; empty past the end.
    pub(super) fn line(&self, line: u32) -> &'a str {
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(idx) else {
            return "";
        };
        let end = self
            .line_starts
            .get(idx + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line = self.text.get(start..end).unwrap_or("");
        line.strip_suffix('\r').unwrap_or(line)
    }

    /// The span from `line:col` (1-based, in characters) covering `len` characters.
    pub(super) fn span_at(&self, line: u64, col: u64, len: u64) -> Span {
        if line == 0 || col == 0 {
            return Span::point(1, 1);
        }
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        let col = u32::try_from(col).unwrap_or(u32::MAX);
        let mut span = Span::point(line, col);
        let Some(start) = self.byte_offset(line, col) else {
            return span;
        };
        let rest = self.text.get(start..).unwrap_or("");
        for ch in rest
            .chars()
            .take(usize::try_from(len).unwrap_or(usize::MAX))
        {
            if ch == '\n' {
                span.end_line = span.end_line.saturating_add(1);
                span.end_col = 1;
            } else {
                span.end_col = span.end_col.saturating_add(1);
            }
        }
        span
    }

    /// The span a serde-saphyr location covers.
    pub(super) fn span_of(&self, loc: &Location) -> Span {
        self.span_at(loc.line(), loc.column(), loc.span().len())
    }

    /// The source text a location covers, when byte offsets are known.
    pub(super) fn slice(&self, loc: &Location) -> Option<&'a str> {
        let span = loc.span();
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        self.text.get(start..start.checked_add(len)?)
    }

    /// Line 1 column 1 to the end of the last line.
    pub(super) fn whole(&self) -> Span {
        let lines = self.text.lines().count().max(1);
        let end_line = u32::try_from(lines).unwrap_or(u32::MAX);
        let last = self.line(end_line).chars().count();
        Span {
            line: 1,
            col: 1,
            end_line,
            end_col: u32::try_from(last).unwrap_or(u32::MAX).saturating_add(1),
        }
    }

    /// The first tab at or after the start of `span`, as a one-character span.
    pub(super) fn next_tab(&self, span: Span) -> Option<Span> {
        let start = self.byte_offset(span.line, span.col)?;
        let at = start + self.text.get(start..)?.find('\t')?;
        let idx = self
            .line_starts
            .partition_point(|&s| s <= at)
            .checked_sub(1)?;
        let line_start = *self.line_starts.get(idx)?;
        let col = self.text.get(line_start..at)?.chars().count() + 1;
        let line = u32::try_from(idx + 1).ok()?;
        let col = u32::try_from(col).ok()?;
        Some(Span {
            line,
            col,
            end_line: line,
            end_col: col + 1,
        })
    }

    /// The byte offset of the character at `line:col`, if it exists (the end of a line counts).
    pub(super) fn byte_offset(&self, line: u32, col: u32) -> Option<usize> {
        let start = *self.line_starts.get((line as usize).checked_sub(1)?)?;
        let text = self.line(line);
        let skip = (col as usize).checked_sub(1)?;
        let within = match text.char_indices().nth(skip) {
            Some((i, _)) => i,
            None if text.chars().count() == skip => text.len(),
            None => return None,
        };
        Some(start + within)
    }
}

/// `text` made safe for a terminal: control characters (C0 with newline and tab, DEL, C1) and
/// the bidi and line-separator controls are escaped (`\n`, `\t`, `\x1b`, `\u{202e}`), and text
/// longer than [`MAX_TEXT_CHARS`] is cut with `…`.
///
/// Messages quote app files and spec values, so a value could otherwise colour or clear the
/// terminal, reorder what it shows, or forge a second `file:line:col:` line. Clean text is
/// returned as is, so ordinary messages stay byte-identical.
pub fn safe(text: &str) -> Cow<'_, str> {
    let clean = |c: char| escape(c).is_none();
    if text.chars().all(clean) && text.chars().nth(MAX_TEXT_CHARS).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut shown = 0;
    for c in text.chars() {
        let piece = escape(c).unwrap_or_else(|| c.to_string());
        shown += piece.chars().count();
        if shown > MAX_TEXT_CHARS {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    Cow::Owned(out)
}

/// How `c` is written when a terminal must not interpret it; `None` if it prints as itself.
fn escape(c: char) -> Option<String> {
    match c {
        '\n' => Some("\\n".to_owned()),
        '\t' => Some("\\t".to_owned()),
        '\r' => Some("\\r".to_owned()),
        '\0'..='\x1f' | '\x7f' => Some(format!("\\x{:02x}", u32::from(c))),
        _ if c.is_control() || is_invisible_control(c) => {
            Some(format!("\\u{{{:x}}}", u32::from(c)))
        }
        _ => None,
    }
}

/// Bidi overrides and isolates reorder what a terminal shows; line and paragraph separators
/// break lines in some; none of them is a `char::is_control`.
fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `path:line:col: message (hint: …)`.
pub(super) fn short_line(d: &Diagnostic, path: &str) -> String {
    let (path, message) = (safe(path), safe(&d.message));
    let mut out = format!("{path}:{}:{}: {message}", d.span.line, d.span.col);
    if let Some(hint) = &d.hint {
        out.push_str(" (hint: ");
        out.push_str(&safe(hint));
        out.push(')');
    }
    out
}

/// One rustc-style block: header, arrow, snippet line and carets with the hint.
pub(super) fn render_one(d: &Diagnostic, src: &Source<'_>, path: &str) -> String {
    let line_no = d.span.line.max(1);
    let col = d.span.col.max(1) as usize;
    let width = line_no.to_string().len();
    let pad = " ".repeat(width);

    // Control characters (tabs included) become spaces: carets stay aligned, and the terminal
    // is given nothing to interpret.
    let chars: Vec<char> = src
        .line(line_no)
        .chars()
        .map(|c| if escape(c).is_some() { ' ' } else { c })
        .collect();
    let carets = if d.span.end_line == d.span.line && d.span.end_col > d.span.col {
        (d.span.end_col - d.span.col) as usize
    } else if d.span.end_line > d.span.line {
        (chars.len() + 1).saturating_sub(col).max(1)
    } else {
        1
    };
    let (shown, caret_at, carets) = snippet(&chars, col, carets);

    let shown = shown.trim_end();
    let sep = if shown.is_empty() { "" } else { " " };
    let mut out = format!(
        "error: {}\n{pad}--> {}:{}:{}\n{pad} |\n{line_no} |{sep}{shown}\n{pad} | {}{}",
        safe(&d.message),
        safe(path),
        d.span.line,
        d.span.col,
        " ".repeat(caret_at),
        "^".repeat(carets),
    );
    if let Some(hint) = &d.hint {
        out.push(' ');
        out.push_str(&safe(hint));
    }
    out.push('\n');
    out
}

/// The snippet of a line (cropped around column `col` when long), the caret's offset and the
/// carets' count, both in terminal columns: a wide character (CJK, most emoji) takes two.
fn snippet(chars: &[char], col: usize, carets: usize) -> (String, usize, usize) {
    let cropped = chars.len() > MAX_SNIPPET_CHARS;
    let (from, to) = if cropped {
        let from = (col - 1).saturating_sub(CROP_BEFORE).min(chars.len());
        (from, (from + MAX_SNIPPET_CHARS).min(chars.len()))
    } else {
        (0, chars.len())
    };
    let kept = chars.get(from..to).unwrap_or(&[]);
    let before = (col - 1).saturating_sub(from);
    let carets = if cropped {
        carets.min(kept.len().saturating_sub(before).max(1))
    } else {
        carets
    };
    let mut shown: String = kept.iter().collect();
    let mut caret_at = width_of(kept.iter().take(before)) + before.saturating_sub(kept.len());
    if from > 0 {
        shown.insert_str(0, "...");
        caret_at += 3;
    }
    if to < chars.len() {
        shown.push_str("...");
    }
    // Positions past the end of the line (a missing value) are one column each.
    let under = kept.get(before..).unwrap_or(&[]);
    let covered = carets.min(under.len());
    let carets = width_of(under.iter().take(covered)) + (carets - covered);
    (shown, caret_at, carets.max(1))
}

/// Terminal columns the characters take; zero-width ones (combining marks) take none.
fn width_of<'c>(chars: impl Iterator<Item = &'c char>) -> usize {
    chars.map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::super::{Diagnostic, Diagnostics, Span};

    fn diag(message: &str, hint: Option<&str>) -> Diagnostics {
        let span = Span {
            line: 1,
            col: 7,
            end_line: 1,
            end_col: 11,
        };
        Diagnostics(vec![Diagnostic::new(
            span,
            message.to_owned(),
            hint.map(str::to_owned),
        )])
    }

    #[test]
    fn clean_messages_are_unchanged() {
        let d = diag(
            "port must be between 1 and 65535, got 70000 — “ü”",
            Some("e.g. 8080"),
        );
        assert_eq!(
            d.short("shallot.yaml"),
            "shallot.yaml:1:7: port must be between 1 and 65535, got 70000 — “ü” (hint: e.g. 8080)"
        );
    }

    #[test]
    fn control_characters_are_escaped_everywhere() {
        let d = diag(
            "entrypoint `a\nshallot.yaml:9:9: forged` is \x1b[31mred\x1b[0m\t\u{7f}\u{85}\u{202e}",
            Some("no\r\nbell\x07"),
        );
        let short = d.short("shallot.yaml");
        assert_eq!(
            short,
            "shallot.yaml:1:7: entrypoint `a\\nshallot.yaml:9:9: forged` is \\x1b[31mred\\x1b[0m\\t\\x7f\\u{85}\\u{202e} (hint: no\\r\\nbell\\x07)"
        );
        assert_eq!(d.to_string(), short);
        let pretty = d.render("port: \x1b[2Jx\n", "shallot.yaml");
        assert!(
            !pretty.contains('\x1b') && !pretty.contains('\r'),
            "{pretty}"
        );
        assert_eq!(pretty.lines().count(), 5, "{pretty}");
    }

    #[test]
    fn long_messages_and_hints_are_cut() {
        let long = "x".repeat(1_000_000);
        let short = diag(&long, Some(&long)).short("f");
        assert_eq!(
            short.chars().count(),
            "f:1:7: ".len() + 401 + " (hint: )".len() + 401
        );
        assert!(short.contains(&format!("{}… (hint: ", "x".repeat(400))));
        let exact = "y".repeat(400);
        assert_eq!(diag(&exact, None).short("f"), format!("f:1:7: {exact}"));
        // An escape is never cut in half and counts as what it shows.
        let escaped = diag(&format!("{}\n", "z".repeat(399)), None).short("f");
        assert_eq!(escaped, format!("f:1:7: {}…", "z".repeat(399)));
    }

    #[test]
    fn carets_align_under_wide_characters() {
        let src = "env: {名前: 値値}\n";
        let d = Diagnostics(vec![Diagnostic::new(
            Span {
                line: 1,
                col: 11,
                end_line: 1,
                end_col: 13,
            },
            "bad".to_owned(),
            None,
        )]);
        let pretty = d.render(src, "f");
        let lines: Vec<&str> = pretty.lines().collect();
        assert_eq!(lines[3], "1 | env: {名前: 値値}");
        assert_eq!(lines[4], "  |             ^^^^");
        // Emoji too.
        let src = "build: [\"🦀 x\"]\n";
        let d = Diagnostics(vec![Diagnostic::new(
            Span::point(1, 12),
            "bad".to_owned(),
            None,
        )]);
        let pretty = d.render(src, "f");
        assert_eq!(pretty.lines().nth(4), Some("  |             ^"));
    }
}
