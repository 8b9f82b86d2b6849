//! A directory tree holding every kind of entry a local walk must report instead of aborting
//! on, and a way to run code as an unprivileged user.
//!
//! [`BadTree::build`] creates, in a fresh directory under `/tmp` that every user may read:
//!
//! - clean files (one with a name that is not UTF-8) and one EICAR file;
//! - a directory and a file with mode 000;
//! - a chain of directories with 200-byte names whose paths grow past Linux's `PATH_MAX`
//!   (4096 bytes), built with `mkdirat`/`openat` since no path can name its bottom, with a
//!   clean file in a directory that can still be reached;
//! - a symbolic link to itself, two links to each other, and a dangling link;
//! - a FIFO, a Unix socket, a link to `/dev/null` and, when run as root, a character device
//!   of its own (1, 3);
//! - a link to a file (followed by a walk) and a link to a directory (skipped by a walk).
//!
//! It records what a walk run as an unprivileged user must make of each entry: the files it
//! can scan, the errors by path and reason name (the names of `clamd_proto::WalkReason::name`,
//! which are also `opskit scan --json`'s), and the skipped entries. Dropping it removes the
//! tree, mode-000 entries included.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

/// The uid and gid of `nobody`, the unprivileged user of the tests.
pub const NOBODY: u32 = 65534;

/// The length of each name in the chain of directories that outgrows `PATH_MAX`.
const DEEP_NAME_LEN: usize = 200;

/// Linux's limit on a path given to a system call, with its terminating NUL.
const PATH_MAX: usize = 4096;

/// A tree with one entry of every kind a walk must report; see the [module docs](self).
#[derive(Debug)]
pub struct BadTree {
    /// Regular files that an unprivileged walk can read, sorted.
    pub files: Vec<PathBuf>,
    /// The one file with the EICAR test string (also in `files`).
    pub infected: PathBuf,
    /// Entries an unprivileged walk must report as errors: path and reason name, sorted.
    pub errors: Vec<(PathBuf, &'static str)>,
    /// Entries a walk must skip (links to directories), sorted.
    pub skipped: Vec<PathBuf>,
    locked_dir: PathBuf,
    dir: tempfile::TempDir,
}

impl BadTree {
    /// Builds the tree.
    ///
    /// # Errors
    ///
    /// Any failure creating an entry.
    pub fn build() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("walk-")
            .tempdir_in("/tmp")?;
        let root = dir.path().to_path_buf();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
        let mut t = BadTree {
            files: Vec::new(),
            infected: root.join("eicar.com"),
            errors: Vec::new(),
            skipped: Vec::new(),
            locked_dir: root.join("locked-dir"),
            dir,
        };
        t.file("clean/a.txt", b"hello\n")?;
        t.file("clean/sub/b.txt", b"world\n")?;
        t.file_bytes(b"caf\xe9.txt", b"latin-1 name\n")?;
        t.file("eicar.com", crate::clamd::EICAR)?;

        std::fs::create_dir(&t.locked_dir)?;
        std::fs::write(t.locked_dir.join("inside.txt"), b"never met\n")?;
        chmod(&t.locked_dir, 0o000)?;
        t.errors.push((t.locked_dir.clone(), "permission_denied"));
        let locked = root.join("locked.txt");
        std::fs::write(&locked, b"secret\n")?;
        chmod(&locked, 0o000)?;
        t.errors.push((locked, "permission_denied"));

        t.deep_chain()?;

        t.link("loop", "loop", "symlink_loop")?;
        t.link("loop-a", "loop-b", "symlink_loop")?;
        t.link("loop-b", "loop-a", "symlink_loop")?;
        t.link("dangling", "does-not-exist", "dangling_symlink")?;
        t.link("dev-null", "/dev/null", "special_file")?;
        let fifo = root.join("fifo");
        mkfifo(&fifo)?;
        t.errors.push((fifo, "special_file"));
        let socket = root.join("socket");
        drop(std::os::unix::net::UnixListener::bind(&socket)?);
        t.errors.push((socket, "special_file"));
        if crate::privileges::is_root() {
            let dev = root.join("char-dev");
            mknod(&dev, FileType::CharacterDevice, rustix::fs::makedev(1, 3))?;
            t.errors.push((dev, "special_file"));
        }

        std::os::unix::fs::symlink("clean/a.txt", root.join("file-link"))?;
        t.files.push(root.join("file-link"));
        std::os::unix::fs::symlink("clean", root.join("dir-link"))?;
        t.skipped.push(root.join("dir-link"));

        t.files.sort();
        t.errors.sort();
        t.skipped.sort();
        Ok(t)
    }

    /// The tree's root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    fn file(&mut self, rel: &str, data: &[u8]) -> io::Result<()> {
        let p = self.root().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, data)?;
        self.files.push(p);
        Ok(())
    }

    fn file_bytes(&mut self, name: &[u8], data: &[u8]) -> io::Result<()> {
        let p = self.root().join(OsStr::from_bytes(name));
        std::fs::write(&p, data)?;
        self.files.push(p);
        Ok(())
    }

    fn link(&mut self, name: &str, target: &str, reason: &'static str) -> io::Result<()> {
        let p = self.root().join(name);
        std::os::unix::fs::symlink(target, &p)?;
        self.errors.push((p, reason));
        Ok(())
    }

    /// `deep/<200 x d>/<200 x d>/…` until two levels past the first directory whose path is
    /// `PATH_MAX` bytes or longer, which is the walk's error; `ok.txt` two levels above it.
    fn deep_chain(&mut self) -> io::Result<()> {
        let name = "d".repeat(DEEP_NAME_LEN);
        let mut path = self.root().join("deep");
        std::fs::create_dir(&path)?;
        let mut fd: OwnedFd = rustix::fs::open(&path, dir_flags(), Mode::empty())?;
        let mut levels = Vec::new();
        let mut past = 0;
        while past < 3 {
            rustix::fs::mkdirat(&fd, name.as_str(), Mode::from_raw_mode(0o755))?;
            fd = rustix::fs::openat(&fd, name.as_str(), dir_flags(), Mode::empty())?;
            path.push(&name);
            if path.as_os_str().len() >= PATH_MAX {
                if past == 0 {
                    self.errors.push((path.clone(), "name_too_long"));
                }
                past += 1;
            }
            levels.push((path.clone(), fd.try_clone()?));
        }
        // A file as deep as a scan can still open it, and one below the limit that no walk
        // meets.
        let (ok_dir, ok_fd) = &levels[levels.len() - 5];
        write_at(ok_fd, "ok.txt", b"deep but reachable\n")?;
        self.files.push(ok_dir.join("ok.txt"));
        write_at(&fd, "lost.txt", crate::clamd::EICAR)?;
        Ok(())
    }
}

impl Drop for BadTree {
    fn drop(&mut self) {
        // An unprivileged owner could not list a mode-000 directory to remove it.
        let _ = chmod(&self.locked_dir, 0o755);
    }
}

fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC
}

fn write_at(dir: &OwnedFd, name: &str, data: &[u8]) -> io::Result<()> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    let mut file = std::fs::File::from(fd);
    io::Write::write_all(&mut file, data)
}

/// Creates a FIFO at `path`.
///
/// # Errors
///
/// As `mknod(2)`.
pub fn mkfifo(path: &Path) -> io::Result<()> {
    mknod(path, FileType::Fifo, 0)
}

fn mknod(path: &Path, kind: FileType, dev: rustix::fs::Dev) -> io::Result<()> {
    let mode = Mode::from_raw_mode(0o644);
    Ok(rustix::fs::mknodat(rustix::fs::CWD, path, kind, mode, dev)?)
}

fn chmod(p: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
}

/// Makes `cmd` run as `nobody` ([`NOBODY`]; std drops the supplementary groups) when the
/// caller is root; otherwise it runs as the caller, who is already unprivileged.
pub fn unprivileged(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    if crate::privileges::is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    cmd
}

/// Runs `f` on a thread of its own as `nobody` ([`NOBODY`], no supplementary groups) when the
/// caller is root, so that permissions apply; otherwise the caller is already unprivileged and
/// `f` runs as it. Only that thread's credentials change (Linux keeps them per thread, and the
/// raw system calls change only the caller's), so the rest of the process keeps its own.
///
/// # Panics
///
/// When the credentials cannot be changed, or `f` panics.
pub fn as_nobody<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            if crate::privileges::is_root() {
                let gid = rustix::process::Gid::from_raw(NOBODY);
                let uid = rustix::process::Uid::from_raw(NOBODY);
                rustix::thread::set_thread_groups(&[]).expect("dropping supplementary groups");
                rustix::thread::set_thread_res_gid(gid, gid, gid).expect("setting gid nobody");
                rustix::thread::set_thread_res_uid(uid, uid, uid).expect("setting uid nobody");
            }
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}
