//! Which process owns a run: the management host's name, the process id and the process's
//! start time (so that a reused pid is not taken for the same process). A run still
//! `running` whose owner is on this host and gone was cut short (SIGKILL, a crash, a reboot).

use std::fmt;

/// The owner of a run, as stored in `runs.owner`: `HOST:PID:START`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    host: String,
    pid: i32,
    /// The process's start time, in clock ticks since boot (`/proc/PID/stat` field 22).
    start: u64,
}

/// The start time of `pid`, `None` when there is no such process.
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold anything, even `)`.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    // Fields 3… after the name; the start time is field 22, the 20th of these.
    after.split_whitespace().nth(19)?.parse().ok()
}

fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

impl Owner {
    /// This process.
    pub(crate) fn this_process() -> Self {
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        Self {
            host: host_name(),
            pid,
            start: start_time(pid).unwrap_or(0),
        }
    }

    /// Reads `HOST:PID:START`; the host name may itself hold `:`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (rest, start) = text.rsplit_once(':')?;
        let (host, pid) = rest.rsplit_once(':')?;
        Some(Self {
            host: host.to_owned(),
            pid: pid.parse().ok()?,
            start: start.parse().ok()?,
        })
    }

    /// Whether this owner is known to be gone: it ran on this host and no process with its
    /// pid and start time exists, or it ran on another host and its run's lease has
    /// `expired` (its pid means nothing here).
    pub(crate) fn is_gone(&self, here: &Self, expired: bool) -> bool {
        if self.host == here.host {
            start_time(self.pid) != Some(self.start)
        } else {
            expired
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.host, self.pid, self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::Owner;

    #[test]
    fn this_process_is_alive_and_a_dead_pid_is_gone() {
        let me = Owner::this_process();
        let back = Owner::parse(&me.to_string()).unwrap();
        assert_eq!(back, me);
        // On this host the process decides, whatever the lease says.
        assert!(!me.is_gone(&me, false));
        assert!(!me.is_gone(&me, true));
        let mut other_start = me.clone();
        other_start.start += 1;
        assert!(
            other_start.is_gone(&me, false),
            "a reused pid is not the owner"
        );
        let mut elsewhere = other_start.clone();
        elsewhere.host.push_str(".other");
        assert!(
            !elsewhere.is_gone(&me, false),
            "another host's process is not judged here by its pid"
        );
        assert!(elsewhere.is_gone(&me, true), "only by its expired lease");
        assert_eq!(Owner::parse("a:b:c"), None);
        assert_eq!(
            Owner::parse("h:with:colon:12:34").unwrap().host,
            "h:with:colon"
        );
    }
}
