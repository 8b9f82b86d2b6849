//! A checker for librrd's at-style time grammar (rrdfetch(1), "AT-STYLE TIME SPECIFICATION").
//!
//! ```text
//! spec      := [reference] offset*
//! reference := now | n | (start | s | end | e | epoch) (followed by an offset)
//!            | seconds-since-epoch
//!            | time-of-day [day]
//!            | month-name day-of-month [year]
//! time      := HH[:MM | .MM] [am | pm] | midnight | noon | teatime
//! day       := yesterday | today | tomorrow | weekday-name | month-name dom [year]
//!            | MM/DD/[YY]YY | DD.MM.[YY]YY | YYYYMMDD
//! offset    := (+ | -) (number [unit])+
//! ```

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(String),
    Word(String),
    Sign,
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
                out.push(Tok::Sign);
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

struct P {
    t: Vec<Tok>,
    i: usize,
}

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

    /// `month-name dom [year]`
    fn month_day(&mut self) -> Result<(), &'static str> {
        self.i += 1;
        match self.num() {
            Some(1..=31) => {}
            _ => return Err("a month name needs a day of the month"),
        }
        if matches!(self.peek(), Some(Tok::Num(_))) {
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
                    self.i += 2;
                    self.num().ok_or("MM/DD/[YY]YY needs a day")?;
                    if self.peek() == Some(&Tok::Slash) {
                        self.i += 1;
                        self.num()
                            .ok_or("MM/DD/[YY]YY needs a year after the second /")?;
                    }
                }
                Some(Tok::Dot) => {
                    self.i += 2;
                    self.num().ok_or("DD.MM.[YY]YY needs a month")?;
                    if self.peek() != Some(&Tok::Dot) {
                        return Err("DD.MM.[YY]YY needs a year");
                    }
                    self.i += 1;
                    self.num().ok_or("DD.MM.[YY]YY needs a year")?;
                }
                _ if n8 => self.i += 1,
                _ => return Err("a date must be MM/DD/[YY]YY, DD.MM.[YY]YY or YYYYMMDD"),
            }
        }
        Ok(())
    }

    /// `HH[:MM|.MM] [am|pm]` already at a number.
    fn time_of_day(&mut self) -> Result<(), &'static str> {
        let h = self.num().unwrap_or(u64::MAX);
        if h > 24 {
            return Err("an hour must be 0..=24");
        }
        if matches!(self.peek(), Some(Tok::Colon | Tok::Dot))
            && matches!(self.peek_at(1), Some(Tok::Num(_)))
        {
            self.i += 1;
            if self.num().unwrap_or(u64::MAX) > 59 {
                return Err("minutes must be 0..=59");
            }
        }
        if self.word_in(&["am", "pm"]) {
            self.i += 1;
        }
        self.day()
    }

    fn reference(&mut self) -> Result<(), &'static str> {
        match self.peek().cloned() {
            None | Some(Tok::Sign) => Ok(()),
            Some(Tok::Word(w)) => match w.as_str() {
                "now" | "n" => {
                    self.i += 1;
                    Ok(())
                }
                "start" | "s" | "end" | "e" | "epoch" => {
                    self.i += 1;
                    if self.peek() == Some(&Tok::Sign) {
                        Ok(())
                    } else {
                        Err("start, end and epoch must be followed by a + or - offset")
                    }
                }
                "midnight" | "noon" | "teatime" => {
                    self.i += 1;
                    self.day()
                }
                w if MONTHS.contains(&w) => self.month_day(),
                _ => Err("unknown word (expected now, start, end, epoch, a time or a month)"),
            },
            Some(Tok::Num(n)) => {
                let timeish = matches!(self.peek_at(1), Some(Tok::Colon | Tok::Dot))
                    && matches!(self.peek_at(2), Some(Tok::Num(_)))
                    || matches!(self.peek_at(1), Some(Tok::Word(w)) if w == "am" || w == "pm");
                if !timeish && n.len() >= 8 {
                    // Seconds since the epoch, or YYYYMMDD.
                    self.i += 1;
                    Ok(())
                } else {
                    self.time_of_day()
                }
            }
            Some(_) => Err("an at-style time starts with a reference or a + or - offset"),
        }
    }

    fn offsets(&mut self) -> Result<(), &'static str> {
        while let Some(t) = self.peek() {
            if *t != Tok::Sign {
                return Err("expected a + or - offset");
            }
            self.i += 1;
            let mut parts = 0;
            while matches!(self.peek(), Some(Tok::Num(_))) {
                self.i += 1;
                parts += 1;
                if let Some(Tok::Word(w)) = self.peek() {
                    if !UNITS.contains(&w.as_str()) {
                        return Err("unknown time unit (expected s, min, h, d, w, mon, y, …)");
                    }
                    self.i += 1;
                }
            }
            if parts == 0 {
                return Err("a + or - needs an amount");
            }
        }
        Ok(())
    }
}

/// Checks `spec` against the at-style grammar; the reason on failure.
pub(crate) fn check(spec: &str) -> Result<(), &'static str> {
    let t = tokenize(spec)?;
    if t.is_empty() {
        return Err("empty");
    }
    let mut p = P { t, i: 0 };
    p.reference()?;
    p.offsets()
}

#[cfg(test)]
mod tests {
    use super::check;

    /// Accepted by librrd 1.7.2 as `--start` (checked with `rrdtool graph`).
    const LIBRRD_ACCEPTS: &[&str] = &[
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
    const LIBRRD_REFUSES: &[&str] = &[
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
    const STRICTER: &[&str] = &["-1x", "-1dy", "Jan 32"];

    #[test]
    fn agrees_with_librrd() {
        for ok in LIBRRD_ACCEPTS {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in LIBRRD_REFUSES.iter().chain(STRICTER) {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
