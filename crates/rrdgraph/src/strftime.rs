//! PRINT and GPRINT's time formats as librrd 1.7.2 writes them: glibc's `strftime` in the C
//! locale (`:strftime` over a VDEF's time, `:valstrftime` over its value), and `time_clean`,
//! the dashes librrd writes when a VDEF has no time.
//!
//! Only what the C library would write the same way everywhere is formatted; anything else (a
//! flag or width glibc interprets, `%E`/`%O`, `%Z` of a bare offset with no zone name, `%s` of
//! a broken-down time, an unknown conversion) is an error that names it, never a guessed text.

use crate::civil::{civil_from_days, days_from_civil};

/// librrd's legend buffer: `strftime` is given this many bytes, NUL included.
pub(crate) const FMT_LEG_LEN: usize = 200;

/// A broken-down time, as `gmtime_r` or `localtime_r` at a fixed offset fill `struct tm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tm<'a> {
    year: i64,
    /// 1 to 12.
    month: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    /// 0 = Sunday.
    wday: i64,
    /// 0 = January 1st.
    yday: i64,
    /// Seconds east of UTC.
    offset: i64,
    /// The zone's abbreviation where it is known (`GMT` for `gmtime_r`).
    zone: Option<&'a str>,
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

impl<'a> Tm<'a> {
    /// `t` seconds since the epoch, `offset` seconds east of UTC; `zone` where it is known.
    pub(crate) fn at(t: i64, offset: i64, zone: Option<&'a str>) -> Self {
        let local = t.saturating_add(offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, mday) = civil_from_days(days);
        Self {
            year,
            month,
            mday,
            hour: secs / 3600,
            min: secs / 60 % 60,
            sec: secs % 60,
            wday: (days + 4).rem_euclid(7),
            yday: days - days_from_civil(year, 1, 1),
            offset,
            zone,
        }
    }

    /// `gmtime_r`: UTC, the zone `GMT`.
    pub(crate) fn utc(t: i64) -> Self {
        Self::at(t, 0, Some("GMT"))
    }

    fn hour12(&self) -> i64 {
        match self.hour % 12 {
            0 => 12,
            h => h,
        }
    }

    /// glibc's ISO 8601 week-based year and week (`%G`, `%V`).
    fn iso_week(&self) -> (i64, i64) {
        // Days since the Monday of the year's first week (the one with its first Thursday);
        // the multiple of 7 keeps `%`'s operand positive.
        let iso_days = |yday: i64, wday: i64| -> i64 {
            let big_enough_multiple_of_7 = (366 / 7 + 2) * 7;
            yday - (yday - wday + 4 + big_enough_multiple_of_7) % 7 + 3
        };
        let mut year = self.year;
        let mut days = iso_days(self.yday, self.wday);
        if days < 0 {
            year -= 1;
            let len = if is_leap(year) { 366 } else { 365 };
            days = iso_days(self.yday + len, self.wday);
        } else {
            let len = if is_leap(year) { 366 } else { 365 };
            let next = iso_days(self.yday - len, self.wday);
            if next >= 0 {
                year += 1;
                days = next;
            }
        }
        (year, days / 7 + 1)
    }
}

/// `strftime(buf, FMT_LEG_LEN, format, tm)` in the C locale. `Err` names what is not
/// formatted here; an answer that would not fit librrd's buffer is refused too.
pub(crate) fn strftime(format: &str, tm: &Tm<'_>) -> Result<String, String> {
    let out = expand(format, |out, conv, _| match conv {
        Some(conv) => conversion(out, conv, tm),
        None => Err("a format ending in %".to_owned()),
    })?;
    if out.len() >= FMT_LEG_LEN {
        return Err(format!(
            "a text of {} bytes, more than librrd's {FMT_LEG_LEN}-byte buffer holds",
            out.len()
        ));
    }
    Ok(out)
}

/// `format` with its text copied and each `%` conversion written by `conv` (given the
/// character after the `%`, `None` at the end, and the rest of the format).
fn expand(
    format: &str,
    mut conv: impl FnMut(&mut String, Option<char>, &mut std::str::Chars<'_>) -> Result<(), String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let next = chars.next();
            conv(&mut out, next, &mut chars)?;
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn conversion(out: &mut String, conv: char, tm: &Tm) -> Result<(), String> {
    use std::fmt::Write as _;
    let day = usize::try_from(tm.wday).unwrap_or(0) % 7;
    let month = usize::try_from(tm.month - 1).unwrap_or(0) % 12;
    // Years glibc writes with more or fewer digits, or with a sign, are not formatted here.
    let year_ok = (1000..=9999).contains(&tm.year);
    let _ = match conv {
        'a' => write!(out, "{}", &DAYS[day][..3]),
        'A' => write!(out, "{}", DAYS[day]),
        'b' | 'h' => write!(out, "{}", &MONTHS[month][..3]),
        'B' => write!(out, "{}", MONTHS[month]),
        'c' if year_ok => {
            for c in ["%a", " ", "%b", " ", "%e", " ", "%H:%M:%S", " ", "%Y"] {
                out.push_str(&strftime(c, tm)?);
            }
            Ok(())
        }
        'C' if year_ok => write!(out, "{:02}", tm.year / 100),
        'd' => write!(out, "{:02}", tm.mday),
        'D' | 'x' => write!(
            out,
            "{:02}/{:02}/{:02}",
            tm.month,
            tm.mday,
            tm.year.rem_euclid(100)
        ),
        'e' => write!(out, "{:2}", tm.mday),
        'F' if year_ok => write!(out, "{}-{:02}-{:02}", tm.year, tm.month, tm.mday),
        'g' if year_ok => write!(out, "{:02}", tm.iso_week().0 % 100),
        'G' if year_ok => write!(out, "{}", tm.iso_week().0),
        'H' => write!(out, "{:02}", tm.hour),
        'I' => write!(out, "{:02}", tm.hour12()),
        'j' => write!(out, "{:03}", tm.yday + 1),
        'k' => write!(out, "{:2}", tm.hour),
        'l' => write!(out, "{:2}", tm.hour12()),
        'm' => write!(out, "{:02}", tm.month),
        'M' => write!(out, "{:02}", tm.min),
        'n' => writeln!(out),
        'p' => write!(out, "{}", if tm.hour < 12 { "AM" } else { "PM" }),
        'P' => write!(out, "{}", if tm.hour < 12 { "am" } else { "pm" }),
        'r' => write!(
            out,
            "{:02}:{:02}:{:02} {}",
            tm.hour12(),
            tm.min,
            tm.sec,
            if tm.hour < 12 { "AM" } else { "PM" }
        ),
        'R' => write!(out, "{:02}:{:02}", tm.hour, tm.min),
        'S' => write!(out, "{:02}", tm.sec),
        't' => write!(out, "\t"),
        'T' | 'X' => write!(out, "{:02}:{:02}:{:02}", tm.hour, tm.min, tm.sec),
        'u' => write!(out, "{}", if tm.wday == 0 { 7 } else { tm.wday }),
        'U' => write!(out, "{:02}", (tm.yday - tm.wday + 7) / 7),
        'V' => write!(out, "{:02}", tm.iso_week().1),
        'w' => write!(out, "{}", tm.wday),
        'W' => write!(out, "{:02}", (tm.yday - (tm.wday - 1 + 7) % 7 + 7) / 7),
        'y' => write!(out, "{:02}", tm.year.rem_euclid(100)),
        'Y' if year_ok => write!(out, "{}", tm.year),
        'z' => {
            let (sign, off) = if tm.offset < 0 {
                ('-', -tm.offset)
            } else {
                ('+', tm.offset)
            };
            write!(out, "{sign}{:02}{:02}", off / 3600, off / 60 % 60)
        }
        'Z' => match tm.zone {
            Some(z) => write!(out, "{z}"),
            None => return Err("%Z: the process's time zone name is not known here".to_owned()),
        },
        '%' => write!(out, "%"),
        'c' | 'C' | 'F' | 'g' | 'G' | 'Y' => {
            return Err(format!("%{conv} of the year {}", tm.year));
        }
        other => {
            return Err(format!(
                "the strftime conversion %{other} (flags, widths, %E, %O, %s and \
                 extensions are not formatted here)"
            ));
        }
    };
    Ok(())
}

/// librrd's `time_clean`: a `:strftime` format over a VDEF without a time, each conversion
/// replaced by dashes about as wide as its text.
pub(crate) fn time_clean(format: &str) -> Result<String, String> {
    let out = expand(format, |out, conv, chars| {
        // librrd reads the NUL after a last `%` as "anything else".
        let Some(conv) = conv else {
            out.push('-');
            return Ok(());
        };
        let text = match conv {
            'E' | 'O' => {
                // librrd skips the modifier and the conversion after it.
                chars.next();
                "-"
            }
            'C' | 'd' | 'g' | 'H' | 'I' | 'm' | 'M' | 'S' | 'U' | 'V' | 'W' | 'y' => "--",
            'j' => "---",
            'G' | 'Y' => "----",
            'R' => "--:--",
            'T' => "--:--:--",
            'F' => "----------",
            'D' => "--/--/--",
            'n' => "\r\n",
            't' => "\t",
            '%' => "%",
            ' ' => "% ",
            '.' => "%.",
            '@' => "%@",
            _ => "-",
        };
        out.push_str(text);
        Ok(())
    })?;
    // librrd stops early near the end of its buffer; such lengths are not reproduced.
    if out.len() + 10 >= FMT_LEG_LEN || format.len() + 2 >= FMT_LEG_LEN {
        return Err(format!(
            "a format of {} bytes, near librrd's {FMT_LEG_LEN}-byte buffer",
            format.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_locale_texts() {
        // 2026-03-29 01:30:05 UTC, a Sunday, in ISO week 13.
        let tm = Tm::utc(1_774_747_805);
        let text = strftime("%a %A %b %B %d %e %H %I %j %m %M %p %S %u %w %y %Y", &tm).unwrap();
        assert_eq!(
            text,
            "Sun Sunday Mar March 29 29 01 01 088 03 30 AM 05 7 0 26 2026"
        );
        assert_eq!(
            strftime("%c|%D|%F|%T|%R|%r", &tm).unwrap(),
            "Sun Mar 29 01:30:05 2026|03/29/26|2026-03-29|01:30:05|01:30|01:30:05 AM"
        );
        assert_eq!(
            strftime("%G-W%V %U %W %z %Z %%", &tm).unwrap(),
            "2026-W13 13 12 +0000 GMT %"
        );
        assert!(strftime("%Ey", &tm).is_err());
        assert!(strftime("%-d", &tm).is_err());
        assert!(strftime("%s", &tm).is_err());
        let east = Tm::at(1_774_747_805, 7200, None);
        assert_eq!(strftime("%H:%M %z", &east).unwrap(), "03:30 +0200");
        assert!(strftime("%Z", &east).is_err());
    }

    #[test]
    fn iso_weeks_at_year_ends() {
        // 2021-01-03 (Sunday) is in 2020-W53; 2024-12-30 (Monday) in 2025-W01.
        let tm = Tm::utc(days_from_civil(2021, 1, 3) * 86_400);
        assert_eq!(strftime("%G %V %g", &tm).unwrap(), "2020 53 20");
        let tm = Tm::utc(days_from_civil(2024, 12, 30) * 86_400);
        assert_eq!(strftime("%G %V", &tm).unwrap(), "2025 01");
    }

    #[test]
    fn dashes_without_a_time() {
        assert_eq!(time_clean("%Y-%m-%d %H:%M").unwrap(), "---------- --:--");
        assert_eq!(time_clean("%T %j %Ey %a%%").unwrap(), "--:--:-- --- - -%");
    }
}
