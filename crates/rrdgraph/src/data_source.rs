//! The data sources of a new RRD (`DS:` of `rrdtool create`).

use crate::rrd_error::RrdError;
use crate::span::Span;

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

/// A data source of [`CreateSpec`](crate::CreateSpec): `DS:name:TYPE:heartbeat:min:max`, or
/// `DS:name=source-name[N]:...` to fill it from a data source of a `--source` file.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    name: String,
    from: Option<Mapping>,
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
            from: None,
            kind,
            heartbeat,
            min: None,
            max: None,
        }
    }

    /// Fill this data source from `source_ds` of the `--source` files
    /// ([`CreateSpec::source`](crate::CreateSpec::source)): of the `index`-th (from 1) when
    /// given, else of the first that has it (`DS:name=source_ds[index]:...`).
    #[must_use]
    pub fn from_source(mut self, source_ds: impl Into<String>, index: Option<u64>) -> Self {
        self.from = Some((source_ds.into(), index));
        self
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
        let (name, from) = split_mapping(f.next().unwrap_or_default())?;
        let kind = f.next().unwrap_or_default();
        let params = f.next().unwrap_or_default();
        let mut ds = if kind == "COMPUTE" {
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
            // A count of seconds or a duration (`10m`), as librrd reads it.
            let heartbeat = Span::parse(hb)
                .and_then(|s| s.resolve(1))
                .map_err(|reason| bad("data source heartbeat", format!("{hb:?}: {reason}")))?;
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
                from: None,
                kind,
                heartbeat,
                min: limit(min)?,
                max: limit(max)?,
            }
        };
        ds.from = from;
        ds.validate()?;
        Ok(ds)
    }

    pub(crate) fn validate(&self) -> Result<(), RrdError> {
        check_name(&self.name)?;
        if let Some((source, _)) = &self.from {
            check_name(source)?;
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
        let name = match &self.from {
            None => self.name.clone(),
            Some((source, None)) => format!("{}={source}", self.name),
            Some((source, Some(i))) => format!("{}={source}[{i}]", self.name),
        };
        let limit = |v: Option<f64>| v.map_or_else(|| "U".to_owned(), |v| v.to_string());
        let kind = match &self.kind {
            DsType::Gauge => "GAUGE",
            DsType::Counter => "COUNTER",
            DsType::DCounter => "DCOUNTER",
            DsType::Derive => "DERIVE",
            DsType::DDerive => "DDERIVE",
            DsType::Absolute => "ABSOLUTE",
            DsType::Compute(rpn) => return format!("DS:{name}:COMPUTE:{rpn}"),
        };
        format!(
            "DS:{name}:{kind}:{}:{}:{}",
            self.heartbeat,
            limit(self.min),
            limit(self.max)
        )
    }
}

/// A data source name: 1 to 19 of `[A-Za-z0-9_-]`, as librrd requires.
pub(crate) fn check_name(name: &str) -> Result<(), RrdError> {
    let ok = !name.is_empty()
        && name.len() <= 19
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(RrdError::Invalid {
            what: "data source name",
            reason: format!("{name:?} must be 1 to 19 of [A-Za-z0-9_-]"),
        })
    }
}

/// The data source of the `--source` files a new one is filled from, and which file (from 1).
type Mapping = (String, Option<u64>);

/// `name`, `name=source` or `name=source[N]`.
fn split_mapping(field: &str) -> Result<(&str, Option<Mapping>), RrdError> {
    let Some((name, source)) = field.split_once('=') else {
        return Ok((field, None));
    };
    let bad = || RrdError::Invalid {
        what: "data source mapping",
        reason: format!("{field:?} is not name=source-name or name=source-name[N]"),
    };
    let from = match source.split_once('[') {
        None => (source.to_owned(), None),
        Some((ds, index)) => {
            let index = index.strip_suffix(']').ok_or_else(bad)?;
            let index: u64 = index.parse().map_err(|_| bad())?;
            if index == 0 {
                return Err(bad());
            }
            (ds.to_owned(), Some(index))
        }
    };
    Ok((name, Some(from)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            DataSource::parse("DS:a=b:GAUGE:10m:U:U").unwrap().to_arg(),
            "DS:a=b:GAUGE:600:U:U"
        );
        assert_eq!(
            DataSource::parse("DS:a=b[3]:COMPUTE:x,2,*")
                .unwrap()
                .to_arg(),
            "DS:a=b[3]:COMPUTE:x,2,*"
        );
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
        assert_eq!(
            what(DataSource::parse("DS:x:GAUGE:1.5:U:U")),
            "data source heartbeat"
        );
        for bad in [
            "DS:a=b[0]:GAUGE:1:U:U",
            "DS:a=b[x:GAUGE:1:U:U",
            "DS:a=:GAUGE:1:U:U",
        ] {
            assert!(DataSource::parse(bad).is_err(), "{bad}");
        }
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
            let ds = DataSource { name, from: None, kind, heartbeat, min, max };
            proptest::prop_assert_eq!(DataSource::parse(&ds.to_arg()).unwrap(), ds);
        }

        #[test]
        fn no_text_panics_the_parsers(arg in "\\PC{0,40}") {
            let _ = DataSource::parse(&arg);
            let _ = DataSource::parse(&format!("DS:{arg}"));
        }
    }
}
