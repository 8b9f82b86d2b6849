//! Fleet scans over several real clamd instances, with a dead and a stalling host.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clamd_proto::{
    ClientBuilder, EICAR, Endpoint, Error, Fleet, FleetStatus, HostState, JobStatus, Mode,
    ScanMode, ScanPlan, SkipReason,
};
use testbed::clamd::Clamd;

use crate::{scratch, write};

/// A TCP proxy to a real clamd that forwards the first `forward` connections and then accepts
/// and stalls: a host that becomes slow in the middle of a scan. Also gives the count of
/// connections accepted.
fn stalling_proxy(target: SocketAddr, forward: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        let mut stalled = Vec::new();
        for conn in listener.incoming() {
            let Ok(client) = conn else { continue };
            if count.fetch_add(1, Ordering::SeqCst) >= forward {
                stalled.push(client);
                continue;
            }
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
            pipe(server, client);
        }
    });
    (addr, counted)
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

fn dead_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn three_hosts_one_dead_one_slow_give_partial_results() {
    let healthy = Clamd::builder().start().unwrap();
    let slow_backend = Clamd::builder().start().unwrap();
    let dir = scratch(&healthy, "fleet");
    let clean = write(&dir, "clean.txt", b"nothing\n");
    let infected = write(&dir, "eicar.txt", EICAR);
    // Both clamds read the same local files; the paths exist for both.
    let paths = vec![clean.clone(), infected.clone(), clean.clone()];
    // PING, VERSION and the first path scan go through; the second scan stalls.
    let (slow, connections) = stalling_proxy(slow_backend.tcp_addr(), 3);
    let dead = dead_port();
    let hosts = vec![
        Endpoint::from(healthy.tcp_addr()),
        Endpoint::from(dead),
        Endpoint::from(slow),
    ];
    let fleet = Fleet::builder(hosts.clone())
        .per_host(1)
        .host_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let report = fleet.run(&ScanPlan::paths(ScanMode::ContScan, &paths));
    assert_eq!(report.hosts.len(), 3);
    let [h, d, s] = &report.hosts[..] else {
        panic!()
    };
    assert_eq!(h.endpoint, hosts[0]);
    assert!(h.ok(), "{:?}", h.error);
    assert_eq!(h.results.len(), 3);
    assert!(h.infected());
    assert!(h.version.is_some() && h.latency.is_some());

    assert!(
        matches!(d.error, Some(Error::Connect { .. })),
        "{:?}",
        d.error
    );
    assert!(d.results.is_empty() && d.version.is_none());
    assert!(
        d.jobs
            .iter()
            .all(|j| matches!(j.status, JobStatus::Skipped(SkipReason::HostFailed)))
    );

    assert_eq!(s.state(), HostState::Failed);
    assert!(s.error.is_none(), "the host itself answered: {:?}", s.error);
    let statuses: Vec<_> = s.jobs.iter().map(|j| &j.status).collect();
    assert!(
        matches!(
            statuses[..],
            [
                JobStatus::Done,
                JobStatus::Failed(Error::Timeout { .. }),
                JobStatus::Skipped(SkipReason::HostDeadline)
            ]
        ),
        "{statuses:?}"
    );
    assert!(s.first_error().is_some_and(Error::is_timeout));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        4,
        "PING, VERSION, two scans: the job after the deadline never connects"
    );
    assert!(
        s.version.is_some(),
        "the slow host answered VERSION before stalling"
    );
    assert_eq!(s.results.len(), 1, "partial results: {:?}", s.results);
    assert_eq!(s.results[0].path(), clean);

    let summary = report.summary();
    assert_eq!(summary.status, FleetStatus::Infected);
    assert_eq!(summary.hosts_failed, 2);
    let t = report.tally();
    assert_eq!((t.given, t.done, t.failed, t.skipped), (9, 4, 1, 4));
    assert_eq!(
        summary.exit_code(),
        1,
        "an infection outranks errors, as in clamdscan"
    );
}

#[test]
fn fleet_streams_local_files_with_bounded_concurrency() {
    let a = Clamd::builder().start().unwrap();
    let b = Clamd::builder().tcp(false).start().unwrap();
    let dir = scratch(&a, "stream");
    let files: Vec<_> = (0..12)
        .map(|i| {
            write(
                &dir,
                &format!("f{i}"),
                if i == 5 { EICAR } else { b"plain" },
            )
        })
        .collect();
    let fleet = Fleet::builder([
        Endpoint::from(a.tcp_addr()),
        Endpoint::unix(b.socket_path()),
    ])
    .concurrency(3)
    .per_host(2)
    // Settings without an endpoint: each host's own is set by the fleet.
    .client(
        ClientBuilder::new()
            .chunk_size(4096)
            .mode(Mode::N)
            .build_config()
            .unwrap(),
    )
    .build()
    .unwrap();
    let seen = AtomicUsize::new(0);
    let report = fleet.run_with_progress(&ScanPlan::stream(&files).stats(true), |p| {
        assert!(p.done <= p.total);
        seen.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(seen.load(Ordering::SeqCst), 24);
    for host in &report.hosts {
        assert!(host.ok(), "{:?}", host.error);
        assert!(host.stats.is_some());
        let paths: Vec<_> = host
            .results
            .iter()
            .map(|r| r.path().to_path_buf())
            .collect();
        assert_eq!(
            paths, files,
            "results keep the plan's order and local paths"
        );
        assert_eq!(host.results.iter().filter(|r| r.is_infected()).count(), 1);
    }
    assert_eq!(report.summary().status, FleetStatus::Infected);
    assert_eq!(report.summary().exit_code(), 1);

    let fildes = fleet.run(&ScanPlan::new().target(clamd_proto::Target::Fildes {
        files: files.clone(),
    }));
    assert!(
        fildes.hosts[0]
            .jobs
            .iter()
            .all(|j| matches!(j.status, JobStatus::Failed(Error::Unsupported(_)))),
        "FILDES cannot cross TCP"
    );
    assert!(fildes.hosts[1].ok());
    assert_eq!(fildes.hosts[1].results.len(), 12);
}

#[test]
fn an_all_clean_fleet_with_reload() {
    let a = Clamd::builder().start().unwrap();
    let b = Clamd::builder().start().unwrap();
    let dir = scratch(&a, "clean");
    write(&dir, "x", b"x");
    let report = Fleet::new([Endpoint::from(a.tcp_addr()), Endpoint::from(b.tcp_addr())])
        .run(&ScanPlan::paths(ScanMode::MultiScan, [&dir]).reload(true));
    let s = report.summary();
    assert_eq!(
        (s.status, s.exit_code(), s.hosts),
        (FleetStatus::AllClean, 0, 2)
    );
}

/// A TCP proxy to a real clamd that records how many of its connections are open at once;
/// `active` and `peak` may be shared by several proxies.
fn counting_proxy(
    target: SocketAddr,
    active: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut client) = conn else { continue };
            let Ok(mut server) = TcpStream::connect(target) else {
                continue;
            };
            let (active, peak) = (Arc::clone(&active), Arc::clone(&peak));
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut up = client.try_clone().unwrap();
                let mut down = server.try_clone().unwrap();
                let upstream = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up, &mut down);
                    let _ = down.shutdown(Shutdown::Write);
                });
                // The connection stops counting before its reply's terminator reaches the
                // client: the client cannot open its next connection before that, so the
                // count never overlaps a finished request with the next one.
                let mut counted = true;
                let mut buf = [0u8; 8192];
                while let Ok(n) = server.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if counted && buf[..n].contains(&0) {
                        active.fetch_sub(1, Ordering::SeqCst);
                        counted = false;
                    }
                    if client.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                if counted {
                    active.fetch_sub(1, Ordering::SeqCst);
                }
                let _ = client.shutdown(Shutdown::Both);
                let _ = upstream.join();
            });
        }
    });
    addr
}

#[test]
fn concurrency_is_bounded_per_host_and_globally() {
    let a = Clamd::builder().start().unwrap();
    let b = Clamd::builder().start().unwrap();
    let dir = scratch(&a, "bound");
    // Big enough that scans overlap if the fleet lets them.
    let files: Vec<_> = (0u8..16)
        .map(|i| write(&dir, &format!("f{i}"), &vec![b'a' + i; 2 << 20]))
        .collect();
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let one = counting_proxy(a.tcp_addr(), Arc::clone(&active), Arc::clone(&peak));
    let report = Fleet::builder([Endpoint::from(one)])
        .concurrency(8)
        .per_host(2)
        .build()
        .unwrap()
        .run(&ScanPlan::stream(&files));
    assert!(report.hosts[0].ok(), "{:?}", report.hosts[0].error);
    assert_eq!(report.hosts[0].results.len(), 16);
    let per_host_peak = peak.swap(0, Ordering::SeqCst);
    assert!(
        (1..=2).contains(&per_host_peak),
        "per-host bound 2, saw {per_host_peak}"
    );

    let two = counting_proxy(b.tcp_addr(), Arc::clone(&active), Arc::clone(&peak));
    let report = Fleet::builder([Endpoint::from(one), Endpoint::from(two)])
        .concurrency(3)
        .per_host(3)
        .build()
        .unwrap()
        .run(&ScanPlan::stream(&files));
    assert!(report.hosts.iter().all(clamd_proto::HostReport::ok));
    let global_peak = peak.load(Ordering::SeqCst);
    assert!(
        (1..=3).contains(&global_peak),
        "global bound 3, saw {global_peak}"
    );
}

#[test]
fn a_host_past_its_result_cap_stops_and_keeps_what_fits() {
    // Valid result lines for the path asked, forever.
    let flood = testbed::clamd::fake_clamd(|conn, path| {
        let block: Vec<u8> = (0..100)
            .flat_map(|i| format!("{path}/f{i:03}: OK\0").into_bytes())
            .collect();
        while conn.write_all(&block).is_ok() {}
    })
    .unwrap();
    let paths = ["/srv/a", "/srv/b", "/srv/c"];
    let per_result = "/srv/a/f000".len() + clamd_proto::RESULT_OVERHEAD;
    for (results, bytes, cap) in [(1_000_000, 1000 * per_result, 1000), (700, 1 << 30, 700)] {
        let report = Fleet::builder([Endpoint::from(flood)])
            .per_host(1)
            .max_results(results)
            .max_result_bytes(bytes)
            .host_timeout(Duration::from_secs(60))
            .build()
            .unwrap()
            .run(&ScanPlan::paths(ScanMode::ContScan, paths));
        let h = &report.hosts[0];
        assert_eq!(h.results.len(), cap, "the results within the cap are kept");
        let statuses: Vec<_> = h.jobs.iter().map(|j| &j.status).collect();
        assert!(
            matches!(
                statuses[..],
                [
                    JobStatus::Failed(
                        Error::ResultBytesExceeded { .. } | Error::TooManyResults { .. }
                    ),
                    JobStatus::Skipped(SkipReason::ResultLimit),
                    JobStatus::Skipped(SkipReason::ResultLimit),
                ]
            ),
            "{statuses:?}"
        );
        let t = report.tally();
        assert_eq!((t.given, t.done, t.failed, t.skipped), (3, 0, 1, 2));
    }
}

#[test]
fn the_result_cap_is_the_hosts_over_all_its_jobs() {
    // 400 valid result lines for the path asked, then a clean close: each job alone is well
    // under the cap of 1,000, three of them are not.
    let host = testbed::clamd::fake_clamd(|conn, path| {
        let block: Vec<u8> = (0..400)
            .flat_map(|i| format!("{path}/f{i:03}: OK\0").into_bytes())
            .collect();
        let _ = conn.write_all(&block);
    })
    .unwrap();
    let report = Fleet::builder([Endpoint::from(host)])
        .per_host(1)
        .max_results(1000)
        .build()
        .unwrap()
        .run(&ScanPlan::paths(ScanMode::ContScan, ["/a", "/b", "/c"]));
    let h = &report.hosts[0];
    assert_eq!(h.results.len(), 1000, "the results within the cap are kept");
    let statuses: Vec<_> = h.jobs.iter().map(|j| &j.status).collect();
    assert!(
        matches!(
            statuses[..],
            [
                JobStatus::Done,
                JobStatus::Done,
                JobStatus::Failed(Error::TooManyResults { limit: 1000 })
            ]
        ),
        "{statuses:?}"
    );
}

#[test]
fn a_host_killed_mid_session_reports_every_file_once() {
    let clamd = Clamd::builder().start().unwrap();
    let dir = scratch(&clamd, "killed");
    let files: Vec<_> = (0..400)
        .map(|i| {
            let body = format!("file {i}");
            write(
                &dir,
                &format!("f{i}"),
                if i % 50 == 7 { EICAR } else { body.as_bytes() },
            )
        })
        .collect();
    let fleet = Fleet::builder([Endpoint::unix(clamd.socket_path())])
        .per_host(2)
        .build()
        .unwrap();
    let clamd = std::sync::Mutex::new(clamd);
    let seen = AtomicUsize::new(0);
    // Killed from the event of the 100th result, while both sessions have files in flight.
    let report = fleet.run_with_events(&ScanPlan::stream(&files), |e| {
        if matches!(e, clamd_proto::FleetEvent::Result { .. })
            && seen.fetch_add(1, Ordering::SeqCst) + 1 == 100
        {
            clamd.lock().unwrap().kill();
        }
    });
    assert!(!clamd.lock().unwrap().is_running());
    let host = &report.hosts[0];
    // Every file has exactly one job report, in the plan's order.
    let paths: Vec<_> = host.jobs.iter().map(|j| j.path.clone()).collect();
    assert_eq!(paths, files);
    let done = host
        .jobs
        .iter()
        .filter(|j| matches!(j.status, JobStatus::Done))
        .count();
    let failed = host
        .jobs
        .iter()
        .filter(|j| matches!(j.status, JobStatus::Failed(_)))
        .count();
    assert_eq!(done + failed, files.len(), "{:?}", host.jobs);
    assert!(done >= 100 && failed > 0, "done {done}, failed {failed}");
    // One result line per file that was done, never two for one file.
    assert_eq!(host.results.len(), done);
    let mut lines: Vec<_> = host.results.iter().map(|r| r.path().to_owned()).collect();
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), done);
    assert_eq!(seen.load(Ordering::SeqCst), done);
}
