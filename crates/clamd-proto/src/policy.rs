//! Scan policies: one TOML file describing, for each business environment, the hosts, the
//! scan mode, the paths and the schedule, as the recipe's management host keeps them
//! (feature `policy`).
//!
//! ```toml
//! [env.web]
//! hosts = ["10.0.0.21:3310", "unix:/run/clamav/clamd.ctl", "tls://10.0.0.23:3311#scan1.example"]
//! mode = "multiscan"            # scan | contscan | multiscan | allmatch | stream | fdpass
//! paths = ["/data/www"]
//! exclude = ["*.log", "/data/www/cache/**"]
//! reload = true                 # RELOAD before scanning, as the recipe does
//! timeout = "10m"               # per host
//! concurrency = 8
//! every = "6h"                  # or: cron = "0 3 * * *"
//! max_db_age = "2d"             # warn when a host's signatures are older
//! tls_ca = "/etc/opskit/scan-ca.pem"   # the CA that signs stunnel's certificates
//! ```
//!
//! # Keys
//!
//! The file holds only `[env.NAME]` tables (NAME: letters, digits, `-`, `_`). Each takes:
//!
//! | key | required | default | meaning |
//! |---|---|---|---|
//! | `hosts` | yes | | clamd addresses: `HOST:PORT`, `HOST` (port 3310), `[V6]:PORT`, `unix:PATH` or an absolute socket path, `tls://IP:PORT#NAME` (clamd behind stunnel; an IP address, never a host name, since names are not resolved for TLS; `NAME` is what the certificate must be valid for, the IP address when left out). Each at most once. |
//! | `mode` | no | `contscan` | `scan` (stops at the first infected file), `contscan`, `multiscan` (clamd's threads in parallel), `allmatch` (every matching signature), `stream` (local files sent by INSTREAM), `fdpass` (local files passed by descriptor; Unix sockets only). |
//! | `paths` | yes | | absolute paths: on the hosts for path scans, on this host for `stream` and `fdpass`. |
//! | `exclude` | no | none | glob patterns ([`Exclude`]): a pattern without `/` matches file names (`*.log`), one with `/` whole paths (`/data/www/cache/**`). `stream`/`fdpass` walks leave matches out (an excluded directory is not walked); for path scans, which clamd walks itself, a named path that matches is not sent and result lines that match are not reported. Every exclusion is listed in the report's `skipped` with the reason `excluded`. |
//! | `reload` | no | `false` | RELOAD each host's database before its scan. |
//! | `timeout` | no | `10m` | each host's deadline, from its first connection ([`FleetBuilder::host_timeout`](crate::FleetBuilder::host_timeout)). |
//! | `concurrency` | no | 8 | connections open at once, over the environment's hosts and to each (1 to 1024). |
//! | `every` | no | | run at start, then at this interval (daemon only; [`Schedule`]). |
//! | `cron` | no | | run at these times, UTC, in the cron subset of [`Schedule`] (daemon only). Not with `every`. |
//! | `max_db_age` | no | none | warn for each host whose signatures (VERSION's database date) are older, or undated. |
//! | `tls_ca` | for `tls://` hosts | none | absolute path of the PEM file of the CA that signs the `tls://` hosts' certificates (at most 1 MiB). Read when the environment runs; a `tls://` host without it fails, before any connect. Needs the `tls` feature. |
//! | `tls_cert` | no | none | absolute path of the PEM client certificate shown to hosts that ask for one (stunnel's `verify = 2`); with `tls_key` and `tls_ca`. |
//! | `tls_key` | no | none | absolute path of the client certificate's PEM private key; with `tls_cert`. |
//!
//! Spans are numbers with units `s`, `m`, `h`, `d`, `w`, or several (`1h30m`); a bare
//! number is refused. Every mistake is a [`PolicyError`] with its line and column: TOML
//! syntax, an unknown key (refused, so that a typo such as `exlude` never silently does
//! nothing), a missing or mistyped key, a bad address, span, pattern or cron expression.
//! A policy holds at most 10,000 environments, and each at most 10,000 hosts, paths and
//! patterns.
//!
//! # Example
//!
//! ```
//! use clamd_proto::policy::{Policy, PolicyMode};
//!
//! let policy = Policy::parse(r#"
//! [env.web]
//! hosts = ["127.0.0.1:3310"]
//! mode = "multiscan"
//! paths = ["/data/www"]
//! every = "6h"
//! "#)?;
//! let web = policy.environment("web").unwrap();
//! assert_eq!(web.mode, PolicyMode::MultiScan);
//!
//! let err = Policy::parse("[env.web]\nhosts = [\"h\"]\npaths = [\"/a\"]\nexlude = []\n")
//!     .unwrap_err();
//! assert_eq!(err.line, 4);
//! assert!(err.message.contains("exlude"), "{err}");
//! # Ok::<(), clamd_proto::PolicyError>(())
//! ```

mod env;
mod file;
mod schedule;
mod span;

use std::path::Path;

pub use env::{DEFAULT_POLICY_CONCURRENCY, DbWarning, EnvReport, Environment, Exclude, PolicyMode};
pub use schedule::{Cron, Schedule};

use crate::error::PolicyError;
use crate::{Error, Result};

/// The largest policy file read: 16 MiB.
pub const MAX_POLICY_BYTES: u64 = 16 << 20;

/// A checked policy: its environments, in name order.
#[derive(Debug, Clone)]
pub struct Policy {
    envs: Vec<Environment>,
}

impl Policy {
    /// Parses policy text (errors name it `<policy>`).
    ///
    /// # Errors
    ///
    /// The first mistake, with its line and column.
    pub fn parse(text: &str) -> std::result::Result<Self, PolicyError> {
        Self::parse_named("<policy>", text)
    }

    /// Parses policy text; errors name it `origin` (e.g. its file name).
    ///
    /// # Errors
    ///
    /// The first mistake, with its line and column.
    pub fn parse_named(origin: &str, text: &str) -> std::result::Result<Self, PolicyError> {
        Ok(Self {
            envs: file::parse(origin, text)?,
        })
    }

    /// Reads and parses a policy file.
    ///
    /// # Errors
    ///
    /// [`Error::PolicyRead`] when the file cannot be read, is not UTF-8 or is larger than
    /// [`MAX_POLICY_BYTES`]; [`Error::Policy`] for a mistake in it.
    pub fn load(path: &Path) -> Result<Self> {
        let read_err = |source| Error::PolicyRead {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(read_err(std::io::Error::other(format!(
                "larger than {MAX_POLICY_BYTES} bytes"
            ))));
        }
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        Ok(Self::parse_named(&path.display().to_string(), &text)?)
    }

    /// The environments, in name order.
    pub fn environments(&self) -> &[Environment] {
        &self.envs
    }

    /// The environment of this name.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.envs.iter().find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Endpoint;

    const ISSUE: &str = r#"
[env.web]
hosts = ["10.0.0.21:3310", "unix:/run/clamav/clamd.ctl", "tls://10.0.0.23:3311#scan1.example"]
mode = "multiscan"            # scan | contscan | multiscan | allmatch | stream | fdpass
paths = ["/data/www"]
exclude = ["*.log", "/data/www/cache/**"]
reload = true                 # RELOAD before scanning, as the recipe does
timeout = "10m"               # per host
concurrency = 8
every = "6h"                  # or: cron = "0 3 * * *"
max_db_age = "2d"             # warn when a host's signatures are older

[env.db]
hosts = ["10.0.0.31"]
paths = ["/var/lib/mysql-files"]
cron = "0 3 * * *"
"#;

    #[test]
    fn the_issue_policy_parses() {
        let p = Policy::parse(ISSUE).unwrap();
        let names: Vec<&str> = p.environments().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["db", "web"]);
        let web = p.environment("web").unwrap();
        assert_eq!(
            web.hosts,
            [
                Endpoint::tcp("10.0.0.21", 3310),
                Endpoint::unix("/run/clamav/clamd.ctl"),
                "tls://10.0.0.23:3311#scan1.example".parse().unwrap(),
            ]
        );
        assert_eq!(web.mode, PolicyMode::MultiScan);
        assert_eq!(web.paths, [Path::new("/data/www")]);
        assert_eq!(web.exclude.patterns(), ["*.log", "/data/www/cache/**"]);
        assert!(web.reload);
        assert_eq!(web.timeout, Duration::from_secs(600));
        assert_eq!(web.concurrency, 8);
        assert_eq!(
            web.schedule,
            Some(Schedule::Every(Duration::from_secs(6 * 3600)))
        );
        assert_eq!(web.max_db_age, Some(Duration::from_secs(2 * 86_400)));
        let db = p.environment("db").unwrap();
        // The defaults.
        assert_eq!(db.mode, PolicyMode::ContScan);
        assert!(!db.reload);
        assert_eq!(db.timeout, crate::DEFAULT_HOST_TIMEOUT);
        assert_eq!(db.concurrency, DEFAULT_POLICY_CONCURRENCY);
        assert_eq!(db.max_db_age, None);
        assert!(matches!(&db.schedule, Some(Schedule::Cron(c)) if c.as_str() == "0 3 * * *"));
    }

    /// Each broken policy, the line and column of its error, and words the message has.
    #[test]
    fn every_mistake_names_its_line() {
        let env = "[env.web]\nhosts = [\"127.0.0.1\"]\npaths = [\"/a\"]\n";
        let cases: &[(String, usize, usize, &str)] = &[
            (
                format!("{env}exlude = [\"*.log\"]\n"),
                4,
                1,
                "unknown field `exlude`",
            ),
            (
                format!("{env}mode = \"fastscan\"\n"),
                4,
                8,
                "unknown mode \"fastscan\"",
            ),
            (format!("{env}timeout = \"10\"\n"), 4, 11, "no unit"),
            (format!("{env}timeout = 10\n"), 4, 11, "invalid type"),
            (format!("{env}concurrency = 0\n"), 4, 15, "1..=1024"),
            (
                format!("{env}every = \"6h\"\ncron = \"0 3 * * *\"\n"),
                5,
                8,
                "not both",
            ),
            (format!("{env}cron = \"0 25 * * *\"\n"), 4, 8, "hour"),
            (
                format!("{env}max_db_age = \"2days\"\n"),
                4,
                14,
                "unknown unit",
            ),
            (
                format!("{env}exclude = [\"[a-\"]\n"),
                4,
                12,
                "exclude pattern",
            ),
            (format!("{env}reload = \"yes\"\n"), 4, 10, "invalid type"),
            (
                "[env.web]\nhosts = [\"h:99999\"]\npaths = [\"/a\"]\n".into(),
                2,
                10,
                "port",
            ),
            (
                "[env.web]\nhosts = []\npaths = [\"/a\"]\n".into(),
                2,
                9,
                "`hosts` is empty",
            ),
            (
                "[env.web]\nhosts = [\"h\", \"h:3310\"]\npaths = [\"/a\"]\n".into(),
                2,
                15,
                "twice",
            ),
            (
                "[env.web]\nhosts = [\"h\"]\npaths = [\"data\"]\n".into(),
                3,
                10,
                "relative",
            ),
            (
                "[env.web]\nhosts = [\"h\"]\n".into(),
                1,
                1,
                "missing field `paths`",
            ),
            (
                "[env.\"a b\"]\nhosts = [\"h\"]\npaths = [\"/a\"]\n".into(),
                1,
                1,
                "environment name",
            ),
            ("[envs.web]\n".into(), 1, 2, "unknown field `envs`"),
            (String::new(), 1, 1, "no environment"),
            ("[env.web\n".into(), 1, 9, ""),
        ];
        for (text, line, column, says) in cases {
            let err = Policy::parse(text).unwrap_err();
            assert!(err.message.contains(says), "{text}: {err}");
            assert_eq!((err.line, err.column), (*line, *column), "{text}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("<policy>:{line}:{column}: "))
            );
        }
    }

    #[test]
    fn tls_files_are_absolute_paired_and_checked_by_key() {
        let env = "[env.web]\nhosts = [\"tls://127.0.0.1:3311#scan1.example\"]\npaths = [\"/a\"]\n";
        let cases: &[(String, usize, usize, &str)] = &[
            (
                format!("{env}tls_ca = \"ca.pem\"\n"),
                4,
                10,
                "not an absolute path",
            ),
            (
                format!("{env}tls_ca = \"/ca.pem\"\ntls_cert = \"/c.pem\"\n"),
                5,
                12,
                "`tls_cert` needs its `tls_key`",
            ),
            (
                format!("{env}tls_ca = \"/ca.pem\"\ntls_key = \"/c.key\"\n"),
                5,
                11,
                "`tls_key` needs its `tls_cert`",
            ),
            (
                format!("{env}tls_cert = \"/c.pem\"\ntls_key = \"/c.key\"\n"),
                4,
                12,
                "needs a `tls_ca`",
            ),
            (
                format!("{env}tls_cafile = \"/ca.pem\"\n"),
                4,
                1,
                "unknown field `tls_cafile`",
            ),
            (
                "[env.web]\nhosts = [\"tls://scan1.example:3311\"]\npaths = [\"/a\"]\n".into(),
                2,
                10,
                "not the host name",
            ),
        ];
        for (text, line, column, says) in cases {
            let err = Policy::parse(text).unwrap_err();
            if cfg!(feature = "tls") || !text.contains("tls_") || text.contains("tls_cafile") {
                assert!(err.message.contains(says), "{text}: {err}");
                assert_eq!((err.line, err.column), (*line, *column), "{text}: {err}");
            } else {
                assert!(err.message.contains("no TLS support"), "{text}: {err}");
            }
        }
        let full = format!(
            "{env}tls_ca = \"/etc/opskit/ca.pem\"\ntls_cert = \"/etc/opskit/c.pem\"\n\
             tls_key = \"/etc/opskit/c.key\"\n"
        );
        match (Policy::parse(&full), cfg!(feature = "tls")) {
            (Ok(p), true) => {
                let web = p.environment("web").unwrap();
                assert_eq!(web.tls_ca.as_deref(), Some(Path::new("/etc/opskit/ca.pem")));
                assert_eq!(
                    web.tls_cert.as_deref(),
                    Some(Path::new("/etc/opskit/c.pem"))
                );
                assert_eq!(web.tls_key.as_deref(), Some(Path::new("/etc/opskit/c.key")));
            }
            (Err(e), false) => assert_eq!((e.line, e.column), (4, 10), "{e}"),
            (r, tls) => panic!("with the tls feature {tls}: {r:?}"),
        }
    }

    /// The TLS files are read when the environment's fleet is built, and a missing one is an
    /// error of that environment.
    #[cfg(feature = "tls")]
    #[test]
    fn the_fleet_reads_the_tls_files() {
        let p = Policy::parse(
            "[env.web]\nhosts = [\"tls://127.0.0.1:3311\"]\npaths = [\"/a\"]\n\
             tls_ca = \"/nonexistent/ca.pem\"\n",
        )
        .unwrap();
        let err = p.environments()[0].fleet_builder().build().unwrap_err();
        assert!(
            matches!(&err, Error::TlsFile { what: "CA certificates", path, .. }
                if path == Path::new("/nonexistent/ca.pem")),
            "{err}"
        );
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("fleet.toml");
        std::fs::write(&f, "[env.x]\nhosts = [\"h\"]\npaths = [\"/a\"]\nmode = 1\n").unwrap();
        let err = Policy::load(&f).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{}:4:", f.display())),
            "{err}"
        );
        let err = Policy::load(&dir.path().join("none.toml")).unwrap_err();
        assert!(matches!(err, Error::PolicyRead { .. }), "{err}");
    }
}
