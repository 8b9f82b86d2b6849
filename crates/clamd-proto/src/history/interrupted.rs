//! What a host had sent when its run was cut short by a signal. Such a host never finished,
//! so it has no [`HostReport`](crate::HostReport); its caller gathered the results from the
//! run's events, and they are kept so that nothing received is lost.

use crate::Result;
use crate::proto::reply::{ScanResult, Verdict};

use super::record::FindingKind;
use super::store::{History, INSERT_FINDING, int};

/// The error of a host recorded by [`History::record_received`].
pub const INTERRUPTED_HOST: &str = "interrupted by a signal before it finished";

impl History {
    /// Records, in one transaction, a host of run `run` that had not finished when the run
    /// was interrupted: a `failed` row with [`INTERRUPTED_HOST`] as its error, `given` jobs
    /// of which one per result is counted done and the rest skipped, and each infected file
    /// and per-file error of `results`, the lines it sent before the signal.
    ///
    /// # Errors
    ///
    /// [`Error::History`](crate::Error::History) when the database refuses the write.
    pub fn record_received(
        &self,
        run: i64,
        host: &str,
        given: usize,
        results: &[ScanResult],
    ) -> Result<()> {
        let done = results.len().min(given);
        self.inner.write("recording an interrupted host", |db| {
            db.execute(
                "INSERT INTO hosts (run_id, host, state, elapsed_ms, jobs_given, jobs_done, \
                 jobs_failed, jobs_skipped, error) VALUES (?, ?, 'failed', 0, ?, ?, 0, ?, ?)",
                &[
                    run.into(),
                    host.into(),
                    int(given),
                    int(done),
                    int(given - done),
                    INTERRUPTED_HOST.into(),
                ],
            )?;
            for r in results {
                let (kind, detail) = match r.verdict() {
                    Verdict::Found(sig) => (FindingKind::Infected, sig.as_str()),
                    Verdict::Error(msg) => (FindingKind::Error, msg.as_str()),
                    Verdict::Clean => continue,
                };
                db.execute(
                    INSERT_FINDING,
                    &[
                        run.into(),
                        host.into(),
                        r.path_bytes().into(),
                        kind.name().into(),
                        detail.into(),
                    ],
                )?;
            }
            Ok(())
        })
    }
}
