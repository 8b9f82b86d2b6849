//! The local walk, run as an unprivileged user: every bad entry is an error for that entry,
//! named with its reason; the rest of the tree is walked and scanned by a real clamd.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use clamd_proto::{
    Endpoint, Fleet, FleetStatus, ScanPlan, SpecialKind, Verdict, Walk, WalkEntry, WalkReason,
    WalkSkip, Walker, walk,
};
use proptest::prelude::*;
use testbed::tree::{BadTree, as_nobody};

use crate::shared;

/// The walk's errors as (path, reason name), sorted, to compare with a tree's expectations.
fn named_errors(errors: &[clamd_proto::WalkError]) -> Vec<(PathBuf, &'static str)> {
    let mut v: Vec<_> = errors
        .iter()
        .map(|e| (e.path.clone(), e.reason.name()))
        .collect();
    v.sort();
    v
}

fn assert_walk_matches(walk: &Walk, tree: &BadTree) {
    let mut files = walk.files.clone();
    files.sort();
    assert_eq!(files, tree.files);
    assert_eq!(named_errors(&walk.errors), tree.errors);
    let skipped: Vec<_> = walk.skipped.iter().map(|s| s.path.clone()).collect();
    assert_eq!(skipped, tree.skipped);
    assert!(
        walk.skipped
            .iter()
            .all(|s| s.reason == WalkSkip::DirectorySymlink)
    );
    let tally = walk.tally();
    assert!(tally.is_complete(), "{tally:?}");
}

#[test]
fn an_unprivileged_walk_names_every_bad_entry_and_keeps_the_rest() {
    let tree = BadTree::build().unwrap();
    let root = tree.root().to_path_buf();
    let w = as_nobody(|| walk([&root]));
    assert_walk_matches(&w, &tree);

    // Deterministic: depth first, names in byte order, so the files come out sorted.
    assert!(w.files.is_sorted(), "{:?}", w.files);
    assert_eq!(as_nobody(|| walk([&root])), w);

    let reason = |name: &str| {
        let p = root.join(name);
        w.errors
            .iter()
            .find(|e| e.path == p)
            .unwrap_or_else(|| panic!("no error for {name}: {:?}", w.errors))
            .reason
    };
    assert_eq!(reason("locked-dir"), WalkReason::PermissionDenied);
    assert_eq!(reason("locked.txt"), WalkReason::PermissionDenied);
    assert_eq!(reason("loop"), WalkReason::SymlinkLoop);
    assert_eq!(reason("dangling"), WalkReason::DanglingSymlink);
    assert_eq!(reason("fifo"), WalkReason::Special(SpecialKind::Fifo));
    assert_eq!(reason("socket"), WalkReason::Special(SpecialKind::Socket));
    assert_eq!(
        reason("dev-null"),
        WalkReason::Special(SpecialKind::CharDevice)
    );
    let deep = w
        .errors
        .iter()
        .find(|e| e.reason == WalkReason::NameTooLong)
        .expect("the deep chain's error");
    assert!(deep.path.as_os_str().len() >= 4096);
    assert!(deep.path.parent().unwrap().as_os_str().len() < 4096);
    assert!(deep.to_string().contains("longer than the kernel allows"));
}

#[test]
fn roots_that_are_missing_files_or_links_are_walked_as_named() {
    let tree = BadTree::build().unwrap();
    let root = tree.root();
    let roots = [
        root.join("clean/a.txt"),
        root.join("missing"),
        root.join("dir-link"),
        root.join("loop"),
    ];
    let w = as_nobody(|| walk(&roots));
    // A root link to a directory is followed.
    assert_eq!(
        w.files,
        [
            root.join("clean/a.txt"),
            root.join("dir-link/a.txt"),
            root.join("dir-link/sub/b.txt"),
        ]
    );
    assert_eq!(
        named_errors(&w.errors),
        [
            (root.join("loop"), "symlink_loop"),
            (root.join("missing"), "not_found"),
        ]
    );
    assert!(w.tally().is_complete());
}

#[test]
fn entries_that_vanish_during_the_walk_are_errors_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.txt"), b"a").unwrap();
    std::fs::write(root.join("b.txt"), b"b").unwrap();
    std::fs::create_dir(root.join("c")).unwrap();
    std::fs::write(root.join("c/d.txt"), b"d").unwrap();
    std::fs::write(root.join("e.txt"), b"e").unwrap();
    let mut walker = Walker::new([root]);
    assert_eq!(
        walker.next(),
        Some(WalkEntry::Directory(root.to_path_buf()))
    );
    assert_eq!(walker.next(), Some(WalkEntry::File(root.join("a.txt"))));
    // The directory was listed before these went away.
    std::fs::remove_file(root.join("b.txt")).unwrap();
    std::fs::remove_dir_all(root.join("c")).unwrap();
    let rest: Vec<_> = walker.by_ref().collect();
    let vanished = |name: &str| {
        WalkEntry::Error(clamd_proto::WalkError::new(
            root.join(name),
            WalkReason::Vanished,
        ))
    };
    assert_eq!(
        rest,
        [
            vanished("b.txt"),
            vanished("c"),
            WalkEntry::File(root.join("e.txt"))
        ]
    );
    assert_eq!(walker.met(), 5, "the root and the four names it listed");
}

/// Every file of the walk is scanned on every host, the infected one is found, a file removed
/// between the walk and the scan is an ERROR line on each host, and the walk's errors are in
/// the report and counted once.
#[test]
fn fleet_scans_a_walked_bad_tree_in_stream_and_fdpass_modes() {
    let clamd = shared();
    let tree = BadTree::build().unwrap();
    let root = tree.root().to_path_buf();
    let cases = [
        (
            "stream",
            vec![
                Endpoint::from(clamd.tcp_addr()),
                Endpoint::unix(clamd.socket_path()),
            ],
        ),
        ("fdpass", vec![Endpoint::unix(clamd.socket_path())]),
    ];
    for (mode, hosts) in cases {
        let w = as_nobody(|| walk([&root]));
        assert_walk_matches(&w, &tree);
        let gone = w
            .files
            .iter()
            .find(|f| f.ends_with("b.txt"))
            .unwrap()
            .clone();
        let kept = std::fs::read(&gone).unwrap();
        std::fs::remove_file(&gone).unwrap();
        let walk_errors = w.errors.clone();
        let files = w.files.clone();
        let plan = if mode == "stream" {
            ScanPlan::stream_walk(w)
        } else {
            ScanPlan::fildes_walk(w)
        };
        let report = Fleet::new(hosts.clone()).run(&plan);
        std::fs::write(&gone, kept).unwrap();

        assert_eq!(report.walk_errors, walk_errors, "{mode}");
        assert_eq!(report.skipped.len(), tree.skipped.len(), "{mode}");
        for h in &report.hosts {
            assert!(h.ok(), "{mode} {}: {:?}", h.endpoint, h.error);
            let by_path: BTreeMap<&Path, &Verdict> =
                h.results.iter().map(|r| (r.path(), r.verdict())).collect();
            assert_eq!(h.results.len(), files.len(), "{mode}: {:?}", h.results);
            for f in &files {
                let v = by_path.get(f.as_path()).unwrap_or_else(|| panic!("{f:?}"));
                if *f == tree.infected {
                    assert_eq!(**v, Verdict::Found(clamd.eicar_signature().into()));
                } else if *f == gone {
                    assert!(
                        matches!(v, Verdict::Error(m) if m.contains("No such file")),
                        "{mode}: {v:?}"
                    );
                } else {
                    assert_eq!(**v, Verdict::Clean, "{mode} {f:?}");
                }
            }
        }
        let sum = report.summary();
        let n = hosts.len();
        assert_eq!(sum.infected, n, "{mode}");
        assert_eq!(sum.file_errors, n, "{mode}: the removed file, on each host");
        assert_eq!(sum.walk_errors, tree.errors.len(), "{mode}: once");
        assert_eq!(sum.errors, tree.errors.len() + n, "{mode}");
        assert_eq!(sum.status, FleetStatus::Infected);
        assert_eq!(sum.exit_code(), 1);
    }
}

#[test]
fn walk_errors_alone_exit_2() {
    let clamd = shared();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.txt"), b"fine").unwrap();
    std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
    let plan = ScanPlan::stream_walk(walk([dir.path()]));
    let report = Fleet::new([Endpoint::from(clamd.tcp_addr())]).run(&plan);
    let sum = report.summary();
    assert_eq!((sum.infected, sum.walk_errors, sum.errors), (0, 1, 1));
    assert_eq!(sum.status, FleetStatus::Incomplete);
    assert_eq!(sum.exit_code(), 2);
}

/// One entry of a generated tree.
#[derive(Debug, Clone)]
enum Node {
    File,
    Unreadable,
    Dir(Vec<Node>),
    LockedDir(Vec<Node>),
    LinkToFile,
    LinkToDir,
    Loop,
    Dangling,
    Fifo,
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        4 => Just(Node::File),
        1 => Just(Node::Unreadable),
        1 => Just(Node::LinkToFile),
        1 => Just(Node::LinkToDir),
        1 => Just(Node::Loop),
        1 => Just(Node::Dangling),
        1 => Just(Node::Fifo),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            4 => prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Dir),
            1 => prop::collection::vec(inner, 0..3).prop_map(Node::LockedDir),
        ]
    })
}

/// What an unprivileged walk must make of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    File,
    Dir,
    Error(&'static str),
    Skipped,
    /// Below a directory that cannot be listed: accounted for by that directory's error.
    Unmet,
}

/// Creates `nodes` in `dir`, recording what each must be. Names mix ASCII with a byte that is
/// not UTF-8, and their order differs from the creation order.
fn create(
    dir: &Path,
    nodes: &[Node],
    target: &Path,
    unmet: bool,
    out: &mut BTreeMap<PathBuf, Expect>,
    locked: &mut Vec<PathBuf>,
) {
    for (i, n) in nodes.iter().enumerate() {
        let name = [
            b'z' - u8::try_from(i).unwrap(),
            b'\xff',
            b'a' + (i % 3) as u8,
        ];
        let p = dir.join(OsStr::from_bytes(&name));
        let mut expect = match n {
            Node::File => {
                std::fs::write(&p, b"x").unwrap();
                Expect::File
            }
            Node::Unreadable => {
                std::fs::write(&p, b"x").unwrap();
                set_mode(&p, 0o000);
                Expect::Error("permission_denied")
            }
            Node::Dir(children) => {
                std::fs::create_dir(&p).unwrap();
                create(&p, children, target, unmet, out, locked);
                Expect::Dir
            }
            Node::LockedDir(children) => {
                std::fs::create_dir(&p).unwrap();
                create(&p, children, target, true, out, locked);
                set_mode(&p, 0o000);
                locked.push(p.clone());
                Expect::Error("permission_denied")
            }
            Node::LinkToFile => {
                std::os::unix::fs::symlink(target, &p).unwrap();
                Expect::File
            }
            Node::LinkToDir => {
                std::os::unix::fs::symlink(".", &p).unwrap();
                Expect::Skipped
            }
            Node::Loop => {
                std::os::unix::fs::symlink(&p, &p).unwrap();
                Expect::Error("symlink_loop")
            }
            Node::Dangling => {
                std::os::unix::fs::symlink("no such target", &p).unwrap();
                Expect::Error("dangling_symlink")
            }
            Node::Fifo => {
                testbed::tree::mkfifo(&p).unwrap();
                Expect::Error("special_file")
            }
        };
        if unmet {
            expect = Expect::Unmet;
        }
        out.insert(p, expect);
    }
}

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every entry of a generated tree is a file of the walk, a directory, an error with the
    /// right reason, skipped, or below a directory that is such an error; the tally adds up.
    #[test]
    fn every_created_entry_is_accounted_for(nodes in prop::collection::vec(node(), 0..6)) {
        let base = tempfile::Builder::new().prefix("walkprop-").tempdir_in("/tmp").unwrap();
        set_mode(base.path(), 0o755);
        let target = base.path().join("target.txt");
        std::fs::write(&target, b"t").unwrap();
        let root = base.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let mut expect = BTreeMap::new();
        let mut locked = Vec::new();
        create(&root, &nodes, &target, false, &mut expect, &mut locked);

        let w = as_nobody(|| walk([&root]));
        for p in &locked {
            set_mode(p, 0o755);
        }

        let tally = w.tally();
        prop_assert!(tally.is_complete(), "{:?}", tally);
        let met = expect.values().filter(|e| **e != Expect::Unmet).count();
        prop_assert_eq!(tally.met, met + 1, "the root and every reachable entry");
        let mut got: BTreeMap<PathBuf, Expect> = BTreeMap::new();
        for f in &w.files {
            prop_assert!(got.insert(f.clone(), Expect::File).is_none(), "twice: {:?}", f);
        }
        for e in &w.errors {
            prop_assert!(got.insert(e.path.clone(), Expect::Error(e.reason.name())).is_none());
        }
        for s in &w.skipped {
            prop_assert!(got.insert(s.path.clone(), Expect::Skipped).is_none());
        }
        let dirs = expect.values().filter(|e| **e == Expect::Dir).count();
        prop_assert_eq!(w.directories, dirs + 1);
        expect.retain(|_, e| !matches!(e, Expect::Dir | Expect::Unmet));
        prop_assert_eq!(got, expect);
        prop_assert!(w.files.is_sorted());
    }
}

/// A file swapped for a FIFO between the walk and its scan is an ERROR line for that file, in
/// both modes and in both clients, and never blocks: opening a FIFO for reading waits for a
/// writer unless the open is non-blocking. The scan runs on a thread so that a regression
/// fails here instead of hanging the suite.
#[test]
fn a_file_swapped_for_a_fifo_after_the_walk_is_an_error_not_a_hang() {
    let clamd = shared();
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("ok.txt");
    let swapped = dir.path().join("swapped.txt");
    std::fs::write(&ok, b"clean\n").unwrap();
    std::fs::write(&swapped, b"clean too\n").unwrap();
    let w = walk([dir.path()]);
    assert_eq!(w.files, [ok.clone(), swapped.clone()]);
    std::fs::remove_file(&swapped).unwrap();
    testbed::tree::mkfifo(&swapped).unwrap();

    let socket = Endpoint::unix(clamd.socket_path());
    let plans = [
        ("stream", ScanPlan::stream(w.files.clone())),
        ("fdpass", ScanPlan::fildes_walk(w.clone())),
    ];
    for (mode, plan) in plans {
        let hosts = vec![socket.clone()];
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(Fleet::new(hosts).run(&plan)));
        let report = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{mode}: the scan of a FIFO blocked"));
        let h = &report.hosts[0];
        assert!(h.ok(), "{mode}: {:?}", h.error);
        assert_eq!(h.results.len(), 2, "{mode}: {:?}", h.results);
        assert_eq!(*h.results[0].verdict(), Verdict::Clean, "{mode}");
        assert_eq!(h.results[1].path(), swapped.as_path(), "{mode}");
        assert!(
            matches!(h.results[1].verdict(), Verdict::Error(m) if m.contains("not a regular file")),
            "{mode}: {:?}",
            h.results[1]
        );
        assert_eq!(report.summary().exit_code(), 2, "{mode}");
    }
}
