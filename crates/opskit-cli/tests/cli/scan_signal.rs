//! SIGTERM in the middle of a one-shot scan: the results received are printed and recorded
//! once, the files without a result are listed as not scanned, the history run is
//! `interrupted`, and the exit status is 3.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::process::{Pid, Signal, kill_process};
use serde_json::Value;
use testbed::clamd::EICAR;

use crate::state::state_home;

/// A clamd stand-in on loopback that speaks INSTREAM: it answers PING and VERSION, reads
/// each streamed file whole and answers FOUND for the first `answered` files, then reads the
/// next ones and never answers: a clamd that stalls partway through a run.
fn stalling_stream_clamd(answered: usize) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let streams = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let streams = Arc::clone(&streams);
            std::thread::spawn(move || serve(conn, &streams, answered));
        }
    });
    addr
}

fn serve(mut conn: TcpStream, streams: &AtomicUsize, answered: usize) {
    let Some(cmd) = read_command(&mut conn) else {
        return;
    };
    if cmd != b"IDSESSION" {
        let _ = answer(&mut conn, &cmd, "", streams, answered);
        return;
    }
    // A session (the pool's): commands until END, each reply prefixed with its number.
    for n in 1.. {
        match read_command(&mut conn) {
            Some(cmd) if cmd != b"END" => {
                if answer(&mut conn, &cmd, &format!("{n}: "), streams, answered).is_none() {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// One z- or n-mode command, without its prefix and terminator.
fn read_command(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut cmd = Vec::new();
    let mut b = [0u8; 1];
    loop {
        if conn.read(&mut b).ok()? != 1 {
            return None;
        }
        if b[0] == 0 || b[0] == b'\n' {
            break;
        }
        cmd.push(b[0]);
    }
    match cmd.first() {
        Some(b'z' | b'n') => Some(cmd.split_off(1)),
        _ => Some(cmd),
    }
}

/// Answers `cmd` (`prefix`: a session's reply number); `None` when the connection is done.
fn answer(
    conn: &mut TcpStream,
    cmd: &[u8],
    prefix: &str,
    streams: &AtomicUsize,
    answered: usize,
) -> Option<()> {
    let reply: &[u8] = match cmd {
        b"PING" => b"PONG\0",
        b"VERSION" => b"ClamAV 1.4.6/27000/Mon Jan  1 00:00:00 2026\0",
        b"INSTREAM" => {
            // Chunks of a 4-byte big-endian length, until an empty one.
            loop {
                let mut len = [0u8; 4];
                conn.read_exact(&mut len).ok()?;
                let len = u32::from_be_bytes(len) as usize;
                if len == 0 {
                    break;
                }
                let mut chunk = vec![0u8; len];
                conn.read_exact(&mut chunk).ok()?;
            }
            if streams.fetch_add(1, Ordering::SeqCst) >= answered {
                // Stalled: the connection stays open, unanswered, until the client goes.
                // Whatever the client pipelines after this is read and dropped: closing
                // with unread data would send a reset, which throws away the answers the
                // client has not read yet.
                let mut sink = [0u8; 4096];
                while conn.read(&mut sink).is_ok_and(|n| n > 0) {}
                return None;
            }
            b"stream: Eicar-Test-Signature FOUND\0"
        }
        _ => return None,
    };
    conn.write_all(prefix.as_bytes()).ok()?;
    conn.write_all(reply).ok()
}

/// `count` EICAR files in a fresh directory.
fn eicar_tree(count: usize) -> (PathBuf, BTreeSet<String>) {
    let dir = state_home().join("tree");
    std::fs::create_dir_all(&dir).unwrap();
    let files = (0..count)
        .map(|i| {
            let p = dir.join(format!("f{i:03}.com"));
            std::fs::write(&p, EICAR).unwrap();
            p.display().to_string()
        })
        .collect();
    (dir, files)
}

fn query(state: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .env("XDG_STATE_HOME", state)
        .arg("scan")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    crate::scan::json(&out)
}

/// Runs `opskit scan ARGS` with stdout piped, waits for `results` FOUND lines, sends
/// SIGTERM, and gives the exit status and every stdout line.
fn interrupt_after(state: &Path, args: &[&OsStr], results: usize) -> (Option<i32>, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .env("XDG_STATE_HOME", state)
        .arg("scan")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while lines
        .iter()
        .filter(|l: &&String| l.ends_with(" FOUND"))
        .count()
        < results
    {
        let mut line = String::new();
        assert_ne!(
            out.read_line(&mut line).unwrap(),
            0,
            "ended early: {lines:?}"
        );
        lines.push(line.trim_end().to_owned());
    }
    kill_process(Pid::from_child(&child), Signal::TERM).unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    lines.extend(rest.lines().map(str::to_owned));
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("SIGTERM: stopped"), "{err}");
    (status.code(), lines)
}

/// The paths of the lines that hold `split` (`[HOST ]PATH: SIG FOUND`, `PATH not
/// scanned: ...`): the word before it (the test's paths have no spaces).
fn paths_of(lines: &[String], split: &str) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.split_once(split))
        .filter_map(|(p, _)| p.rsplit(' ').next().map(str::to_owned))
        .collect()
}

/// Each file is either reported or listed as not scanned, once; the history holds exactly
/// the reported ones in an `interrupted` run.
fn check(state: &Path, files: &BTreeSet<String>, lines: &[String], found: usize) {
    let reported = paths_of(lines, ": Eicar-Test-Signature FOUND");
    let missing = paths_of(lines, " not scanned: interrupted");
    assert_eq!(reported.len(), found, "{lines:?}");
    let mut all: Vec<String> = reported.iter().chain(&missing).cloned().collect();
    all.sort();
    let given: Vec<String> = files.iter().cloned().collect();
    assert_eq!(
        all, given,
        "each file once, reported or not scanned: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("run interrupted by SIGTERM")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l == "Status: interrupted"),
        "{lines:?}"
    );

    let runs = query(state, &["history"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    assert_eq!(runs[0]["status"], "interrupted", "{runs}");
    let report = query(state, &["report"]);
    let recorded: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|f| assert_eq!(f["kind"], "infected", "{report}"))
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    let reported: BTreeSet<String> = reported.into_iter().collect();
    assert_eq!(recorded, reported, "{report}");
}

#[test]
fn sigterm_mid_scan_records_what_was_received_and_lists_the_rest() {
    let (dir, files) = eicar_tree(20);
    let host = stalling_stream_clamd(7).to_string();
    let state = state_home();
    let args = [
        OsStr::new("--host"),
        OsStr::new(&host),
        OsStr::new("--stream"),
        OsStr::new("--concurrency"),
        OsStr::new("1"),
        // Should the signal never come, the run ends by itself and the test fails.
        OsStr::new("--host-timeout"),
        OsStr::new("60"),
        dir.as_os_str(),
    ];
    let (code, lines) = interrupt_after(&state, &args, 7);
    assert_eq!(code, Some(3), "{lines:?}");
    check(&state, &files, &lines, 7);
}

#[test]
fn sigterm_mid_pool_scan_records_what_was_received_and_lists_the_rest() {
    let (dir, files) = eicar_tree(20);
    let host = stalling_stream_clamd(5).to_string();
    let state = state_home();
    let args = [
        OsStr::new("--pool"),
        OsStr::new("--host"),
        OsStr::new(&host),
        OsStr::new("--stream"),
        OsStr::new("--concurrency"),
        OsStr::new("1"),
        OsStr::new("--deadline"),
        OsStr::new("60"),
        dir.as_os_str(),
    ];
    let (code, lines) = interrupt_after(&state, &args, 5);
    assert_eq!(code, Some(3), "{lines:?}");
    check(&state, &files, &lines, 5);
}

#[test]
fn sigterm_mid_policy_run_records_what_was_received_and_lists_the_rest() {
    let (dir, files) = eicar_tree(20);
    let host = stalling_stream_clamd(6).to_string();
    let state = state_home();
    let policy = state.join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[env.web]\nhosts = [\"{host}\"]\nmode = \"stream\"\npaths = [{:?}]\n\
             concurrency = 1\ntimeout = \"60s\"\n",
            dir.display().to_string()
        ),
    )
    .unwrap();
    let args = [OsStr::new("--policy"), policy.as_os_str()];
    let (code, lines) = interrupt_after(&state, &args, 6);
    assert_eq!(code, Some(3), "{lines:?}");
    check(&state, &files, &lines, 6);
}
