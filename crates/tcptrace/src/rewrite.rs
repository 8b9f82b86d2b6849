//! Middleboxes: the fields of a probe that something on the path rewrote, as the quotes in ICMP
//! errors show them, and where on the path each change first appears.
//!
//! An ICMP time exceeded quotes the probe as the router that dropped it received it. The
//! engine compares each quote with the probe it sent, field by field
//! ([`RewriteField`]), and records what differs on the reply ([`Reply::rewrites`]). The first
//! TTL whose quote shows a change locates the middlebox, as tracebox does: it sits between the
//! hop before (the last whose quote still showed the field as sent) and that TTL's router
//! ([`Middlebox`], [`Trace::middleboxes`]).
//!
//! What a quote can show:
//!
//! - The IP header is always quoted whole: source and destination address, IPv4 ID, IPv6
//!   flow label, DSCP and ECN. (The TTL is not compared: every router lowers it.)
//! - Of the TCP header, RFC 792 asks for 8 bytes only: ports and sequence number. Many
//!   routers quote no more; Linux quotes the whole probe (up to 576 bytes for IPv4 and 1280
//!   for IPv6). The flags, the window and the options (MSS, window scale, SACK permitted,
//!   timestamps, and the layout of the option list) are compared only when the quote reaches
//!   them ([`Reply::quoted_tcp`] says how far it does). A short quote neither shows these
//!   fields changed nor as sent, so a change first seen past a run of short quotes is
//!   located within that run ([`Middlebox::after_ttl`]).
//! - A destination's SYN-ACK or RST quotes nothing; its ports are checked against the
//!   probe's, so a rewritten source port the destination saw shows there too.
//!
//! A stateful NAT (masquerade) rewrites the source address and port on the way out and back
//! on the way in, ICMP errors included: the kernel's NAT translates the quote inside an ICMP
//! error back too, so through such a router the quotes show the probe as sent and the NAT is
//! invisible in the quotes. The crate docs, "Middleboxes", say what can be seen through one.
//!
//! [`Reply::rewrites`]: crate::Reply::rewrites
//! [`Reply::quoted_tcp`]: crate::Reply::quoted_tcp
//! [`Trace::middleboxes`]: crate::Trace::middleboxes

mod compare;
mod locate;
mod show;

pub(crate) use compare::{SentProbe, compare_answer, compare_quote};
pub(crate) use show::{cell_mark, middlebox_lines, summary_lines};

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A field of a probe that a middlebox may rewrite. In JSON, its snake-case name.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RewriteField {
    /// The IP source address (a NAT).
    SrcAddr,
    /// The TCP source port (a NAT).
    SrcPort,
    /// The IP destination address (a redirecting proxy).
    DstAddr,
    /// The TCP destination port.
    DstPort,
    /// The IPv4 identification (some scrubbers randomize it).
    IpId,
    /// The IPv6 flow label.
    FlowLabel,
    /// The DSCP, the 6 high bits of the IPv4 TOS or IPv6 traffic class (remarking).
    Dscp,
    /// The ECN field, the 2 low bits of the same byte (ECN bleaching or CE marking).
    Ecn,
    /// The TCP sequence number (some firewalls randomize it).
    Seq,
    /// The TCP flags.
    Flags,
    /// The TCP window.
    Window,
    /// The MSS option (MSS clamping): its value, or absent.
    Mss,
    /// The window scale option: its shift count, or absent.
    WindowScale,
    /// The SACK-permitted option: present or not.
    SackPermitted,
    /// The timestamps option: its `TSval`, or absent.
    Timestamp,
    /// The layout of the option list: the kinds in order (an option added, removed, moved or
    /// overwritten with NOPs).
    TcpOptions,
}

impl RewriteField {
    /// The field's name, as in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SrcAddr => "src_addr",
            Self::SrcPort => "src_port",
            Self::DstAddr => "dst_addr",
            Self::DstPort => "dst_port",
            Self::IpId => "ip_id",
            Self::FlowLabel => "flow_label",
            Self::Dscp => "dscp",
            Self::Ecn => "ecn",
            Self::Seq => "seq",
            Self::Flags => "flags",
            Self::Window => "window",
            Self::Mss => "mss",
            Self::WindowScale => "window_scale",
            Self::SackPermitted => "sack_permitted",
            Self::Timestamp => "timestamp",
            Self::TcpOptions => "tcp_options",
        }
    }
}

impl fmt::Display for RewriteField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The value of a [`RewriteField`] as sent or as seen. In JSON: `null` for an absent option,
/// a boolean, a number, an address, or the option kinds as an array of numbers.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum FieldValue {
    /// The option is absent.
    Absent,
    /// A flag such as SACK permitted.
    Bool(bool),
    /// A number: a port, an ID, a sequence number, a code point, an option's value.
    Number(u64),
    /// An address.
    Addr(#[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))] IpAddr),
    /// The kinds of an option list, in order.
    Kinds(Vec<u8>),
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("none"),
            Self::Bool(b) => write!(f, "{}", if *b { "yes" } else { "no" }),
            Self::Number(n) => write!(f, "{n}"),
            Self::Addr(a) => write!(f, "{a}"),
            Self::Kinds(k) => {
                let k: Vec<String> = k.iter().map(u8::to_string).collect();
                write!(f, "[{}]", k.join(","))
            }
        }
    }
}

/// One field of a probe that arrived changed: what was sent and what the quote (or the
/// destination's answer) showed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rewrite {
    /// The field.
    pub field: RewriteField,
    /// Its value in the probe sent.
    pub sent: FieldValue,
    /// Its value where the reply saw it.
    pub seen: FieldValue,
}

impl Rewrite {
    /// `field` was sent as `sent` and seen as `seen`.
    pub fn new(field: RewriteField, sent: FieldValue, seen: FieldValue) -> Self {
        Self { field, sent, seen }
    }
}

/// `mss 1460→1300`; flags in scapy's letters (`flags S→SE`), sequence numbers and IDs in hex.
impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &FieldValue| match (self.field, v) {
            (RewriteField::Flags, FieldValue::Number(n)) => {
                crate::wire::TcpFlags::from_bits(*n as u16).to_string()
            }
            (
                RewriteField::Seq | RewriteField::IpId | RewriteField::FlowLabel,
                FieldValue::Number(n),
            ) => format!("{n:#x}"),
            _ => v.to_string(),
        };
        write!(
            f,
            "{} {}→{}",
            self.field,
            show(&self.sent),
            show(&self.seen)
        )
    }
}

/// Where on a trace's path a middlebox rewrote fields of the probes: between the router at
/// [`after_ttl`](Self::after_ttl) (or the source) and the router at [`ttl`](Self::ttl), the
/// first whose quote shows the change. One per stretch of path: fields first seen changed at
/// the same TTL, with the same last TTL seen unchanged, share one.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Middlebox {
    /// The first TTL whose replies show the fields changed.
    pub ttl: u8,
    /// The last TTL before it whose replies showed these fields as sent, or absent when none
    /// did (no reply, or quotes too short to show them): the middlebox lies after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ttl: Option<u8>,
    /// The changes as first seen, one per field.
    pub rewrites: Vec<Rewrite>,
}

impl Middlebox {
    /// A middlebox first seen at `ttl`, after `after_ttl`, with its `rewrites`.
    pub fn new(ttl: u8, after_ttl: Option<u8>, rewrites: Vec<Rewrite>) -> Self {
        Self {
            ttl,
            after_ttl,
            rewrites,
        }
    }
}

/// `TTL 3 (after TTL 2): mss 1460→1300, dscp 0→10`.
impl fmt::Display for Middlebox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TTL {}", self.ttl)?;
        match self.after_ttl {
            Some(a) if a + 1 == self.ttl => {}
            Some(a) => write!(f, " (after TTL {a})")?,
            None => f.write_str(" (anywhere before it)")?,
        }
        let r: Vec<String> = self.rewrites.iter().map(Rewrite::to_string).collect();
        write!(f, ": {}", r.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_of_rewrites() {
        let r = Rewrite::new(
            RewriteField::Mss,
            FieldValue::Number(1460),
            FieldValue::Absent,
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"field": "mss", "sent": 1460, "seen": null})
        );
        assert_eq!(serde_json::from_value::<Rewrite>(v).unwrap(), r);
        let a = Rewrite::new(
            RewriteField::SrcAddr,
            FieldValue::Addr("198.18.0.1".parse().unwrap()),
            FieldValue::Addr("198.18.9.9".parse().unwrap()),
        );
        let back: Rewrite = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        let k = Rewrite::new(
            RewriteField::TcpOptions,
            FieldValue::Kinds(vec![2, 4, 8, 1, 3]),
            FieldValue::Kinds(vec![1, 1, 1, 1, 4, 8, 1, 3]),
        );
        assert_eq!(k.to_string(), "tcp_options [2,4,8,1,3]→[1,1,1,1,4,8,1,3]");
        let back: Rewrite = serde_json::from_str(&serde_json::to_string(&k).unwrap()).unwrap();
        assert_eq!(back, k);
    }

    #[test]
    fn display() {
        let m = Middlebox::new(
            3,
            Some(2),
            vec![
                Rewrite::new(
                    RewriteField::Mss,
                    FieldValue::Number(1460),
                    FieldValue::Number(1300),
                ),
                Rewrite::new(
                    RewriteField::Flags,
                    FieldValue::Number(2),
                    FieldValue::Number(0x42),
                ),
                Rewrite::new(
                    RewriteField::Seq,
                    FieldValue::Number(0xdead),
                    FieldValue::Number(1),
                ),
            ],
        );
        assert_eq!(
            m.to_string(),
            "TTL 3: mss 1460→1300, flags S→SE, seq 0xdead→0x1"
        );
        let far = Middlebox::new(5, Some(2), vec![]);
        assert_eq!(far.to_string(), "TTL 5 (after TTL 2): ");
        assert!(
            Middlebox::new(1, None, vec![])
                .to_string()
                .contains("anywhere")
        );
    }
}
