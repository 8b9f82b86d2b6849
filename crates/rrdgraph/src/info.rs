//! librrd's info lists (`rrdtool info`, `graphv`, `updatev`): ordered keys and typed values.

use std::fmt::{self, Write as _};

use crate::exp_format::c_exp;

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

    /// The value as a signed integer, for [`InfoValue::Int`] and [`InfoValue::Count`] up to
    /// `i64::MAX`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            Self::Count(c) => i64::try_from(*c).ok(),
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

/// JSON: a value as a [`Sample`](crate::Sample) (`null` for NaN, `"inf"`/`"-inf"`), counts and
/// integers as integers, text as a string, a blob as an array of bytes.
impl serde::Serialize for InfoValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => crate::sample::serialize_sample(*v, s),
            Self::Count(c) => s.serialize_u64(*c),
            Self::Int(i) => s.serialize_i64(*i),
            Self::Text(t) => s.serialize_str(t),
            Self::Blob(b) => s.collect_seq(b),
        }
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for InfoValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("InfoValue")
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let sample = generator.subschema_for::<crate::Sample>();
        schemars::json_schema!({
            "description": "A value of librrd's info list: a number (or null / \"inf\" / \"-inf\"), an integer, a string, or a blob as bytes.",
            "anyOf": [
                sample,
                { "type": "integer" },
                { "type": "string" },
                { "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 255 } }
            ]
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
