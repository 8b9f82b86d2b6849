//! What a map drew of its input, and the budget a map drawn with `fit` is cut to.

use tcptrace::Trace;

/// With [`RenderOptions::fit`](crate::RenderOptions::fit), the most layout items (node
/// occurrences, one per TTL a node was seen at, plus the bend points of edges that span
/// several rows) a map is drawn with: about as many as a map within
/// [`MAX_PIXELS`](crate::MAX_PIXELS) can show legibly at scale 1 (16,384 px hold about 140
/// routers of about 116 px side by side, and 8,192 px about 100 rows of 78 px). It bounds the
/// work and memory of drawing a map shrunk down to [`MIN_SCALE`](crate::MIN_SCALE), which
/// would otherwise let in a hundred times more: 4,000 traces of 25 distinct routers each
/// (100,000 hops) are cut to at most their first 384 traces (26 nodes each with the blackhole of the
/// unreached target) instead of being laid out whole.
pub const MAX_FIT_NODES: usize = 10_000;

/// What a [`RouteMap`](crate::RouteMap) drew of the traces it was given.
///
/// A map drawn with [`RenderOptions::fit`](crate::RenderOptions::fit) that is over its
/// budget ([`MAX_FIT_NODES`], or the pixel budget even at
/// [`MIN_SCALE`](crate::MIN_SCALE)) is cut to its first traces, in input order; the traces
/// and hops left out are counted here and in a note drawn at the top of the map
/// ([`MapReport::note`]). Every other map draws everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapReport {
    /// Traces given.
    pub traces_given: usize,
    /// Traces drawn: the first `traces_drawn` of the input.
    pub traces_drawn: usize,
    /// Hops given: the [`Hop`](tcptrace::Hop) entries of every trace, silent ones included.
    pub hops_given: usize,
    /// Hops of the traces drawn.
    pub hops_drawn: usize,
}

/// The hops of a [`MapReport`]: `given == drawn + omitted`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapTally {
    /// Hops given.
    pub given: usize,
    /// Hops drawn.
    pub drawn: usize,
    /// Hops left out of the map, counted in its note.
    pub omitted: usize,
}

impl MapReport {
    /// The report of a map of the first `drawn` traces of `set`.
    pub(crate) fn of(traces: &[Trace], drawn: usize) -> Self {
        let drawn = drawn.min(traces.len());
        let hops = |ts: &[Trace]| ts.iter().map(|t| t.hops.len()).sum::<usize>();
        Self {
            traces_given: traces.len(),
            traces_drawn: drawn,
            hops_given: hops(traces),
            hops_drawn: hops(&traces[..drawn]),
        }
    }

    /// Traces left out of the map.
    pub fn traces_omitted(&self) -> usize {
        self.traces_given - self.traces_drawn
    }

    /// Hops left out of the map.
    pub fn hops_omitted(&self) -> usize {
        self.hops_given - self.hops_drawn
    }

    /// Whether every trace was drawn.
    pub fn is_complete(&self) -> bool {
        self.traces_drawn == self.traces_given
    }

    /// The hops given, drawn and left out.
    pub fn tally(&self) -> MapTally {
        MapTally {
            given: self.hops_given,
            drawn: self.hops_drawn,
            omitted: self.hops_omitted(),
        }
    }

    /// The note drawn at the top of a map that left traces out, `None` for a complete map:
    /// `3616 of 4000 traces (90400 of 100000 hops) not drawn: the map shows the first 384
    /// traces, to stay within 10000 nodes and its pixel budget`.
    pub fn note(&self) -> Option<String> {
        (!self.is_complete()).then(|| {
            format!(
                "{} of {} traces ({} of {} hops) not drawn: the map shows the first {} traces, \
                 to stay within {MAX_FIT_NODES} nodes and its pixel budget",
                self.traces_omitted(),
                self.traces_given,
                self.hops_omitted(),
                self.hops_given,
                self.traces_drawn
            )
        })
    }
}
