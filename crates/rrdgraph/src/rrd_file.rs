//! An RRD file read in pure Rust: the header checked at open, fetch with librrd's rules.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use crate::RrdError;
use crate::fetch_plan::{self, Plan, PlanError, Wish};
use crate::rrd_layout::{Bad, DEFS_AT, Defs, LIVE_HEAD_LEN, Live, STAT_HEAD_LEN, StatHead};
use crate::series::Series;
use crate::value::Cf;

/// The most values (rows × data sources) one [`RrdFile::fetch`] returns: 2^25, 256 MiB of
/// `f64`. A larger window is refused with [`RrdError::FetchTooLarge`] before anything is
/// allocated.
pub const MAX_FETCH_VALUES: usize = 1 << 25;

/// librrd's UNKN for rows outside the archive: `DNAN` is computed as `0.0 / 0.0`, which on
/// `x86_64` is the negative quiet NaN (`rrdtool fetch` prints it `-nan`).
pub(crate) const DNAN: f64 = f64::from_bits(0xfff8_0000_0000_0000);

/// Rows are read in pieces of this many bytes, so a fetch holds its answer and one piece.
const READ_PIECE: usize = 64 * 1024;

/// How much of a file [`RrdFile::open`] reads at once: the whole header of a file of a few
/// data sources and archives (the recipe's is under 8 KiB).
const FIRST_READ: usize = 16 * 1024;

/// `len` bytes from `at`: out of `first` (the file's first bytes) where it holds them, else
/// read.
fn read_part<'b>(
    source: &Source,
    first: &'b [u8],
    at: u64,
    len: usize,
) -> io::Result<std::borrow::Cow<'b, [u8]>> {
    let held = usize::try_from(at)
        .ok()
        .and_then(|at| first.get(at..at.checked_add(len)?));
    if let Some(held) = held {
        return Ok(std::borrow::Cow::Borrowed(held));
    }
    let mut buf = vec![0u8; len];
    source.read_at(&mut buf, at)?;
    Ok(std::borrow::Cow::Owned(buf))
}

/// Where the bytes come from.
enum Source {
    File(File),
    Bytes(Box<[u8]>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(file) => f.debug_tuple("File").field(file).finish(),
            Source::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

impl Source {
    fn len(&self) -> io::Result<u64> {
        match self {
            Source::File(f) => Ok(f.metadata()?.len()),
            Source::Bytes(b) => Ok(b.len() as u64),
        }
    }

    /// Fills `buf` from byte `at` (a positioned read: no shared cursor, so `&self` suffices).
    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        match self {
            Source::File(f) => f.read_exact_at(buf, at),
            Source::Bytes(b) => {
                let src = usize::try_from(at)
                    .ok()
                    .and_then(|at| b.get(at..at.checked_add(buf.len())?))
                    .ok_or(io::ErrorKind::UnexpectedEof)?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }
}

/// An RRD file, read without librrd: the layout librrd 1.7 writes on `x86_64` Linux
/// (versions `0003` to `0005`).
///
/// [`open`](RrdFile::open) reads and checks the header; [`fetch`](RrdFile::fetch) answers
/// like `rrdtool fetch`, with the same archive, window, step and values (bit for bit, UNKN as
/// NaN) as librrd's, in the same [`Series`] type that [`Rrd::fetch`](crate::Rrd::fetch)
/// returns.
///
/// Memory is bounded: the header parts a fetch needs (at most about 2.4 MB, by [`MAX_DS`] and
/// [`MAX_RRA`]), and for each fetch its answer ([`MAX_FETCH_VALUES`] at most) plus a 64 KiB
/// read buffer. Rows are read with positioned reads, so an `RrdFile` is `Send + Sync` and
/// fetches in parallel from many threads, with no lock.
///
/// The definitions (data sources, archives) are read once, at open. The last update and the
/// ring positions are read again by every fetch, so one `RrdFile` follows a file that is being
/// updated. Unlike librrd, a fetch takes no `fcntl` read lock: a fetch that runs during an
/// update may see part of it. A file replaced by another (`rrdtool restore`, `resize`, or
/// `tune` of the definitions) needs a new `open`.
///
/// ```no_run
/// use rrdgraph::{Cf, RrdFile};
///
/// let rrd = RrdFile::open("Flow.rrd")?;
/// let day = rrd.fetch(Cf::Average, 1_767_139_200, 1_767_225_600, 1)?;
/// for (time, values) in day.rows() {
///     println!("{time}: {values:?}");
/// }
/// # Ok::<(), rrdgraph::RrdError>(())
/// ```
///
/// [`MAX_DS`]: crate::MAX_DS
/// [`MAX_RRA`]: crate::MAX_RRA
#[derive(Debug)]
pub struct RrdFile {
    path: PathBuf,
    source: Source,
    head: StatHead,
    defs: Defs,
}

fn io_error(path: &Path, what: &'static str, e: &io::Error) -> RrdError {
    RrdError::Io {
        path: path.to_owned(),
        what,
        kind: e.kind(),
        message: e.to_string(),
    }
}

fn bad_header(path: &Path, bad: Bad) -> RrdError {
    RrdError::BadHeader {
        path: path.to_owned(),
        field: bad.field,
        reason: bad.reason,
    }
}

impl RrdFile {
    /// Opens the RRD at `path` and checks its header: the cookie, the version, the float
    /// cookie (the file's architecture), the counts and step, every archive's rows and the
    /// ring positions, and that the file is as long as its header says.
    ///
    /// # Errors
    ///
    /// [`RrdError::Io`] when the file cannot be opened or read, [`RrdError::BadHeader`]
    /// (naming the field) when it is not an RRD this reader knows, or is corrupt.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RrdError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| io_error(path, "opening", &e))?;
        Self::read(path.to_owned(), Source::File(file))
    }

    /// Reads an RRD held in memory, as [`open`](RrdFile::open) reads a file; `name` stands for
    /// the path in errors.
    ///
    /// # Errors
    ///
    /// As [`open`](RrdFile::open).
    pub fn from_bytes(
        name: impl Into<PathBuf>,
        bytes: impl Into<Box<[u8]>>,
    ) -> Result<Self, RrdError> {
        Self::read(name.into(), Source::Bytes(bytes.into()))
    }

    fn read(path: PathBuf, source: Source) -> Result<Self, RrdError> {
        let len = source
            .len()
            .map_err(|e| io_error(&path, "reading the length", &e))?;
        // One read for the whole header of a usual file, not one per part.
        let mut first = vec![0u8; usize::try_from(len).map_or(FIRST_READ, |l| l.min(FIRST_READ))];
        source
            .read_at(&mut first, 0)
            .map_err(|e| io_error(&path, "reading the header", &e))?;
        let head = StatHead::parse(&first[..first.len().min(STAT_HEAD_LEN)])
            .map_err(|b| bad_header(&path, b))?;
        if len < head.header_len() {
            return Err(bad_header(
                &path,
                Bad {
                    field: "length",
                    reason: format!(
                        "the file has {len} bytes; its header alone needs {}",
                        head.header_len()
                    ),
                },
            ));
        }
        // Bounded by MAX_DS and MAX_RRA, and present in the file (checked just above).
        let defs_len = usize::try_from(head.defs_len()).unwrap_or(0);
        let defs = read_part(&source, &first, DEFS_AT, defs_len)
            .map_err(|e| io_error(&path, "reading the definitions", &e))?;
        let defs = Defs::parse(head, &defs, len).map_err(|b| bad_header(&path, b))?;
        let file = Self {
            path,
            source,
            head,
            defs,
        };
        file.live_in(&first)?;
        Ok(file)
    }

    /// The path given to [`open`](RrdFile::open) (or the name given to
    /// [`from_bytes`](RrdFile::from_bytes)).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The base step (`pdp_step`), in seconds.
    pub fn step(&self) -> u64 {
        self.head.pdp_step
    }

    /// The data sources' names, in the file's order (the columns of every fetch).
    pub fn ds_names(&self) -> &[String] {
        &self.defs.ds_names
    }

    /// The time of the last update, read from the file now (`rrdtool last`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Io`] or [`RrdError::BadHeader`] when the live header cannot be read or is
    /// corrupt.
    pub fn last_update(&self) -> Result<i64, RrdError> {
        Ok(self.live()?.last_up)
    }

    /// Reads the live header and the ring positions.
    fn live(&self) -> Result<Live, RrdError> {
        self.live_in(&[])
    }

    /// [`live`](RrdFile::live), from `first` (the file's first bytes) where it holds them.
    fn live_in(&self, first: &[u8]) -> Result<Live, RrdError> {
        let live_at = self.head.live_at();
        let ptrs_at = self.head.rra_ptr_at();
        let ptrs_len = usize::try_from(self.head.rra_ptr_len()).unwrap_or(0);
        let span = usize::try_from(self.head.header_len() - live_at).unwrap_or(usize::MAX);
        let parse = |live: &[u8], ptrs: &[u8]| {
            Live::parse(&self.defs.archives, live, ptrs).map_err(|b| bad_header(&self.path, b))
        };
        if span <= FIRST_READ {
            // Both parts and what lies between them, in one read.
            let all = read_part(&self.source, first, live_at, span)
                .map_err(|e| io_error(&self.path, "reading the live header", &e))?;
            let skip = usize::try_from(ptrs_at - live_at).unwrap_or(0);
            return parse(&all[..LIVE_HEAD_LEN], &all[skip..skip + ptrs_len]);
        }
        let live = read_part(&self.source, first, live_at, LIVE_HEAD_LEN)
            .map_err(|e| io_error(&self.path, "reading the live header", &e))?;
        let ptrs = read_part(&self.source, first, ptrs_at, ptrs_len)
            .map_err(|e| io_error(&self.path, "reading the archive positions", &e))?;
        parse(&live, &ptrs)
    }

    /// Fetches `cf` over `(start, end]` as `rrdtool fetch FILE CF --start START --end END
    /// --resolution RESOLUTION` does: librrd's choice of archive, its start and end rounded to
    /// the archive's step, and its values, UNKN as NaN. A `resolution` of 1 (librrd's
    /// default) asks for the finest archive.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for a window librrd refuses (a start before 1980, an end before
    /// the start, a resolution of 0), [`RrdError::NoMatchingArchive`] when no archive answers
    /// `cf`, [`RrdError::FetchTooLarge`] past [`MAX_FETCH_VALUES`], and
    /// [`RrdError::Io`]/[`RrdError::BadHeader`] when the file cannot be read or has become
    /// corrupt.
    pub fn fetch(&self, cf: Cf, start: i64, end: i64, resolution: u64) -> Result<Series, RrdError> {
        self.fetch_wish(cf, start, end, resolution, false)
    }

    /// [`fetch`](RrdFile::fetch) with `--align-start`: start and end move back by the start's
    /// remainder to the resolution first.
    ///
    /// # Errors
    ///
    /// As [`fetch`](RrdFile::fetch).
    pub fn fetch_aligned(
        &self,
        cf: Cf,
        start: i64,
        end: i64,
        resolution: u64,
    ) -> Result<Series, RrdError> {
        self.fetch_wish(cf, start, end, resolution, true)
    }

    fn fetch_wish(
        &self,
        cf: Cf,
        start: i64,
        end: i64,
        resolution: u64,
        align_start: bool,
    ) -> Result<Series, RrdError> {
        let wish = Wish {
            cf,
            start,
            end,
            resolution,
        };
        let refused = |e: PlanError| match e {
            PlanError::Window(reason) => RrdError::Invalid {
                what: "fetch",
                reason,
            },
            PlanError::NoArchive => RrdError::NoMatchingArchive {
                path: self.path.clone(),
                cf: cf.as_str(),
            },
            PlanError::Overflow => RrdError::Invalid {
                what: "fetch",
                reason: format!("the window {start} to {end} rounds past the last time there is"),
            },
        };
        let wish = fetch_plan::check_wish(wish, align_start).map_err(refused)?;
        let live = self.live()?;
        let plan = fetch_plan::plan(
            &self.defs.archives,
            self.head.pdp_step,
            live.last_up,
            &live.cur_rows,
            wish,
        )
        .map_err(refused)?;
        let values = self.read_plan(&plan)?;
        Ok(Series::new(
            plan.start,
            plan.end,
            plan.step,
            self.defs.ds_names.clone(),
            values,
        ))
    }

    /// The answer's values: UNKN, then the planned runs of rows, then UNKN.
    fn read_plan(&self, plan: &Plan) -> Result<Vec<f64>, RrdError> {
        let columns = self.defs.ds_names.len();
        let too_large = RrdError::FetchTooLarge {
            rows: plan.rows,
            columns,
            max: MAX_FETCH_VALUES,
        };
        let cells = usize::try_from(plan.rows)
            .ok()
            .and_then(|r| r.checked_mul(columns))
            .filter(|&c| c <= MAX_FETCH_VALUES)
            .ok_or(too_large)?;
        let mut values = vec![DNAN; cells];
        let archive = &self.defs.archives[plan.archive];
        let row_bytes = columns as u64 * 8;
        // Lead and runs are within the answer by construction; the bounds stay checked.
        let mut at = usize::try_from(plan.lead)
            .unwrap_or(usize::MAX)
            .saturating_mul(columns);
        let mut piece = vec![0u8; READ_PIECE.min(cells * 8).max(8)];
        for &(ring, count) in &plan.runs {
            let mut offset = archive.data_at + ring * row_bytes;
            let mut left = usize::try_from(count)
                .unwrap_or(usize::MAX)
                .saturating_mul(columns);
            while left > 0 {
                let n = left.min(piece.len() / 8);
                let buf = &mut piece[..n * 8];
                self.source
                    .read_at(buf, offset)
                    .map_err(|e| io_error(&self.path, "reading rows", &e))?;
                let out = values.get_mut(at..at + n).ok_or_else(|| RrdError::Output {
                    op: "fetch",
                    detail: "a planned run of rows is outside the answer".to_owned(),
                })?;
                for (v, b) in out.iter_mut().zip(buf.chunks_exact(8)) {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(b);
                    *v = f64::from_le_bytes(w);
                }
                at += n;
                left -= n;
                offset += n as u64 * 8;
            }
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrd_file_is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<RrdFile>();
    }

    #[test]
    fn bytes_that_are_not_an_rrd_are_refused_with_the_field() {
        let err = RrdFile::from_bytes("x.rrd", b"hello".to_vec()).unwrap_err();
        assert!(
            matches!(
                &err,
                RrdError::BadHeader {
                    field: "length",
                    ..
                }
            ),
            "{err}"
        );
        let err = RrdFile::from_bytes("x.rrd", vec![0u8; 4096]).unwrap_err();
        assert!(
            matches!(
                &err,
                RrdError::BadHeader {
                    field: "cookie",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error_with_the_path() {
        let err = RrdFile::open("/nonexistent/x.rrd").unwrap_err();
        assert!(
            matches!(
                &err,
                RrdError::Io {
                    what: "opening",
                    kind: io::ErrorKind::NotFound,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with("/nonexistent/x.rrd: opening"));
    }
}
