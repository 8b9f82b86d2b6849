//! Where runs are recorded (`--db`, `--no-history`, the default path), and the runs
//! this process has open, so that SIGTERM and SIGINT can mark them interrupted. The store
//! itself is `clamd_proto::history`: one schema and one code path over SQLite and
//! PostgreSQL.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use clamd_proto::history::{self, Location, NewRun};
use clamd_proto::policy::Environment;
use clamd_proto::{FleetReport, HostReport, PoolReport};

use crate::error::{Error, Result};

/// The history file under a state directory.
const FILE: &str = "opskit/history.sqlite";

/// The default history: `$XDG_STATE_HOME/opskit/history.sqlite` when `XDG_STATE_HOME` is an
/// absolute path, else `/var/lib/opskit/history.sqlite` for root, else
/// `~/.local/state/opskit/history.sqlite`.
pub(super) fn default_path() -> Result<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").and_then(absolute) {
        return Ok(state.join(FILE));
    }
    if rustix::process::geteuid().is_root() {
        return Ok(Path::new("/var/lib").join(FILE));
    }
    std::env::var_os("HOME")
        .and_then(absolute)
        .map(|home| home.join(".local/state").join(FILE))
        .ok_or_else(|| {
            Error::Usage(
                "no default history: neither XDG_STATE_HOME nor HOME is an absolute path; give \
                 --db PATH or --no-history"
                    .into(),
            )
        })
}

/// `--db` as given, else the default path.
pub(super) fn location(db: Option<&OsStr>) -> Result<Location> {
    Ok(match db {
        Some(db) => Location::parse(db),
        None => Location::Sqlite(default_path()?),
    })
}

/// Opens the history at `--db` or the default path.
pub(super) fn open(db: Option<&OsStr>) -> Result<history::History> {
    Ok(history::History::open(&location(db)?)?)
}

/// The open history, shared by the runs of a process.
pub(super) struct History {
    store: history::History,
    /// The runs this process started and has not finished.
    active: Mutex<Vec<i64>>,
}

impl History {
    /// Opens the history for recording runs, with their `lease` (`--history-lease`).
    pub(super) fn open(db: Option<&OsStr>, lease: std::time::Duration) -> Result<Self> {
        Ok(Self {
            store: history::History::open_with_lease(&location(db)?, lease)?,
            active: Mutex::new(Vec::new()),
        })
    }

    fn active_runs(&self) -> MutexGuard<'_, Vec<i64>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the start of a run of `env` from the policy `policy`; returns its id.
    pub(super) fn start(
        &self,
        env: &Environment,
        policy: &Path,
        started: SystemTime,
    ) -> Result<i64> {
        let run = NewRun::new(&env.name, &policy.display().to_string())
            .mode(env.mode.name())
            .paths(env.paths.iter().map(|p| p.display().to_string()))
            .started(started);
        let id = self.store.start_run(&run)?;
        self.active_runs().push(id);
        Ok(id)
    }

    /// Records the start of an ad-hoc run (no policy) of `mode` over `paths`; returns its
    /// id.
    pub(super) fn start_adhoc(
        &self,
        mode: &str,
        paths: &[PathBuf],
        started: SystemTime,
    ) -> Result<i64> {
        let run = NewRun::new(history::ADHOC_ENVIRONMENT, "")
            .mode(mode)
            .paths(paths.iter().map(|p| p.display().to_string()))
            .started(started);
        let id = self.store.start_run(&run)?;
        self.active_runs().push(id);
        Ok(id)
    }

    /// Records a whole pool run, at its end.
    pub(super) fn pool(&self, run: i64, report: &PoolReport, ended: SystemTime) -> Result<()> {
        self.active_runs().retain(|&r| r != run);
        Ok(self.store.record_pool(run, report, ended)?)
    }

    /// Records one finished host and its findings, in one transaction.
    pub(super) fn host(&self, run: i64, h: &HostReport) -> Result<()> {
        Ok(self.store.record_host(run, h)?)
    }

    /// Records a host that had not finished when a signal stopped the run, with the
    /// `results` it had sent of its `given` jobs.
    pub(super) fn record_received(
        &self,
        run: i64,
        host: &str,
        given: usize,
        results: &[clamd_proto::ScanResult],
    ) -> Result<()> {
        Ok(self.store.record_received(run, host, given, results)?)
    }

    /// Records the end of a run: the local walk's errors and its status.
    pub(super) fn finish(&self, run: i64, report: &FleetReport, ended: SystemTime) -> Result<()> {
        self.active_runs().retain(|&r| r != run);
        Ok(self.store.finish_run(run, report, ended)?)
    }

    /// Marks every run this process started and has not finished as cut short by a signal.
    pub(super) fn interrupt_active(&self, ended: SystemTime) -> Result<()> {
        let runs = std::mem::take(&mut *self.active_runs());
        for run in runs {
            self.store.interrupt_run(run, ended)?;
        }
        Ok(())
    }
}
