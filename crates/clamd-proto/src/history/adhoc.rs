//! Runs without a policy: an ad-hoc scan of hosts and paths named on the command line, and
//! a pool scan, whose files each have their own host rather than every host its files.

use std::os::unix::ffi::OsStrExt;
use std::time::SystemTime;

use super::changes::changes;
use super::db::{DbError, Value};
use super::record::{FindingKind, RunChanges};
use super::store::{History, INSERT_FINDING, int, record, run_status, secs};
use crate::Result;
use crate::pool::{FileOutcome, PoolReport};
use crate::proto::reply::Verdict;

/// The environment of the runs that no policy made. A policy's environment names are
/// letters, digits, `-` and `_` only, so no policy run can share it.
pub const ADHOC_ENVIRONMENT: &str = "@adhoc";

/// The host of a pool file's finding when no host took the file (every host was down).
pub const NO_HOST: &str = "pool";

impl History {
    /// Records a whole pool run in one transaction: a row per host (`done`, or `failed`
    /// with its last error when it was down at the end), every infected file and per-file
    /// error with the host that scanned it, every file that failed or was not scanned
    /// (`job_failed`, host [`NO_HOST`] when none took it), the local walk's errors, the
    /// run's end and its status.
    ///
    /// A pool balances files over its hosts as they come, so nothing of a pool run is
    /// written before its end: one killed midway has only its start, and becomes
    /// `incomplete` as any run whose owner is gone.
    ///
    /// # Errors
    ///
    /// [`Error::History`](crate::Error::History) when the database refuses the write.
    pub fn record_pool(&self, run: i64, report: &PoolReport, ended: SystemTime) -> Result<()> {
        let names: Vec<String> = report
            .hosts
            .iter()
            .map(|h| h.endpoint.to_string())
            .collect();
        let status = run_status(report.summary().status);
        self.inner.active().remove(&run);
        self.inner.write("recording a pool run", |db| {
            for (h, name) in report.hosts.iter().zip(&names) {
                let state = if h.down.is_some() { "failed" } else { "done" };
                db.execute(
                    "INSERT INTO hosts (run_id, host, state, elapsed_ms, jobs_given, jobs_done, \
                     jobs_failed, jobs_skipped, error) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                    &[
                        run.into(),
                        name.as_str().into(),
                        state.into(),
                        int(report.elapsed.as_millis()),
                        int(h.scanned + h.failed),
                        int(h.scanned),
                        int(h.failed),
                        Value::Text(h.down.clone()),
                    ],
                )?;
            }
            for f in &report.files {
                let host = f
                    .host
                    .and_then(|i| names.get(i))
                    .map_or(NO_HOST, String::as_str);
                let (kind, detail) = match &f.outcome {
                    FileOutcome::Scanned(r) => match r.verdict() {
                        Verdict::Found(sig) => (FindingKind::Infected, sig.clone()),
                        Verdict::Error(msg) => (FindingKind::Error, msg.clone()),
                        Verdict::Clean => continue,
                    },
                    FileOutcome::Failed(e) => (FindingKind::JobFailed, e.to_string()),
                    FileOutcome::NotScanned(why) => {
                        (FindingKind::JobFailed, format!("not scanned: {why}"))
                    }
                };
                finding(db, run, host, f.path.as_os_str().as_bytes(), kind, &detail)?;
            }
            for e in &report.walk_errors {
                let path = e.path.as_os_str().as_bytes();
                let reason = e.reason.to_string();
                finding(db, run, "local", path, FindingKind::WalkError, &reason)?;
            }
            db.execute(
                "UPDATE runs SET ended_at = ?, status = ? WHERE id = ?",
                &[secs(ended).into(), status.name().into(), run.into()],
            )?;
            Ok(())
        })
    }

    /// What changed in `environment` from its latest run that is not still running to the
    /// run before it over the same targets: the same paths (in the same order) and the same
    /// set of hosts. This is how ad-hoc runs ([`ADHOC_ENVIRONMENT`]) are compared, as each
    /// may scan other hosts and paths; `None` when the environment has no ended run.
    ///
    /// # Errors
    ///
    /// As for [`runs`](Self::runs).
    pub fn changes_same_targets(&self, environment: &str) -> Result<Option<RunChanges>> {
        self.inner.read("comparing runs", |db| {
            let ids = ended_runs(db, environment, None)?;
            let Some(run) = ids.first().map(|&id| record(db, id)).transpose()?.flatten() else {
                return Ok(None);
            };
            let paths = serde_json::to_string(&run.run.paths).unwrap_or_default();
            let hosts = |r: &super::RunRecord| {
                r.hosts
                    .iter()
                    .map(|h| h.host.clone())
                    .collect::<std::collections::BTreeSet<_>>()
            };
            let want = hosts(&run);
            let mut previous = None;
            for id in ended_runs(db, environment, Some(&paths))? {
                if id == run.run.id {
                    continue;
                }
                if let Some(r) = record(db, id)?
                    && hosts(&r) == want
                {
                    previous = Some(r);
                    break;
                }
            }
            Ok(Some(changes(run, previous)))
        })
    }
}

/// The ids of `environment`'s runs that are not running, latest first; with `paths`, only
/// those over these paths (their JSON list).
fn ended_runs(
    db: &mut dyn super::db::Db,
    environment: &str,
    paths: Option<&str>,
) -> Result<Vec<i64>, DbError> {
    let mut sql = String::from("SELECT id FROM runs WHERE environment = ? AND status <> 'running'");
    let mut params: Vec<Value> = vec![environment.into()];
    if let Some(p) = paths {
        sql.push_str(" AND paths = ?");
        params.push(p.into());
    }
    sql.push_str(" ORDER BY started_at DESC, id DESC");
    Ok(db
        .query(&sql, &params)?
        .iter()
        .filter_map(|r| r.first().and_then(Value::int))
        .collect())
}

fn finding(
    db: &mut dyn super::db::Db,
    run: i64,
    host: &str,
    path: &[u8],
    kind: FindingKind,
    detail: &str,
) -> Result<u64, DbError> {
    db.execute(
        INSERT_FINDING,
        &[
            run.into(),
            host.into(),
            path.into(),
            kind.name().into(),
            detail.into(),
        ],
    )
}
