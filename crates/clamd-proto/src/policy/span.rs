//! Time spans in a policy: `30s`, `10m`, `6h`, `2d`, `1w`, or several together (`1h30m`).

use std::time::Duration;

use crate::blocking::MAX_TIMEOUT;

/// Parses a span: one or more numbers, each with a unit `s`, `m`, `h`, `d` or `w`, e.g.
/// `10m`, `6h`, `1h30m`. A unit is required (a bare `600` is refused: seconds or minutes?).
/// The span must be positive and at most 100 days ([`MAX_TIMEOUT`]).
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let unit_secs = |u: char| match u {
        's' => Some(1u64),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        'w' => Some(7 * 86_400),
        _ => None,
    };
    let bad = |why: &str| format!("bad span {text:?}: {why} (write e.g. 30s, 10m, 6h, 2d, 1h30m)");
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            number = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(|| bad("too long"))?,
            );
            continue;
        }
        let secs = unit_secs(c).ok_or_else(|| bad(&format!("unknown unit {c:?}")))?;
        let n = number
            .take()
            .ok_or_else(|| bad("a unit without a number"))?;
        total = n
            .checked_mul(secs)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| bad("too long"))?;
    }
    if number.is_some() {
        return Err(bad("the last number has no unit"));
    }
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let span = Duration::from_secs(total);
    if span.is_zero() {
        return Err(bad("must be more than zero"));
    }
    if span > MAX_TIMEOUT {
        return Err(bad("must be at most 100 days"));
    }
    Ok(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_refusals() {
        let secs = |t| parse(t).map(|d| d.as_secs());
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("10m"), Ok(600));
        assert_eq!(secs("6h"), Ok(21_600));
        assert_eq!(secs("2d"), Ok(172_800));
        assert_eq!(secs("1w"), Ok(604_800));
        assert_eq!(secs("1h30m"), Ok(5400));
        for bad in [
            "",
            "600",
            "0s",
            "10x",
            "m",
            "1.5h",
            "-1m",
            "101d",
            "99999999999999999999s",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse("600").unwrap_err().contains("no unit"));
    }
}
