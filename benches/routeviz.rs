//! Peer benchmark: routeviz against graphviz `dot` on scapy-style DOT of the same traces.
//!
//! - whole process against whole process: `opskit routemap` (or, when no release `opskit` is
//!   built, this bench re-run as a child doing the same work) against `dot -Tsvg|-Tpng`;
//! - our library call (JSON text to SVG/PNG bytes, in process) against `dot`;
//! - PNG encoder settings, measured on the 50×30 map;
//! - layout quality: edge crossings of our layout and of dot's (`dot -Tplain`) over 200
//!   random inputs.
//!
//! Writes a Markdown section to `target/bench/routeviz.md` (or `$OPSKIT_BENCH_DIR`).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "a benchmark: counts turned into ratios and percentages"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opskit::routeviz::{PngCompression, RenderOptions, RouteMap, encode_png};
use opskit::tcptrace::{Hop, Reply, ReplyKind, StopReason, Trace, TraceConfig, TraceReport};

const CHILD_ENV: &str = "ROUTEVIZ_BENCH_CHILD";

/// xorshift64*: a small deterministic generator, so every run draws the same traces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// A router of the generated topology.
struct Router {
    addr: String,
    asn: Option<u32>,
    children: Vec<usize>,
}

/// Random traces over a tree-shaped network that the traces share near the source and that
/// fans out towards the targets, with ECMP pairs, silent hops, loops, unreached targets and
/// routers without AS data.
fn traces(rng: &mut Rng, n_traces: usize, n_hops: usize) -> TraceReport {
    let mut routers = vec![Router {
        addr: "198.18.0.1".into(),
        asn: Some(64496),
        children: vec![],
    }];
    let mut next_addr = 1u32;
    let mut next_as = 64_510u32;
    let mut new_router = |routers: &mut Vec<Router>, parent: usize, rng: &mut Rng| {
        next_addr += 1;
        // Like the Internet: an AS continues along a path until a border, where the path enters
        // a transit AS (a few, shared) or a new AS of its own; some routers have no AS data.
        let asn = if rng.chance(0.08) {
            None
        } else if rng.chance(0.82) {
            routers[parent].asn.or(Some(64_500))
        } else if rng.chance(0.3) {
            Some(64_500 + rng.below(3) as u32)
        } else {
            next_as += 1;
            Some(next_as)
        };
        let addr = format!("198.18.{}.{}", next_addr / 250, next_addr % 250 + 1);
        routers.push(Router {
            addr,
            asn,
            children: vec![],
        });
        let id = routers.len() - 1;
        routers[parent].children.push(id);
        id
    };
    let mut out = Vec::new();
    for t in 0..n_traces {
        let target = format!("198.19.{}.{}", t / 200, t % 200 + 1);
        let port = [80u16, 443, 22, 25][t % 4];
        let reached = rng.chance(0.8);
        let last = if reached {
            n_hops
        } else {
            n_hops.saturating_sub(1 + rng.below(4) as usize).max(2)
        };
        let mut cur = 0usize;
        let mut path: Vec<Vec<usize>> = vec![vec![0]];
        for _ttl in 2..last {
            let kids = routers[cur].children.clone();
            let reuse =
                !kids.is_empty() && rng.chance(0.8 - 0.2 * (kids.len() as f64 - 1.0).min(2.0));
            cur = if reuse {
                kids[rng.below(kids.len() as u64) as usize]
            } else {
                new_router(&mut routers, cur, rng)
            };
            let mut hop = vec![cur];
            if rng.chance(0.06) && path.len() >= 2 {
                // A loop: an address from two hops back answers again.
                hop = vec![path[path.len() - 2][0]];
            } else if rng.chance(0.08) {
                let sib = new_router(&mut routers, *path.last().map_or(&0, |p| &p[0]), rng);
                hop.push(sib);
            }
            path.push(hop);
        }
        let stop = if reached {
            StopReason::Reached
        } else {
            StopReason::GapLimit
        };
        let mut tr = Trace::new(target.clone(), target.parse().unwrap(), port, stop);
        tr.reached = reached;
        for (i, hop) in path.iter().enumerate() {
            if i > 0 && rng.chance(0.07) {
                continue; // silent
            }
            let replies = hop
                .iter()
                .map(|&r| {
                    let from = routers[r].addr.parse().unwrap();
                    let mut rep = Reply::new(from, Duration::ZERO, ReplyKind::TimeExceeded)
                        .with_rtt_ms(0.3 + i as f64 * 1.7);
                    if let Some(a) = routers[r].asn {
                        rep = rep.with_asn(a, Some(&format!("NET-{a} Example Networks")));
                    }
                    rep
                })
                .collect();
            tr.hops.push(Hop::new(i as u8 + 1, replies));
        }
        if reached {
            let kind = if rng.chance(0.7) {
                ReplyKind::SynAck
            } else {
                ReplyKind::Rst
            };
            tr.hops.push(Hop::new(
                last as u8,
                vec![
                    Reply::new(target.parse().unwrap(), Duration::ZERO, kind)
                        .with_rtt_ms(last as f64 * 1.8),
                ],
            ));
        }
        out.push(tr);
    }
    // The parameters of a plain run: every trace starts at TTL 1, as the generated ones do.
    let params = TraceConfig::builder()
        .targets(["198.19.0.1"])
        .build()
        .expect("a literal target")
        .params();
    TraceReport::new(params, "2026-01-02T03:04:05.678Z", out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_process(mut make: impl FnMut() -> Command, reps: usize) -> Duration {
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut cmd = make();
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let t0 = Instant::now();
        let out = cmd.output().expect("spawn");
        times.push(t0.elapsed());
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    median(times)
}

fn time_call(mut f: impl FnMut(), reps: usize) -> Duration {
    f(); // warm up (font database, page faults)
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        f();
        times.push(t0.elapsed());
    }
    median(times)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(peer: Duration, ours: Duration) -> String {
    format!("{:.1}x", peer.as_secs_f64() / ours.as_secs_f64().max(1e-9))
}

/// Our renderer as a child process: the release `opskit` when it is built, else this bench.
fn our_command(bin: Option<&PathBuf>, fmt: &str, input: &Path, output: &Path) -> Command {
    if let Some(b) = bin {
        let mut c = Command::new(b);
        c.arg("routemap").arg(input).arg("-o").arg(output);
        c
    } else {
        let mut c = Command::new(std::env::current_exe().expect("own path"));
        c.env(CHILD_ENV, fmt).arg(input).arg(output);
        c
    }
}

fn child_main(fmt: &str) {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = (&args[args.len() - 2], &args[args.len() - 1]);
    let set = TraceReport::from_json(&std::fs::read_to_string(input).unwrap()).unwrap();
    let map = RouteMap::new(&set).unwrap();
    let opts = RenderOptions::default();
    let bytes = if fmt == "png" {
        map.to_png(&opts).unwrap()
    } else {
        map.to_svg(&opts).into_bytes()
    };
    std::fs::write(output, bytes).unwrap();
}

/// Whether segments p1-p2 and p3-p4 cross properly (touching ends do not count).
fn cross(p1: (f64, f64), p2: (f64, f64), p3: (f64, f64), p4: (f64, f64)) -> bool {
    let o = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        let v = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if v.abs() < 1e-9 {
            0
        } else if v > 0.0 {
            1
        } else {
            -1
        }
    };
    let (d1, d2, d3, d4) = (o(p3, p4, p1), o(p3, p4, p2), o(p1, p2, p3), o(p1, p2, p4));
    d1 * d2 < 0 && d3 * d4 < 0
}

/// An edge for crossing counts: its two end nodes and its polyline.
type Edge = ((String, String), Vec<(f64, f64)>);

/// Our edges, named by their end points.
fn our_edges(map: &RouteMap) -> Vec<Edge> {
    map.layout()
        .polylines()
        .into_iter()
        .map(|p| {
            let name = |q: (f64, f64)| format!("{:.3},{:.3}", q.0, q.1);
            ((name(p[0]), name(p[p.len() - 1])), p)
        })
        .collect()
}

/// Crossings between polylines, each pair of edges' segments compared.
fn crossings(lines: &[Edge]) -> usize {
    let mut n = 0;
    for (i, (ea, a)) in lines.iter().enumerate() {
        for (eb, b) in &lines[i + 1..] {
            // Edges that meet at a node are not counted: dot fans them out from the node's
            // border, where ours start at one point.
            if ea.0 == eb.0 || ea.0 == eb.1 || ea.1 == eb.0 || ea.1 == eb.1 {
                continue;
            }
            for sa in a.windows(2) {
                for sb in b.windows(2) {
                    if cross(sa[0], sa[1], sb[0], sb[1]) {
                        n += 1;
                    }
                }
            }
        }
    }
    n
}

/// The edges of `dot -Tplain` output as polylines along their curves (each cubic Bézier piece
/// of the spline sampled at 8 steps), one per (tail, head) pair.
fn dot_polylines(plain: &str) -> Vec<Edge> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in plain.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() != Some(&"edge") || f.len() < 4 {
            continue;
        }
        if !seen.insert((f[1].to_owned(), f[2].to_owned())) {
            continue;
        }
        let n: usize = f[3].parse().unwrap();
        let ctrl: Vec<(f64, f64)> = (0..n)
            .map(|i| (f[4 + 2 * i].parse().unwrap(), f[5 + 2 * i].parse().unwrap()))
            .collect();
        let mut pts = vec![ctrl[0]];
        for seg in ctrl.windows(4).step_by(3) {
            for k in 1..=8 {
                let t = f64::from(k) / 8.0;
                let u = 1.0 - t;
                let b = |a: f64, b: f64, c: f64, d: f64| {
                    u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d
                };
                pts.push((
                    b(seg[0].0, seg[1].0, seg[2].0, seg[3].0),
                    b(seg[0].1, seg[1].1, seg[2].1, seg[3].1),
                ));
            }
        }
        out.push(((f[1].to_owned(), f[2].to_owned()), pts));
    }
    out
}

fn run_dot(args: &[&str], input: &str) -> String {
    let mut child = Command::new("dot")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("graphviz `dot` is installed");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn main() {
    if let Ok(fmt) = std::env::var(CHILD_ENV) {
        child_main(&fmt);
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bench_dir = std::env::var_os("OPSKIT_BENCH_DIR")
        .map_or_else(|| root.join("target/bench"), PathBuf::from);
    std::fs::create_dir_all(&bench_dir).unwrap();
    let work = std::env::temp_dir().join(format!("routeviz-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let bin = std::env::var_os("OPSKIT_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            let p = root.join("target/release/opskit");
            p.exists().then_some(p)
        });
    let who = match &bin {
        Some(b) => format!("`{} routemap`", b.display()),
        None => "this bench re-run as a child process (no release `opskit` found)".to_owned(),
    };

    let mut md = String::new();
    let _ = writeln!(md, "## routeviz: route maps against graphviz `dot`\n");
    if std::env::var_os("ROUTEVIZ_BENCH_QUALITY_ONLY").is_some() {
        layout_times(&mut md, &work);
        layout_quality(&mut md);
        let _ = std::fs::remove_dir_all(&work);
        println!("{md}");
        return;
    }
    let _ = writeln!(
        md,
        "Same random traces (ECMP, silent hops, loops, unreached targets, AS data) drawn by us and, as scapy-style DOT with AS clusters, by `dot`. Medians. Our process: {who}.\n"
    );
    let _ = writeln!(md, "### Whole process against whole process\n");
    let _ = writeln!(
        md,
        "| traces × hops | nodes | ours SVG | `dot -Tsvg` | ratio | ours PNG | `dot -Tpng` | ratio |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    let mut lib_rows = String::new();
    let mut cross_rows = String::new();
    let mut rng = Rng(0x5EED_0F0B_5C0D_E001);
    let mut big_map = None;
    for (nt, nh) in [(3usize, 12usize), (10, 25), (50, 30)] {
        let set = traces(&mut rng, nt, nh);
        let map = RouteMap::new(&set).unwrap();
        let json = serde_json::to_string(&set).unwrap();
        let dot = map.to_dot(&RenderOptions::default());
        let jp = work.join(format!("t{nt}x{nh}.json"));
        let dp = work.join(format!("t{nt}x{nh}.dot"));
        std::fs::write(&jp, &json).unwrap();
        std::fs::write(&dp, &dot).unwrap();
        let reps_svg = 9;
        let reps_png = if nt >= 50 { 3 } else { 5 };
        let ours_svg = time_process(
            || our_command(bin.as_ref(), "svg", &jp, &work.join("o.svg")),
            reps_svg,
        );
        let dot_svg = time_process(
            || {
                let mut c = Command::new("dot");
                c.arg("-Tsvg").arg(&dp).arg("-o").arg(work.join("d.svg"));
                c
            },
            reps_svg,
        );
        let ours_png = time_process(
            || our_command(bin.as_ref(), "png", &jp, &work.join("o.png")),
            reps_png,
        );
        let dot_png = time_process(
            || {
                let mut c = Command::new("dot");
                c.arg("-Tpng").arg(&dp).arg("-o").arg(work.join("d.png"));
                c
            },
            reps_png,
        );
        let nodes = map.layout().nodes().len();
        let _ = writeln!(
            md,
            "| {nt}×{nh} | {nodes} | {} | {} | **{}** | {} | {} | **{}** |",
            ms(ours_svg),
            ms(dot_svg),
            ratio(dot_svg, ours_svg),
            ms(ours_png),
            ms(dot_png),
            ratio(dot_png, ours_png)
        );
        let opts = RenderOptions::default();
        let lib_svg = time_call(
            || {
                let set = TraceReport::from_json(&json).unwrap();
                std::hint::black_box(RouteMap::new(&set).unwrap().to_svg(&opts));
            },
            15,
        );
        let lib_png = time_call(
            || {
                let set = TraceReport::from_json(&json).unwrap();
                std::hint::black_box(RouteMap::new(&set).unwrap().to_png(&opts).unwrap());
            },
            reps_png,
        );
        let layout_only = time_call(
            || {
                std::hint::black_box(RouteMap::new(&set).unwrap());
            },
            15,
        );
        let _ = writeln!(
            lib_rows,
            "| {nt}×{nh} | {} | {} | {} | **{}** | {} | {} | **{}** |",
            ms(layout_only),
            ms(lib_svg),
            ms(dot_svg),
            ratio(dot_svg, lib_svg),
            ms(lib_png),
            ms(dot_png),
            ratio(dot_png, lib_png)
        );
        eprintln!(
            "{nt}x{nh}: {:.0}x{:.0} px; process svg {} vs {}, png {} vs {}; lib svg {}",
            map.layout().width(),
            map.layout().height(),
            ms(ours_svg),
            ms(dot_svg),
            ms(ours_png),
            ms(dot_png),
            ms(lib_svg)
        );
        let ours_x = crossings(&our_edges(&map));
        let dot_x = crossings(&dot_polylines(&run_dot(&["-Tplain"], &dot)));
        let _ = writeln!(cross_rows, "| {nt}×{nh} | {ours_x} | {dot_x} |");
        if nt == 50 {
            big_map = Some(map);
        }
    }
    let _ = writeln!(
        md,
        "\n### Library call (JSON text to SVG/PNG bytes, in process) against `dot`\n"
    );
    let _ = writeln!(
        md,
        "| traces × hops | graph + layout | ours SVG | `dot -Tsvg` | ratio | ours PNG | `dot -Tpng` | ratio |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    md.push_str(&lib_rows);
    let _ = writeln!(
        md,
        "\n### Edge crossings on these maps\n\n| traces × hops | ours | `dot` |\n|---|---|---|"
    );
    md.push_str(&cross_rows);

    // PNG encoders on the 50×30 map.
    let map = big_map.unwrap();
    let pix = map.to_image(&RenderOptions::default()).unwrap();
    // tiny-skia's own encoder as the baseline, on the same pixels.
    let tiny = tiny_skia::Pixmap::from_vec(
        pix.data().to_vec(),
        tiny_skia::IntSize::from_wh(pix.width(), pix.height()).unwrap(),
    )
    .unwrap();
    let _ = writeln!(
        md,
        "\n### PNG encoding of the 50×30 map ({}×{} px)\n",
        pix.width(),
        pix.height()
    );
    let _ = writeln!(md, "| encoder | time | size |");
    let _ = writeln!(md, "|---|---|---|");
    let render = time_call(
        || {
            std::hint::black_box(map.to_image(&RenderOptions::default()).unwrap());
        },
        3,
    );
    let _ = writeln!(
        md,
        "| (rasterizing with resvg, for scale) | {} | |",
        ms(render)
    );
    let base = tiny.encode_png().unwrap().len();
    let t = time_call(
        || {
            std::hint::black_box(tiny.encode_png().unwrap());
        },
        5,
    );
    let _ = writeln!(
        md,
        "| tiny-skia `encode_png` (RGBA, png defaults) | {} | {} KiB |",
        ms(t),
        base / 1024
    );
    for (name, c) in [
        (
            "ours Fast (RGB, fdeflate, Paeth), the default",
            PngCompression::Fast,
        ),
        ("ours Balanced (RGB, zlib 6, Sub)", PngCompression::Balanced),
        (
            "ours Small (RGB, zlib best, adaptive)",
            PngCompression::Small,
        ),
    ] {
        let size = encode_png(&pix, c).unwrap().len();
        let t = time_call(
            || {
                std::hint::black_box(encode_png(&pix, c).unwrap());
            },
            3,
        );
        let _ = writeln!(md, "| {name} | {} | {} KiB |", ms(t), size / 1024);
    }

    layout_quality(&mut md);

    let _ = std::fs::remove_dir_all(&work);
    let path = bench_dir.join("routeviz.md");
    std::fs::write(&path, &md).unwrap();
    println!("{md}");
    println!("wrote {}", path.display());
}

/// With `ROUTEVIZ_BENCH_QUALITY_ONLY`: the graph and layout time of the three maps of the full
/// run (the same draw), against `dot -Tsvg` on their DOT, for work on the layout.
fn layout_times(md: &mut String, work: &Path) {
    let _ = writeln!(
        md,
        "### Graph + layout against `dot -Tsvg`\n\n| traces × hops | nodes | ours | `dot -Tsvg` | ratio |\n|---|---|---|---|---|"
    );
    let mut rng = Rng(0x5EED_0F0B_5C0D_E001);
    for (nt, nh) in [(3usize, 12usize), (10, 25), (50, 30)] {
        let set = traces(&mut rng, nt, nh);
        let map = RouteMap::new(&set).unwrap();
        let dp = work.join(format!("t{nt}x{nh}.dot"));
        std::fs::write(&dp, map.to_dot(&RenderOptions::default())).unwrap();
        let ours = time_call(
            || {
                std::hint::black_box(RouteMap::new(&set).unwrap());
            },
            15,
        );
        let dot = time_process(
            || {
                let mut c = Command::new("dot");
                c.arg("-Tsvg").arg(&dp).arg("-o").arg(work.join("d.svg"));
                c
            },
            9,
        );
        let _ = writeln!(
            md,
            "| {nt}×{nh} | {} | {} | {} | {} |",
            map.layout().nodes().len(),
            ms(ours),
            ms(dot),
            ratio(dot, ours)
        );
    }
}

/// Layout quality: our crossings against dot's over random inputs. With
/// `ROUTEVIZ_BENCH_QUALITY_ONLY` set, the bench runs only this part and [`layout_times`] (for
/// work on the layout);
/// with `ROUTEVIZ_BENCH_DEBUG=DIR`, it writes each input where we lose into DIR, as trace JSON
/// and DOT; `ROUTEVIZ_BENCH_SEED=N` draws other inputs, to check that a layout change is not
/// tuned to the usual draw.
fn layout_quality(md: &mut String) {
    let seed = std::env::var("ROUTEVIZ_BENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xC0FF_EE00_D0D0);
    let mut rng = Rng(seed);
    let (mut wins, mut total_ours, mut total_dot, mut strictly_better) = (0, 0usize, 0usize, 0);
    let n = 200;
    for i in 0..n {
        let nt = 2 + rng.below(9) as usize;
        let nh = 6 + rng.below(9) as usize;
        let set = traces(&mut rng, nt, nh);
        let map = RouteMap::new(&set).unwrap();
        let ours = crossings(&our_edges(&map));
        let plain = run_dot(&["-Tplain"], &map.to_dot(&RenderOptions::default()));
        let theirs = crossings(&dot_polylines(&plain));
        total_ours += ours;
        total_dot += theirs;
        if ours > theirs
            && let Some(dir) = std::env::var_os("ROUTEVIZ_BENCH_DEBUG")
        {
            // The losing input as trace JSON and DOT, to look at and re-run.
            let dir = PathBuf::from(dir);
            let _ = std::fs::create_dir_all(&dir);
            let name = format!("loser-{i:03}-{nt}x{nh}");
            let _ = std::fs::write(
                dir.join(format!("{name}.json")),
                serde_json::to_string(&set).unwrap(),
            );
            let _ = std::fs::write(
                dir.join(format!("{name}.dot")),
                map.to_dot(&RenderOptions::default()),
            );
            eprintln!(
                "{name}: ours {ours} (layer count {}) dot {theirs}",
                map.layout().crossings()
            );
        }
        if ours <= theirs {
            wins += 1;
        }
        if ours < theirs {
            strictly_better += 1;
        }
    }
    let _ = writeln!(
        md,
        "\n### Layout quality: edge crossings over {n} random inputs (2–10 traces × 6–14 hops)\n"
    );
    let _ = writeln!(
        md,
        "Crossings between edges drawn as polylines: ours through node centres and bend points, dot's along its splines (`dot -Tplain`, each Bézier piece sampled at 8 steps); parallel edges counted once, edges that share a node not compared.\n"
    );
    let _ = writeln!(md, "| | ours | `dot` |\n|---|---|---|");
    let _ = writeln!(md, "| total crossings | {total_ours} | {total_dot} |");
    let _ = writeln!(
        md,
        "| inputs where ours ≤ dot | **{wins}/{n} ({:.0}%)** | |",
        f64::from(wins) * 100.0 / f64::from(n)
    );
    let _ = writeln!(md, "| inputs where ours < dot | {strictly_better}/{n} | |");
}
