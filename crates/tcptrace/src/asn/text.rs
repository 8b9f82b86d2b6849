//! Untrusted text from databases and servers, made plain.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// An AS or organisation name, sanitised to plain text.
///
/// Built only through [`AsName::new`] / [`AsName::from_bytes`], which replace control
/// characters (C0, C1, bidirectional overrides and isolates, line and paragraph separators)
/// with U+FFFD, replace invalid UTF-8, trim surrounding white space and keep at most
/// [`AsName::MAX_CHARS`] characters (a cut name ends with `…`). Cloning is cheap (shared).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AsName(Arc<str>);

impl AsName {
    /// The longest name kept, in characters.
    pub const MAX_CHARS: usize = 256;

    /// Sanitises `text`; `None` when nothing but white space is left.
    pub fn new(text: &str) -> Option<Self> {
        plain_text(text, Self::MAX_CHARS).map(|s| Self(s.into()))
    }

    /// Sanitises bytes (invalid UTF-8 becomes U+FFFD).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Self::new(&String::from_utf8_lossy(bytes))
    }

    /// The sanitised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` made plain as [`AsName`] describes it, cut to `max_chars` characters (the last one
/// `…` when cut); `None` when nothing but white space is left.
pub(crate) fn plain_text(text: &str, max_chars: usize) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(trimmed.len().min(max_chars * 4));
    for (n, c) in trimmed.chars().enumerate() {
        if n == max_chars {
            out.pop();
            out.push('…');
            break;
        }
        out.push(if is_unsafe_char(c) {
            if c == '\t' {
                ' '
            } else {
                char::REPLACEMENT_CHARACTER
            }
        } else {
            c
        });
    }
    Some(out)
}

fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

impl fmt::Debug for AsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for AsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AsName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for AsName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A two-letter country code as sources give it (ISO 3166-1 alpha-2, upper case; also `EU`,
/// `AP` and similar registry codes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Two ASCII letters, upper-cased; `None` for anything else (`None`, `NA`, `ZZ`, `--` and
    /// empty fields are "no country").
    pub fn new(text: &str) -> Option<Self> {
        Self::from_bytes(text.trim().as_bytes())
    }

    /// As [`CountryCode::new`], from bytes that are not trimmed.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        match b {
            [a, c] if a.is_ascii_alphabetic() && c.is_ascii_alphabetic() => {
                let code = [a.to_ascii_uppercase(), c.to_ascii_uppercase()];
                if &code == b"NA" || &code == b"ZZ" {
                    // Cymru writes NA for "no data"; ZZ is "unknown" in registry files.
                    None
                } else {
                    Some(Self(code))
                }
            }
            _ => None,
        }
    }

    /// Two ASCII letters, upper-cased, as geolocation databases write ISO 3166-1 codes:
    /// unlike [`CountryCode::new`], `NA` is Namibia here; only `ZZ` (unknown) and anything
    /// but two letters are `None`.
    pub fn alpha2(b: &[u8]) -> Option<Self> {
        match b {
            [a, c] if a.is_ascii_alphabetic() && c.is_ascii_alphabetic() => {
                let code = [a.to_ascii_uppercase(), c.to_ascii_uppercase()];
                (&code != b"ZZ").then_some(Self(code))
            }
            _ => None,
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Reads what [`Serialize`] writes: two letters (as [`CountryCode::alpha2`] takes them).
impl<'de> serde::Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::alpha2(text.as_bytes()).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"a two-letter country code",
            )
        })
    }
}

/// A registry name: lowercase ASCII letters, digits and `-`, at most 16; `None` if nothing
/// usable is left or the source says `NA`/`None`.
pub(crate) fn registry(text: &str) -> Option<String> {
    let s: String = text
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(16)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if s.is_empty() || s == "na" || s == "none" {
        None
    } else {
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_text() {
        assert_eq!(
            AsName::new("  GOOGLE, US \n").unwrap().as_str(),
            "GOOGLE, US"
        );
        assert_eq!(
            AsName::new("a\x1b[31mred\x07").unwrap().as_str(),
            "a\u{fffd}[31mred\u{fffd}"
        );
        assert_eq!(
            AsName::new("x\u{202e}y\u{85}z").unwrap().as_str(),
            "x\u{fffd}y\u{fffd}z"
        );
        assert_eq!(AsName::new("a\tb").unwrap().as_str(), "a b");
        assert_eq!(
            AsName::from_bytes(b"caf\xe9").unwrap().as_str(),
            "caf\u{fffd}"
        );
        assert!(AsName::new(" \t ").is_none());
        let long = AsName::new(&"é".repeat(1000)).unwrap();
        assert_eq!(long.as_str().chars().count(), AsName::MAX_CHARS);
        assert!(long.as_str().ends_with('…'));
    }

    #[test]
    fn country_codes() {
        assert_eq!(CountryCode::new("us").unwrap().as_str(), "US");
        assert!(CountryCode::new("NA").is_none());
        assert!(CountryCode::new("None").is_none());
        assert!(CountryCode::new("1A").is_none());
        assert!(CountryCode::new("").is_none());
    }

    #[test]
    fn registries() {
        assert_eq!(registry(" ARIN ").as_deref(), Some("arin"));
        assert_eq!(registry("ripencc\x1b").as_deref(), Some("ripencc"));
        assert_eq!(registry("NA"), None);
        assert_eq!(registry(&"x".repeat(99)).unwrap().len(), 16);
    }
}
