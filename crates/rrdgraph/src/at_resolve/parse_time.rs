//! librrd 1.7.2's `rrd_parsetime`, step for step: the same scanner, the same order of the
//! time-of-day and day parsers (with their sentinel hour 30 and year 30000, and the token
//! restored when a number turns out to be a date), the same `m` guess, and the same C
//! arithmetic on `struct tm` fields, so that odd specs resolve as librrd resolves them.

use super::scan::{Raw, tokens};
use super::tm::Tm;
use crate::attime::EPOCH_NUMBERS_ABOVE;
use crate::zone::Zone;

/// What a time is relative to (librrd's `ptv->type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Absolute,
    Start,
    End,
    Epoch,
}

/// librrd's `rrd_time_value_t`: fields, and seconds added after `mktime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TimeValue {
    pub(super) kind: Kind,
    pub(super) offset: i64,
    pub(super) tm: Tm,
}

/// A token as librrd's parser sees it: the word looked up in the current table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    Midnight,
    Noon,
    Teatime,
    Pm,
    Am,
    Yesterday,
    Today,
    Tomorrow,
    Now,
    Start,
    End,
    Epoch,
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
    MonthsMinutes,
    Number,
    Plus,
    Minus,
    Dot,
    Colon,
    Slash,
    /// A word in neither table.
    Word,
    Eof,
    /// January = 0.
    Month(i64),
    /// Sunday = 0.
    Weekday(i64),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// librrd's `VariousWords`.
fn various(word: &str) -> Id {
    let w = word.to_ascii_lowercase();
    if let Some(m) = MONTHS.iter().chain(&MONTH_NAMES).position(|n| *n == w) {
        return Id::Month(i64::try_from(m % 12).unwrap_or(0));
    }
    if let Some(d) = WEEKDAYS.iter().position(|n| *n == w || n[..3] == *w) {
        return Id::Weekday(i64::try_from(d).unwrap_or(0));
    }
    match w.as_str() {
        "midnight" => Id::Midnight,
        "noon" => Id::Noon,
        "teatime" => Id::Teatime,
        "am" => Id::Am,
        "pm" => Id::Pm,
        "tomorrow" => Id::Tomorrow,
        "yesterday" => Id::Yesterday,
        "today" => Id::Today,
        "now" | "n" => Id::Now,
        "start" | "s" => Id::Start,
        "end" | "e" => Id::End,
        "epoch" => Id::Epoch,
        _ => Id::Word,
    }
}

/// librrd's `TimeMultipliers`.
fn multiplier(word: &str) -> Id {
    match word.to_ascii_lowercase().as_str() {
        "second" | "seconds" | "sec" | "s" => Id::Seconds,
        "minute" | "minutes" | "min" => Id::Minutes,
        "m" => Id::MonthsMinutes,
        "hour" | "hours" | "hr" | "h" => Id::Hours,
        "day" | "days" | "d" => Id::Days,
        "week" | "weeks" | "wk" | "w" => Id::Weeks,
        "month" | "months" | "mon" => Id::Months,
        "year" | "years" | "yr" | "y" => Id::Years,
        _ => Id::Word,
    }
}

/// C's `atol` of a token: its leading digits (none is 0). Numbers past an `int` are refused
/// rather than wrapped as C would.
fn atol(text: &str) -> Result<i64, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok(0);
    }
    text[..digits]
        .parse::<i64>()
        .ok()
        .filter(|_| digits <= 18)
        .ok_or_else(|| format!("the number {text} is out of range"))
}

struct Parser<'a> {
    toks: Vec<(Raw, &'a str)>,
    /// The index of the next token to read.
    pos: usize,
    id: Id,
    text: String,
    offsets: bool,
    tv: TimeValue,
    op: Id,
    prev_multiplier: Option<Id>,
}

type Step = Result<(), String>;

impl Parser<'_> {
    fn token(&mut self) -> Id {
        let (raw, text) = self.toks[self.pos.min(self.toks.len() - 1)];
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        self.text = text.to_owned();
        self.id = match raw {
            Raw::Number => Id::Number,
            Raw::Word if self.offsets => multiplier(text),
            Raw::Word => various(text),
            Raw::Colon => Id::Colon,
            Raw::Dot => Id::Dot,
            Raw::Plus => Id::Plus,
            Raw::Minus => Id::Minus,
            Raw::Slash => Id::Slash,
            Raw::Eof => Id::Eof,
        };
        self.id
    }

    fn rest(&self) -> String {
        self.toks[self.pos..]
            .iter()
            .map(|t| t.1)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn expect(&mut self, id: Id, complaint: String) -> Step {
        if self.token() == id {
            Ok(())
        } else {
            Err(complaint)
        }
    }

    fn int(&self) -> Result<i64, String> {
        let n = atol(&self.text)?;
        if n > i64::from(i32::MAX) {
            return Err(format!("the number {} is out of range", self.text));
        }
        Ok(n)
    }

    fn plus_minus(&mut self, doop: Option<Id>) -> Step {
        if let Some(op) = doop {
            self.op = op;
            let sign = if op == Id::Plus { '+' } else { '-' };
            self.expect(Id::Number, format!("There should be number after '{sign}'"))?;
            self.prev_multiplier = None;
        }
        let mut delta = self.int()?;
        if self.token() == Id::MonthsMinutes {
            self.id = match self.prev_multiplier {
                Some(Id::Days | Id::Weeks | Id::Months | Id::Years) => Id::Months,
                Some(Id::Seconds | Id::Minutes | Id::Hours) => Id::Minutes,
                // librrd: who needs deltas of less than 6 minutes?
                _ if delta < 6 => Id::Months,
                _ => Id::Minutes,
            };
        }
        self.prev_multiplier = Some(self.id);
        if self.op == Id::Minus {
            delta = -delta;
        }
        // Sums past any calendar saturate; mktime then refuses them.
        let tm = &mut self.tv.tm;
        let (field, by) = match self.id {
            Id::Years => (&mut tm.year, delta),
            Id::Months => (&mut tm.mon, delta),
            Id::Weeks => (&mut tm.mday, delta * 7),
            Id::Days => (&mut tm.mday, delta),
            Id::Hours => (&mut self.tv.offset, delta * 3600),
            Id::Minutes => (&mut self.tv.offset, delta * 60),
            // Seconds, and any other token after the number (which it consumes).
            _ => (&mut self.tv.offset, delta),
        };
        *field = field.saturating_add(by);
        Ok(())
    }

    /// `tod`: HH[:MM][am|pm], or nothing (the token put back) when it is a date.
    fn tod(&mut self) -> Step {
        if self.text.len() > 2 {
            return Ok(());
        }
        let mut hour = atol(&self.text)?;
        let saved = (self.pos, self.id);
        let restore = |p: &mut Self, hour: i64| {
            (p.pos, p.id) = saved;
            p.text = hour.to_string();
        };
        let mut minute = 0;
        self.token();
        if matches!(self.id, Id::Slash | Id::Dot) {
            restore(self, hour);
            return Ok(());
        }
        if self.id == Id::Colon {
            self.expect(
                Id::Number,
                "Parsing HH:MM syntax, expecting MM as number, got none".to_owned(),
            )?;
            minute = self.int()?;
            if minute > 59 {
                return Err(format!("parsing HH:MM syntax, got MM = {minute} (>59!)"));
            }
            self.token();
        }
        if matches!(self.id, Id::Am | Id::Pm) {
            if hour > 12 {
                return Err("there cannot be more than 12 AM or PM hours".to_owned());
            }
            if self.id == Id::Pm {
                if hour != 12 {
                    hour += 12;
                }
            } else if hour == 12 {
                hour = 0;
            }
            self.token();
        } else if hour > 23 {
            restore(self, hour);
            return Ok(());
        }
        let tm = &mut self.tv.tm;
        (tm.hour, tm.min, tm.sec) = (hour, minute, 0);
        if tm.hour == 24 {
            tm.hour = 0;
            tm.mday += 1;
        }
        Ok(())
    }

    fn assign_date(&mut self, mday: i64, mon: i64, mut year: i64) -> Step {
        if year > 138 {
            if year > 1970 {
                year -= 1900;
            } else {
                return Err(format!(
                    "invalid year {year} (should be either 00-99 or >1900)"
                ));
            }
        } else if (0..38).contains(&year) {
            year += 100;
        }
        if year < 70 {
            return Err("won't handle dates before epoch (01/01/1970), sorry".to_owned());
        }
        let tm = &mut self.tv.tm;
        (tm.mday, tm.mon, tm.year) = (mday, mon, year);
        Ok(())
    }

    fn day(&mut self, zone: &Zone) -> Step {
        let mut year = self.tv.tm.year;
        match self.id {
            Id::Yesterday | Id::Today | Id::Tomorrow => {
                self.tv.tm.mday += match self.id {
                    Id::Yesterday => -1,
                    Id::Tomorrow => 1,
                    _ => 0,
                };
                self.token();
            }
            Id::Month(mon) => {
                self.expect(
                    Id::Number,
                    "the day of the month should follow month name".to_owned(),
                )?;
                let mday = atol(&self.text)?;
                if self.token() == Id::Number {
                    year = atol(&self.text)?;
                    self.token();
                }
                self.assign_date(mday, mon, year)?;
            }
            Id::Weekday(wday) => {
                self.tv.tm.mday = self.tv.tm.mday.saturating_add(wday - self.tv.tm.wday);
                self.token();
            }
            Id::Number => {
                let mut mon = atol(&self.text)?;
                let mut mday = 0;
                if mon > EPOCH_NUMBERS_ABOVE {
                    if mon > 253_402_300_799 {
                        return Err(format!("the epoch time {mon} is out of range"));
                    }
                    self.tv.tm = Tm::local(mon, zone);
                    self.token();
                    return Ok(());
                }
                if mon > 19_700_101 && mon < 24_000_101 {
                    let part = |r: std::ops::Range<usize>| self.text.get(r).map_or(Ok(0), atol);
                    year = part(0..4)?;
                    mon = part(4..6)?;
                    mday = part(6..8)?;
                    self.token();
                } else {
                    self.token();
                    if mon <= 31 && matches!(self.id, Id::Slash | Id::Dot) {
                        let sep = self.id;
                        let (what, c) = if sep == Id::Dot {
                            ("month", '.')
                        } else {
                            ("day", '/')
                        };
                        self.expect(
                            Id::Number,
                            format!("there should be {what} number after '{c}'"),
                        )?;
                        mday = atol(&self.text)?;
                        if self.token() == sep {
                            self.expect(
                                Id::Number,
                                format!("there should be year number after '{c}'"),
                            )?;
                            year = atol(&self.text)?;
                            self.token();
                        }
                        // European order.
                        if sep == Id::Dot {
                            std::mem::swap(&mut mday, &mut mon);
                        }
                    }
                }
                mon -= 1;
                if !(0..=11).contains(&mon) {
                    return Err(format!("did you really mean month {}?", mon + 1));
                }
                if !(1..=31).contains(&mday) {
                    return Err(format!(
                        "I'm afraid that {mday} is not a valid day of the month"
                    ));
                }
                self.assign_date(mday, mon, year)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn run(&mut self, zone: &Zone) -> Step {
        self.token();
        match self.id {
            Id::Plus | Id::Minus => {}
            Id::Epoch | Id::Start | Id::End | Id::Now => {
                let reference = self.id;
                if reference != Id::Now {
                    self.tv.kind = match reference {
                        Id::Epoch => Kind::Epoch,
                        Id::Start => Kind::Start,
                        _ => Kind::End,
                    };
                    let tm = &mut self.tv.tm;
                    (tm.sec, tm.min, tm.hour, tm.mday, tm.mon, tm.year) = (0, 0, 0, 0, 0, 0);
                }
                self.token();
                if !matches!(self.id, Id::Plus | Id::Minus) {
                    if reference != Id::Now {
                        return Err("'start' or 'end' MUST be followed by +|- offset".to_owned());
                    }
                    if self.id != Id::Eof {
                        return Err(
                            "if 'now' is followed by a token it must be +|- offset".to_owned()
                        );
                    }
                }
            }
            Id::Number => {
                let (hour_sv, year_sv) = (self.tv.tm.hour, self.tv.tm.year);
                self.tv.tm.hour = 30;
                self.tv.tm.year = 30_000;
                self.tod()?;
                self.day(zone)?;
                if self.tv.tm.hour == 30 && self.tv.tm.year != 30_000 {
                    self.tod()?;
                }
                if self.tv.tm.hour == 30 {
                    self.tv.tm.hour = hour_sv;
                }
                if self.tv.tm.year == 30_000 {
                    self.tv.tm.year = year_sv;
                }
            }
            Id::Month(_) => {
                self.day(zone)?;
                if self.id == Id::Number {
                    self.tod()?;
                }
            }
            Id::Teatime | Id::Noon | Id::Midnight => {
                let tm = &mut self.tv.tm;
                tm.hour = match self.id {
                    Id::Teatime => 16,
                    Id::Noon => 12,
                    _ => 0,
                };
                (tm.min, tm.sec) = (0, 0);
                self.token();
                self.day(zone)?;
            }
            _ => return Err(format!("unparsable time: {}{}", self.text, self.rest())),
        }
        if matches!(self.id, Id::Plus | Id::Minus) {
            self.offsets = true;
            while matches!(self.id, Id::Plus | Id::Minus | Id::Number) {
                let doop = (self.id != Id::Number).then_some(self.id);
                self.plus_minus(doop)?;
                self.token();
            }
        }
        if self.id != Id::Eof {
            return Err(format!(
                "unparsable trailing text: '...{}{}'",
                self.text,
                self.rest()
            ));
        }
        Ok(())
    }
}

/// `rrd_parsetime(spec)` at `now` in `zone`; an absolute time comes back normalised by
/// `mktime` (its `tm` and the instant, `Err` when out of range).
pub(super) fn parse_time(
    spec: &str,
    now: i64,
    zone: &Zone,
    guess: &mut i64,
) -> Result<TimeValue, String> {
    let mut tm = Tm::local(now, zone);
    tm.isdst = -1;
    let mut p = Parser {
        toks: tokens(spec),
        pos: 0,
        id: Id::Eof,
        text: String::new(),
        offsets: false,
        tv: TimeValue {
            kind: Kind::Absolute,
            offset: 0,
            tm,
        },
        op: Id::Plus,
        prev_multiplier: None,
    };
    p.run(zone)?;
    if p.tv.kind == Kind::Absolute {
        let t =
            p.tv.tm
                .mktime(zone, guess)
                .ok_or_else(|| "the specified time is incorrect (out of range?)".to_owned())?;
        // mktime writes the normalised fields back, tm_isdst included.
        p.tv.tm = Tm::local(t, zone);
    }
    Ok(p.tv)
}
