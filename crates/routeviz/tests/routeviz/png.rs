//! The PNG through resvg with the bundled font: size, ink and text.

use routeviz::{NodeKind, RenderOptions, RouteMap};

use crate::common::sample;

fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn svg_size(svg: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let r = doc.root_element();
    (
        r.attribute("width").unwrap().parse().unwrap(),
        r.attribute("height").unwrap().parse().unwrap(),
    )
}

#[test]
fn size_follows_scale_and_ink_is_there() {
    let map = RouteMap::new(&sample()).unwrap();
    for scale in [1.0f32, 2.0] {
        let opts = RenderOptions::builder()
            .scale(scale)
            .title("Sample")
            .build()
            .unwrap();
        let (w, h) = svg_size(&map.to_svg(&opts));
        let (pw, ph, px) = decode(&map.to_png(&opts).unwrap());
        assert_eq!(pw, (w * f64::from(scale)).ceil() as u32);
        assert_eq!(ph, (h * f64::from(scale)).ceil() as u32);
        let non_white = px
            .chunks_exact(3)
            .filter(|p| p.iter().any(|&c| c < 250))
            .count();
        let frac = non_white as f64 / f64::from(pw * ph);
        assert!(frac > 0.10, "only {frac:.3} of the pixels are drawn");
    }
}

#[test]
fn text_is_drawn_in_nodes() {
    let map = RouteMap::new(&sample()).unwrap();
    let scale = 2.0;
    let opts = RenderOptions::builder().scale(scale).build().unwrap();
    let (pw, _, px) = decode(&map.to_png(&opts).unwrap());
    let svg = map.to_svg(&opts);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let nodes = crate::common::svg_nodes(&doc);
    let mut checked = 0;
    for p in map.layout().nodes() {
        if map.graph().node(p.node).kind != NodeKind::Router {
            continue;
        }
        // The router's box is white with a thin border; text makes dark pixels inside.
        let n = nodes
            .iter()
            .find(|n| n.texts.first() == Some(&map.graph().node(p.node).label))
            .unwrap();
        let (x0, y0, w, h) = n.bbox;
        let s = f64::from(scale);
        let (ix0, ix1) = (((x0 + 4.0) * s) as u32, ((x0 + w - 4.0) * s) as u32);
        let (iy0, iy1) = (((y0 + 4.0) * s) as u32, ((y0 + h - 4.0) * s) as u32);
        let mut dark = 0;
        for y in iy0..iy1 {
            for x in ix0..ix1 {
                let i = ((y * pw + x) * 3) as usize;
                if px[i] < 100 && px[i + 1] < 100 && px[i + 2] < 100 {
                    dark += 1;
                }
            }
        }
        assert!(dark > 40, "no text drawn in {}: {dark} dark pixels", n.id);
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn unicode_and_hostile_names_still_render() {
    let mut set = sample();
    set.traces[0].target = "日本語.example <&> \u{202E}evil".into();
    let map = RouteMap::new(&set).unwrap();
    let png = map.to_png(&RenderOptions::default()).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}
