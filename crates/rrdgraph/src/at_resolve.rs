//! Resolving a graph's `--start` and `--end` to seconds, for the part of librrd's at-style
//! grammar that needs no calendar: a reference (`now`/`n`, `start`/`s`, `end`/`e`, epoch
//! seconds of nine or more digits, or none for now) and offsets in seconds, minutes, hours,
//! days and weeks (`-1d`, `end-8h30min`, `-1 day`). Months, years, `m`, dates and times of day
//! depend on the local calendar and are refused.

use crate::eval_error::EvalError;

/// What a time is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Now,
    Start,
    End,
    Epoch(i64),
}

fn refuse(spec: &str, why: &str) -> EvalError {
    EvalError::Time {
        spec: spec.chars().take(80).collect(),
        reason: why.to_owned(),
    }
}

fn unit_seconds(unit: &str) -> Option<i64> {
    Some(match unit {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "wk" | "wks" | "week" | "weeks" => 604_800,
        _ => return None,
    })
}

/// Splits `spec` into its base and its offset in seconds.
fn parse(spec: &str) -> Result<(Base, i64), EvalError> {
    let s = spec.trim().to_ascii_lowercase();
    let word_end = s
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(s.len());
    let (word, mut rest) = s.split_at(word_end);
    let base = match word {
        "" | "now" | "n" => Base::Now,
        "start" | "s" => Base::Start,
        "end" | "e" => Base::End,
        w if w.len() >= 9 && w.bytes().all(|b| b.is_ascii_digit()) => Base::Epoch(
            w.parse()
                .map_err(|_| refuse(spec, "epoch seconds out of range"))?,
        ),
        _ => {
            return Err(refuse(
                spec,
                "only now, start, end and epoch seconds (nine digits or more) are resolved \
                 here; dates and times of day need the local calendar",
            ));
        }
    };
    let mut offset: i64 = 0;
    loop {
        rest = rest.trim_start();
        let Some(sign) = rest.chars().next() else {
            break;
        };
        let negative = match sign {
            '+' => false,
            '-' => true,
            _ => return Err(refuse(spec, "expected + or - before an offset")),
        };
        rest = &rest[1..];
        let mut any = false;
        // One sign covers several terms: `-1d2h`.
        loop {
            rest = rest.trim_start();
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            let n: i64 = rest[..digits]
                .parse()
                .map_err(|_| refuse(spec, "an offset out of range"))?;
            rest = rest[digits..].trim_start();
            let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let unit = &rest[..letters];
            let secs = unit_seconds(unit).ok_or_else(|| {
                refuse(
                    spec,
                    "offsets in months, years or `m` depend on the calendar and are not \
                     resolved here (use min, h, d, w)",
                )
            })?;
            rest = &rest[letters..];
            let term = n
                .checked_mul(secs)
                .ok_or_else(|| refuse(spec, "an offset out of range"))?;
            offset = if negative {
                offset.checked_sub(term)
            } else {
                offset.checked_add(term)
            }
            .ok_or_else(|| refuse(spec, "an offset out of range"))?;
            any = true;
        }
        if !any {
            return Err(refuse(spec, "a sign without a number"));
        }
    }
    Ok((base, offset))
}

/// librrd's `rrd_proc_start_end` for the resolvable specs: `--start` defaults to `end-24h`,
/// `--end` to `now`; one may be relative to the other, not both.
pub(crate) fn resolve_window(
    start: Option<&str>,
    end: Option<&str>,
    now: i64,
) -> Result<(i64, i64), EvalError> {
    let (sb, so) = parse(start.unwrap_or("end-24h"))?;
    let (eb, eo) = parse(end.unwrap_or("now"))?;
    let spec = start.unwrap_or("end-24h");
    let absolute = |b: Base, o: i64| match b {
        Base::Now => Some(now + o),
        Base::Epoch(t) => Some(t + o),
        _ => None,
    };
    let (s, e) = match (sb, eb) {
        (Base::End, Base::Start) | (Base::Start, _) | (_, Base::End) => {
            return Err(refuse(
                spec,
                "the start and end times cannot be specified relative to each other (or to \
                 themselves)",
            ));
        }
        (Base::End, _) => {
            let e = absolute(eb, eo).unwrap_or(now);
            (e + so, e)
        }
        (_, Base::Start) => {
            let s = absolute(sb, so).unwrap_or(now);
            (s, s + eo)
        }
        _ => (
            absolute(sb, so).unwrap_or(now),
            absolute(eb, eo).unwrap_or(now),
        ),
    };
    if s < 315_360_000 {
        return Err(refuse(
            spec,
            "the first entry to fetch should be after 1980",
        ));
    }
    if e < s {
        return Err(refuse(spec, "the start should be before the end"));
    }
    Ok((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600;

    #[test]
    fn relative_and_absolute_windows() {
        assert_eq!(resolve_window(None, None, NOW), Ok((NOW - 86_400, NOW)));
        assert_eq!(
            resolve_window(Some("-1d"), Some("now-2h"), NOW),
            Ok((NOW - 86_400, NOW - 7200))
        );
        assert_eq!(
            resolve_window(Some("end-8h30min"), Some("1767000000"), NOW),
            Ok((1_767_000_000 - 30_600, 1_767_000_000))
        );
        assert_eq!(
            resolve_window(Some("1767000000"), Some("s+1w"), NOW),
            Ok((1_767_000_000, 1_767_000_000 + 604_800))
        );
        assert_eq!(
            resolve_window(Some("-1 day"), Some("e"), NOW).map_err(|_| ()),
            Err(())
        );
        assert_eq!(
            resolve_window(Some("-1d2h"), None, NOW),
            Ok((NOW - 93_600, NOW))
        );
    }

    #[test]
    fn calendar_times_are_refused() {
        for spec in [
            "-1month",
            "-1m",
            "noon yesterday",
            "20231231",
            "-1y",
            "Jan 1 2024",
        ] {
            assert!(
                matches!(
                    resolve_window(Some(spec), None, NOW),
                    Err(EvalError::Time { .. })
                ),
                "{spec}"
            );
        }
    }
}
