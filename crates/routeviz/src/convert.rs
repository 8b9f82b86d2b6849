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
                .map(|h| Hop {
                    ttl: h.ttl,
                    replies: h.replies.iter().map(Reply::from).collect(),
                })
                .collect(),
        }
    }
}

impl From<&tcptrace::TraceReport> for TraceSet {
    fn from(r: &tcptrace::TraceReport) -> Self {
        Self {
            params: Some(TraceParams {
                min_ttl: Some(r.params.min_ttl),
            }),
            traces: r.traces.iter().map(Trace::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{NodeKind, PortState, RouteGraph, TraceSet};

    #[test]
    fn converts_a_report() {
        let json = r#"{"params":{"min_ttl":1,"max_ttl":30,"timeout_s":2.0,"retry":0,"max_in_flight":256,"all_ttls":false},
            "started_at":"2026-01-02T03:04:05.678Z",
            "traces":[{"target":"example","addr":"198.18.9.1","port":443,"reached":true,"stop_reason":"reached","hops":[
              {"ttl":2,"replies":[{"from":"198.18.0.1","rtt_ms":0.5,"kind":"time_exceeded","asn":64496,"as_name":"LAB"}]},
              {"ttl":3,"replies":[{"from":"198.18.9.1","rtt_ms":1.5,"kind":"rst"}]}]}]}"#;
        let report = tcptrace::TraceReport::from_json(json).unwrap();
        let set = TraceSet::from(&report);
        assert_eq!(set.params.as_ref().unwrap().min_ttl, Some(1));
        assert_eq!(set.traces[0].addr, Some("198.18.9.1".parse().unwrap()));
        assert_eq!(set.traces[0].hops[0].replies[0].rtt_ms, Some(0.5));
        let g = RouteGraph::new(&set).unwrap();
        let ep = g
            .graph()
            .node_weights()
            .find(|n| n.kind == NodeKind::Endpoint)
            .unwrap();
        assert_eq!(ep.ports, vec![(443, PortState::Closed)]);
        // min_ttl 1 and a first answer at TTL 2: one silent hop drawn at TTL 1.
        assert!(
            g.graph()
                .node_weights()
                .any(|n| n.kind == NodeKind::Unknown && n.ttls == vec![1])
        );
        // The same JSON read directly gives the same graph.
        let direct = RouteGraph::new(&TraceSet::from_json(json).unwrap()).unwrap();
        assert_eq!(direct.graph().node_count(), g.graph().node_count());
        assert_eq!(direct.graph().edge_count(), g.graph().edge_count());
    }
}
