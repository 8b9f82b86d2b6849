//! Render options and their builder.

use crate::text::clean;
use crate::{Error, Result};

/// The longest title shown, in characters.
const TITLE_CHARS: usize = 120;
/// The smallest PNG scale.
pub const MIN_SCALE: f32 = 0.1;
/// The largest PNG scale.
pub const MAX_SCALE: f32 = 8.0;
/// The most pixels a PNG may have (a 16384×8192 image).
pub const MAX_PIXELS: u64 = 16_384 * 8_192;
/// The widest PNG drawn, in pixels: a map wider than this at the requested scale is drawn at
/// the largest smaller scale that fits (down to [`MIN_SCALE`]), so that a scan of many
/// targets stays a picture a screen or a ticket can show (4096 px: two 1080p screens, or a
/// 4K one) instead of a strip of thousands of pixels.
pub const MAX_PNG_WIDTH: u64 = 4096;

/// How to draw a route map. Build with [`RenderOptions::builder`]; `Default` draws a legend,
/// no title, no RTT labels, at scale 1, within [`MAX_PIXELS`], refusing a PNG over that budget
/// rather than shrinking it.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderOptions {
    pub(crate) title: Option<String>,
    pub(crate) rtt_labels: bool,
    pub(crate) legend: bool,
    pub(crate) scale: f32,
    pub(crate) png_compression: PngCompression,
    pub(crate) fit: bool,
    pub(crate) max_pixels: u64,
}

/// How hard the PNG encoder compresses: speed against file size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PngCompression {
    /// fdeflate with the Paeth filter: the fastest, files about twice the size of
    /// [`PngCompression::Balanced`] (the default; see the measurements in
    /// `benches/routeviz.rs`).
    #[default]
    Fast,
    /// zlib level 6 with the Sub filter, like most PNG writers: about ten times slower.
    Balanced,
    /// zlib's best level with the adaptive filter: the smallest files, the slowest.
    Small,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            title: None,
            rtt_labels: false,
            legend: true,
            scale: 1.0,
            png_compression: PngCompression::Fast,
            fit: false,
            max_pixels: MAX_PIXELS,
        }
    }
}

impl RenderOptions {
    /// A builder starting from the defaults.
    pub fn builder() -> RenderOptionsBuilder {
        RenderOptionsBuilder {
            opts: Self::default(),
            error: None,
        }
    }

    /// The title, cleaned and bounded.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Whether edges carry RTT labels.
    pub fn rtt_labels(&self) -> bool {
        self.rtt_labels
    }

    /// Whether the legend of trace colours is drawn.
    pub fn legend(&self) -> bool {
        self.legend
    }

    /// The PNG scale factor.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The PNG compression.
    pub fn png_compression(&self) -> PngCompression {
        self.png_compression
    }

    /// Whether a PNG over the pixel budget is drawn at a smaller scale instead of refused.
    pub fn fit(&self) -> bool {
        self.fit
    }

    /// The most pixels a PNG may have ([`MAX_PIXELS`] by default).
    pub fn max_pixels(&self) -> u64 {
        self.max_pixels
    }
}

/// Builds [`RenderOptions`]; [`RenderOptionsBuilder::build`] reports the first invalid setting.
#[derive(Clone, Debug)]
pub struct RenderOptionsBuilder {
    opts: RenderOptions,
    error: Option<Error>,
}

impl RenderOptionsBuilder {
    /// A title drawn above the map (untrusted text is cleaned and shortened).
    #[must_use]
    pub fn title(mut self, title: impl AsRef<str>) -> Self {
        let t = clean(title.as_ref(), TITLE_CHARS);
        self.opts.title = (!t.is_empty()).then_some(t);
        self
    }

    /// Draws the RTT of each hop on the edge leading to it.
    #[must_use]
    pub fn rtt_labels(mut self, on: bool) -> Self {
        self.opts.rtt_labels = on;
        self
    }

    /// Draws the legend of trace colours (on by default).
    #[must_use]
    pub fn legend(mut self, on: bool) -> Self {
        self.opts.legend = on;
        self
    }

    /// The PNG scale factor, from [`MIN_SCALE`] to [`MAX_SCALE`] (1 by default).
    #[must_use]
    pub fn scale(mut self, scale: f32) -> Self {
        if scale.is_finite() && (MIN_SCALE..=MAX_SCALE).contains(&scale) {
            self.opts.scale = scale;
        } else if self.error.is_none() {
            self.error = Some(Error::InvalidOption {
                name: "scale",
                reason: format!("{scale} is not within {MIN_SCALE}..={MAX_SCALE}"),
            });
        }
        self
    }

    /// How hard to compress PNGs ([`PngCompression::Fast`] by default).
    #[must_use]
    pub fn png_compression(mut self, compression: PngCompression) -> Self {
        self.opts.png_compression = compression;
        self
    }

    /// When the PNG at the requested scale would be over the pixel budget, draws it at the
    /// largest smaller scale (down to [`MIN_SCALE`]) that fits, instead of returning
    /// [`Error::ImageTooLarge`] (off by default).
    #[must_use]
    pub fn fit(mut self, on: bool) -> Self {
        self.opts.fit = on;
        self
    }

    /// The most pixels a PNG may have, from 1 to [`MAX_PIXELS`] (the default).
    #[must_use]
    pub fn max_pixels(mut self, pixels: u64) -> Self {
        if (1..=MAX_PIXELS).contains(&pixels) {
            self.opts.max_pixels = pixels;
        } else if self.error.is_none() {
            self.error = Some(Error::InvalidOption {
                name: "max_pixels",
                reason: format!("{pixels} is not within 1..={MAX_PIXELS}"),
            });
        }
        self
    }

    /// The options.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidOption`] for the first setting that was out of range.
    pub fn build(self) -> Result<RenderOptions> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.opts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_validated() {
        assert!(RenderOptions::builder().scale(2.0).build().is_ok());
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY, 100.0] {
            let e = RenderOptions::builder()
                .scale(bad)
                .scale(1.0)
                .build()
                .unwrap_err();
            assert!(
                matches!(e, Error::InvalidOption { name: "scale", .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn max_pixels_is_validated() {
        let o = RenderOptions::builder()
            .max_pixels(100)
            .fit(true)
            .build()
            .unwrap();
        assert_eq!((o.max_pixels(), o.fit()), (100, true));
        for bad in [0, MAX_PIXELS + 1] {
            let e = RenderOptions::builder()
                .max_pixels(bad)
                .build()
                .unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidOption {
                        name: "max_pixels",
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn title_is_cleaned() {
        let o = RenderOptions::builder()
            .title("a\u{0}b\n c")
            .build()
            .unwrap();
        assert_eq!(o.title(), Some("ab c"));
        let o = RenderOptions::builder()
            .title("x".repeat(10_000))
            .build()
            .unwrap();
        assert_eq!(o.title().unwrap().chars().count(), TITLE_CHARS);
    }
}
