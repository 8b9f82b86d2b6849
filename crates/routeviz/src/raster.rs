//! PNG through resvg and tiny-skia, with the bundled font and a check that text was laid out.

#![allow(
    clippy::cast_sign_loss,
    reason = "pixel sizes are checked to be positive and in range before the casts"
)]

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg;

use crate::image::Image;
use crate::options::PngCompression;
use crate::text::{FONT, FONT_FAMILY};
use crate::{Error, Result};

/// A font database holding only the bundled font.
fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Counts text nodes that were turned into glyph outlines.
fn drawn_texts(group: &usvg::Group) -> usize {
    let mut n = 0;
    for node in group.children() {
        match node {
            usvg::Node::Group(g) => n += drawn_texts(g),
            usvg::Node::Text(t) => {
                let bb = t.bounding_box();
                if t.flattened().has_children() && bb.width() > 0.0 && bb.height() > 0.0 {
                    n += 1;
                }
            }
            usvg::Node::Path(_) | usvg::Node::Image(_) => {}
        }
    }
    n
}

/// Parses an SVG with the bundled font only and checks that all `expected_texts` text
/// elements were laid out.
pub(crate) fn parse(svg: &str, expected_texts: usize) -> Result<usvg::Tree> {
    let opt = usvg::Options {
        font_family: FONT_FAMILY.to_owned(),
        fontdb: fontdb(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| Error::Svg(e.to_string()))?;
    let drawn = drawn_texts(tree.root());
    if drawn < expected_texts {
        return Err(Error::TextNotRendered {
            expected: expected_texts,
            drawn,
        });
    }
    Ok(tree)
}

/// Rasterizes `svg` at `scale` on white, refusing an image of more than `limit` pixels.
pub(crate) fn rasterize(svg: &str, expected_texts: usize, scale: f32, limit: u64) -> Result<Image> {
    let tree = parse(svg, expected_texts)?;
    let size = tree.size();
    let w = (f64::from(size.width()) * f64::from(scale)).ceil().max(1.0);
    let h = (f64::from(size.height()) * f64::from(scale))
        .ceil()
        .max(1.0);
    let (wu, hu) = (w as u64, h as u64);
    if wu.saturating_mul(hu) > limit || wu > u64::from(u32::MAX) || hu > u64::from(u32::MAX) {
        return Err(Error::ImageTooLarge {
            width: wu,
            height: hu,
            limit,
        });
    }
    let mut pixmap = tiny_skia::Pixmap::new(wu as u32, hu as u32).ok_or(Error::ImageTooLarge {
        width: wu,
        height: hu,
        limit,
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(Image { pixmap })
}

/// Rasterizes `svg` at `scale` and encodes it as an RGB PNG.
#[cfg(test)]
fn render(svg: &str, expected_texts: usize, scale: f32) -> Result<Vec<u8>> {
    encode_png(
        &rasterize(svg, expected_texts, scale, crate::MAX_PIXELS)?,
        PngCompression::Fast,
    )
}

/// Encodes an image as an 8-bit PNG.
///
/// An opaque image (like those [`RouteMap::to_image`](crate::RouteMap::to_image) makes) is
/// written as RGB, dropping the alpha channel; otherwise the pixels are demultiplied and
/// written as RGBA. The encoder settings per [`PngCompression`] were chosen by measurement in
/// `benches/routeviz.rs` against tiny-skia's own `encode_png`.
///
/// # Errors
///
/// Returns [`Error::Png`] if the encoder fails.
pub fn encode_png(image: &Image, compression: PngCompression) -> Result<Vec<u8>> {
    let pixmap = &image.pixmap;
    let opaque = pixmap.data().chunks_exact(4).all(|p| p[3] == 255);
    let (color, data): (png::ColorType, Vec<u8>) = if opaque {
        (
            png::ColorType::Rgb,
            pixmap
                .data()
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        )
    } else {
        let data = pixmap
            .pixels()
            .iter()
            .flat_map(|p| {
                let c = p.demultiply();
                [c.red(), c.green(), c.blue(), c.alpha()]
            })
            .collect();
        (png::ColorType::Rgba, data)
    };
    let (level, filter, adaptive) = match compression {
        // Measured on route maps (10×25 traces, 2511×1966 px): fdeflate with Paeth took 23 ms
        // for 1.2 MiB, with Sub 22 ms for 1.5 MiB, with Up 26 ms for 2.2 MiB, unfiltered 74 ms
        // for 12 MiB; zlib level 6 with Sub 234 ms for 0.6 MiB, adaptive 292 ms for the same.
        PngCompression::Fast => (
            png::Compression::Fast,
            png::FilterType::Paeth,
            png::AdaptiveFilterType::NonAdaptive,
        ),
        PngCompression::Balanced => (
            png::Compression::Default,
            png::FilterType::Sub,
            png::AdaptiveFilterType::NonAdaptive,
        ),
        PngCompression::Small => (
            png::Compression::Best,
            png::FilterType::Paeth,
            png::AdaptiveFilterType::Adaptive,
        ),
    };
    let mut out = Vec::with_capacity(data.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(level);
        enc.set_filter(filter);
        enc.set_adaptive_filter(adaptive);
        let mut writer = enc.write_header().map_err(|e| Error::Png(e.to_string()))?;
        writer
            .write_image_data(&data)
            .map_err(|e| Error::Png(e.to_string()))?;
        writer.finish().map_err(|e| Error::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_another_family_is_caught() {
        let ok = r#"<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><text x="2" y="14" font-family="DejaVu Sans">hi</text></svg>"#;
        assert!(parse(ok, 1).is_ok());
        // resvg silently drops text whose family is not in the database: we report it.
        let other = r#"<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><text x="2" y="14" font-family="Nonexistent">hi</text></svg>"#;
        assert_eq!(
            parse(other, 1).unwrap_err(),
            Error::TextNotRendered {
                expected: 1,
                drawn: 0
            }
        );
    }

    #[test]
    fn text_without_glyphs_is_an_error() {
        // An empty font database cannot lay out anything.
        let opt = usvg::Options {
            fontdb: Arc::new(usvg::fontdb::Database::new()),
            ..usvg::Options::default()
        };
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><text x="2" y="14">hi</text></svg>"#;
        let tree = usvg::Tree::from_str(svg, &opt).unwrap();
        assert_eq!(drawn_texts(tree.root()), 0);
        // And our own check reports more expected text than drawn.
        let svg2 = r#"<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><text x="2" y="14"> </text></svg>"#;
        assert!(matches!(
            parse(svg2, 1),
            Err(Error::TextNotRendered {
                expected: 1,
                drawn: 0
            })
        ));
    }

    #[test]
    fn too_large_is_refused() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="20000"></svg>"#;
        assert!(matches!(
            render(svg, 0, 1.0),
            Err(Error::ImageTooLarge { .. })
        ));
    }

    #[test]
    fn encodes_a_png() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5" fill="#ff0000"/></svg>"##;
        let png = render(svg, 0, 2.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let reader = dec.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (20, 20));
    }
}
