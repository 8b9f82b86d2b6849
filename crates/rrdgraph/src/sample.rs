//! One number of an RRD as JSON: a finite value, UNKN or an infinity.
//!
//! JSON has no NaN and no infinities, and rrdtool's data has all three, so every `--json`
//! output writes a value the same way: a finite value as a number, NaN (rrdtool's UNKN) as
//! `null`, and the infinities as the strings `"inf"` and `"-inf"`.

use serde::{Serialize, Serializer};

/// A value of an RRD as JSON writes it: a number, `null` for UNKN (NaN), or `"inf"`/`"-inf"`.
///
/// ```
/// use rrdgraph::Sample;
///
/// let json = serde_json::to_string(&[Sample(1.5), Sample(f64::NAN), Sample(f64::NEG_INFINITY)]);
/// assert_eq!(json.unwrap(), r#"[1.5,null,"-inf"]"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample(pub f64);

impl Sample {
    /// True for UNKN (NaN).
    pub fn is_unknown(self) -> bool {
        self.0.is_nan()
    }
}

impl From<f64> for Sample {
    fn from(v: f64) -> Self {
        Self(v)
    }
}

impl Serialize for Sample {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_sample(self.0, s)
    }
}

/// Writes `v` as [`Sample`] does (for `#[serde(serialize_with)]` on `f64` fields).
pub(crate) fn serialize_sample<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_nan() {
        s.serialize_none()
    } else if v == f64::INFINITY {
        s.serialize_str("inf")
    } else if v == f64::NEG_INFINITY {
        s.serialize_str("-inf")
    } else {
        s.serialize_f64(v)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Sample {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Sample")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A value: a number, null for UNKN (NaN), or \"inf\" / \"-inf\" for the infinities.",
            "anyOf": [
                { "type": "number" },
                { "type": "null" },
                { "type": "string", "enum": ["inf", "-inf"] }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_null_and_infinities_are_text() {
        let doc = serde_json::to_string(&[
            Sample(0.0),
            Sample(-2.5e-300),
            Sample(f64::NAN),
            Sample(f64::INFINITY),
            Sample(f64::NEG_INFINITY),
        ])
        .unwrap();
        assert_eq!(doc, r#"[0.0,-2.5e-300,null,"inf","-inf"]"#);
        assert!(Sample(f64::NAN).is_unknown());
    }
}
