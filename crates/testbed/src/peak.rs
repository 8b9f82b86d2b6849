//! The peak memory of a child process, for tests that bound it.

use std::io::Read as _;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What [`run_measured`] saw of a child.
#[derive(Debug)]
#[non_exhaustive]
pub struct Measured {
    /// How the child ended.
    pub status: ExitStatus,
    /// The highest peak resident set size (`VmHWM` of `/proc/<pid>/status`) read while it
    /// ran, in KiB. Read every few milliseconds: the last moments before exit can escape it.
    pub peak_rss_kib: u64,
    /// Its standard error.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

/// The `VmHWM` of process `pid`, in KiB, while it lives.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `cmd` with standard error captured, polling its peak resident set size until it
/// exits; kills it and panics if it runs longer than `limit` (a bound that proves it did not
/// hang, not a speed claim).
///
/// # Panics
///
/// If the child cannot be started or outlives `limit`.
pub fn run_measured(cmd: &mut Command, limit: Duration) -> Measured {
    let start = Instant::now();
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the measured child");
    let mut stderr_pipe = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let mut peak = 0;
    let status = loop {
        if let Some(v) = vm_hwm(child.id()) {
            peak = peak.max(v);
        }
        if let Some(st) = child.try_wait().expect("wait for the child") {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Measured {
        status,
        peak_rss_kib: peak,
        stderr: reader.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}
