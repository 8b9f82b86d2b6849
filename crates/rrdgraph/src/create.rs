//! The layout of a new RRD (`rrdtool create`): data sources, archives, step and start.

use crate::rrd_error::RrdError;
use crate::value::Cf;

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

#[cfg(test)]
mod tests {
    use super::*;

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

    proptest::proptest! {
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
            let _ = DataSource::parse(&arg);
            let _ = Rra::parse(&arg);
            let _ = DataSource::parse(&format!("DS:{arg}"));
            let _ = Rra::parse(&format!("RRA:{arg}"));
        }
    }

    #[test]
    fn cf_round_trips() {
        for cf in [Cf::Average, Cf::Min, Cf::Max, Cf::Last] {
            assert_eq!(cf.as_str().parse::<Cf>().unwrap(), cf);
        }
        assert!("AVG".parse::<Cf>().is_err());
    }
}
