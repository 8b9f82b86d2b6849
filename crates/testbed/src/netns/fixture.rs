//! Topologies that several crates' tests use, built in one place so that they stay the same.

use super::destination::Destination;
use super::error::Result;
use super::setup::Topology;

/// A destination that answers at once beside one that never answers: `src — r1 — web` with
/// `hole` linked to `r1` too. `web` listens on port 80, so a trace to it ends at TTL 2 within
/// milliseconds; `hole` drops everything it is sent (no reply, no ICMP error), so each of its
/// TTLs past `r1` lasts a whole probe timeout, and a run's deadline cuts a trace to it short.
///
/// Node names: `src`, `r1`, `web`, `hole`.
///
/// # Errors
///
/// As [`TopologyBuilder::build`](super::TopologyBuilder::build).
pub fn web_and_hole() -> Result<Topology> {
    Topology::builder()
        .source("src")
        .router("r1")
        .destination("web", Destination::new().listen(80))
        .destination("hole", Destination::new().blackhole())
        .chain(["src", "r1", "web"])
        .link("r1", "hole")
        .build()
}

/// The shapes of [`diamonds`]: each is a destination behind its own diamond.
pub const DIAMONDS: &[&str] = &["w2", "w3", "w5", "w8", "nested", "uneven", "meshed"];

/// Load-balanced paths for multipath discovery: from `src` through `gw`, one diamond of
/// kernel ECMP routes (L4 hash, a hash seed per router) in front of each destination of
/// [`DIAMONDS`], listening on port 80:
///
/// - `w2`, `w3`, `w5`, `w8`: `gw` splits over 2, 3, 5 or 8 routers that meet again at one;
/// - `nested`: `gw` splits over two routers, each of which splits over two more;
/// - `uneven`: of `gw`'s two branches one splits over three routers, the other goes on alone,
///   so that router takes half the flows and the three a sixth each;
/// - `meshed`: `gw`'s two branches split over two routers each, and share one of them.
///
/// Routers answer from the interface a probe came in on, so a router entered over several
/// links is several interfaces of its TTL, as a real multipath trace sees it.
///
/// Node names: `src`, `gw`, then per shape `S`: the routers `S-a1`.., `S-b1`.. (the second
/// level of `nested`, `uneven` and `meshed`), `S-x` where the paths meet, and the destination
/// `S`.
///
/// # Errors
///
/// As [`TopologyBuilder::build`](super::TopologyBuilder::build).
pub fn diamonds() -> Result<Topology> {
    let mut b = Topology::builder()
        .source("src")
        .router("gw")
        .link("src", "gw");
    for &shape in DIAMONDS {
        let x = format!("{shape}-x");
        b = b
            .router(&x)
            .destination(shape, Destination::new().listen(80))
            .link(&x, shape);
        let width = match shape {
            "w2" => Some(2),
            "w3" => Some(3),
            "w5" => Some(5),
            "w8" => Some(8),
            _ => None,
        };
        if let Some(w) = width {
            for i in 1..=w {
                let a = format!("{shape}-a{i}");
                b = b.router(&a).link("gw", &a).link(&a, &x);
            }
            continue;
        }
        // Second-level routers (b) under each first-level one (a).
        let tree: &[&[usize]] = match shape {
            "nested" => &[&[1, 2], &[3, 4]],
            "uneven" => &[&[1, 2, 3], &[4]],
            _ => &[&[1, 2], &[2, 3]],
        };
        let mut declared = Vec::new();
        for (i, under) in tree.iter().enumerate() {
            let a = format!("{shape}-a{}", i + 1);
            b = b.router(&a).link("gw", &a);
            for &j in *under {
                let r = format!("{shape}-b{j}");
                if !declared.contains(&j) {
                    declared.push(j);
                    b = b.router(&r).link(&r, &x);
                }
                b = b.link(&a, &r);
            }
        }
    }
    b.build()
}

/// The destinations of [`ten_thousand`], with their number of IPv4 addresses: 10,000 in all.
pub const TEN_THOUSAND: &[(&str, u16)] = &[
    ("web", 4_000),
    ("mixed", 4_000),
    ("near", 1_500),
    ("hole", 500),
];

/// How many source addresses [`ten_thousand`] gives the source: four whole `/24`s.
pub const TEN_THOUSAND_SOURCES: u16 = 4 * 254;

/// 10,000 IPv4 targets behind routers that keep Linux's default ICMP rate limits, for runs at
/// scale: `src — r1 — r2`, then
///
/// - `r2 — r3a — web`: 4,000 addresses listening on ports 80 and 443 (TTL 4);
/// - `r2 — r3b — mixed`: 4,000 addresses listening on 80, with 443 closed (RST, TTL 4);
/// - `r2 — near`: 1,500 addresses with 80 closed and 443 dropped (TTL 3);
/// - `r3b — hole`: 500 addresses that drop everything (a blackhole at TTL 4).
///
/// Each destination's addresses sit in consecutive routed `/24`s (one route per `/24` in each
/// router, not one per address). The source has [`TEN_THOUSAND_SOURCES`] more addresses to
/// send from ([`Topology::source_pool`]), which a tracer needs to get every router's answer
/// at this scale: each router answers about one time exceeded a second towards one host.
///
/// # Errors
///
/// As [`TopologyBuilder::build`](super::TopologyBuilder::build).
pub fn ten_thousand() -> Result<Topology> {
    let count = |name: &str| {
        TEN_THOUSAND
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(1, |&(_, c)| c)
    };
    Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3a", "r3b"])
        .destination(
            "web",
            Destination::new()
                .listen(80)
                .listen(443)
                .addresses(count("web")),
        )
        .destination(
            "mixed",
            Destination::new().listen(80).addresses(count("mixed")),
        )
        .destination(
            "near",
            Destination::new().drop_port(443).addresses(count("near")),
        )
        .destination(
            "hole",
            Destination::new().blackhole().addresses(count("hole")),
        )
        .chain(["src", "r1", "r2", "r3a", "web"])
        .chain(["r2", "r3b", "mixed"])
        .link("r2", "near")
        .link("r3b", "hole")
        .linux_icmp_rate_limits()
        .source_addresses(TEN_THOUSAND_SOURCES)
        .build()
}
