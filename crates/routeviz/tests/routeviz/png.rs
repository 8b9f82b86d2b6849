//! The PNG through resvg with the bundled font: size, ink and text.

use routeviz::{NodeKind, RenderOptions, RouteMap};

use crate::common::{ihdr, sample, svg_size};

fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
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
        if map.graph().node(p.node).unwrap().kind != NodeKind::Router {
            continue;
        }
        // The router's box is white with a thin border; text makes dark pixels inside.
        let n = nodes
            .iter()
            .find(|n| n.texts.first() == Some(&map.graph().node(p.node).unwrap().label))
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
    set[0].target = "日本語.example <&> \u{202E}evil".into();
    let map = RouteMap::new(&set).unwrap();
    let png = map.to_png(&RenderOptions::default()).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}

/// A map over the pixel budget at scale 1 is refused without `fit`, and with `fit` drawn at a
/// smaller scale whose PNG is within the budget; a budget it cannot meet even at `MIN_SCALE`
/// is refused before the layout.
#[test]
fn fit_draws_an_over_budget_map_scaled_down() {
    let set = sample();
    let map = RouteMap::new(&set).unwrap();
    let (w, h) = svg_size(&map.to_svg(&RenderOptions::default()));
    let budget = (w * h / 5.0) as u64;
    let strict = RenderOptions::builder().max_pixels(budget).build().unwrap();
    match map.to_png(&strict).unwrap_err() {
        routeviz::Error::ImageTooLarge {
            width,
            height,
            limit,
        } => {
            assert_eq!(limit, budget);
            assert!(width * height > budget, "{width}x{height}");
        }
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
    let fit = RenderOptions::builder()
        .max_pixels(budget)
        .fit(true)
        .build()
        .unwrap();
    let map = RouteMap::for_png(&set, &fit).unwrap();
    let png = map.to_png(&fit).unwrap();
    let (pw, ph) = ihdr(&png);
    assert!(
        pw * ph <= budget && budget <= routeviz::MAX_PIXELS,
        "{pw}x{ph} over {budget}"
    );
    assert!(
        pw * ph > budget / 2,
        "{pw}x{ph} shrank more than needed for {budget}"
    );
    let (dw, dh, _) = decode(&png);
    assert_eq!((u64::from(dw), u64::from(dh)), (pw, ph));

    let tiny = RenderOptions::builder()
        .max_pixels(4)
        .fit(true)
        .build()
        .unwrap();
    assert!(matches!(
        RouteMap::for_png(&set, &tiny).unwrap_err(),
        routeviz::Error::ImageTooLarge { limit: 4, .. }
    ));
}

/// The check before the layout is made at the PNG's scale: a budget met at scale 0.5 but not
/// at 1 is accepted for a PNG at 0.5.
#[test]
fn png_bound_uses_the_requested_scale() {
    let set = sample();
    let map = RouteMap::new(&set).unwrap();
    let (w, h) = svg_size(&map.to_svg(&RenderOptions::default()));
    let budget = (w * h / 3.0) as u64;
    let at = |scale: f32| {
        RenderOptions::builder()
            .max_pixels(budget)
            .scale(scale)
            .build()
            .unwrap()
    };
    assert!(map.to_png(&at(1.0)).is_err());
    let half = at(0.5);
    let png = RouteMap::for_png(&set, &half)
        .unwrap()
        .to_png(&half)
        .unwrap();
    let (pw, ph) = ihdr(&png);
    assert!(pw * ph <= budget);
}

/// 15,600 hops (600 traces of 26 distinct routers): over [`routeviz::MAX_PIXELS`] at 1 px per
/// unit, so refused before the layout for scale 1, but accepted for a PNG at scale 0.25 or
/// with `fit`, since the check is made at the scale the PNG is drawn at. (Drawing it at the
/// full budget takes minutes in a debug build, so the drawn size is checked against smaller
/// budgets above.)
#[test]
fn real_budget_is_checked_at_the_png_scale() {
    let set = crate::common::distinct_routes(600, 26);
    assert!(matches!(
        RouteMap::new(&set).unwrap_err(),
        routeviz::Error::ImageTooLarge { .. }
    ));
    let quarter = RenderOptions::builder().scale(0.25).build().unwrap();
    let strict = RenderOptions::default();
    assert!(matches!(
        RouteMap::for_png(&set, &strict).unwrap_err(),
        routeviz::Error::ImageTooLarge { .. }
    ));
    RouteMap::for_png(&set, &quarter).unwrap();
    let fit = RenderOptions::builder().fit(true).build().unwrap();
    RouteMap::for_png(&set, &fit).unwrap();
}

/// 4,000 traces of 25 distinct routers each: 100,000 hops, whose widest layer alone is far past
/// the pixel budget. Without the check before the layout this takes many seconds and gigabytes;
/// with it the error comes back (generous deadline, not a speed claim).
#[test]
fn hundred_thousand_hops_fail_before_layout() {
    use std::time::{Duration, Instant};
    let set = crate::common::distinct_routes(4000, 25);
    let start = Instant::now();
    let err = RouteMap::new(&set).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    match err {
        routeviz::Error::ImageTooLarge {
            width,
            height,
            limit,
        } => {
            assert_eq!(limit, routeviz::MAX_PIXELS);
            assert!(width * height > limit, "{width}x{height}");
        }
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
}

#[test]
fn image_is_the_png_pixels() {
    let map = RouteMap::new(&sample()).unwrap();
    let opts = RenderOptions::default();
    let img = map.to_image(&opts).unwrap();
    assert_eq!(
        img.data().len(),
        img.width() as usize * img.height() as usize * 4
    );
    assert!(img.data().chunks_exact(4).all(|p| p[3] == 255), "opaque");
    let (pw, ph, px) = decode(&routeviz::encode_png(&img, opts.png_compression()).unwrap());
    assert_eq!((pw, ph), (img.width(), img.height()));
    let rgb: Vec<u8> = img
        .into_data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    assert_eq!(px, rgb);
}
