//! The crate's error type.

use std::io;
use std::net::IpAddr;

/// What can go wrong when configuring or running a trace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening or using a raw socket was refused: the process lacks `CAP_NET_RAW`.
    #[error(
        "{action}: permission denied; raw sockets need CAP_NET_RAW: run as root, or grant it \
         once with `sudo setcap cap_net_raw+ep /path/to/binary`"
    )]
    PermissionDenied {
        /// What was being done (for example "opening the raw IPv4 send socket").
        action: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Another I/O failure, with what was being done.
    #[error("{action}: {source}")]
    Io {
        /// What was being done, and to which address.
        action: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A target has no address to trace (from [`resolve`](crate::resolve)).
    /// [`trace`](crate::trace) does not fail for it: it lists the target in
    /// [`TraceReport::failed_targets`](crate::TraceReport::failed_targets) with the reason.
    #[error("{target:?}: {reason}")]
    Target {
        /// The target as given.
        target: String,
        /// Why it has no address.
        #[source]
        reason: crate::TargetError,
    },
    /// No route (no source address) to a target.
    #[error("no route to {addr}: {source}")]
    NoRoute {
        /// The target address.
        addr: IpAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// An address of the source pool ([`TraceConfigBuilder::source_pool`](crate::TraceConfigBuilder::source_pool))
    /// is not this host's: the answers to probes sent from it would never come back, so the
    /// run refuses it before sending anything.
    #[error(
        "source pool address {addr} is not this host's (answers to it would not come back; \
         add it to an interface, or for IPv4 a local route for its prefix: `ip route add local \
         PREFIX dev lo`): {source}"
    )]
    NotLocal {
        /// The pool address.
        addr: IpAddr,
        /// The operating system's answer to binding it.
        #[source]
        source: io::Error,
    },
    /// One probe could not be sent (no route, a local firewall). [`trace`](crate::trace)
    /// does not fail for it: it ends that probe's trace with
    /// [`StopReason::Failed`](crate::StopReason::Failed) and this message.
    #[error("sending a probe to {dst} with TTL {ttl}: {source}")]
    Send {
        /// The probe's destination.
        dst: IpAddr,
        /// The probe's TTL or hop limit.
        ttl: u8,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// Reverse DNS was asked to use the system's nameserver, and the resolver configuration
    /// names none.
    #[error("{path} names no nameserver; give one for reverse DNS")]
    NoNameserver {
        /// The file read (`/etc/resolv.conf`).
        path: String,
    },
}

impl Error {
    /// Wraps an I/O error, turning `EPERM`/`EACCES` into [`Error::PermissionDenied`].
    pub(crate) fn io(action: impl Into<String>, source: io::Error) -> Self {
        let action = action.into();
        if source.kind() == io::ErrorKind::PermissionDenied {
            Self::PermissionDenied { action, source }
        } else {
            Self::Io { action, source }
        }
    }
}

/// Why a [`TraceConfig`](crate::TraceConfig) could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No target was given.
    #[error("no target given")]
    NoTargets,
    /// No port was given.
    #[error("no port given")]
    NoPorts,
    /// Port 0 cannot be probed.
    #[error("port 0 cannot be probed")]
    ZeroPort,
    /// A port list could not be parsed.
    #[error(
        "bad port list {0:?}: expected numbers 1-65535 separated by commas, or ranges like 80-90"
    )]
    BadPortList(String),
    /// TTL 0 is not a TTL a probe can carry.
    #[error("TTL 0 cannot be probed; TTLs are 1-255")]
    ZeroTtl,
    /// `min_ttl` is above `max_ttl`.
    #[error("min TTL {min} is above max TTL {max}")]
    TtlRange {
        /// The minimum TTL.
        min: u8,
        /// The maximum TTL.
        max: u8,
    },
    /// The timeout is zero, negative or not finite.
    #[error("the timeout must be positive and finite")]
    BadTimeout,
    /// The pace is zero.
    #[error("the pace must be at least 1 packet per second")]
    ZeroPps,
    /// The in-flight window is zero.
    #[error("the in-flight window must be at least 1")]
    ZeroInFlight,
    /// The gap limit is zero.
    #[error("the gap limit must be at least 1 (or none)")]
    ZeroGapLimit,
    /// The retry count is outside -63..=63.
    #[error("retry {0} is outside -63..=63")]
    RetryRange(i32),
    /// The number of rounds is outside 1..=256.
    #[error("{0} rounds is outside 1..=256")]
    RoundsRange(u32),
    /// Rounds were combined with retries, which would hide the loss the rounds measure.
    #[error("rounds cannot be combined with retries: an unanswered probe of a round is a loss")]
    RoundsWithRetry,
    /// The confidence of multipath discovery is outside 50..=99 percent.
    #[error("MDA confidence {0}% is outside 50-99")]
    ConfidenceRange(u8),
    /// Per-router pacing was given a zero interval.
    #[error("the per-router interval must be above zero")]
    ZeroRouterInterval,
    /// Per-router pacing was combined with multipath discovery, whose planner picks its
    /// probes itself.
    #[error("per-router pacing (--router-interval) cannot be combined with multipath discovery")]
    RouterPacingWithMda,
    /// Multipath discovery was combined with rounds.
    #[error("multipath discovery (--mda) cannot be combined with rounds")]
    MdaWithRounds,
    /// The plan is too large (targets × ports × TTLs × attempts).
    #[error("{0} (target, port, TTL) slots is too many for one run (at most 1048576)")]
    TooManyProbes(u64),
    /// A flow's source and destination address families differ.
    #[error("source {src} and destination {dst} are of different families")]
    FamilyMismatch {
        /// The source address.
        src: IpAddr,
        /// The destination address.
        dst: IpAddr,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
