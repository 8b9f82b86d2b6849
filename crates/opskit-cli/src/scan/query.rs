//! `opskit scan history` and `opskit scan report`: the recorded runs, one run, and what
//! changed since an environment's previous run.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::SystemTime;

use clamd_proto::HostState;
use clamd_proto::history::{
    self, Finding, FindingKind, History, HostRecord, RunChanges, RunFilter, RunRecord, RunSummary,
    parse_utc, utc_text,
};

use crate::error::{Error, Exit, Result};

/// The queries over the run history.
#[derive(clap::Subcommand)]
pub(crate) enum Query {
    /// List the recorded runs (of policies, and ad hoc as env @adhoc), oldest first: id, environment, start, end, status and
    /// totals (hosts, failed hosts, infected files, errors).
    #[command(after_help = HISTORY_HELP)]
    History(HistoryArgs),
    /// Show one recorded run (the latest by default): its hosts with their versions,
    /// signature dates, timings and errors, and every infected file and error; or, with
    /// --new, what changed since the previous run of the same environment.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
}

/// Where the history is by default, in both queries' help.
macro_rules! default_db {
    () => {
        "The history is --db (an SQLite file or a postgres:// URL), by default \
         $XDG_STATE_HOME/opskit/history.sqlite, else /var/lib/opskit/history.sqlite for root, \
         else ~/.local/state/opskit/history.sqlite. "
    };
}

const HISTORY_HELP: &str = concat!(
    default_db!(),
    "Scans without --policy are runs of env @adhoc (no policy can name it), with no policy \
     file. A run whose process died (SIGKILL, a crash) is shown as incomplete with no end. --json \
     prints one JSON array of runs, described by schemas/scan-history.json of the opskit \
     sources."
);

const REPORT_HELP: &str = concat!(
    default_db!(),
    "--new compares the latest ended run of each environment (or of --env) with the run \
     before it; for the ad-hoc scans (env @adhoc: scans without --policy), the latest with \
     the previous one over the same paths, in the same order, and the same set of hosts. It \
     shows new infections, infections gone (only on hosts the new run scanned \
     completely), hosts that failed and hosts that recovered; it exits 1 when there are new \
     infections or newly failed hosts, else 0. --json prints one JSON object \
     (schemas/scan-report.json) or, with --new, one JSON array with an object per \
     environment (schemas/scan-report-new.json)."
);

/// Where the history is: the same flag as `opskit scan --db`.
#[derive(clap::Args)]
pub(crate) struct DbArg {
    /// The history: an SQLite file or a `postgres://USER@HOST[:PORT]/DB` URL (over TLS:
    /// `?sslmode=verify-full&sslrootcert=CA.pem`, or `verify-ca`, `require`) (default: see
    /// below).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<OsString>,
}

#[derive(clap::Args)]
pub(crate) struct HistoryArgs {
    #[command(flatten)]
    db: DbArg,
    /// Only runs of this environment.
    #[arg(long = "env", value_name = "NAME")]
    env: Option<String>,
    /// Only runs started at or after T: a UTC date and time (2026-12-01, 2026-12-01T06:00Z)
    /// or a span ago (2d, 12h).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Print one JSON array of runs (schemas/scan-history.json).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    db: DbArg,
    /// The run to show (an id from `opskit scan history`).
    #[arg(long, value_name = "ID", conflicts_with_all = ["new", "env"])]
    run: Option<i64>,
    /// What changed since the previous run of the same environment (for @adhoc, the
    /// previous over the same hosts and paths).
    #[arg(long)]
    new: bool,
    /// The environment: its latest run, or with --new its changes.
    #[arg(long = "env", value_name = "NAME")]
    env: Option<String>,
    /// Print JSON (schemas/scan-report.json, or with --new schemas/scan-report-new.json).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(query: &Query) -> Result<Exit> {
    match query {
        Query::History(a) => history(a),
        Query::Report(a) => report(a),
    }
}

fn since(text: &str) -> Result<SystemTime> {
    if let Some(t) = parse_utc(text) {
        return Ok(t);
    }
    let span = crate::duration::parse(text).map_err(|e| {
        Error::Usage(format!(
            "--since {text}: neither a UTC date and time (2026-12-01T06:00Z) nor a span ({e})"
        ))
    })?;
    Ok(SystemTime::now()
        .checked_sub(span)
        .unwrap_or(SystemTime::UNIX_EPOCH))
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("writing the report", e))
        }
        _ => Ok(()),
    }
}

fn print_json(doc: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string(doc).map_err(|e| Error::io("writing JSON", e.into()))?;
    text.push('\n');
    print(&text)
}

/// Text from the database (which other hosts may write) with control characters escaped,
/// so that nothing stored can move the cursor or rewrite a terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn time(t: Option<i64>) -> String {
    t.map_or_else(|| "-".to_owned(), utc_text)
}

fn history(a: &HistoryArgs) -> Result<Exit> {
    let store = super::history::open(a.db.db.as_deref())?;
    let mut filter = RunFilter::default();
    if let Some(env) = &a.env {
        filter = filter.environment(env);
    }
    if let Some(t) = &a.since {
        filter = filter.since(since(t)?);
    }
    let runs = store.runs(&filter)?;
    if a.json {
        print_json(&runs)?;
        return Ok(Exit::SUCCESS);
    }
    let mut t =
        String::from("ID\tENVIRONMENT\tSTARTED\tENDED\tSTATUS\tHOSTS\tFAILED\tINFECTED\tERRORS\n");
    for r in &runs {
        let _ = writeln!(
            t,
            "{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            printable(&r.environment),
            utc_text(r.started_at),
            time(r.ended_at),
            r.status.name(),
            counts(r).map(|n| n.to_string()).join("\t")
        );
    }
    print(&t)?;
    Ok(Exit::SUCCESS)
}

fn report(a: &ReportArgs) -> Result<Exit> {
    let store = super::history::open(a.db.db.as_deref())?;
    if a.new {
        return changes(&store, a);
    }
    let id = match a.run {
        Some(id) => id,
        None => store.latest(a.env.as_deref())?.ok_or_else(|| {
            Error::Usage(match &a.env {
                Some(env) => format!("the history {} has no run of env {env}", store.name()),
                None => format!("the history {} has no runs", store.name()),
            })
        })?,
    };
    let record = store
        .run(id)?
        .ok_or_else(|| Error::Usage(format!("the history {} has no run {id}", store.name())))?;
    if a.json {
        print_json(&record)?;
    } else {
        print(&record_text(&record))?;
    }
    Ok(Exit::SUCCESS)
}

fn changes(store: &History, a: &ReportArgs) -> Result<Exit> {
    let envs = match &a.env {
        Some(env) => vec![env.clone()],
        None => store.environments()?,
    };
    let mut all = Vec::new();
    for env in &envs {
        // Ad-hoc runs may each scan other hosts and paths: each is compared with the
        // previous one over the same.
        let changes = if env == history::ADHOC_ENVIRONMENT {
            store.changes_same_targets(env)?
        } else {
            store.changes(env)?
        };
        match changes {
            Some(c) => all.push(c),
            None if a.env.is_some() => {
                return Err(Error::Usage(format!(
                    "the history {} has no ended run of env {env}",
                    store.name()
                )));
            }
            None => {}
        }
    }
    if a.json {
        print_json(&all)?;
    } else {
        let mut t = String::new();
        for c in &all {
            changes_text(&mut t, c);
        }
        print(&t)?;
    }
    let alarm = all
        .iter()
        .any(|c| !c.new_infections.is_empty() || !c.hosts_failed.is_empty());
    Ok(Exit::code(u8::from(alarm)))
}

/// A run's totals: hosts, failed hosts, infected files, errors.
fn counts(r: &RunSummary) -> [u64; 4] {
    [r.hosts, r.hosts_failed, r.infected, r.errors]
}

fn run_head(t: &mut String, r: &RunSummary) {
    let policy = if r.policy.is_empty() {
        "no policy".to_owned()
    } else {
        format!("policy {}", printable(&r.policy))
    };
    let _ = writeln!(
        t,
        "run {} of env {} ({policy}): {} {}",
        r.id,
        printable(&r.environment),
        printable(&r.mode),
        printable(&r.paths.join(" "))
    );
    let [hosts, failed, infected, errors] = counts(r);
    let _ = writeln!(
        t,
        "started {}, ended {}, status {} ({hosts} hosts, {failed} failed, {infected} infected, \
         {errors} errors; owner {})",
        utc_text(r.started_at),
        time(r.ended_at),
        r.status.name(),
        printable(&r.owner)
    );
}

fn host_line(h: &HostRecord) -> String {
    let state = match h.state {
        HostState::Done => "done",
        HostState::NotScanned => "not scanned",
        _ => "failed",
    };
    let mut t = format!("host {}: {state}", printable(&h.host));
    if let Some(v) = &h.version {
        let _ = write!(t, ", {}", printable(v));
    }
    if let Some(d) = h.database_time {
        let _ = write!(t, ", signatures of {}", utc_text(d));
    }
    let _ = write!(
        t,
        ", {:.3} s, {}/{} jobs done",
        std::time::Duration::from_millis(h.elapsed_ms).as_secs_f64(),
        h.jobs.done,
        h.jobs.given
    );
    if let Some(e) = &h.error {
        let _ = write!(t, ": {}", printable(e));
    }
    t
}

fn finding_line(f: &Finding) -> String {
    let path = printable(&String::from_utf8_lossy(&f.path));
    let detail = printable(&f.detail);
    let host = printable(&f.host);
    match f.kind {
        FindingKind::Infected => format!("{host} {path}: {detail} FOUND"),
        FindingKind::JobFailed => format!("{host} {path}: scan failed: {detail}"),
        _ => format!("{host} {path}: {detail} ERROR"),
    }
}

fn record_text(r: &RunRecord) -> String {
    let mut t = String::new();
    run_head(&mut t, &r.run);
    for h in &r.hosts {
        let _ = writeln!(t, "{}", host_line(h));
    }
    for f in &r.findings {
        let _ = writeln!(t, "{}", finding_line(f));
    }
    t
}

fn changes_text(t: &mut String, c: &RunChanges) {
    match &c.previous {
        Some(p) => {
            let _ = writeln!(
                t,
                "== env {}: run {} against run {}",
                printable(&c.environment),
                c.run.id,
                p.id
            );
        }
        None => {
            let _ = writeln!(
                t,
                "== env {}: run {}, the first recorded",
                printable(&c.environment),
                c.run.id
            );
        }
    }
    for f in &c.new_infections {
        let _ = writeln!(t, "NEW {}", finding_line(f));
    }
    for f in &c.infections_gone {
        let _ = writeln!(t, "GONE {}", finding_line(f));
    }
    for h in &c.hosts_failed {
        let _ = writeln!(t, "FAILED {}", host_line(h));
    }
    for h in &c.hosts_recovered {
        let _ = writeln!(t, "RECOVERED {}", host_line(h));
    }
    let quiet = c.new_infections.is_empty()
        && c.infections_gone.is_empty()
        && c.hosts_failed.is_empty()
        && c.hosts_recovered.is_empty();
    if quiet {
        t.push_str("no changes\n");
    }
}
