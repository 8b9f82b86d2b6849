//! The route trace recipe (section 3.3): `traceroute(targets, dport=[80], retry=-2)` with TCP
//! SYN probes, printed as scapy's table, and `res.graph()`: the routes drawn as a map.
//!
//! ```text
//! cargo run --example route_trace -- [--ports LIST] [--retry N] [--map FILE.svg] TARGET...
//! cargo run --example route_trace                   # builds a testbed network (root)
//! ```
//!
//! With targets on the command line (IP addresses or names, as the recipe's input line; needs
//! root or `CAP_NET_RAW`) it traces every target on every port of LIST (default `80`; a list
//! such as `80,443,8000-8003`) with scapy's retry N (default the recipe's `-2`: keep resending
//! unanswered probes until two rounds in a row bring no new answer; a positive N resends each
//! unanswered probe up to N times; at most 63 either way), with scapy's other defaults (TTLs 1
//! to 30, a 2 s wait per probe). It prints the table and draws the map to FILE.svg and, beside
//! it, FILE.png (default `test.svg` and `test.png`, the recipe's file names).
//!
//! With no arguments it builds a test network of namespaces itself (a chain of routers, one of
//! them silent, and three destinations: one with port 80 open, one where every port is closed
//! and one that drops port 80) and traces ports 80 and 443 of every destination from inside it,
//! with a 1 s wait and retry 1 to keep the demo short. It prints the table and writes it, the
//! mtr-like summary, the JSON report and the map (`route_trace.{txt,json,svg,png}`,
//! `route_trace_summary.txt`) under `target/demo/` (or `OPSKIT_DEMO_DIR`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use opskit::routeviz::{RenderOptions, RouteMap};
use opskit::tcptrace::{TraceConfig, TraceReport, trace};
use testbed::netns::{Destination, Family, Topology};

#[path = "support/cli.rs"]
mod cli;

const USAGE: &str = "usage: route_trace [--ports LIST] [--retry N] [--map FILE.svg] TARGET...

TCP SYN traceroute of every TARGET on every port, as scapy's traceroute(); needs root.
  --ports LIST    destination ports, e.g. 80,443,8000-8003 (default 80)
  --retry N       scapy's retry: -N resends until N rounds bring no new answer,
                  N > 0 resends each unanswered probe N times; -63..=63 (default -2)
  --map FILE.svg  the route map, with FILE.png beside it (default test.svg)
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
    let (flags, targets) = cli::split(args, &["--ports", "--retry", "--map"], USAGE)?;
    let (mut ports, mut retry, mut map) = ("80", -2, PathBuf::from("test.svg"));
    for (flag, value) in flags {
        match flag {
            "--ports" => ports = value,
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
    show(&trace(&config)?, &map)
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
    let report: TraceReport = net.run_in(net.source(), move || trace(&config))??;

    let dir = cli::demo_dir()?;
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
