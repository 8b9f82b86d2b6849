//! The one-call entry point: traces in, SVG, PNG or DOT out.

use crate::graph::RouteGraph;
use crate::layout::Layout;
use crate::model::TraceSet;
use crate::options::{MIN_SCALE, RenderOptions};
use crate::{Result, dot, raster, svg};
use resvg::tiny_skia;

/// A route map: the graph of a [`TraceSet`] and its layout, ready to draw.
#[derive(Clone, Debug)]
pub struct RouteMap {
    graph: RouteGraph,
    layout: Layout,
}

impl RouteMap {
    /// Builds the graph of `set` and lays it out.
    ///
    /// # Errors
    ///
    /// Returns [`Error::TooLarge`](crate::Error::TooLarge) when the input exceeds the limits of
    /// [`RouteGraph::new`], and [`Error::ImageTooLarge`](crate::Error::ImageTooLarge) when a
    /// cheap lower bound on the map's size (the widest TTL layer by the number of layers, at
    /// 1 px per unit) is over [`MAX_PIXELS`](crate::MAX_PIXELS). That check runs before the
    /// layout, so an oversized map (say 100,000 hops) fails in milliseconds and bounded memory.
    pub fn new(set: &TraceSet) -> Result<Self> {
        Self::checked(set, 1.0, raster::MAX_PIXELS)
    }

    /// Builds the graph of `set` and lays it out, to be drawn as PNG with `opts`: as
    /// [`RouteMap::new`], but the lower bound is checked at the scale the PNG is drawn at
    /// ([`RenderOptions::scale`], or [`MIN_SCALE`] when [`RenderOptions::fit`] is on) against
    /// [`RenderOptions::max_pixels`]. A map that fits at a smaller scale is thus accepted, and a
    /// map that cannot fit even at [`MIN_SCALE`] is refused before the layout.
    ///
    /// # Errors
    ///
    /// As [`RouteMap::new`].
    pub fn for_png(set: &TraceSet, opts: &RenderOptions) -> Result<Self> {
        let scale = if opts.fit { MIN_SCALE } else { opts.scale };
        Self::checked(set, scale, opts.max_pixels)
    }

    fn checked(set: &TraceSet, scale: f32, limit: u64) -> Result<Self> {
        let graph = RouteGraph::new(set)?;
        let (w, h) = crate::layout::size_lower_bound(&graph);
        let (wu, hu) = pixels(w, h, scale);
        if wu.saturating_mul(hu) > limit {
            return Err(crate::Error::ImageTooLarge {
                width: wu,
                height: hu,
                limit,
            });
        }
        let layout = Layout::new(&graph);
        Ok(Self { graph, layout })
    }

    /// The scale the PNG is drawn at: the options' scale, or with [`RenderOptions::fit`] the
    /// largest scale down to [`MIN_SCALE`] at which it has at most `max_pixels`.
    fn png_scale(&self, opts: &RenderOptions) -> Result<f32> {
        let (w, h) = svg::size(&self.graph, &self.layout, opts);
        let limit = opts.max_pixels;
        let fits = |s: f32| {
            let (wu, hu) = pixels(w, h, s);
            wu.saturating_mul(hu) <= limit
        };
        let mut scale = opts.scale;
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
        if fits(scale) {
            Ok(scale)
        } else {
            let (width, height) = pixels(w, h, scale);
            Err(crate::Error::ImageTooLarge {
                width,
                height,
                limit,
            })
        }
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
        svg::write(&self.graph, &self.layout, opts).0
    }

    /// Draws the map as PNG at the options' scale, with the bundled `DejaVu Sans` font. With
    /// [`RenderOptions::fit`], a map over [`RenderOptions::max_pixels`] at that scale is drawn at
    /// the largest smaller scale (down to [`MIN_SCALE`]) that fits. The size is checked before
    /// the SVG is written.
    ///
    /// # Errors
    ///
    /// Returns [`Error::TextNotRendered`](crate::Error::TextNotRendered) if any text could not
    /// be laid out, [`Error::ImageTooLarge`](crate::Error::ImageTooLarge) past
    /// [`RenderOptions::max_pixels`] (at [`MIN_SCALE`] with `fit`), and [`Error::Svg`](crate::Error::Svg) or
    /// [`Error::Png`](crate::Error::Png) if rasterizing or encoding failed.
    pub fn to_png(&self, opts: &RenderOptions) -> Result<Vec<u8>> {
        raster::encode_png(&self.to_pixmap(opts)?, opts.png_compression)
    }

    /// Draws the map into an opaque pixmap at the options' scale, for callers that compose
    /// images or encode them themselves (see [`encode_png`](crate::encode_png)).
    ///
    /// # Errors
    ///
    /// As [`RouteMap::to_png`], except for encoding.
    pub fn to_pixmap(&self, opts: &RenderOptions) -> Result<tiny_skia::Pixmap> {
        let scale = self.png_scale(opts)?;
        let (svg, texts) = svg::write(&self.graph, &self.layout, opts);
        raster::rasterize(&svg, texts, scale, opts.max_pixels)
    }

    /// Writes the map as graphviz DOT in scapy's style.
    pub fn to_dot(&self, opts: &RenderOptions) -> String {
        dot::write(&self.graph, opts)
    }
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
