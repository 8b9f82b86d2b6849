//! The drawn shape of an edge: straight down while it is level with a row, curving only in the
//! band between two rows. What sits on a row beside an edge's own slot (an AS title, another
//! node) is then never crossed, however far the edge moves sideways between the rows.

use std::fmt::Write as _;

use crate::layout::Layout;

/// How far above and below a row's centre an edge runs straight: past the tallest thing on a
/// row, a three-line AS title, and the stroke's half width.
pub(crate) const ROW_CLEAR: f64 = 21.0;

/// One piece of an edge's route, from where the previous piece ended.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Piece {
    Line((f64, f64)),
    Cubic((f64, f64), (f64, f64), (f64, f64)),
}

/// An edge's route: its start and pieces.
#[derive(Clone, Debug)]
pub(crate) struct Route {
    pub(crate) start: (f64, f64),
    pub(crate) pieces: Vec<Piece>,
}

impl Route {
    /// The route through `pts` (ends on node borders, bend points on row centres), whose rows
    /// have their centres at `rows`, moved right by `off`.
    pub(crate) fn new(pts: &[(f64, f64)], rows: &[f64], off: f64) -> Self {
        let start = (
            pts.first().map_or(0.0, |p| p.0) + off,
            pts.first().map_or(0.0, |p| p.1),
        );
        let mut pieces = Vec::with_capacity(pts.len() * 3);
        for (w, r) in pts.windows(2).zip(rows.windows(2)) {
            let (x0, y0) = (w[0].0 + off, w[0].1);
            let (x1, y1) = (w[1].0 + off, w[1].1);
            let (ya, yb) = ((r[0] + ROW_CLEAR).max(y0), (r[1] - ROW_CLEAR).min(y1));
            if yb <= ya {
                // Rows too close (or an edge drawn upwards): one curve end to end.
                let ym = f64::midpoint(y0, y1);
                pieces.push(Piece::Cubic((x0, ym), (x1, ym), (x1, y1)));
                continue;
            }
            if ya > y0 {
                pieces.push(Piece::Line((x0, ya)));
            }
            let ym = f64::midpoint(ya, yb);
            pieces.push(Piece::Cubic((x0, ym), (x1, ym), (x1, yb)));
            if yb < y1 {
                pieces.push(Piece::Line((x1, y1)));
            }
        }
        Self { start, pieces }
    }

    /// The SVG path data, moved by `(ox, oy)`.
    pub(crate) fn path_data(&self, (ox, oy): (f64, f64)) -> String {
        let mut d = String::new();
        let _ = write!(d, "M{:.1},{:.1}", ox + self.start.0, oy + self.start.1);
        for p in &self.pieces {
            match *p {
                Piece::Line((x, y)) => {
                    let _ = write!(d, " L{:.1},{:.1}", ox + x, oy + y);
                }
                Piece::Cubic(a, b, c) => {
                    let _ = write!(
                        d,
                        " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                        ox + a.0,
                        oy + a.1,
                        ox + b.0,
                        oy + b.1,
                        ox + c.0,
                        oy + c.1
                    );
                }
            }
        }
        d
    }

    /// The route as a polyline, each curve in `steps` straight pieces.
    pub(crate) fn polyline(&self, steps: u32) -> Vec<(f64, f64)> {
        let mut out = vec![self.start];
        for p in &self.pieces {
            match *p {
                Piece::Line(q) => out.push(q),
                Piece::Cubic(a, b, c) => {
                    let p0 = out.last().copied().unwrap_or(self.start);
                    for k in 1..=steps {
                        out.push(cubic(p0, a, b, c, f64::from(k) / f64::from(steps)));
                    }
                }
            }
        }
        out
    }
}

fn cubic(p0: (f64, f64), a: (f64, f64), b: (f64, f64), c: (f64, f64), t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    let f = |p: f64, q: f64, r: f64, s: f64| {
        u * u * u * p + 3.0 * u * u * t * q + 3.0 * u * t * t * r + t * t * t * s
    };
    (f(p0.0, a.0, b.0, c.0), f(p0.1, a.1, b.1, c.1))
}

/// The x of a polyline that runs downwards at height `y`, `None` outside its span.
pub(crate) fn x_at(line: &[(f64, f64)], y: f64) -> Option<f64> {
    line.windows(2).find_map(|w| {
        let (a, b) = (w[0], w[1]);
        let (lo, hi) = if a.1 <= b.1 { (a, b) } else { (b, a) };
        if y < lo.1 || y > hi.1 {
            return None;
        }
        if hi.1 - lo.1 < 1e-9 {
            return Some(lo.0.max(hi.0));
        }
        Some(lo.0 + (hi.0 - lo.0) * (y - lo.1) / (hi.1 - lo.1))
    })
}

const PARALLEL: f64 = 3.0;
/// How far the outermost line of a bundle stays from the sides of its nodes.
const BUNDLE_INSET: f64 = 6.0;

/// The x offset of line `k` of a bundle of `n` parallel lines along `path`: [`PARALLEL`]
/// apart, closer where that would spread the bundle wider than the narrower of its two ends
/// (dozens of traces through one router stay on its node instead of fanning past it).
pub(super) fn bundle_offset(layout: &Layout, path: &[usize], k: usize, n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let ends = [path.first(), path.last()];
    let room = ends
        .iter()
        .filter_map(|i| i.and_then(|&i| layout.items.get(i)))
        .map(|it| it.w - 2.0 * BUNDLE_INSET)
        .fold(f64::MAX, f64::min)
        .max(0.0);
    let step = PARALLEL.min(room / (n as f64 - 1.0));
    (k as f64 - (n as f64 - 1.0) / 2.0) * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_straight_while_level_with_a_row() {
        // Node bottom 15 under row 0, node top 13 above row 78, far apart sideways.
        let r = Route::new(&[(0.0, 15.0), (500.0, 65.0)], &[0.0, 78.0], 0.0);
        let line = r.polyline(16);
        for &(x, y) in &line {
            if y <= ROW_CLEAR {
                assert!(x.abs() < 1e-9, "{x},{y}");
            }
            if y >= 78.0 - ROW_CLEAR {
                assert!((x - 500.0).abs() < 1e-9, "{x},{y}");
            }
        }
        assert_eq!(line.last(), Some(&(500.0, 65.0)));
        assert_eq!(x_at(&line, 39.0).map(f64::round), Some(250.0));
    }
}
