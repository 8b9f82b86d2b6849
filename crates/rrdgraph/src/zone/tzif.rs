//! `TZif` files (RFC 8536, versions 1 to 3) read from their bytes: the transition table of the
//! newest version the file holds, and its footer's POSIX TZ string for times past the table.
//! Leap-second records are skipped (glibc's `right/` zones count them; these times do not).

use super::posix::{self, PosixTz};
use crate::zone_error::ZoneError;

/// One local time type: its offset, whether it is daylight saving, its abbreviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalType {
    pub(crate) offset: i64,
    pub(crate) is_dst: bool,
    pub(crate) abbr: String,
}

/// A `TZif` file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tzif {
    /// Transition times, ascending, with the index of the type each starts.
    pub(crate) transitions: Vec<(i64, usize)>,
    pub(crate) types: Vec<LocalType>,
    pub(crate) footer: Option<PosixTz>,
}

struct Counts {
    isut: usize,
    isstd: usize,
    leap: usize,
    time: usize,
    types: usize,
    chars: usize,
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ZoneError> {
        if self.rest.len() < n {
            return Err(ZoneError::Truncated(what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn header(&mut self) -> Result<(u8, Counts), ZoneError> {
        let h = self.take(44, "the header")?;
        if &h[..4] != b"TZif" {
            return Err(ZoneError::BadTzif("no TZif magic"));
        }
        let count = |i: usize| -> usize {
            let b = [h[20 + 4 * i], h[21 + 4 * i], h[22 + 4 * i], h[23 + 4 * i]];
            usize::try_from(u32::from_be_bytes(b)).unwrap_or(usize::MAX)
        };
        let counts = Counts {
            isut: count(0),
            isstd: count(1),
            leap: count(2),
            time: count(3),
            types: count(4),
            chars: count(5),
        };
        Ok((h[4], counts))
    }

    /// One data block; `wide` for the 64-bit times of version 2 and later.
    fn block(&mut self, c: &Counts, wide: bool) -> Result<Tzif, ZoneError> {
        let tsize = if wide { 8 } else { 4 };
        let times = self.take(c.time.saturating_mul(tsize), "the transition times")?;
        let indices = self.take(c.time, "the transition types")?;
        let types = self.take(c.types.saturating_mul(6), "the local time types")?;
        let chars = self.take(c.chars, "the abbreviations")?;
        self.take(c.leap.saturating_mul(tsize + 4), "the leap seconds")?;
        self.take(c.isstd, "the standard/wall indicators")?;
        self.take(c.isut, "the UT/local indicators")?;
        if c.types == 0 {
            return Err(ZoneError::BadTzif("no local time types"));
        }
        let mut transitions = Vec::with_capacity(c.time);
        for (i, &index) in indices.iter().enumerate() {
            let raw = &times[i * tsize..(i + 1) * tsize];
            let t = if wide {
                i64::from_be_bytes(raw.try_into().unwrap_or_default())
            } else {
                i64::from(i32::from_be_bytes(raw.try_into().unwrap_or_default()))
            };
            let index = usize::from(index);
            if index >= c.types {
                return Err(ZoneError::BadTzif(
                    "a transition to a type that does not exist",
                ));
            }
            if transitions.last().is_some_and(|&(prev, _)| prev >= t) {
                return Err(ZoneError::BadTzif("transition times out of order"));
            }
            transitions.push((t, index));
        }
        let mut local = Vec::with_capacity(c.types);
        for ty in types.chunks_exact(6) {
            let offset = i64::from(i32::from_be_bytes([ty[0], ty[1], ty[2], ty[3]]));
            // RFC 8536 3.2: -25 h < offset < 26 h. zic writes nothing else, and a local
            // time a year away from UTC could not be told from another day's.
            if !(-89_999..=93_599).contains(&offset) {
                return Err(ZoneError::BadTzif(
                    "an offset beyond RFC 8536's -89999 to 93599 seconds",
                ));
            }
            let start = usize::from(ty[5]);
            let abbr = chars
                .get(start..)
                .and_then(|s| s.iter().position(|&b| b == 0).map(|end| &s[..end]))
                .ok_or(ZoneError::BadTzif("an abbreviation outside its table"))?;
            local.push(LocalType {
                offset,
                is_dst: ty[4] != 0,
                abbr: String::from_utf8_lossy(abbr).into_owned(),
            });
        }
        Ok(Tzif {
            transitions,
            types: local,
            footer: None,
        })
    }
}

/// Reads a `TZif` file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Tzif, ZoneError> {
    let mut r = Reader { rest: bytes };
    let (version, v1) = r.header()?;
    let v1_data = r.block(&v1, false)?;
    if version < b'2' {
        return Ok(v1_data);
    }
    let (_, v2) = r.header()?;
    let mut data = r.block(&v2, true)?;
    let footer = r.rest;
    if footer.first() != Some(&b'\n') {
        return Err(ZoneError::BadTzif("no footer after the version 2 data"));
    }
    let end = footer[1..]
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(ZoneError::Truncated("the footer"))?;
    let tz = std::str::from_utf8(&footer[1..=end])
        .map_err(|_| ZoneError::BadTzif("a footer that is not text"))?;
    if !tz.is_empty() {
        data.footer = Some(posix::parse(tz)?);
    }
    Ok(data)
}
