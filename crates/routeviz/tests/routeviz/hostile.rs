//! Hostile labels: markup, quotes, ampersands, control characters and huge names.

use routeviz::{RenderOptions, RouteMap};

use crate::common::{check_svg_invariants, sample};

const NASTY: &str = "<script>alert('x')</script> \"quoted\" & co\u{0}\u{7}\u{1b}[31m\r\n\u{202E}";

fn hostile_set() -> Vec<tcptrace::Trace> {
    let mut set = sample();
    set[0].target = format!("{NASTY}{}", "A".repeat(10_000));
    set[2].target = NASTY.to_owned();
    for t in &mut set {
        for h in &mut t.hops {
            for r in &mut h.replies {
                if r.asn.is_some() {
                    r.as_name = Some(format!("{NASTY}{}", "N".repeat(10_240)));
                }
            }
        }
    }
    set
}

#[test]
fn escaped_and_bounded_in_svg() {
    let map = RouteMap::new(&hostile_set()).unwrap();
    let opts = RenderOptions::builder()
        .title(format!("{NASTY}{}", "T".repeat(10_000)))
        .rtt_labels(true)
        .build()
        .unwrap();
    let svg = map.to_svg(&opts);
    assert!(!svg.contains("<script"), "markup got through");
    assert!(svg.contains("&lt;script&gt;"));
    assert!(
        !svg.chars().any(|c| c.is_control() && c != '\n'),
        "control characters got through"
    );
    assert!(!svg.contains('\u{202E}'));
    assert!(svg.len() < 64 * 1024, "size bounded: {}", svg.len());
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for t in doc.descendants().filter(|n| n.tag_name().name() == "text") {
        let text = t.text().unwrap_or_default();
        assert!(
            text.chars().count() <= 124,
            "unbounded label of {} chars",
            text.chars().count()
        );
    }
    // Tooltips carry the whole AS name (up to its generous limit, 120 characters), so they
    // are longer than the drawn labels, but still bounded.
    for t in doc.descendants().filter(|n| n.tag_name().name() == "title") {
        let n = t.text().unwrap_or_default().chars().count();
        assert!(n <= 200, "unbounded tooltip of {n} chars");
    }
    assert!(svg.contains('…'), "long labels end in an ellipsis");
    check_svg_invariants(&svg);
}

#[test]
fn escaped_in_dot_and_png_still_renders() {
    let map = RouteMap::new(&hostile_set()).unwrap();
    let dot = map.to_dot(&RenderOptions::default());
    assert!(dot.len() < 16 * 1024);
    for line in dot.lines() {
        // Every quote inside a quoted string is escaped: quotes pair up on each line.
        let unescaped = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(
            unescaped.matches('"').count() % 2,
            0,
            "unbalanced quotes in {line}"
        );
    }
    assert!(
        !dot.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    );
    let png = map.to_png(&RenderOptions::default()).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}
