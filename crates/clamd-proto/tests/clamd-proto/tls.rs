//! TLS through Debian's real stunnel in front of the testbed's clamd: commands and scans in
//! both clients, and the failures that must come before anything reaches clamd (a wrong CA, a
//! wrong name, a missing client certificate, a stalled handshake).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use clamd_proto::{
    Client, ClientBuilder, EICAR, Endpoint, Error, Fleet, ScanMode, ScanPlan, Verdict,
};
use testbed::clamd::Staller;
use testbed::stunnel::{SERVER_NAME, Stunnel};

use crate::{scratch, shared, write};

fn endpoint(addr: SocketAddr, name: Option<&str>) -> Endpoint {
    Endpoint::tls(addr, name).unwrap()
}

fn client(ep: Endpoint, ca: &Path) -> Client {
    Client::builder(ep)
        .tls_ca(ca)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn commands_and_scans_through_stunnel() {
    let clamd = shared();
    let tunnel = Stunnel::builder(clamd.tcp_addr()).start().unwrap();
    let ca = tunnel.pki().ca_cert();
    let plain = Client::new(clamd.tcp_addr());
    // By name, and by the IP address in the certificate.
    for ep in [
        endpoint(tunnel.addr(), Some(SERVER_NAME)),
        endpoint(tunnel.addr(), None),
    ] {
        let c = client(ep, &ca);
        c.ping().unwrap();
        assert_eq!(c.version().unwrap(), plain.version().unwrap());
        assert!(c.version_commands().unwrap().supports("INSTREAM"));
        let found = c.scan_bytes(EICAR).unwrap();
        assert_eq!(
            found.verdict(),
            &Verdict::Found(clamd.eicar_signature().into())
        );
        // Many INSTREAM chunks and TLS records.
        let big = vec![b'a'; 3 << 20];
        assert_eq!(c.scan_bytes(&big).unwrap().verdict(), &Verdict::Clean);
        let dir = scratch(clamd, "tls");
        let bad = write(&dir, "bad", EICAR);
        let lines = c.scan_path(ScanMode::ContScan, &dir).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].path(), bad);
        assert!(c.stream_file(&bad).unwrap().is_infected());
        let mut session = c.session().unwrap();
        let verdicts = session.scan_many(&[&bad, &bad]).unwrap();
        assert_eq!(verdicts.len(), 2);
        session.end().unwrap();
    }
}

#[test]
fn a_fleet_mixes_tls_and_plain_hosts() {
    let clamd = shared();
    let tunnel = Stunnel::builder(clamd.tcp_addr()).start().unwrap();
    let dir = scratch(clamd, "tls-fleet");
    let bad = write(&dir, "bad", EICAR);
    let hosts = [
        endpoint(tunnel.addr(), Some(SERVER_NAME)),
        Endpoint::from(clamd.tcp_addr()),
    ];
    let fleet = Fleet::builder(hosts)
        .tls_ca(tunnel.pki().ca_cert())
        .build()
        .unwrap();
    let report = fleet.run(&ScanPlan::stream([&bad]));
    for h in &report.hosts {
        assert!(h.error.is_none(), "{}: {:?}", h.endpoint, h.error);
        assert_eq!(h.results.len(), 1, "{}", h.endpoint);
        assert!(h.results[0].is_infected());
    }
    assert_eq!(report.summary().infected, 2);
}

#[test]
fn a_wrong_ca_fails_before_anything_reaches_clamd() {
    let backend = Staller::start().unwrap();
    let tunnel = Stunnel::builder(backend.addr()).start().unwrap();
    let c = client(
        endpoint(tunnel.addr(), Some(SERVER_NAME)),
        &tunnel.pki().other_ca_cert(),
    );
    let err = c.ping().unwrap_err();
    assert!(matches!(err, Error::TlsUntrusted { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("not trusted") && text.contains("UnknownIssuer"),
        "{text}"
    );
    assert!(text.contains(&tunnel.addr().to_string()), "{text}");
    assert!(matches!(
        c.scan_bytes(EICAR).unwrap_err(),
        Error::TlsUntrusted { .. }
    ));
    // stunnel forwards only after a handshake: the clamd side saw no connection.
    assert_eq!(backend.accepted(), 0);
    assert!(tunnel.accepted() >= 2, "{}", tunnel.log());
}

#[test]
fn a_wrong_name_fails_before_anything_reaches_clamd() {
    let backend = Staller::start().unwrap();
    let tunnel = Stunnel::builder(backend.addr()).start().unwrap();
    let ca = tunnel.pki().ca_cert();
    for (name, shown) in [
        (Some("other.example"), "other.example"),
        (Some("127.0.0.2"), "127.0.0.2"),
    ] {
        let err = client(endpoint(tunnel.addr(), name), &ca)
            .ping()
            .unwrap_err();
        match &err {
            Error::TlsWrongName { name, reason, .. } => {
                assert_eq!(name, shown);
                // rustls names what the certificate holds.
                assert!(reason.contains(SERVER_NAME), "{reason}");
            }
            other => panic!("{shown}: {other:?}"),
        }
    }
    assert_eq!(backend.accepted(), 0);
}

#[test]
fn a_client_certificate_is_shown_when_stunnel_requires_one() {
    let clamd = shared();
    let tunnel = Stunnel::builder(clamd.tcp_addr())
        .verify_clients(true)
        .start()
        .unwrap();
    let pki = tunnel.pki();
    let ep = endpoint(tunnel.addr(), Some(SERVER_NAME));
    let with = Client::builder(ep.clone())
        .tls_ca(pki.ca_cert())
        .tls_cert(pki.client_cert())
        .tls_key(pki.client_key())
        .build()
        .unwrap();
    with.ping().unwrap();
    assert!(with.scan_bytes(EICAR).unwrap().is_infected());

    let without = client(ep.clone(), &pki.ca_cert());
    let err = without.ping().unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("client certificate"), "{err}");

    let stranger = Client::builder(ep)
        .tls_ca(pki.ca_cert())
        .tls_cert(pki.other_client_cert())
        .tls_key(pki.other_client_key())
        .build()
        .unwrap();
    let err = stranger.ping().unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
}

#[test]
fn a_stalled_handshake_hits_the_connect_timeout() {
    let (backend, _tunnel, c) = frozen_tunnel();
    let t = Instant::now();
    let err = c.ping().unwrap_err();
    stalled(&err, t);
    assert_eq!(backend.accepted(), 0);
}

/// A stunnel stopped with SIGSTOP (the kernel accepts, nobody answers) and a client with a
/// 500 ms connect timeout and a 20 s operation deadline.
fn frozen_tunnel() -> (Staller, Stunnel, Client) {
    let backend = Staller::start().unwrap();
    let mut tunnel = Stunnel::builder(backend.addr()).start().unwrap();
    tunnel.freeze().unwrap();
    let c = Client::builder(endpoint(tunnel.addr(), Some(SERVER_NAME)))
        .tls_ca(tunnel.pki().ca_cert())
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    (backend, tunnel, c)
}

/// The error of a stalled handshake, well before the 20 s operation deadline: the handshake
/// has the connect timeout.
fn stalled(err: &Error, started: Instant) {
    assert!(
        matches!(
            err,
            Error::Timeout {
                op: "TLS handshake",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn tls_needs_settings_and_loadable_files() {
    // No CA: refused before any connect.
    let listener = Staller::start().unwrap();
    let err = Client::new(endpoint(listener.addr(), None))
        .ping()
        .unwrap_err();
    assert!(matches!(err, Error::TlsNotConfigured { .. }), "{err:?}");
    assert!(err.to_string().contains("--tls-ca"), "{err}");
    assert_eq!(listener.accepted(), 0);

    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    for (builder, what) in [
        (ClientBuilder::new().tls_ca(&missing), "CA certificates"),
        (ClientBuilder::new().tls_ca(&junk), "CA certificates"),
        (ClientBuilder::new().tls_ca(dir.path()), "CA certificates"),
    ] {
        match builder.build_config().unwrap_err() {
            Error::TlsFile { what: w, .. } => assert_eq!(w, what),
            other => panic!("{other:?}"),
        }
    }
    let pki = testbed::stunnel::Pki::generate().unwrap();
    let err = ClientBuilder::new()
        .tls_ca(pki.ca_cert())
        .tls_cert(pki.client_cert())
        .tls_key(&junk)
        .build_config()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TlsFile {
                what: "client key",
                ..
            }
        ),
        "{err:?}"
    );
    // A key that is not the certificate's.
    let err = ClientBuilder::new()
        .tls_ca(pki.ca_cert())
        .tls_cert(pki.client_cert())
        .tls_key(pki.other_client_key())
        .build_config()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TlsFile {
                what: "client key",
                ..
            }
        ),
        "{err:?}"
    );
    for b in [
        ClientBuilder::new().tls_cert(pki.client_cert()),
        ClientBuilder::new()
            .tls_ca(pki.ca_cert())
            .tls_key(pki.client_key()),
        ClientBuilder::new()
            .tls_cert(pki.client_cert())
            .tls_key(pki.client_key()),
    ] {
        assert!(matches!(b.build_config().unwrap_err(), Error::Config(_)));
    }
    let config = ClientBuilder::new()
        .tls_ca(pki.ca_cert())
        .build_config()
        .unwrap();
    assert_eq!(config.tls_ca(), Some(pki.ca_cert().as_path()));
}

#[cfg(feature = "tokio")]
mod asynchronous {
    use clamd_proto::AsyncClient;

    use super::*;
    use crate::async_client::rt;

    #[test]
    fn async_commands_and_scans_through_stunnel() {
        let clamd = shared();
        let tunnel = Stunnel::builder(clamd.tcp_addr()).start().unwrap();
        let c = AsyncClient::from(client(
            endpoint(tunnel.addr(), Some(SERVER_NAME)),
            &tunnel.pki().ca_cert(),
        ));
        let dir = scratch(clamd, "tls-async");
        let bad = write(&dir, "bad", EICAR);
        rt().block_on(async {
            c.ping().await.unwrap();
            assert_eq!(c.version().await.unwrap(), c.blocking().version().unwrap());
            assert_eq!(
                c.scan_bytes(EICAR).await.unwrap().verdict(),
                &Verdict::Found(clamd.eicar_signature().into())
            );
            let big = vec![b'a'; 3 << 20];
            assert_eq!(c.scan_bytes(&big).await.unwrap().verdict(), &Verdict::Clean);
            let lines = c.multiscan_file(&dir).await.unwrap();
            assert_eq!(lines.len(), 1);
            assert!(c.stream_file(&bad).await.unwrap().is_infected());
            let mut s = c.session().await.unwrap();
            s.ping().await.unwrap();
            assert!(s.scan_file(&bad).await.unwrap().is_infected());
            s.end().await.unwrap();
        });
    }

    #[test]
    fn async_wrong_ca_name_and_missing_client_certificate() {
        let backend = Staller::start().unwrap();
        let tunnel = Stunnel::builder(backend.addr()).start().unwrap();
        let pki = tunnel.pki();
        let verifying = Stunnel::builder(shared().tcp_addr())
            .verify_clients(true)
            .pki(tunnel.pki_shared())
            .start()
            .unwrap();
        rt().block_on(async {
            let wrong_ca = AsyncClient::from(client(
                endpoint(tunnel.addr(), Some(SERVER_NAME)),
                &pki.other_ca_cert(),
            ));
            let err = wrong_ca.ping().await.unwrap_err();
            assert!(matches!(err, Error::TlsUntrusted { .. }), "{err:?}");
            let wrong_name = AsyncClient::from(client(
                endpoint(tunnel.addr(), Some("other.example")),
                &pki.ca_cert(),
            ));
            let err = wrong_name.ping().await.unwrap_err();
            assert!(matches!(err, Error::TlsWrongName { .. }), "{err:?}");
            let ep = endpoint(verifying.addr(), Some(SERVER_NAME));
            let without = AsyncClient::from(client(ep.clone(), &pki.ca_cert()));
            let err = without.ping().await.unwrap_err();
            assert!(matches!(err, Error::Tls { .. }), "{err:?}");
            let with = AsyncClient::from(
                Client::builder(ep)
                    .tls_ca(pki.ca_cert())
                    .tls_cert(pki.client_cert())
                    .tls_key(pki.client_key())
                    .build()
                    .unwrap(),
            );
            with.ping().await.unwrap();
        });
        assert_eq!(backend.accepted(), 0);
    }

    #[test]
    fn async_stalled_handshake_hits_the_connect_timeout() {
        let (backend, _tunnel, c) = frozen_tunnel();
        let c = AsyncClient::from(c);
        let t = Instant::now();
        let err = rt().block_on(c.ping()).unwrap_err();
        stalled(&err, t);
        assert_eq!(backend.accepted(), 0);
    }
}
