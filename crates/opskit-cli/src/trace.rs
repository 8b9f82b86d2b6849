//! `opskit trace`: TCP SYN traceroute to many targets and ports at once.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use tcptrace::{TraceConfig, TraceReport};

use crate::error::{Context as _, Error, Exit, Result, warn, write_stdout};

mod live;

/// Arguments of `opskit trace`.
#[derive(clap::Args)]
#[command(
    after_help = "Like scapy's traceroute(targets, dport=[...]). Prints scapy's table (one row per TTL, one \
                  column per target:port; cells are the hop address with 11 for ICMP time \
                  exceeded, SA for SYN-ACK, RA for RST-ACK, or - for no answer).\n\n\
                  Needs raw sockets: run as root, or grant the binary CAP_NET_RAW once with \
                  `sudo setcap cap_net_raw+ep $(which opskit)`.\n\n\
                  Every (target, port) is in the output. A trace ends by a stop condition (the \
                  destination answered, an ICMP unreachable, --max-ttl, or --gap-limit silent \
                  TTLs in a row), or is cut short by the --deadline, or failed because there is \
                  no route to its target or its probes could not be sent; the last two are \
                  marked in the output (a `!` line after the table, `stop_reason` in --json) \
                  and counted on stderr. A target whose name does not resolve, or whose address \
                  no trace can reach (unspecified, multicast, broadcast), is not traced and the \
                  others still are: it gets a `! TARGET:tcpPORT: not traced, REASON` line per \
                  port (`failed_targets` in --json) and a warning.\n\n\
                  --rounds N sends N probes to each hop, one per round, --interval apart, as \
                  mtr -c N does, and prints the summary (unless --json): per hop the loss, \
                  probes sent (Snt) and answered in time (Rcv), the best, average and worst \
                  RTT, their standard deviation (StDev) and the jitter (Jttr: the mean \
                  absolute difference of the RTTs of consecutive probes, mtr's Javg); --json \
                  has them in each hop's `stats`. The first round finds the path; the later \
                  ones probe it to where it ended. On a terminal the summary is redrawn after \
                  every round, and any run longer than a second shows a progress line on \
                  stderr (traces done, probes sent, replies); a pipe or a file gets the final \
                  result only.\n\n\
                  An ICMP unreachable ends its trace at that hop, marked as traceroute marks \
                  it: !N (network), !H (host), !P (protocol), !X (administratively \
                  prohibited), !F, !S, !V, !C, !<CODE>; a port unreachable has no mark in the \
                  table and says so in the summary; --json has `unreachable` on the reply \
                  (net, host, protocol, port, admin_prohibited...). MPLS labels quoted by a \
                  router follow its cell and its summary line as [MPLS: Lbl 24000 Exp 0 S 1 \
                  TTL 1]. The summary ends with the engine's counters (probes sent, replies, \
                  and the packets dropped as unmatched, duplicate, late or rewritten); --json \
                  has them in `engine_stats`.\n\n\
                  The default --deadline covers the whole plan even when answers are lost or \
                  late: with P = targets x ports x TTLs x attempts (1 + --retry, or 64 for a \
                  negative --retry) x --rounds, W = --max-in-flight and T = --probe-timeout, \
                  it is ceil(P / W) x T + TTLs x attempts x T + (rounds - 1) x (--interval + \
                  T) + P / --pps + targets x ports x attempts x rounds x \
                  --router-interval + 1 s: 63 s for one target \
                  on one port with the defaults, 2405 s for 10,000 targets. A run normally ends \
                  long before it (a dead target stops at the --gap-limit after one timeout).\n\n\
                  Middleboxes: each ICMP error's quote of the probe is compared with the probe \
                  sent (addresses, ports, IP ID, DSCP, ECN, sequence number, flags, window, MSS \
                  and the other TCP options; past the sequence number only as far as the router \
                  quoted). A cell where a rewrite first shows ends in ` *`, and a `* ...` line \
                  under the table says what changed; `rewrites` and `middleboxes` in --json.\n\n\
                  --mda (multipath discovery, as scamper's tracelb and Paris traceroute's MDA) \
                  probes each hop with many flows (TCP source ports) until the MDA's stopping \
                  rule at --confidence says no interface is left: n_k answers for the k \
                  interfaces seen (6, 11, 16, 21, 27, 33, 38, 44 for k = 1..8 at 95%), one \
                  per router at the destination's TTL. MDA-Lite assumes uniform, unmeshed \
                  load balancing and checks it from the links; where a hop is meshed or \
                  uneven it falls back to the full MDA, n_k flows through each router of the \
                  hop before. Each hop gets at most 255 probes; --retry is not used (lost \
                  probes are made up with other flows). Every interface of a TTL is in its \
                  row (one cell per interface, with its flow count), a `<> ...` line under the \
                  table names each diamond (where the paths diverge and meet again, how wide); \
                  --json has each reply's `flow` (source port), the trace's `links` (`ttl`, \
                  `from`, `to`) and `diamonds`; the map draws the links as its edges.\n\n\
                  With --rdns, names come from one nameserver (--dns-server, or the first of \
                  /etc/resolv.conf) within --rdns-deadline for all lookups together.\n\n\
                  Exit status: 0 when every trace ended by a stop condition; 1 when the traces \
                  were printed but some target could not be traced, some traces were cut short \
                  by the deadline or failed, or a later \
                  step failed (AS resolution, geography, reverse DNS lookups that failed or timed out, \
                  writing --svg/--png/--html, a map over its size limit), with a warning on stderr; 2 on \
                  an error."
)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
pub(crate) struct Args {
    /// Targets: host names or IPv4/IPv6 addresses.
    #[arg(required = true, value_name = "TARGET")]
    targets: Vec<String>,
    /// Destination ports: a list such as 80,443 or 8000-8010.
    #[arg(short = 'p', long = "port", default_value = "80", value_name = "PORTS")]
    ports: String,
    /// The first TTL to probe.
    #[arg(long, default_value_t = 1, value_name = "TTL")]
    min_ttl: u8,
    /// The last TTL to probe.
    #[arg(long, default_value_t = 30, value_name = "TTL")]
    max_ttl: u8,
    /// How long to wait for each probe's answer: seconds or a span such as 500ms.
    #[arg(long, default_value = "2", value_name = "SPAN", value_parser = crate::duration::parse)]
    probe_timeout: Duration,
    /// The deadline of the whole run, such as 90s or 10m; traces still unfinished then are
    /// printed as cut short and the exit status is 1 [default: derived from the plan, see
    /// below].
    #[arg(long, value_name = "SPAN", value_parser = crate::duration::parse)]
    deadline: Option<Duration>,
    /// scapy's retry: N resends unanswered probes N times; -N keeps resending until N rounds
    /// in a row bring no new answer.
    #[arg(
        long,
        default_value_t = 0,
        allow_negative_numbers = true,
        value_name = "N"
    )]
    retry: i32,
    /// Probes per hop, one per round, --interval apart (mtr's -c); 1 to 256. Prints the
    /// summary with per-hop statistics unless --json. Cannot be combined with --retry.
    #[arg(long, default_value_t = 1, value_name = "N")]
    rounds: u32,
    /// The time between the starts of consecutive rounds: seconds or a span such as 500ms.
    #[arg(long, default_value = "1", value_name = "SPAN", value_parser = crate::duration::parse)]
    interval: Duration,
    #[command(flatten)]
    mda: MdaArgs,
    /// Send at most this many probes per second (default: no pacing).
    #[arg(long, value_name = "PPS")]
    pps: Option<u32>,
    /// Send probes from the addresses of this prefix, each target from the next one of its
    /// family (repeatable; IPv4 a /16 at most, /30 and wider without the network and
    /// broadcast addresses; IPv6 a /112 at most, /126 and wider without the first address;
    /// a family without any sends from the kernel's choice). Linux routers answer about one probe a second to each source address
    /// past a burst of 6, so a large run from one address loses hops that a pool gets back.
    /// The host must own every address (for a whole IPv4 prefix: `ip route add local PREFIX
    /// dev lo`; IPv6 addresses must be on an interface; and a route back on the routers);
    /// each is checked before anything is sent.
    #[arg(long, value_name = "PREFIX", value_parser = parse_prefix)]
    source_pool: Vec<Prefix>,
    /// Send each trace's TTLs back to back before the next trace's turn, instead of every
    /// trace taking turns one TTL at a time: with --pps, the routers near the source then get
    /// about PPS / gap limit probes a second instead of all of them.
    #[arg(long)]
    depth_first: bool,
    /// Pace per router: after a burst of --router-burst, at most one probe per SPAN from each
    /// source address expires at each TTL (the routers of one TTL share its turns). Linux
    /// routers answer each host about once a second past a burst of 6, so `1s` gets every
    /// hop behind them from one address, at about a second per target. Cannot be combined
    /// with --mda.
    #[arg(long, value_name = "SPAN", value_parser = crate::duration::parse)]
    router_interval: Option<Duration>,
    /// The burst of --router-interval: probes per (source address, TTL) sent at once before
    /// the pacing starts; keep it below the routers' (Linux's is 6) and below what other
    /// traffic to them left.
    #[arg(
        long,
        default_value_t = 1,
        value_name = "N",
        requires = "router_interval"
    )]
    router_burst: u32,
    /// The most probes in flight at once.
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_in_flight: u32,
    /// Probe every TTL up to --max-ttl, as scapy does, instead of stopping where the
    /// destination answers. Implies --gap-limit 0 unless given.
    #[arg(long)]
    all_ttls: bool,
    /// Stop a trace after N silent TTLs in a row; 0 for no limit [default: 5, or 0 with
    /// --all-ttls].
    #[arg(long, value_name = "N")]
    gap_limit: Option<u8>,
    /// Print the report as JSON instead of the table: one document, described by the JSON
    /// Schema `schemas/trace.json` of the opskit sources.
    #[arg(long, conflicts_with = "summary")]
    json: bool,
    /// Print an mtr-like per-hop summary (loss, best/avg/worst RTT, standard deviation,
    /// jitter, and the engine's counters) instead of the table.
    #[arg(long)]
    summary: bool,
    /// Annotate replies with their AS from this database (an ip-location-db CSV, iptoasn TSV,
    /// pyasn .dat or MMDB file).
    #[arg(long, value_name = "FILE")]
    asn_db: Option<PathBuf>,
    /// Annotate replies with their AS from a whois service: cymru, ris or radb (queried after
    /// --asn-db when both are given).
    #[arg(long, value_name = "SERVICE")]
    asn_whois: Option<String>,
    /// Annotate replies with their country and city from this geography database: an
    /// ip-location-db country or city CSV table or an MMDB (GeoLite2-City/Country,
    /// ip-location-db's geolite2-city), format detected. The summary shows `(CITY, CC)`
    /// after each address, the table the country code, --json each reply's `geo`, the map
    /// its node labels. Repeat for the IPv4 and IPv6 halves.
    #[arg(long, value_name = "FILE")]
    geo_db: Vec<PathBuf>,
    /// Also draw the route map as SVG to this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Also draw the route map as PNG to this file.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Also write the route map as one self-contained HTML page to this file: pan and zoom,
    /// each node's detail (address, name, AS, RTT and loss per trace, MPLS, rewrites), trace
    /// highlighting, search and an AS view, under a strict Content-Security-Policy (see
    /// `opskit routemap --help`).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    #[command(flatten)]
    rdns: RdnsArgs,
}

/// The multipath discovery arguments of `opskit trace`.
#[derive(clap::Args)]
struct MdaArgs {
    /// Multipath discovery: per hop, vary the flow (the TCP source port) to find every
    /// load-balanced interface and the links between hops (the MDA with
    /// MDA-Lite's shortcuts). Cannot be combined with --rounds.
    #[arg(long = "mda", id = "mda")]
    enabled: bool,
    /// The confidence of --mda, in percent (50 to 99): the stopping rule rules out a missed
    /// interface with this probability at each hop.
    #[arg(long, default_value_t = 95, value_name = "PERCENT", requires = "mda")]
    confidence: u8,
}

/// The reverse DNS arguments of `opskit trace`.
#[derive(clap::Args)]
struct RdnsArgs {
    /// Look up the name (PTR record) of every address that answered, after the trace, and show
    /// it beside the address (off by default, as in scapy).
    #[arg(long)]
    rdns: bool,
    /// The nameserver for --rdns: an address, with an optional port (`192.0.2.53`,
    /// `[2001:db8::53]:5353`) [default: the first nameserver of /etc/resolv.conf].
    #[arg(long, value_name = "ADDR", requires = "rdns", value_parser = parse_dns_server)]
    dns_server: Option<std::net::SocketAddr>,
    /// The deadline of all --rdns lookups together: seconds or a span such as 500ms; names not
    /// found by then are left out, with a warning.
    #[arg(long, default_value = "5", value_name = "SPAN", value_parser = crate::duration::parse)]
    rdns_deadline: Duration,
}

/// The most addresses one --source-pool prefix may hold: a /16 of IPv4, a /112 of IPv6.
const WIDEST_POOL_HOST_BITS: u32 = 16;

/// An IPv4 or IPv6 prefix of --source-pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix {
    network: IpAddr,
    len: u8,
}

impl Prefix {
    /// Its usable addresses: all of an IPv4 /31 or /32 and of an IPv6 /127 or /128; of
    /// wider IPv4 prefixes all but the network and broadcast addresses, which routers need
    /// not answer, and of wider IPv6 ones all but the first (the subnet-router anycast).
    fn hosts(self) -> impl Iterator<Item = IpAddr> {
        let (base, bits) = match self.network {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        let size = 1u128 << (bits - u32::from(self.len));
        let (first, last) = if u32::from(self.len) + 1 >= bits {
            (base, base + (size - 1))
        } else if bits == 32 {
            (base + 1, base + (size - 2))
        } else {
            (base + 1, base + (size - 1))
        };
        let v4 = bits == 32;
        (first..=last).map(move |a| {
            if v4 {
                // At most 32 bits by construction.
                IpAddr::V4(Ipv4Addr::from(a as u32))
            } else {
                IpAddr::V6(Ipv6Addr::from(a))
            }
        })
    }
}

/// `A.B.C.D/LEN` with LEN from 16 to 32, `X:Y::/LEN` with LEN from 112 to 128, or one
/// address; host bits must be zero.
fn parse_prefix(s: &str) -> Result<Prefix, String> {
    let (addr, len) = s.split_once('/').map_or((s, None), |(a, l)| (a, Some(l)));
    let network: IpAddr = addr.parse().map_err(|_| {
        format!("{s:?} is not an IPv4 or IPv6 prefix (198.51.100.0/24, 2001:db8::/120)")
    })?;
    let bits: u32 = if network.is_ipv4() { 32 } else { 128 };
    let widest = bits - WIDEST_POOL_HOST_BITS;
    let len: u8 = match len {
        None => bits as u8,
        Some(l) => l
            .parse()
            .ok()
            .filter(|&l: &u8| (widest..=bits).contains(&u32::from(l)))
            .ok_or_else(|| format!("{s:?}: the prefix length must be {widest} to {bits}"))?,
    };
    let value = match network {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    let host_bits = (1u128 << (bits - u32::from(len))) - 1;
    if value & host_bits != 0 {
        let start = value & !host_bits;
        let start = match network {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(start as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(start)),
        };
        return Err(format!(
            "{s:?} has host bits set: the prefix starts at {start}"
        ));
    }
    Ok(Prefix { network, len })
}

/// A nameserver address: `ADDR` (port 53) or `ADDR:PORT` (`[V6]:PORT` for IPv6).
fn parse_dns_server(s: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(a) = s.parse::<IpAddr>() {
        return Ok(std::net::SocketAddr::new(a, 53));
    }
    s.parse().map_err(|_| {
        format!("{s:?} is not an address (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)")
    })
}

/// Puts the names of the addresses that answered on the report (--rdns); true when some
/// lookups failed or timed out, with a warning.
fn reverse_dns(args: &RdnsArgs, report: &mut TraceReport) -> Result<bool> {
    if !args.rdns {
        return Ok(false);
    }
    let rdns = match args.dns_server {
        Some(server) => tcptrace::ReverseDns::new(server),
        None => tcptrace::ReverseDns::from_resolv_conf()?,
    };
    let mut rdns = rdns.deadline(args.rdns_deadline);
    let out = rdns.annotate(report)?;
    if out.is_partial() {
        warn(format_args!(
            "reverse DNS via {}: {} of {} addresses got no answer by the deadline and {} failed; \
             the trace is printed with the names that were found",
            rdns.server(),
            out.timed_out.len(),
            out.names.len() + out.no_name.len() + out.timed_out.len() + out.failed.len(),
            out.failed.len()
        ));
    }
    Ok(out.is_partial())
}

fn config(args: &Args, targets: Vec<String>) -> Result<TraceConfig, tcptrace::ConfigError> {
    let gap = match args.gap_limit {
        Some(0) => None,
        Some(n) => Some(n),
        None if args.all_ttls => None,
        None => Some(5),
    };
    let mut b = TraceConfig::builder()
        .targets(targets)
        .port_list(&args.ports)
        .min_ttl(args.min_ttl)
        .max_ttl(args.max_ttl)
        .timeout(args.probe_timeout)
        .retry(args.retry)
        .max_in_flight(args.max_in_flight)
        .all_ttls(args.all_ttls)
        .gap_limit(gap)
        .rounds(args.rounds)
        .interval(args.interval)
        .source_pool(args.source_pool.iter().flat_map(|p| p.hosts()))
        .depth_first(args.depth_first);
    if let Some(pps) = args.pps {
        b = b.pps(pps);
    }
    if let Some(every) = args.router_interval {
        b = b.router_pacing(every, args.router_burst);
    }
    if let Some(deadline) = args.deadline {
        b = b.deadline(deadline);
    }
    if args.mda.enabled {
        b = b.mda(args.mda.confidence);
    }
    b.build()
}

fn annotate(args: &Args, report: &mut TraceReport) -> Result<()> {
    if args.asn_db.is_none() && args.asn_whois.is_none() {
        return Ok(());
    }
    // The database first, then the whois service for what it left unresolved.
    let mut chain = asn_lookup::Chain::new();
    if let Some(db) = &args.asn_db {
        let backend =
            asn_lookup::open_database(db).context(format_args!("--asn-db {}", db.display()))?;
        chain = chain.then_boxed(backend);
    }
    if let Some(service) = &args.asn_whois {
        let backend = asn_lookup::online_resolver(service, None)
            .context(format_args!("--asn-whois {service}"))?;
        chain = chain.then(backend);
    }
    asn_lookup::annotate(report, &chain).context("AS resolution")?;
    Ok(())
}

/// Puts the country and city of every reply on the report (--geo-db).
fn locate(args: &Args, report: &mut TraceReport) -> Result<()> {
    if args.geo_db.is_empty() {
        return Ok(());
    }
    let db = asn_lookup::GeoDatabase::open_all(&args.geo_db).context("--geo-db")?;
    asn_lookup::annotate_geo(report, &db).context("geography")?;
    Ok(())
}

fn draw(args: &Args, report: &TraceReport) -> Result<()> {
    if args.svg.is_none() && args.png.is_none() && args.html.is_none() {
        return Ok(());
    }
    let map = routeviz::RouteMap::new(report).context("route map")?;
    let opts = routeviz::RenderOptions::default();
    if let Some(path) = &args.svg {
        std::fs::write(path, map.to_svg(&opts))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    if let Some(path) = &args.png {
        let png = map.to_png(&opts).context("route map PNG")?;
        std::fs::write(path, png)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, map.to_html(&opts))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    Ok(())
}

/// Warns about targets that could not be traced and traces cut short by the deadline or
/// failed; true when there are any.
fn incomplete(config: &TraceConfig, report: &TraceReport) -> bool {
    let tally = report.tally();
    if let Some(first) = report.failed_targets.first() {
        warn(format_args!(
            "{} of {} targets could not be traced (first: {first})",
            report.failed_targets.len(),
            config.targets().len()
        ));
    }
    if tally.cut > 0 {
        let deadline = config.deadline();
        let hint = if config.has_explicit_deadline() {
            format!("--deadline {deadline:?}")
        } else {
            format!("the default deadline of {deadline:?}; give a longer --deadline")
        };
        warn(format_args!(
            "{} of {} traces were cut short by the deadline ({hint})",
            tally.cut, tally.planned
        ));
    }
    let mut failed = report.traces.iter().filter_map(|t| match &t.stop_reason {
        tcptrace::StopReason::Failed { error } => Some(error.as_str()),
        _ => None,
    });
    if let Some(first) = failed.next() {
        warn(format_args!(
            "{} of {} traces failed (first: {first})",
            1 + failed.count(),
            tally.planned
        ));
    }
    tally.cut + tally.failed > 0
}

/// One `! ADDR:tcpPORT: REASON` line per trace that did not end by a stop condition, then
/// one `! TARGET:tcpPORT: not traced, REASON` per port of a target that could not be traced,
/// for the table (scapy's table itself has no place for them).
fn unfinished_lines(report: &TraceReport) -> String {
    let mut s = String::new();
    for t in report
        .traces
        .iter()
        .filter(|t| !t.stop_reason.is_stop_condition())
    {
        let _ = writeln!(s, "! {}:tcp{}: {}", t.addr, t.port, t.stop_reason);
    }
    for f in &report.failed_targets {
        for port in &f.ports {
            let _ = writeln!(s, "! {}:tcp{port}: not traced, {}", f.target, f.reason);
        }
    }
    s
}

pub(crate) fn run(mut args: Args) -> Result<Exit> {
    let targets = std::mem::take(&mut args.targets);
    let config = config(&args, targets)?;
    // Rounds are mtr's: their result is the summary.
    let summary = args.summary || (args.rounds > 1 && !args.json);
    let mut live = live::Live::new(summary, args.json);
    let traced = tcptrace::trace_observed(&config, &mut live);
    live.finish();
    let mut report = traced?;
    // The trace is done: a later step that fails costs only its own part of the result.
    let mut partial = incomplete(&config, &report);
    if let Err(e) = annotate(&args, &mut report) {
        warn(format_args!(
            "{e}; the trace is printed with the AS data that was found"
        ));
        partial = true;
    }
    if let Err(e) = locate(&args, &mut report) {
        warn(format_args!(
            "{e}; the trace is printed with the geography that was found"
        ));
        partial = true;
    }
    match reverse_dns(&args.rdns, &mut report) {
        Ok(p) => partial |= p,
        Err(e) => {
            warn(format_args!("{e}; the trace is printed without names"));
            partial = true;
        }
    }
    if args.json {
        let mut j = report
            .to_json_pretty()
            .map_err(|e| Error::io("writing the JSON report", e.into()))?;
        j.push('\n');
        write_stdout(j.as_bytes())?;
    } else if summary {
        write_stdout(report.summary().as_bytes())?;
    } else {
        let mut table = report.scapy_table();
        table.push_str(&unfinished_lines(&report));
        write_stdout(table.as_bytes())?;
    }
    if let Err(e) = draw(&args, &report) {
        warn(format_args!("{e}; the route map was not written"));
        partial = true;
    }
    Ok(if partial {
        Exit::PARTIAL
    } else {
        Exit::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_pool_prefixes() {
        let hosts = |s: &str| parse_prefix(s).unwrap().hosts().collect::<Vec<_>>();
        let v4 = |s: &str| IpAddr::V4(s.parse().unwrap());
        assert_eq!(
            hosts("198.51.100.0/30"),
            [v4("198.51.100.1"), v4("198.51.100.2")]
        );
        assert_eq!(
            hosts("198.51.100.6/31"),
            [v4("198.51.100.6"), v4("198.51.100.7")]
        );
        assert_eq!(hosts("198.51.100.9"), [v4("198.51.100.9")]);
        assert_eq!(parse_prefix("198.19.0.0/24").unwrap().hosts().count(), 254);
        assert_eq!(
            parse_prefix("198.19.0.0/16").unwrap().hosts().count(),
            65_534
        );
        let v6 = |s: &str| IpAddr::V6(s.parse().unwrap());
        assert_eq!(
            hosts("2001:db8:2::/126"),
            [
                v6("2001:db8:2::1"),
                v6("2001:db8:2::2"),
                v6("2001:db8:2::3")
            ]
        );
        assert_eq!(
            hosts("2001:db8:2::6/127"),
            [v6("2001:db8:2::6"), v6("2001:db8:2::7")]
        );
        assert_eq!(hosts("2001:db8:2::9"), [v6("2001:db8:2::9")]);
        assert_eq!(
            parse_prefix("2001:db8::/112").unwrap().hosts().count(),
            65_535
        );
        assert!(
            parse_prefix("2001:db8::1/120")
                .unwrap_err()
                .contains("2001:db8::")
        );
        for bad in [
            "198.19.0.0/15",
            "198.19.0.0/33",
            "198.19.0.1/24",
            "2001:db8::/64",
            "2001:db8::/111",
            "2001:db8::/129",
            "x/24",
            "198.19.0.0/",
        ] {
            assert!(parse_prefix(bad).is_err(), "{bad}");
        }
        assert!(
            parse_prefix("198.19.0.1/24")
                .unwrap_err()
                .contains("198.19.0.0")
        );
    }
}
