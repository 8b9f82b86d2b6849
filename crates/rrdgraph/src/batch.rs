//! Batch rendering over a pool of worker processes.
//!
//! # Why processes, not threads
//!
//! librrd's graph path is not safe under concurrency, and a lock around it (which this crate
//! has, see [`render_raw_args`]) makes threads useless for throughput. The evidence, on librrd
//! 1.7.2 (Debian 12):
//!
//! - **Process-wide option state.** `--week-fmt` is stored in a global buffer: a graph drawn
//!   after another one that set it inherits it. The test `week_format_does_not_leak_between_renders`
//!   shows the leak (it fails when the pinned options of [`PINNED_OPTIONS`] are removed).
//!   librrd also calls `setlocale(LC_TIME/LC_CTYPE, "")` on every graph, which is process-wide.
//! - **Memory corruption under threads.** A stress run of `rrd_graph_v` without the lock
//!   (2, 4 and 8 threads, 200 to 500 renders each, four different Flow-like graphs) made `GLib`
//!   report `corrupted double-linked list detected` in every run with 2 threads or more, and
//!   `g_queue_push_head_link: assertion 'link->next == NULL' failed` with 8: the Pango/GLib
//!   caches that librrd's text layout shares are corrupted by concurrent graphs. One thread:
//!   no warning in 500 renders.
//!
//! So the batch renderer spreads graphs over worker **processes**, like munin-graph does. Each
//! worker is a fresh process of the current program (or a command you choose), and runs graphs
//! one at a time through the same in-process path as [`GraphSpec::render`], with its own copy
//! of librrd's globals.
//!
//! # Results
//!
//! [`BatchRenderer::render`] returns one result per spec, in the specs' order. A failing job
//! gets its own error (librrd's message), and a worker that dies or overruns the deadline fails
//! only the job it was running: it is killed and replaced for the remaining jobs.
//!
//! # The worker entry point
//!
//! By default a worker is the current executable started with the environment variable
//! [`WORKER_ENV`] (`RRDGRAPH_BATCH_WORKER`) set. The program must call [`serve_worker_if_requested`] first thing in
//! `main`: in a worker it serves render requests on stdin/stdout and exits; otherwise it
//! returns at once. A program that cannot do that (a test harness, say) passes its own
//! command with [`BatchBuilder::worker_command`].
//!
//! [`render_raw_args`]: crate::render_raw_args
//! [`GraphSpec::render`]: crate::GraphSpec::render
//! [`PINNED_OPTIONS`]: crate::PINNED_OPTIONS

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::info::{Info, InfoValue};
use crate::render::{Rendered, render_raw_args};
use crate::rrd_error::RrdError;

/// The environment variable that makes a process a batch worker (see
/// [`serve_worker_if_requested`]). Private: the one entry point users call is
/// [`serve_worker_if_requested`], and the protocol between parent and worker may change.
pub(crate) const WORKER_ENV: &str = "RRDGRAPH_BATCH_WORKER";

/// The line a worker writes before its first answer. Anything the process printed before it
/// (a test harness's banner, say) is skipped.
const HELLO: &[u8] = b"RRDGRAPH-WORKER-1\n";

/// Limits on what a worker may send back: a broken or hostile worker cannot make the parent
/// allocate without bound.
const MAX_ENTRIES: u32 = 100_000;
const MAX_TEXT: u32 = 1 << 20;
const MAX_BLOB: u32 = 256 << 20;
const MAX_ARGS: u32 = 100_000;
/// How much junk may precede the worker's hello line.
const MAX_BANNER: usize = 64 << 10;

/// If this process was started as a batch worker (the environment variable
/// `RRDGRAPH_BATCH_WORKER` is set), serves render
/// requests on stdin/stdout until stdin closes, then exits the process. Otherwise returns at
/// once.
///
/// Call it first thing in `main` of any program that uses [`BatchRenderer`] with the default
/// worker command (the current executable), and in any program given to
/// [`BatchBuilder::worker_command`]: it is the one worker entry point.
pub fn serve_worker_if_requested() {
    if std::env::var_os(WORKER_ENV).is_none() {
        return;
    }
    let stdin = io::stdin().lock();
    let stdout = io::stdout().lock();
    let code = match serve_worker(stdin, stdout) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("rrdgraph batch worker: {e}");
            1
        }
    };
    std::process::exit(code);
}

/// Serves render requests read from `input`, writing answers to `output`, until `input`
/// closes. This is the worker's loop; [`serve_worker_if_requested`] calls it on stdin and
/// stdout.
///
/// # Errors
///
/// I/O errors on either stream, and malformed requests.
pub(crate) fn serve_worker(mut input: impl Read, mut output: impl Write) -> io::Result<()> {
    output.write_all(HELLO)?;
    output.flush()?;
    while let Some(args) = read_request(&mut input)? {
        let answer = render_raw_args(&args);
        write_answer(&mut output, &answer)?;
        output.flush()?;
    }
    Ok(())
}

/// Reads one request (a list of arguments), or `None` at a clean end of input.
fn read_request(r: &mut impl Read) -> io::Result<Option<Vec<String>>> {
    let mut first = [0u8; 4];
    match r.read_exact(&mut first) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_le_bytes(first);
    if n > MAX_ARGS {
        return Err(invalid(format!("{n} arguments in one request")));
    }
    (0..n)
        .map(|_| read_text(r, MAX_TEXT))
        .collect::<io::Result<_>>()
        .map(Some)
}

fn write_request(w: &mut impl Write, args: &[&str]) -> io::Result<()> {
    let mut buf = Vec::new();
    put_u32(&mut buf, len32(args.len())?);
    for a in args {
        put_bytes(&mut buf, a.as_bytes())?;
    }
    w.write_all(&buf)?;
    w.flush()
}

fn write_answer(w: &mut impl Write, answer: &Result<Rendered, RrdError>) -> io::Result<()> {
    let mut buf = Vec::new();
    match answer {
        Ok(r) => {
            buf.push(0);
            let entries: Vec<(&str, &InfoValue)> = r.info().iter().collect();
            let image = r.image().map(|b| InfoValue::Blob(b.to_vec()));
            let count = entries.len() + usize::from(image.is_some());
            put_u32(&mut buf, len32(count)?);
            for (k, v) in entries {
                put_entry(&mut buf, k, v)?;
            }
            if let Some(img) = &image {
                put_entry(&mut buf, "image", img)?;
            }
        }
        Err(e) => {
            buf.push(1);
            let (kind, op, text) = match e {
                RrdError::Librrd { op, message } => (0u8, *op, message.clone()),
                other => (1u8, "graph", other.to_string()),
            };
            buf.push(kind);
            put_bytes(&mut buf, op.as_bytes())?;
            put_bytes(&mut buf, text.as_bytes())?;
        }
    }
    w.write_all(&buf)
}

fn put_entry(buf: &mut Vec<u8>, key: &str, v: &InfoValue) -> io::Result<()> {
    put_bytes(buf, key.as_bytes())?;
    match v {
        InfoValue::Value(x) => {
            buf.push(0);
            buf.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        InfoValue::Count(c) => {
            buf.push(1);
            buf.extend_from_slice(&c.to_le_bytes());
        }
        InfoValue::Int(i) => {
            buf.push(2);
            buf.extend_from_slice(&i.to_le_bytes());
        }
        InfoValue::Text(s) => {
            buf.push(3);
            put_bytes(buf, s.as_bytes())?;
        }
        InfoValue::Blob(b) => {
            buf.push(4);
            put_bytes(buf, b)?;
        }
    }
    Ok(())
}

fn read_answer(r: &mut impl Read) -> io::Result<Result<Rendered, RrdError>> {
    match read_u8(r)? {
        0 => {
            let n = read_u32(r)?;
            if n > MAX_ENTRIES {
                return Err(invalid(format!("{n} info entries")));
            }
            let mut entries = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                let key = read_text(r, MAX_TEXT)?;
                let value = match read_u8(r)? {
                    0 => InfoValue::Value(f64::from_bits(read_u64(r)?)),
                    1 => InfoValue::Count(read_u64(r)?),
                    2 => InfoValue::Int(i64::from_le_bytes(read_u64(r)?.to_le_bytes())),
                    3 => InfoValue::Text(read_text(r, MAX_TEXT)?),
                    4 => InfoValue::Blob(read_bytes(r, MAX_BLOB)?),
                    t => return Err(invalid(format!("unknown value type {t}"))),
                };
                entries.push((key, value));
            }
            Ok(Rendered::from_info(Info::new(entries)))
        }
        1 => {
            let kind = read_u8(r)?;
            let op = read_text(r, 64)?;
            let text = read_text(r, MAX_TEXT)?;
            Ok(Err(if kind == 0 {
                RrdError::Librrd {
                    op: static_op(&op),
                    message: text,
                }
            } else {
                RrdError::Worker(text)
            }))
        }
        s => Err(invalid(format!("unknown answer status {s}"))),
    }
}

fn static_op(op: &str) -> &'static str {
    match op {
        "graph" => "graph",
        "xport" => "xport",
        _ => "batch",
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn len32(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| invalid(format!("length {n} does not fit the protocol")))
}

fn put_u32(buf: &mut Vec<u8>, n: u32) {
    buf.extend_from_slice(&n.to_le_bytes());
}

fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) -> io::Result<()> {
    put_u32(buf, len32(b.len())?);
    buf.extend_from_slice(b);
    Ok(())
}

fn read_u8(r: &mut impl Read) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_bytes(r: &mut impl Read, max: u32) -> io::Result<Vec<u8>> {
    let n = read_u32(r)?;
    if n > max {
        return Err(invalid(format!("a field of {n} bytes (at most {max})")));
    }
    let mut v = Vec::new();
    r.take(u64::from(n)).read_to_end(&mut v)?;
    if v.len() != n as usize {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(v)
}

fn read_text(r: &mut impl Read, max: u32) -> io::Result<String> {
    String::from_utf8(read_bytes(r, max)?).map_err(|_| invalid("text is not UTF-8".into()))
}

/// How to start a worker process.
#[derive(Debug, Clone)]
struct WorkerCommand {
    program: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
}

impl WorkerCommand {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .env(WORKER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        c
    }
}

/// Settings of a [`BatchRenderer`].
#[derive(Debug, Clone)]
#[must_use]
pub struct BatchBuilder {
    workers: usize,
    command: Option<WorkerCommand>,
    timeout: Duration,
    start_timeout: Duration,
}

impl BatchBuilder {
    /// Number of worker processes. Default: the machine's available parallelism.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// Start workers with this program and arguments instead of the current executable. The
    /// program must reach [`serve_worker_if_requested`] (the variable `RRDGRAPH_BATCH_WORKER`
    /// is set for it), which then serves render requests on its stdin and stdout.
    pub fn worker_command<I, A>(mut self, program: impl Into<PathBuf>, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        let envs = self.command.take().map(|c| c.envs).unwrap_or_default();
        self.command = Some(WorkerCommand {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            envs,
        });
        self
    }

    /// An extra environment variable for the workers (such as `RRDCACHED_ADDRESS` or `TZ`).
    pub fn worker_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        if self.command.is_none() {
            self.command = Some(WorkerCommand {
                program: PathBuf::new(),
                args: Vec::new(),
                envs: Vec::new(),
            });
        }
        if let Some(c) = &mut self.command {
            c.envs.push((key.into(), value.into()));
        }
        self
    }

    /// The longest one graph may take in a worker before the worker is killed and the job
    /// fails. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest a worker may take to start and announce itself before it is killed and
    /// the job fails. Default 30 s.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Checks the settings. Workers start lazily, on the first batch.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for zero workers or a zero timeout, [`RrdError::Worker`] when the
    /// current executable cannot be found.
    pub fn build(self) -> Result<BatchRenderer, RrdError> {
        if self.workers == 0 {
            return Err(RrdError::Invalid {
                what: "batch workers",
                reason: "at least one worker is needed".into(),
            });
        }
        if self.timeout.is_zero() || self.start_timeout.is_zero() {
            return Err(RrdError::Invalid {
                what: "batch timeout",
                reason: "must be longer than zero".into(),
            });
        }
        let mut command = self.command.unwrap_or(WorkerCommand {
            program: PathBuf::new(),
            args: Vec::new(),
            envs: Vec::new(),
        });
        if command.program.as_os_str().is_empty() {
            command.program = std::env::current_exe()
                .map_err(|e| RrdError::Worker(format!("finding the current executable: {e}")))?;
        }
        Ok(BatchRenderer {
            command,
            timeout: self.timeout,
            start_timeout: self.start_timeout,
            pool: (0..self.workers).map(|_| None).collect(),
        })
    }
}

/// One live worker process.
struct Worker {
    child: Arc<Mutex<Child>>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start(cmd: &WorkerCommand, start_timeout: Duration) -> Result<Self, RrdError> {
        let mut child = cmd
            .command()
            .spawn()
            .map_err(|e| RrdError::Worker(format!("starting {}: {e}", cmd.program.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RrdError::Worker("the worker has no pipes".into()));
        };
        let mut w = Self {
            child: Arc::new(Mutex::new(child)),
            stdin,
            stdout: BufReader::new(stdout),
        };
        let child = Arc::clone(&w.child);
        let (hello, timed_out) = with_deadline(&child, start_timeout, || w.wait_hello());
        if let Err(e) = hello {
            let e = if timed_out {
                format!("no hello within {start_timeout:?}")
            } else {
                e.to_string()
            };
            w.kill();
            return Err(RrdError::Worker(format!(
                "{} did not start as a worker ({e}); does its main call \
                 rrdgraph::serve_worker_if_requested()?",
                cmd.program.display()
            )));
        }
        Ok(w)
    }

    /// Skips anything before the hello line (at most [`MAX_BANNER`] bytes).
    fn wait_hello(&mut self) -> io::Result<()> {
        let mut seen = 0usize;
        loop {
            let mut line = Vec::new();
            let n = (&mut self.stdout)
                .take(u64::try_from(MAX_BANNER).unwrap_or(u64::MAX))
                .read_until(b'\n', &mut line)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if line.ends_with(HELLO) {
                return Ok(());
            }
            seen += n;
            if seen > MAX_BANNER {
                return Err(invalid("no hello line".into()));
            }
        }
    }

    fn kill(&self) {
        let mut c = self
            .child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = c.kill();
        let _ = c.wait();
    }

    /// Why the worker stopped: its exit status when it exited (waiting briefly for it, as the
    /// pipe closes just before the process ends), or that it stopped answering.
    fn exit_note(&self) -> String {
        let mut c = self
            .child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for _ in 0..50 {
            match c.try_wait() {
                Ok(Some(status)) => return format!("the worker exited ({status})"),
                Ok(None) => std::thread::sleep(Duration::from_millis(4)),
                Err(_) => break,
            }
        }
        "the worker stopped answering".into()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Renders many graphs over a pool of worker processes. See the module docs for why
/// processes, and for the worker entry point.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// rrdgraph::serve_worker_if_requested(); // first thing in main
/// let mut batch = rrdgraph::BatchRenderer::builder().workers(2).build()?;
/// let specs = (0..10)
///     .map(|i| rrdgraph::traffic("-", format!("host{i}.rrd")))
///     .collect::<Result<Vec<_>, _>>()?;
/// for (i, result) in batch.render(&specs).into_iter().enumerate() {
///     match result {
///         Ok(r) => println!("graph {i}: {} bytes", r.image().map_or(0, <[u8]>::len)),
///         Err(e) => println!("graph {i}: {e}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct BatchRenderer {
    command: WorkerCommand,
    timeout: Duration,
    start_timeout: Duration,
    pool: Vec<Option<Worker>>,
}

impl std::fmt::Debug for BatchRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchRenderer")
            .field("program", &self.command.program)
            .field("workers", &self.pool.len())
            .field("running", &self.pool.iter().filter(|w| w.is_some()).count())
            .field("timeout", &self.timeout)
            .field("start_timeout", &self.start_timeout)
            .finish_non_exhaustive()
    }
}

impl BatchRenderer {
    /// Settings with the defaults: one worker per core, the current executable, 60 s per graph.
    pub fn builder() -> BatchBuilder {
        BatchBuilder {
            workers: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            command: None,
            timeout: Duration::from_secs(60),
            start_timeout: Duration::from_secs(30),
        }
    }

    /// Changes the per-graph deadline for the next batches.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout.max(Duration::from_millis(1));
    }

    /// Number of worker processes.
    pub fn workers(&self) -> usize {
        self.pool.len()
    }

    /// Renders every spec, as [`GraphSpec::render`](crate::GraphSpec::render) does in-process,
    /// and returns the results in the specs' order: with `-` as a spec's output the image comes
    /// back in its result; a named file is written by the worker (workers run in this process's
    /// working directory, so give relative paths from there).
    ///
    /// Workers start on first use and stay up for the next batch. A spec whose worker cannot
    /// start, dies or overruns the deadline fails with [`RrdError::Worker`]; the next spec gets
    /// a new worker.
    pub fn render(&mut self, specs: &[crate::GraphSpec]) -> Vec<Result<Rendered, RrdError>> {
        let jobs: Vec<Vec<String>> = specs.iter().map(crate::GraphSpec::to_args).collect();
        self.render_jobs(&jobs)
    }

    /// Renders argument lists (output file first), one result per job in order.
    fn render_jobs<J, S>(&mut self, jobs: &[J]) -> Vec<Result<Rendered, RrdError>>
    where
        J: AsRef<[S]> + Sync,
        S: AsRef<str> + Sync,
    {
        let results: Vec<Mutex<Option<Result<Rendered, RrdError>>>> =
            jobs.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let command = &self.command;
        let (timeout, start_timeout) = (self.timeout, self.start_timeout);
        let active = self.pool.len().min(jobs.len());
        std::thread::scope(|s| {
            for slot in self.pool.iter_mut().take(active) {
                let (results, next) = (&results, &next);
                s.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let args: Vec<&str> = job.as_ref().iter().map(AsRef::as_ref).collect();
                        let r = run_job(slot, command, (timeout, start_timeout), &args);
                        *results[i]
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .unwrap_or_else(|| Err(RrdError::Worker("job was not run".into())))
            })
            .collect()
    }
}

/// Runs `f` while a watchdog kills `child` if `f` takes longer than `timeout` (the blocked
/// read in `f` then ends with EOF). Returns `f`'s result and whether the watchdog fired. The
/// watchdog wakes up as soon as `f` is done: no polling.
fn with_deadline<R>(
    child: &Arc<Mutex<Child>>,
    timeout: Duration,
    f: impl FnOnce() -> R,
) -> (R, bool) {
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = {
        let child = Arc::clone(child);
        std::thread::spawn(move || match done_rx.recv_timeout(timeout) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let mut c = child
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let _ = c.kill();
                true
            }
            _ => false,
        })
    };
    let r = f();
    let _ = done_tx.send(());
    let fired = watchdog.join().unwrap_or(false);
    (r, fired)
}

/// Runs one job on the worker in `slot`, starting or replacing it as needed.
fn run_job(
    slot: &mut Option<Worker>,
    command: &WorkerCommand,
    (timeout, start_timeout): (Duration, Duration),
    args: &[&str],
) -> Result<Rendered, RrdError> {
    if slot.is_none() {
        *slot = Some(Worker::start(command, start_timeout)?);
    }
    let Some(worker) = slot.as_mut() else {
        return Err(RrdError::Worker("no worker".into()));
    };
    let child = Arc::clone(&worker.child);
    let (outcome, timed_out) = with_deadline(&child, timeout, || {
        write_request(&mut worker.stdin, args).and_then(|()| read_answer(&mut worker.stdout))
    });
    match outcome {
        Ok(answer) => answer,
        Err(e) => {
            let note = if timed_out {
                format!("the graph took longer than {timeout:?}; the worker was killed")
            } else {
                format!("{} ({e})", worker.exit_note())
            };
            // Replace the worker for the next job.
            *slot = None;
            Err(RrdError::Worker(note))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip() {
        let mut buf = Vec::new();
        write_request(&mut buf, &["-", "COMMENT:a\\: b", "ünïcode"]).unwrap();
        write_request(&mut buf, &[]).unwrap();
        let mut r = &buf[..];
        assert_eq!(
            read_request(&mut r).unwrap().unwrap(),
            ["-", "COMMENT:a\\: b", "ünïcode"]
        );
        assert_eq!(read_request(&mut r).unwrap().unwrap(), Vec::<String>::new());
        assert!(read_request(&mut r).unwrap().is_none());
    }

    #[test]
    fn answer_round_trip() {
        let rendered = Rendered::from_info(Info::new(vec![
            ("print[0]".into(), InfoValue::Text("1.0".into())),
            ("graph_width".into(), InfoValue::Count(400)),
            ("graph_height".into(), InfoValue::Count(100)),
            ("image_width".into(), InfoValue::Count(481)),
            ("image_height".into(), InfoValue::Count(155)),
            ("value_min".into(), InfoValue::Value(-0.5)),
            ("value_max".into(), InfoValue::Value(2.0)),
            ("x".into(), InfoValue::Int(-3)),
            (
                "image".into(),
                InfoValue::Blob(vec![0x89, b'P', b'N', b'G']),
            ),
        ]))
        .unwrap();
        let mut buf = Vec::new();
        write_answer(&mut buf, &Ok(rendered.clone())).unwrap();
        let err = RrdError::Librrd {
            op: "graph",
            message: "opening 'x.rrd': No such file or directory".into(),
        };
        write_answer(&mut buf, &Err(err.clone())).unwrap();
        let mut r = &buf[..];
        assert_eq!(read_answer(&mut r).unwrap().unwrap(), rendered);
        assert_eq!(read_answer(&mut r).unwrap().unwrap_err(), err);
    }

    #[test]
    fn hostile_answers_are_bounded() {
        // An answer that announces 4 GiB of text.
        let mut buf = vec![0u8];
        buf.extend_from_slice(&1u32.to_le_bytes());
        buf.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            read_answer(&mut &buf[..]).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // Too many entries.
        let mut buf = vec![0u8];
        buf.extend_from_slice(&(MAX_ENTRIES + 1).to_le_bytes());
        assert!(read_answer(&mut &buf[..]).is_err());
        // Truncated.
        assert!(read_answer(&mut &[0u8, 1, 0][..]).is_err());
        assert!(read_answer(&mut &[7u8][..]).is_err());
    }

    #[test]
    fn serve_worker_answers_each_request() {
        let mut input = Vec::new();
        write_request(
            &mut input,
            &["-", "DEF:x=/nonexistent/w.rrd:a:AVERAGE", "LINE1:x#f00"],
        )
        .unwrap();
        let mut output = Vec::new();
        serve_worker(&input[..], &mut output).unwrap();
        assert!(output.starts_with(HELLO));
        let answer = read_answer(&mut &output[HELLO.len()..]).unwrap();
        assert!(
            matches!(&answer, Err(RrdError::Librrd { op: "graph", message }) if message.contains("/nonexistent/w.rrd")),
            "{answer:?}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_answers_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = read_answer(&mut &bytes[..]);
            let _ = read_request(&mut &bytes[..]);
        }
    }

    #[test]
    fn builder_checks() {
        assert!(matches!(
            BatchRenderer::builder().workers(0).build(),
            Err(RrdError::Invalid { .. })
        ));
        assert!(matches!(
            BatchRenderer::builder().timeout(Duration::ZERO).build(),
            Err(RrdError::Invalid { .. })
        ));
        let b = BatchRenderer::builder().workers(3).build().unwrap();
        assert_eq!(b.workers(), 3);
    }
}
