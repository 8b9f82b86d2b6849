//! The history on a PostgreSQL server over TLS (Debian's server with `ssl = on` and a
//! certificate made by openssl, from `testbed`): each `sslmode` of the URL, and a wrong CA or
//! host name refused with its typed error before any statement reaches the server.

use clamd_proto::Error;
use clamd_proto::history::{History, Location, NewRun, RunFilter};
use testbed::postgres::{Postgres, USER};
use testbed::stunnel::{Pki, SERVER_NAME};

/// A server that takes TCP connections only over TLS, with its certificates.
fn server() -> (Postgres, Pki) {
    let pki = Pki::generate().expect("making the certificates");
    let pg = Postgres::start_tls(&pki).expect("starting PostgreSQL with ssl = on");
    (pg, pki)
}

/// `postgres://opskit@HOST:PORT/postgres?QUERY`.
fn url(pg: &Postgres, host: &str, query: &str) -> Location {
    Location::parse(format!("postgres://{USER}@{host}:{}/postgres?{query}", pg.port()).as_ref())
}

/// Whether the history's tables exist, asked over the Unix socket (no TLS there).
fn has_tables(pg: &Postgres) -> bool {
    let mut c = postgres::Config::new()
        .host_path(pg.socket_dir())
        .port(pg.port())
        .user(USER)
        .dbname("postgres")
        .connect(postgres::NoTls)
        .expect("connecting over the Unix socket");
    let row = c
        .query_one("SELECT to_regclass('runs') IS NOT NULL", &[])
        .unwrap();
    row.get(0)
}

/// A run written and read back through `location`.
fn round_trip(location: &Location) {
    let h = History::open(location).unwrap_or_else(|e| panic!("{location}: {e}"));
    let id = h
        .start_run(&NewRun::new("web", "fleet.toml").mode("contscan"))
        .unwrap();
    let runs = h.runs(&RunFilter::default().environment("web")).unwrap();
    assert!(runs.iter().any(|r| r.id == id), "{runs:?}");
}

#[test]
fn a_wrong_ca_or_name_is_refused_before_any_statement() {
    let (pg, pki) = server();
    let other = pki.other_ca_cert();
    let other = other.display();
    let ca = pki.ca_cert();
    let ca = ca.display();
    // Signed by another CA: untrusted, whether the name is checked or not.
    for mode in ["verify-full", "verify-ca", "require"] {
        let at = url(
            &pg,
            "127.0.0.1",
            &format!("sslmode={mode}&sslrootcert={other}"),
        );
        match History::open(&at) {
            Err(Error::TlsUntrusted { endpoint, reason }) => {
                assert_eq!(endpoint, at.to_string());
                assert!(reason.contains("UnknownIssuer"), "{reason}");
            }
            other => panic!("{mode}: {other:?}"),
        }
    }
    // The right CA, a name the certificate does not hold (reached at 127.0.0.1 by
    // hostaddr, nothing resolved).
    let at = url(
        &pg,
        "db.other.example",
        &format!("hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}"),
    );
    match History::open(&at) {
        Err(Error::TlsWrongName { name, .. }) => assert_eq!(name, "db.other.example"),
        other => panic!("{other:?}"),
    }
    // Without TLS the server refuses TCP connections: that is not a TLS error.
    let plain = url(&pg, "127.0.0.1", "sslmode=disable");
    match History::open(&plain) {
        Err(Error::History { source, .. }) => {
            assert!(source.to_string().contains("no encryption"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!has_tables(&pg), "a refused connection ran statements");
}

#[test]
fn the_history_works_over_tls_in_each_verifying_mode() {
    let (pg, pki) = server();
    let ca = pki.ca_cert();
    let ca = ca.display();
    // The IP address and the DNS name (by hostaddr) are both in the certificate.
    round_trip(&url(
        &pg,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ));
    round_trip(&url(
        &pg,
        SERVER_NAME,
        &format!("hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}"),
    ));
    // verify-ca takes any name the CA signed.
    round_trip(&url(
        &pg,
        "db.other.example",
        &format!("hostaddr=127.0.0.1&sslmode=verify-ca&sslrootcert={ca}"),
    ));
    // require without a CA encrypts and checks nothing, as libpq.
    round_trip(&url(&pg, "127.0.0.1", "sslmode=require"));
    // prefer takes the TLS the server offers (it refuses TCP without it).
    round_trip(&url(&pg, "127.0.0.1", "sslmode=prefer"));
    assert!(has_tables(&pg));
}

#[test]
fn a_missing_ca_file_is_a_tls_file_error() {
    let at = Location::parse(
        "postgres://opskit@127.0.0.1:1/postgres?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"
            .as_ref(),
    );
    match History::open(&at) {
        Err(Error::TlsFile { path, .. }) => assert_eq!(path.to_str(), Some("/nonexistent/ca.pem")),
        other => panic!("{other:?}"),
    }
}
