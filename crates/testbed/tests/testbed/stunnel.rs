//! The stunnel fixture: it forwards TLS to its target, checks client certificates when asked,
//! and is gone after drop, frozen or not.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use testbed::stunnel::{SERVER_NAME, Stunnel};

/// `openssl s_client` through the tunnel, sending `input`: its standard output and status.
fn s_client(
    tunnel: &Stunnel,
    ca: &Path,
    client: Option<(&Path, &Path)>,
    input: &[u8],
) -> (String, bool) {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-quiet", "-verify_return_error", "-connect"])
        .arg(tunnel.addr().to_string())
        .args(["-verify_hostname", SERVER_NAME, "-CAfile"])
        .arg(ca);
    if let Some((cert, key)) = client {
        cmd.arg("-cert").arg(cert).arg("-key").arg(key);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.success(),
    )
}

/// A plain TCP service that answers the first line it reads with `echo: LINE`.
fn echo() -> std::net::SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut conn = conn;
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let mut buf = [0u8; 64];
            let n = conn.read(&mut buf).unwrap_or(0);
            let _ = conn.write_all(b"echo: ");
            let _ = conn.write_all(&buf[..n]);
        }
    });
    addr
}

#[test]
fn stunnel_forwards_to_its_target_and_is_gone_after_drop() {
    let tunnel = Stunnel::builder(echo()).start().unwrap();
    let (out, ok) = s_client(&tunnel, &tunnel.pki().ca_cert(), None, b"hello\n");
    assert!(ok, "{}", tunnel.log());
    assert_eq!(out, "echo: hello\n");
    // The unrelated CA does not verify the server.
    let (out, ok) = s_client(&tunnel, &tunnel.pki().other_ca_cert(), None, b"hello\n");
    assert!(!ok && out.is_empty(), "{out}");
    let proc = format!("/proc/{}", tunnel.pid());
    let dir = tunnel.dir().to_path_buf();
    drop(tunnel);
    assert!(!Path::new(&proc).exists(), "{proc} is still running");
    assert!(!dir.exists());
}

#[test]
fn a_verifying_stunnel_wants_a_client_certificate_of_its_ca() {
    let tunnel = Stunnel::builder(echo())
        .verify_clients(true)
        .start()
        .unwrap();
    let pki = tunnel.pki();
    let ca = pki.ca_cert();
    let (cert, key) = (pki.client_cert(), pki.client_key());
    let (out, _) = s_client(&tunnel, &ca, Some((&cert, &key)), b"hi\n");
    assert_eq!(out, "echo: hi\n");
    let (out, _) = s_client(&tunnel, &ca, None, b"hi\n");
    assert_eq!(out, "", "answered without a client certificate");
    let (cert, key) = (pki.other_client_cert(), pki.other_client_key());
    let (out, _) = s_client(&tunnel, &ca, Some((&cert, &key)), b"hi\n");
    assert_eq!(out, "", "answered a certificate of another CA");
}

#[test]
fn a_frozen_stunnel_accepts_and_never_answers_and_still_dies_on_drop() {
    let mut tunnel = Stunnel::builder(echo()).start().unwrap();
    tunnel.freeze().unwrap();
    let mut conn = std::net::TcpStream::connect(tunnel.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    conn.write_all(b"\x16\x03\x01\x00\x00").unwrap();
    let mut b = [0u8; 1];
    let err = conn.read(&mut b).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    let proc = format!("/proc/{}", tunnel.pid());
    drop(tunnel);
    assert!(!Path::new(&proc).exists(), "{proc} is still running");
}
