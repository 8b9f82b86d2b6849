//! `opskit scan --mode stream|fdpass` run as `nobody` on a tree with every kind of bad entry:
//! each is named with its reason and counted, and the rest is scanned.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testbed::clamd::Clamd;
use testbed::tree::{BadTree, unprivileged};

fn opskit_as_nobody(args: &[&OsStr]) -> Output {
    unprivileged(crate::state::opskit_command().arg("scan"))
        .args(args)
        .output()
        .expect("run opskit scan as nobody")
}

/// A clamd whose Unix socket `nobody` can reach (the socket is mode 666; its directory is
/// private to root).
fn clamd_for_nobody() -> Clamd {
    let clamd = Clamd::start().unwrap();
    std::fs::set_permissions(clamd.dir(), std::fs::Permissions::from_mode(0o711)).unwrap();
    clamd
}

/// The JSON document, with each surrogate escape `\udcXX` (a byte that is not UTF-8) turned
/// into `%XX` so that `serde_json`, which refuses lone surrogates, can read it.
fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let text = text.replace("\\udc", "%");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

/// A path as [`json`] gives it back.
fn key(p: &Path) -> String {
    let mut s = String::new();
    for chunk in p.as_os_str().as_bytes().utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(s, "%{b:02x}");
        }
    }
    s
}

fn entries(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut e: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
            (
                e["path"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    e.sort();
    e
}

/// The tree's expected errors as [`entries`] gives them.
fn want_errors(tree: &BadTree) -> Vec<(String, String)> {
    let mut e: Vec<_> = tree
        .errors
        .iter()
        .map(|(p, r)| (key(p), (*r).to_owned()))
        .collect();
    e.sort();
    e
}

#[test]
fn walk_errors_are_named_and_counted_and_the_rest_is_scanned_as_nobody() {
    let clamd = clamd_for_nobody();
    let tree = BadTree::build().unwrap();
    let tcp = clamd.tcp_addr().to_string();
    let cases: [(&str, [&OsStr; 2]); 2] = [
        ("stream", [OsStr::new("--host"), OsStr::new(&tcp)]),
        (
            "fdpass",
            [OsStr::new("--unix"), clamd.socket_path().as_os_str()],
        ),
    ];
    let want_errors = want_errors(&tree);
    for (mode, host) in cases {
        let mut args = host.to_vec();
        args.extend([
            OsStr::new("--mode"),
            OsStr::new(mode),
            OsStr::new("--json"),
            tree.root().as_os_str(),
        ]);
        let out = opskit_as_nobody(&args);
        assert_eq!(out.status.code(), Some(1), "{mode}: {out:?}");
        let v = json(&out);
        crate::schema::assert_valid("scan", &v);
        assert_eq!(entries(&v["walk_errors"]), want_errors, "{mode}");
        let skipped: Vec<String> = entries(&v["skipped"]).into_iter().map(|e| e.0).collect();
        let mut want_skipped: Vec<String> = tree.skipped.iter().map(|p| key(p)).collect();
        want_skipped.sort();
        assert_eq!(skipped, want_skipped, "{mode}");

        let h = &v["hosts"][0];
        assert_eq!(h["ok"], true, "{mode}: {h}");
        let results: BTreeMap<String, &serde_json::Value> = h["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["path"].as_str().unwrap().to_owned(), r))
            .collect();
        let mut want_files: Vec<String> = tree.files.iter().map(|p| key(p)).collect();
        want_files.sort();
        assert_eq!(
            results.keys().cloned().collect::<Vec<_>>(),
            want_files,
            "{mode}: every good file is scanned"
        );
        for (path, r) in &results {
            if *path == key(&tree.infected) {
                assert_eq!(r["status"], "infected", "{mode}");
                assert_eq!(r["signature"], clamd.eicar_signature());
            } else {
                assert_eq!(r["status"], "clean", "{mode} {path}: {r}");
            }
        }
        let sum = &v["summary"];
        assert_eq!(sum["infected"], 1, "{mode}: {sum}");
        assert_eq!(sum["walk_errors"], tree.errors.len(), "{mode}");
        assert_eq!(sum["errors"], tree.errors.len(), "{mode}");
        assert_eq!(sum["status"], "infected", "{mode}");
    }

    // The text report: one ERROR line per bad entry, a SKIPPED line per link to a directory,
    // and the total.
    let out = opskit_as_nobody(&[
        OsStr::new("--host"),
        OsStr::new(&tcp),
        OsStr::new("--mode"),
        OsStr::new("stream"),
        tree.root().as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |p: &Path, what: &str| format!("{}: {what}", p.display());
    for (p, reason) in [
        ("locked-dir", "permission denied ERROR"),
        ("locked.txt", "permission denied ERROR"),
        ("loop", "symbolic link loop ERROR"),
        ("dangling", "dangling symbolic link ERROR"),
        ("fifo", "special file (FIFO) ERROR"),
        ("socket", "special file (socket) ERROR"),
        ("dev-null", "special file (character device) ERROR"),
        (
            "dir-link",
            "symbolic link to a directory, not followed SKIPPED",
        ),
    ] {
        let want = line(&tree.root().join(p), reason);
        assert!(text.contains(&want), "{want}\n{text}");
    }
    assert!(text.contains("longer than the kernel allows"), "{text}");
    assert!(
        text.contains(&format!("Errors: {}\n", tree.errors.len())),
        "{text}"
    );
    assert!(text.contains("Infected files: 1\n"), "{text}");
}

#[test]
fn walk_and_host_errors_without_an_infection_exit_2() {
    let clamd = clamd_for_nobody();
    let dir = tempfile::Builder::new()
        .prefix("walk-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("ok.txt"), b"fine").unwrap();
    testbed::tree::mkfifo(&dir.path().join("pipe")).unwrap();
    let missing: PathBuf = dir.path().join("missing");
    // A host that refuses connections: its error is counted with the walk's.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = opskit_as_nobody(&[
        OsStr::new("--unix"),
        clamd.socket_path().as_os_str(),
        OsStr::new("--host"),
        OsStr::new(&dead),
        OsStr::new("--mode"),
        OsStr::new("fdpass"),
        dir.path().as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{}: OK", dir.path().join("ok.txt").display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}: special file (FIFO) ERROR",
            dir.path().join("pipe").display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}: no such file or directory ERROR",
            missing.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("Hosts: 2 (1 failed, 0 not scanned)\n"),
        "{text}"
    );
    assert!(
        text.contains("Errors: 3\n"),
        "two walk errors and a failed host: {text}"
    );
    assert!(text.contains("Status: incomplete"), "{text}");
}

/// `/proc/self/fd` lists the descriptor of its own listing, which is closed before the walk
/// examines that entry: a real entry that vanishes during the walk.
#[test]
fn an_entry_that_vanishes_during_the_walk_is_a_named_error() {
    let clamd = clamd_for_nobody();
    let out = opskit_as_nobody(&[
        OsStr::new("--host"),
        OsStr::new(&clamd.tcp_addr().to_string()),
        OsStr::new("--mode"),
        OsStr::new("stream"),
        OsStr::new("--json"),
        OsStr::new("/proc/self/fd"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = json(&out);
    let errors = entries(&v["walk_errors"]);
    let vanished: Vec<_> = errors.iter().filter(|e| e.1 == "vanished").collect();
    assert_eq!(vanished.len(), 1, "{errors:?}");
    assert!(vanished[0].0.starts_with("/proc/self/fd/"), "{errors:?}");
    // Standard output and error are pipes to the test.
    for fd in ["1", "2"] {
        let want = (format!("/proc/self/fd/{fd}"), "special_file".to_owned());
        assert!(errors.contains(&want), "{errors:?}");
    }
    assert_eq!(v["summary"]["walk_errors"], errors.len());
}

/// The chain of directories that outgrows `PATH_MAX` is deeper than the open-file limit
/// given here, so a walk that kept a descriptor per level would fail with EMFILE.
#[test]
fn a_walk_deeper_than_the_open_file_limit_needs_no_descriptor_per_level() {
    let clamd = clamd_for_nobody();
    let tree = BadTree::build().unwrap();
    let levels = tree
        .errors
        .iter()
        .find(|e| e.1 == "name_too_long")
        .map(|e| e.0.strip_prefix(tree.root()).unwrap().components().count())
        .unwrap();
    let limit = 16;
    assert!(levels > limit, "{levels} levels");
    let mut prlimit = Command::new("prlimit");
    prlimit.env("XDG_STATE_HOME", crate::state::state_home());
    let out = unprivileged(prlimit.arg(format!("--nofile={limit}:{limit}")))
        .arg(env!("CARGO_BIN_EXE_opskit"))
        .arg("scan")
        .args(["--unix".as_ref(), clamd.socket_path().as_os_str()])
        .args(["--mode", "fdpass", "--json"])
        .arg(tree.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    assert_eq!(entries(&v["walk_errors"]), want_errors(&tree));
    assert_eq!(
        v["hosts"][0]["results"].as_array().unwrap().len(),
        tree.files.len(),
        "{v}"
    );
}
