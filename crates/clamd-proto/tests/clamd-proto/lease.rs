//! The history's leases: a run of another management host is judged by its heartbeat, on an
//! SQLite file and on a real PostgreSQL server (Debian's, from `testbed::postgres`), and a
//! history of schema version 1 is brought to version 2.
//!
//! "Another host" is a row whose owner names another host, as a second management host
//! sharing the history writes it; the CLI's tests run a real second host (a UTS namespace).

use std::time::{Duration, Instant};

use clamd_proto::history::{History, Location, NewRun, RunFilter, RunStatus, SCHEMA_VERSION};

/// A history's database, reached both through [`History`] and directly, to set up and read
/// what the other management host wrote.
enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(testbed::postgres::Postgres),
}

impl Db {
    fn location(&self) -> Location {
        match self {
            Self::Sqlite(dir) => Location::Sqlite(dir.path().join("history.sqlite")),
            Self::Postgres(pg) => Location::parse(pg.url().as_ref()),
        }
    }

    /// Runs `sql` (no parameters, no rows).
    fn exec(&self, sql: &str) {
        match self {
            Self::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join("history.sqlite")).unwrap();
                c.busy_timeout(Duration::from_secs(10)).unwrap();
                c.execute_batch(sql).unwrap();
            }
            Self::Postgres(pg) => {
                let mut c = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
                c.batch_execute(sql).unwrap();
            }
        }
    }

    /// One integer (or null) that `sql` selects.
    fn int(&self, sql: &str) -> Option<i64> {
        match self {
            Self::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join("history.sqlite")).unwrap();
                c.busy_timeout(Duration::from_secs(10)).unwrap();
                c.query_row(sql, [], |r| r.get(0)).unwrap()
            }
            Self::Postgres(pg) => {
                let mut c = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
                c.query_one(sql, &[]).unwrap().get(0)
            }
        }
    }

    /// The database's clock, as the history reads it.
    fn now(&self) -> i64 {
        match self {
            Self::Sqlite(_) => self
                .int("SELECT CAST(strftime('%s', 'now') AS INTEGER)")
                .unwrap(),
            Self::Postgres(_) => self
                .int("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)")
                .unwrap(),
        }
    }
}

/// Two tests of `check`: on an SQLite file, and on a PostgreSQL server.
macro_rules! on_both {
    ($check:ident, $sqlite:ident, $postgres:ident) => {
        #[test]
        fn $sqlite() {
            $check(&sqlite());
        }

        #[test]
        fn $postgres() {
            $check(&postgres());
        }
    };
}

fn sqlite() -> Db {
    Db::Sqlite(tempfile::tempdir().unwrap())
}

fn postgres() -> Db {
    Db::Postgres(testbed::postgres::Postgres::start().expect("starting PostgreSQL"))
}

fn statuses(h: &History) -> Vec<(String, RunStatus)> {
    h.runs(&RunFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| (r.environment, r.status))
        .collect()
}

/// Runs of another host: one whose heartbeat is older than its lease, one within it, and one
/// written before leases (no heartbeat). Only the first is taken for dead.
fn another_hosts_runs_are_judged_by_their_lease(db: &Db) {
    drop(History::open(&db.location()).unwrap());
    let now = db.now();
    db.exec(&format!(
        "INSERT INTO runs (environment, policy, mode, paths, owner, started_at, status, \
         heartbeat_at, lease_s) VALUES \
         ('expired', 'p', 'scan', '[]', 'elsewhere.example:4242:1', {a}, 'running', {a}, 60), \
         ('alive', 'p', 'scan', '[]', 'elsewhere.example:4242:1', {a}, 'running', {b}, 60), \
         ('old', 'p', 'scan', '[]', 'elsewhere.example:4242:1', {a}, 'running', NULL, NULL)",
        a = now - 120,
        b = now - 5,
    ));
    let h = History::open(&db.location()).unwrap();
    assert_eq!(
        statuses(&h),
        [
            ("expired".to_owned(), RunStatus::Incomplete),
            ("alive".to_owned(), RunStatus::Running),
            ("old".to_owned(), RunStatus::Running),
        ]
    );
}

on_both!(
    another_hosts_runs_are_judged_by_their_lease,
    another_hosts_runs_are_judged_by_their_lease_in_sqlite,
    another_hosts_runs_are_judged_by_their_lease_in_postgresql
);

/// A running run's heartbeat is renewed by the history's thread, in the database's clock,
/// and no longer once the run has ended.
fn the_heartbeat_is_renewed_while_the_run_runs(db: &Db) {
    let lease = Duration::from_secs(4);
    let h = History::open_with_lease(&db.location(), lease).unwrap();
    assert_eq!(h.lease(), lease);
    let run = h.start_run(&NewRun::new("web", "fleet.toml")).unwrap();
    let beat = || {
        db.int(&format!("SELECT heartbeat_at FROM runs WHERE id = {run}"))
            .expect("a heartbeat")
    };
    assert!((beat() - db.now()).abs() <= 2, "the start is a heartbeat");
    assert_eq!(
        db.int(&format!("SELECT lease_s FROM runs WHERE id = {run}")),
        Some(4)
    );
    // Set back by hand: the thread (renewing every second) writes it anew.
    db.exec(&format!(
        "UPDATE runs SET heartbeat_at = 0 WHERE id = {run}"
    ));
    let until = Instant::now() + Duration::from_secs(30);
    while beat() == 0 {
        assert!(Instant::now() < until, "the heartbeat was not renewed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!((beat() - db.now()).abs() <= 2);
    h.interrupt_run(run, std::time::SystemTime::now()).unwrap();
    db.exec(&format!(
        "UPDATE runs SET heartbeat_at = 0 WHERE id = {run}"
    ));
    // Three renewal intervals: an ended run is not renewed.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(beat(), 0, "an ended run's heartbeat was renewed");
}

on_both!(
    the_heartbeat_is_renewed_while_the_run_runs,
    the_heartbeat_is_renewed_while_the_run_runs_in_sqlite,
    the_heartbeat_is_renewed_while_the_run_runs_in_postgresql
);

#[test]
fn a_lease_out_of_bounds_is_refused() {
    let db = sqlite();
    let err = History::open_with_lease(&db.location(), Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, clamd_proto::Error::Config(_)), "{err}");
    assert!(err.to_string().contains("lease"), "{err}");
}

/// A history of schema version 1 (no lease columns) is brought to version 2 with its runs
/// kept; its running run has no lease, so no other host ever takes it for dead.
fn a_version_1_history_is_upgraded(db: &Db) {
    let (id, bytes) = match db {
        Db::Sqlite(_) => ("INTEGER PRIMARY KEY", "BLOB"),
        Db::Postgres(_) => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "BYTEA",
        ),
    };
    db.exec(&format!(
        "CREATE TABLE opskit_history (version BIGINT NOT NULL);
         INSERT INTO opskit_history (version) VALUES (1);
         CREATE TABLE runs (id {id}, environment TEXT NOT NULL, policy TEXT NOT NULL, \
           mode TEXT NOT NULL, paths TEXT NOT NULL, owner TEXT NOT NULL, \
           started_at BIGINT NOT NULL, ended_at BIGINT, status TEXT NOT NULL);
         CREATE TABLE hosts (run_id BIGINT NOT NULL REFERENCES runs (id), host TEXT NOT NULL, \
           state TEXT NOT NULL, version TEXT, db_version BIGINT, db_date TEXT, db_time BIGINT, \
           latency_us BIGINT, elapsed_ms BIGINT NOT NULL, jobs_given BIGINT NOT NULL, \
           jobs_done BIGINT NOT NULL, jobs_failed BIGINT NOT NULL, \
           jobs_skipped BIGINT NOT NULL, error TEXT);
         CREATE TABLE findings (run_id BIGINT NOT NULL REFERENCES runs (id), \
           host TEXT NOT NULL, path {bytes} NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
         INSERT INTO runs (environment, policy, mode, paths, owner, started_at, status) VALUES \
           ('web', 'p', 'scan', '[]', 'elsewhere.example:1:1', 0, 'running'), \
           ('db', 'p', 'scan', '[]', 'elsewhere.example:1:1', 1, 'all_clean');"
    ));
    let h = History::open(&db.location()).unwrap();
    assert_eq!(
        db.int("SELECT version FROM opskit_history"),
        Some(SCHEMA_VERSION)
    );
    assert_eq!(
        statuses(&h),
        [
            ("web".to_owned(), RunStatus::Running),
            ("db".to_owned(), RunStatus::AllClean)
        ]
    );
    // And it records new runs, with their lease.
    let run = h.start_run(&NewRun::new("web", "fleet.toml")).unwrap();
    assert_eq!(
        db.int(&format!("SELECT lease_s FROM runs WHERE id = {run}")),
        Some(300)
    );
}

on_both!(
    a_version_1_history_is_upgraded,
    a_version_1_history_is_upgraded_in_sqlite,
    a_version_1_history_is_upgraded_in_postgresql
);
