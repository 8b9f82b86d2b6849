//! `--db PATH`: the history of policy runs in an `SQLite` file (compiled in; no server).
//!
//! Tables (the schema is created when missing):
//!
//! - `runs(id, environment, policy, started_at, ended_at, status)`: one row per run of an
//!   environment, written (and committed) when it starts with status `running`; at its end,
//!   `status` becomes `all_clean`, `infected` or `incomplete` and `ended_at` is set. A run cut
//!   short by SIGTERM or SIGINT is `interrupted`. A run killed outright (SIGKILL, a crash) stays
//!   `running` with no `ended_at`: it is incomplete, and every host it finished is recorded.
//! - `hosts(run_id, host, state, version, elapsed_ms, error)`: one row per host, written with
//!   its findings in one transaction when the host is done.
//! - `findings(run_id, host, path, kind, detail)`: every infected file (`kind` `infected`,
//!   `detail` its signature) and every per-file error (`error`, clamd's message) of each host,
//!   and the local walk's errors (`host` `local`). Paths are stored as their bytes (BLOB).
//!
//! Times are seconds since the Unix epoch (UTC). Each write is a transaction, so the file is
//! consistent whenever the process stops.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use clamd_proto::{FleetReport, FleetStatus, HostReport, HostState};
use rusqlite::{Connection, params};

use crate::error::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    environment TEXT NOT NULL,
    policy TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hosts (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    host TEXT NOT NULL,
    state TEXT NOT NULL,
    version TEXT,
    elapsed_ms INTEGER NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    host TEXT NOT NULL,
    path BLOB NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_environment ON runs(environment, started_at);
";

/// How long a write waits for another process holding the file (a second management host
/// process on the same file).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The open history file, shared by the runs of a process.
pub(super) struct History {
    conn: Mutex<Connection>,
    path: String,
    /// The runs this process started and has not finished.
    active: Mutex<Vec<i64>>,
}

fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl History {
    /// Opens (creating if needed) the history at `path`.
    pub(super) fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let fail = |e: rusqlite::Error| {
            Error::io(
                format!("opening the history {name}"),
                std::io::Error::other(e),
            )
        };
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: name,
            active: Mutex::new(Vec::new()),
        })
    }

    fn write<T>(
        &self,
        what: &str,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction().map_err(|e| self.error(what, e))?;
        let v = f(&tx).map_err(|e| self.error(what, e))?;
        tx.commit().map_err(|e| self.error(what, e))?;
        Ok(v)
    }

    fn error(&self, what: &str, e: rusqlite::Error) -> Error {
        Error::io(
            format!("{what} in the history {}", self.path),
            std::io::Error::other(e),
        )
    }

    /// Records the start of a run; returns its id.
    pub(super) fn start(&self, env: &str, policy: &Path, started: SystemTime) -> Result<i64> {
        let id = self.write("recording a run's start", |tx| {
            tx.execute(
                "INSERT INTO runs (environment, policy, started_at, status) \
                 VALUES (?1, ?2, ?3, 'running')",
                params![env, policy.display().to_string(), secs(started)],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        self.active_runs().push(id);
        Ok(id)
    }

    fn active_runs(&self) -> std::sync::MutexGuard<'_, Vec<i64>> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one finished host and its findings, in one transaction.
    pub(super) fn host(&self, run: i64, h: &HostReport) -> Result<()> {
        self.write("recording a host", |tx| {
            let state = match h.state() {
                HostState::Done => "done",
                HostState::NotScanned => "not_scanned",
                _ => "failed",
            };
            let host = h.endpoint.to_string();
            let error = h
                .first_error()
                .map(ToString::to_string)
                .or_else(|| h.not_scanned.map(|r| r.to_string()));
            tx.execute(
                "INSERT INTO hosts (run_id, host, state, version, elapsed_ms, error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    run,
                    host,
                    state,
                    h.version.as_ref().map(ToString::to_string),
                    i64::try_from(h.elapsed.as_millis()).unwrap_or(i64::MAX),
                    error
                ],
            )?;
            let mut insert = tx.prepare(
                "INSERT INTO findings (run_id, host, path, kind, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in &h.results {
                let (kind, detail) = match r.verdict() {
                    clamd_proto::Verdict::Found(sig) => ("infected", sig.clone()),
                    clamd_proto::Verdict::Error(msg) => ("error", msg.clone()),
                    clamd_proto::Verdict::Clean => continue,
                };
                insert.execute(params![run, host, r.path_bytes(), kind, detail])?;
            }
            Ok(())
        })
    }

    /// Records the end of a run: the local walk's errors and its status.
    pub(super) fn finish(&self, run: i64, report: &FleetReport, ended: SystemTime) -> Result<()> {
        self.active_runs().retain(|&r| r != run);
        self.write("recording a run's end", |tx| {
            for e in &report.walk_errors {
                tx.execute(
                    "INSERT INTO findings (run_id, host, path, kind, detail) \
                     VALUES (?1, 'local', ?2, 'error', ?3)",
                    params![run, e.path.as_os_str().as_bytes(), e.reason.to_string()],
                )?;
            }
            let status = match report.summary().status {
                FleetStatus::AllClean => "all_clean",
                FleetStatus::Infected => "infected",
                FleetStatus::Incomplete => "incomplete",
            };
            tx.execute(
                "UPDATE runs SET ended_at = ?1, status = ?2 WHERE id = ?3",
                params![secs(ended), status, run],
            )?;
            Ok(())
        })
    }

    /// Marks every run this process started and has not finished as cut short by a signal.
    pub(super) fn interrupt_active(&self, ended: SystemTime) -> Result<()> {
        let runs = std::mem::take(&mut *self.active_runs());
        self.write("recording interrupted runs", |tx| {
            for run in runs {
                tx.execute(
                    "UPDATE runs SET ended_at = ?1, status = 'interrupted' WHERE id = ?2",
                    params![secs(ended), run],
                )?;
            }
            Ok(())
        })
    }
}
