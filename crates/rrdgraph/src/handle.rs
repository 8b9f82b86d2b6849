//! The handle on one RRD file: typed RRD operations through librrd: create, update, info, first, last, lastupdate, fetch,
//! xport and flush, with rrdcached support.
//!
//! Every operation goes through librrd's argv entry point, the same one the `rrdtool` command
//! calls, so the behaviour (and every error message) is rrdtool's own. rrdcached is reached in
//! the three ways rrdtool offers:
//! - [`Rrd::daemon`] passes `--daemon <address>` to each operation;
//! - the `RRDCACHED_ADDRESS` environment variable is honoured by librrd when no daemon is given;
//! - a graph's or xport's `DEF:...:daemon=<address>` and `--daemon` arguments pass through.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::create::CreateSpec;
use crate::fetch::FetchRequest;
use crate::ffi;
use crate::info::Info;
use crate::rrd_error::RrdError;
use crate::series::Series;
use crate::update::{LastUpdate, Update};

/// Borrows each text argument as an `OsStr` for librrd's argv.
fn os_args<'a>(args: &[&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

/// A handle on one RRD file, optionally served through rrdcached.
///
/// Creating the handle does no I/O. Each method is one librrd call under the librrd lock.
///
/// ```no_run
/// # fn main() -> Result<(), rrdgraph::RrdError> {
/// use rrdgraph::{Cf, CreateSpec, DataSource, FetchRequest, Rra, Rrd, Update};
///
/// let rrd = Rrd::new("Flow.rrd");
/// rrd.create(
///     &CreateSpec::new()
///         .step(300)
///         .start(1_767_225_000)
///         .data_source(DataSource::counter("eth0_in", 600).min(0.0))
///         .archive(Rra::new(Cf::Average, 0.5, 1, 600)),
/// )?;
/// rrd.update(&[Update::at(1_767_225_300, [1000.0]), Update::at(1_767_225_600, [4000.0])])?;
/// println!("last update at {}", rrd.last()?);
/// let series = rrd.fetch(&FetchRequest::new(Cf::Average).start(1_767_225_000).end(1_767_225_600))?;
/// print!("{}", series.to_text());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrd {
    path: PathBuf,
    daemon: Option<String>,
}

impl Rrd {
    /// A handle on the RRD at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            daemon: None,
        }
    }

    /// Go through the rrdcached at `address` (`unix:/path`, `/path`, `host:port`): every
    /// operation gets `--daemon <address>`. Without it, librrd still uses `RRDCACHED_ADDRESS`
    /// when that variable is set.
    ///
    /// librrd 1.7's client has no timeout: a daemon that accepts the connection and never
    /// answers blocks the call (and, through the librrd lock, the other librrd calls of the
    /// process). Where that matters, render through [`BatchRenderer`](crate::BatchRenderer),
    /// whose workers are killed at a deadline.
    ///
    /// Without a daemon, every read ([`Rrd::info`], [`Rrd::first`], [`Rrd::last`],
    /// [`Rrd::lastupdate`], [`Rrd::fetch`]) and every update first checks the file's header in Rust
    /// ([`check_header`](crate::check_header)); through a daemon (this one or
    /// `RRDCACHED_ADDRESS`) it does not, as the file may be remote.
    #[must_use]
    pub fn daemon(mut self, address: impl Into<String>) -> Self {
        self.daemon = Some(address.into());
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when a daemon serves the file ([`Rrd::daemon`] or `RRDCACHED_ADDRESS`).
    pub(crate) fn through_daemon(&self) -> bool {
        self.daemon.is_some() || daemon_from_env()
    }

    /// Checks the header unless a daemon serves the file (it may be remote).
    fn check_header(&self) -> Result<(), RrdError> {
        if self.through_daemon() {
            return Ok(());
        }
        crate::header::check(&self.path)
    }

    /// `[--daemon ADDRESS] BEFORE... FILE`; the file's path goes to librrd as its bytes (it
    /// need not be UTF-8).
    fn args<'a>(&'a self, before: &[&'a str]) -> Vec<&'a OsStr> {
        let mut args = Vec::with_capacity(before.len() + 3);
        if let Some(d) = &self.daemon {
            args.push(OsStr::new("--daemon"));
            args.push(OsStr::new(d.as_str()));
        }
        args.extend(os_args(before));
        args.push(self.path.as_os_str());
        args
    }

    /// Creates the file (`rrdtool create`).
    ///
    /// The template and source files are librrd opens of local files: their headers are
    /// checked first ([`check_header`](crate::check_header)), unless a daemon is used. A
    /// template without [`CreateSpec::step`] gives its step, which the layout's durations are
    /// then checked and scaled by.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for a bad layout, [`RrdError::BadHeader`] for a corrupt template
    /// or source, [`RrdError::Librrd`] when librrd refuses it (an existing file with
    /// `--no-overwrite`, a data source the sources lack, ...).
    pub fn create(&self, spec: &CreateSpec) -> Result<(), RrdError> {
        let local = self.daemon.is_none() && !daemon_from_env();
        if local {
            for file in spec
                .template_path()
                .into_iter()
                .chain(spec.sources().iter().map(PathBuf::as_path))
            {
                crate::header::check(file)?;
            }
        }
        let filled;
        let spec = match spec.template_path() {
            Some(template) if !spec.has_step() => {
                let info = Rrd {
                    path: template.to_path_buf(),
                    daemon: self.daemon.clone(),
                }
                .info()?;
                let step = info
                    .get("step")
                    .and_then(crate::InfoValue::as_u64)
                    .ok_or_else(|| RrdError::Output {
                        op: "info",
                        detail: format!("{}: no step", template.display()),
                    })?;
                filled = spec.clone().step(step);
                &filled
            }
            _ => spec,
        };
        spec.validate()?;
        let rest = spec.to_args();
        let mut args = self.args(&[]);
        args.extend(rest.iter().map(OsString::as_os_str));
        ffi::call_status(ffi::StatusCall::Create, &args)
    }

    /// Adds values (`rrdtool update`), oldest first.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for an empty list, [`RrdError::Librrd`] when librrd refuses an
    /// update (a time not after the last one, a wrong number of values, ...).
    pub fn update(&self, updates: &[Update]) -> Result<(), RrdError> {
        self.update_with_template(None, updates)
    }

    /// Adds values for the named data sources only (`rrdtool update --template a:b`).
    ///
    /// # Errors
    ///
    /// As [`Rrd::update`].
    pub fn update_with_template(
        &self,
        template: Option<&[&str]>,
        updates: &[Update],
    ) -> Result<(), RrdError> {
        if updates.is_empty() {
            return Err(RrdError::Invalid {
                what: "update",
                reason: "no values given".into(),
            });
        }
        self.check_header()?;
        let template = template.map(|t| t.join(":"));
        let values: Vec<String> = updates.iter().map(Update::to_arg).collect();
        let mut args: Vec<&OsStr> = Vec::new();
        if let Some(d) = &self.daemon {
            args.extend(os_args(&["--daemon", d.as_str()]));
        }
        if let Some(t) = &template {
            args.extend(os_args(&["--template", t.as_str()]));
        }
        args.push(self.path.as_os_str());
        // A value starting with '-' (a negative time) must not be read as an option.
        args.push(OsStr::new("--"));
        args.extend(values.iter().map(OsStr::new));
        ffi::call_status(ffi::StatusCall::Update, &args)
    }

    /// Adds values like [`Rrd::update`] and returns what librrd wrote (`rrdtool updatev`):
    /// `return_value` and one `[time]RRA[cf][rows]DS[name]` entry per consolidated value.
    ///
    /// # Errors
    ///
    /// As [`Rrd::update`].
    pub fn update_v(&self, updates: &[Update]) -> Result<Info, RrdError> {
        if updates.is_empty() {
            return Err(RrdError::Invalid {
                what: "update",
                reason: "no values given".into(),
            });
        }
        self.check_header()?;
        let values: Vec<String> = updates.iter().map(Update::to_arg).collect();
        let mut args = self.args(&[]);
        args.push(OsStr::new("--"));
        args.extend(values.iter().map(OsStr::new));
        ffi::call_info(ffi::InfoCall::UpdateV, &args).map(Info::new)
    }

    /// The file's header and archive state (`rrdtool info`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read.
    pub fn info(&self) -> Result<Info, RrdError> {
        self.check_header()?;
        ffi::call_info(ffi::InfoCall::Info, &self.args(&[])).map(Info::new)
    }

    /// The time of the first value kept by archive `rra` (`rrdtool first --rraindex`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read or has no such archive.
    pub fn first(&self, rra: usize) -> Result<i64, RrdError> {
        self.check_header()?;
        let idx = rra.to_string();
        ffi::call_time(true, &self.args(&["--rraindex", &idx]))
    }

    /// The time of the last update (`rrdtool last`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read.
    pub fn last(&self) -> Result<i64, RrdError> {
        self.check_header()?;
        ffi::call_time(false, &self.args(&[]))
    }

    /// The time and values of the last update (`rrdtool lastupdate`). Through a daemon, the
    /// file is flushed first, as rrdtool does.
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read or flushed.
    pub fn lastupdate(&self) -> Result<LastUpdate, RrdError> {
        self.check_header()?;
        if self.daemon.is_some() || daemon_from_env() {
            self.flush()?;
        }
        let raw = ffi::call_lastupdate(self.path.as_os_str())?;
        Ok(LastUpdate::new(
            raw.time,
            raw.names.into_iter().zip(raw.values).collect(),
        ))
    }

    /// Values over a time range (`rrdtool fetch`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read or has no archive for `cf`.
    pub fn fetch(&self, request: &FetchRequest) -> Result<Series, RrdError> {
        self.check_header()?;
        let rest = request.to_args();
        let mut args = vec![self.path.as_os_str()];
        args.extend(rest.iter().map(OsStr::new));
        if let Some(d) = &self.daemon {
            args.extend(os_args(&["--daemon", d.as_str()]));
        }
        ffi::call_fetch(&args).map(Series::from_matrix)
    }

    /// Writes the daemon's pending updates of this file to disk (`rrdtool flushcached`).
    /// Without [`Rrd::daemon`], librrd uses `RRDCACHED_ADDRESS`.
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when no daemon is known or the daemon refuses.
    pub fn flush(&self) -> Result<(), RrdError> {
        ffi::call_status(ffi::StatusCall::FlushCached, &self.args(&[]))
    }
}

use crate::header::daemon_from_env;

/// The version of the librrd that this process runs, such as `1.7.2`.
pub fn librrd_version() -> String {
    rrd::ops::version::librrd_version()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn librrd_is_1_7_or_later() {
        let v = librrd_version();
        let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        assert!((major, minor) >= (1, 7), "{v}");
    }
}
