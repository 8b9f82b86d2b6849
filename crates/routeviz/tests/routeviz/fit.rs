//! Maps over their budget drawn with `fit`: cut to their first traces, with every hop left out
//! counted in the report, the note on the map and the DOT comment, in bounded memory.

use proptest::prelude::*;
use routeviz::{MAX_FIT_NODES, MIN_SCALE, NodeKind, RenderOptions, RouteMap};

use crate::common::{distinct_routes, ihdr, svg_size};

fn fit(max_pixels: u64) -> RenderOptions {
    RenderOptions::builder()
        .fit(true)
        .max_pixels(max_pixels)
        .build()
        .unwrap()
}

/// 100,000 distinct hops (4,000 traces of 25) with `fit` and the default budget: their bound
/// at scale 0.1 is within 16384x8192, so before the node budget the whole map was laid out
/// (and then refused for its legend). The node budget cuts it to 384 traces (26 nodes each:
/// 25 routers and the blackhole of the unreached target, 9,984 in all, within 10,000); the
/// PNG width bound (`MAX_PNG_WIDTH` at `MIN_SCALE`) cuts it further, to the first 314
/// traces side by side. What is left out is counted in the report, the SVG's note and the
/// DOT comment.
#[test]
fn fit_cuts_a_map_to_the_node_budget() {
    let set = distinct_routes(4000, 25);
    let map = RouteMap::for_png(&set, &fit(routeviz::MAX_PIXELS)).unwrap();
    let r = map.report();
    assert_eq!((r.traces_given, r.traces_drawn), (4000, 314));
    assert_eq!((r.hops_given, r.hops_drawn), (100_000, 7_850));
    assert_eq!((r.traces_omitted(), r.hops_omitted()), (3686, 92_150));
    let t = r.tally();
    assert_eq!((t.given, t.drawn, t.omitted), (100_000, 7_850, 92_150));
    assert!(!r.is_complete());
    assert_eq!(map.graph().traces().len(), 314);
    assert_eq!(map.layout().nodes().len(), 314 * 26);
    const { assert!(314 * 26 <= MAX_FIT_NODES) };
    let (w, _) = svg_size(&map.to_svg(&fit(routeviz::MAX_PIXELS)));
    assert!(
        w * f64::from(MIN_SCALE) <= routeviz::MAX_PNG_WIDTH as f64,
        "{w}"
    );
    let svg = map.to_svg(&RenderOptions::default());
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let note = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("omitted"))
        .expect("the map carries a note");
    assert_eq!(
        note.text(),
        Some(
            "3686 of 4000 traces (92150 of 100000 hops) not drawn: the map shows the first 314 \
             traces, to stay within 10000 nodes and its pixel budget"
        )
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| crate::common::has_class(*n, "legend-entry"))
            .count(),
        314
    );
    assert!(
        map.to_dot(&RenderOptions::default())
            .starts_with("// 3686 of 4000 traces (92150 of 100000 hops) not drawn")
    );
}

/// The child of [`fit_draws_100k_hops_in_bounded_memory`]: draws 100,000 distinct hops as a
/// PNG with `fit` within a 100,000-pixel budget.
#[test]
#[ignore = "run in a child process by fit_draws_100k_hops_in_bounded_memory"]
fn child_draws_100k_hops_within_a_small_budget() {
    let set = distinct_routes(4000, 25);
    let opts = fit(100_000);
    let map = RouteMap::for_png(&set, &opts).unwrap();
    let r = *map.report();
    assert!(r.traces_drawn > 10 && r.traces_drawn < 400, "{r:?}");
    assert_eq!(r.hops_drawn, r.traces_drawn * 25);
    let png = map.to_png(&opts).unwrap();
    let (w, h) = ihdr(&png);
    assert!(w * h <= 100_000, "{w}x{h}");
    // Drawn at (nearly) the smallest scale: the cut keeps as much as fits there.
    let (sw, sh) = svg_size(&map.to_svg(&opts));
    assert!(
        f64::from(MIN_SCALE) * sw * sh * f64::from(MIN_SCALE) > 25_000.0,
        "{sw}x{sh} cut more than needed"
    );
    println!("drawn {r:?} as {w}x{h}");
}

/// Runs the ignored test `name` of this binary in a child process, measuring its peak memory.
fn in_child(name: &str, limit: std::time::Duration) -> testbed::Measured {
    let exe = std::env::current_exe().unwrap();
    testbed::run_measured(
        std::process::Command::new(exe).args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ]),
        limit,
    )
}

/// 100,000 distinct hops drawn with `fit` in a child process, whose peak resident set stays
/// under 200 MiB (it needs about 50 MiB in a debug build; laying out the whole map takes
/// about 140 MiB, and drawing it whole gigabytes) and which ends within a generous bound (not a speed claim).
#[test]
fn fit_draws_100k_hops_in_bounded_memory() {
    let m = in_child(
        "fit::child_draws_100k_hops_within_a_small_budget",
        std::time::Duration::from_secs(300),
    );
    assert!(m.status.success(), "{}", m.stderr);
    assert!(m.peak_rss_kib > 0, "VmHWM was read");
    eprintln!("peak RSS {} KiB in {:?}", m.peak_rss_kib, m.elapsed);
    assert!(
        m.peak_rss_kib < 200 * 1024,
        "peak RSS {} KiB over 200 MiB",
        m.peak_rss_kib
    );
}

/// Without `fit`, 100,000 hops are refused before the layout, in a child process whose peak
/// resident set stays under 256 MiB.
#[test]
#[ignore = "run in a child process by over_budget_without_fit_fails_in_bounded_memory"]
fn child_refuses_100k_hops_without_fit() {
    let set = distinct_routes(4000, 25);
    let err = RouteMap::for_png(&set, &RenderOptions::default()).unwrap_err();
    assert!(
        matches!(err, routeviz::Error::ImageTooLarge { .. }),
        "{err:?}"
    );
}

#[test]
fn over_budget_without_fit_fails_in_bounded_memory() {
    let m = in_child(
        "fit::child_refuses_100k_hops_without_fit",
        std::time::Duration::from_secs(120),
    );
    assert!(m.status.success(), "{}", m.stderr);
    eprintln!("peak RSS {} KiB in {:?}", m.peak_rss_kib, m.elapsed);
    assert!(
        m.peak_rss_kib > 0 && m.peak_rss_kib < 256 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// Every router of the distinct routes is one hop: the map draws exactly the hops it reports.
fn routers(map: &RouteMap) -> usize {
    map.graph()
        .nodes()
        .filter(|n| n.kind == NodeKind::Router)
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For random numbers of distinct routes and random budgets, every hop given is drawn or
    /// counted as left out (given == drawn + omitted), the drawn ones are the first traces'
    /// and are all on the map, the note is there exactly when something is left out, and a cut
    /// map fits its budget at the smallest scale.
    #[test]
    fn every_hop_is_drawn_or_counted(
        traces in 1u32..120,
        hops in 1u8..12,
        max_pixels in 2_000u64..400_000,
    ) {
        let set = distinct_routes(traces, hops);
        let opts = fit(max_pixels);
        let Ok(map) = RouteMap::for_png(&set, &opts) else {
            // Only when the first trace alone is over the budget.
            let one = distinct_routes(1, hops);
            prop_assert!(RouteMap::for_png(&one, &fit(max_pixels)).is_err());
            return Ok(());
        };
        let r = *map.report();
        let t = r.tally();
        prop_assert_eq!(t.given, traces as usize * usize::from(hops));
        prop_assert_eq!(t.given, t.drawn + t.omitted);
        prop_assert_eq!(t.drawn, r.traces_drawn * usize::from(hops));
        prop_assert_eq!(routers(&map), t.drawn);
        prop_assert_eq!(map.graph().traces().len(), r.traces_drawn);
        prop_assert!(r.traces_drawn >= 1);
        let svg = map.to_svg(&opts);
        prop_assert_eq!(svg.contains("id=\"omitted\""), !r.is_complete());
        if !r.is_complete() && r.traces_drawn > 1 {
            let (w, h) = svg_size(&svg);
            let s = f64::from(MIN_SCALE);
            prop_assert!((w * s).ceil() * (h * s).ceil() <= max_pixels as f64, "{}x{}", w, h);
        }
    }
}
