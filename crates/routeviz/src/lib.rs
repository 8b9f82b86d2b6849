#![doc = include_str!("../README.md")]

mod dot;
mod error;
mod fit;
mod graph;
mod html;
mod ids;
mod image;
pub mod import;
mod input;
mod layout;
mod map;
mod options;
mod palette;
mod port;
mod raster;
mod svg;
mod text;
mod visit;

pub use error::{Error, Result};
pub use fit::{MAX_FIT_NODES, MapReport, MapTally};
pub use graph::{
    Edge, EdgeId, MAX_ECMP, MAX_EDGES, MAX_TRACES, Node, NodeId, NodeKind, RouteGraph, TraceInfo,
};
pub use image::Image;
pub use input::Traces;
pub use layout::{AsBox, Layout, PlacedNode};
pub use map::RouteMap;
pub use options::{
    MAX_PIXELS, MAX_PNG_WIDTH, MAX_SCALE, MIN_SCALE, PngCompression, RenderOptions,
    RenderOptionsBuilder,
};
pub use port::PortState;
pub use raster::encode_png;
pub use visit::Visit;
