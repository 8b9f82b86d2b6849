//! `opskit scan --pool` against private clamd instances: the JSON report and its schema, a
//! host killed (SIGKILL) in the middle of a run, a dead host restarted that rejoins, every
//! host dead until the deadline, and the arguments it refuses.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use testbed::clamd::{Clamd, EICAR};

use crate::schema::Spoil;

/// `n` files in 5 directories of a fresh directory of `clamd`'s, every `every`-th EICAR (none
/// with 0); returns the root and the files.
fn tree(clamd: &Clamd, n: usize, every: usize) -> (PathBuf, BTreeSet<PathBuf>) {
    let root = tempfile::Builder::new()
        .prefix("pool")
        .tempdir_in(clamd.dir())
        .unwrap()
        .keep();
    let mut files = BTreeSet::new();
    for i in 0..n {
        let dir = root.join(format!("d{}", i % 5));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("f{i:05}"));
        if every > 0 && i % every == every - 1 {
            std::fs::write(&p, EICAR).unwrap();
        } else {
            std::fs::write(&p, format!("clean {i}\n")).unwrap();
        }
        files.insert(p);
    }
    (root, files)
}

fn opskit() -> Command {
    let mut c = crate::state::opskit_command();
    c.arg("scan");
    c
}

/// Runs `cmd`, calling `on_line` with each line of its standard output as it comes; returns
/// its exit code and every line.
fn live(cmd: &mut Command, mut on_line: impl FnMut(&str)) -> (Option<i32>, Vec<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        on_line(&line);
        out.push(line);
    }
    (child.wait().unwrap().code(), out)
}

/// Each of `wanted` is in `text`.
fn assert_has(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "{w:?} is missing from:\n{text}");
    }
}

#[test]
fn pool_json_reports_every_file_once_with_its_host_and_matches_the_schema() {
    let (a, b) = (Clamd::start().unwrap(), Clamd::start().unwrap());
    let (root, files) = tree(&a, 200, 50);
    // A third host refuses every connection: its files move to the two others.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = opskit()
        .args(["--pool", "--stream", "--json", "--concurrency", "6"])
        .args(["--host", &dead.to_string()])
        .args(["--host", &a.tcp_addr().to_string()])
        .args(["--host", &b.tcp_addr().to_string()])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::schema::assert_valid("scan-pool", &v);
    let reported: Vec<PathBuf> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(reported.len(), 200);
    assert_eq!(reported.iter().cloned().collect::<BTreeSet<_>>(), files);
    for f in v["files"].as_array().unwrap() {
        assert_eq!(f["state"], "scanned", "{f}");
        assert_ne!(f["host"], dead.to_string().as_str());
    }
    let infected = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["result"]["status"] == "infected")
        .count();
    assert_eq!(infected, 4);
    assert!(v["hosts"][0]["down"].is_string());
    assert_eq!(v["hosts"][0]["scanned"], 0);
    let moved = v["failovers"].as_array().unwrap();
    assert!(!moved.is_empty());
    assert!(moved.iter().all(|m| m["from"] == dead.to_string().as_str()));
    assert!(moved.iter().all(|m| m["to"].is_string()));
    let sum = &v["summary"];
    assert_eq!(
        (
            &sum["files"],
            &sum["scanned"],
            &sum["hosts_down"],
            &sum["status"]
        ),
        (
            &serde_json::json!(200),
            &serde_json::json!(200),
            &serde_json::json!(1),
            &serde_json::json!("infected")
        )
    );
    let broken: &[Spoil] = &[
        ("a file without its state", |d| {
            d["files"][0].as_object_mut().unwrap().remove("state");
        }),
        ("a scanned file without a result", |d| {
            d["files"][0]["result"] = serde_json::Value::Null;
        }),
        ("an unknown skip reason", |d| {
            d["files"][0]["state"] = "not_scanned".into();
            d["files"][0]["result"] = serde_json::Value::Null;
            d["files"][0]["host"] = serde_json::Value::Null;
            d["files"][0]["reason"] = "tired".into();
        }),
        ("a host count that is negative", |d| {
            d["hosts"][1]["scanned"] = (-1).into();
        }),
    ];
    crate::schema::assert_refused("scan-pool", &v, broken);
}

#[test]
fn pool_text_with_a_host_killed_mid_run_still_scans_every_file_once() {
    let a = Clamd::start().unwrap();
    let mut b = Clamd::start().unwrap();
    let (root, files) = tree(&a, 2000, 0);
    let (ha, hb) = (a.tcp_addr().to_string(), b.tcp_addr().to_string());
    let mut from_b = 0;
    let mut cmd = opskit();
    cmd.args(["--pool", "--stream", "--concurrency", "4"])
        .args(["--host", &ha, "--host", &hb])
        .arg(&root);
    let (code, out) = live(&mut cmd, |line| {
        if line.starts_with(&format!("{hb} ")) && line.ends_with(": OK") {
            from_b += 1;
            // Deterministic: once b has answered 100 files, SIGKILL it mid-run.
            if from_b == 100 {
                b.kill();
            }
        }
    });
    assert!(from_b >= 100, "b answered {from_b} files: {out:?}");
    // All clean, every file scanned: exit 0 although a host died.
    assert_eq!(code, Some(0), "{out:?}");
    let mut scanned = BTreeSet::new();
    for l in &out {
        if let Some(rest) = l.strip_suffix(": OK") {
            let (host, path) = rest.split_once(' ').unwrap();
            assert!(host == ha || host == hb, "{l}");
            assert!(scanned.insert(PathBuf::from(path)), "{path} reported twice");
        }
    }
    assert_eq!(scanned, files);
    assert_has(
        &out.join("\n"),
        &[
            &format!("{hb} down: "),
            &format!(" moved off {hb}: "),
            "Hosts: 2 (1 down)",
            "Files: 2000 (2000 scanned, 0 failed, 0 not scanned)",
        ],
    );
}

#[test]
fn pool_refuses_path_scans_and_tcp_hosts_for_fdpass() {
    let out = opskit()
        .args([
            "--pool",
            "--mode",
            "multiscan",
            "--host",
            "127.0.0.1:1",
            "/tmp",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stream or --fdpass"));
    let out = opskit()
        .args(["--pool", "--fdpass", "--host", "127.0.0.1:1", "/tmp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unix-socket hosts"));
}

#[test]
fn pool_waits_for_a_dead_host_that_comes_back_and_it_scans_every_file() {
    let mut b = Clamd::start().unwrap();
    let (root, files) = tree(&b, 300, 0);
    let hb = b.tcp_addr().to_string();
    // The only host is dead when the run starts: the files wait for it.
    b.kill();
    let mut restarted = false;
    let mut cmd = opskit();
    cmd.args(["--pool", "--stream", "--concurrency", "2", "--host", &hb])
        .args(["--retry-first", "100ms", "--retry-max", "200ms"])
        .args(["--retry-probes", "1000", "--probe-timeout", "2"])
        .args(["--deadline", "120"])
        .arg(&root);
    let (code, out) = live(&mut cmd, |line| {
        // Deterministic: b is restarted once a probe has found it dead.
        if !restarted && line.starts_with(&format!("{hb} still down: ")) {
            b.restart().unwrap();
            restarted = true;
        }
    });
    let text = out.join("\n");
    assert!(restarted, "{text}");
    assert_eq!(code, Some(0), "{text}");
    let scanned: BTreeSet<PathBuf> = out
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{hb} "))?.strip_suffix(": OK"))
        .map(PathBuf::from)
        .collect();
    assert_eq!(scanned, files);
    assert_has(
        &text,
        &[
            &format!("{hb} down: "),
            &format!("{hb} up again after "),
            "Hosts: 1 (1 down, 1 back)",
            ", 300 scanned since",
            "Files: 300 (300 scanned, 0 failed, 0 not scanned)",
        ],
    );
}

#[test]
fn pool_with_every_host_dead_ends_at_the_deadline_and_reports_every_file() {
    let (mut a, mut b) = (Clamd::start().unwrap(), Clamd::start().unwrap());
    let (root, files) = tree(&a, 40, 0);
    let (ha, hb) = (a.tcp_addr().to_string(), b.tcp_addr().to_string());
    a.kill();
    b.kill();
    let started = std::time::Instant::now();
    let out = opskit()
        .args(["--pool", "--stream", "--json", "--host", &ha, "--host", &hb])
        .args(["--retry-first", "100ms", "--retry-max", "300ms"])
        .args(["--retry-probes", "1000", "--deadline", "2"])
        .arg(&root)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        took < std::time::Duration::from_secs(60),
        "the run must end at its deadline, not hang: {took:?}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::schema::assert_valid("scan-pool", &v);
    let reported: BTreeSet<PathBuf> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["state"], "not_scanned", "{f}");
            assert_eq!(f["reason"], "hosts_down", "{f}");
            PathBuf::from(f["path"].as_str().unwrap())
        })
        .collect();
    assert_eq!(reported, files);
    for h in v["hosts"].as_array().unwrap() {
        assert_eq!(h["given_up"], false, "{h}");
        let outages = h["outages"].as_array().unwrap();
        assert_eq!(outages.len(), 1, "{h}");
        assert!(outages[0]["up_at"].is_null(), "{h}");
        assert!(outages[0]["failed_probes"].as_u64().unwrap() >= 1, "{h}");
    }
    let sum = &v["summary"];
    assert_eq!(
        (&sum["not_scanned"], &sum["hosts_down"], &sum["rejoins"]),
        (
            &serde_json::json!(40),
            &serde_json::json!(2),
            &serde_json::json!(0)
        )
    );
}
