//! The run history: every fleet run recorded, with its hosts, infections and errors, in an
//! SQLite file (compiled in, no server) or, for several management hosts that share one
//! history, on a PostgreSQL server (feature `history-postgres`). Both use one schema and
//! one set of SQL statements; only the id and byte column types differ.
//!
//! ```no_run
//! use clamd_proto::history::{History, Location, NewRun, RunFilter};
//! use clamd_proto::{Endpoint, Fleet, ScanMode, ScanPlan};
//!
//! let history = History::open(&Location::parse("/var/lib/opskit/history.sqlite".as_ref()))?;
//! let fleet = Fleet::builder(["127.0.0.1:3310".parse::<Endpoint>()?]).build()?;
//! let plan = ScanPlan::paths(ScanMode::ContScan, ["/data/www"]);
//! let run = history.start_run(&NewRun::new("web", "fleet.toml").mode("contscan").paths(["/data/www"]))?;
//! let report = fleet.run_with_events(&plan, |e| {
//!     if let clamd_proto::FleetEvent::HostDone { report, .. } = e {
//!         let _ = history.record_host(run, report);
//!     }
//! });
//! history.finish_run(run, &report, std::time::SystemTime::now())?;
//! for r in history.runs(&RunFilter::default())? {
//!     println!("{} {} {}", r.id, r.environment, r.status.name());
//! }
//! # Ok::<(), clamd_proto::Error>(())
//! ```
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! - `opskit_history(version)`: the schema's version; another version is refused.
//! - `runs(id, environment, policy, mode, paths, owner, started_at, ended_at, status)`: one
//!   row per run, committed when it starts with status `running` and its owner
//!   (`HOST:PID:START`); at its end `status` becomes `all_clean`, `infected` or
//!   `incomplete` and `ended_at` is set; a run stopped by SIGTERM or SIGINT is
//!   `interrupted`. `paths` is a JSON list.
//! - `hosts(run_id, host, state, version, db_version, db_date, db_time, latency_us,
//!   elapsed_ms, jobs_given, jobs_done, jobs_failed, jobs_skipped, error)`: one row per
//!   host, committed with its findings in one transaction when the host is done. `state` is
//!   `done`, `failed` or `not_scanned`; `version` is VERSION's reply, `db_version`,
//!   `db_date` and `db_time` the signature database's version and date (as clamd wrote it,
//!   and in seconds since the epoch).
//! - `findings(run_id, host, path, kind, detail)`: every infected file (`infected`, the
//!   signature; one row per signature with `allmatch`), every per-file `ERROR` line
//!   (`error`, clamd's message), every path or file whose scan failed (`job_failed`, the
//!   error), and the local walk's errors (`walk_error`, host `local`). `path` holds the
//!   path's bytes (`BLOB`, `BYTEA`).
//!
//! Times are seconds since the Unix epoch (UTC).
//!
//! # Crash safety
//!
//! Each write is one transaction, so the database holds whole runs and whole hosts
//! whenever the process stops. A run whose process was killed (SIGKILL, a crash) stays
//! `running` with the hosts it finished; the next [`History::open`] on the same management
//! host sees that its owner (pid and process start time) is gone and marks it
//! `incomplete`, with `ended_at` null. A run owned by another management host is left to
//! that host to judge.

mod changes;
mod db;
mod owner;
#[cfg(feature = "history-postgres")]
mod postgres;
mod record;
mod sqlite;
mod store;
mod time;

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

pub use record::{Finding, FindingKind, HostRecord, RunChanges, RunRecord, RunStatus, RunSummary};
pub use sqlite::BUSY_TIMEOUT;
pub use store::{History, SCHEMA_VERSION};
pub use time::{parse_utc, utc_text};

/// Where a history is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// An SQLite file (created with its directory when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server: a `postgres://` or `postgresql://` URL, e.g.
    /// `postgres://opskit@db.example:5432/opskit` (feature `history-postgres`).
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL, else a file path.
    #[must_use]
    pub fn parse(text: &OsStr) -> Self {
        match text.to_str() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::Postgres(url.to_owned())
            }
            _ => Self::Sqlite(PathBuf::from(text)),
        }
    }
}

impl fmt::Display for Location {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "{}", p.display()),
            Self::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                let (auth, host) = rest
                    .rsplit_once('@')
                    .map_or((None, rest), |(a, h)| (Some(a), h));
                match auth {
                    Some(a) => {
                        let user = a.split_once(':').map_or(a, |(u, _)| u);
                        let hidden = if a.contains(':') { ":***" } else { "" };
                        write!(f, "{scheme}://{user}{hidden}@{host}")
                    }
                    None => write!(f, "{scheme}://{host}"),
                }
            }
        }
    }
}

/// A run about to start: what [`History::start_run`] records.
#[derive(Debug, Clone)]
#[must_use]
pub struct NewRun {
    environment: String,
    policy: String,
    mode: String,
    paths: Vec<String>,
    started: SystemTime,
}

impl NewRun {
    /// A run of `environment` from the policy `policy`, starting now.
    pub fn new(environment: &str, policy: &str) -> Self {
        Self {
            environment: environment.to_owned(),
            policy: policy.to_owned(),
            mode: String::new(),
            paths: Vec::new(),
            started: SystemTime::now(),
        }
    }

    /// The scan mode's name.
    pub fn mode(mut self, mode: &str) -> Self {
        mode.clone_into(&mut self.mode);
        self
    }

    /// The environment's paths.
    pub fn paths(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// When it started (default: when [`new`](Self::new) was called).
    pub fn started(mut self, at: SystemTime) -> Self {
        self.started = at;
        self
    }
}

/// Which runs [`History::runs`] lists: all by default.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct RunFilter {
    environment: Option<String>,
    since: Option<SystemTime>,
}

impl RunFilter {
    /// Only runs of this environment.
    pub fn environment(mut self, name: &str) -> Self {
        self.environment = Some(name.to_owned());
        self
    }

    /// Only runs started at or after `t`.
    pub fn since(mut self, t: SystemTime) -> Self {
        self.since = Some(t);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn locations_and_their_names() {
        let pg = Location::parse("postgres://ops:secret@db.example:5432/opskit".as_ref());
        assert_eq!(pg.to_string(), "postgres://ops:***@db.example:5432/opskit");
        let pg = Location::parse("postgresql://ops@127.0.0.1/h".as_ref());
        assert_eq!(pg.to_string(), "postgresql://ops@127.0.0.1/h");
        assert_eq!(
            Location::parse("/var/lib/opskit/history.sqlite".as_ref()),
            Location::Sqlite("/var/lib/opskit/history.sqlite".into())
        );
    }
}
