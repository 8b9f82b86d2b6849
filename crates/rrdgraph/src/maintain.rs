//! The maintenance commands: dump, restore, tune, resize and list, through librrd's own entry
//! points (so every output and message is rrdtool's).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::ffi;
use crate::handle::Rrd;
use crate::info::Info;
use crate::rrd_error::RrdError;
use crate::tune::TuneSpec;

/// Which document type declaration a dump starts with (`rrdtool dump --header`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DumpHeader {
    /// None (`--header none`, `--no-header`).
    None,
    /// The DTD (`--header dtd`), rrdtool's default.
    #[default]
    Dtd,
    /// The XML Schema (`--header xsd`).
    Xsd,
}

impl DumpHeader {
    /// The value librrd's `rrd_dump_cb_r` takes.
    fn code(self) -> std::ffi::c_int {
        match self {
            Self::None => 0,
            Self::Dtd => 1,
            Self::Xsd => 2,
        }
    }
}

/// Grow or shrink an archive (`rrdtool resize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resize {
    /// Add empty rows (`GROW`).
    Grow,
    /// Drop the oldest rows (`SHRINK`).
    Shrink,
}

/// How [`Rrd::restore`] writes the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub struct RestoreOptions {
    range_check: bool,
    force_overwrite: bool,
}

impl RestoreOptions {
    /// Store a value outside its data source's min/max as unknown (`--range-check`).
    pub fn range_check(mut self) -> Self {
        self.range_check = true;
        self
    }

    /// Replace an existing file (`--force-overwrite`); without it an existing file is refused.
    pub fn force_overwrite(mut self) -> Self {
        self.force_overwrite = true;
        self
    }
}

/// The file `rrdtool resize` writes: librrd always names it `resize.rrd`, in the current
/// directory.
pub const RESIZE_OUTPUT: &str = "resize.rrd";

impl Rrd {
    /// Writes the file as XML (`rrdtool dump`) to `out`, streamed as librrd produces it.
    /// Through a daemon, the file is flushed first, as rrdtool does; the dump itself reads the
    /// local file, whose header is checked first.
    ///
    /// # Errors
    ///
    /// [`RrdError::BadHeader`], [`RrdError::Librrd`] when the file cannot be read,
    /// [`RrdError::Output`] when writing to `out` fails (the dump stops there).
    pub fn dump(&self, header: DumpHeader, out: &mut dyn std::io::Write) -> Result<(), RrdError> {
        if self.through_daemon() {
            self.flush()?;
        }
        crate::header::check(self.path())?;
        ffi::call_dump(self.path().as_os_str(), header.code(), out)
    }

    /// Creates this file from the XML of [`Rrd::dump`] (`rrdtool restore`). When the XML is
    /// refused, a file that librrd began to write is removed (rrdtool leaves it), unless it
    /// existed before. The file written is checked as [`check_header`](crate::check_header)
    /// checks every file librrd opens: XML that says `<step>0</step>` gives a file librrd
    /// crashes on, which is removed and reported as [`RrdError::BadHeader`].
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] with librrd's message: XML that is not a dump, an existing file
    /// without [`RestoreOptions::force_overwrite`], ...
    pub fn restore(&self, xml: impl AsRef<Path>, options: RestoreOptions) -> Result<(), RrdError> {
        let mut args: Vec<&OsStr> = Vec::new();
        if options.range_check {
            args.push(OsStr::new("--range-check"));
        }
        if options.force_overwrite {
            args.push(OsStr::new("--force-overwrite"));
        }
        // A file name starting with '-' must not be read as an option.
        args.push(OsStr::new("--"));
        args.push(xml.as_ref().as_os_str());
        args.push(self.path().as_os_str());
        let existed = self.path().symlink_metadata().is_ok();
        // librrd restores what the XML says, a step of 0 included: a file that librrd then
        // crashes on. It is checked like any file librrd is about to open, and removed if bad.
        let result = ffi::call_status(ffi::StatusCall::Restore, &args)
            .and_then(|()| crate::header::check(self.path()));
        if matches!(result, Err(RrdError::BadHeader { .. })) {
            let _ = std::fs::remove_file(self.path());
        } else if result.is_err() && !existed {
            // librrd leaves what it wrote before the XML failed: a file that is no RRD. It was
            // not there before, so it goes (rrdtool leaves it).
            let _ = std::fs::remove_file(self.path());
        }
        result
    }

    /// Changes the header, data sources or archives (`rrdtool tune`). The header is checked
    /// first, then `spec` against the file's layout ([`TuneSpec`] says what is refused), and
    /// only then does librrd change the file.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for no change or a change the file can't take,
    /// [`RrdError::BadHeader`], [`RrdError::Librrd`] with librrd's message.
    pub fn tune(&self, spec: &TuneSpec) -> Result<(), RrdError> {
        crate::header::check(self.path())?;
        let info = Info::new(ffi::call_info(
            ffi::InfoCall::Info,
            &[self.path().as_os_str()],
        )?);
        spec.validate(&info)?;
        let step = info.get("step").and_then(crate::InfoValue::as_u64);
        let rest = spec.to_args(step);
        let mut args = vec![self.path().as_os_str()];
        args.extend(rest.iter().map(std::ffi::OsString::as_os_str));
        ffi::call_status(ffi::StatusCall::Tune, &args)
    }

    /// Grows or shrinks archive `rra` (from 0) by `rows` (`rrdtool resize`). librrd writes the
    /// result to [`RESIZE_OUTPUT`] in the current directory and leaves this file as it was;
    /// the returned path is that file's. The header is checked first.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for zero rows or a grow past [`MAX_ROWS`](crate::MAX_ROWS) rows or
    /// [`MAX_DATA_BYTES`](crate::MAX_DATA_BYTES) (librrd would write it all),
    /// [`RrdError::BadHeader`], [`RrdError::Librrd`] for an archive that does not exist or a
    /// shrink below one row.
    pub fn resize(&self, rra: usize, how: Resize, rows: u64) -> Result<PathBuf, RrdError> {
        if rows == 0 {
            return Err(RrdError::Invalid {
                what: "resize rows",
                reason: "must be at least 1".into(),
            });
        }
        crate::header::check(self.path())?;
        if how == Resize::Grow {
            let info = Info::new(ffi::call_info(
                ffi::InfoCall::Info,
                &[self.path().as_os_str()],
            )?);
            let layout = crate::RrdInfo::from_info(&info)?;
            let now = layout.rra.get(rra).map_or(0, |r| r.rows);
            crate::rra::check_rows("resize rows", now.saturating_add(rows))?;
            let total = layout
                .rra
                .iter()
                .fold(rows, |a, r| a.saturating_add(r.rows));
            crate::rra::check_data_size(total, u64::try_from(layout.ds.len()).unwrap_or(u64::MAX))?;
        }
        let (rra, rows) = (rra.to_string(), rows.to_string());
        let how = match how {
            Resize::Grow => "GROW",
            Resize::Shrink => "SHRINK",
        };
        let args = [
            self.path().as_os_str(),
            OsStr::new(&rra),
            OsStr::new(how),
            OsStr::new(&rows),
        ];
        ffi::call_status(ffi::StatusCall::Resize, &args)?;
        Ok(PathBuf::from(RESIZE_OUTPUT))
    }
}

/// What [`list`] lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ListRequest {
    recursive: bool,
    no_flush: bool,
    daemon: Option<String>,
}

impl ListRequest {
    /// The RRDs and directories directly in the directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// The RRDs of the whole tree below it, as paths relative to it (`--recursive`).
    pub fn recursive(mut self) -> Self {
        self.recursive = true;
        self
    }

    /// Ask the daemon not to flush first (`--noflush`).
    pub fn no_flush(mut self) -> Self {
        self.no_flush = true;
        self
    }

    /// List through the rrdcached at `address` (`--daemon`): the directory is the daemon's.
    pub fn daemon(mut self, address: impl Into<String>) -> Self {
        self.daemon = Some(address.into());
        self
    }
}

/// The RRD files and subdirectories of `dir` (`rrdtool list`), in librrd's order.
///
/// # Errors
///
/// [`RrdError::Librrd`] when the directory cannot be read (rrdtool 1.7.2 prints the message
/// and exits 0; we report it as the failure it is, and check a local directory before librrd).
pub fn list(dir: impl AsRef<Path>, request: &ListRequest) -> Result<Vec<String>, RrdError> {
    let mut args: Vec<&OsStr> = Vec::new();
    if request.recursive {
        args.push(OsStr::new("--recursive"));
    }
    if request.no_flush {
        args.push(OsStr::new("--noflush"));
    }
    if let Some(d) = &request.daemon {
        args.push(OsStr::new("--daemon"));
        args.push(OsStr::new(d.as_str()));
    }
    let dir = dir.as_ref();
    if request.daemon.is_none() && !crate::header::daemon_from_env() {
        // librrd prints the error of an unreadable directory and returns an empty list.
        std::fs::read_dir(dir).map_err(|e| RrdError::Librrd {
            op: "list",
            message: format!("opening '{}': {e}", dir.display()),
        })?;
    }
    args.push(dir.as_os_str());
    let text = ffi::call_list(&args)?;
    Ok(text.lines().map(str::to_owned).collect())
}
