//! The geometry checks of [`crate::geometry`] again, with the text boxes Chromium lays out for
//! the HTML report rather than resvg's: what an operator sees in the browser is what must keep
//! clear of edges and of other text. Needs Debian's chromium and chromium-driver (`cargo xtask
//! setup`); in CI they must be there.

use routeviz::{RenderOptions, RouteMap};
use serde_json::Value;
use tcptrace::Trace;
use testbed::browser::Browser;

use crate::geometry::{self, Rect, TextBox};

/// At the map's own scale (Chromium enlarges text drawn smaller than its minimum font size,
/// which a map fitted to the window is), every rendered `<text>` of the page's map, with its class, the id of its nearest element
/// with one, and its box in the map's own user units; and the map as the browser holds it.
const MEASURE: &str = "\
var svg = document.querySelector('#map svg');\
var vb = svg.viewBox.baseVal;\
svg.style.width = vb.width + 'px'; svg.style.height = vb.height + 'px';\
svg.style.maxWidth = 'none'; svg.style.maxHeight = 'none';\
var inv = svg.getScreenCTM().inverse();\
var out = [];\
svg.querySelectorAll('text').forEach(function (t) {\
  if (!t.textContent || t.getClientRects().length === 0) { return; }\
  var b = t.getBBox();\
  var m = inv.multiply(t.getScreenCTM());\
  var xs = [], ys = [];\
  [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]\
    .forEach(function (c) {\
      var p = new DOMPoint(c[0], c[1]).matrixTransform(m); xs.push(p.x); ys.push(p.y);\
    });\
  var x = Math.min.apply(null, xs), y = Math.min.apply(null, ys);\
  var owner = t.closest('[id]');\
  out.push([t.getAttribute('class') || '', owner ? owner.id : '', x, y,\
            Math.max.apply(null, xs) - x, Math.max.apply(null, ys) - y]);\
});\
return [out, new XMLSerializer().serializeToString(svg)];";

fn available() -> bool {
    if testbed::browser::available() {
        return true;
    }
    assert!(
        !testbed::in_ci(),
        "CI must have chromium and chromium-driver"
    );
    eprintln!("!!! SKIPPED routeviz browser geometry: no chromium/chromedriver");
    false
}

/// Opens `set`'s HTML report and returns Chromium's text boxes and the SVG it drew.
fn measure(
    browser: &Browser,
    dir: &std::path::Path,
    name: &str,
    set: &[Trace],
) -> (Vec<TextBox>, String) {
    let opts = RenderOptions::builder().rtt_labels(true).build().unwrap();
    let page = dir.join(format!("map-{}.html", set.len()));
    std::fs::write(&page, RouteMap::new(set).unwrap().to_html(&opts)).unwrap();
    browser.open(&page).unwrap();
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "{name}: console errors {errors:?}");
    let v = browser.execute(MEASURE, &[]).unwrap();
    let boxes = v[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let n = |i: usize| t[i].as_f64().unwrap();
            let s = |i: usize| t[i].as_str().unwrap().to_owned();
            (s(0), s(1), (n(2), n(3), n(4), n(5)) as Rect)
        })
        .collect();
    let svg = match &v[1] {
        Value::String(s) => s.clone(),
        other => panic!("{name}: no SVG: {other}"),
    };
    (boxes, svg)
}

#[test]
fn the_geometry_holds_in_chromium() {
    if !available() {
        return;
    }
    let browser = Browser::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut titles, mut labels) = (0, 0);
    for (name, set) in geometry::maps() {
        let (boxes, svg) = measure(&browser, dir.path(), &name, &set);
        assert!(!boxes.is_empty(), "{name}: Chromium laid out no text");
        titles += geometry::check_titles(&name, &svg, &boxes);
        labels += geometry::check_rtt_labels(&name, &svg, &boxes);
        // Headings are bold, which the layout's regular-face measure underestimated.
        geometry::check_legend_inside(&name, &svg, &boxes);
    }
    assert!(titles > 20, "the maps have titles to check: {titles}");
    assert!(labels > 50, "the maps have RTT labels to check: {labels}");
    for n in [60usize, 120] {
        let set = geometry::many_traces(n);
        let name = format!("{n} traces");
        let (boxes, svg) = measure(&browser, dir.path(), &name, &set);
        geometry::check_legend_texts(&name, &svg, &boxes, set.len());
    }
}
