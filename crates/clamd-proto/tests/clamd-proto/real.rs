//! Every command against a real clamd, in z-mode and n-mode.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clamd_proto::{Client, EICAR, Endpoint, Error, Mode, Reply, ScanMode, Verdict};
use test_case::test_case;
use testbed::clamd::{Clamd, TESTFILES_DIR};

use crate::{scratch, shared, tcp, unix, write};

#[test_case(Mode::Z ; "z mode")]
#[test_case(Mode::N ; "n mode")]
fn every_read_only_command(mode: Mode) {
    let clamd = shared();
    for client in [tcp(clamd, mode), unix(clamd, mode)] {
        client.ping().unwrap();
        let v = client.version().unwrap();
        assert!(v.engine.starts_with(|c: char| c.is_ascii_digit()), "{v:?}");
        assert_eq!(v.database, None, "a custom database has no version");
        let vc = client.version_commands().unwrap();
        assert_eq!(vc.version, v);
        for c in [
            "SCAN",
            "CONTSCAN",
            "MULTISCAN",
            "ALLMATCHSCAN",
            "INSTREAM",
            "FILDES",
        ] {
            assert!(vc.supports(c), "{c} missing from {vc:?}");
        }
        let stats = client.stats().unwrap();
        assert_eq!(stats.pools, Some(1));
        assert_eq!(stats.threads.unwrap().max, 4);
        assert!(stats.state.unwrap().contains("VALID"));

        let dir = scratch(clamd, "cmd");
        let bad = write(&dir, "eicar.com", EICAR);
        let good = write(&dir, "good.txt", b"hello\n");
        for scan_mode in [
            ScanMode::Scan,
            ScanMode::ContScan,
            ScanMode::MultiScan,
            ScanMode::AllMatchScan,
        ] {
            let r = client.scan_path(scan_mode, &good).unwrap();
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].verdict(), &Verdict::Clean);
            assert_eq!(r[0].path(), good);
            let r = client.scan_path(scan_mode, &bad).unwrap();
            assert_eq!(r.len(), 1, "{scan_mode:?}: {r:?}");
            assert_eq!(r[0].signature(), Some(clamd.eicar_signature()));
            assert_eq!(r[0].path(), bad);
        }
        let r = client.scan_bytes(EICAR).unwrap();
        assert_eq!(r.signature(), Some(clamd.eicar_signature()));
        assert_eq!(r.path(), Path::new("stream"));
        let r = client.stream_file(&good).unwrap();
        assert_eq!((r.path(), r.verdict()), (good.as_path(), &Verdict::Clean));

        let mut session = client.session().unwrap();
        session.ping().unwrap();
        assert_eq!(session.version().unwrap(), v);
        assert!(session.stats().unwrap().threads.is_some());
        assert_eq!(
            session.scan_file(&bad).unwrap().signature(),
            Some(clamd.eicar_signature())
        );
        assert!(session.scan_stream(&b"clean bytes"[..]).unwrap().verdict() == &Verdict::Clean);
        session.keepalive().unwrap();
        assert!(session.end().unwrap().is_empty());
    }
    let r = unix(clamd, mode)
        .fildes_file(write(&scratch(clamd, "fd"), "e", EICAR))
        .unwrap();
    assert_eq!(r.signature(), Some(clamd.eicar_signature()));
}

#[test_case(Mode::Z ; "z mode")]
#[test_case(Mode::N ; "n mode")]
fn reload_and_shutdown(mode: Mode) {
    let mut clamd = Clamd::builder().start().unwrap();
    let client = tcp(&clamd, mode);
    client.reload().unwrap();
    // clamd reloads in the background and keeps answering.
    client.ping().unwrap();
    unix(&clamd, mode).shutdown().unwrap();
    for _ in 0..500 {
        if !clamd.is_running() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!clamd.is_running(), "clamd still runs after SHUTDOWN");
    assert!(matches!(client.ping(), Err(Error::Connect { .. })));
}

#[test]
fn infected_clean_and_missing_files() {
    let clamd = shared();
    let client = tcp(clamd, Mode::Z);
    let dir = scratch(clamd, "icm");
    let missing = dir.join("does-not-exist");
    for mode in [
        ScanMode::Scan,
        ScanMode::ContScan,
        ScanMode::MultiScan,
        ScanMode::AllMatchScan,
    ] {
        let r = client.scan_path(mode, &missing).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].path(), missing);
        assert!(
            matches!(r[0].verdict(), Verdict::Error(m) if m.contains("No such file")),
            "{r:?}"
        );
    }
    let r = client.scan_file("/dev/null").unwrap();
    assert!(r.iter().any(clamd_proto::ScanResult::is_error), "{r:?}");
    assert!(r.iter().all(|l| l.path() == Path::new("/dev/null")));
}

#[test]
fn relative_paths_and_nul_bytes() {
    let clamd = shared();
    let client = tcp(clamd, Mode::Z);
    let nul = PathBuf::from(OsStr::from_bytes(b"/tmp/a\0b"));
    assert!(matches!(
        client.scan_file(&nul),
        Err(Error::PathContainsNul(_))
    ));
    let n = tcp(clamd, Mode::N);
    assert!(matches!(
        n.scan_file("/tmp/a\nb"),
        Err(Error::PathContainsNewline(_))
    ));
    // Resolved against our working directory, not clamd's.
    let here = std::env::current_dir().unwrap();
    let r = client.scan_file("Cargo.toml").unwrap();
    assert_eq!(r[0].path(), here.join("Cargo.toml"));
    assert_eq!(r[0].verdict(), &Verdict::Clean);
}

fn testfiles() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(TESTFILES_DIR)
        .expect("install Debian's clamav-testfiles")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn found_set(lines: &[clamd_proto::ScanResult]) -> BTreeSet<PathBuf> {
    lines
        .iter()
        .filter(|r| r.is_infected())
        .map(|r| r.path().to_path_buf())
        .collect()
}

#[test]
fn the_44_testfiles_in_every_mode() {
    let clamd = shared();
    let files = testfiles();
    assert_eq!(files.len(), 44, "clamav-testfiles ships 44 files");
    let client = tcp(clamd, Mode::Z);
    let cont = client.contscan_file(TESTFILES_DIR).unwrap();
    let expected = found_set(&cont);
    assert!(expected.contains(&Path::new(TESTFILES_DIR).join("clam.exe")));
    assert!(
        expected.len() >= 20,
        "only {} detected: {cont:?}",
        expected.len()
    );
    assert!(
        cont.iter()
            .filter(|r| r.is_infected())
            .all(|r| r.signature() == Some(&clamd.test_file_signature()))
    );
    let multi = client.multiscan_file(TESTFILES_DIR).unwrap();
    assert_eq!(found_set(&multi), expected);
    let n = tcp(clamd, Mode::N).contscan_file(TESTFILES_DIR).unwrap();
    assert_eq!(found_set(&n), expected);
    let scan = client.scan_file(TESTFILES_DIR).unwrap();
    assert_eq!(
        found_set(&scan).len(),
        1,
        "SCAN stops at the first: {scan:?}"
    );
    assert!(expected.is_superset(&found_set(&scan)));
    let all = client.allmatchscan(TESTFILES_DIR).unwrap();
    assert!(!all.is_empty() && expected.is_superset(&found_set(&all)));

    let fd_client = unix(clamd, Mode::Z);
    let mut session = client.session().unwrap();
    for f in &files {
        let stream = client.stream_file(f).unwrap();
        let fildes = fd_client.fildes_file(f).unwrap();
        let id = session.send_scan(f).unwrap();
        let Reply::Scan(in_session) = session.wait(id).unwrap() else {
            panic!()
        };
        let want = expected.contains(f);
        assert_eq!(stream.is_infected(), want, "INSTREAM {}", f.display());
        assert_eq!(fildes.is_infected(), want, "FILDES {}", f.display());
        assert_eq!(in_session.is_infected(), want, "IDSESSION {}", f.display());
    }
    session.end().unwrap();
}

#[test]
fn odd_file_names() {
    let clamd = shared();
    let dir = scratch(clamd, "odd");
    let names: [&[u8]; 4] = [
        b"a: b.com",
        b"line\nbreak.com",
        b"caf\xe9.com",
        b"x: y: OK FOUND",
    ];
    let mut expected = BTreeSet::new();
    for name in names {
        let p = dir.join(OsStr::from_bytes(name));
        std::fs::write(&p, EICAR).unwrap();
        expected.insert(p);
    }
    let client = tcp(clamd, Mode::Z);
    for mode in [ScanMode::ContScan, ScanMode::MultiScan] {
        let r = client.scan_path(mode, &dir).unwrap();
        assert_eq!(found_set(&r), expected, "{mode:?}");
    }
    for p in &expected {
        let r = client.scan_file(p).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].path_bytes(), p.as_os_str().as_bytes());
        assert!(r[0].is_infected());
        let missing = PathBuf::from(format!("{}-gone", p.display()));
        let r = client.scan_file(&missing).unwrap();
        assert_eq!(r[0].path(), missing);
        assert!(r[0].is_error());
    }
    let mut session = client.session().unwrap();
    let many: Vec<&PathBuf> = expected.iter().collect();
    for (p, r) in many.iter().zip(session.scan_many(&many).unwrap()) {
        assert_eq!(r.unwrap().path(), p.as_path());
    }
}

#[test]
fn instream_sizes_around_the_limit() {
    const LIMIT: u64 = 4096;
    let clamd = Clamd::builder().stream_max_length(LIMIT).start().unwrap();
    for client in [tcp(&clamd, Mode::Z), unix(&clamd, Mode::Z)] {
        assert_eq!(client.scan_bytes(b"").unwrap().verdict(), &Verdict::Clean);
        assert_eq!(
            client.scan_bytes(b"clean").unwrap().verdict(),
            &Verdict::Clean
        );
        assert!(client.scan_bytes(EICAR).unwrap().is_infected());
        let mut at = vec![b'a'; LIMIT as usize];
        at[..EICAR.len()].copy_from_slice(EICAR);
        assert!(
            client.scan_bytes(&at).unwrap().is_infected(),
            "exactly at the limit"
        );
        let over = vec![b'a'; LIMIT as usize + 1];
        assert!(
            matches!(
                client.scan_bytes(&over),
                Err(Error::SizeLimitExceeded { .. })
            ),
            "one byte over"
        );
        let far = vec![b'a'; 16 << 20];
        match client.scan_bytes(&far) {
            Err(Error::SizeLimitExceeded { sent }) => assert!(sent < 16 << 20),
            other => panic!("far over: {other:?}"),
        }
        // Known up front: nothing is sent.
        let strict = Client::builder(client.endpoint().clone())
            .stream_max_length(LIMIT)
            .build()
            .unwrap();
        assert!(matches!(
            strict.scan_bytes(&over),
            Err(Error::StreamTooLong {
                len: 4097,
                limit: LIMIT
            })
        ));
        assert!(matches!(
            strict.scan_stream(&far[..]),
            Err(Error::StreamTooLong { .. })
        ));
        assert!(strict.scan_stream(&at[..]).unwrap().is_infected());
    }
    // The instance still works after all the refused streams.
    tcp(&clamd, Mode::Z).ping().unwrap();
}

#[test]
fn instream_chunk_sizes_agree() {
    let clamd = shared();
    let mut data = vec![b'.'; 300_000];
    data[150_000..150_000 + EICAR.len()].copy_from_slice(EICAR);
    for chunk in [1, 7, 4096, 65_536, 1 << 20] {
        let client = Client::builder(Endpoint::from(clamd.tcp_addr()))
            .chunk_size(chunk)
            .build()
            .unwrap();
        if chunk == 1 {
            assert!(
                client
                    .scan_bytes(&data[150_000..150_100])
                    .unwrap()
                    .is_infected()
            );
        } else {
            assert!(
                client.scan_bytes(&data).unwrap().is_infected(),
                "chunk {chunk}"
            );
        }
    }
}

#[test]
fn fildes_on_a_file_and_a_pipe() {
    let clamd = shared();
    let client = unix(clamd, Mode::Z);
    let file = write(&scratch(clamd, "fd"), "f", EICAR);
    let r = client.scan_fd(std::fs::File::open(&file).unwrap()).unwrap();
    assert!(r.path_bytes().starts_with(b"fd["), "{r:?}");
    assert!(r.is_infected());

    // clamd itself refuses a pipe by descriptor ...
    {
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(EICAR).unwrap();
        drop(writer);
        let mut conn = std::os::unix::net::UnixStream::connect(clamd.socket_path()).unwrap();
        conn.write_all(b"zFILDES\0").unwrap();
        let fds = [std::os::fd::AsFd::as_fd(&reader)];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
        assert!(control.push(rustix::net::SendAncillaryMessage::ScmRights(&fds)));
        rustix::net::sendmsg(
            &conn,
            &[std::io::IoSlice::new(&[0])],
            &mut control,
            rustix::net::SendFlags::empty(),
        )
        .unwrap();
        let mut reply = Vec::new();
        std::io::Read::read_to_end(&mut conn, &mut reply).unwrap();
        assert!(reply.ends_with(b"Not a regular file ERROR\0"), "{reply:?}");
    }
    // ... so scan_fd streams pipes with INSTREAM.
    for payload in [EICAR, &b"just text"[..]] {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let feeder = std::thread::spawn(move || {
            writer.write_all(payload).unwrap();
        });
        let r = client.scan_fd(&reader).unwrap();
        feeder.join().unwrap();
        assert_eq!(r.is_infected(), payload == EICAR, "{r:?}");
    }
    assert!(matches!(
        tcp(clamd, Mode::Z).scan_fd(std::fs::File::open(&file).unwrap()),
        Err(Error::Unsupported(_))
    ));
}

#[test]
fn idsession_with_1000_pipelined_commands_matches_out_of_order_replies() {
    let clamd = Clamd::builder().max_threads(8).start().unwrap();
    let dir = scratch(&clamd, "pipe");
    // A slow first request: clamd answers the quick ones after it first.
    let mut big = Vec::with_capacity(24 << 20);
    let mut x: u32 = 1;
    while big.len() < 24 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }
    let slow = write(&dir, "slow.bin", &big);
    let mut paths = vec![slow];
    for i in 1..1000 {
        let data: &[u8] = if i % 10 == 0 { EICAR } else { b"clean file" };
        paths.push(write(&dir, &format!("f{i:04}"), data));
    }
    let client = Client::builder(Endpoint::unix(clamd.socket_path()))
        .session_window(64)
        .build()
        .unwrap();
    let mut session = client.session().unwrap();
    let mut by_id = std::collections::HashMap::new();
    for p in &paths {
        let id = session.send_scan(p).unwrap();
        by_id.insert(id, p.clone());
    }
    let mut arrival = Vec::new();
    while session.pending() > 0 {
        let (id, reply) = session.recv().unwrap();
        let Reply::Scan(r) = reply.unwrap() else {
            panic!()
        };
        assert_eq!(
            r.path(),
            by_id[&id],
            "reply {id} matched to the wrong request"
        );
        let index = usize::try_from(id).unwrap() - 1;
        assert_eq!(r.is_infected(), index % 10 == 0 && index != 0, "{r:?}");
        arrival.push(id);
    }
    // Anything already collected by `send` while the window was full is returned here.
    for (id, reply) in session.end().unwrap() {
        let Reply::Scan(r) = reply.unwrap() else {
            panic!()
        };
        assert_eq!(r.path(), by_id[&id]);
        arrival.push(id);
    }
    assert_eq!(arrival.len(), 1000);
    let mut sorted = arrival.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=1000).collect::<Vec<u64>>());
    let first_pos = arrival.iter().position(|&i| i == 1).unwrap();
    assert!(first_pos > 0, "the slow request should not come back first");
}

#[test]
fn session_refuses_multi_line_commands_before_sending() {
    let clamd = shared();
    let mut s = tcp(clamd, Mode::Z).session().unwrap();
    assert!(matches!(
        s.send(clamd_proto::Command::Path(
            ScanMode::ContScan,
            "/tmp".into()
        )),
        Err(Error::Unsupported(_))
    ));
    s.ping().unwrap();
    s.end().unwrap();
}

/// A reader whose data stalls past clamd's `ReadTimeout`.
struct Stalling(bool);
impl std::io::Read for Stalling {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(2500));
        self.0 = true;
        buf[0] = b'x';
        Ok(1)
    }
}

#[test]
fn command_read_timeout_is_typed() {
    let clamd = Clamd::builder()
        .command_read_timeout(1)
        .read_timeout(1)
        .start()
        .unwrap();
    let mut conn = std::net::TcpStream::connect(clamd.tcp_addr()).unwrap();
    // Only half a command: clamd gives up after CommandReadTimeout.
    conn.write_all(b"zPI").unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut reply = Vec::new();
    std::io::Read::read_to_end(&mut conn, &mut reply).unwrap();
    let mut d = clamd_proto::Decoder::new(Mode::Z, 1024);
    d.handle_input(&reply).unwrap();
    assert!(d.poll_frame().is_none());
    assert!(
        matches!(d.handle_eof(), Err(Error::CommandReadTimedOut)),
        "{reply:?}"
    );

    let err = tcp(&clamd, Mode::Z)
        .scan_stream(Stalling(false))
        .unwrap_err();
    assert!(matches!(err, Error::CommandReadTimedOut), "{err:?}");
}

#[test]
fn unknown_command_is_typed() {
    let clamd = shared();
    let mut conn = std::net::TcpStream::connect(clamd.tcp_addr()).unwrap();
    conn.write_all(b"zEND\0").unwrap();
    let mut reply = Vec::new();
    std::io::Read::read_to_end(&mut conn, &mut reply).unwrap();
    assert_eq!(reply, b"UNKNOWN COMMAND\0");
    assert!(matches!(
        Reply::parse(&clamd_proto::Command::Ping, &reply[..reply.len() - 1], None),
        Err(Error::UnknownCommand)
    ));
}

#[test]
fn allmatchscan_disabled_is_an_error_line() {
    let clamd = Clamd::builder()
        .allow_all_match_scan(false)
        .start()
        .unwrap();
    let r = tcp(&clamd, Mode::Z).allmatchscan(clamd.dir()).unwrap();
    assert!(matches!(r[0].verdict(), Verdict::Error(m) if m.contains("ALLMATCHSCAN")));
    assert_eq!(r[0].path(), clamd.dir());
}

#[test]
fn keepalive_holds_a_session_open_past_the_read_timeout() {
    // clamd closes a session that sends nothing for ReadTimeout, with a
    // `COMMAND READ TIMED OUT` that carries no id.
    let clamd = Clamd::builder()
        .command_read_timeout(1)
        .read_timeout(1)
        .start()
        .unwrap();
    let client = Client::builder(Endpoint::unix(clamd.socket_path()))
        .keepalive(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let mut kept = client.session().unwrap();
    let mut idle = client.session().unwrap();
    kept.ping().unwrap();
    idle.ping().unwrap();
    for _ in 0..10 {
        std::thread::sleep(std::time::Duration::from_millis(300));
        kept.keepalive().unwrap();
    }
    // Three seconds later: clamd closed the idle session, not the kept one.
    kept.ping().unwrap();
    let err = idle.ping().unwrap_err();
    assert!(
        matches!(err, Error::CommandReadTimedOut | Error::Io { .. }),
        "{err:?}"
    );
    kept.end().unwrap();
}

/// A tree that clamd's CONTSCAN walks in name order: `a-infected/` with `infected` EICAR files
/// first, then `b-bulk/` with `bulk` clean files of distinct content (so that clamd's cache of
/// clean files does not skip any).
fn big_tree(clamd: &Clamd, infected: usize, bulk: usize) -> (PathBuf, Vec<PathBuf>) {
    let root = scratch(clamd, "big");
    let first = root.join("a-infected");
    std::fs::create_dir(&first).unwrap();
    let found = (0..infected)
        .map(|i| write(&first, &format!("eicar{i}.com"), EICAR))
        .collect();
    for d in 0..bulk.div_ceil(500) {
        let dir = root.join("b-bulk").join(format!("{d:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in (d * 500)..((d + 1) * 500).min(bulk) {
            write(
                &dir,
                &format!("{f:06}.txt"),
                format!("file {f}\n").as_bytes(),
            );
        }
    }
    (root, found)
}

#[test]
fn contscan_past_its_deadline_keeps_the_infections_found_before_it() {
    // Its own clamd: dropping it at the end stops the scan that outlives the deadline.
    let clamd = Clamd::builder().start().unwrap();
    // clamd took 0.2 to 2.6 ms a file here (measured on an idle and a busy machine): 40,000
    // files take 8 s or more, eight times the deadline. The five infected files come first
    // and take a few milliseconds.
    let (root, infected) = big_tree(&clamd, 5, 40_000);
    let t = std::time::Instant::now();
    let report = clamd_proto::Fleet::builder([Endpoint::from(clamd.tcp_addr())])
        .host_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap()
        .run(&clamd_proto::ScanPlan::paths(ScanMode::ContScan, [&root]));
    assert!(
        t.elapsed() < std::time::Duration::from_secs(30),
        "did not hang"
    );
    let host = &report.hosts[0];
    assert!(
        matches!(
            host.jobs[0].status,
            clamd_proto::JobStatus::Failed(Error::Timeout { .. })
        ),
        "the scan must outlast the deadline: {:?}",
        host.jobs[0].status
    );
    let found: BTreeSet<PathBuf> = host
        .results
        .iter()
        .filter(|r| r.signature() == Some(clamd.eicar_signature()))
        .map(|r| r.path().to_path_buf())
        .collect();
    assert_eq!(found, infected.into_iter().collect(), "{:?}", host.results);
    let s = report.summary();
    assert_eq!((s.infected, s.hosts_failed, s.exit_code()), (5, 1, 1));
}
