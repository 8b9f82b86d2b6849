//! The one-call entry point: traces in, SVG, PNG or DOT out.

use crate::graph::RouteGraph;
use crate::layout::Layout;
use crate::model::TraceSet;
use crate::options::RenderOptions;
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
    /// [`RouteGraph::new`].
    pub fn new(set: &TraceSet) -> Result<Self> {
        let graph = RouteGraph::new(set)?;
        let layout = Layout::new(&graph);
        Ok(Self { graph, layout })
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

    /// Draws the map as PNG at the options' scale, with the bundled `DejaVu Sans` font.
    ///
    /// # Errors
    ///
    /// Returns [`Error::TextNotRendered`](crate::Error::TextNotRendered) if any text could not
    /// be laid out, [`Error::ImageTooLarge`](crate::Error::ImageTooLarge) past
    /// [`MAX_PIXELS`](crate::MAX_PIXELS), and [`Error::Svg`](crate::Error::Svg) or
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
        let (svg, texts) = svg::write(&self.graph, &self.layout, opts);
        raster::rasterize(&svg, texts, opts.scale)
    }

    /// Writes the map as graphviz DOT in scapy's style.
    pub fn to_dot(&self, opts: &RenderOptions) -> String {
        dot::write(&self.graph, opts)
    }
}
