//! What the history gives back: a run's summary, its hosts and findings, and what changed
//! between two runs of an environment. Each serializes to the `--json` documents of
//! `opskit scan history` and `opskit scan report`.

use crate::fleet::{HostState, Tally};

/// How a run ended, or that it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunStatus {
    /// Started and not ended, by a process that is still running (or that runs on another
    /// management host, which only that host can judge).
    Running,
    /// Ended: every host scanned completely, nothing found.
    AllClean,
    /// Ended: something was found (even if hosts or files failed).
    Infected,
    /// Ended with nothing found but hosts or files failed or not scanned; or never ended:
    /// its process is gone (SIGKILL, a crash, a reboot) and `ended_at` is `null`. The hosts
    /// it finished are recorded.
    Incomplete,
    /// Cut short by SIGTERM or SIGINT; the hosts it finished are recorded.
    Interrupted,
}

impl RunStatus {
    /// The name stored in the database and written in JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::AllClean => "all_clean",
            Self::Infected => "infected",
            Self::Incomplete => "incomplete",
            Self::Interrupted => "interrupted",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        [
            Self::Running,
            Self::AllClean,
            Self::Infected,
            Self::Incomplete,
            Self::Interrupted,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// One run of an environment, with the totals of what it recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct RunSummary {
    /// The run's id, increasing with each run recorded in this history.
    pub id: i64,
    /// The environment's name in the policy; `@adhoc` for a scan without a policy (no
    /// policy can name an environment so).
    pub environment: String,
    /// The policy file, as given to opskit; empty for a scan without a policy.
    pub policy: String,
    /// The scan mode (`contscan`, `multiscan`, `stream`, …).
    pub mode: String,
    /// The environment's paths (those given on the command line for `@adhoc`; `-` for
    /// standard input).
    pub paths: Vec<String>,
    /// The process that ran it: `HOST:PID:START` (START in clock ticks since boot).
    pub owner: String,
    /// When it started, in seconds since the Unix epoch (UTC).
    pub started_at: i64,
    /// When it ended, `null` while it runs or when it never ended.
    pub ended_at: Option<i64>,
    /// Its status.
    pub status: RunStatus,
    /// Hosts recorded.
    pub hosts: u64,
    /// Hosts recorded as failed or not scanned.
    pub hosts_failed: u64,
    /// Infected files (one per signature matched).
    pub infected: u64,
    /// Errors: per-file error lines, local walk errors, and failed or unscanned hosts.
    pub errors: u64,
}

/// One host of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct HostRecord {
    /// The host's endpoint.
    pub host: String,
    /// Where it ended up.
    pub state: HostState,
    /// Its VERSION reply, e.g. `ClamAV 1.4.6/27000/Mon Nov 25 08:31:22 2024`.
    pub version: Option<String>,
    /// The signature database's version, e.g. 27000.
    pub database_version: Option<i64>,
    /// The signature database's date as clamd wrote it.
    pub database_date: Option<String>,
    /// That date in seconds since the Unix epoch, read as UTC.
    pub database_time: Option<i64>,
    /// The PING round trip, in microseconds.
    pub latency_us: Option<u64>,
    /// Time spent on the host, in milliseconds.
    pub elapsed_ms: u64,
    /// Its jobs (paths or files) and what became of them.
    pub jobs: Tally,
    /// Its first error, or why it was not scanned.
    pub error: Option<String>,
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// An infected file; the detail is the signature.
    Infected,
    /// clamd's per-file `ERROR` line; the detail is its message.
    Error,
    /// A path or file whose scan failed as a whole; the detail is the error.
    JobFailed,
    /// An entry of the local walk (`stream`, `fdpass`) that could not be scanned; the host is
    /// `local`.
    WalkError,
}

impl FindingKind {
    /// The name stored in the database and written in JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Infected => "infected",
            Self::Error => "error",
            Self::JobFailed => "job_failed",
            Self::WalkError => "walk_error",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        [
            Self::Infected,
            Self::Error,
            Self::JobFailed,
            Self::WalkError,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// An infected file or an error, on one host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct Finding {
    /// The host, or `local` for the local walk.
    pub host: String,
    /// The file's path, its exact bytes (in JSON as `opskit scan --json` writes paths).
    #[serde(serialize_with = "crate::serialize::path_bytes")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::path_with"))]
    pub path: Vec<u8>,
    /// What it is.
    pub kind: FindingKind,
    /// The signature, or the error's message.
    pub detail: String,
}

/// A run with everything it recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct RunRecord {
    /// The run.
    pub run: RunSummary,
    /// Its hosts, by name.
    pub hosts: Vec<HostRecord>,
    /// Its findings, by host, path, kind and detail.
    pub findings: Vec<Finding>,
}

/// What changed from the previous run of an environment to its latest ended run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct RunChanges {
    /// The environment.
    pub environment: String,
    /// Its latest run that is not running.
    pub run: RunSummary,
    /// The run before it, `null` when it is the first: then everything it found is new.
    pub previous: Option<RunSummary>,
    /// Infections of `run` that `previous` did not have.
    pub new_infections: Vec<Finding>,
    /// Infections of `previous` that `run` no longer has, on hosts that `run` scanned
    /// completely (a host that failed cannot say an infection is gone).
    pub infections_gone: Vec<Finding>,
    /// Hosts that failed or were not scanned in `run` but not in `previous`.
    pub hosts_failed: Vec<HostRecord>,
    /// Hosts done in `run` that failed or were not scanned in `previous`.
    pub hosts_recovered: Vec<HostRecord>,
}
