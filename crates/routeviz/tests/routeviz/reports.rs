//! Trace reports as `opskit trace --json` writes them, read into tcptrace's model and drawn.

use routeviz::{NodeKind, PortState, RenderOptions, RouteMap};
use tcptrace::TraceReport;
use test_case::test_case;

fn load(name: &str) -> TraceReport {
    let path = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    TraceReport::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn count(map: &RouteMap, kind: NodeKind) -> usize {
    map.graph().nodes().filter(|n| n.kind == kind).count()
}

/// Each resource draws as the nodes it describes: (routers, unknowns, endpoints, blackholes),
/// the destination's port states and the unknown nodes' TTLs. The unknown node at TTL 2 of
/// `report-every-field.json` comes from the report's `min_ttl` (2) before a first answer at 3.
#[test_case("report-reached.json", (3, 1, 1, 1), &[(80, PortState::Open)], &[3]; "reached")]
#[test_case(
    "report-every-field.json",
    (2, 2, 1, 2),
    &[(443, PortState::Unreachable(4))],
    &[2, 3];
    "every field"
)]
fn draws_a_report(
    name: &str,
    kinds: (usize, usize, usize, usize),
    ports: &[(u16, PortState)],
    unknown_ttls: &[u16],
) {
    let report = load(name);
    let map = RouteMap::new(&report).unwrap();
    let got = (
        count(&map, NodeKind::Router),
        count(&map, NodeKind::Unknown),
        count(&map, NodeKind::Endpoint),
        count(&map, NodeKind::Blackhole),
    );
    assert_eq!(got, kinds, "{name}");
    let endpoint = map
        .graph()
        .nodes()
        .find(|n| n.kind == NodeKind::Endpoint)
        .unwrap();
    assert_eq!(endpoint.ports, ports, "{name}");
    let mut ttls: Vec<u16> = map
        .graph()
        .nodes()
        .filter(|n| n.kind == NodeKind::Unknown)
        .flat_map(|n| n.ttls.clone())
        .collect();
    ttls.sort_unstable();
    assert_eq!(ttls, unknown_ttls, "{name}");
    // Nothing the report holds is lost on the way through the one model.
    let again = TraceReport::from_json(&report.to_json_pretty().unwrap()).unwrap();
    assert_eq!(again, report, "{name}");
    let svg = map.to_svg(&RenderOptions::default());
    for trace in &report.traces {
        assert!(svg.contains(&trace.target), "{name}: {}", trace.target);
    }
}

#[test]
fn every_field_is_read() {
    let report = load("report-every-field.json");
    assert_eq!(report.params.min_ttl, 2);
    assert_eq!(report.params.pps, Some(500));
    let first = &report.traces[0];
    assert_eq!(first.hops[0].probes, 3);
    let r = &first.hops[0].replies[0];
    assert_eq!(
        (r.asn, r.as_name.as_deref()),
        (Some(64500), Some("TRANSIT"))
    );
    assert_eq!(r.mpls[0].label, 16);
    assert!(first.hops[2].replies[0].late);
    assert_eq!(report.tally().failed, 1);
    assert_eq!(report.tally().cut, 1);
    // The AS of a router reaches the map's AS boxes.
    let map = RouteMap::new(&report).unwrap();
    assert_eq!(map.graph().as_label(64500), "AS64500 TRANSIT");
}

/// A slice of traces has no first TTL: each trace starts at its first answer.
#[test]
fn a_slice_starts_at_the_first_answer() {
    let report = load("report-every-field.json");
    let map = RouteMap::new(&report.traces).unwrap();
    assert_eq!(count(&map, NodeKind::Unknown), 1, "only the gap at TTL 3");
    let from_two = RouteMap::new(routeviz::Traces::new(&report.traces).min_ttl(2)).unwrap();
    assert_eq!(
        count(&map, NodeKind::Unknown) + 1,
        count(&from_two, NodeKind::Unknown)
    );
}

/// A trace must say where it went: JSON without a trace's `addr` (routeviz's own input format
/// before the one model, where the target's text stood in for it) is refused with serde's
/// message naming the field, not drawn with a guessed destination.
#[test]
fn a_trace_without_its_address_is_refused() {
    let mut report = load("report-reached.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&report.to_json_pretty().unwrap()).unwrap();
    value["traces"][0].as_object_mut().unwrap().remove("addr");
    let err = TraceReport::from_json(&value.to_string()).unwrap_err();
    assert!(err.to_string().contains("missing field `addr`"), "{err}");
    // Put back, it loads.
    value["traces"][0]["addr"] = "198.19.10.20".into();
    report.traces[0].addr = "198.19.10.20".parse().unwrap();
    assert_eq!(TraceReport::from_json(&value.to_string()).unwrap(), report);
}
