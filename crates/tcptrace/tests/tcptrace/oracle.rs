//! scapy as the oracle: in the same namespace test network, scapy's `traceroute` and tcptrace
//! find the same hops, and both match the topology's ground truth.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{ReplyKind, TraceConfig, TraceReport};
use testbed::netns::{Destination, Family, Reply, Topology};
use testbed::scapy::{AnswerKind, Network, Traceroute};

/// Per (target, port), per TTL: who answered, and how.
type Table = BTreeMap<(IpAddr, u16), BTreeMap<u8, BTreeSet<(IpAddr, AnswerKind)>>>;

const MAX_TTL: u8 = 8;
const PORTS: [u16; 2] = Network::PORTS;
/// Both tools get the same per-probe timeout and retries: a reply delayed by a loaded machine
/// must not pass for a difference between them.
const TIMEOUT_S: u64 = 1;
const RETRY: i32 = 2;

/// `src - r1 - r2 (silent) - r3 - web` (2 addresses, 80 open, 443 closed) and
/// `r1 - r4 - db` (443 open, 80 closed).
fn network() -> Topology {
    Network::new()
        .routers(3)
        .silent(2)
        .branch_at(1)
        .web_addresses(2)
        .build()
        .unwrap_or_else(|e| panic!("build the test network: {e}"))
}

/// scapy's answers as a [`Table`].
fn scapy(net: &Topology, targets: &[IpAddr]) -> Table {
    let run = Traceroute::new()
        .ports(PORTS)
        .max_ttl(MAX_TTL)
        .timeout(Duration::from_secs(TIMEOUT_S))
        .retry(RETRY)
        .run(net, targets)
        .unwrap_or_else(|e| panic!("{e}"));
    // Every probe scapy was given is answered or unanswered, once.
    let tally = run.tally();
    assert!(tally.is_complete(), "{tally:?}");
    assert_eq!(
        tally.given,
        targets.len() * PORTS.len() * usize::from(MAX_TTL)
    );
    let mut table = Table::new();
    for a in run.answers {
        table
            .entry((a.target, a.port))
            .or_default()
            .entry(a.ttl)
            .or_default()
            .insert((a.from, a.kind));
    }
    table
}

fn ours(net: &Topology, targets: &[IpAddr], all_ttls: bool) -> (TraceReport, Table) {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .ports(PORTS)
        .max_ttl(MAX_TTL)
        .timeout(Duration::from_secs(TIMEOUT_S))
        .retry(RETRY)
        .all_ttls(all_ttls)
        .build()
        .unwrap();
    let report = net
        .run_in("src", move || tcptrace::trace(&config))
        .unwrap()
        .expect("tcptrace run");
    let mut table = Table::new();
    for t in &report.traces {
        for hop in &t.hops {
            for r in &hop.replies {
                let kind = match r.kind {
                    ReplyKind::TimeExceeded => AnswerKind::TimeExceeded,
                    ReplyKind::SynAck => AnswerKind::SynAck,
                    ReplyKind::Rst => AnswerKind::Rst,
                    ReplyKind::Unreachable(_) => AnswerKind::Unreachable,
                    ReplyKind::EchoReply => panic!("a TCP trace got an echo reply: {r:?}"),
                };
                table
                    .entry((t.addr, t.port))
                    .or_default()
                    .entry(hop.ttl)
                    .or_default()
                    .insert((r.from, kind));
            }
        }
    }
    (report, table)
}

/// The rows of `table` for one (target, port), up to and including `last` TTL.
fn upto(
    table: &Table,
    key: (IpAddr, u16),
    last: u8,
) -> BTreeMap<u8, BTreeSet<(IpAddr, AnswerKind)>> {
    table
        .get(&key)
        .map(|rows| {
            rows.iter()
                .filter(|(ttl, _)| **ttl <= last)
                .map(|(ttl, r)| (*ttl, r.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// scapy and tcptrace (every TTL, and stopping at the destination) find the same hops, and
/// scapy's agree with the ground truth.
fn same_hops(family: Family) {
    let net = network();
    let targets = Network::targets(&net, family).unwrap();
    let theirs = scapy(&net, &targets);
    let (report, all) = ours(&net, &targets, true);
    let (_, stopped) = ours(&net, &targets, false);
    assert_eq!(report.traces.len(), targets.len() * PORTS.len());

    // Every difference, so that a failure shows them all at once.
    let mut diffs = Vec::new();
    for &target in &targets {
        let truth = net.ground_truth(target).unwrap();
        let dttl = truth.destination_ttl;
        for port in PORTS {
            let key = (target, port);
            // Every TTL to the maximum, as scapy probes them: the same table.
            let (a, s) = (upto(&all, key, MAX_TTL), upto(&theirs, key, MAX_TTL));
            if a != s {
                diffs.push(format!(
                    "{target}:{port} all TTLs: tcptrace {a:?} scapy {s:?}"
                ));
            }
            // Stopping at the destination: the same hops up to it.
            let (o, s) = (upto(&stopped, key, dttl), upto(&theirs, key, dttl));
            if o != s {
                diffs.push(format!(
                    "{target}:{port} stop at destination: tcptrace {o:?} scapy {s:?}"
                ));
            }
            // And scapy (so tcptrace too) agrees with the ground truth.
            for hop in &truth.hops {
                let ok = match s.get(&hop.ttl) {
                    None => hop.is_silent(),
                    Some(r) => r
                        .iter()
                        .all(|(a, k)| hop.accepts(*a) && *k == AnswerKind::TimeExceeded),
                };
                if !ok {
                    diffs.push(format!(
                        "{target}:{port} TTL {}: scapy saw {:?}, truth {hop:?}",
                        hop.ttl,
                        s.get(&hop.ttl)
                    ));
                }
            }
            let want = match truth.reply(port) {
                Reply::SynAck => AnswerKind::SynAck,
                Reply::Rst => AnswerKind::Rst,
                Reply::Nothing => unreachable!("no destination here drops SYNs"),
            };
            let at_dest: Vec<_> = s.get(&dttl).into_iter().flatten().cloned().collect();
            if at_dest != vec![(target, want.clone())] {
                diffs.push(format!(
                    "{target}:{port} TTL {dttl}: scapy saw {at_dest:?}, truth {want:?} from {target}"
                ));
            }
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    // The silent router shows in both as a gap at TTL 2 towards web.
    let web = targets[0];
    assert!(!theirs[&(web, 80)].contains_key(&2));
    assert!(!all[&(web, 80)].contains_key(&2));
}

#[test]
fn scapy_and_tcptrace_find_the_same_hops() {
    if !testbed::require_root("tcptrace::oracle::scapy_and_tcptrace_find_the_same_hops") {
        return;
    }
    same_hops(Family::V4);
}

#[test]
fn scapy_and_tcptrace_find_the_same_hops_over_ipv6() {
    if !testbed::require_root("tcptrace::oracle::scapy_and_tcptrace_find_the_same_hops_over_ipv6") {
        return;
    }
    same_hops(Family::V6);
}

/// Under ECMP scapy changes its source port at every probe, so its hops may mix branches;
/// tcptrace keeps one 5-tuple per (target, port). Both must only report legitimate routers,
/// both must find the destination at the same TTL, and each tcptrace trace must be one path.
#[test]
fn under_ecmp_both_are_right_and_tcptrace_keeps_one_path() {
    if !testbed::require_root(
        "tcptrace::oracle::under_ecmp_both_are_right_and_tcptrace_keeps_one_path",
    ) {
        return;
    }
    // src - r1 < a | b > r2 < c | d > r3 - web: two diamonds in a row, 4 paths.
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "a", "b", "r2", "c", "d", "r3"])
        .destination("web", Destination::new().listen(80).addresses(8))
        .chain(["src", "r1", "a", "r2", "c", "r3", "web"])
        .chain(["r1", "b", "r2", "d", "r3"])
        .build()
        .expect("build the test network");
    let targets = net.targets("web", Family::V4).unwrap();
    let theirs = scapy(&net, &targets);
    let (_, all) = ours(&net, &targets, true);
    let mut branches = BTreeSet::new();
    let mut diffs = Vec::new();
    for &target in &targets {
        let truth = net.ground_truth(target).unwrap();
        let dttl = truth.destination_ttl;
        assert_eq!(truth.hops[1].candidates.len(), 2);
        for port in PORTS {
            let key = (target, port);
            for (who, table) in [("scapy", &theirs), ("tcptrace", &all)] {
                let rows = upto(table, key, MAX_TTL);
                for ttl in 1..=MAX_TTL {
                    let seen = rows.get(&ttl).cloned().unwrap_or_default();
                    let ok =
                        !seen.is_empty() && seen.iter().all(|(a, _)| truth.accepts(ttl, port, *a));
                    if !ok {
                        diffs.push(format!("{who} {target}:{port} TTL {ttl}: {seen:?}"));
                    }
                }
            }
            // tcptrace: exactly one answer per TTL, and the routers chain up.
            let rows = upto(&all, key, dttl - 1);
            let path: Vec<Option<IpAddr>> = (1..dttl)
                .map(|ttl| {
                    let r = rows.get(&ttl)?;
                    (r.len() == 1).then(|| r.iter().next().map(|(a, _)| *a))?
                })
                .collect();
            if path.iter().any(Option::is_none) || !truth.is_one_path(&path) {
                diffs.push(format!(
                    "tcptrace {target}:{port} is not one path: {rows:?}"
                ));
            }
            branches.insert(path);
        }
    }
    assert!(
        diffs.is_empty(),
        "{} problems:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    // 16 flows over 4 paths under an L4 hash: more than one path is used.
    assert!(
        branches.len() > 1,
        "every flow took the same path: {branches:?}"
    );
}
