//! `opskit scan --pool`: the local files of a stream or fdpass scan spread over the hosts
//! (`clamd_proto::Pool`), each file to the host with the fewest bytes in flight, with
//! failover when a host dies.
//!
//! Each file's line is printed when its verdict arrives, with the host that scanned it; a
//! host that goes down (`HOST down: why`), each file moved off it (`PATH moved off HOST:
//! why`), each failed probe of it (`HOST still down: why (next probe in 2.0s)`, or `HOST given
//! up: why` for its last) and its return (`HOST up again after 1.4s`) are printed when they
//! happen. The summary gives each host's share and each of its outages (down when and why,
//! back when, failed probes, files scanned since). With `--json`, one object, the library's
//! `clamd_proto::PoolReport` serialized, described by the JSON Schema
//! `schemas/scan-pool.json` of the opskit sources:
//!
//! ```text
//! {"hosts":[{"host":"127.0.0.1:3310","down":null,"outages":[],"given_up":false,"scanned":2,
//!   "infected":1,"file_errors":0,"failed":0,"bytes":4164,"failovers":0},
//!  {"host":"127.0.0.1:3311","down":"...","outages":[{"down_at":0.21,"error":"...",
//!   "up_at":1.43,"failed_probes":1,"scanned_after":0}],"given_up":false,"scanned":0,
//!   "infected":0,"file_errors":0,"failed":0,"bytes":0,"failovers":1}],
//!  "files":[{"path":"/srv/a","host":"127.0.0.1:3310","state":"scanned",
//!   "result":{"path":"/srv/a","status":"infected","signature":"Eicar","message":null},
//!   "error":null,"reason":null,"failovers":1}],
//!  "failovers":[{"path":"/srv/a","from":"127.0.0.1:3311","to":"127.0.0.1:3310",
//!   "error":"..."}],
//!  "walk_errors":[],"skipped":[],
//!  "summary":{"hosts":2,"hosts_down":1,"rejoins":1,"files":1,"scanned":1,"failed":0,
//!   "not_scanned":0,"infected":1,"file_errors":0,"walk_errors":0,"failovers":1,"errors":0,
//!   "status":"infected"}}
//! ```
//!
//! A file's `state` is `scanned` (with its `result`), `failed` (with its `error`: the host
//! refused it, or it was in flight on 3 hosts that died, or on the last one) or `not_scanned`
//! (with its `reason`: `hosts_down`, every host given up or down at the deadline, or
//! `run_deadline`). Every file of the walk is there once. A host's `outages` give, in seconds
//! from the run's start, when it went down and when a probe found it back (`up_at` null if
//! none did); `given_up` says its probes ran out.

use std::io::Write;

use clamd_proto::{Endpoint, FileOutcome, Pool, PoolEvent, PoolMode, PoolReport, Walker};

use std::sync::{Mutex, PoisonError};

use super::pool_cut::Gate;
use super::{Args, ModeArg};
use crate::error::{Error, Exit, Result};

/// Runs the pool scan of `paths` on `hosts`.
pub(super) fn run(
    args: &Args,
    hosts: Vec<Endpoint>,
    paths: &[std::path::PathBuf],
    concurrency: usize,
    history: Option<&super::history::History>,
) -> Result<Exit> {
    let mode = match args.mode() {
        ModeArg::Stream => PoolMode::Stream,
        ModeArg::Fdpass => PoolMode::Fildes,
        _ => {
            return Err(Error::Usage(
                "--pool spreads local files over the hosts: use it with --stream or --fdpass \
                 (or --mode stream, fdpass)"
                    .into(),
            ));
        }
    };
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::Usage(
            "--pool scans local files: - (standard input) is one stream for one host".into(),
        ));
    }
    let per_host = concurrency.div_ceil(hosts.len()).max(1);
    let pool_hosts = hosts.clone();
    let mut pool = Pool::builder(hosts)
        .client(args.client()?)
        .mode(mode)
        .per_host(per_host)
        .file_timeout(args.file_timeout)
        .connect_timeout(args.connect_timeout)
        .retry_first(args.retry_first)
        .retry_max(args.retry_max)
        .retry_probes(args.retry_probes)
        .probe_timeout(args.probe_timeout);
    if let Some(d) = args.deadline {
        pool = pool.deadline(d);
    }
    let pool = pool.build()?;
    let walk = Walker::new(paths.iter().cloned());
    let mode_name = if mode == PoolMode::Stream {
        "stream"
    } else {
        "fdpass"
    };
    let run = match history {
        Some(h) => Some((
            h,
            h.start_adhoc(mode_name, paths, std::time::SystemTime::now())?,
        )),
        None => None,
    };
    let names: Vec<String> = pool_hosts.iter().map(ToString::to_string).collect();
    let gate = Gate::new(names.len());
    let live = Mutex::new(Live {
        infected_only: args.infected,
        out: std::io::stdout(),
        error: None,
    });
    let scan = || {
        pool.run_with_events(walk, |e| {
            gate.pass(e, |e| {
                if !args.json {
                    live.lock().unwrap_or_else(PoisonError::into_inner).event(e);
                }
            });
        })
    };
    let report = super::signals::run_or_stop(scan, |sig| {
        gate.stop(
            sig,
            &names,
            paths,
            run.as_ref().map(|(h, id)| (*h, *id)),
            args.no_summary,
        );
    })?;
    if let Some(e) = live
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .error
    {
        return Err(Error::io("writing the report", e));
    }
    if let Some((h, id)) = run
        && let Err(err) = h.pool(id, &report, std::time::SystemTime::now())
    {
        crate::error::warn(&err);
    }
    print(args, &report)?;
    Ok(Exit::code(report.summary().exit_code()))
}

/// Prints a run's events as they come.
struct Live {
    infected_only: bool,
    out: std::io::Stdout,
    error: Option<std::io::Error>,
}

impl Live {
    fn event(&mut self, e: PoolEvent<'_>) {
        let line = match e {
            PoolEvent::File { file, endpoint } => {
                let host = endpoint.map(ToString::to_string).unwrap_or_default();
                match &file.outcome {
                    FileOutcome::Scanned(r) if self.infected_only && !r.is_infected() => {
                        return;
                    }
                    FileOutcome::Scanned(r) => format!("{host} {r}"),
                    FileOutcome::Failed(err) => {
                        format!("{host} {} ERROR {err}", file.path.display())
                    }
                    FileOutcome::NotScanned(why) => {
                        format!("{} not scanned: {why}", file.path.display())
                    }
                    _ => format!("{} not scanned", file.path.display()),
                }
            }
            PoolEvent::HostDown {
                endpoint, error, ..
            } => format!("{endpoint} down: {error}"),
            PoolEvent::ProbeFailed {
                endpoint,
                error,
                retry_in,
                ..
            } => match retry_in {
                Some(wait) => format!(
                    "{endpoint} still down: {error} (next probe in {:.1}s)",
                    wait.as_secs_f64()
                ),
                None => format!("{endpoint} given up: {error}"),
            },
            PoolEvent::HostUp {
                endpoint, down_for, ..
            } => format!("{endpoint} up again after {:.1}s", down_for.as_secs_f64()),
            PoolEvent::Failover { .. } if self.infected_only => return,
            PoolEvent::Failover { failover, endpoint } => format!(
                "{} moved off {endpoint}: {}",
                failover.path.display(),
                failover.error
            ),
            _ => return,
        };
        if let Err(e) = writeln!(self.out.lock(), "{line}")
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            self.error.get_or_insert(e);
        }
    }
}

/// The end of a run: JSON, or the walk's entries not scanned and the summary.
fn print(args: &Args, report: &PoolReport) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let printed = if args.json {
        super::json::write(&mut out, report)
    } else {
        text(&mut out, report, args)
    };
    if let Err(e) = printed.and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Error::io("writing the report", e));
    }
    Ok(())
}

fn text(out: &mut impl Write, report: &PoolReport, args: &Args) -> std::io::Result<()> {
    for e in &report.walk_errors {
        writeln!(out, "{e} ERROR")?;
    }
    if !args.infected {
        for k in &report.skipped {
            writeln!(out, "{k} SKIPPED")?;
        }
    }
    if args.no_summary {
        return Ok(());
    }
    let sum = report.summary();
    writeln!(out, "----------- POOL SUMMARY -----------")?;
    for h in &report.hosts {
        write!(
            out,
            "Host {}: {} scanned, {} infected, {} errors, {} failed, {} moved off",
            h.endpoint, h.scanned, h.infected, h.file_errors, h.failed, h.failovers
        )?;
        match &h.down {
            Some(why) => writeln!(out, ", down: {why}")?,
            None => writeln!(out)?,
        }
        for o in &h.outages {
            write!(
                out,
                "  down at {:.3}s: {}",
                o.down_at.as_secs_f64(),
                o.error
            )?;
            match o.up_at {
                Some(up) => writeln!(
                    out,
                    "; back at {:.3}s after {} failed probes, {} scanned since",
                    up.as_secs_f64(),
                    o.failed_probes,
                    o.scanned_after
                )?,
                None if h.given_up => {
                    writeln!(out, "; given up after {} failed probes", o.failed_probes)?;
                }
                None => writeln!(out, "; not back ({} failed probes)", o.failed_probes)?,
            }
        }
    }
    if sum.rejoins > 0 {
        writeln!(
            out,
            "Hosts: {} ({} down, {} back)",
            sum.hosts, sum.hosts_down, sum.rejoins
        )?;
    } else {
        writeln!(out, "Hosts: {} ({} down)", sum.hosts, sum.hosts_down)?;
    }
    writeln!(
        out,
        "Files: {} ({} scanned, {} failed, {} not scanned)",
        sum.files, sum.scanned, sum.failed, sum.not_scanned
    )?;
    writeln!(out, "Failovers: {}", sum.failovers)?;
    super::summary_end(out, sum.infected, sum.errors, sum.status, report.elapsed)
}
