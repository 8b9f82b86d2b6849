//! Peer benchmark of `asn-lookup`'s offline AS lookups against pyasn, on the same data.
//!
//! The full ip-location-db `asn` table (IPv4 + IPv6 CSV, from `cargo xtask setup`) is loaded
//! into a `RangeTable`; the table is written out as a pyasn `.dat` prefix file (ranges split
//! into CIDR prefixes) and pyasn loads that. Both then resolve the same 1 million random IPv4
//! addresses and 1 million IPv6 addresses drawn from the table's ranges, on one core. Load time
//! and peak memory are measured in fresh child processes (ours: this binary re-executed; peer:
//! the Python process), so each figure covers one load only.
//!
//! Run with `cargo bench --bench asn`. Writes `target/bench/asn.md` (or
//! `$OPSKIT_BENCH_DIR/asn.md`).

// Figures are statistics over counts far below 2^52, so integer-to-float casts lose nothing;
// `main` is one linear script of measure-then-report steps.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use opskit::asn::{AsnResolver, RangeFormat, RangeTable};

const LOOKUPS: usize = 1_000_000;
const LOAD_RUNS: usize = 3;
const CHILD_ENV: &str = "OPSKIT_ASN_BENCH_CHILD";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/data/ip-location-db-asn/package")
}

fn load(dir: &Path) -> RangeTable {
    RangeTable::builder()
        .add_file(dir.join("asn-ipv4.csv"), RangeFormat::Csv)
        .and_then(|b| b.add_file(dir.join("asn-ipv6.csv"), RangeFormat::Csv))
        .unwrap_or_else(|e| panic!("loading the ip-location-db table: {e}"))
        .build()
}

/// CPU time this thread has run, from the scheduler (`/proc/thread-self/schedstat`): the
/// machine is shared, so rates are per CPU second, not per wall second.
fn cpu_now() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Peak resident set size of this process, in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// Child mode: load once (or not at all, for the baseline) and report time and peak RSS.
fn child(mode: &str) {
    let start = Instant::now();
    let cpu = cpu_now();
    let rows = if mode == "load" {
        let t = load(&data_dir());
        let rows = t.len_v4() + t.len_v6();
        black_box(&t);
        rows
    } else {
        0
    };
    let elapsed = start.elapsed();
    let cpu = cpu_now().saturating_sub(cpu);
    println!(
        "{} {} {} {}",
        elapsed.as_nanos(),
        vm_hwm_kib(),
        rows,
        cpu.as_nanos()
    );
}

/// (wall, peak RSS KiB, rows, CPU) of one child run.
fn run_child(mode: &str) -> (Duration, u64, usize, Duration) {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .env(CHILD_ENV, mode)
        .output()
        .expect("re-run the bench as a child");
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<u128> = text
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (
        Duration::from_nanos(f[0] as u64),
        f[1] as u64,
        f[2] as usize,
        Duration::from_nanos(f[3] as u64),
    )
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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Lookups per CPU second of `f` over `addrs`, best of three passes; also returns a checksum.
fn rate(addrs: &[IpAddr], mut f: impl FnMut(IpAddr) -> u32) -> (f64, u64) {
    let mut best = Duration::MAX;
    let mut sum = 0u64;
    for _ in 0..3 {
        let start = cpu_now();
        let mut s = 0u64;
        for &a in addrs {
            s = s.wrapping_add(u64::from(f(black_box(a))));
        }
        best = best.min(cpu_now().saturating_sub(start));
        sum = black_box(s);
    }
    (addrs.len() as f64 / best.as_secs_f64().max(1e-9), sum)
}

const PEER: &str = r#"
import json, sys, time
import pyasn
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
    return 0
dat, v4file, v6file, outfile = sys.argv[1:5]
base = hwm()
t0 = time.perf_counter()
c0 = time.thread_time()
db = pyasn.pyasn(dat)
load_cpu = time.thread_time() - c0
load = time.perf_counter() - t0
mem = hwm()
from importlib.metadata import version
res = {"version": version("pyasn"), "load_s": load, "load_cpu_s": load_cpu, "hwm_kib": mem, "base_kib": base}
for name, path in (("v4", v4file), ("v6", v6file)):
    addrs = open(path).read().split()
    best = None
    for _ in range(3):
        t0 = time.thread_time()
        out = [db.lookup(a)[0] for a in addrs]
        dt = time.thread_time() - t0
        best = dt if best is None else min(best, dt)
    res[name + "_rate"] = len(addrs) / best
    res[name + "_asns"] = [a or 0 for a in out]
json.dump(res, open(outfile, "w"))
"#;

struct Peer {
    version: String,
    load_s: f64,
    load_cpu_s: f64,
    hwm_kib: u64,
    v4_rate: f64,
    v6_rate: f64,
    v4_asns: Vec<u32>,
    v6_asns: Vec<u32>,
}

fn run_peer(table: &RangeTable, v4: &[IpAddr], v6: &[IpAddr]) -> Result<Peer, String> {
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/asn-work");
    std::fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let result = peer_in(&work, table, v4, v6);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn peer_in(dir: &Path, table: &RangeTable, v4: &[IpAddr], v6: &[IpAddr]) -> Result<Peer, String> {
    let dat = dir.join("ipasn.dat");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&dat).map_err(|e| e.to_string())?);
    table.write_pyasn(&mut w).map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())?;
    drop(w);
    let write_addrs = |name: &str, addrs: &[IpAddr]| -> Result<PathBuf, String> {
        let p = dir.join(name);
        let mut text = String::with_capacity(addrs.len() * 16);
        for a in addrs {
            let _ = writeln!(text, "{a}");
        }
        std::fs::write(&p, text).map_err(|e| e.to_string())?;
        Ok(p)
    };
    let v4p = write_addrs("v4.txt", v4)?;
    let v6p = write_addrs("v6.txt", v6)?;
    let script = dir.join("peer.py");
    std::fs::write(&script, PEER).map_err(|e| e.to_string())?;
    let out = dir.join("peer.json");
    let python = std::env::var("OPSKIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(&python)
        .arg(&script)
        .args([&dat, &v4p, &v6p, &out])
        .status()
        .map_err(|e| format!("running {python}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "pyasn peer failed ({status}); is pyasn installed (pip install pyasn)?"
        ));
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let asns = |k: &str| -> Vec<u32> {
        v[k].as_array()
            .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0) as u32).collect())
            .unwrap_or_default()
    };
    Ok(Peer {
        version: v["version"]
            .as_str()
            .unwrap_or("?")
            .chars()
            .take(32)
            .collect(),
        load_s: v["load_s"].as_f64().unwrap_or(f64::NAN),
        load_cpu_s: v["load_cpu_s"].as_f64().unwrap_or(f64::NAN),
        hwm_kib: v["hwm_kib"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(v["base_kib"].as_u64().unwrap_or(0)),
        v4_rate: v["v4_rate"].as_f64().unwrap_or(f64::NAN),
        v6_rate: v["v6_rate"].as_f64().unwrap_or(f64::NAN),
        v4_asns: asns("v4_asns"),
        v6_asns: asns("v6_asns"),
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        child(&mode);
        return;
    }
    // `cargo bench` passes `--bench`; ignore arguments.
    let dir = data_dir();
    if !dir.join("asn-ipv4.csv").is_file() || !dir.join("asn-ipv6.csv").is_file() {
        eprintln!(
            "asn bench: {} is missing; run `cargo xtask setup` first",
            dir.display()
        );
        std::process::exit(1);
    }

    // Load time and memory, each in a fresh process.
    let (_, base_kib, _, _) = run_child("baseline");
    let mut loads = Vec::new();
    let mut load_cpus = Vec::new();
    let mut hwm = 0;
    let mut rows = 0;
    for _ in 0..LOAD_RUNS {
        let (t, k, r, c) = run_child("load");
        loads.push(t);
        load_cpus.push(c);
        hwm = hwm.max(k);
        rows = r;
    }
    let load_time = median(loads);
    let load_cpu = median(load_cpus);
    let our_kib = hwm.saturating_sub(base_kib);

    let table = load(&dir);
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let v4: Vec<IpAddr> = (0..LOOKUPS)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
        .collect();
    let v6_rows: Vec<(u128, u128)> = table
        .rows()
        .filter_map(|r| match (r.range.first(), r.range.last()) {
            (IpAddr::V6(a), IpAddr::V6(b)) => Some((u128::from(a), u128::from(b))),
            _ => None,
        })
        .collect();
    let v6: Vec<IpAddr> = (0..LOOKUPS)
        .map(|_| {
            let (a, b) = v6_rows[(rng.next() % v6_rows.len() as u64) as usize];
            let off = ((u128::from(rng.next()) << 64) | u128::from(rng.next()))
                % (b - a).saturating_add(1).max(1);
            IpAddr::V6(Ipv6Addr::from(a + off))
        })
        .collect();

    let asn_of = |a: IpAddr| table.lookup(a).map_or(0, |e| e.asn);
    let (our_v4, _) = rate(&v4, asn_of);
    let (our_v6, _) = rate(&v6, asn_of);
    let (our_resolve_v4, _) = rate(&v4, |a| {
        table.resolve(a).ok().and_then(|r| r.asn()).unwrap_or(0)
    });
    let ours_v4: Vec<u32> = v4.iter().map(|&a| asn_of(a)).collect();
    let ours_v6: Vec<u32> = v6.iter().map(|&a| asn_of(a)).collect();

    let peer = run_peer(&table, &v4, &v6);
    let mut md = String::from("## AS lookups: tcptrace `RangeTable` vs pyasn\n\n");
    let _ = writeln!(
        md,
        "Full ip-location-db `asn` table 2.3.2026061719 (IPv4 + IPv6 CSV, {rows} ranges after \
         flattening). pyasn {} loads the same table written as CIDR prefixes (pyasn keeps no AS \
         names; we do). {LOOKUPS} lookups per \
         family on one core, best of 3, per CPU second (the scheduler's on-CPU time of the \
         measuring thread, since the machine is shared); load and memory in fresh processes \
         (median of {LOAD_RUNS} loads; memory is peak RSS above an idle process). Load \
         ratios use CPU time; wall time is shown beside it.\n",
        peer.as_ref().map_or("(not run)", |p| p.version.as_str())
    );
    md.push_str("| Measure | opskit | pyasn | ratio (opskit advantage) |\n|---|---:|---:|---:|\n");
    match &peer {
        Ok(p) => {
            let _ = writeln!(
                md,
                "| Load full v4+v6 table, CPU (wall) | {:.3} s ({:.3} s) | {:.3} s ({:.3} s) | {:.1}x |",
                load_cpu.as_secs_f64(),
                load_time.as_secs_f64(),
                p.load_cpu_s,
                p.load_s,
                p.load_cpu_s / load_cpu.as_secs_f64()
            );
            let _ = writeln!(
                md,
                "| Peak memory for the table | {:.1} MiB | {:.1} MiB | {:.1}x |",
                mib(our_kib),
                mib(p.hwm_kib),
                p.hwm_kib as f64 / our_kib.max(1) as f64
            );
            let _ = writeln!(
                md,
                "| IPv4 lookups/s (uniform random) | {:.2} M/s | {:.2} M/s | {:.1}x |",
                our_v4 / 1e6,
                p.v4_rate / 1e6,
                our_v4 / p.v4_rate
            );
            let _ = writeln!(
                md,
                "| IPv6 lookups/s (inside table ranges) | {:.2} M/s | {:.2} M/s | {:.1}x |",
                our_v6 / 1e6,
                p.v6_rate / 1e6,
                our_v6 / p.v6_rate
            );
            let _ = writeln!(
                md,
                "| IPv4 via `AsnResolver::resolve` (full answer, special ranges) | {:.2} M/s | {:.2} M/s | {:.1}x |",
                our_resolve_v4 / 1e6,
                p.v4_rate / 1e6,
                our_resolve_v4 / p.v4_rate
            );
            let diff4 = ours_v4
                .iter()
                .zip(&p.v4_asns)
                .filter(|(a, b)| a != b)
                .count();
            let diff6 = ours_v6
                .iter()
                .zip(&p.v6_asns)
                .filter(|(a, b)| a != b)
                .count();
            let _ = writeln!(
                md,
                "\nAgreement: {} of {} IPv4 and {} of {} IPv6 answers identical to pyasn's.",
                ours_v4.len() - diff4,
                ours_v4.len(),
                ours_v6.len() - diff6,
                ours_v6.len()
            );
        }
        Err(e) => {
            let _ = writeln!(
                md,
                "| Load full v4+v6 table, CPU (wall) | {:.3} s ({:.3} s) | n/a | n/a |",
                load_cpu.as_secs_f64(),
                load_time.as_secs_f64()
            );
            let _ = writeln!(
                md,
                "| Peak memory for the table | {:.1} MiB | n/a | n/a |",
                mib(our_kib)
            );
            let _ = writeln!(
                md,
                "| IPv4 lookups/s | {:.2} M/s | n/a | n/a |",
                our_v4 / 1e6
            );
            let _ = writeln!(
                md,
                "| IPv6 lookups/s | {:.2} M/s | n/a | n/a |",
                our_v6 / 1e6
            );
            let _ = writeln!(md, "\n**The pyasn peer did not run:** {e}");
        }
    }
    let ratio = peer.as_ref().map_or(f64::NAN, |p| our_v4 / p.v4_rate);
    let _ = writeln!(
        md,
        "\nTargets: load under 1 s: {}; at least 10 M IPv4 lookups/s: {}; at least 5x pyasn: {}.",
        if load_cpu < Duration::from_secs(1) {
            "met"
        } else {
            "missed"
        },
        if our_v4 >= 10e6 { "met" } else { "missed" },
        if ratio >= 5.0 { "met" } else { "missed" },
    );

    print!("\n{md}");
    let out_dir = std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out_dir).expect("create the bench directory");
    let path = out_dir.join("asn.md");
    std::fs::write(&path, &md).expect("write asn.md");
    println!("\nwrote {}", path.display());
    if peer.is_err() {
        std::process::exit(1);
    }
}
