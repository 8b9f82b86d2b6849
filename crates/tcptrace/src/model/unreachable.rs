//! What an ICMP destination unreachable says, the same for ICMP and ICMPv6.

use serde::{Deserialize, Serialize};

/// Why a destination was unreachable, decoded from the ICMP (type 3) or ICMPv6 (type 1) code,
/// whose numbers differ between the two. In JSON, a reply's `unreachable`:
/// `"net"`, `"host"`, `"protocol"`, `"port"`, `"admin_prohibited"`, `"fragmentation_needed"`,
/// `"source_route_failed"`, `"precedence_violation"`, `"precedence_cutoff"` or `"other"`
/// (the code is in the reply's `kind`).
///
/// Each has traceroute's mark ([`Unreachable::mark`]): `!N`, `!H`, `!P`, none for a port
/// unreachable (the destination's own answer, as traceroute has it), `!X`, `!F`, `!S`, `!V`,
/// `!C`, and `!<CODE>` for the others.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unreachable {
    /// Network unreachable (ICMP 0, 6, 8, 11; ICMPv6 0, no route).
    Net,
    /// Host unreachable (ICMP 1, 7, 12; ICMPv6 2, beyond scope, and 3, address unreachable).
    Host,
    /// Protocol unreachable (ICMP 2).
    Protocol,
    /// Port unreachable (ICMP 3, ICMPv6 4).
    Port,
    /// Administratively prohibited: a filter (ICMP 9, 10, 13; ICMPv6 1).
    AdminProhibited,
    /// Fragmentation needed and DF set (ICMP 4).
    FragmentationNeeded,
    /// Source route failed (ICMP 5).
    SourceRouteFailed,
    /// Host precedence violation (ICMP 14).
    PrecedenceViolation,
    /// Precedence cutoff in effect (ICMP 15).
    PrecedenceCutoff,
    /// Any other code (ICMPv6 5, source address failed policy, and 6, reject route, among
    /// them, which traceroute also prints by number).
    Other,
}

impl Unreachable {
    /// Decodes an ICMP (`v6` false) or ICMPv6 destination unreachable code.
    pub fn from_code(v6: bool, code: u8) -> Self {
        if v6 {
            return match code {
                0 => Self::Net,
                1 => Self::AdminProhibited,
                2 | 3 => Self::Host,
                4 => Self::Port,
                _ => Self::Other,
            };
        }
        match code {
            0 | 6 | 8 | 11 => Self::Net,
            1 | 7 | 12 => Self::Host,
            2 => Self::Protocol,
            3 => Self::Port,
            4 => Self::FragmentationNeeded,
            5 => Self::SourceRouteFailed,
            9 | 10 | 13 => Self::AdminProhibited,
            14 => Self::PrecedenceViolation,
            15 => Self::PrecedenceCutoff,
            _ => Self::Other,
        }
    }

    /// traceroute's mark for this unreachable with ICMP code `code`: `!N`, `!H`, `!P`, `!X`,
    /// `!F`, `!S`, `!V`, `!C`, `!<CODE>` for the others, and the empty string for a port
    /// unreachable.
    pub fn mark(self, code: u8) -> String {
        match self {
            Self::Net => "!N".into(),
            Self::Host => "!H".into(),
            Self::Protocol => "!P".into(),
            Self::Port => String::new(),
            Self::AdminProhibited => "!X".into(),
            Self::FragmentationNeeded => "!F".into(),
            Self::SourceRouteFailed => "!S".into(),
            Self::PrecedenceViolation => "!V".into(),
            Self::PrecedenceCutoff => "!C".into(),
            Self::Other => format!("!<{code}>"),
        }
    }

    /// What it means, in words: `network unreachable`, `administratively prohibited`...
    pub fn describe(self) -> &'static str {
        match self {
            Self::Net => "network unreachable",
            Self::Host => "host unreachable",
            Self::Protocol => "protocol unreachable",
            Self::Port => "port unreachable",
            Self::AdminProhibited => "administratively prohibited",
            Self::FragmentationNeeded => "fragmentation needed",
            Self::SourceRouteFailed => "source route failed",
            Self::PrecedenceViolation => "precedence violation",
            Self::PrecedenceCutoff => "precedence cutoff",
            Self::Other => "unreachable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_marks_are_traceroutes() {
        // (ICMPv6?, code, mark) as traceroute 2.1 prints them.
        for (v6, code, mark) in [
            (false, 0, "!N"),
            (false, 1, "!H"),
            (false, 2, "!P"),
            (false, 3, ""),
            (false, 4, "!F"),
            (false, 9, "!X"),
            (false, 10, "!X"),
            (false, 13, "!X"),
            (false, 14, "!V"),
            (false, 15, "!C"),
            (false, 200, "!<200>"),
            (true, 0, "!N"),
            (true, 1, "!X"),
            (true, 3, "!H"),
            (true, 4, ""),
            (true, 6, "!<6>"),
        ] {
            assert_eq!(
                Unreachable::from_code(v6, code).mark(code),
                mark,
                "{v6} {code}"
            );
        }
        assert_eq!(
            serde_json::to_value(Unreachable::AdminProhibited).unwrap(),
            "admin_prohibited"
        );
    }
}
