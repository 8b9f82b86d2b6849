//! scapy as the oracle: in the same namespace test network, scapy's `traceroute` and tcptrace
//! find the same hops, and both match the topology's ground truth.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{ReplyKind, TraceConfig, TraceReport};
use testbed::netns::{Destination, Family, Reply, Topology};

/// Per (target, port), per TTL: who answered, and how (`11`, `SA`, `RA`, `3`).
type Table = BTreeMap<(IpAddr, u16), BTreeMap<u8, BTreeSet<(IpAddr, String)>>>;

const MAX_TTL: u8 = 8;
const PORTS: [u16; 2] = [80, 443];
/// Both tools get the same per-probe timeout and retries: a reply delayed by a loaded machine
/// must not pass for a difference between them.
const TIMEOUT_S: u64 = 1;
const RETRY: i32 = 2;

/// scapy's `traceroute` (IPv4) or `traceroute6` (IPv6) over every target and port at once,
/// printing one JSON row per answer: `[dst, dport, ttl, from, kind]`.
const SCAPY: &str = r#"
import json, sys
from scapy.all import conf, traceroute, ICMP, IP, TCP
from scapy.layers.inet6 import traceroute6, IPv6, ICMPv6TimeExceeded, ICMPv6DestUnreach
conf.verb = 0
targets = sys.argv[1].split(",")
ports = [int(p) for p in sys.argv[2].split(",")]
v6 = ":" in targets[0]
run = traceroute6 if v6 else traceroute
res, _ = run(targets, dport=ports, minttl=1, maxttl=int(sys.argv[3]),
             timeout=float(sys.argv[4]), retry=int(sys.argv[5]), verbose=0)
rows = []
for snd, rcv in res:
    if v6 and rcv.haslayer(ICMPv6TimeExceeded):
        kind = "11"
    elif v6 and rcv.haslayer(ICMPv6DestUnreach):
        kind = "3"
    elif not v6 and rcv.haslayer(ICMP):
        kind = str(rcv[ICMP].type)
    elif rcv.haslayer(TCP):
        f = int(rcv[TCP].flags)
        kind = "SA" if f & 0x12 == 0x12 else ("RA" if f & 0x04 else str(f))
    else:
        kind = "?"
    ip_s, ip_r = (snd[IPv6], rcv[IPv6]) if v6 else (snd[IP], rcv[IP])
    ttl = ip_s.hlim if v6 else ip_s.ttl
    rows.append([ip_s.dst, snd[TCP].dport, ttl, ip_r.src, kind])
print(json.dumps(rows))
"#;

/// `src - r1 - r2 (silent) - r3 - web` (2 addresses, 80 open, 443 closed) and
/// `r1 - r4 - db` (443 open, 80 closed).
fn network() -> Topology {
    Topology::builder()
        .source("src")
        .routers(["r1", "r3", "r4"])
        .silent_router("r2")
        .destination("web", Destination::new().listen(80).addresses(2))
        .destination("db", Destination::new().listen(443))
        .chain(["src", "r1", "r2", "r3", "web"])
        .chain(["r1", "r4", "db"])
        .build()
        .expect("build the test network")
}

fn targets(net: &Topology, family: Family) -> Vec<IpAddr> {
    let mut t = net.targets("web", family).unwrap();
    t.extend(net.targets("db", family).unwrap());
    t
}

fn scapy(net: &Topology, targets: &[IpAddr]) -> Table {
    let list: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let ports: Vec<String> = PORTS.iter().map(ToString::to_string).collect();
    let out = net
        .command("src", "python3")
        .unwrap()
        .args(["-c", SCAPY])
        .arg(list.join(","))
        .arg(ports.join(","))
        .arg(MAX_TTL.to_string())
        .arg(TIMEOUT_S.to_string())
        .arg(RETRY.to_string())
        .output()
        .expect("run python3 (scapy is installed by `cargo xtask setup`: pip install scapy)");
    assert!(
        out.status.success(),
        "scapy failed ({}); `pip install scapy` is part of `cargo xtask setup`: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(IpAddr, u16, u8, IpAddr, String)> =
        serde_json::from_slice(&out.stdout).expect("scapy's JSON rows");
    let mut table = Table::new();
    for (dst, port, ttl, from, kind) in rows {
        table
            .entry((dst, port))
            .or_default()
            .entry(ttl)
            .or_default()
            .insert((from, kind));
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
                    ReplyKind::TimeExceeded => "11".to_owned(),
                    ReplyKind::SynAck => "SA".to_owned(),
                    ReplyKind::Rst => "RA".to_owned(),
                    ReplyKind::Unreachable(_) => "3".to_owned(),
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
fn upto(table: &Table, key: (IpAddr, u16), last: u8) -> BTreeMap<u8, BTreeSet<(IpAddr, String)>> {
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
    let targets = targets(&net, family);
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
                    Some(r) => r.iter().all(|(a, k)| hop.accepts(*a) && k == "11"),
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
                Reply::SynAck => "SA",
                Reply::Rst => "RA",
                Reply::Nothing => unreachable!("no destination here drops SYNs"),
            };
            let at_dest: Vec<_> = s.get(&dttl).into_iter().flatten().cloned().collect();
            if at_dest != vec![(target, want.to_owned())] {
                diffs.push(format!(
                    "{target}:{port} TTL {dttl}: scapy saw {at_dest:?}, truth {want} from {target}"
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
