//! Draws a route map of several traces to `target/demo/route_map.{svg,png,dot}`, and the
//! interactive HTML report `route_map.html`.
//!
//! With no arguments it uses embedded traces shaped like the testbed's network: several targets
//! and ports, an ECMP split, a silent hop, a target that is never reached, and AS names from a
//! small table of the 198.18.0.0/15 testbed ranges. When the demo's real trace
//! (`route_trace.json`, written by `examples/route_trace.rs`) is in the output directory, it
//! draws that too, as `route_trace_map.*`, labelled from the same kind of table, and the HTML
//! report `route_map.html` is of that real trace (of the embedded traces otherwise). Given a
//! path, it draws that `opskit trace --json` file instead. Output goes to `OPSKIT_DEMO_DIR` when
//! set.
//!
//! ```text
//! cargo run --example route_map -- [TRACE.json]
//! ```

use std::net::IpAddr;
use std::time::Duration;

use opskit::routeviz::{RenderOptions, RouteMap};
use opskit::tcptrace::{Hop, Reply, ReplyKind, StopReason, Trace, TraceReport};

#[path = "support/cli.rs"]
#[allow(dead_code, reason = "route_map takes one path and no options")]
mod cli;

const USAGE: &str = "usage: route_map [TRACE.json]

Draws route_map.{svg,png,dot,html} in target/demo (or $OPSKIT_DEMO_DIR) from TRACE.json, an
`opskit trace --json` report. With no arguments: embedded traces, and route_trace.json of
the demo directory, when there, as route_trace_map.* and as the HTML report route_map.html.";

/// The testbed's address ranges and the AS each stands for.
const AS_TABLE: &[(&str, u8, u32, &str)] = &[
    ("198.18.0.0", 22, 64496, "OPSKIT-LAB campus edge"),
    ("198.18.16.0", 20, 64500, "TRANSIT-ONE backbone"),
    ("198.18.64.0", 20, 64505, "TRANSIT-TWO backbone"),
    ("198.19.10.0", 24, 64510, "EXAMPLE-HOSTING"),
    ("198.19.20.0", 24, 64520, "MAILCO"),
];

/// The ranges of the testbed network that `examples/route_trace.rs` builds: its router links
/// and its destinations' service addresses.
const TESTBED_AS_TABLE: &[(&str, u8, u32, &str)] = &[
    ("198.18.0.0", 23, 64496, "OPSKIT-LAB campus edge"),
    ("198.18.2.0", 23, 64500, "TRANSIT-ONE backbone"),
    ("198.19.0.0", 16, 64510, "EXAMPLE-HOSTING"),
];

fn as_of(addr: IpAddr) -> Option<(u32, &'static str)> {
    lookup(AS_TABLE, addr)
}

fn lookup(table: &[(&str, u8, u32, &'static str)], addr: IpAddr) -> Option<(u32, &'static str)> {
    let IpAddr::V4(v4) = addr else { return None };
    table.iter().find_map(|(net, len, asn, name)| {
        let net: std::net::Ipv4Addr = net.parse().ok()?;
        let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
        (u32::from(v4) & mask == u32::from(net) & mask).then_some((*asn, *name))
    })
}

fn reply(addr: &str, rtt: f64, kind: ReplyKind) -> Reply {
    let from: IpAddr = addr.parse().expect("demo addresses are valid");
    let mut r = Reply::new(from, Duration::ZERO, kind).with_rtt_ms(rtt);
    if let Some((asn, name)) = as_of(from) {
        r = r.with_asn(asn, Some(name));
    }
    r
}

type Hops = Vec<(u8, Vec<(&'static str, f64, ReplyKind)>)>;

/// A trace of `target` at `addr`: reached when its last reply ends the path.
fn trace(target: &str, addr: &str, port: u16, hops: Hops) -> Trace {
    let addr = addr.parse().expect("demo addresses are valid");
    let reached = hops
        .last()
        .is_some_and(|(_, rs)| rs.iter().any(|(_, _, k)| k.is_final()));
    let stop = if reached {
        StopReason::Reached
    } else {
        StopReason::GapLimit
    };
    let mut t = Trace::new(target, addr, port, stop);
    t.reached = reached;
    t.hops = hops
        .into_iter()
        .map(|(ttl, rs)| {
            Hop::new(
                ttl,
                rs.into_iter().map(|(a, rtt, k)| reply(a, rtt, k)).collect(),
            )
        })
        .collect();
    t
}

fn demo() -> Vec<Trace> {
    use ReplyKind::{Rst, SynAck, TimeExceeded as Te};
    let edge = || -> Hops {
        vec![
            (1, vec![("198.18.0.1", 0.31, Te)]),
            (2, vec![("198.18.1.1", 0.88, Te)]),
        ]
    };
    let web = |port: u16, kind: ReplyKind| {
        let mut hops = edge();
        hops.extend([
            (3, vec![("198.18.16.1", 2.1, Te), ("198.18.16.5", 2.4, Te)]),
            (4, vec![("198.18.17.1", 4.9, Te)]),
            (5, vec![("198.19.10.1", 7.8, Te)]),
            (6, vec![("198.19.10.20", 8.2, kind)]),
        ]);
        trace("www.example.test", "198.19.10.20", port, hops)
    };
    let mail = |port: u16, kind: ReplyKind| {
        let mut hops = edge();
        hops.extend([
            (3, vec![("198.18.64.1", 3.0, Te)]),
            (4, vec![("198.18.65.9", 6.4, Te)]),
            // TTL 5 stays silent: a router that does not send time exceeded.
            (6, vec![("198.19.20.1", 11.7, Te)]),
            (7, vec![("198.19.20.25", 12.1, kind)]),
        ]);
        trace("mx1.mailco.test", "198.19.20.25", port, hops)
    };
    let mut dark_hops = edge();
    dark_hops.extend([
        (3, vec![("198.18.64.1", 3.2, Te)]),
        (4, vec![("198.18.65.9", 6.1, Te)]),
    ]);
    let dark = trace("198.18.200.9", "198.18.200.9", 8443, dark_hops);
    vec![
        web(80, SynAck),
        web(443, SynAck),
        web(22, Rst),
        mail(25, SynAck),
        mail(587, Rst),
        dark,
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = cli::demo_dir()?;
    if let Some(args) = cli::args(USAGE) {
        let [path] = args.as_slice() else {
            return Err(USAGE.into());
        };
        let report = TraceReport::from_json(&std::fs::read_to_string(path)?)?;
        let map = RouteMap::new(&report)?;
        draw(&map, &dir, "route_map")?;
        return report_html(&map, &dir);
    }
    let embedded = RouteMap::new(&demo())?;
    draw(&embedded, &dir, "route_map")?;
    let real = dir.join("route_trace.json");
    if real.is_file() {
        let mut report = TraceReport::from_json(&std::fs::read_to_string(&real)?)?;
        label_testbed_ases(&mut report);
        let map = RouteMap::new(&report)?;
        draw(&map, &dir, "route_trace_map")?;
        return report_html(&map, &dir);
    }
    report_html(&embedded, &dir)
}

/// Writes `route_map.html`, the interactive report of `map`.
fn report_html(map: &RouteMap, dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let opts = RenderOptions::builder()
        .title("Routes from the probe host (TCP SYN traceroute)")
        .rtt_labels(true)
        .build()?;
    let path = dir.join("route_map.html");
    std::fs::write(&path, map.to_html(&opts))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Fills in the AS of replies that the trace left without one, from the testbed's table.
fn label_testbed_ases(report: &mut TraceReport) {
    let replies = report
        .traces
        .iter_mut()
        .flat_map(|t| t.hops.iter_mut())
        .flat_map(|h| h.replies.iter_mut());
    for reply in replies.filter(|r| r.asn.is_none()) {
        if let Some((asn, name)) = lookup(TESTBED_AS_TABLE, reply.from) {
            reply.asn = Some(asn);
            reply.as_name = Some(name.to_owned());
        }
    }
}

fn draw(
    map: &RouteMap,
    dir: &std::path::Path,
    stem: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let opts = RenderOptions::builder()
        .title("Routes from the probe host (TCP SYN traceroute)")
        .rtt_labels(true)
        .scale(1.5)
        .build()?;
    for (ext, bytes) in [
        ("svg", map.to_svg(&opts).into_bytes()),
        ("png", map.to_png(&opts)?),
        ("dot", map.to_dot(&opts).into_bytes()),
    ] {
        let path = dir.join(format!("{stem}.{ext}"));
        std::fs::write(&path, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
