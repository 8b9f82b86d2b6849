//! `opskit scan --policy FILE [--env NAME] [--daemon]`: the environments of a scan policy,
//! once or each on its schedule.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use clamd_proto::policy::{EnvReport, Environment, Policy};
use clamd_proto::{FleetStatus, Summary};

use super::history::History;
use super::received::Received;
use super::{Args, bars, interrupt, live, summary_text};
use crate::error::{Error, Exit, Result};

/// The exit status over several runs: clamdscan's rule applied to all of them.
#[derive(Default)]
struct Status {
    infected: bool,
    errors: bool,
}

impl Status {
    fn add(&mut self, s: &Summary) {
        self.infected |= s.status == FleetStatus::Infected;
        self.errors |= s.errors > 0;
    }

    fn exit(&self) -> Exit {
        Exit::code(if self.infected {
            1
        } else if self.errors {
            2
        } else {
            0
        })
    }
}

/// The environments to run: all, or the one `--env` names.
fn select<'p>(policy: &'p Policy, only: Option<&str>) -> Result<Vec<&'p Environment>> {
    match only {
        None => Ok(policy.environments().iter().collect()),
        Some(name) => policy.environment(name).map(|e| vec![e]).ok_or_else(|| {
            let names: Vec<&str> = policy
                .environments()
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            Error::Usage(format!(
                "--env {name}: the policy has no such environment (it has {})",
                names.join(", ")
            ))
        }),
    }
}

/// What a run of an environment needs from the command line (owned, for the daemon's
/// threads).
#[derive(Clone)]
#[expect(clippy::struct_excessive_bools, reason = "independent output switches")]
struct RunOpts {
    /// Where runs are recorded (`--db` or the default; none with `--no-history`), and the
    /// policy file they name.
    history: Option<(Arc<History>, PathBuf)>,
    show: live::Show,
    connect_timeout: Duration,
    deadline: Option<Duration>,
    max_results: usize,
    max_result_bytes: usize,
    /// `--tls-ca`, `--tls-cert`, `--tls-key`: for environments that set no `tls_ca`.
    tls: Option<(PathBuf, Option<(PathBuf, PathBuf)>)>,
    json: bool,
    bars: bool,
    infected: bool,
    no_summary: bool,
}

impl RunOpts {
    fn new(args: &Args, file: &Path) -> Result<Self> {
        let mut show = args.show();
        // A policy run always shows each host's signature version and date.
        show.version = true;
        let history = if args.no_history {
            None
        } else {
            let h = History::open(args.db.as_deref(), args.history_lease)?;
            Some((Arc::new(h), file.to_path_buf()))
        };
        Ok(Self {
            history,
            show,
            connect_timeout: args.connect_timeout,
            deadline: args.deadline,
            max_results: args.max_results,
            max_result_bytes: args.max_result_bytes,
            tls: args.tls_ca.clone().map(|ca| {
                let client = args.tls_cert.clone().zip(args.tls_key.clone());
                (ca, client)
            }),
            json: args.json,
            bars: bars(args),
            infected: args.infected,
            no_summary: args.no_summary,
        })
    }
}

pub(super) fn run(args: &Args, file: &Path) -> Result<Exit> {
    let policy = Policy::load(file)?;
    if args.daemon {
        if args.json {
            return Err(Error::Usage(
                "--daemon prints its runs as text; --json is for single runs".into(),
            ));
        }
        return daemon(args, file, &policy);
    }
    let mut status = Status::default();
    let opts = RunOpts::new(args, file)?;
    for env in select(&policy, args.env.as_deref())? {
        match run_env(&opts, env, None) {
            Ok(r) => status.add(&r.report.summary()),
            Err(e) => {
                crate::error::report(&e);
                status.errors = true;
            }
        }
    }
    Ok(status.exit())
}

/// Runs one environment and prints it; `label` prefixes every line (the daemon's runs).
fn run_env(opts: &RunOpts, env: &Environment, label: Option<&str>) -> Result<EnvReport> {
    let hosts: Vec<String> = env.hosts.iter().map(ToString::to_string).collect();
    // The policy holds the hosts, mode, paths, timeout and concurrency; the command line the
    // rest of the fleet's settings.
    // As for --concurrency: capped, with a warning, to what the open-file limit allows.
    let connections = super::fit_concurrency(env.concurrency);
    let mut fleet = env
        .fleet_builder()
        .concurrency(connections)
        .per_host(connections)
        .connect_timeout(opts.connect_timeout)
        .max_results(opts.max_results)
        .max_result_bytes(opts.max_result_bytes);
    if let Some(d) = opts.deadline {
        fleet = fleet.deadline(d);
    }
    if let (None, Some((ca, client))) = (&env.tls_ca, &opts.tls) {
        fleet = fleet.tls_ca(ca);
        if let Some((cert, key)) = client {
            fleet = fleet.tls_cert(cert).tls_key(key);
        }
    }
    let fleet = fleet.build().map_err(|e| Error::Context {
        context: format!("env {}", env.name),
        source: Box::new(e.into()),
    })?;
    let started = SystemTime::now();
    let run = match &opts.history {
        Some((h, file)) => Some((h, h.start(env, file, started)?)),
        None => None,
    };
    // Each host is recorded when it is done, so that a run killed midway keeps them.
    let record = |e: &clamd_proto::FleetEvent<'_>| {
        if let (Some((h, id)), clamd_proto::FleetEvent::HostDone { report, .. }) = (&run, e)
            && let Err(err) = h.host(*id, report)
        {
            crate::error::warn(&err);
        }
    };
    let finish = |report: &EnvReport| {
        if let Some((h, id)) = &run
            && let Err(err) = h.finish(*id, &report.report, SystemTime::now())
        {
            crate::error::warn(&err);
        }
    };
    let names = hosts;
    let plan = env.plan();
    let live = (!opts.json).then(|| env_live(opts, env, &names, plan.jobs_per_host(), label));
    let files = env.mode.scan_mode().is_none();
    let received = Received::new(names.len(), files);
    let scan = || {
        env.run_on(&fleet, started, |e| {
            let (_, result) = super::shown_event(e, None);
            received.pass(e, result, || {
                record(&e);
                if let Some(live) = &live {
                    live.event(e);
                }
            });
        })
    };
    // A daemon's runs are stopped by the daemon; a run once is stopped here.
    let report = if label.is_none() {
        let cut = interrupt::Cut {
            names: &names,
            jobs: plan.job_paths(),
            files,
            run: run.as_ref().map(|(h, id)| (&***h, *id)),
            stdin: false,
            env: Some(&env.name),
            no_summary: opts.no_summary,
        };
        super::signals::run_or_stop(scan, |sig| {
            interrupt::stop(sig, &received, &cut, live.as_ref());
        })?
    } else {
        scan()
    };
    finish(&report);
    let Some(live) = live else {
        for w in &report.db_warnings {
            crate::error::warn(format_args!("env {}: {w}", env.name));
        }
        let mut out = std::io::stdout().lock();
        super::json::write(&mut out, &report).map_err(|e| Error::io("writing the report", e))?;
        return Ok(report);
    };
    print_end(opts, &report, live)?;
    Ok(report)
}

/// The live output of one run, its heading printed.
fn env_live(
    opts: &RunOpts,
    env: &Environment,
    names: &[String],
    jobs: usize,
    label: Option<&str>,
) -> live::Live {
    let live = live::Live::new(opts.show, names, jobs, label.is_none() && opts.bars)
        .label(label.map(|l| format!("[{l}] ")));
    live.print(&format!(
        "== env {}: {} hosts, {} {}\n",
        env.name,
        env.hosts.len(),
        env.mode.name(),
        env.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    live
}

/// The end of a run's text output: the walk's entries not scanned, the signature warnings
/// and the summary.
fn print_end(opts: &RunOpts, report: &EnvReport, live: live::Live) -> Result<()> {
    let mut tail = Vec::new();
    let _ = super::walk_text(&mut tail, &report.report, opts.infected);
    for w in &report.db_warnings {
        tail.extend_from_slice(format!("WARNING {w}\n").as_bytes());
    }
    if !opts.no_summary {
        let _ = summary_text(&mut tail, &report.report, Some(&report.name));
    }
    live.print(&String::from_utf8_lossy(&tail));
    live.finish()
        .map_err(|e| Error::io("writing the report", e))
}

/// What the daemon's main loop hears about.
enum Msg {
    Signal(i32),
    Done { name: String, started: SystemTime },
}

/// The longest the daemon sleeps between looks at its schedule (a clock step or a suspend
/// is noticed within it).
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// Every environment of `policy` must have a schedule to run as a daemon.
fn scheduled(policy: &Policy, only: Option<&str>) -> Result<Vec<Environment>> {
    let envs = select(policy, only)?;
    for e in &envs {
        if e.schedule.is_none() {
            return Err(Error::Usage(format!(
                "env.{}: --daemon needs `every` or `cron` in every environment it runs",
                e.name
            )));
        }
    }
    Ok(envs.into_iter().cloned().collect())
}

fn daemon(args: &Args, file: &Path, policy: &Policy) -> Result<Exit> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let only = args.env.as_deref();
    let opts = RunOpts::new(args, file)?;
    let mut envs = scheduled(policy, only)?;
    let (tx, rx) = mpsc::channel::<Msg>();
    let signal_tx = tx.clone();
    let _signals = super::signals::listen(&[SIGTERM, SIGINT, SIGHUP], move |s| {
        signal_tx.send(Msg::Signal(s)).is_ok()
    })?;
    let now = SystemTime::now();
    let mut next: BTreeMap<String, SystemTime> = envs
        .iter()
        .filter_map(|e| Some((e.name.clone(), e.schedule.as_ref()?.first(now))))
        .collect();
    // The environments running now, with when each started.
    let mut running: BTreeMap<String, SystemTime> = BTreeMap::new();
    let sig = loop {
        let now = SystemTime::now();
        for env in &envs {
            let due = next.get(&env.name).is_some_and(|t| *t <= now);
            if due && !running.contains_key(&env.name) {
                running.insert(env.name.clone(), now);
                next.remove(&env.name);
                spawn_run(opts.clone(), env.clone(), now, tx.clone());
            }
        }
        let wait = next
            .values()
            .map(|t| t.duration_since(now).unwrap_or_default())
            .min()
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP);
        match rx.recv_timeout(wait) {
            Ok(Msg::Signal(SIGHUP)) => {
                match Policy::load(file)
                    .map_err(Error::from)
                    .and_then(|p| scheduled(&p, only))
                {
                    Ok(new) => {
                        let now = SystemTime::now();
                        next.retain(|name, _| new.iter().any(|e| &e.name == name));
                        for e in &new {
                            let same = envs
                                .iter()
                                .any(|o| o.name == e.name && o.schedule == e.schedule);
                            if let Some(s) = &e.schedule
                                && !same
                                && !running.contains_key(&e.name)
                            {
                                next.insert(e.name.clone(), s.first(now));
                            }
                        }
                        envs = new;
                        eprintln!("opskit: SIGHUP: policy {} reloaded", file.display());
                    }
                    Err(e) => {
                        crate::error::warn(format_args!("SIGHUP: keeping the running policy: {e}"));
                    }
                }
            }
            Ok(Msg::Signal(sig)) => break sig,
            Ok(Msg::Done { name, started }) => {
                running.remove(&name);
                let schedule = envs
                    .iter()
                    .find(|e| e.name == name)
                    .and_then(|e| e.schedule.as_ref());
                if let Some(s) = schedule {
                    next.insert(name, s.next_after(started, SystemTime::now()));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break SIGTERM,
        }
    };
    // Every result received was printed (and flushed) as it came; what is still running is
    // named as interrupted, and the process ends without waiting for it.
    let name = super::signals::name(sig);
    let mut out = std::io::stdout().lock();
    for env in running.keys() {
        let _ = writeln!(out, "[{env}] {}", super::signals::cut_line(sig));
    }
    let _ = out.flush();
    if let Some((h, _)) = &opts.history
        && let Err(e) = h.interrupt_active(SystemTime::now())
    {
        crate::error::report(&e);
    }
    eprintln!("opskit: {name}: stopped");
    Ok(Exit::code(if running.is_empty() { 0 } else { 2 }))
}

/// Runs one environment on a thread of its own and tells the main loop when it is done, also
/// when it failed or panicked: one environment's failure never stops the others.
fn spawn_run(opts: RunOpts, env: Environment, started: SystemTime, tx: mpsc::Sender<Msg>) {
    std::thread::spawn(move || {
        let r =
            std::panic::catch_unwind(AssertUnwindSafe(|| run_env(&opts, &env, Some(&env.name))));
        match r {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => crate::error::report(&e),
            Err(_) => eprintln!("error: env {}: the run panicked", env.name),
        }
        let _ = tx.send(Msg::Done {
            name: env.name.clone(),
            started,
        });
    });
}
