//! The run history: every fleet run recorded, with its hosts, infections and errors, in an
//! SQLite file (compiled in, no server) or, for several management hosts that share one
//! history, on a PostgreSQL server (feature `history-postgres`). Both use one schema and
//! one set of SQL statements; only the id and byte column types differ.
//!
//! ```no_run
//! use clamd_proto::history::{History, Location, NewRun, RunFilter};
//! use clamd_proto::{Endpoint, Fleet, ScanMode, ScanPlan};
//!
//! let history = History::open(&Location::parse("/var/lib/opskit/history.sqlite".as_ref()))?;
//! let fleet = Fleet::builder(["127.0.0.1:3310".parse::<Endpoint>()?]).build()?;
//! let plan = ScanPlan::paths(ScanMode::ContScan, ["/data/www"]);
//! let run = history.start_run(&NewRun::new("web", "fleet.toml").mode("contscan").paths(["/data/www"]))?;
//! let report = fleet.run_with_events(&plan, |e| {
//!     if let clamd_proto::FleetEvent::HostDone { report, .. } = e {
//!         let _ = history.record_host(run, report);
//!     }
//! });
//! history.finish_run(run, &report, std::time::SystemTime::now())?;
//! for r in history.runs(&RunFilter::default())? {
//!     println!("{} {} {}", r.id, r.environment, r.status.name());
//! }
//! # Ok::<(), clamd_proto::Error>(())
//! ```
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! - `opskit_history(version)`: the schema's version; another version is refused.
//! - `runs(id, environment, policy, mode, paths, owner, started_at, ended_at, status,
//!   heartbeat_at, lease_s)`: one row per run, committed when it starts with status
//!   `running` and its owner (`HOST:PID:START`); at its end `status` becomes `all_clean`,
//!   `infected` or `incomplete` and `ended_at` is set; a run stopped by SIGTERM or SIGINT is
//!   `interrupted`. `paths` is a JSON list. `heartbeat_at` is the owner's last heartbeat, in
//!   the database's clock, and `lease_s` the run's lease in seconds (both null for a run
//!   written by schema version 1, whose history is brought to version 2 when opened).
//! - `hosts(run_id, host, state, version, db_version, db_date, db_time, latency_us,
//!   elapsed_ms, jobs_given, jobs_done, jobs_failed, jobs_skipped, error)`: one row per
//!   host, committed with its findings in one transaction when the host is done. `state` is
//!   `done`, `failed` or `not_scanned`; `version` is VERSION's reply, `db_version`,
//!   `db_date` and `db_time` the signature database's version and date (as clamd wrote it,
//!   and in seconds since the epoch).
//! - `findings(run_id, host, path, kind, detail)`: every infected file (`infected`, the
//!   signature; one row per signature with `allmatch`), every per-file `ERROR` line
//!   (`error`, clamd's message), every path or file whose scan failed (`job_failed`, the
//!   error), and the local walk's errors (`walk_error`, host `local`). `path` holds the
//!   path's bytes (`BLOB`, `BYTEA`).
//!
//! Times are seconds since the Unix epoch (UTC).
//!
//! # Runs without a policy
//!
//! A scan of hosts and paths given on the command line is recorded as a run of the
//! environment [`ADHOC_ENVIRONMENT`] (`@adhoc`, which no policy can name: a policy's
//! environment names are letters, digits, `-` and `_`) with an empty `policy`.
//! [`History::changes_same_targets`] compares such a run with the previous one over the
//! same hosts and paths. A pool run ([`History::record_pool`]) is written whole at its end,
//! each file's finding with the host that scanned it.
//!
//! # Crash safety
//!
//! Each write is one transaction, so the database holds whole runs and whole hosts
//! whenever the process stops. A run whose process was killed (SIGKILL, a crash) stays
//! `running` with the hosts it finished; the next [`History::open`] on the same management
//! host sees that its owner (pid and process start time) is gone and marks it
//! `incomplete`, with `ended_at` null.
//!
//! A run owned by another management host (a PostgreSQL history that several share) cannot
//! be judged by its pid. Its owner renews a heartbeat on it four times within its lease
//! ([`DEFAULT_LEASE`], or [`History::open_with_lease`]), from a thread of the [`History`];
//! the next [`History::open`] anywhere marks it `incomplete` once its last heartbeat is older
//! than its lease. Heartbeats and leases are read with the database's clock, so the hosts'
//! clocks need not agree. A run that was taken for dead while its owner was only cut off (a
//! network partition longer than the lease) gets its real status if its owner ends it.
//!
//! # PostgreSQL over TLS
//!
//! The URL's `sslmode` and `sslrootcert` are read as libpq reads them: `disable` (or none)
//! is plaintext, `prefer` TLS when offered, `require` TLS with the certificate unchecked
//! (checked as `verify-ca` when `sslrootcert` is given), `verify-ca` signed by a CA of
//! `sslrootcert` (PEM), `verify-full` also valid for the URL's host, which `hostaddr=IP`
//! lets be a name that is never resolved. rustls on `ring`; the system's trust store and
//! `~/.postgresql/root.crt` are never read, so `verify-*` need `sslrootcert`. A certificate
//! that fails is [`Error::TlsUntrusted`](crate::Error::TlsUntrusted) or
//! [`Error::TlsWrongName`](crate::Error::TlsWrongName), before any statement is sent.
//!
//! A PostgreSQL connection lost under a long-running process (the server restarted) is
//! opened again: a write cut by it is run once more, whole, on the new connection.

mod adhoc;
mod changes;
mod db;
mod input;
mod interrupted;
mod lease;
mod location;
mod owner;
#[cfg(feature = "history-postgres")]
mod postgres;
#[cfg(feature = "history-postgres")]
mod postgres_tls;
mod record;
mod sqlite;
mod store;
mod time;

pub use adhoc::{ADHOC_ENVIRONMENT, NO_HOST};
pub use input::{NewRun, RunFilter};
pub use interrupted::INTERRUPTED_HOST;
pub use lease::{DEFAULT_LEASE, MAX_LEASE, MIN_LEASE};
pub use location::Location;
pub use record::{Finding, FindingKind, HostRecord, RunChanges, RunRecord, RunStatus, RunSummary};
pub use sqlite::BUSY_TIMEOUT;
pub use store::{History, SCHEMA_VERSION};
pub use time::{parse_utc, utc_text};
