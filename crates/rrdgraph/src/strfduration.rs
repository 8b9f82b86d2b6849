//! PRINT and GPRINT's `:valstrfduration` as librrd 1.7.2's `strfduration` writes it: the value
//! is milliseconds, `%W %d %D %h %H %m %M %s %S %f` are weeks, days of the week, days, hours of
//! the day, hours, minutes of the hour, minutes, seconds of the minute, seconds and
//! milliseconds of the second, each with an optional `0`, width and precision (`%02m`,
//! `%.3S`), truncated (not rounded) to the precision.

use crate::printf::format_value;
use crate::strftime::FMT_LEG_LEN;

/// `strfduration(buf, FMT_LEG_LEN, format, duration)`; `Err` where librrd fails the graph
/// ("Wrong duration format") or its buffer would cut the text.
pub(crate) fn strfduration(format: &str, duration: f64) -> Result<String, String> {
    let seconds = duration.abs() / 1000.0;
    let minutes = seconds / 60.0;
    let hours = minutes / 60.0;
    let days = hours / 24.0;
    let weeks = days / 7.0;
    let mut out = String::new();
    if duration < 0.0 {
        out.push('-');
    }
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rest) = format.get(i..) else { break };
        let Some(c) = rest.chars().next() else { break };
        if c != '%' {
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        i += 1;
        let zero = bytes.get(i) == Some(&b'0');
        if zero {
            i += 1;
        }
        let digits = |i: &mut usize| -> Result<usize, String> {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            // sscanf's %d: more than an int holds is not formatted here.
            format[from..*i]
                .parse::<u16>()
                .map(usize::from)
                .or_else(|_| {
                    if from == *i {
                        Ok(0)
                    } else {
                        Err("a width or precision past 65535".to_owned())
                    }
                })
        };
        let width = digits(&mut i)?;
        let mut precision = 0;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            precision = digits(&mut i)?;
        }
        let value = match bytes.get(i) {
            Some(b'%') => {
                out.push('%');
                i += 1;
                continue;
            }
            Some(b'W') => weeks,
            Some(b'd') => days - weeks.trunc() * 7.0,
            Some(b'D') => days,
            Some(b'h') => hours - days.trunc() * 24.0,
            Some(b'H') => hours,
            Some(b'm') => minutes - hours.trunc() * 60.0,
            Some(b'M') => minutes,
            Some(b's') => seconds - minutes.trunc() * 60.0,
            Some(b'S') => seconds,
            Some(b'f') => duration.abs() - seconds.trunc() * 1000.0,
            _ => return Err("Wrong duration format".to_owned()),
        };
        i += 1;
        if width > 255 || precision > 255 {
            return Err("a width or precision past 255".to_owned());
        }
        // librrd's own truncation to the precision, through pow() as it computes it.
        #[expect(clippy::cast_precision_loss, reason = "at most 255")]
        let scale = 10f64.powf(precision as f64);
        let truncated = (value * scale).trunc() / scale;
        let zero = if zero { "0" } else { "" };
        out.push_str(&format_value(
            &format!("%{zero}{width}.{precision}lf"),
            truncated,
            "",
        ));
    }
    if out.len() >= FMT_LEG_LEN {
        return Err(format!(
            "a text of {} bytes, more than librrd's {FMT_LEG_LEN}-byte buffer holds",
            out.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_librrd_writes_them() {
        // 1 day, 2 hours, 3 minutes, 4.5 seconds.
        let ms = ((26.0 * 60.0 + 3.0) * 60.0 + 4.5) * 1000.0;
        assert_eq!(strfduration("%H:%02m:%02s", ms).unwrap(), "26:03:04");
        assert_eq!(
            strfduration("%d %h %m %.1s %f", ms).unwrap(),
            "1 2 3 4.5 500"
        );
        assert_eq!(strfduration("%.2D days", -ms).unwrap(), "-1.08 days");
        assert_eq!(strfduration("100%%", ms).unwrap(), "100%");
        assert!(strfduration("%x", ms).is_err());
    }
}
