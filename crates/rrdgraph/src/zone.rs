//! A time zone as glibc's `localtime_r` and `mktime` use it: a `TZif` file's transitions with
//! its footer rule, a POSIX TZ string, or a fixed offset. Parsing takes bytes or text; only
//! [`Zone::from_env`] and [`Zone::named`] read files.

mod env;
mod posix;
mod tzif;

use std::sync::Arc;

use crate::zone_error::ZoneError;
use posix::PosixTz;
use tzif::Tzif;

/// A time zone: what the offset from UTC, the daylight-saving flag and the abbreviation are at
/// any instant.
///
/// ```
/// use rrdgraph::Zone;
///
/// let berlin = Zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3")?;
/// let summer = berlin.at(1_782_000_000);
/// assert_eq!((summer.offset(), summer.abbreviation()), (7200, Some("CEST")));
/// # Ok::<(), rrdgraph::ZoneError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    kind: Arc<Kind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Fixed(i64),
    Posix(PosixTz),
    Tzif(Tzif),
}

/// The local time type at one instant, as `localtime_r` fills `tm_gmtoff`, `tm_isdst` and
/// `tm_zone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime<'a> {
    offset: i64,
    is_dst: bool,
    abbr: Option<&'a str>,
}

impl LocalTime<'_> {
    /// Seconds east of UTC.
    #[must_use]
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Whether this is daylight-saving time.
    #[must_use]
    pub fn is_dst(&self) -> bool {
        self.is_dst
    }

    /// The zone's abbreviation (`CEST`, `+0530`); `None` for a bare [`Zone::fixed`] offset.
    #[must_use]
    pub fn abbreviation(&self) -> Option<&str> {
        self.abbr
    }
}

fn posix_at(p: &PosixTz, t: i64) -> LocalTime<'_> {
    let l = p.at(t);
    LocalTime {
        offset: l.offset,
        is_dst: l.is_dst,
        abbr: Some(l.abbr),
    }
}

/// How far either side of a local time its instant can be (offsets stay within ±26 hours),
/// so that the offsets just before and after it are read outside any transition near it.
const OFFSET_REACH: i64 = 30 * 3600;

impl Zone {
    fn of(kind: Kind) -> Self {
        Self {
            kind: Arc::new(kind),
        }
    }

    /// UTC, abbreviated `UTC`, as glibc falls back to.
    #[must_use]
    pub fn utc() -> Self {
        Self::of(Kind::Posix(PosixTz {
            std_abbr: "UTC".to_owned(),
            std_offset: 0,
            dst: None,
        }))
    }

    /// `seconds` east of UTC all year, with no abbreviation.
    #[must_use]
    pub fn fixed(seconds: i64) -> Self {
        Self::of(Kind::Fixed(seconds))
    }

    /// A POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` or `<+0530>-5:30` (no leading
    /// `:`). A daylight-saving name without rules takes glibc's default, the US rules.
    ///
    /// # Errors
    /// [`ZoneError::BadPosix`] when the string does not follow the grammar.
    pub fn from_posix(spec: &str) -> Result<Self, ZoneError> {
        posix::parse(spec).map(|tz| Self::of(Kind::Posix(tz)))
    }

    /// The contents of a `TZif` file (RFC 8536, versions 1 to 3).
    ///
    /// # Errors
    /// [`ZoneError::Truncated`] or [`ZoneError::BadTzif`] for a damaged file, or
    /// [`ZoneError::BadPosix`] for a bad footer.
    pub fn from_tzif(bytes: &[u8]) -> Result<Self, ZoneError> {
        tzif::parse(bytes).map(|tz| Self::of(Kind::Tzif(tz)))
    }

    /// The local time type at `t` seconds since the epoch.
    #[must_use]
    pub fn at(&self, t: i64) -> LocalTime<'_> {
        match &*self.kind {
            Kind::Fixed(offset) => LocalTime {
                offset: *offset,
                is_dst: false,
                abbr: None,
            },
            Kind::Posix(p) => posix_at(p, t),
            Kind::Tzif(z) => {
                let after = z.transitions.partition_point(|&(at, _)| at <= t);
                let index = match after.checked_sub(1) {
                    // Before the first transition, RFC 8536 says type 0.
                    None => 0,
                    Some(last) if after == z.transitions.len() => {
                        if let Some(footer) = &z.footer {
                            return posix_at(footer, t);
                        }
                        z.transitions[last].1
                    }
                    Some(last) => z.transitions[last].1,
                };
                let ty = &z.types[index];
                LocalTime {
                    offset: ty.offset,
                    is_dst: ty.is_dst,
                    abbr: Some(&ty.abbr),
                }
            }
        }
    }

    /// Seconds east of UTC at `t`.
    #[must_use]
    pub fn offset_at(&self, t: i64) -> i64 {
        self.at(t).offset
    }

    /// The instant of a local wall-clock time (`local` counts seconds since 1970-01-01 00:00 of
    /// the local calendar), as the first `mktime` with `tm_isdst = -1` in a glibc process
    /// resolves it: see [`resolve_local_from`](Zone::resolve_local_from) with a guess of 0.
    #[must_use]
    pub fn resolve_local(&self, local: i64) -> i64 {
        self.resolve_local_from(local, 0).0
    }

    /// glibc's `mktime` with `tm_isdst = -1`, which starts from the offset its previous call
    /// found (`guess`; 0 in a new process) and follows offsets until one fits: so a time that
    /// occurs twice is taken in whichever offset that walk reaches first, and a time in a gap
    /// in the offset before the gap (02:30 in a spring-forward hour is 03:30 after it). Also
    /// returns the offset the next call starts from.
    #[must_use]
    pub fn resolve_local_from(&self, local: i64, guess: i64) -> (i64, i64) {
        let mut t = local.saturating_sub(guess);
        let mut previous = None;
        // glibc gives up after six probes; two offsets meet within three.
        for _ in 0..6 {
            let offset = self.offset_at(t);
            let next = local.saturating_sub(offset);
            if next == t {
                return (t, offset);
            }
            if previous == Some(next) {
                break;
            }
            previous = Some(t);
            t = next;
        }
        // Oscillating across a gap: glibc prefers the side in daylight-saving time, which for
        // a spring-forward gap is the offset in effect before it.
        let before = self.offset_at(local.saturating_sub(OFFSET_REACH));
        (local.saturating_sub(before), before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mktime_in_gaps_and_repeats() {
        let berlin = Zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let local = |d: i64, h: i64, m: i64| {
            crate::civil::days_from_civil(2026, 3, d) * 86_400 + h * 3600 + m * 60
        };
        // What glibc answers: 02:30 on 2026-03-29 does not exist and is 03:30 CEST.
        assert_eq!(berlin.resolve_local(local(29, 2, 30)), 1_774_747_800);
        assert_eq!(berlin.resolve_local(local(29, 1, 30)), 1_774_747_800 - 3600);
        let oct = crate::civil::days_from_civil(2026, 10, 25) * 86_400;
        assert_eq!(berlin.resolve_local(oct + 2 * 3600 + 1800), 1_792_891_800);
        assert_eq!(berlin.resolve_local(oct + 3600 + 1800), 1_792_884_600);
    }

    #[test]
    fn an_offset_of_months_is_refused() {
        // A version-1 TZif with one type, 14,124,544 s east of UTC (163 days), as the fuzzer
        // found it: local times could not be told from other days' (RFC 8536 bounds it).
        let mut bytes = b"TZif".to_vec();
        bytes.extend([0u8; 16]);
        // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
        for n in [0u32, 0, 0, 0, 1, 4] {
            bytes.extend(n.to_be_bytes());
        }
        bytes.extend(14_124_544i32.to_be_bytes());
        bytes.extend([0, 0]);
        bytes.extend(b"XYZ\0");
        assert!(matches!(
            Zone::from_tzif(&bytes),
            Err(ZoneError::BadTzif(why)) if why.contains("RFC 8536")
        ));
        // The same file one hour east reads.
        let at = bytes.len() - 10;
        bytes[at..at + 4].copy_from_slice(&3600i32.to_be_bytes());
        assert_eq!(Zone::from_tzif(&bytes).unwrap().at(0).offset(), 3600);
    }

    proptest::proptest! {
        /// Damaged `TZif` files and TZ strings are refused or answer, never panic.
        #[test]
        fn damaged_inputs_never_panic(cut in 0..4000usize, flip in 0..4000usize, bits in 1..=255u8, text in "[A-Za-z0-9<>+,./:-]{0,30}") {
            let mut bytes = std::fs::read("/usr/share/zoneinfo/Europe/Berlin").unwrap_or_default();
            if let Some(b) = bytes.get_mut(flip) {
                *b ^= bits;
            }
            bytes.truncate(cut);
            for zone in [Zone::from_tzif(&bytes).ok(), Zone::from_posix(&text).ok()].into_iter().flatten() {
                for t in [i64::MIN, -1, 0, 1_774_746_000, i64::MAX] {
                    let _ = zone.at(t);
                }
                let _ = zone.resolve_local(1_774_749_600);
            }
        }
    }
}
