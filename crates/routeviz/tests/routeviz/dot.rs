//! DOT output, in scapy's style, read by the real graphviz.

use std::io::Write as _;
use std::process::{Command, Stdio};

use routeviz::{RenderOptions, RouteMap};

use crate::common::sample;

/// Runs `dot -T<format>` on `input`. `None` if graphviz is not installed (then the test fails in
/// CI and is skipped loudly elsewhere).
fn graphviz(input: &str, format: &str) -> Option<std::process::Output> {
    let child = Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "graphviz `dot` is needed in CI: {e}"
            );
            eprintln!("SKIPPED: graphviz `dot` not found ({e}); install the graphviz package");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn scapy_style() {
    let map = RouteMap::new(&sample()).unwrap();
    let dot = map.to_dot(&RenderOptions::default());
    assert!(dot.starts_with("digraph trace {"));
    assert!(dot.contains("subgraph cluster_64500 {"));
    assert!(dot.contains("label = \"64500\\n[TRANSIT]\";"));
    assert!(dot.contains("\"198.19.10.20\" [id=\"node-198-19-10-20\",shape=record,color=black,fillcolor=green,style=filled,label=\"198.19.10.20|<T80> 80 SA|<T22> 22 RA\"];"));
    assert!(dot.contains("\"bh0\" [id=\"node-unreached-198-18-200-9\",shape=octagon,color=black,fillcolor=red,style=filled,label=\"198.18.200.9 8443/tcp\"];"));
    assert!(dot.contains("\"unk0\" [id=\"node-gap-ttl4\""));
    assert!(dot.contains("\t\t\"198.18.0.1\" [id=\"node-198-18-0-1\"];"));
    assert!(
        dot.contains("\t\"198.18.64.1\" [id=\"node-198-18-64-1\"];"),
        "routers outside any AS get their id too"
    );
    assert!(dot.contains("#---[www.example.test:80"));
    assert!(dot.contains("\"198.18.0.1\" -> \"198.18.16.1\" [id=\"edge-198-18-0-1-198-18-16-1-trace-0\",class=\"edge-198-18-0-1-198-18-16-1 trace-0\"];"));
    assert!(
        !dot.contains("label=\"1.5"),
        "no RTT labels unless asked for"
    );
}

#[test]
fn graphviz_reads_it() {
    let mut set = sample();
    set[0].target = "evil\"} -> x [label=\"<b>\\".into();
    set[0].hops[0].replies[0].as_name = Some("A\"S|{x}\\".into());
    let map = RouteMap::new(&set).unwrap();
    let dot = map.to_dot(&RenderOptions::builder().title("t \"q\"").build().unwrap());
    let Some(out) = graphviz(&dot, "plain") else {
        return;
    };
    assert!(
        out.status.success(),
        "dot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = String::from_utf8(out.stdout).unwrap();
    let nodes = plain.lines().filter(|l| l.starts_with("node ")).count();
    assert_eq!(nodes, map.graph().node_count());
    let edges = plain.lines().filter(|l| l.starts_with("edge ")).count();
    assert_eq!(edges, map.graph().edge_count());
    assert!(
        !plain.contains("\"x\""),
        "no node injected by the target name"
    );
}

#[test]
fn graphviz_svg_has_the_map_ids() {
    let map = RouteMap::new(&sample()).unwrap();
    let dot = map.to_dot(&RenderOptions::builder().rtt_labels(true).build().unwrap());
    let Some(out) = graphviz(&dot, "svg") else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // graphviz writes `-` as a character reference; the attribute's value is the same.
    let svg = String::from_utf8(out.stdout).unwrap().replace("&#45;", "-");
    let ours = map.to_svg(&RenderOptions::default());
    for id in [
        "node-198-18-0-1",
        "node-198-19-10-20",
        "node-unreached-198-18-200-9",
        "node-gap-ttl4",
        "edge-198-18-0-1-198-18-16-1-trace-0",
    ] {
        let attr = format!("id=\"{id}\"");
        assert!(svg.contains(&attr), "graphviz's SVG lacks {id}");
        assert!(ours.contains(&attr), "our SVG lacks {id}");
    }
    assert!(
        svg.contains(">1.50 ms<") || svg.contains(">1.5 ms<"),
        "RTT labels drawn"
    );
}
