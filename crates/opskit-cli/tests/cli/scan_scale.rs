//! A policy over a large fleet: 40 real clamd instances on loopback ports and 10 hosts that are
//! dead or stalled. Every host is accounted for, in the report and in the history.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;

use testbed::clamd::{Clamd, EICAR, Staller};

const LIVE: usize = 40;
const DEAD: usize = 5;
const STALLED: usize = 5;

/// Starts `n` clamd instances, a few at a time: each loads its signature database on start,
/// and 40 at once on a small machine only wait for each other.
fn fleet(n: usize) -> Vec<Clamd> {
    let mut all = Vec::with_capacity(n);
    while all.len() < n {
        let batch = (n - all.len()).min(8);
        let started: Vec<Clamd> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..batch)
                .map(|_| s.spawn(|| Clamd::builder().tcp(true).start()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("start thread").expect("clamd starts"))
                .collect()
        });
        all.extend(started);
    }
    all
}

/// Every fourth live host is followed by a bad one, so that the bad hosts meet the workers at
/// every stage of the run.
fn interleaved(live: &[String], dead: &[String], stalled: &[String]) -> Vec<String> {
    let mut bad = dead.iter().chain(stalled);
    let mut hosts = Vec::new();
    for (i, h) in live.iter().enumerate() {
        hosts.push(h.clone());
        if i % 4 == 3 {
            hosts.extend(bad.next().cloned());
        }
    }
    hosts.extend(bad.cloned());
    hosts
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn forty_live_and_ten_dead_or_stalled_hosts_are_all_accounted_for() {
    let clamds = fleet(LIVE);
    let first = &clamds[0];
    let dir = tempfile::Builder::new()
        .prefix("scale")
        .tempdir_in(first.dir())
        .unwrap();
    std::fs::write(dir.path().join("eicar.com"), EICAR).unwrap();
    for i in 0..20 {
        std::fs::write(dir.path().join(format!("ok{i}.txt")), format!("clean {i}")).unwrap();
    }
    // Dead: a port that was bound and released, so connecting is refused.
    let dead: Vec<String> = (0..DEAD)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .to_string()
        })
        .collect();
    let stallers: Vec<Staller> = (0..STALLED).map(|_| Staller::start().unwrap()).collect();
    let live: Vec<String> = clamds.iter().map(|c| c.tcp_addr().to_string()).collect();
    let stalled: Vec<String> = stallers.iter().map(|s| s.addr().to_string()).collect();
    let hosts = interleaved(&live, &dead, &stalled);
    assert_eq!(hosts.len(), LIVE + DEAD + STALLED);
    let quoted: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    let policy = first.dir().join("fleet.toml");
    std::fs::write(
        &policy,
        format!(
            "[env.fleet]\nhosts = [{}]\nmode = \"multiscan\"\npaths = [{:?}]\n\
             timeout = \"4s\"\nconcurrency = 8\n",
            quoted.join(", "),
            dir.path().display().to_string()
        ),
    )
    .unwrap();
    let db = first.dir().join("history.db");
    let out = crate::state::opskit_command()
        .args(["scan", "--json", "--policy"])
        .arg(&policy)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // Infections found, and hosts that failed: exit 1, as clamdscan's "virus found".
    assert_eq!(out.status.code(), Some(1), "{v}");

    crate::schema::assert_valid("scan", &v);
    let reported = v["hosts"].as_array().unwrap();
    let mut by_host: BTreeMap<String, &serde_json::Value> = BTreeMap::new();
    for h in reported {
        let name = h["host"].as_str().unwrap().to_owned();
        assert!(by_host.insert(name.clone(), h).is_none(), "{name} twice");
    }
    assert_eq!(by_host.len(), hosts.len(), "{v}");
    let eicar = dir.path().join("eicar.com").display().to_string();
    for (h, clamd) in live.iter().zip(&clamds) {
        let r = by_host[h];
        assert_eq!(r["state"], "done", "{r}");
        let found: Vec<_> = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["status"] == "infected")
            .collect();
        assert_eq!(found.len(), 1, "{r}");
        assert_eq!(found[0]["path"], eicar.as_str(), "{r}");
        assert_eq!(found[0]["signature"], clamd.eicar_signature(), "{r}");
    }
    for h in dead.iter().chain(&stalled) {
        let r = by_host[h];
        assert_eq!(r["state"], "failed", "{r}");
        assert_eq!(r["ok"], false, "{r}");
        assert!(r["error"].is_string(), "{r}");
    }

    // The history holds the run and every host of it, failed ones included.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM runs"), 1);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM hosts"),
        i64::try_from(hosts.len()).unwrap()
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM hosts WHERE state = 'failed'"),
        i64::try_from(DEAD + STALLED).unwrap()
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM findings WHERE kind = 'infected'"),
        i64::try_from(LIVE).unwrap()
    );
}
