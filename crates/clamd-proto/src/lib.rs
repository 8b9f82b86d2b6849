#![doc = include_str!("../README.md")]
//!
//! # Layers
//!
//! Each layer is one module: `proto` (the core), `blocking`, `async_client`, `fleet` and
//! `walk`; everything public is re-exported here.
//!
//! - The sans-IO core: [`Command`] encoding, the [`Decoder`] that frames replies, typed
//!   [`Reply`] values, [`Exchange`] for one command on its own connection and [`SessionCore`]
//!   for IDSESSION. They take bytes and return bytes or values; they never touch a socket.
//! - The blocking [`Client`] and its [`Session`], over TCP (socket2), Unix sockets and, with
//!   the feature `tls`, TLS to a clamd behind stunnel (rustls on `ring`, driven as sans-IO by
//!   the same transports; the `tls` module). Its settings, TLS files included, are a
//!   [`ClientConfig`] of their own, which many endpoints share.
//! - [`AsyncClient`] and its [`AsyncSession`] (feature `tokio`).
//! - [`Fleet`]: one [`ScanPlan`] on many hosts, giving a [`FleetReport`].
//! - [`Pool`]: the files of one local walk spread over several hosts, by bytes in flight,
//!   with failover when a host dies and a retry with backoff that lets it rejoin, giving a
//!   [`PoolReport`] that has every file once.
//! - [`walk()`] and [`Walker`]: the local walk behind stream and FILDES plans, which never
//!   aborts: every entry is a file, a directory, a [`WalkError`] or [`Skipped`]
//!   ([`ScanPlan::stream_walk`], [`ScanPlan::fildes_walk`]).
//! - `policy` (feature `policy`): scan policies, one TOML table per environment, with
//!   schedules and signature-age checks, run through a [`Fleet`].
//! - `history` (feature `history`, and `history-postgres` for PostgreSQL): the run history,
//!   one schema and one code path over SQLite and PostgreSQL, and its queries.
//! - `serialize` and `schema` (feature `schema`): the JSON of [`FleetReport`] and its JSON
//!   Schema.

#[cfg(feature = "tokio")]
mod async_client;
mod blocking;
mod budget;
mod calendar;
mod endpoint;
mod error;
mod fleet;
#[cfg(feature = "history")]
pub mod history;
mod local;
#[cfg(feature = "policy")]
pub mod policy;
mod pool;
mod proto;
#[cfg(feature = "schema")]
mod schema;
mod serialize;
#[cfg(feature = "tls")]
mod tls;
mod walk;

#[cfg(feature = "tokio")]
pub use async_client::{AsyncClient, AsyncSession};
pub use blocking::{
    Client, ClientBuilder, ClientConfig, DEFAULT_CHUNK_SIZE, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_SESSION_WINDOW, DEFAULT_TIMEOUT, MAX_TIMEOUT, Session,
};
pub use budget::{DEFAULT_MAX_RESULT_BYTES, DEFAULT_MAX_RESULTS};
pub use endpoint::{DEFAULT_PORT, Endpoint};
pub use error::{Error, PolicyError, Result};
pub use fleet::{
    DEFAULT_CONCURRENCY, DEFAULT_HOST_TIMEOUT, DEFAULT_PER_HOST, Fleet, FleetBuilder, FleetEvent,
    FleetReport, FleetStatus, HostReport, HostState, JobReport, JobStatus, Progress, ScanPlan,
    SkipReason, Summary, Tally, Target,
};
pub use pool::{
    DEFAULT_FILE_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_QUEUED, DEFAULT_POOL_PER_HOST,
    DEFAULT_PROBE_TIMEOUT, DEFAULT_RETRY_FIRST, DEFAULT_RETRY_MAX, DEFAULT_RETRY_PROBES, Failover,
    FileOutcome, Outage, Pool, PoolBuilder, PoolEvent, PoolFile, PoolHost, PoolMode, PoolReport,
    PoolSkip, PoolSummary,
};
pub use proto::command::{Command, Mode, ScanMode};
pub use proto::decoder::{DEFAULT_MAX_LINE, Decoder, Frame};
pub use proto::exchange::{Exchange, Response};
pub use proto::reply::{
    MemStats, QueueStats, RESULT_OVERHEAD, Reply, ScanResult, Stats, ThreadStats, Verdict, Version,
    VersionCommands,
};
pub use proto::session::{DEFAULT_KEEPALIVE, SessionCore};
pub use walk::{
    Skipped, SpecialKind, Walk, WalkEntry, WalkError, WalkReason, WalkSkip, WalkTally, Walker, walk,
};

/// The 68-byte EICAR anti-virus test string, which every anti-virus detects as a test.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
