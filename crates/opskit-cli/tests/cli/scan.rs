//! `opskit scan` against private clamd instances.

use std::ffi::OsStr;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::schema::Spoil;
use crate::state::{opskit_command, state_home};
use testbed::clamd::{Clamd, EICAR, Staller, fake_clamd};

pub(crate) fn opskit(args: &[&OsStr]) -> Output {
    opskit_command()
        .arg("scan")
        .args(args)
        .output()
        .expect("run opskit scan")
}

pub(crate) fn s(v: &str) -> &OsStr {
    OsStr::new(v)
}

pub(crate) fn dir_with(clamd: &Clamd, files: &[(&[u8], &[u8])]) -> PathBuf {
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

pub(crate) fn json(out: &Output) -> serde_json::Value {
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
    let dir = dir_with(&a, &[(b"ok.txt", b"fine")]);
    let out = opskit(&[
        s("--host"),
        s(&a.tcp_addr().to_string()),
        s("--unix"),
        b.socket_path().as_os_str(),
        s("--ping"),
        s("--server-version"),
        s("--stats"),
        s("--reload"),
        dir.as_os_str(),
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
    // No terminal: no progress display.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("scanning"));
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
fn progress_shows_per_host_on_a_terminal() {
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
        .env("XDG_STATE_HOME", state_home())
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("run script(1)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let host = clamd.socket_path().display().to_string();
    assert!(
        text.contains(&format!("scanning {host} ")),
        "no progress display: {text:.400}"
    );
    assert!(
        text.contains("/200 scanned, 0 infected, 0 errors"),
        "{text:.400}"
    );
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
            .env("XDG_STATE_HOME", state_home())
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
            .env("XDG_STATE_HOME", state_home())
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
        .env("XDG_STATE_HOME", state_home())
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

#[test]
fn no_path_is_an_error_not_all_clean() {
    let clamd = Clamd::start().unwrap();
    let out = opskit(&[s("--unix"), clamd.socket_path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no path to scan"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("all clean"));
}

#[test]
fn clamdscan_flags_are_aliases_with_clamdscans_meaning() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR), (b"ok.txt", b"fine")]);
    let sock = clamd.socket_path().as_os_str();
    let found = format!(
        "{}: {} FOUND",
        dir.join("eicar.com").display(),
        clamd.eicar_signature()
    );
    // -m -i: MULTISCAN, only the infected line; --no-summary: nothing else.
    let out = opskit(&[
        s("--unix"),
        sock,
        s("-m"),
        s("-i"),
        s("--no-summary"),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{found}\n"));
    // --stream and --fdpass walk here: one line per file.
    for flag in ["--stream", "--fdpass"] {
        let out = opskit(&[s("--unix"), sock, s(flag), dir.as_os_str()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{flag}: {text}");
        assert!(text.contains(&found), "{flag}: {text}");
        assert!(
            text.contains(&format!("{}: OK", dir.join("ok.txt").display())),
            "{flag}: {text}"
        );
        assert!(text.contains("Scans: 2 (2 done"), "{flag}: {text}");
    }
    // -f: the paths from a file, one per line.
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        format!(
            "{}\n\n{}\n",
            dir.join("ok.txt").display(),
            dir.join("eicar.com").display()
        ),
    )
    .unwrap();
    let out = opskit(&[s("--unix"), sock, s("-f"), list.as_os_str(), s("--json")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    assert_eq!(v["summary"]["jobs"]["given"], 2, "{v}");
    // -: standard input, streamed, named stdin.
    let mut child = opskit_command()
        .args(["scan", "--unix"])
        .arg(sock)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(EICAR).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("stdin: {} FOUND", clamd.eicar_signature())),
        "{text}"
    );
    // The modes conflict with each other.
    let out = opskit(&[s("--unix"), sock, s("-m"), s("--stream"), dir.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn allmatch_on_a_clamd_that_stops_at_the_first_match_is_an_error_line() {
    let clamd = Clamd::builder()
        .allow_all_match_scan(false)
        .start()
        .unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR)]);
    let out = opskit(&[
        s("--unix"),
        clamd.socket_path().as_os_str(),
        s("--mode"),
        s("allmatch"),
        dir.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("ALLMATCHSCAN command disabled by clamd configuration. ERROR"),
        "{text}"
    );
    assert!(text.contains("Errors: 1"), "{text}");
    let help = String::from_utf8_lossy(&opskit(&[s("--help")]).stdout).into_owned();
    assert!(help.contains("AllowAllMatchScan no"), "{help}");
}

/// The lines of a running child's standard output, as it prints them.
fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("a piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    rx
}

#[test]
fn results_are_printed_as_clamd_sends_them() {
    // One FOUND line, then a stall of 30 s: the line must show long before the host's
    // deadline.
    let addr = found_then_stall_server().to_string();
    let mut child = opskit_command()
        .args(["scan", "--host", &addr, "--host-timeout", "25", "/srv/tree"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stdout_lines(&mut child);
    let mut seen = Vec::new();
    let found = loop {
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(line) if line == "/srv/tree/evil: Eicar FOUND" => break true,
            Ok(line) => seen.push(line),
            Err(_) => break false,
        }
    };
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(found, "no FOUND line within 15 s: {seen:?}");
    assert!(running, "the line came only when opskit ended");
    assert!(
        seen.iter().any(|l| l.ends_with("connection [OK]")),
        "{seen:?}"
    );
}

/// A signature database `daily.cud` (an unsigned CVD, which clamd loads without ClamAV's
/// signing key) built `age` ago, made live in `clamd` by RELOAD: VERSION then reports its
/// version 27123 and that date.
fn dated_signatures(clamd: &Clamd, age: Duration) {
    fn tar_entry(out: &mut Vec<u8>, name: &str, data: &[u8], mtime: u64) {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let mut field = |at: usize, len: usize, v: u64| {
            let text = format!("{v:0width$o}\0", width = len - 1);
            h[at..at + len].copy_from_slice(text.as_bytes());
        };
        field(100, 8, 0o644);
        field(108, 8, 0);
        field(116, 8, 0);
        field(124, 12, data.len() as u64);
        field(136, 12, mtime);
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    let stime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - age.as_secs();
    let header = format!(
        "ClamAV-VDB:opskit test:27123:1:90:{}:X:opskit:{stime}",
        "0".repeat(32)
    );
    let ndb = b"Opskit-Dated-Test:0:*:6f70736b69742d6461746564\n";
    let sha = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(ndb)?;
            c.wait_with_output()
        })
        .expect("run sha256sum");
    let sha = String::from_utf8_lossy(&sha.stdout);
    let sha = sha.split_whitespace().next().unwrap();
    let info = format!("{header}\ndaily.ndb:{}:{sha}\n", ndb.len());
    let mut cud = header.into_bytes();
    cud.resize(512, b' ');
    tar_entry(&mut cud, "daily.info", info.as_bytes(), stime);
    tar_entry(&mut cud, "daily.ndb", ndb, stime);
    cud.resize(cud.len() + 1024, 0);
    std::fs::write(clamd.database_dir().join("daily.cud"), cud).unwrap();
    let client = clamd_proto::Client::new(clamd_proto::Endpoint::unix(clamd.socket_path()));
    client.reload().unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while client.version().unwrap().database != Some(27123) {
        assert!(
            std::time::Instant::now() < until,
            "clamd did not load daily.cud: {}",
            clamd.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn write_policy(dir: &std::path::Path, text: &str) -> PathBuf {
    let f = dir.join("fleet.toml");
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn a_policy_runs_once_with_reload_excludes_and_the_signature_age() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(
        &clamd,
        &[
            (b"eicar.com", EICAR),
            (b"access.log", EICAR),
            (b"ok.txt", b"fine"),
        ],
    );
    std::fs::create_dir(dir.join("cache")).unwrap();
    std::fs::write(dir.join("cache/page.html"), EICAR).unwrap();
    dated_signatures(&clamd, Duration::from_secs(5 * 86_400 + 3600));
    let sock = clamd.socket_path().display();
    let tcp = clamd.tcp_addr();
    let d = dir.display();
    let policy = write_policy(
        clamd.dir(),
        &format!(
            r#"
[env.web]
hosts = ["{tcp}", "unix:{sock}", "tls://127.0.0.1:3311"]
mode = "multiscan"
paths = ["{d}"]
exclude = ["*.log", "{d}/cache/**"]
reload = true
timeout = "1m"
concurrency = 4
every = "6h"
max_db_age = "2d"

[env.files]
hosts = ["{sock}"]
mode = "stream"
paths = ["{d}"]
exclude = ["*.log", "{d}/cache/**"]
cron = "0 3 * * *"
max_db_age = "30d"
"#
        ),
    );
    let out = opskit(&[s("--policy"), policy.as_os_str(), s("--env"), s("web")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("== env web: 3 hosts, multiscan"), "{text}");
    // Both real hosts show their signature version and date, and are warned about its age.
    for host in [tcp.to_string(), sock.to_string()] {
        assert!(text.contains(&format!("{host} version ClamAV ")), "{text}");
        assert!(text.contains("/27123/"), "{text}");
        assert!(
            text.contains(&format!("WARNING {host}: signatures of ")),
            "{text}"
        );
    }
    assert!(
        text.contains(" are 5d1h old, more than max_db_age 2d"),
        "{text}"
    );
    // The TLS host, which has no CA to be verified with, is accounted for, refused before
    // anything is sent.
    assert!(
        text.contains(
            "tls://127.0.0.1:3311 connection [FAILED] tls://127.0.0.1:3311: no CA to verify the \
             TLS server with"
        ),
        "{text}"
    );
    // The infected file is found on both hosts; the excluded ones are listed as excluded.
    let found = format!(
        "{}: {} FOUND",
        dir.join("eicar.com").display(),
        clamd.eicar_signature()
    );
    assert_eq!(text.matches(&found).count(), 2, "{text}");
    assert!(!text.contains("access.log: Opskit"), "{text}");
    // Listed once, whatever the number of hosts that met it.
    assert_eq!(
        text.matches("access.log: excluded SKIPPED").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}: excluded SKIPPED",
            dir.join("access.log").display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}: excluded SKIPPED",
            dir.join("cache/page.html").display()
        )),
        "{text}"
    );
    assert!(
        text.contains("Hosts: 3 (1 failed, 0 not scanned)"),
        "{text}"
    );
    assert!(text.contains("Infected files: 2"), "{text}");

    // The stream environment walks here and leaves the excluded entries out; its signatures
    // are within 30 days: no warning. JSON: one document per environment.
    let out = opskit(&[
        s("--policy"),
        policy.as_os_str(),
        s("--env"),
        s("files"),
        s("--json"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    crate::schema::assert_valid("scan", &v);
    let results = v["hosts"][0]["results"].as_array().unwrap();
    let paths: Vec<&str> = results
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2, "{v}");
    assert!(
        paths
            .iter()
            .all(|p| p.ends_with("eicar.com") || p.ends_with("ok.txt")),
        "{v}"
    );
    let skipped: Vec<&str> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["reason"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["excluded", "excluded"], "{v}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{out:?}"
    );
    assert_eq!(v["environment"]["name"], "files", "{v}");
    assert_eq!(
        v["environment"]["db_warnings"],
        serde_json::json!([]),
        "{v}"
    );

    // JSON of the web environment: its stale signatures, per host, with their ages.
    let out = opskit(&[
        s("--policy"),
        policy.as_os_str(),
        s("--env"),
        s("web"),
        s("--json"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    crate::schema::assert_valid("scan", &v);
    let warnings = v["environment"]["db_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{v}");
    for w in warnings {
        assert_eq!(w["kind"], "stale", "{w}");
        assert_eq!(w["max_seconds"], 2 * 86_400, "{w}");
        assert!(
            w["age_seconds"].as_u64().unwrap() >= 5 * 86_400 + 3600,
            "{w}"
        );
    }
    let broken: [Spoil; 2] = [
        ("an undated warning with an age", |d| {
            d["environment"]["db_warnings"][0]["kind"] = "undated".into();
        }),
        ("an environment without its name", |d| {
            d["environment"].as_object_mut().unwrap().remove("name");
        }),
    ];
    crate::schema::assert_refused("scan", &v, &broken);

    // Both environments, one after the other; an unknown --env is refused.
    let out = opskit(&[s("--policy"), policy.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("SCAN SUMMARY (files)") && text.contains("SCAN SUMMARY (web)"),
        "{text}"
    );
    let out = opskit(&[s("--policy"), policy.as_os_str(), s("--env"), s("db")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such environment (it has files, web)")
    );
}

#[test]
fn policy_mistakes_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    for (text, says) in [
        (
            "[env.web]\nhosts = [\"127.0.0.1\"]\npaths = [\"/a\"]\nexlude = [\"*.log\"]\n",
            ":4:1: unknown field `exlude`",
        ),
        (
            "[env.web]\nhosts = [\"127.0.0.1\"]\npaths = [\"/a\"]\ncron = \"0 3 * *\"\n",
            ":4:8: env.web: cron \"0 3 * *\" has 4 fields",
        ),
        (
            "[env.web]\nhosts = [\"127.0.0.1\"]\n",
            ":1:1: missing field `paths`",
        ),
    ] {
        let f = write_policy(dir.path(), text);
        let out = opskit(&[s("--policy"), f.as_os_str()]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{}{says}", f.display())),
            "{stderr}"
        );
    }
    // The policy owns its hosts, mode, paths, RELOAD, timeout and concurrency.
    let f = write_policy(
        dir.path(),
        "[env.web]\nhosts = [\"127.0.0.1\"]\npaths = [\"/a\"]\n",
    );
    for extra in [
        &["--host", "127.0.0.1"][..],
        &["-m"],
        &["--host-timeout", "5"],
        &["/b"],
    ] {
        let mut args = vec![s("--policy"), f.as_os_str()];
        args.extend(extra.iter().map(|a| s(a)));
        let out = opskit(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{out:?}"
        );
    }
    // --daemon needs a schedule in every environment it runs.
    let f = write_policy(
        dir.path(),
        "[env.web]\nhosts = [\"127.0.0.1\"]\npaths = [\"/a\"]\n",
    );
    let out = opskit(&[s("--policy"), f.as_os_str(), s("--daemon")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs `every` or `cron`"));
}

#[test]
fn the_daemon_runs_each_environment_on_its_schedule_and_stops_on_signals() {
    use rustix::process::{Pid, Signal, kill_process};
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR)]);
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let sock = clamd.socket_path().display();
    let d = dir.display();
    let ok = format!("[env.ok]\nhosts = [\"{sock}\"]\npaths = [\"{d}\"]\nevery = \"1s\"\n");
    let broken = format!(
        "[env.down]\nhosts = [\"{dead}\"]\npaths = [\"{d}\"]\nevery = \"1s\"\ntimeout = \"2s\"\n"
    );
    let policy = write_policy(&dir, &format!("{ok}{broken}"));
    let mut child = opskit_command()
        .args(["scan", "--daemon", "--policy"])
        .arg(&policy)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_child(&child);
    let rx = stdout_lines(&mut child);
    let mut lines = Vec::new();
    // Waits until `n` lines containing `what` have been printed.
    let wait_for = |what: &str, n: usize, lines: &mut Vec<String>| {
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while lines.iter().filter(|l| l.contains(what)).count() < n {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => lines.push(l),
                Err(e) => panic!("{e}: no {n} lines with {what:?}: {lines:#?}"),
            }
        }
    };
    // The healthy environment runs again and again while the other fails each time.
    let found = format!(
        "[ok] {}: {} FOUND",
        dir.join("eicar.com").display(),
        clamd.eicar_signature()
    );
    wait_for(&found, 2, &mut lines);
    wait_for("[down] ----------- SCAN SUMMARY (down)", 2, &mut lines);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("[down] {dead} connection [FAILED]"))),
        "{lines:#?}"
    );
    // SIGHUP: a new environment, and a policy with a mistake is refused.
    let late = format!(
        "[env.late]\nhosts = [\"{sock}\"]\npaths = [\"{d}\"]\ncron = \"* * * * *\"\nevery = \"1s\"\n"
    );
    std::fs::write(&policy, format!("{ok}{broken}{late}")).unwrap();
    kill_process(pid, Signal::HUP).unwrap();
    let late = late.replace("cron = \"* * * * *\"\n", "");
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&policy, format!("{ok}{broken}{late}")).unwrap();
    kill_process(pid, Signal::HUP).unwrap();
    wait_for("[late] ----------- SCAN SUMMARY (late)", 1, &mut lines);
    kill_process(pid, Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    // Stopped cleanly (2 when a run was cut short, which it names).
    assert!(matches!(status.code(), Some(0 | 2)), "{status:?}: {err}");
    assert!(err.contains("SIGHUP: keeping the running policy"), "{err}");
    assert!(err.contains("give `every` or `cron`, not both"), "{err}");
    assert!(err.contains("SIGHUP: policy"), "{err}");
    assert!(err.contains("opskit: SIGTERM: stopped"), "{err}");
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
        lines.push(l);
    }
    if status.code() == Some(2) {
        assert!(
            lines
                .iter()
                .any(|l| l.contains("run interrupted by SIGTERM")),
            "{lines:#?}"
        );
    }
}

/// A policy of one environment `web` scanning `dir` on `hosts`, with `extra` keys.
fn web_policy(clamd: &Clamd, hosts: &[String], dir: &std::path::Path, extra: &str) -> PathBuf {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    write_policy(
        clamd.dir(),
        &format!(
            "[env.web]\nhosts = [{}]\npaths = [{:?}]\n{extra}",
            hosts.join(", "),
            dir.display().to_string()
        ),
    )
}

#[test]
fn a_policy_timeout_is_each_hosts_deadline() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR)]);
    let staller = Staller::start().unwrap();
    let hosts = [staller.addr().to_string(), clamd.tcp_addr().to_string()];
    let policy = web_policy(&clamd, &hosts, &dir, "timeout = \"1s\"\n");
    let out = opskit(&[s("--policy"), policy.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    // The stalled host fails at its deadline; the healthy one is scanned.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "{0} connection [FAILED] clamd at {0} did not answer PING within",
            staller.addr()
        )),
        "{text}"
    );
    assert!(
        text.contains("Hosts: 2 (1 failed, 0 not scanned)"),
        "{text}"
    );
    assert!(text.contains("Infected files: 1"), "{text}");
}

/// One row of a query on the history file, as text.
fn history_rows(db: &std::path::Path, sql: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |row| {
        (0..n)
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        String::from_utf8_lossy(t).into_owned()
                    }
                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                })
            })
            .collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_policy_run_is_recorded_in_the_history() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR), (b"ok.txt", b"fine")]);
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let hosts = [clamd.socket_path().display().to_string(), dead.to_string()];
    let policy = web_policy(&clamd, &hosts, &dir, "");
    let db = clamd.dir().join("history.db");
    for _ in 0..2 {
        let out = opskit(&[s("--policy"), policy.as_os_str(), s("--db"), db.as_os_str()]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
    }
    let runs = history_rows(
        &db,
        "SELECT id, environment, status, ended_at >= started_at FROM runs ORDER BY id",
    );
    assert_eq!(
        runs,
        [["1", "web", "infected", "1"], ["2", "web", "infected", "1"]]
    );
    let hosts = history_rows(
        &db,
        "SELECT host, state, version IS NOT NULL, error IS NOT NULL FROM hosts WHERE run_id = 2 ORDER BY host",
    );
    let sock = clamd.socket_path().display().to_string();
    let mut want = vec![
        vec![sock.clone(), "done".into(), "1".into(), "0".into()],
        vec![dead.to_string(), "failed".into(), "0".into(), "1".into()],
    ];
    want.sort();
    assert_eq!(hosts, want);
    let findings = history_rows(
        &db,
        "SELECT host, path, kind, detail FROM findings WHERE run_id = 2",
    );
    assert_eq!(
        findings,
        [[
            sock,
            dir.join("eicar.com").display().to_string(),
            "infected".into(),
            clamd.eicar_signature().to_owned()
        ]]
    );
}

#[test]
fn a_daemon_killed_midway_leaves_a_consistent_history() {
    use rustix::process::{Pid, Signal, kill_process};
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[(b"eicar.com", EICAR)]);
    // The stalled host keeps each run going for its 30 s timeout.
    let staller = Staller::start().unwrap();
    let hosts = [
        clamd.socket_path().display().to_string(),
        staller.addr().to_string(),
    ];
    let policy = web_policy(&clamd, &hosts, &dir, "every = \"1h\"\ntimeout = \"30s\"\n");
    let db = clamd.dir().join("history.db");
    let start = || {
        opskit_command()
            .args(["scan", "--daemon", "--policy"])
            .arg(&policy)
            .arg("--db")
            .arg(&db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Waits until run `run` has recorded its healthy host.
    let host_recorded = |run: u32| {
        let until = std::time::Instant::now() + Duration::from_secs(20);
        let sql = format!("SELECT count(*) FROM hosts WHERE run_id = {run}");
        // The file and its tables appear while the daemon starts.
        let recorded = || {
            rusqlite::Connection::open(&db)
                .and_then(|c| c.query_row(&sql, [], |r| r.get::<_, i64>(0)))
                .is_ok_and(|n| n == 1)
        };
        while !recorded() {
            assert!(
                std::time::Instant::now() < until,
                "run {run} recorded no host"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let mut child = start();
    host_recorded(1);
    kill_process(Pid::from_child(&child), Signal::KILL).unwrap();
    child.wait().unwrap();
    assert_eq!(history_rows(&db, "PRAGMA integrity_check"), [["ok"]]);
    // Killed: the run stays `running`, without an end, with the host it finished.
    assert_eq!(
        history_rows(&db, "SELECT status, ended_at FROM runs"),
        [["running", "NULL"]]
    );
    assert_eq!(history_rows(&db, "SELECT state FROM hosts"), [["done"]]);
    assert_eq!(
        history_rows(&db, "SELECT kind FROM findings"),
        [["infected"]]
    );

    // Stopped by SIGTERM: the run is marked interrupted. The daemon's open has marked the
    // killed run, whose process is gone, incomplete.
    let child = start();
    host_recorded(2);
    kill_process(Pid::from_child(&child), Signal::TERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let runs = history_rows(
        &db,
        "SELECT id, status, ended_at IS NOT NULL FROM runs ORDER BY id",
    );
    assert_eq!(runs, [["1", "incomplete", "0"], ["2", "interrupted", "1"]]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("opskit: SIGTERM: stopped"));

    // SIGINT (Ctrl-C) too.
    let child = start();
    host_recorded(3);
    kill_process(Pid::from_child(&child), Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("opskit: SIGINT: stopped"));
    let runs = history_rows(&db, "SELECT status FROM runs WHERE id = 3");
    assert_eq!(runs, [["interrupted"]]);
}
