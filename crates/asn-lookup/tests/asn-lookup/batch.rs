//! Accounting of batch resolves: the bundled table and hostile whois servers on loopback, every
//! address given is in the report, resolved or unresolved with the right reason.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use asn_lookup::{
    AsnResolver, BatchReport, Chain, RangeFormat, RangeTable, UnresolvedReason, WhoisResolver,
    WhoisService,
};
use proptest::prelude::*;
use test_case::test_case;

use crate::lookup::{Mode, Server, ip, resource, sample_report};

/// Where the hostile server is.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// A loopback server in this mode.
    Serving(Mode),
    /// A port nothing listens on.
    Refusing,
}

fn refusing_addr() -> String {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

/// The server's address; the server lives as long as the test process (its threads are
/// detached), so dropping the handle is fine.
fn peer_addr(service: WhoisService, peer: Peer) -> String {
    match peer {
        Peer::Serving(mode) => Server::start(service, mode).addr,
        Peer::Refusing => refusing_addr(),
    }
}

/// A resolver with a short deadline over the whole batch (2 s), one connection at a time so
/// the order of exchanges is known, and Cymru batches of 10 addresses.
fn resolver(addr: &str, service: WhoisService, deadline: Duration) -> WhoisResolver {
    WhoisResolver::builder(service)
        .server(addr)
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        .deadline(deadline)
        .parallel(1)
        .batch_size(10)
        .max_reply_bytes(64 * 1024)
        .build()
        .unwrap()
}

/// The bundled table, then the whois service at `addr`.
fn chain(addr: &str, service: WhoisService, deadline: Duration) -> Chain {
    Chain::new()
        .then(RangeTable::open(resource("ranges.csv"), RangeFormat::Csv).unwrap())
        .then(resolver(addr, service, deadline))
}

/// Addresses in the table (found there), special ones, and forty in a gap of the table that
/// go to whois (8.8.4.1-40, in the fake services' 8.0.0.0/9 of AS3356).
fn mixed_addresses() -> Vec<IpAddr> {
    let mut v = vec![ip("1.0.0.1"), ip("10.0.0.1"), ip("2606:4700::1"), ip("::1")];
    v.extend((1..=40).map(|i| IpAddr::V4(Ipv4Addr::new(8, 8, 4, i))));
    v
}

/// Checks the structure every report must have: one entry per address given, in order, and
/// the tally adding up; returns the reasons of the whois addresses (the last forty).
fn check_report(ips: &[IpAddr], batch: &BatchReport) -> Vec<Option<UnresolvedReason>> {
    assert_eq!(batch.len(), ips.len());
    for (e, want) in batch.entries().iter().zip(ips) {
        assert_eq!(e.ip, *want);
        // Every failure carries its error.
        if e.outcome.reason().is_some_and(UnresolvedReason::is_failure) {
            assert!(e.outcome.error().is_some(), "{e:?}");
        }
    }
    let t = batch.tally();
    assert_eq!(t.given, ips.len());
    assert_eq!(t.resolved + t.unresolved(), t.given, "{t}");
    let e = batch.entries();
    assert_eq!(e[0].outcome.found().map(|i| i.asn), Some(13335), "table");
    assert_eq!(e[1].outcome.reason(), Some(UnresolvedReason::Special));
    assert_eq!(e[2].outcome.found().map(|i| i.asn), Some(13335), "table");
    assert_eq!(e[3].outcome.reason(), Some(UnresolvedReason::Special));
    e[4..].iter().map(|e| e.outcome.reason()).collect()
}

fn count(reasons: &[Option<UnresolvedReason>], want: Option<UnresolvedReason>) -> usize {
    reasons.iter().filter(|r| **r == want).count()
}

/// Against each hostile server, the table's and the local answers are kept, the address whose
/// exchange failed has that failure's reason, and every address after it is "not asked".
/// Cymru sends ten addresses per exchange, so a failure costs ten; RIS and RADB one query per
/// address. The batch ends within a generous bound of its 2 s deadline.
#[test_case(WhoisService::Cymru, Peer::Serving(Mode::Silent), UnresolvedReason::Deadline; "cymru silent")]
#[test_case(WhoisService::Ris, Peer::Serving(Mode::Silent), UnresolvedReason::Deadline; "ris silent")]
#[test_case(WhoisService::Radb, Peer::Serving(Mode::Drip), UnresolvedReason::Deadline; "radb drip")]
#[test_case(WhoisService::Cymru, Peer::Serving(Mode::Drip), UnresolvedReason::Deadline; "cymru drip")]
#[test_case(WhoisService::Cymru, Peer::Serving(Mode::ResetMidReply), UnresolvedReason::Reset; "cymru reset")]
#[test_case(WhoisService::Ris, Peer::Serving(Mode::ResetMidReply), UnresolvedReason::Reset; "ris reset")]
#[test_case(WhoisService::Radb, Peer::Serving(Mode::Garbage), UnresolvedReason::BadReply; "radb garbage")]
#[test_case(WhoisService::Ris, Peer::Serving(Mode::CloseMidReply), UnresolvedReason::BadReply; "ris cut by a clean close")]
#[test_case(WhoisService::Cymru, Peer::Serving(Mode::Flood), UnresolvedReason::BadReply; "cymru flood")]
#[test_case(WhoisService::Ris, Peer::Refusing, UnresolvedReason::Unreachable; "ris refused")]
#[test_case(WhoisService::Cymru, Peer::Refusing, UnresolvedReason::Unreachable; "cymru refused")]
fn every_address_has_its_reason(service: WhoisService, peer: Peer, reason: UnresolvedReason) {
    let addr = peer_addr(service, peer);
    let ips = mixed_addresses();
    let start = Instant::now();
    let batch = chain(&addr, service, Duration::from_secs(2)).resolve_batch(&ips);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    let reasons = check_report(&ips, &batch);
    let per_exchange = if service == WhoisService::Cymru {
        10
    } else {
        1
    };
    assert_eq!(count(&reasons, Some(reason)), per_exchange, "{reasons:?}");
    assert_eq!(
        count(&reasons, Some(UnresolvedReason::NotAsked)),
        40 - per_exchange,
        "{reasons:?}"
    );
    let t = batch.tally();
    assert_eq!(
        (t.given, t.resolved, t.failed()),
        (44, 2, 40),
        "every whois address unresolved: {t}"
    );
    let cause = batch.first_error().unwrap();
    assert_eq!(UnresolvedReason::of_error(cause), reason, "{cause}");
}

/// A server that answers two queries and resets the third: the two answers are kept (whois
/// found them), the third address is `Reset` and the other 37 were never asked.
#[test_case(WhoisService::Ris; "ris")]
#[test_case(WhoisService::Radb; "radb")]
fn answers_before_a_reset_are_kept(service: WhoisService) {
    let server = Server::start(service, Mode::ResetAfter(2));
    let ips = mixed_addresses();
    let batch = chain(&server.addr, service, Duration::from_secs(5)).resolve_batch(&ips);
    let reasons = check_report(&ips, &batch);
    assert_eq!(&reasons[..3], &[None, None, Some(UnresolvedReason::Reset)]);
    assert_eq!(count(&reasons, Some(UnresolvedReason::NotAsked)), 37);
    let source = match service {
        WhoisService::Ris => asn_lookup::Source::Ris,
        _ => asn_lookup::Source::Radb,
    };
    for e in &batch.entries()[4..6] {
        let info = e.outcome.found().unwrap();
        assert_eq!((info.asn, info.source), (3356, source));
    }
    assert_eq!(server.queries().len(), 3, "nothing is sent after the reset");
}

/// The parallel RIS batch against a silent server: each of the four connections waits until
/// the deadline, and the batch ends within it with every whois address unresolved.
#[test]
fn parallel_batch_against_a_silent_server_ends_within_its_deadline() {
    let server = Server::start(WhoisService::Ris, Mode::Silent);
    let whois = WhoisResolver::builder(WhoisService::Ris)
        .server(&server.addr)
        .read_timeout(Duration::from_secs(1))
        .deadline(Duration::from_secs(2))
        .parallel(4)
        .build()
        .unwrap();
    let ips: Vec<IpAddr> = (1..=40)
        .map(|i| IpAddr::V4(Ipv4Addr::new(8, 8, 4, i)))
        .collect();
    let start = Instant::now();
    let batch = whois.resolve_batch(&ips);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    let t = batch.tally();
    assert_eq!((t.given, t.resolved, t.failed()), (40, 0, 40), "{t}");
    let deadline = t.count(UnresolvedReason::Deadline);
    assert!((1..=4).contains(&deadline), "{t}");
    assert_eq!(t.count(UnresolvedReason::NotAsked), 40 - deadline, "{t}");
}

/// With a proper server, whois answers what the table does not; for 5.5.5.5, which neither
/// has, the table's "not announced" stands. Alone, RIS and Cymru say it is not announced and
/// RADB that it has no data (no route object is no proof of no route).
#[test_case(WhoisService::Cymru, UnresolvedReason::NotAnnounced; "cymru")]
#[test_case(WhoisService::Ris, UnresolvedReason::NotAnnounced; "ris")]
#[test_case(WhoisService::Radb, UnresolvedReason::NoData; "radb")]
fn proper_server_answers_every_address(service: WhoisService, no_route: UnresolvedReason) {
    let server = Server::start(service, Mode::Proper);
    let mut ips = mixed_addresses();
    ips.push(ip("5.5.5.5"));
    ips.push(ip("8.8.4.1"));
    let batch = chain(&server.addr, service, Duration::from_secs(10)).resolve_batch(&ips);
    let reasons = check_report(&ips, &batch);
    assert_eq!(count(&reasons, None), 41, "{reasons:?}");
    // The table's gap stands when whois has no AS either.
    assert_eq!(reasons[40], Some(UnresolvedReason::NotAnnounced));
    let alone =
        resolver(&server.addr, service, Duration::from_secs(10)).resolve_batch(&[ip("5.5.5.5")]);
    assert_eq!(alone.entries()[0].outcome.reason(), Some(no_route));
    assert!(batch.first_error().is_none());
    let t = batch.tally();
    assert_eq!((t.given, t.resolved, t.failed()), (46, 43, 0), "{t}");
}

/// `annotate` with a table and a dead whois server: the table's answers are filled in, and the
/// error counts the address (5.5.5.5, in a gap of the table) whois failed on instead of dropping them silently.
#[test]
fn annotate_reports_what_it_could_not_resolve() {
    let mut report = sample_report();
    let chain = chain(
        &refusing_addr(),
        WhoisService::Cymru,
        Duration::from_secs(2),
    );
    let err = asn_lookup::annotate(&mut report, &chain).unwrap_err();
    match &err {
        asn_lookup::AsnError::Incomplete {
            failed: 1,
            given: 5,
            source,
        } => assert!(
            matches!(**source, asn_lookup::AsnError::Connect { .. }),
            "{err}"
        ),
        other => panic!("expected Incomplete, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("1 of 5 addresses unresolved: connecting to"),
        "{err}"
    );
    let hops = &report.traces[0].hops;
    assert_eq!(
        hops[1].replies[0].asn,
        Some(13335),
        "the table's answer is kept"
    );
    assert_eq!(hops[1].replies[2].asn, None);
}

fn fault_strategy() -> impl Strategy<Value = Peer> {
    prop_oneof![
        Just(Peer::Serving(Mode::Proper)),
        Just(Peer::Serving(Mode::Garbage)),
        Just(Peer::Serving(Mode::Hangup)),
        Just(Peer::Serving(Mode::ResetMidReply)),
        Just(Peer::Serving(Mode::CloseMidReply)),
        Just(Peer::Serving(Mode::Silent)),
        (0usize..4).prop_map(|n| Peer::Serving(Mode::ResetAfter(n))),
        Just(Peer::Refusing),
    ]
}

fn service_strategy() -> impl Strategy<Value = WhoisService> {
    prop_oneof![
        Just(WhoisService::Cymru),
        Just(WhoisService::Ris),
        Just(WhoisService::Radb)
    ]
}

/// An address from a pool that covers every path: found in the table, special, in a table gap
/// with or without a route at the fake services, IPv6, IPv4-mapped.
fn address_strategy() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        Just(ip("1.0.0.1")),
        Just(ip("10.1.2.3")),
        Just(ip("5.5.5.5")),
        Just(ip("2606:4700::1")),
        Just(ip("::ffff:8.8.4.4")),
        Just(ip("fe80::1")),
        (1u8..=254).prop_map(|i| IpAddr::V4(Ipv4Addr::new(8, 8, 4, i))),
        (1u8..=254).prop_map(|i| IpAddr::V4(Ipv4Addr::new(193, 0, 1, i))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// For random address sets (duplicates included) against a random fault, the report has
    /// one entry per address given, in order, and given == resolved + unresolved; a proper
    /// server leaves no failure, and a failure is never reported without its error.
    #[test]
    fn every_address_is_accounted_for(
        ips in prop::collection::vec(address_strategy(), 0..30),
        service in service_strategy(),
        peer in fault_strategy(),
    ) {
        let addr = peer_addr(service, peer);
        let batch = chain(&addr, service, Duration::from_millis(600)).resolve_batch(&ips);
        let t = batch.tally();
        prop_assert_eq!(batch.len(), ips.len());
        prop_assert_eq!(t.given, ips.len());
        prop_assert_eq!(t.resolved + t.unresolved(), t.given);
        for (e, want) in batch.entries().iter().zip(&ips) {
            prop_assert_eq!(e.ip, *want);
            let failure = e.outcome.reason().is_some_and(UnresolvedReason::is_failure);
            prop_assert_eq!(failure, e.outcome.error().is_some(), "{:?}", e);
        }
        if matches!(peer, Peer::Serving(Mode::Proper)) {
            prop_assert_eq!(t.failed(), 0, "{}", t);
        }
    }
}
