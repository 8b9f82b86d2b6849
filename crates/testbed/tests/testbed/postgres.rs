//! Tests of the PostgreSQL fixture, checked with Debian's own `psql`, not with a Rust client.

use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use testbed::postgres::{Postgres, USER};

fn psql(pg: &Postgres, sql: &str) -> String {
    let out = Command::new("psql")
        .arg(pg.url())
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("running psql (Debian's postgresql-client)");
    assert!(out.status.success(), "psql: {out:?}\n{}", pg.log());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The effective uid of a process, from `/proc/PID/status`.
fn uid(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_private_server_answers_on_loopback_and_stops_on_drop() {
    let pg = Postgres::start().unwrap();
    assert_eq!(psql(&pg, "SELECT current_user"), USER);
    assert_eq!(
        psql(&pg, "SHOW data_directory"),
        pg.data_dir().display().to_string()
    );
    assert_eq!(psql(&pg, "SHOW listen_addresses"), "127.0.0.1");
    psql(&pg, "CREATE TABLE t (v BIGINT)");
    psql(&pg, "INSERT INTO t VALUES (7)");
    assert_eq!(psql(&pg, "SELECT v FROM t"), "7");
    // PostgreSQL refuses root: as root the fixture runs it as another user.
    let server_uid = uid(pg.pid()).unwrap();
    if uid(std::process::id()) == Some(0) {
        assert_ne!(server_uid, 0);
    }
    let (pid, port, data) = (pg.pid(), pg.port(), pg.data_dir());
    drop(pg);
    let until = Instant::now() + Duration::from_secs(10);
    while uid(pid).is_some() {
        assert!(Instant::now() < until, "the server outlived its fixture");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(!data.exists(), "the cluster was left in {}", data.display());
}

#[test]
fn two_servers_run_at_once() {
    let (a, b) = (Postgres::start().unwrap(), Postgres::start().unwrap());
    assert_ne!(a.port(), b.port());
    psql(&a, "CREATE TABLE only_in_a (v BIGINT)");
    assert_eq!(
        psql(
            &b,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"
        ),
        "0"
    );
}
