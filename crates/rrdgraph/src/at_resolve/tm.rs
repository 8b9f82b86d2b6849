//! `struct tm` with glibc's `localtime_r` and `mktime` over a [`Zone`]: librrd does its
//! calendar arithmetic by adding to the fields and letting `mktime` normalise them.

use crate::civil::{civil_from_days, days_from_civil};
use crate::zone::Zone;

/// The fields librrd touches; `year` counts from 1900 and `mon` from 0, as in C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tm {
    pub(super) sec: i64,
    pub(super) min: i64,
    pub(super) hour: i64,
    pub(super) mday: i64,
    pub(super) mon: i64,
    pub(super) year: i64,
    pub(super) wday: i64,
    /// -1 to let `mktime` decide, else 0 or 1 as `localtime_r` set it.
    pub(super) isdst: i64,
}

/// glibc's probe for a neighbouring time with the requested `tm_isdst`: this far apart, up to
/// half of this range either side.
const ISDST_STRIDE: i64 = 601_200;
const ISDST_RANGE: i64 = 536_454_000;

/// Years `mktime` is asked about stay within this of 1900 (a C `int` of years holds far more,
/// but no graph needs them; beyond it the spec is refused, not wrapped).
const MAX_YEARS: i64 = 1 << 30;

impl Tm {
    /// `localtime_r(t)` in `zone`.
    pub(super) fn local(t: i64, zone: &Zone) -> Self {
        let at = zone.at(t);
        let local = t.saturating_add(at.offset());
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, mday) = civil_from_days(days);
        Tm {
            sec: secs % 60,
            min: secs / 60 % 60,
            hour: secs / 3600,
            mday,
            mon: month - 1,
            year: year - 1900,
            wday: (days + 4).rem_euclid(7),
            isdst: i64::from(at.is_dst()),
        }
    }

    /// `mktime(&tm)` in `zone`: out-of-range fields carry into the next larger one; `None`
    /// where glibc answers -1 (or the arithmetic would overflow). `guess` is glibc's static
    /// offset from the previous call, which decides repeated local times.
    pub(super) fn mktime(&self, zone: &Zone, guess: &mut i64) -> Option<i64> {
        let year = self
            .year
            .checked_add(1900)?
            .checked_add(self.mon.div_euclid(12))?;
        if year.abs() > MAX_YEARS || self.mday.abs() > MAX_YEARS * 400 {
            return None;
        }
        let days =
            days_from_civil(year, self.mon.rem_euclid(12) + 1, 1).checked_add(self.mday - 1)?;
        let local = days
            .checked_mul(86_400)?
            .checked_add(self.hour.checked_mul(3600)?)?
            .checked_add(self.min.checked_mul(60)?)?
            .checked_add(self.sec)?;
        let (t, offset) = zone.resolve_local_from(local, *guess);
        *guess = offset;
        if self.isdst < 0 || zone.at(t).is_dst() == (self.isdst > 0) {
            return Some(t);
        }
        // The wrong tm_isdst: glibc takes the offset of the nearest time that has it.
        let mut delta = ISDST_STRIDE;
        while delta < ISDST_RANGE / 2 + ISDST_STRIDE {
            for probe in [t - delta, t + delta] {
                let at = zone.at(probe);
                if at.is_dst() == (self.isdst > 0) {
                    *guess = at.offset();
                    return Some(local - at.offset());
                }
            }
            delta += ISDST_STRIDE;
        }
        Some(t)
    }
}
