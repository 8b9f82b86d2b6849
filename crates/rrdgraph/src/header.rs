//! Checks an RRD file's header in Rust before librrd opens the file.
//!
//! librrd 1.7 trusts the header: a `ds_cnt` of 0 or a `pdp_step` of 0 divides by zero (SIGFPE)
//! and an absurd `rra_cnt` makes it allocate and read out of bounds (SIGSEGV). [`check`] reads
//! the `x86_64` Linux layout that librrd writes and refuses such a file with
//! [`RrdError::BadHeader`], naming the file and the field.
//!
//! Layout (little-endian, 8-byte aligned), checked against files that `rrdtool create` wrote:
//!
//! | part        | size                      |
//! |-------------|---------------------------|
//! | `stat_head` | 128: cookie `RRD\0`, version `000N\0`, pad, float cookie, `ds_cnt`, `rra_cnt`, `pdp_step`, 10 × 8 par |
//! | `ds_def`    | 120 per data source       |
//! | `rra_def`   | 120 per archive (`row_cnt` at offset 24) |
//! | `live_head` | 16 (version 3 and later; 8 before) |
//! | `pdp_prep`  | 112 per data source       |
//! | `cdp_prep`  | 80 per archive per data source |
//! | `rra_ptr`   | 8 per archive             |
//! | data        | 8 per row per data source, per archive |
//!
//! The check is skipped when an rrdcached daemon serves the file (the file may not be local):
//! [`Rrd::daemon`](crate::Rrd::daemon), `RRDCACHED_ADDRESS`, a `--daemon` option, or a DEF's
//! `daemon=`. A file that cannot be opened is left to librrd, whose message says why.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use crate::RrdError;

// One set of limits for both header readers (this check and the pure-Rust reader).
use crate::rrd_layout::{MAX_DS, MAX_RRA};

const STAT_HEAD: u64 = 128;
const DS_DEF: u64 = 120;
const RRA_DEF: u64 = 120;
const PDP_PREP: u64 = 112;
const CDP_PREP: u64 = 80;
const RRA_PTR: u64 = 8;
const FLOAT_COOKIE: f64 = 8.642_135E130;

fn bad(path: &Path, field: &'static str, reason: impl Into<String>) -> RrdError {
    RrdError::BadHeader {
        path: path.to_owned(),
        field,
        reason: reason.into(),
    }
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Checks the header of the RRD at `path`.
///
/// # Errors
///
/// [`RrdError::BadHeader`] naming the field: `cookie`, `version`, `float_cookie`, `ds_cnt`,
/// `rra_cnt`, `pdp_step`, `rra_def.row_cnt` or `length` (a file shorter than its header says).
/// A file that cannot be opened or read is not an error here (librrd reports it).
///
/// [`Rrd`](crate::Rrd)'s reads, [`xport`](crate::xport) and the renders call it for each file
/// (each DEF's), except when an rrdcached daemon serves the file: [`Rrd::daemon`](crate::Rrd::daemon),
/// `RRDCACHED_ADDRESS`, a `--daemon` option or a DEF's `daemon=` (the file may be remote).
pub fn check(path: &Path) -> Result<(), RrdError> {
    let Ok(mut file) = File::open(path) else {
        return Ok(());
    };
    let Ok(meta) = file.metadata() else {
        return Ok(());
    };
    if !meta.is_file() {
        return Ok(());
    }
    let len = meta.len();
    let mut head = [0u8; STAT_HEAD as usize];
    if len < STAT_HEAD {
        return Err(bad(
            path,
            "length",
            format!("the file has {len} bytes, shorter than the {STAT_HEAD}-byte header"),
        ));
    }
    if file.read_exact(&mut head).is_err() {
        return Ok(());
    }
    if &head[0..4] != b"RRD\0" {
        return Err(bad(path, "cookie", "not an RRD file (no RRD cookie)"));
    }
    let version = &head[4..9];
    let live_head = match version {
        b"0001\0" | b"0002\0" => 8,
        b"0003\0" | b"0004\0" | b"0005\0" => 16,
        _ => {
            return Err(bad(
                path,
                "version",
                format!(
                    "unknown version {:?}",
                    String::from_utf8_lossy(version).trim_end_matches('\0')
                ),
            ));
        }
    };
    let float = f64::from_bits(u64_at(&head, 16));
    if float.to_bits() != FLOAT_COOKIE.to_bits() {
        return Err(bad(
            path,
            "float_cookie",
            "wrong float cookie (a file from another architecture, or corrupt)",
        ));
    }
    let ds_cnt = u64_at(&head, 24);
    let rra_cnt = u64_at(&head, 32);
    let pdp_step = u64_at(&head, 40);
    if ds_cnt == 0 || ds_cnt > MAX_DS {
        return Err(bad(
            path,
            "ds_cnt",
            format!("{ds_cnt} data sources (1 to {MAX_DS})"),
        ));
    }
    if rra_cnt == 0 || rra_cnt > MAX_RRA {
        return Err(bad(
            path,
            "rra_cnt",
            format!("{rra_cnt} archives (1 to {MAX_RRA})"),
        ));
    }
    if pdp_step == 0 {
        return Err(bad(path, "pdp_step", "a step of 0 seconds"));
    }
    // Bounded by MAX_DS and MAX_RRA: none of these overflow.
    let rra_defs_at = STAT_HEAD + ds_cnt * DS_DEF;
    let header = rra_defs_at
        + rra_cnt * RRA_DEF
        + live_head
        + ds_cnt * PDP_PREP
        + rra_cnt * ds_cnt * CDP_PREP
        + rra_cnt * RRA_PTR;
    if len < header {
        return Err(bad(
            path,
            "length",
            format!("the file has {len} bytes; its header alone needs {header}"),
        ));
    }
    let Some(data) = data_len(path, &mut file, rra_defs_at, rra_cnt, ds_cnt)? else {
        return Ok(());
    };
    let want = header.saturating_add(data);
    if len < want {
        return Err(bad(
            path,
            "length",
            format!("the file has {len} bytes; its header and data need {want}"),
        ));
    }
    Ok(())
}

/// The bytes of data that the archives' `row_cnt`s imply; `None` when they cannot be read.
fn data_len(
    path: &Path,
    file: &mut File,
    rra_defs_at: u64,
    rra_cnt: u64,
    ds_cnt: u64,
) -> Result<Option<u64>, RrdError> {
    let mut defs = vec![0u8; usize::try_from(rra_cnt * RRA_DEF).unwrap_or(0)];
    if file.seek(SeekFrom::Start(rra_defs_at)).is_err() || file.read_exact(&mut defs).is_err() {
        return Ok(None);
    }
    let mut data: u64 = 0;
    for i in 0..rra_cnt {
        let at = usize::try_from(i * RRA_DEF + 24).unwrap_or(0);
        let rows = u64_at(&defs, at);
        let bytes = rows
            .checked_mul(ds_cnt)
            .and_then(|n| n.checked_mul(8))
            .and_then(|n| n.checked_add(data))
            .filter(|_| rows > 0);
        let Some(bytes) = bytes else {
            return Err(bad(
                path,
                "rra_def.row_cnt",
                format!("archive {i} has {rows} rows"),
            ));
        };
        data = bytes;
    }
    Ok(Some(data))
}

/// True when librrd will use `RRDCACHED_ADDRESS`.
pub(crate) fn daemon_from_env() -> bool {
    std::env::var_os("RRDCACHED_ADDRESS").is_some_and(|v| !v.is_empty())
}

/// Checks the file of every DEF in graph or xport arguments, unless a daemon is in use
/// (`--daemon`, `-d`, `RRDCACHED_ADDRESS`; a DEF's `daemon=` skips that DEF). The arguments
/// are read as bytes: a DEF's file need not be UTF-8.
pub(crate) fn check_defs<S: AsRef<OsStr>>(args: &[S]) -> Result<(), RrdError> {
    if daemon_from_env() {
        return Ok(());
    }
    let global_daemon = args.iter().map(|a| a.as_ref().as_bytes()).any(|a| {
        a == b"--daemon"
            || a.starts_with(b"--daemon=")
            || (a.starts_with(b"-d") && !a.starts_with(b"--"))
    });
    if global_daemon {
        return Ok(());
    }
    for a in args.iter().map(|a| a.as_ref().as_bytes()) {
        if !a.starts_with(b"DEF:") {
            continue;
        }
        let fields = crate::parse::split_field_bytes(a);
        if fields.iter().skip(2).any(|f| f.starts_with(b"daemon=")) {
            continue;
        }
        let Some(file) = fields
            .get(1)
            .and_then(|f| f.iter().position(|&b| b == b'=').map(|i| &f[i + 1..]))
        else {
            continue;
        };
        check(Path::new(OsStr::from_bytes(file)))?;
    }
    Ok(())
}
