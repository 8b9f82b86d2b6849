//! `rrdtool info` of one RRD as a typed structure (the JSON of `opskit rrd info --json`).
//!
//! librrd's info list is flat (`ds[eth0_in].type`, `rra[1].cdp_prep[0].intercept`, ...): this
//! groups it into the header, one [`DsInfo`] per data source and one [`RraInfo`] per archive,
//! each field typed. A key that none of these holds is kept in [`RrdInfo::other`], so a newer
//! librrd's additions are never dropped.

use serde::Serialize;
use serde::ser::SerializeMap as _;

use crate::info::{Info, InfoValue};
use crate::rrd_error::RrdError;
use crate::sample::Sample;

/// The header and state of an RRD, as `rrdtool info` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct RrdInfo {
    /// The file name, as given.
    pub filename: String,
    /// The file format version (`0003`, `0004`, ...).
    pub rrd_version: String,
    /// The base interval in seconds.
    pub step: u64,
    /// Time of the last update, seconds since the epoch.
    pub last_update: i64,
    /// Size of the header in bytes.
    pub header_size: u64,
    /// The data sources, in the file's order.
    pub ds: Vec<DsInfo>,
    /// The archives, in the file's order.
    pub rra: Vec<RraInfo>,
    /// Entries this structure has no field for, `key: value` as librrd named them (empty with
    /// librrd 1.7).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, InfoValue>")
    )]
    #[serde(serialize_with = "entries")]
    pub other: Vec<(String, InfoValue)>,
}

/// A data source of [`RrdInfo`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct DsInfo {
    /// The name.
    pub name: String,
    /// Position in the file, from 0.
    pub index: u64,
    /// `GAUGE`, `COUNTER`, `DCOUNTER`, `DERIVE`, `DDERIVE`, `ABSOLUTE` or `COMPUTE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds without an update before the value is unknown (not for `COMPUTE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimal_heartbeat: Option<u64>,
    /// The smallest valid value, UNKN for none (not for `COMPUTE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Sample>,
    /// The largest valid value, UNKN for none (not for `COMPUTE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Sample>,
    /// The RPN expression of a `COMPUTE` data source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdef: Option<String>,
    /// The last value given, as text (`U` for unknown).
    pub last_ds: String,
    /// The value accumulated for the current step.
    pub value: Sample,
    /// Seconds of the current step that are unknown.
    pub unknown_sec: u64,
}

/// An archive of [`RrdInfo`]. Which parameters are present depends on the consolidation
/// function, as in `rrdtool info`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct RraInfo {
    /// The consolidation function (`AVERAGE`, ..., `HWPREDICT`, `FAILURES`).
    pub cf: String,
    /// Rows kept.
    pub rows: u64,
    /// The row written last.
    pub cur_row: u64,
    /// Primary data points per row.
    pub pdp_per_row: u64,
    /// Fraction of unknown points a row may have (AVERAGE, MIN, MAX, LAST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xff: Option<Sample>,
    /// Intercept smoothing (HWPREDICT, MHWPREDICT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<Sample>,
    /// Slope smoothing (HWPREDICT, MHWPREDICT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<Sample>,
    /// Seasonal smoothing (SEASONAL, DEVSEASONAL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<Sample>,
    /// Seasonal smoothing window (SEASONAL, DEVSEASONAL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoothing_window: Option<Sample>,
    /// Upper deviation scale (FAILURES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta_pos: Option<Sample>,
    /// Lower deviation scale (FAILURES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta_neg: Option<Sample>,
    /// Violations in the window that make a failure (FAILURES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u64>,
    /// The window of the failure test (FAILURES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_length: Option<u64>,
    /// The consolidation state, one per data source.
    pub cdp_prep: Vec<CdpPrep>,
}

/// The consolidation state of one data source in one archive ([`RraInfo::cdp_prep`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct CdpPrep {
    /// The value being consolidated (AVERAGE, MIN, MAX, LAST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Sample>,
    /// Unknown points in the row being consolidated (AVERAGE, MIN, MAX, LAST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_datapoints: Option<u64>,
    /// Holt-Winters intercept (HWPREDICT, MHWPREDICT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intercept: Option<Sample>,
    /// Holt-Winters slope (HWPREDICT, MHWPREDICT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slope: Option<Sample>,
    /// Unknown values in a row (HWPREDICT, MHWPREDICT).
    #[serde(rename = "NaN_count", skip_serializing_if = "Option::is_none")]
    pub nan_count: Option<u64>,
    /// The seasonal coefficient (SEASONAL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seasonal: Option<Sample>,
    /// The seasonal deviation (DEVSEASONAL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deviation: Option<Sample>,
    /// The violation history, one `0`/`1` per step of the window (FAILURES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
}

/// Writes `(key, value)` pairs as one JSON object, in their order.
fn entries<S: serde::Serializer>(list: &[(String, InfoValue)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(list.len()))?;
    for (k, v) in list {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// `ds[NAME].FIELD` → `(NAME, FIELD)`.
fn ds_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("ds[")?;
    let (name, field) = rest.split_once("].")?;
    Some((name, field))
}

/// `rra[I].FIELD` → `(I, FIELD)`.
fn rra_key(key: &str) -> Option<(usize, &str)> {
    let rest = key.strip_prefix("rra[")?;
    let (idx, field) = rest.split_once("].")?;
    Some((idx.parse().ok()?, field))
}

/// `cdp_prep[J].FIELD` → `(J, FIELD)`.
fn cdp_key(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("cdp_prep[")?;
    let (idx, field) = rest.split_once("].")?;
    Some((idx.parse().ok()?, field))
}

/// The most archives or data sources an info list may index: a larger index is not from a
/// file librrd opened (the header check caps both), so it is kept in `other`, not allocated.
const MAX_INDEX: usize = 10_000;

/// Grows `list` to hold index `i` (at most [`MAX_INDEX`]).
fn slot<T: Default>(list: &mut Vec<T>, i: usize) -> Option<&mut T> {
    if i >= MAX_INDEX {
        return None;
    }
    if list.len() <= i {
        list.resize_with(i + 1, T::default);
    }
    list.get_mut(i)
}

fn sample(v: &InfoValue) -> Option<Sample> {
    match v {
        InfoValue::Value(x) => Some(Sample(*x)),
        _ => None,
    }
}

fn count(v: &InfoValue) -> Option<u64> {
    v.as_u64()
}

fn text(v: &InfoValue) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Sets `slot` from `v` when `v` converts; false (the entry goes to `other`) when it doesn't.
fn put<T>(slot: &mut T, v: Option<T>) -> bool {
    match v {
        Some(v) => {
            *slot = v;
            true
        }
        None => false,
    }
}

impl DsInfo {
    fn set(&mut self, field: &str, v: &InfoValue) -> bool {
        match field {
            "index" => put(&mut self.index, count(v)),
            "type" => put(&mut self.kind, text(v)),
            "minimal_heartbeat" => put(&mut self.minimal_heartbeat, count(v).map(Some)),
            "min" => put(&mut self.min, sample(v).map(Some)),
            "max" => put(&mut self.max, sample(v).map(Some)),
            "cdef" => put(&mut self.cdef, text(v).map(Some)),
            "last_ds" => put(&mut self.last_ds, text(v)),
            "value" => put(&mut self.value, sample(v)),
            "unknown_sec" => put(&mut self.unknown_sec, count(v)),
            _ => false,
        }
    }
}

impl RraInfo {
    fn set(&mut self, field: &str, v: &InfoValue) -> bool {
        if let Some((j, field)) = cdp_key(field) {
            return slot(&mut self.cdp_prep, j).is_some_and(|c| c.set(field, v));
        }
        let f = |v: &InfoValue| sample(v).map(Some);
        match field {
            "cf" => put(&mut self.cf, text(v)),
            "rows" => put(&mut self.rows, count(v)),
            "cur_row" => put(&mut self.cur_row, count(v)),
            "pdp_per_row" => put(&mut self.pdp_per_row, count(v)),
            "xff" => put(&mut self.xff, f(v)),
            "alpha" => put(&mut self.alpha, f(v)),
            "beta" => put(&mut self.beta, f(v)),
            "gamma" => put(&mut self.gamma, f(v)),
            "smoothing_window" => put(&mut self.smoothing_window, f(v)),
            "delta_pos" => put(&mut self.delta_pos, f(v)),
            "delta_neg" => put(&mut self.delta_neg, f(v)),
            "failure_threshold" => put(&mut self.failure_threshold, count(v).map(Some)),
            "window_length" => put(&mut self.window_length, count(v).map(Some)),
            _ => false,
        }
    }
}

impl CdpPrep {
    fn set(&mut self, field: &str, v: &InfoValue) -> bool {
        let f = |v: &InfoValue| sample(v).map(Some);
        match field {
            "value" => put(&mut self.value, f(v)),
            "unknown_datapoints" => put(&mut self.unknown_datapoints, count(v).map(Some)),
            "intercept" => put(&mut self.intercept, f(v)),
            "slope" => put(&mut self.slope, f(v)),
            "NaN_count" => put(&mut self.nan_count, count(v).map(Some)),
            "seasonal" => put(&mut self.seasonal, f(v)),
            "deviation" => put(&mut self.deviation, f(v)),
            "history" => put(&mut self.history, text(v).map(Some)),
            _ => false,
        }
    }
}

impl RrdInfo {
    /// Groups the info list of `rrdtool info` ([`Rrd::info`](crate::Rrd::info)).
    ///
    /// # Errors
    ///
    /// [`RrdError::Output`] when a header field (`filename`, `rrd_version`, `step`,
    /// `last_update`) is missing or of the wrong type: the list is not `rrdtool info`'s.
    pub fn from_info(info: &Info) -> Result<Self, RrdError> {
        let mut out = Self {
            filename: String::new(),
            rrd_version: String::new(),
            step: 0,
            last_update: 0,
            header_size: 0,
            ds: Vec::new(),
            rra: Vec::new(),
            other: Vec::new(),
        };
        let mut seen = [false; 4];
        for (key, v) in info.iter() {
            let kept = match key {
                "filename" => put(&mut out.filename, text(v)) && mark(&mut seen[0]),
                "rrd_version" => put(&mut out.rrd_version, text(v)) && mark(&mut seen[1]),
                "step" => put(&mut out.step, count(v)) && mark(&mut seen[2]),
                "last_update" => put(&mut out.last_update, v.as_i64()) && mark(&mut seen[3]),
                "header_size" => put(&mut out.header_size, count(v)),
                _ => {
                    if let Some((name, field)) = ds_key(key) {
                        out.ds_named(name).is_some_and(|d| d.set(field, v))
                    } else if let Some((i, field)) = rra_key(key) {
                        slot(&mut out.rra, i).is_some_and(|r| r.set(field, v))
                    } else {
                        false
                    }
                }
            };
            if !kept {
                out.other.push((key.to_owned(), v.clone()));
            }
        }
        let names = ["filename", "rrd_version", "step", "last_update"];
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(RrdError::Output {
                op: "info",
                detail: format!("no {} (or of the wrong type)", names[i]),
            });
        }
        Ok(out)
    }

    /// The data source `name`, added in the order the list names them.
    fn ds_named(&mut self, name: &str) -> Option<&mut DsInfo> {
        let i = match self.ds.iter().position(|d| d.name == name) {
            Some(i) => i,
            None if self.ds.len() < MAX_INDEX => {
                self.ds.push(DsInfo {
                    name: name.to_owned(),
                    ..DsInfo::default()
                });
                self.ds.len() - 1
            }
            None => return None,
        };
        self.ds.get_mut(i)
    }
}

fn mark(seen: &mut bool) -> bool {
    *seen = true;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_the_flat_list_and_keeps_unknown_keys() {
        let info = Info::new(vec![
            ("filename".into(), InfoValue::Text("a.rrd".into())),
            ("rrd_version".into(), InfoValue::Text("0003".into())),
            ("step".into(), InfoValue::Count(300)),
            ("last_update".into(), InfoValue::Count(1000)),
            ("ds[in].index".into(), InfoValue::Count(0)),
            ("ds[in].type".into(), InfoValue::Text("GAUGE".into())),
            ("ds[in].max".into(), InfoValue::Value(f64::NAN)),
            ("rra[1].cf".into(), InfoValue::Text("HWPREDICT".into())),
            ("rra[1].cdp_prep[0].NaN_count".into(), InfoValue::Count(1)),
            ("rra[99999].cf".into(), InfoValue::Text("MAX".into())),
            ("future".into(), InfoValue::Int(-1)),
        ]);
        let r = RrdInfo::from_info(&info).unwrap();
        assert_eq!(r.ds[0].kind, "GAUGE");
        assert!(r.ds[0].max.unwrap().is_unknown());
        assert_eq!(r.rra.len(), 2);
        assert_eq!(r.rra[1].cdp_prep[0].nan_count, Some(1));
        let other: Vec<&str> = r.other.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(other, ["rra[99999].cf", "future"]);
        let doc = serde_json::to_value(&r).unwrap();
        assert_eq!(doc["ds"][0]["max"], serde_json::Value::Null);
        assert_eq!(doc["other"]["future"], -1);
        assert_eq!(doc["rra"][1]["cdp_prep"][0]["NaN_count"], 1);

        let no_step = Info::new(vec![("filename".into(), InfoValue::Text("a".into()))]);
        assert!(matches!(
            RrdInfo::from_info(&no_step),
            Err(RrdError::Output { .. })
        ));
    }
}
