//! Every job given to a fleet is in its report as done, failed (with the error) or skipped
//! (with the reason), whatever mix of healthy and hostile hosts, bounds and deadlines.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use clamd_proto::{Endpoint, Fleet, HostState, JobStatus, ScanMode, ScanPlan, SkipReason};
use proptest::prelude::*;
use testbed::clamd::{Staller, fake_clamd};

/// One FOUND line for `<path>/a`, then what the behaviour does.
fn found(conn: &mut TcpStream, path: &str) {
    let _ = conn.write_all(format!("{path}/a: Eicar FOUND\0").as_bytes());
}

/// The hosts a case picks from: (behaviour, address).
fn hosts() -> &'static [(&'static str, SocketAddr)] {
    static HOSTS: OnceLock<Vec<(&'static str, SocketAddr)>> = OnceLock::new();
    HOSTS.get_or_init(|| {
        let fake = |f: fn(&mut TcpStream, &str)| fake_clamd(f).unwrap();
        let dead = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        vec![
            (
                "ok",
                fake(|c, p| {
                    let _ = c.write_all(format!("{p}: OK\0").as_bytes());
                }),
            ),
            (
                "found then stall",
                fake(|c, p| {
                    found(c, p);
                    std::thread::sleep(Duration::from_secs(30));
                }),
            ),
            (
                "found then reset",
                fake(|c, p| {
                    found(c, p);
                    std::thread::sleep(Duration::from_millis(50));
                    let _ = socket2::SockRef::from(&*c).set_linger(Some(Duration::ZERO));
                }),
            ),
            (
                "found then garbage",
                fake(|c, p| {
                    found(c, p);
                    let _ = c.write_all(b"\xff garbage\0");
                }),
            ),
            (
                "found then cut",
                fake(|c, p| {
                    found(c, p);
                    let _ = c.write_all(b"/x: Eic");
                }),
            ),
            (
                "flood",
                fake(|c, p| {
                    let line = format!("{p}/f: OK\0").repeat(100);
                    while c.write_all(line.as_bytes()).is_ok() {}
                }),
            ),
            ("stall", Staller::start().unwrap().addr()),
            ("dead", dead),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn every_job_is_done_failed_or_skipped(
        picks in prop::collection::vec(0..8usize, 1..6),
        paths in 0..4usize,
        concurrency in 1..4usize,
        per_host in 1..3usize,
        run_deadline in prop::option::of(Just(Duration::from_millis(500))),
    ) {
        let chosen: Vec<_> = picks.iter().map(|&i| hosts()[i]).collect();
        let mut fleet = Fleet::builder(chosen.iter().map(|(_, a)| Endpoint::from(*a)))
            .concurrency(concurrency)
            .per_host(per_host)
            .host_timeout(Duration::from_secs(1))
            .connect_timeout(Duration::from_millis(300))
            .max_results(50);
        if let Some(d) = run_deadline {
            fleet = fleet.deadline(d);
        }
        let paths: Vec<String> = (0..paths).map(|i| format!("/p{i}")).collect();
        let report = fleet.build().unwrap().run(&ScanPlan::paths(ScanMode::ContScan, &paths));

        prop_assert_eq!(report.hosts.len(), chosen.len());
        let t = report.tally();
        prop_assert_eq!(t.given, chosen.len() * paths.len());
        prop_assert_eq!(t.given, t.done + t.failed + t.skipped);
        for (h, (kind, _)) in report.hosts.iter().zip(&chosen) {
            prop_assert_eq!(h.jobs.len(), paths.len());
            let ht = h.tally();
            prop_assert_eq!(ht.given, ht.done + ht.failed + ht.skipped);
            let skipped_all = |reason| {
                h.jobs.iter().all(|j| matches!(j.status, JobStatus::Skipped(r) if r == reason))
            };
            match h.state() {
                HostState::NotScanned => {
                    prop_assert_eq!(h.not_scanned, Some(SkipReason::RunDeadline));
                    prop_assert!(skipped_all(SkipReason::RunDeadline));
                    prop_assert!(h.results.is_empty());
                }
                _ if h.error.is_some() => prop_assert!(skipped_all(SkipReason::HostFailed)),
                _ => {}
            }
            // A healthy host is never held up by the others.
            if *kind == "ok" && run_deadline.is_none() {
                prop_assert_eq!(h.state(), HostState::Done, "{:?}", h.first_error());
            }
            // What arrived before a failure is kept: one FOUND line per job that failed.
            if kind.starts_with("found then") {
                let failed = h.jobs.iter().filter(|j| matches!(j.status, JobStatus::Failed(_))).count();
                let infected = h.results.iter().filter(|r| r.is_infected()).count();
                prop_assert_eq!(infected, failed, "{:?}", h.jobs);
            }
        }
    }
}
