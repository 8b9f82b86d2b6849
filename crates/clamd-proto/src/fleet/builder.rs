//! The settings of a [`Fleet`], checked once by [`FleetBuilder::build`].

use std::time::Duration;

use super::Fleet;
use crate::blocking::Client;
use crate::blocking::{ClientBuilder, ClientConfig, check_span};
use crate::endpoint::Endpoint;
use crate::{Error, Result};

/// The default number of connections open at once over the whole fleet.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The default number of connections open at once to one host.
pub const DEFAULT_PER_HOST: usize = 4;

/// The default deadline of one host: 10 minutes from its first connection permit.
pub const DEFAULT_HOST_TIMEOUT: Duration = Duration::from_secs(600);

/// Builder of a [`Fleet`]. Every setting has a default; [`build`](Self::build) refuses a zero
/// count or span instead of quietly changing it.
#[derive(Debug, Clone)]
#[must_use]
pub struct FleetBuilder {
    hosts: Vec<Endpoint>,
    client: ClientConfig,
    max_results: Option<usize>,
    max_result_bytes: Option<usize>,
    concurrency: usize,
    per_host: usize,
    host_timeout: Duration,
    connect_timeout: Option<Duration>,
    deadline: Option<Duration>,
    #[cfg(feature = "tls")]
    tls: crate::blocking::TlsFiles,
}

impl FleetBuilder {
    pub(super) fn new(hosts: Vec<Endpoint>) -> Self {
        Self {
            hosts,
            client: ClientConfig::default(),
            max_results: None,
            max_result_bytes: None,
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
            host_timeout: DEFAULT_HOST_TIMEOUT,
            connect_timeout: None,
            deadline: None,
            #[cfg(feature = "tls")]
            tls: crate::blocking::TlsFiles::default(),
        }
    }

    /// Client settings for every host, from [`ClientBuilder::build_config`]: mode, result caps
    /// (each host's cap over all its jobs), line limit, chunk size. They hold no endpoint: each
    /// host's client gets its own. Each operation's timeout is what is left of its host's
    /// deadline; the fleet's own [`max_results`](Self::max_results),
    /// [`max_result_bytes`](Self::max_result_bytes) and
    /// [`connect_timeout`](Self::connect_timeout) replace the settings' when set.
    pub fn client(mut self, config: ClientConfig) -> Self {
        self.client = config;
        self
    }

    /// The most result lines one host keeps over all its jobs (default
    /// [`DEFAULT_MAX_RESULTS`](crate::DEFAULT_MAX_RESULTS), 1,000,000). Past it the host's scan
    /// ends with [`Error::TooManyResults`]; its results so far are kept and its remaining jobs
    /// are skipped ([`SkipReason::ResultLimit`](crate::SkipReason::ResultLimit)).
    pub fn max_results(mut self, lines: usize) -> Self {
        self.max_results = Some(lines);
        self
    }

    /// The byte budget of the results one host keeps over all its jobs, as counted by
    /// [`ScanResult::footprint`](crate::ScanResult::footprint) (default
    /// [`DEFAULT_MAX_RESULT_BYTES`](crate::DEFAULT_MAX_RESULT_BYTES), 64 MiB). Past it the
    /// host's scan ends with [`Error::ResultBytesExceeded`]; its results so far are kept.
    pub fn max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = Some(bytes);
        self
    }

    /// The most connections open at once over the whole fleet (default
    /// [`DEFAULT_CONCURRENCY`], 16; at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// The most connections open at once to one host (default [`DEFAULT_PER_HOST`], 4; at
    /// least 1). A host's first connection waits for a fleet permit; its further ones only
    /// take permits that are free, so a host never waits behind others once it has started.
    pub fn per_host(mut self, n: usize) -> Self {
        self.per_host = n;
        self
    }

    /// Each host's deadline (default [`DEFAULT_HOST_TIMEOUT`], 10 minutes; at most
    /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), 100 days), from the moment it
    /// obtains its first connection permit: time spent waiting for a permit behind other
    /// hosts does not count. A job not started by then is skipped
    /// ([`SkipReason::HostDeadline`](crate::SkipReason::HostDeadline)) and never connects.
    pub fn host_timeout(mut self, timeout: Duration) -> Self {
        self.host_timeout = timeout;
        self
    }

    /// How long one connect may take (default the client's,
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT), 5 s), never longer than
    /// what is left of the host's deadline.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// A deadline for the whole run, from [`Fleet::run`] (default none; at most
    /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), 100 days). A host that has not
    /// obtained a connection permit by then is never contacted and is reported as not scanned
    /// ([`SkipReason::RunDeadline`](crate::SkipReason::RunDeadline)); a started host's deadline
    /// is cut to it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The CA file that every `tls://` host's certificate must be signed by, replacing the
    /// client settings' ([`ClientBuilder::tls_ca`]); read by [`build`](Self::build).
    #[cfg(feature = "tls")]
    pub fn tls_ca(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.tls.ca = Some(path.into());
        self
    }

    /// The client certificate shown to `tls://` hosts that ask for one
    /// ([`ClientBuilder::tls_cert`]); needs [`tls_key`](Self::tls_key).
    #[cfg(feature = "tls")]
    pub fn tls_cert(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.tls.cert = Some(path.into());
        self
    }

    /// The client certificate's key ([`ClientBuilder::tls_key`]).
    #[cfg(feature = "tls")]
    pub fn tls_key(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.tls.key = Some(path.into());
        self
    }

    /// All three TLS files at once (a policy environment's).
    #[cfg(feature = "tls")]
    pub(crate) fn tls_files(mut self, files: crate::blocking::TlsFiles) -> Self {
        self.tls = files;
        self
    }

    /// Builds the fleet and each host's client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a zero concurrency, per-host bound or result cap, a host timeout,
    /// connect timeout or run deadline that is zero or longer than
    /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT) (100 days), and for the client builder's own
    /// invalid settings; TLS files that cannot be loaded, as [`Error::TlsFile`].
    pub fn build(self) -> Result<Fleet> {
        let zero = |what: &str| {
            Err(Error::Config(format!(
                "the fleet's {what} must be positive"
            )))
        };
        if self.concurrency == 0 {
            return zero("concurrency");
        }
        if self.per_host == 0 {
            return zero("per-host concurrency");
        }
        let spans = [
            ("host timeout", Some(self.host_timeout)),
            ("run deadline", self.deadline),
            ("connect timeout", self.connect_timeout),
        ];
        for (what, span) in spans {
            if let Some(d) = span {
                check_span(what, d).map_err(Error::Config)?;
            }
        }
        let settings = |mut b: ClientBuilder| {
            if let Some(t) = self.connect_timeout {
                // The operation timeout is replaced by what is left of the host's deadline at
                // each operation; it is set here only so that the builder takes the connect
                // timeout whatever its length.
                b = b.timeout(t).connect_timeout(t);
            }
            if let Some(n) = self.max_results {
                b = b.max_results(n);
            }
            if let Some(n) = self.max_result_bytes {
                b = b.max_result_bytes(n);
            }
            #[cfg(feature = "tls")]
            {
                b = b.tls_files(&self.tls);
            }
            b
        };
        let config = settings(ClientBuilder::from_config(self.client)).build_config()?;
        let clients = self
            .hosts
            .iter()
            .map(|h| Client::with_config(h.clone(), config.clone()))
            .collect();
        Ok(Fleet {
            hosts: self.hosts,
            clients,
            concurrency: self.concurrency,
            per_host: self.per_host,
            host_timeout: self.host_timeout,
            deadline: self.deadline,
        })
    }
}

// The constructors live beside the defaults and the builder they share, so that `fleet.rs`
// needs nothing from this module but its re-exports.
impl Fleet {
    /// A fleet of these hosts with the defaults of [`FleetBuilder`]: default client settings,
    /// 16 connections at once, 4 per host, a 10-minute deadline per host and none for the run.
    pub fn new(hosts: impl IntoIterator<Item = Endpoint>) -> Self {
        let hosts: Vec<Endpoint> = hosts.into_iter().collect();
        Self {
            clients: hosts.iter().cloned().map(Client::new).collect(),
            hosts,
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
            host_timeout: DEFAULT_HOST_TIMEOUT,
            deadline: None,
        }
    }

    /// A builder for a fleet of these hosts.
    pub fn builder(hosts: impl IntoIterator<Item = Endpoint>) -> FleetBuilder {
        FleetBuilder::new(hosts.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_refuses_what_it_would_have_to_change() {
        let socket = Endpoint::unix("/run/clamav/clamd.ctl");
        let fleet = || Fleet::builder([socket.clone()]);
        let bad = [
            fleet().concurrency(0),
            fleet().per_host(0),
            fleet().host_timeout(Duration::ZERO),
            fleet().host_timeout(Duration::MAX),
            fleet().deadline(Duration::ZERO),
            fleet().deadline(Duration::MAX),
            fleet().connect_timeout(Duration::ZERO),
            fleet().max_results(0),
            fleet().max_result_bytes(0),
        ];
        for b in bad {
            let err = b.clone().build().unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{b:?}: {err}");
        }
        let f = fleet()
            .connect_timeout(Duration::from_secs(30))
            .host_timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        assert_eq!(f.hosts(), [socket]);
    }
}
