//! Hostile servers: a local listener that misbehaves on purpose. Each case must give a typed
//! error within the deadline and with bounded memory.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use clamd_proto::{Client, Endpoint, Error, ScanMode};

/// Serves one behaviour to every connection: reads the command, then runs `act`.
pub(crate) fn server(act: fn(&mut TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 256];
                let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = conn.read(&mut buf);
                act(&mut conn);
            });
        }
    });
    addr
}

fn client(addr: SocketAddr) -> Client {
    Client::builder(Endpoint::from(addr))
        .timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(1))
        .max_line(4096)
        .build()
        .unwrap()
}

#[test]
fn silent_listener_times_out() {
    let addr = server(|c| {
        std::thread::sleep(Duration::from_secs(30));
        let _ = c.write_all(b"PONG\0");
    });
    let err = client(addr).ping().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let err = client(addr).scan_bytes(b"data").unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn listener_that_never_accepts_times_out_or_refuses() {
    // Bound with a backlog but never accepted: connect succeeds (kernel backlog), then silence.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = client(listener.local_addr().unwrap())
        .version()
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn drip_feeding_server_hits_the_operation_deadline() {
    // One byte every 100 ms never trips a per-read timeout; the operation deadline must.
    let addr = server(|c| {
        for _ in 0..600 {
            if c.write_all(b"x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let err = client(addr).stats().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn truncated_reply() {
    let addr = server(|c| {
        let _ = c.write_all(b"/tmp/x: Eicar FOU");
    });
    assert!(matches!(
        client(addr).scan_file("/tmp/x"),
        Err(Error::Truncated(_))
    ));
    let addr = server(|_| {});
    assert!(matches!(client(addr).ping(), Err(Error::Truncated(_))));
}

#[test]
fn garbage_reply() {
    let addr = server(|c| {
        let _ = c.write_all(b"\xff\xfe\x00garbage\0");
        // Read what the client is still sending (the rest of an INSTREAM) before closing:
        // closing with unread data resets the connection, and the reset can discard the reply
        // before the client reads it.
        let _ = std::io::copy(c, &mut std::io::sink());
    });
    assert!(matches!(
        client(addr).version(),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        client(addr).scan_file("/x"),
        Err(Error::Malformed { .. })
    ));
    let r = client(addr).scan_bytes(b"x");
    assert!(matches!(r, Err(Error::Malformed { .. })), "{r:?}");
}

#[test]
fn ten_megabyte_line_without_terminator() {
    let addr = server(|c| {
        let block = vec![b'A'; 1 << 20];
        for _ in 0..10 {
            if c.write_all(&block).is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    for r in [
        client(addr).stats().map(|_| ()),
        client(addr).scan_file("/x").map(|_| ()),
    ] {
        assert!(
            matches!(r, Err(Error::LineTooLong { limit: 4096 })),
            "{r:?}"
        );
    }
}

#[test]
fn wrong_session_id() {
    let addr = server(|c| {
        // IDSESSION and a PING are read by `server`; answer with an id never issued.
        let _ = c.write_all(b"42: PONG\0");
        std::thread::sleep(Duration::from_secs(30));
    });
    let mut s = client(addr).session().unwrap();
    let err = s.ping().unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedSessionId { id: 42 }),
        "{err:?}"
    );
}

#[test]
fn session_reply_without_id() {
    let addr = server(|c| {
        let _ = c.write_all(b"UNKNOWN COMMAND\0");
    });
    let mut s = client(addr).session().unwrap();
    assert!(matches!(s.ping(), Err(Error::UnknownCommand)));
}

#[test]
fn size_limit_reply_while_the_client_is_still_sending() {
    // The server answers the size-limit error and closes after 1 KiB, like clamd.
    let addr = server(|c| {
        let mut buf = [0u8; 1024];
        let _ = c.read_exact(&mut buf);
        let _ = c.write_all(b"INSTREAM size limit exceeded. ERROR\0");
        let _ = c.shutdown(std::net::Shutdown::Both);
    });
    let data = vec![0u8; 32 << 20];
    let err = client(addr).scan_bytes(&data).unwrap_err();
    assert!(matches!(err, Error::SizeLimitExceeded { .. }), "{err:?}");
}

#[test]
fn refused_connection_is_a_connect_error() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    assert!(matches!(client(addr).ping(), Err(Error::Connect { .. })));
    let unix = Client::new(Endpoint::unix("/nonexistent/clamd.sock"));
    assert!(matches!(unix.ping(), Err(Error::Connect { .. })));
}

#[test]
fn a_well_behaved_server_works_with_the_same_client() {
    // The control case: the helper and the client settings are not what fails above.
    let addr = server(|c| {
        let _ = c.write_all(b"PONG\0");
    });
    client(addr).ping().unwrap();
}

#[test]
fn truncated_and_garbage_session_replies() {
    let addr = server(|c| {
        let _ = c.write_all(b"1: PON");
    });
    let mut s = client(addr).session().unwrap();
    let err = s.ping().unwrap_err();
    assert!(matches!(err, Error::Truncated(_)), "{err:?}");

    let addr = server(|c| {
        let _ = c.write_all(b"\x01\x02 garbage\0");
        std::thread::sleep(Duration::from_secs(30));
    });
    let mut s = client(addr).session().unwrap();
    let err = s.ping().unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");

    let addr = server(|c| {
        let block = vec![b'7'; 1 << 20];
        for _ in 0..10 {
            if c.write_all(&block).is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let mut s = client(addr).session().unwrap();
    let err = s.ping().unwrap_err();
    assert!(matches!(err, Error::LineTooLong { limit: 4096 }), "{err:?}");
}

#[test]
fn verdict_for_another_path_is_a_protocol_error() {
    // A lying clamd: every path scan is answered "clean" for some other file.
    let addr = server(|c| {
        let _ = c.write_all(b"/etc/other: OK\0");
    });
    let err = client(addr).scan_file("/tmp/asked").unwrap_err();
    assert!(matches!(err, Error::PathMismatch { .. }), "{err:?}");
    let err = client(addr).contscan_file("/tmp/asked").unwrap_err();
    assert!(matches!(err, Error::PathMismatch { .. }), "{err:?}");
    // A sibling that only shares the prefix is another path too.
    let addr = server(|c| {
        let _ = c.write_all(b"/tmp/asked-not: Eicar FOUND\0");
    });
    let err = client(addr).scan_file("/tmp/asked").unwrap_err();
    assert!(matches!(err, Error::PathMismatch { .. }), "{err:?}");
}

#[test]
fn stream_ok_to_a_path_scan_is_a_protocol_error() {
    let addr = server(|c| {
        let _ = c.write_all(b"stream: OK\0");
    });
    let err = client(addr).scan_file("/tmp/asked").unwrap_err();
    assert!(matches!(err, Error::PathMismatch { .. }), "{err:?}");
    let err = client(addr).multiscan_file("/tmp/asked").unwrap_err();
    assert!(matches!(err, Error::PathMismatch { .. }), "{err:?}");
}

#[test]
fn verdicts_for_the_path_or_under_it_are_accepted() {
    let addr = server(|c| {
        let _ = c.write_all(b"/tmp/asked/sub/f: Eicar FOUND\0/tmp/asked: OK\0");
    });
    let r = client(addr).contscan_file("/tmp/asked/").unwrap();
    assert_eq!(r.len(), 2, "{r:?}");
}

/// Scans `/tmp/asked` on `addr` with CONTSCAN through the blocking client and (with the
/// `tokio` feature) the async one; both must keep the one FOUND line clamd sent before the
/// failure, and give an error that `is_expected` accepts.
fn found_line_is_kept_by_both_clients(addr: SocketAddr, is_expected: fn(&Error) -> bool) {
    let check = |client: &str, (results, err): (Vec<clamd_proto::ScanResult>, Option<Error>)| {
        assert_eq!(results.len(), 1, "{client}: {results:?} {err:?}");
        assert!(results[0].is_infected(), "{client}: {results:?}");
        assert_eq!(results[0].path(), std::path::Path::new("/tmp/asked/a"));
        assert!(err.as_ref().is_some_and(is_expected), "{client}: {err:?}");
    };
    check(
        "blocking",
        client(addr).scan_path_partial(ScanMode::ContScan, "/tmp/asked"),
    );
    #[cfg(feature = "tokio")]
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let c = clamd_proto::AsyncClient::from(client(addr));
        check(
            "async",
            rt.block_on(c.scan_path_partial(ScanMode::ContScan, "/tmp/asked")),
        );
    }
}

const FOUND: &[u8] = b"/tmp/asked/a: Eicar FOUND\0";

#[test]
fn results_before_a_stall_are_kept_with_the_error() {
    let addr = server(|c| {
        let _ = c.write_all(FOUND);
        std::thread::sleep(Duration::from_secs(30));
    });
    found_line_is_kept_by_both_clients(addr, Error::is_timeout);
}

#[test]
fn results_before_a_reset_are_kept_with_the_error() {
    let addr = server(|c| {
        let _ = c.write_all(FOUND);
        // Let the line reach the client first: a reset discards what it has not read yet.
        std::thread::sleep(Duration::from_millis(300));
        // Linger 0: close sends RST instead of FIN.
        let _ = socket2::SockRef::from(&*c).set_linger(Some(Duration::ZERO));
    });
    found_line_is_kept_by_both_clients(
        addr,
        |e| matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::ConnectionReset),
    );
}

#[test]
fn results_before_a_garbled_line_are_kept_with_the_error() {
    let addr = server(|c| {
        let _ = c.write_all(&[FOUND, b"\xff\xfe not a scan line\0"].concat());
        std::thread::sleep(Duration::from_secs(30));
    });
    found_line_is_kept_by_both_clients(addr, |e| matches!(e, Error::Malformed { .. }));
}

#[test]
fn results_before_a_line_cut_by_the_close_are_kept_with_the_error() {
    let addr = server(|c| {
        let _ = c.write_all(&[FOUND, b"/tmp/asked/b: Eic"].concat());
    });
    found_line_is_kept_by_both_clients(addr, |e| matches!(e, Error::Truncated(_)));
}
