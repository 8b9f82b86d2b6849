//! Integration tests of `clamd-proto`: against a real private clamd from the testbed, against
//! hostile local listeners (a test double, since no real server misbehaves on demand),
//! property tests of the sans-IO core, the local walk on real trees as `nobody`, and TLS
//! through Debian's stunnel in front of the private clamd, and the history's leases on SQLite
//! and a real PostgreSQL server.

mod accounting;
#[cfg(feature = "tokio")]
mod async_client;
mod deadlines;
mod fleet;
#[cfg(feature = "history-postgres")]
mod history_tls;
mod hostile;
#[cfg(feature = "history-postgres")]
mod lease;
mod pool;
mod props;
mod real;
#[cfg(feature = "tls")]
mod tls;
mod walk;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clamd_proto::{Client, Endpoint, Mode};
use testbed::clamd::Clamd;

/// One clamd shared by the tests that do not change its state.
pub(crate) fn shared() -> &'static Clamd {
    static CLAMD: OnceLock<Clamd> = OnceLock::new();
    CLAMD.get_or_init(|| {
        Clamd::builder()
            .max_threads(4)
            .start()
            .expect("starting the private clamd")
    })
}

pub(crate) fn tcp(clamd: &Clamd, mode: Mode) -> Client {
    Client::builder(Endpoint::from(clamd.tcp_addr()))
        .mode(mode)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

pub(crate) fn unix(clamd: &Clamd, mode: Mode) -> Client {
    Client::builder(Endpoint::unix(clamd.socket_path()))
        .mode(mode)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A fresh directory inside the clamd's temp dir (readable by clamd).
pub(crate) fn scratch(clamd: &Clamd, name: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(clamd.dir())
        .unwrap()
        .keep()
}

pub(crate) fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}
