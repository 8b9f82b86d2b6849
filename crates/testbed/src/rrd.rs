//! Traffic RRDs like the recipe's `Flow.rrd`, and a private `rrdcached`.
//!
//! [`TrafficRrd`] creates an RRD with the two `COUNTER` data sources `eth0_in` and `eth0_out`
//! (step 300 s, the recipe's AVERAGE, MAX and MIN archives) and fills it with deterministic
//! synthetic traffic: a daily curve that crosses the recipe's 6144 B/s alarm line in the
//! afternoon, plus reproducible jitter. The same builder settings always give the same bytes on
//! disk, and [`TrafficRrd::rates`] tells a test which rate each step must read back.
//!
//! [`Rrdcached`] runs Debian's `rrdcached` in the foreground on a Unix socket in a private
//! temporary directory, waits until it answers `PING`, and kills it on drop.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! let rrd = testbed::rrd::TrafficRrd::builder().hours(26).create()?;
//! println!("{} holds {} steps", rrd.path().display(), rrd.rates().len());
//! let cached = testbed::rrd::Rrdcached::start()?;
//! println!("rrdcached listens on {}", cached.address());
//! # Ok(())
//! # }
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The recipe's step, in seconds.
pub const STEP: u64 = 300;

/// The default last update: 2026-01-01 00:00:00 UTC, a multiple of [`STEP`].
pub const DEFAULT_END: u64 = 1_767_225_600;

/// The recipe's alarm line (`HRULE:6144#FF0000:Alarm value\r`), in bytes per second. The
/// synthetic inbound traffic crosses it every afternoon.
pub const ALARM: f64 = 6144.0;

/// The data source names, as in the recipe.
pub const DS_NAMES: [&str; 2] = ["eth0_in", "eth0_out"];

/// The archives of the recipe's `create.py`: `(consolidation, steps per row, rows)`.
const ARCHIVES: [(&str, u32, u32); 12] = [
    ("AVERAGE", 1, 600),
    ("AVERAGE", 6, 700),
    ("AVERAGE", 24, 775),
    ("AVERAGE", 288, 797),
    ("MAX", 1, 600),
    ("MAX", 6, 700),
    ("MAX", 24, 775),
    ("MAX", 444, 797),
    ("MIN", 1, 600),
    ("MIN", 6, 700),
    ("MIN", 24, 775),
    ("MIN", 444, 797),
];

/// One step of synthetic traffic, as the RRD stores it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// End of the step (the update's timestamp), seconds since the epoch.
    pub time: u64,
    /// Inbound bytes per second over the step.
    pub eth0_in: f64,
    /// Outbound bytes per second over the step.
    pub eth0_out: f64,
    in_bytes: u32,
    out_bytes: u32,
}

/// Settings of a [`TrafficRrd`]; see [`TrafficRrd::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TrafficRrdBuilder {
    end: u64,
    hours: u32,
    seed: u64,
    file_name: String,
}

impl TrafficRrdBuilder {
    /// The time of the last update, rounded down to a multiple of [`STEP`]. Default
    /// [`DEFAULT_END`].
    pub fn end(mut self, end: u64) -> Self {
        self.end = end - end % STEP;
        self
    }

    /// End at the current time (rounded down to a step), for graphs with a relative start such
    /// as the recipe's `--start -1d`.
    pub fn end_now(self) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(DEFAULT_END, |d| d.as_secs());
        self.end(now)
    }

    /// How many hours of traffic to write (at least 1). Default 26: a day, and the two hours
    /// that a `--start -1d` graph needs on its left edge.
    pub fn hours(mut self, hours: u32) -> Self {
        self.hours = hours.max(1);
        self
    }

    /// Seed of the jitter. The same seed gives the same traffic. Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// File name of the RRD inside its directory. Default `Flow.rrd`.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Creates the RRD in a new private temporary directory, removed on drop.
    ///
    /// # Errors
    ///
    /// Fails when the directory cannot be made or `rrdtool` refuses the create or an update.
    pub fn create(self) -> io::Result<TrafficRrd> {
        let dir = tempfile::Builder::new().prefix("opskit-rrd-").tempdir()?;
        let path = dir.path().join(&self.file_name);
        let rates = self.write(&path)?;
        Ok(TrafficRrd {
            _dir: Some(dir),
            path,
            rates,
        })
    }

    /// Creates the RRD in `dir` (created if missing), overwriting a file of the same name. The
    /// file stays after drop.
    ///
    /// # Errors
    ///
    /// Fails when the directory cannot be made or `rrdtool` refuses the create or an update.
    pub fn create_in(self, dir: &Path) -> io::Result<TrafficRrd> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
        let path = dir.join(&self.file_name);
        let rates = self.write(&path)?;
        Ok(TrafficRrd {
            _dir: None,
            path,
            rates,
        })
    }

    fn write(&self, path: &Path) -> io::Result<Vec<Rate>> {
        let steps = u64::from(self.hours) * 3600 / STEP;
        let first = self.end - steps * STEP;
        let rates: Vec<Rate> = (1..=steps)
            .map(|i| rate_at(first + i * STEP, self.seed))
            .collect();

        let mut create: Vec<String> = vec![
            "--start".into(),
            (first - STEP).to_string(),
            "--step".into(),
            STEP.to_string(),
        ];
        create.extend(
            DS_NAMES
                .iter()
                .map(|name| format!("DS:{name}:COUNTER:600:0:U")),
        );
        create.extend(
            ARCHIVES
                .iter()
                .map(|(cf, steps, rows)| format!("RRA:{cf}:0.5:{steps}:{rows}")),
        );
        rrdtool("create", path, &create)?;

        // The counters start somewhere in the middle of their range, like a host that has been
        // up for a while, and grow by rate * step each step: the RRD reads the rates back exactly.
        let mut counter_in: u64 = 3_000_000_000 + (splitmix64(self.seed) % 1_000_000);
        let mut counter_out: u64 = 1_000_000_000 + (splitmix64(self.seed ^ 1) % 1_000_000);
        let mut updates = Vec::with_capacity(rates.len() + 1);
        updates.push(format!("{first}:{counter_in}:{counter_out}"));
        for r in &rates {
            counter_in += u64::from(r.in_bytes) * STEP;
            counter_out += u64::from(r.out_bytes) * STEP;
            updates.push(format!("{}:{counter_in}:{counter_out}", r.time));
        }
        for chunk in updates.chunks(UPDATES_PER_CALL) {
            rrdtool("update", path, chunk)?;
        }
        Ok(rates)
    }
}

/// Updates per `rrdtool update` process: far below the kernel's argument-size limit.
const UPDATES_PER_CALL: usize = 2000;

/// Runs `rrdtool OP PATH ARGS...`.
///
/// The RRDs are written by the `rrdtool` program, never by librrd in the test's own process:
/// librrd's create and update switch the process-wide locale (`setlocale(LC_NUMERIC, "C")` and
/// back) while rrdgraph may be drawing a graph on another test thread, and glibc's `setlocale`
/// racing another thread's locale use corrupts memory. rrdgraph serializes its own librrd calls
/// behind one lock; a second in-process librrd user would bypass it.
fn rrdtool(op: &str, path: &Path, args: &[String]) -> io::Result<()> {
    let out = Command::new("rrdtool")
        .arg(op)
        .arg(path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("running rrdtool {op}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "rrdtool {op} {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// An RRD like the recipe's `Flow.rrd`, filled with deterministic synthetic traffic.
///
/// The data sources are `COUNTER`s `eth0_in` and `eth0_out` (heartbeat 600, minimum 0), the step
/// is 300 s, and the archives are the recipe's: AVERAGE, MAX and MIN over 1, 6, 24 and 288 or 444
/// steps.
#[derive(Debug)]
pub struct TrafficRrd {
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
    rates: Vec<Rate>,
}

impl TrafficRrd {
    /// The default settings: 26 hours ending at [`DEFAULT_END`], seed 0, `Flow.rrd`.
    pub fn builder() -> TrafficRrdBuilder {
        TrafficRrdBuilder {
            end: DEFAULT_END,
            hours: 26,
            seed: 0,
            file_name: "Flow.rrd".to_owned(),
        }
    }

    /// Creates the default traffic RRD in a private temporary directory.
    ///
    /// # Errors
    ///
    /// As [`TrafficRrdBuilder::create`].
    pub fn create() -> io::Result<Self> {
        Self::builder().create()
    }

    /// Path of the RRD file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Directory that holds the RRD.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Time of the first rate (the end of the first step with data).
    pub fn first_rate_time(&self) -> u64 {
        self.rates.first().map_or(0, |r| r.time)
    }

    /// Time of the last update.
    pub fn last_update(&self) -> u64 {
        self.rates.last().map_or(0, |r| r.time)
    }

    /// Every step's rates, oldest first, as the RRD's 1-step AVERAGE archive holds them.
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }
}

/// The synthetic traffic of the step that ends at `time`: whole bytes per second, so that the
/// counters grow by exact integers.
#[expect(
    clippy::cast_sign_loss,
    reason = "the rates are rounded and at least 2500 - 300 - 200 by construction"
)]
pub fn rate_at(time: u64, seed: u64) -> Rate {
    let day = f64::from((time % 86_400) as u32) / 86_400.0;
    // Lowest at 04:00 UTC, highest at 16:00 UTC.
    let shape = (1.0 - (std::f64::consts::TAU * (day - 4.0 / 24.0)).cos()) / 2.0;
    let jitter = |salt: u64| {
        let r = splitmix64(time ^ seed.rotate_left(17) ^ salt);
        f64::from((r % 1001) as u32) / 1000.0 - 0.5
    };
    let in_bytes = (2500.0 + 4200.0 * shape + 600.0 * jitter(0x1f)).round() as u32;
    let out_bytes = (300.0 + 0.55 * f64::from(in_bytes) + 400.0 * jitter(0x2e)).round() as u32;
    Rate {
        time,
        eth0_in: f64::from(in_bytes),
        eth0_out: f64::from(out_bytes),
        in_bytes,
        out_bytes,
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A private `rrdcached`, listening on a Unix socket in its own temporary directory.
///
/// Started with `-g` (foreground), `-B -b <dir>/base` (files restricted to the base directory),
/// a long write interval (`-w 3600`) so that updates really wait in the cache until flushed, and
/// its own pid file and journal. Killed and cleaned up on drop, also after a panic.
#[derive(Debug)]
pub struct Rrdcached {
    child: Child,
    socket: PathBuf,
    base: PathBuf,
    // Dropped last: the socket and base live inside.
    dir: tempfile::TempDir,
}

impl Rrdcached {
    /// Starts an `rrdcached` and waits (at most 10 s) until it answers `PING`.
    ///
    /// # Errors
    ///
    /// Fails when `rrdcached` is not installed, exits, or does not answer in time.
    pub fn start() -> io::Result<Self> {
        // Unix socket paths are limited to 108 bytes: keep the directory short.
        let dir = tempfile::Builder::new()
            .prefix("rrdc-")
            .tempdir_in("/tmp")?;
        let base = dir.path().join("base");
        let journal = dir.path().join("journal");
        std::fs::create_dir(&base)?;
        std::fs::create_dir(&journal)?;
        let socket = dir.path().join("sock");
        let log = std::fs::File::create(dir.path().join("log"))?;
        let child = Command::new("rrdcached")
            .arg("-g")
            .arg("-B")
            .arg("-b")
            .arg(&base)
            .arg("-j")
            .arg(&journal)
            .arg("-p")
            .arg(dir.path().join("pid"))
            .args(["-w", "3600", "-f", "7200", "-t", "2"])
            .arg("-l")
            .arg(format!("unix:{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("starting rrdcached (Debian package `rrdcached`): {e}"),
                )
            })?;
        let mut me = Self {
            child,
            socket,
            base,
            dir,
        };
        me.wait_ready(Duration::from_secs(10))?;
        Ok(me)
    }

    fn wait_ready(&mut self, limit: Duration) -> io::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
                return Err(io::Error::other(format!(
                    "rrdcached exited with {status} before it was ready: {log}"
                )));
            }
            if let Ok(reply) = self.command("PING")
                && reply.first().is_some_and(|l| l.contains("PONG"))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "rrdcached did not answer PING within the deadline",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address for librrd's `--daemon` and `RRDCACHED_ADDRESS`: `unix:<socket>`.
    pub fn address(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// Path of the Unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The base directory (`-b`): RRDs that the daemon serves must live here.
    pub fn base_dir(&self) -> &Path {
        &self.base
    }

    /// Process id of the daemon.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one command line of rrdcached's text protocol and returns the reply: the status
    /// line first, then the lines it announces. A negative status is an error.
    ///
    /// # Errors
    ///
    /// Fails on I/O errors, a 5 s timeout, or an error status from the daemon.
    pub fn command(&self, line: &str) -> io::Result<Vec<String>> {
        let mut stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(line.trim_end().as_bytes())?;
        stream.write_all(b"\n")?;
        let mut reader = BufReader::new(stream.take(1 << 20));
        let mut status = String::new();
        reader.read_line(&mut status)?;
        let status = status.trim_end().to_owned();
        let count: i64 = status
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad rrdcached status line {status:?}")))?;
        if count < 0 {
            return Err(io::Error::other(format!("rrdcached: {status}")));
        }
        let mut reply = vec![status];
        for _ in 0..count.min(100_000) {
            let mut l = String::new();
            if reader.read_line(&mut l)? == 0 {
                break;
            }
            reply.push(l.trim_end().to_owned());
        }
        Ok(reply)
    }

    /// Writes the cached updates of one file to disk (`FLUSH`); rrdcached answers only once
    /// they are written, so the file is unlocked and current when this returns.
    ///
    /// # Errors
    ///
    /// As [`Rrdcached::command`].
    pub fn flush(&self, rrd: &Path) -> io::Result<()> {
        self.command(&format!("FLUSH {}", rrd.display())).map(drop)
    }

    /// Queues every cached update for writing (`FLUSHALL`) and waits until the queue is empty.
    /// The last file may still be being written when this returns: use
    /// [`flush`](Self::flush) to wait for one file.
    ///
    /// # Errors
    ///
    /// As [`Rrdcached::command`].
    pub fn flush_all(&self) -> io::Result<()> {
        self.command("FLUSHALL")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let stats = self.command("STATS")?;
            let queue = stats
                .iter()
                .find_map(|l| l.strip_prefix("QueueLength: "))
                .and_then(|v| v.trim().parse::<u64>().ok());
            if queue == Some(0) || Instant::now() > deadline {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Rrdcached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_deterministic_and_cross_the_alarm() {
        let day: Vec<Rate> = (1..=288)
            .map(|i| rate_at(DEFAULT_END + i * STEP, 7))
            .collect();
        let again: Vec<Rate> = (1..=288)
            .map(|i| rate_at(DEFAULT_END + i * STEP, 7))
            .collect();
        assert_eq!(day, again);
        assert!(day.iter().any(|r| r.eth0_in > ALARM));
        assert!(day.iter().any(|r| r.eth0_in < ALARM / 2.0));
        assert!(day.iter().all(|r| r.eth0_in >= 0.0 && r.eth0_out >= 0.0));
        assert!(day.iter().all(|r| r.eth0_in.fract() == 0.0));
        assert_ne!(rate_at(DEFAULT_END, 1), rate_at(DEFAULT_END, 2));
    }

    #[test]
    fn end_is_rounded_to_a_step() {
        assert_eq!(
            TrafficRrd::builder().end(DEFAULT_END + 299).end,
            DEFAULT_END
        );
    }
}
