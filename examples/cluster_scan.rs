//! The "central virus scan" recipe (section 4.1): a management host has every server's clamd
//! scan one path in the chosen mode, and prints `<host> connection [OK]` and the scan lines
//! for each.
//!
//! ```text
//! cargo run --example cluster_scan -- [--mode MODE] [--path PATH] HOST...
//! cargo run --example cluster_scan                  # two private clamd instances
//! ```
//!
//! As the recipe's `Scan` thread does for each host, the example sends PING, then RELOAD, then
//! the scan of PATH (default `/data/www`, a path on the servers) in MODE (default
//! `multiscan_file`; pyClamd's `scan_file`, `contscan_file` and `multiscan_file`, or clamd's
//! `SCAN`, `CONTSCAN`, `MULTISCAN` and `ALLMATCHSCAN`). The hosts run in parallel through the
//! library's [`Fleet`](opskit::clamd::Fleet), with its default limits (16 connections at once,
//! 4 per host, 10 minutes per host). A HOST is a literal address, `IP` or `IP:PORT` (port 3310
//! by default, as `ClamdNetworkSocket(IP, 3310)`), or a Unix socket path, as
//! `ClamdUnixSocket`; host names are refused, since the example never resolves names. The exit
//! status is clamdscan's: 1 if anything was found, 2 if a host or a file failed (or for a bad
//! command line), otherwise 0.
//!
//! With no arguments it runs on private defaults: two private clamd instances stand in for two
//! servers and scan the same web root (they share this machine's file system), with an EICAR
//! test file planted in it, like the recipe's `/tmp/EICAR`. The report is also written to
//! `target/demo/cluster_scan.txt` (or `$OPSKIT_DEMO_DIR/cluster_scan.txt`).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use opskit::clamd::{EICAR, Endpoint, Fleet, FleetReport, ScanMode, ScanPlan};
use testbed::clamd::Clamd;

#[path = "support/cli.rs"]
mod cli;

const USAGE: &str = "usage: cluster_scan [--mode MODE] [--path PATH] HOST...

Has every HOST's clamd scan PATH in MODE after PING and RELOAD, as the recipe does.
  HOST         IP, IP:PORT (default port 3310) or a Unix socket path; no host names
  --mode MODE  scan_file, contscan_file, multiscan_file (default), or clamd's
               scan, contscan, multiscan, allmatchscan
  --path PATH  the path to scan on every host (default /data/www)
With no arguments: two private clamd instances scan a web root with an EICAR file.";

/// What the recipe's `IPs`, `scantype` and `scanfile` hold.
struct Recipe {
    hosts: Vec<Endpoint>,
    mode: ScanMode,
    path: PathBuf,
}

fn main() -> ExitCode {
    let result = match cli::args(USAGE) {
        None => demo(),
        Some(args) => parse(&args).and_then(|recipe| {
            let (report, _) = scan(&recipe)?;
            Ok(ExitCode::from(report.summary().exit_code()))
        }),
    };
    result.unwrap_or_else(|e| {
        eprintln!("cluster_scan: {e}");
        ExitCode::from(2)
    })
}

fn parse(args: &[String]) -> Result<Recipe, Box<dyn std::error::Error>> {
    let (flags, hosts) = cli::split(args, &["--mode", "--path"], USAGE)?;
    let mut recipe = Recipe {
        hosts: hosts.into_iter().map(endpoint).collect::<Result<_, _>>()?,
        mode: ScanMode::MultiScan,
        path: PathBuf::from("/data/www"),
    };
    for (flag, value) in flags {
        match flag {
            "--mode" => recipe.mode = mode(value)?,
            _ => recipe.path = value.into(),
        }
    }
    if recipe.hosts.is_empty() {
        return Err(format!("no HOST given\n{USAGE}").into());
    }
    Ok(recipe)
}

fn mode(name: &str) -> Result<ScanMode, String> {
    match name.to_ascii_lowercase().as_str() {
        "scan_file" | "scan" => Ok(ScanMode::Scan),
        "contscan_file" | "contscan" => Ok(ScanMode::ContScan),
        "multiscan_file" | "multiscan" => Ok(ScanMode::MultiScan),
        "allmatchscan" => Ok(ScanMode::AllMatchScan),
        _ => Err(format!("unknown mode {name:?}\n{USAGE}")),
    }
}

fn endpoint(host: &str) -> Result<Endpoint, String> {
    let ep: Endpoint = host
        .parse()
        .map_err(|e: opskit::clamd::Error| e.to_string())?;
    match &ep {
        Endpoint::Tcp { host: name, .. } if name.parse::<IpAddr>().is_err() => Err(format!(
            "{host:?}: give the host's IP address; the example does not resolve names"
        )),
        _ => Ok(ep),
    }
}

/// PING, RELOAD and the scan on every host through the library's fleet; prints the recipe's
/// report and returns it with its text.
fn scan(recipe: &Recipe) -> Result<(FleetReport, String), Box<dyn std::error::Error>> {
    let plan = ScanPlan::paths(recipe.mode, [&recipe.path])
        .reload(true)
        .version(false);
    let report = Fleet::new(recipe.hosts.clone()).run(&plan);
    let text = report_text(&report)?;
    print!("{text}");
    Ok((report, text))
}

fn report_text(report: &FleetReport) -> Result<String, std::fmt::Error> {
    let mut text = String::new();
    for host in &report.hosts {
        match (&host.error, host.latency) {
            // PING never answered: the recipe's "ping error" or exception line.
            (Some(e), None) => writeln!(text, "{} connection [FAILED] {e}", host.endpoint)?,
            _ => writeln!(text, "{} connection [OK]", host.endpoint)?,
        }
        for r in &host.results {
            writeln!(text, "{r}")?;
        }
        if let (Some(e), Some(_)) = (&host.error, host.latency) {
            writeln!(text, "{} ERROR {e}", host.endpoint)?;
        }
    }
    let summary = report.summary();
    writeln!(
        text,
        "hosts: {} ({} failed), infected files: {}, errors: {}",
        summary.hosts, summary.hosts_failed, summary.infected, summary.errors
    )?;
    Ok(text)
}

/// The embedded default: two private clamd instances scan one web root with an EICAR file.
fn demo() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let servers = [Clamd::start()?, Clamd::start()?];
    let www = servers[0].dir().join("www");
    std::fs::create_dir_all(www.join("static"))?;
    std::fs::write(www.join("index.html"), b"<html>welcome</html>\n")?;
    std::fs::write(www.join("static/app.js"), b"console.log('hello');\n")?;
    std::fs::write(www.join("static/upload.bin"), EICAR)?;
    let recipe = Recipe {
        hosts: servers.iter().map(|c| c.tcp_addr().into()).collect(),
        mode: ScanMode::MultiScan,
        path: www,
    };
    let (report, text) = scan(&recipe)?;
    let summary = report.summary();
    let planted_only = report.hosts.iter().all(|h| {
        let found: Vec<_> = h.results.iter().filter(|r| r.is_infected()).collect();
        found.len() == 1 && found[0].path().ends_with("static/upload.bin")
    });
    if !planted_only || summary.errors > 0 {
        return Err("every host must find the planted EICAR file, only it, and no error".into());
    }

    let out = cli::demo_dir()?.join("cluster_scan.txt");
    std::fs::write(&out, &text)?;
    println!("wrote {}", out.display());
    // The demo found what it planted: that is success.
    Ok(ExitCode::SUCCESS)
}
