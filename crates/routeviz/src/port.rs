//! The state of a port as a destination's record draws it.

use tcptrace::ReplyKind;

/// The state of one port on a destination, as drawn in its record (`80 SA`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PortState {
    /// SYN-ACK: open (`SA`).
    Open,
    /// RST: closed (`RA`).
    Closed,
    /// ICMP unreachable from the destination, with its code (`U3`).
    Unreachable(u8),
    /// An ICMP echo reply, to the echo requests of an imported ICMP trace (`ER`).
    EchoReply,
}

impl PortState {
    /// The state of a port from the final reply kind, if the kind is final.
    pub fn from_kind(kind: ReplyKind) -> Option<Self> {
        match kind {
            ReplyKind::SynAck => Some(Self::Open),
            ReplyKind::Rst => Some(Self::Closed),
            ReplyKind::Unreachable(c) => Some(Self::Unreachable(c)),
            ReplyKind::EchoReply => Some(Self::EchoReply),
            ReplyKind::TimeExceeded => None,
        }
    }

    /// The short flag text scapy draws: `SA`, `RA` or `U<code>`, and `ER` for an echo reply.
    pub fn flags(self) -> String {
        match self {
            Self::Open => "SA".to_owned(),
            Self::Closed => "RA".to_owned(),
            Self::Unreachable(c) => format!("U{c}"),
            Self::EchoReply => "ER".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
