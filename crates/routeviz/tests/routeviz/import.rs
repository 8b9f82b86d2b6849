//! The importers on real, published results, cross-checked with the tools' own readers.

use std::process::Command;

use routeviz::import::{ImportError, ImportFormat, detect, import};
use tcptrace::{Protocol, ReplyKind, StopReason, TraceReport};

fn resource(name: &str) -> String {
    let path = format!(
        "{}/tests/resources/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn python() -> String {
    std::env::var("OPSKIT_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// What RIPE's parser reads from each result: probe, Paris ID, protocol, destination, and
/// per hop its number and packets (address, RTT, MPLS labels; sagan leaves out late packets).
const SAGAN: &str = r#"
import json, sys
from ripe.atlas.sagan import TracerouteResult
out = []
for line in open(sys.argv[1]):
    r = TracerouteResult(line, on_error=TracerouteResult.ACTION_IGNORE,
                         on_malformation=TracerouteResult.ACTION_IGNORE)
    hops = []
    for h in r.hops:
        packets = []
        for p in h.packets:
            mpls = []
            if p.icmp_header:
                for o in p.icmp_header.objects:
                    if o.get("class") == 1 and o.get("type") == 1:
                        mpls += [[m["label"], m.get("exp", 0), m.get("s", 0), m.get("ttl", 0)]
                                 for m in o.get("mpls", [])]
            packets.append([p.origin, p.rtt, mpls])
        hops.append([h.index, packets])
    out.append({"probe": r.probe_id, "msm": r.measurement_id, "paris": r.paris_id,
                "proto": r.protocol, "dst": r.destination_address, "hops": hops,
                "dst_responded": r.destination_ip_responded})
json.dump(out, sys.stdout)
"#;

fn sagan(path: &str) -> Vec<serde_json::Value> {
    let out = Command::new(python())
        .args(["-c", SAGAN, path])
        .output()
        .expect("python3 runs (cargo xtask setup installs it and ripe.atlas.sagan)");
    assert!(
        out.status.success(),
        "sagan failed (is ripe.atlas.sagan installed? cargo xtask setup installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every hop, address, RTT and MPLS label of the 21 published results in sagan's test suite
/// is what sagan reads from them; so are the probe, the Paris ID and the protocol.
#[test]
fn atlas_results_match_ripe_sagan() {
    let path = format!(
        "{}/tests/resources/import/atlas-sagan-tests.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(detect(&text), Some(ImportFormat::Atlas));
    let report = import(&text, None).unwrap();
    let theirs = sagan(&path);
    assert_eq!(theirs.len(), 21);
    // The one result without a destination address (its name did not resolve) is a failed
    // target, not a trace; the rest are traces, in input order.
    let (with_dst, without): (Vec<_>, Vec<_>) = theirs.iter().partition(|r| !r["dst"].is_null());
    assert_eq!(report.traces.len(), with_dst.len());
    assert_eq!(report.failed_targets.len(), without.len());
    assert_eq!(report.failed_targets.len(), 1);
    let (mut hops, mut replies, mut labels, mut timeouts) = (0, 0, 0, 0);
    for (ours, theirs) in report.traces.iter().zip(&with_dst) {
        let probe = theirs["probe"].as_u64().unwrap();
        let src = ours.source.as_ref().unwrap();
        assert_eq!(src.tool, "atlas");
        assert_eq!(src.probe_id, Some(probe));
        assert_eq!(ours.vantage(), Some(format!("probe {probe}").as_str()));
        assert_eq!(src.measurement_id, theirs["msm"].as_u64());
        assert_eq!(src.paris_id.map(u64::from), theirs["paris"].as_u64());
        let proto = match theirs["proto"].as_str().unwrap() {
            "UDP" => Protocol::Udp,
            "ICMP" => Protocol::Icmp,
            "TCP" => Protocol::Tcp,
            p => panic!("sagan protocol {p}"),
        };
        assert_eq!(src.protocol, Some(proto));
        assert_eq!(ours.addr.to_string(), theirs["dst"].as_str().unwrap());
        if theirs["dst_responded"].as_bool().unwrap() {
            assert!(
                ours.reached,
                "probe {probe}: sagan says the destination responded"
            );
        }
        for h in theirs["hops"].as_array().unwrap() {
            let index = h[0].as_u64().unwrap();
            let packets = h[1].as_array().unwrap();
            let hop = ours.hops.iter().find(|x| u64::from(x.ttl) == index);
            if packets.is_empty() {
                // A hop sagan has no packet of is a hop-level error: the trace failed there.
                assert!(hop.is_none(), "probe {probe} hop {index}");
                assert!(matches!(ours.stop_reason, StopReason::Failed { .. }));
                continue;
            }
            let hop = hop.unwrap_or_else(|| panic!("probe {probe}: no hop {index}"));
            hops += 1;
            assert_eq!(
                hop.probes as usize,
                packets.len(),
                "probe {probe} hop {index}"
            );
            let answered: Vec<_> = packets.iter().filter(|p| !p[0].is_null()).collect();
            timeouts += packets.len() - answered.len();
            assert_eq!(
                hop.replies.len(),
                answered.len(),
                "probe {probe} hop {index}"
            );
            for (r, p) in hop.replies.iter().zip(&answered) {
                replies += 1;
                assert_eq!(r.from.to_string(), p[0].as_str().unwrap());
                let rtt = p[1].as_f64().unwrap();
                // sagan rounds to the microsecond; we keep the RTT as Atlas wrote it.
                assert!(
                    (r.rtt_ms - rtt).abs() < 5e-4,
                    "probe {probe} hop {index}: {} vs {rtt}",
                    r.rtt_ms
                );
                let theirs_mpls: Vec<(u64, u64, bool, u64)> = p[2]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        let f = |i: usize| m[i].as_u64().unwrap();
                        (f(0), f(1), f(2) != 0, f(3))
                    })
                    .collect();
                let ours_mpls: Vec<(u64, u64, bool, u64)> = r
                    .mpls
                    .iter()
                    .map(|l| {
                        (
                            u64::from(l.label),
                            u64::from(l.tc),
                            l.bottom,
                            u64::from(l.ttl),
                        )
                    })
                    .collect();
                assert_eq!(ours_mpls, theirs_mpls, "probe {probe} hop {index}");
                labels += ours_mpls.len();
            }
        }
    }
    // What the cross-check covered (counted from the raw JSON apart from both parsers), so
    // that a file that lost its content fails.
    assert_eq!(
        (hops, replies, labels, timeouts),
        (240, 533, 45, 289),
        "hops, replies, MPLS labels, timeouts"
    );
    let late: u32 = report
        .traces
        .iter()
        .map(|t| t.source.as_ref().unwrap().late_replies)
        .sum();
    assert_eq!(
        late, 15,
        "the late packets are counted, not drawn, as sagan leaves them out"
    );
}

/// The same results as one JSON array, as the Atlas API serves them, import the same.
#[test]
fn atlas_array_and_lines_import_the_same() {
    let lines = resource("atlas-sagan-tests.jsonl");
    let array = format!("[\n{}\n]\n", lines.trim_end().replace('\n', ",\n"));
    assert_eq!(detect(&array), Some(ImportFormat::Atlas));
    assert_eq!(
        import(&array, None).unwrap(),
        import(&lines, Some(ImportFormat::Atlas)).unwrap()
    );
}

/// What each kind of Atlas reply becomes: errors by their letter and the family's code, the
/// destination's answer by the protocol.
#[test]
fn atlas_reply_kinds() {
    let report = import(&resource("atlas-sagan-tests.jsonl"), None).unwrap();
    let by_probe = |p: u64| {
        report
            .traces
            .iter()
            .find(|t| t.source.as_ref().unwrap().probe_id == Some(p))
            .unwrap()
    };
    // UDP to 220.226.205.30: the destination's port unreachable ends it.
    let udp = by_probe(394);
    assert!(udp.reached);
    assert_eq!(udp.stop_reason, StopReason::Reached);
    assert_eq!(
        udp.hops.last().unwrap().replies[0].kind,
        ReplyKind::Unreachable(3)
    );
    // IPv6 ICMP, "err": "N" from the first router: no route (ICMPv6 code 0).
    let n = by_probe(14468);
    assert_eq!(n.hops[0].replies[0].kind, ReplyKind::Unreachable(0));
    assert_eq!(n.stop_reason, StopReason::Unreachable);
    // Silent to the end, then TTL 255: Atlas gave up on the gap.
    let gap = by_probe(190);
    assert_eq!(gap.stop_reason, StopReason::GapLimit);
    assert_eq!(gap.hops.last().unwrap().ttl, 255);
    assert_eq!(report.failed_targets[0].target, "syndication.exoclick.com");
    // Probe 190 sends from 192.168.1.107 behind NAT; Atlas saw it as 107.3.81.49.
    let nat = by_probe(190).source.as_ref().unwrap();
    let ip = |s: &str| s.parse::<std::net::IpAddr>().ok();
    assert_eq!(
        (nat.src_addr, nat.public_addr),
        (ip("192.168.1.107"), ip("107.3.81.49"))
    );
    assert_eq!(
        by_probe(426).source.as_ref().unwrap().public_addr,
        None,
        "not behind NAT"
    );
}

fn atlas_error(text: &str) -> String {
    match import(text, Some(ImportFormat::Atlas)) {
        Err(e @ ImportError::Record { .. }) => e.to_string(),
        other => panic!("{text}: {other:?}"),
    }
}

/// Bad results are refused with the record and line they are on, and what is wrong.
#[test]
fn atlas_bad_input_is_a_typed_error() {
    let ok = r#"{"type":"traceroute","dst_addr":"192.0.2.1","prb_id":1,"proto":"UDP","result":[{"hop":1,"result":[{"x":"*"}]}]}"#;
    let cases = [
        (r#""from":"10.0.0.300","rtt":1.0"#, "invalid address"),
        (r#""from":"10.0.0.3","rtt":-1.0"#, "negative"),
        (r#""from":"10.0.0.3""#, "without an rtt"),
        (r#""from":"10.0.0.3","rtt":1,"err":"Q""#, "unknown err"),
        (
            r#""from":"10.0.0.3","rtt":1,"icmpext":{"obj":[{"class":1,"type":1,"mpls":[{"label":1048576,"exp":0,"s":1,"ttl":1}]}]}"#,
            "no wire form",
        ),
        (r#""size":40"#, "none of"),
    ];
    for (packet, what) in cases {
        let bad = ok.replace(r#"{"x":"*"}"#, &format!("{{{packet}}}"));
        let e = atlas_error(&format!("{ok}\n{ok}\n{bad}\n"));
        assert!(
            e.contains("record 3 (line 3)") && e.contains(what),
            "{packet}: {e}"
        );
    }
    let e = atlas_error(&ok.replace(r#""hop":1"#, r#""hop":256"#));
    assert!(e.contains("outside 1..=255"), "{e}");
    let e = atlas_error(&ok.replace("traceroute", "ping"));
    assert!(e.contains("not a traceroute"), "{e}");
    let e = atlas_error(&ok.replace("UDP", "SCTP"));
    assert!(e.contains("unknown proto"), "{e}");
    let e = atlas_error(&format!("[{ok},\n{}]", &ok[..40]));
    assert!(e.contains("record 2"), "{e}");
    let many = ok.replace(r#"{"x":"*"}"#, &vec![r#"{"x":"*"}"#; 65].join(","));
    let e = import(&many, None).unwrap_err();
    assert!(matches!(e, ImportError::TooLarge { .. }), "{e}");
    assert!(matches!(
        import("[]", Some(ImportFormat::Atlas)),
        Err(ImportError::Empty(_))
    ));
    assert!(matches!(
        import("hello", None),
        Err(ImportError::UnknownFormat(_))
    ));
}

/// An imported report is opskit's own trace JSON: it reads back the same.
#[test]
fn imported_report_round_trips_as_trace_json() {
    let report = import(&resource("atlas-sagan-tests.jsonl"), None).unwrap();
    let text = report.to_json_pretty().unwrap();
    assert_eq!(detect(&text), Some(ImportFormat::Opskit));
    let back: TraceReport = import(&text, None).unwrap();
    assert_eq!(back.traces.len(), report.traces.len());
    for (a, b) in back.traces.iter().zip(&report.traces) {
        assert_eq!(a.source, b.source);
        assert_eq!(a.hops.len(), b.hops.len());
        assert_eq!(a.reached, b.reached);
    }
}

/// scamper's trace by ICMP, UDP and TCP and its tracelb, as it wrote them: one router, then
/// the destination answering in each protocol's way.
#[test]
fn scamper_trace_and_tracelb() {
    let text = resource("scamper-veth.json");
    assert_eq!(detect(&text), Some(ImportFormat::Scamper));
    let report = import(&text, None).unwrap();
    let got: Vec<_> = report
        .traces
        .iter()
        .map(|t| {
            let s = t.source.as_ref().unwrap();
            (s.protocol, t.port, t.hops.len(), t.hops[1].replies[0].kind)
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some(Protocol::Icmp), 0, 2, ReplyKind::EchoReply),
            (Some(Protocol::Udp), 33435, 2, ReplyKind::Unreachable(3)),
            (Some(Protocol::Tcp), 80, 2, ReplyKind::Rst),
            (Some(Protocol::Icmp), 0, 2, ReplyKind::EchoReply),
        ]
    );
    for t in &report.traces {
        assert!(t.reached);
        assert_eq!(t.stop_reason, StopReason::Reached);
        assert_eq!(
            t.hops[0].addrs(),
            ["10.77.1.1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(t.destination_ttl(), Some(2));
        assert_eq!(t.vantage(), Some("10.77.1.2"));
    }
    assert!(report.traces[0].hops[0].replies[0].rtt_ms > 0.0);
}

/// mtr's statistics: a reply per hop with its last RTT, and the summary.
#[test]
fn mtr_report() {
    let text = resource("mtr-veth.json");
    assert_eq!(detect(&text), Some(ImportFormat::Mtr));
    let report = import(&text, None).unwrap();
    let [t] = report.traces.as_slice() else {
        panic!("{report:?}")
    };
    assert!(t.reached);
    assert_eq!(t.hops.len(), 2);
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (hop, hub) in t.hops.iter().zip(raw["report"]["hubs"].as_array().unwrap()) {
        assert_eq!(hop.probes, 3);
        assert_eq!(
            hop.replies[0].from.to_string(),
            hub["host"].as_str().unwrap()
        );
        assert!((hop.replies[0].rtt_ms - hub["Last"].as_f64().unwrap()).abs() < 1e-9);
        let s = hop.measured.unwrap();
        assert_eq!(
            (s.best_ms, s.worst_ms),
            (hub["Best"].as_f64(), hub["Wrst"].as_f64())
        );
        assert_eq!(s.received, 3);
    }
    assert_eq!(t.hops[1].replies[0].kind, ReplyKind::EchoReply);
    // mtr without -n names hosts it can't place.
    let named = text.replace("\"10.77.1.1\"", "\"router.example\"");
    let e = import(&named, None).unwrap_err();
    assert!(e.to_string().contains("run mtr with -n"), "{e}");
}

/// Atlas TCP traceroutes: the destination's flags tell SYN-ACK from RST.
#[test]
fn atlas_tcp_flags() {
    let r = |flags: &str| {
        format!(
            r#"{{"type":"traceroute","af":4,"dst_addr":"192.0.2.1","prb_id":7,"proto":"TCP","result":[{{"hop":1,"result":[{{"from":"192.0.2.1","rtt":1.0,"flags":"{flags}"}}]}}]}}"#
        )
    };
    let kind = |flags| import(&r(flags), None).unwrap().traces[0].hops[0].replies[0].kind;
    assert_eq!(kind("SA"), ReplyKind::SynAck);
    assert_eq!(kind("RA"), ReplyKind::Rst);
}
