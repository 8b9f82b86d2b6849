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
//! errors), otherwise 2 if there was any error (a walk entry, a scan line or a host) or a host
//! was not scanned, otherwise 0. A one-shot scan stopped by SIGTERM or SIGINT exits 3 (see
//! below). The summary's `Errors:` is clamdscan's `Total errors`: walk
//! errors (once) plus error lines plus failed and unscanned hosts.
//!
//! # TLS
//!
//! clamd speaks no TLS; operators put stunnel in front of it. `--host tls://IP:PORT#NAME`
//! reaches such a clamd over TLS (rustls): the address is an IP address, never a host name
//! (nothing is resolved), and the server's certificate must be signed by the CA of
//! `--tls-ca` (PEM) and valid for `NAME` (or for the IP address, without `#NAME`).
//! `--tls-cert` and `--tls-key` give a client certificate to a stunnel that requires one
//! (`verify = 2`). A wrong CA or name fails the host with its own error before any clamd
//! command is sent; the handshake counts against `--connect-timeout`, so a TLS server that
//! stalls it fails the host by then. A policy sets `tls_ca`, `tls_cert` and `tls_key` per
//! environment; the flags serve the environments that set no `tls_ca`.
//!
//! # Deadlines and limits
//!
//! - `--host-timeout` (600 s): each host's deadline, from when it gets its first connection;
//!   time spent waiting behind other hosts for `--concurrency` does not count, so a stalled
//!   host never makes a healthy one miss its deadline. A path or file not started by then is
//!   not scanned and never connects.
//! - `--connect-timeout` (5 s): one connect, never longer than what is left of the host's
//!   deadline.
//! - `--deadline` (none): the whole run. Hosts not started by then are never contacted and
//!   are reported as not scanned, with the reason.
//! - `--max-results` (1,000,000) and `--max-result-bytes` (64 MiB, each result counting its
//!   path and message plus 128 bytes): the results kept per host. Past either, the host's scan
//!   ends with an error and the results so far are kept and printed.
//!
//! Results that arrived before a failure (a stall, a deadline, a reset, a cut or garbled
//! line, a result cap) are always printed, with the error next to the host or path.
//!
//! # Live output
//!
//! Results are printed as clamd sends them: CONTSCAN, MULTISCAN and ALLMATCHSCAN send one line
//! per infected or failed file during the scan, and each line is shown then, not when the
//! fleet is done. Each host's `connection [OK]` line comes when it has answered PING (and
//! RELOAD, VERSION), its errors when it is done. With several hosts, scan lines start with
//! the host. When standard error is a terminal (and without `--json`), a progress bar per
//! host shows files scanned, infected, errors and elapsed time; it is cleared at the end.
//!
//! # clamdscan's flags
//!
//! `-m/--multiscan`, `--stream` and `--fdpass` choose the mode as `--mode` does;
//! `-i/--infected` prints only infected lines; `--no-summary` leaves out the summary;
//! `-f/--file-list FILE` reads paths to scan, one per line; a path `-` streams standard
//! input (spooled once, then sent to every host; its lines read `stdin: ...`). Running with
//! no path is an error, not an empty "all clean" run.
//!
//! # Policies
//!
//! `--policy FILE` runs the environments of a policy file (`clamd_proto::policy` documents
//! the format): each environment's hosts, mode, paths, excludes, RELOAD, per-host timeout and
//! concurrency. `--env NAME` runs one. Each host's signature version and date (from VERSION)
//! is printed, with a warning when it is older than the environment's `max_db_age`. The exit
//! status is clamdscan's over all environments. With `--json`, one JSON document (the format
//! below) per environment, one per line, in name order, each with an `environment` object:
//! its `name` and `db_warnings`, one per host whose signatures are `stale` (with `date`,
//! `age_seconds`, `max_seconds`) or `undated`, each with a `message`. The warnings also go to
//! standard error.
//!
//! `--daemon` runs each environment on its schedule (`every`: at start, then at that
//! interval; `cron`: at the cron times, UTC) until SIGTERM or SIGINT. Results are printed as
//! they arrive, so everything received is on standard output when it stops; a run cut short
//! by the signal is reported as interrupted, with the results it received. SIGHUP reads the
//! policy again: new environments start, removed ones stop being scheduled, and a policy
//! with a mistake is refused with a warning and the old one kept. One environment's failure
//! (even of its whole fleet) never stops the others. The exit status is 0 after a clean stop,
//! 2 when a run was interrupted.
//!
//! # Signals
//!
//! SIGTERM or SIGINT stops a one-shot scan (plain, `-f`, `-`, `--pool`, or `--policy` run
//! once) cleanly: nothing more is sent, and nothing that arrives after the signal is printed
//! or recorded. Every result received before it was printed as it came and is recorded in
//! the history (a host that had not finished as `failed`, "interrupted by a signal before it
//! finished", with the lines it had sent); each local file (stream, fdpass) that got no
//! result is listed as `PATH not scanned: interrupted` (a path scan's unfinished hosts as
//! `HOST interrupted before it finished`), then `run interrupted by SIGTERM: ...` and a
//! partial summary with `Status: interrupted`. The run is marked `interrupted` in the
//! history and the exit status is 3, apart from clamdscan's 0, 1 and 2. A second signal exits
//! at once, even while the first is being handled. With `--json` the lines go to standard
//! error and no document is written.
//!
//! # History
//!
//! Every policy run (once or by the daemon) is recorded in the run history
//! (`clamd_proto::history`, whose docs hold the schema): each run's environment, policy,
//! mode, paths, start, end and status; each host's state, VERSION, signature database
//! version and date, PING latency, time, jobs and error; every infected file with its
//! signature, every per-file error and failed path, and the local walk's errors. `--db PATH`
//! is an `SQLite` file compiled into opskit, `--db postgres://USER@HOST[:PORT]/DB` a
//! PostgreSQL server that several management hosts share, with the same schema, also
//! over TLS with `?sslmode=verify-full&sslrootcert=CA.pem` (the certificate signed by
//! that CA and valid for HOST, checked without resolving it when `hostaddr=IP` gives the
//! address), `verify-ca` (signed by it, any name) or `require` (encrypted; checked as
//! `verify-ca` with `sslrootcert`, else not at all, as libpq); rustls, and never the system's
//! trust store. `&sslcert=CRT&sslkey=KEY` (PEM, both or neither; no default files are read)
//! give a client certificate to a server that demands one; a key that group or others may
//! read is refused, as libpq does (at most 0600, or 0640 when root owns it). A wrong CA or name fails before any statement, and an ad-hoc scan before
//! any host is contacted. The default
//! is `$XDG_STATE_HOME/opskit/history.sqlite` when `XDG_STATE_HOME` is set (absolute), else
//! `/var/lib/opskit/history.sqlite` for root, else `~/.local/state/opskit/history.sqlite`;
//! `--no-history` records nothing.
//!
//! Scans without `--policy` (plain, `--pool`, `-f`, `-`) are recorded too, as runs of the
//! environment `@adhoc`, which no policy can name (a policy's names are letters, digits, `-`
//! and `_`), with an empty policy: their hosts, mode, paths as given (`-` for standard
//! input, whose findings are `stdin`), versions, infections, per-file errors and status. A
//! plain scan records each host when it is done, as a policy run does (with standard input,
//! at the end); a pool run is written whole at its end, each file's finding with the host
//! that scanned it, and a pool run killed midway keeps only its start. Either, killed, is
//! marked `incomplete` by the next opskit that opens the history. An ad-hoc scan whose
//! history cannot be opened fails before any host is contacted (`--no-history` scans
//! without one).
//!
//! A run's start, each finished host and its end are each one transaction, so a daemon
//! killed with SIGKILL leaves a consistent history whose cut run is `running` with the hosts
//! it finished; the next opskit that opens the history on the same host sees that the run's
//! process is gone and marks it `incomplete` (with no end). One stopped by SIGTERM or SIGINT
//! is marked `interrupted`. On a PostgreSQL history shared by several management hosts, a
//! run of another host is judged by its lease instead (`--history-lease`, 5 minutes by
//! default): its owner renews a heartbeat four times within it, and once the last heartbeat
//! is older than the lease, in the database's clock, the next opskit that opens the history
//! marks the run `incomplete`.
//!
//! `opskit scan history [--env NAME] [--since T] [--json]` lists the runs;
//! `opskit scan report [--run ID | --new] [--env NAME] [--json]` shows one (the latest by
//! default), or with `--new` what changed since the previous run of each environment: new
//! infections, infections gone (on hosts scanned completely), hosts that failed and hosts
//! that recovered; it exits 1 when there are new infections or newly failed hosts. An
//! `@adhoc` run is compared with the previous `@adhoc` run over the same paths (in the same
//! order) and the same set of hosts, not with whatever ran before it. Their
//! JSON Schemas are `schemas/scan-history.json`, `scan-report.json` and
//! `scan-report-new.json`.
//!
//! # Pools
//!
//! `--pool` with `stream` or `fdpass` spreads the local files over the hosts instead of
//! sending each file to every host (the `pool` module documents its output): each file goes
//! to the host with the fewest bytes in flight, a host that dies (refused, reset, no verdict
//! within `--file-timeout`, 60 s) is taken out and its unfinished files go to the others, and
//! every file is reported once with the host that scanned it. A host that died is probed
//! (PING) after `--retry-first` (1 s), then after twice the last wait up to `--retry-max`
//! (30 s), and takes files again when it answers; after `--retry-probes` (5) failed probes
//! it is out for the run. With every host given up, or still down at `--deadline`, the rest
//! are reported as not scanned and the exit status is 2.
//!
//! # JSON
//!
//! `--json` prints one object, the library's `clamd_proto::FleetReport` serialized, which
//! the JSON Schema `schemas/scan.json` of the opskit sources describes:
//!
//! ```text
//! {"hosts":[{"host":"127.0.0.1:3310","ok":true,"state":"done","reason":null,
//!   "version":"ClamAV 1.4.6","error":null,
//!   "tally":{"given":1,"done":1,"failed":0,"skipped":0},
//!   "results":[{"path":"/srv/a","status":"infected","signature":"Eicar","message":null}],
//!   "incomplete":[]}],
//!  "walk_errors":[{"path":"/srv/p","reason":"permission_denied","message":"permission denied"}],
//!  "skipped":[{"path":"/srv/l","reason":"directory_symlink",
//!   "message":"symbolic link to a directory, not followed"}],
//!  "summary":{"hosts":1,"hosts_failed":0,"hosts_not_scanned":0,
//!   "jobs":{"given":1,"done":1,"failed":0,"skipped":0},"infected":1,"file_errors":0,
//!   "walk_errors":1,"errors":1,"status":"infected"}}
//! ```
//!
//! `walk_errors` and `skipped` are the local walk's entries that were not scanned (`stream`
//! and `fdpass`). A walk error's `reason` is one of `permission_denied`, `name_too_long`,
//! `symlink_loop`, `dangling_symlink`, `special_file`, `vanished`, `not_found`,
//! `contains_nul`, `os_error`, and `message` says it in words. `summary.errors` is the total of
//! `walk_errors`, `file_errors`, `hosts_failed` and `hosts_not_scanned`.
//!
//! A host's `state` is `done`, `failed` or `not_scanned`; `reason` says why a host was not
//! scanned (e.g. `the run's deadline passed`), and `error` is the host's first error. `tally`
//! counts its paths or files (jobs): `given` is always `done + failed + skipped`.
//! `incomplete` lists the jobs that did not complete: `state` `failed` with its `error`, or
//! `not_scanned` with its `reason`. A result's `status` is `clean`, `infected` or `error`;
//! `signature` is set for `infected` and `message` for `error`. Results that arrived before a
//! failure are in `results`.
//!
//! Paths are JSON strings. A path that is not valid UTF-8 is still represented
//! losslessly: each byte that is not part of valid UTF-8 is written as the escape of a lone
//! low surrogate, `\udc80` to `\udcff` for bytes 0x80 to 0xff (PEP 383 "surrogateescape").
//! No valid UTF-8 text can contain such a code point, so the encoding is unambiguous; in
//! Python, `os.fsencode(json.loads(text)["hosts"][0]["results"][0]["path"])` gives back the
//! exact bytes.

mod history;
mod interrupt;
mod json;
mod live;
mod policy;
mod pool;
mod pool_cut;
mod query;
mod received;
mod signals;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clamd_proto::{Endpoint, Fleet, FleetReport, ScanMode, ScanPlan, ScanResult};

use crate::error::{Error, Exit, Result};

/// The socket of Debian's clamav-daemon, used when no host is given.
const DEFAULT_SOCKET: &str = "/run/clamav/clamd.ctl";

/// Arguments of `opskit scan`. `-V/--version` is opskit's own, as in every subcommand; the
/// hosts' versions are asked for with `--server-version`.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status (as clamdscan's): 1 if anything was found, even when other files or \
                  hosts had errors; otherwise 2 if any file or host had an error or was not \
                  scanned; otherwise 0. Errors are counted in the summary either way. Results \
                  that arrived before a failure (a stall, a deadline, a reset, a result cap) \
                  are kept and printed with the error. SIGTERM or SIGINT stops a one-shot scan \
                  (plain, -f, -, --pool, --policy once) cleanly: every result already received \
                  is printed once and recorded, each file without one is listed as not \
                  scanned, the history run is marked interrupted, a partial summary says so, \
                  and the exit status is 3; a second signal exits at once.\n\n\
                  Results are printed as clamd sends them (CONTSCAN and MULTISCAN stream one \
                  line per infected or failed file); on a terminal a progress bar per host \
                  shows files scanned, infected, errors and elapsed time.\n\n\
                  Modes: scan stops at the first infected file; contscan and multiscan report \
                  every infected file (multiscan with clamd's threads in parallel); allmatch \
                  reports every signature that matches each file. A clamd that stops at the \
                  first match (AllowAllMatchScan no in clamd.conf) refuses ALLMATCHSCAN: each \
                  path gets clamd's ERROR line (ALLMATCHSCAN command disabled by clamd \
                  configuration.), counted in Errors, and nothing under it is scanned or \
                  reported clean; use contscan there for the first match of each file.\n\n\
                  Local walks (stream, fdpass) never abort: an unreadable file or directory, a \
                  path longer than the kernel's PATH_MAX (4096 bytes), a symbolic link loop or \
                  dangling link, a special file (device, FIFO, socket) and an entry that \
                  vanishes are each an ERROR line for that entry, counted in Errors, and the \
                  rest is scanned. Links to files are followed; links to directories inside a \
                  named directory are not (a SKIPPED line). Order: as given, then names in byte \
                  order, depth first. The summary's Errors is clamdscan's Total errors: walk \
                  errors (once), error lines, and failed and unscanned hosts.\n\n\
                  --policy FILE runs a scan policy (TOML, one [env.NAME] table per environment: \
                  hosts, mode, paths, exclude, reload, timeout, concurrency, every or cron, \
                  max_db_age, tls_ca, tls_cert, tls_key); --daemon runs each environment on its schedule until SIGTERM or \
                  SIGINT, and SIGHUP reloads the policy. Every run, of a policy or not (then as \
                  env @adhoc, a name no policy can have), is recorded in the \
                  history (--db PATH or postgres:// URL, over TLS with \
                  ?sslmode=verify-full&sslrootcert=CA.pem; default \
                  $XDG_STATE_HOME/opskit/history.sqlite, else /var/lib/opskit/history.sqlite \
                  for root, else ~/.local/state/opskit/history.sqlite; --no-history records \
                  nothing): `opskit scan history` lists the runs, `opskit scan report` shows \
                  one, `opskit scan report --new` what changed since the previous run (of @adhoc: \
                  the previous over the same hosts and paths; a path to \
                  scan named history or report is written ./history or ./report).\n\n\
                  --pool (with --stream or --fdpass) shares the files among the hosts instead \
                  of sending each to all: the next file goes to the host with the fewest bytes \
                  in flight; a host that dies is taken out and its unfinished files move to \
                  the others; it is probed (PING) after --retry-first, doubling up to \
                  --retry-max, and rejoins when it answers, until --retry-probes probes have \
                  failed; every file is reported once, with its host, and the summary gives \
                  each host's share, its outages and the failovers. --json then prints the document \
                  of schemas/scan-pool.json."
)]
#[command(args_conflicts_with_subcommands = true)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
pub(crate) struct Args {
    /// A clamd over TCP, as HOST or HOST:PORT (default port 3310), or behind a TLS
    /// terminator such as stunnel as tls://IP:PORT#NAME (an IP address, never resolved; the
    /// certificate must be valid for NAME, or for the IP address without #NAME; needs
    /// --tls-ca). Repeatable.
    #[arg(long = "host", value_name = "HOST[:PORT]")]
    hosts: Vec<String>,
    /// A clamd Unix socket. Repeatable. With neither --host nor --unix, Debian's
    /// /run/clamav/clamd.ctl.
    #[arg(long = "unix", value_name = "PATH")]
    unix: Vec<PathBuf>,
    /// How to scan: a path scan on the hosts, or local files streamed (stream) or passed by
    /// descriptor (fdpass, Unix sockets only). allmatch on a clamd with `AllowAllMatchScan
    /// no` gives an ERROR line for every path of that host (see below).
    #[arg(long, value_enum, default_value_t = ModeArg::Contscan)]
    mode: ModeArg,
    /// clamdscan's -m: MULTISCAN, as --mode multiscan.
    #[arg(short = 'm', long, conflicts_with_all = ["stream", "fdpass"])]
    multiscan: bool,
    /// clamdscan's --stream: send local files with INSTREAM, as --mode stream.
    #[arg(long, conflicts_with = "fdpass")]
    stream: bool,
    /// clamdscan's --fdpass: pass local files by descriptor, as --mode fdpass.
    #[arg(long)]
    fdpass: bool,
    /// clamdscan's -i: print only infected lines (and failures of hosts and paths).
    #[arg(short = 'i', long)]
    infected: bool,
    /// clamdscan's --no-summary: leave out the summary.
    #[arg(long)]
    no_summary: bool,
    /// clamdscan's -f: read the paths to scan from FILE, one per line (after those given).
    #[arg(short = 'f', long, value_name = "FILE")]
    file_list: Option<PathBuf>,
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
    /// Deadline for each host's whole session, from when the host gets its first connection
    /// (waiting for --concurrency behind other hosts does not count): seconds, or a span such
    /// as 10m (default 600 s). A path or file not started by then is reported as not scanned.
    #[arg(long, value_name = "SPAN", default_value = "600", value_parser = crate::duration::parse)]
    host_timeout: Duration,
    /// Deadline for one connect, never longer than what is left of the host's deadline
    /// (default 5 s).
    #[arg(long, value_name = "SPAN", default_value = "5", value_parser = crate::duration::parse)]
    connect_timeout: Duration,
    /// Deadline for the whole run (default none). Hosts that have not started by then are
    /// never contacted and are reported as not scanned; a started host's deadline is cut to it.
    #[arg(long, value_name = "SPAN", value_parser = crate::duration::parse)]
    deadline: Option<Duration>,
    /// The most result lines kept per host (default 1000000). Past it the host's scan ends
    /// with an error; the results so far are kept and reported.
    #[arg(long, value_name = "N", default_value_t = clamd_proto::DEFAULT_MAX_RESULTS)]
    max_results: usize,
    /// The memory budget of the results kept per host: each result counts its path and
    /// message plus 128 bytes (default 64MiB; units KiB, MiB, GiB). Past it the host's scan
    /// ends with an error; the results so far are kept and reported.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = crate::size::parse)]
    max_result_bytes: usize,
    /// Connections open at once, over all hosts and to each host (at least 1). The soft
    /// open-file limit is raised to the hard one, and N is capped (with a warning) to
    /// (limit - 32) / 2.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// The CA certificates (PEM, at most 1 MiB) that sign the certificates of the tls://
    /// hosts; the system's trust store is never used. A tls:// host without it fails before
    /// any connect. Also for --pool; with --policy, for the environments that set no
    /// `tls_ca`.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// A client certificate (PEM) for tls:// hosts that require one (stunnel's verify = 2);
    /// needs --tls-key and --tls-ca.
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "tls_ca"])]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Print one JSON object: the format in the module docs, described by the JSON Schema
    /// `schemas/scan.json` of the opskit sources.
    #[arg(long)]
    json: bool,
    /// Run the environments of this scan policy (TOML) instead of --host/--unix and paths.
    /// The policy sets each environment's hosts, mode, paths, RELOAD, --host-timeout and
    /// --concurrency; --connect-timeout, --deadline and the result caps still apply.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = [
            "hosts", "unix", "paths", "file_list", "mode", "multiscan", "stream", "fdpass",
            "reload", "host_timeout", "concurrency"
        ]
    )]
    policy: Option<PathBuf>,
    /// With --policy: run only this environment.
    #[arg(long = "env", value_name = "NAME", requires = "policy")]
    env: Option<String>,
    /// With --policy: run each environment on its schedule until SIGTERM or SIGINT; SIGHUP
    /// reloads the policy.
    #[arg(long, requires = "policy")]
    daemon: bool,
    /// Record every run in this history (a scan without --policy as env @adhoc), an SQLite
    /// file (created with its directory if missing) or a PostgreSQL server shared by
    /// several management hosts
    /// (`postgres://USER@HOST[:PORT]/DB`; over TLS with
    /// `?sslmode=verify-full&sslrootcert=CA.pem`, or `verify-ca`, `require`). Default: `$XDG_STATE_HOME/opskit/history.sqlite`,
    /// else `/var/lib/opskit/history.sqlite` for root, else
    /// `~/.local/state/opskit/history.sqlite`. Each run's environment, policy, start, end and
    /// status, each host's state, version, signature date, timings and error, every
    /// infected file and every per-file error. Each write is a transaction; a run killed
    /// midway is marked incomplete, with the hosts it finished.
    #[arg(long, value_name = "PATH|URL", conflicts_with = "no_history")]
    db: Option<OsString>,
    /// Record nothing in the history.
    #[arg(long)]
    no_history: bool,
    /// The lease of the runs this process records. It renews a heartbeat on
    /// each running run four times within it; on a history that several management hosts
    /// share, any opskit that opens it marks another host's run incomplete once its last
    /// heartbeat is older than its lease (that host was killed, crashed or lost). Heartbeats
    /// use the database's clock. 4 s to 1 d.
    #[arg(
        long,
        value_name = "SPAN",
        default_value = "5m",
        value_parser = crate::duration::parse,
        conflicts_with = "no_history"
    )]
    history_lease: Duration,
    /// Query the run history instead of scanning (a path named like a query is written
    /// ./history or ./report).
    #[command(subcommand)]
    query: Option<query::Query>,
    /// With --stream or --fdpass: spread the local files over the hosts instead of sending
    /// every file to every host. Each file goes to the host with the fewest bytes in flight,
    /// over --concurrency connections shared among the hosts (at least one each). A host
    /// that refuses, resets, closes mid-reply or misses --file-timeout is taken out of the
    /// pool and its unfinished files go to the others; a file whose verdict arrived is never
    /// scanned again. The host is probed (PING) after --retry-first, then after twice the
    /// last wait (at most --retry-max), and takes files again when it answers; after
    /// --retry-probes failed probes it is out for the run. Every file is reported once, with
    /// the host that scanned it; while every host is down the files wait for one to come
    /// back, and with every host given up, or still down at --deadline, the rest are
    /// reported as not scanned (exit 2). At most 4096 files are queued ahead of the walk.
    #[arg(long, conflicts_with_all = ["policy", "reload", "ping", "server_version", "stats"])]
    pool: bool,
    /// With --pool: the deadline of one file's scan on one host, from connect to verdict
    /// (default 60 s). A host that misses it is taken out of the pool; the file moves on.
    #[arg(long, value_name = "SPAN", default_value = "60", value_parser = crate::duration::parse)]
    file_timeout: Duration,
    /// With --pool: how long a host that failed waits before its first probe (PING),
    /// default 1 s. Each failed probe doubles the wait, up to --retry-max.
    #[arg(long, value_name = "SPAN", default_value = "1", value_parser = crate::duration::parse)]
    retry_first: Duration,
    /// With --pool: the longest wait between two probes of a host that is down (default
    /// 30 s; at least --retry-first).
    #[arg(long, value_name = "SPAN", default_value = "30", value_parser = crate::duration::parse)]
    retry_max: Duration,
    /// With --pool: failed probes in a row before a host is out for the rest of the run
    /// (default 5; 0: a host that fails is never probed, and is out at once).
    #[arg(long, value_name = "N", default_value_t = clamd_proto::DEFAULT_RETRY_PROBES)]
    retry_probes: usize,
    /// With --pool: the deadline of one probe, from connect to PONG (default 5 s).
    #[arg(long, value_name = "SPAN", default_value = "5", value_parser = crate::duration::parse)]
    probe_timeout: Duration,
    /// Paths to scan: on the hosts for path scans, local for stream and fdpass; `-` streams
    /// standard input.
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

impl Args {
    /// The mode, with clamdscan's aliases.
    fn mode(&self) -> ModeArg {
        if self.multiscan {
            ModeArg::Multiscan
        } else if self.stream {
            ModeArg::Stream
        } else if self.fdpass {
            ModeArg::Fdpass
        } else {
            self.mode
        }
    }

    /// Client settings with the --tls-* files loaded (the defaults otherwise), for the
    /// fleet and the pool.
    fn client(&self) -> Result<clamd_proto::ClientConfig> {
        let mut b = clamd_proto::ClientBuilder::new();
        if let Some(p) = &self.tls_ca {
            b = b.tls_ca(p);
        }
        if let Some(p) = &self.tls_cert {
            b = b.tls_cert(p);
        }
        if let Some(p) = &self.tls_key {
            b = b.tls_key(p);
        }
        Ok(b.build_config()?)
    }

    fn show(&self) -> live::Show {
        live::Show {
            ping: self.ping,
            version: self.server_version,
            stats: self.stats,
            infected_only: self.infected,
        }
    }
}

/// Whether progress bars are drawn: on a terminal, never with --json.
fn bars(args: &Args) -> bool {
    !args.json && std::io::stderr().is_terminal()
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "the interface every subcommand shares with main.rs"
)]
pub(crate) fn run(args: Args) -> Result<Exit> {
    if let Some(q) = &args.query {
        return query::run(q);
    }
    if args.concurrency == 0 {
        return Err(Error::Usage("--concurrency must be at least 1".into()));
    }
    if args.max_results == 0 {
        return Err(Error::Usage("--max-results must be at least 1".into()));
    }
    if let Some(file) = &args.policy {
        return policy::run(&args, file);
    }
    let hosts = endpoints(&args)?;
    let mut paths = args.paths.clone();
    if let Some(list) = &args.file_list {
        paths.extend(file_list(list)?);
    }
    if paths.is_empty() {
        return Err(Error::Usage(
            "no path to scan: give paths, -f FILE, or - for standard input (a run with \
             nothing to scan would report nothing, not \"all clean\")"
                .into(),
        ));
    }
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && paths.len() > 1 {
        return Err(Error::Usage(
            "- (standard input) must be the only path".into(),
        ));
    }
    let concurrency = fit_concurrency(args.concurrency);
    let history = if args.no_history {
        None
    } else {
        Some(history::History::open(
            args.db.as_deref(),
            args.history_lease,
        )?)
    };
    if args.pool {
        return pool::run(&args, hosts, &paths, concurrency, history.as_ref());
    }
    fleet_scan(&args, hosts, &paths, concurrency, history.as_ref())
}

/// A scan of `paths` on every host of `hosts`, recorded in `history`.
fn fleet_scan(
    args: &Args,
    hosts: Vec<Endpoint>,
    paths: &[PathBuf],
    concurrency: usize,
    history: Option<&history::History>,
) -> Result<Exit> {
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    // Standard input is read once, into an unnamed-on-close temporary file that every host
    // is sent.
    let spool = if stdin { Some(spool_stdin()?) } else { None };
    let plan = match &spool {
        Some(f) => ScanPlan::stream([f.path()]),
        None => target(args.mode(), paths),
    }
    .reload(args.reload)
    .version(true)
    .stats(args.stats);
    let mut fleet = Fleet::builder(hosts)
        .concurrency(concurrency)
        .per_host(concurrency)
        .host_timeout(args.host_timeout)
        .connect_timeout(args.connect_timeout)
        .max_results(args.max_results)
        .max_result_bytes(args.max_result_bytes);
    if let Some(d) = args.deadline {
        fleet = fleet.deadline(d);
    }
    let fleet = fleet.client(args.client()?).build()?;

    let run = match history {
        Some(h) => Some((
            h,
            h.start_adhoc(mode_name(args.mode(), stdin), paths, SystemTime::now())?,
        )),
        None => None,
    };
    // Each host is recorded when it is done, so that a run killed midway keeps them; with
    // standard input, at the end, once the spool file's path is `stdin`.
    let record = |e: &clamd_proto::FleetEvent<'_>| {
        if let (Some((h, id)), clamd_proto::FleetEvent::HostDone { report, .. }) = (&run, e)
            && spool.is_none()
            && let Err(err) = h.host(*id, report)
        {
            crate::error::warn(&err);
        }
    };
    let names: Vec<String> = fleet.hosts().iter().map(ToString::to_string).collect();
    let files = matches!(args.mode(), ModeArg::Stream | ModeArg::Fdpass) || stdin;
    let received = received::Received::new(names.len(), files);
    let live = (!args.json)
        .then(|| live::Live::new(args.show(), &names, plan.jobs_per_host(), bars(args)));
    let stdin_name = spool.as_ref().map(|f| f.path().to_path_buf());
    let scan = || {
        fleet.run_with_events(&plan, |e| {
            let renamed = stdin_renamed(e, stdin_name.as_deref());
            let (shown, result) = shown_event(e, renamed.as_ref());
            received.pass(shown, result, || {
                record(&e);
                if let Some(live) = &live {
                    live.event(shown);
                }
            });
        })
    };
    let cut = interrupt::Cut {
        names: &names,
        jobs: plan.job_paths(),
        files,
        run: run.as_ref().map(|(h, id)| (*h, *id)),
        stdin,
        env: None,
        no_summary: args.no_summary,
    };
    let report = signals::run_or_stop(scan, |sig| {
        interrupt::stop(sig, &received, &cut, live.as_ref());
        // The process exits without dropping the spool file, so it is removed here.
        if let Some(f) = &spool {
            let _ = std::fs::remove_file(f.path());
        }
    })?;
    if let Some(live) = live {
        live.finish()
            .map_err(|e| Error::io("writing the report", e))?;
    }
    let report = match &spool {
        Some(f) => rename_stdin(report, f.path()),
        None => report,
    };
    if let Some((h, id)) = run {
        record_end(h, id, &report, spool.is_some());
    }
    print_report(args, &report)?;
    Ok(Exit::code(report.summary().exit_code()))
}

/// A result line for standard input's spool file, renamed `stdin`, as shown and recorded.
fn stdin_renamed(e: clamd_proto::FleetEvent<'_>, spool: Option<&Path>) -> Option<ScanResult> {
    match e {
        clamd_proto::FleetEvent::Result { result, .. } if spool == Some(result.path()) => {
            Some(result.clone().with_path("stdin"))
        }
        _ => None,
    }
}

/// The event as shown (its result `renamed`, when it is), and its result line.
fn shown_event<'a>(
    e: clamd_proto::FleetEvent<'a>,
    renamed: Option<&'a ScanResult>,
) -> (clamd_proto::FleetEvent<'a>, Option<&'a ScanResult>) {
    match e {
        clamd_proto::FleetEvent::Result {
            host,
            endpoint,
            result,
        } => {
            let result = renamed.unwrap_or(result);
            let shown = clamd_proto::FleetEvent::Result {
                host,
                endpoint,
                result,
            };
            (shown, Some(result))
        }
        e => (e, None),
    }
}

/// Records the end of ad-hoc run `id`, and its hosts first when they were held back
/// (`hosts`: standard input, whose spool file's path is `stdin` only now). A failed write is
/// a warning: the scan's results were printed all the same.
fn record_end(h: &history::History, id: i64, report: &FleetReport, hosts: bool) {
    let hosts = if hosts { &report.hosts[..] } else { &[] };
    let recorded = hosts
        .iter()
        .try_for_each(|host| h.host(id, host))
        .and_then(|()| h.finish(id, report, SystemTime::now()));
    if let Err(err) = recorded {
        crate::error::warn(&err);
    }
}

/// The hosts of `--host` (TCP or `tls://`) and `--unix`, or Debian's socket when none is
/// given.
fn endpoints(args: &Args) -> Result<Vec<Endpoint>> {
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
    Ok(hosts)
}

/// Prints the end of a run: JSON, or the walk's entries not scanned and the summary (the
/// hosts' lines were printed live).
fn print_report(args: &Args, report: &FleetReport) -> Result<()> {
    if args.json && args.stats {
        for h in &report.hosts {
            if let Some(s) = &h.stats {
                eprintln!("{} STATS:\n{}", h.endpoint, s.raw);
            }
        }
    }
    // Written as it goes: the report of a host at its result cap is as large as the cap.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let printed = if args.json {
        json::write(&mut out, report)
    } else {
        walk_text(&mut out, report, args.infected).and_then(|()| {
            if args.no_summary {
                Ok(())
            } else {
                summary_text(&mut out, report, None)
            }
        })
    };
    if let Err(e) = printed.and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Error::io("writing the report", e));
    }
    Ok(())
}

/// Paths from a clamdscan `-f` file: one per line, empty lines ignored.
fn file_list(path: &Path) -> Result<Vec<PathBuf>> {
    use std::os::unix::ffi::OsStrExt;
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    Ok(bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(|l| PathBuf::from(std::ffi::OsStr::from_bytes(l)))
        .collect())
}

/// Standard input, copied into a temporary file (removed when dropped) so that every host
/// gets the same bytes.
fn spool_stdin() -> Result<tempfile::NamedTempFile> {
    let mut f = tempfile::Builder::new()
        .prefix("opskit-stdin")
        .tempfile()
        .map_err(|e| Error::io("creating a temporary file for standard input", e))?;
    std::io::copy(&mut std::io::stdin().lock(), f.as_file_mut())
        .map_err(|e| Error::io("reading standard input", e))?;
    Ok(f)
}

/// The report with the spool file's path replaced by `stdin`, as clamdscan names it.
fn rename_stdin(mut report: FleetReport, tmp: &Path) -> FleetReport {
    for h in &mut report.hosts {
        for r in &mut h.results {
            if r.path() == tmp {
                *r = r.clone().with_path("stdin");
            }
        }
        for j in &mut h.jobs {
            if j.path == tmp {
                j.path = PathBuf::from("stdin");
            }
        }
    }
    report
}

/// The mode an ad-hoc run is recorded with: standard input is always streamed.
fn mode_name(mode: ModeArg, stdin: bool) -> &'static str {
    match mode {
        _ if stdin => "stream",
        ModeArg::Scan => "scan",
        ModeArg::Contscan => "contscan",
        ModeArg::Multiscan => "multiscan",
        ModeArg::Allmatch => "allmatch",
        ModeArg::Stream => "stream",
        ModeArg::Fdpass => "fdpass",
    }
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

/// The plan for the paths given: a path scan on the hosts, or, for `stream` and `fdpass`, the
/// files of [`clamd_proto::walk`], which never aborts: its errors and skipped entries go into
/// the plan and so into the report.
fn target(mode: ModeArg, paths: &[PathBuf]) -> ScanPlan {
    let mode = match mode {
        ModeArg::Scan => ScanMode::Scan,
        ModeArg::Contscan => ScanMode::ContScan,
        ModeArg::Multiscan => ScanMode::MultiScan,
        ModeArg::Allmatch => ScanMode::AllMatchScan,
        ModeArg::Stream => return ScanPlan::stream_walk(clamd_proto::walk(paths)),
        ModeArg::Fdpass => return ScanPlan::fildes_walk(clamd_proto::walk(paths)),
    };
    ScanPlan::paths(mode, paths)
}

/// The summary block; `env` names the environment of a policy run.
fn summary_text(
    out: &mut impl Write,
    report: &FleetReport,
    env: Option<&str>,
) -> std::io::Result<()> {
    let sum = report.summary();
    let jobs = sum.jobs;
    match env {
        Some(name) => writeln!(out, "----------- SCAN SUMMARY ({name}) -----------")?,
        None => writeln!(out, "----------- SCAN SUMMARY -----------")?,
    }
    writeln!(
        out,
        "Hosts: {} ({} failed, {} not scanned)",
        sum.hosts, sum.hosts_failed, sum.hosts_not_scanned
    )?;
    writeln!(
        out,
        "Scans: {} ({} done, {} failed, {} not scanned)",
        jobs.given, jobs.done, jobs.failed, jobs.skipped
    )?;
    summary_end(out, sum.infected, sum.errors, sum.status, report.elapsed)
}

/// The last lines of a summary: infected files, errors, status and time.
fn summary_end(
    out: &mut impl Write,
    infected: usize,
    errors: usize,
    status: clamd_proto::FleetStatus,
    elapsed: Duration,
) -> std::io::Result<()> {
    writeln!(out, "Infected files: {infected}")?;
    writeln!(out, "Errors: {errors}")?;
    let status = match status {
        clamd_proto::FleetStatus::AllClean => "all clean",
        clamd_proto::FleetStatus::Infected => "infected",
        clamd_proto::FleetStatus::Incomplete => "incomplete",
    };
    writeln!(out, "Status: {status}")?;
    writeln!(out, "Time: {:.3} s", elapsed.as_secs_f64())
}

/// The local walk's errors and skips, in clamdscan's line form (with `-i`, only errors).
fn walk_text(
    out: &mut impl Write,
    report: &FleetReport,
    infected_only: bool,
) -> std::io::Result<()> {
    for e in &report.walk_errors {
        writeln!(out, "{e} ERROR")?;
    }
    if !infected_only {
        for k in &report.skipped {
            writeln!(out, "{k} SKIPPED")?;
        }
    }
    Ok(())
}
