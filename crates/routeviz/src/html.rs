//! The HTML report: one self-contained page with the SVG map inline, its style sheet and a
//! small script, for a browser or an operations platform to embed.
//!
//! The page fetches nothing: its Content-Security-Policy is `default-src 'none'`, the script
//! and the two style sheets (the page's and the map's own) are allowed by their SHA-256
//! hashes only, and nothing else may load, run or be styled inline. Every text of the map is
//! XML-escaped as in the SVG; the detail of each node travels in a JSON data island
//! ([`data`]) escaped for `<script type="application/json">`, and the script shows it with
//! `textContent` only, so no AS name, PTR name or legend ever reaches the page as markup.
//!
//! What the script does: pan (drag) and zoom (wheel, the `+`/`−` buttons, `Reset`); the detail
//! of a node on hover, kept on click; a click on a legend entry highlights that trace and dims
//! the rest (a second click, or `Escape`, clears it); a search box for an address, a name or
//! an AS (`AS64500`, or part of its name); and an AS-level view that folds each AS into one
//! node ([`fold`]).

mod data;
mod fold;
mod sha256;

use std::fmt::Write as _;

use crate::graph::RouteGraph;
use crate::layout::Layout;
use crate::options::RenderOptions;
use crate::svg;
use crate::text::xml_escape;

/// The page's script, allowed by its hash.
const SCRIPT: &str = include_str!("html/report.js");
/// The page's style sheet, allowed by its hash.
const STYLE: &str = include_str!("html/report.css");

/// The id of the data island.
const DATA_ID: &str = "routeviz-data";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    xml_escape(s, &mut out);
    out
}

/// The Content-Security-Policy of the page: nothing but the hashed script and styles.
fn policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {} {}; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        sha256::csp_source(SCRIPT),
        sha256::csp_source(STYLE),
        sha256::csp_source(svg::STYLE),
    )
}

/// Writes the page of a laid-out graph, with `note` (what the map leaves out).
pub(crate) fn write(
    graph: &RouteGraph,
    layout: &Layout,
    opts: &RenderOptions,
    note: Option<&str>,
) -> String {
    let (map, _) = svg::write(graph, layout, opts, note);
    let (_, _, ox, oy) = svg::placement(graph, layout, opts, note);
    let folded = fold::write(graph, layout, (ox, oy));
    // The folded view goes under the nodes, so that the nodes outside any AS stay on top.
    let map = match map.find("<g id=\"nodes\">") {
        Some(at) => format!("{}{folded}{}", &map[..at], &map[at..]),
        None => map,
    };
    let island = data::to_island(&data::build(graph, layout));
    let title = esc(opts.title.as_deref().unwrap_or("Route map"));
    let mut page = String::with_capacity(map.len() + island.len() + SCRIPT.len() + 4096);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"routeviz {}\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<h1 id=\"page-title\">{title}</h1>\n\
         <input id=\"search\" type=\"search\" placeholder=\"Address, name or AS\" aria-label=\"Search an address, a name or an AS\" autocomplete=\"off\">\n\
         <span id=\"search-status\" role=\"status\"></span>\n\
         <button id=\"as-view-toggle\" type=\"button\" aria-pressed=\"false\">AS view</button>\n\
         <button id=\"zoom-in\" type=\"button\" aria-label=\"Zoom in\">+</button>\n\
         <button id=\"zoom-out\" type=\"button\" aria-label=\"Zoom out\">\u{2212}</button>\n\
         <button id=\"zoom-reset\" type=\"button\">Reset</button>\n\
         <span id=\"focus-status\" role=\"status\"></span>\n\
         </header>\n<main>\n<div id=\"map\">\n{map}</div>\n\
         <aside id=\"detail\" aria-live=\"polite\"><p class=\"hint\">Hover over a node for its detail, click to keep it. \
         Click a legend entry to show one trace. Drag to pan, scroll to zoom.</p></aside>\n\
         </main>\n<script type=\"application/json\" id=\"{DATA_ID}\">{island}</script>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        policy(),
        env!("CARGO_PKG_VERSION"),
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_hashes_of_what_is_inline() {
        let p = policy();
        assert!(p.starts_with("default-src 'none';"));
        assert!(p.contains(&sha256::csp_source(SCRIPT)));
        assert!(!p.contains("unsafe"));
        // The script and style sheet hold nothing that would end their element early.
        assert!(!SCRIPT.contains("</"));
        assert!(!STYLE.contains("</"));
    }
}
