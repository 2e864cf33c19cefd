//! Line index over the spec text: turns serde-saphyr locations into [`Span`]s and prints
//! diagnostics in the short and the rustc-like form.

use serde_saphyr::Location;

use super::{Diagnostic, Span};

/// Longest source line shown unabridged in a snippet, in characters.
const MAX_SNIPPET_CHARS: usize = 120;
/// Characters kept before the caret when a long line is cropped.
const CROP_BEFORE: usize = 40;

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

/// `path:line:col: message (hint: …)`.
pub(super) fn short_line(d: &Diagnostic, path: &str) -> String {
    let mut out = format!("{path}:{}:{}: {}", d.span.line, d.span.col, d.message);
    if let Some(hint) = &d.hint {
        out.push_str(" (hint: ");
        out.push_str(hint);
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

    // Control characters (tabs included) become spaces so carets stay aligned.
    let chars: Vec<char> = src
        .line(line_no)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let carets = if d.span.end_line == d.span.line && d.span.end_col > d.span.col {
        (d.span.end_col - d.span.col) as usize
    } else if d.span.end_line > d.span.line {
        (chars.len() + 1).saturating_sub(col).max(1)
    } else {
        1
    };

    // Crop long lines around the caret.
    let (shown, caret_at, carets) = if chars.len() > MAX_SNIPPET_CHARS {
        let from = (col - 1).saturating_sub(CROP_BEFORE).min(chars.len());
        let to = (from + MAX_SNIPPET_CHARS).min(chars.len());
        let mut shown: String = chars.get(from..to).unwrap_or(&[]).iter().collect();
        let mut caret_at = col - 1 - from.min(col - 1);
        if from > 0 {
            shown.insert_str(0, "...");
            caret_at += 3;
        }
        if to < chars.len() {
            shown.push_str("...");
        }
        let room = (to - from)
            .saturating_sub(col - 1 - from.min(col - 1))
            .max(1);
        (shown, caret_at, carets.min(room))
    } else {
        (chars.iter().collect(), col - 1, carets)
    };

    let shown = shown.trim_end();
    let sep = if shown.is_empty() { "" } else { " " };
    let mut out = format!(
        "error: {}\n{pad}--> {path}:{}:{}\n{pad} |\n{line_no} |{sep}{shown}\n{pad} | {}{}",
        d.message,
        d.span.line,
        d.span.col,
        " ".repeat(caret_at),
        "^".repeat(carets),
    );
    if let Some(hint) = &d.hint {
        out.push(' ');
        out.push_str(hint);
    }
    out.push('\n');
    out
}
