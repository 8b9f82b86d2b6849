//! The crate's error type.

/// Everything that can go wrong when drawing a route map. (Reading trace JSON is
/// [`tcptrace::TraceReport::from_json`]'s, with serde's error.)
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than a route map can sensibly show.
    #[error("input too large: {what} is {got}, the limit is {limit}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// How many there were.
        got: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A render option was out of range.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// usvg could not read the SVG we wrote (a bug).
    #[error("SVG could not be parsed for rasterizing: {0}")]
    Svg(String),
    /// Some text was not laid out, so the PNG would silently lack labels.
    #[error(
        "text was not laid out: {drawn} of {expected} text elements have glyphs (font missing?)"
    )]
    TextNotRendered {
        /// Text elements in the SVG.
        expected: usize,
        /// Text elements that came out as glyph outlines.
        drawn: usize,
    },
    /// The PNG would be larger than the pixel limit.
    #[error("image of {width}x{height} pixels is too large (limit {limit} pixels)")]
    ImageTooLarge {
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// The most pixels allowed.
        limit: u64,
    },
    /// Encoding the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
