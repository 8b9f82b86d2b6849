//! Updates (`rrdtool update`) and the last update of an RRD (`rrdtool lastupdate`).

use std::fmt::Write as _;

use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};

use crate::rrd_error::RrdError;
use crate::sample::Sample;

/// One update: a time and one value per data source (`None` is unknown, `U`).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    time: Option<i64>,
    values: Vec<Option<f64>>,
    /// Counter values beyond f64's exact integers (2^53), kept exactly: librrd subtracts COUNTER
    /// values as decimal text, so rounding them would skew the rate. Index-aligned with
    /// `values` where present.
    exact: Vec<Option<u64>>,
}

/// The largest integer that every f64 holds exactly.
const F64_EXACT: u64 = 1 << 53;

impl Update {
    /// Values at `time` (seconds since the epoch).
    pub fn at(time: i64, values: impl IntoIterator<Item = f64>) -> Self {
        Self {
            time: Some(time),
            values: values.into_iter().map(Some).collect(),
            exact: Vec::new(),
        }
    }

    /// Values at the current time (`N`).
    pub fn now(values: impl IntoIterator<Item = f64>) -> Self {
        Self {
            time: None,
            values: values.into_iter().map(Some).collect(),
            exact: Vec::new(),
        }
    }

    /// Values where some are unknown.
    pub fn with_unknowns(time: i64, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        Self {
            time: Some(time),
            values: values.into_iter().collect(),
            exact: Vec::new(),
        }
    }

    /// Counter readings, exact to the last unit (a 64-bit byte counter passes 2^53 after 9 PB),
    /// where some are unknown: for COUNTER and DERIVE data sources.
    pub fn counters(time: i64, values: impl IntoIterator<Item = Option<u64>>) -> Self {
        let exact: Vec<Option<u64>> = values.into_iter().collect();
        Self {
            time: Some(time),
            #[expect(
                clippy::cast_precision_loss,
                reason = "the exact value is kept beside it for the argument"
            )]
            values: exact.iter().map(|v| v.map(|v| v as f64)).collect(),
            exact,
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
        // A counter reading that f64 would round keeps its digits.
        let exact: Vec<Option<u64>> = arg
            .split(':')
            .skip(1)
            .map(|v| v.parse::<u64>().ok().filter(|&v| v > F64_EXACT))
            .collect();
        let exact = if exact.iter().any(Option::is_some) {
            exact
        } else {
            Vec::new()
        };
        Ok(Self {
            time,
            values,
            exact,
        })
    }

    /// The `time:v1:v2` argument.
    pub fn to_arg(&self) -> String {
        let mut s = self.time.map_or_else(|| "N".to_owned(), |t| t.to_string());
        for (i, v) in self.values.iter().enumerate() {
            s.push(':');
            if let Some(Some(exact)) = self.exact.get(i) {
                let _ = write!(s, "{exact}");
                continue;
            }
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
///
/// Its JSON (`opskit rrd lastupdate --json`) is
/// `{"time": T, "values": [{"name": "eth0_in", "value": 601000.0, "text": "601000"}]}`: the
/// value as a [`Sample`] (`null` for `U`), and the text exactly as librrd stored it, which keeps
/// 64-bit counters exact where a JSON number would round them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LastUpdate {
    /// Time of the last update, seconds since the epoch.
    pub time: i64,
    /// `(data source, last value as given)` in the RRD's order. Values are kept as the text
    /// librrd stored (`U` for unknown).
    pub values: Vec<(String, String)>,
}

impl LastUpdate {
    /// A last update at `time` with `(data source, text)` values.
    pub fn new(time: i64, values: Vec<(String, String)>) -> Self {
        Self { time, values }
    }
}

/// The value librrd stored as text, as a number: `U` (and anything that is not a number) is
/// UNKN.
fn stored_value(text: &str) -> Sample {
    Sample(text.parse().unwrap_or(f64::NAN))
}

impl Serialize for LastUpdate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let values: Vec<LastValue<'_>> = self
            .values
            .iter()
            .map(|(name, text)| LastValue {
                name,
                value: stored_value(text),
                text,
            })
            .collect();
        let mut doc = s.serialize_struct("LastUpdate", 2)?;
        doc.serialize_field("time", &self.time)?;
        doc.serialize_field("values", &values)?;
        doc.end()
    }
}

/// One data source's last value in the JSON of [`LastUpdate`].
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
struct LastValue<'a> {
    /// The data source.
    name: &'a str,
    /// The value, `null` when unknown (`U`).
    value: Sample,
    /// The value exactly as librrd stored it (`U` for unknown).
    text: &'a str,
}

/// The JSON shape of [`LastUpdate`], for its schema.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "LastUpdate", deny_unknown_fields)]
#[expect(dead_code, reason = "only its schema is used")]
struct LastUpdateShape {
    /// Time of the last update, seconds since the epoch.
    time: i64,
    /// The last value of each data source, in the RRD's order.
    values: Vec<LastValue<'static>>,
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for LastUpdate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        LastUpdateShape::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        LastUpdateShape::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_args() {
        assert_eq!(Update::parse("10:1:U").unwrap().to_arg(), "10:1:U");
        assert_eq!(Update::parse("N:2.5").unwrap().to_arg(), "N:2.5");
        assert!(Update::parse("10").is_err());
        assert!(Update::parse("x:1").is_err());
        assert!(Update::parse("10:abc").is_err());
        assert_eq!(Update::at(10, [1.0, 2.5]).to_arg(), "10:1:2.5");
        assert_eq!(Update::now([3.0]).to_arg(), "N:3");
        // Counters past 2^53 keep every digit, through parse too.
        let big = u64::MAX - 1;
        assert_eq!(
            Update::counters(10, [Some(big), None, Some(7)]).to_arg(),
            format!("10:{big}:U:7")
        );
        assert_eq!(
            Update::parse(&format!("10:{big}:1.5")).unwrap().to_arg(),
            format!("10:{big}:1.5")
        );
        assert_eq!(
            Update::with_unknowns(10, [None, Some(f64::NAN), Some(1e300)]).to_arg(),
            format!("10:U:U:{}", 1e300)
        );
    }

    #[test]
    fn lastupdate_json_keeps_the_stored_text() {
        let last = LastUpdate::new(
            10,
            vec![
                ("a".into(), "18446744073709551615".into()),
                ("b".into(), "U".into()),
            ],
        );
        assert_eq!(
            serde_json::to_string(&last).unwrap(),
            r#"{"time":10,"values":[{"name":"a","value":1.8446744073709552e+19,"text":"18446744073709551615"},{"name":"b","value":null,"text":"U"}]}"#
        );
    }

    proptest::proptest! {
        #[test]
        fn no_text_panics_the_parser(arg in "\\PC{0,40}") {
            let _ = Update::parse(&arg);
        }

        #[test]
        fn update_parse_emit_round_trip(
            time in proptest::option::of(0i64..4_000_000_000),
            values in proptest::collection::vec(proptest::option::of(-1e12f64..1e12), 1..6),
        ) {
            let u = Update { time, values, exact: Vec::new() };
            let parsed = Update::parse(&u.to_arg()).unwrap();
            proptest::prop_assert_eq!(parsed.to_arg(), u.to_arg());
            proptest::prop_assert_eq!(parsed, u);
        }
    }
}
