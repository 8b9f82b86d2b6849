//! The colours of traces, and their groups in a map merged from several vantage points: each
//! vantage point's traces share a hue family (the legend groups traces by target, and names
//! the vantage point of each).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::many_single_char_names,
    reason = "colour arithmetic on small counts and unit fractions, in HSL's own letters"
)]

use crate::graph::TraceInfo;

/// Strong, distinguishable colours for traces; more are generated around the hue circle.
const TRACE_COLORS: [&str; 12] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#393b79", "#ad494a",
];

/// The colour of trace `i`.
pub(crate) fn trace_color(i: usize) -> String {
    if let Some(c) = TRACE_COLORS.get(i) {
        return (*c).to_owned();
    }
    // Golden-angle hues, alternating lightness, converted to RGB.
    let h = ((i as f64) * 137.508).rem_euclid(360.0);
    let l = if i.is_multiple_of(2) { 0.42 } else { 0.32 };
    let (r, g, b) = hsl(h, 0.65, l);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn hsl(h: f64, s: f64, l: f64) -> (u8, u8, u8) {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    (to(r), to(g), to(b))
}

/// The colour of each trace of a map, and its colour groups.
///
/// Traces without a vantage point (opskit's own) keep the fixed palette, trace by trace. Once
/// any trace has one, the traces are grouped by vantage point, in order of first appearance:
/// group `g` takes a hue of its own (golden-angle steps around the circle), and its traces
/// shades of that hue, so that a vantage point reads as one colour family on the map.
#[derive(Clone, Debug)]
pub(crate) struct TraceColors {
    colors: Vec<String>,
    sections: Vec<Section>,
}

/// One section of the legend: a vantage point (or none) and its traces, in trace order.
#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub(crate) vantage: Option<String>,
    pub(crate) traces: Vec<usize>,
}

impl TraceColors {
    pub(crate) fn new(traces: &[TraceInfo]) -> Self {
        if traces.iter().all(|t| t.vantage.is_none()) {
            return Self {
                colors: (0..traces.len()).map(trace_color).collect(),
                sections: vec![Section {
                    vantage: None,
                    traces: (0..traces.len()).collect(),
                }],
            };
        }
        let mut sections: Vec<Section> = Vec::new();
        for (i, t) in traces.iter().enumerate() {
            match sections.iter_mut().find(|s| s.vantage == t.vantage) {
                Some(s) => s.traces.push(i),
                None => sections.push(Section {
                    vantage: t.vantage.clone(),
                    traces: vec![i],
                }),
            }
        }
        let mut colors = vec![String::new(); traces.len()];
        for (g, s) in sections.iter().enumerate() {
            let hue = (g as f64 * 137.508).rem_euclid(360.0);
            for (k, &i) in s.traces.iter().enumerate() {
                // Shades from dark to light and back, with a small hue drift inside the group.
                const SHADES: [f64; 5] = [0.36, 0.50, 0.28, 0.43, 0.57];
                let l = SHADES[k % SHADES.len()];
                let h = (hue + (k / SHADES.len()) as f64 * 9.0).rem_euclid(360.0);
                let (r, gr, b) = hsl(h, 0.70, l);
                colors[i] = format!("#{r:02x}{gr:02x}{b:02x}");
            }
        }
        Self { colors, sections }
    }

    /// The colour of trace `i`.
    pub(crate) fn color(&self, i: usize) -> &str {
        self.colors.get(i).map_or("#000000", String::as_str)
    }

    /// The colour groups, one per vantage point (one without a vantage point when no trace
    /// has one): the legend lists each target's traces in this order.
    pub(crate) fn sections(&self) -> &[Section] {
        &self.sections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_colors_are_distinct_and_valid() {
        let cs: Vec<String> = (0..64).map(trace_color).collect();
        for c in &cs {
            assert_eq!(c.len(), 7, "{c}");
            assert!(c.starts_with('#'));
        }
        let mut d = cs.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), cs.len());
    }

    fn info(vantage: Option<&str>) -> TraceInfo {
        TraceInfo {
            target: "t".into(),
            port: 0,
            reached: true,
            vantage: vantage.map(str::to_owned),
        }
    }

    #[test]
    fn vantage_points_get_sections_and_hue_families() {
        let ts = [
            info(Some("a")),
            info(Some("b")),
            info(Some("a")),
            info(None),
        ];
        let c = TraceColors::new(&ts);
        let groups: Vec<(Option<&str>, &[usize])> = c
            .sections()
            .iter()
            .map(|s| (s.vantage.as_deref(), s.traces.as_slice()))
            .collect();
        assert_eq!(
            groups,
            [
                (Some("a"), &[0, 2][..]),
                (Some("b"), &[1][..]),
                (None, &[3][..])
            ]
        );
        let colors: Vec<&str> = (0..4).map(|i| c.color(i)).collect();
        let mut d = colors.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 4, "{colors:?}");
        // Without vantage points, the fixed palette, unchanged.
        let plain = TraceColors::new(&[info(None), info(None)]);
        assert_eq!((plain.color(0), plain.color(1)), ("#1f77b4", "#d62728"));
    }
}
