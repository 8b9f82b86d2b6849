//! The answers of `rrdtool first` and `rrdtool last` as values with a JSON form.

use serde::Serialize;

/// The time of the first value an archive keeps (`rrdtool first`), with the archive.
///
/// JSON: `{"rraindex": 0, "time": 1767045900}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct FirstTime {
    /// The archive, from 0.
    pub rraindex: usize,
    /// Seconds since the epoch.
    pub time: i64,
}

impl FirstTime {
    /// The first time `time` of archive `rraindex`.
    pub fn new(rraindex: usize, time: i64) -> Self {
        Self { rraindex, time }
    }
}

/// The time of the last update (`rrdtool last`).
///
/// JSON: `{"time": 1767225900}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct LastTime {
    /// Seconds since the epoch.
    pub time: i64,
}

impl LastTime {
    /// The last update at `time`.
    pub fn new(time: i64) -> Self {
        Self { time }
    }
}
