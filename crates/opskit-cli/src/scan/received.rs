//! What a one-shot fleet scan has received from the hosts that have not finished, so that
//! a signal can record and list it: the gate every event passes, closed by the signal, after
//! which no event is printed or recorded, so nothing is reported twice or lost.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use clamd_proto::{FleetEvent, ScanResult};

/// The results of each host not finished yet (`None` once it is), and whether the gate is
/// closed.
struct State {
    closed: bool,
    /// Whether clean lines are kept too: for local files (one line each), to list those
    /// without one; a path scan's clean lines are neither recorded nor listed, and holding
    /// them would double what a flood of them costs.
    keep_clean: bool,
    hosts: Vec<Option<Vec<ScanResult>>>,
    /// Results and infected ones over every host, finished or not.
    results: usize,
    infected: usize,
}

pub(super) struct Received {
    state: Mutex<State>,
}

/// A host that had not finished when the gate closed, with the results it had sent.
pub(super) struct Unfinished {
    pub(super) host: usize,
    pub(super) results: Vec<ScanResult>,
}

impl Received {
    pub(super) fn new(hosts: usize, keep_clean: bool) -> Self {
        Self {
            state: Mutex::new(State {
                closed: false,
                keep_clean,
                hosts: vec![Some(Vec::new()); hosts],
                results: 0,
                infected: 0,
            }),
        }
    }

    /// Notes `e` and hands it on to `then` (print, record), both under the gate's lock so a
    /// signal sees each event either wholly handled or not at all; nothing once closed.
    /// `result` is the line as shown (standard input's spool file named `stdin`).
    pub(super) fn pass(&self, e: FleetEvent<'_>, result: Option<&ScanResult>, then: impl FnOnce()) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closed {
            return;
        }
        match e {
            FleetEvent::Result {
                host, result: r, ..
            } => {
                state.results += 1;
                state.infected += usize::from(r.is_infected());
                let keep = state.keep_clean || r.is_infected() || r.is_error();
                if let (Some(Some(got)), Some(r), true) = (state.hosts.get_mut(host), result, keep)
                {
                    got.push(r.clone());
                }
            }
            FleetEvent::HostDone { host, .. } => {
                if let Some(h) = state.hosts.get_mut(host) {
                    *h = None;
                }
            }
            _ => {}
        }
        then();
    }

    /// Closes the gate and gives the hosts not finished, with what each sent, and the
    /// results and infected ones received from all. Waits for the event being handled, if
    /// any.
    pub(super) fn close(&self) -> (Vec<Unfinished>, usize, usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        let (results, infected) = (state.results, state.infected);
        let unfinished = state
            .hosts
            .iter_mut()
            .enumerate()
            .filter_map(|(host, r)| r.take().map(|results| Unfinished { host, results }))
            .collect();
        (unfinished, results, infected)
    }
}

impl Unfinished {
    /// The jobs of `jobs` that got no result from this host, in order.
    pub(super) fn missing<'a>(&self, jobs: &'a [PathBuf]) -> Vec<&'a Path> {
        let got: std::collections::HashSet<&Path> =
            self.results.iter().map(ScanResult::path).collect();
        jobs.iter()
            .map(PathBuf::as_path)
            .filter(|p| !got.contains(p))
            .collect()
    }
}
