//! What to fetch (`rrdtool fetch`), and the table of values that fetch and xport return.

use std::fmt::Write as _;

use crate::ffi;
use crate::info::c_exp;
use crate::value::Cf;

/// What to fetch: consolidation, time range, resolution.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct FetchRequest {
    cf: Cf,
    start: Option<String>,
    end: Option<String>,
    resolution: Option<u64>,
    align_start: bool,
}

impl FetchRequest {
    /// Fetches `cf` over rrdtool's default range (the last day).
    pub fn new(cf: Cf) -> Self {
        Self {
            cf,
            start: None,
            end: None,
            resolution: None,
            align_start: false,
        }
    }

    /// Start, seconds since the epoch.
    pub fn start(mut self, time: i64) -> Self {
        self.start = Some(time.to_string());
        self
    }

    /// End, seconds since the epoch.
    pub fn end(mut self, time: i64) -> Self {
        self.end = Some(time.to_string());
        self
    }

    /// Start as an at-style time (`-1d`, `end-2h`, ...).
    pub fn start_at(mut self, at: impl Into<String>) -> Self {
        self.start = Some(at.into());
        self
    }

    /// End as an at-style time.
    pub fn end_at(mut self, at: impl Into<String>) -> Self {
        self.end = Some(at.into());
        self
    }

    /// Preferred resolution in seconds (`--resolution`).
    pub fn resolution(mut self, seconds: u64) -> Self {
        self.resolution = Some(seconds);
        self
    }

    /// Align the start to the resolution (`--align-start`).
    pub fn align_start(mut self) -> Self {
        self.align_start = true;
        self
    }

    /// The arguments after the file name, as `rrdtool fetch` takes them.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![self.cf.as_str().to_owned()];
        if let Some(s) = &self.start {
            args.push(format!("--start={s}"));
        }
        if let Some(e) = &self.end {
            args.push(format!("--end={e}"));
        }
        if let Some(r) = self.resolution {
            args.push(format!("--resolution={r}"));
        }
        if self.align_start {
            args.push("--align-start".into());
        }
        args
    }
}

/// A table of values over time, as fetch and xport return it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    start: i64,
    end: i64,
    step: u64,
    names: Vec<String>,
    values: Vec<f64>,
}

impl Series {
    pub(crate) fn from_matrix(m: ffi::Matrix) -> Self {
        Self {
            start: m.start,
            end: m.end,
            step: m.step,
            names: m.names,
            values: m.values,
        }
    }

    /// The start librrd chose (the time *before* the first row).
    pub fn start(&self) -> i64 {
        self.start
    }

    /// The end librrd chose (the time of the last row).
    pub fn end(&self) -> i64 {
        self.end
    }

    /// The step between rows, in seconds.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Column names: data sources for fetch, legends for xport.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        if self.names.is_empty() {
            0
        } else {
            self.values.len() / self.names.len()
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows: `(time, values)`, where the time is the end of the row's interval, as
    /// `rrdtool fetch` prints it. Unknown values are NaN.
    pub fn rows(&self) -> impl Iterator<Item = (i64, &[f64])> {
        let step = i64::try_from(self.step).unwrap_or(i64::MAX);
        self.values
            .chunks(self.names.len().max(1))
            .enumerate()
            .map(move |(i, row)| {
                let i = i64::try_from(i).unwrap_or(i64::MAX);
                (
                    self.start
                        .saturating_add(step.saturating_mul(i.saturating_add(1))),
                    row,
                )
            })
    }

    /// The column named `name`, one value per row.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let idx = self.names.iter().position(|n| n == name)?;
        Some(
            self.rows()
                .map(|(_, r)| r.get(idx).copied().unwrap_or(f64::NAN))
                .collect(),
        )
    }

    /// The table exactly as `rrdtool fetch` prints it: a header of names, then `time: v v`
    /// lines with values as `%0.10e` (`-nan` for unknown).
    pub fn to_text(&self) -> String {
        let mut out = " ".repeat(11);
        for n in &self.names {
            let _ = write!(out, "{n:>20}");
        }
        out.push_str("\n\n");
        for (t, row) in self.rows() {
            let _ = write!(out, "{t:>10}:");
            for v in row {
                if v.is_nan() {
                    out.push_str(" -nan");
                } else {
                    let _ = write!(out, " {}", c_exp(*v, 10));
                }
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_rows_are_end_stamped() {
        let s = Series {
            start: 0,
            end: 600,
            step: 300,
            names: vec!["a".into(), "b".into()],
            values: vec![1.0, 2.0, 3.0, f64::NAN],
        };
        let rows: Vec<_> = s.rows().map(|(t, r)| (t, r.to_vec())).collect();
        assert_eq!(rows[0], (300, vec![1.0, 2.0]));
        assert_eq!(rows[1].0, 600);
        assert_eq!(s.column("a"), Some(vec![1.0, 3.0]));
        assert!(s.to_text().contains("600: 3.0000000000e+00 -nan"));
    }
}
