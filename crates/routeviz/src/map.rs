//! The one-call entry point: traces in, SVG, PNG, DOT or HTML out.

use crate::fit::{MAX_FIT_NODES, MapReport};
use crate::graph::RouteGraph;
use crate::image::Image;
use crate::input::Traces;
use crate::layout::Layout;
use crate::options::{MAX_PNG_WIDTH, MIN_SCALE, RenderOptions};
use crate::{Error, Result, dot, html, raster, svg};

/// A route map: the graph of some [`Traces`] and its layout, ready to draw.
#[derive(Clone, Debug)]
pub struct RouteMap {
    graph: RouteGraph,
    layout: Layout,
    report: MapReport,
    note: Option<String>,
}

impl RouteMap {
    /// Builds the graph of `traces` (a [`tcptrace::TraceReport`], a slice of
    /// [`tcptrace::Trace`]s or a [`Traces`] view) and lays it out.
    ///
    /// # Errors
    ///
    /// Returns [`Error::TooLarge`](crate::Error::TooLarge) when the input exceeds the limits of
    /// [`RouteGraph::new`], and [`Error::ImageTooLarge`](crate::Error::ImageTooLarge) when a
    /// cheap lower bound on the map's size (the widest TTL layer by the number of layers, at
    /// 1 px per unit) is over [`MAX_PIXELS`](crate::MAX_PIXELS). That check runs before the
    /// layout, so an oversized map (say 100,000 hops) fails in milliseconds and bounded memory.
    pub fn new<'a>(traces: impl Into<Traces<'a>>) -> Result<Self> {
        Self::checked(traces.into(), 1.0, crate::MAX_PIXELS)
    }

    /// Builds the graph of `traces` and lays it out, to be drawn as PNG with `opts`: as
    /// [`RouteMap::new`], but the lower bound is checked at the scale the PNG is drawn at
    /// ([`RenderOptions::scale`], or [`MIN_SCALE`] when [`RenderOptions::fit`] is on) against
    /// [`RenderOptions::max_pixels`]. A map that fits at a smaller scale is thus accepted.
    ///
    /// With [`RenderOptions::fit`], a map over [`MAX_FIT_NODES`] layout items, over the pixel
    /// budget even at [`MIN_SCALE`] (legend and title included), or over
    /// [`MAX_TRACES`](crate::MAX_TRACES) or [`MAX_EDGES`](crate::MAX_EDGES), is cut to the
    /// longest run of its first traces within all of them, found from the graph before any
    /// layout (so 100,000 distinct hops are cut in bounded memory, not laid out whole). What is
    /// left out is counted in [`RouteMap::report`] and drawn as a note at the top of the map.
    ///
    /// # Errors
    ///
    /// As [`RouteMap::new`]; with `fit`, [`Error::ImageTooLarge`] only when even the first
    /// trace alone is over the pixel budget at [`MIN_SCALE`].
    pub fn for_png<'a>(traces: impl Into<Traces<'a>>, opts: &RenderOptions) -> Result<Self> {
        let set = traces.into();
        if opts.fit {
            Self::fitted(set, opts)
        } else {
            Self::checked(set, opts.scale, opts.max_pixels)
        }
    }

    fn checked(set: Traces<'_>, scale: f32, limit: u64) -> Result<Self> {
        let graph = RouteGraph::new(set)?;
        Self::check_bound(&graph, scale, limit)?;
        Ok(Self::laid_out(
            graph,
            MapReport::of(set.traces, set.traces.len()),
        ))
    }

    /// Refuses a graph whose lower bound on the drawn size is over `limit` pixels at `scale`.
    fn check_bound(graph: &RouteGraph, scale: f32, limit: u64) -> Result<()> {
        let (w, h) = crate::layout::size_lower_bound(graph);
        let (wu, hu) = pixels(w, h, scale);
        if wu.saturating_mul(hu) > limit {
            return Err(Error::ImageTooLarge {
                width: wu,
                height: hu,
                limit,
            });
        }
        Ok(())
    }

    fn laid_out(graph: RouteGraph, report: MapReport) -> Self {
        let layout = Layout::new(&graph);
        Self {
            graph,
            layout,
            note: report.note(),
            report,
        }
    }

    /// The map of the longest run of first traces of `set` within [`MAX_FIT_NODES`] and the
    /// pixel budget at [`MIN_SCALE`].
    fn fitted(set: Traces<'_>, opts: &RenderOptions) -> Result<Self> {
        let limit = opts.max_pixels;
        // Whether the graph of the first `k` traces passes the checks that need no layout.
        // Both only grow with `k`, so the longest passing run is found by bisection.
        let passes = |k: usize| -> Result<bool> {
            match RouteGraph::of_first(set, k) {
                Ok(g) => Ok(g.layout_items() <= MAX_FIT_NODES
                    && Self::check_bound(&g, MIN_SCALE, limit).is_ok()
                    && within_width(crate::layout::size_lower_bound(&g).0)),
                Err(Error::TooLarge {
                    what: "edges" | "traces",
                    ..
                }) => Ok(false),
                Err(e) => Err(e),
            }
        };
        let n = set.traces.len();
        let mut k = if passes(n)? {
            n
        } else {
            // passes(lo) and !passes(hi).
            let (mut lo, mut hi) = (0, n);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if passes(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        if k == 0 {
            // Even the first trace is over: say by how much.
            Self::check_bound(&RouteGraph::of_first(set, 1)?, MIN_SCALE, limit)?;
            k = 1;
        }
        // The layout and the legend can make the map larger than its bound: draw fewer traces
        // until it fits at the smallest scale (each round cuts by the excess, at least one).
        loop {
            let map = Self::laid_out(RouteGraph::of_first(set, k)?, MapReport::of(set.traces, k));
            let (w, h, _, _) = svg::placement(&map.graph, &map.layout, opts, map.note.as_deref());
            let (wu, hu) = pixels(w, h, MIN_SCALE);
            let area = wu.saturating_mul(hu);
            if (area <= limit && wu <= MAX_PNG_WIDTH) || k == 1 {
                return Ok(map);
            }
            // Over the width only: cut by the excess width instead.
            let area = area.max(limit.saturating_mul(wu) / MAX_PNG_WIDTH);
            #[expect(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "an estimate of how many traces fit, clamped below"
            )]
            let shrunk = (k as f64 * limit as f64 / area as f64) as usize;
            k = shrunk.clamp(1, k - 1);
        }
    }

    /// The scale the PNG is drawn at: the options' scale, or with [`RenderOptions::fit`] the
    /// largest scale down to [`MIN_SCALE`] at which it has at most `max_pixels`.
    fn png_scale(&self, opts: &RenderOptions) -> Result<f32> {
        let (w, h, _, _) = svg::placement(&self.graph, &self.layout, opts, self.note.as_deref());
        let limit = opts.max_pixels;
        let fits = |s: f32| {
            let (wu, hu) = pixels(w, h, s);
            wu.saturating_mul(hu) <= limit
        };
        // The width bound holds with or without `fit`: a wide map is drawn smaller.
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            reason = "a scale from two sizes"
        )]
        let mut scale = opts
            .scale
            .min((MAX_PNG_WIDTH as f64 / w) as f32)
            .max(MIN_SCALE);
        while pixels(w, h, scale).0 > MAX_PNG_WIDTH && scale > MIN_SCALE {
            scale = (scale * 0.999).max(MIN_SCALE);
        }
        if !fits(scale) && opts.fit {
            #[expect(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                reason = "an estimate, refined below"
            )]
            let guess = ((limit as f64 / (w * h)).sqrt() as f32).min(scale);
            scale = guess.max(MIN_SCALE);
            while !fits(scale) && scale > MIN_SCALE {
                scale = (scale * 0.995).max(MIN_SCALE);
            }
        }
        if fits(scale) && pixels(w, h, scale).0 <= MAX_PNG_WIDTH {
            Ok(scale)
        } else {
            let (width, height) = pixels(w, h, scale);
            Err(Error::ImageTooLarge {
                width,
                height,
                limit,
            })
        }
    }

    /// What the map drew of the traces it was given: everything, except for a map cut by
    /// [`RenderOptions::fit`] (see [`RouteMap::for_png`]).
    pub fn report(&self) -> &MapReport {
        &self.report
    }

    /// The graph.
    pub fn graph(&self) -> &RouteGraph {
        &self.graph
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Draws the map as SVG.
    pub fn to_svg(&self, opts: &RenderOptions) -> String {
        svg::write(&self.graph, &self.layout, opts, self.note.as_deref()).0
    }

    /// Draws the map as PNG at the options' scale, with the bundled `DejaVu Sans` font. A map
    /// wider than [`MAX_PNG_WIDTH`] at that scale is drawn at the largest smaller scale that
    /// fits, down to [`MIN_SCALE`]. With [`RenderOptions::fit`], a map over
    /// [`RenderOptions::max_pixels`] at that scale is drawn at the largest smaller scale (down
    /// to [`MIN_SCALE`]) that fits. The size is checked before the SVG is written.
    ///
    /// # Errors
    ///
    /// Returns [`Error::TextNotRendered`](crate::Error::TextNotRendered) if any text could not
    /// be laid out, [`Error::ImageTooLarge`](crate::Error::ImageTooLarge) past
    /// [`RenderOptions::max_pixels`] (at [`MIN_SCALE`] with `fit`) or when even at
    /// [`MIN_SCALE`] the map is wider than [`MAX_PNG_WIDTH`], and [`Error::Svg`](crate::Error::Svg) or
    /// [`Error::Png`](crate::Error::Png) if rasterizing or encoding failed.
    pub fn to_png(&self, opts: &RenderOptions) -> Result<Vec<u8>> {
        raster::encode_png(&self.to_image(opts)?, opts.png_compression)
    }

    /// Draws the map into an opaque [`Image`] at the options' scale, for callers that compose
    /// images or encode them themselves (see [`encode_png`](crate::encode_png)).
    ///
    /// # Errors
    ///
    /// As [`RouteMap::to_png`], except for encoding.
    pub fn to_image(&self, opts: &RenderOptions) -> Result<Image> {
        let scale = self.png_scale(opts)?;
        let (svg, texts) = svg::write(&self.graph, &self.layout, opts, self.note.as_deref());
        raster::rasterize(&svg, texts, scale, opts.max_pixels)
    }

    /// Writes the map as one self-contained HTML page: the SVG of [`RouteMap::to_svg`] inline,
    /// with pan and zoom, the detail of a node on hover or click (address, PTR name, AS
    /// number and name, RTT min/avg/max and loss per trace, MPLS labels, unreachable marks,
    /// middlebox rewrites), a legend whose entries highlight one trace, a search box for an
    /// address, a name or an AS, and an AS-level view that folds each AS into one node.
    ///
    /// The page loads nothing: a Content-Security-Policy of `default-src 'none'` allows only
    /// its own inline script and styles, by their SHA-256 hashes. Every text is escaped; the
    /// nodes' details are a JSON data island that the script shows with `textContent`, so no
    /// AS name, PTR name or target ever becomes markup.
    pub fn to_html(&self, opts: &RenderOptions) -> String {
        html::write(&self.graph, &self.layout, opts, self.note.as_deref())
    }

    /// Writes the map as graphviz DOT in scapy's style (with what it leaves out as a comment).
    pub fn to_dot(&self, opts: &RenderOptions) -> String {
        let dot = dot::write(&self.graph, opts);
        match &self.note {
            Some(note) => format!("// {note}\n{dot}"),
            None => dot,
        }
    }
}

/// Whether a map `w` units wide can be drawn within [`MAX_PNG_WIDTH`] at [`MIN_SCALE`].
fn within_width(w: f64) -> bool {
    pixels(w, 1.0, MIN_SCALE).0 <= MAX_PNG_WIDTH
}

/// The pixel size of `w` by `h` user units at `scale`, rounded up as the rasterizer does.
#[expect(
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    reason = "sizes are positive; `as` saturates"
)]
fn pixels(w: f64, h: f64, scale: f32) -> (u64, u64) {
    let s = f64::from(scale);
    (
        (w * s).ceil().max(1.0) as u64,
        (h * s).ceil().max(1.0) as u64,
    )
}
