//! Pools of real clamd instances: one killed (SIGKILL) in the middle of a run, all of them
//! killed, and a stalled host that accepts and never answers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clamd_proto::{
    EICAR, Endpoint, FileOutcome, Pool, PoolEvent, PoolMode, PoolReport, PoolSkip, Walker,
};
use testbed::clamd::{Clamd, Staller};

use crate::scratch;

/// A tree of `n` files in 10 directories, every `infected_every`-th one EICAR (none with 0).
/// Returns its root and every file, infected ones flagged.
fn tree(clamd: &Clamd, n: usize, infected_every: usize) -> (PathBuf, BTreeMap<PathBuf, bool>) {
    let root = scratch(clamd, "pool");
    let mut files = BTreeMap::new();
    for i in 0..n {
        let dir = root.join(format!("d{}", i % 10));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("f{i:05}"));
        let infected = infected_every > 0 && i % infected_every == infected_every - 1;
        if infected {
            std::fs::write(&path, EICAR).unwrap();
        } else {
            std::fs::write(&path, format!("clean file {i}\n").repeat(1 + i % 50)).unwrap();
        }
        files.insert(path, infected);
    }
    (root, files)
}

/// Every file of the tree is in the report exactly once, in the walk's order.
fn assert_once(report: &PoolReport, files: &BTreeMap<PathBuf, bool>) {
    let reported: Vec<&Path> = report.files.iter().map(|f| f.path.as_path()).collect();
    let mut sorted = reported.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), reported.len(), "a file is reported twice");
    let given: Vec<&Path> = files.keys().map(PathBuf::as_path).collect();
    assert_eq!(
        sorted, given,
        "the report does not hold exactly the tree's files"
    );
    assert_eq!(
        reported, sorted,
        "the walk's order (byte order here) is kept"
    );
}

#[test]
fn a_host_killed_mid_run_hands_its_unfinished_files_to_the_others() {
    let mut clamds: Vec<Clamd> = (0..3).map(|_| Clamd::start().unwrap()).collect();
    let (root, files) = tree(&clamds[0], 1500, 97);
    let hosts: Vec<Endpoint> = clamds
        .iter()
        .map(|c| Endpoint::from(c.tcp_addr()))
        .collect();
    let victim = hosts[1].clone();
    let pool = Pool::builder(hosts)
        .per_host(3)
        .file_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (mut seen, mut by_victim, mut killed_at) = (0, 0, None);
    let mut after_kill_by_victim = 0;
    let report = pool.run_with_events(Walker::new([&root]), |e| {
        let PoolEvent::File { endpoint, .. } = e else {
            return;
        };
        seen += 1;
        if endpoint == Some(&victim) {
            by_victim += 1;
            if killed_at.is_some() {
                after_kill_by_victim += 1;
            }
        }
        // Deterministic: after 300 files, and once the victim has answered some, its
        // process is killed while the pool has files in flight on it.
        if killed_at.is_none() && seen >= 300 && by_victim >= 20 {
            clamds[1].kill();
            killed_at = Some(seen);
        }
    });
    assert!(killed_at.is_some(), "the victim was never killed");
    assert!(!clamds[1].is_running());
    assert_once(&report, &files);
    // Every file was scanned (two hosts stayed up), and every infected file was found.
    for f in &report.files {
        let FileOutcome::Scanned(r) = &f.outcome else {
            panic!("{} was not scanned: {:?}", f.path.display(), f.outcome);
        };
        assert_eq!(r.path(), f.path);
        assert_eq!(r.is_infected(), files[&f.path], "{}", f.path.display());
    }
    let sum = report.summary();
    assert_eq!(sum.infected, files.values().filter(|&&i| i).count());
    assert_eq!((sum.scanned, sum.errors, sum.hosts_down), (1500, 0, 1));
    assert_eq!(sum.exit_code(), 1);
    // The victim is down, its unfinished files moved to the others, and nothing it had
    // answered was scanned again: its count is what it answered before the kill.
    let down = &report.hosts[1];
    assert!(down.down.is_some(), "{down:?}");
    assert!(!report.failovers.is_empty());
    assert!(report.failovers.iter().all(|m| m.from == 1));
    assert_eq!(down.failovers, report.failovers.len());
    assert_eq!(down.scanned, by_victim);
    assert!(
        after_kill_by_victim <= 3,
        "at most the verdicts already on their way"
    );
    for m in &report.failovers {
        let f = &report.files[m.file];
        assert_eq!(f.path, m.path);
        assert!(f.failovers >= 1);
        assert!(matches!(f.host, Some(0 | 2)), "{f:?}");
    }
    let per_host: usize = report.hosts.iter().map(|h| h.scanned).sum();
    assert_eq!(per_host, 1500);
    assert!(report.hosts[0].scanned > 0 && report.hosts[2].scanned > 0);
}

#[test]
fn with_every_host_killed_no_file_is_lost_and_the_run_is_partial() {
    let mut clamds: Vec<Clamd> = (0..2)
        .map(|_| Clamd::builder().tcp(false).start().unwrap())
        .collect();
    let (root, files) = tree(&clamds[0], 1200, 0);
    let hosts: Vec<Endpoint> = clamds
        .iter()
        .map(|c| Endpoint::unix(c.socket_path()))
        .collect();
    let pool = Pool::builder(hosts)
        .mode(PoolMode::Fildes)
        .per_host(2)
        .max_queued(64)
        .build()
        .unwrap();
    let mut seen = 0;
    let report = pool.run_with_events(Walker::new([&root]), |e| {
        if let PoolEvent::File { .. } = e {
            seen += 1;
            if seen == 100 {
                clamds[0].kill();
            }
            if seen == 200 {
                clamds[1].kill();
            }
        }
    });
    assert_once(&report, &files);
    let sum = report.summary();
    assert_eq!(sum.files, 1200);
    assert_eq!(sum.scanned + sum.failed + sum.not_scanned, 1200);
    assert!(sum.scanned >= 200, "{sum:?}");
    assert!(sum.not_scanned > 500, "{sum:?}");
    assert_eq!(sum.hosts_down, 2);
    assert_eq!((sum.infected, sum.exit_code()), (0, 2));
    assert_eq!(sum.status, clamd_proto::FleetStatus::Incomplete);
    for f in &report.files {
        if let FileOutcome::NotScanned(why) = f.outcome {
            assert_eq!(why, PoolSkip::HostsDown);
            assert_eq!(f.host, None);
        }
    }
}

#[test]
fn a_stalled_host_misses_the_file_deadline_and_its_files_move_on() {
    let clamd = Clamd::start().unwrap();
    let staller = Staller::start().unwrap();
    let (root, files) = tree(&clamd, 60, 7);
    let pool = Pool::builder([
        Endpoint::from(staller.addr()),
        Endpoint::from(clamd.tcp_addr()),
    ])
    .per_host(2)
    .file_timeout(Duration::from_secs(2))
    .build()
    .unwrap();
    let report = pool.run(Walker::new([&root]));
    assert_once(&report, &files);
    assert!(
        report
            .files
            .iter()
            .all(|f| matches!(f.outcome, FileOutcome::Scanned(_)) && f.host == Some(1))
    );
    let sum = report.summary();
    assert_eq!(sum.infected, files.values().filter(|&&i| i).count());
    // The staller took one file per connection, kept them until the deadline, and got
    // nothing more once it was down.
    assert_eq!(staller.accepted(), 2);
    assert_eq!(report.failovers.len(), 2);
    let why = report.hosts[0].down.as_deref().unwrap_or_default();
    assert!(why.contains("did not answer"), "{why}");
    assert!(report.elapsed >= Duration::from_secs(2));
}

#[test]
fn the_run_deadline_leaves_unsent_files_reported_as_not_scanned() {
    let clamd = Clamd::start().unwrap();
    let staller = Staller::start().unwrap();
    let (root, files) = tree(&clamd, 30, 0);
    // The only host stalls: nothing is answered before the run's deadline.
    let pool = Pool::builder([Endpoint::from(staller.addr())])
        .per_host(1)
        .deadline(Duration::from_secs(1))
        .build()
        .unwrap();
    let report = pool.run(Walker::new([&root]));
    assert_once(&report, &files);
    let sum = report.summary();
    assert_eq!((sum.failed, sum.not_scanned), (1, 29), "{sum:?}");
    assert!(
        report.hosts[0].down.is_none(),
        "the deadline is not the host's fault"
    );
    assert_eq!(sum.exit_code(), 2);
}
