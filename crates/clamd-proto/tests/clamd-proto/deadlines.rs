//! Deadlines in a fleet: a host's deadline is its own work, a stalled host never makes a healthy
//! one miss its deadline, and the run's deadline leaves unstarted hosts not scanned.

use std::time::{Duration, Instant};

use clamd_proto::{
    EICAR, Endpoint, Error, Fleet, FleetReport, HostState, JobStatus, ScanMode, ScanPlan,
    SkipReason,
};
use test_case::test_case;
use testbed::clamd::{Clamd, Staller};

use crate::{scratch, write};

const STALLED: usize = 5;

/// `STALLED` stalling hosts and then a real clamd of its own (so that no other test keeps it
/// busy), scanning a directory with one EICAR file.
fn fleet_plan() -> (Vec<Endpoint>, Vec<Staller>, ScanPlan, Clamd) {
    let clamd = Clamd::builder().start().unwrap();
    let dir = scratch(&clamd, "deadline");
    write(&dir, "eicar.com", EICAR);
    write(&dir, "clean.txt", b"clean");
    let stallers: Vec<Staller> = (0..STALLED).map(|_| Staller::start().unwrap()).collect();
    let mut hosts: Vec<Endpoint> = stallers.iter().map(|s| Endpoint::from(s.addr())).collect();
    hosts.push(Endpoint::from(clamd.tcp_addr()));
    let plan = ScanPlan::paths(ScanMode::ContScan, [dir]);
    (hosts, stallers, plan, clamd)
}

fn assert_accounted(report: &FleetReport) {
    let t = report.tally();
    assert_eq!(t.given, report.hosts.len(), "one path per host");
    assert_eq!(t.given, t.done + t.failed + t.skipped, "{t:?}");
}

fn assert_healthy(report: &FleetReport) {
    let healthy = report.hosts.last().unwrap();
    assert_eq!(
        healthy.state(),
        HostState::Done,
        "{:?}",
        healthy.first_error()
    );
    assert_eq!(healthy.results.len(), 1, "{:?}", healthy.results);
    assert!(healthy.results[0].is_infected());
}

#[test_case(None ; "default concurrency")]
#[test_case(Some(1) ; "concurrency 1")]
fn stalled_hosts_never_make_a_healthy_one_miss_its_deadline(concurrency: Option<usize>) {
    let (hosts, _, plan, _clamd) = fleet_plan();
    let mut builder = Fleet::builder(hosts).host_timeout(Duration::from_secs(2));
    if let Some(n) = concurrency {
        builder = builder.concurrency(n);
    }
    let t = Instant::now();
    let report = builder.build().unwrap().run(&plan);
    assert!(t.elapsed() < Duration::from_secs(60), "did not hang");
    assert_healthy(&report);
    for h in &report.hosts[..STALLED] {
        assert_eq!(h.state(), HostState::Failed);
        assert!(
            h.error.as_ref().is_some_and(Error::is_timeout),
            "{:?}",
            h.error
        );
        assert!(matches!(
            h.jobs[..],
            [clamd_proto::JobReport {
                status: JobStatus::Skipped(SkipReason::HostFailed),
                ..
            }]
        ));
    }
    assert_accounted(&report);
    let s = report.summary();
    assert_eq!((s.hosts_failed, s.hosts_not_scanned), (STALLED, 0));
    assert_eq!(s.exit_code(), 1);
}

#[test]
fn a_run_deadline_leaves_unstarted_hosts_not_scanned_and_they_never_connect() {
    let (hosts, stallers, plan, _clamd) = fleet_plan();
    let t = Instant::now();
    let report = Fleet::builder(hosts)
        .concurrency(1)
        .host_timeout(Duration::from_secs(1))
        .deadline(Duration::from_millis(2500))
        .build()
        .unwrap()
        .run(&plan);
    assert!(t.elapsed() < Duration::from_secs(30), "did not hang");
    // One connection at a time, and each stalled host holds it for its whole second: no more
    // than three stalled hosts, and the healthy one, can start before the run's deadline.
    let not_scanned: Vec<_> = report
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.state() == HostState::NotScanned)
        .collect();
    assert!(not_scanned.len() >= STALLED + 1 - 4, "{report:#?}");
    for (i, h) in &not_scanned {
        assert_eq!(h.not_scanned, Some(SkipReason::RunDeadline));
        assert!(h.error.is_none() && h.results.is_empty() && h.latency.is_none());
        assert!(matches!(
            h.jobs[0].status,
            JobStatus::Skipped(SkipReason::RunDeadline)
        ));
        if *i < STALLED {
            assert_eq!(stallers[*i].accepted(), 0, "host {i} connected");
        }
    }
    for (i, h) in report.hosts.iter().enumerate() {
        if h.state() == HostState::NotScanned {
            continue;
        }
        if i == STALLED && h.state() == HostState::Done {
            assert_healthy(&report);
        } else {
            // A stalled host, or the healthy one started so late that the run's deadline cut
            // it short.
            let cut = matches!(
                h.jobs[0].status,
                JobStatus::Skipped(SkipReason::RunDeadline)
            );
            assert!(
                h.first_error().is_some_and(Error::is_timeout) || cut,
                "{h:?}"
            );
        }
    }
    assert_accounted(&report);
    let s = report.summary();
    assert_eq!(s.hosts_not_scanned, not_scanned.len());
    let healthy_done = report.hosts.last().unwrap().state() == HostState::Done;
    assert_eq!(s.exit_code(), if healthy_done { 1 } else { 2 });
}
