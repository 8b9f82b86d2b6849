#![doc = include_str!("../README.md")]

#[cfg(feature = "tcptrace")]
mod convert;
mod dot;
mod error;
mod fit;
mod graph;
mod layout;
mod map;
mod model;
mod options;
mod raster;
mod svg;
mod text;

pub use error::{Error, Result};
pub use fit::{MAX_FIT_NODES, MapReport, MapTally};
pub use graph::{Edge, MAX_ECMP, MAX_EDGES, MAX_TRACES, Node, NodeKind, RouteGraph, TraceInfo};
pub use layout::{AsBox, Layout, PlacedNode};
pub use map::RouteMap;
pub use model::{Hop, PortState, Reply, ReplyKind, Trace, TraceParams, TraceSet};
pub use options::{MAX_SCALE, MIN_SCALE, PngCompression, RenderOptions, RenderOptionsBuilder};
pub use petgraph;
pub use raster::{MAX_PIXELS, encode_png};
pub use resvg::tiny_skia;
