//! An opt-in trace of where the frontend spends its time: a span for each call to BuildKit
//! (`connect`, `ping`, `inputs`, `solve`, `read dir`, `read file`, `resolve image config`,
//! `warn`, `return`) and for the frontend's own steps (`load`: the spec and the context read,
//! parsed and planned; `llb`: the graph made and marshalled), on one clock that starts when
//! [`serve`](super::serve) does.
//!
//! `--build-arg SHALLOT_TRACE=1` turns it on. BuildKit writes a frontend's stderr into its own
//! log (dockerd's or buildkitd's), never to the client, so the trace is shown in the build's
//! progress instead: each of its lines is the name of a vertex (names are one line: the graph
//! escapes line breaks), which `--progress=plain` prints as `#N [shallot trace] …`. The
//! vertices make empty directories on scratch, cached after the first traced build, and are
//! solved one by one so that they are shown in order: a millisecond or two a line, after every
//! span was timed. They are solved before the answer; the `return` span, which ends after
//! that, is only in the copy written to stderr.

use crate::proto::pb;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The build arg that turns the trace on (`1` or `true`).
pub const TRACE_ARG: &str = "SHALLOT_TRACE";

/// What every line of a trace starts with, so that its vertices stand out in the progress.
pub const TRACE_TITLE: &str = "[shallot trace]";

/// One timed step of the frontend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// What ran: a gateway call (`solve`, `read file`, …) or one of the frontend's own steps.
    pub call: &'static str,
    /// What it ran on: a path, an image, the name of a solved graph's last vertex.
    pub detail: String,
    /// When it started, from the start of the trace.
    pub start: Duration,
    /// How long it took.
    pub took: Duration,
}

/// Where the spans of one build are recorded; clones record into the same list. The default
/// is off: it records nothing, and a span costs one branch.
#[derive(Clone, Debug, Default)]
pub struct Trace(Option<Arc<Recorder>>);

#[derive(Debug)]
struct Recorder {
    origin: Instant,
    spans: Mutex<Vec<Span>>,
}

impl Trace {
    /// A trace that records, starting now.
    pub fn on() -> Trace {
        Trace(Some(Arc::new(Recorder {
            origin: Instant::now(),
            spans: Mutex::new(Vec::new()),
        })))
    }

    /// On when the build arg [`TRACE_ARG`] is `1` or `true`, else off.
    pub fn for_build_arg(value: Option<&str>) -> Trace {
        match value {
            Some("1" | "true") => Trace::on(),
            _ => Trace::default(),
        }
    }

    /// Whether spans are recorded.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Starts a span, recorded when the returned guard is dropped (at the end of the call, or
    /// when the call is cancelled). `detail` is only called when the trace is on.
    pub fn span(&self, call: &'static str, detail: impl FnOnce() -> String) -> SpanGuard {
        SpanGuard(self.0.as_ref().map(|recorder| Open {
            recorder: Arc::clone(recorder),
            call,
            detail: detail(),
            start: Instant::now(),
        }))
    }

    /// The spans recorded so far, by start.
    pub fn spans(&self) -> Vec<Span> {
        let Some(recorder) = &self.0 else {
            return Vec::new();
        };
        let mut spans = match recorder.spans.lock() {
            Ok(spans) => spans.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        spans.sort_by_key(|s| s.start);
        spans
    }

    /// The time since the trace started.
    pub fn elapsed(&self) -> Duration {
        self.0
            .as_ref()
            .map(|r| r.origin.elapsed())
            .unwrap_or_default()
    }

    /// The spans as a table, one line each, every line starting with [`TRACE_TITLE`]: a
    /// header, a line per span (start and duration in milliseconds; spans that run at the
    /// same time overlap) and the time so far.
    pub fn lines(&self) -> Vec<String> {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut lines = vec![format!(
            "{TRACE_TITLE} {:>7} {:>7}  call (ms from the frontend's start)",
            "start", "took"
        )];
        for span in self.spans() {
            let line = format!(
                "{TRACE_TITLE} {:>7.1} {:>7.1}  {:<21}{}",
                ms(span.start),
                ms(span.took),
                span.call,
                span.detail
            );
            lines.push(line.trim_end().to_string());
        }
        lines.push(format!(
            "{TRACE_TITLE} {:>7.1} {:>7}  so far",
            ms(self.elapsed()),
            ""
        ));
        lines
    }

    /// [`Trace::lines`] as one text.
    pub fn render(&self) -> String {
        self.lines().join("\n")
    }
}

/// A span being timed; see [`Trace::span`].
#[derive(Debug)]
pub struct SpanGuard(Option<Open>);

#[derive(Debug)]
struct Open {
    recorder: Arc<Recorder>,
    call: &'static str,
    detail: String,
    start: Instant,
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        let Some(open) = self.0.take() else { return };
        let span = Span {
            call: open.call,
            detail: open.detail,
            start: open.start.duration_since(open.recorder.origin),
            took: open.start.elapsed(),
        };
        match open.recorder.spans.lock() {
            Ok(mut spans) => spans.push(span),
            Err(poisoned) => poisoned.into_inner().push(span),
        }
    }
}

/// The progress name of the last vertex a definition builds (what its solve stands for), or
/// how many ops it has when that vertex is unnamed.
pub fn definition_label(definition: &pb::Definition) -> String {
    use prost::Message;
    let name = definition
        .def
        .last()
        .and_then(|terminal| pb::Op::decode(terminal.as_slice()).ok())
        .and_then(|terminal| terminal.inputs.first().map(|i| i.digest.clone()))
        .and_then(|digest| definition.metadata.get(&digest))
        .and_then(|meta| meta.description.get("llb.customname"))
        .cloned();
    // The terminal op is not a vertex of its own.
    let ops = definition.def.len().saturating_sub(1);
    name.unwrap_or_else(|| match ops {
        1 => "1 op".to_string(),
        n => format!("{n} ops"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llb::{LocalOptions, Meta, State};

    #[test]
    fn off_records_nothing_and_never_asks_for_details() {
        let trace = Trace::for_build_arg(Some("0"));
        let guard = trace.span("solve", || panic!("detail asked for"));
        drop(guard);
        assert!(!trace.is_on());
        assert!(trace.spans().is_empty());
    }

    #[test]
    fn spans_are_shared_by_clones_and_sorted_by_start() {
        let trace = Trace::for_build_arg(Some("1"));
        let first = trace.span("solve", || "a".to_string());
        let second = trace.clone().span("read file", || "b".to_string());
        drop(second);
        drop(first);
        let spans = trace.spans();
        let calls: Vec<_> = spans.iter().map(|s| (s.call, s.detail.as_str())).collect();
        assert_eq!(calls, [("solve", "a"), ("read file", "b")]);
        let lines = trace.lines();
        assert!(
            lines.iter().all(|l| l.starts_with(TRACE_TITLE)),
            "{lines:?}"
        );
        assert!(
            lines[1].contains(" solve ") && lines[1].ends_with(" a"),
            "{lines:?}"
        );
        assert_eq!(lines.len(), 4, "{lines:?}");
    }

    #[test]
    fn a_definition_is_labelled_by_its_last_vertex() {
        let meta = Meta {
            name: Some("[internal] load build definition from shallot.yaml".to_string()),
            ..Default::default()
        };
        let named = State::local("dockerfile", &LocalOptions::default(), meta).marshal(None);
        assert_eq!(
            definition_label(&named.pb),
            "[internal] load build definition from shallot.yaml"
        );
        let unnamed = State::local("context", &LocalOptions::default(), Meta::default());
        assert_eq!(definition_label(&unnamed.marshal(None).pb), "1 op");
    }
}
