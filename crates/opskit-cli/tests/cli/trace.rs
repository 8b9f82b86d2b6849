//! `opskit trace`: argument handling without root, and real runs in a testbed network (root).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::process::{Command, Output};

use crate::schema::Spoil;
use testbed::netns::{Destination, Family, Topology};

fn opskit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_opskit"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_the_options() {
    let out = opskit().args(["trace", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--port",
        "--min-ttl",
        "--max-ttl",
        "--probe-timeout",
        "--deadline",
        "--retry",
        "--pps",
        "--all-ttls",
        "--json",
        "--asn-db",
        "--asn-whois",
        "--geo-db",
        "--svg",
        "--png",
        "--html",
        "--gap-limit",
        "--summary",
        "--rounds",
        "--interval",
        "--rdns",
        "--dns-server",
        "--rdns-deadline",
        "--mda",
        "--confidence",
        "--source-pool",
        "--router-interval",
        "--router-burst",
        "cap_net_raw+ep",
    ] {
        assert!(text.contains(opt), "--help lacks {opt}:\n{text}");
    }
    // One flag, one meaning across subcommands: the per-probe wait is --probe-timeout.
    assert!(!text.contains("--timeout"), "{text}");
    // The default deadline's formula and numbers.
    for needle in [
        "ceil(P / W) x T",
        "63 s for one target",
        "2405 s for 10,000",
        "! TARGET:tcpPORT: not traced, REASON",
        "failed_targets",
        "schemas/trace.json",
        "mtr's Javg",
        "!N (network), !H (host), !P (protocol), !X",
        "[MPLS: Lbl 24000 Exp 0 S 1",
        "engine_stats",
        "progress line on",
        "6, 11, 16, 21, 27, 33, 38, 44",
        "`links` (`ttl`,",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }
}

#[test]
fn unusable_targets_fail_alone_without_any_socket() {
    // Refused before sockets open: nothing is traced, the report lists them, exit 1.
    for (target, addr, kind) in [
        ("224.0.0.1", "224.0.0.1", "a multicast"),
        ("0.0.0.0", "0.0.0.0", "an unspecified"),
        ("::", "::", "an unspecified"),
        ("ff02::1", "ff02::1", "a multicast"),
        ("255.255.255.255", "255.255.255.255", "the broadcast"),
    ] {
        let out = opskit().args(["trace", target]).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{target}: {err}");
        let reason = format!("{addr} is {kind} address, which no trace can reach");
        assert_eq!(
            err,
            format!("warning: 1 of 1 targets could not be traced (first: {target:?}: {reason})\n"),
        );
        let table = String::from_utf8(out.stdout).unwrap();
        assert!(
            table.ends_with(&format!("! {target}:tcp80: not traced, {reason}\n")),
            "{target}: {table}"
        );
    }
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    for (args, needle) in [
        (vec!["trace", "192.0.2.1", "-p", "80,x"], "bad port list"),
        (vec!["trace", "192.0.2.1", "-p", "0"], "bad port list"),
        (
            vec!["trace", "192.0.2.1", "--min-ttl", "9", "--max-ttl", "3"],
            "min TTL 9 is above max TTL 3",
        ),
        (
            vec!["trace", "192.0.2.1", "--probe-timeout", "0"],
            "timeout",
        ),
        (vec!["trace", "192.0.2.1", "--retry", "-99"], "retry -99"),
        (vec!["trace", "192.0.2.1", "--pps", "0"], "pace"),
        (vec!["trace", "192.0.2.1", "--deadline", "0"], "--deadline"),
        (
            vec!["trace", "192.0.2.1", "--deadline", "soon"],
            "--deadline",
        ),
        (vec!["trace", "192.0.2.1", "--timeout", "2"], "--timeout"),
    ] {
        let out = opskit().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    // clap rejects a missing target with its own usage error (also 2).
    let out = opskit().arg("trace").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn without_cap_net_raw_says_how_to_fix_it() {
    if !testbed::require_root("opskit trace without_cap_net_raw_says_how_to_fix_it") {
        return;
    }
    // Run the binary as nobody, with no capabilities, through util-linux's setpriv.
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_opskit"))
        .args(["trace", "127.0.0.1", "--probe-timeout", "0.2"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        !(err.contains("Permission denied") && err.contains("setpriv")),
        "nobody cannot execute the test binary here: {err}"
    );
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("CAP_NET_RAW") && err.contains("setcap cap_net_raw+ep"),
        "{err}"
    );
}

fn network() -> Topology {
    Topology::builder()
        .source("src")
        .routers(["r1", "r3"])
        .silent_router("r2")
        .destination("web", Destination::new().listen(80))
        .destination("db", Destination::new())
        .chain(["src", "r1", "r2", "r3", "web"])
        .link("r1", "db")
        .build()
        .unwrap()
}

fn trace_in(net: &Topology, args: &[&str]) -> Output {
    net.command("src", env!("CARGO_BIN_EXE_opskit"))
        .unwrap()
        .arg("trace")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn table_and_json_in_a_test_network() {
    if !testbed::require_root("opskit trace table_and_json_in_a_test_network") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let db = net.address("db", Family::V4).unwrap().to_string();
    let r1 = net.ground_truth(web.parse().unwrap()).unwrap().hops[0].addresses()[0].to_string();
    let r3 = net.ground_truth(web.parse().unwrap()).unwrap().hops[2].addresses()[0].to_string();
    let common = ["--probe-timeout", "0.5", "-p", "80,443"];

    // The scapy table.
    let out = trace_in(
        &net,
        &[&[web.as_str(), db.as_str()][..], &common[..]].concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let cell = |a: &str, k: &str| format!("{a:<15} {k}");
    let mut cols = [
        format!("{web}:tcp443"),
        format!("{web}:tcp80"),
        format!("{db}:tcp443"),
        format!("{db}:tcp80"),
    ];
    cols.sort();
    let w = cols.iter().map(String::len).max().unwrap().max(18);
    let mut expected_header = String::from("  ");
    for c in &cols {
        let _ = write!(expected_header, "{c:<w$} ");
    }
    expected_header.push('\n');
    assert!(table.starts_with(&expected_header), "{table}");
    let row = |ttl: u8| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{ttl} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(row(1).matches(&cell(&r1, "11")).count(), 4, "{table}");
    assert!(row(2).contains(&cell(&db, "RA")), "{table}");
    assert!(row(3).contains(&cell(&r3, "11")), "{table}");
    assert!(
        row(4).contains(&cell(&web, "SA")) && row(4).contains(&cell(&web, "RA")),
        "{table}"
    );

    // JSON with the documented field names.
    let out = trace_in(&net, &[&[web.as_str(), "--json"][..], &common[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t0 = &v["traces"][0];
    assert_eq!(t0["target"], web.as_str());
    assert_eq!(t0["port"], 80);
    assert_eq!(t0["reached"], true);
    assert_eq!(t0["hops"][0]["ttl"], 1);
    assert_eq!(t0["hops"][0]["replies"][0]["from"], r1.as_str());
    assert_eq!(t0["hops"][0]["replies"][0]["kind"], "time_exceeded");
    assert!(t0["hops"][0]["replies"][0]["rtt_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(t0["hops"][3]["replies"][0]["kind"], "syn_ack");
    assert_eq!(v["traces"][1]["hops"][3]["replies"][0]["kind"], "rst");
    let report = tcptrace::TraceReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(report.traces.len(), 2);
}

#[test]
fn json_output_validates_against_its_schema() {
    if !testbed::require_root("opskit trace json_output_validates_against_its_schema") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let db = net.address("db", Family::V4).unwrap().to_string();
    // Reached (SYN-ACK, RST), an unreachable, a silent hop and a failed target.
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            db.as_str(),
            "224.0.0.1",
            "-p",
            "80,443",
            "--probe-timeout",
            "0.5",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["traces"].as_array().unwrap().len(), 4, "{doc:#}");
    assert_eq!(doc["failed_targets"][0]["target"], "224.0.0.1", "{doc:#}");
    crate::schema::assert_valid("trace", &doc);

    // The schema refuses what the report never writes.
    let broken: [Spoil; 6] = [
        ("an RTT as text", |d| {
            d["traces"][0]["hops"][0]["replies"][0]["rtt_ms"] = "0.1 ms".into();
        }),
        ("a negative RTT", |d| {
            d["traces"][0]["hops"][0]["replies"][0]["rtt_ms"] = (-1.0).into();
        }),
        ("a reply from no address", |d| {
            d["traces"][0]["hops"][0]["replies"][0]["from"] = "router-1".into();
        }),
        ("an unknown stop reason", |d| {
            d["traces"][0]["stop_reason"] = "finished".into();
        }),
        ("a trace without its port", |d| {
            d["traces"][0].as_object_mut().unwrap().remove("port");
        }),
        ("a failed target without a reason", |d| {
            d["failed_targets"][0]
                .as_object_mut()
                .unwrap()
                .remove("reason");
        }),
    ];
    crate::schema::assert_refused("trace", &doc, &broken);
}

#[test]
fn summary_all_ttls_and_maps_in_a_test_network() {
    if !testbed::require_root("opskit trace summary_all_ttls_and_maps_in_a_test_network") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let r3 = net.ground_truth(web.parse().unwrap()).unwrap().hops[2].addresses()[0].to_string();
    let cell = |a: &str, k: &str| format!("{a:<15} {k}");

    // The mtr-like summary.
    let out = trace_in(&net, &[web.as_str(), "--summary", "--probe-timeout", "0.5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary.contains("  2. ???"), "{summary}");
    assert!(summary.contains(&format!("  4. {web} [SA]")), "{summary}");

    // --all-ttls probes past the destination, as scapy does: SA rows up to --max-ttl.
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            "--all-ttls",
            "--max-ttl",
            "7",
            "--probe-timeout",
            "0.5",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(rows, ["1", "3", "4", "5", "6", "7"], "{table}");
    assert_eq!(table.matches(&cell(&web, "SA")).count(), 4, "{table}");

    // Route maps.
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("map.svg");
    let png = dir.path().join("map.png");
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            "--probe-timeout",
            "0.5",
            "--svg",
            svg.to_str().unwrap(),
            "--png",
            png.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        svg_text.starts_with("<svg") || svg_text.starts_with("<?xml"),
        "{}",
        &svg_text[..80.min(svg_text.len())]
    );
    assert!(svg_text.contains(&r3), "the map names the hops");
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
}

/// A quick trace of the loopback: two TTLs, half a second per probe.
const LOOPBACK_TRACE: [&str; 6] = [
    "trace",
    "127.0.0.1",
    "--max-ttl",
    "2",
    "--probe-timeout",
    "0.5",
];

#[test]
fn a_failing_later_step_keeps_the_trace_and_exits_1() {
    if !testbed::require_root("opskit trace a_failing_later_step_keeps_the_trace_and_exits_1") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    for (extra, needle) in [
        (
            vec!["--svg", "/nonexistent-dir/x.svg"],
            "/nonexistent-dir/x.svg",
        ),
        (
            vec!["--png", "/nonexistent-dir/x.png"],
            "/nonexistent-dir/x.png",
        ),
        (vec!["--asn-db", empty.to_str().unwrap()], "--asn-db"),
    ] {
        let out = opskit().args(LOOPBACK_TRACE).args(&extra).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(table.contains("127.0.0.1:tcp80"), "{extra:?}: {table}");
        assert!(err.contains("warning: "), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert!(!err.contains("error:"), "{extra:?}: {err}");
    }
    // The JSON report is kept too.
    let out = opskit()
        .args(LOOPBACK_TRACE)
        .args(["--json", "--svg", "/nonexistent-dir/x.svg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["traces"][0]["addr"], "127.0.0.1");
}

#[test]
fn asn_db_annotates_and_a_missing_db_is_an_error() {
    if !testbed::require_root("opskit trace asn_db_annotates_and_a_missing_db_is_an_error") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            "--probe-timeout",
            "0.3",
            "--asn-db",
            missing.to_str().unwrap(),
        ],
    );
    // The trace is kept: printed, with a warning, and exit 1 for a partial result.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: --asn-db"),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&web));

    // The testbed's addresses are in the benchmarking range 198.18.0.0/15, which every AS
    // backend answers as not routed: the run succeeds and no reply carries an AS.
    let db = dir.path().join("asn.csv");
    std::fs::write(&db, "1.0.0.0,1.0.0.255,13335,Cloudflare\n").unwrap();
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            "--probe-timeout",
            "0.3",
            "--json",
            "--asn-db",
            db.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first: IpAddr = v["traces"][0]["hops"][0]["replies"][0]["from"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(matches!(first, IpAddr::V4(a) if a.octets()[0] == 198));
    assert!(v["traces"][0]["hops"][0]["replies"][0].get("asn").is_none());
}

#[test]
fn a_deadline_that_cuts_traces_marks_them_and_exits_1() {
    if !testbed::require_root("opskit trace a_deadline_that_cuts_traces_marks_them_and_exits_1") {
        return;
    }
    let net = testbed::netns::web_and_hole().unwrap();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let hole = net.address("hole", Family::V4).unwrap().to_string();
    // web is reached within milliseconds; hole's silent TTLs take the 30 s probe timeout to
    // resolve, so a 2 s deadline cuts it short.
    let common = [
        web.as_str(),
        hole.as_str(),
        "--deadline",
        "2s",
        "--probe-timeout",
        "30",
    ];
    let out = trace_in(&net, &[&common[..], &["--json"][..]].concat());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("warning: 1 of 2 traces were cut short by the deadline (--deadline 2s)"),
        "{err}"
    );
    crate::schema::assert_valid("trace", &serde_json::from_slice(&out.stdout).unwrap());
    let report = tcptrace::TraceReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let tally = report.tally();
    assert_eq!(
        (tally.planned, tally.complete, tally.cut, tally.failed),
        (2, 1, 1, 0),
        "{tally:?}"
    );
    // The report says which deadline cut it, and the probe timeout.
    let p = &report.params;
    assert_eq!(
        (p.deadline_s, p.deadline_given, p.timeout_s),
        (Some(2.0), true, 30.0)
    );
    assert_eq!(report.traces[0].stop_reason, tcptrace::StopReason::Reached);
    assert_eq!(report.traces[1].stop_reason, tcptrace::StopReason::Deadline);
    assert_eq!(report.traces[1].addr.to_string(), hole);
    // The TTLs it had probed are kept.
    assert!(!report.traces[1].hops.is_empty());

    // The table marks the cut trace after scapy's rows; the summary says it too.
    let out = trace_in(&net, &common);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.ends_with(&format!("! {hole}:tcp80: cut short by the deadline\n")),
        "{table}"
    );
    assert_eq!(table.matches("\n!").count(), 1, "{table}");
    let out = trace_in(&net, &[&common[..], &["--summary"][..]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains(&format!(
            "{hole} ({hole}) port 80: not reached, cut short by the deadline"
        )),
        "{summary}"
    );

    // With the default deadline, derived from the plan, both traces end by a stop condition.
    let out = trace_in(
        &net,
        &[web.as_str(), hole.as_str(), "--probe-timeout", "0.3"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!String::from_utf8(out.stdout).unwrap().contains("\n!"));
}

#[test]
fn a_target_without_a_route_fails_alone_and_exits_1() {
    if !testbed::require_root("opskit trace a_target_without_a_route_fails_alone_and_exits_1") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    // The source has no route to TEST-NET-3: nothing is sent there, and web is still traced.
    let out = trace_in(
        &net,
        &[web.as_str(), "203.0.113.9", "--probe-timeout", "0.5"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("warning: 1 of 2 traces failed (first: no route to 203.0.113.9"),
        "{err}"
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(&format!("{web}:tcp80")), "{table}");
    assert!(
        table.contains("\n! 203.0.113.9:tcp80: failed: no route to 203.0.113.9"),
        "{table}"
    );
}

/// Name resolution inside the source namespace of `net`, from files the test writes:
/// `ip netns exec` mounts `/etc/netns/NS/*` over `/etc`, so programs started with
/// [`Topology::command`] read this `hosts` file, look names up in files only (`nsswitch.conf`)
/// and never ask the machine's resolver. Removed on drop.
struct NamespaceHosts(std::path::PathBuf);

impl NamespaceHosts {
    fn new(net: &Topology, hosts: &[(&str, IpAddr)]) -> Self {
        let dir = std::path::Path::new("/etc/netns").join(net.netns(net.source()).unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        let guard = Self(dir);
        let mut text = String::new();
        for (name, addr) in hosts {
            let _ = writeln!(text, "{addr} {name}");
        }
        std::fs::write(guard.0.join("hosts"), text).unwrap();
        std::fs::write(guard.0.join("nsswitch.conf"), "hosts: files\n").unwrap();
        // Were DNS asked anyway, it would go to the namespace's own loopback.
        std::fs::write(guard.0.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
        guard
    }
}

impl Drop for NamespaceHosts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        // /etc/netns itself too, unless another test's files are in it.
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

#[test]
fn a_name_that_does_not_resolve_fails_alone_and_exits_1() {
    if !testbed::require_root("opskit trace a_name_that_does_not_resolve_fails_alone_and_exits_1") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap();
    let _hosts = NamespaceHosts::new(&net, &[("web.test", web)]);
    let targets = ["nowhere.test", "web.test", "224.0.0.1"];
    let out = trace_in(
        &net,
        &[
            &targets[..],
            &["-p", "80,443", "--probe-timeout", "0.5", "--json"][..],
        ]
        .concat(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(
            "warning: 2 of 3 targets could not be traced (first: \"nowhere.test\": cannot resolve it: "
        ),
        "{err}"
    );
    crate::schema::assert_valid("trace", &serde_json::from_slice(&out.stdout).unwrap());
    let report = tcptrace::TraceReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    // The name in the hosts file is traced...
    let traced: Vec<(&str, IpAddr, u16)> = report
        .traces
        .iter()
        .map(|t| (t.target.as_str(), t.addr, t.port))
        .collect();
    assert_eq!(traced, [("web.test", web, 80), ("web.test", web, 443)]);
    assert!(report.traces.iter().all(|t| t.reached), "{report:?}");
    // ...and the others are listed, in the order given, with their reasons.
    let failed: Vec<&str> = report
        .failed_targets
        .iter()
        .map(|f| f.target.as_str())
        .collect();
    assert_eq!(failed, ["nowhere.test", "224.0.0.1"]);
    assert!(matches!(
        report.failed_targets[0].reason,
        tcptrace::TargetError::Resolve { .. }
    ));
    let tally = report.tally();
    assert_eq!(
        (tally.planned, tally.complete, tally.cut, tally.failed),
        (6, 2, 0, 4),
        "{tally:?}"
    );

    // The table and the summary say it too.
    let out = trace_in(
        &net,
        &[&targets[..], &["--probe-timeout", "0.5"][..]].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(&format!("{web}:tcp80")), "{table}");
    assert!(
        table.contains("\n! nowhere.test:tcp80: not traced, cannot resolve it: "),
        "{table}"
    );
    assert!(
        table.ends_with(
            "! 224.0.0.1:tcp80: not traced, 224.0.0.1 is a multicast address, which no trace \
             can reach\n"
        ),
        "{table}"
    );
    let out = trace_in(
        &net,
        &[&targets[..], &["--probe-timeout", "0.5", "--summary"][..]].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains(&format!("web.test ({web}) port 80: reached")),
        "{summary}"
    );
    assert!(
        summary.contains("nowhere.test port 80: not traced, cannot resolve it: "),
        "{summary}"
    );
}

#[test]
fn rounds_print_mtr_statistics_once_off_a_terminal() {
    if !testbed::require_root("opskit trace rounds_print_mtr_statistics_once_off_a_terminal") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let r1 = net.ground_truth(web.parse().unwrap()).unwrap().hops[0].addresses()[0].to_string();
    let rounds = [
        "--rounds",
        "3",
        "--interval",
        "200ms",
        "--probe-timeout",
        "0.5",
    ];

    // --rounds prints the summary, once, with no terminal control in a pipe.
    let out = trace_in(&net, &[&[web.as_str()][..], &rounds[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let summary = String::from_utf8(out.stdout).unwrap();
    assert_eq!(summary.matches("StDev      Jttr").count(), 1, "{summary}");
    assert!(
        !summary.contains('\x1b') && !err.contains('\x1b'),
        "{summary}{err}"
    );
    let line = |ttl: u8| {
        summary
            .lines()
            .find(|l| l.starts_with(&format!("  {ttl}. ")))
            .unwrap_or_else(|| panic!("no TTL {ttl}: {summary}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // TTL, host, loss, sent, received: r1 answers every round, r2 (silent) none.
    assert_eq!(line(1)[..5], ["1.", &r1, "0.0%", "3", "3"], "{summary}");
    assert_eq!(line(2)[..5], ["2.", "???", "100.0%", "3", "0"], "{summary}");
    assert_eq!(line(4)[1..6], [&web, "[SA]", "0.0%", "3", "3"], "{summary}");
    assert!(summary.contains("engine: "), "{summary}");

    // --json: each hop's stats and the engine's counters, valid against the schema.
    let out = trace_in(&net, &[&[web.as_str(), "--json"][..], &rounds[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::schema::assert_valid("trace", &doc);
    assert_eq!(doc["params"]["rounds"], 3);
    let hops = &doc["traces"][0]["hops"];
    assert_eq!(hops[0]["stats"]["sent"], 3, "{doc:#}");
    assert_eq!(hops[0]["stats"]["received"], 3, "{doc:#}");
    assert_eq!(hops[1]["stats"]["loss_pct"], 100.0, "{doc:#}");
    assert!(hops[0]["stats"]["jitter_ms"].as_f64().unwrap() >= 0.0);
    assert!(
        doc["engine_stats"]["sent"].as_u64().unwrap() >= 12,
        "{doc:#}"
    );
    assert_eq!(doc["engine_stats"]["rewritten"], 0);

    // Rounds hide no loss behind retries.
    let out = trace_in(&net, &[web.as_str(), "--rounds", "3", "--retry", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rounds cannot be combined with retries"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn on_a_terminal_the_summary_redraws_and_progress_shows() {
    if !testbed::require_root("opskit trace on_a_terminal_the_summary_redraws_and_progress_shows") {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    // script(1) gives the run a terminal for stdout and stderr alike; 5 rounds 400 ms apart
    // take about 2 s, past the second after which progress shows.
    let command = format!(
        "{} trace {web} --rounds 5 --interval 400ms --probe-timeout 0.3",
        env!("CARGO_BIN_EXE_opskit")
    );
    let out = net
        .command("src", "script")
        .unwrap()
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("1/1 traces done") || screen.contains("0/1 traces done"),
        "{screen:?}"
    );
    assert!(
        screen.contains("probes sent") && screen.contains("rounds"),
        "{screen:?}"
    );
    // The summary was drawn after rounds and drawn over (cursor up, erase below).
    assert!(screen.matches("StDev      Jttr").count() >= 3, "{screen:?}");
    assert!(screen.contains("A\r\x1b[J"), "{screen:?}");
    // While the rounds go on, the trace is in progress, not cut short.
    assert!(
        screen.contains("port 80: reached, in progress\r\n"),
        "{screen:?}"
    );
    assert!(!screen.contains("deadline"), "{screen:?}");
    // The final one is last, with every round in it.
    let last = screen.rsplit("\x1b[J").next().unwrap();
    assert!(last.contains("StDev"), "{last:?}");
    assert!(last.contains(" 100.0%     5     0 "), "{last:?}");
}

/// `src — r1 — r2 — r3 — web`, with r2 clamping the MSS of what it forwards to r3 to 1200,
/// and dnsmasq on web's address with names for the routers. Returns web's address too.
pub(crate) fn clamped_network_with_names() -> (Topology, testbed::netns::Dnsmasq, String) {
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "web"])
        .build()
        .unwrap();
    let out_if = net.interface("r2", "r3").unwrap().to_owned();
    let rules = format!(
        "add table inet clamp {{ chain f {{ type filter hook forward priority mangle; \
         oifname \"{out_if}\" tcp flags syn tcp option maxseg size set 1200; }}; }}"
    );
    let st = net
        .command("r2", "nft")
        .unwrap()
        .arg(&rules)
        .status()
        .unwrap();
    assert!(st.success(), "{rules}");
    let web = net.address("web", Family::V4).unwrap();
    let hop = |node, peer| net.interface_address(node, peer, Family::V4).unwrap();
    let records = [
        ("r1.test", hop("r1", "src")),
        ("r2.test", hop("r2", "r1")),
        ("r3.test", hop("r3", "r2")),
    ];
    let dns = testbed::netns::Dnsmasq::start(&net, "web", web, &records).unwrap();
    (net, dns, web.to_string())
}

/// `--rdns --dns-server` names the hops from dnsmasq in the network, the router that clamps
/// the MSS is marked, and the JSON validates.
#[test]
fn rdns_and_middleboxes_in_a_test_network() {
    if !testbed::require_root("opskit trace rdns_and_middleboxes_in_a_test_network") {
        return;
    }
    let (net, _dns, web) = clamped_network_with_names();
    let args = [
        web.as_str(),
        "--probe-timeout",
        "0.5",
        "--rdns",
        "--dns-server",
        &web,
    ];
    let out = trace_in(&net, &[&args[..], &["--json"][..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::schema::assert_valid("trace", &doc);
    let hops = &doc["traces"][0]["hops"];
    for (i, name) in ["r1.test", "r2.test", "r3.test"].iter().enumerate() {
        assert_eq!(hops[i]["replies"][0]["name"], *name, "{doc:#}");
    }
    assert_eq!(
        hops[2]["replies"][0]["rewrites"][0],
        serde_json::json!({"field": "mss", "sent": 1460, "seen": 1200}),
        "{doc:#}"
    );
    assert_eq!(doc["traces"][0]["middleboxes"][0]["ttl"], 3, "{doc:#}");
    let broken: [Spoil; 2] = [
        ("a rewrite of no known field", |d| {
            d["traces"][0]["hops"][2]["replies"][0]["rewrites"][0]["field"] = "colour".into();
        }),
        ("a name that is no text", |d| {
            d["traces"][0]["hops"][0]["replies"][0]["name"] = 7.into();
        }),
    ];
    crate::schema::assert_refused("trace", &doc, &broken);

    let out = trace_in(&net, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(" 11 r3.test *"), "{table}");
    assert!(
        table.contains(&format!(
            "* {web}:tcp80 middlebox before TTL 3: mss 1460→1200"
        )),
        "{table}"
    );
}

/// A nameserver that never answers (a socket in the source's namespace that nobody reads)
/// costs the --rdns-deadline, a warning and exit status 1; the trace is printed all the same.
#[test]
fn a_silent_nameserver_costs_the_rdns_deadline_and_exits_1() {
    if !testbed::require_root(
        "opskit trace a_silent_nameserver_costs_the_rdns_deadline_and_exits_1",
    ) {
        return;
    }
    let (net, _dns, web) = clamped_network_with_names();
    let silent = net
        .run_in("src", || std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
        .unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let t0 = std::time::Instant::now();
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            "--probe-timeout",
            "0.5",
            "--summary",
            "--rdns",
            "--dns-server",
            &silent_addr,
            "--rdns-deadline",
            "500ms",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("4 of 4 addresses got no answer by the deadline"),
        "{err}"
    );
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t0.elapsed()
    );
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains("* middlebox before TTL 3: mss 1460→1200"),
        "{summary}"
    );
    drop(silent);
}

#[test]
fn geo_db_puts_country_and_city_in_the_json_summary_and_table() {
    if !testbed::require_root(
        "opskit trace geo_db_puts_country_and_city_in_the_json_summary_and_table",
    ) {
        return;
    }
    let net = network();
    let web = net.address("web", Family::V4).unwrap().to_string();
    let truth = net.ground_truth(web.parse().unwrap()).unwrap();
    let r1 = truth.hops[0].addresses()[0].to_string();
    // The namespace addresses are in the benchmarking range: a table of this network's own
    // places (the backbone router in Frankfurt, the server in Tokyo, the rest in the US).
    let dir = tempfile::tempdir().unwrap();
    let geo = dir.path().join("city-ipv4.csv");
    std::fs::write(
        &geo,
        format!(
            "198.18.0.0,198.19.255.255,US,,,,,,,\n\
             {r1},{r1},DE,Hesse,,Frankfurt am Main,60311,50.1169,8.6837,Europe/Berlin\n\
             {web},{web},JP,Tokyo,,Tokyo,100-0001,35.6895,139.6917,Asia/Tokyo\n"
        ),
    )
    .unwrap();
    let geo = geo.to_str().unwrap();
    let common = [web.as_str(), "--probe-timeout", "0.3", "--geo-db", geo];

    let out = trace_in(&net, &[&common[..], &["--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hops = v["traces"][0]["hops"].as_array().unwrap();
    let reply_of = |addr: &str| {
        hops.iter()
            .flat_map(|h| h["replies"].as_array().unwrap())
            .find(|r| r["from"] == addr)
            .unwrap_or_else(|| panic!("no reply from {addr}: {v}"))
            .clone()
    };
    let r1_geo = &reply_of(&r1)["geo"];
    assert_eq!(r1_geo["country"], "DE", "{v}");
    assert_eq!(r1_geo["city"], "Frankfurt am Main");
    assert_eq!(r1_geo["region"], "Hesse");
    assert_eq!(r1_geo["lat"], 50.1169);
    let web_geo = &reply_of(&web)["geo"];
    assert_eq!(
        (web_geo["country"].as_str(), web_geo["city"].as_str()),
        (Some("JP"), Some("Tokyo"))
    );
    // r3 is only in the country-wide row.
    let r3 = truth.hops[2].addresses()[0].to_string();
    let r3_geo = &reply_of(&r3)["geo"];
    assert_eq!(r3_geo["country"], "US");
    assert!(r3_geo.get("city").is_none(), "{r3_geo}");
    crate::schema::validate("trace", &v).unwrap();

    let out = trace_in(&net, &[&common[..], &["--summary"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains(&format!("  1. {r1} (Frankfurt am Main, DE) ")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("{web} (Tokyo, JP) [SA]")),
        "{summary}"
    );
    assert!(summary.contains(&format!("{r3} (US) ")), "{summary}");

    let out = trace_in(&net, &common);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(&format!("{r1:<15} 11 DE ")), "{table}");
    assert!(table.contains(&format!("{web:<15} SA JP ")), "{table}");

    // A bad geography table costs only the geography: the trace is printed, exit 1.
    let bad = dir.path().join("asn.csv");
    std::fs::write(&bad, "1.0.0.0,1.0.0.255,13335,Cloudflare\n").unwrap();
    let out = trace_in(
        &net,
        &[
            web.as_str(),
            "--probe-timeout",
            "0.3",
            "--geo-db",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--geo-db"), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&web));
}

#[test]
fn mda_finds_the_diamonds_in_the_table_the_json_and_the_map() {
    if !testbed::require_root(
        "opskit trace mda_finds_the_diamonds_in_the_table_the_json_and_the_map",
    ) {
        return;
    }
    let net = testbed::netns::diamonds().unwrap();
    let w3 = net.address("w3", Family::V4).unwrap().to_string();
    let nested = net.address("nested", Family::V4).unwrap().to_string();
    // At 95% the stopping rule misses an interface about once in twenty diamonds by design
    // (CI saw it once); this test wants the whole ground truth, so it asks for 99%.
    let common = [
        "--mda",
        "--confidence",
        "99",
        "--probe-timeout",
        "0.5",
        "--max-ttl",
        "8",
    ];

    // --json: every reply has its flow, the links are the ground truth's, valid JSON.
    let out = trace_in(
        &net,
        &[&[w3.as_str(), nested.as_str(), "--json"][..], &common[..]].concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::schema::assert_valid("trace", &doc);
    assert_eq!(doc["params"]["mda_confidence"], 99);
    for (i, target) in [&w3, &nested].into_iter().enumerate() {
        let trace = &doc["traces"][i];
        let truth = net.ground_truth(target.parse().unwrap()).unwrap();
        let mut want: Vec<(u64, String, String)> = truth
            .links(80)
            .into_iter()
            .map(|(t, a, b)| (u64::from(t), a.to_string(), b.to_string()))
            .collect();
        want.sort();
        let mut got: Vec<(u64, String, String)> = trace["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["ttl"].as_u64().unwrap(),
                    l["from"].as_str().unwrap().to_owned(),
                    l["to"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{target}");
        for hop in trace["hops"].as_array().unwrap() {
            for r in hop["replies"].as_array().unwrap() {
                assert!(r["flow"].as_u64().is_some(), "{r}");
            }
        }
        assert_eq!(trace["diamonds"][0]["convergence"], target.as_str());
    }

    // The table lists every interface of a TTL and a line per diamond; the map draws links.
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("map.svg");
    let out = trace_in(
        &net,
        &[
            &[w3.as_str(), "--svg", svg.to_str().unwrap()][..],
            &common[..],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains(&format!("<> {w3}:tcp80 diamond TTL 1 ")),
        "{table}"
    );
    assert!(table.contains(", 3 wide, "), "{table}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    // The summary says so too.
    let out = trace_in(
        &net,
        &[&[w3.as_str(), "--summary"][..], &common[..]].concat(),
    );
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary.contains("multipath: 8 interfaces"), "{summary}");

    // Rounds and a bad confidence are refused.
    let out = trace_in(&net, &[w3.as_str(), "--mda", "--rounds", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = trace_in(&net, &[w3.as_str(), "--mda", "--confidence", "100"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("outside 50-99"), "{}", stderr(&out));
}

/// Every hop of every trace, from the JSON of `opskit trace`, matches the ground truth: the
/// count of (trace, TTL) pairs answered by the router the truth names.
fn hops_right(net: &Topology, json: &[u8]) -> (usize, usize) {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    let (mut right, mut all) = (0, 0);
    for t in v["traces"].as_array().unwrap() {
        let truth = net
            .ground_truth(t["target"].as_str().unwrap().parse().unwrap())
            .unwrap();
        for (i, hop) in truth.hops.iter().enumerate() {
            all += 1;
            let ttl = i + 1;
            let want = hop.addresses();
            let answered = t["hops"].as_array().unwrap().iter().any(|h| {
                h["ttl"] == ttl
                    && h["replies"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| want.contains(&r["from"].as_str().unwrap().parse().unwrap()))
            });
            right += usize::from(answered);
        }
    }
    (right, all)
}

#[test]
fn a_source_pool_gets_the_answers_that_routers_rate_limit_to_one_address() {
    if !testbed::require_root(
        "opskit trace a_source_pool_gets_the_answers_that_routers_rate_limit_to_one_address",
    ) {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("web", Destination::new().listen(80).addresses(60))
        .chain(["src", "r1", "r2", "web"])
        .linux_icmp_rate_limits()
        .source_addresses(254)
        .build()
        .unwrap();
    let pool = net.source_pool();
    let IpAddr::V4(first) = pool[0] else {
        panic!("{pool:?}")
    };
    let o = first.octets();
    let prefix = format!("{}.{}.{}.0/24", o[0], o[1], o[2]);
    // Every target of `web` in `family`, on port 80, without retries.
    let run_family = |family: Family, extra: &[&str]| {
        let targets: Vec<String> = net
            .targets("web", family)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
        args.extend(["-p", "80", "--retry", "0", "--probe-timeout", "1", "--json"]);
        args.extend(extra);
        trace_in(&net, &args)
    };
    let run = |extra: &[&str]| run_family(Family::V4, extra);
    // From one address, each router answers its burst of 6 and about one a second after.
    let one = run(&[]);
    let (right, all) = hops_right(&net, &one.stdout);
    assert_eq!(all, 60 * 2);
    assert!(right < all / 2, "one address: {right} of {all} hops right");
    // Spread over the pool, every hop answers.
    let pooled = run(&["--source-pool", &prefix, "--depth-first"]);
    assert!(pooled.status.success(), "{}", stderr(&pooled));
    assert_eq!(hops_right(&net, &pooled.stdout), (all, all));
    // An address the host does not own is refused before any probe leaves.
    let not_ours = run(&["--source-pool", "203.0.113.0/30"]);
    assert_eq!(not_ours.status.code(), Some(2), "{}", stderr(&not_ours));
    assert!(
        stderr(&not_ours).contains("203.0.113.1 is not this host's"),
        "{}",
        stderr(&not_ours)
    );
    assert!(not_ours.stdout.is_empty());

    // IPv6 alike: the source has as many IPv6 addresses, 2001:db8:2::1 on.
    assert_eq!(
        net.source_pool_of(Family::V6)[0],
        "2001:db8:2::1".parse::<IpAddr>().unwrap()
    );
    let run = |extra: &[&str]| run_family(Family::V6, extra);
    let one = run(&[]);
    let (right, all) = hops_right(&net, &one.stdout);
    assert!(
        right < all / 2,
        "one IPv6 address: {right} of {all} hops right"
    );
    // ::1 to ::7f, all the source's; the report records them.
    let pooled = run(&["--source-pool", "2001:db8:2::/121", "--depth-first"]);
    assert!(pooled.status.success(), "{}", stderr(&pooled));
    assert_eq!(hops_right(&net, &pooled.stdout), (all, all));
    let v: serde_json::Value = serde_json::from_slice(&pooled.stdout).unwrap();
    let pool = v["params"]["source_pool"].as_array().unwrap();
    assert_eq!((pool.len(), pool[0].as_str()), (127, Some("2001:db8:2::1")));
    assert_eq!(v["params"]["depth_first"], true);
    crate::schema::validate("trace", &v).unwrap();
}

#[test]
fn per_router_pacing_is_recorded_in_the_report_and_refused_with_mda() {
    if !testbed::require_root(
        "opskit trace per_router_pacing_is_recorded_in_the_report_and_refused_with_mda",
    ) {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("r1")
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "web"])
        .build()
        .unwrap();
    let target = net.address("web", Family::V6).unwrap().to_string();
    // One target: no wait past the burst.
    let paced = trace_in(
        &net,
        &[
            target.as_str(),
            "-p",
            "80",
            "--json",
            "--router-interval",
            "1s",
            "--router-burst",
            "5",
        ],
    );
    assert!(paced.status.success(), "{}", stderr(&paced));
    let v: serde_json::Value = serde_json::from_slice(&paced.stdout).unwrap();
    assert_eq!(
        (
            &v["params"]["router_interval_s"],
            &v["params"]["router_burst"]
        ),
        (&serde_json::json!(1.0), &serde_json::json!(5))
    );
    crate::schema::validate("trace", &v).unwrap();
    // Multipath discovery picks its own probes: no per-router pacing with it.
    let refused = trace_in(&net, &[target.as_str(), "--mda", "--router-interval", "1s"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("per-router pacing"),
        "{}",
        stderr(&refused)
    );
}
