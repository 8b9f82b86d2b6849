//! The HTML route report of a real trace, driven in headless Chromium: `opskit trace --html`
//! and `opskit routemap -o map.html` in a network of kernel routers, then the page loaded
//! with no console error, hovered, filtered by trace, searched, folded by AS, screenshotted,
//! and fed hostile names that must stay text.

#![allow(
    clippy::many_single_char_names,
    clippy::too_many_lines,
    reason = "test code: pixel channels, and one walk through the page in one browser session"
)]

use serde_json::{Value, json};
use testbed::browser::Browser;
use testbed::netns::{Family, Topology};

/// A test network `src — r1 — r2 — r3 — web` (web listening on port 80) and the addresses of
/// web, r1 and r3.
struct TestNet {
    net: Topology,
    /// The nameserver of the named network, kept running while the network is used.
    _dns: Option<testbed::netns::Dnsmasq>,
    web: String,
    r1: String,
    r3: String,
}

/// The network, or `None` with a loud skip when `test` cannot run here (not root, no
/// browser); in CI both must be there. `named`: the routers have PTR names in a dnsmasq of
/// the network, and r2 clamps the MSS (a middlebox); else r2 is silent.
fn network(test: &str, named: bool) -> Option<TestNet> {
    if !testbed::require_root(test) {
        return None;
    }
    if !testbed::browser::available() {
        assert!(
            !testbed::in_ci(),
            "CI must have chromium and chromium-driver"
        );
        eprintln!("!!! SKIPPED {test}: no chromium/chromedriver (cargo xtask setup installs them)");
        return None;
    }
    let (net, dns) = if named {
        let (net, dns, _) = crate::trace::clamped_network_with_names();
        (net, Some(dns))
    } else {
        (crate::routemap::silent_second_router(), None)
    };
    let web = net.address("web", Family::V4).unwrap().to_string();
    let truth = net.ground_truth(web.parse().unwrap()).unwrap();
    let r1 = truth.hops[0].addresses()[0].to_string();
    let r3 = truth.hops[2].addresses()[0].to_string();
    Some(TestNet {
        net,
        _dns: dns,
        web,
        r1,
        r3,
    })
}

/// `opskit trace WEB --json --probe-timeout 0.5 EXTRA…` in the source namespace: its report.
fn trace_json(n: &TestNet, extra: &[&std::ffi::OsStr]) -> Value {
    let out = n
        .net
        .command("src", env!("CARGO_BIN_EXE_opskit"))
        .unwrap()
        .args(["trace", n.web.as_str(), "--json", "--probe-timeout", "0.5"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The SVG id of the node of `addr`.
fn node_id(addr: &str) -> String {
    format!("node-{}", addr.replace(['.', ':'], "-"))
}

/// Gives every reply from `addr` an AS, as an AS database would (the testbed's 198.18.0.0/15
/// is in no AS table), and a PTR name when `name` is given.
fn label(report: &mut Value, addr: &str, asn: u32, as_name: &str, name: Option<&str>) {
    for trace in report["traces"].as_array_mut().unwrap() {
        for hop in trace["hops"].as_array_mut().unwrap() {
            for r in hop["replies"].as_array_mut().unwrap() {
                if r["from"] == addr {
                    r["asn"] = json!(asn);
                    r["as_name"] = json!(as_name);
                    if let Some(name) = name {
                        r["name"] = json!(name);
                    }
                }
            }
        }
    }
}

/// `report` written to `DIR/STEM.json` and drawn by `opskit routemap` to `DIR/STEM.html`.
fn page_of(report: &Value, dir: &std::path::Path, stem: &str) -> std::path::PathBuf {
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(&json_path, report.to_string()).unwrap();
    let page = dir.join(format!("{stem}.html"));
    crate::routemap::routemap_ok(&[json_path.as_path()], &page);
    page
}

/// Opens `page` and checks that its script ran and nothing went to the console as an error.
fn load(browser: &Browser, page: &std::path::Path) {
    browser.open(page).unwrap();
    let ready = browser
        .execute(
            "return [document.documentElement.getAttribute('data-ready'), window.routevizErrors];",
            &[],
        )
        .unwrap();
    assert_eq!(ready, json!(["1", []]), "the script did not run cleanly");
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

fn js(browser: &Browser, script: &str, args: &[Value]) -> Value {
    browser.execute(script, args).unwrap()
}

/// Whether the element `id` is drawn (not `display: none`) and how opaque it is.
fn shown(browser: &Browser, id: &str) -> (bool, f64) {
    let v = js(
        browser,
        "var e = document.getElementById(arguments[0]);\
         return [e.getClientRects().length > 0, Number(getComputedStyle(e).opacity)];",
        &[json!(id)],
    );
    (v[0].as_bool().unwrap(), v[1].as_f64().unwrap())
}

#[test]
fn the_report_of_a_real_trace_works_in_a_real_browser() {
    let Some(n) = network(
        "opskit html the_report_of_a_real_trace_works_in_a_real_browser",
        true,
    ) else {
        return;
    };
    let (web, r1, r3) = (n.web.clone(), n.r1.clone(), n.r3.clone());
    let dir = tempfile::tempdir().unwrap();
    let direct = dir.path().join("trace.html");
    // The recipe's "IDC location": a geography table that puts r3 in Frankfurt.
    let geo = dir.path().join("city-ipv4.csv");
    std::fs::write(
        &geo,
        format!("{r3},{r3},DE,Hesse,,Frankfurt am Main,60311,50.1169,8.6837,Europe/Berlin\n"),
    )
    .unwrap();
    let mut report = trace_json(
        &n,
        &[
            "-p".as_ref(),
            "80,443".as_ref(),
            "--rdns".as_ref(),
            "--dns-server".as_ref(),
            web.as_ref(),
            "--geo-db".as_ref(),
            geo.as_os_str(),
            "--html".as_ref(),
            direct.as_os_str(),
        ],
    );
    label(&mut report, &r1, 64496, "OPSKIT-LAB campus edge", None);
    label(&mut report, &r3, 64500, "TRANSIT-ONE backbone", None);
    label(&mut report, &web, 64500, "TRANSIT-ONE backbone", None);
    let page = page_of(&report, dir.path(), "map");

    let browser = Browser::start().unwrap();
    // What `opskit trace --html` wrote loads as cleanly.
    load(&browser, &direct);
    let h1 = browser.find("#page-title").unwrap();
    assert_eq!(browser.text(&h1).unwrap(), "Route map");
    assert!(browser.find(&format!("#{}", node_id(&r3))).is_ok());

    load(&browser, &page);
    // Hovering a node shows its detail: address, PTR name (from the network's nameserver), AS,
    // its location,
    // the MSS clamp of r2 that first shows in r3's replies, and RTTs per trace.
    browser
        .hover(&browser.find(&format!("#{}", node_id(&r3))).unwrap())
        .unwrap();
    let detail = browser.text(&browser.find("#detail").unwrap()).unwrap();
    for want in [
        r3.as_str(),
        "r3.test",
        "AS64500 TRANSIT-ONE backbone",
        "Location",
        "Frankfurt am Main, Hesse, DE",
        "Middlebox",
        "mss 1460→1200",
        "RTT min / avg / max",
        &format!("{web}:80"),
        &format!("{web}:443"),
    ] {
        assert!(detail.contains(want), "{want} not in the detail:\n{detail}");
    }
    let rows = browser.find_all("#detail tr.visit").unwrap();
    assert_eq!(rows.len(), 2, "one row per trace through r3:\n{detail}");

    // A legend entry shows its trace (its port under its target, the whole trace in its
    // tooltip) and dims the other.
    let legend = browser.find("#legend-1 text").unwrap();
    assert!(browser.text(&legend).unwrap().starts_with(":443"));
    let tooltip = js(
        &browser,
        "return document.querySelector('#legend-1 title').textContent;",
        &[],
    );
    assert!(
        tooltip.as_str().unwrap().starts_with(&format!("{web}:443")),
        "{tooltip}"
    );
    browser.click(&legend).unwrap();
    let edges = js(
        &browser,
        "return Array.from(document.querySelectorAll('#edges .edge')).map(function (e) {\
           return [e.getAttribute('data-trace'), Number(getComputedStyle(e).opacity)]; });",
        &[],
    );
    let edges = edges.as_array().unwrap();
    assert!(edges.iter().any(|e| e[0] == "0") && edges.iter().any(|e| e[0] == "1"));
    for e in edges {
        let opacity = e[1].as_f64().unwrap();
        if e[0] == "1" {
            assert!((opacity - 1.0).abs() < 1e-9, "{e:?}");
        } else {
            assert!(opacity < 0.5, "trace 0 not dimmed: {e:?}");
        }
    }
    assert!(shown(&browser, "legend-0").1 < 0.5);
    let status = browser.find("#focus-status").unwrap();
    assert_eq!(browser.text(&status).unwrap(), format!("Showing {web}:443"));
    browser.click(&legend).unwrap();
    assert!(
        (shown(&browser, "legend-0").1 - 1.0).abs() < 1e-9,
        "a second click clears it"
    );

    // The search finds an address, and a name.
    let search = browser.find("#search").unwrap();
    browser.type_text(&search, &r1).unwrap();
    let status = browser.find("#search-status").unwrap();
    assert_eq!(browser.text(&status).unwrap(), "1 match");
    let class = browser
        .attribute(
            &browser.find(&format!("#{}", node_id(&r1))).unwrap(),
            "class",
        )
        .unwrap()
        .unwrap();
    assert!(class.split(' ').any(|c| c == "match"), "{class}");
    let title = browser.find("#detail h2").unwrap();
    assert_eq!(browser.text(&title).unwrap(), r1);
    js(
        &browser,
        "var s = document.getElementById('search'); s.value = '';\
                  s.dispatchEvent(new Event('input'));",
        &[],
    );
    browser.type_text(&search, "r3.test").unwrap();
    assert_eq!(browser.text(&status).unwrap(), "1 match");
    js(
        &browser,
        "var s = document.getElementById('search'); s.value = '';\
                  s.dispatchEvent(new Event('input'));",
        &[],
    );

    // The AS view folds AS64500 (r3 and web) into one node.
    assert!(!shown(&browser, "as-node-64500").0);
    browser
        .click(&browser.find("#as-view-toggle").unwrap())
        .unwrap();
    assert!(shown(&browser, "as-node-64500").0);
    assert!(!shown(&browser, &node_id(&r3)).0 && !shown(&browser, &node_id(&web)).0);
    browser
        .hover(&browser.find("#as-node-64500").unwrap())
        .unwrap();
    let detail = browser.text(&browser.find("#detail").unwrap()).unwrap();
    assert!(detail.contains(&r3) && detail.contains(&web), "{detail}");
    browser
        .click(&browser.find("#as-view-toggle").unwrap())
        .unwrap();
    assert!(shown(&browser, &node_id(&r3)).0);

    // Drag pans and the wheel zooms, through the map's viewBox; Reset brings it back.
    let view = |b: &Browser| -> Vec<f64> {
        let svg = b.find("#map svg").unwrap();
        b.attribute(&svg, "viewBox")
            .unwrap()
            .unwrap()
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let home = view(&browser);
    let background = browser.find("#background").unwrap();
    browser.drag(&background, 120, 40).unwrap();
    let panned = view(&browser);
    assert!(
        panned[0] < home[0] - 10.0 && panned[1] < home[1] - 1.0,
        "{home:?} -> {panned:?}"
    );
    assert!((panned[2] - home[2]).abs() < 1e-6, "a pan keeps the zoom");
    browser.wheel(&background, -300).unwrap();
    let zoomed = view(&browser);
    assert!(zoomed[2] < panned[2] * 0.9, "{panned:?} -> {zoomed:?}");
    browser
        .click(&browser.find("#zoom-reset").unwrap())
        .unwrap();
    assert_eq!(view(&browser), home);

    // A screenshot shows the map: mostly white, but with the map's colours in it.
    let png = browser.screenshot().unwrap();
    std::fs::write(dir.path().join("shot.png"), &png).unwrap();
    check_screenshot(&png);
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// The screenshot is the window, not blank: many pixels are not background, in many colours,
/// among them the endpoint's green and a router's outline grey.
fn check_screenshot(png: &[u8]) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width, info.height);
    let (ww, wh) = testbed::browser::WINDOW;
    assert!(w >= ww / 2 && h >= wh / 2, "{w}x{h}");
    let step = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut ink = 0usize;
    let mut green = 0usize;
    for px in buf[..info.buffer_size()].chunks(step) {
        let (r, g, b) = (px[0], px[1], px[2]);
        colours.insert((r, g, b));
        if (r, g, b) != (255, 255, 255) {
            ink += 1;
        }
        // The endpoint's fill, #c8ecc8.
        if (i32::from(r) - 0xc8).abs() < 6
            && (i32::from(g) - 0xec).abs() < 6
            && (i32::from(b) - 0xc8).abs() < 6
        {
            green += 1;
        }
    }
    let total = (w * h) as usize;
    assert!(ink * 50 > total, "only {ink} of {total} pixels drawn");
    assert!(colours.len() > 50, "only {} colours", colours.len());
    assert!(
        green > 200,
        "the endpoint is not in the screenshot ({green} pixels)"
    );
}

/// Hostile names: an AS name, a PTR name and a target.
const IMG: &str = "<img src=x onerror=\"window.pwned=1\">";
const SCRIPT: &str = "</script><script>window.pwned=2</script>";
const SVG: &str = "<svg onload=window.pwned=3>";

#[test]
fn hostile_names_never_run_as_script() {
    let Some(n) = network("opskit html hostile_names_never_run_as_script", false) else {
        return;
    };
    let (r1, r3) = (n.r1.clone(), n.r3.clone());
    let mut report = trace_json(&n, &[]);
    label(&mut report, &r1, 64496, IMG, Some(SCRIPT));
    label(&mut report, &r3, 64500, SCRIPT, Some(SVG));
    report["traces"][0]["target"] = json!(SVG);
    let dir = tempfile::tempdir().unwrap();
    let page = page_of(&report, dir.path(), "hostile");

    let browser = Browser::start().unwrap();
    load(&browser, &page);
    browser
        .hover(&browser.find(&format!("#{}", node_id(&r1))).unwrap())
        .unwrap();
    browser
        .hover(&browser.find(&format!("#{}", node_id(&r3))).unwrap())
        .unwrap();
    browser
        .hover(&browser.find(&format!("#{}", node_id(&r1))).unwrap())
        .unwrap();
    let detail = browser.text(&browser.find("#detail").unwrap()).unwrap();
    assert!(detail.contains(&format!("AS64496 {IMG}")), "{detail}");
    assert!(detail.contains(SCRIPT), "{detail}");
    browser
        .click(&browser.find("#as-view-toggle").unwrap())
        .unwrap();
    browser
        .hover(&browser.find("#as-node-64500").unwrap())
        .unwrap();
    let detail = browser.text(&browser.find("#detail").unwrap()).unwrap();
    assert!(detail.contains(SCRIPT), "{detail}");
    // The hostile target heads its traces in the legend, as text.
    let legend = browser
        .text(&browser.find("#legend .legend-target-name").unwrap())
        .unwrap();
    assert_eq!(legend, SVG);
    let dom = js(
        &browser,
        "return [typeof window.pwned, document.querySelectorAll('img').length,\
                 document.scripts.length, document.querySelectorAll('svg').length];",
        &[],
    );
    assert_eq!(dom, json!(["undefined", 0, 2, 1]), "markup got through");
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[test]
fn help_documents_the_html_report() {
    let help = |sub: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_opskit"))
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let routemap = help("routemap");
    for want in [
        ".html",
        "With -o FILE.html",
        "default-src 'none'",
        "SHA-256",
        "AS view",
    ] {
        assert!(
            routemap.contains(want),
            "routemap --help lacks {want}:\n{routemap}"
        );
    }
    let trace = help("trace");
    assert!(trace.contains("--html <FILE>"), "{trace}");
}
