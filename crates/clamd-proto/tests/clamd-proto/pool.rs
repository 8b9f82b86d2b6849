//! Pools of real clamd instances: one killed (SIGKILL) in the middle of a run, one killed and
//! restarted that rejoins, all of them killed (given up, or waited for until the deadline),
//! and a stalled host that accepts and never answers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
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

/// Every file of the tree is in the report once, scanned, with its verdict.
fn assert_all_scanned(report: &PoolReport, files: &BTreeMap<PathBuf, bool>) {
    assert_once(report, files);
    for f in &report.files {
        let FileOutcome::Scanned(r) = &f.outcome else {
            panic!("{} was not scanned: {:?}", f.path.display(), f.outcome);
        };
        assert_eq!(r.path(), f.path);
        assert_eq!(r.is_infected(), files[&f.path], "{}", f.path.display());
    }
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
    // Every file was scanned (two hosts stayed up), and every infected file was found.
    assert_all_scanned(&report, &files);
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
    // Dead hosts are not probed: with both gone, the rest is not scanned at once.
    let pool = Pool::builder(hosts)
        .mode(PoolMode::Fildes)
        .per_host(2)
        .max_queued(64)
        .retry_probes(0)
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
    for h in &report.hosts {
        assert!(h.given_up, "{h:?}");
        assert_eq!(h.outages.len(), 1);
        assert_eq!((h.outages[0].up_at, h.outages[0].failed_probes), (None, 0));
    }
}

#[test]
fn a_host_killed_and_restarted_mid_run_rejoins_and_scans_again_with_every_file_once() {
    let a = Clamd::start().unwrap();
    let b = Clamd::start().unwrap();
    let (root, files) = tree(&a, 2400, 89);
    let hosts = [Endpoint::from(a.tcp_addr()), Endpoint::from(b.tcp_addr())];
    let pool = Pool::builder(hosts.clone())
        .per_host(3)
        // The walk is read as files finish, so that most of it is still ahead when b is back.
        .max_queued(16)
        .file_timeout(Duration::from_secs(30))
        .retry_first(Duration::from_millis(50))
        .retry_max(Duration::from_millis(400))
        // b is down while it reloads its database: it must not be given up meanwhile.
        .retry_probes(1000)
        .build()
        .unwrap();
    let (kill_tx, kill_rx) = mpsc::channel::<()>();
    let (back_tx, back_rx) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        // b's owner: kills it when told, and restarts it at the same addresses when told
        // again.
        let keeper = scope.spawn(move || {
            let mut b = b;
            if kill_rx.recv().is_ok() {
                b.kill();
                let _ = kill_rx.recv();
                b.restart().unwrap();
                assert!(b.is_running());
                let _ = back_tx.send(());
            }
            b
        });
        let (mut seen, mut by_b, mut killed, mut down_seen) = (0, 0, false, false);
        let (mut up_seen, mut by_b_after_up) = (false, 0);
        let restart_asked = std::cell::Cell::new(false);
        let entries: Vec<_> = Walker::new([&root]).collect();
        let total_files = entries.len();
        let mut given = 0;
        // The rest of the walk waits, once b is down, until its restart is done: the run
        // then still has files for b when it rejoins, whatever the machine's speed.
        let walk = entries.into_iter().inspect(|_| {
            given += 1;
            if given == total_files / 2 && restart_asked.get() {
                back_rx.recv_timeout(Duration::from_secs(120)).unwrap();
            }
        });
        let report = pool.run_with_events(walk, |e| match e {
            PoolEvent::File { endpoint, .. } => {
                seen += 1;
                if endpoint == Some(&hosts[1]) {
                    by_b += 1;
                    if up_seen {
                        by_b_after_up += 1;
                    }
                }
                if !killed && seen >= 200 && by_b >= 20 {
                    kill_tx.send(()).unwrap();
                    killed = true;
                }
            }
            PoolEvent::HostDown { host, .. } => {
                assert_eq!(host, 1);
                down_seen = true;
            }
            // b is restarted once a probe has found it dead.
            PoolEvent::ProbeFailed { host, retry_in, .. } => {
                assert_eq!(host, 1);
                assert!(retry_in.is_some());
                if !restart_asked.get() {
                    kill_tx.send(()).unwrap();
                    restart_asked.set(true);
                }
            }
            PoolEvent::HostUp { host, .. } => {
                assert_eq!(host, 1);
                up_seen = true;
            }
            _ => {}
        });
        drop(kill_tx);
        let mut b = keeper.join().unwrap();
        assert!(
            killed && down_seen && up_seen,
            "{killed} {down_seen} {up_seen}"
        );
        assert!(b.is_running());
        assert_rejoined(&report, &files, by_b, by_b_after_up);
        b.kill();
    });
}

/// The rejoin test's report: every file scanned once, host 1 (b) down once and back, with
/// `by_b` files from it in all and `by_b_after_up` since it came back.
fn assert_rejoined(
    report: &PoolReport,
    files: &BTreeMap<PathBuf, bool>,
    by_b: usize,
    by_b_after_up: usize,
) {
    assert_all_scanned(report, files);
    let sum = report.summary();
    assert_eq!((sum.scanned, sum.errors, sum.hosts_down), (2400, 0, 1));
    assert_eq!(sum.rejoins, 1);
    assert_eq!(sum.infected, files.values().filter(|&&i| i).count());
    assert_eq!(sum.exit_code(), 1);
    // b went down once, came back, and scanned files after its restart.
    let hb = &report.hosts[1];
    assert!(!hb.given_up);
    assert_eq!(hb.outages.len(), 1, "{:?}", hb.outages);
    let out = &hb.outages[0];
    let up = out.up_at.expect("b came back");
    assert!(up > out.down_at, "{out:?}");
    assert!(out.failed_probes >= 1, "{out:?}");
    assert!(out.scanned_after > 0, "{out:?}");
    assert_eq!(out.scanned_after, by_b_after_up);
    assert_eq!(hb.scanned, by_b);
    assert!(
        hb.scanned > out.scanned_after,
        "b scanned before the kill too"
    );
    assert!(report.hosts[0].outages.is_empty());
    // Its files in flight at the kill moved, each reported once where it was scanned.
    assert!(!report.failovers.is_empty());
    assert!(report.failovers.iter().all(|m| m.from == 1));
    for m in &report.failovers {
        let f = &report.files[m.file];
        assert_eq!(f.path, m.path);
        assert!(f.failovers >= 1);
    }
    let per_host: usize = report.hosts.iter().map(|h| h.scanned).sum();
    assert_eq!(per_host, 2400);
}

#[test]
fn with_every_host_dead_and_retrying_the_run_ends_at_its_deadline_with_files_accounted_for() {
    let mut clamds: Vec<Clamd> = (0..2)
        .map(|_| Clamd::builder().tcp(false).start().unwrap())
        .collect();
    let (root, files) = tree(&clamds[0], 600, 0);
    let hosts: Vec<Endpoint> = clamds
        .iter()
        .map(|c| Endpoint::unix(c.socket_path()))
        .collect();
    let deadline = Duration::from_secs(3);
    let pool = Pool::builder(hosts)
        .per_host(2)
        .max_queued(32)
        .retry_first(Duration::from_millis(100))
        .retry_max(Duration::from_millis(500))
        .retry_probes(1000)
        .deadline(deadline)
        .build()
        .unwrap();
    let (mut seen, mut probes_failed) = (0, 0);
    let report = pool.run_with_events(Walker::new([&root]), |e| match e {
        PoolEvent::File { .. } => {
            seen += 1;
            if seen == 50 {
                for c in &mut clamds {
                    c.kill();
                }
            }
        }
        PoolEvent::ProbeFailed { retry_in, .. } => {
            assert!(
                retry_in.is_some(),
                "probes do not run out before the deadline"
            );
            probes_failed += 1;
        }
        _ => {}
    });
    assert_once(&report, &files);
    let sum = report.summary();
    assert_eq!(sum.scanned + sum.failed + sum.not_scanned, 600);
    assert!(sum.scanned >= 50, "{sum:?}");
    assert!(sum.not_scanned > 0, "{sum:?}");
    assert_eq!((sum.hosts_down, sum.rejoins), (2, 0));
    assert_eq!(
        (sum.exit_code(), sum.status),
        (2, clamd_proto::FleetStatus::Incomplete)
    );
    // The hosts were waited for until the deadline, probed again and again, and the run
    // ended then: no host was given up, and the files left are not scanned because every
    // host was down.
    assert!(report.elapsed >= deadline, "{:?}", report.elapsed);
    assert!(
        report.elapsed < deadline + Duration::from_secs(30),
        "the run must end at its deadline, not hang: {:?}",
        report.elapsed
    );
    assert!(probes_failed >= 2, "{probes_failed}");
    for h in &report.hosts {
        assert!(!h.given_up);
        assert_eq!(h.outages.len(), 1);
        assert!(h.outages[0].failed_probes >= 1, "{h:?}");
        assert_eq!(h.outages[0].up_at, None);
    }
    let probed: usize = report
        .hosts
        .iter()
        .map(|h| h.outages[0].failed_probes)
        .sum();
    assert_eq!(probed, probes_failed);
    for f in &report.files {
        match &f.outcome {
            FileOutcome::NotScanned(why) => {
                assert_eq!(*why, PoolSkip::HostsDown, "{}", f.path.display());
                assert_eq!(f.host, None);
            }
            FileOutcome::Scanned(r) => assert!(!r.is_infected()),
            FileOutcome::Failed(_) => assert!(f.host.is_some()),
            _ => {}
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
    // Not probed again: what it accepted is then exactly the files it stalled.
    .retry_probes(0)
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
