//! A pool scan stopped by SIGTERM or SIGINT: each file's final event passes a gate that the
//! signal closes, so every file is either reported (printed, and recorded with its host) or
//! listed as not scanned, never both.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use clamd_proto::{FileOutcome, PoolEvent, ScanResult};

use super::history::History;
use super::signals;

struct State {
    closed: bool,
    /// The results each host answered.
    hosts: Vec<Vec<ScanResult>>,
    /// Every file whose final event passed (scanned, failed, or not scanned).
    reported: HashSet<PathBuf>,
}

pub(super) struct Gate {
    state: Mutex<State>,
}

impl Gate {
    pub(super) fn new(hosts: usize) -> Self {
        Self {
            state: Mutex::new(State {
                closed: false,
                hosts: vec![Vec::new(); hosts],
                reported: HashSet::new(),
            }),
        }
    }

    /// Notes `e` and hands it to `then` (printing) under the gate's lock; nothing once
    /// closed.
    pub(super) fn pass(&self, e: PoolEvent<'_>, then: impl FnOnce(PoolEvent<'_>)) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closed {
            return;
        }
        if let PoolEvent::File { file, .. } = e {
            state.reported.insert(file.path.clone());
            if let (FileOutcome::Scanned(r), Some(h)) = (&file.outcome, file.host)
                && let Some(got) = state.hosts.get_mut(h)
            {
                got.push(r.clone());
            }
        }
        then(e);
    }

    /// Closes the gate, records what the hosts answered and marks the run interrupted,
    /// then prints the files of `paths` not reported and a partial summary.
    pub(super) fn stop(
        &self,
        sig: i32,
        names: &[String],
        paths: &[PathBuf],
        run: Option<(&History, i64)>,
        no_summary: bool,
    ) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        if let Some((h, id)) = run {
            for (name, results) in names.iter().zip(&state.hosts) {
                if let Err(e) = h.record_received(id, name, results.len(), results) {
                    crate::error::warn(&e);
                }
            }
            if let Err(e) = h.interrupt_active(SystemTime::now()) {
                crate::error::warn(&e);
            }
        }
        // The walk again: files it had not reached yet were never reported either.
        let walk = clamd_proto::walk(paths);
        let mut t = String::new();
        let mut missing = 0;
        for f in walk.files.iter().filter(|f| !state.reported.contains(*f)) {
            missing += 1;
            let _ = writeln!(t, "{} not scanned: interrupted", f.display());
        }
        let _ = writeln!(t, "{}", signals::cut_line(sig));
        if !no_summary {
            let scanned: usize = state.hosts.iter().map(Vec::len).sum();
            let infected = state
                .hosts
                .iter()
                .flatten()
                .filter(|r| r.is_infected())
                .count();
            let _ = writeln!(
                t,
                "----------- POOL SUMMARY (interrupted by {}) -----------",
                signals::name(sig)
            );
            let _ = writeln!(t, "Files reported: {}", state.reported.len());
            let _ = writeln!(t, "Scanned: {scanned}");
            let _ = writeln!(t, "Not scanned: {missing}");
            let _ = writeln!(t, "Infected files: {infected}");
            let _ = writeln!(t, "Status: interrupted");
        }
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut out, t.as_bytes());
        let _ = std::io::Write::flush(&mut out);
    }
}
