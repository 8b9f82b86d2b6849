//! Tests of the clamd fixture. They talk to clamd with plain std sockets, so that the fixture is
//! checked independently of `clamd-proto`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use testbed::clamd::{Clamd, EICAR, TESTFILES_DIR};

fn command<S: Read + Write>(mut s: S, cmd: &[u8]) -> String {
    s.write_all(cmd).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    String::from_utf8(reply).unwrap()
}

fn tcp(clamd: &Clamd) -> TcpStream {
    let s = TcpStream::connect(clamd.tcp_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn unix(clamd: &Clamd) -> UnixStream {
    let s = UnixStream::connect(clamd.socket_path()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn scan_cmd(path: &Path) -> Vec<u8> {
    let mut c = b"zSCAN ".to_vec();
    c.extend_from_slice(path.as_os_str().as_encoded_bytes());
    c.push(0);
    c
}

#[test]
fn clamd_answers_pong_on_tcp_and_unix() {
    let clamd = Clamd::start().unwrap();
    assert_eq!(command(tcp(&clamd), b"zPING\0"), "PONG\0");
    assert_eq!(command(unix(&clamd), b"nPING\n"), "PONG\n");
    assert!(clamd.socket_path().as_os_str().len() < 108);
    let version = command(tcp(&clamd), b"zVERSION\0");
    assert!(version.starts_with("ClamAV "), "{version}");
}

#[test]
fn clamd_finds_the_eicar_file_under_the_chosen_name() {
    let clamd = Clamd::builder()
        .eicar_signature("Fixture-Eicar")
        .start()
        .unwrap();
    assert_eq!(clamd.eicar_signature(), "Fixture-Eicar.UNOFFICIAL");
    let infected = clamd.dir().join("eicar.txt");
    std::fs::write(&infected, EICAR).unwrap();
    let clean = clamd.dir().join("clean.txt");
    std::fs::write(&clean, b"nothing to see here\n").unwrap();

    let reply = command(tcp(&clamd), &scan_cmd(&infected));
    assert_eq!(
        reply,
        format!("{}: Fixture-Eicar.UNOFFICIAL FOUND\0", infected.display())
    );
    let reply = command(unix(&clamd), &scan_cmd(&clean));
    assert_eq!(reply, format!("{}: OK\0", clean.display()));
}

#[test]
fn clamd_finds_clam_exe_from_the_testfiles() {
    let clam_exe = Path::new(TESTFILES_DIR).join("clam.exe");
    assert!(
        clam_exe.exists(),
        "{} is missing: install Debian's clamav-testfiles",
        clam_exe.display()
    );
    let clamd = Clamd::start().unwrap();
    let reply = command(tcp(&clamd), &scan_cmd(&clam_exe));
    assert_eq!(
        reply,
        format!(
            "{}: ClamAV-Test-File.UNOFFICIAL FOUND\0",
            clam_exe.display()
        )
    );
    assert_eq!(clamd.test_file_signature(), "ClamAV-Test-File.UNOFFICIAL");
}

#[test]
fn stream_max_length_is_applied() {
    let clamd = Clamd::builder().stream_max_length(1000).start().unwrap();
    assert_eq!(clamd.stream_max_length(), Some(1000));
    let mut s = tcp(&clamd);
    s.write_all(b"zINSTREAM\0").unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(&1001u32.to_be_bytes());
    body.extend_from_slice(&[b'a'; 1001]);
    body.extend_from_slice(&0u32.to_be_bytes());
    // clamd may close the socket before it has read all of it.
    let _ = s.write_all(&body);
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    assert_eq!(reply, b"INSTREAM size limit exceeded. ERROR\0");
}

#[test]
fn all_match_scan_can_be_disabled() {
    let clamd = Clamd::builder()
        .allow_all_match_scan(false)
        .start()
        .unwrap();
    let reply = command(tcp(&clamd), &{
        let mut c = b"zALLMATCHSCAN ".to_vec();
        c.extend_from_slice(clamd.dir().as_os_str().as_encoded_bytes());
        c.push(0);
        c
    });
    assert!(reply.contains("ERROR"), "{reply}");
}

#[test]
fn a_fleet_runs_at_once_and_cleans_up_on_drop() {
    let fleet: Vec<Clamd> = (0..3)
        .map(|_| Clamd::builder().max_threads(2).start().unwrap())
        .collect();
    let mut ports: Vec<u16> = fleet.iter().map(|c| c.tcp_addr().port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 3);
    for c in &fleet {
        assert_eq!(command(tcp(c), b"zPING\0"), "PONG\0");
    }
    let dirs: Vec<_> = fleet.iter().map(|c| c.dir().to_path_buf()).collect();
    let addrs: Vec<_> = fleet.iter().map(Clamd::tcp_addr).collect();
    drop(fleet);
    for (dir, addr) in dirs.iter().zip(&addrs) {
        assert!(!dir.exists(), "{} was not removed", dir.display());
        assert!(TcpStream::connect(addr).is_err(), "{addr} still answers");
    }
}

#[test]
fn a_killed_clamd_restarts_at_the_same_addresses() {
    let mut clamd = Clamd::start().unwrap();
    let (addr, socket) = (clamd.tcp_addr(), clamd.socket_path().to_path_buf());
    let first = clamd.pid();
    clamd.kill();
    assert!(!clamd.is_running());
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens while it is down"
    );
    clamd.restart().unwrap();
    assert!(clamd.is_running());
    assert_ne!(clamd.pid(), first);
    assert_eq!(
        (clamd.tcp_addr(), clamd.socket_path()),
        (addr, socket.as_path())
    );
    assert_eq!(command(tcp(&clamd), b"zPING\0"), "PONG\0");
    assert_eq!(command(unix(&clamd), b"zPING\0"), "PONG\0");
    // Restarting a running daemon replaces it.
    let second = clamd.pid();
    clamd.restart().unwrap();
    assert_ne!(clamd.pid(), second);
    assert_eq!(command(tcp(&clamd), b"zPING\0"), "PONG\0");
}

#[test]
fn clamd_is_killed_when_a_test_panics() {
    let mut seen = None;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let clamd = Clamd::start().unwrap();
        seen = Some((clamd.tcp_addr(), clamd.dir().to_path_buf()));
        panic!("deliberate");
    }));
    assert!(result.is_err());
    let (addr, dir) = seen.unwrap();
    assert!(TcpStream::connect(addr).is_err());
    assert!(!dir.exists());
}

#[test]
fn a_missing_clamd_is_a_clear_error() {
    let err = Clamd::builder()
        .clamd_path("/nonexistent/clamd")
        .start()
        .unwrap_err();
    assert!(err.to_string().contains("clamav-daemon"), "{err}");
}
