//! Local files on their way to clamd: how both clients open them and decide between FILDES
//! and INSTREAM, so that the blocking and the async client can't drift apart.

use std::fs::File;
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::{Error, Result};

/// Opens a local file to send, and returns it with its length.
///
/// The open never blocks: `O_NONBLOCK` keeps a FIFO (one swapped in after a walk, say) from
/// waiting forever for a writer, and anything but a regular file is refused as a read error
/// for that path, as the walk refuses special files. For a regular file `O_NONBLOCK` has no
/// effect on reads.
///
/// # Errors
///
/// [`Error::Read`] when the file cannot be opened, examined, or is not a regular file.
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64)> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
        .open(path)
        .map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(read_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a device, FIFO or socket)",
        )));
    }
    Ok((file, meta.len()))
}

/// What to stream with INSTREAM instead of passing `fd` with FILDES, if anything. clamd
/// refuses anything but a regular file (`Not a regular file ERROR`), so both clients stream the
/// rest (pipes, sockets, character devices) through a duplicate of the descriptor. A
/// descriptor that can't be examined is tried with FILDES, and clamd then says what is wrong
/// with it.
///
/// # Errors
///
/// [`Error::Read`] when the descriptor can't be duplicated.
pub(crate) fn instream_instead(fd: BorrowedFd<'_>) -> Result<Option<File>> {
    let regular = rustix::fs::fstat(fd).map_or(true, |st| {
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
    });
    if regular {
        return Ok(None);
    }
    let owned = fd.try_clone_to_owned().map_err(|source| Error::Read {
        path: "<descriptor>".into(),
        source,
    })?;
    Ok(Some(File::from(owned)))
}
