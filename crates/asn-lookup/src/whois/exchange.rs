//! One whois exchange on its own connection (sans-IO): the query out, the reply in, the
//! deadlines, the size bound and the parsing of Team Cymru bulk and RPSL (RIS, RADB) replies.

use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::{cymru, rpsl};
use crate::{AsName, AsnError, Resolution};

/// What one whois exchange asks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhoisQuery {
    /// Team Cymru bulk: the AS of each address, one answer per address in order.
    CymruBulk(Vec<IpAddr>),
    /// Team Cymru bulk: the name of one AS.
    CymruName(u32),
    /// RIPE RIS: the route objects covering one address.
    Ris(IpAddr),
    /// RADB: the route objects covering one address (the most specific wins).
    Radb(IpAddr),
    /// RADB: the `aut-num` object of one AS, for its name.
    AutNum(u32),
}

impl WhoisQuery {
    /// The bytes sent to the server.
    fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::CymruBulk(ips) => cymru::bulk_query(ips),
            Self::CymruName(asn) => cymru::names_query(&[*asn]),
            Self::Ris(ip) | Self::Radb(ip) => format!("{ip}\r\n").into_bytes(),
            Self::AutNum(asn) => format!("AS{asn}\r\n").into_bytes(),
        }
    }
}

/// What an exchange ended with.
#[derive(Debug)]
#[non_exhaustive]
pub enum WhoisEvent {
    /// The answers to [`WhoisQuery::CymruBulk`] (one per address, in order), or the one answer
    /// to [`WhoisQuery::Ris`] or [`WhoisQuery::Radb`].
    Answers(Vec<Resolution>),
    /// The answer to [`WhoisQuery::CymruName`] or [`WhoisQuery::AutNum`].
    Name(Option<AsName>),
    /// The exchange failed: [`AsnError::Timeout`], [`AsnError::ReplyTooLarge`],
    /// [`AsnError::WhoisIo`] (a reset, or a write that failed) or [`AsnError::Protocol`]
    /// (garbage, a reply cut short by a clean close, too many or too few answers).
    Failed(AsnError),
}

/// The bounds of one exchange, shared by every exchange of a resolver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhoisLimits {
    /// The longest silence allowed while the query is sent and the reply read.
    pub read_timeout: Duration,
    /// The largest reply accepted, in bytes.
    pub max_reply: usize,
}

/// One whois exchange: whois servers answer one query and close the connection.
///
/// A deterministic state machine with no I/O: it is given `now` and the bytes received, and
/// gives the bytes to send, its next deadline and what happened. Call order:
///
/// 1. [`new`](Self::new), once the transport has connected;
/// 2. [`poll_transmit`](Self::poll_transmit) for the bytes to send, then
///    [`handle_sent`](Self::handle_sent) with how many were written, until `poll_transmit`
///    gives `None`;
/// 3. for each block read, [`handle_input`](Self::handle_input); at end of stream
///    [`handle_eof`](Self::handle_eof); on a reset or other I/O error
///    [`handle_reset`](Self::handle_reset); when [`poll_timeout`](Self::poll_timeout)'s instant
///    has passed with nothing read, [`handle_timeout`](Self::handle_timeout);
/// 4. after each `handle_*`, [`poll_event`](Self::poll_event): once it gives an event, the
///    exchange is over and the connection can be dropped.
///
/// The deadline of an exchange is the earlier of `until` (the batch's deadline) and the last
/// activity plus [`WhoisLimits::read_timeout`]. A reply cut by a reset is never complete.
#[derive(Debug)]
pub struct WhoisExchange {
    query: WhoisQuery,
    server: String,
    limits: WhoisLimits,
    until: Instant,
    /// The batch's whole deadline, for the error message.
    deadline: Duration,
    out: Vec<u8>,
    sent: usize,
    reply: Vec<u8>,
    last_activity: Instant,
    event: Option<WhoisEvent>,
    done: bool,
}

impl WhoisExchange {
    /// Starts the exchange of `query` with `server` (a label for errors) at `now`, to end by
    /// `until` at the latest; `deadline` is the batch's whole allowance, for the error text.
    pub fn new(
        query: WhoisQuery,
        server: impl Into<String>,
        limits: WhoisLimits,
        now: Instant,
        until: Instant,
        deadline: Duration,
    ) -> Self {
        let out = query.to_bytes();
        Self {
            query,
            server: server.into(),
            limits,
            until,
            deadline,
            out,
            sent: 0,
            reply: Vec::new(),
            last_activity: now,
            event: None,
            done: false,
        }
    }

    /// The query.
    pub fn query(&self) -> &WhoisQuery {
        &self.query
    }

    /// The bytes still to send, or `None` when the query is sent (or the exchange is over).
    #[must_use]
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        (!self.done && self.sent < self.out.len()).then(|| &self.out[self.sent..])
    }

    /// `n` bytes of [`poll_transmit`](Self::poll_transmit)'s were written at `now`.
    pub fn handle_sent(&mut self, now: Instant, n: usize) {
        self.sent = (self.sent + n).min(self.out.len());
        self.last_activity = now;
    }

    /// When the exchange times out unless something happens before; `None` once it is over.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.done).then(|| (self.last_activity + self.limits.read_timeout).min(self.until))
    }

    /// Bytes read at `now`.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        if self.done {
            return;
        }
        self.last_activity = now;
        if self.reply.len() + data.len() > self.limits.max_reply {
            self.finish(AsnError::ReplyTooLarge {
                server: self.server.clone(),
                limit: self.limits.max_reply,
            });
            return;
        }
        self.reply.extend_from_slice(data);
    }

    /// The server closed the connection: the reply is complete and is parsed.
    pub fn handle_eof(&mut self, _now: Instant) {
        if self.done {
            return;
        }
        let event = match self.parse() {
            Ok(event) => event,
            Err(reason) => WhoisEvent::Failed(AsnError::Protocol {
                server: self.server.clone(),
                reason,
            }),
        };
        self.done = true;
        self.event = Some(event);
    }

    /// The connection failed (reset, or a write that failed): what was read so far may be any
    /// prefix of the reply, so the exchange fails.
    pub fn handle_reset(&mut self, _now: Instant, error: io::Error) {
        self.finish(AsnError::WhoisIo {
            server: self.server.clone(),
            source: error,
        });
    }

    /// Time passed: at or after [`poll_timeout`](Self::poll_timeout) the exchange fails with
    /// [`AsnError::Timeout`]; before it, nothing happens.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.finish(AsnError::Timeout {
                server: self.server.clone(),
                deadline: self.deadline,
            });
        }
    }

    /// What the exchange ended with, once.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<WhoisEvent> {
        self.event.take()
    }

    fn finish(&mut self, error: AsnError) {
        if !self.done {
            self.done = true;
            self.event = Some(WhoisEvent::Failed(error));
        }
    }

    fn parse(&self) -> Result<WhoisEvent, String> {
        let reply = &self.reply;
        Ok(match &self.query {
            WhoisQuery::CymruBulk(ips) => {
                let answers = cymru::parse_bulk(reply, ips)?;
                // One answer per address, or the exchange failed: never a shifted list.
                if answers.len() != ips.len() {
                    return Err(format!(
                        "{} answers to {} addresses",
                        answers.len(),
                        ips.len()
                    ));
                }
                WhoisEvent::Answers(answers)
            }
            WhoisQuery::Ris(ip) => WhoisEvent::Answers(vec![rpsl::parse_ris(reply, *ip)?]),
            WhoisQuery::Radb(ip) => WhoisEvent::Answers(vec![rpsl::parse_radb(reply, *ip)?]),
            WhoisQuery::CymruName(asn) => WhoisEvent::Name(cymru::parse_names(reply).remove(asn)),
            WhoisQuery::AutNum(asn) => WhoisEvent::Name(rpsl::parse_aut_num(reply, *asn)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CYMRU: &[u8] = b"Bulk mode; whois.cymru.com [2026-11-28 23:00:00 +0000]\n\
AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n\
15169   | 8.8.8.8          | 8.8.8.0/24          | US | arin     | 2023-12-28 | GOOGLE, US\n\
NA      | 192.0.2.77       | NA                  | NA | NA       | NA         | NA\n\
13335   | 1.1.1.1          | 1.1.1.0/24          | AU | apnic    | 2011-08-11 | CLOUDFLARENET, US\n";

    const RIS: &[u8] = b"% This is RIPE NCC's Routing Information Service\n\
\n\
route:        193.0.0.0/21\n\
origin:       AS3333\n\
descr:        RIPE-NCC-AS, NL\n\
source:       RISWHOIS\n\
\n";

    const LIMITS: WhoisLimits = WhoisLimits {
        read_timeout: Duration::from_secs(10),
        max_reply: 4096,
    };

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn cymru_ips() -> Vec<IpAddr> {
        vec![ip("8.8.8.8"), ip("192.0.2.77"), ip("1.1.1.1")]
    }

    /// An exchange of `query` started at `t0`, whose query is already sent.
    fn started(query: WhoisQuery, t0: Instant) -> WhoisExchange {
        let mut x = WhoisExchange::new(
            query,
            "127.0.0.1:43",
            LIMITS,
            t0,
            t0 + Duration::from_secs(30),
            Duration::from_secs(30),
        );
        let n = x.poll_transmit().map_or(0, <[u8]>::len);
        x.handle_sent(t0, n);
        assert!(x.poll_transmit().is_none());
        x
    }

    /// Feeds `parts` then the end of stream, and gives the one event.
    fn run(mut x: WhoisExchange, parts: &[&[u8]], t0: Instant) -> WhoisEvent {
        for p in parts {
            x.handle_input(t0, p);
            assert!(
                x.poll_event().is_none(),
                "no event before the end of stream"
            );
        }
        x.handle_eof(t0);
        let event = x.poll_event().expect("an event at end of stream");
        assert!(x.poll_event().is_none(), "the event comes once");
        assert_eq!(
            x.poll_timeout(),
            None,
            "an exchange that is over has no deadline"
        );
        event
    }

    fn answers(event: WhoisEvent) -> Vec<Resolution> {
        match event {
            WhoisEvent::Answers(a) => a,
            other => panic!("expected answers, got {other:?}"),
        }
    }

    fn failure(event: WhoisEvent) -> AsnError {
        match event {
            WhoisEvent::Failed(e) => e,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn sends_the_query_in_pieces() {
        let t0 = Instant::now();
        let mut x = WhoisExchange::new(
            WhoisQuery::CymruBulk(vec![ip("1.2.3.4")]),
            "s",
            LIMITS,
            t0,
            t0 + Duration::from_secs(30),
            Duration::from_secs(30),
        );
        assert_eq!(
            x.poll_transmit(),
            Some(&b"begin\nverbose\n1.2.3.4\nend\n"[..])
        );
        x.handle_sent(t0, 6);
        assert_eq!(x.poll_transmit(), Some(&b"verbose\n1.2.3.4\nend\n"[..]));
        x.handle_sent(t0, 99);
        assert_eq!(x.poll_transmit(), None);
        let mut ris = WhoisExchange::new(
            WhoisQuery::Ris(ip("193.0.0.1")),
            "s",
            LIMITS,
            t0,
            t0,
            Duration::ZERO,
        );
        assert_eq!(ris.poll_transmit(), Some(&b"193.0.0.1\r\n"[..]));
        ris.handle_sent(t0, 11);
        let radb = WhoisExchange::new(
            WhoisQuery::AutNum(15169),
            "s",
            LIMITS,
            t0,
            t0,
            Duration::ZERO,
        );
        assert_eq!(radb.poll_transmit(), Some(&b"AS15169\r\n"[..]));
    }

    #[test]
    fn cymru_reply_split_at_every_byte_boundary() {
        let t0 = Instant::now();
        let whole = answers(run(
            started(WhoisQuery::CymruBulk(cymru_ips()), t0),
            &[CYMRU],
            t0,
        ));
        assert_eq!(whole[0].asn(), Some(15169));
        assert_eq!(whole[1], Resolution::NotRouted { special: None });
        assert_eq!(whole[2].asn(), Some(13335));
        for i in 0..=CYMRU.len() {
            let (a, b) = CYMRU.split_at(i);
            let x = started(WhoisQuery::CymruBulk(cymru_ips()), t0);
            assert_eq!(answers(run(x, &[a, b], t0)), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = CYMRU.chunks(1).collect();
        let x = started(WhoisQuery::CymruBulk(cymru_ips()), t0);
        assert_eq!(answers(run(x, &bytes, t0)), whole, "one byte at a time");
    }

    #[test]
    fn rpsl_reply_split_at_every_byte_boundary() {
        let t0 = Instant::now();
        for i in 0..=RIS.len() {
            let (a, b) = RIS.split_at(i);
            let x = started(WhoisQuery::Ris(ip("193.0.0.1")), t0);
            let got = answers(run(x, &[a, b], t0));
            assert_eq!(got.len(), 1);
            let info = got[0].found().expect("found");
            assert_eq!(
                (info.asn, info.range.to_string()),
                (3333, "193.0.0.0/21".into()),
                "split at {i}"
            );
        }
    }

    #[test]
    fn a_reset_mid_reply_fails_even_when_the_prefix_parses() {
        let t0 = Instant::now();
        // The first two answers alone parse as a complete reply to two addresses ...
        let cut = CYMRU.len() - 90;
        let two = vec![ip("8.8.8.8"), ip("192.0.2.77")];
        let ok = run(
            started(WhoisQuery::CymruBulk(two.clone()), t0),
            &[&CYMRU[..cut]],
            t0,
        );
        assert_eq!(answers(ok).len(), 2);
        // ... but cut by a reset they are never taken as complete.
        let mut x = started(WhoisQuery::CymruBulk(two), t0);
        x.handle_input(t0, &CYMRU[..cut]);
        x.handle_reset(t0, io::ErrorKind::ConnectionReset.into());
        let e = failure(x.poll_event().unwrap());
        assert!(
            matches!(e, AsnError::WhoisIo { ref source, .. } if source.kind() == io::ErrorKind::ConnectionReset),
            "{e:?}"
        );
        // Later input and a late end of stream change nothing.
        x.handle_input(t0, b"more");
        x.handle_eof(t0);
        assert!(x.poll_event().is_none());
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let t0 = Instant::now();
        for garbage in [
            &b"\xff\xfe\x00 garbage | | |\n|||||||\n"[..],
            b"",
            b"HTTP/1.1 400 Bad Request\r\n",
        ] {
            let e = failure(run(
                started(WhoisQuery::CymruBulk(vec![ip("8.8.8.8")]), t0),
                &[garbage],
                t0,
            ));
            assert!(matches!(e, AsnError::Protocol { .. }), "{e:?}");
            let e = failure(run(
                started(WhoisQuery::Ris(ip("8.8.8.8")), t0),
                &[garbage],
                t0,
            ));
            assert!(matches!(e, AsnError::Protocol { .. }), "{e:?}");
        }
    }

    #[test]
    fn too_few_answers_fail_and_too_many_never_shift() {
        let t0 = Instant::now();
        // Two of three answers, closed cleanly: cut short.
        let cut = CYMRU.len() - 90;
        let e = failure(run(
            started(WhoisQuery::CymruBulk(cymru_ips()), t0),
            &[&CYMRU[..cut]],
            t0,
        ));
        assert!(
            matches!(e, AsnError::Protocol { ref reason, .. } if reason.contains("1 of 3")),
            "{e:?}"
        );
        // An answer for an address not asked, first: every asked address keeps its own answer.
        let mut extra =
            b"Bulk mode; x\n3356 | 4.2.2.2 | 4.0.0.0/9 | US | arin | 1992-12-01 | LEVEL3, US\n"
                .to_vec();
        extra.extend_from_slice(&CYMRU[CYMRU.iter().position(|&b| b == b'\n').unwrap() + 1..]);
        let got = answers(run(
            started(WhoisQuery::CymruBulk(cymru_ips()), t0),
            &[&extra],
            t0,
        ));
        assert_eq!(
            got.iter().map(Resolution::asn).collect::<Vec<_>>(),
            [Some(15169), None, Some(13335)]
        );
    }

    #[test]
    fn a_line_over_the_byte_cap_fails_once() {
        let t0 = Instant::now();
        let mut x = started(WhoisQuery::CymruBulk(vec![ip("8.8.8.8")]), t0);
        x.handle_input(t0, &[b'a'; 4000]);
        assert!(x.poll_event().is_none());
        x.handle_input(t0, &[b'a'; 97]);
        let e = failure(x.poll_event().unwrap());
        assert!(
            matches!(e, AsnError::ReplyTooLarge { limit: 4096, .. }),
            "{e:?}"
        );
        x.handle_eof(t0);
        assert!(x.poll_event().is_none());
        // Exactly at the cap is accepted (and is garbage here).
        let mut x = started(WhoisQuery::CymruBulk(vec![ip("8.8.8.8")]), t0);
        x.handle_input(t0, &[b'a'; 4096]);
        x.handle_eof(t0);
        assert!(matches!(
            failure(x.poll_event().unwrap()),
            AsnError::Protocol { .. }
        ));
    }

    #[test]
    fn silence_and_the_batch_deadline() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut x = started(WhoisQuery::Radb(ip("8.8.8.8")), t0);
        assert_eq!(x.poll_timeout(), Some(t0 + 10 * s));
        // Input moves the silence deadline, up to the batch's deadline.
        x.handle_input(t0 + 5 * s, b"route: 8.0.0.0/9\n");
        assert_eq!(x.poll_timeout(), Some(t0 + 15 * s));
        x.handle_input(t0 + 25 * s, b"origin: AS3356\n");
        assert_eq!(x.poll_timeout(), Some(t0 + 30 * s));
        x.handle_timeout(t0 + 29 * s);
        assert!(
            x.poll_event().is_none(),
            "nothing happens before the deadline"
        );
        x.handle_timeout(t0 + 30 * s);
        let e = failure(x.poll_event().unwrap());
        assert!(
            matches!(e, AsnError::Timeout { deadline, .. } if deadline == 30 * s),
            "{e:?}"
        );
        assert_eq!(x.poll_timeout(), None);
    }

    #[test]
    fn names() {
        let t0 = Instant::now();
        let reply = b"Bulk mode; whois.cymru.com [x]\nAS | CC | Registry | Allocated | AS Name\n15169 | US | arin | 2000-03-30 | GOOGLE, US\n";
        match run(started(WhoisQuery::CymruName(15169), t0), &[reply], t0) {
            WhoisEvent::Name(Some(n)) => assert_eq!(n.as_str(), "GOOGLE, US"),
            other => panic!("{other:?}"),
        }
        let aut = b"aut-num:    AS15169\nas-name:    GOOGLE\nsource: RADB\n";
        assert!(matches!(
            run(started(WhoisQuery::AutNum(15169), t0), &[aut], t0),
            WhoisEvent::Name(Some(_))
        ));
        assert!(matches!(
            run(started(WhoisQuery::AutNum(1), t0), &[b""], t0),
            WhoisEvent::Name(None)
        ));
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics_and_the_event_comes_once(
            parts in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), 0..6),
            reset in proptest::prelude::any::<bool>(),
        ) {
            let t0 = Instant::now();
            for query in [WhoisQuery::CymruBulk(cymru_ips()), WhoisQuery::Ris(ip("193.0.0.1")), WhoisQuery::Radb(ip("8.8.8.8")), WhoisQuery::CymruName(1), WhoisQuery::AutNum(1)] {
                let mut x = started(query, t0);
                let mut events = 0;
                for p in &parts {
                    x.handle_input(t0, p);
                    events += usize::from(x.poll_event().is_some());
                }
                if reset {
                    x.handle_reset(t0, io::ErrorKind::ConnectionReset.into());
                } else {
                    x.handle_eof(t0);
                }
                events += usize::from(x.poll_event().is_some());
                x.handle_timeout(t0 + Duration::from_secs(60));
                events += usize::from(x.poll_event().is_some());
                proptest::prop_assert_eq!(events, 1);
            }
        }
    }
}
