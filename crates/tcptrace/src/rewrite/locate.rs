//! Where on a path each change first shows.

use std::collections::BTreeMap;

use super::compare::{PROBE_TCP_HEADER_LEN, comparable};
use super::{FieldValue, Middlebox, Rewrite, RewriteField};
use crate::model::{Reply, Trace};

/// Every field a reply may show rewritten.
const FIELDS: [RewriteField; 16] = [
    RewriteField::SrcAddr,
    RewriteField::SrcPort,
    RewriteField::DstAddr,
    RewriteField::DstPort,
    RewriteField::IpId,
    RewriteField::FlowLabel,
    RewriteField::Dscp,
    RewriteField::Ecn,
    RewriteField::Seq,
    RewriteField::Flags,
    RewriteField::Window,
    RewriteField::Mss,
    RewriteField::WindowScale,
    RewriteField::SackPermitted,
    RewriteField::Timestamp,
    RewriteField::TcpOptions,
];

/// Fields whose value differs from probe to probe: their state is only "changed or not".
fn per_probe(field: RewriteField) -> bool {
    matches!(
        field,
        RewriteField::Seq | RewriteField::IpId | RewriteField::Timestamp
    )
}

/// What a reply says of a field.
enum Shows<'a> {
    /// Its quote does not reach the field.
    Nothing,
    /// The field as sent.
    AsSent,
    /// The field changed.
    Changed(&'a Rewrite),
}

fn state(reply: &Reply, field: RewriteField) -> Shows<'_> {
    match reply.rewrites.iter().find(|r| r.field == field) {
        Some(r) => Shows::Changed(r),
        None if comparable(field, reply.quoted_tcp, PROBE_TCP_HEADER_LEN) => Shows::AsSent,
        None => Shows::Nothing,
    }
}

impl Trace {
    /// The middleboxes on this trace's path, from its replies' rewrites, in TTL order: for
    /// each field, each TTL at which the field's value differs from the TTL before that showed
    /// it (the first change from what was sent, and any later change again), located after
    /// the last TTL that showed the earlier value. The tracer fills
    /// [`Trace::middleboxes`] with it; a producer that fills hops by hand may call it too.
    pub fn locate_middleboxes(&self) -> Vec<Middlebox> {
        // (ttl, after_ttl) -> rewrites, kept in field order.
        let mut found: BTreeMap<(u8, Option<u8>), Vec<Rewrite>> = BTreeMap::new();
        for field in FIELDS {
            // The value seen so far (`None`: as sent) and the last TTL that showed it.
            let mut current: Option<FieldValue> = None;
            let mut sent: Option<FieldValue> = None;
            let mut last_shown: Option<u8> = None;
            for hop in &self.hops {
                let mut changed = None;
                let mut shows_current = false;
                for reply in &hop.replies {
                    let st = match state(reply, field) {
                        Shows::Nothing => continue,
                        Shows::AsSent => None,
                        Shows::Changed(r) => Some(r),
                    };
                    let value = st.map(|r| {
                        sent.get_or_insert_with(|| r.sent.clone());
                        if per_probe(field) {
                            // Any rewritten value is the same state; the first one is shown.
                            current.clone().unwrap_or_else(|| r.seen.clone())
                        } else {
                            r.seen.clone()
                        }
                    });
                    if value == current {
                        shows_current = true;
                    } else if changed.is_none() {
                        changed = Some(value);
                    }
                }
                if let Some(value) = changed {
                    let before = current.clone().or_else(|| sent.clone());
                    let after = value.clone().or_else(|| sent.clone());
                    if let (Some(b), Some(a)) = (before, after) {
                        found
                            .entry((hop.ttl, last_shown))
                            .or_default()
                            .push(Rewrite::new(field, b, a));
                    }
                    current = value;
                    last_shown = Some(hop.ttl);
                } else if shows_current {
                    last_shown = Some(hop.ttl);
                }
            }
        }
        found
            .into_iter()
            .map(|((ttl, after), rewrites)| Middlebox::new(ttl, after, rewrites))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{Hop, ReplyKind, StopReason};

    fn te(ttl: u8, quoted: u16, rewrites: Vec<Rewrite>) -> Hop {
        let mut r = Reply::new(
            format!("198.18.{ttl}.2").parse().unwrap(),
            Duration::from_millis(1),
            ReplyKind::TimeExceeded,
        );
        r.quoted_tcp = Some(quoted);
        r.rewrites = rewrites;
        Hop::new(ttl, vec![r])
    }

    fn mss(seen: u64) -> Rewrite {
        Rewrite::new(
            RewriteField::Mss,
            FieldValue::Number(1460),
            FieldValue::Number(seen),
        )
    }

    fn dscp() -> Rewrite {
        Rewrite::new(
            RewriteField::Dscp,
            FieldValue::Number(0),
            FieldValue::Number(10),
        )
    }

    fn trace(hops: Vec<Hop>) -> Trace {
        let mut t = Trace::new("t", "198.19.0.1".parse().unwrap(), 80, StopReason::Reached);
        t.hops = hops;
        t
    }

    #[test]
    fn the_first_ttl_that_shows_a_change_locates_it() {
        let t = trace(vec![
            te(1, 40, vec![]),
            te(2, 40, vec![]),
            te(3, 40, vec![mss(1300), dscp()]),
            te(4, 40, vec![mss(1300), dscp()]),
        ]);
        assert_eq!(
            t.locate_middleboxes(),
            [Middlebox::new(3, Some(2), vec![dscp(), mss(1300)])]
        );
    }

    #[test]
    fn short_quotes_widen_the_stretch_and_later_changes_count() {
        let t = trace(vec![
            te(1, 40, vec![]),
            // RFC 792 quotes: the MSS is not in them, the DSCP is.
            te(2, 8, vec![]),
            te(3, 8, vec![dscp()]),
            te(4, 40, vec![mss(1300), dscp()]),
            Hop::new(5, vec![]),
            te(6, 40, vec![mss(1200), dscp()]),
        ]);
        let m = t.locate_middleboxes();
        assert_eq!(
            m,
            [
                Middlebox::new(3, Some(2), vec![dscp()]),
                Middlebox::new(4, Some(1), vec![mss(1300)]),
                Middlebox::new(
                    6,
                    Some(4),
                    vec![Rewrite::new(
                        RewriteField::Mss,
                        FieldValue::Number(1300),
                        FieldValue::Number(1200)
                    )]
                ),
            ]
        );
        assert_eq!(m[1].to_string(), "TTL 4 (after TTL 1): mss 1460→1300");
        assert_eq!(trace(vec![te(1, 8, vec![])]).locate_middleboxes(), []);
    }
}
