//! PRINT and GPRINT values as librrd writes them: glibc's `printf` for the formats librrd's
//! `bad_format_print` lets through (`%[-+ 0#]?[0-9]*(.[0-9]+)?l[eEfFgG]`, `%%`, and one `%s`
//! for the SI prefix), and `auto_scale` for that prefix.

use crate::exp_format::c_exp;

/// The SI prefixes of `auto_scale`, from atto to exa.
const SYMBOLS: [&str; 13] = [
    "a", "f", "p", "n", "u", "m", " ", "k", "M", "G", "T", "P", "E",
];

/// C's `(int) x` on x86-64 (`INT_MIN` for NaN or out of range).
#[expect(clippy::cast_possible_truncation, reason = "range checked first")]
fn c_int(x: f64) -> i32 {
    if x.is_nan() || x >= 2_147_483_648.0 || x <= -2_147_483_649.0 {
        i32::MIN
    } else {
        x.trunc() as i32
    }
}

/// librrd's `auto_scale`: the value divided by `base` to the power of its magnitude, the
/// prefix (`?` past exa or atto), and the factor.
pub(crate) fn auto_scale(value: f64, base: f64) -> (f64, &'static str, f64) {
    let (index, factor) = if value == 0.0 || value.is_nan() {
        (0, 1.0)
    } else {
        let index = c_int((value.abs().ln() / base.ln()).floor());
        (index, base.powf(f64::from(index)))
    };
    let scaled = if value == 0.0 || value.is_nan() {
        value
    } else {
        value / factor
    };
    let symbol = usize::try_from(index + 6)
        .ok()
        .and_then(|i| SYMBOLS.get(i))
        .copied()
        .unwrap_or("?");
    (scaled, symbol, factor)
}

/// One conversion's flags, width and precision.
#[derive(Debug, Default, Clone, Copy)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "printf's five independent flags"
)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
}

/// `sprintf(format, value, symbol)` for a format `bad_format_print` accepts.
pub(crate) fn format_value(format: &str, value: f64, symbol: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alt = true,
                _ => break,
            }
            chars.next();
        }
        let digits = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: usize = 0;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d as usize);
                chars.next();
            }
            n
        };
        spec.width = digits(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars));
        }
        if chars.peek() == Some(&'l') {
            chars.next();
        }
        match chars.next() {
            Some('%') | None => out.push('%'),
            Some('s') => out.push_str(&pad(symbol.to_owned(), spec, false)),
            Some(conv @ ('e' | 'E' | 'f' | 'F' | 'g' | 'G')) => {
                out.push_str(&number(value, conv, spec));
            }
            Some(other) => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

fn pad(body: String, spec: Spec, numeric_zero: bool) -> String {
    let len = body.chars().count();
    if len >= spec.width {
        return body;
    }
    let fill = spec.width - len;
    if spec.left {
        format!("{body}{}", " ".repeat(fill))
    } else if numeric_zero {
        // Zeros go after the sign.
        let sign_len = usize::from(body.starts_with(['-', '+', ' ']));
        let (sign, digits) = body.split_at(sign_len);
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

fn number(v: f64, conv: char, spec: Spec) -> String {
    let upper = conv.is_ascii_uppercase();
    let sign = if v.is_sign_negative() {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let a = v.abs();
    let body = if a.is_nan() {
        "nan".to_owned()
    } else if a.is_infinite() {
        "inf".to_owned()
    } else {
        let p = spec.precision.unwrap_or(6);
        match conv.to_ascii_lowercase() {
            'f' => {
                let mut s = format!("{a:.p$}");
                if spec.alt && p == 0 {
                    s.push('.');
                }
                s
            }
            'e' => exp(a, p, spec.alt),
            _ => general(a, p, spec.alt),
        }
    };
    let body = if upper {
        body.to_ascii_uppercase()
    } else {
        body
    };
    pad(
        format!("{sign}{body}"),
        spec,
        spec.zero && !spec.left && a.is_finite(),
    )
}

fn exp(a: f64, p: usize, alt: bool) -> String {
    let s = c_exp(a, p);
    if alt && p == 0 {
        // `1e+03` becomes `1.e+03`.
        s.replacen('e', ".e", 1)
    } else {
        s
    }
}

/// `%g`: `%e` or `%f` by the exponent the value has at `p` significant digits, trailing zeros
/// dropped unless `#`.
fn general(a: f64, precision: usize, alt: bool) -> String {
    let p = precision.max(1);
    let e_form = c_exp(a, p - 1);
    let exponent: i64 = e_form
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let p_i = i64::try_from(p).unwrap_or(i64::MAX);
    let s = if exponent < p_i && exponent >= -4 {
        let prec = usize::try_from(p_i - 1 - exponent).unwrap_or(0);
        format!("{a:.prec$}")
    } else {
        e_form
    };
    if alt {
        return s;
    }
    let (mantissa, tail) = match s.find('e') {
        Some(i) => s.split_at(i),
        None => (s.as_str(), ""),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_glibc() {
        let cases: &[(&str, f64, &str)] = &[
            ("%lf", 1.5, "1.500000"),
            ("%6.2lf", 4.56789, "  4.57"),
            ("%-8.1lf|", -2.25, "-2.2    |"),
            ("%+.3le", 12345.678, "+1.235e+04"),
            ("%08.2lf", -3.5, "-0003.50"),
            ("%lg", 0.0001, "0.0001"),
            ("%lg", 1e-5, "1e-05"),
            ("%lg", 123_456_789.0, "1.23457e+08"),
            ("%.3lg", 100.0, "100"),
            ("%#.3lg", 1.0, "1.00"),
            ("%lf", f64::NAN, "nan"),
            ("%lf", -f64::NAN, "-nan"),
            ("%5.1lF", f64::INFINITY, "  INF"),
            ("%.0lf%%", 99.5, "100%"),
            ("%.0lf", 0.5, "0"),
            ("%.2lf", -0.0, "-0.00"),
        ];
        for (fmt, v, want) in cases {
            assert_eq!(format_value(fmt, *v, ""), *want, "{fmt} of {v}");
        }
    }

    #[test]
    fn si_prefixes() {
        let (v, s, f) = auto_scale(123_456.0, 1000.0);
        assert_eq!((s, f), ("k", 1000.0));
        assert!((v - 123.456).abs() < 1e-12);
        assert_eq!(format_value("%6.2lf %s", v, s), "123.46 k");
        assert_eq!(auto_scale(0.0, 1000.0).1, " ");
        assert_eq!(auto_scale(1e-30, 1000.0).1, "?");
        assert_eq!(auto_scale(2048.0, 1024.0).1, "k");
    }
}
