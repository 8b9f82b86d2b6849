//! What a map is drawn from: traces of tcptrace's model, borrowed.

use tcptrace::{Trace, TraceReport};

/// The traces a map is drawn from, and the first TTL that was probed.
///
/// routeviz has no trace model of its own: it draws [`tcptrace::Trace`]s, the project's one
/// model, as the tracer writes them or an importer builds them. This is only a borrowed view,
/// made from a whole [`TraceReport`] (which knows its first TTL) or from a slice of traces:
///
/// ```
/// # let report = tcptrace::TraceReport::from_json(r#"{"params":{"min_ttl":1,"max_ttl":30,
/// #   "timeout_s":2.0,"retry":0,"max_in_flight":256,"all_ttls":false},
/// #   "started_at":"2026-01-02T03:04:05.678Z","traces":[]}"#).unwrap();
/// use routeviz::{RouteMap, Traces};
///
/// let whole = RouteMap::new(&report)?;
/// let first_two = RouteMap::new(Traces::new(&report.traces[..report.traces.len().min(2)]).min_ttl(1))?;
/// # Ok::<(), routeviz::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Traces<'a> {
    pub(crate) traces: &'a [Trace],
    pub(crate) min_ttl: Option<u8>,
}

impl<'a> Traces<'a> {
    /// The traces, with no first TTL known: each trace is drawn from its first answered TTL.
    pub fn new(traces: &'a [Trace]) -> Self {
        Self {
            traces,
            min_ttl: None,
        }
    }

    /// The first TTL probed: silent TTLs from there to a trace's first answer are drawn as an
    /// unknown hop.
    #[must_use]
    pub fn min_ttl(mut self, ttl: u8) -> Self {
        self.min_ttl = Some(ttl);
        self
    }

    /// The traces.
    pub fn traces(&self) -> &'a [Trace] {
        self.traces
    }

    /// The first `k` traces (all of them when `k` is larger), with the same first TTL.
    pub(crate) fn first(self, k: usize) -> Self {
        Self {
            traces: &self.traces[..k.min(self.traces.len())],
            ..self
        }
    }
}

impl<'a> From<&'a TraceReport> for Traces<'a> {
    fn from(report: &'a TraceReport) -> Self {
        Self::new(&report.traces).min_ttl(report.params.min_ttl)
    }
}

impl<'a> From<&'a [Trace]> for Traces<'a> {
    fn from(traces: &'a [Trace]) -> Self {
        Self::new(traces)
    }
}

impl<'a> From<&'a Vec<Trace>> for Traces<'a> {
    fn from(traces: &'a Vec<Trace>) -> Self {
        Self::new(traces)
    }
}

impl<'a, const N: usize> From<&'a [Trace; N]> for Traces<'a> {
    fn from(traces: &'a [Trace; N]) -> Self {
        Self::new(traces)
    }
}
