//! The route trace recipe (section 3.3): `traceroute(targets, dport=[80], retry=-2)` with TCP
//! SYN probes, printed as scapy's table, and `res.graph()`: the routes drawn as a map.
//!
//! ```text
//! cargo run --example route_trace -- [--ports LIST] [--retry N] [--map FILE.svg] [--geo-db FILE] TARGET...
//! cargo run --example route_trace                   # builds a testbed network (root)
//! ```
//!
//! With targets on the command line (IP addresses or names, as the recipe's input line; needs
//! root or `CAP_NET_RAW`) it traces every target on every port of LIST (default `80`; a list
//! such as `80,443,8000-8003`) with scapy's retry N (default the recipe's `-2`: keep resending
//! unanswered probes until two rounds in a row bring no new answer; a positive N resends each
//! unanswered probe up to N times; at most 63 either way), with scapy's other defaults (TTLs 1
//! to 30, a 2 s wait per probe). It prints the table and draws the map to FILE.svg and, beside
//! it, FILE.png (default `test.svg` and `test.png`, the recipe's file names). With `--geo-db`
//! (an ip-location-db CSV table or an MMDB, such as the geolite2-city MMDB `cargo xtask setup`
//! installs under `target/data/`) every hop gets its country and city: the recipe's "IDC
//! location" of the backbone routers, in the map's node labels.
//!
//! With no arguments it builds a test network of namespaces itself (a chain of routers, one of
//! them silent, and three destinations: one with port 80 open, one where every port is closed
//! and one that drops port 80) and traces ports 80 and 443 of every destination from inside it,
//! with a 1 s wait and retry 1 to keep the demo short. The namespace addresses are private, so
//! no public database places them: the demo writes a geography table of its own network
//! (`route_trace_geo.csv`, ip-location-db's city shape: the routers in Frankfurt, Amsterdam and
//! London, the destinations in Tokyo) and locates every hop from it. It prints the table and
//! writes it, the mtr-like summary, the JSON report and the map
//! (`route_trace.{txt,json,svg,png}`, `route_trace_summary.txt`) under `target/demo/` (or
//! `OPSKIT_DEMO_DIR`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use opskit::asn::{GeoDatabase, annotate_geo};
use opskit::routeviz::{RenderOptions, RouteMap};
use opskit::tcptrace::{TraceConfig, TraceReport, trace};
use testbed::netns::{Destination, Family, Topology};

#[path = "support/cli.rs"]
mod cli;

const USAGE: &str =
    "usage: route_trace [--ports LIST] [--retry N] [--map FILE.svg] [--geo-db FILE] TARGET...

TCP SYN traceroute of every TARGET on every port, as scapy's traceroute(); needs root.
  --ports LIST    destination ports, e.g. 80,443,8000-8003 (default 80)
  --retry N       scapy's retry: -N resends until N rounds bring no new answer,
                  N > 0 resends each unanswered probe N times; -63..=63 (default -2)
  --map FILE.svg  the route map, with FILE.png beside it (default test.svg)
  --geo-db FILE   country and city of every hop, from an ip-location-db CSV table or an
                  MMDB (repeat for the IPv4 and IPv6 halves)
With no arguments: traces a namespace test network it builds (root).";

type BoxError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let result = match cli::args(USAGE) {
        None => demo(),
        Some(args) => recipe(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("route_trace: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `traceroute(target, dport=dport, retry=-2)`, `.show()` and `res.graph(target="> test.svg")`.
fn recipe(args: &[String]) -> Result<(), BoxError> {
    let (flags, targets) = cli::split(args, &["--ports", "--retry", "--map", "--geo-db"], USAGE)?;
    let (mut ports, mut retry, mut map) = ("80", -2, PathBuf::from("test.svg"));
    let mut geo_dbs = Vec::new();
    for (flag, value) in flags {
        match flag {
            "--ports" => ports = value,
            "--geo-db" => geo_dbs.push(value),
            "--retry" => {
                retry = value
                    .parse()
                    .map_err(|_| format!("--retry {value:?}: not a number"))?;
            }
            _ => map = value.into(),
        }
    }
    let config = TraceConfig::builder()
        .targets(targets)
        .port_list(ports)
        .retry(retry)
        .build()?;
    // Opened before tracing, so that a bad file costs no trace.
    let geo = GeoDatabase::open_all(&geo_dbs)?;
    let mut report = trace(&config)?;
    annotate_geo(&mut report, &geo)?;
    show(&report, &map)
}

/// Prints scapy's table and draws the map to `svg` and the PNG beside it.
fn show(report: &TraceReport, svg: &Path) -> Result<(), BoxError> {
    print!("{}", report.scapy_table());
    let map = RouteMap::new(report)?;
    let opts = RenderOptions::default();
    let png = svg.with_extension("png");
    std::fs::write(svg, map.to_svg(&opts))
        .map_err(|e| format!("writing {}: {e}", svg.display()))?;
    std::fs::write(&png, map.to_png(&opts)?)
        .map_err(|e| format!("writing {}: {e}", png.display()))?;
    println!("wrote {} and {}", svg.display(), png.display());
    Ok(())
}

/// Where the demo network's hops stand, by their distance from the source (the last place is
/// the destinations'), as ip-location-db city rows: `country,state1,state2,city,postcode,
/// latitude,longitude,timezone`.
const PLACES: &[&str] = &[
    "DE,Hesse,,Frankfurt am Main,60311,50.1109,8.6821,Europe/Berlin",
    "NL,North Holland,,Amsterdam,1012,52.3740,4.8897,Europe/Amsterdam",
    "GB,England,,London,EC1A,51.5072,-0.1276,Europe/London",
    "US,Virginia,,Ashburn,20147,39.0438,-77.4874,America/New_York",
    "JP,Tokyo,,Tokyo,100-0001,35.6895,139.6917,Asia/Tokyo",
];

/// A geography table of the network: one row per address on the way to each target, from
/// the network's own ground truth. Later rows win where the routes share a router.
fn places_of(net: &Topology, targets: &[std::net::IpAddr]) -> Result<String, BoxError> {
    let mut csv = String::new();
    for &target in targets {
        let truth = net.ground_truth(target)?;
        let last = PLACES.len() - 1;
        // The ground truth lists the routers; the destination is the target itself.
        for (i, hop) in truth.hops.iter().enumerate() {
            let place = PLACES[i.min(last - 1)];
            for a in hop.addresses() {
                writeln!(csv, "{a},{a},{place}")?;
            }
        }
        writeln!(csv, "{target},{target},{}", PLACES[last])?;
    }
    Ok(csv)
}

/// The embedded default: a testbed network, traced from its source namespace.
fn demo() -> Result<(), BoxError> {
    if !testbed::require_root("the route_trace demo (it builds network namespaces)") {
        return Err("run as root, or give targets on the command line".into());
    }
    let net = Topology::builder()
        .source("src")
        .routers(["edge", "core1", "core3"])
        .silent_router("core2")
        .destination(
            "web",
            Destination::new().listen(80).listen(443).addresses(2),
        )
        .destination("db", Destination::new())
        .destination("mail", Destination::new().listen(443).drop_port(80))
        .chain(["src", "edge", "core1", "core2", "core3", "web"])
        .link("core1", "db")
        .link("core3", "mail")
        .build()?;
    let mut targets = net.targets("web", Family::V4)?;
    targets.push(net.address("db", Family::V4)?);
    targets.push(net.address("mail", Family::V4)?);
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .ports([80, 443])
        .timeout(Duration::from_secs(1))
        .retry(1)
        .build()?;
    let mut report: TraceReport = net.run_in(net.source(), move || trace(&config))??;

    let dir = cli::demo_dir()?;
    let geo_table = dir.join("route_trace_geo.csv");
    std::fs::write(&geo_table, places_of(&net, &targets)?)?;
    let geo = annotate_geo(&mut report, &GeoDatabase::open(&geo_table)?)?;
    println!(
        "located {} of {} hop addresses from {}",
        geo.located,
        geo.addresses,
        geo_table.display()
    );
    show(&report, &dir.join("route_trace.svg"))?;
    let outputs = [
        ("route_trace.txt", report.scapy_table()),
        ("route_trace_summary.txt", report.summary()),
        ("route_trace.json", report.to_json_pretty()? + "\n"),
    ];
    for (name, text) in outputs {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
