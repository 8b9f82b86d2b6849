//! `opskit routemap`, run as a user would run it.

use std::io::Write as _;
use std::process::{Command, Stdio};

const TRACE_JSON: &str = r#"{"params":{"min_ttl":1,"max_ttl":30,"timeout_s":2.0,"retry":0,"max_in_flight":256,"all_ttls":false},
"started_at":"2026-01-02T03:04:05.678Z",
"traces":[
 {"target":"www.example.test","addr":"198.19.10.20","port":80,"reached":true,"stop_reason":"reached","hops":[
  {"ttl":1,"replies":[{"from":"198.18.0.1","rtt_ms":0.3,"kind":"time_exceeded","asn":64496,"as_name":"LAB"}]},
  {"ttl":2,"replies":[{"from":"198.18.16.1","rtt_ms":2.1,"kind":"time_exceeded"},{"from":"198.18.16.5","rtt_ms":2.4,"kind":"time_exceeded"}]},
  {"ttl":4,"replies":[{"from":"198.19.10.20","rtt_ms":8.2,"kind":"syn_ack"}]}]},
 {"target":"198.18.200.9","addr":"198.18.200.9","port":443,"reached":false,"stop_reason":"gap_limit","hops":[
  {"ttl":1,"replies":[{"from":"198.18.0.1","rtt_ms":0.3,"kind":"time_exceeded","asn":64496,"as_name":"LAB"}]}]}]}"#;

fn opskit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_opskit"))
}

fn input(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("trace.json");
    std::fs::write(&p, TRACE_JSON).unwrap();
    p
}

#[test]
fn svg_png_and_dot_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let json = input(&dir);
    for (name, check) in [
        (
            "map.svg",
            (|b: &[u8]| b.starts_with(b"<svg")) as fn(&[u8]) -> bool,
        ),
        ("map.png", |b: &[u8]| b.starts_with(b"\x89PNG\r\n\x1a\n")),
        ("map.dot", |b: &[u8]| b.starts_with(b"digraph trace {")),
        ("map.html", |b: &[u8]| b.starts_with(b"<!DOCTYPE html>")),
        ("map.htm", |b: &[u8]| b.starts_with(b"<!DOCTYPE html>")),
    ] {
        let out = dir.path().join(name);
        let st = opskit()
            .arg("routemap")
            .arg(&json)
            .arg("-o")
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success(), "{name}");
        let bytes = std::fs::read(&out).unwrap();
        assert!(check(&bytes), "{name} has the wrong format");
    }
    let svg = std::fs::read_to_string(dir.path().join("map.svg")).unwrap();
    assert!(svg.contains(">198.19.10.20<") && svg.contains(">80 SA<"));
    assert!(
        svg.contains("198.18.200.9 443/tcp"),
        "blackhole for the unreached target"
    );
    assert!(svg.contains("AS64496 LAB"));
    let dot = std::fs::read_to_string(dir.path().join("map.dot")).unwrap();
    assert!(dot.contains("subgraph cluster_64496"));
    // The page holds the same map, with the same content-keyed ids.
    let html = std::fs::read_to_string(dir.path().join("map.html")).unwrap();
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none';"));
    assert!(html.contains(">198.19.10.20<") && html.contains("id=\"node-198-19-10-20\""));
    assert!(html.contains("id=\"as-node-64496\""));
}

#[test]
fn options_title_rtt_scale() {
    let dir = tempfile::tempdir().unwrap();
    let json = input(&dir);
    let svg_path = dir.path().join("t.svg");
    let st = opskit()
        .args([
            "routemap",
            "--title",
            "Office <uplinks>",
            "--rtt",
            "--no-legend",
        ])
        .arg(&json)
        .arg("-o")
        .arg(&svg_path)
        .status()
        .unwrap();
    assert!(st.success());
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.contains("Office &lt;uplinks&gt;"));
    assert!(svg.contains("class=\"rtt\""));
    assert!(!svg.contains("id=\"legend\""));
    let width: f64 = svg
        .split("width=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let png1 = dir.path().join("a.png");
    let png2 = dir.path().join("b.png");
    for (p, s) in [(&png1, "1"), (&png2, "2")] {
        let st = opskit()
            .args([
                "routemap",
                "--no-legend",
                "--title",
                "Office <uplinks>",
                "-s",
                s,
            ])
            .arg(&json)
            .arg("-o")
            .arg(p)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let w = |p: &std::path::Path| {
        let b = std::fs::read(p).unwrap();
        u32::from_be_bytes([b[16], b[17], b[18], b[19]])
    };
    assert!(
        (f64::from(w(&png1)) - width.ceil()).abs() < 0.5,
        "PNG width follows the SVG"
    );
    assert_eq!(w(&png2), 2 * w(&png1));
}

#[test]
fn stdin_to_stdout_with_format() {
    let mut child = opskit()
        .args(["routemap", "-", "-o", "-", "--format", "dot"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(TRACE_JSON.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout).unwrap().contains(
            "\"198.18.0.1\" -> \"198.18.16.1\" [id=\"edge-198-18-0-1-198-18-16-1-trace-0\""
        )
    );
}

#[test]
fn errors_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let json = input(&dir);
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{\"traces\": 5}").unwrap();
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec![
                json.clone().into(),
                "-o".into(),
                dir.path().join("map.gif").into(),
            ],
            "cannot tell the format",
        ),
        (
            vec![
                bad_json.into(),
                "-o".into(),
                dir.path().join("x.svg").into(),
            ],
            "invalid trace JSON",
        ),
        (
            vec![
                dir.path().join("missing.json").into(),
                "-o".into(),
                dir.path().join("x.svg").into(),
            ],
            "reading",
        ),
        (
            vec![
                json.into(),
                "-o".into(),
                dir.path().join("x.png").into(),
                "--scale".into(),
                "0".into(),
            ],
            "scale",
        ),
    ];
    for (args, want) in cases {
        let out = opskit().arg("routemap").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// End to end in a network of real kernel routers: `opskit trace --json` in the source
/// namespace, then `opskit routemap` on its output.
#[test]
fn maps_a_real_trace_from_a_test_network() {
    use testbed::netns::Family;
    if !testbed::require_root("opskit routemap maps_a_real_trace_from_a_test_network") {
        return;
    }
    let net = silent_second_router();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let truth = net.ground_truth(web.parse().unwrap()).unwrap();
    let r1 = truth.hops[0].addresses()[0].to_string();
    let r3 = truth.hops[2].addresses()[0].to_string();
    let trace = |extra: &[&str]| {
        let out = net
            .command("src", env!("CARGO_BIN_EXE_opskit"))
            .unwrap()
            .args([
                "trace",
                web.as_str(),
                "--json",
                "--probe-timeout",
                "0.5",
                "-p",
                "80,443",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let dir = tempfile::tempdir().unwrap();
    // Reached on both ports.
    let json = dir.path().join("reached.json");
    std::fs::write(&json, trace(&[])).unwrap();
    let svg_path = dir.path().join("reached.svg");
    let st = opskit()
        .arg("routemap")
        .arg(&json)
        .arg("-o")
        .arg(&svg_path)
        .arg("--rtt")
        .status()
        .unwrap();
    assert!(st.success());
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    for want in [
        format!(">{r1}<"),
        format!(">{r3}<"),
        format!(">{web}<"),
        ">80 SA<".into(),
        ">443 RA<".into(),
        ">?<".into(),
    ] {
        assert!(svg.contains(&want), "{want} missing from the map");
    }
    assert!(
        svg.contains(">TTL 4<") && !svg.contains(">TTL 5<"),
        "one row per TTL up to the web server"
    );
    // Cut short before the destination: one blackhole for the host, its ports grouped.
    let json = dir.path().join("short.json");
    std::fs::write(&json, trace(&["--max-ttl", "3"])).unwrap();
    let png_path = dir.path().join("short.png");
    let st = opskit()
        .arg("routemap")
        .arg(&json)
        .arg("-o")
        .arg(&png_path)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(std::fs::read(&png_path).unwrap().starts_with(b"\x89PNG"));
    let dot_path = dir.path().join("short.dot");
    let st = opskit()
        .arg("routemap")
        .arg(&json)
        .arg("-o")
        .arg(&dot_path)
        .status()
        .unwrap();
    assert!(st.success());
    let dot = std::fs::read_to_string(&dot_path).unwrap();
    assert_eq!(dot.matches("shape=octagon").count(), 1, "{dot}");
    assert!(dot.contains(&format!("\"{web} 80,443/tcp\"")), "{dot}");
}

/// 100,000 hops (4,000 traces of 25 distinct routers): the map is over the pixel budget, and
/// the run says so with the size and the budget. It runs under a 1.5 GiB address-space limit
/// (before the size was checked ahead of the layout this input took 2.3 GB), its peak resident
/// set stays under 256 MiB, and it must end within a generous deadline.
#[test]
fn hundred_thousand_hops_fail_fast_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let input = distinct_routes(dir.path(), 4000, 25);
    let out = dir.path().join("map.png");
    let m = testbed::run_measured(
        Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -v 1572864 && exec "$0" routemap "$1" -o "$2""#)
            .arg(env!("CARGO_BIN_EXE_opskit"))
            .arg(&input)
            .arg(&out),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(m.status.code(), Some(2), "{}", m.stderr);
    assert!(
        m.stderr.contains("too large") && m.stderr.contains("limit 134217728"),
        "{}",
        m.stderr
    );
    assert!(!out.exists());
    assert!(
        m.peak_rss_kib > 0 && m.peak_rss_kib < 256 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// The same 100,000 hops with --fit: drawn scaled down from their first traces within a
/// 100,000-pixel budget, the rest counted in a warning (and the map's note), exit status 1,
/// with a peak resident set under 200 MiB (about 85 MiB in a debug build). Before the node
/// budget, --fit laid the whole map out and then refused it.
#[test]
fn fit_draws_100k_hops_from_their_first_traces_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let input = distinct_routes(dir.path(), 4000, 25);
    let out = dir.path().join("map.png");
    let m = testbed::run_measured(
        opskit()
            .arg("routemap")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .args(["--fit", "--max-pixels", "100000"]),
        std::time::Duration::from_secs(300),
    );
    eprintln!("peak RSS {} KiB in {:?}", m.peak_rss_kib, m.elapsed);
    assert_eq!(m.status.code(), Some(1), "partial: {}", m.stderr);
    let warning = m
        .stderr
        .lines()
        .find(|l| l.starts_with("warning: "))
        .unwrap_or_else(|| panic!("no warning: {}", m.stderr));
    let (omitted, rest) = warning
        .strip_prefix("warning: ")
        .and_then(|w| w.split_once(" of 4000 traces ("))
        .unwrap_or_else(|| panic!("{warning}"));
    let omitted: u64 = omitted.parse().unwrap();
    let hops: u64 = rest
        .split_once(" of 100000 hops) not drawn")
        .unwrap()
        .0
        .parse()
        .unwrap();
    assert!(omitted > 3500 && omitted < 4000, "{warning}");
    assert_eq!(hops, omitted * 25, "{warning}");
    let (w, h) = ihdr(&std::fs::read(&out).unwrap());
    assert!(w * h <= 100_000, "{w}x{h}");
    assert!(
        m.peak_rss_kib > 0 && m.peak_rss_kib < 200 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// The width and height in a PNG's IHDR chunk.
fn ihdr(png: &[u8]) -> (u64, u64) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR");
    let be = |b: &[u8]| u64::from(u32::from_be_bytes(b.try_into().unwrap()));
    (be(&png[16..20]), be(&png[20..24]))
}

/// A map over the pixel budget at scale 1 is refused (exit 2, with the budget) without --fit,
/// and drawn scaled down within the budget with --fit. The budget is made small with
/// --max-pixels, since drawing a map at the full 16384x8192 budget takes minutes in a debug
/// build; `--fit` alone with the default budget is checked in `fit_lets_a_large_map_through`.
#[test]
fn fit_draws_an_over_budget_png_scaled_down() {
    let dir = tempfile::tempdir().unwrap();
    let json = input(&dir);
    let full = dir.path().join("full.png");
    let st = opskit()
        .arg("routemap")
        .arg(&json)
        .arg("-o")
        .arg(&full)
        .status()
        .unwrap();
    assert!(st.success());
    let (w, h) = ihdr(&std::fs::read(&full).unwrap());
    let budget = w * h / 4;
    let out = dir.path().join("fit.png");
    let refused = opskit()
        .arg("routemap")
        .arg(&json)
        .arg("-o")
        .arg(&out)
        .args(["--max-pixels", &budget.to_string()])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("too large") && err.contains(&format!("limit {budget} pixels")),
        "{err}"
    );
    assert!(!out.exists());
    let st = opskit()
        .arg("routemap")
        .arg(&json)
        .arg("-o")
        .arg(&out)
        .args(["--max-pixels", &budget.to_string(), "--fit"])
        .status()
        .unwrap();
    assert!(st.success());
    let (fw, fh) = ihdr(&std::fs::read(&out).unwrap());
    assert!(
        fw * fh <= budget && budget <= 134_217_728,
        "{fw}x{fh} over {budget}"
    );
    assert!(
        fw < w && fh < h && fw * fh > budget / 2,
        "{fw}x{fh} from {w}x{h}"
    );
}

/// 15,600 hops whose map is over the default 16384x8192 budget at scale 1: refused before the
/// layout without --fit; with --fit past that check, shrunk to scale 0.1 and, being still over
/// a 250,000-pixel budget there, drawn from its first traces with the rest counted.
#[test]
fn fit_lets_a_large_map_through() {
    let dir = tempfile::tempdir().unwrap();
    let input = distinct_routes(dir.path(), 600, 26);
    let out = dir.path().join("map.png");
    let refused = opskit()
        .arg("routemap")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("limit 134217728 pixels"));
    assert!(!out.exists());
    let st = opskit()
        .arg("routemap")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .args(["--fit", "--max-pixels", "250000"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&st.stderr);
    assert_eq!(st.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("warning: ")
            && err.contains(" of 600 traces (")
            && err.contains(" of 15600 hops) not drawn"),
        "{err}"
    );
    let (w, h) = ihdr(&std::fs::read(&out).unwrap());
    assert!(w * h <= 250_000, "{w}x{h}");
}

#[test]
fn help_documents_fit() {
    let out = opskit().args(["routemap", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for want in [
        "--fit",
        "--max-pixels",
        "134,217,728",
        "10,000 nodes",
        "not drawn",
        "exit status 1",
        // The imports, merging and converting.
        "--from <FORMAT>",
        "RIPE Atlas",
        "scamper",
        "mtr --json",
        "legend section",
        "FILE.json",
        "200,000 records",
    ] {
        assert!(help.contains(want), "{want} missing:\n{help}");
    }
}

/// Writes trace JSON of `traces` traces, each through `hops` routers no other trace shares, and
/// returns its path: the widest map a hop count can make.
fn distinct_routes(dir: &std::path::Path, traces: u32, hops: u32) -> std::path::PathBuf {
    use std::fmt::Write as _;
    let mut json = String::from(
        r#"{"params":{"min_ttl":1,"max_ttl":30,"timeout_s":2.0,"retry":0,"max_in_flight":256,"all_ttls":false},"started_at":"2026-01-02T03:04:05.678Z","traces":["#,
    );
    for t in 0..traces {
        if t > 0 {
            json.push(',');
        }
        write!(
            json,
            r#"{{"target":"198.18.{0}.{1}","addr":"198.18.{0}.{1}","port":80,"reached":false,"stop_reason":"max_ttl","hops":["#,
            t / 256,
            t % 256
        )
        .unwrap();
        for ttl in 1..=hops {
            let a = std::net::Ipv4Addr::from(0x0a00_0000 + t * 32 + ttl);
            if ttl > 1 {
                json.push(',');
            }
            write!(
                json,
                r#"{{"ttl":{ttl},"replies":[{{"from":"{a}","rtt_ms":1.0,"kind":"time_exceeded"}}]}}"#
            )
            .unwrap();
        }
        json.push_str("]}");
    }
    json.push_str("]}");
    let input = dir.join("big.json");
    std::fs::write(&input, json).unwrap();
    input
}

/// RIPE Atlas results published in the test suite of RIPE's parser (see the README beside
/// them), one per line.
fn atlas_lines() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../routeviz/tests/resources/import/atlas-sagan-tests.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The results of one Atlas probe, as a file of one result per line.
fn atlas_probe(dir: &std::path::Path, probe: u64) -> std::path::PathBuf {
    let lines: Vec<String> = atlas_lines()
        .into_iter()
        .filter(|l| l.contains(&format!("\"prb_id\":{probe},")))
        .collect();
    assert!(!lines.is_empty(), "probe {probe}");
    let p = dir.join(format!("probe-{probe}.jsonl"));
    std::fs::write(&p, lines.join("\n")).unwrap();
    p
}

/// Two Atlas probes and two opskit runs merge into one map: a hop the runs share is drawn
/// once, the router both probes crossed (63.243.128.38, at TTL 9 from one and 7 from the
/// other) once per TTL, and each vantage point has its own legend section.
#[test]
fn merges_vantage_points_into_one_map() {
    let dir = tempfile::tempdir().unwrap();
    let a = atlas_probe(dir.path(), 190);
    let b = atlas_probe(dir.path(), 426);
    let ours = input(&dir);
    let other = dir.path().join("other-host.json");
    std::fs::write(&other, TRACE_JSON).unwrap();
    let svg_path = dir.path().join("merged.svg");
    routemap_ok(&[&a, &b, &ours, &other], &svg_path);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert_eq!(
        svg.matches(">198.18.0.1</text>").count(),
        1,
        "a shared hop is drawn once"
    );
    assert_eq!(
        svg.matches(">198.19.10.20</text>").count(),
        1,
        "so is a shared destination"
    );
    assert_eq!(svg.matches(">63.243.128.38</text>").count(), 2, "{svg}");
    let sections: Vec<&str> = svg
        .match_indices("class=\"legend-section\"")
        .map(|(i, _)| {
            let rest = &svg[i..];
            let start = rest.find('>').unwrap() + 1;
            &rest[start..rest.find("</text>").unwrap()]
        })
        .collect();
    assert_eq!(
        sections,
        [
            "probe 190",
            "probe 426",
            ours.display().to_string().as_str(),
            other.display().to_string().as_str()
        ]
    );
    // 2 + 5 results of the probes and the 2 traces of each opskit run, each in the legend.
    assert_eq!(svg.matches("class=\"legend-entry").count(), 11);
}

/// `-o FILE.json` converts: the merged traces, as opskit trace JSON that validates against
/// schemas/trace.json and reads back; a named format that the file is not is refused.
#[test]
fn converts_imports_to_trace_json() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("atlas.jsonl");
    std::fs::write(&all, atlas_lines().join("\n")).unwrap();
    let json_path = dir.path().join("converted.json");
    routemap_ok(&[&all, &input(&dir)], &json_path);
    let text = std::fs::read_to_string(&json_path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    crate::schema::assert_valid("trace", &doc);
    let report = tcptrace::TraceReport::from_json(&text).unwrap();
    assert_eq!(report.traces.len(), 20 + 2);
    assert_eq!(
        report.failed_targets.len(),
        1,
        "the result whose name did not resolve"
    );
    let mpls = report.traces[3].hops[9].replies[0].mpls[0];
    assert_eq!((mpls.label, mpls.tc, mpls.bottom), (407_904, 1, true));
    let out = opskit()
        .arg("routemap")
        .arg(&all)
        .args(["--from", "mtr", "-o"])
        .arg(dir.path().join("x.svg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mtr record 1 (line 1)"), "{err}");
}

/// scamper (trace and tracelb, through `sc_warts2json`) and `mtr --json`, run in a network of
/// real kernel routers, convert to traces that find what the network is: each router at its
/// TTL, nothing from the silent one, the destination at its TTL.
#[test]
fn imports_scamper_and_mtr_run_in_a_test_network() {
    use testbed::netns::Family;
    if !testbed::require_root("opskit routemap imports_scamper_and_mtr_run_in_a_test_network") {
        return;
    }
    let net = silent_second_router();
    let web = net.address("web", Family::V4).unwrap();
    let truth = net.ground_truth(web).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scamper_json = run_scamper(&net, web, dir.path());
    let mtr_json = run_mtr(&net, web, dir.path());
    let converted = dir.path().join("both.json");
    routemap_ok(&[&scamper_json, &mtr_json], &converted);
    let text = std::fs::read_to_string(&converted).unwrap();
    crate::schema::assert_valid("trace", &serde_json::from_str(&text).unwrap());
    let report = tcptrace::TraceReport::from_json(&text).unwrap();
    let tools: Vec<&str> = report
        .traces
        .iter()
        .map(|t| t.source.as_ref().unwrap().tool.as_str())
        .collect();
    assert_eq!(tools, ["scamper", "scamper", "scamper", "mtr"]);
    let dest_ttl = truth.destination_ttl;
    for t in &report.traces {
        let what = format!("{:?}", t.source);
        assert!(t.reached, "{what}");
        assert_eq!(t.addr, web);
        assert_eq!(t.destination_ttl(), Some(dest_ttl), "{what}");
        for expected in &truth.hops {
            let found: Vec<_> = t
                .hop(expected.ttl)
                .map(tcptrace::Hop::addrs)
                .unwrap_or_default();
            if expected.is_silent() {
                assert!(
                    found.is_empty(),
                    "{what}: TTL {} is silent: {found:?}",
                    expected.ttl
                );
            } else {
                assert_eq!(found.len(), 1, "{what}: TTL {}", expected.ttl);
                assert!(
                    expected.accepts(found[0]),
                    "{what}: TTL {}: {found:?}",
                    expected.ttl
                );
            }
        }
    }
    let mtr_trace = &report.traces[3];
    let first = mtr_trace.hop(1).unwrap();
    assert_eq!(first.probes, 2);
    assert_eq!(first.loss(), Some(0.0));
    assert_eq!(
        mtr_trace.hop(2).unwrap().loss(),
        Some(1.0),
        "the silent router"
    );
    // And one map of the four.
    let svg = dir.path().join("both.svg");
    routemap_ok(&[&scamper_json, &mtr_json], &svg);
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(svg.matches("class=\"node endpoint\"").count(), 1, "{svg}");
    assert_eq!(
        svg.matches(&format!("<title>{web}</title>")).count(),
        1,
        "{svg}"
    );
}

/// Runs scamper's trace (ICMP and UDP Paris) and tracelb from the source to `web`, and
/// converts its warts file with `sc_warts2json`; returns the JSON file.
fn run_scamper(
    net: &testbed::netns::Topology,
    web: std::net::IpAddr,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let warts = dir.join("scamper.warts");
    let st = net
        .command("src", "scamper")
        .unwrap()
        .arg("-O")
        .arg("warts")
        .arg("-o")
        .arg(&warts)
        .args(["-I", &format!("trace -P icmp-paris -q 1 -w 1 {web}")])
        .args(["-I", &format!("trace -P udp-paris -q 1 -w 1 {web}")])
        .args(["-I", &format!("tracelb -P icmp-echo -w 1 {web}")])
        .status()
        .unwrap();
    assert!(st.success(), "scamper");
    let json = Command::new("sc_warts2json").arg(&warts).output().unwrap();
    assert!(json.status.success(), "sc_warts2json");
    let scamper_json = dir.join("scamper.json");
    std::fs::write(&scamper_json, &json.stdout).unwrap();
    scamper_json
}

/// Runs `mtr -n --json` from the source to `web`; returns the JSON file.
fn run_mtr(
    net: &testbed::netns::Topology,
    web: std::net::IpAddr,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let mtr = net
        .command("src", "mtr")
        .unwrap()
        .args(["-n", "--json", "-c", "2", "-i", "0.2", "--gracetime", "1"])
        .arg(web.to_string())
        .output()
        .unwrap();
    assert!(
        mtr.status.success(),
        "{}",
        String::from_utf8_lossy(&mtr.stderr)
    );
    let mtr_json = dir.join("mtr.json");
    std::fs::write(&mtr_json, &mtr.stdout).unwrap();

    mtr_json
}

/// `src — r1 — r2 — r3 — web` of kernel routers, r2 silent, web listening on port 80.
pub(crate) fn silent_second_router() -> testbed::netns::Topology {
    use testbed::netns::{Destination, Topology};
    Topology::builder()
        .source("src")
        .routers(["r1", "r3"])
        .silent_router("r2")
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "web"])
        .build()
        .unwrap()
}

/// Runs `opskit routemap INPUTS -o OUTPUT` and asserts that it succeeded.
pub(crate) fn routemap_ok(inputs: &[&std::path::Path], output: &std::path::Path) {
    let out = opskit()
        .arg("routemap")
        .args(inputs)
        .arg("-o")
        .arg(output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn geo_db_puts_places_in_the_node_labels_tooltips_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = input(&dir);
    let geo = dir.path().join("geo.csv");
    std::fs::write(
        &geo,
        "198.18.0.1,198.18.0.1,DE,Hesse,,Frankfurt am Main,,50.1169,8.6837,\n\
         198.19.10.0,198.19.10.255,JP,Tokyo,,Tokyo,,35.6895,139.6917,\n\
         198.18.16.0,198.18.16.255,NL\n",
    )
    .unwrap();
    let map_to = |name: &str| {
        let out = dir.path().join(name);
        let st = opskit()
            .args(["routemap", "--geo-db"])
            .arg(&geo)
            .arg(&json)
            .arg("-o")
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success(), "{name}");
        std::fs::read_to_string(&out).unwrap()
    };
    let svg = map_to("map.svg");
    assert!(svg.contains(">Frankfurt am Main, DE<"), "{svg}");
    assert!(svg.contains(">Tokyo, JP<"), "{svg}");
    assert!(svg.contains(">NL<"), "{svg}");
    assert!(
        svg.contains("location: Frankfurt am Main, Hesse, DE (50.1169, 8.6837)"),
        "the tooltip has the details"
    );
    // -o FILE.json carries the geography on.
    let v: serde_json::Value = serde_json::from_str(&map_to("all.json")).unwrap();
    assert_eq!(
        v["traces"][0]["hops"][0]["replies"][0]["geo"]["city"],
        "Frankfurt am Main"
    );
    crate::schema::validate("trace", &v).unwrap();
    // Hostile text in a report read back: escaped and bounded in the map.
    let hostile = TRACE_JSON.replace(
        r#""as_name":"LAB"}"#,
        r#""as_name":"LAB","geo":{"country":"DE","city":"<script>alert(1)</script>\u001b[31m"}}"#,
    );
    let p = dir.path().join("hostile.json");
    std::fs::write(&p, hostile).unwrap();
    let out = opskit()
        .arg("routemap")
        .arg(&p)
        .args(["-o", "-", "-f", "svg"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(
        !svg.contains("<script>") && svg.contains("&lt;script&gt;"),
        "{svg}"
    );
    assert!(!svg.contains('\u{1b}'));
    // A geography database that is not one: exit 2 with the file named.
    let out = opskit()
        .args(["routemap", "--geo-db", "/nonexistent/geo.mmdb"])
        .arg(&json)
        .args(["-o", "-", "-f", "svg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/geo.mmdb"));
}
