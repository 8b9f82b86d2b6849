//! PRINT/GPRINT value formats, and librrd's printf checks for them and for axis and duration
//! formats.

use std::fmt;

use super::legend::{ControlCode, Legend};
use crate::value_error::ValueError;

/// The largest width, and the largest precision, in a PRINT/GPRINT, axis or duration format.
///
/// librrd formats PRINT values with `sprintf_alloc`, which allocates as much as the width asks:
/// `%2147483647lf` asks for 2 GiB, and when that fails librrd writes through the NULL it got
/// (SIGSEGV under a memory limit); a width of 2^31 overflows the `int` of the conversion and
/// segfaults too. GPRINT writes into a [`MAX_LEGEND_LEN`](crate::MAX_LEGEND_LEN)-byte legend,
/// so a width past a few hundred can only be cut. 255 keeps every real format (the widest
/// `%lf` of a double is 309 digits before the point, and nobody pads to that) and bounds
/// PRINT's allocation to a few hundred bytes.
pub const MAX_FORMAT_WIDTH: usize = 255;

/// A PRINT/GPRINT value format: exactly one `%[flag][width][.precision]l[eEfFgG]`, then
/// optionally one `%s` or `%S` (the SI unit), with `%%` allowed anywhere — the same rule as
/// librrd 1.7's format check. An optional trailing control code is kept typed.
///
/// ```
/// use rrdgraph::PrintFormat;
/// assert!(PrintFormat::new("Avg: %6.2lf %Sbps").is_ok());
/// assert!(PrintFormat::new("%lf %lf").is_err());
/// assert!(PrintFormat::new("%d").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrintFormat(Legend);

impl PrintFormat {
    /// Validates a format without a control code (attach one with
    /// [`PrintFormat::with_code`]).
    ///
    /// # Errors
    /// [`ValueError::Format`] if the conversions are wrong; the errors of [`Legend::new`].
    pub fn new(text: impl Into<String>) -> Result<Self, ValueError> {
        let l = Legend::new(text)?;
        check_value_format(l.text())?;
        Ok(PrintFormat(l))
    }

    /// Attaches (or replaces) the control code, as [`Legend::with_code`] does.
    #[must_use]
    pub fn with_code(self, code: ControlCode) -> Self {
        PrintFormat(self.0.with_code(code))
    }

    /// Parses librrd's text (after `\:` unescaping), splitting off a trailing control code.
    ///
    /// # Errors
    /// As [`PrintFormat::new`], and [`ValueError::ControlCode`].
    pub fn parse_raw(raw: &str) -> Result<Self, ValueError> {
        let l = Legend::parse_raw(raw)?;
        check_value_format(l.text())?;
        Ok(PrintFormat(l))
    }

    /// A PRINT format exactly as librrd's PRINT writes it (see [`Legend::literal`]): `%lf\t`
    /// prints the value and `\t`, `%lf\\` the value and a backslash, as `rrdtool graph` does.
    ///
    /// # Errors
    /// As [`PrintFormat::new`].
    pub fn literal(raw: impl Into<String>) -> Result<Self, ValueError> {
        let l = Legend::literal(raw)?;
        check_value_format(l.text())?;
        Ok(PrintFormat(l))
    }

    /// The format text without the control code.
    pub fn text(&self) -> &str {
        self.0.text()
    }

    /// The control code.
    pub fn code(&self) -> Option<ControlCode> {
        self.0.code()
    }

    /// The format as a legend (text and code).
    pub fn as_legend(&self) -> &Legend {
        &self.0
    }
}

impl fmt::Display for PrintFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Checks librrd 1.7's rule:
/// `^(?:[^%]+|%%)*%[-+ 0#]?[0-9]*(?:[.][0-9]+)?l[eEfFgG](?:[^%]+|%%)*(?:%[sS])?(?:[^%]+|%%)*$`.
fn check_value_format(s: &str) -> Result<(), ValueError> {
    check_format(s, true)
}

/// Checks librrd 1.7's axis-format rule for the numeric formatter: like a print format, but
/// without the `%s`/`%S` unit.
pub(crate) fn check_axis_format(s: &str) -> Result<(), ValueError> {
    check_format(s, false)
}

fn check_format(s: &str, allow_unit: bool) -> Result<(), ValueError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut value_seen = false;
    let mut unit_seen = false;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if i >= b.len() {
            return Err(ValueError::Format("a lone % at the end"));
        }
        if b[i] == b'%' {
            i += 1;
            continue;
        }
        if b[i] == b's' || b[i] == b'S' {
            if !allow_unit {
                return Err(ValueError::Format(
                    "an axis format takes no %s/%S unit (librrd 1.7 refuses it)",
                ));
            }
            if !value_seen {
                return Err(ValueError::Format(
                    "%s/%S must come after the %lf conversion",
                ));
            }
            if unit_seen {
                return Err(ValueError::Format("more than one %s/%S"));
            }
            unit_seen = true;
            i += 1;
            continue;
        }
        if value_seen {
            return Err(ValueError::Format(if unit_seen {
                "a conversion after %s/%S"
            } else {
                "more than one value conversion (exactly one %l[eEfFgG] is allowed)"
            }));
        }
        if matches!(b[i], b'-' | b'+' | b' ' | b'0' | b'#') {
            i += 1;
        }
        i = bounded_digits(b, i, "width")?;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let start = i;
            i = bounded_digits(b, i, "precision")?;
            if i == start {
                return Err(ValueError::Format("a precision needs digits after the dot"));
            }
        }
        if i + 1 < b.len() + 1 && b.get(i) == Some(&b'l') {
            match b.get(i + 1) {
                Some(b'e' | b'E' | b'f' | b'F' | b'g' | b'G') => {
                    value_seen = true;
                    i += 2;
                }
                _ => {
                    return Err(ValueError::Format(
                        "%l must be followed by one of e E f F g G",
                    ));
                }
            }
        } else {
            return Err(ValueError::Format(
                "the conversion must be %[flag][width][.precision]l[eEfFgG] (one flag at most)",
            ));
        }
    }
    if value_seen {
        Ok(())
    } else {
        Err(ValueError::Format("no %l[eEfFgG] value conversion"))
    }
}

/// Skips the digits at `i`, refusing a number above [`MAX_FORMAT_WIDTH`]; returns the index
/// after them.
fn bounded_digits(b: &[u8], mut i: usize, what: &'static str) -> Result<usize, ValueError> {
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let digits = &b[start..i];
    let significant = digits.iter().skip_while(|&&d| d == b'0').count();
    let value = digits.iter().fold(0usize, |acc, &d| {
        acc.saturating_mul(10).saturating_add(usize::from(d - b'0'))
    });
    if significant > 4 || value > MAX_FORMAT_WIDTH {
        return Err(ValueError::FormatTooWide {
            what,
            value: String::from_utf8_lossy(digits).chars().take(40).collect(),
            max: MAX_FORMAT_WIDTH,
        });
    }
    Ok(i)
}

/// Checks a valstrfduration format: `%` [`0`] [width] [`.` precision] one of `%WdDhHmMsSf`.
pub(crate) fn check_duration_format(s: &str) -> Result<(), ValueError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'0') {
            i += 1;
        }
        i = bounded_digits(b, i, "width")?;
        if b.get(i) == Some(&b'.') {
            i += 1;
            i = bounded_digits(b, i, "precision")?;
        }
        match b.get(i) {
            Some(b'%' | b'W' | b'd' | b'D' | b'h' | b'H' | b'm' | b'M' | b's' | b'S' | b'f') => {
                i += 1;
            }
            _ => {
                return Err(ValueError::Format(
                    "a duration conversion must be one of %W %d %D %h %H %m %M %s %S %f %%",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_widths_and_precisions_librrd_cannot_hold_are_refused() {
        assert!(PrintFormat::new("%255.255lf").is_ok());
        assert!(PrintFormat::new("%000255lf").is_ok());
        for bad in [
            "%2147483648lf",
            "%2147483647lf",
            "%256lf",
            "%.256lf",
            "%.99999999999999999999lf",
        ] {
            assert!(
                matches!(PrintFormat::new(bad), Err(ValueError::FormatTooWide { .. })),
                "{bad}"
            );
        }
        assert!(check_axis_format("%.2147483647lf").is_err());
        assert!(check_duration_format("%2147483648H").is_err());
    }

    #[test]
    fn print_formats() {
        for ok in [
            "%lf",
            "%6.2lf %Sbps",
            "Avg: %-8.3le%s",
            "100%% %lG",
            "%#lF",
            "%+5lg%%%S",
        ] {
            assert!(PrintFormat::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "%d",
            "%lf %lf",
            "%s %lf",
            "%lf %s %s",
            "%lf%",
            "%-+5lf",
            "%5.lf",
            "%lx",
        ] {
            assert!(
                matches!(PrintFormat::new(bad), Err(ValueError::Format(_))),
                "{bad}"
            );
        }
        let f = PrintFormat::parse_raw("MIN: %6.2lf %Sbps\\r").unwrap();
        assert_eq!(f.code(), Some(ControlCode::Right));
        assert!(check_duration_format("%H:%02M:%02s").is_ok());
        assert!(check_axis_format("%5.1lf").is_ok());
        assert!(check_axis_format("%5.1lf %s").is_err());
        assert!(check_duration_format("%Q").is_err());
    }
}
