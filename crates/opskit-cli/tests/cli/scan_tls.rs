//! `opskit scan` over TLS, through Debian's stunnel in front of a private clamd.

use std::path::{Path, PathBuf};
use std::process::Output;

use testbed::clamd::{Clamd, EICAR, Staller};
use testbed::stunnel::{SERVER_NAME, Stunnel};

use crate::scan::{opskit, s};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory clamd can read, with one infected and one clean file.
fn infected_dir(clamd: &Clamd) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix("cli-tls")
        .tempdir_in(clamd.dir())
        .unwrap()
        .keep();
    std::fs::write(dir.join("eicar.com"), EICAR).unwrap();
    std::fs::write(dir.join("ok.txt"), b"fine").unwrap();
    dir
}

#[test]
fn scan_through_stunnel_finds_the_test_signature() {
    let clamd = Clamd::start().unwrap();
    let tunnel = Stunnel::builder(clamd.tcp_addr()).start().unwrap();
    let dir = infected_dir(&clamd);
    let host = format!("tls://{}#{SERVER_NAME}", tunnel.addr());
    let ca = tunnel.pki().ca_cert();
    let found = format!(
        "{}: {} FOUND",
        dir.join("eicar.com").display(),
        clamd.eicar_signature()
    );
    // A path scan read by clamd, and the same files streamed over TLS.
    for mode in ["--mode=contscan", "--stream"] {
        let out = opskit(&[
            s("--host"),
            s(&host),
            s("--tls-ca"),
            ca.as_os_str(),
            s(mode),
            dir.as_os_str(),
        ]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {t}");
        assert!(t.contains(&found), "{mode}: {t}");
        assert!(t.contains("Infected files: 1"), "{mode}: {t}");
    }
    let out = opskit(&[
        s("--host"),
        s(&host),
        s("--tls-ca"),
        ca.as_os_str(),
        s("--json"),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hosts"][0]["host"], host.as_str());
    assert_eq!(v["hosts"][0]["state"], "done");
    assert_eq!(v["summary"]["infected"], 1);
}

#[test]
fn a_wrong_ca_or_name_fails_the_host_before_clamd_sees_anything() {
    let backend = Staller::start().unwrap();
    let tunnel = Stunnel::builder(backend.addr()).start().unwrap();
    let pki = tunnel.pki();
    let cases = [
        (
            format!("tls://{}#{SERVER_NAME}", tunnel.addr()),
            pki.other_ca_cert(),
            "certificate is not trusted",
        ),
        (
            format!("tls://{}#other.example", tunnel.addr()),
            pki.ca_cert(),
            "not valid for other.example",
        ),
    ];
    for (host, ca, says) in cases {
        let out = opskit(&[
            s("--host"),
            s(&host),
            s("--tls-ca"),
            ca.as_os_str(),
            s("/srv"),
        ]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(t.contains(&format!("{host} connection [FAILED]")), "{t}");
        assert!(t.contains(says), "{t}");
        assert!(t.contains("Hosts: 1 (1 failed, 0 not scanned)"), "{t}");
    }
    assert_eq!(backend.accepted(), 0);
}

#[test]
fn host_names_and_missing_files_are_usage_errors() {
    let out = opskit(&[s("--host"), s("tls://scan1.example:3311"), s("/srv")]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("tls://IP:PORT#scan1.example"), "{t}");

    let missing = Path::new("/nonexistent/ca.pem");
    let out = opskit(&[
        s("--host"),
        s("tls://127.0.0.1:1"),
        s("--tls-ca"),
        missing.as_os_str(),
        s("/srv"),
    ]);
    let t = text(&out);
    assert_ne!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("loading the TLS CA certificates from /nonexistent/ca.pem"),
        "{t}"
    );
    // A client certificate needs its key.
    let out = opskit(&[
        s("--host"),
        s("tls://127.0.0.1:1"),
        s("--tls-ca"),
        missing.as_os_str(),
        s("--tls-cert"),
        missing.as_os_str(),
        s("/srv"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--tls-key"), "{}", text(&out));
}

#[test]
fn a_policy_gives_each_environment_its_tls_files() {
    let clamd = Clamd::start().unwrap();
    let tunnel = Stunnel::builder(clamd.tcp_addr())
        .verify_clients(true)
        .start()
        .unwrap();
    let pki = tunnel.pki();
    let dir = infected_dir(&clamd);
    let policy = clamd.dir().join("tls.toml");
    let host = format!("tls://{}#{SERVER_NAME}", tunnel.addr());
    std::fs::write(
        &policy,
        format!(
            r#"
[env.certified]
hosts = ["{host}"]
paths = ["{d}"]
tls_ca = "{ca}"
tls_cert = "{cert}"
tls_key = "{key}"

[env.anonymous]
hosts = ["{host}"]
paths = ["{d}"]
tls_ca = "{ca}"
"#,
            d = dir.display(),
            ca = pki.ca_cert().display(),
            cert = pki.client_cert().display(),
            key = pki.client_key().display(),
        ),
    )
    .unwrap();
    let out = opskit(&[
        s("--policy"),
        policy.as_os_str(),
        s("--env"),
        s("certified"),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("eicar.com: "), "{t}");
    // stunnel refuses the environment that shows no client certificate.
    let out = opskit(&[
        s("--policy"),
        policy.as_os_str(),
        s("--env"),
        s("anonymous"),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains(&format!("{host} connection [FAILED]")), "{t}");
    assert!(t.contains("client certificate"), "{t}");
}

#[test]
fn help_lists_the_tls_flags() {
    let out = opskit(&[s("--help")]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--tls-ca <FILE>",
        "--tls-cert <FILE>",
        "--tls-key <FILE>",
        "tls://IP:PORT#NAME",
    ] {
        assert!(help.contains(flag), "{flag}:\n{help}");
    }
}
