//! What `opskit scan` prints while hosts answer: each host's connection line when it is
//! ready, each scan line as clamd sends it, each host's errors when it is done, and (on a
//! terminal) a progress bar per host.

use std::io::{self, Write};
use std::sync::Mutex;

use clamd_proto::{FleetEvent, HostReport, JobStatus, SkipReason};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What to print.
#[derive(Clone, Copy)]
#[expect(clippy::struct_excessive_bools, reason = "independent output switches")]
pub(super) struct Show {
    pub(super) ping: bool,
    pub(super) version: bool,
    pub(super) stats: bool,
    /// `-i/--infected`: only infected lines (and errors of hosts), as clamdscan's `-i`.
    pub(super) infected_only: bool,
}

/// Per-host counters behind the progress bars.
#[derive(Default, Clone, Copy)]
struct Counts {
    done: usize,
    infected: usize,
    errors: usize,
}

/// Prints one fleet run's events as they come, from the hosts' worker threads.
pub(super) struct Live {
    show: Show,
    /// Host names prefix scan lines when more than one host answers at once.
    prefix: bool,
    out: Mutex<io::Stdout>,
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    counts: Mutex<Vec<Counts>>,
    jobs_per_host: usize,
    error: Mutex<Option<io::Error>>,
    label: Option<String>,
}

impl Live {
    /// `hosts` names the fleet's hosts; bars are drawn on standard error when `bars`.
    pub(super) fn new(show: Show, hosts: &[String], jobs_per_host: usize, bars: bool) -> Self {
        let bars = bars.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{prefix} {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let all = hosts
                .iter()
                .map(|h| {
                    let bar = multi.add(ProgressBar::new(jobs_per_host as u64));
                    bar.set_style(style.clone());
                    bar.set_prefix(format!("scanning {h}"));
                    bar.set_message(format!("0/{jobs_per_host} scanned, 0 infected, 0 errors"));
                    bar.enable_steady_tick(std::time::Duration::from_millis(200));
                    bar
                })
                .collect();
            (multi, all)
        });
        Self {
            show,
            prefix: hosts.len() > 1,
            out: Mutex::new(io::stdout()),
            bars,
            counts: Mutex::new(vec![Counts::default(); hosts.len()]),
            jobs_per_host,
            error: Mutex::new(None),
            label: None,
        }
    }

    /// Starts every line printed with `label` (a daemon's environment, `[web] `).
    pub(super) fn label(mut self, label: Option<String>) -> Self {
        self.label = label;
        self
    }

    /// Writes lines to standard output now, above the bars. A write error is kept for
    /// [`finish`](Self::finish); a closed pipe ends the output quietly.
    pub(super) fn print(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let labelled;
        let text = match &self.label {
            Some(l) => {
                labelled = text.lines().fold(String::new(), |mut t, line| {
                    t.push_str(l);
                    t.push_str(line);
                    t.push('\n');
                    t
                });
                labelled.as_str()
            }
            None => text,
        };
        let write = || {
            let out = self
                .out
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut out = out.lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        };
        let r = match &self.bars {
            Some((multi, _)) => multi.suspend(write),
            None => write(),
        };
        if let Err(e) = r
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            self.error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(e);
        }
    }

    /// Handles one event of the run.
    pub(super) fn event(&self, e: FleetEvent<'_>) {
        use std::fmt::Write as _;
        match e {
            FleetEvent::HostReady {
                endpoint, version, ..
            } => {
                let mut t = String::new();
                if !self.show.infected_only {
                    let _ = writeln!(t, "{endpoint} connection [OK]");
                }
                if self.show.version
                    && let Some(v) = version
                {
                    let _ = writeln!(t, "{endpoint} version {v}");
                }
                self.print(&t);
            }
            FleetEvent::Result {
                host,
                endpoint,
                result,
            } => {
                self.count(host, |c| {
                    c.infected += usize::from(result.is_infected());
                    c.errors += usize::from(result.is_error());
                });
                if self.show.infected_only && !result.is_infected() {
                    return;
                }
                if self.prefix {
                    self.print(&format!("{endpoint} {result}\n"));
                } else {
                    self.print(&format!("{result}\n"));
                }
            }
            FleetEvent::JobDone { host, .. } => self.count(host, |c| c.done += 1),
            FleetEvent::HostDone { host, report } => {
                if let Some((_, bars)) = &self.bars
                    && let Some(bar) = bars.get(host)
                {
                    bar.finish_and_clear();
                }
                self.print(&host_done(report, self.show));
            }
            _ => {}
        }
    }

    fn count(&self, host: usize, f: impl FnOnce(&mut Counts)) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(c) = counts.get_mut(host) else {
            return;
        };
        f(c);
        if let Some((_, bars)) = &self.bars
            && let Some(bar) = bars.get(host)
        {
            bar.set_position(c.done as u64);
            bar.set_message(format!(
                "{}/{} scanned, {} infected, {} errors",
                c.done, self.jobs_per_host, c.infected, c.errors
            ));
        }
    }

    /// Clears the bars (a run that stops early, before the process exits).
    pub(super) fn clear(&self) {
        if let Some((multi, bars)) = &self.bars {
            for b in bars {
                b.finish_and_clear();
            }
            let _ = multi.clear();
        }
    }

    /// Clears the bars; gives back the first write error, if any.
    pub(super) fn finish(self) -> io::Result<()> {
        self.clear();
        match self
            .error
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A finished host's lines: its failure, ping and stats when asked, and every job that did
/// not complete.
fn host_done(h: &HostReport, show: Show) -> String {
    use std::fmt::Write as _;
    let host = &h.endpoint;
    let mut t = String::new();
    if let Some(reason) = h.not_scanned {
        let _ = writeln!(t, "{host} not scanned: {reason}");
        return t;
    }
    match (&h.error, h.latency) {
        (Some(e), None) => {
            let _ = writeln!(t, "{host} connection [FAILED] {e}");
        }
        // PING answered, then RELOAD, VERSION or STATS failed: no ready event was printed.
        (Some(_), Some(_)) if !show.infected_only => {
            let _ = writeln!(t, "{host} connection [OK]");
        }
        _ => {}
    }
    if show.ping
        && let Some(l) = h.latency
    {
        let _ = writeln!(t, "{host} ping {:.3} ms", l.as_secs_f64() * 1e3);
    }
    if show.stats
        && let Some(st) = &h.stats
    {
        let _ = writeln!(t, "{host} stats:\n{}", st.raw.trim_end());
    }
    if let (Some(e), Some(_)) = (&h.error, h.latency) {
        let _ = writeln!(t, "{host} ERROR {e}");
    }
    for j in &h.jobs {
        let path = j.path.display();
        match &j.status {
            JobStatus::Done => {}
            JobStatus::Failed(e) => {
                let _ = writeln!(t, "{host} {path} ERROR {e}");
            }
            JobStatus::Skipped(SkipReason::HostFailed) if h.error.is_some() => {}
            JobStatus::Skipped(reason) => {
                let _ = writeln!(t, "{host} {path} not scanned: {reason}");
            }
            _ => {
                let _ = writeln!(t, "{host} {path} not scanned");
            }
        }
    }
    t
}
