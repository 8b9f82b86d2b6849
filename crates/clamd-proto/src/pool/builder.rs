//! The settings of a [`Pool`], checked once by [`PoolBuilder::build`].

use std::time::Duration;

use super::Pool;
use super::health::Retry;
use super::mode::PoolMode;
use crate::blocking::{Client, ClientBuilder, ClientConfig, check_span};
use crate::endpoint::Endpoint;
use crate::{Error, Result};

/// The default number of connections open at once to each host of a pool.
pub const DEFAULT_POOL_PER_HOST: usize = 4;

/// The default deadline of one file's scan on one host, from connect to verdict: 60 s. A host
/// that does not answer by then is taken out of the pool and the file moves on.
pub const DEFAULT_FILE_TIMEOUT: Duration = Duration::from_secs(60);

/// The default limit on files taken from the walk and not yet final (queued or in flight).
pub const DEFAULT_MAX_QUEUED: usize = 4096;

/// The default number of hosts that may die with one file in flight before the file is given
/// up.
pub const DEFAULT_MAX_ATTEMPTS: usize = 3;

/// The default wait before a host that failed is probed the first time: 1 s. Each failed
/// probe doubles it, up to [`DEFAULT_RETRY_MAX`].
pub const DEFAULT_RETRY_FIRST: Duration = Duration::from_secs(1);

/// The default cap of the wait between two probes of a host that is down: 30 s.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(30);

/// The default number of probes in a row that may fail before a host is given up for the
/// run: 5 (with the default waits, a host that stays dead is given up about 31 s after it
/// failed).
pub const DEFAULT_RETRY_PROBES: usize = 5;

/// The default deadline of one probe (`PING`) of a host that is down: 5 s.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Builder of a [`Pool`]. Every setting has a default; [`build`](Self::build) refuses what it
/// would otherwise have to change.
#[derive(Debug, Clone)]
#[must_use]
pub struct PoolBuilder {
    hosts: Vec<Endpoint>,
    client: ClientConfig,
    mode: PoolMode,
    per_host: usize,
    file_timeout: Duration,
    connect_timeout: Option<Duration>,
    deadline: Option<Duration>,
    max_queued: usize,
    max_attempts: usize,
    retry: Retry,
    probe_timeout: Duration,
}

impl PoolBuilder {
    pub(super) fn new(hosts: Vec<Endpoint>) -> Self {
        Self {
            hosts,
            client: ClientConfig::default(),
            mode: PoolMode::Stream,
            per_host: DEFAULT_POOL_PER_HOST,
            file_timeout: DEFAULT_FILE_TIMEOUT,
            connect_timeout: None,
            deadline: None,
            max_queued: DEFAULT_MAX_QUEUED,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry: Retry {
                first: DEFAULT_RETRY_FIRST,
                max: DEFAULT_RETRY_MAX,
                probes: DEFAULT_RETRY_PROBES,
            },
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
        }
    }

    /// Client settings for every host ([`ClientBuilder::build_config`]): mode, chunk size, line
    /// limit, `StreamMaxLength`. Each scan's timeout is the pool's
    /// [`file_timeout`](Self::file_timeout), cut to what is left of the run's deadline.
    pub fn client(mut self, config: ClientConfig) -> Self {
        self.client = config;
        self
    }

    /// INSTREAM (default) or FILDES.
    pub fn mode(mut self, mode: PoolMode) -> Self {
        self.mode = mode;
        self
    }

    /// Connections open at once to each host (default [`DEFAULT_POOL_PER_HOST`], 4; at least
    /// 1). Each connection scans one file at a time.
    pub fn per_host(mut self, n: usize) -> Self {
        self.per_host = n;
        self
    }

    /// The deadline of one file's scan on one host, from connect to verdict (default
    /// [`DEFAULT_FILE_TIMEOUT`], 60 s; at most [`MAX_TIMEOUT`](crate::MAX_TIMEOUT)). A host
    /// that misses it is taken out of the pool, and the file goes to another host.
    pub fn file_timeout(mut self, timeout: Duration) -> Self {
        self.file_timeout = timeout;
        self
    }

    /// How long one connect may take (default the client's, 5 s), never longer than the
    /// file's deadline. A host that refuses or does not accept in time is taken out of the
    /// pool.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// A deadline for the whole run (default none; at most
    /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT)). Files not sent by then are reported as not
    /// scanned ([`PoolSkip::RunDeadline`](crate::PoolSkip::RunDeadline)); scans in flight
    /// are cut to it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The most files taken from the walk and not yet final, queued or in flight together
    /// (default [`DEFAULT_MAX_QUEUED`], 4096; at least 1). The walk is read only as files
    /// finish, so the pool's queue never holds more; a host's death moves its files from in
    /// flight back to the queue and adds nothing. The report still holds one entry per file.
    pub fn max_queued(mut self, files: usize) -> Self {
        self.max_queued = files;
        self
    }

    /// How many times a host may die with one file in flight before that file is given up
    /// as [`FileOutcome::Failed`](crate::FileOutcome::Failed) (default
    /// [`DEFAULT_MAX_ATTEMPTS`], 3; at least 1), so that a file that kills every clamd it is
    /// sent to cannot take the whole pool down. A host that rejoins and dies with the file
    /// again counts again.
    pub fn max_attempts(mut self, hosts: usize) -> Self {
        self.max_attempts = hosts;
        self
    }

    /// How long a host that failed waits before its first probe (default
    /// [`DEFAULT_RETRY_FIRST`], 1 s; at most [`MAX_TIMEOUT`](crate::MAX_TIMEOUT)). Each
    /// failed probe doubles the wait, up to [`retry_max`](Self::retry_max). A host that
    /// answers its probe (`PING`) takes files again; one that fails again once it is back,
    /// before answering any file, waits twice as long as the last time.
    pub fn retry_first(mut self, wait: Duration) -> Self {
        self.retry.first = wait;
        self
    }

    /// The longest wait between two probes of a host that is down (default
    /// [`DEFAULT_RETRY_MAX`], 30 s; at least [`retry_first`](Self::retry_first), at most
    /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT)).
    pub fn retry_max(mut self, wait: Duration) -> Self {
        self.retry.max = wait;
        self
    }

    /// How many probes in a row may fail before a host is given up for the rest of the run
    /// (default [`DEFAULT_RETRY_PROBES`], 5). 0: a host that fails is never probed, and is
    /// out of the pool at once. With every host given up, the files left are reported as not
    /// scanned ([`PoolSkip::HostsDown`](crate::PoolSkip::HostsDown)); while some host is
    /// still to be probed they wait for it, until the run's [`deadline`](Self::deadline).
    pub fn retry_probes(mut self, probes: usize) -> Self {
        self.retry.probes = probes;
        self
    }

    /// The deadline of one probe of a host that is down, from connect to `PONG` (default
    /// [`DEFAULT_PROBE_TIMEOUT`], 5 s; at most [`MAX_TIMEOUT`](crate::MAX_TIMEOUT)), cut to
    /// what is left of the run's deadline.
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// Builds the pool and each host's client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for no host, a host given twice, a zero per-host bound, queue limit or
    /// attempt count, a file timeout, connect timeout, deadline, retry wait or probe timeout
    /// that is zero or longer than [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), a retry cap below the
    /// first retry wait, FILDES with a host that is not a Unix socket, and
    /// the client settings' own mistakes.
    pub fn build(self) -> Result<Pool> {
        let bad = |msg: String| Err(Error::Config(msg));
        if self.hosts.is_empty() {
            return bad("a pool needs at least one host".into());
        }
        let mut sorted: Vec<&Endpoint> = self.hosts.iter().collect();
        sorted.sort();
        if let Some([twice, _]) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return bad(format!(
                "host {twice} is in the pool twice (it would get twice its share)"
            ));
        }
        for (what, n) in [
            ("per-host connections", self.per_host),
            ("queue limit", self.max_queued),
            ("attempts per file", self.max_attempts),
        ] {
            if n == 0 {
                return bad(format!("the pool's {what} must be at least 1"));
            }
        }
        let spans = [
            ("file timeout", Some(self.file_timeout)),
            ("run deadline", self.deadline),
            ("connect timeout", self.connect_timeout),
            ("first retry wait", Some(self.retry.first)),
            ("longest retry wait", Some(self.retry.max)),
            ("probe timeout", Some(self.probe_timeout)),
        ];
        for (what, span) in spans {
            if let Some(d) = span {
                check_span(what, d).map_err(Error::Config)?;
            }
        }
        if self.retry.max < self.retry.first {
            return bad(format!(
                "the pool's longest retry wait ({:?}) is shorter than its first ({:?})",
                self.retry.max, self.retry.first
            ));
        }
        if self.mode == PoolMode::Fildes
            && let Some(h) = self.hosts.iter().find(|h| !h.is_unix())
        {
            return bad(format!(
                "FILDES needs Unix-socket hosts: a descriptor cannot reach {h}"
            ));
        }
        let mut b = ClientBuilder::from_config(self.client);
        if let Some(t) = self.connect_timeout {
            // Each scan's timeout is set per file; this one only lets the builder take the
            // connect timeout whatever its length.
            b = b.timeout(t.max(self.file_timeout)).connect_timeout(t);
        }
        let config = b.build_config()?;
        let clients = self
            .hosts
            .iter()
            .map(|h| Client::with_config(h.clone(), config.clone()))
            .collect();
        Ok(Pool {
            clients,
            mode: self.mode,
            per_host: self.per_host,
            file_timeout: self.file_timeout,
            deadline: self.deadline,
            max_queued: self.max_queued,
            max_attempts: self.max_attempts,
            retry: self.retry,
            probe_timeout: self.probe_timeout,
        })
    }
}

impl Pool {
    /// A builder for a pool of these hosts.
    pub fn builder(hosts: impl IntoIterator<Item = Endpoint>) -> PoolBuilder {
        PoolBuilder::new(hosts.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_refuses_what_it_would_have_to_change() {
        let socket = || Endpoint::unix("/run/clamav/clamd.ctl");
        let tcp: Endpoint = "127.0.0.1:3310".parse().unwrap();
        let pool = || Pool::builder([socket()]);
        let bad = [
            Pool::builder([]),
            Pool::builder([socket(), socket()]),
            pool().per_host(0),
            pool().max_queued(0),
            pool().max_attempts(0),
            pool().file_timeout(Duration::ZERO),
            pool().file_timeout(Duration::MAX),
            pool().deadline(Duration::ZERO),
            pool().connect_timeout(Duration::ZERO),
            pool().retry_first(Duration::ZERO),
            pool().retry_max(Duration::MAX),
            pool().probe_timeout(Duration::ZERO),
            pool()
                .retry_first(Duration::from_secs(10))
                .retry_max(Duration::from_secs(2)),
            Pool::builder([socket(), tcp.clone()]).mode(PoolMode::Fildes),
        ];
        for b in bad {
            let err = b.clone().build().unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{b:?}: {err}");
        }
        let p = Pool::builder([socket(), tcp])
            .connect_timeout(Duration::from_secs(120))
            .file_timeout(Duration::from_secs(1))
            .retry_probes(0)
            .retry_first(Duration::from_millis(100))
            .retry_max(Duration::from_millis(100))
            .build()
            .unwrap();
        assert_eq!(p.hosts().len(), 2);
    }
}
