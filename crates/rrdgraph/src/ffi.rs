//! The only module that calls librrd's C functions (through `rrd-sys`).
//!
//! Why `unsafe` is needed here: librrd is a C library. Its argv entry points (`rrd_graph_v`,
//! `rrd_create`, `rrd_fetch`, `rrd_xport`, ...) take `char **`, return heap memory that must go
//! back through `rrd_freemem`/`rrd_info_free`, and report errors through a per-thread context
//! read with `rrd_get_error`. Each function below owns one such call: it builds the argv from
//! owned `CString`s, copies every result into Rust values while the C memory is alive, frees it
//! exactly once, and returns librrd's own error message on failure.
//!
//! # Why not only the `rrd` crate
//!
//! The `rrd` crate wraps librrd's `_r` entry points (`rrd_info_r`, `rrd_fetch_r`,
//! `rrd_create_r2`, `rrd_updatex_r`). Those bypass rrdcached entirely: no `--daemon`, and
//! `RRDCACHED_ADDRESS` is ignored, so a graph or fetch would read stale files on an
//! installation with a cache. Its `graph` refuses graphs that only PRINT (it requires the
//! image keys) and returns graphv's answer as a `HashMap`, losing the order of `print[]` and
//! `legend[]`. So this module calls the argv entry points, the ones `rrdtool` itself calls;
//! the crate is still used where it fits (the testbed's traffic RRDs, the version string).
//!
//! # The librrd lock
//!
//! librrd's argv entry points are not safe to run in parallel: `rrd_graph` keeps global state
//! (the `--week-fmt` buffer, `setlocale(LC_TIME/LC_CTYPE, "")` on every graph, the rrdcached
//! client connection that `--daemon` opens and keeps) and the option parser of older releases is
//! `getopt` with its global `optind`. Every call here therefore holds [`LIBRRD`], one
//! process-wide mutex, for the whole call, including the copy of the results. The batch
//! renderer gets parallelism from worker processes instead (see `batch.rs`).

use std::ffi::{CStr, CString, OsStr, c_char, c_int, c_ulong};
use std::os::unix::ffi::OsStrExt as _;
use std::sync::{Mutex, MutexGuard};

use crate::info::InfoValue;
use crate::rrd_error::RrdError;

/// The process-wide lock around every librrd call. See the module docs.
static LIBRRD: Mutex<()> = Mutex::new(());

/// Takes the librrd lock. A panic while the lock was held cannot leave librrd half-called
/// (the C call itself does not unwind), so a poisoned lock is still usable.
fn lock() -> MutexGuard<'static, ()> {
    LIBRRD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An argv for librrd: owned, mutable, NUL-terminated byte buffers and the pointer array over
/// them (itself NULL-terminated, as `getopt`-style parsers may look one past `argc`). librrd
/// may permute the pointers while it parses options, and some of its parsers write into the
/// strings; both only touch memory this struct owns, which is freed as plain `Vec`s.
struct Argv {
    _buffers: Vec<Vec<u8>>,
    ptrs: Vec<*mut c_char>,
}

impl Argv {
    fn new(op: &'static str, args: &[&OsStr]) -> Result<Self, RrdError> {
        let mut buffers = args
            .iter()
            .enumerate()
            .map(|(index, a)| {
                if a.as_bytes().contains(&0) {
                    return Err(RrdError::NulByte {
                        op,
                        // Index 0 is the command name that librrd expects first.
                        index: index.saturating_sub(1),
                    });
                }
                let mut buf = Vec::with_capacity(a.len() + 1);
                buf.extend_from_slice(a.as_bytes());
                buf.push(0);
                Ok(buf)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut ptrs: Vec<*mut c_char> = buffers
            .iter_mut()
            .map(|b| b.as_mut_ptr().cast::<c_char>())
            .collect();
        ptrs.push(std::ptr::null_mut());
        Ok(Self {
            _buffers: buffers,
            ptrs,
        })
    }

    /// The argv of librrd command `name` (what rrdtool puts first) with `args`, and its argc.
    fn command(op: &'static str, name: &str, args: &[&OsStr]) -> Result<(Self, c_int), RrdError> {
        let mut full = Vec::with_capacity(args.len() + 1);
        full.push(OsStr::new(name));
        full.extend_from_slice(args);
        let argv = Self::new(op, &full)?;
        let argc = argv.argc(op)?;
        Ok((argv, argc))
    }

    fn argc(&self, op: &'static str) -> Result<c_int, RrdError> {
        c_int::try_from(self.ptrs.len() - 1).map_err(|_| RrdError::Invalid {
            what: op,
            reason: "too many arguments for librrd".into(),
        })
    }
}

/// Clears librrd's per-thread error before a call.
fn clear_error() {
    // SAFETY: rrd_clear_error only resets this thread's librrd error context.
    unsafe { rrd_sys::rrd_clear_error() }
}

/// True when librrd set an error for this thread.
fn error_is_set() -> bool {
    // SAFETY: rrd_get_error returns this thread's error buffer (or NULL), read only here.
    unsafe {
        let p = rrd_sys::rrd_get_error();
        !p.is_null() && *p != 0
    }
}

/// librrd's error message for the failed call `op`, cleared afterwards.
fn take_error(op: &'static str) -> RrdError {
    // SAFETY: rrd_get_error returns this thread's error buffer (or NULL); we copy it before
    // clearing it.
    let message = unsafe {
        let p = rrd_sys::rrd_get_error();
        if p.is_null() || *p == 0 {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    clear_error();
    RrdError::Librrd {
        op,
        message: if message.is_empty() {
            "librrd failed without a message".to_owned()
        } else {
            message
        },
    }
}

/// Which argv entry point that returns an info list to call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum InfoCall {
    /// `rrd_graph_v`: `graphv <file> <args>...`
    Graph,
    /// `rrd_info`: `info [--daemon a] <file>`
    Info,
    /// `rrd_update_v`: `updatev [--daemon a] <file> <values>...`
    UpdateV,
}

impl InfoCall {
    fn op(self) -> &'static str {
        match self {
            Self::Graph => "graph",
            Self::Info => "info",
            Self::UpdateV => "updatev",
        }
    }
}

/// Calls one of librrd's info-returning entry points with `args` (without the command name)
/// and copies the list out in librrd's order.
pub(crate) fn call_info(
    call: InfoCall,
    args: &[&OsStr],
) -> Result<Vec<(String, InfoValue)>, RrdError> {
    let op = call.op();
    let name = match call {
        InfoCall::Graph => "graphv",
        InfoCall::Info => "info",
        InfoCall::UpdateV => "updatev",
    };
    let (mut argv, argc) = Argv::command(op, name, args)?;
    let _guard = lock();
    clear_error();
    // SAFETY: argv is a valid NULL-terminated array of argc C strings that outlives the call.
    let head = unsafe {
        match call {
            InfoCall::Graph => rrd_sys::rrd_graph_v(argc, argv.ptrs.as_mut_ptr()),
            InfoCall::Info => rrd_sys::rrd_info(argc, argv.ptrs.as_mut_ptr()),
            InfoCall::UpdateV => rrd_sys::rrd_update_v(argc, argv.ptrs.as_mut_ptr()),
        }
    };
    if head.is_null() {
        // A graph with nothing to draw and nothing to print (only COMMENTs, say) returns no
        // list and sets no error: rrdtool's CLI prints nothing and succeeds. So do we.
        let failed = error_is_set();
        return if failed || !matches!(call, InfoCall::Graph) {
            Err(take_error(op))
        } else {
            Ok(Vec::new())
        };
    }
    // librrd can return a partial list and still have set an error (e.g. graphv when drawing
    // failed after PRINT). rrdtool's CLI treats a set error as failure: so do we.
    // SAFETY: head is a list returned by librrd that we own until rrd_info_free.
    let list = unsafe { copy_info(head) };
    // SAFETY: head came from librrd and is freed once.
    unsafe { rrd_sys::rrd_info_free(head) };
    let failed = error_is_set();
    if failed {
        return Err(take_error(op));
    }
    Ok(list)
}

/// Copies an `rrd_info_t` list.
///
/// # Safety
///
/// `head` must be a valid list returned by librrd, not yet freed.
unsafe fn copy_info(head: *mut rrd_sys::rrd_info_t) -> Vec<(String, InfoValue)> {
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list (caller's contract); its key is a C string and the
        // union member read is the one named by `type_`.
        unsafe {
            let node = &*cur;
            let key = if node.key.is_null() {
                String::new()
            } else {
                CStr::from_ptr(node.key).to_string_lossy().into_owned()
            };
            let value = match node.type_ {
                rrd_sys::rrd_info_type_RD_I_VAL => InfoValue::Value(node.value.u_val),
                #[allow(clippy::useless_conversion, reason = "c_ulong is 32 bits elsewhere")]
                rrd_sys::rrd_info_type_RD_I_CNT => InfoValue::Count(u64::from(node.value.u_cnt)),
                rrd_sys::rrd_info_type_RD_I_INT => InfoValue::Int(i64::from(node.value.u_int)),
                rrd_sys::rrd_info_type_RD_I_STR => {
                    let p = node.value.u_str;
                    InfoValue::Text(if p.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(p).to_string_lossy().into_owned()
                    })
                }
                rrd_sys::rrd_info_type_RD_I_BLO => {
                    let blob = node.value.u_blo;
                    let len = usize::try_from(blob.size).unwrap_or(0);
                    InfoValue::Blob(if blob.ptr.is_null() || len == 0 {
                        Vec::new()
                    } else {
                        std::slice::from_raw_parts(blob.ptr, len).to_vec()
                    })
                }
                other => InfoValue::Text(format!("<unknown librrd info type {other}>")),
            };
            out.push((key, value));
            cur = node.next;
        }
    }
    out
}

/// Which argv entry point that returns a status code to call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StatusCall {
    /// `rrd_create`
    Create,
    /// `rrd_update`
    Update,
    /// `rrd_flushcached`
    FlushCached,
    /// `rrd_restore`: `restore [-r] [-f] XML FILE`
    Restore,
    /// `rrd_tune`: `tune FILE OPTIONS...`
    Tune,
    /// `rrd_resize`: `resize FILE RRA GROW|SHRINK ROWS`
    Resize,
}

impl StatusCall {
    fn op(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::FlushCached => "flushcached",
            Self::Restore => "restore",
            Self::Tune => "tune",
            Self::Resize => "resize",
        }
    }
}

/// Calls one of librrd's status-returning entry points with `args` (without the command name).
pub(crate) fn call_status(call: StatusCall, args: &[&OsStr]) -> Result<(), RrdError> {
    let op = call.op();
    let (mut argv, argc) = Argv::command(op, op, args)?;
    let _guard = lock();
    clear_error();
    // SAFETY: argv is a valid NULL-terminated array of argc C strings that outlives the call.
    let rc = unsafe {
        match call {
            StatusCall::Create => rrd_sys::rrd_create(argc, argv.ptrs.as_mut_ptr()),
            StatusCall::Update => rrd_sys::rrd_update(argc, argv.ptrs.as_mut_ptr()),
            StatusCall::FlushCached => rrd_sys::rrd_flushcached(argc, argv.ptrs.as_mut_ptr()),
            StatusCall::Restore => rrd_sys::rrd_restore(argc, argv.ptrs.as_mut_ptr()),
            StatusCall::Tune => rrd_sys::rrd_tune(argc, argv.ptrs.as_mut_ptr()),
            StatusCall::Resize => rrd_sys::rrd_resize(argc, argv.ptrs.as_mut_ptr()),
        }
    };
    // rrdtool's CLI fails on a set error even when the call returned 0 (rrd_restore does so
    // for XML that does not parse): so do we.
    let failed = error_is_set();
    if rc == 0 && !failed {
        Ok(())
    } else {
        Err(take_error(op))
    }
}

/// Calls `rrd_first` (`first [--rraindex n] [--daemon a] <file>`) or `rrd_last`.
pub(crate) fn call_time(first: bool, args: &[&OsStr]) -> Result<i64, RrdError> {
    let op = if first { "first" } else { "last" };
    let (mut argv, argc) = Argv::command(op, op, args)?;
    let _guard = lock();
    clear_error();
    // SAFETY: argv is a valid NULL-terminated array of argc C strings that outlives the call.
    let t = unsafe {
        if first {
            rrd_sys::rrd_first(argc, argv.ptrs.as_mut_ptr())
        } else {
            rrd_sys::rrd_last(argc, argv.ptrs.as_mut_ptr())
        }
    };
    if t == -1 {
        return Err(take_error(op));
    }
    Ok(t)
}

/// A matrix of values as librrd's fetch and xport return it.
#[derive(Debug)]
pub(crate) struct Matrix {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) step: u64,
    pub(crate) names: Vec<String>,
    pub(crate) values: Vec<f64>,
}

/// Copies and frees librrd's `char **` of `n` names.
///
/// # Safety
///
/// `names` must be NULL or an array of `n` C strings allocated by librrd, each and the array
/// to be freed with `rrd_freemem`.
unsafe fn take_names(names: *mut *mut c_char, n: usize) -> Vec<String> {
    if names.is_null() {
        return Vec::new();
    }
    // SAFETY: caller's contract.
    unsafe {
        let out = (0..n)
            .map(|i| {
                let p = *names.add(i);
                if p.is_null() {
                    String::new()
                } else {
                    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
                    rrd_sys::rrd_freemem(p.cast());
                    s
                }
            })
            .collect();
        rrd_sys::rrd_freemem(names.cast());
        out
    }
}

/// Copies and frees librrd's value array of `len` doubles.
///
/// # Safety
///
/// `data` must be NULL or an array of at least `len` doubles allocated by librrd.
unsafe fn take_values(data: *mut f64, len: usize) -> Vec<f64> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: caller's contract.
    unsafe {
        let out = std::slice::from_raw_parts(data, len).to_vec();
        rrd_sys::rrd_freemem(data.cast());
        out
    }
}

/// Rows librrd holds for `(start, end]` at `step`: `(end - start) / step`, or `None` when the
/// numbers are inconsistent.
fn row_count(start: i64, end: i64, step: c_ulong) -> Option<usize> {
    if step == 0 || end < start {
        return None;
    }
    let span = u64::try_from(end - start).ok()?;
    #[allow(clippy::useless_conversion, reason = "c_ulong is 32 bits elsewhere")]
    let step = u64::from(step);
    usize::try_from(span / step).ok()
}

/// The most cells we copy out of one fetch or xport: 2^28 doubles (2 GiB). A larger answer
/// means librrd and we disagree on the layout, so we refuse rather than read out of bounds.
const MAX_CELLS: usize = 1 << 28;

/// Calls `rrd_fetch` (`fetch <file> <CF> [options]`).
pub(crate) fn call_fetch(args: &[&OsStr]) -> Result<Matrix, RrdError> {
    let op = "fetch";
    let (mut argv, argc) = Argv::command(op, op, args)?;
    let (mut start, mut end): (rrd_sys::time_t, rrd_sys::time_t) = (0, 0);
    let (mut step, mut ds_cnt): (c_ulong, c_ulong) = (0, 0);
    let mut names: *mut *mut c_char = std::ptr::null_mut();
    let mut data: *mut f64 = std::ptr::null_mut();
    let _guard = lock();
    clear_error();
    // SAFETY: argv is valid for the call; the out-pointers point to live locals.
    let rc = unsafe {
        rrd_sys::rrd_fetch(
            argc,
            argv.ptrs.as_mut_ptr(),
            &raw mut start,
            &raw mut end,
            &raw mut step,
            &raw mut ds_cnt,
            &raw mut names,
            &raw mut data,
        )
    };
    if rc != 0 {
        return Err(take_error(op));
    }
    finish_matrix(op, start, end, step, ds_cnt, names, data)
}

/// Calls `rrd_xport` (`xport [options] DEF:... XPORT:...`).
pub(crate) fn call_xport(args: &[&OsStr]) -> Result<Matrix, RrdError> {
    let op = "xport";
    let (mut argv, argc) = Argv::command(op, op, args)?;
    let mut unused: c_int = 0;
    let (mut start, mut end): (rrd_sys::time_t, rrd_sys::time_t) = (0, 0);
    let (mut step, mut col_cnt): (c_ulong, c_ulong) = (0, 0);
    let mut legends: *mut *mut c_char = std::ptr::null_mut();
    let mut data: *mut f64 = std::ptr::null_mut();
    let _guard = lock();
    clear_error();
    // SAFETY: argv is valid for the call; the out-pointers point to live locals.
    let rc = unsafe {
        rrd_sys::rrd_xport(
            argc,
            argv.ptrs.as_mut_ptr(),
            &raw mut unused,
            &raw mut start,
            &raw mut end,
            &raw mut step,
            &raw mut col_cnt,
            &raw mut legends,
            &raw mut data,
        )
    };
    if rc != 0 {
        return Err(take_error(op));
    }
    finish_matrix(op, start, end, step, col_cnt, legends, data)
}

fn finish_matrix(
    op: &'static str,
    start: i64,
    end: i64,
    step: c_ulong,
    cols: c_ulong,
    names: *mut *mut c_char,
    data: *mut f64,
) -> Result<Matrix, RrdError> {
    let ncols = usize::try_from(cols).unwrap_or(usize::MAX);
    let rows = row_count(start, end, step);
    let cells = rows.and_then(|r| r.checked_mul(ncols));
    // Names are freed whatever happens next.
    // SAFETY: librrd returned `cols` names (or NULL).
    let names = unsafe { take_names(names, if ncols > 4096 { 0 } else { ncols }) };
    match cells {
        Some(cells) if cells <= MAX_CELLS && ncols <= 4096 => {
            // SAFETY: librrd returned rows * cols doubles (or NULL).
            let values = unsafe { take_values(data, cells) };
            #[allow(clippy::useless_conversion, reason = "c_ulong is 32 bits elsewhere")]
            let step = u64::from(step);
            Ok(Matrix {
                start,
                end,
                step,
                names,
                values,
            })
        }
        _ => {
            if !data.is_null() {
                // SAFETY: data came from librrd and is freed once.
                unsafe { rrd_sys::rrd_freemem(data.cast()) };
            }
            Err(RrdError::Output {
                op,
                detail: format!(
                    "inconsistent result shape: start {start}, end {end}, step {step}, {cols} columns"
                ),
            })
        }
    }
}

/// What `rrd_lastupdate_r` returns.
#[derive(Debug)]
pub(crate) struct LastUpdateRaw {
    pub(crate) time: i64,
    pub(crate) names: Vec<String>,
    pub(crate) values: Vec<String>,
}

/// Calls `rrd_lastupdate_r(file)`.
pub(crate) fn call_lastupdate(file: &OsStr) -> Result<LastUpdateRaw, RrdError> {
    let op = "lastupdate";
    let file = CString::new(file.as_bytes()).map_err(|_| RrdError::NulByte { op, index: 0 })?;
    let mut time: rrd_sys::time_t = 0;
    let mut count: c_ulong = 0;
    let mut names: *mut *mut c_char = std::ptr::null_mut();
    let mut values: *mut *mut c_char = std::ptr::null_mut();
    let _guard = lock();
    clear_error();
    // SAFETY: file is a valid C string; the out-pointers point to live locals.
    let rc = unsafe {
        rrd_sys::rrd_lastupdate_r(
            file.as_ptr(),
            &raw mut time,
            &raw mut count,
            &raw mut names,
            &raw mut values,
        )
    };
    if rc != 0 {
        return Err(take_error(op));
    }
    let n = usize::try_from(count).unwrap_or(0).min(1 << 16);
    // SAFETY: librrd returned `count` names and values.
    let (names, values) = unsafe { (take_names(names, n), take_names(values, n)) };
    Ok(LastUpdateRaw {
        time,
        names,
        values,
    })
}

/// Calls `rrd_list` (`list [--recursive] DIR`) and returns its newline-separated answer.
pub(crate) fn call_list(args: &[&OsStr]) -> Result<String, RrdError> {
    let op = "list";
    let (mut argv, argc) = Argv::command(op, op, args)?;
    let _guard = lock();
    clear_error();
    // SAFETY: argv is a valid NULL-terminated array of argc C strings that outlives the call.
    let list = unsafe { rrd_sys::rrd_list(argc, argv.ptrs.as_mut_ptr()) };
    if list.is_null() {
        // An empty directory is no list and no error.
        let failed = error_is_set();
        return if failed {
            Err(take_error(op))
        } else {
            Ok(String::new())
        };
    }
    // SAFETY: librrd returned a NUL-terminated string it allocated; copied, then freed once.
    let text = unsafe {
        let text = CStr::from_ptr(list).to_string_lossy().into_owned();
        rrd_sys::rrd_freemem(list.cast());
        text
    };
    Ok(text)
}

/// Where `rrd_dump_cb_r` writes, and the first write error.
struct DumpSink<'a> {
    out: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

/// librrd's output callback: writes `len` bytes at `data` to the sink. Returning less than
/// `len` makes librrd stop with an error.
unsafe extern "C" fn dump_chunk(
    data: *const std::ffi::c_void,
    len: usize,
    user: *mut std::ffi::c_void,
) -> usize {
    // SAFETY: `user` is the DumpSink that call_dump passed and keeps alive for the call; data
    // holds `len` bytes (librrd's contract).
    let (sink, bytes) = unsafe {
        (
            &mut *user.cast::<DumpSink<'_>>(),
            if data.is_null() || len == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(data.cast::<u8>(), len)
            },
        )
    };
    if sink.error.is_some() {
        return 0;
    }
    // A panic must not unwind into C.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.out.write_all(bytes))) {
        Ok(Ok(())) => len,
        Ok(Err(e)) => {
            sink.error = Some(e);
            0
        }
        Err(_) => {
            sink.error = Some(std::io::Error::other("the writer panicked"));
            0
        }
    }
}

/// Calls `rrd_dump_cb_r(file, header, ...)`, streaming the XML to `out` (0: no header, 1: the
/// DTD, 2: the XML Schema).
pub(crate) fn call_dump(
    file: &OsStr,
    header: c_int,
    out: &mut dyn std::io::Write,
) -> Result<(), RrdError> {
    let op = "dump";
    let file = CString::new(file.as_bytes()).map_err(|_| RrdError::NulByte { op, index: 0 })?;
    let mut sink = DumpSink { out, error: None };
    let _guard = lock();
    clear_error();
    // SAFETY: file is a C string; the callback and the sink it receives live for the call.
    let rc = unsafe {
        rrd_sys::rrd_dump_cb_r(
            file.as_ptr(),
            header,
            Some(dump_chunk),
            (&raw mut sink).cast(),
        )
    };
    if let Some(e) = sink.error {
        clear_error();
        return Err(RrdError::Output {
            op,
            detail: format!("writing the dump: {e}"),
        });
    }
    if rc != 0 {
        return Err(take_error(op));
    }
    Ok(())
}

/// librrd's `rrd_time_value_t`, kept opaque: 72 bytes on `x86_64` Linux (`rrd-sys`'s
/// pre-generated binding has a 44-byte layout from another platform, so it is not used). The
/// buffer is larger and more aligned than any platform's struct, and only librrd reads it.
#[repr(C, align(16))]
struct TimeValue([u8; 256]);

unsafe extern "C" {
    fn rrd_parsetime(spec: *const c_char, ptv: *mut TimeValue) -> *mut c_char;
    fn rrd_proc_start_end(
        start: *mut TimeValue,
        end: *mut TimeValue,
        start_out: *mut rrd_sys::time_t,
        end_out: *mut rrd_sys::time_t,
    ) -> c_int;
}

/// The start and end that librrd makes of two at-style times (`--start`, `--end`), now.
pub(crate) fn start_end(start: &str, end: &str) -> Result<(i64, i64), RrdError> {
    let op = "parsetime";
    let cstr = |text: &str| CString::new(text).map_err(|_| RrdError::NulByte { op, index: 0 });
    let (start, end) = (cstr(start)?, cstr(end)?);
    let mut tv = [TimeValue([0; 256]), TimeValue([0; 256])];
    let _guard = lock();
    clear_error();
    for (spec, tv) in [&start, &end].into_iter().zip(tv.iter_mut()) {
        // SAFETY: spec is a C string and tv a buffer larger than librrd's struct.
        let err = unsafe { rrd_parsetime(spec.as_ptr(), tv) };
        if !err.is_null() {
            // SAFETY: librrd returns a NUL-terminated message; it is copied at once.
            let message = unsafe { CStr::from_ptr(err) }
                .to_string_lossy()
                .into_owned();
            return Err(RrdError::Librrd { op, message });
        }
    }
    let (mut first, mut last): (rrd_sys::time_t, rrd_sys::time_t) = (0, 0);
    let [start_tv, end_tv] = &mut tv;
    // SAFETY: both buffers were filled by rrd_parsetime; the out-pointers are live locals.
    let rc = unsafe { rrd_proc_start_end(start_tv, end_tv, &raw mut first, &raw mut last) };
    if rc == -1 {
        return Err(take_error(op));
    }
    Ok((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_rejects_nul_with_the_argument_index() {
        let args = ["graphv", "-", "a\0b"].map(OsStr::new);
        let err = Argv::new("graph", &args)
            .err()
            .expect("NUL must be refused");
        assert!(matches!(
            err,
            RrdError::NulByte {
                op: "graph",
                index: 1
            }
        ));
    }

    #[test]
    fn row_count_refuses_nonsense() {
        assert_eq!(row_count(0, 600, 300), Some(2));
        assert_eq!(row_count(600, 0, 300), None);
        assert_eq!(row_count(0, 600, 0), None);
    }

    #[test]
    fn start_and_end_are_librrd_s() {
        let (a, b) = (1_000_000_000, 1_000_007_200);
        assert_eq!(start_end(&a.to_string(), &b.to_string()).unwrap(), (a, b));
        assert_eq!(start_end("end-1h", &b.to_string()).unwrap(), (b - 3600, b));
        let (s, e) = start_end("-1d", "now").unwrap();
        assert_eq!(e - s, 86_400);
        assert!(start_end("end-1h", "start+1h").is_err());
        assert!(start_end("now-", "now").is_err());
    }

    #[test]
    fn errors_keep_librrd_message() {
        let err = call_time(false, &[OsStr::new("/nonexistent/opskit.rrd")]).unwrap_err();
        let RrdError::Librrd { op, message } = err else {
            panic!("{err:?}")
        };
        assert_eq!(op, "last");
        assert!(message.contains("/nonexistent/opskit.rrd"), "{message}");
    }
}
