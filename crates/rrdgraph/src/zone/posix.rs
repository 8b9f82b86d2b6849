//! POSIX `TZ` strings as glibc reads them (`std offset [dst [offset] [,start[/time],end[/time]]]`,
//! with RFC 8536's extensions: `<…>` names and rule times from -167 to 167 hours).

use crate::civil::{civil_from_days, days_from_civil};
use crate::zone_error::ZoneError;

/// A zone described by a POSIX TZ string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PosixTz {
    pub(crate) std_abbr: String,
    /// Seconds east of UTC (POSIX writes them west).
    pub(crate) std_offset: i64,
    pub(crate) dst: Option<Dst>,
}

/// The daylight-saving part of a POSIX TZ string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dst {
    pub(crate) abbr: String,
    pub(crate) offset: i64,
    start: (Rule, i64),
    end: (Rule, i64),
}

/// The day of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// `Jn`: 1 to 365, February 29th never counted.
    NoLeap(i64),
    /// `n`: 0 to 365, February 29th counted.
    Day(i64),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = the last) of month `m`.
    Month(i64, i64, i64),
}

/// What `localtime_r` reports for one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Local<'a> {
    pub(crate) offset: i64,
    pub(crate) is_dst: bool,
    pub(crate) abbr: &'a str,
}

impl PosixTz {
    /// The local time type in effect at `t`.
    pub(crate) fn at(&self, t: i64) -> Local<'_> {
        let std = Local {
            offset: self.std_offset,
            is_dst: false,
            abbr: &self.std_abbr,
        };
        let Some(dst) = &self.dst else {
            return std;
        };
        // Like glibc, the transitions of the year `t` falls in by standard time.
        let (year, _, _) = civil_from_days(t.saturating_add(self.std_offset).div_euclid(86_400));
        // Saturating: years near the ends of i64 seconds have no meaningful rule day anyway.
        let at = |day: i64, time: i64, offset: i64| {
            day.saturating_mul(86_400)
                .saturating_add(time)
                .saturating_sub(offset)
        };
        let start = at(dst.start.0.day(year), dst.start.1, self.std_offset);
        let end = at(dst.end.0.day(year), dst.end.1, dst.offset);
        let in_dst = if start <= end {
            start <= t && t < end
        } else {
            !(end <= t && t < start)
        };
        if in_dst {
            Local {
                offset: dst.offset,
                is_dst: true,
                abbr: &dst.abbr,
            }
        } else {
            std
        }
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

impl Rule {
    /// Days since 1970-01-01 of the rule's day in `year`.
    fn day(self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        match self {
            Rule::NoLeap(n) => jan1 + n - 1 + i64::from(is_leap(year) && n >= 60),
            Rule::Day(n) => jan1 + n,
            Rule::Month(m, w, d) => {
                let first = days_from_civil(year, m, 1);
                let first_wday = (first + 4).rem_euclid(7);
                let mut day = first + (d - first_wday).rem_euclid(7) + 7 * (w - 1);
                let next = if m == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, m + 1, 1)
                };
                while day >= next {
                    day -= 7;
                }
                day
            }
        }
    }
}

struct Cursor<'a> {
    spec: &'a str,
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn fail(&self, reason: &'static str) -> ZoneError {
        ZoneError::BadPosix {
            spec: self.spec.chars().take(80).collect(),
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.rest = &self.rest[1..];
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<String, ZoneError> {
        let (len, skip) = if self.eat(b'<') {
            let len = self
                .rest
                .iter()
                .position(|&b| b == b'>')
                .ok_or_else(|| self.fail("a `<` name without its `>`"))?;
            if !self.rest[..len]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'-')
            {
                return Err(self.fail("a `<…>` name holds only letters, digits, + and -"));
            }
            (len, 1)
        } else {
            (
                self.rest
                    .iter()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count(),
                0,
            )
        };
        if len < 3 {
            return Err(self.fail("a zone name has at least three characters"));
        }
        let name = String::from_utf8_lossy(&self.rest[..len]).into_owned();
        self.rest = &self.rest[len + skip..];
        Ok(name)
    }

    fn number(&mut self, max: i64) -> Result<i64, ZoneError> {
        let digits = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return Err(self.fail("expected a number of one to three digits"));
        }
        let mut n = 0;
        for &b in &self.rest[..digits] {
            n = n * 10 + i64::from(b - b'0');
        }
        self.rest = &self.rest[digits..];
        if n > max {
            return Err(self.fail("a number out of range"));
        }
        Ok(n)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, hours up to `max_hours`.
    fn hms(&mut self, max_hours: i64) -> Result<i64, ZoneError> {
        let negative = if self.eat(b'-') {
            true
        } else {
            self.eat(b'+');
            false
        };
        let mut secs = self.number(max_hours)? * 3600;
        if self.eat(b':') {
            secs += self.number(59)? * 60;
            if self.eat(b':') {
                secs += self.number(59)?;
            }
        }
        Ok(if negative { -secs } else { secs })
    }

    fn rule(&mut self) -> Result<(Rule, i64), ZoneError> {
        let rule = if self.eat(b'J') {
            let n = self.number(365)?;
            if n == 0 {
                return Err(self.fail("a `J` day is 1 to 365"));
            }
            Rule::NoLeap(n)
        } else if self.eat(b'M') {
            let m = self.number(12)?;
            let dot = self.eat(b'.');
            let w = self.number(5)?;
            let dot2 = self.eat(b'.');
            let d = self.number(6)?;
            if m == 0 || w == 0 || !dot || !dot2 {
                return Err(self.fail("an `M` rule is Mmonth.week.day"));
            }
            Rule::Month(m, w, d)
        } else {
            Rule::Day(self.number(365)?)
        };
        let time = if self.eat(b'/') { self.hms(167)? } else { 7200 };
        Ok((rule, time))
    }
}

/// Reads a POSIX TZ string (without glibc's leading `:`).
pub(crate) fn parse(spec: &str) -> Result<PosixTz, ZoneError> {
    let mut c = Cursor {
        spec,
        rest: spec.as_bytes(),
    };
    let std_abbr = c.name()?;
    let std_offset = -c.hms(24)?;
    let dst = if c.peek().is_none() {
        None
    } else {
        let abbr = c.name()?;
        let offset = match c.peek() {
            Some(b) if b.is_ascii_digit() || b == b'+' || b == b'-' => -c.hms(24)?,
            _ => std_offset + 3600,
        };
        let (start, end) = if c.eat(b',') {
            let start = c.rule()?;
            if !c.eat(b',') {
                return Err(c.fail("a start rule without an end rule"));
            }
            (start, c.rule()?)
        } else if c.peek().is_none() {
            // glibc's default when no `posixrules` says otherwise: the US rules since 2007.
            ((Rule::Month(3, 2, 0), 7200), (Rule::Month(11, 1, 0), 7200))
        } else {
            return Err(c.fail("expected `,` and the rules after the daylight-saving name"));
        };
        Some(Dst {
            abbr,
            offset,
            start,
            end,
        })
    };
    if c.peek().is_some() {
        return Err(c.fail("text after the rules"));
    }
    Ok(PosixTz {
        std_abbr,
        std_offset,
        dst,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fixed_and_rule_zones() {
        let z = parse("<+0530>-5:30").unwrap();
        assert_eq!((z.std_abbr.as_str(), z.std_offset), ("+0530", 19_800));
        assert!(z.dst.is_none());
        let z = parse("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 2026-03-29 01:00 UTC starts CEST, 2026-10-25 01:00 UTC ends it.
        assert_eq!(z.at(1_774_746_000 - 1).abbr, "CET");
        assert_eq!(z.at(1_774_746_000).abbr, "CEST");
        assert_eq!(z.at(1_774_746_000).offset, 7200);
        assert_eq!(z.at(1_792_890_000 - 1).offset, 7200);
        assert_eq!(z.at(1_792_890_000).offset, 3600);
        // The southern hemisphere: DST spans the new year.
        let z = parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0").unwrap();
        assert_eq!(z.at(1_767_225_600).offset, 39_600);
        assert_eq!(z.at(1_783_000_000).offset, 37_800);
    }

    #[test]
    fn refuses_malformed_strings() {
        for s in [
            "",
            "AB1",
            "CET",
            "CET-1CEST,M3.5.0",
            "<abc-1",
            "EST5EDT,M13.1.0,M1.1.0",
            "UTC0 ",
        ] {
            assert!(parse(s).is_err(), "{s:?}");
        }
    }
}
