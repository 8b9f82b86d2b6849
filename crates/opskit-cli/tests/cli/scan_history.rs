//! Scans without `--policy` in the run history: ad-hoc scans, pool scans, `--no-history`, a
//! scan killed midway, and `opskit scan report --new` over the same hosts and paths.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testbed::clamd::{Clamd, EICAR, Staller};

use crate::scan::json;
use crate::schema::assert_valid;
use crate::state::state_home;

/// `opskit scan ARGS` with the state directory `state` (the default history under it).
fn scan(state: &Path, args: &[&OsStr]) -> Output {
    scan_command(state, args).output().expect("run opskit scan")
}

fn scan_command(state: &Path, args: &[&OsStr]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opskit"));
    c.env("XDG_STATE_HOME", state).arg("scan").args(args);
    c
}

/// `opskit scan QUERY ARGS --json` on the default history of `state`, checked against its
/// schema.
fn query(state: &Path, schema: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.push(OsStr::new("--json"));
    let out = scan(state, &all);
    let v = json(&out);
    assert_valid(schema, &v);
    (out.status.code(), v)
}

/// A fresh directory of `clamd`'s holding `content`.
fn dir_with(clamd: &Clamd, content: &[(&str, &[u8])]) -> PathBuf {
    let bytes: Vec<(&[u8], &[u8])> = content.iter().map(|(n, d)| (n.as_bytes(), *d)).collect();
    crate::scan::dir_with(clamd, &bytes)
}

fn os(p: &Path) -> &OsStr {
    p.as_os_str()
}

/// The (host, path, kind, detail) of each finding of a run report.
fn findings(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            (s("host"), s("path"), s("kind"), s("detail"))
        })
        .collect()
}

#[test]
fn an_ad_hoc_scan_is_recorded_with_its_infection_in_the_default_history() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[("eicar.com", EICAR), ("ok.txt", b"fine")]);
    let host = clamd.tcp_addr().to_string();
    let state = state_home();
    let out = scan(&state, &[OsStr::new("--host"), OsStr::new(&host), os(&dir)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(state.join("opskit/history.sqlite").is_file());

    let (code, runs) = query(&state, "scan-history", &["history"]);
    assert_eq!(code, Some(0));
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run["environment"], "@adhoc", "{run}");
    assert_eq!(run["policy"], "", "{run}");
    assert_eq!(run["mode"], "contscan", "{run}");
    assert_eq!(run["paths"], serde_json::json!([dir.display().to_string()]));
    assert_eq!(run["status"], "infected", "{run}");
    assert_eq!(
        (run["hosts"].as_u64(), run["infected"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(run["ended_at"].is_i64(), "{run}");

    // --env @adhoc selects it, and the report has the infection with its signature.
    let (_, only) = query(&state, "scan-history", &["history", "--env", "@adhoc"]);
    assert_eq!(only.as_array().unwrap().len(), 1);
    let (code, report) = query(&state, "scan-report", &["report"]);
    assert_eq!(code, Some(0));
    let file = dir.join("eicar.com").display().to_string();
    let want = BTreeSet::from([(
        host.clone(),
        file,
        "infected".to_owned(),
        clamd.eicar_signature().to_owned(),
    )]);
    assert_eq!(findings(&report), want, "{report}");
    assert_eq!(report["hosts"][0]["host"], host.as_str());
    assert_eq!(report["hosts"][0]["state"], "done");
    assert!(report["hosts"][0]["version"].is_string(), "{report}");

    let text = scan(&state, &[OsStr::new("report")]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("of env @adhoc (no policy): contscan"),
        "{text}"
    );
}

#[test]
fn no_history_writes_nothing_and_db_works_without_a_policy() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[("ok.txt", b"fine")]);
    let sock = clamd.socket_path().as_os_str();
    let state = state_home();
    let out = scan(
        &state,
        &[
            OsStr::new("--unix"),
            sock,
            OsStr::new("--no-history"),
            os(&dir),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let written: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
    assert!(written.is_empty(), "--no-history wrote {written:?}");

    // --db and --history-lease are taken without --policy: the run goes to that file only.
    let db = clamd.dir().join("elsewhere/history.sqlite");
    let args = [
        OsStr::new("--unix"),
        sock,
        OsStr::new("--db"),
        os(&db),
        OsStr::new("--history-lease"),
        OsStr::new("1m"),
        OsStr::new("--stream"),
        os(&dir),
    ];
    let out = scan(&state, &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(std::fs::read_dir(&state).unwrap().next().is_none());
    let db = db.to_str().unwrap();
    let (_, runs) = query(&state, "scan-history", &["history", "--db", db]);
    let run = &runs[0];
    assert_eq!(
        (run["mode"].as_str(), run["status"].as_str()),
        (Some("stream"), Some("all_clean"))
    );
}

#[test]
fn standard_input_is_recorded_as_stdin() {
    let clamd = Clamd::start().unwrap();
    let state = state_home();
    let sock = clamd.socket_path().as_os_str();
    let mut child = scan_command(&state, &[OsStr::new("--unix"), sock, OsStr::new("-")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), EICAR).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(1));
    let (_, report) = query(&state, "scan-report", &["report"]);
    assert_eq!(report["run"]["paths"], serde_json::json!(["-"]), "{report}");
    assert_eq!(report["run"]["mode"], "stream");
    let paths: Vec<_> = findings(&report).into_iter().map(|f| (f.1, f.2)).collect();
    assert_eq!(
        paths,
        [("stdin".to_owned(), "infected".to_owned())],
        "{report}"
    );
}

#[test]
fn a_pool_scan_is_recorded_with_the_host_of_every_file() {
    let (a, b) = (Clamd::start().unwrap(), Clamd::start().unwrap());
    let content: Vec<(String, &[u8])> = (0..24)
        .map(|i| (format!("eicar{i:02}.com"), EICAR))
        .collect();
    let refs: Vec<(&str, &[u8])> = content.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let dir = dir_with(&a, &refs);
    let (ha, hb) = (a.tcp_addr().to_string(), b.tcp_addr().to_string());
    let state = state_home();
    let args = [
        "--pool",
        "--stream",
        "--json",
        "--concurrency",
        "4",
        "--host",
        &ha,
        "--host",
        &hb,
    ];
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.push(os(&dir));
    let out = scan(&state, &all);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let pool = json(&out);
    // Each file's host, as the pool reported it.
    let want: BTreeSet<(String, String)> = pool["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let host = f["host"].as_str().unwrap().to_owned();
            (host, f["path"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(want.len(), 24);

    let (_, report) = query(&state, "scan-report", &["report"]);
    assert_eq!(report["run"]["environment"], "@adhoc");
    assert_eq!(report["run"]["mode"], "stream");
    assert_eq!(report["run"]["status"], "infected");
    let got: BTreeSet<(String, String)> = findings(&report)
        .into_iter()
        .map(|(host, path, kind, _)| {
            assert_eq!(kind, "infected");
            (host, path)
        })
        .collect();
    assert_eq!(got, want, "{report}");
    let mut hosts: Vec<&str> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert_eq!(h["state"], "done", "{h}");
            h["host"].as_str().unwrap()
        })
        .collect();
    hosts.sort_unstable();
    let mut both = [ha.as_str(), hb.as_str()];
    both.sort_unstable();
    assert_eq!(hosts, both);
    let done: u64 = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["jobs"]["done"].as_u64().unwrap())
        .sum();
    assert_eq!(done, 24, "{report}");
}

/// Polls the default history of `state` until its one run has `hosts` hosts recorded.
fn wait_for_hosts(state: &Path, hosts: u64) -> Value {
    let start = Instant::now();
    loop {
        let (_, runs) = query(state, "scan-history", &["history"]);
        if let Some(run) = runs.as_array().and_then(|r| r.first())
            && run["hosts"].as_u64() == Some(hosts)
        {
            return run.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no run with {hosts} hosts: {runs}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_killed_ad_hoc_scan_is_marked_incomplete_with_the_hosts_it_finished() {
    use rustix::process::{Pid, Signal, kill_process};
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[("eicar.com", EICAR)]);
    let staller = Staller::start().unwrap();
    let state = state_home();
    let stalled = staller.addr().to_string();
    let args = [
        OsStr::new("--unix"),
        clamd.socket_path().as_os_str(),
        OsStr::new("--host"),
        OsStr::new(&stalled),
        OsStr::new("--host-timeout"),
        OsStr::new("120"),
        os(&dir),
    ];
    let mut child = scan_command(&state, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run = wait_for_hosts(&state, 1);
    assert_eq!(run["status"], "running", "{run}");
    kill_process(Pid::from_child(&child), Signal::KILL).unwrap();
    child.wait().unwrap();
    assert!(staller.accepted() >= 1, "the stalled host was in progress");

    let (_, runs) = query(&state, "scan-history", &["history"]);
    let run = &runs[0];
    assert_eq!(run["status"], "incomplete", "{run}");
    assert!(run["ended_at"].is_null(), "{run}");
    let (_, report) = query(&state, "scan-report", &["report"]);
    let host = clamd.socket_path().display().to_string();
    assert_eq!(report["hosts"][0]["host"], host.as_str(), "{report}");
    let infected: Vec<_> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(infected, [host], "{report}");
}

#[test]
fn report_new_compares_an_ad_hoc_run_with_the_previous_over_the_same_targets() {
    let clamd = Clamd::start().unwrap();
    let first = dir_with(&clamd, &[("old.com", EICAR), ("ok.txt", b"fine")]);
    let other = dir_with(&clamd, &[("elsewhere.com", EICAR)]);
    let sock = clamd.socket_path().as_os_str();
    let state = state_home();
    let run = |dir: &Path| {
        let out = scan(&state, &[OsStr::new("--unix"), sock, os(dir)]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
    };
    run(&first);
    // Only run: everything it found is new.
    let (code, changes) = query(&state, "scan-report-new", &["report", "--new"]);
    assert_eq!(code, Some(1), "{changes}");
    assert!(changes[0]["previous"].is_null(), "{changes}");
    run(&other);
    std::fs::remove_file(first.join("old.com")).unwrap();
    std::fs::write(first.join("new.com"), EICAR).unwrap();
    run(&first);

    // Against the first run (same host and path), not the one over another path.
    let (code, changes) = query(
        &state,
        "scan-report-new",
        &["report", "--new", "--env", "@adhoc"],
    );
    assert_eq!(code, Some(1), "{changes}");
    let c = &changes.as_array().unwrap()[0];
    let (_, runs) = query(&state, "scan-history", &["history"]);
    let ids: Vec<i64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(c["run"]["id"].as_i64(), Some(ids[2]), "{c}");
    assert_eq!(c["previous"]["id"].as_i64(), Some(ids[0]), "{c}");
    let path = |v: &Value| v["path"].as_str().unwrap().to_owned();
    let new: Vec<String> = c["new_infections"]
        .as_array()
        .unwrap()
        .iter()
        .map(path)
        .collect();
    let gone: Vec<String> = c["infections_gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(path)
        .collect();
    assert_eq!(new, [first.join("new.com").display().to_string()], "{c}");
    assert_eq!(gone, [first.join("old.com").display().to_string()], "{c}");
}

#[test]
fn ad_hoc_and_pool_runs_are_recorded_and_compared_on_postgresql() {
    let clamd = Clamd::start().unwrap();
    let dir = dir_with(&clamd, &[("eicar.com", EICAR), ("ok.txt", b"fine")]);
    let pg = testbed::postgres::Postgres::start().expect("starting PostgreSQL");
    let url = pg.url();
    let state = state_home();
    let sock = clamd.socket_path().as_os_str();
    let db = [OsStr::new("--db"), OsStr::new(&url)];
    let mut plain = vec![OsStr::new("--unix"), sock];
    plain.extend(db);
    plain.push(os(&dir));
    let mut pool = vec![OsStr::new("--pool"), OsStr::new("--fdpass")];
    pool.extend(&plain);
    for args in [&plain, &pool] {
        let out = scan(&state, args);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
    }
    assert!(std::fs::read_dir(&state).unwrap().next().is_none());
    let (_, runs) = query(&state, "scan-history", &["history", "--db", &url]);
    let modes: Vec<(&str, &str, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap();
            (s("environment"), s("mode"), s("status"))
        })
        .collect();
    assert_eq!(
        modes,
        [
            ("@adhoc", "contscan", "infected"),
            ("@adhoc", "fdpass", "infected")
        ]
    );
    // Same host and path: the pool run is compared with the plain one, and nothing changed.
    let (code, changes) = query(
        &state,
        "scan-report-new",
        &["report", "--new", "--db", &url],
    );
    assert_eq!(code, Some(0), "{changes}");
    let c = &changes[0];
    assert_eq!(c["previous"]["id"], runs[0]["id"], "{c}");
    assert_eq!(c["new_infections"], serde_json::json!([]), "{c}");
    let (_, report) = query(&state, "scan-report", &["report", "--db", &url]);
    let host = clamd.socket_path().display().to_string();
    let file = dir.join("eicar.com").display().to_string();
    let want = BTreeSet::from([(
        host,
        file,
        "infected".to_owned(),
        clamd.eicar_signature().to_owned(),
    )]);
    assert_eq!(findings(&report), want, "{report}");
}
