//! The input of a route map: traces of hops, as `opskit trace --json` writes them.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A set of traces to draw on one map.
///
/// Deserializes from the JSON that `opskit trace --json` writes; fields the map does not use
/// (`started_at`, `stop_reason`, `mpls`, …) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceSet {
    /// The run's parameters, when known. Only `min_ttl` is used: silent TTLs before the first
    /// answered hop are drawn from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<TraceParams>,
    /// One trace per (target, port).
    pub traces: Vec<Trace>,
}

impl TraceSet {
    /// A set of traces with no parameters.
    pub fn new(traces: Vec<Trace>) -> Self {
        Self {
            params: None,
            traces,
        }
    }

    /// Parses a trace set from JSON, such as the output of `opskit trace --json`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Json`](crate::Error::Json) when the text is not a trace set.
    pub fn from_json(text: &str) -> crate::Result<Self> {
        serde_json::from_str(text).map_err(|e| crate::Error::Json(e.to_string()))
    }
}

/// The parameters of the run that produced the traces.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceParams {
    /// The first TTL probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ttl: Option<u8>,
}

/// The route to one (target, port).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The target as it was given (a name or an address). Untrusted: it is escaped and
    /// shortened wherever it is drawn.
    pub target: String,
    /// The address the target resolved to, when known. Without it, `target` is parsed as an
    /// address, and failing that any SYN-ACK or RST marks the destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<IpAddr>,
    /// The TCP destination port.
    pub port: u16,
    /// Whether the destination answered. A SYN-ACK or RST in the hops counts as reached too.
    #[serde(default)]
    pub reached: bool,
    /// The TTLs that got replies. Missing TTLs between two answered ones are silent hops.
    #[serde(default)]
    pub hops: Vec<Hop>,
}

impl Trace {
    /// A trace with no hops yet.
    pub fn new(target: impl Into<String>, port: u16) -> Self {
        Self {
            target: target.into(),
            addr: None,
            port,
            reached: false,
            hops: Vec::new(),
        }
    }
}

/// The replies to the probes sent with one TTL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// The TTL (IPv6 hop limit) of the probes.
    pub ttl: u8,
    /// The replies; several addresses at one TTL are ECMP branches. An empty list is a silent
    /// hop.
    #[serde(default)]
    pub replies: Vec<Reply>,
}

impl Hop {
    /// A hop at `ttl` with the given replies.
    pub fn new(ttl: u8, replies: Vec<Reply>) -> Self {
        Self { ttl, replies }
    }
}

/// One reply to one probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The address the reply came from.
    pub from: IpAddr,
    /// The round-trip time in milliseconds, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// What kind of reply it was.
    #[serde(default)]
    pub kind: ReplyKind,
    /// The origin AS of `from`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// The name of that AS, when known. Untrusted: escaped and shortened when drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_name: Option<String>,
}

impl Reply {
    /// A reply of `kind` from `from`, with no RTT and no AS data.
    pub fn new(from: IpAddr, kind: ReplyKind) -> Self {
        Self {
            from,
            rtt_ms: None,
            kind,
            asn: None,
            as_name: None,
        }
    }

    /// Sets the round-trip time in milliseconds.
    #[must_use]
    pub fn rtt_ms(mut self, rtt_ms: f64) -> Self {
        self.rtt_ms = Some(rtt_ms);
        self
    }

    /// Sets the origin AS and its name.
    #[must_use]
    pub fn asn(mut self, asn: u32, name: Option<&str>) -> Self {
        self.asn = Some(asn);
        self.as_name = name.map(str::to_owned);
        self
    }
}

/// The kind of a reply. In JSON: `"time_exceeded"`, `"syn_ack"`, `"rst"` or
/// `{"unreachable": CODE}`; any other string reads as [`ReplyKind::Other`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReplyKind {
    /// ICMP time exceeded: a router on the way.
    #[default]
    TimeExceeded,
    /// A TCP SYN-ACK from the destination: the port is open.
    SynAck,
    /// A TCP RST from the destination: the port is closed.
    Rst,
    /// ICMP destination unreachable with its code.
    Unreachable(u8),
    /// A kind this version does not know; drawn like a router reply.
    #[serde(other)]
    Other,
}

/// The state of one port on a destination, as drawn in its record (`80 SA`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PortState {
    /// SYN-ACK: open (`SA`).
    Open,
    /// RST: closed (`RA`).
    Closed,
    /// ICMP unreachable from the destination, with its code (`U3`).
    Unreachable(u8),
}

impl PortState {
    /// The state of a port from the final reply kind, if the kind is final.
    pub fn from_kind(kind: ReplyKind) -> Option<Self> {
        match kind {
            ReplyKind::SynAck => Some(Self::Open),
            ReplyKind::Rst => Some(Self::Closed),
            ReplyKind::Unreachable(c) => Some(Self::Unreachable(c)),
            ReplyKind::TimeExceeded | ReplyKind::Other => None,
        }
    }

    /// The short flag text scapy draws: `SA`, `RA` or `U<code>`.
    pub fn flags(self) -> String {
        match self {
            Self::Open => "SA".to_owned(),
            Self::Closed => "RA".to_owned(),
            Self::Unreachable(c) => format!("U{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_trace_json() {
        let json = br#"{"params":{"min_ttl":1,"max_ttl":30},"started_at":"x","traces":[{"target":"a","addr":"198.18.0.9","port":80,"reached":true,"stop_reason":"reached","hops":[{"ttl":1,"replies":[{"from":"198.18.0.1","rtt_ms":0.1,"kind":"time_exceeded","mpls":[]}]},{"ttl":2,"replies":[{"from":"198.18.0.9","rtt_ms":0.2,"kind":{"unreachable":3},"asn":64500,"as_name":"X"}]},{"ttl":3,"replies":[{"from":"198.18.0.9","kind":"weird"}]}]}]}"#;
        let set = TraceSet::from_json(std::str::from_utf8(json).unwrap()).unwrap();
        assert_eq!(set.params.unwrap().min_ttl, Some(1));
        let t = &set.traces[0];
        assert_eq!(t.hops[1].replies[0].kind, ReplyKind::Unreachable(3));
        assert_eq!(t.hops[1].replies[0].asn, Some(64500));
        assert_eq!(t.hops[2].replies[0].kind, ReplyKind::Other);
        assert_eq!(t.hops[2].replies[0].rtt_ms, None);
    }

    #[test]
    fn bad_json_is_typed() {
        assert!(matches!(
            TraceSet::from_json("{\"traces\":3}"),
            Err(crate::Error::Json(_))
        ));
    }

    #[test]
    fn port_flags() {
        assert_eq!(
            PortState::from_kind(ReplyKind::SynAck).unwrap().flags(),
            "SA"
        );
        assert_eq!(PortState::from_kind(ReplyKind::Rst).unwrap().flags(), "RA");
        assert_eq!(
            PortState::from_kind(ReplyKind::Unreachable(13))
                .unwrap()
                .flags(),
            "U13"
        );
        assert_eq!(PortState::from_kind(ReplyKind::TimeExceeded), None);
    }
}
