//! The image's pixel budget: an upper bound of the image librrd will allocate, checked before
//! librrd runs.
//!
//! librrd sizes its cairo surface as `(ximg × zoom) × (yimg × zoom)` 32-bit pixels, where the
//! image is the canvas (`--width` × `--height`) plus the margins around it: the y-axis labels
//! (`--units-length` digits, or as wide as `--left-axis-format` makes them), the vertical
//! labels, the title, the x-axis labels, one legend row per legend item, the watermark and the
//! border. All of these grow with the font sizes, and cairo rasterises every glyph into a mask
//! of the glyph's own size. This module bounds each part from above,
//! with the same formulas as librrd's `graph_size_location` and generous per-character widths,
//! so the real image is never larger than the estimate.

use crate::element::Element;
use crate::options::{GraphOption, LegendPosition};
use crate::value::MAX_LEGEND_LEN;

/// The most pixels an image may have, zoom included: 2^25 (32 Mi pixels, a 128 MiB surface;
/// e.g. 8000 × 4000).
///
/// A larger canvas, font, border, zoom or legend makes librrd ask cairo for more: at about 150
/// Mi pixels cairo runs out of memory under a 768 MiB limit, and the PNG encoder needs as
/// much again.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 25;

/// The widest LINE, in pixels (100,000, the widest canvas): cairo strokes a line of 10^10
/// pixels with a quarter of a GiB and one of 10^11 with more than 10 s of CPU and 700 MiB
/// (found by the differential fuzzer).
pub const MAX_LINE_WIDTH: f64 = 100_000.0;

/// librrd's default font sizes (points): default, title, axis, unit, legend, watermark.
const DEFAULT_FONT_SIZE: f64 = 9.0;

/// Pixels per point, with room to spare (Pango lays text out at 96 dpi: 4/3 pixel per point,
/// and no glyph of librrd's fonts is wider than its size).
const PX_PER_POINT: f64 = 2.0;

/// An upper bound of the image size in pixels, zoom included.
pub(crate) fn estimate(options: &[GraphOption], elements: &[Element]) -> f64 {
    let mut width = 400.0;
    let mut height = 100.0;
    let mut zoom = 1.0;
    let mut border = 2.0;
    let mut units = 6.0f64;
    let mut font = DEFAULT_FONT_SIZE;
    let (mut only_graph, mut full_size, mut no_legend, mut side_legend) =
        (false, false, false, false);
    let (mut title, mut watermark) = (false, false);
    for o in options {
        match o {
            GraphOption::Width(v) => width = f64::from(*v),
            GraphOption::Height(v) => height = f64::from(*v),
            GraphOption::Zoom(v) => zoom = *v,
            GraphOption::Border(v) => border = f64::from(*v),
            GraphOption::UnitsLength(v) => units = units.max(f64::from(*v)),
            GraphOption::Font(f) => font = font.max(f.size),
            GraphOption::OnlyGraph => only_graph = true,
            GraphOption::FullSizeMode => full_size = true,
            GraphOption::NoLegend => no_legend = true,
            GraphOption::LegendPosition(p) => {
                side_legend = matches!(p, LegendPosition::East | LegendPosition::West);
            }
            GraphOption::Title(t) => title = !t.is_empty(),
            GraphOption::Watermark(t) => watermark = !t.is_empty(),
            GraphOption::LeftAxisFormat(f) | GraphOption::RightAxisFormat(f) => {
                // A label is at most the format's text plus its widest conversion.
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "short text and a small constant"
                )]
                let len = (f.len() + crate::value::MAX_FORMAT_WIDTH + 2) as f64;
                units = units.max(len);
            }
            _ => {}
        }
    }
    let (w, h) = if only_graph || full_size {
        (width, height)
    } else {
        let px = font * PX_PER_POINT;
        // One row per legend item at most (items share rows when they fit).
        #[expect(clippy::cast_precision_loss, reason = "an element count")]
        let rows = elements.iter().filter(|e| e.legend().is_some()).count() as f64 + 1.0;
        let legend_w = if side_legend && !no_legend {
            #[expect(clippy::cast_precision_loss, reason = "a small constant")]
            let widest = MAX_LEGEND_LEN as f64;
            widest * px
        } else {
            0.0
        };
        let legend_h = if no_legend { 0.0 } else { rows * px * 2.0 };
        // Both axes' labels, the two vertical labels, the spacings and the border.
        let w = width + 2.0 * units * px + 4.0 * px + 60.0 + legend_w + 2.0 * border;
        let title_h = if title { 3.2 * px } else { 15.0 };
        let mark_h = if watermark { 2.0 * px } else { 4.0 };
        let h = height + title_h + 2.5 * px + legend_h + mark_h + 30.0 + 2.0 * border;
        (w, h)
    };
    // Cairo rasterises each glyph into a mask of its own size, so the largest glyph is bounded
    // too (a `--full-size-mode` image does not grow with its fonts).
    let glyph = font * PX_PER_POINT * zoom;
    (w * zoom * h * zoom).max(glyph * glyph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_graph_is_well_within_budget() {
        let e = estimate(&[], &[]);
        // librrd draws the default graph at 497 × 149 pixels.
        assert!(e >= 497.0 * 149.0, "{e}");
        #[expect(clippy::cast_precision_loss, reason = "a power of two")]
        let max = MAX_IMAGE_PIXELS as f64;
        assert!(e < max / 100.0, "{e}");
    }
}
