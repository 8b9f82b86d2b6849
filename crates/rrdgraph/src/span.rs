//! A count or a duration, as `rrdtool create` reads steps, rows, heartbeats and periods.

use std::fmt;

/// A count (`12`) or a duration (`1h`), as `rrdtool create` 1.7 reads a step, a row count, a
/// heartbeat or a seasonal period.
///
/// A bare number is a count. A number with a unit is a duration that [`Span::resolve`] divides
/// by what one unit of the field lasts (the step for an RRA's steps; the step times the steps
/// per row for its rows): it must divide exactly, as librrd requires. Units are librrd's:
/// `s`, `m` (minute), `h`, `d`, `w`, `M` (31 days) and `y` (366 days).
///
/// ```
/// use rrdgraph::Span;
///
/// let rows = Span::parse("1y").unwrap();
/// assert_eq!(rows, Span::Seconds(366 * 86_400));
/// assert_eq!(rows.resolve(3600), Ok(8784));
/// assert!(Span::parse("1h").unwrap().resolve(7 * 60).is_err());
/// assert_eq!(Span::parse("12").unwrap().resolve(300), Ok(12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// A number of steps, rows or seconds, as written.
    Count(u64),
    /// A duration in seconds, to be divided by the field's unit.
    Seconds(u64),
}

impl Span {
    /// Parses `12` or `5m` as librrd's `rrd_scaled_duration` does.
    ///
    /// # Errors
    ///
    /// librrd's reason: `value must be positive`, `value has unknown suffix`, `value has
    /// trailing garbage`, or `value is too large`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err("value must be (suffixed) positive number");
        }
        let (number, suffix) = text.split_at(digits);
        let n: u64 = number.parse().map_err(|_| "value is too large")?;
        if n == 0 {
            return Err("value must be positive");
        }
        let mut units = suffix.chars();
        let Some(unit) = units.next() else {
            return Ok(Self::Count(n));
        };
        let scale: u64 = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'M' => 31 * 86_400,
            'y' => 366 * 86_400,
            _ => return Err("value has unknown suffix"),
        };
        if units.next().is_some() {
            return Err("value has trailing garbage");
        }
        n.checked_mul(scale)
            .map(Self::Seconds)
            .ok_or("value is too large")
    }

    /// The count: itself, or the duration divided by `unit` seconds.
    ///
    /// # Errors
    ///
    /// librrd's `value would truncate when scaled` when `unit` does not divide the duration.
    pub fn resolve(self, unit: u64) -> Result<u64, &'static str> {
        match self {
            Self::Count(n) => Ok(n),
            Self::Seconds(s) if unit > 0 && s % unit == 0 => Ok(s / unit),
            Self::Seconds(_) => Err("value would truncate when scaled"),
        }
    }
}

impl From<u64> for Span {
    fn from(n: u64) -> Self {
        Self::Count(n)
    }
}

impl fmt::Display for Span {
    /// `12`, or a duration in seconds (`3600s`), which librrd reads back the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Seconds(s) => write!(f, "{s}s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_librrd_reads_them() {
        assert_eq!(Span::parse("5m"), Ok(Span::Seconds(300)));
        assert_eq!(Span::parse("2w"), Ok(Span::Seconds(1_209_600)));
        assert_eq!(Span::parse("1M"), Ok(Span::Seconds(2_678_400)));
        assert_eq!(Span::parse("300"), Ok(Span::Count(300)));
        assert_eq!(Span::parse("0"), Err("value must be positive"));
        assert_eq!(Span::parse("0h"), Err("value must be positive"));
        assert_eq!(Span::parse("5x"), Err("value has unknown suffix"));
        assert_eq!(Span::parse("5mm"), Err("value has trailing garbage"));
        assert!(Span::parse("").is_err());
        assert!(Span::parse("-5").is_err());
        assert!(Span::parse("99999999999999999999").is_err());
        assert!(Span::parse("999999999999999999y").is_err());
        assert_eq!(Span::Seconds(3600).resolve(300), Ok(12));
        assert_eq!(
            Span::Seconds(1000).resolve(300),
            Err("value would truncate when scaled")
        );
        assert_eq!(Span::parse("3600s").unwrap().to_string(), "3600s");
    }

    proptest::proptest! {
        #[test]
        fn no_text_panics_the_parser(text in "\\PC{0,12}") {
            if let Ok(span) = Span::parse(&text) {
                let _ = span.resolve(300);
                proptest::prop_assert_eq!(Span::parse(&span.to_string()), Ok(span));
            }
        }
    }
}
