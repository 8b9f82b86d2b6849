//! The legend: one section per vantage point (when the map has several), in it the traces
//! grouped by target, each target's traces (port) under it,
//! flowed into columns of bounded width so that a map of hundreds of traces keeps a legend
//! that is readable and no wider than a few columns.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "line counts turned into coordinates"
)]

use std::fmt::Write as _;

use super::style::{KEY_TEXT, LEGEND_FONT, LEGEND_LINE, esc};
use crate::graph::TraceInfo;
use crate::palette::TraceColors;
use crate::text;

/// The heading of the legend.
const HEADING: &str = "Traces by target";
/// The widest column; longer entries are cut, whole in their tooltip.
const MAX_COLUMN_W: f64 = 280.0;
/// The most columns; past them the columns grow taller instead.
const MAX_COLUMNS: usize = 4;
/// A column holds at least this many lines, however short the map beside it.
const MIN_COLUMN_LINES: usize = 24;
/// Space between two columns.
const COLUMN_GAP: f64 = 20.0;
/// Where an entry's text starts, right of its colour mark.
const ENTRY_TEXT_X: f64 = 30.0;
/// Section and target headings are drawn bold, but the layout measures the bundled regular
/// face only. The bold `DejaVu Sans` is up to 18% wider (its colon; digits 9%), so a browser
/// drew a long IPv6 target past the map's edge: bold text is measured this much wider.
const BOLD_WIDTH: f64 = 1.2;
/// The colour mark of an entry, indented under its target.
const MARK_X: (f64, f64) = (6.0, 24.0);
/// Font size of the key line at the bottom.
const KEY_FONT: f64 = LEGEND_FONT - 1.5;

/// Where the legend goes, and the room it has there.
#[derive(Clone, Copy)]
pub(super) enum Room {
    /// Right of the map, its columns about as tall as the map (this height).
    Beside(f64),
    /// Under a wide map, as many columns as fit across it (this width), no more than needed.
    Below(f64),
}

/// One line of the legend.
enum Line {
    /// A vantage point's section, by name.
    Section(String),
    /// A target, by name.
    Target(String),
    /// A trace: its index and text (port, vantage point, ✗ when unreached).
    Entry(usize, String),
}

/// The legend, laid out: lines in columns under the heading, and the key under them all.
pub(super) struct Legend {
    /// Per column, its lines.
    columns: Vec<Vec<Line>>,
    column_w: f64,
    pub(super) room: Room,
    pub(super) width: f64,
    pub(super) height: f64,
}

/// What an entry says under its target (and its vantage point's section): `:443`, `✗` when
/// unreached.
fn entry_text(t: &TraceInfo) -> String {
    let mut s = if t.port == 0 {
        "trace".to_owned()
    } else {
        format!(":{}", t.port)
    };
    if !t.reached {
        s.push_str(" ✗");
    }
    s
}

/// The lengths of the columns `lines` flow into at `per_column` lines each, where a target
/// never ends a column: it moves to the next with its first entry.
fn flow(lines: &[Line], per_column: usize) -> Vec<usize> {
    let mut cols = vec![0usize];
    for (k, line) in lines.iter().enumerate() {
        let cur = cols.last().copied().unwrap_or(0);
        let orphan = matches!(line, Line::Target(_) | Line::Section(_))
            && cur + 1 >= per_column
            && k + 1 < lines.len();
        if cur >= per_column || (orphan && cur > 0) {
            cols.push(0);
        }
        if let Some(c) = cols.last_mut() {
            *c += 1;
        }
    }
    cols
}

impl Legend {
    /// The legend of `traces` in `room`.
    pub(super) fn new(traces: &[TraceInfo], colors: &TraceColors, room: Room) -> Self {
        // A section per vantage point when there is one (in the colour sections' order), and
        // in each the targets in order of first appearance, their traces in trace order.
        let sectioned = colors.sections().iter().any(|s| s.vantage.is_some());
        let mut lines: Vec<Line> = Vec::new();
        for section in colors.sections() {
            if sectioned {
                let name = section.vantage.as_deref().unwrap_or("this host");
                lines.push(Line::Section(name.to_owned()));
            }
            let mut targets: Vec<(&str, Vec<usize>)> = Vec::new();
            for &i in &section.traces {
                let name = traces[i].target.as_str();
                match targets.iter_mut().find(|(t, _)| *t == name) {
                    Some((_, v)) => v.push(i),
                    None => targets.push((name, vec![i])),
                }
            }
            targets.sort_by_key(|(_, v)| v.iter().min().copied());
            for (name, members) in &targets {
                lines.push(Line::Target((*name).to_owned()));
                for &i in members {
                    lines.push(Line::Entry(i, entry_text(&traces[i])));
                }
            }
        }
        let natural = lines
            .iter()
            .map(|l| match l {
                Line::Target(t) | Line::Section(t) => BOLD_WIDTH * text::width(t, LEGEND_FONT),
                Line::Entry(_, t) => ENTRY_TEXT_X + text::width(t, LEGEND_FONT),
            })
            .chain([
                text::width(HEADING, LEGEND_FONT),
                text::width(KEY_TEXT, KEY_FONT),
            ])
            .fold(0.0, f64::max);
        let column_w = natural.min(MAX_COLUMN_W) + 4.0;
        let (per_column, across) = match room {
            Room::Beside(map_h) => {
                // Room under the heading and over the key, in lines.
                let fit = ((map_h / LEGEND_LINE) as usize).saturating_sub(3);
                let per = fit
                    .max(MIN_COLUMN_LINES)
                    .max(lines.len().div_ceil(MAX_COLUMNS));
                (per, MAX_COLUMNS)
            }
            Room::Below(map_w) => {
                let across = (((map_w + COLUMN_GAP) / (column_w + COLUMN_GAP)) as usize).max(1);
                (lines.len().div_ceil(across).max(2), across)
            }
        };
        // Taller columns until they are no more than the room has (moving targets to the
        // next column can take more than the plain division).
        let mut per_column = per_column;
        while flow(&lines, per_column).len() > across && per_column < lines.len() {
            per_column += 1;
        }
        let cuts = flow(&lines, per_column);
        let mut columns: Vec<Vec<Line>> = Vec::with_capacity(cuts.len());
        let mut rest = lines.into_iter();
        for n in cuts {
            columns.push(rest.by_ref().take(n).collect());
        }
        let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
        let n = columns.len() as f64;
        let width = (n * column_w + (n - 1.0) * COLUMN_GAP).max(text::width(KEY_TEXT, KEY_FONT));
        let height = (tallest as f64 + 3.0) * LEGEND_LINE + 8.0;
        Self {
            columns,
            column_w,
            room,
            width,
            height,
        }
    }

    /// Whether the legend has more than one column.
    pub(super) fn wrapped(&self) -> bool {
        self.columns.len() > 1
    }

    /// Writes the legend with its top-left corner at `(lx, top)`; returns the texts written.
    pub(super) fn write(
        &self,
        s: &mut String,
        traces: &[TraceInfo],
        colors: &TraceColors,
        (lx, top): (f64, f64),
    ) -> usize {
        let mut texts = 0;
        s.push_str("<g id=\"legend\" class=\"legend\">\n");
        let _ = writeln!(
            s,
            "<text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"{LEGEND_FONT}\" fill=\"#222222\">{HEADING}</text>",
            top + 9.0
        );
        texts += 1;
        let first = top + LEGEND_LINE;
        let mut bottom = first;
        for (c, column) in self.columns.iter().enumerate() {
            let x = lx + c as f64 * (self.column_w + COLUMN_GAP);
            for (k, line) in column.iter().enumerate() {
                let y = first + k as f64 * LEGEND_LINE;
                bottom = bottom.max(y + LEGEND_LINE);
                match line {
                    Line::Section(t) | Line::Target(t) => {
                        let (class, text_class, fill) = if let Line::Section(_) = line {
                            ("legend-vantage", "legend-section", "#000000")
                        } else {
                            ("legend-target", "legend-target-name", "#222222")
                        };
                        // The whole name in a tooltip only where it is cut: a target's title
                        // is otherwise its node's alone.
                        let shown = text::fit(t, LEGEND_FONT, (self.column_w - 4.0) / BOLD_WIDTH);
                        let title = if shown == *t {
                            String::new()
                        } else {
                            format!("<title>{}</title>", esc(t))
                        };
                        let _ = writeln!(
                            s,
                            "<g class=\"{class}\">{title}<text class=\"{text_class}\" x=\"{x:.1}\" y=\"{:.1}\" font-size=\"{LEGEND_FONT}\" font-weight=\"bold\" fill=\"{fill}\">{}</text></g>",
                            y + 9.0,
                            esc(&shown)
                        );
                    }
                    Line::Entry(i, t) => {
                        let color = colors.color(*i);
                        // The tooltip names the trace whole: target:port, from where.
                        let whole =
                            traces
                                .get(*i)
                                .map_or_else(String::new, |tr| match &tr.vantage {
                                    Some(v) => format!("{} from {v}", tr.label()),
                                    None => tr.label(),
                                });
                        let _ = writeln!(
                            s,
                            "<g id=\"legend-{i}\" class=\"legend-entry trace-{i}\"><title>{}</title><line x1=\"{:.1}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"{color}\" stroke-width=\"3\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{LEGEND_FONT}\" fill=\"#222222\">{}</text></g>",
                            esc(&whole),
                            x + MARK_X.0,
                            x + MARK_X.1,
                            x + ENTRY_TEXT_X,
                            y + 9.0,
                            esc(&text::fit(
                                t,
                                LEGEND_FONT,
                                self.column_w - ENTRY_TEXT_X - 4.0
                            )),
                            yy = y + 5.0
                        );
                    }
                }
                texts += 1;
            }
        }
        let _ = writeln!(
            s,
            "<text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"{KEY_FONT}\" fill=\"#666666\">{KEY_TEXT}</text>",
            bottom + 14.0
        );
        texts += 1;
        s.push_str("</g>\n");
        texts
    }
}
