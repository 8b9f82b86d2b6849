//! The one way every subcommand reads a time span on the command line.
//!
//! A span is a number of seconds (`2`, `0.25`) or a number with a unit: `ms`, `s`, `m`, `h` or
//! `d` (`500ms`, `10m`, `1.5h`). It must be positive and at most 100 days, so that adding it to
//! `Instant::now()` can never overflow.

use std::time::Duration;

/// The longest span accepted: 100 days.
pub(crate) const MAX: Duration = Duration::from_secs(100 * 86_400);

/// Parses a span for clap (`value_parser = duration::parse`).
///
/// # Errors
///
/// A message that names what was wrong, for clap to print with the flag.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
            ));
        }
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{text:?}: not a number of seconds or a span such as 10m"))?;
    let secs = n * scale;
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("{text:?}: must be more than zero"));
    }
    if secs > MAX.as_secs_f64() {
        return Err(format!("{text:?}: must be at most 100 days"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn refusals() {
        for bad in ["", "0", "-1", "1x", "m", "nan", "inf", "101d", "1e400"] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
