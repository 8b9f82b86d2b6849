//! The end of a one-shot fleet scan (plain, `-f`, `-`, or a policy run once) stopped by
//! SIGTERM or SIGINT: what the hosts had sent is recorded, the run is marked interrupted,
//! and the jobs that got no result are listed before a partial summary.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::SystemTime;

use super::history::History;
use super::live::Live;
use super::received::Received;
use super::signals;

/// The run being stopped.
pub(super) struct Cut<'a> {
    /// The fleet's hosts, by index.
    pub(super) names: &'a [String],
    /// Each host's jobs.
    pub(super) jobs: &'a [PathBuf],
    /// Whether the jobs are local files (stream, fdpass), each answered with one line, so
    /// that those without one can be listed; a path scan sends lines only for what it finds.
    pub(super) files: bool,
    /// The history run.
    pub(super) run: Option<(&'a History, i64)>,
    /// Standard input, whose one job is named `stdin`.
    pub(super) stdin: bool,
    /// The summary's heading names the environment of a policy run.
    pub(super) env: Option<&'a str>,
    pub(super) no_summary: bool,
}

/// Closes the gate, records and prints what was received; `live` prints (text output),
/// else the lines go to standard error (`--json`, whose document is never written).
pub(super) fn stop(sig: i32, received: &Received, cut: &Cut<'_>, live: Option<&Live>) {
    let (unfinished, results, infected) = received.close();
    if let Some((h, id)) = cut.run {
        for u in &unfinished {
            if let Err(e) = h.record_received(id, &cut.names[u.host], cut.jobs.len(), &u.results) {
                crate::error::warn(&e);
            }
        }
        if let Err(e) = h.interrupt_active(SystemTime::now()) {
            crate::error::warn(&e);
        }
    }
    let stdin = [PathBuf::from("stdin")];
    let jobs = if cut.stdin { &stdin[..] } else { cut.jobs };
    let several = cut.names.len() > 1;
    let mut t = String::new();
    let mut missing = 0;
    for u in &unfinished {
        let host = &cut.names[u.host];
        let prefix = if several {
            format!("{host} ")
        } else {
            String::new()
        };
        if cut.files {
            for p in u.missing(jobs) {
                missing += 1;
                let _ = writeln!(t, "{prefix}{} not scanned: interrupted", p.display());
            }
        } else {
            let _ = writeln!(t, "{host} interrupted before it finished");
        }
    }
    let _ = writeln!(t, "{}", signals::cut_line(sig));
    if !cut.no_summary {
        let heading = match cut.env {
            Some(env) => format!("{env}, interrupted by {}", signals::name(sig)),
            None => format!("interrupted by {}", signals::name(sig)),
        };
        let _ = writeln!(t, "----------- SCAN SUMMARY ({heading}) -----------");
        let _ = writeln!(
            t,
            "Hosts: {} ({} not finished)",
            cut.names.len(),
            unfinished.len()
        );
        let _ = writeln!(t, "Results received: {results}");
        if cut.files {
            let _ = writeln!(t, "Not scanned: {missing}");
        }
        let _ = writeln!(t, "Infected files: {infected}");
        let _ = writeln!(t, "Status: interrupted");
    }
    match live {
        Some(live) => {
            live.print(&t);
            live.clear();
        }
        None => {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), t.as_bytes());
        }
    }
}
