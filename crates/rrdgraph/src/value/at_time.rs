//! At-style times.

use std::fmt;
use std::str::FromStr;

use crate::value_error::ValueError;

/// An at-style time (see rrdfetch(1) "AT-STYLE TIME SPECIFICATION"): `-1d`, `now-2h`,
/// `end-1w`, `1700000000`, `noon yesterday`, `20:00 12/31/2023`, …
///
/// The text is checked against librrd's at-style grammar (reference, time of day, day, and
/// `+`/`-` offsets with units), so typos like `-1dy` or `now-` fail at build time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AtTime(String);

impl AtTime {
    /// Validates an at-style time.
    ///
    /// # Errors
    /// [`ValueError::Time`] if the text does not follow the at-style grammar.
    pub fn new(spec: impl Into<String>) -> Result<Self, ValueError> {
        let spec = spec.into();
        let err = |reason| ValueError::Time {
            text: spec.chars().take(60).collect(),
            reason,
        };
        if spec.trim().is_empty() {
            return Err(err("empty"));
        }
        if spec.len() > 128 {
            return Err(err("longer than 128 bytes"));
        }
        crate::attime::check(&spec).map_err(err)?;
        Ok(AtTime(spec))
    }

    /// Seconds since the epoch.
    pub fn epoch(secs: i64) -> Self {
        AtTime(secs.to_string())
    }

    /// `now`.
    pub fn now() -> Self {
        AtTime("now".to_owned())
    }

    /// `now-<secs>s`.
    pub fn ago(secs: u64) -> Self {
        AtTime(format!("now-{secs}s"))
    }

    /// The spec text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AtTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AtTime {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AtTime::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        for ok in [
            "-1d",
            "now-2h",
            "end-1w",
            "1700000000",
            "noon yesterday",
            "start+30min",
        ] {
            assert!(AtTime::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-1dy", "now--1h", "now-", "rm -rf", "now;1"] {
            assert!(
                matches!(AtTime::new(bad), Err(ValueError::Time { .. })),
                "{bad}"
            );
        }
    }
}
