//! `opskit scan`: one scan plan on one or more clamd hosts, with clamdscan's exit status.
//!
//! Every host gets PING, then the optional RELOAD, VERSION and STATS, then the scan: a path
//! scan on the host's own file system (`scan`, `contscan`, `multiscan`, `allmatch`), or local
//! files sent with INSTREAM (`stream`) or passed by descriptor over a Unix socket (`fdpass`).
//! Directories given to `stream` and `fdpass` are walked here with [`clamd_proto::walk`],
//! which never aborts: an unreadable file or directory, a path longer than the kernel's
//! 4096-byte `PATH_MAX`, a symbolic link loop or dangling link, a special file (device, FIFO,
//! socket) and an entry that vanishes during the walk are each an error for that entry
//! (`<path>: <reason> ERROR`), and the rest is scanned. Links to files are followed; links to
//! directories below a named path are not (`<path>: symbolic link to a directory, not
//! followed SKIPPED`). A file that vanishes between the walk and its scan is an `ERROR` line
//! for that file on each host.
//!
//! Exit status, as clamdscan's: 1 if anything was found (even if other files or hosts had
//! errors), otherwise 2 if there was any error (a walk entry, a scan line or a host),
//! otherwise 0. The summary's `Errors:` is clamdscan's `Total errors`: walk errors (once) plus
//! error lines plus failed hosts.
//!
//! When standard error is a terminal, a progress line (`scanning: done/total`) shows for long
//! scans: 50 jobs (paths or files times hosts) or more, or once a second has passed.
//!
//! # JSON
//!
//! `--json` prints one object:
//!
//! ```text
//! {"hosts":[{"host":"127.0.0.1:3310","ok":true,"version":"ClamAV 1.4.6","error":null,
//!   "results":[{"path":"/srv/a","status":"infected","signature":"Eicar","message":null}]}],
//!  "walk_errors":[{"path":"/srv/p","reason":"permission_denied","message":"permission denied"}],
//!  "skipped":[{"path":"/srv/l","reason":"directory_symlink",
//!   "message":"symbolic link to a directory, not followed"}],
//!  "summary":{"hosts":1,"hosts_failed":0,"infected":1,"file_errors":0,"walk_errors":1,
//!   "errors":1,"status":"infected"}}
//! ```
//!
//! `status` is `clean`, `infected` or `error`; `signature` is set for `infected` and `message`
//! for `error`. A walk error's `reason` is one of `permission_denied`, `name_too_long`,
//! `symlink_loop`, `dangling_symlink`, `special_file`, `vanished`, `not_found`,
//! `contains_nul`, `os_error`, and `message` says it in words. `summary.errors` is the total
//! of `walk_errors`, `file_errors` and `hosts_failed`. Paths are JSON strings. A path that is not valid UTF-8 is still represented
//! losslessly: each byte that is not part of valid UTF-8 is written as the escape of a lone
//! low surrogate, `\udc80` to `\udcff` for bytes 0x80 to 0xff (PEP 383 "surrogateescape").
//! No valid UTF-8 text can contain such a code point, so the encoding is unambiguous; in
//! Python, `os.fsencode(json.loads(text)["hosts"][0]["results"][0]["path"])` gives back the
//! exact bytes.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clamd_proto::{
    Client, Endpoint, Fleet, FleetReport, HostReport, Progress, ScanMode, ScanPlan, Verdict,
};

use crate::error::{Error, Exit, Result};

/// The socket of Debian's clamav-daemon, used when no host is given.
const DEFAULT_SOCKET: &str = "/run/clamav/clamd.ctl";

/// Arguments of `opskit scan`. `-V/--version` is opskit's own, as in every subcommand; the
/// hosts' versions are asked for with `--server-version`.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status (as clamdscan's): 1 if anything was found, even when other files or \
                  hosts had errors; otherwise 2 if any file or host had an error; otherwise 0. \
                  Errors are counted in the summary either way.\n\n\
                  Local walks (stream, fdpass) never abort: an unreadable file or directory, a \
                  path longer than the kernel's PATH_MAX (4096 bytes), a symbolic link loop or \
                  dangling link, a special file (device, FIFO, socket) and an entry that \
                  vanishes are each an ERROR line for that entry, counted in Errors, and the \
                  rest is scanned. Links to files are followed; links to directories inside a \
                  named directory are not (a SKIPPED line). Order: as given, then names in byte \
                  order, depth first. The summary's Errors is clamdscan's Total errors: walk \
                  errors (once), error lines and failed hosts."
)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
pub(crate) struct Args {
    /// A clamd over TCP, as HOST or HOST:PORT (default port 3310). Repeatable.
    #[arg(long = "host", value_name = "HOST[:PORT]")]
    hosts: Vec<String>,
    /// A clamd Unix socket. Repeatable. With neither --host nor --unix, Debian's
    /// /run/clamav/clamd.ctl.
    #[arg(long = "unix", value_name = "PATH")]
    unix: Vec<PathBuf>,
    /// How to scan: a path scan on the hosts, or local files streamed (stream) or passed by
    /// descriptor (fdpass, Unix sockets only).
    #[arg(long, value_enum, default_value_t = ModeArg::Contscan)]
    mode: ModeArg,
    /// Reload the virus database on each host first.
    #[arg(long)]
    reload: bool,
    /// Print each host's PING round trip.
    #[arg(long)]
    ping: bool,
    /// Print each host's clamd version (VERSION).
    #[arg(long)]
    server_version: bool,
    /// Print each host's STATS (to standard error with --json).
    #[arg(long)]
    stats: bool,
    /// Deadline for each host's whole session: seconds, or a span such as 10m (default 600 s).
    #[arg(long, value_name = "SPAN", default_value = "600", value_parser = crate::duration::parse)]
    host_timeout: Duration,
    /// Connections open at once, over all hosts and to each host. The soft open-file limit is
    /// raised to the hard one, and N is capped (with a warning) to (limit - 32) / 2.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Print one JSON object (see the module docs for the format).
    #[arg(long)]
    json: bool,
    /// Paths to scan: on the hosts for path scans, local for stream and fdpass.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ModeArg {
    Scan,
    Contscan,
    Multiscan,
    Allmatch,
    Stream,
    Fdpass,
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "the interface every subcommand shares with main.rs"
)]
pub(crate) fn run(args: Args) -> Result<Exit> {
    let mut hosts = Vec::new();
    for h in &args.hosts {
        let ep: Endpoint = h
            .parse()
            .map_err(|e| Error::Usage(format!("--host {h}: {e}")))?;
        if ep.is_unix() {
            return Err(Error::Usage(format!(
                "--host {h}: a socket path goes to --unix"
            )));
        }
        hosts.push(ep);
    }
    hosts.extend(args.unix.iter().map(Endpoint::unix));
    if hosts.is_empty() {
        hosts.push(Endpoint::unix(DEFAULT_SOCKET));
    }
    let timeout = args.host_timeout;
    let concurrency = fit_concurrency(args.concurrency.max(1));
    let plan = target(&args)
        .reload(args.reload)
        .version(true)
        .stats(args.stats);
    let client = Client::builder(Endpoint::unix("/"))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)));
    let fleet = Fleet::new(hosts)
        .client(client)
        .concurrency(concurrency)
        .per_host(concurrency)
        .host_timeout(timeout);

    let progress = Spinner::new(!args.json && std::io::stderr().is_terminal());
    let report = fleet.run_with_progress(&plan, |p| progress.update(p))?;
    progress.clear();

    let mut out = std::io::stdout().lock();
    let printed = if args.json {
        if args.stats {
            for h in &report.hosts {
                if let Some(s) = &h.stats {
                    eprintln!("{} STATS:\n{}", h.endpoint, s.raw);
                }
            }
        }
        writeln!(out, "{}", json(&report))
    } else {
        write!(out, "{}", text(&report, &args))
    };
    if let Err(e) = printed.and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Error::io("writing the report", e));
    }
    Ok(Exit::code(report.summary().exit_code()))
}

/// File descriptors kept free for everything but scan connections (standard streams, the
/// walk, the allocator, libraries).
const SPARE_FDS: u64 = 32;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and caps `wanted` connections to what
/// fits in it: two descriptors per connection (the socket, and the file sent by `stream` or
/// `fdpass`), after [`SPARE_FDS`]. A cap is a warning, not an error, so that no scan fails
/// with EMFILE.
fn fit_concurrency(wanted: usize) -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => limit = getrlimit(Resource::Nofile),
            Err(e) => crate::error::warn(format_args!(
                "raising the open-file limit to its hard limit: {e}"
            )),
        }
    }
    let Some(soft) = limit.current else {
        return wanted;
    };
    let fits = usize::try_from(soft.saturating_sub(SPARE_FDS) / 2)
        .unwrap_or(usize::MAX)
        .max(1);
    if wanted > fits {
        crate::error::warn(format_args!(
            "--concurrency {wanted} needs more file descriptors than the open-file limit of \
             {soft} allows; using {fits}"
        ));
        return fits;
    }
    wanted
}

/// The plan's target. For `stream` and `fdpass` the paths are walked here with
/// [`clamd_proto::walk`], which never aborts: its errors and skipped entries go into the plan
/// and so into the report.
fn target(args: &Args) -> ScanPlan {
    if args.paths.is_empty() {
        return ScanPlan::new();
    }
    let mode = match args.mode {
        ModeArg::Scan => ScanMode::Scan,
        ModeArg::Contscan => ScanMode::ContScan,
        ModeArg::Multiscan => ScanMode::MultiScan,
        ModeArg::Allmatch => ScanMode::AllMatchScan,
        ModeArg::Stream => return ScanPlan::stream_walk(clamd_proto::walk(&args.paths)),
        ModeArg::Fdpass => return ScanPlan::fildes_walk(clamd_proto::walk(&args.paths)),
    };
    ScanPlan::paths(mode, &args.paths)
}

fn text(report: &FleetReport, args: &Args) -> String {
    let mut s = String::new();
    walk_text(&mut s, report);
    for h in &report.hosts {
        host_text(&mut s, h, args);
    }
    let sum = report.summary();
    let _ = writeln!(s, "----------- SCAN SUMMARY -----------");
    let _ = writeln!(s, "Hosts: {} ({} failed)", sum.hosts, sum.hosts_failed);
    let _ = writeln!(s, "Infected files: {}", sum.infected);
    let _ = writeln!(s, "Errors: {}", sum.errors);
    let status = match sum.status {
        clamd_proto::FleetStatus::AllClean => "all clean",
        clamd_proto::FleetStatus::Infected => "infected",
        clamd_proto::FleetStatus::Incomplete => "incomplete",
    };
    let _ = writeln!(s, "Status: {status}");
    let _ = writeln!(s, "Time: {:.3} s", report.elapsed.as_secs_f64());
    s
}

/// The local walk's errors and skips, in clamdscan's line form.
fn walk_text(s: &mut String, report: &FleetReport) {
    for e in &report.walk_errors {
        let _ = writeln!(s, "{e} ERROR");
    }
    for k in &report.skipped {
        let _ = writeln!(s, "{k} SKIPPED");
    }
}

fn host_text(s: &mut String, h: &HostReport, args: &Args) {
    match (&h.error, h.latency) {
        (Some(e), None) => {
            let _ = writeln!(s, "{} connection [FAILED] {e}", h.endpoint);
        }
        _ => {
            let _ = writeln!(s, "{} connection [OK]", h.endpoint);
        }
    }
    if args.ping
        && let Some(l) = h.latency
    {
        let _ = writeln!(s, "{} ping {:.3} ms", h.endpoint, l.as_secs_f64() * 1e3);
    }
    if args.server_version
        && let Some(v) = &h.version
    {
        let _ = writeln!(s, "{} version {v}", h.endpoint);
    }
    if args.stats
        && let Some(st) = &h.stats
    {
        let _ = writeln!(s, "{} stats:\n{}", h.endpoint, st.raw.trim_end());
    }
    for r in &h.results {
        let _ = writeln!(s, "{r}");
    }
    if let (Some(e), Some(_)) = (&h.error, h.latency) {
        let _ = writeln!(s, "{} ERROR {e}", h.endpoint);
    }
}

fn json(report: &FleetReport) -> String {
    let mut s = String::from("{\"hosts\":[");
    for (i, h) in report.hosts.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"host\":");
        s.push_str(&json_str(&h.endpoint.to_string()));
        let _ = write!(s, ",\"ok\":{}", h.ok());
        s.push_str(",\"version\":");
        s.push_str(
            &h.version
                .as_ref()
                .map_or("null".into(), |v| json_str(&v.to_string())),
        );
        s.push_str(",\"error\":");
        s.push_str(
            &h.error
                .as_ref()
                .map_or("null".into(), |e| json_str(&e.to_string())),
        );
        s.push_str(",\"results\":[");
        for (j, r) in h.results.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push_str("{\"path\":");
            s.push_str(&json_path(r.path_bytes()));
            let (status, signature, message) = match r.verdict() {
                Verdict::Clean => ("clean", None, None),
                Verdict::Found(sig) => ("infected", Some(sig), None),
                Verdict::Error(msg) => ("error", None, Some(msg)),
            };
            let _ = write!(s, ",\"status\":\"{status}\"");
            s.push_str(",\"signature\":");
            s.push_str(&signature.map_or("null".into(), |v| json_str(v)));
            s.push_str(",\"message\":");
            s.push_str(&message.map_or("null".into(), |v| json_str(v)));
            s.push('}');
        }
        s.push_str("]}");
    }
    s.push(']');
    walk_json(&mut s, report);
    s.push('}');
    s
}

/// The local walk's errors and skips, and the summary, as members of the top-level object.
fn walk_json(s: &mut String, report: &FleetReport) {
    let entry = |path: &Path, reason: &str, message: String| {
        format!(
            "{{\"path\":{},\"reason\":\"{reason}\",\"message\":{}}}",
            json_path(path.as_os_str().as_bytes()),
            json_str(&message)
        )
    };
    let errors: Vec<String> = report
        .walk_errors
        .iter()
        .map(|e| entry(&e.path, e.reason.name(), e.reason.to_string()))
        .collect();
    let skipped: Vec<String> = report
        .skipped
        .iter()
        .map(|k| entry(&k.path, k.reason.name(), k.reason.to_string()))
        .collect();
    let summary = serde_json::to_string(&report.summary()).unwrap_or_else(|_| "null".into());
    let _ = write!(
        s,
        ",\"walk_errors\":[{}],\"skipped\":[{}],\"summary\":{summary}",
        errors.join(","),
        skipped.join(",")
    );
}

fn json_str(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// A JSON string for path bytes: valid UTF-8 as is, every other byte as `\udcXX`.
fn json_path(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let valid = json_str(chunk.valid());
        s.push_str(&valid[1..valid.len() - 1]);
        for b in chunk.invalid() {
            let _ = write!(s, "\\udc{b:02x}");
        }
    }
    s.push('"');
    s
}

/// A progress line on standard error, only on a terminal and only for long scans (50 jobs or
/// more, or once a second has passed).
struct Spinner {
    enabled: bool,
    start: Instant,
    shown: Mutex<bool>,
}

impl Spinner {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            start: Instant::now(),
            shown: Mutex::new(false),
        }
    }

    fn update(&self, p: Progress) {
        // A long scan: many jobs, or a few that take a while.
        let long = p.total >= 50 || self.start.elapsed() >= Duration::from_secs(1);
        if !self.enabled || !long {
            return;
        }
        if let Ok(mut shown) = self.shown.lock() {
            *shown = true;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\rscanning: {}/{} ", p.done, p.total);
            let _ = err.flush();
        }
    }

    fn clear(&self) {
        if self.shown.lock().is_ok_and(|s| *s) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_are_lossless() {
        assert_eq!(json_path(b"/a \"b\"\n"), r#""/a \"b\"\n""#);
        assert_eq!(json_path(b"/t/caf\xe9"), r#""/t/caf\udce9""#);
        assert_eq!(json_path("/t/café".as_bytes()), "\"/t/café\"");
        // Decoding the escapes back gives the original bytes.
        let text = json_path(b"/x\xff\xfe");
        let back: Vec<u8> = text
            .trim_matches('"')
            .split("\\udc")
            .enumerate()
            .flat_map(|(i, part)| {
                if i == 0 {
                    part.as_bytes().to_vec()
                } else {
                    let mut v = vec![u8::from_str_radix(&part[..2], 16).unwrap()];
                    v.extend_from_slice(&part.as_bytes()[2..]);
                    v
                }
            })
            .collect();
        assert_eq!(back, b"/x\xff\xfe");
    }
}
