//! The table of values that fetch and xport return, and its JSON.

use std::fmt::Write as _;

use serde::ser::{SerializeSeq as _, SerializeStruct as _};
use serde::{Serialize, Serializer};

use crate::exp_format::c_exp;
#[cfg(feature = "librrd")]
use crate::ffi;
use crate::sample::Sample;

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
    /// A table from its parts; `values` is row-major, `names.len()` values per row.
    pub(crate) fn new(
        start: i64,
        end: i64,
        step: u64,
        names: Vec<String>,
        values: Vec<f64>,
    ) -> Self {
        Self {
            start,
            end,
            step,
            names,
            values,
        }
    }

    #[cfg(feature = "librrd")]
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
            self.values
                .chunks(self.names.len())
                .map(|r| r.get(idx).copied().unwrap_or(f64::NAN))
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

/// A series as JSON: `{"start", "end", "step", "columns": [names], "rows": [[time, v, ...]]}`,
/// each row its end time then one [`Sample`] per column (`null` for UNKN, `"inf"`/`"-inf"`).
impl Serialize for Series {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut doc = s.serialize_struct("Series", 5)?;
        doc.serialize_field("start", &self.start)?;
        doc.serialize_field("end", &self.end)?;
        doc.serialize_field("step", &self.step)?;
        doc.serialize_field("columns", &self.names)?;
        doc.serialize_field("rows", &Rows(self))?;
        doc.end()
    }
}

/// The rows of a series, written without copying the table.
struct Rows<'a>(&'a Series);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut rows = s.serialize_seq(Some(self.0.len()))?;
        for (time, values) in self.0.rows() {
            rows.serialize_element(&Row { time, values })?;
        }
        rows.end()
    }
}

/// `[time, v, ...]`.
struct Row<'a> {
    time: i64,
    values: &'a [f64],
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut row = s.serialize_seq(Some(self.values.len() + 1))?;
        row.serialize_element(&self.time)?;
        for v in self.values {
            row.serialize_element(&Sample(*v))?;
        }
        row.end()
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Series {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Series")
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let sample = generator.subschema_for::<Sample>();
        schemars::json_schema!({
            "description": "A table of values over time (rrdtool fetch and xport).",
            "type": "object",
            "properties": {
                "start": {
                    "description": "The time before the first row, seconds since the epoch.",
                    "type": "integer"
                },
                "end": {
                    "description": "The time of the last row, seconds since the epoch.",
                    "type": "integer"
                },
                "step": {
                    "description": "Seconds between rows.",
                    "type": "integer",
                    "minimum": 1
                },
                "columns": {
                    "description": "Column names: data sources (fetch) or legends (xport).",
                    "type": "array",
                    "items": { "type": "string" }
                },
                "rows": {
                    "description": "Each row: the end time of its interval, then one value per column.",
                    "type": "array",
                    "items": {
                        "type": "array",
                        "minItems": 1,
                        "prefixItems": [{ "type": "integer" }],
                        "items": sample
                    }
                }
            },
            "required": ["start", "end", "step", "columns", "rows"],
            "additionalProperties": false
        })
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

    #[test]
    fn series_json_has_time_first_rows_and_null_for_unknown() {
        let s = Series {
            start: 0,
            end: 600,
            step: 300,
            names: vec!["a".into(), "b".into()],
            values: vec![1.0, f64::INFINITY, 3.0, f64::NAN],
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"start":0,"end":600,"step":300,"columns":["a","b"],"rows":[[300,1.0,"inf"],[600,3.0,null]]}"#
        );
    }
}
