//! `opskit scan` against private clamd instances.

use std::ffi::OsStr;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::schema::Spoil;
use testbed::clamd::{Clamd, EICAR, Staller, fake_clamd};

fn opskit(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opskit"))
        .arg("scan")
        .args(args)
        .output()
        .expect("run opskit scan")
}

fn s(v: &str) -> &OsStr {
    OsStr::new(v)
}

fn dir_with(clamd: &Clamd, files: &[(&[u8], &[u8])]) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix("cli")
        .tempdir_in(clamd.dir())
        .unwrap()
        .keep();
    for (name, data) in files {
        std::fs::write(dir.join(OsStr::from_bytes(name)), data).unwrap();
    }
    dir
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn clean_directory_exits_0_with_the_json_format() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"a.txt", b"hello"), (b"b.txt", b"world")]);
    let host = clamd.tcp_addr().to_string();
    let out = opskit(&[s("--host"), s(&host), s("--json"), dir.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1);
    let h = &hosts[0];
    assert_eq!(h["host"], host.as_str());
    assert_eq!(h["ok"], true);
    assert!(h["version"].as_str().unwrap().starts_with("ClamAV "));
    assert!(h["error"].is_null());
    let r = &h["results"][0];
    assert_eq!(r["path"], dir.to_str().unwrap());
    assert_eq!(r["status"], "clean");
    assert!(r["signature"].is_null() && r["message"].is_null());
    assert_eq!(h["state"], "done");
    assert!(h["reason"].is_null());
    assert_eq!(h["tally"]["given"], 1);
    assert_eq!(h["tally"]["done"], 1);
    assert_eq!(h["incomplete"].as_array().unwrap().len(), 0);
    let keys: Vec<&String> = h.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 9, "{keys:?}");
    assert_eq!(v["summary"]["status"], "all_clean");
    assert_eq!(r.as_object().unwrap().len(), 4);
}

#[test]
fn infected_file_exits_1_in_every_mode() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR), (b"ok.txt", b"fine")]);
    let sock = clamd.socket_path().as_os_str().to_owned();
    for mode in [
        "scan",
        "contscan",
        "multiscan",
        "allmatch",
        "stream",
        "fdpass",
    ] {
        let out = opskit(&[
            s("--unix"),
            &sock,
            s("--mode"),
            s(mode),
            s("--json"),
            dir.as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{mode}: {out:?}");
        let v = json(&out);
        let results = v["hosts"][0]["results"].as_array().unwrap();
        let infected: Vec<_> = results
            .iter()
            .filter(|r| r["status"] == "infected")
            .collect();
        assert_eq!(infected.len(), 1, "{mode}: {results:?}");
        assert_eq!(infected[0]["signature"], clamd.eicar_signature());
        assert_eq!(infected[0]["path"], dir.join("eicar.com").to_str().unwrap());
    }
}

#[test]
fn dead_host_with_infection_elsewhere_exits_1_as_clamdscan() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR)]);
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = opskit(&[
        s("--host"),
        s(&clamd.tcp_addr().to_string()),
        s("--host"),
        s(&dead),
        s("--host-timeout"),
        s("5"),
        s("--json"),
        dir.as_os_str(),
    ]);
    // clamdscan exits 1 when it found something, even if other paths or hosts failed.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    assert_eq!(v["hosts"][0]["ok"], true);
    assert_eq!(v["hosts"][0]["results"][0]["status"], "infected");
    assert_eq!(v["hosts"][1]["ok"], false);
    assert!(v["hosts"][1]["error"].as_str().unwrap().contains(&dead));
    assert!(v["hosts"][1]["version"].is_null());
}

#[test]
fn missing_path_is_an_error_line_and_exit_2() {
    let clamd = Clamd::start().unwrap();
    let out = opskit(&[
        s("--host"),
        s(&clamd.tcp_addr().to_string()),
        s("--json"),
        s("/nonexistent/opskit-scan-test"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = json(&out);
    let r = &v["hosts"][0]["results"][0];
    assert_eq!(r["status"], "error");
    assert!(r["message"].as_str().unwrap().contains("No such file"));
}

#[test]
fn json_output_validates_against_its_schema() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR), (b"ok.txt", b"fine")]);
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    // Clean and infected lines, an error line (the missing path) and a failed host.
    let out = opskit(&[
        s("--unix"),
        clamd.socket_path().as_os_str(),
        s("--host"),
        s(&dead),
        s("--mode"),
        s("multiscan"),
        s("--json"),
        dir.join("eicar.com").as_os_str(),
        dir.join("ok.txt").as_os_str(),
        s("/nonexistent/opskit-scan-test"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc = json(&out);
    // The --host hosts come before the --unix ones.
    assert_eq!(doc["hosts"][0]["host"], dead.as_str(), "{doc:#}");
    let statuses: Vec<&serde_json::Value> = doc["hosts"][1]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, ["infected", "clean", "error"], "{doc:#}");
    assert_eq!(doc["hosts"][0]["state"], "failed", "{doc:#}");
    crate::schema::assert_valid("scan", &doc);

    // The schema refuses what the report never writes.
    let broken: [Spoil; 8] = [
        ("an unknown status", |d| {
            d["hosts"][1]["results"][1]["status"] = "suspicious".into();
        }),
        ("an infected line without its signature", |d| {
            d["hosts"][1]["results"][0]["signature"] = serde_json::Value::Null;
        }),
        ("a clean line with a signature", |d| {
            d["hosts"][1]["results"][1]["signature"] = "Eicar".into();
        }),
        ("a path that is no string", |d| {
            d["hosts"][1]["results"][0]["path"] = serde_json::json!([47, 120]);
        }),
        ("a failed host that is ok", |d| {
            d["hosts"][0]["ok"] = true.into();
        }),
        ("a host without its tally", |d| {
            d["hosts"][0].as_object_mut().unwrap().remove("tally");
        }),
        ("a field the report never writes", |d| {
            d["summary"]["warnings"] = 0.into();
        }),
        ("a negative count", |d| {
            d["summary"]["infected"] = (-1).into();
        }),
    ];
    crate::schema::assert_refused("scan", &doc, &broken);
}

#[test]
fn non_utf8_paths_are_lossless_in_json() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"caf\xe9.com", EICAR)]);
    let out = opskit(&[
        s("--unix"),
        clamd.socket_path().as_os_str(),
        s("--json"),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let want = format!("\"{}/caf\\udce9.com\"", dir.display());
    assert!(text.contains(&want), "{text}");
}

#[test]
fn text_output_pings_versions_and_summarises() {
    let a = Clamd::start().unwrap();
    let b = Clamd::start().unwrap();
    let out = opskit(&[
        s("--host"),
        s(&a.tcp_addr().to_string()),
        s("--unix"),
        b.socket_path().as_os_str(),
        s("--ping"),
        s("--server-version"),
        s("--stats"),
        s("--reload"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("{} connection [OK]", a.tcp_addr())),
        "{text}"
    );
    assert!(text.contains(&format!("{} connection [OK]", b.socket_path().display())));
    assert!(text.contains(" ping "), "{text}");
    assert!(text.contains(" version ClamAV "), "{text}");
    assert!(text.contains("POOLS: 1"), "{text}");
    assert!(text.contains("Status: all clean"), "{text}");
    // No terminal: no progress line.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("scanning:"));
}

#[test]
fn scan_version_flag_is_opskits_own() {
    for flag in ["--version", "-V"] {
        let out = opskit(&[s(flag)]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("opskit"), "{flag}: {text}");
    }
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        vec![s("--host"), s("h:99999")],
        vec![s("--host-timeout"), s("0"), s("--host"), s("127.0.0.1")],
        vec![s("--mode"), s("bogus")],
        vec![s("--concurrency"), s("0"), s("--host"), s("127.0.0.1")],
        vec![s("--deadline"), s("0"), s("--host"), s("127.0.0.1")],
        vec![s("--connect-timeout"), s("0"), s("--host"), s("127.0.0.1")],
        vec![s("--max-results"), s("0"), s("--host"), s("127.0.0.1")],
        vec![s("--max-result-bytes"), s("0"), s("--host"), s("127.0.0.1")],
        vec![
            s("--max-result-bytes"),
            s("12TB"),
            s("--host"),
            s("127.0.0.1"),
        ],
    ] {
        let out = opskit(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
}

#[test]
fn progress_shows_on_a_terminal_for_long_scans() {
    // `script` (bsdutils) runs the command on a pseudo-terminal.
    let clamd = Clamd::start().unwrap();
    let files: Vec<(Vec<u8>, Vec<u8>)> = (0..200)
        .map(|i| {
            (
                format!("f{i}").into_bytes(),
                format!("file {i}").into_bytes(),
            )
        })
        .collect();
    let refs: Vec<(&[u8], &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_slice(), d.as_slice()))
        .collect();
    let dir = dir_with(&clamd, &refs);
    let cmd = format!(
        "{} scan --unix {} --mode stream --concurrency 1 {}",
        env!("CARGO_BIN_EXE_opskit"),
        clamd.socket_path().display(),
        dir.display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("run script(1)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("scanning: "), "no progress line: {text:.400}");
    assert!(text.contains("/200"), "{text:.400}");
    assert!(text.contains("Status: all clean"));
}

#[test]
fn concurrency_is_capped_to_the_open_file_limit_with_a_warning() {
    let clamd = Clamd::start().unwrap();
    // Files large enough that many streams are open at once.
    let names: Vec<Vec<u8>> = (0..120).map(|i| format!("f{i}.txt").into_bytes()).collect();
    let data = vec![b'a'; 1 << 18];
    let mut files: Vec<(&[u8], &[u8])> = names.iter().map(|n| (&n[..], &data[..])).collect();
    files.push((b"eicar.com", EICAR));
    let dir = dir_with(&clamd, &files);
    for mode in ["stream", "fdpass"] {
        // Soft and hard limit 64: 500 connections (plus their files) cannot fit.
        let out = Command::new("prlimit")
            .arg("--nofile=64:64")
            .arg(env!("CARGO_BIN_EXE_opskit"))
            .args(["scan", "--unix"])
            .arg(clamd.socket_path())
            .args(["--mode", mode, "--concurrency", "500", "--json"])
            .arg(&dir)
            .output()
            .expect("run opskit scan under prlimit");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let v = json(&out);
        let results = v["hosts"][0]["results"].as_array().unwrap();
        let errors = results.iter().filter(|r| r["status"] == "error").count();
        assert_eq!(errors, 0, "{mode}: {stderr}");
        assert_eq!(out.status.code(), Some(1), "{mode}: {stderr}");
        assert!(
            stderr.contains("warning: --concurrency 500") && stderr.contains("using 16"),
            "{mode}: {stderr}"
        );
        assert_eq!(v["hosts"][0]["ok"], true, "{mode}: {v}");
        let results = v["hosts"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 121, "{mode}: {results:?}");
        let errors = results.iter().filter(|r| r["status"] == "error").count();
        let infected = results.iter().filter(|r| r["status"] == "infected").count();
        assert_eq!((errors, infected), (0, 1), "{mode}: {results:?}");

        // A soft limit below the hard one is raised first: 100 connections then fit.
        let out = Command::new("prlimit")
            .arg("--nofile=64:1024")
            .arg(env!("CARGO_BIN_EXE_opskit"))
            .args(["scan", "--unix"])
            .arg(clamd.socket_path())
            .args(["--mode", mode, "--concurrency", "100", "--json"])
            .arg(&dir)
            .output()
            .expect("run opskit scan under prlimit");
        assert_eq!(out.status.code(), Some(1), "{mode}: {out:?}");
        assert!(out.stderr.is_empty(), "{mode}: {out:?}");
        let v = json(&out);
        let results = v["hosts"][0]["results"].as_array().unwrap();
        let errors = results.iter().filter(|r| r["status"] == "error").count();
        assert_eq!((results.len(), errors), (121, 0), "{mode}: {results:?}");
    }
}

/// To a scan, one FOUND line for `<path>/evil`, then a stall.
fn found_then_stall_server() -> SocketAddr {
    fake_clamd(|conn, path| {
        let _ = conn.write_all(format!("{path}/evil: Eicar FOUND\0").as_bytes());
        std::thread::sleep(Duration::from_secs(30));
    })
    .unwrap()
}

#[test]
fn a_run_deadline_reports_unstarted_hosts_as_not_scanned() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR)]);
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    let mut stalled = Vec::new();
    for _ in 0..5 {
        let staller = Staller::start().unwrap();
        args.extend(["--host".into(), staller.addr().to_string().into()]);
        stalled.push(staller);
    }
    let healthy = clamd.tcp_addr().to_string();
    args.extend(["--host".into(), healthy.clone().into()]);
    for a in [
        "--concurrency",
        "1",
        "--host-timeout",
        "1",
        "--deadline",
        "2500ms",
    ] {
        args.push(a.into());
    }
    args.push(dir.clone().into());
    let refs: Vec<&OsStr> = args.iter().map(std::ffi::OsString::as_os_str).collect();
    let out = opskit(&[&refs[..], &[s("--json")]].concat());
    let v = json(&out);
    crate::schema::assert_valid("scan", &v);
    let hosts = v["hosts"].as_array().unwrap();
    let not_scanned: Vec<_> = hosts
        .iter()
        .filter(|h| h["state"] == "not_scanned")
        .collect();
    // One connection at a time, each stalled host holding it for its second: at most three
    // stalled hosts, and the healthy one, start before the run's deadline.
    assert!(not_scanned.len() >= 2, "{v}");
    for h in &not_scanned {
        assert_eq!(h["reason"], "the run's deadline passed", "{h}");
        assert_eq!(h["ok"], false);
        assert!(h["results"].as_array().unwrap().is_empty());
        assert_eq!(h["tally"]["skipped"], 1);
        assert_eq!(h["incomplete"][0]["state"], "not_scanned");
        if let Some(st) = stalled.iter().find(|st| h["host"] == st.addr().to_string()) {
            assert_eq!(st.accepted(), 0, "{h} connected");
        }
    }
    let summary = &v["summary"];
    assert_eq!(summary["hosts_not_scanned"], not_scanned.len());
    let jobs = &summary["jobs"];
    assert_eq!(jobs["given"], 6);
    assert_eq!(
        jobs["given"].as_u64(),
        Some(
            jobs["done"].as_u64().unwrap()
                + jobs["failed"].as_u64().unwrap()
                + jobs["skipped"].as_u64().unwrap()
        )
    );
    let healthy_done = hosts
        .iter()
        .any(|h| h["host"] == healthy.as_str() && h["state"] == "done");
    assert_eq!(
        out.status.code(),
        Some(if healthy_done { 1 } else { 2 }),
        "{v}"
    );

    let out = opskit(&refs);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(" not scanned: the run's deadline passed"),
        "{text}"
    );
    assert!(text.contains(" not scanned)"), "{text}");
}

#[test]
fn found_before_a_stall_is_kept_and_exits_1() {
    let addr = found_then_stall_server().to_string();
    let args = [
        s("--host"),
        s(&addr),
        s("--host-timeout"),
        s("1"),
        s("/srv/tree"),
    ];
    let out = opskit(&[&args[..], &[s("--json")]].concat());
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    let h = &v["hosts"][0];
    assert_eq!(h["ok"], false, "{v}");
    assert!(h["error"].is_string(), "{v}");
    let results = h["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{v}");
    assert_eq!(results[0]["path"], "/srv/tree/evil");
    assert_eq!(results[0]["status"], "infected");

    let out = opskit(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout.contains("/srv/tree/evil: Eicar FOUND"), "{stdout}");
    assert!(stdout.contains("Infected files: 1"), "{stdout}");
}

/// Runs `opskit scan` under GNU time and returns its output and peak resident set in bytes.
fn opskit_peak_rss(args: &[&OsStr]) -> (Output, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_opskit"))
        .arg("scan")
        .args(args)
        .output()
        .expect("run opskit scan under /usr/bin/time");
    let text = std::fs::read_to_string(report.path()).unwrap();
    let kib: u64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("GNU time's report: {text:?}"));
    (out, kib * 1024)
}

#[test]
fn a_clamd_that_floods_results_is_cut_at_the_byte_budget() {
    const BUDGET: u64 = 32 << 20;
    // Fixed margin over the baseline and the budget: allocator slack, the JSON writer's buffers.
    const MARGIN: u64 = 16 << 20;
    // Valid result lines for the path asked, forever.
    let addr = fake_clamd(|conn, path| {
        let block: Vec<u8> = (0..1000)
            .flat_map(|i| format!("{path}/dir/file{i:06}.txt: OK\0").into_bytes())
            .collect();
        while conn.write_all(&block).is_ok() {}
    })
    .unwrap()
    .to_string();
    let run = |host: &str, budget: &str| {
        opskit_peak_rss(&[
            s("--host"),
            s(host),
            s("--host-timeout"),
            s("120"),
            s("--max-result-bytes"),
            s(budget),
            s("--json"),
            s("/srv/flood"),
        ])
    };
    // The same run against a host that refuses the connection: the process's own baseline.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (_, baseline) = run(&dead, "32MiB");
    let (out, peak) = run(&addr, "32MiB");
    assert!(
        peak <= baseline + BUDGET + MARGIN,
        "peak RSS {} MiB over the {} MiB baseline, budget 32 MiB",
        peak >> 20,
        baseline >> 20
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let h = &v["hosts"][0];
    assert_eq!(h["state"], "failed");
    let error = h["error"].as_str().unwrap();
    assert!(error.contains("more than 33554432 bytes"), "{error}");
    assert_eq!(h["incomplete"][0]["state"], "failed");
    // The results within the budget are kept and printed: each counts its path and 128 bytes.
    let results = h["results"].as_array().unwrap();
    let per_result = "/srv/flood/dir/file000000.txt".len() as u64 + 128;
    assert_eq!(
        results.len() as u64,
        BUDGET / per_result,
        "{:?}",
        &results[..3]
    );
}

#[test]
fn connect_timeout_ends_a_connect_that_never_completes() {
    // A listener whose accept queue is full and never accepted: the kernel drops further SYNs,
    // so a connect neither succeeds nor fails.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let fill: Vec<_> = (0..4)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
        .collect();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
        "the queue is full"
    );
    let t = std::time::Instant::now();
    let out = opskit(&[
        s("--host"),
        s(&addr.to_string()),
        s("--host-timeout"),
        s("60"),
        s("--connect-timeout"),
        s("500ms"),
        s("--json"),
        s("/srv"),
    ]);
    // Ten times the connect timeout, and far below the host's deadline (and below the 10 s
    // connect limit opskit had before --connect-timeout).
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = json(&out);
    let h = &v["hosts"][0];
    assert_eq!(h["state"], "failed");
    assert!(
        h["error"].as_str().unwrap().contains("did not answer PING"),
        "{v}"
    );
    drop(fill);
}

#[test]
fn found_before_a_reset_a_garbled_or_a_cut_line_is_kept_with_the_error() {
    type OnScan = fn(&mut TcpStream, &str);
    fn found(conn: &mut TcpStream, path: &str) {
        let _ = conn.write_all(format!("{path}/evil: Eicar FOUND\0").as_bytes());
    }
    let cases: [(OnScan, &str); 3] = [
        (
            |c, p| {
                found(c, p);
                // Let the line arrive first: a reset discards what the client has not read.
                std::thread::sleep(Duration::from_millis(300));
                let _ = socket2::SockRef::from(&*c).set_linger(Some(Duration::ZERO));
            },
            "reset",
        ),
        (
            |c, p| {
                found(c, p);
                let _ = c.write_all(b"\xff garbage\0");
            },
            "malformed",
        ),
        (
            |c, p| {
                found(c, p);
                let _ = c.write_all(b"/srv/tree/b: Eic");
            },
            "truncated",
        ),
    ];
    for (server, error) in cases {
        let addr = fake_clamd(server).unwrap().to_string();
        let args = [s("--host"), s(&addr), s("/srv/tree")];
        let out = opskit(&[&args[..], &[s("--json")]].concat());
        assert_eq!(out.status.code(), Some(1), "{error}: {out:?}");
        let v = json(&out);
        let h = &v["hosts"][0];
        assert_eq!(h["state"], "failed", "{v}");
        assert_eq!(h["results"][0]["path"], "/srv/tree/evil", "{v}");
        assert_eq!(h["results"][0]["status"], "infected", "{v}");
        let job = &h["incomplete"][0];
        assert_eq!(
            (&job["path"], &job["state"]),
            (&"/srv/tree".into(), &"failed".into())
        );
        assert!(job["error"].as_str().unwrap().contains(error), "{v}");

        let out = opskit(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("/srv/tree/evil: Eicar FOUND"), "{text}");
        assert!(text.contains(&format!("{addr} /srv/tree ERROR")), "{text}");
    }
}
