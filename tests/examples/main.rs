//! The recipe examples take their inputs the way the recipes did (issue 11): each test runs an
//! example's binary with arguments against real peers (librrd, private clamd instances, a
//! namespace network) and checks what it did.
//!
//! The binaries are the ones `cargo test -p opskit` builds next to this test
//! (`target/<profile>/examples/`); `cargo test -p opskit --test examples` alone does not build
//! them, so run it after a build of the examples (`cargo build -p opskit --examples`).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use opskit::rrdgraph::{InfoValue, Rrd};
use testbed::clamd::Clamd;
use testbed::netns::{Destination, Family, Topology};

const EICAR: &[u8] = opskit::clamd::EICAR;

/// The example's binary, beside this test's `deps/` directory.
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let bin = profile.join("examples").join(name);
    assert!(
        bin.is_file(),
        "{} is not built: run `cargo build -p opskit --examples` (or `cargo test -p opskit`)",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    // The embedded defaults must never write into the checkout from a test.
    cmd.env(
        "OPSKIT_DEMO_DIR",
        std::env::temp_dir().join("opskit-examples-demo"),
    );
    cmd
}

fn run(mut cmd: Command) -> (Output, String, String) {
    let out = cmd.output().expect("the example runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

// ---- flow_graph -------------------------------------------------------------------------

#[test]
fn flow_graph_refuses_an_existing_rrd_and_leaves_it_as_it_was() {
    let rrd = testbed::rrd::TrafficRrd::builder()
        .hours(2)
        .create()
        .expect("a traffic RRD");
    let before = std::fs::read(rrd.path()).unwrap();
    let mut cmd = example("flow_graph");
    cmd.arg(rrd.path());
    let (out, _, stderr) = run(cmd);
    assert!(!out.status.success(), "an existing RRD must be refused");
    assert!(
        stderr.contains(&rrd.path().display().to_string()) && stderr.contains("never overwrites"),
        "the error names the file and says why: {stderr}"
    );
    assert_eq!(
        std::fs::read(rrd.path()).unwrap(),
        before,
        "the RRD is untouched"
    );
    assert!(
        !rrd.path().with_extension("png").exists(),
        "no graph was drawn"
    );
}

#[test]
fn flow_graph_creates_the_recipe_rrd_at_a_new_path_and_draws_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    // A colon in the name must survive the graph's DEF.
    let path = dir.path().join("web:Flow.rrd");
    let mut cmd = example("flow_graph");
    cmd.arg(&path);
    let (out, stdout, stderr) = run(cmd);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let info = Rrd::new(&path).info().expect("an RRD at the path given");
    let text = |key: &str| match info.get(key) {
        Some(InfoValue::Text(s)) => s.clone(),
        other => panic!("{key}: {other:?}"),
    };
    assert_eq!(text("ds[eth0_in].type"), "COUNTER");
    assert_eq!(text("ds[eth0_out].type"), "COUNTER");
    assert_eq!(info.get("step").and_then(InfoValue::as_u64), Some(300));
    let cfs: Vec<&str> = info
        .iter()
        .filter(|(k, _)| k.starts_with("rra[") && k.ends_with("].cf"))
        .filter_map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cfs.len(), 12, "the recipe's 12 archives: {cfs:?}");
    for cf in ["AVERAGE", "MAX", "MIN"] {
        assert_eq!(cfs.iter().filter(|c| **c == cf).count(), 4, "{cf}: {cfs:?}");
    }
    let png = std::fs::read(path.with_extension("png")).expect("the graph beside the RRD");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        stdout.contains("bps"),
        "the GPRINT legends are printed: {stdout}"
    );
}

#[test]
fn flow_graph_default_extends_its_own_rrd_instead_of_recreating_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = (0..2).map(|_| {
        let mut cmd = example("flow_graph");
        cmd.env("OPSKIT_DEMO_DIR", dir.path());
        run(cmd)
    });
    let (first, stdout, stderr) = runs.next().unwrap();
    assert!(first.status.success(), "{stdout}\n{stderr}");
    let rrd = Rrd::new(dir.path().join("Flow.rrd"));
    let created = rrd.first(0).unwrap();
    let (second, stdout, stderr) = runs.next().unwrap();
    assert!(second.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("exists: added"), "{stdout}");
    assert_eq!(
        rrd.first(0).unwrap(),
        created,
        "the same RRD, not a new one"
    );
}

// ---- cluster_scan -----------------------------------------------------------------------

/// A web root with a clean page and a planted EICAR file, readable by clamd.
fn web_root() -> tempfile::TempDir {
    let www = tempfile::Builder::new()
        .prefix("opskit-www-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::write(www.path().join("index.html"), b"<html>welcome</html>\n").unwrap();
    std::fs::write(www.path().join("upload.bin"), EICAR).unwrap();
    www
}

#[test]
fn cluster_scan_pings_reloads_and_scans_the_path_in_the_mode_on_every_host() {
    let (tcp, unix) = (Clamd::start().unwrap(), Clamd::start().unwrap());
    let www = web_root();
    let mut cmd = example("cluster_scan");
    cmd.args(["--mode", "contscan_file", "--path"])
        .arg(www.path())
        .arg(tcp.tcp_addr().to_string())
        .arg(unix.socket_path());
    let (out, stdout, stderr) = run(cmd);
    assert_eq!(out.status.code(), Some(1), "found: {stdout}\n{stderr}");
    for host in [
        tcp.tcp_addr().to_string(),
        unix.socket_path().display().to_string(),
    ] {
        assert!(
            stdout.contains(&format!("{host} connection [OK]")),
            "{stdout}"
        );
    }
    let found = format!(
        "{}: {} FOUND",
        www.path().join("upload.bin").display(),
        tcp.eicar_signature()
    );
    assert_eq!(
        stdout.matches(&found).count(),
        2,
        "each host finds it: {stdout}"
    );
    // clamd answers RELOADING at once and reloads afterwards; with SelfCheck off, only our
    // RELOAD makes it log this. The 20 s bound only proves it did not hang.
    for clamd in [&tcp, &unix] {
        let reloaded = || clamd.log().contains("Database correctly reloaded");
        let give_up = Instant::now() + Duration::from_secs(20);
        while !reloaded() && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(reloaded(), "RELOAD was sent: {}", clamd.log());
    }
}

#[test]
fn cluster_scan_reports_a_host_that_does_not_answer_and_scans_the_rest() {
    let clamd = Clamd::start().unwrap();
    let www = web_root();
    std::fs::remove_file(www.path().join("upload.bin")).unwrap();
    // Port 1 on loopback: nothing listens there.
    let mut cmd = example("cluster_scan");
    cmd.arg("--path")
        .arg(www.path())
        .arg(clamd.tcp_addr().to_string())
        .arg("127.0.0.1:1");
    let (out, stdout, _) = run(cmd);
    assert_eq!(out.status.code(), Some(2), "a failed host: {stdout}");
    assert!(
        stdout.contains("127.0.0.1:1 connection [FAILED]"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{}: OK", www.path().display())),
        "{stdout}"
    );
    assert!(stdout.contains("hosts: 2 (1 failed)"), "{stdout}");
}

#[test]
fn cluster_scan_refuses_host_names_and_bad_modes() {
    for args in [&["localhost"][..], &["--mode", "rescan", "127.0.0.1"]] {
        let mut cmd = example("cluster_scan");
        cmd.args(args);
        let (out, stdout, stderr) = run(cmd);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}");
        assert!(
            stderr.contains("usage:") || stderr.contains("resolve"),
            "{stderr}"
        );
        assert!(stdout.is_empty(), "nothing was scanned: {stdout}");
    }
}

// ---- route_trace ------------------------------------------------------------------------

#[test]
fn route_trace_takes_targets_ports_and_retry_and_draws_the_map() {
    if !testbed::require_root("route_trace_takes_targets_ports_and_retry_and_draws_the_map") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("edge")
        .destination("web", Destination::new().listen(80).drop_port(443))
        .chain(["src", "edge", "web"])
        .build()
        .unwrap();
    let web = net.address("web", Family::V4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("routes.svg");
    let mut cmd = example("route_trace");
    cmd.args(["--ports", "80,443", "--retry", "-2", "--map"])
        .arg(&svg)
        .arg(web.to_string());
    let (out, stdout, stderr) = net.run_in(net.source(), move || run(cmd)).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for port in [80, 443] {
        assert!(stdout.contains(&format!("{web}:tcp{port}")), "{stdout}");
    }
    // scapy's columns are sorted: tcp443 (dropped: no answer), then tcp80 (open).
    let row = stdout
        .lines()
        .find(|l| l.starts_with("2 "))
        .map(|l| l.split_whitespace().collect::<Vec<_>>());
    let web_text = web.to_string();
    assert_eq!(row, Some(vec!["2", "-", &web_text, "SA"]), "{stdout}");
    let map = std::fs::read_to_string(&svg).expect("the SVG map");
    assert!(
        map.contains("<svg") && map.contains(&web.to_string()),
        "{map}"
    );
    let png = std::fs::read(svg.with_extension("png")).expect("the PNG beside it");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn route_trace_geo_db_puts_cities_in_the_table_and_the_map() {
    if !testbed::require_root("route_trace_geo_db_puts_cities_in_the_table_and_the_map") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("edge")
        .destination("web", Destination::new().listen(80))
        .chain(["src", "edge", "web"])
        .build()
        .unwrap();
    let web = net.address("web", Family::V4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let geo = dir.path().join("geo.csv");
    std::fs::write(
        &geo,
        format!("{web},{web},JP,Tokyo,,Tokyo,100-0001,35.6895,139.6917,Asia/Tokyo\n"),
    )
    .unwrap();
    let svg = dir.path().join("routes.svg");
    let mut cmd = example("route_trace");
    cmd.args(["--retry", "1", "--geo-db"])
        .arg(&geo)
        .arg("--map")
        .arg(&svg)
        .arg(web.to_string());
    let (out, stdout, stderr) = net.run_in(net.source(), move || run(cmd)).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{web:<15} SA JP ")), "{stdout}");
    let map = std::fs::read_to_string(&svg).expect("the SVG map");
    assert!(map.contains(">Tokyo, JP<"), "{map}");
}

#[test]
fn route_trace_refuses_a_bad_geo_db_before_tracing() {
    let mut cmd = example("route_trace");
    cmd.args(["--geo-db", "/nonexistent/geo.csv", "192.0.2.1"]);
    let (out, _, stderr) = run(cmd);
    assert!(!out.status.success());
    assert!(stderr.contains("/nonexistent/geo.csv"), "{stderr}");
}

#[test]
fn route_trace_passes_scapy_retry_to_the_tracer() {
    // The tracer's own range check answers, so the value reached its configuration.
    let mut cmd = example("route_trace");
    cmd.args(["--retry", "64", "192.0.2.1"]);
    let (out, _, stderr) = run(cmd);
    assert!(!out.status.success());
    assert!(stderr.contains("retry 64 is outside -63..=63"), "{stderr}");
}
