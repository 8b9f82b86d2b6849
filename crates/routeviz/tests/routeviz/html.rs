//! The HTML report without a browser: a self-contained page under a strict policy whose hashes
//! `sha256sum` agrees with, a data island that holds each node's detail as text, and hostile
//! names that never become markup. (The page is driven in headless Chromium by the CLI's tests.)

use std::io::Write as _;
use std::process::{Command, Stdio};

use routeviz::{RenderOptions, RouteMap};
use serde_json::Value;
use tcptrace::Trace;

use crate::common::sample;

/// The text between the first `open` after `from` and the next `close`.
fn between<'a>(page: &'a str, open: &str, close: &str) -> &'a str {
    let start = page.find(open).unwrap_or_else(|| panic!("{open} missing")) + open.len();
    let len = page[start..].find(close).unwrap();
    &page[start..start + len]
}

fn island(page: &str) -> Value {
    let text = between(
        page,
        "<script type=\"application/json\" id=\"routeviz-data\">",
        "</script>",
    );
    serde_json::from_str(text).unwrap()
}

/// What `cmd` writes for `input` on its standard input.
fn pipe(cmd: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd}");
    out.stdout
}

/// `'sha256-…'` of `text`, by coreutils' `sha256sum` and `base64`.
fn csp_hash(text: &str) -> String {
    let hex = String::from_utf8(pipe("sha256sum", &[], text.as_bytes())).unwrap();
    let digest: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let b64 = String::from_utf8(pipe("base64", &["-w0"], &digest)).unwrap();
    format!("'sha256-{}'", b64.trim())
}

fn entry<'a>(data: &'a Value, id: &str) -> &'a Value {
    data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["ids"].as_array().unwrap().iter().any(|i| i == id))
        .unwrap_or_else(|| panic!("no entry for {id}"))
}

fn field<'a>(entry: &'a Value, label: &str) -> &'a str {
    entry["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == label)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no {label} in {entry}"))
}

fn page_of(traces: &[Trace]) -> String {
    let opts = RenderOptions::builder()
        .title("Routes")
        .rtt_labels(true)
        .build()
        .unwrap();
    RouteMap::new(traces).unwrap().to_html(&opts)
}

#[test]
fn one_page_that_loads_nothing_under_a_strict_policy() {
    let page = page_of(&sample());
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    let csp = between(
        &page,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    );
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe") && !csp.contains("nonce"), "{csp}");
    // Every inline script and style sheet is allowed by its hash, and nothing else is.
    let scripts: Vec<&str> = page
        .split("<script>")
        .skip(1)
        .map(|s| s.split("</script>").next().unwrap())
        .collect();
    assert_eq!(scripts.len(), 1, "one script besides the data island");
    let styles: Vec<&str> = page
        .split("<style>")
        .skip(1)
        .map(|s| s.split("</style>").next().unwrap())
        .collect();
    assert_eq!(styles.len(), 2, "the page's and the map's style sheets");
    let mut hashes: Vec<String> = scripts.iter().chain(&styles).map(|t| csp_hash(t)).collect();
    for h in &hashes {
        assert!(csp.contains(h.as_str()), "{h} not in {csp}");
    }
    hashes.sort();
    let mut named: Vec<&str> = csp
        .split([' ', ';'])
        .filter(|s| s.starts_with("'sha256-"))
        .collect();
    named.sort_unstable();
    assert_eq!(hashes, named);
    assert_eq!(page.matches("<script").count(), 2);
    // No fetch: no URL but the SVG namespace, no source or link attribute, no inline style or
    // event handler attribute.
    let without_ns = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http:", "https:", "://", " src=", "href=", " style=", "<link", "<img", "@import", "url(",
    ] {
        assert!(!without_ns.contains(needle), "{needle} in the page");
    }
    assert!(
        !without_ns
            .split_whitespace()
            .any(|w| w.starts_with("on") && w.contains('=')),
        "an event handler attribute"
    );
    // The map inside is the SVG, with the AS-level view added under its nodes.
    let svg = between(&page, "<div id=\"map\">\n", "</div>");
    assert!(svg.starts_with("<svg xmlns="));
    let doc = roxmltree::Document::parse(svg).expect("the inline map is well-formed XML");
    assert!(
        doc.descendants()
            .any(|n| n.attribute("id") == Some("as-node-64500"))
    );
    assert!(svg.find("id=\"as-view\"").unwrap() < svg.find("id=\"nodes\"").unwrap());
}

#[test]
fn the_island_holds_each_nodes_detail() {
    let mut set = sample();
    set[0].hops[1].replies[0].name = Some("core1.transit.test".to_owned());
    let again = set[0].hops[1].replies[0].clone().with_rtt_ms(2.5);
    set[0].hops[1].replies.push(again);
    let page = page_of(&set);
    let data = island(&page);
    let svg = between(&page, "<div id=\"map\">\n", "</div>");
    let doc = roxmltree::Document::parse(svg).unwrap();
    // Every id in the island is drawn, and every drawn node has an entry.
    let drawn: Vec<&str> = doc
        .descendants()
        .filter(|n| crate::common::has_class(*n, "node"))
        .filter_map(|n| n.attribute("id"))
        .collect();
    let named: Vec<&str> = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| {
            n["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap())
        })
        .collect();
    let mut a = drawn.clone();
    let mut b = named.clone();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);

    let core = entry(&data, "node-198-18-16-1");
    assert_eq!(core["kind"], "router");
    assert_eq!(field(core, "Address"), "198.18.16.1");
    assert_eq!(field(core, "Name"), "core1.transit.test");
    assert_eq!(field(core, "AS"), "AS64500 TRANSIT");
    assert_eq!(field(core, "TTL"), "2");
    // Trace 0 saw it twice (1.5 and 2.5 ms), trace 1 once.
    let visits = core["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2, "{visits:?}");
    assert_eq!(visits[0]["trace"], 0);
    assert_eq!(visits[0]["replies"], 2);
    assert_eq!(visits[0]["rtt"], "1.5 / 2.0 / 2.5 ms");
    assert_eq!(visits[1]["rtt"], "1.5 / 1.5 / 1.5 ms");
    assert_eq!(core["traces"], serde_json::json!([0, 1]));
    assert!(
        core["terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "as64500")
    );

    let web = entry(&data, "node-198-19-10-20");
    assert_eq!(web["kind"], "endpoint");
    assert_eq!(field(web, "Ports"), "80 open (SYN-ACK), 22 closed (RST)");
    let dark = entry(&data, "node-unreached-198-18-200-9");
    assert_eq!(dark["kind"], "blackhole");
    assert_eq!(dark["traces"], serde_json::json!([2]));
    let transit = entry(&data, "as-node-64500");
    assert_eq!(transit["kind"], "as");
    assert_eq!(field(transit, "Hops"), "3");
    assert_eq!(data["traces"][2]["label"], "198.18.200.9:8443");
    assert_eq!(data["traces"][2]["reached"], false);
}

#[test]
fn hostile_names_never_become_markup() {
    const HOSTILE: [&str; 3] = [
        "<img src=x onerror=alert(1)>",
        "</script><script>window.pwned=1</script>",
        "<!--<script>",
    ];
    let mut set = sample();
    set[2].target = HOSTILE[1].to_owned();
    for (k, r) in set
        .iter_mut()
        .flat_map(|t| t.hops.iter_mut())
        .flat_map(|h| h.replies.iter_mut())
        .enumerate()
    {
        if r.asn.is_some() {
            r.as_name = Some(HOSTILE[k % 3].to_owned());
        }
        r.name = Some(HOSTILE[(k + 1) % 3].to_owned());
    }
    let page = page_of(&set);
    assert_eq!(
        page.matches("<script").count(),
        2,
        "no script element but ours"
    );
    assert!(!page.contains("<img") && !page.contains("<!--"));
    let island_text = between(
        &page,
        "<script type=\"application/json\" id=\"routeviz-data\">",
        "</script>",
    );
    assert!(!island_text.contains(['<', '>', '&']));
    // The names are there, whole, as text for the script to show.
    let data = island(&page);
    let all = data.to_string();
    for h in HOSTILE {
        assert!(all.contains(&serde_json::to_string(h).unwrap()), "{h} lost");
    }
    let svg = between(&page, "<div id=\"map\">\n", "</div>");
    roxmltree::Document::parse(svg).expect("still well-formed");
    assert!(svg.contains("&lt;img src=x onerror=alert(1)&gt;"));
}
