//! C's `%e` number format, as rrdtool prints values in `info` and `fetch` output.

/// Formats `v` like C's `%.{prec}e` (`1.5000000000e+03`), and NaN as rrdtool prints it.
pub(crate) fn c_exp(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let s = format!("{v:.prec$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_exp_matches_printf() {
        assert_eq!(c_exp(0.0, 10), "0.0000000000e+00");
        assert_eq!(c_exp(1500.0, 10), "1.5000000000e+03");
        assert_eq!(c_exp(0.04, 7), "4.0000000e-02");
        assert_eq!(c_exp(-2.5e-120, 2), "-2.50e-120");
        assert_eq!(c_exp(f64::NAN, 10), "NaN");
    }
}
