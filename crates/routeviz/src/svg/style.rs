//! The sizes, fixed texts and text escapes that the SVG's parts (the map, its legend and its
//! RTT labels) share; a leaf, so that the parts need not import the map that draws them.

use crate::text::xml_escape;

pub(super) const LEGEND_FONT: f64 = 11.5;
pub(super) const LEGEND_LINE: f64 = 18.0;
pub(super) const LEGEND_GAP: f64 = 28.0;
pub(super) const RTT_FONT: f64 = 9.0;
/// From the top of an AS title's line to its baseline: the line's height less the descent.
pub(super) const AS_BASELINE: f64 = 8.7;

pub(super) const KEY_TEXT: &str = "SA open · RA closed · ? no reply";

pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    xml_escape(s, &mut out);
    out
}

/// `0.42 ms`, `12.3 ms`, `153 ms`.
pub(crate) fn format_rtt(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
