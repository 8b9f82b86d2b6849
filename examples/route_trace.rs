//! The recipe: a TCP SYN traceroute to several targets on port 80, printed as scapy's table.
//!
//! ```text
//! cargo run --example route_trace -- TARGET...      # needs root or CAP_NET_RAW
//! cargo run --example route_trace                   # builds a testbed network (root)
//! ```
//!
//! With targets on the command line it traces them on port 80 and prints the table. With no
//! arguments it builds a test network of namespaces itself (a chain of routers, one of them
//! silent, and three destinations: one with port 80 open, one where every port is closed and
//! one that drops port 80) and traces ports 80 and 443 of every destination from inside it. It
//! then prints the table and writes it, the mtr-like summary and the JSON report under
//! `target/demo/` (or `OPSKIT_DEMO_DIR`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use opskit::tcptrace::{TraceConfig, TraceReport, trace};
use testbed::netns::{Destination, Family, Topology};

fn main() -> ExitCode {
    let targets: Vec<String> = std::env::args().skip(1).collect();
    let result = if targets.is_empty() {
        demo()
    } else {
        recipe(targets)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("route_trace: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `traceroute(targets, dport=80)` and `.show()`.
fn recipe(targets: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let config = TraceConfig::builder().targets(targets).port(80).build()?;
    let report = trace(&config)?;
    print!("{}", report.scapy_table());
    Ok(())
}

/// The embedded default: a testbed network, traced from its source namespace.
fn demo() -> Result<(), Box<dyn std::error::Error>> {
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
    let table = report.scapy_table();
    print!("{table}");

    let dir = std::env::var_os("OPSKIT_DEMO_DIR")
        .map_or_else(|| PathBuf::from("target/demo"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let outputs = [
        ("route_trace.txt", table),
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
