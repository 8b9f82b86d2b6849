//! The local walk behind stream and FILDES scans.
//!
//! A walk never aborts: every entry it meets ends up as exactly one [`WalkEntry`]: a file to
//! scan, a directory walked, an error for that entry alone ([`WalkError`], with a
//! [`WalkReason`]), or an entry skipped on purpose ([`Skipped`]). [`Walk::tally`] counts them
//! against the entries met.
//!
//! The behaviour (order, symbolic links, errors, resources) is documented on [`Walker`], the
//! public face of this module.

use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Access, AtFlags, CWD};
use rustix::io::Errno;

/// Linux's limit on the length of a path given to a system call, with its terminating NUL.
const PATH_MAX: usize = 4096;

/// Why one entry of a walk could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WalkReason {
    /// The entry could not be examined, listed (a directory) or read (a file): `EACCES` or
    /// `EPERM`, for the caller's effective user and groups.
    #[error("permission denied")]
    PermissionDenied,
    /// The path is longer than the kernel allows (`ENAMETOOLONG`): 4096 bytes (`PATH_MAX`)
    /// or more in all, or a name of more than 255 bytes (`NAME_MAX`).
    #[error("path longer than the kernel allows (PATH_MAX {PATH_MAX} bytes)")]
    NameTooLong,
    /// Resolving a symbolic link met too many links (`ELOOP`): the links form a loop.
    #[error("symbolic link loop")]
    SymlinkLoop,
    /// A symbolic link whose target does not exist.
    #[error("dangling symbolic link")]
    DanglingSymlink,
    /// A device, FIFO or socket: not a file that can be scanned, and never opened.
    #[error("special file ({0})")]
    Special(SpecialKind),
    /// Listed by its directory, but gone (or a component replaced by a non-directory) when
    /// examined.
    #[error("vanished during the walk")]
    Vanished,
    /// A root that does not exist.
    #[error("no such file or directory")]
    NotFound,
    /// A path with a NUL byte, which no system call can take.
    #[error("the path contains a NUL byte")]
    ContainsNul,
    /// Any other failure, by its `errno`.
    #[error("{}", io::Error::from_raw_os_error(*errno))]
    Os {
        /// The `errno` value.
        errno: i32,
    },
}

impl WalkReason {
    /// A stable `snake_case` name for machine-readable output: `permission_denied`,
    /// `name_too_long`, `symlink_loop`, `dangling_symlink`, `special_file`, `vanished`,
    /// `not_found`, `contains_nul` or `os_error`.
    pub fn name(&self) -> &'static str {
        match self {
            WalkReason::PermissionDenied => "permission_denied",
            WalkReason::NameTooLong => "name_too_long",
            WalkReason::SymlinkLoop => "symlink_loop",
            WalkReason::DanglingSymlink => "dangling_symlink",
            WalkReason::Special(_) => "special_file",
            WalkReason::Vanished => "vanished",
            WalkReason::NotFound => "not_found",
            WalkReason::ContainsNul => "contains_nul",
            WalkReason::Os { .. } => "os_error",
        }
    }

    /// The reason for a failed system call on an entry; `missing` is what `ENOENT` means
    /// there (a root not found, a listed entry vanished).
    fn of(e: &io::Error, missing: WalkReason) -> Self {
        let Some(raw) = e.raw_os_error() else {
            // std reports a path with a NUL byte without calling the kernel.
            return if e.kind() == io::ErrorKind::InvalidInput {
                WalkReason::ContainsNul
            } else {
                WalkReason::Os {
                    errno: Errno::IO.raw_os_error(),
                }
            };
        };
        match Errno::from_raw_os_error(raw) {
            Errno::ACCESS | Errno::PERM => WalkReason::PermissionDenied,
            Errno::NAMETOOLONG => WalkReason::NameTooLong,
            Errno::LOOP => WalkReason::SymlinkLoop,
            Errno::NOENT => missing,
            // A component that was a directory when listed is not one any more.
            Errno::NOTDIR if missing == WalkReason::Vanished => WalkReason::Vanished,
            _ => WalkReason::Os { errno: raw },
        }
    }
}

/// The kind of a special file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpecialKind {
    /// A block device.
    BlockDevice,
    /// A character device.
    CharDevice,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix socket.
    Socket,
    /// A file type the platform does not name.
    Other,
}

impl SpecialKind {
    fn of(t: FileType) -> Self {
        if t.is_block_device() {
            SpecialKind::BlockDevice
        } else if t.is_char_device() {
            SpecialKind::CharDevice
        } else if t.is_fifo() {
            SpecialKind::Fifo
        } else if t.is_socket() {
            SpecialKind::Socket
        } else {
            SpecialKind::Other
        }
    }
}

impl fmt::Display for SpecialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecialKind::BlockDevice => "block device",
            SpecialKind::CharDevice => "character device",
            SpecialKind::Fifo => "FIFO",
            SpecialKind::Socket => "socket",
            SpecialKind::Other => "unknown file type",
        })
    }
}

/// One entry of a walk that could not be scanned, and why. Nothing below a directory with
/// such an error is visited, except the names a part-way listing returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}: {reason}", path.display())]
#[non_exhaustive]
pub struct WalkError {
    /// The entry's path: a root, or a root joined with the names below it.
    pub path: PathBuf,
    /// Why it was not scanned.
    pub reason: WalkReason,
}

impl WalkError {
    /// An error for `path`.
    pub fn new(path: impl Into<PathBuf>, reason: WalkReason) -> Self {
        Self {
            path: path.into(),
            reason,
        }
    }
}

/// Why an entry was deliberately not scanned. Not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WalkSkip {
    /// A symbolic link to a directory below a root: not followed.
    #[error("symbolic link to a directory, not followed")]
    DirectorySymlink,
    /// The path matches an exclude pattern ([`Walker::exclude`], a policy's `exclude`); a
    /// directory excluded is not listed.
    #[error("excluded")]
    Excluded,
}

impl WalkSkip {
    /// A stable `snake_case` name for machine-readable output: `directory_symlink` or
    /// `excluded`.
    pub fn name(&self) -> &'static str {
        match self {
            WalkSkip::DirectorySymlink => "directory_symlink",
            WalkSkip::Excluded => "excluded",
        }
    }
}

/// An entry skipped on purpose, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Skipped {
    /// The entry's path.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: WalkSkip,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// What a walk made of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalkEntry {
    /// A regular file (or a link to one) that the caller may read: to be scanned.
    File(PathBuf),
    /// A directory that was listed; its entries follow.
    Directory(PathBuf),
    /// An entry that could not be scanned.
    Error(WalkError),
    /// An entry skipped on purpose.
    Skipped(Skipped),
}

/// A lazy walk of local roots: an iterator of [`WalkEntry`] values in the walk's order.
///
/// A walk never aborts: every entry it meets is yielded as exactly one entry: a file to scan,
/// a directory walked, an error for that entry alone ([`WalkError`], with a [`WalkReason`]),
/// or an entry skipped on purpose ([`Skipped`]). [`met`](Self::met) counts the entries met,
/// and [`Walk::tally`] checks them against what was yielded. Each directory is listed when
/// the walk reaches it, so an entry that disappears after its directory was listed is a
/// [`WalkReason::Vanished`] error.
///
/// # Behaviour
///
/// - **Order.** Roots in the order given; inside a directory, names in byte order; depth
///   first, a directory before its contents. The same tree always gives the same order.
/// - **Symbolic links.** A root is followed whatever it points to: the caller named it.
///   Below a root, a link
///   to a regular file is followed and the file is scanned under the link's path; a link to a
///   directory is not followed and is [`Skipped`] with [`WalkSkip::DirectorySymlink`], so a
///   walk never leaves its tree through a link and never cycles. clamd's defaults for
///   clamdscan's walks (`FollowDirectorySymlinks no`, `FollowFileSymlinks no` in
///   `clamd.conf`) skip both kinds without a word; here a skip is always in the result. A link that cannot be resolved is an error: a loop (`ELOOP`,
///   e.g. `a -> b -> a`) is [`WalkReason::SymlinkLoop`], a missing target
///   [`WalkReason::DanglingSymlink`].
/// - **Errors for one entry.** An unreadable directory or file
///   ([`WalkReason::PermissionDenied`], checked with the caller's effective ids), a path longer
///   than the kernel allows ([`WalkReason::NameTooLong`]: Linux's `PATH_MAX` of 4096 bytes for
///   a whole path, `NAME_MAX` of 255 for a name), a special file ([`WalkReason::Special`]:
///   device, FIFO, socket; never opened, since opening a FIFO blocks and opening a device can
///   have side effects), and an entry that its directory listed but that is gone when examined
///   ([`WalkReason::Vanished`]). The rest of the tree is still walked. A directory whose
///   listing fails part-way is an error, and the names it did list are still walked.
/// - **File systems.** Mount points are crossed (as clamd's `CrossFilesystems yes`). A file reached twice (directly and through a
///   link) is listed twice.
/// - **Resources.** At most one directory is open at a time: a directory is listed in full and
///   closed before anything below it is examined, so a deep tree costs no descriptors. Memory
///   is the names still to visit in the directories on the current path (plus, for [`walk()`],
///   the result). Paths are built by joining names, so depth is bounded by `PATH_MAX`: an entry
///   whose path would be longer is a [`WalkReason::NameTooLong`] error, and nothing below it
///   is visited. No recursion: a deep tree cannot overflow the stack.
/// - **Paths** are [`PathBuf`]s built from the names' bytes; names that are not UTF-8 survive.
///
/// A file can still vanish between the walk and its scan; a [`Fleet`](crate::Fleet) then
/// reports an `ERROR` line for that file on each host, and scans the rest.
pub struct Walker {
    roots: std::vec::IntoIter<PathBuf>,
    /// The directories on the current path, each with the names still to visit.
    stack: Vec<Frame>,
    met: usize,
    exclude: Option<Exclude>,
}

/// Whether a path is excluded from a walk.
type Exclude = Box<dyn Fn(&Path) -> bool + Send + Sync>;

impl fmt::Debug for Walker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walker")
            .field("roots", &self.roots)
            .field("stack", &self.stack)
            .field("met", &self.met)
            .field("exclude", &self.exclude.is_some())
            .finish()
    }
}

#[derive(Debug)]
struct Frame {
    dir: PathBuf,
    names: std::vec::IntoIter<OsString>,
}

impl Walker {
    /// A walk of these roots (files or directories).
    pub fn new(roots: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        Self {
            roots: roots
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>()
                .into_iter(),
            stack: Vec::new(),
            met: 0,
            exclude: None,
        }
    }

    /// Skips every entry (root or below) for which `excluded` is true, before it is examined:
    /// it is [`Skipped`] with [`WalkSkip::Excluded`], and an excluded directory is not listed,
    /// so nothing below it is met.
    #[must_use]
    pub fn exclude(mut self, excluded: impl Fn(&Path) -> bool + Send + Sync + 'static) -> Self {
        self.exclude = Some(Box::new(excluded));
        self
    }

    /// Entries met so far: the roots taken and every name the directories listed. Once the
    /// iterator is done, every one of them has been yielded as exactly one entry.
    pub fn met(&self) -> usize {
        self.met
    }

    fn visit(&mut self, path: PathBuf, root: bool) -> WalkEntry {
        if self.exclude.as_ref().is_some_and(|x| x(&path)) {
            return WalkEntry::Skipped(Skipped {
                path,
                reason: WalkSkip::Excluded,
            });
        }
        let missing = if root {
            WalkReason::NotFound
        } else {
            WalkReason::Vanished
        };
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => return error(path, WalkReason::of(&e, missing)),
        };
        if !meta.file_type().is_symlink() {
            return self.examine(path, &meta, missing);
        }
        match std::fs::metadata(&path) {
            Ok(target) if target.is_dir() && !root => WalkEntry::Skipped(Skipped {
                path,
                reason: WalkSkip::DirectorySymlink,
            }),
            Ok(target) => self.examine(path, &target, missing),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // The target is missing, unless the link itself went away meanwhile.
                let still = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink());
                let reason = if still {
                    WalkReason::DanglingSymlink
                } else {
                    missing
                };
                error(path, reason)
            }
            Err(e) => error(path, WalkReason::of(&e, missing)),
        }
    }

    /// `meta` is the entry's own, or its link target's.
    fn examine(&mut self, path: PathBuf, meta: &Metadata, missing: WalkReason) -> WalkEntry {
        let t = meta.file_type();
        if t.is_dir() {
            return self.list(path);
        }
        if !t.is_file() {
            return error(path, WalkReason::Special(SpecialKind::of(t)));
        }
        // The scan opens the file later; an unreadable one is this entry's error now, once,
        // rather than one error per host.
        match rustix::fs::accessat(CWD, &path, Access::READ_OK, AtFlags::EACCESS) {
            Ok(()) => WalkEntry::File(path),
            Err(e) => error(path, WalkReason::of(&io::Error::from(e), missing)),
        }
    }

    fn list(&mut self, dir: PathBuf) -> WalkEntry {
        let entries = match std::fs::read_dir(&dir) {
            Ok(d) => d,
            Err(e) => return error(dir, WalkReason::of(&e, WalkReason::Vanished)),
        };
        let mut names = Vec::new();
        let mut failed = None;
        for e in entries {
            match e {
                Ok(e) => names.push(e.file_name()),
                Err(e) => {
                    failed = Some(WalkReason::of(&e, WalkReason::Vanished));
                    break;
                }
            }
        }
        // The listing's descriptor is closed here, before anything below is visited.
        names.sort();
        self.met += names.len();
        let entry = match failed {
            Some(reason) => error(dir.clone(), reason),
            None => WalkEntry::Directory(dir.clone()),
        };
        self.stack.push(Frame {
            dir,
            names: names.into_iter(),
        });
        entry
    }
}

fn error(path: PathBuf, reason: WalkReason) -> WalkEntry {
    WalkEntry::Error(WalkError { path, reason })
}

impl Iterator for Walker {
    type Item = WalkEntry;

    fn next(&mut self) -> Option<WalkEntry> {
        loop {
            if let Some(top) = self.stack.last_mut() {
                if let Some(name) = top.names.next() {
                    let path = top.dir.join(name);
                    return Some(self.visit(path, false));
                }
                self.stack.pop();
                continue;
            }
            let root = self.roots.next()?;
            self.met += 1;
            return Some(self.visit(root, true));
        }
    }
}

/// A finished walk: the files to scan, and every entry that is not one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Walk {
    /// The files to scan, in the walk's order.
    pub files: Vec<PathBuf>,
    /// Directories listed.
    pub directories: usize,
    /// Entries that could not be scanned, in the walk's order.
    pub errors: Vec<WalkError>,
    /// Entries skipped on purpose, in the walk's order.
    pub skipped: Vec<Skipped>,
    met: usize,
}

/// The counts of a [`Walk`]: every entry met is a file, a directory, an error or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct WalkTally {
    /// Entries met: roots, and the names every listed directory held.
    pub met: usize,
    /// Files to scan.
    pub files: usize,
    /// Directories listed.
    pub directories: usize,
    /// Entries with an error.
    pub errors: usize,
    /// Entries skipped on purpose.
    pub skipped: usize,
}

impl WalkTally {
    /// Whether every entry met is accounted for: `met == files + directories + errors +
    /// skipped`.
    pub fn is_complete(&self) -> bool {
        self.met == self.files + self.directories + self.errors + self.skipped
    }
}

impl Walk {
    /// Runs a [`Walker`] to the end.
    pub fn from_walker(mut walker: Walker) -> Self {
        let mut walk = Walk::default();
        for entry in &mut walker {
            match entry {
                WalkEntry::File(p) => walk.files.push(p),
                WalkEntry::Directory(_) => walk.directories += 1,
                WalkEntry::Error(e) => walk.errors.push(e),
                WalkEntry::Skipped(s) => walk.skipped.push(s),
            }
        }
        walk.met = walker.met();
        walk
    }

    /// The counts, with the number of entries the walker met.
    pub fn tally(&self) -> WalkTally {
        WalkTally {
            met: self.met,
            files: self.files.len(),
            directories: self.directories,
            errors: self.errors.len(),
            skipped: self.skipped.len(),
        }
    }
}

/// Walks `roots` to the end: shorthand for `Walk::from_walker(Walker::new(roots))`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.txt"), b"hello")?;
/// std::os::unix::fs::symlink("loop", dir.path().join("loop"))?;
/// let walk = clamd_proto::walk([dir.path()]);
/// assert_eq!(walk.files, [dir.path().join("a.txt")]);
/// assert_eq!(walk.errors[0].reason, clamd_proto::WalkReason::SymlinkLoop);
/// assert!(walk.tally().is_complete());
/// # Ok(())
/// # }
/// ```
pub fn walk(roots: impl IntoIterator<Item = impl AsRef<Path>>) -> Walk {
    Walk::from_walker(Walker::new(
        roots.into_iter().map(|r| r.as_ref().to_path_buf()),
    ))
}
