//! `opskit rrd collect`: real interface counters of a veth pair between two network namespaces,
//! real traffic of known volume through it, and the RRD's values read back.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use testbed::netns::{Destination, Family, Topology};
use testbed::rrd::Rrdcached;

/// Ethernet (14), IPv4 (20) and UDP (8) headers: what a veth counts on top of the payload.
const FRAME_OVERHEAD: u64 = 42;
/// Bytes the kernel may add on its own while a test runs (ARP, IPv6 router solicitations and
/// MLD reports on a link that just came up).
const BACKGROUND: u64 = 2_000;

struct Net {
    topo: Topology,
    iface: String,
    a: SocketAddr,
    b: SocketAddr,
    /// Receivers, kept open so that no datagram earns an ICMP error.
    _sinks: (UdpSocket, UdpSocket),
    /// The RRD the tests collect into: `Flow.rrd` in a private directory.
    file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Two namespaces `a` and `b` joined by one veth pair, with a UDP receiver on each end.
fn net() -> Net {
    let topo = Topology::builder()
        .source("a")
        .destination("b", Destination::new())
        .link("a", "b")
        .build()
        .expect("build the namespaces");
    let iface = topo.interface("a", "b").unwrap().to_owned();
    let ip_a = topo.interface_address("a", "b", Family::V4).unwrap();
    let ip_b = topo.interface_address("b", "a", Family::V4).unwrap();
    let sink_a = topo
        .run_in("a", move || UdpSocket::bind((ip_a, 0)).unwrap())
        .unwrap();
    let sink_b = topo
        .run_in("b", move || UdpSocket::bind((ip_b, 0)).unwrap())
        .unwrap();
    let (a, b) = (sink_a.local_addr().unwrap(), sink_b.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    Net {
        topo,
        iface,
        a,
        b,
        _sinks: (sink_a, sink_b),
        file: dir.path().join("Flow.rrd"),
        _dir: dir,
    }
}

/// The network, a collector of `count` updates into its `Flow.rrd`, and its first update.
fn collecting(count: u32) -> (Net, Collecting, Line) {
    let net = net();
    let mut run = net.collect(&net.file, count, &[]);
    let baseline = run.next_line();
    (net, run, baseline)
}

impl Net {
    /// Sends `count` datagrams of `payload` bytes from `from` ("a" or "b") to the other end;
    /// returns the bytes the veth counts for them.
    fn send(&self, from: &str, count: u64, payload: usize) -> u64 {
        let (src, dst) = if from == "a" {
            (self.a, self.b)
        } else {
            (self.b, self.a)
        };
        self.topo
            .run_in(from, move || {
                let s = UdpSocket::bind((src.ip(), 0)).unwrap();
                let buf = vec![0x5a; payload];
                for _ in 0..count {
                    assert_eq!(s.send_to(&buf, dst).unwrap(), payload);
                }
            })
            .unwrap();
        count * (payload as u64 + FRAME_OVERHEAD)
    }

    /// `opskit rrd collect --iface IFACE --step 1s --count N FILE [EXTRA...]` in namespace `a`.
    fn collect(&self, file: &Path, count: u32, extra: &[&str]) -> Collecting {
        let mut cmd = self
            .topo
            .command("a", env!("CARGO_BIN_EXE_opskit"))
            .unwrap();
        cmd.args(["rrd", "collect", "--iface", &self.iface, "--step", "1s"])
            .args(["--count", &count.to_string()])
            .args(extra)
            .arg(file)
            .env_remove("RRDCACHED_ADDRESS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run opskit rrd collect");
        let lines = BufReader::new(child.stdout.take().unwrap());
        Collecting { child, lines }
    }

    fn ip(&self, args: &[&str]) {
        let out = self
            .topo
            .command("a", "ip")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "ip {args:?}: {out:?}");
    }
}

struct Collecting {
    child: Child,
    lines: BufReader<ChildStdout>,
}

/// One printed update: `TIME: IN OUT`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Line {
    time: i64,
    values: [Option<u64>; 2],
}

impl Collecting {
    /// The next update the collector printed.
    fn next_line(&mut self) -> Line {
        let mut text = String::new();
        assert!(
            self.lines.read_line(&mut text).unwrap() > 0,
            "collector ended early"
        );
        parse_line(&text)
    }

    /// Waits for the end; returns the remaining updates and standard error.
    fn finish(mut self) -> (Vec<Line>, String) {
        let mut rest = Vec::new();
        let mut text = String::new();
        while self.lines.read_line(&mut text).unwrap() > 0 {
            rest.push(parse_line(&text));
            text.clear();
        }
        let out = self.child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "collector failed: {stderr}");
        (rest, stderr)
    }
}

fn parse_line(text: &str) -> Line {
    let (time, values) = text.trim_end().split_once(": ").expect(text);
    let v: Vec<Option<u64>> = values.split(' ').map(|v| v.parse().ok()).collect();
    Line {
        time: time.parse().expect(text),
        values: [v[0], v[1]],
    }
}

/// Bytes in and out that the RRD holds over `(from, to]`: the sum of rate x step of each row.
/// Every row must be known.
fn rrd_bytes(file: &Path, from: i64, to: i64, daemon: Option<&str>) -> [f64; 2] {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opskit"));
    cmd.args(["rrd", "fetch"])
        .arg(file)
        .args(["AVERAGE", "-r", "1", "--json"])
        .args(["-s", &from.to_string(), "-e", &to.to_string()])
        .env_remove("RRDCACHED_ADDRESS");
    if let Some(d) = daemon {
        cmd.args(["--daemon", d]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["step"], 1);
    let mut sum = [0.0; 2];
    let mut rows = 0;
    for row in doc["rows"].as_array().unwrap() {
        let t = row[0].as_i64().unwrap();
        if t <= from || t > to {
            continue;
        }
        rows += 1;
        for (i, s) in sum.iter_mut().enumerate() {
            *s += row[i + 1]
                .as_f64()
                .unwrap_or_else(|| panic!("row {t} is unknown: {doc}"));
        }
    }
    assert_eq!(rows, to - from, "{doc}");
    sum
}

#[track_caller]
fn assert_bytes(got: f64, sent: u64) {
    // The RRD's rates are whole bytes over whole seconds here: exact in f64.
    let sent = f64::from(u32::try_from(sent).unwrap());
    let most = sent + f64::from(u32::try_from(BACKGROUND).unwrap());
    assert!(
        got >= sent && got <= most,
        "the RRD holds {got} bytes, {sent} were sent"
    );
}

/// Asserts one update per step slot (step 1 s): strictly increasing times.
#[track_caller]
fn assert_one_per_step(lines: &[Line]) {
    for w in lines.windows(2) {
        assert!(w[1].time > w[0].time, "two updates for one step: {lines:?}");
    }
}

#[test]
fn the_rrd_holds_the_bytes_sent_through_the_veth() {
    let (net, run, baseline) = collecting(5);
    let file = &net.file;
    // Known traffic both ways, after the baseline and well before the last update.
    let out = net.send("a", 1500, 1000);
    let into = net.send("b", 700, 600);
    let (rest, stderr) = run.finish();
    assert_eq!(rest.len(), 4, "{stderr}");
    let mut all = vec![baseline];
    all.extend(&rest);
    assert_one_per_step(&all);
    assert!(all.iter().all(|l| l.values.iter().all(Option::is_some)));

    // The recipe's layout, with the interface's names.
    let info = Command::new("rrdtool")
        .arg("info")
        .arg(file)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let ds = format!("ds[{}_in]", net.iface);
    assert!(info.contains(&format!("{ds}.type = \"COUNTER\"")), "{info}");
    assert!(
        info.contains(&format!("{ds}.minimal_heartbeat = 2")),
        "{info}"
    );
    assert!(info.contains("step = 1\n"), "{info}");
    assert!(info.contains("rra[11].pdp_per_row = 444"), "{info}");

    let last = all.last().unwrap().time;
    let [got_in, got_out] = rrd_bytes(file, baseline.time, last, None);
    assert_bytes(got_out, out);
    assert_bytes(got_in, into);
}

#[test]
fn a_restart_continues_without_a_duplicate_or_a_lost_step() {
    let (net, first, baseline) = collecting(3);
    let file = &net.file;
    let sent1 = net.send("a", 500, 1000);
    let (mut lines, _) = first.finish();
    // Traffic while no collector runs is in the second run's first update.
    let sent2 = net.send("a", 300, 1000);
    let (second, stderr) = net.collect(file, 3, &[]).finish();
    assert_eq!(second.len(), 3, "{stderr}");
    assert!(second[0].time > lines.last().unwrap().time);
    lines.extend(&second);
    assert_one_per_step(&lines);
    // The restart left no unknown step (rrd_bytes asserts every row known) and lost no byte.
    let last = lines.last().unwrap().time;
    let [_, got_out] = rrd_bytes(file, baseline.time, last, None);
    assert_bytes(got_out, sent1 + sent2);
}

#[test]
fn an_interface_that_goes_down_and_comes_back_keeps_its_counters() {
    let (net, run, baseline) = collecting(6);
    let file = &net.file;
    let sent1 = net.send("a", 400, 1000);
    net.ip(&["link", "set", &net.iface, "down"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    net.ip(&["link", "set", &net.iface, "up"]);
    // The link's address and route come back with it.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let sent2 = net.send("a", 400, 1000);
    let (rest, stderr) = run.finish();
    assert_eq!(rest.len(), 5, "{stderr}");
    assert!(
        rest.iter().all(|l| l.values.iter().all(Option::is_some)),
        "{rest:?}"
    );
    let last = rest.last().unwrap().time;
    let [_, got_out] = rrd_bytes(file, baseline.time, last, None);
    assert_bytes(got_out, sent1 + sent2);
}

#[test]
fn an_interface_that_is_deleted_is_unknown_until_it_is_back() {
    let (net, mut run, baseline) = collecting(7);
    let file = &net.file;
    net.send("a", 100, 1000);
    let second = run.next_line();
    assert!(second.values.iter().all(Option::is_some));
    // Deleting one end deletes the pair; a new pair has counters from zero.
    net.ip(&["link", "del", &net.iface]);
    let gone = run.next_line();
    assert_eq!(gone.values, [None, None]);
    let peer = net.topo.netns("b").unwrap().to_owned();
    net.ip(&[
        "link", "add", &net.iface, "type", "veth", "peer", "name", "back", "netns", &peer,
    ]);
    let (rest, stderr) = run.finish();
    assert!(stderr.contains("does not exist"), "{stderr}");
    let mut all = vec![baseline, second, gone];
    all.extend(&rest);
    assert_one_per_step(&all);
    // Back with small counters: a new baseline, never read as a wrap of the old ones.
    let back = rest
        .iter()
        .position(|l| l.values[1].is_some())
        .expect("back");
    assert!(rest[back].values[1].unwrap() < 100_000, "{rest:?}");
    assert!(!stderr.contains("wrapped"), "{stderr}");
    // librrd: the step of the new baseline is unknown too (its previous value is U); the
    // one after it is measured again (rrd_bytes asserts the row known).
    let after = rest[back + 1].time;
    let [got_in, got_out] = rrd_bytes(file, after - 1, after, None);
    assert!(got_in >= 0.0 && got_out >= 0.0);
}

#[test]
fn collects_through_rrdcached() {
    let net = net();
    let cached = Rrdcached::start().unwrap();
    let address = cached.address();
    // The daemon serves files under its base directory only.
    let file = cached.base_dir().join("Flow.rrd");
    let mut run = net.collect(&file, 3, &["--daemon", &address]);
    let baseline = run.next_line();
    let out = net.send("a", 300, 1000);
    let (rest, stderr) = run.finish();
    assert_eq!(rest.len(), 2, "{stderr}");
    let last = rest.last().unwrap().time;
    let [_, got_out] = rrd_bytes(&file, baseline.time, last, Some(&address));
    assert_bytes(got_out, out);
}

/// `opskit rrd collect ARGS` outside any namespace: for the refusals, which read no counters.
fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(["rrd", "collect"])
        .args(args)
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `opskit rrd create FILE ARGS`.
fn create(file: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(["rrd", "create", file])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn an_rrd_that_does_not_fit_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Flow.rrd");
    let f = file.to_str().unwrap();
    // The recipe's layout for eth0, with the recipe's step.
    create(
        f,
        &[
            "--step",
            "300",
            "DS:eth0_in:COUNTER:600:0:U",
            "DS:eth0_out:COUNTER:600:0:U",
            "RRA:AVERAGE:0.5:1:600",
        ],
    );
    let before = std::fs::read(&file).unwrap();
    let e = refused(&["--iface", "lo", "--count", "1", f]);
    assert!(
        e.contains("has no data source lo_in for interface lo"),
        "{e}"
    );
    let e = refused(&["--iface", "eth0", "--step", "1m", "--count", "1", f]);
    assert!(e.contains("has a step of 300 s, not 60 s"), "{e}");
    let e = refused(&["--iface", "eth0", "--step", "1500ms", f]);
    assert!(e.contains("whole seconds"), "{e}");
    let e = refused(&["--iface", "eth0:1", f]);
    assert!(e.contains("not a Linux interface name"), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn a_gauge_is_not_fed_counters() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.rrd");
    let f = file.to_str().unwrap();
    create(
        f,
        &[
            "--step",
            "60",
            "DS:lo_in:GAUGE:120:U:U",
            "DS:lo_out:GAUGE:120:U:U",
            "RRA:AVERAGE:0.5:1:10",
        ],
    );
    let e = refused(&["--iface", "lo", "--count", "1", f]);
    assert!(
        e.contains("lo_in is GAUGE; interface counters need COUNTER or DERIVE"),
        "{e}"
    );
}

#[test]
fn counters_are_read_in_the_calling_threads_namespace() {
    let net = net();
    let proc_net_dev = Path::new(rrdgraph::PROC_NET_DEV);
    // This thread is in the host's namespace, which has no such veth end.
    assert_eq!(
        rrdgraph::read_counters(proc_net_dev, &net.iface).unwrap(),
        None
    );
    let sent = net.send("a", 10, 100);
    let iface = net.iface.clone();
    let there = net
        .topo
        .run_in("a", move || rrdgraph::read_counters(proc_net_dev, &iface))
        .unwrap()
        .unwrap()
        .expect("the veth end in namespace a");
    assert!(
        there.tx_bytes >= sent && there.tx_bytes <= sent + BACKGROUND,
        "{there:?}"
    );
}
