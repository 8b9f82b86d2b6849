//! Snapshots of small maps.

use routeviz::{RenderOptions, RouteMap};
use tcptrace::{Hop, ReplyKind, Trace};

use crate::common::{ip, sample, te};

fn tiny() -> Vec<Trace> {
    let mut t = crate::common::trace("198.18.9.1", 443);
    t.hops = vec![
        Hop::new(1, vec![te("198.18.0.1", Some((64496, "LAB")))]),
        Hop::new(
            2,
            vec![crate::common::reply(ip("198.18.9.1"), ReplyKind::SynAck).with_rtt_ms(0.5)],
        ),
    ];
    vec![t]
}

#[test]
fn tiny_svg() {
    let map = RouteMap::new(&tiny()).unwrap();
    let opts = RenderOptions::builder()
        .title("tiny")
        .rtt_labels(true)
        .build()
        .unwrap();
    insta::assert_snapshot!("tiny_svg", map.to_svg(&opts));
}

#[test]
fn tiny_dot() {
    let map = RouteMap::new(&tiny()).unwrap();
    insta::assert_snapshot!("tiny_dot", map.to_dot(&RenderOptions::default()));
}

#[test]
fn sample_dot() {
    let map = RouteMap::new(&sample()).unwrap();
    insta::assert_snapshot!("sample_dot", map.to_dot(&RenderOptions::default()));
}
