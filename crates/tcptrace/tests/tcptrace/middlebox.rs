//! Middleboxes that are real: nftables rules on a namespace router rewrite the probes it
//! forwards, and the trace must show each rewrite from the first TTL past it (root).
//!
//! The network is `src — r1 — r2 — r3 — r4 — web`; the rules sit on r2, on the way out to r3.
//! r2 itself quotes the probe as it received it, so every rewrite first shows at TTL 3, after
//! TTL 2, with TTLs 1 and 2 clean.

use std::io::Write as _;
use std::net::IpAddr;
use std::process::Stdio;
use std::time::Duration;

use tcptrace::{RewriteField as F, StopReason, Trace, TraceConfig, TraceReport};
use testbed::netns::{Destination, Family, Topology};

/// The network with the nftables script that `rules` writes (given the network and r2's
/// interface towards r3) loaded on r2.
fn network_with(rules: impl FnOnce(&Topology, &str) -> String) -> Topology {
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3", "r4"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "r4", "web"])
        .build()
        .unwrap();
    let out = net.interface("r2", "r3").unwrap().to_owned();
    let script = rules(&net, &out);
    nft(&net, "r2", &script);
    net
}

/// Loads `rules` (an nftables script) into `node`'s namespace.
fn nft(net: &Topology, node: &str, rules: &str) {
    let mut child = net
        .command(node, "nft")
        .unwrap()
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nft");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rules.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "nft: {}\n{rules}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn trace(net: &Topology, targets: &[IpAddr]) -> TraceReport {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .timeout(Duration::from_millis(500))
        .max_ttl(8)
        .build()
        .unwrap();
    net.run_in(net.source(), move || tcptrace::trace(&config))
        .unwrap()
        .unwrap()
}

/// What `dublin-traceroute` (one path, UDP) finds from the source to `target`: per TTL that
/// answered, the NAT ID it computed (0 when the quote shows no NAT). It needs a default route
/// to find its interface (it aborts without one), so the source gets one first.
fn dublin(net: &Topology, target: IpAddr) -> Vec<(u8, u64)> {
    let gw = net.interface_address("r1", "src", Family::V4).unwrap();
    let st = net
        .command("src", "ip")
        .unwrap()
        .args(["route", "replace", "default", "via", &gw.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let dir = tempfile::tempdir().unwrap();
    let out = net
        .command("src", "dublin-traceroute")
        .unwrap()
        .arg(target.to_string())
        .args(["--npaths=1", "--max-ttl=6"])
        .current_dir(dir.path())
        .output()
        .expect("dublin-traceroute (cargo xtask setup installs it)");
    let text = std::fs::read_to_string(dir.path().join("trace.json")).unwrap_or_else(|e| {
        panic!(
            "dublin-traceroute wrote no trace.json ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hops = v["flows"]["33434"].as_array().expect("flow 33434");
    hops.iter()
        .filter(|h| !h["received"].is_null())
        .map(|h| {
            let ttl = h["sent"]["ip"]["ttl"].as_u64().unwrap() as u8;
            (ttl, h["nat_id"].as_u64().unwrap())
        })
        .collect()
}

fn fields(t: &Trace, ttl: u8) -> Vec<F> {
    let hop = t.hop(ttl).unwrap_or_else(|| panic!("no TTL {ttl}: {t:?}"));
    assert!(!hop.replies.is_empty(), "TTL {ttl} is silent: {t:?}");
    hop.replies[0].rewrites.iter().map(|r| r.field).collect()
}

/// Every router answered, the destination too, the rewrites show at TTLs 3 and 4 only, and the
/// one middlebox is located after TTL 2.
fn assert_rewritten_after_r2(net: &Topology, t: &Trace, want: &[F]) {
    assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
    let truth = net.ground_truth(t.addr).unwrap();
    assert_eq!(t.destination_ttl(), Some(truth.destination_ttl), "{t:?}");
    for h in &t.hops {
        for r in &h.replies {
            assert!(truth.accepts(h.ttl, t.port, r.from), "{t:?}");
        }
    }
    assert_eq!(fields(t, 1), [], "{t:?}");
    assert_eq!(fields(t, 2), [], "{t:?}");
    assert_eq!(fields(t, 3), want, "{t:?}");
    assert_eq!(fields(t, 4), want, "{t:?}");
    assert_eq!(t.middleboxes.len(), 1, "{:?}", t.middleboxes);
    let m = &t.middleboxes[0];
    assert_eq!((m.ttl, m.after_ttl), (3, Some(2)), "{m:?}");
    let located: Vec<F> = m.rewrites.iter().map(|r| r.field).collect();
    assert_eq!(located, want);
}

fn rewritten(t: &Trace, ttl: u8, field: F) -> String {
    t.hop(ttl).unwrap().replies[0]
        .rewrites
        .iter()
        .find(|r| r.field == field)
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[test]
fn mss_clamping_dscp_and_ecn_rewrites_are_located() {
    if !testbed::require_root("tcptrace middlebox mss_clamping_dscp_and_ecn_rewrites_are_located") {
        return;
    }
    let net = network_with(|_, out| {
        format!(
            "table inet mangle {{
  chain forward {{
    type filter hook forward priority mangle; policy accept;
    oifname \"{out}\" tcp flags syn tcp option maxseg size set 1300
    oifname \"{out}\" ip dscp set af11
    oifname \"{out}\" ip ecn set ect1
    oifname \"{out}\" ip6 dscp set cs1
    oifname \"{out}\" ip6 ecn set ce
  }}
}}"
        )
    });
    let v4 = net.address("web", Family::V4).unwrap();
    let v6 = net.address("web", Family::V6).unwrap();
    let report = trace(&net, &[v4, v6]);
    let want = [F::Dscp, F::Ecn, F::Mss];
    for t in &report.traces {
        assert_rewritten_after_r2(&net, t, &want);
        // Linux quotes the whole probe, so the options could be compared.
        assert_eq!(t.hop(3).unwrap().replies[0].quoted_tcp, Some(40));
    }
    let (t4, t6) = (&report.traces[0], &report.traces[1]);
    assert_eq!(rewritten(t4, 3, F::Mss), "mss 1460→1300");
    assert_eq!(rewritten(t6, 3, F::Mss), "mss 1440→1300");
    assert_eq!(rewritten(t4, 3, F::Dscp), "dscp 0→10");
    assert_eq!(rewritten(t4, 3, F::Ecn), "ecn 0→1");
    assert_eq!(rewritten(t6, 3, F::Dscp), "dscp 0→8");
    assert_eq!(rewritten(t6, 3, F::Ecn), "ecn 0→3");
    let table = report.scapy_table();
    assert!(
        table.contains(&format!(
            "* {v4}:tcp80 middlebox before TTL 3: dscp 0→10, ecn 0→1, mss 1460→1300"
        )),
        "{table}"
    );
    let summary = report.summary();
    assert!(
        summary.contains("* middlebox before TTL 3: dscp 0→8, ecn 0→3, mss 1440→1300"),
        "{summary}"
    );
}

/// A scrubber that zeroes the IPv4 ID, shrinks the window and overwrites the timestamps and
/// SACK-permitted options with NOPs (`reset tcp option`): each shows from TTL 3, options by
/// value and in the layout of the list.
#[test]
fn ip_id_window_and_stripped_options_are_located() {
    if !testbed::require_root("tcptrace middlebox ip_id_window_and_stripped_options_are_located") {
        return;
    }
    let net = network_with(|_, out| {
        format!(
            "table inet scrub {{
  chain forward {{
    type filter hook forward priority mangle; policy accept;
    oifname \"{out}\" ip id set 0
    oifname \"{out}\" tcp flags syn tcp window set 1024
    oifname \"{out}\" tcp flags syn reset tcp option timestamp
    oifname \"{out}\" tcp flags syn reset tcp option sack-perm
  }}
}}"
        )
    });
    let v4 = net.address("web", Family::V4).unwrap();
    let report = trace(&net, &[v4]);
    let t = &report.traces[0];
    let want = [
        F::IpId,
        F::Window,
        F::SackPermitted,
        F::Timestamp,
        F::TcpOptions,
    ];
    assert_rewritten_after_r2(&net, t, &want);
    assert_eq!(rewritten(t, 3, F::Window), "window 8192→1024");
    assert_eq!(rewritten(t, 3, F::SackPermitted), "sack_permitted yes→no");
    assert_eq!(
        rewritten(t, 4, F::TcpOptions),
        "tcp_options [2,4,8,1,3]→[2,1,1,1,1,1,1,1,1,1,1,1,1,1,3]"
    );
    assert!(rewritten(t, 3, F::IpId).ends_with("→0x0"), "{t:?}");
}

/// Stateless NAT on r2, IPv4 and IPv6: the source address becomes r2's own on the r2–r3 link and the source
/// port has a bit flipped; r2 translates the answers' destination back (and the SYN-ACK's
/// port), but not the quotes inside ICMP errors, which a stateless rule never looks into.
#[test]
fn stateless_source_address_and_port_rewrites_are_matched_and_flagged() {
    if !testbed::require_root(
        "tcptrace middlebox stateless_source_address_and_port_rewrites_are_matched_and_flagged",
    ) {
        return;
    }
    let sides = |net: &Topology, family| {
        let outside = net.interface_address("r2", "r3", family).unwrap();
        (net.source_address(family), outside)
    };
    let net = network_with(|net, out| {
        let (inside, outside) = sides(net, Family::V4);
        let (inside6, outside6) = sides(net, Family::V6);
        format!(
            "table inet nat {{
  chain out {{
    type filter hook postrouting priority srcnat; policy accept;
    oifname \"{out}\" ip saddr {inside} ip saddr set {outside}
    oifname \"{out}\" ip saddr {outside} tcp sport set tcp sport ^ 256
    oifname \"{out}\" ip6 saddr {inside6} ip6 saddr set {outside6}
    oifname \"{out}\" ip6 saddr {outside6} tcp sport set tcp sport ^ 256
  }}
  chain back {{
    type filter hook prerouting priority raw; policy accept;
    iifname \"{out}\" ip daddr {outside} tcp dport set tcp dport ^ 256
    iifname \"{out}\" ip daddr {outside} ip daddr set {inside}
    iifname \"{out}\" ip6 daddr {outside6} tcp dport set tcp dport ^ 256
    iifname \"{out}\" ip6 daddr {outside6} ip6 daddr set {inside6}
  }}
}}"
        )
    });
    let v4 = net.address("web", Family::V4).unwrap();
    let v6 = net.address("web", Family::V6).unwrap();
    let report = trace(&net, &[v4, v6]);
    for (t, family) in report.traces.iter().zip([Family::V4, Family::V6]) {
        assert_rewritten_after_r2(&net, t, &[F::SrcAddr, F::SrcPort]);
        let (inside, outside) = sides(&net, family);
        assert_eq!(
            rewritten(t, 3, F::SrcAddr),
            format!("src_addr {inside}→{outside}")
        );
    }
    // The peer: dublin-traceroute's NAT ID is 0 up to TTL 2, as our rewrites are empty there.
    // Past the NAT, dublin-traceroute 0.4.2 drops the errors whose quote has a source that is
    // not its own (it finds no hop from TTL 3 on), where we match and flag them; should it
    // match one, its NAT ID must show the NAT.
    let d = dublin(&net, v4);
    assert!(d.iter().any(|&(t, _)| t == 2), "dublin-traceroute: {d:?}");
    assert!(
        d.iter().all(|&(t, nat)| (t >= 3) == (nat != 0)),
        "dublin-traceroute: {d:?}"
    );
}

/// A firewall that changes sequence numbers (flipping the top bit, so that adding the same
/// offset back to the acknowledgments restores them): the quotes past it carry a sequence
/// number that is none of ours, the IPv4 ID names the probe, and the timestamp's `TSval`, which
/// the firewall left alone, still holds the sequence number that was sent.
#[test]
fn a_sequence_rewrite_is_matched_by_the_ip_id() {
    if !testbed::require_root("tcptrace middlebox a_sequence_rewrite_is_matched_by_the_ip_id") {
        return;
    }
    let net = network_with(|_, out| {
        format!(
            "table inet seq {{
  chain forward {{
    type filter hook forward priority mangle; policy accept;
    oifname \"{out}\" tcp flags syn tcp sequence set tcp sequence ^ 0x80000000
    iifname \"{out}\" tcp flags & ack == ack tcp ackseq set tcp ackseq ^ 0x80000000
  }}
}}"
        )
    });
    let v4 = net.address("web", Family::V4).unwrap();
    let report = trace(&net, &[v4]);
    assert_rewritten_after_r2(&net, &report.traces[0], &[F::Seq]);
}

/// A stateful masquerade on r2. Linux's NAT translates the quote inside each ICMP error back
/// along with the error itself (RFC 5508, section 4.2), so the quotes past it show the probe
/// as sent: the NAT is invisible in them, and the trace is the plain one.
#[test]
fn a_stateful_masquerade_translates_the_quotes_back() {
    if !testbed::require_root("tcptrace middlebox a_stateful_masquerade_translates_the_quotes_back")
    {
        return;
    }
    let net = network_with(|_, out| {
        format!(
            "table ip nat {{
  chain post {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname \"{out}\" masquerade random
  }}
}}"
        )
    });
    let v4 = net.address("web", Family::V4).unwrap();
    let report = trace(&net, &[v4]);
    let t = &report.traces[0];
    assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
    assert_eq!(t.hops.len(), 5, "{t:?}");
    for ttl in 1..=5 {
        assert_eq!(fields(t, ttl), [], "TTL {ttl}: {t:?}");
    }
    assert_eq!(t.middleboxes, []);
    // dublin-traceroute, whose NAT detection reads the same quotes, sees no NAT either.
    let d = dublin(&net, v4);
    assert!(d.iter().any(|&(t, _)| t == 4), "{d:?}");
    assert!(
        d.iter().all(|&(_, nat)| nat == 0),
        "dublin-traceroute: {d:?}"
    );
}
