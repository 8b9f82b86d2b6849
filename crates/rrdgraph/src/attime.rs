//! A checker for librrd's at-style time grammar (rrdfetch(1), "AT-STYLE TIME SPECIFICATION").
//!
//! ```text
//! spec      := [reference] offset*
//! reference := now | n | (start | s | end | e | epoch) (followed by an offset)
//!            | seconds-since-epoch
//!            | time-of-day [day]
//!            | month-name day-of-month [year]
//! time      := HH[:MM] [am | pm] | midnight | noon | teatime   (librrd reads HH.MM as a date)
//! day       := yesterday | today | tomorrow | weekday-name | month-name dom [year]
//!            | MM/DD/[YY]YY | DD.MM.[YY]YY | YYYYMMDD
//! offset    := (+ | -) (number [unit])+
//! ```

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(String),
    Word(String),
    /// `+` or `-` (true).
    Sign(bool),
    Colon,
    Dot,
    Slash,
}

const MONTHS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
];

const WEEKDAYS: &[&str] = &[
    "sun",
    "sunday",
    "mon",
    "monday",
    "tue",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
];

const UNITS: &[&str] = &[
    "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h", "hr",
    "hrs", "hour", "hours", "d", "day", "days", "w", "wk", "wks", "week", "weeks", "mon", "month",
    "months", "y", "yr", "yrs", "year", "years",
];

fn tokenize(s: &str) -> Result<Vec<Tok>, &'static str> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' => i += 1,
            b'0'..=b'9' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Num(s[start..i].to_owned()));
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                out.push(Tok::Word(s[start..i].to_ascii_lowercase()));
            }
            b'+' | b'-' => {
                out.push(Tok::Sign(c == b'-'));
                i += 1;
            }
            b':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            b'.' => {
                out.push(Tok::Dot);
                i += 1;
            }
            b'/' => {
                out.push(Tok::Slash);
                i += 1;
            }
            _ => return Err("character not allowed in an at-style time"),
        }
    }
    Ok(out)
}

/// A year librrd reads as one: two digits, or four digits from 1980 (graphs cannot start
/// earlier) to 2199.
fn check_year(digits: &str) -> Result<(), &'static str> {
    let y: u64 = digits.parse().unwrap_or(0);
    match digits.len() {
        2 => Ok(()),
        4 if (1980..=2199).contains(&y) => Ok(()),
        _ => Err("a year has 2 digits or is 1980..=2199"),
    }
}

fn check_date(month: u64, day: u64) -> Result<(), &'static str> {
    if (1..=12).contains(&month) && (1..=31).contains(&day) {
        Ok(())
    } else {
        Err("a date needs a month 1..=12 and a day 1..=31")
    }
}

struct P {
    t: Vec<Tok>,
    i: usize,
    /// A seconds-since-epoch reference, the one kind whose absolute time is known here.
    epoch: Option<u64>,
    /// The earliest the offsets can move that reference, in seconds: each unit at its longest
    /// backwards (`m` may be a month, a month 31 days, a year 366) and shortest forwards.
    earliest_shift: i128,
}

/// librrd's "1980": ten years of seconds (1979-12-30). librrd refuses to fetch data from
/// before it ("the first entry to fetch should be after 1980"), so a graph that starts earlier
/// fails in librrd (checked with rrdtool 1.7.2: `315360001-1` draws, `315360001-2` does not).
const EPOCH_1980: i128 = 315_360_000;

/// librrd reads a number above this (ten years of seconds) as seconds since the epoch, both
/// when checking a spec here and when resolving it (`at_resolve`).
pub(crate) const EPOCH_NUMBERS_ABOVE: i64 = 10 * 365 * 24 * 60 * 60;

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }

    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.t.get(self.i + k)
    }

    fn word_in(&self, set: &[&str]) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if set.contains(&w.as_str()))
    }

    fn num(&mut self) -> Option<u64> {
        if let Some(Tok::Num(n)) = self.peek() {
            let v = n.parse().ok();
            self.i += 1;
            v.or(Some(u64::MAX))
        } else {
            None
        }
    }

    /// A year token.
    fn year(&mut self, missing: &'static str) -> Result<(), &'static str> {
        match self.peek() {
            Some(Tok::Num(y)) => {
                check_year(y)?;
                self.i += 1;
                Ok(())
            }
            _ => Err(missing),
        }
    }

    /// `month-name dom [year]`
    fn month_day(&mut self) -> Result<(), &'static str> {
        self.i += 1;
        match self.num() {
            Some(1..=31) => {}
            _ => return Err("a month name needs a day of the month"),
        }
        if let Some(Tok::Num(year)) = self.peek() {
            check_year(year)?;
            self.num();
        }
        Ok(())
    }

    /// An optional day after a time of day.
    fn day(&mut self) -> Result<(), &'static str> {
        if self.word_in(&["yesterday", "today", "tomorrow"]) || self.word_in(WEEKDAYS) {
            self.i += 1;
            return Ok(());
        }
        if self.word_in(MONTHS) {
            return self.month_day();
        }
        if let Some(Tok::Num(n)) = self.peek() {
            let n8 = n.len() == 8;
            match self.peek_at(1) {
                Some(Tok::Slash) => {
                    let month = self.num().unwrap_or(0);
                    self.i += 1;
                    let day = self.num().ok_or("MM/DD/[YY]YY needs a day")?;
                    check_date(month, day)?;
                    if self.peek() == Some(&Tok::Slash) {
                        self.i += 1;
                        self.year("MM/DD/[YY]YY needs a year after the second /")?;
                    }
                }
                Some(Tok::Dot) => {
                    let day = self.num().unwrap_or(0);
                    self.i += 1;
                    let month = self.num().ok_or("DD.MM.[YY]YY needs a month")?;
                    check_date(month, day)?;
                    if self.peek() != Some(&Tok::Dot) {
                        return Err("DD.MM.[YY]YY needs a year");
                    }
                    self.i += 1;
                    self.year("DD.MM.[YY]YY needs a year")?;
                }
                _ if n8 => {
                    check_year(&n[..4])?;
                    let v = self.num().unwrap_or(0);
                    check_date(v / 100 % 100, v % 100)?;
                }
                _ => return Err("a date must be MM/DD/[YY]YY, DD.MM.[YY]YY or YYYYMMDD"),
            }
        }
        Ok(())
    }

    /// `HH[:MM|.MM] [am|pm] [day]` already at a number.
    fn time_of_day(&mut self) -> Result<(), &'static str> {
        self.clock_time()?;
        self.day()
    }

    /// After a numeric date librrd reads a time of day again (`tod`), then offsets; with no
    /// time there, an offset's sign is misread as an hour and the spec fails.
    fn after_numeric_date(&mut self, what: &'static str) -> Result<(), &'static str> {
        match self.peek() {
            None => Ok(()),
            Some(Tok::Num(_)) => self.clock_time(),
            Some(_) => Err(what),
        }
    }

    /// `HH[:MM] [am|pm]` already at a number.
    fn clock_time(&mut self) -> Result<(), &'static str> {
        let h = self.num().unwrap_or(u64::MAX);
        // librrd 1.7.2 refuses hour 24 too ("did you really mean month 24?").
        if h > 23 {
            return Err("an hour must be 0..=23");
        }
        if self.peek() == Some(&Tok::Dot) {
            // Documented, but librrd 1.7 reads `HH.MM` as a `DD.MM` date ("month 30?").
            return Err("write the time of day as HH:MM (librrd reads HH.MM as a date)");
        }
        if self.peek() == Some(&Tok::Colon) && matches!(self.peek_at(1), Some(Tok::Num(_))) {
            self.i += 1;
            if self.num().unwrap_or(u64::MAX) > 59 {
                return Err("minutes must be 0..=59");
            }
        }
        if self.word_in(&["am", "pm"]) {
            if !(1..=12).contains(&h) {
                return Err("with am/pm the hour must be 1..=12");
            }
            self.i += 1;
        }
        Ok(())
    }

    fn reference(&mut self) -> Result<(), &'static str> {
        match self.peek().cloned() {
            None | Some(Tok::Sign(_)) => Ok(()),
            Some(Tok::Word(w)) => match w.as_str() {
                "now" | "n" => {
                    self.i += 1;
                    Ok(())
                }
                "start" | "s" | "end" | "e" | "epoch" => {
                    self.i += 1;
                    if matches!(self.peek(), Some(Tok::Sign(_))) {
                        Ok(())
                    } else {
                        Err("start, end and epoch must be followed by a + or - offset")
                    }
                }
                "midnight" | "noon" | "teatime" => {
                    self.i += 1;
                    self.day()
                }
                w if MONTHS.contains(&w) => {
                    self.month_day()?;
                    // librrd reads a time of day after a leading date (`Mar 29 2026 2:30`).
                    if matches!(self.peek(), Some(Tok::Num(_))) {
                        self.clock_time()
                    } else {
                        Ok(())
                    }
                }
                _ => Err("unknown word (expected now, start, end, epoch, a time or a month)"),
            },
            Some(Tok::Num(n)) => {
                if matches!(self.peek_at(1), Some(Tok::Slash | Tok::Dot)) {
                    // A date as the reference: MM/DD/[YY]YY or DD.MM.[YY]YY; like YYYYMMDD,
                    // librrd takes no offset after it.
                    self.day()?;
                    return self.after_numeric_date(
                        "librrd takes no offset after a bare numeric date (write 00:00 \
                         MM/DD/YYYY-1d or MM/DD/YYYY 00:00-1d)",
                    );
                }
                let clock = matches!(self.peek_at(1), Some(Tok::Colon))
                    || matches!(self.peek_at(1), Some(Tok::Word(w)) if w == "am" || w == "pm");
                // librrd reads a number above 315360000 (ten years of seconds) as seconds
                // since the epoch, eight digits below it as YYYYMMDD, and small ones as hours.
                let value: u64 = n.parse().unwrap_or(u64::MAX);
                match n.len() {
                    _ if clock => self.time_of_day(),
                    _ if value > EPOCH_NUMBERS_ABOVE.unsigned_abs() => {
                        self.epoch = Some(value);
                        self.i += 1;
                        Ok(())
                    }
                    8 => {
                        self.day()?;
                        self.after_numeric_date(
                            "librrd takes no offset after a bare YYYYMMDD date (write 00:00 \
                             YYYYMMDD-1d)",
                        )
                    }
                    len if len > 8 => Err("librrd reads numbers up to 315360000 as dates, not \
                                           seconds (write epoch+Ns)"),
                    _ => self.time_of_day(),
                }
            }
            Some(_) => Err("an at-style time starts with a reference or a + or - offset"),
        }
    }

    fn offsets(&mut self) -> Result<(), &'static str> {
        while let Some(t) = self.peek() {
            let Tok::Sign(backwards) = *t else {
                return Err("expected a + or - offset");
            };
            self.i += 1;
            let mut parts = 0;
            while let Some(Tok::Num(n)) = self.peek() {
                let amount: i128 = n.parse().unwrap_or(i128::from(u64::MAX));
                self.i += 1;
                parts += 1;
                let mut unit = None;
                if let Some(Tok::Word(w)) = self.peek() {
                    if !UNITS.contains(&w.as_str()) {
                        return Err("unknown time unit (expected s, min, h, d, w, mon, y, …)");
                    }
                    unit = Some(w.clone());
                    self.i += 1;
                }
                let (shortest, longest) = unit_seconds(unit.as_deref());
                self.earliest_shift += if backwards {
                    -amount * longest
                } else {
                    amount * shortest
                };
            }
            if parts == 0 {
                return Err("a + or - needs an amount");
            }
        }
        Ok(())
    }
}

/// What an at-style time is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The graph start (`start`, `s`).
    Start,
    /// The graph end (`end`, `e`).
    End,
    /// Anything else (now, a date, epoch seconds).
    Other,
}

/// The reference word of a (valid) at-style time.
pub(crate) fn anchor(spec: &str) -> Anchor {
    match tokenize(spec).ok().and_then(|t| t.into_iter().next()) {
        Some(Tok::Word(w)) if w == "start" || w == "s" => Anchor::Start,
        Some(Tok::Word(w)) if w == "end" || w == "e" => Anchor::End,
        _ => Anchor::Other,
    }
}

/// Checks `spec` against the at-style grammar; the reason on failure.
pub(crate) fn check(spec: &str) -> Result<(), &'static str> {
    let t = tokenize(spec)?;
    if t.is_empty() {
        return Err("empty");
    }
    let mut p = P {
        t,
        i: 0,
        epoch: None,
        earliest_shift: 0,
    };
    p.reference()?;
    p.offsets()?;
    if let Some(epoch) = p.epoch
        && i128::from(epoch) + p.earliest_shift < EPOCH_1980
    {
        return Err("librrd fetches no data from before 1980 (315360000 seconds since the epoch)");
    }
    Ok(())
}

/// The shortest and longest a unit can be, in seconds (a bare number in an offset is seconds).
fn unit_seconds(unit: Option<&str>) -> (i128, i128) {
    const DAY: i128 = 86_400;
    match unit {
        None | Some("s" | "sec" | "secs" | "second" | "seconds") => (1, 1),
        Some("m") => (60, 31 * DAY),
        Some("min" | "mins" | "minute" | "minutes") => (60, 60),
        Some("h" | "hr" | "hrs" | "hour" | "hours") => (3600, 3600),
        Some("d" | "day" | "days") => (DAY, DAY),
        Some("w" | "wk" | "wks" | "week" | "weeks") => (7 * DAY, 7 * DAY),
        Some("mon" | "month" | "months") => (28 * DAY, 31 * DAY),
        _ => (365 * DAY, 366 * DAY),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    /// Accepted by librrd 1.7.2 as `--start` (checked with `rrdtool graph`).
    const LIBRRD_ACCEPTS: &[&str] = &[
        "20231231",
        "920804400",
        "315360001",
        "315360001-1",
        "320000000-1d",
        "320000000-1m",
        "12/31/2023",
        "1700000000 -1d",
        "00:00 20231231-1d",
        "00:00 12/31/2023 -1d",
        "-1d",
        "now-2h",
        "end-1w",
        "1700000000",
        "noon yesterday",
        "midnight",
        "end-8days8hours",
        "-1month",
        "now-1y",
        "teatime",
        "Jan 1 2024",
        "-86400",
        "12am",
        "-1wk",
        "now-3mon",
        "e-1h",
        "n-1h",
        "-1 day",
        "-1d-2h",
        "-1 h",
        "17:00",
        "now-1hr",
        "-5mon1w2d",
        "12:30 12/31/2023",
        "8pm 31.12.2023",
        "00:00 20231231",
        "March 8 1999",
        "noon sunday",
    ];

    /// Refused by librrd 1.7.2.
    /// Refused by librrd 1.7.2 (eight digits are YYYYMMDD; no offset after a bare one).
    const LIBRRD_REFUSES_DATES: &[&str] = &[
        "20000000",
        "20231231-1d",
        "20231231 +1h",
        "123456789",
        "315360000",
        "19700101",
        "25000601",
        "1/1/2000+1s",
        "31.12.2023-1d",
    ];

    const LIBRRD_REFUSES: &[&str] = &[
        "315360001-2",
        "320000000-1y",
        "today",
        "yesterday noon",
        "tomorrow",
        "epoch",
        "sunday",
        "2024-01-02",
        "now;1",
        "rm -rf",
        "",
        "now-",
        "end",
        "start",
        "25:00",
        "12:61",
    ];

    /// Accepted by librrd 1.7.2 but refused here, as almost certainly mistakes.
    const STRICTER: &[&str] = &["-1x", "-1dy", "Jan 32", "Jan 1 20000000"];

    #[test]
    fn agrees_with_librrd() {
        for ok in LIBRRD_ACCEPTS {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in LIBRRD_REFUSES
            .iter()
            .chain(LIBRRD_REFUSES_DATES)
            .chain(STRICTER)
        {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
