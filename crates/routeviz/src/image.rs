//! A drawn map as pixels, without exposing the rasterizer's types.

use resvg::tiny_skia::Pixmap;

/// A map drawn as pixels by [`RouteMap::to_image`](crate::RouteMap::to_image): 8-bit RGBA,
/// row by row from the top-left corner, alpha premultiplied (the map is drawn opaque on white,
/// so every alpha is 255 and the colours are as they show).
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub(crate) pixmap: Pixmap,
}

impl Image {
    /// The width in pixels.
    pub fn width(&self) -> u32 {
        self.pixmap.width()
    }

    /// The height in pixels.
    pub fn height(&self) -> u32 {
        self.pixmap.height()
    }

    /// The pixels: `width × height × 4` bytes of premultiplied RGBA.
    pub fn data(&self) -> &[u8] {
        self.pixmap.data()
    }

    /// The pixels, taken out of the image (as [`Image::data`]).
    pub fn into_data(self) -> Vec<u8> {
        self.pixmap.take()
    }
}
