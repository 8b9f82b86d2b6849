//! Choosing the zone from `TZ` the way glibc's `tzset` does.

use std::path::{Path, PathBuf};

use super::Zone;

/// Where glibc looks for zone files named relatively.
const TZDIR: &str = "/usr/share/zoneinfo";
/// The zone when `TZ` is unset.
const TZDEFAULT: &str = "/etc/localtime";

impl Zone {
    /// The zone `TZ` names, as glibc's `tzset` reads it: unset is `/etc/localtime`, empty is
    /// UTC, a leading `:` is dropped, a value is first a zone file (absolute, or under
    /// `$TZDIR`, default `/usr/share/zoneinfo`), else a POSIX TZ string; anything unreadable
    /// is UTC.
    #[must_use]
    pub fn from_env() -> Self {
        let tz = std::env::var("TZ").ok();
        let dir = std::env::var_os("TZDIR").map_or_else(|| PathBuf::from(TZDIR), PathBuf::from);
        Self::from_tz_value(tz.as_deref(), &dir, |p| std::fs::read(p).ok())
    }

    /// A zone file by name (`Europe/Berlin`, under `/usr/share/zoneinfo`) or path, or a POSIX
    /// TZ string: what `TZ=name` means, UTC when neither reads.
    #[must_use]
    pub fn named(name: &str) -> Self {
        Self::from_tz_value(Some(name), Path::new(TZDIR), |p| std::fs::read(p).ok())
    }

    /// `tzset`'s decision for the value of `TZ` (`None` when unset), reading files through
    /// `read`.
    pub fn from_tz_value(
        tz: Option<&str>,
        tzdir: &Path,
        read: impl Fn(&Path) -> Option<Vec<u8>>,
    ) -> Self {
        let file = |path: &Path| read(path).and_then(|bytes| Zone::from_tzif(&bytes).ok());
        let Some(tz) = tz else {
            return file(Path::new(TZDEFAULT)).unwrap_or_else(Zone::utc);
        };
        if tz.is_empty() {
            return Zone::utc();
        }
        let tz = tz.strip_prefix(':').unwrap_or(tz);
        if !tz.is_empty() {
            let path = if tz.starts_with('/') {
                PathBuf::from(tz)
            } else {
                tzdir.join(tz)
            };
            if let Some(zone) = file(&path) {
                return zone;
            }
        }
        Zone::from_posix(tz).unwrap_or_else(|_| Zone::utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tz_values_like_glibc() {
        let none = |_: &Path| None;
        let dir = Path::new("/nowhere");
        assert_eq!(Zone::from_tz_value(None, dir, none), Zone::utc());
        assert_eq!(Zone::from_tz_value(Some(""), dir, none), Zone::utc());
        assert_eq!(
            Zone::from_tz_value(Some("Nowhere/Town"), dir, none),
            Zone::utc()
        );
        assert_eq!(
            Zone::from_tz_value(Some("EST5EDT"), dir, none).offset_at(1_782_000_000),
            -4 * 3600
        );
        let seen = std::cell::RefCell::new(Vec::new());
        let _ = Zone::from_tz_value(Some(":Europe/Berlin"), dir, |p| {
            seen.borrow_mut().push(p.to_owned());
            None
        });
        assert_eq!(seen.into_inner(), [PathBuf::from("/nowhere/Europe/Berlin")]);
    }
}
