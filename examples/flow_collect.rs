//! The recipe's collector (`create.py` and `update.py`) on a real interface: `eth0` of a
//! network namespace, with generated traffic, graphed like the synthetic day of `flow_graph`.
//!
//! ```text
//! cargo run --example flow_collect            # target/demo/Collect.rrd and Collect.png
//! ```
//!
//! 1. Builds two network namespaces joined by a veth pair and names the first one's end
//!    `eth0`, so that the data sources are the recipe's `eth0_in` and `eth0_out`.
//! 2. Sends UDP traffic both ways that rises and falls over [`SECONDS`] seconds, and counts the
//!    bytes the veth carries for it.
//! 3. Runs [`Collector`] inside the namespace with a step of 1 s: it creates `Collect.rrd` with
//!    the recipe's layout (the demo's file of an earlier run is replaced: it holds another veth's
//!    counters) and writes one update per second from the kernel's counters.
//! 4. Draws the recipe's graph of those seconds to `Collect.png`, beside the synthetic day's
//!    `Flow.png`, and compares the bytes the RRD holds with the bytes sent.
//!
//! Needs root (namespaces). Works in `target/demo/` (or `OPSKIT_DEMO_DIR`).

use std::error::Error;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use opskit::rrdgraph::{Cf, Collector, FetchRequest, Report, Rrd, Traffic};
use testbed::netns::{Destination, Family, Topology};

#[path = "support/cli.rs"]
#[allow(dead_code, reason = "flow_collect takes no arguments")]
mod cli;

const USAGE: &str = "usage: flow_collect

Collects eth0 of a namespace veth pair carrying generated traffic into Collect.rrd (one update
a second) and draws the recipe's graph of it to Collect.png, in target/demo/ (or
$OPSKIT_DEMO_DIR). Needs root.";

/// How long traffic runs, in seconds.
const SECONDS: u64 = 20;
/// Ethernet, IPv4 and UDP headers, which the veth counts with each payload.
const FRAME_OVERHEAD: u64 = 42;

fn main() -> ExitCode {
    if cli::args(USAGE).is_some() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    match demo() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flow_collect: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> Result<(), Box<dyn Error>> {
    let rrd_path = cli::demo_dir()?.join("Collect.rrd");
    // The demo's own file from an earlier run holds another veth's counters (a new pair starts
    // from zero, which the collector would rightly write as a reset): start afresh.
    match std::fs::remove_file(&rrd_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let net = Topology::builder()
        .source("host")
        .destination("peer", Destination::new())
        .link("host", "peer")
        .build()?;
    let veth = net.interface("host", "peer")?.to_owned();
    let ip = |args: &[&str]| -> Result<(), Box<dyn Error>> {
        let out = net.command("host", "ip")?.args(args).output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("ip {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into())
        }
    };
    ip(&["link", "set", &veth, "down"])?;
    ip(&["link", "set", &veth, "name", "eth0"])?;
    ip(&["link", "set", "eth0", "up"])?;
    let host = net.interface_address("host", "peer", Family::V4)?;
    let peer = net.interface_address("peer", "host", Family::V4)?;
    let sink_host = net.run_in("host", move || UdpSocket::bind((host, 0)))??;
    let sink_peer = net.run_in("peer", move || UdpSocket::bind((peer, 0)))??;
    let (to_host, to_peer) = (sink_host.local_addr()?, sink_peer.local_addr()?);

    let mut collector = net.run_in("host", || {
        Collector::builder(&rrd_path, "eth0").step(1).build()
    })??;
    println!(
        "collecting eth0 of namespace {} into {} (data sources {} and {}, step {} s)",
        net.netns("host")?,
        rrd_path.display(),
        collector.names()[0],
        collector.names()[1],
        collector.step()
    );
    // The baseline, the seconds of traffic, and two more so that its last bytes are in.
    let count = SECONDS + 3;
    let mut times = Vec::new();
    let (sent_out, sent_in) = std::thread::scope(|s| -> Result<(u64, u64), Box<dyn Error>> {
        let collecting = s.spawn(|| {
            net.run_in("host", || {
                collector.run(Some(count), |report| {
                    if let Report::Wrote(w) = report {
                        times.push(w.time);
                    }
                })
            })
        });
        // The first update is the counters' baseline; traffic starts after it.
        std::thread::sleep(Duration::from_millis(1200));
        let outbound = s.spawn(|| net.run_in("host", || send(host, to_peer, 1200, 0)));
        let inbound = s.spawn(|| net.run_in("peer", || send(peer, to_host, 400, 3)));
        let sent_out = outbound.join().map_err(|_| "sender panicked")???;
        let sent_in = inbound.join().map_err(|_| "sender panicked")???;
        collecting.join().map_err(|_| "collector panicked")???;
        Ok((sent_out, sent_in))
    })?;
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        return Err("the collector wrote nothing".into());
    };
    println!("wrote {} updates, {first} to {last}", times.len());
    compare(&rrd_path, (first, last), sent_out, sent_in)?;
    graph(&rrd_path, first, last)
}

/// Prints the bytes the RRD holds over `(first, last]` beside the bytes sent.
fn compare(
    rrd_path: &std::path::Path,
    (first, last): (i64, i64),
    sent_out: u64,
    sent_in: u64,
) -> Result<(), Box<dyn Error>> {
    let rrd = Rrd::new(rrd_path);
    let series = rrd.fetch(
        &FetchRequest::new(Cf::Average)
            .start(first)
            .end(last)
            .resolution(1),
    )?;
    let mut held = [0.0f64; 2];
    for (t, row) in series.rows().filter(|(t, _)| *t > first && *t <= last) {
        for (h, v) in held.iter_mut().zip(row) {
            if v.is_finite() {
                *h += v;
            } else {
                println!("  {t}: unknown");
            }
        }
    }
    println!(
        "bytes sent out {sent_out}, the RRD holds {:.0}; sent in {sent_in}, the RRD holds {:.0} \
         (the difference is the kernel's own ARP and IPv6 traffic)",
        held[1], held[0]
    );
    Ok(())
}

/// The recipe's graph of the collected seconds, to the RRD's path with `.png`.
fn graph(rrd_path: &std::path::Path, first: i64, last: i64) -> Result<(), Box<dyn Error>> {
    let png = rrd_path.with_extension("png");
    let text = |p: &std::path::Path| {
        p.to_str()
            .map(str::to_owned)
            .ok_or(format!("{} is not UTF-8", p.display()))
    };
    let window = last - first + 2;
    let spec = Traffic::new(text(&png)?, text(rrd_path)?)
        .title("eth0 of a namespace veth, collected every second")
        .start(format!("end-{window}s"))
        .x_grid("SECOND:1:SECOND:5:SECOND:5:0:%M:%S")
        .alarm(None)
        .build()?;
    let mut args = spec.to_args();
    // The recipe's graph ends now; this one ends at the last update.
    args.push("--end".into());
    args.push(last.to_string());
    let rendered = opskit::rrdgraph::GraphSpec::parse_args(&args)?.render()?;
    let meta = rendered.meta().ok_or("the graph drew nothing")?;
    println!(
        "wrote {} ({}x{} PNG), beside the synthetic day's Flow.png",
        png.display(),
        meta.image_width,
        meta.image_height
    );
    for legend in rendered.legends().iter().filter(|l| l.contains("bps")) {
        println!("  {legend}");
    }
    Ok(())
}

/// Sends UDP datagrams of `payload` bytes from `src` to `dst` for [`SECONDS`] seconds, a number
/// each 100 ms that rises and falls (shifted by `phase`); returns the bytes the veth counts.
fn send(
    src: std::net::IpAddr,
    dst: std::net::SocketAddr,
    payload: usize,
    phase: u64,
) -> std::io::Result<u64> {
    let socket = UdpSocket::bind((src, 0))?;
    let buf = vec![0x5a; payload];
    let start = Instant::now();
    let mut bytes = 0;
    for tick in 0..SECONDS * 10 {
        let second = tick / 10 + phase;
        // A triangle wave of 1 to 8 datagrams per tick.
        let n = 1 + (second % 14).min(14 - second % 14);
        for _ in 0..n {
            socket.send_to(&buf, dst)?;
            bytes += payload as u64 + FRAME_OVERHEAD;
        }
        let next = start + Duration::from_millis((tick + 1) * 100);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(bytes)
}
