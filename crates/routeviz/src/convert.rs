//! Conversion from a `tcptrace::TraceReport` (feature `tcptrace`).

use crate::model::{Hop, Reply, ReplyKind, Trace, TraceParams, TraceSet};

impl From<tcptrace::ReplyKind> for ReplyKind {
    fn from(k: tcptrace::ReplyKind) -> Self {
        match k {
            tcptrace::ReplyKind::TimeExceeded => Self::TimeExceeded,
            tcptrace::ReplyKind::SynAck => Self::SynAck,
            tcptrace::ReplyKind::Rst => Self::Rst,
            tcptrace::ReplyKind::Unreachable(c) => Self::Unreachable(c),
        }
    }
}

impl From<&tcptrace::Reply> for Reply {
    fn from(r: &tcptrace::Reply) -> Self {
        Self {
            from: r.from,
            rtt_ms: Some(r.rtt_ms),
            kind: r.kind.into(),
            asn: r.asn,
            as_name: r.as_name.clone(),
        }
    }
}

impl From<&tcptrace::Trace> for Trace {
    fn from(t: &tcptrace::Trace) -> Self {
        Self {
            target: t.target.clone(),
            addr: Some(t.addr),
            port: t.port,
            reached: t.reached,
            hops: t
                .hops
                .iter()
                .map(|h| Hop { ttl: h.ttl, replies: h.replies.iter().map(Reply::from).collect() })
                .collect(),
        }
    }
}

impl From<&tcptrace::TraceReport> for TraceSet {
    fn from(r: &tcptrace::TraceReport) -> Self {
        Self {
            params: Some(TraceParams { min_ttl: Some(r.params.min_ttl) }),
            traces: r.traces.iter().map(Trace::from).collect(),
        }
    }
}
