//! Typed RRD operations through librrd: create, update, info, first, last, lastupdate, fetch,
//! xport and flush, with rrdcached support.
//!
//! Every operation goes through librrd's argv entry point, the same one the `rrdtool` command
//! calls, so the behaviour (and every error message) is rrdtool's own. rrdcached is reached in
//! the three ways rrdtool offers:
//! - [`Rrd::daemon`] passes `--daemon <address>` to each operation;
//! - the `RRDCACHED_ADDRESS` environment variable is honoured by librrd when no daemon is given;
//! - a graph's or xport's `DEF:...:daemon=<address>` and `--daemon` arguments pass through.

use std::ffi::OsStr;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::ffi;

/// A failure of a librrd operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RrdError {
    /// librrd refused the operation. `message` is rrdtool's own message, unchanged.
    #[error("rrdtool {op}: {message}")]
    Librrd {
        /// The operation: `graph`, `create`, `update`, `info`, `fetch`, ...
        op: &'static str,
        /// librrd's error text.
        message: String,
    },
    /// An argument holds a NUL byte, which librrd's C strings cannot carry.
    #[error("rrdtool {op}: argument {index} contains a NUL byte")]
    NulByte {
        /// The operation.
        op: &'static str,
        /// Index of the argument (0 is the first argument after the command name).
        index: usize,
    },
    /// An argument was refused before librrd was called.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was refused (a field or an operation).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// librrd answered, but without an item we need or with one of the wrong type.
    #[error("rrdtool {op}: unexpected output: {detail}")]
    Output {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The file's header is corrupt or not an RRD: refused before librrd (which would crash on
    /// it) opened the file. See [`check_header`](crate::check_header).
    #[error("{}: bad RRD header: {field}: {reason}", path.display())]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The header field: `cookie`, `version`, `float_cookie`, `ds_cnt`, `rra_cnt`,
        /// `pdp_step`, `rra_def.row_cnt` or `length`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A batch worker process failed (it could not start, died, or broke the protocol).
    #[error("batch worker: {0}")]
    Worker(String),
}

/// One value of librrd's info lists (`rrdtool info`, `graphv`, `updatev`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InfoValue {
    /// A floating-point value (`RD_I_VAL`).
    Value(f64),
    /// A count (`RD_I_CNT`).
    Count(u64),
    /// An integer (`RD_I_INT`).
    Int(i64),
    /// A string (`RD_I_STR`).
    Text(String),
    /// Binary data (`RD_I_BLO`), such as graphv's `image`.
    Blob(Vec<u8>),
}

impl InfoValue {
    /// The value as a float, for [`InfoValue::Value`], [`InfoValue::Count`] and
    /// [`InfoValue::Int`].
    #[expect(clippy::cast_precision_loss, reason = "info counts are far below 2^52")]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::Count(c) => Some(*c as f64),
            Self::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The value as an unsigned count, for [`InfoValue::Count`] and non-negative
    /// [`InfoValue::Int`].
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Count(c) => Some(*c),
            Self::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        }
    }

    /// The value as text, for [`InfoValue::Text`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for InfoValue {
    /// Formats the value the way `rrd_info_print` does: `%0.10e` (or `NaN`) for values,
    /// quoted strings, and `BLOB_SIZE:<n>` for blobs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(v) => f.write_str(&c_exp(*v, 10)),
            Self::Count(c) => write!(f, "{c}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Text(s) => write!(f, "\"{s}\""),
            Self::Blob(b) => write!(f, "BLOB_SIZE:{}", b.len()),
        }
    }
}

/// Formats `v` like C's `%.{prec}e` (`1.5000000000e+03`), and NaN as rrdtool prints it.
pub(crate) fn c_exp(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let s = format!("{v:.prec$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// An ordered info list, as librrd returned it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Info {
    entries: Vec<(String, InfoValue)>,
}

impl Info {
    pub(crate) fn new(entries: Vec<(String, InfoValue)>) -> Self {
        Self { entries }
    }

    /// The value of `key` (the first one, should librrd repeat a key).
    pub fn get(&self, key: &str) -> Option<&InfoValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Every entry, in librrd's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &InfoValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when librrd returned nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The values of the indexed keys `name[0]`, `name[1]`, ... in index order (`print`,
    /// `legend`, `coords`).
    pub fn indexed(&self, name: &str) -> Vec<&InfoValue> {
        let mut found: Vec<(usize, &InfoValue)> = self
            .entries
            .iter()
            .filter_map(|(k, v)| {
                let idx = k.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')?;
                Some((idx.parse().ok()?, v))
            })
            .collect();
        found.sort_by_key(|(i, _)| *i);
        found.into_iter().map(|(_, v)| v).collect()
    }

    /// The list as `rrdtool info` (and `graphv`) print it: `key = value` lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.entries {
            let _ = writeln!(out, "{k} = {v}");
        }
        out
    }

    pub(crate) fn take(&mut self, key: &str) -> Option<InfoValue> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }
}

impl<'a> IntoIterator for &'a Info {
    type Item = &'a (String, InfoValue);
    type IntoIter = std::slice::Iter<'a, (String, InfoValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

// One consolidation-function type for the whole crate: the spec half defines it (with the
// Holt-Winters CFs a DEF may read) in value.rs; RRAs and fetches use the same type.
pub use crate::value::Cf;

/// The type of a data source.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DsType {
    /// `GAUGE`: the value as given.
    Gauge,
    /// `COUNTER`: a growing counter (wraps at 32 or 64 bits).
    Counter,
    /// `DCOUNTER`: a floating-point counter.
    DCounter,
    /// `DERIVE`: a counter that may fall.
    Derive,
    /// `DDERIVE`: a floating-point `DERIVE`.
    DDerive,
    /// `ABSOLUTE`: a counter reset on each read.
    Absolute,
    /// `COMPUTE`: an RPN expression over the other data sources of the RRD.
    Compute(String),
}

/// A data source of [`CreateSpec`]: `DS:name:TYPE:heartbeat:min:max`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    name: String,
    kind: DsType,
    heartbeat: u64,
    min: Option<f64>,
    max: Option<f64>,
}

impl DataSource {
    /// A data source of `kind` with a heartbeat in seconds and no limits.
    pub fn new(name: impl Into<String>, kind: DsType, heartbeat: u64) -> Self {
        Self {
            name: name.into(),
            kind,
            heartbeat,
            min: None,
            max: None,
        }
    }

    /// A `GAUGE`.
    pub fn gauge(name: impl Into<String>, heartbeat: u64) -> Self {
        Self::new(name, DsType::Gauge, heartbeat)
    }

    /// A `COUNTER`, as the recipe's `eth0_in`.
    pub fn counter(name: impl Into<String>, heartbeat: u64) -> Self {
        Self::new(name, DsType::Counter, heartbeat)
    }

    /// The smallest valid value; smaller ones are stored as unknown.
    #[must_use]
    pub fn min(mut self, min: f64) -> Self {
        self.min = Some(min);
        self
    }

    /// The largest valid value; larger ones are stored as unknown.
    #[must_use]
    pub fn max(mut self, max: f64) -> Self {
        self.max = Some(max);
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parses a `DS:name:TYPE:heartbeat:min:max` (or `DS:name:COMPUTE:rpn`) argument, as
    /// `rrdtool create` takes it.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming the field that is wrong.
    pub fn parse(arg: &str) -> Result<Self, RrdError> {
        let bad = |what: &'static str, reason: String| RrdError::Invalid { what, reason };
        let rest = arg
            .strip_prefix("DS:")
            .ok_or_else(|| bad("data source", format!("{arg:?} does not start with DS:")))?;
        let mut f = rest.splitn(3, ':');
        let name = f.next().unwrap_or_default();
        let kind = f.next().unwrap_or_default();
        let params = f.next().unwrap_or_default();
        let ds = if kind == "COMPUTE" {
            Self::new(name, DsType::Compute(params.to_owned()), 0)
        } else {
            let kind = match kind {
                "GAUGE" => DsType::Gauge,
                "COUNTER" => DsType::Counter,
                "DCOUNTER" => DsType::DCounter,
                "DERIVE" => DsType::Derive,
                "DDERIVE" => DsType::DDerive,
                "ABSOLUTE" => DsType::Absolute,
                other => {
                    return Err(bad(
                        "data source type",
                        format!(
                            "{other:?} is not GAUGE, COUNTER, DCOUNTER, DERIVE, DDERIVE, \
                             ABSOLUTE or COMPUTE"
                        ),
                    ));
                }
            };
            let p: Vec<&str> = params.split(':').collect();
            let [hb, min, max] = p[..] else {
                return Err(bad(
                    "data source",
                    format!("{arg:?}: expected heartbeat:min:max after the type"),
                ));
            };
            let heartbeat = hb.parse().map_err(|_| {
                bad(
                    "data source heartbeat",
                    format!("{hb:?} is not a whole number of seconds"),
                )
            })?;
            let limit = |v: &str| -> Result<Option<f64>, RrdError> {
                if v == "U" {
                    Ok(None)
                } else {
                    v.parse().map(Some).map_err(|_| {
                        bad("data source limits", format!("{v:?} is not a number or U"))
                    })
                }
            };
            Self {
                name: name.to_owned(),
                kind,
                heartbeat,
                min: limit(min)?,
                max: limit(max)?,
            }
        };
        ds.validate()?;
        Ok(ds)
    }

    fn validate(&self) -> Result<(), RrdError> {
        let ok = !self.name.is_empty()
            && self.name.len() <= 19
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(RrdError::Invalid {
                what: "data source name",
                reason: format!("{:?} must be 1 to 19 of [A-Za-z0-9_-]", self.name),
            });
        }
        if self.heartbeat == 0 && !matches!(self.kind, DsType::Compute(_)) {
            return Err(RrdError::Invalid {
                what: "data source heartbeat",
                reason: format!("{}: the heartbeat must be at least 1 s", self.name),
            });
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo > hi
        {
            return Err(RrdError::Invalid {
                what: "data source limits",
                reason: format!("{}: min {lo} is above max {hi}", self.name),
            });
        }
        if let DsType::Compute(rpn) = &self.kind
            && (rpn.is_empty() || rpn.contains(char::is_whitespace))
        {
            return Err(RrdError::Invalid {
                what: "COMPUTE expression",
                reason: format!("{}: {rpn:?} is not an RPN expression", self.name),
            });
        }
        Ok(())
    }

    /// The `DS:` argument.
    pub fn to_arg(&self) -> String {
        let limit = |v: Option<f64>| v.map_or_else(|| "U".to_owned(), |v| v.to_string());
        let kind = match &self.kind {
            DsType::Gauge => "GAUGE",
            DsType::Counter => "COUNTER",
            DsType::DCounter => "DCOUNTER",
            DsType::Derive => "DERIVE",
            DsType::DDerive => "DDERIVE",
            DsType::Absolute => "ABSOLUTE",
            DsType::Compute(rpn) => return format!("DS:{}:COMPUTE:{rpn}", self.name),
        };
        format!(
            "DS:{}:{kind}:{}:{}:{}",
            self.name,
            self.heartbeat,
            limit(self.min),
            limit(self.max)
        )
    }
}

/// A round-robin archive of [`CreateSpec`]: `RRA:CF:xff:steps:rows`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rra {
    cf: Cf,
    xff: f64,
    steps: u64,
    rows: u64,
}

impl Rra {
    /// An archive that consolidates `steps` primary points per row with `cf`, keeping `rows`
    /// rows; `xff` is the fraction of unknown points allowed in a row (`0 <= xff < 1`).
    pub fn new(cf: Cf, xff: f64, steps: u64, rows: u64) -> Self {
        Self {
            cf,
            xff,
            steps,
            rows,
        }
    }

    fn validate(&self) -> Result<(), RrdError> {
        if !matches!(self.cf, Cf::Average | Cf::Min | Cf::Max | Cf::Last) {
            return Err(RrdError::Invalid {
                what: "RRA consolidation function",
                reason: format!(
                    "{} archives take other parameters; only AVERAGE, MIN, MAX and LAST are \
                     supported here",
                    self.cf
                ),
            });
        }
        if !(0.0..1.0).contains(&self.xff) {
            return Err(RrdError::Invalid {
                what: "RRA xff",
                reason: format!("{} is not in [0, 1)", self.xff),
            });
        }
        if self.steps == 0 || self.rows == 0 {
            return Err(RrdError::Invalid {
                what: "RRA size",
                reason: "steps and rows must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// Parses an `RRA:CF:xff:steps:rows` argument (AVERAGE, MIN, MAX and LAST archives).
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming the field that is wrong.
    pub fn parse(arg: &str) -> Result<Self, RrdError> {
        let bad = |what: &'static str, reason: String| RrdError::Invalid { what, reason };
        let rest = arg
            .strip_prefix("RRA:")
            .ok_or_else(|| bad("archive", format!("{arg:?} does not start with RRA:")))?;
        let f: Vec<&str> = rest.split(':').collect();
        let [cf, xff, steps, rows] = f[..] else {
            return Err(bad(
                "archive",
                format!("{arg:?}: expected RRA:CF:xff:steps:rows"),
            ));
        };
        let cf: Cf = cf
            .parse()
            .map_err(|e| bad("RRA consolidation function", format!("{e}")))?;
        let xff = xff
            .parse()
            .map_err(|_| bad("RRA xff", format!("{xff:?} is not a number")))?;
        let count = |v: &str| -> Result<u64, RrdError> {
            v.parse()
                .map_err(|_| bad("RRA size", format!("{v:?} is not a whole number")))
        };
        let rra = Self::new(cf, xff, count(steps)?, count(rows)?);
        rra.validate()?;
        Ok(rra)
    }

    /// The `RRA:` argument.
    pub fn to_arg(&self) -> String {
        format!("RRA:{}:{}:{}:{}", self.cf, self.xff, self.steps, self.rows)
    }
}

/// The layout of a new RRD: step, start, data sources and archives.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct CreateSpec {
    step: u64,
    start: Option<String>,
    no_overwrite: bool,
    data_sources: Vec<DataSource>,
    archives: Vec<Rra>,
}

impl Default for CreateSpec {
    fn default() -> Self {
        Self::new()
    }
}

impl CreateSpec {
    /// An empty layout with rrdtool's default step of 300 s.
    pub fn new() -> Self {
        Self {
            step: 300,
            start: None,
            no_overwrite: false,
            data_sources: Vec::new(),
            archives: Vec::new(),
        }
    }

    /// The base interval in seconds (`--step`).
    pub fn step(mut self, seconds: u64) -> Self {
        self.step = seconds;
        self
    }

    /// The RRD's start (`--start`), seconds since the epoch: librrd accepts no update at or
    /// before this time. Default: ten seconds ago.
    pub fn start(mut self, time: i64) -> Self {
        self.start = Some(time.to_string());
        self
    }

    /// The start as an at-style time, such as `now-1d` (`--start`).
    pub fn start_at(mut self, at: impl Into<String>) -> Self {
        self.start = Some(at.into());
        self
    }

    /// Refuse to overwrite an existing file (`--no-overwrite`).
    pub fn no_overwrite(mut self) -> Self {
        self.no_overwrite = true;
        self
    }

    /// Adds a data source.
    pub fn data_source(mut self, ds: DataSource) -> Self {
        self.data_sources.push(ds);
        self
    }

    /// Adds an archive.
    pub fn archive(mut self, rra: Rra) -> Self {
        self.archives.push(rra);
        self
    }

    /// Checks the layout.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming the field: no data source, no archive, a bad name, a
    /// duplicate name, a zero step, an xff out of range.
    pub fn validate(&self) -> Result<(), RrdError> {
        if self.step == 0 {
            return Err(RrdError::Invalid {
                what: "step",
                reason: "must be at least 1 s".into(),
            });
        }
        if self.data_sources.is_empty() {
            return Err(RrdError::Invalid {
                what: "data sources",
                reason: "an RRD needs at least one data source".into(),
            });
        }
        if self.archives.is_empty() {
            return Err(RrdError::Invalid {
                what: "archives",
                reason: "an RRD needs at least one RRA".into(),
            });
        }
        for (i, ds) in self.data_sources.iter().enumerate() {
            ds.validate()?;
            if self.data_sources[..i].iter().any(|d| d.name == ds.name) {
                return Err(RrdError::Invalid {
                    what: "data source name",
                    reason: format!("{:?} is defined twice", ds.name),
                });
            }
        }
        self.archives.iter().try_for_each(Rra::validate)
    }

    /// The arguments after the file name, as `rrdtool create` takes them.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec!["--step".to_owned(), self.step.to_string()];
        if let Some(start) = &self.start {
            args.push("--start".into());
            args.push(start.clone());
        }
        if self.no_overwrite {
            args.push("--no-overwrite".into());
        }
        args.extend(self.data_sources.iter().map(DataSource::to_arg));
        args.extend(self.archives.iter().map(Rra::to_arg));
        args
    }
}

/// One update: a time and one value per data source (`None` is unknown, `U`).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    time: Option<i64>,
    values: Vec<Option<f64>>,
}

impl Update {
    /// Values at `time` (seconds since the epoch).
    pub fn at(time: i64, values: impl IntoIterator<Item = f64>) -> Self {
        Self {
            time: Some(time),
            values: values.into_iter().map(Some).collect(),
        }
    }

    /// Values at the current time (`N`).
    pub fn now(values: impl IntoIterator<Item = f64>) -> Self {
        Self {
            time: None,
            values: values.into_iter().map(Some).collect(),
        }
    }

    /// Values where some are unknown.
    pub fn with_unknowns(time: i64, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        Self {
            time: Some(time),
            values: values.into_iter().collect(),
        }
    }

    /// Parses a `time:v1:v2...` argument as `rrdtool update` takes it: the time is `N` or
    /// seconds since the epoch, each value a number or `U`.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming what is wrong.
    pub fn parse(arg: &str) -> Result<Self, RrdError> {
        let bad = |reason: String| RrdError::Invalid {
            what: "update",
            reason,
        };
        let mut f = arg.split(':');
        let time = match f.next().unwrap_or_default() {
            "N" => None,
            t => Some(
                t.parse::<i64>()
                    .map_err(|_| bad(format!("{arg:?}: time {t:?} is not N or seconds")))?,
            ),
        };
        let values = f
            .map(|v| match v {
                "U" => Ok(None),
                v => v
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| bad(format!("{arg:?}: {v:?} is not a number or U"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err(bad(format!("{arg:?} has no values")));
        }
        Ok(Self { time, values })
    }

    /// The `time:v1:v2` argument.
    pub fn to_arg(&self) -> String {
        let mut s = self.time.map_or_else(|| "N".to_owned(), |t| t.to_string());
        for v in &self.values {
            s.push(':');
            match v {
                Some(v) if v.is_finite() => {
                    let _ = write!(s, "{v}");
                }
                _ => s.push('U'),
            }
        }
        s
    }
}

/// The last update of an RRD: its time and the last value given to each data source.
#[derive(Debug, Clone, PartialEq)]
pub struct LastUpdate {
    /// Time of the last update, seconds since the epoch.
    pub time: i64,
    /// `(data source, last value as given)` in the RRD's order. Values are kept as the text
    /// librrd stored (`U` for unknown).
    pub values: Vec<(String, String)>,
}

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
    fn from_matrix(m: ffi::Matrix) -> Self {
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

/// Borrows each text argument as an `OsStr` for librrd's argv.
fn os_args<'a>(args: &[&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

/// A handle on one RRD file, optionally served through rrdcached.
///
/// Creating the handle does no I/O. Each method is one librrd call under the librrd lock.
///
/// ```no_run
/// # fn main() -> Result<(), rrdgraph::RrdError> {
/// use rrdgraph::{Cf, CreateSpec, DataSource, FetchRequest, Rra, Rrd, Update};
///
/// let rrd = Rrd::new("Flow.rrd");
/// rrd.create(
///     &CreateSpec::new()
///         .step(300)
///         .start(1_767_225_000)
///         .data_source(DataSource::counter("eth0_in", 600).min(0.0))
///         .archive(Rra::new(Cf::Average, 0.5, 1, 600)),
/// )?;
/// rrd.update(&[Update::at(1_767_225_300, [1000.0]), Update::at(1_767_225_600, [4000.0])])?;
/// println!("last update at {}", rrd.last()?);
/// let series = rrd.fetch(&FetchRequest::new(Cf::Average).start(1_767_225_000).end(1_767_225_600))?;
/// print!("{}", series.to_text());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrd {
    path: PathBuf,
    daemon: Option<String>,
}

impl Rrd {
    /// A handle on the RRD at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            daemon: None,
        }
    }

    /// Go through the rrdcached at `address` (`unix:/path`, `/path`, `host:port`): every
    /// operation gets `--daemon <address>`. Without it, librrd still uses `RRDCACHED_ADDRESS`
    /// when that variable is set.
    ///
    /// librrd 1.7's client has no timeout: a daemon that accepts the connection and never
    /// answers blocks the call (and, through the librrd lock, the other librrd calls of the
    /// process). Where that matters, render through [`BatchRenderer`](crate::BatchRenderer),
    /// whose workers are killed at a deadline.
    ///
    /// Without a daemon, every read ([`Rrd::info`], [`Rrd::first`], [`Rrd::last`],
    /// [`Rrd::lastupdate`], [`Rrd::fetch`]) first checks the file's header in Rust
    /// ([`check_header`](crate::check_header)); through a daemon (this one or
    /// `RRDCACHED_ADDRESS`) it does not, as the file may be remote.
    #[must_use]
    pub fn daemon(mut self, address: impl Into<String>) -> Self {
        self.daemon = Some(address.into());
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the header unless a daemon serves the file (it may be remote).
    fn check_header(&self) -> Result<(), RrdError> {
        if self.daemon.is_some() || daemon_from_env() {
            return Ok(());
        }
        crate::header::check(&self.path)
    }

    /// `[--daemon ADDRESS] BEFORE... FILE`; the file's path goes to librrd as its bytes (it
    /// need not be UTF-8).
    fn args<'a>(&'a self, before: &[&'a str]) -> Vec<&'a OsStr> {
        let mut args = Vec::with_capacity(before.len() + 3);
        if let Some(d) = &self.daemon {
            args.push(OsStr::new("--daemon"));
            args.push(OsStr::new(d.as_str()));
        }
        args.extend(os_args(before));
        args.push(self.path.as_os_str());
        args
    }

    /// Creates the file (`rrdtool create`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for a bad layout, [`RrdError::Librrd`] when librrd refuses it.
    pub fn create(&self, spec: &CreateSpec) -> Result<(), RrdError> {
        spec.validate()?;
        let rest = spec.to_args();
        let mut args = self.args(&[]);
        args.extend(rest.iter().map(OsStr::new));
        ffi::call_status(ffi::StatusCall::Create, &args)
    }

    /// Adds values (`rrdtool update`), oldest first.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for an empty list, [`RrdError::Librrd`] when librrd refuses an
    /// update (a time not after the last one, a wrong number of values, ...).
    pub fn update(&self, updates: &[Update]) -> Result<(), RrdError> {
        self.update_with_template(None, updates)
    }

    /// Adds values for the named data sources only (`rrdtool update --template a:b`).
    ///
    /// # Errors
    ///
    /// As [`Rrd::update`].
    pub fn update_with_template(
        &self,
        template: Option<&[&str]>,
        updates: &[Update],
    ) -> Result<(), RrdError> {
        if updates.is_empty() {
            return Err(RrdError::Invalid {
                what: "update",
                reason: "no values given".into(),
            });
        }
        let template = template.map(|t| t.join(":"));
        let values: Vec<String> = updates.iter().map(Update::to_arg).collect();
        let mut args: Vec<&OsStr> = Vec::new();
        if let Some(d) = &self.daemon {
            args.extend(os_args(&["--daemon", d.as_str()]));
        }
        if let Some(t) = &template {
            args.extend(os_args(&["--template", t.as_str()]));
        }
        args.push(self.path.as_os_str());
        // A value starting with '-' (a negative time) must not be read as an option.
        args.push(OsStr::new("--"));
        args.extend(values.iter().map(OsStr::new));
        ffi::call_status(ffi::StatusCall::Update, &args)
    }

    /// Adds values like [`Rrd::update`] and returns what librrd wrote (`rrdtool updatev`):
    /// `return_value` and one `[time]RRA[cf][rows]DS[name]` entry per consolidated value.
    ///
    /// # Errors
    ///
    /// As [`Rrd::update`].
    pub fn update_v(&self, updates: &[Update]) -> Result<Info, RrdError> {
        if updates.is_empty() {
            return Err(RrdError::Invalid {
                what: "update",
                reason: "no values given".into(),
            });
        }
        let values: Vec<String> = updates.iter().map(Update::to_arg).collect();
        let mut args = self.args(&[]);
        args.push(OsStr::new("--"));
        args.extend(values.iter().map(OsStr::new));
        ffi::call_info(ffi::InfoCall::UpdateV, &args).map(Info::new)
    }

    /// The file's header and archive state (`rrdtool info`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read.
    pub fn info(&self) -> Result<Info, RrdError> {
        self.check_header()?;
        ffi::call_info(ffi::InfoCall::Info, &self.args(&[])).map(Info::new)
    }

    /// The time of the first value kept by archive `rra` (`rrdtool first --rraindex`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read or has no such archive.
    pub fn first(&self, rra: usize) -> Result<i64, RrdError> {
        self.check_header()?;
        let idx = rra.to_string();
        ffi::call_time(true, &self.args(&["--rraindex", &idx]))
    }

    /// The time of the last update (`rrdtool last`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read.
    pub fn last(&self) -> Result<i64, RrdError> {
        self.check_header()?;
        ffi::call_time(false, &self.args(&[]))
    }

    /// The time and values of the last update (`rrdtool lastupdate`). Through a daemon, the
    /// file is flushed first, as rrdtool does.
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read or flushed.
    pub fn lastupdate(&self) -> Result<LastUpdate, RrdError> {
        self.check_header()?;
        if self.daemon.is_some() || daemon_from_env() {
            self.flush()?;
        }
        let raw = ffi::call_lastupdate(self.path.as_os_str())?;
        Ok(LastUpdate {
            time: raw.time,
            values: raw.names.into_iter().zip(raw.values).collect(),
        })
    }

    /// Values over a time range (`rrdtool fetch`).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when the file cannot be read or has no archive for `cf`.
    pub fn fetch(&self, request: &FetchRequest) -> Result<Series, RrdError> {
        self.check_header()?;
        let rest = request.to_args();
        let mut args = vec![self.path.as_os_str()];
        args.extend(rest.iter().map(OsStr::new));
        if let Some(d) = &self.daemon {
            args.extend(os_args(&["--daemon", d.as_str()]));
        }
        ffi::call_fetch(&args).map(Series::from_matrix)
    }

    /// Writes the daemon's pending updates of this file to disk (`rrdtool flushcached`).
    /// Without [`Rrd::daemon`], librrd uses `RRDCACHED_ADDRESS`.
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] when no daemon is known or the daemon refuses.
    pub fn flush(&self) -> Result<(), RrdError> {
        ffi::call_status(ffi::StatusCall::FlushCached, &self.args(&[]))
    }
}

use crate::header::daemon_from_env;

/// A typed `rrdtool xport`: DEF, CDEF and VDEF elements of the graph model, then the series to
/// export with their legends.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rrdgraph::{Cf, Def, DsName, Rpn, CDef, VName, XportRequest};
///
/// let octets = VName::new("octets")?;
/// let bits = VName::new("bits")?;
/// let series = XportRequest::new()
///     .start_at("-1d")
///     .step(300)
///     .element(Def::new(&octets, "Flow.rrd", DsName::new("eth0_in")?, Cf::Average))
///     .element(CDef::new(&bits, "octets,8,*".parse::<Rpn>()?))
///     .export(&bits, "in bits/s")
///     .run()?;
/// print!("{}", series.to_text());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct XportRequest {
    options: Vec<String>,
    elements: Vec<crate::Element>,
    exports: Vec<(crate::VName, String)>,
}

impl XportRequest {
    /// An empty request (rrdtool's defaults: the last day, the best resolution).
    pub fn new() -> Self {
        Self::default()
    }

    fn option(mut self, name: &str, value: String) -> Self {
        self.options.push(name.to_owned());
        self.options.push(value);
        self
    }

    /// Start, seconds since the epoch (`--start`).
    pub fn start(self, time: i64) -> Self {
        self.option("--start", time.to_string())
    }

    /// Start as an at-style time (`-1d`, `end-2h`, ...).
    pub fn start_at(self, at: impl Into<String>) -> Self {
        self.option("--start", at.into())
    }

    /// End, seconds since the epoch (`--end`).
    pub fn end(self, time: i64) -> Self {
        self.option("--end", time.to_string())
    }

    /// End as an at-style time.
    pub fn end_at(self, at: impl Into<String>) -> Self {
        self.option("--end", at.into())
    }

    /// Preferred step in seconds (`--step`).
    pub fn step(self, seconds: u64) -> Self {
        self.option("--step", seconds.to_string())
    }

    /// At most this many rows (`--maxrows`).
    pub fn maxrows(self, rows: u64) -> Self {
        self.option("--maxrows", rows.to_string())
    }

    /// Read through the rrdcached at `address` (`--daemon`).
    pub fn daemon(self, address: impl Into<String>) -> Self {
        self.option("--daemon", address.into())
    }

    /// Adds a DEF, CDEF or VDEF.
    pub fn element(mut self, element: impl Into<crate::Element>) -> Self {
        self.elements.push(element.into());
        self
    }

    /// Exports the series `vname` under `legend`.
    pub fn export(mut self, vname: &crate::VName, legend: impl Into<String>) -> Self {
        self.exports.push((vname.clone(), legend.into()));
        self
    }

    /// Checks the request.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for an element that is not DEF/CDEF/VDEF, nothing to export, an
    /// export of an undefined vname or of a VDEF (a single value, not a series), and a legend
    /// with a NUL byte.
    pub fn validate(&self) -> Result<(), RrdError> {
        use crate::ElementKind;
        let bad = |what: &'static str, reason: String| RrdError::Invalid { what, reason };
        for (i, e) in self.elements.iter().enumerate() {
            if !matches!(
                e.kind(),
                ElementKind::Def | ElementKind::CDef | ElementKind::VDef
            ) {
                return Err(bad(
                    "xport element",
                    format!(
                        "element {i} is a {:?}: xport takes DEF, CDEF and VDEF",
                        e.kind()
                    ),
                ));
            }
        }
        if self.exports.is_empty() {
            return Err(bad("xport", "nothing to export".into()));
        }
        for (vname, legend) in &self.exports {
            let def = self
                .elements
                .iter()
                .find(|e| e.defines() == Some(vname))
                .ok_or_else(|| bad("xport vname", format!("{vname} is not defined")))?;
            if def.kind() == ElementKind::VDef {
                return Err(bad(
                    "xport vname",
                    format!("{vname} is a VDEF (one value), not a series"),
                ));
            }
            if legend.contains('\0') {
                return Err(bad(
                    "xport legend",
                    format!("{legend:?} contains a NUL byte"),
                ));
            }
        }
        Ok(())
    }

    /// The arguments after `xport`, as librrd takes them.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = self.options.clone();
        args.extend(self.elements.iter().map(crate::element_arg));
        for (vname, legend) in &self.exports {
            // A `:` would start a new field; a trailing backslash would escape nothing.
            let legend = legend.replace(':', "\\:");
            args.push(format!("XPORT:{vname}:{legend}"));
        }
        args
    }

    /// Runs the export.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] from [`XportRequest::validate`], [`RrdError::Librrd`] with
    /// librrd's message (a missing file, a data source that the RRD does not have, ...).
    pub fn run(&self) -> Result<Series, RrdError> {
        self.validate()?;
        xport(&self.to_args())
    }
}

/// Exports computed series (`rrdtool xport`). `args` are the arguments after `xport`: options
/// (`--start`, `--end`, `--step`, `--maxrows`, `--daemon`, ...) and `DEF`, `CDEF`, `VDEF` and
/// `XPORT` elements.
///
/// # Errors
///
/// [`RrdError::Librrd`] with librrd's message when the arguments or files are wrong.
///
/// The arguments go to librrd as their bytes: a DEF's file need not be UTF-8.
pub fn xport<S: AsRef<OsStr>>(args: &[S]) -> Result<Series, RrdError> {
    crate::header::check_defs(args)?;
    let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
    ffi::call_xport(&args).map(Series::from_matrix)
}

/// The version of the librrd that this process runs, such as `1.7.2`.
pub fn librrd_version() -> String {
    rrd::ops::version::librrd_version()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_exp_matches_printf() {
        assert_eq!(c_exp(0.0, 10), "0.0000000000e+00");
        assert_eq!(c_exp(1500.0, 10), "1.5000000000e+03");
        assert_eq!(c_exp(0.04, 7), "4.0000000e-02");
        assert_eq!(c_exp(-2.5e-120, 2), "-2.50e-120");
        assert_eq!(c_exp(f64::NAN, 10), "NaN");
    }

    #[test]
    fn create_args_are_rrdtools() {
        let spec = CreateSpec::new()
            .step(300)
            .start(920_804_400)
            .data_source(DataSource::counter("speed", 600))
            .data_source(DataSource::gauge("temp", 600).min(-40.0).max(85.5))
            .data_source(DataSource::new(
                "sum",
                DsType::Compute("speed,temp,+".into()),
                0,
            ))
            .archive(Rra::new(Cf::Average, 0.5, 1, 24));
        assert_eq!(
            spec.to_args(),
            [
                "--step",
                "300",
                "--start",
                "920804400",
                "DS:speed:COUNTER:600:U:U",
                "DS:temp:GAUGE:600:-40:85.5",
                "DS:sum:COMPUTE:speed,temp,+",
                "RRA:AVERAGE:0.5:1:24"
            ]
        );
        spec.validate().unwrap();
    }

    #[test]
    fn create_validation_names_the_field() {
        let bad = |spec: CreateSpec, what: &str| match spec.validate() {
            Err(RrdError::Invalid { what: w, .. }) => assert_eq!(w, what),
            other => panic!("{other:?}"),
        };
        let rra = Rra::new(Cf::Average, 0.5, 1, 10);
        bad(CreateSpec::new().archive(rra), "data sources");
        bad(
            CreateSpec::new().data_source(DataSource::gauge("a", 60)),
            "archives",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a:b", 60))
                .archive(rra),
            "data source name",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a", 60))
                .data_source(DataSource::gauge("a", 60))
                .archive(rra),
            "data source name",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a", 60))
                .archive(Rra::new(Cf::Max, 1.0, 1, 1)),
            "RRA xff",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a", 60).min(2.0).max(1.0))
                .archive(rra),
            "data source limits",
        );
    }

    #[test]
    fn ds_and_rra_parse_round_trip() {
        for arg in [
            "DS:eth0_in:COUNTER:600:0:U",
            "DS:t:GAUGE:120:-40:85.5",
            "DS:s:COMPUTE:a,b,+",
            "DS:d:DDERIVE:300:U:U",
        ] {
            assert_eq!(DataSource::parse(arg).unwrap().to_arg(), arg);
        }
        for arg in ["RRA:AVERAGE:0.5:1:600", "RRA:MAX:0:444:797"] {
            assert_eq!(Rra::parse(arg).unwrap().to_arg(), arg);
        }
        let what = |r: Result<DataSource, RrdError>| match r {
            Err(RrdError::Invalid { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            what(DataSource::parse("DS:x:FOO:1:U:U")),
            "data source type"
        );
        assert_eq!(
            what(DataSource::parse("DS:x:GAUGE:a:U:U")),
            "data source heartbeat"
        );
        assert_eq!(
            what(DataSource::parse("DS:x:GAUGE:1:z:U")),
            "data source limits"
        );
        assert_eq!(what(DataSource::parse("DS:x:GAUGE:1:U")), "data source");
        assert_eq!(what(DataSource::parse("x")), "data source");
        assert!(Rra::parse("RRA:AVG:0.5:1:1").is_err());
        assert!(Rra::parse("RRA:AVERAGE:2:1:1").is_err());
        assert!(Rra::parse("RRA:AVERAGE:0.5:1").is_err());
    }

    #[test]
    fn update_args() {
        assert_eq!(Update::parse("10:1:U").unwrap().to_arg(), "10:1:U");
        assert_eq!(Update::parse("N:2.5").unwrap().to_arg(), "N:2.5");
        assert!(Update::parse("10").is_err());
        assert!(Update::parse("x:1").is_err());
        assert!(Update::parse("10:abc").is_err());
        assert_eq!(Update::at(10, [1.0, 2.5]).to_arg(), "10:1:2.5");
        assert_eq!(Update::now([3.0]).to_arg(), "N:3");
        assert_eq!(
            Update::with_unknowns(10, [None, Some(f64::NAN), Some(1e300)]).to_arg(),
            format!("10:U:U:{}", 1e300)
        );
    }

    #[test]
    fn info_indexed_and_text() {
        let info = Info::new(vec![
            ("print[1]".into(), InfoValue::Text("b".into())),
            ("print[0]".into(), InfoValue::Text("a".into())),
            ("graph_width".into(), InfoValue::Count(400)),
            ("value_min".into(), InfoValue::Value(0.0)),
            ("image".into(), InfoValue::Blob(vec![1, 2, 3])),
        ]);
        let prints: Vec<_> = info
            .indexed("print")
            .into_iter()
            .filter_map(InfoValue::as_str)
            .collect();
        assert_eq!(prints, ["a", "b"]);
        assert_eq!(
            info.to_text(),
            "print[1] = \"b\"\nprint[0] = \"a\"\ngraph_width = 400\n\
             value_min = 0.0000000000e+00\nimage = BLOB_SIZE:3\n"
        );
    }

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

    proptest::proptest! {
        #[test]
        fn update_parse_emit_round_trip(
            time in proptest::option::of(0i64..4_000_000_000),
            values in proptest::collection::vec(proptest::option::of(-1e12f64..1e12), 1..6),
        ) {
            let u = Update { time, values };
            let parsed = Update::parse(&u.to_arg()).unwrap();
            proptest::prop_assert_eq!(parsed.to_arg(), u.to_arg());
            proptest::prop_assert_eq!(parsed, u);
        }

        #[test]
        fn ds_parse_emit_round_trip(
            name in "[A-Za-z0-9_]{1,19}",
            kind in 0usize..6,
            heartbeat in 1u64..100_000,
            min in proptest::option::of(-1e9f64..0.0),
            max in proptest::option::of(1.0f64..1e9),
        ) {
            let kind = [DsType::Gauge, DsType::Counter, DsType::DCounter, DsType::Derive,
                DsType::DDerive, DsType::Absolute][kind].clone();
            let ds = DataSource { name, kind, heartbeat, min, max };
            proptest::prop_assert_eq!(DataSource::parse(&ds.to_arg()).unwrap(), ds);
        }

        #[test]
        fn no_text_panics_the_parsers(arg in "\\PC{0,40}") {
            let _ = Update::parse(&arg);
            let _ = DataSource::parse(&arg);
            let _ = Rra::parse(&arg);
            let _ = DataSource::parse(&format!("DS:{arg}"));
            let _ = Rra::parse(&format!("RRA:{arg}"));
        }
    }

    #[test]
    fn librrd_is_1_7_or_later() {
        let v = librrd_version();
        let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        assert!((major, minor) >= (1, 7), "{v}");
    }

    #[test]
    fn cf_round_trips() {
        for cf in [Cf::Average, Cf::Min, Cf::Max, Cf::Last] {
            assert_eq!(cf.as_str().parse::<Cf>().unwrap(), cf);
        }
        assert!("AVG".parse::<Cf>().is_err());
    }
}
