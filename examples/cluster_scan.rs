//! The "central virus scan" recipe (section 4.1): a management host has every server's clamd
//! scan one path in the chosen mode, and prints `<host> connection [OK]` and the scan lines
//! for each.
//!
//! ```text
//! cargo run --example cluster_scan -- --policy FILE [--env NAME]
//! cargo run --example cluster_scan -- [--mode MODE] [--path PATH] HOST...
//! cargo run --example cluster_scan                  # two private clamd instances
//! ```
//!
//! The recipe's management host keeps "a scan policy for each business environment: the
//! targets, the scan mode, the paths, and the scheduling frequency". `--policy FILE` runs
//! such a policy once (every environment, or the one `--env` names), through the library's
//! [`Policy`](opskit::clamd::policy::Policy): its hosts, mode, paths, excludes, RELOAD,
//! per-host timeout and concurrency, with each host's signature version and a warning when it
//! is older than the environment's `max_db_age` (the file format is documented in
//! `opskit::clamd::policy`). The schedules (`every`, `cron`) are for `opskit scan --policy
//! FILE --daemon`.
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
//! With no arguments it runs its embedded default policy ([`DEMO_POLICY`]) on private
//! defaults: two private clamd instances stand in for two servers of the `web` environment
//! and scan the same web root (they share this machine's file system), with an EICAR test
//! file planted in it, like the recipe's `/tmp/EICAR`, and a log file the policy excludes. The report is also written to
//! `target/demo/cluster_scan.txt` (or `$OPSKIT_DEMO_DIR/cluster_scan.txt`).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use opskit::clamd::policy::Policy;
use opskit::clamd::{EICAR, Endpoint, Fleet, FleetReport, ScanMode, ScanPlan};
use testbed::clamd::Clamd;

#[path = "support/cli.rs"]
mod cli;

const USAGE: &str = "usage: cluster_scan --policy FILE [--env NAME]
       cluster_scan [--mode MODE] [--path PATH] HOST...

Runs the environments of a scan policy (TOML) once, or has every HOST's clamd scan PATH in
MODE after PING and RELOAD, as the recipe does.
  --policy FILE  a scan policy: [env.NAME] tables of hosts, mode, paths, exclude, ...
  --env NAME     only this environment of the policy
  HOST         IP, IP:PORT (default port 3310) or a Unix socket path; no host names
  --mode MODE  scan_file, contscan_file, multiscan_file (default), or clamd's
               scan, contscan, multiscan, allmatchscan
  --path PATH  the path to scan on every host (default /data/www)
With no arguments: the embedded policy, on two private clamd instances scanning a web root
with an EICAR file.";

/// The embedded default policy: `{HOSTS}` and `{WWW}` are the private clamd instances and
/// their web root.
const DEMO_POLICY: &str = r#"
# The web servers: RELOAD first, as the recipe does, then MULTISCAN the web root.
[env.web]
hosts = [{HOSTS}]
mode = "multiscan"
paths = ["{WWW}"]
exclude = ["*.log"]
reload = true
timeout = "2m"
concurrency = 4
every = "6h"
max_db_age = "7d"
"#;

/// What the recipe's `IPs`, `scantype` and `scanfile` hold.
struct Recipe {
    hosts: Vec<Endpoint>,
    mode: ScanMode,
    path: PathBuf,
}

fn main() -> ExitCode {
    let result = match cli::args(USAGE) {
        None => demo(),
        Some(args) if args.iter().any(|a| a == "--policy") => {
            policy_args(&args).and_then(|(file, env)| {
                let policy = Policy::load(std::path::Path::new(file))?;
                let (code, _) = run_policy(&policy, env)?;
                Ok(code)
            })
        }
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

/// `--policy FILE [--env NAME]`, and nothing else.
fn policy_args(args: &[String]) -> Result<(&str, Option<&str>), Box<dyn std::error::Error>> {
    let (flags, rest) = cli::split(args, &["--policy", "--env"], USAGE)?;
    if !rest.is_empty() {
        return Err(format!("--policy takes no HOST\n{USAGE}").into());
    }
    let mut file = None;
    let mut env = None;
    for (flag, value) in flags {
        match flag {
            "--policy" => file = Some(value),
            _ => env = Some(value),
        }
    }
    Ok((file.ok_or(format!("--policy needs a file\n{USAGE}"))?, env))
}

/// Runs the policy's environments once (or the one named), printing each as the recipe's
/// report with each host's signature version and age warnings; returns clamdscan's exit
/// status over all of them and the text.
fn run_policy(
    policy: &Policy,
    only: Option<&str>,
) -> Result<(ExitCode, String), Box<dyn std::error::Error>> {
    let envs: Vec<_> = match only {
        Some(name) => vec![
            policy
                .environment(name)
                .ok_or(format!("the policy has no environment {name:?}"))?,
        ],
        None => policy.environments().iter().collect(),
    };
    let (mut infected, mut errors, mut all) = (false, false, String::new());
    for env in envs {
        let run = env.run(std::time::SystemTime::now(), |_| {})?;
        let mut text = format!(
            "== {} ({} hosts, {})\n",
            env.name,
            env.hosts.len(),
            env.mode.name()
        );
        for h in &run.report.hosts {
            if let Some(v) = &h.version {
                writeln!(text, "{} signatures {v}", h.endpoint)?;
            }
        }
        text.push_str(&report_text(&run.report)?);
        for k in &run.report.skipped {
            writeln!(text, "{k}")?;
        }
        for w in &run.db_warnings {
            writeln!(text, "WARNING {w}")?;
        }
        print!("{text}");
        all.push_str(&text);
        let summary = run.report.summary();
        infected |= summary.infected > 0;
        errors |= summary.errors > 0;
    }
    let code = if infected { 1 } else { u8::from(errors) * 2 };
    Ok((ExitCode::from(code), all))
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

/// The embedded default: [`DEMO_POLICY`] on two private clamd instances that scan one web
/// root with an EICAR file and an excluded log file.
fn demo() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let servers = [Clamd::start()?, Clamd::start()?];
    let www = servers[0].dir().join("www");
    std::fs::create_dir_all(www.join("static"))?;
    std::fs::write(www.join("index.html"), b"<html>welcome</html>\n")?;
    std::fs::write(www.join("static/app.js"), b"console.log('hello');\n")?;
    std::fs::write(www.join("static/upload.bin"), EICAR)?;
    // A log that quotes the test string: excluded by the policy, so not reported.
    std::fs::write(www.join("access.log"), EICAR)?;
    let hosts: Vec<String> = servers
        .iter()
        .map(|c| format!("\"{}\"", c.tcp_addr()))
        .collect();
    let text = DEMO_POLICY
        .replace("{HOSTS}", &hosts.join(", "))
        .replace("{WWW}", &www.display().to_string());
    let policy = Policy::parse_named("demo policy", &text)?;
    let (_, report) = run_policy(&policy, None)?;
    let planted_only = report.matches("static/upload.bin: ").count() == 2
        && report.matches(" FOUND").count() == 2
        && report.contains("access.log: excluded");
    if !planted_only || report.contains("FAILED") {
        return Err(
            "every host must find the planted EICAR file, only it, and fail nowhere".into(),
        );
    }

    let out = cli::demo_dir()?.join("cluster_scan.txt");
    std::fs::write(&out, &report)?;
    println!("wrote {}", out.display());
    // The demo found what it planted: that is success.
    Ok(ExitCode::SUCCESS)
}
