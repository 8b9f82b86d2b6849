//! Numbers as librrd's `strtod` reads them and as this crate writes them.

use crate::value_error::ValueError;

/// Parses a finite number the way librrd's `strtod` would accept it, rejecting NaN/inf.
pub(crate) fn parse_f64(s: &str) -> Result<f64, ValueError> {
    let bad = || ValueError::Number {
        text: s.chars().take(40).collect(),
        expected: "a finite number",
    };
    if s.is_empty() || s.len() > 64 || s.starts_with('+') && s[1..].starts_with(['+', '-']) {
        return Err(bad());
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return Err(bad());
    }
    let v: f64 = s.parse().map_err(|_| bad())?;
    if v.is_finite() { Ok(v) } else { Err(bad()) }
}

/// Formats a number so that `strtod` and [`parse_f64`] read back exactly the same value.
pub(crate) fn fmt_f64(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    let plain = format!("{v}");
    if v.fract() == 0.0 && v.abs() < 1e16 {
        return plain;
    }
    let exp = format!("{v:e}");
    if plain.len() <= exp.len() { plain } else { exp }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for v in [0.0, 1.0, -3.5, 6144.0, 1e-7, 1.5e300, 0.1, 123_456_789.125] {
            assert_eq!(parse_f64(&fmt_f64(v)).unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(fmt_f64(8.0), "8");
        assert!(parse_f64("nan").is_err());
        assert!(parse_f64("inf").is_err());
        assert!(parse_f64("1e999").is_err());
        assert!(parse_f64("0x10").is_err());
    }
}
