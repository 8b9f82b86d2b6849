//! DNS messages (RFC 1035) as far as PTR lookups need them: the query, and the answer read
//! with compression, CNAME chains (RFC 2317 classless delegation) and every length checked.

use std::fmt::Write as _;
use std::net::IpAddr;

/// QTYPE PTR.
const PTR: u16 = 12;
/// TYPE CNAME.
const CNAME: u16 = 5;
/// QCLASS IN.
const IN: u16 = 1;
/// The header length.
const HEADER: usize = 12;
/// Most compression pointers followed in one name: more is a loop.
const MAX_JUMPS: usize = 32;
/// Longest name on the wire (RFC 1035 section 2.3.4).
const MAX_NAME: usize = 255;
/// Most CNAMEs followed from the question to the PTR.
const MAX_CHAIN: usize = 8;

/// The reverse-lookup name of `addr`, as labels: `4.3.2.1.in-addr.arpa` or the 32 nibbles
/// of an IPv6 address under `ip6.arpa` (RFC 3596).
pub(crate) fn reverse_name(addr: IpAddr) -> Vec<Vec<u8>> {
    let mut labels: Vec<Vec<u8>> = Vec::new();
    match addr {
        IpAddr::V4(a) => {
            for o in a.octets().iter().rev() {
                labels.push(o.to_string().into_bytes());
            }
            labels.extend([b"in-addr".to_vec(), b"arpa".to_vec()]);
        }
        IpAddr::V6(a) => {
            for o in a.octets().iter().rev() {
                for nibble in [o & 0xf, o >> 4] {
                    labels.push(format!("{nibble:x}").into_bytes());
                }
            }
            labels.extend([b"ip6".to_vec(), b"arpa".to_vec()]);
        }
    }
    labels
}

/// The query for the PTR of `addr` with ID `id`, recursion desired.
pub(crate) fn query(id: u16, addr: IpAddr, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(&id.to_be_bytes());
    buf.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for l in reverse_name(addr) {
        buf.push(l.len() as u8);
        buf.extend_from_slice(&l);
    }
    buf.push(0);
    buf.extend_from_slice(&PTR.to_be_bytes());
    buf.extend_from_slice(&IN.to_be_bytes());
}

/// What an answer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The PTR's name, in presentation form (bytes outside letters, digits, `-` and `_`
    /// escaped as `\DDD`, so that no control character reaches a terminal).
    Name(String),
    /// NXDOMAIN, or no PTR in the answer: the address has no name.
    NoName,
    /// The server could not answer (SERVFAIL, REFUSED, ...): its RCODE.
    Failed(u8),
}

/// Why a datagram is no answer to our query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotOurs {
    /// Too short, bad lengths, a compression loop: not a DNS message.
    Malformed,
    /// Another ID, not a response, or another question.
    Mismatch,
    /// The answer did not fit in the datagram (TC).
    Truncated,
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, NotOurs> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(NotOurs::Malformed)
}

/// Reads the name at `at`: its labels and where the name ends in place.
fn read_name(msg: &[u8], mut at: usize) -> Result<(Vec<Vec<u8>>, usize), NotOurs> {
    let mut labels = Vec::new();
    let mut end = None;
    let mut jumps = 0;
    let mut len = 1;
    loop {
        let &b = msg.get(at).ok_or(NotOurs::Malformed)?;
        match b >> 6 {
            0 if b == 0 => {
                return Ok((labels, end.unwrap_or(at + 1)));
            }
            0 => {
                let n = usize::from(b);
                let label = msg.get(at + 1..at + 1 + n).ok_or(NotOurs::Malformed)?;
                len += n + 1;
                if len > MAX_NAME {
                    return Err(NotOurs::Malformed);
                }
                labels.push(label.to_vec());
                at += 1 + n;
            }
            3 => {
                let target = usize::from(u16_at(msg, at)? & 0x3fff);
                jumps += 1;
                // Only backwards: a pointer forward or to itself is how loops are made.
                if jumps > MAX_JUMPS || target >= at {
                    return Err(NotOurs::Malformed);
                }
                end.get_or_insert(at + 2);
                at = target;
            }
            _ => return Err(NotOurs::Malformed),
        }
    }
}

/// Names compare without regard to ASCII case (RFC 4343).
fn same_name(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Presentation form of a name (RFC 1035 section 5.1, with `\DDD` for every byte that is not
/// a letter, digit, `-` or `_`).
fn present(labels: &[Vec<u8>]) -> String {
    let mut s = String::new();
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        for &b in l {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                s.push(char::from(b));
            } else {
                let _ = write!(s, "\\{b:03}");
            }
        }
    }
    s
}

/// Reads `msg` as the answer to query `id` for the PTR of `addr`.
///
/// # Errors
///
/// [`NotOurs`] when it is not a well-formed answer to that very question.
pub(crate) fn parse_answer(msg: &[u8], id: u16, addr: IpAddr) -> Result<Answer, NotOurs> {
    if msg.len() < HEADER {
        return Err(NotOurs::Malformed);
    }
    let flags = u16_at(msg, 2)?;
    let response = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xf;
    if u16_at(msg, 0)? != id || !response || opcode != 0 || u16_at(msg, 4)? != 1 {
        return Err(NotOurs::Mismatch);
    }
    let (qname, mut at) = read_name(msg, HEADER)?;
    let (qtype, qclass) = (u16_at(msg, at)?, u16_at(msg, at + 2)?);
    at += 4;
    let asked = reverse_name(addr);
    if !same_name(&qname, &asked) || qtype != PTR || qclass != IN {
        return Err(NotOurs::Mismatch);
    }
    if flags & 0x0200 != 0 {
        return Err(NotOurs::Truncated);
    }
    match (flags & 0xf) as u8 {
        0 => {}
        3 => return Ok(Answer::NoName),
        rcode => return Ok(Answer::Failed(rcode)),
    }
    let mut records = Vec::new();
    for _ in 0..u16_at(msg, 6)? {
        let (name, next) = read_name(msg, at)?;
        let rtype = u16_at(msg, next)?;
        let class = u16_at(msg, next + 2)?;
        let rdlen = usize::from(u16_at(msg, next + 8)?);
        let rdata = next + 10;
        if rdata + rdlen > msg.len() {
            return Err(NotOurs::Malformed);
        }
        if class == IN && (rtype == PTR || rtype == CNAME) {
            let (target, _) = read_name(msg, rdata)?;
            records.push((name, rtype, target));
        }
        at = rdata + rdlen;
    }
    let mut wanted = asked;
    for _ in 0..=MAX_CHAIN {
        let owned = |ty: u16| {
            records
                .iter()
                .find(|(n, t, _)| *t == ty && same_name(n, &wanted))
        };
        if let Some((_, _, t)) = owned(PTR) {
            return Ok(Answer::Name(present(t)));
        }
        match records
            .iter()
            .find(|(n, ty, _)| *n == wanted && *ty == CNAME)
        {
            Some((_, _, t)) => wanted = t.clone(),
            None => break,
        }
    }
    Ok(Answer::NoName)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// An answer to `q` (a query we wrote) with `answers` records appended raw.
    fn answer(q: &[u8], rcode: u8, count: u16, records: &[u8]) -> Vec<u8> {
        let mut m = q.to_vec();
        m[2] = 0x81;
        m[3] = 0x80 | rcode;
        m[6..8].copy_from_slice(&count.to_be_bytes());
        m.extend_from_slice(records);
        m
    }

    /// A record: `name` raw, type, class IN, TTL 60, `rdata` raw.
    fn record(name: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut r = name.to_vec();
        r.extend_from_slice(&rtype.to_be_bytes());
        r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(rdata);
        r
    }

    const R1: &[u8] = b"\x02r1\x04test\x00";

    #[test]
    fn query_bytes() {
        let mut q = Vec::new();
        query(0xabcd, a("198.18.0.2"), &mut q);
        let mut want = vec![0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"\x012\x010\x0218\x03198\x07in-addr\x04arpa\x00\x00\x0c\x00\x01");
        assert_eq!(q, want);
        let v6: Vec<String> = reverse_name(a("2001:db8::2"))
            .into_iter()
            .map(|l| String::from_utf8(l).unwrap())
            .collect();
        assert_eq!(v6.len(), 34);
        assert_eq!(v6[..2], ["2", "0"]);
        assert_eq!(v6[30..], ["0", "2", "ip6", "arpa"]);
    }

    #[test]
    fn answers_with_compression_and_cname() {
        let addr = a("198.18.0.2");
        let mut q = Vec::new();
        query(7, addr, &mut q);
        // PTR with the owner as a pointer to the question (offset 12).
        let m = answer(&q, 0, 1, &record(&[0xc0, 12], PTR, R1));
        assert_eq!(
            parse_answer(&m, 7, addr),
            Ok(Answer::Name("r1.test".into()))
        );
        // RFC 2317: the question is a CNAME to a name whose PTR is the answer.
        let mut recs = record(&[0xc0, 12], CNAME, b"\x012\x040-25\xc0\x0e");
        let cname_at = q.len() + 12;
        recs.extend(record(&[0xc0, cname_at as u8], PTR, R1));
        let m = answer(&q, 0, 2, &recs);
        assert_eq!(
            parse_answer(&m, 7, addr),
            Ok(Answer::Name("r1.test".into()))
        );
        assert_eq!(
            parse_answer(&answer(&q, 3, 0, &[]), 7, addr),
            Ok(Answer::NoName)
        );
        assert_eq!(
            parse_answer(&answer(&q, 0, 0, &[]), 7, addr),
            Ok(Answer::NoName)
        );
        assert_eq!(
            parse_answer(&answer(&q, 2, 0, &[]), 7, addr),
            Ok(Answer::Failed(2))
        );
    }

    #[test]
    fn refuses_what_is_not_the_answer() {
        let addr = a("198.18.0.2");
        let mut q = Vec::new();
        query(7, addr, &mut q);
        let good = answer(&q, 0, 1, &record(&[0xc0, 12], PTR, R1));
        assert_eq!(parse_answer(&good, 8, addr), Err(NotOurs::Mismatch));
        assert_eq!(
            parse_answer(&good, 7, a("198.18.0.3")),
            Err(NotOurs::Mismatch)
        );
        assert_eq!(parse_answer(&q, 7, addr), Err(NotOurs::Mismatch), "a query");
        let mut tc = good.clone();
        tc[2] |= 0x02;
        assert_eq!(parse_answer(&tc, 7, addr), Err(NotOurs::Truncated));
        for cut in 0..good.len() {
            assert!(parse_answer(&good[..cut], 7, addr).is_err(), "cut at {cut}");
        }
        // A pointer to itself, and one forward.
        let looped = answer(&q, 0, 1, &record(&[0xc0, 12], PTR, &[0xc0, 0]));
        let at = looped.len() - 2;
        let mut looped = looped;
        looped[at + 1] = at as u8;
        assert_eq!(parse_answer(&looped, 7, addr), Err(NotOurs::Malformed));
        let fwd = answer(&q, 0, 1, &record(&[0xc0, 12], PTR, &[0xc0, 0xff]));
        assert_eq!(parse_answer(&fwd, 7, addr), Err(NotOurs::Malformed));
    }

    proptest::proptest! {
        /// No datagram panics the parser, and every name it accepts is printable ASCII.
        #[test]
        fn no_datagram_panics(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), rcode in 0u8..16, count in 0u16..4) {
            let addr = a("198.18.0.2");
            let mut q = Vec::new();
            query(7, addr, &mut q);
            let m = answer(&q, rcode, count, &tail);
            if let Ok(Answer::Name(n)) = parse_answer(&m, 7, addr) {
                proptest::prop_assert!(n.bytes().all(|b| b.is_ascii_graphic()), "{}", n);
            }
            let _ = parse_answer(&tail, 7, addr);
        }
    }

    #[test]
    fn hostile_names_are_escaped() {
        let addr = a("198.18.0.2");
        let mut q = Vec::new();
        query(7, addr, &mut q);
        let m = answer(
            &q,
            0,
            1,
            &record(&[0xc0, 12], PTR, b"\x07\x1b[2Ja.b\x04test\x00"),
        );
        assert_eq!(
            parse_answer(&m, 7, addr),
            Ok(Answer::Name("\\027\\0912Ja\\046b.test".into()))
        );
    }
}
