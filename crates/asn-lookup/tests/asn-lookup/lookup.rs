//! AS resolution: every database format, the full ip-location-db table against a linear-scan
//! reference, and the whois backends against loopback servers written here.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use asn_lookup::{
    AsnError, AsnResolver, Cache, Chain, DatabaseFormat, MmdbDatabase, RangeFormat, RangeTable,
    Resolution, Source, UnresolvedReason, WhoisResolver, WhoisService, annotate, detect_format,
    online_resolver, open_database,
};
use test_case::test_case;
use testbed::clamd::Staller;

pub(crate) fn resource(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/resources")
        .join(name)
}

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn found(r: &Resolution) -> (u32, String) {
    let info = r
        .found()
        .unwrap_or_else(|| panic!("expected Found, got {r:?}"));
    (info.asn, info.name_or_empty().to_owned())
}

// ---------------------------------------------------------------------------------------------
// Offline formats

#[test_case("ranges.csv", DatabaseFormat::Range(RangeFormat::Csv), Source::RangeCsv; "ip-location-db csv")]
#[test_case("ranges-num.csv", DatabaseFormat::Range(RangeFormat::Csv), Source::RangeCsv; "ip-location-db numeric csv")]
#[test_case("iptoasn.tsv", DatabaseFormat::Range(RangeFormat::IptoasnTsv), Source::IptoasnTsv; "iptoasn tsv")]
#[test_case("pyasn.dat", DatabaseFormat::Range(RangeFormat::Pyasn), Source::Pyasn; "pyasn dat")]
#[test_case("asn.mmdb", DatabaseFormat::Mmdb, Source::Mmdb; "geolite2 asn mmdb")]
fn every_format_loads_v4_and_v6(file: &str, format: DatabaseFormat, source: Source) {
    let path = resource(file);
    assert_eq!(detect_format(&path).unwrap(), format);
    let db = open_database(&path).unwrap();
    let google = db.resolve(ip("8.8.8.8")).unwrap();
    assert_eq!(google.asn(), Some(15169), "{file}: {google:?}");
    assert_eq!(google.found().unwrap().source, source);
    let v6 = db.resolve(ip("2001:4860::8888")).unwrap();
    assert_eq!(v6.asn(), Some(15169), "{file}: {v6:?}");
    // Special addresses are answered locally by every backend.
    for special in [
        "10.1.2.3",
        "192.168.1.1",
        "100.64.0.1",
        "198.18.0.1",
        "fe80::1",
        "2001:db8::1",
        "fd00::1",
    ] {
        let r = db.resolve(ip(special)).unwrap();
        assert!(
            matches!(r, Resolution::NotRouted { special: Some(_) }),
            "{file} {special}: {r:?}"
        );
    }
    // IPv4-mapped IPv6 is looked up as IPv4.
    assert_eq!(db.resolve(ip("::ffff:8.8.8.8")).unwrap().asn(), Some(15169));
}

#[test]
fn csv_edges_gaps_and_quoting() {
    let t = RangeTable::open(resource("ranges.csv"), RangeFormat::Csv).unwrap();
    assert_eq!(t.len_v4(), 7);
    assert_eq!(t.len_v6(), 4);
    assert_eq!(
        found(&t.resolve(ip("1.0.0.0")).unwrap()),
        (13335, "Cloudflare, Inc.".into())
    );
    assert_eq!(found(&t.resolve(ip("1.0.0.255")).unwrap()).0, 13335);
    assert_eq!(
        t.resolve(ip("1.0.1.0")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    assert_eq!(
        t.resolve(ip("1.0.3.255")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    assert_eq!(
        found(&t.resolve(ip("1.0.4.0")).unwrap()),
        (38803, "Gtelecom Pty Ltd".into())
    );
    assert_eq!(found(&t.resolve(ip("1.0.64.1")).unwrap()).1, "Enecom,Inc.");
    assert_eq!(
        found(&t.resolve(ip("64.0.0.0")).unwrap()).1,
        "Say \"quoted\", then comma"
    );
    assert_eq!(
        t.resolve(ip("64.0.0.1")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    assert_eq!(found(&t.resolve(ip("223.255.255.255")).unwrap()).0, 4134);
    assert_eq!(found(&t.resolve(ip("2001::")).unwrap()).0, 6939);
    assert_eq!(
        found(
            &t.resolve(ip("2001::ffff:ffff:ffff:ffff:ffff:ffff"))
                .unwrap()
        )
        .0,
        6939
    );
    assert_eq!(
        t.resolve(ip("2001:1::")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    assert_eq!(
        found(
            &t.resolve(ip("2c0f:fff0:ffff:ffff:ffff:ffff:ffff:ffff"))
                .unwrap()
        )
        .0,
        37125
    );
    let info = t.resolve(ip("8.8.8.8")).unwrap().found().unwrap().clone();
    assert_eq!(info.range.to_string(), "8.8.8.0/24");
    assert_eq!(
        t.as_name(38803).unwrap().unwrap().as_str(),
        "Gtelecom Pty Ltd"
    );
}

#[test]
fn iptoasn_not_routed_rows_and_countries() {
    let t = RangeTable::open(resource("iptoasn.tsv"), RangeFormat::IptoasnTsv).unwrap();
    assert_eq!(
        t.resolve(ip("1.0.2.1")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    let cf = t.resolve(ip("1.0.0.1")).unwrap();
    assert_eq!(cf.found().unwrap().country.unwrap().as_str(), "US");
    assert_eq!(found(&cf).1, "CLOUDFLARENET");
    let g6 = t.resolve(ip("2a00:1457::1")).unwrap();
    assert_eq!(g6.asn(), Some(15169));
    assert_eq!(g6.found().unwrap().country, None, "Unknown is no country");
}

#[test]
fn pyasn_longest_prefix_match() {
    let t = RangeTable::open(resource("pyasn.dat"), RangeFormat::Pyasn).unwrap();
    assert_eq!(t.resolve(ip("8.8.8.8")).unwrap().asn(), Some(15169));
    assert_eq!(t.resolve(ip("8.8.8.200")).unwrap().asn(), Some(64512));
    assert_eq!(t.resolve(ip("8.8.9.1")).unwrap().asn(), Some(3356));
    assert_eq!(
        t.resolve(ip("8.128.0.0")).unwrap().asn(),
        Some(65000),
        "outside /9: the default route"
    );
    assert_eq!(t.resolve(ip("1.0.0.9")).unwrap().asn(), Some(13335));
    assert_eq!(
        t.resolve(ip("2001:4860:4860::8888")).unwrap().asn(),
        Some(64513)
    );
    assert_eq!(t.resolve(ip("2001:4860:1::")).unwrap().asn(), Some(15169));
    assert_eq!(
        t.resolve(ip("2606:4701::")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    let piece = t.resolve(ip("8.8.9.1")).unwrap().found().unwrap().range;
    assert_eq!(
        piece.to_string(),
        "8.8.9.0-8.127.255.255",
        "the /9 minus its more specific /24"
    );
    assert_eq!(
        t.as_name(15169).unwrap(),
        None,
        "pyasn files carry no names"
    );
}

#[test]
fn mmdb_lookups_and_names() {
    let db = MmdbDatabase::open(resource("asn.mmdb")).unwrap();
    assert_eq!(db.database_type(), "GeoLite2-ASN");
    let g = db.resolve(ip("8.8.8.8")).unwrap();
    assert_eq!(found(&g), (15169, "Google LLC".into()));
    assert_eq!(g.found().unwrap().range.to_string(), "8.8.8.0/24");
    assert_eq!(
        db.resolve(ip("8.8.9.9")).unwrap().asn(),
        Some(3356),
        "the wider /9 around it"
    );
    assert_eq!(
        found(&db.resolve(ip("193.0.0.1")).unwrap()).1,
        "Reseaux IP Europeens \"RIPE NCC\""
    );
    assert_eq!(
        found(&db.resolve(ip("9.9.9.9")).unwrap()).1,
        "Quad9\u{fffd}[31m",
        "control characters replaced"
    );
    assert_eq!(
        db.resolve(ip("5.5.5.5")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    assert_eq!(
        db.resolve(ip("2a00:1450:4001::1")).unwrap().asn(),
        Some(15169)
    );
    assert_eq!(
        db.as_name(13335).unwrap().unwrap().as_str(),
        "Cloudflare, Inc."
    );
    assert_eq!(db.as_name(1).unwrap(), None);
}

#[test]
fn empty_database_files_are_errors() {
    let dir = std::env::temp_dir().join(format!("opskit-asn-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let header_only = dir.join("header.csv");
    std::fs::write(&header_only, b"range_start,range_end,asn,name\n# nothing\n").unwrap();
    let is_empty = |r: Result<(), AsnError>| matches!(r, Err(AsnError::EmptyDatabase { .. }));
    assert!(is_empty(open_database(&empty).map(drop)));
    assert!(is_empty(MmdbDatabase::open(&empty).map(drop)));
    for format in [
        RangeFormat::Csv,
        RangeFormat::IptoasnTsv,
        RangeFormat::Pyasn,
    ] {
        assert!(
            is_empty(RangeTable::open(&empty, format).map(drop)),
            "{format:?}"
        );
    }
    assert!(is_empty(
        RangeTable::open(&header_only, RangeFormat::Csv).map(drop)
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_mmdb_is_an_error_not_a_panic() {
    let good = std::fs::read(resource("asn.mmdb")).unwrap();
    let path = Path::new("corrupt.mmdb");
    // Truncations, including cutting the metadata marker.
    for cut in [0, 1, 16, good.len() / 2, good.len() - 20, good.len() - 1] {
        assert!(
            MmdbDatabase::from_bytes(good[..cut].to_vec(), path).is_err(),
            "cut at {cut}"
        );
    }
    // Every single-byte corruption either fails to open or still answers without panicking.
    let mut opened = 0;
    for i in 0..good.len() {
        for flip in [0xff_u8, 0x80, 0x01] {
            let mut bad = good.clone();
            bad[i] ^= flip;
            if let Ok(db) = MmdbDatabase::from_bytes(bad, path) {
                opened += 1;
                for a in ["8.8.8.8", "1.0.0.1", "193.0.0.1", "2606:4700::1", "5.5.5.5"] {
                    let _ = db.resolve(ip(a));
                }
                let _ = db.as_name(15169);
            }
        }
    }
    assert!(opened < good.len() * 3, "some corruptions must be detected");
    // A file on disk that ends like an MMDB but is garbage.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.mmdb");
    let mut junk = vec![0x55u8; 4096];
    junk.extend_from_slice(b"\xab\xcd\xefMaxMind.com\x00\x00");
    std::fs::write(&p, &junk).unwrap();
    assert_eq!(detect_format(&p).unwrap(), DatabaseFormat::Mmdb);
    assert!(matches!(open_database(&p), Err(AsnError::Mmdb { .. })));
}

#[test_case("1.0.0.0,1.0.0.255,1,x\n1.0.0.0,,2,y\n", 2; "empty end")]
#[test_case("start,end,asn,org\n1.0.0.0,1.0.0.255,1,x\n\n# c\n1.0.1.0,1.0.0.0,2,y\n", 5; "reversed range after header blank and comment")]
#[test_case("1.0.0.0,1.0.0.255,1,\"unterminated\n", 1; "unterminated quote")]
#[test_case("1.0.0.0,1.0.0.255,1,\"a\"b\n", 1; "text after quote")]
#[test_case("1.0.0.0,1.0.0.255,AS99999999999,x\n", 1; "asn overflow")]
#[test_case("1.0.0.0,1.0.0.255,1,x\n2.0.0.0,2001::,1,x\n", 2; "mixed families")]
#[test_case("1.0.0.0,1.0.0.256,1,x\n", 1; "bad octet")]
#[test_case("1.0.0.0;1.0.0.255;1;x\n", 1; "wrong separator")]
fn malformed_csv_lines_give_line_numbers(text: &str, want: u64) {
    match RangeTable::from_reader(text.as_bytes(), RangeFormat::Csv) {
        Err(AsnError::Malformed { line, reason, .. }) => {
            assert_eq!(line, want, "{reason}");
            assert!(!reason.is_empty());
        }
        other => panic!("expected a malformed-line error, got {other:?}"),
    }
}

#[test]
fn malformed_files_name_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.dat");
    std::fs::write(&p, "; pyasn\n1.0.0.0/24\t1\n1.0.0.0/40\t2\n").unwrap();
    let err = open_database(&p).err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("bad.dat:3:"), "{msg}");
    let p = dir.path().join("bad.tsv");
    std::fs::write(&p, "1.0.0.0\t1.0.0.255\t1\tUS\tX\n1.0.0.0\t1.0.0.255\n").unwrap();
    assert!(matches!(
        open_database(&p),
        Err(AsnError::Malformed { line: 2, .. })
    ));
    let p = dir.path().join("long.csv");
    std::fs::write(&p, format!("1.0.0.0,1.0.0.255,1,{}\n", "x".repeat(100_000))).unwrap();
    assert!(matches!(
        open_database(&p),
        Err(AsnError::Malformed { line: 1, .. })
    ));
    let p = dir.path().join("x.bin");
    std::fs::write(&p, b"\x1f\x8b\x08\x00compressed").unwrap();
    assert!(matches!(
        open_database(&p),
        Err(AsnError::UnknownFormat { .. })
    ));
    assert!(matches!(
        open_database(dir.path().join("missing.csv")),
        Err(AsnError::Io { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// The full ip-location-db table

fn full_table_dir() -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/data/ip-location-db-asn/package");
    if dir.join("asn-ipv4.csv").is_file() && dir.join("asn-ipv6.csv").is_file() {
        return Some(dir);
    }
    assert!(
        !testbed::in_ci(),
        "{} is missing: CI must run `cargo xtask setup` (npm pack @ip-location-db/asn) first",
        dir.display()
    );
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!(
        "!!! SKIPPED full ip-location-db table test: {} is missing.",
        dir.display()
    );
    eprintln!("!!! Run `cargo xtask setup` to fetch @ip-location-db/asn.");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    None
}

/// A deliberately naive parser for the reference: `str::split` and std address parsing.
/// (first, last, is IPv4, AS number, name) of one reference row.
type RefRow = (u128, u128, bool, u32, String);

fn reference_rows(path: &Path) -> Vec<RefRow> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(4, ',');
        let (a, b, asn) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let mut name = parts.next().unwrap_or("").to_owned();
        if name.starts_with('"') {
            name = name[1..name.len() - 1].replace("\"\"", "\"");
        }
        let (lo, hi, v4) = match (a.parse::<IpAddr>().unwrap(), b.parse::<IpAddr>().unwrap()) {
            (IpAddr::V4(x), IpAddr::V4(y)) => {
                (u128::from(u32::from(x)), u128::from(u32::from(y)), true)
            }
            (IpAddr::V6(x), IpAddr::V6(y)) => (u128::from(x), u128::from(y), false),
            _ => panic!("mixed row {line}"),
        };
        // AsName trims surrounding white space; nothing else in this table needs sanitising.
        out.push((lo, hi, v4, asn.parse().unwrap(), name.trim().to_owned()));
    }
    out
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn full_table_matches_linear_scan_reference() {
    let Some(dir) = full_table_dir() else { return };
    let v4 = dir.join("asn-ipv4.csv");
    let v6 = dir.join("asn-ipv6.csv");
    let table = RangeTable::builder()
        .add_file(&v4, RangeFormat::Csv)
        .unwrap()
        .add_file(&v6, RangeFormat::Csv)
        .unwrap()
        .build();
    let mut rows = reference_rows(&v4);
    rows.extend(reference_rows(&v6));
    assert!(table.len_v4() + table.len_v6() >= rows.len());
    assert!(table.len_v4() > 300_000 && table.len_v6() > 50_000);

    // 10,000 addresses: uniform IPv4, and IPv4/IPv6 at and around random rows' edges and inside.
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut probes: Vec<(bool, u128)> = Vec::with_capacity(10_000);
    while probes.len() < 10_000 {
        let r = rng.next();
        match r % 4 {
            0 => probes.push((true, u128::from(rng.next() as u32))),
            kind => {
                let row = &rows[(rng.next() % rows.len() as u64) as usize];
                let x = match kind {
                    1 => row.0.saturating_sub(1),
                    2 => row.1.saturating_add(1),
                    _ => row.0 + u128::from(rng.next()) % (row.1 - row.0 + 1),
                };
                let max = if row.2 {
                    u128::from(u32::MAX)
                } else {
                    u128::MAX
                };
                probes.push((row.2, x.min(max)));
            }
        }
    }

    // The reference: a sweep over the rows sorted by start, with the probes in increasing order;
    // among the rows that contain a probe, the smallest wins, then the later one in the file.
    // (The table has one partial overlap, 214.95.0.0-215.0.255.255 and 215.0.0.0-215.1.3.255.)
    let mut want: Vec<Option<(u32, String)>> = vec![None; probes.len()];
    for family in [true, false] {
        let mut fam: Vec<(usize, &RefRow)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.2 == family)
            .collect();
        fam.sort_by_key(|(i, r)| (r.0, *i));
        let mut order: Vec<usize> = (0..probes.len())
            .filter(|&i| probes[i].0 == family)
            .collect();
        order.sort_by_key(|&i| probes[i].1);
        let mut next = 0;
        let mut active: Vec<(usize, &RefRow)> = Vec::new();
        for i in order {
            let x = probes[i].1;
            while next < fam.len() && fam[next].1.0 <= x {
                active.push(fam[next]);
                next += 1;
            }
            active.retain(|(_, r)| r.1 >= x);
            if let Some((_, r)) = active
                .iter()
                .min_by_key(|(idx, r)| (r.1 - r.0, usize::MAX - idx))
            {
                want[i] = Some((r.3, r.4.clone()));
            }
        }
    }

    let mut hits = 0;
    for (i, &(v4, x)) in probes.iter().enumerate() {
        let addr = if v4 {
            IpAddr::V4(Ipv4Addr::from(x as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(x))
        };
        let got = table.lookup(addr).map(|e| {
            (
                e.asn,
                e.name.map_or(String::new(), |n| n.as_str().to_owned()),
            )
        });
        // Names are sanitised; the reference keeps raw text, which in this table is plain.
        assert_eq!(got, want[i], "address {addr}");
        hits += usize::from(got.is_some());
    }
    assert!(
        hits > 3000,
        "the probes must exercise found rows too ({hits})"
    );
}

// ---------------------------------------------------------------------------------------------
// Whois backends against loopback servers

/// How a loopback whois server behaves.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    /// Answers in the service's documented format.
    Proper,
    /// Sleeps before answering.
    Slow(Duration),
    /// Sends one byte every 50 ms, forever.
    Drip,
    /// Sends bytes that are no whois reply.
    Garbage,
    /// Sends a reply far over any sane size.
    Flood,
    /// Closes without a word.
    Hangup,
    /// Reads the query and never answers.
    Silent,
    /// Sends the first half of the reply and then resets the connection.
    ResetMidReply,
    /// Sends the first half of the reply and then stalls.
    StallMidReply,
    /// Sends the first half of the reply and then closes cleanly (FIN).
    CloseMidReply,
    /// Answers the first `n` queries properly, then as [`Mode::ResetMidReply`].
    ResetAfter(usize),
}

/// The routes our fake services know.
const ROUTES: &[(&str, u8, u32, &str, &str)] = &[
    ("8.8.8.0", 24, 15169, "GOOGLE, US", "US"),
    ("8.0.0.0", 9, 3356, "LEVEL3, US", "US"),
    ("1.0.0.0", 24, 13335, "CLOUDFLARENET, US", "US"),
    (
        "193.0.0.0",
        21,
        3333,
        "RIPE-NCC-AS Reseaux IP Europeens Network Coordination Centre (RIPE NCC), NL",
        "NL",
    ),
    ("2606:4700::", 32, 13335, "CLOUDFLARENET, US", "US"),
];

fn routes_for(addr: IpAddr) -> Vec<(String, u32, &'static str, &'static str)> {
    let mut out: Vec<(u8, String, u32, &str, &str)> = ROUTES
        .iter()
        .filter(|(net, len, ..)| {
            asn_lookup::IpRange::from_prefix(ip(net), *len)
                .unwrap()
                .contains(addr)
        })
        .map(|(net, len, asn, name, cc)| (*len, format!("{net}/{len}"), *asn, *name, *cc))
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.0));
    out.into_iter()
        .map(|(_, p, a, n, c)| (p, a, n, c))
        .collect()
}

fn cymru_reply(query: &str) -> String {
    let mut out = String::from("Bulk mode; whois.cymru.com [2026-11-28 23:00:00 +0000]\n");
    let mut header_done = false;
    for (n, line) in query.lines().enumerate() {
        let line = line.trim();
        if matches!(line, "begin" | "verbose" | "end" | "") {
            continue;
        }
        if let Some(asn) = line.strip_prefix("AS").and_then(|a| a.parse::<u32>().ok()) {
            if !header_done {
                out.push_str("AS      | CC | Registry | Allocated  | AS Name\n");
                header_done = true;
            }
            if let Some((_, _, name, cc)) = ROUTES
                .iter()
                .find(|r| r.2 == asn)
                .map(|r| (r.0, r.2, r.3, r.4))
            {
                let _ = writeln!(out, "{asn:<7} | {cc} | arin     | 1992-12-01 | {name}");
            } else {
                let _ = writeln!(out, "Error: no ASN or IP match on line {}.", n + 1);
            }
            continue;
        }
        let Ok(addr) = line.parse::<IpAddr>() else {
            let _ = writeln!(out, "Error: no ASN or IP match on line {}.", n + 1);
            continue;
        };
        if !header_done {
            out.push_str("AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n");
            header_done = true;
        }
        match routes_for(addr).first() {
            Some((prefix, asn, name, cc)) => {
                let _ = writeln!(
                    out,
                    "{asn:<7} | {addr:<16} | {prefix:<19} | {cc} | arin     | 1992-12-01 | {name}"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "NA      | {addr:<16} | NA                  | NA | NA       | NA         | NA"
                );
            }
        }
    }
    out
}

fn ris_reply(query: &str) -> String {
    let mut out = String::from(
        "% This is RIPE NCC's Routing Information Service\n% whois gateway to collected BGP Routing Tables, version 2.0\n\
% IPv4 or IPv6 address to origin prefix match\n%\n% For more information visit http://www.ripe.net/ris/riswhois.html\n\n",
    );
    let routes = query
        .trim()
        .parse::<IpAddr>()
        .map(routes_for)
        .unwrap_or_default();
    if routes.is_empty() {
        out.push_str("% No entries found\n");
    }
    for (prefix, asn, name, _) in routes.iter().take(1) {
        let key = if prefix.contains(':') {
            "route6"
        } else {
            "route"
        };
        let _ = write!(
            out,
            "{key}:        {prefix}\norigin:       AS{asn}\ndescr:        {name}\nlastupd-frst: 2024-01-01 00:00Z  192.0.2.1@rrc00\n\
lastupd-last: 2026-11-28 00:00Z  192.0.2.1@rrc00\nseen-at:      rrc00,rrc01\nnum-rispeers: 300\nsource:       RISWHOIS\n\n"
        );
    }
    out
}

fn radb_reply(query: &str) -> String {
    let q = query.trim();
    if let Some(asn) = q.strip_prefix("AS").and_then(|a| a.parse::<u32>().ok()) {
        return match ROUTES.iter().find(|r| r.2 == asn) {
            Some(r) => format!(
                "aut-num:    AS{asn}\nas-name:    {}\ndescr:      {}\nmnt-by:     MAINT-AS{asn}\nsource:     RADB\n\n",
                r.3.split(',').next().unwrap(),
                r.3
            ),
            None => "%  No entries found for the selected source(s).\n".into(),
        };
    }
    // IRRd answers with every less specific route too.
    let routes = q.parse::<IpAddr>().map(routes_for).unwrap_or_default();
    if routes.is_empty() {
        return "%  No entries found for the selected source(s).\n".into();
    }
    let mut out = String::new();
    for (prefix, asn, name, _) in routes.iter().rev() {
        let key = if prefix.contains(':') {
            "route6"
        } else {
            "route"
        };
        let _ = write!(
            out,
            "{key}:      {prefix}\ndescr:      {name}\norigin:     AS{asn}\nmnt-by:     MAINT-AS{asn}\nchanged:    noc@example.net 20260101\nsource:     RADB\n\n"
        );
    }
    out
}

/// A whois server on 127.0.0.1 that records the queries it gets.
pub(crate) struct Server {
    pub(crate) addr: String,
    queries: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub(crate) fn start(service: WhoisService, mode: Mode) -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), service, mode)
    }

    fn start_on(listener: TcpListener, service: WhoisService, mode: Mode) -> Self {
        // `SocketAddr` displays IPv6 as `[::1]:port`, the form the builder takes.
        let addr = listener.local_addr().unwrap().to_string();
        let queries = Arc::new(Mutex::new(Vec::new()));
        let q = Arc::clone(&queries);
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let q = Arc::clone(&q);
                thread::spawn(move || serve(conn, service, mode, &q));
            }
        });
        Self { addr, queries }
    }

    pub(crate) fn queries(&self) -> Vec<String> {
        self.queries.lock().unwrap().clone()
    }

    fn resolver(&self, service: WhoisService) -> WhoisResolver {
        WhoisResolver::builder(service)
            .server(&self.addr)
            .connect_timeout(Duration::from_secs(2))
            .read_timeout(Duration::from_millis(400))
            .deadline(Duration::from_millis(1500))
            .max_reply_bytes(64 * 1024)
            .build()
            .unwrap()
    }
}

fn serve(mut conn: TcpStream, service: WhoisService, mode: Mode, queries: &Mutex<Vec<String>>) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut query = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        query.push_str(&line);
        // Cymru bulk mode ends with `end`; the others take one line.
        if service != WhoisService::Cymru || line.trim() == "end" || !query.starts_with("begin") {
            break;
        }
    }
    let nth = {
        let mut q = queries.lock().unwrap();
        q.push(query.clone());
        q.len() - 1
    };
    let mode = match mode {
        Mode::ResetAfter(n) if nth < n => Mode::Proper,
        Mode::ResetAfter(_) => Mode::ResetMidReply,
        m => m,
    };
    let reply = match service {
        WhoisService::Cymru => cymru_reply(&query),
        WhoisService::Ris => ris_reply(&query),
        _ => radb_reply(&query),
    };
    let _ = match mode {
        Mode::Proper => conn.write_all(reply.as_bytes()),
        Mode::Slow(d) => {
            thread::sleep(d);
            conn.write_all(reply.as_bytes())
        }
        Mode::Drip => loop {
            thread::sleep(Duration::from_millis(50));
            if conn.write_all(b"%").is_err() {
                break Ok(());
            }
        },
        Mode::Garbage => {
            conn.write_all(b"\x00\xff\xfeHTTP/1.1 400 Bad Request\r\n<html>\xc3\x28 | | \r\n")
        }
        Mode::Flood => {
            let chunk = vec![b'A'; 64 * 1024];
            loop {
                if conn.write_all(&chunk).is_err() {
                    break Ok(());
                }
            }
        }
        Mode::Hangup => Ok(()),
        Mode::Silent => {
            thread::sleep(Duration::from_secs(20));
            Ok(())
        }
        Mode::ResetMidReply => {
            let _ = conn.write_all(&reply.as_bytes()[..reply.len() / 2]);
            let _ = conn.flush();
            thread::sleep(Duration::from_millis(50));
            let sock = socket2::SockRef::from(&conn);
            let _ = sock.set_linger(Some(Duration::ZERO));
            // Dropping the stream with a zero linger sends RST.
            return;
        }
        Mode::CloseMidReply => conn.write_all(&reply.as_bytes()[..reply.len() / 2]),
        Mode::ResetAfter(_) => unreachable!("resolved above"),
        Mode::StallMidReply => {
            let _ = conn.write_all(&reply.as_bytes()[..reply.len() / 2]);
            thread::sleep(Duration::from_secs(20));
            Ok(())
        }
    };
    let _ = conn.shutdown(std::net::Shutdown::Both);
    let mut sink = Vec::new();
    let _ = conn.read_to_end(&mut sink);
}

#[test]
fn cymru_bulk_against_loopback() {
    let server = Server::start(WhoisService::Cymru, Mode::Proper);
    let r = server.resolver(WhoisService::Cymru);
    let ips: Vec<IpAddr> = [
        "8.8.8.8",
        "5.5.5.5",
        "10.0.0.1",
        "2606:4700::1111",
        "8.1.2.3",
        "8.8.8.8",
    ]
    .iter()
    .map(|s| ip(s))
    .collect();
    let answers = r.resolve_many(&ips).unwrap();
    let g = answers[0].found().unwrap();
    assert_eq!((g.asn, g.name_or_empty()), (15169, "GOOGLE, US"));
    assert_eq!(g.range.to_string(), "8.8.8.0/24");
    assert_eq!(g.country.unwrap().as_str(), "US");
    assert_eq!(g.registry.as_deref(), Some("arin"));
    assert_eq!(g.source, Source::Cymru);
    assert_eq!(answers[1], Resolution::NotRouted { special: None });
    assert!(matches!(
        answers[2],
        Resolution::NotRouted { special: Some(_) }
    ));
    assert_eq!(answers[3].asn(), Some(13335));
    assert_eq!(answers[4].asn(), Some(3356));
    assert_eq!(answers[5], answers[0]);
    let q = server.queries();
    assert_eq!(q.len(), 1, "one bulk query");
    assert!(
        q[0].starts_with("begin\nverbose\n") && q[0].ends_with("end\n"),
        "{:?}",
        q[0]
    );
    assert!(
        !q[0].contains("10.0.0.1"),
        "special addresses never leave the host"
    );
    assert_eq!(
        q[0].matches("8.8.8.8").count(),
        1,
        "duplicates are asked once"
    );
    assert_eq!(
        r.as_name(3333).unwrap().unwrap().as_str(),
        "RIPE-NCC-AS Reseaux IP Europeens Network Coordination Centre (RIPE NCC), NL"
    );
    assert_eq!(r.as_name(64999).unwrap(), None);
}

#[test]
fn ris_against_loopback() {
    let server = Server::start(WhoisService::Ris, Mode::Proper);
    let r = server.resolver(WhoisService::Ris);
    let a = r.resolve(ip("193.0.6.139")).unwrap();
    let info = a.found().unwrap();
    assert_eq!(info.asn, 3333);
    assert_eq!(info.range.to_string(), "193.0.0.0/21");
    assert_eq!(info.source, Source::Ris);
    assert_eq!(
        r.resolve(ip("5.5.5.5")).unwrap(),
        Resolution::NotRouted { special: None }
    );
    let many = r
        .resolve_many(&[
            ip("8.8.8.8"),
            ip("1.0.0.1"),
            ip("2606:4700::1"),
            ip("9.9.9.9"),
            ip("8.9.9.9"),
        ])
        .unwrap();
    assert_eq!(
        many.iter().map(Resolution::asn).collect::<Vec<_>>(),
        [Some(15169), Some(13335), Some(13335), None, Some(3356)]
    );
    assert!(
        server
            .queries()
            .iter()
            .all(|q| q.ends_with("\r\n") && q.lines().count() == 1)
    );
    assert_eq!(r.as_name(3333).unwrap(), None, "RIS has no AS objects");
}

#[test]
fn radb_against_loopback() {
    let server = Server::start(WhoisService::Radb, Mode::Proper);
    let r = server.resolver(WhoisService::Radb);
    let a = r.resolve(ip("8.8.8.8")).unwrap();
    assert_eq!(
        (a.asn(), a.found().unwrap().name_or_empty()),
        (Some(15169), "GOOGLE, US"),
        "most specific of the routes"
    );
    assert_eq!(r.resolve(ip("8.9.0.1")).unwrap().asn(), Some(3356));
    assert_eq!(
        r.resolve(ip("5.5.5.5")).unwrap(),
        Resolution::Unknown,
        "no IRR object is not proof of no route"
    );
    assert_eq!(r.as_name(15169).unwrap().unwrap().as_str(), "GOOGLE");
    assert_eq!(r.as_name(64999).unwrap(), None);
}

#[test_case(WhoisService::Cymru; "cymru")]
#[test_case(WhoisService::Ris; "ris")]
#[test_case(WhoisService::Radb; "radb")]
fn slow_servers_time_out(service: WhoisService) {
    let server = Server::start(service, Mode::Slow(Duration::from_secs(3)));
    let err = server.resolver(service).resolve(ip("8.8.8.8")).unwrap_err();
    assert!(matches!(err, AsnError::Timeout { .. }), "{err:?}");
    let server = Server::start(service, Mode::Drip);
    let err = server.resolver(service).resolve(ip("8.8.8.8")).unwrap_err();
    assert!(
        matches!(err, AsnError::Timeout { .. }),
        "a trickle must not outlive the deadline: {err:?}"
    );
}

#[test_case(WhoisService::Cymru; "cymru")]
#[test_case(WhoisService::Ris; "ris")]
#[test_case(WhoisService::Radb; "radb")]
fn garbage_floods_and_hangups_are_errors(service: WhoisService) {
    let server = Server::start(service, Mode::Garbage);
    let err = server.resolver(service).resolve(ip("8.8.8.8")).unwrap_err();
    assert!(matches!(err, AsnError::Protocol { .. }), "{err:?}");
    let server = Server::start(service, Mode::Flood);
    let err = server.resolver(service).resolve(ip("8.8.8.8")).unwrap_err();
    assert!(
        matches!(err, AsnError::ReplyTooLarge { limit: 65_536, .. }),
        "{err:?}"
    );
    let server = Server::start(service, Mode::Hangup);
    // Routed, and not routed (a cut "no entries" reply must not read as "not routed").
    for addr in ["8.8.8.8", "5.5.5.5"] {
        let err = server.resolver(service).resolve(ip(addr)).unwrap_err();
        assert!(matches!(err, AsnError::Protocol { .. }), "{addr}: {err:?}");
    }
}

/// A resolver whose deadline (2 s) covers the whole batch, with per-read waits (1 s) that,
/// summed over the 10 addresses each of the 4 connections takes, would be far longer.
fn batch_resolver(addr: &str, service: WhoisService) -> WhoisResolver {
    WhoisResolver::builder(service)
        .server(addr)
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(1))
        .deadline(Duration::from_secs(2))
        .parallel(4)
        .build()
        .unwrap()
}

fn forty_addresses() -> Vec<IpAddr> {
    (1..=40)
        .map(|i| IpAddr::V4(Ipv4Addr::new(8, 8, 4, i)))
        .collect()
}

#[test_case(WhoisService::Cymru; "cymru")]
#[test_case(WhoisService::Ris; "ris")]
#[test_case(WhoisService::Radb; "radb")]
fn silent_server_batch_ends_within_its_deadline(service: WhoisService) {
    batch_times_out_within_its_deadline(service, Mode::Silent);
}

/// Forty addresses against a server in `mode` fail with a timeout well before the per-exchange
/// reads would add up. Generous: the deadline is 2 s; 10 reads of 1 s per connection would take
/// 10 s.
fn batch_times_out_within_its_deadline(service: WhoisService, mode: Mode) {
    let server = Server::start(service, mode);
    let start = std::time::Instant::now();
    let err = batch_resolver(&server.addr, service)
        .resolve_many(&forty_addresses())
        .unwrap_err();
    assert!(matches!(err, AsnError::Timeout { .. }), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[test_case(WhoisService::Cymru; "cymru")]
#[test_case(WhoisService::Ris; "ris")]
fn stall_mid_reply_batch_ends_within_its_deadline(service: WhoisService) {
    batch_times_out_within_its_deadline(service, Mode::StallMidReply);
}

#[test_case(WhoisService::Cymru; "cymru")]
#[test_case(WhoisService::Ris; "ris")]
#[test_case(WhoisService::Radb; "radb")]
fn reply_cut_by_a_reset_is_an_error(service: WhoisService) {
    let server = Server::start(service, Mode::ResetMidReply);
    let err = server.resolver(service).resolve(ip("8.8.8.8")).unwrap_err();
    assert!(matches!(err, AsnError::WhoisIo { .. }), "{err:?}");
}

#[test]
fn refused_server_batch_fails_fast() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = std::time::Instant::now();
    let err = batch_resolver(&format!("127.0.0.1:{port}"), WhoisService::Ris)
        .resolve_many(&forty_addresses())
        .unwrap_err();
    assert!(matches!(err, AsnError::Connect { .. }), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn refused_connection_is_a_connect_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = online_resolver("cymru", Some(&format!("127.0.0.1:{port}"))).unwrap();
    assert!(matches!(
        r.resolve(ip("8.8.8.8")),
        Err(AsnError::Connect { .. })
    ));
}

#[test]
fn chain_passes_only_unresolved_addresses_to_whois() {
    let server = Server::start(WhoisService::Cymru, Mode::Proper);
    let table = RangeTable::open(resource("ranges.csv"), RangeFormat::Csv).unwrap();
    let chain = Chain::new()
        .then(table)
        .then(server.resolver(WhoisService::Cymru));
    let answers = chain
        .resolve_many(&[
            ip("1.0.0.1"),
            ip("193.0.0.5"),
            ip("192.168.0.1"),
            ip("5.5.5.5"),
        ])
        .unwrap();
    assert_eq!(answers[0].found().unwrap().source, Source::RangeCsv);
    assert_eq!(answers[1].found().unwrap().source, Source::Cymru);
    assert!(matches!(
        answers[2],
        Resolution::NotRouted { special: Some(_) }
    ));
    assert_eq!(answers[3], Resolution::NotRouted { special: None });
    let q = server.queries();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0], "begin\nverbose\n5.5.5.5\n193.0.0.5\nend\n");
}

#[test]
fn cache_keyed_by_prefix_saves_queries() {
    let server = Server::start(WhoisService::Ris, Mode::Proper);
    let cache = Cache::new(server.resolver(WhoisService::Ris), 1000);
    for last in 1..=20u8 {
        let a = cache
            .resolve(IpAddr::V4(Ipv4Addr::new(193, 0, 1, last)))
            .unwrap();
        assert_eq!(a.asn(), Some(3333));
    }
    assert_eq!(server.queries().len(), 1, "one answer covers its /21");
    assert_eq!((cache.hits(), cache.misses()), (19, 1));
}

/// A trace through a private router, two Cloudflare addresses, one in a gap of the table and
/// Google's resolver: five distinct addresses.
pub(crate) fn sample_report() -> tcptrace::TraceReport {
    use tcptrace::{Hop, Reply, ReplyKind, StopReason, Trace, TraceParams, TraceReport};
    let reply =
        |from: &str| Reply::new(ip(from), Duration::from_millis(1), ReplyKind::TimeExceeded);
    let mut params = TraceParams::default();
    (params.max_in_flight, params.gap_limit) = (16, None);
    TraceReport::new(
        params,
        "2026-11-28T23:00:00.000Z",
        vec![Trace {
            target: "dns.google".into(),
            addr: ip("8.8.8.8"),
            port: 443,
            reached: true,
            stop_reason: StopReason::Reached,
            hops: vec![
                Hop::new(1, vec![reply("192.168.1.1")]),
                Hop::new(
                    2,
                    vec![reply("1.0.0.1"), reply("1.0.0.2"), reply("5.5.5.5")],
                ),
                Hop::new(3, vec![reply("8.8.8.8")]),
            ],
            middleboxes: vec![],
            links: vec![],
            diamonds: vec![],
            source: None,
        }],
    )
}

#[test]
fn annotate_fills_every_reply() {
    let mut report = sample_report();
    let table = RangeTable::open(resource("ranges.csv"), RangeFormat::Csv).unwrap();
    let stats = annotate(&mut report, &table).unwrap();
    assert_eq!(
        (
            stats.addresses,
            stats.found,
            stats.not_routed,
            stats.unknown
        ),
        (5, 3, 2, 0)
    );
    assert_eq!(
        (
            stats.tally.given,
            stats.tally.resolved,
            stats.tally.unresolved()
        ),
        (5, 3, 2)
    );
    let hops = &report.traces[0].hops;
    assert_eq!(hops[0].replies[0].asn, None);
    assert_eq!(hops[1].replies[0].asn, Some(13335));
    assert_eq!(
        hops[1].replies[0].as_name.as_deref(),
        Some("Cloudflare, Inc.")
    );
    assert_eq!(hops[1].replies[2].asn, None);
    assert_eq!(hops[2].replies[0].as_name.as_deref(), Some("Google LLC"));
}

#[test]
fn whois_over_ipv6_loopback() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("!!! SKIPPED whois_over_ipv6_loopback: no IPv6 loopback in this environment");
        assert!(!testbed::in_ci(), "CI must have an IPv6 loopback");
        return;
    };
    let server = Server::start_on(listener, WhoisService::Radb, Mode::Proper);
    assert!(server.addr.starts_with("[::1]:"));
    let r = server.resolver(WhoisService::Radb);
    assert_eq!(
        r.resolve(ip("2606:4700::6810:84e5")).unwrap().asn(),
        Some(13335)
    );
}

#[test]
fn chain_keeps_database_answers_when_whois_fails() {
    let db = std::env::temp_dir().join(format!("tcptrace-asn-chain-{}.csv", std::process::id()));
    std::fs::write(&db, "1.0.0.0,1.0.0.255,13335,Cloudflare\n").unwrap();
    let refusing = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let silent = Staller::start().unwrap().addr().to_string();
    let ips = [ip("1.0.0.1"), ip("8.8.8.8"), ip("10.0.0.1"), ip("1.0.0.9")];
    for server in [refusing, silent] {
        let chain = Chain::new()
            .then(RangeTable::open(&db, RangeFormat::Csv).unwrap())
            .then(batch_resolver(&server, WhoisService::Ris));
        let batch = chain.resolve_batch(&ips);
        let e = batch.entries();
        assert_eq!(e[0].outcome.found().unwrap().asn, 13335);
        // The table's gap answer is not the last word: the whois failure is.
        assert!(
            e[1].outcome
                .reason()
                .is_some_and(|r| r.is_failure() && r != UnresolvedReason::NotAsked),
            "{:?}",
            e[1].outcome
        );
        assert!(e[1].outcome.error().is_some());
        assert_eq!(e[2].outcome.reason(), Some(UnresolvedReason::Special));
        assert_eq!(e[3].outcome.found().unwrap().asn, 13335);
        let t = batch.tally();
        assert_eq!((t.given, t.resolved, t.failed()), (4, 2, 1));
    }
    std::fs::remove_file(&db).ok();
}

#[test_case(WhoisService::Cymru; "cymru")]
#[test_case(WhoisService::Ris; "ris")]
#[test_case(WhoisService::Radb; "radb")]
fn reply_cut_by_a_clean_close_is_an_error(service: WhoisService) {
    let server = Server::start(service, Mode::CloseMidReply);
    let ips = [ip("8.8.8.8"), ip("193.0.0.5"), ip("2606:4700::1111")];
    let err = server.resolver(service).resolve_many(&ips).unwrap_err();
    assert!(matches!(err, AsnError::Protocol { .. }), "{err:?}");
    // Routed, and not routed (a cut "no entries" reply must not read as "not routed").
    for addr in ["8.8.8.8", "5.5.5.5"] {
        let err = server.resolver(service).resolve(ip(addr)).unwrap_err();
        assert!(matches!(err, AsnError::Protocol { .. }), "{addr}: {err:?}");
    }
}
