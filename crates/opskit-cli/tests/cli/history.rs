//! The run history of `opskit scan --policy`: `opskit scan history` and `opskit scan
//! report`, each test once on an SQLite file and once on a real PostgreSQL server (Debian's,
//! started by `testbed::postgres`).

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testbed::clamd::{Clamd, EICAR, Staller};
use testbed::postgres::Postgres;

use crate::scan::{json, opskit};
use crate::schema::assert_valid;
use crate::state::state_home;

/// Three tests of `check`: on an SQLite file, on a PostgreSQL server, and on one that takes
/// TCP only over TLS (`sslmode=verify-full`).
macro_rules! on_both {
    ($check:ident, $sqlite:ident, $postgres:ident, $tls:ident) => {
        #[test]
        fn $sqlite() {
            let clamd = Clamd::start().unwrap();
            $check(&Db::sqlite(&clamd), &clamd);
        }

        #[test]
        fn $postgres() {
            let clamd = Clamd::start().unwrap();
            $check(&Db::postgres(), &clamd);
        }

        #[test]
        fn $tls() {
            let clamd = Clamd::start().unwrap();
            $check(&Db::postgres_tls(), &clamd);
        }
    };
}

/// A daemon a test started: killed and reaped if the test ends first (a failed assertion),
/// so that no daemon outlives its test.
struct Daemon(Option<std::process::Child>);

impl Daemon {
    fn start(cmd: &mut Command) -> Self {
        Self(Some(cmd.spawn().expect("starting opskit scan --daemon")))
    }

    fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Where a test's history is: its `--db` argument, and the server behind it.
enum Db {
    Sqlite(PathBuf),
    Postgres(Postgres),
    /// A server with `ssl = on` and the certificates it was made with.
    PostgresTls(Postgres, testbed::stunnel::Pki),
}

impl Db {
    fn sqlite(clamd: &Clamd) -> Self {
        Self::Sqlite(clamd.dir().join("state/history.sqlite"))
    }

    fn postgres() -> Self {
        Self::Postgres(Postgres::start().expect("starting PostgreSQL"))
    }

    fn postgres_tls() -> Self {
        let pki = testbed::stunnel::Pki::generate().expect("making the certificates");
        let pg = Postgres::start_tls(&pki).expect("starting PostgreSQL with ssl = on");
        Self::PostgresTls(pg, pki)
    }

    fn arg(&self) -> OsString {
        match self {
            Self::Sqlite(p) => p.clone().into_os_string(),
            Self::Postgres(pg) => pg.url().into(),
            Self::PostgresTls(pg, pki) => format!(
                "{}?sslmode=verify-full&sslrootcert={}",
                pg.url(),
                pki.ca_cert().display()
            )
            .into(),
        }
    }
}

/// `opskit scan QUERY ARGS --db DB --json`, checked against its schema.
fn query(db: &Db, schema: &str, args: &[&str]) -> (Option<i32>, Value) {
    let db = db.arg();
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.extend([OsStr::new("--db"), db.as_os_str(), OsStr::new("--json")]);
    let out = opskit(&all);
    let v = json(&out);
    assert_valid(schema, &v);
    (out.status.code(), v)
}

fn policy(dir: &Path, hosts: &[String], paths: &Path, extra: &str) -> PathBuf {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    let f = dir.join("fleet.toml");
    std::fs::write(
        &f,
        format!(
            "[env.web]\nhosts = [{}]\npaths = [{:?}]\n{extra}",
            hosts.join(", "),
            paths.display().to_string()
        ),
    )
    .unwrap();
    f
}

/// The directory `files` in the clamd's directory, holding `content`.
fn files(clamd: &Clamd, content: &[(&str, &[u8])]) -> PathBuf {
    let dir = clamd.dir().join("files");
    std::fs::create_dir(&dir).unwrap();
    for (name, data) in content {
        std::fs::write(dir.join(name), data).unwrap();
    }
    dir
}

/// Points the symbolic link `link` at `target` (replacing it).
fn point(link: &Path, target: &Path) {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// The (host, path, signature) of each finding in `list`.
fn infections(list: &Value) -> BTreeSet<(String, String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["kind"], "infected", "{f}");
            (
                f["host"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
                f["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn hosts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap().to_owned())
        .collect()
}

/// Two runs of one environment on three hosts of one clamd, and their paths.
struct TwoRuns {
    a: PathBuf,
    b: PathBuf,
    c: PathBuf,
    files: PathBuf,
    policy: PathBuf,
    sig: String,
}

fn name(p: &Path) -> String {
    p.display().to_string()
}

impl TwoRuns {
    fn file(&self, f: &str) -> String {
        name(&self.files.join(f))
    }
}

/// Two runs of one environment on three hosts of one clamd: C (its socket) is done in
/// both; A (a link to the socket) is done in the first and fails in the second; B (a link
/// to nowhere, then to the socket) fails in the first and recovers. Between the runs
/// `old.com` is removed and `new.com` appears; `eicar.com` stays.
fn two_runs(db: &Db, clamd: &Clamd) -> TwoRuns {
    let files = files(
        clamd,
        &[
            ("eicar.com", EICAR),
            ("old.com", EICAR),
            ("ok.txt", b"fine"),
        ],
    );
    let (a, b) = (clamd.dir().join("a.ctl"), clamd.dir().join("b.ctl"));
    let nowhere = clamd.dir().join("nowhere.ctl");
    let c = clamd.socket_path().to_path_buf();
    point(&a, &c);
    point(&b, &nowhere);
    let policy = policy(clamd.dir(), &[name(&a), name(&b), name(&c)], &files, "");
    let scan = || {
        let out = opskit(&[
            OsStr::new("--policy"),
            policy.as_os_str(),
            OsStr::new("--db"),
            db.arg().as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
    };
    scan();
    std::fs::remove_file(files.join("old.com")).unwrap();
    std::fs::write(files.join("new.com"), EICAR).unwrap();
    point(&a, &nowhere);
    point(&b, &c);
    scan();
    TwoRuns {
        a,
        b,
        c,
        files,
        policy,
        sig: clamd.eicar_signature().to_owned(),
    }
}

fn runs_are_listed(db: &Db, t: &TwoRuns) {
    let (files, policy) = (&t.files, &t.policy);
    let (code, runs) = query(db, "scan-history", &["history"]);
    assert_eq!(code, Some(0));
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    for (r, id) in runs.iter().zip([1, 2]) {
        assert_eq!(r["id"], id);
        assert_eq!(r["environment"], "web");
        assert_eq!(r["mode"], "contscan");
        assert_eq!(r["policy"], name(policy));
        assert_eq!(r["paths"], serde_json::json!([name(files)]));
        // Something was found (which outranks the failed host, as in clamdscan's status).
        assert_eq!(r["status"], "infected", "{r}");
        assert_eq!(
            (r["hosts"].as_u64(), r["hosts_failed"].as_u64()),
            (Some(3), Some(1))
        );
        assert_eq!(r["infected"], 4, "{r}");
        assert!(r["ended_at"].as_i64().unwrap() >= r["started_at"].as_i64().unwrap());
    }
    let (_, none) = query(db, "scan-history", &["history", "--env", "db"]);
    assert_eq!(none, serde_json::json!([]));
    let (_, later) = query(db, "scan-history", &["history", "--since", "2999-01-01"]);
    assert_eq!(later, serde_json::json!([]));
    let (_, recent) = query(db, "scan-history", &["history", "--since", "1h"]);
    assert_eq!(recent.as_array().unwrap().len(), 2);
}

fn the_latest_run_is_reported(db: &Db, t: &TwoRuns) {
    let (a, b, c, sig) = (&t.a, &t.b, &t.c, &t.sig);
    let file = |f: &str| t.file(f);
    // The latest run, in full.
    let (code, latest) = query(db, "scan-report", &["report"]);
    assert_eq!(code, Some(0));
    assert_eq!(latest["run"]["id"], 2);
    let by_host = |v: &Value, h: &Path| {
        v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["host"] == name(h))
            .cloned()
            .unwrap()
    };
    let done = by_host(&latest, c);
    assert_eq!(done["state"], "done");
    assert!(
        done["version"].as_str().unwrap().starts_with("ClamAV "),
        "{done}"
    );
    assert!(
        done["latency_us"].is_u64() && done["elapsed_ms"].is_u64(),
        "{done}"
    );
    assert_eq!(
        done["jobs"],
        serde_json::json!({"given": 1, "done": 1, "failed": 0, "skipped": 0})
    );
    let failed = by_host(&latest, a);
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("connecting"),
        "{failed}"
    );
    assert_eq!(
        infections(&latest["findings"]),
        BTreeSet::from([
            (name(b), file("eicar.com"), sig.clone()),
            (name(b), file("new.com"), sig.clone()),
            (name(c), file("eicar.com"), sig.clone()),
            (name(c), file("new.com"), sig.clone()),
        ])
    );
    // The same in text, and the list of runs.
    let db_arg = db.arg();
    let text = |args: &[&str]| {
        let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        all.extend([OsStr::new("--db"), db_arg.as_os_str()]);
        let out = opskit(&all);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let report = text(&["report", "--env", "web"]);
    assert!(report.starts_with("run 2 of env web (policy "), "{report}");
    assert!(
        report.contains(&format!("host {}: done, ClamAV ", name(c))),
        "{report}"
    );
    assert!(
        report.contains(&format!("host {}: failed, ", name(a)))
            && report.contains("0/1 jobs done: connecting to clamd at "),
        "{report}"
    );
    assert!(
        report.contains(&format!("{} {}: {sig} FOUND", name(c), file("new.com"))),
        "{report}"
    );
    let list = text(&["history"]);
    let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 3, "{list}");
    assert_eq!(rows[0][0], "ID");
    for (row, id) in rows[1..].iter().zip(["1", "2"]) {
        assert_eq!((row[0], row[1], row[4]), (id, "web", "infected"), "{list}");
        assert_eq!(&row[5..], ["3", "1", "4", "1"], "{list}");
    }
    let (_, first) = query(db, "scan-report", &["report", "--run", "1"]);
    assert_eq!(first["run"]["id"], 1);
    assert!(infections(&first["findings"]).contains(&(name(a), file("old.com"), sig.clone())));
}

fn the_changes_are_reported(db: &Db, t: &TwoRuns) {
    let (a, b, c, sig) = (&t.a, &t.b, &t.c, &t.sig);
    let file = |f: &str| t.file(f);
    // What changed: B's findings and C's new.com are new; C's old.com is gone, A's is not
    // (A failed, so it cannot say); A failed, B recovered. New infections exit 1.
    let (code, changes) = query(db, "scan-report-new", &["report", "--new"]);
    assert_eq!(code, Some(1));
    let [ch] = changes.as_array().unwrap().as_slice() else {
        panic!("one environment: {changes}");
    };
    assert_eq!(
        (ch["run"]["id"].as_i64(), ch["previous"]["id"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        infections(&ch["new_infections"]),
        BTreeSet::from([
            (name(b), file("eicar.com"), sig.clone()),
            (name(b), file("new.com"), sig.clone()),
            (name(c), file("new.com"), sig.clone()),
        ])
    );
    assert_eq!(
        infections(&ch["infections_gone"]),
        BTreeSet::from([(name(c), file("old.com"), sig.clone())])
    );
    assert_eq!(hosts(&ch["hosts_failed"]), [name(a)]);
    assert_eq!(hosts(&ch["hosts_recovered"]), [name(b)]);

    // The same in text.
    let db_arg = db.arg();
    let out = opskit(&[
        OsStr::new("report"),
        OsStr::new("--new"),
        OsStr::new("--env"),
        OsStr::new("web"),
        OsStr::new("--db"),
        &db_arg,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("== env web: run 2 against run 1"), "{text}");
    assert!(
        text.contains(&format!("NEW {} {}: {sig} FOUND", name(c), file("new.com"))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "GONE {} {}: {sig} FOUND",
            name(c),
            file("old.com")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("FAILED host {}: failed", name(a))),
        "{text}"
    );
    assert!(
        text.contains(&format!("RECOVERED host {}: done", name(b))),
        "{text}"
    );

    // A run that does not exist is an error.
    let out = opskit(&[
        OsStr::new("report"),
        OsStr::new("--run"),
        OsStr::new("9"),
        OsStr::new("--db"),
        &db_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no run 9"),
        "{out:?}"
    );
}

fn runs_are_listed_reported_and_compared(db: &Db, clamd: &Clamd) {
    let t = two_runs(db, clamd);
    runs_are_listed(db, &t);
    the_latest_run_is_reported(db, &t);
    the_changes_are_reported(db, &t);
}

on_both!(
    runs_are_listed_reported_and_compared,
    runs_are_listed_reported_and_compared_in_sqlite,
    runs_are_listed_reported_and_compared_in_postgresql,
    runs_are_listed_reported_and_compared_in_postgresql_over_tls
);

/// Waits for the first run to record its first host, and returns it: still running.
fn first_host_recorded(db: &Db) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, runs) = query(db, "scan-history", &["history"]);
        if runs[0]["hosts"] == 1 {
            assert_eq!(runs[0]["status"], "running", "{runs}");
            return runs[0].clone();
        }
        assert!(Instant::now() < until, "the run recorded no host: {runs}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A daemon killed with SIGKILL in the middle of a run (its stalled host holds the run open
/// for 30 s) leaves a consistent history: the run is `incomplete` with no end, and the host
/// it finished is recorded with its infection.
fn a_killed_daemon_leaves_an_incomplete_run(db: &Db, clamd: &Clamd) {
    use rustix::process::{Pid, Signal, kill_process};
    let files = files(clamd, &[("eicar.com", EICAR)]);
    let staller = Staller::start().unwrap();
    let sock = clamd.socket_path().display().to_string();
    let fleet = [sock.clone(), staller.addr().to_string()];
    let policy = policy(
        clamd.dir(),
        &fleet,
        &files,
        "every = \"1h\"\ntimeout = \"30s\"\n",
    );
    let mut daemon = Daemon::start(
        Command::new(env!("CARGO_BIN_EXE_opskit"))
            .env("XDG_STATE_HOME", state_home())
            .args(["scan", "--daemon", "--policy"])
            .arg(&policy)
            .arg("--db")
            .arg(db.arg())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    // In progress: the run is recorded as running with its healthy host, by a live owner.
    first_host_recorded(db);
    let child = daemon.child();
    kill_process(Pid::from_child(child), Signal::KILL).unwrap();
    child.wait().unwrap();
    assert!(staller.accepted() >= 1, "the stalled host was in progress");

    let (code, runs) = query(db, "scan-history", &["history"]);
    assert_eq!(code, Some(0));
    let [run] = runs.as_array().unwrap().as_slice() else {
        panic!("one run: {runs}");
    };
    assert_eq!(run["status"], "incomplete", "{run}");
    assert_eq!(run["ended_at"], Value::Null);
    assert_eq!(
        (run["hosts"].as_u64(), run["infected"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, report) = query(db, "scan-report", &["report", "--run", "1"]);
    assert_eq!(hosts(&report["hosts"]), std::slice::from_ref(&sock));
    assert_eq!(
        infections(&report["findings"]),
        BTreeSet::from([(
            sock,
            files.join("eicar.com").display().to_string(),
            clamd.eicar_signature().to_owned()
        )])
    );
    if let Db::Sqlite(path) = db {
        let conn = rusqlite::Connection::open(path).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
}

on_both!(
    a_killed_daemon_leaves_an_incomplete_run,
    a_killed_daemon_leaves_an_incomplete_run_in_sqlite,
    a_killed_daemon_leaves_an_incomplete_run_in_postgresql,
    a_killed_daemon_leaves_an_incomplete_run_in_postgresql_over_tls
);

/// A daemon on another management host (its own UTS namespace, with another host name) that
/// shares a PostgreSQL history. Its pid means nothing here: while it renews its lease its run
/// stays `running` past the lease; once it is killed with SIGKILL, this host marks the run
/// `incomplete` when the lease has expired, with the host it finished.
#[test]
fn another_hosts_killed_daemon_is_marked_incomplete_once_its_lease_expires() {
    use rustix::process::{Pid, Signal, kill_process};
    let clamd = Clamd::start().unwrap();
    let db = Db::postgres();
    let files = files(&clamd, &[("eicar.com", EICAR)]);
    let staller = Staller::start().unwrap();
    let sock = clamd.socket_path().display().to_string();
    let fleet = [sock, staller.addr().to_string()];
    let policy = policy(
        clamd.dir(),
        &fleet,
        &files,
        "every = \"1h\"\ntimeout = \"120s\"\n",
    );
    let lease = Duration::from_secs(8);
    // unshare execs sh, which execs opskit: the child is the daemon itself.
    let mut daemon = Daemon::start(
        Command::new("unshare")
            .args([
                "--uts",
                "sh",
                "-c",
                "hostname opskit-other-host && exec \"$0\" \"$@\"",
            ])
            .arg(env!("CARGO_BIN_EXE_opskit"))
            .env("XDG_STATE_HOME", state_home())
            .args(["scan", "--daemon", "--history-lease", "8s", "--policy"])
            .arg(&policy)
            .arg("--db")
            .arg(db.arg())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let run = first_host_recorded(&db);
    let owner = run["owner"].as_str().unwrap();
    assert!(owner.starts_with("opskit-other-host:"), "{owner}");
    // Alive past its lease: its heartbeats keep the run running.
    std::thread::sleep(lease + Duration::from_secs(2));
    let (_, runs) = query(&db, "scan-history", &["history"]);
    assert_eq!(
        runs[0]["status"], "running",
        "a live run was judged dead: {runs}"
    );

    let child = daemon.child();
    kill_process(Pid::from_child(child), Signal::KILL).unwrap();
    child.wait().unwrap();
    let until = Instant::now() + lease * 6;
    let run = loop {
        let (code, runs) = query(&db, "scan-history", &["history"]);
        assert_eq!(code, Some(0));
        if runs[0]["status"] != "running" {
            break runs[0].clone();
        }
        assert!(
            Instant::now() < until,
            "the dead host's run is still running: {runs}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(run["status"], "incomplete", "{run}");
    assert_eq!(run["ended_at"], Value::Null);
    assert_eq!(
        (run["hosts"].as_u64(), run["infected"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn the_default_history_follows_xdg_state_home_and_no_history_records_nothing() {
    let clamd = Clamd::start().unwrap();
    let files = files(&clamd, &[("ok.txt", b"fine")]);
    let policy = policy(
        clamd.dir(),
        &[clamd.socket_path().display().to_string()],
        &files,
        "",
    );
    let state = clamd.dir().join("xdg");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_opskit"))
            .env("XDG_STATE_HOME", &state)
            .arg("scan")
            .args(args)
            .output()
            .unwrap()
    };
    let p = policy.to_str().unwrap();
    let out = run(&["--policy", p, "--no-history"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!state.exists(), "--no-history wrote {}", state.display());
    let out = run(&["--policy", p]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(state.join("opskit/history.sqlite").is_file());
    let out = run(&["history", "--json"]);
    let runs = json(&out);
    assert_eq!(runs[0]["status"], "all_clean", "{runs}");
    assert_eq!(runs.as_array().unwrap().len(), 1);
    // The first run of an environment: nothing new, no host failed: exit 0.
    let out = run(&["report", "--new", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_valid("scan-report-new", &json(&out));
}

#[test]
fn a_history_of_an_older_schema_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.sqlite");
    // The tables as the first opskit with a history wrote them.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, environment TEXT NOT NULL, \
         policy TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL);
         CREATE TABLE hosts (run_id INTEGER NOT NULL, host TEXT NOT NULL, state TEXT NOT NULL, \
         version TEXT, elapsed_ms INTEGER NOT NULL, error TEXT);
         INSERT INTO runs VALUES (1, 'web', 'fleet.toml', 0, 1, 'all_clean');",
    )
    .unwrap();
    drop(conn);
    let out = opskit(&[OsStr::new("history"), OsStr::new("--db"), db.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("written by an older opskit: move it aside"),
        "{err}"
    );
    // Nothing was changed: the schema's transaction was rolled back whole.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(
        count("SELECT count(*) FROM sqlite_master WHERE name = 'opskit_history'"),
        0
    );
    assert_eq!(count("SELECT count(*) FROM runs"), 1);
}

#[test]
fn a_daemon_keeps_recording_across_a_postgresql_restart() {
    use rustix::process::{Pid, Signal, kill_process};
    let clamd = Clamd::start().unwrap();
    let files = files(&clamd, &[("ok.txt", b"fine")]);
    let sock = clamd.socket_path().display().to_string();
    let policy = policy(clamd.dir(), &[sock], &files, "every = \"1s\"\n");
    let mut pg = Postgres::start().unwrap();
    let db = pg.url();
    let mut daemon = Daemon::start(
        Command::new(env!("CARGO_BIN_EXE_opskit"))
            .env("XDG_STATE_HOME", state_home())
            .args(["scan", "--daemon", "--policy"])
            .arg(&policy)
            .args(["--db", &db])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    // The ended runs, as `opskit scan history` lists them.
    let ended = |db: &str| {
        let out = opskit(&[
            OsStr::new("history"),
            OsStr::new("--db"),
            OsStr::new(db),
            OsStr::new("--json"),
        ]);
        let runs = json(&out);
        runs.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "all_clean")
            .count()
    };
    let wait_for = |n: usize| {
        let until = Instant::now() + Duration::from_secs(30);
        while ended(&db) < n {
            assert!(Instant::now() < until, "fewer than {n} runs recorded");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait_for(1);
    pg.restart().unwrap();
    let before = ended(&db);
    wait_for(before + 2);
    kill_process(Pid::from_child(daemon.child()), Signal::TERM).unwrap();
    let out = daemon.0.take().unwrap().wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning"), "a write was lost: {err}");
}

#[test]
fn a_postgresql_history_with_a_wrong_ca_or_name_is_refused_before_a_scan() {
    let clamd = Clamd::start().unwrap();
    let files = files(&clamd, &[("ok.txt", b"fine")]);
    let pki = testbed::stunnel::Pki::generate().unwrap();
    let pg = Postgres::start_tls(&pki).unwrap();
    let other = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.url(),
        pki.other_ca_cert().display()
    );
    let wrong_name = format!(
        "postgres://opskit@db.other.example:{}/postgres?hostaddr=127.0.0.1&sslmode=verify-full\
         &sslrootcert={}",
        pg.port(),
        pki.ca_cert().display()
    );
    for (db, why) in [
        (other, "not trusted"),
        (wrong_name, "not valid for db.other.example"),
    ] {
        let sock = clamd.socket_path().as_os_str();
        let out = opskit(&[
            OsStr::new("--unix"),
            sock,
            OsStr::new("--db"),
            OsStr::new(&db),
            files.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        // Refused before the scan: no host was contacted, nothing printed.
        assert!(out.stdout.is_empty(), "{out:?}");
        let out = opskit(&[OsStr::new("history"), OsStr::new("--db"), OsStr::new(&db)]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{out:?}"
        );
    }
}

#[test]
fn a_postgresql_history_that_demands_a_client_certificate_takes_only_a_trusted_one() {
    use std::os::unix::fs::PermissionsExt;
    let clamd = Clamd::start().unwrap();
    let files = files(&clamd, &[("ok.txt", b"fine")]);
    let pki = testbed::stunnel::Pki::generate().unwrap();
    let pg = Postgres::start_tls_client_cert(&pki).unwrap();
    // The keys as a user keeps them: readable by their owner only, and one left open.
    let keys = clamd.dir().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let key_with = |name: &str, from: &Path, mode: u32| {
        let p = keys.join(name);
        std::fs::copy(from, &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    };
    let key = key_with("client.key", &pki.client_key(), 0o600);
    let other_key = key_with("other.key", &pki.other_client_key(), 0o600);
    let open_key = key_with("open.key", &pki.client_key(), 0o644);
    let url = |client: Option<(&Path, &Path)>| {
        let mut u = format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            pg.url(),
            pki.ca_cert().display()
        );
        if let Some((cert, key)) = client {
            u = format!("{u}&sslcert={}&sslkey={}", cert.display(), key.display());
        }
        u
    };
    let scan = |db: &str| {
        opskit(&[
            OsStr::new("--unix"),
            clamd.socket_path().as_os_str(),
            OsStr::new("--db"),
            OsStr::new(db),
            files.as_os_str(),
        ])
    };

    let trusted = url(Some((&pki.client_cert(), &key)));
    let out = scan(&trusted);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = opskit(&[
        OsStr::new("history"),
        OsStr::new("--db"),
        OsStr::new(&trusted),
        OsStr::new("--json"),
    ]);
    let runs = json(&out);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");

    for (db, why) in [
        (url(None), "connection requires a valid client certificate"),
        (
            url(Some((&pki.other_client_cert(), &other_key))),
            "received fatal alert",
        ),
        (
            url(Some((&pki.client_cert(), &open_key))),
            "permissions 0644",
        ),
    ] {
        let out = scan(&db);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{db}: {stderr}");
        assert!(stderr.contains(why), "{db}: {stderr}");
        // Refused before the scan: no host was contacted, nothing printed.
        assert!(out.stdout.is_empty(), "{db}: {out:?}");
    }
}
