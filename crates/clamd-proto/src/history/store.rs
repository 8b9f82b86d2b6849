//! [`History`]: the one set of SQL statements, over whichever [`Db`] the location opened.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::changes::changes;
use super::db::{Db, DbError, Dialect, Value};
use super::input::{NewRun, RunFilter};
use super::lease::{self, DEFAULT_LEASE, Heartbeat};
use super::location::Location;
use super::owner::Owner;
use super::record::{
    Finding, FindingKind, HostRecord, RunChanges, RunRecord, RunStatus, RunSummary,
};
use crate::fleet::{FleetReport, FleetStatus, HostReport, HostState, JobStatus, Tally};
use crate::proto::reply::Verdict;
use crate::{Error, Result};

/// The schema's version, in `opskit_history`; a history written by another version is
/// refused rather than misread.
/// Version 1 had no lease columns (`runs.heartbeat_at`, `runs.lease_s`): a history of
/// version 1 is brought to version 2 when it is opened, its runs without a lease.
pub const SCHEMA_VERSION: i64 = 2;

/// The columns that version 2 added to `runs`, for a history of version 1.
const ADD_LEASE: &str = "ALTER TABLE runs ADD COLUMN heartbeat_at BIGINT;
ALTER TABLE runs ADD COLUMN lease_s BIGINT;
UPDATE opskit_history SET version = 2";

/// The tables, written once for both databases: only the id and byte column types differ.
fn schema(d: &Dialect) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS opskit_history (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id {id},
    environment TEXT NOT NULL,
    policy TEXT NOT NULL,
    mode TEXT NOT NULL,
    paths TEXT NOT NULL,
    owner TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    status TEXT NOT NULL,
    heartbeat_at BIGINT,
    lease_s BIGINT
);
CREATE TABLE IF NOT EXISTS hosts (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    host TEXT NOT NULL,
    state TEXT NOT NULL,
    version TEXT,
    db_version BIGINT,
    db_date TEXT,
    db_time BIGINT,
    latency_us BIGINT,
    elapsed_ms BIGINT NOT NULL,
    jobs_given BIGINT NOT NULL,
    jobs_done BIGINT NOT NULL,
    jobs_failed BIGINT NOT NULL,
    jobs_skipped BIGINT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS findings (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    host TEXT NOT NULL,
    path {bytes} NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_environment ON runs (environment, started_at);
CREATE INDEX IF NOT EXISTS hosts_by_run ON hosts (run_id);
CREATE INDEX IF NOT EXISTS findings_by_run ON findings (run_id);",
        id = d.id,
        bytes = d.bytes
    )
}

/// A run's summary: the run's columns and its totals.
const SUMMARY: &str = "SELECT r.id, r.environment, r.policy, r.mode, r.paths, r.owner, \
     r.started_at, r.ended_at, r.status, \
     (SELECT COUNT(*) FROM hosts h WHERE h.run_id = r.id), \
     (SELECT COUNT(*) FROM hosts h WHERE h.run_id = r.id AND h.state <> 'done'), \
     (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.id AND f.kind = 'infected'), \
     (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.id AND f.kind IN ('error', 'walk_error')) \
     FROM runs r";

const HOSTS: &str = "SELECT host, state, version, db_version, db_date, db_time, latency_us, \
     elapsed_ms, jobs_given, jobs_done, jobs_failed, jobs_skipped, error \
     FROM hosts WHERE run_id = ?";

const FINDINGS: &str = "SELECT host, path, kind, detail FROM findings WHERE run_id = ?";

pub(super) const INSERT_FINDING: &str =
    "INSERT INTO findings (run_id, host, path, kind, detail) VALUES (?, ?, ?, ?, ?)";

/// The run history: opened on an SQLite file or a PostgreSQL server, shared by the runs of
/// a process (it is `Sync`; statements take turns on its one connection).
///
/// Every write is one transaction: a run's start, each finished host with its findings, a
/// run's end. Whenever the process stops, the database holds whole hosts and whole runs.
///
/// While it has runs that have not ended, a thread renews their leases (see the module's
/// docs, "Crash safety"); it starts with the first run and ends when the history is dropped.
pub struct History {
    // Declared, so dropped, before `inner`: the heartbeat's thread holds only a weak
    // reference, and is joined while `inner` still lives.
    heartbeat: OnceLock<Heartbeat>,
    pub(super) inner: Arc<Inner>,
}

/// What the history and its heartbeat thread share.
pub(super) struct Inner {
    db: Mutex<Box<dyn Db>>,
    name: String,
    owner: Owner,
    lease: Duration,
    /// The runs this history started that have not ended: the leases it renews.
    running: Mutex<BTreeSet<i64>>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("name", &self.inner.name)
            .field("lease", &self.inner.lease)
            .finish_non_exhaustive()
    }
}

pub(super) fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(super) fn int(n: impl TryInto<i64>) -> Value {
    Value::Int(Some(n.try_into().unwrap_or(i64::MAX)))
}

fn count(v: &Value) -> u64 {
    v.int().and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

fn state_name(s: HostState) -> &'static str {
    match s {
        HostState::Done => "done",
        HostState::NotScanned => "not_scanned",
        _ => "failed",
    }
}

/// The status an ended run is recorded with.
pub(super) fn run_status(s: FleetStatus) -> RunStatus {
    match s {
        FleetStatus::AllClean => RunStatus::AllClean,
        FleetStatus::Infected => RunStatus::Infected,
        FleetStatus::Incomplete => RunStatus::Incomplete,
    }
}

fn corrupt(what: &str) -> DbError {
    format!("the history holds {what}, which this opskit does not write").into()
}

fn summary(row: &[Value]) -> Result<RunSummary, DbError> {
    let [
        id,
        env,
        policy,
        mode,
        paths,
        owner,
        started,
        ended,
        status,
        hosts,
        failed,
        infected,
        errors,
    ] = row
    else {
        return Err(corrupt("a run row of another shape"));
    };
    let status_text = status.text().unwrap_or_default();
    Ok(RunSummary {
        id: id.int().ok_or_else(|| corrupt("a run without id"))?,
        environment: env.text().unwrap_or_default().to_owned(),
        policy: policy.text().unwrap_or_default().to_owned(),
        mode: mode.text().unwrap_or_default().to_owned(),
        paths: serde_json::from_str(paths.text().unwrap_or("[]"))
            .map_err(|_| corrupt("a run whose paths are not a JSON list"))?,
        owner: owner.text().unwrap_or_default().to_owned(),
        started_at: started.int().unwrap_or(0),
        ended_at: ended.int(),
        status: RunStatus::parse(status_text)
            .ok_or_else(|| corrupt(&format!("the run status {status_text:?}")))?,
        hosts: count(hosts),
        hosts_failed: count(failed),
        infected: count(infected),
        errors: count(errors) + count(failed),
    })
}

fn host(row: &[Value]) -> Result<HostRecord, DbError> {
    let [
        name,
        state,
        version,
        db_version,
        db_date,
        db_time,
        latency,
        elapsed,
        given,
        done,
        failed,
        skipped,
        error,
    ] = row
    else {
        return Err(corrupt("a host row of another shape"));
    };
    let state = match state.text() {
        Some("done") => HostState::Done,
        Some("failed") => HostState::Failed,
        Some("not_scanned") => HostState::NotScanned,
        other => return Err(corrupt(&format!("the host state {other:?}"))),
    };
    let n = |v: &Value| usize::try_from(count(v)).unwrap_or(usize::MAX);
    Ok(HostRecord {
        host: name.text().unwrap_or_default().to_owned(),
        state,
        version: version.text().map(str::to_owned),
        database_version: db_version.int(),
        database_date: db_date.text().map(str::to_owned),
        database_time: db_time.int(),
        latency_us: latency.int().and_then(|v| u64::try_from(v).ok()),
        elapsed_ms: count(elapsed),
        jobs: Tally {
            given: n(given),
            done: n(done),
            failed: n(failed),
            skipped: n(skipped),
        },
        error: error.text().map(str::to_owned),
    })
}

fn finding(row: &[Value]) -> Result<Finding, DbError> {
    let [name, path, kind, detail] = row else {
        return Err(corrupt("a finding row of another shape"));
    };
    let kind_text = kind.text().unwrap_or_default();
    Ok(Finding {
        host: name.text().unwrap_or_default().to_owned(),
        path: path.bytes().to_vec(),
        kind: FindingKind::parse(kind_text)
            .ok_or_else(|| corrupt(&format!("the finding kind {kind_text:?}")))?,
        detail: detail.text().unwrap_or_default().to_owned(),
    })
}

impl History {
    /// Opens the history at `location`, creating its tables when missing, and marks as
    /// [`Incomplete`](RunStatus::Incomplete) every run still `running` whose process, on
    /// this host, is gone, and every run of another host whose lease has expired. The runs
    /// it starts have the lease [`DEFAULT_LEASE`](super::DEFAULT_LEASE).
    ///
    /// # Errors
    ///
    /// [`Error::History`] when the database cannot be opened or reached, its schema is of
    /// another version, or (without the feature `history-postgres`) for a PostgreSQL URL.
    /// Over TLS: [`Error::TlsUntrusted`] or [`Error::TlsWrongName`] for a server certificate
    /// that fails, before any statement; [`Error::TlsFile`] for an unusable `sslrootcert`;
    /// [`Error::Config`] for an `sslmode` this client does not do.
    pub fn open(location: &Location) -> Result<Self> {
        Self::open_with_lease(location, DEFAULT_LEASE)
    }

    /// As [`open`](Self::open), with the lease of the runs this history starts: how long
    /// another management host waits after a run's last heartbeat before it takes the run
    /// for dead. Heartbeats are sent four times within it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a lease outside [`MIN_LEASE`](super::MIN_LEASE) to
    /// [`MAX_LEASE`](super::MAX_LEASE); else as for [`open`](Self::open).
    pub fn open_with_lease(location: &Location, lease: Duration) -> Result<Self> {
        let lease = lease::check(lease)?;
        let name = location.to_string();
        let fail = |source: DbError| Error::History {
            what: format!("opening the history {name}"),
            source,
        };
        let db: Box<dyn Db> = match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| fail(Box::new(e)))?;
                }
                Box::new(super::sqlite::Sqlite::open(path).map_err(fail)?)
            }
            #[cfg(feature = "history-postgres")]
            Location::Postgres(url) => {
                // A TLS setting or certificate that failed is its own, typed error.
                let pg = super::postgres::Postgres::connect(url)
                    .map_err(|e| e.downcast::<Error>().map_or_else(fail, |typed| *typed))?;
                Box::new(pg)
            }
            #[cfg(not(feature = "history-postgres"))]
            Location::Postgres(_) => {
                return Err(fail(
                    "this build has no PostgreSQL support (clamd-proto feature history-postgres)"
                        .into(),
                ));
            }
        };
        let history = Inner {
            db: Mutex::new(db),
            name,
            owner: Owner::this_process(),
            lease,
            running: Mutex::new(BTreeSet::new()),
        };
        history.write("creating the schema", |db| {
            if let Some(lock) = db.dialect().schema_lock {
                db.batch(lock)?;
            }
            db.batch(&schema(db.dialect()))?;
            // Tables of an older opskit (before the schema had a version) lack the columns
            // added since: refused here, not at the first write of a run.
            db.query(
                "SELECT r.mode, r.paths, r.owner, h.db_version, h.latency_us, h.jobs_given \
                 FROM runs r, hosts h WHERE 1 = 0",
                &[],
            )
            .map_err(|e| {
                format!(
                    "its tables are not those of schema version {SCHEMA_VERSION} ({e}); it was \
                     written by an older opskit: move it aside"
                )
            })?;
            let found = db.query("SELECT version FROM opskit_history", &[])?;
            match found.first().and_then(|r| r.first()).and_then(Value::int) {
                None => {
                    db.execute(
                        "INSERT INTO opskit_history (version) VALUES (?)",
                        &[SCHEMA_VERSION.into()],
                    )?;
                }
                Some(1) => db.batch(ADD_LEASE)?,
                Some(SCHEMA_VERSION) => {}
                Some(v) => {
                    return Err(format!(
                        "its schema is version {v}; this opskit reads and writes version \
                         {SCHEMA_VERSION}"
                    )
                    .into());
                }
            }
            Ok(())
        })?;
        history.write("marking the runs of processes that are gone", |db| {
            // A run without a lease (written by schema version 1) never expires.
            let sql = format!(
                "SELECT id, owner, CASE WHEN heartbeat_at + lease_s < {now} THEN 1 ELSE 0 END \
                 FROM runs WHERE status = 'running'",
                now = db.dialect().now
            );
            let running = db.query(&sql, &[])?;
            for row in running {
                let expired = row.get(2).and_then(Value::int) == Some(1);
                let gone = row
                    .get(1)
                    .and_then(Value::text)
                    .and_then(Owner::parse)
                    .is_some_and(|o| o.is_gone(&history.owner, expired));
                if let (true, Some(id)) = (gone, row.first().and_then(Value::int)) {
                    db.execute(
                        "UPDATE runs SET status = 'incomplete' WHERE id = ? AND status = 'running'",
                        &[id.into()],
                    )?;
                }
            }
            Ok(())
        })?;
        Ok(Self {
            heartbeat: OnceLock::new(),
            inner: Arc::new(history),
        })
    }

    /// Where the history is, as opened (a PostgreSQL password is not shown).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The lease of the runs this history starts.
    #[must_use]
    pub fn lease(&self) -> Duration {
        self.inner.lease
    }

    /// Starts the thread that renews the leases of this history's running runs, once.
    fn keep_leases(&self) {
        self.heartbeat.get_or_init(|| {
            let inner: Weak<Inner> = Arc::downgrade(&self.inner);
            Heartbeat::start(lease::renew_every(self.inner.lease), move || {
                let Some(inner) = inner.upgrade() else {
                    return false;
                };
                if let Err(e) = inner.renew() {
                    tracing::warn!("{e}");
                }
                true
            })
        });
    }
    /// Records the start of a run, committed at once with the status
    /// [`Running`](RunStatus::Running) and this process as its owner; returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::History`] when the database refuses the write.
    pub fn start_run(&self, run: &NewRun) -> Result<i64> {
        let paths = serde_json::to_string(&run.paths).unwrap_or_else(|_| "[]".into());
        let lease = i64::try_from(self.inner.lease.as_secs()).unwrap_or(i64::MAX);
        let id = self.inner.write("recording a run's start", |db| {
            let sql = format!(
                "INSERT INTO runs (environment, policy, mode, paths, owner, started_at, status, \
                 heartbeat_at, lease_s) VALUES (?, ?, ?, ?, ?, ?, 'running', {now}, ?) \
                 RETURNING id",
                now = db.dialect().now
            );
            let rows = db.query(
                &sql,
                &[
                    run.environment.as_str().into(),
                    run.policy.as_str().into(),
                    run.mode.as_str().into(),
                    paths.as_str().into(),
                    self.inner.owner.to_string().into(),
                    secs(run.started).into(),
                    lease.into(),
                ],
            )?;
            rows.first()
                .and_then(|r| r.first())
                .and_then(Value::int)
                .ok_or_else(|| corrupt("no id for a new run"))
        })?;
        self.inner.active().insert(id);
        self.keep_leases();
        Ok(id)
    }

    /// Records one finished host of run `run`, with its infected files, per-file errors and
    /// failed jobs, in one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::History`] when the database refuses the write.
    pub fn record_host(&self, run: i64, h: &HostReport) -> Result<()> {
        let host = h.endpoint.to_string();
        let error = h
            .first_error()
            .map(ToString::to_string)
            .or_else(|| h.not_scanned.map(|r| r.to_string()));
        let tally = h.tally();
        let version = h.version.as_ref();
        let row = vec![
            run.into(),
            host.as_str().into(),
            state_name(h.state()).into(),
            Value::Text(version.map(ToString::to_string)),
            Value::Int(version.and_then(|v| v.database).map(i64::from)),
            Value::Text(version.and_then(|v| v.database_date.clone())),
            Value::Int(
                version
                    .and_then(crate::proto::reply::Version::database_time)
                    .map(secs),
            ),
            Value::Int(
                h.latency
                    .map(|l| i64::try_from(l.as_micros()).unwrap_or(i64::MAX)),
            ),
            int(h.elapsed.as_millis()),
            int(tally.given),
            int(tally.done),
            int(tally.failed),
            int(tally.skipped),
            Value::Text(error),
        ];
        self.inner.write("recording a host", |db| {
            renew(db, run)?;
            db.execute(
                "INSERT INTO hosts (run_id, host, state, version, db_version, db_date, db_time, \
                 latency_us, elapsed_ms, jobs_given, jobs_done, jobs_failed, jobs_skipped, error) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &row,
            )?;
            for r in &h.results {
                let (kind, detail) = match r.verdict() {
                    Verdict::Found(sig) => (FindingKind::Infected, sig.as_str()),
                    Verdict::Error(msg) => (FindingKind::Error, msg.as_str()),
                    Verdict::Clean => continue,
                };
                db.execute(
                    INSERT_FINDING,
                    &[
                        run.into(),
                        host.as_str().into(),
                        r.path_bytes().into(),
                        kind.name().into(),
                        detail.into(),
                    ],
                )?;
            }
            for j in &h.jobs {
                if let JobStatus::Failed(e) = &j.status {
                    db.execute(
                        INSERT_FINDING,
                        &[
                            run.into(),
                            host.as_str().into(),
                            j.path.as_os_str().as_bytes().into(),
                            FindingKind::JobFailed.name().into(),
                            e.to_string().into(),
                        ],
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Records the end of run `run`: the local walk's errors of `report`, its end and its
    /// status.
    ///
    /// # Errors
    ///
    /// [`Error::History`] when the database refuses the write.
    pub fn finish_run(&self, run: i64, report: &FleetReport, ended: SystemTime) -> Result<()> {
        let status = run_status(report.summary().status);
        self.inner.active().remove(&run);
        self.inner.write("recording a run's end", |db| {
            for e in &report.walk_errors {
                db.execute(
                    INSERT_FINDING,
                    &[
                        run.into(),
                        "local".into(),
                        e.path.as_os_str().as_bytes().into(),
                        FindingKind::WalkError.name().into(),
                        e.reason.to_string().into(),
                    ],
                )?;
            }
            db.execute(
                "UPDATE runs SET ended_at = ?, status = ? WHERE id = ?",
                &[secs(ended).into(), status.name().into(), run.into()],
            )?;
            Ok(())
        })
    }

    /// Marks run `run` as cut short by a signal ([`Interrupted`](RunStatus::Interrupted)).
    ///
    /// # Errors
    ///
    /// [`Error::History`] when the database refuses the write.
    pub fn interrupt_run(&self, run: i64, ended: SystemTime) -> Result<()> {
        self.inner.active().remove(&run);
        self.inner.write("recording an interrupted run", |db| {
            db.execute(
                "UPDATE runs SET ended_at = ?, status = 'interrupted' WHERE id = ?",
                &[secs(ended).into(), run.into()],
            )?;
            Ok(())
        })
    }

    /// The runs that `filter` selects, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::History`] when the query fails or the database holds what this version does
    /// not write.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>> {
        let mut sql = format!("{SUMMARY} WHERE 1 = 1");
        let mut params = Vec::new();
        if let Some(env) = &filter.environment {
            sql.push_str(" AND r.environment = ?");
            params.push(env.as_str().into());
        }
        if let Some(since) = filter.since {
            sql.push_str(" AND r.started_at >= ?");
            params.push(secs(since).into());
        }
        sql.push_str(" ORDER BY r.started_at, r.id");
        self.inner.read("listing the runs", |db| {
            db.query(&sql, &params)?
                .iter()
                .map(|r| summary(r))
                .collect()
        })
    }

    /// Run `id` with its hosts and findings, `None` when there is no such run.
    ///
    /// # Errors
    ///
    /// As for [`runs`](Self::runs).
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        self.inner.read("reading a run", |db| record(db, id))
    }

    /// The id of the latest run, of `environment` when given.
    ///
    /// # Errors
    ///
    /// As for [`runs`](Self::runs).
    pub fn latest(&self, environment: Option<&str>) -> Result<Option<i64>> {
        let (sql, params) = match environment {
            Some(env) => (
                "SELECT id FROM runs WHERE environment = ? ORDER BY started_at DESC, id DESC LIMIT 1",
                vec![env.into()],
            ),
            None => (
                "SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1",
                Vec::new(),
            ),
        };
        self.inner.read("finding the latest run", |db| {
            Ok(db
                .query(sql, &params)?
                .first()
                .and_then(|r| r.first())
                .and_then(Value::int))
        })
    }

    /// The environments that have runs, in byte order.
    ///
    /// # Errors
    ///
    /// As for [`runs`](Self::runs).
    pub fn environments(&self) -> Result<Vec<String>> {
        self.inner.read("listing the environments", |db| {
            let mut names: Vec<String> = db
                .query("SELECT DISTINCT environment FROM runs", &[])?
                .iter()
                .filter_map(|r| r.first().and_then(Value::text).map(str::to_owned))
                .collect();
            names.sort();
            Ok(names)
        })
    }

    /// What changed in `environment` from its previous run to its latest run that is not
    /// still running; `None` when it has no such run.
    ///
    /// # Errors
    ///
    /// As for [`runs`](Self::runs).
    pub fn changes(&self, environment: &str) -> Result<Option<RunChanges>> {
        self.inner.read("comparing runs", |db| {
            let ids: Vec<i64> = db
                .query(
                    "SELECT id FROM runs WHERE environment = ? AND status <> 'running' \
                     ORDER BY started_at DESC, id DESC LIMIT 2",
                    &[environment.into()],
                )?
                .iter()
                .filter_map(|r| r.first().and_then(Value::int))
                .collect();
            let Some(run) = ids.first().map(|&id| record(db, id)).transpose()?.flatten() else {
                return Ok(None);
            };
            let previous = ids.get(1).map(|&id| record(db, id)).transpose()?.flatten();
            Ok(Some(changes(run, previous)))
        })
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Box<dyn Db>> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in one transaction: committed whole, or rolled back. A transaction cut by a
    /// lost connection (the server restarted) is run once more on a new one, so that a
    /// long-running daemon keeps recording.
    pub(super) fn write<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut dyn Db) -> Result<T, DbError>,
    ) -> Result<T> {
        let mut db = self.lock();
        let mut retried = false;
        loop {
            let begin = db.dialect().begin_write;
            let result = db
                .batch(begin)
                .and_then(|()| f(&mut **db))
                .and_then(|v| db.batch("COMMIT").map(|()| v));
            match result {
                Ok(v) => return Ok(v),
                Err(source) => {
                    let _ = db.batch("ROLLBACK");
                    if !retried && matches!(db.reconnect_if_lost(), Ok(true)) {
                        retried = true;
                        continue;
                    }
                    return Err(Error::History {
                        what: format!("{what} in the history {}", self.name),
                        source,
                    });
                }
            }
        }
    }

    pub(super) fn read<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut dyn Db) -> Result<T, DbError>,
    ) -> Result<T> {
        let mut db = self.lock();
        // A lost connection is replaced before a read (a read is not retried).
        let _ = db.reconnect_if_lost();
        f(&mut **db).map_err(|source| Error::History {
            what: format!("{what} in the history {}", self.name),
            source,
        })
    }

    /// Renews the lease of every run this history started that has not ended, with the
    /// database's clock.
    fn renew(&self) -> Result<()> {
        let runs: Vec<i64> = self.active().iter().copied().collect();
        if runs.is_empty() {
            return Ok(());
        }
        self.write("renewing the runs' leases", |db| {
            for &run in &runs {
                renew(db, run)?;
            }
            Ok(())
        })
    }

    pub(super) fn active(&self) -> MutexGuard<'_, BTreeSet<i64>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sets run `run`'s heartbeat to the database's time, while it is running.
fn renew(db: &mut dyn Db, run: i64) -> Result<u64, DbError> {
    let sql = format!(
        "UPDATE runs SET heartbeat_at = {now} WHERE id = ? AND status = 'running'",
        now = db.dialect().now
    );
    db.execute(&sql, &[run.into()])
}

/// Run `id` with its hosts and findings, sorted here (the two databases collate text
/// differently).
pub(super) fn record(db: &mut dyn Db, id: i64) -> Result<Option<RunRecord>, DbError> {
    let rows = db.query(&format!("{SUMMARY} WHERE r.id = ?"), &[id.into()])?;
    let Some(run) = rows.first().map(|r| summary(r)).transpose()? else {
        return Ok(None);
    };
    let mut hosts: Vec<HostRecord> = db
        .query(HOSTS, &[id.into()])?
        .iter()
        .map(|r| host(r))
        .collect::<Result<_, _>>()?;
    hosts.sort_by(|a, b| a.host.cmp(&b.host));
    let mut findings: Vec<Finding> = db
        .query(FINDINGS, &[id.into()])?
        .iter()
        .map(|r| finding(r))
        .collect::<Result<_, _>>()?;
    findings.sort();
    Ok(Some(RunRecord {
        run,
        hosts,
        findings,
    }))
}
