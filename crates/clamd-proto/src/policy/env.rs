//! One environment of a policy: its hosts, what it scans and how, and its run.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::schedule::Schedule;
use crate::Result;
use crate::endpoint::Endpoint;
use crate::fleet::{Fleet, FleetBuilder, FleetEvent, FleetReport, ScanPlan};
use crate::proto::command::ScanMode;
use crate::walk::{Skipped, Walk, WalkSkip, Walker};

/// The connections an environment opens at once when its policy does not say.
pub const DEFAULT_POLICY_CONCURRENCY: usize = 8;

/// How an environment scans: a path scan that clamd does on its own host, or local files sent
/// by INSTREAM (`stream`) or by descriptor (`fdpass`, Unix sockets only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyMode {
    /// `scan`: SCAN, which stops at the first infected file.
    Scan,
    /// `contscan`: CONTSCAN, every infected file (the default).
    ContScan,
    /// `multiscan`: MULTISCAN, CONTSCAN with clamd's threads in parallel.
    MultiScan,
    /// `allmatch`: ALLMATCHSCAN, every matching signature of every file.
    AllMatch,
    /// `stream`: local files, walked here and sent with INSTREAM.
    Stream,
    /// `fdpass`: local files, walked here and passed by descriptor (FILDES).
    Fdpass,
}

impl PolicyMode {
    /// The path scan mode, or `None` for `stream` and `fdpass`.
    pub fn scan_mode(self) -> Option<ScanMode> {
        match self {
            PolicyMode::Scan => Some(ScanMode::Scan),
            PolicyMode::ContScan => Some(ScanMode::ContScan),
            PolicyMode::MultiScan => Some(ScanMode::MultiScan),
            PolicyMode::AllMatch => Some(ScanMode::AllMatchScan),
            PolicyMode::Stream | PolicyMode::Fdpass => None,
        }
    }

    /// The name in a policy file.
    pub fn name(self) -> &'static str {
        match self {
            PolicyMode::Scan => "scan",
            PolicyMode::ContScan => "contscan",
            PolicyMode::MultiScan => "multiscan",
            PolicyMode::AllMatch => "allmatch",
            PolicyMode::Stream => "stream",
            PolicyMode::Fdpass => "fdpass",
        }
    }
}

impl FromStr for PolicyMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s {
            "scan" => PolicyMode::Scan,
            "contscan" => PolicyMode::ContScan,
            "multiscan" => PolicyMode::MultiScan,
            "allmatch" => PolicyMode::AllMatch,
            "stream" => PolicyMode::Stream,
            "fdpass" => PolicyMode::Fdpass,
            _ => {
                return Err(format!(
                    "unknown mode {s:?}: use scan, contscan, multiscan, allmatch, stream or fdpass"
                ));
            }
        })
    }
}

/// An environment's `exclude` patterns: a pattern without `/` is matched against the file
/// name (`*.log`), one with `/` against the whole path (`/data/www/cache/**`), where `*` and
/// `?` stay within one path component and `**` crosses any number of them. Glob syntax is
/// globset's: `*`, `?`, `[abc]`, `[!a-z]`, `{a,b}`, `**`.
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    names: Option<GlobSet>,
    paths: Option<GlobSet>,
    patterns: Vec<String>,
}

/// Builder of an [`Exclude`].
#[derive(Debug)]
pub(crate) struct ExcludeBuilder {
    names: GlobSetBuilder,
    paths: GlobSetBuilder,
    patterns: Vec<String>,
}

impl ExcludeBuilder {
    pub(crate) fn add(mut self, pattern: &str) -> std::result::Result<Self, String> {
        let whole = pattern.contains('/');
        let glob = GlobBuilder::new(pattern)
            .literal_separator(whole)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("exclude pattern {pattern:?}: {}", e.kind()))?;
        if whole {
            self.paths.add(glob);
        } else {
            self.names.add(glob);
        }
        self.patterns.push(pattern.to_owned());
        Ok(self)
    }

    pub(crate) fn build(self) -> std::result::Result<Exclude, String> {
        let set = |b: GlobSetBuilder, any: bool| {
            any.then(|| b.build().map_err(|e| format!("exclude patterns: {e}")))
                .transpose()
        };
        let any_name = self.patterns.iter().any(|p| !p.contains('/'));
        let any_path = self.patterns.iter().any(|p| p.contains('/'));
        Ok(Exclude {
            names: set(self.names, any_name)?,
            paths: set(self.paths, any_path)?,
            patterns: self.patterns,
        })
    }
}

impl Exclude {
    pub(crate) fn builder() -> ExcludeBuilder {
        ExcludeBuilder {
            names: GlobSetBuilder::new(),
            paths: GlobSetBuilder::new(),
            patterns: Vec::new(),
        }
    }

    /// Whether `path` is excluded.
    pub fn is_match(&self, path: &Path) -> bool {
        self.paths.as_ref().is_some_and(|s| s.is_match(path))
            || self
                .names
                .as_ref()
                .zip(path.file_name())
                .is_some_and(|(s, n)| s.is_match(n))
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// One `[env.NAME]` table of a policy, checked. The keys and their defaults are documented
/// in the [module docs](crate::policy).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Environment {
    /// The table's name.
    pub name: String,
    /// The hosts, in the file's order.
    pub hosts: Vec<Endpoint>,
    /// How to scan.
    pub mode: PolicyMode,
    /// The paths: on the hosts for path scans, local for `stream` and `fdpass`.
    pub paths: Vec<PathBuf>,
    /// What not to scan, or (for path scans, which clamd walks itself) not to report.
    pub exclude: Exclude,
    /// Whether to RELOAD each host's database before its scan.
    pub reload: bool,
    /// Each host's deadline.
    pub timeout: Duration,
    /// Connections open at once, over all hosts and to each host.
    pub concurrency: usize,
    /// When the daemon runs it; `None` when the policy gives no `every` or `cron`.
    pub schedule: Option<Schedule>,
    /// The oldest signature database accepted without a warning.
    pub max_db_age: Option<Duration>,
    /// The CA file that the `tls://` hosts' certificates must be signed by.
    pub tls_ca: Option<PathBuf>,
    /// The client certificate shown to `tls://` hosts that ask for one.
    pub tls_cert: Option<PathBuf>,
    /// The client certificate's key.
    pub tls_key: Option<PathBuf>,
}

/// A warning about a host's signature database, from its VERSION.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbWarning {
    /// The database is older than the environment's `max_db_age`.
    Stale {
        /// The host.
        endpoint: Endpoint,
        /// The database's build date as clamd wrote it.
        date: String,
        /// How old it is.
        age: Duration,
        /// The `max_db_age`.
        max: Duration,
    },
    /// The host answered VERSION without a database date (it loaded no official `daily`
    /// database), so its age is unknown.
    NoDate {
        /// The host.
        endpoint: Endpoint,
        /// Its VERSION reply.
        version: String,
    },
}

impl fmt::Display for DbWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbWarning::Stale {
                endpoint,
                date,
                age,
                max,
            } => write!(
                f,
                "{endpoint}: signatures of {date} are {} old, more than max_db_age {}",
                days(*age),
                days(*max)
            ),
            DbWarning::NoDate { endpoint, version } => write!(
                f,
                "{endpoint}: VERSION gives no signature date ({version}), so its age is unknown"
            ),
        }
    }
}

/// A span in days and hours, as an operator reads a database's age.
fn days(d: Duration) -> String {
    let h = d.as_secs() / 3600;
    match (h / 24, h % 24) {
        (0, h) => format!("{h}h"),
        (d, 0) => format!("{d}d"),
        (d, h) => format!("{d}d{h}h"),
    }
}

/// The outcome of one run of an environment.
#[derive(Debug)]
#[non_exhaustive]
pub struct EnvReport {
    /// The environment's name.
    pub name: String,
    /// The fleet's report: every host and every path or file.
    pub report: FleetReport,
    /// Hosts whose signatures are older than `max_db_age`, or of unknown age.
    pub db_warnings: Vec<DbWarning>,
}

impl Environment {
    /// The plan of one run: PING, RELOAD when `reload`, VERSION, then the scan. For `stream`
    /// and `fdpass` the local walk leaves out what `exclude` matches (each such entry is in the
    /// report's `skipped`, and an excluded directory is not walked); for path scans a named
    /// path that `exclude` matches is not sent.
    pub fn plan(&self) -> ScanPlan {
        let plan = if let Some(mode) = self.mode.scan_mode() {
            let (skip, send): (Vec<&PathBuf>, Vec<&PathBuf>) =
                self.paths.iter().partition(|p| self.exclude.is_match(p));
            let mut plan = ScanPlan::paths(mode, send);
            plan.skipped = skip
                .into_iter()
                .map(|p| Skipped {
                    path: p.clone(),
                    reason: WalkSkip::Excluded,
                })
                .collect();
            plan
        } else {
            let exclude = self.exclude.clone();
            let walker = Walker::new(&self.paths).exclude(move |p| exclude.is_match(p));
            let walk = Walk::from_walker(walker);
            if self.mode == PolicyMode::Fdpass {
                ScanPlan::fildes_walk(walk)
            } else {
                ScanPlan::stream_walk(walk)
            }
        };
        plan.reload(self.reload).version(true)
    }

    /// A builder of the fleet of the environment's hosts, with its `concurrency` (over all
    /// hosts and per host), `timeout` (per host) and TLS files (`tls_ca`, `tls_cert`,
    /// `tls_key`, read by the builder's `build`); a caller may add settings the policy does
    /// not hold (connect timeout, result caps, a run deadline) before
    /// [`run_on`](Self::run_on).
    pub fn fleet_builder(&self) -> FleetBuilder {
        let fleet = Fleet::builder(self.hosts.clone())
            .concurrency(self.concurrency)
            .per_host(self.concurrency)
            .host_timeout(self.timeout);
        #[cfg(feature = "tls")]
        let fleet = fleet.tls_files(crate::blocking::TlsFiles {
            ca: self.tls_ca.clone(),
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
        });
        fleet
    }

    /// Runs the environment once through a fleet of [`fleet_builder`](Self::fleet_builder)'s
    /// settings; see [`run_on`](Self::run_on).
    ///
    /// # Errors
    ///
    /// As [`FleetBuilder::build`](crate::FleetBuilder::build). A host that fails is in the
    /// report, not an error.
    pub fn run(
        &self,
        now: SystemTime,
        on_event: impl Fn(FleetEvent<'_>) + Sync,
    ) -> Result<EnvReport> {
        Ok(self.run_on(&self.fleet_builder().build()?, now, on_event))
    }

    /// Runs the environment once on `fleet` (built from
    /// [`fleet_builder`](Self::fleet_builder)) with [`plan`](Self::plan), giving `on_event`
    /// every event as it happens ([`Fleet::run_with_events`]), and checks each host's
    /// signature date against `max_db_age` at `now`.
    ///
    /// For path scans clamd walks the tree itself and the protocol cannot leave files out, so
    /// a result line whose path `exclude` matches is not reported (no event, not counted)
    /// and is listed once in the report's `skipped` as excluded instead; to keep clamd from
    /// reading such files at all, set `ExcludePath` in the hosts' `clamd.conf`.
    pub fn run_on(
        &self,
        fleet: &Fleet,
        now: SystemTime,
        on_event: impl Fn(FleetEvent<'_>) + Sync,
    ) -> EnvReport {
        let exclude = Arc::new(self.exclude.clone());
        let path_scan = self.mode.scan_mode().is_some();
        let mut report = fleet.run_with_events(&self.plan(), |e| match e {
            FleetEvent::Result { result, .. } if path_scan && exclude.is_match(result.path()) => {}
            e => on_event(e),
        });
        if path_scan {
            let mut listed: std::collections::HashSet<PathBuf> =
                report.skipped.iter().map(|k| k.path.clone()).collect();
            for host in &mut report.hosts {
                let (gone, kept) = std::mem::take(&mut host.results)
                    .into_iter()
                    .partition(|r| exclude.is_match(r.path()));
                host.results = kept;
                let gone: Vec<crate::ScanResult> = gone;
                // Each excluded path once, whatever the number of hosts that reported it.
                for r in gone {
                    let skip = Skipped {
                        path: r.path().to_path_buf(),
                        reason: WalkSkip::Excluded,
                    };
                    if listed.insert(skip.path.clone()) {
                        report.skipped.push(skip);
                    }
                }
            }
        }
        let db_warnings = match self.max_db_age {
            Some(max) => report
                .hosts
                .iter()
                .filter_map(|h| db_warning(h, max, now))
                .collect(),
            None => Vec::new(),
        };
        EnvReport {
            name: self.name.clone(),
            report,
            db_warnings,
        }
    }
}

/// The warning for one host, if its VERSION says its database is too old or undated.
fn db_warning(h: &crate::HostReport, max: Duration, now: SystemTime) -> Option<DbWarning> {
    let v = h.version.as_ref()?;
    let Some(built) = v.database_time() else {
        return Some(DbWarning::NoDate {
            endpoint: h.endpoint.clone(),
            version: v.to_string(),
        });
    };
    let age = now.duration_since(built).unwrap_or_default();
    (age > max).then(|| DbWarning::Stale {
        endpoint: h.endpoint.clone(),
        date: v.database_date.clone().unwrap_or_default(),
        age,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_names_or_whole_paths() {
        let x = Exclude::builder()
            .add("*.log")
            .unwrap()
            .add("/data/www/cache/**")
            .unwrap()
            .build()
            .unwrap();
        assert!(x.is_match(Path::new("/data/www/a/b/access.log")));
        assert!(x.is_match(Path::new("/data/www/cache/x")));
        assert!(x.is_match(Path::new("/data/www/cache/x/y.php")));
        assert!(!x.is_match(Path::new("/data/www/index.php")));
        assert!(!x.is_match(Path::new("/data/www/log")));
        let one = Exclude::builder()
            .add("/srv/*/tmp")
            .unwrap()
            .build()
            .unwrap();
        assert!(one.is_match(Path::new("/srv/a/tmp")));
        assert!(
            !one.is_match(Path::new("/srv/a/b/tmp")),
            "* stays in a component"
        );
        assert!(Exclude::builder().add("[a-").is_err());
        assert!(!Exclude::default().is_match(Path::new("/a")));
    }
}
