//! The live output of `opskit trace` on a terminal: a progress line on stderr, and the
//! summary redrawn on stdout after every round.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use tcptrace::{Observer, Progress, TraceReport};

/// How long a run goes before its progress line shows: quick runs print nothing extra.
const QUIET_START: Duration = Duration::from_secs(1);

/// Erases the line the cursor is on and returns to its start.
const CLEAR_LINE: &str = "\r\x1b[2K";

/// Draws the live output. Each part is on only when its stream is a terminal: a pipe or a
/// file gets the final result alone.
pub(super) struct Live {
    started: Instant,
    /// Show the progress line on stderr.
    progress: bool,
    /// Redraw the summary on stdout after every round.
    summary: bool,
    progress_shown: bool,
    /// Lines of the summary drawn last, to move back over.
    summary_lines: usize,
    rounds_drawn: u64,
}

impl Live {
    /// The live output of a run printing `summary` (or not) and `json` (or not).
    pub(super) fn new(summary: bool, json: bool) -> Self {
        let terminals = (
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        );
        Self::with_terminals(summary, json, terminals)
    }

    /// With `(stdout, stderr)` terminals or not.
    fn with_terminals(summary: bool, json: bool, (stdout_tty, stderr_tty): (bool, bool)) -> Self {
        Self {
            started: Instant::now(),
            progress: stderr_tty && !json,
            summary: summary && !json && stdout_tty,
            progress_shown: false,
            summary_lines: 0,
            rounds_drawn: 0,
        }
    }

    fn clear_progress(&mut self) {
        if self.progress_shown {
            eprint!("{CLEAR_LINE}");
            self.progress_shown = false;
        }
    }

    /// Moves stdout back over the live summary, erasing it, so that the final one takes its
    /// place.
    fn erase_summary(&mut self, out: &mut impl std::io::Write) {
        if self.summary_lines > 0 {
            let _ = write!(out, "\x1b[{}A\r\x1b[J", self.summary_lines);
            self.summary_lines = 0;
        }
    }

    /// Clears what is on the screen before the final result is printed.
    pub(super) fn finish(&mut self) {
        self.clear_progress();
        let mut out = std::io::stdout().lock();
        self.erase_summary(&mut out);
        let _ = out.flush();
    }
}

/// The terminal's (rows, columns), or a classic 24 × 80 when it does not say.
fn screen_size() -> (usize, usize) {
    match rustix::termios::tcgetwinsize(std::io::stdout()) {
        Ok(w) if w.ws_row > 0 && w.ws_col > 0 => (usize::from(w.ws_row), usize::from(w.ws_col)),
        _ => (24, 80),
    }
}

/// How many screen lines `text` takes on a terminal `cols` wide, long lines wrapping.
fn screen_lines(text: &str, cols: usize) -> usize {
    text.lines()
        .map(|l| l.chars().count().div_ceil(cols.max(1)).max(1))
        .sum()
}

/// The progress line: `3/10 traces done, 412 probes sent, 380 replies`, and the rounds when
/// there are several.
pub(super) fn progress_line(p: &Progress) -> String {
    let mut line = format!(
        "{}/{} traces done, {} probes sent, {} replies",
        p.traces_done, p.traces, p.stats.sent, p.stats.replies
    );
    if p.rounds > p.traces as u64 {
        let _ = write!(line, ", {}/{} rounds", p.rounds_done, p.rounds);
    }
    line
}

impl Observer for Live {
    fn on_progress(&mut self, p: &Progress, snapshot: &dyn Fn() -> TraceReport) {
        let shown = self.started.elapsed() >= QUIET_START;
        if self.summary && p.rounds_done > self.rounds_drawn {
            self.rounds_drawn = p.rounds_done;
            self.clear_progress();
            let text = snapshot().live_summary();
            let mut out = std::io::stdout().lock();
            self.erase_summary(&mut out);
            // A summary taller than the screen could not be drawn over: it waits for the end.
            let (rows, cols) = screen_size();
            let lines = screen_lines(&text, cols);
            if lines < rows {
                let _ = out.write_all(text.as_bytes());
                self.summary_lines = lines;
            }
            let _ = out.flush();
        }
        if self.progress && shown {
            eprint!("{CLEAR_LINE}{}", progress_line(p));
            self.progress_shown = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap() {
        assert_eq!(screen_lines("a\n\nbcd\n", 2), 1 + 1 + 2);
        assert_eq!(screen_lines("", 80), 0);
    }

    #[test]
    fn nothing_live_off_a_terminal_or_with_json() {
        let l = Live::with_terminals(true, false, (false, false));
        assert!(!l.progress && !l.summary);
        let l = Live::with_terminals(true, true, (true, true));
        assert!(!l.progress && !l.summary, "--json is never drawn over");
        let l = Live::with_terminals(false, false, (true, true));
        assert!(
            l.progress && !l.summary,
            "the table is printed once, at the end"
        );
        let l = Live::with_terminals(true, false, (true, false));
        assert!(!l.progress && l.summary);
    }
}
