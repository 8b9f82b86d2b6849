//! librrd's `vdef_calc`: one value (and for some functions a time) from a series.

use serde::Serialize;

use crate::eval::column::Column;
use crate::eval::sort::{glibc_sort, vdef_cmp};
use crate::rpn::VDefFunc;
use crate::rrd_file::DNAN;

/// A VDEF's result: the value, and the time it belongs to for MAXIMUM, MINIMUM, FIRST and LAST.
///
/// JSON: `{"value": 2.5, "time": 1767225600}`, the value `null` for UNKN and `"inf"`/`"-inf"`
/// for the infinities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct VDefValue {
    /// The value; NaN for unknown.
    #[serde(serialize_with = "crate::eval::sample_json")]
    pub value: f64,
    /// Seconds since the epoch; 0 where there is no time component or no value (librrd's
    /// `when`).
    pub time: i64,
}

impl VDefValue {
    fn timeless(value: f64) -> Self {
        Self { value, time: 0 }
    }
}

/// Computes `func` over `column` as librrd does: MAXIMUM and MINIMUM start at the first known
/// value (an infinity included) and then consider finite ones; AVERAGE, STDEV, TOTAL and the
/// least-squares functions use the finite values; PERCENT ranks unknowns lowest, PERCENTNAN
/// drops them.
pub fn vdef(column: &Column, func: VDefFunc) -> VDefValue {
    let data = column.values();
    let step = column.step_i64();
    let start = column.start();
    #[expect(clippy::cast_possible_wrap, reason = "an index below MAX_FETCH_VALUES")]
    let at = |i: usize| start + (i as i64) * step;
    match func {
        VDefFunc::Percent(p) => percentile(data.to_vec(), p),
        VDefFunc::PercentNan(p) => {
            percentile(data.iter().copied().filter(|v| !v.is_nan()).collect(), p)
        }
        VDefFunc::Maximum | VDefFunc::Minimum => {
            let Some(first) = data.iter().position(|v| !v.is_nan()) else {
                return VDefValue::timeless(DNAN);
            };
            let mut best = (data[first], first);
            for (i, &v) in data.iter().enumerate().skip(first) {
                let better = if func == VDefFunc::Maximum {
                    v > best.0
                } else {
                    v < best.0
                };
                if v.is_finite() && better {
                    best = (v, i);
                }
            }
            VDefValue {
                value: best.0,
                time: at(best.1 + 1),
            }
        }
        VDefFunc::Average | VDefFunc::Stdev | VDefFunc::Total => {
            let finite = || data.iter().copied().filter(|v| v.is_finite());
            let (sum, cnt) = finite().fold((0.0, 0u32), |(s, c), v| (s + v, c + 1));
            if cnt == 0 {
                return VDefValue::timeless(DNAN);
            }
            #[expect(clippy::cast_precision_loss, reason = "librrd multiplies by its step")]
            let value = match func {
                VDefFunc::Total => sum * step as f64,
                VDefFunc::Average => sum / f64::from(cnt),
                _ => {
                    let average = sum / f64::from(cnt);
                    let sq = finite().fold(0.0, |s, v| s + (v - average).powf(2.0));
                    (sq / f64::from(cnt)).powf(0.5)
                }
            };
            VDefValue::timeless(value)
        }
        VDefFunc::First => match data.iter().position(|v| !v.is_nan()) {
            Some(i) => VDefValue {
                value: data[i],
                time: at(i),
            },
            None => VDefValue::timeless(DNAN),
        },
        VDefFunc::Last => match data.iter().rposition(|v| !v.is_nan()) {
            Some(i) => VDefValue {
                value: data[i],
                time: at(i + 1),
            },
            None => VDefValue::timeless(DNAN),
        },
        VDefFunc::LslSlope | VDefFunc::LslInt | VDefFunc::LslCorrel => least_squares(data, func),
    }
}

/// librrd's `round(p · (n - 1) / 100)`-th of the sorted values; NaN for no values (where
/// librrd reads outside its array).
fn percentile(mut values: Vec<f64>, p: f64) -> VDefValue {
    glibc_sort(&mut values, vdef_cmp);
    #[expect(clippy::cast_precision_loss, reason = "a count below MAX_FETCH_VALUES")]
    let field = (p * (values.len() as f64 - 1.0) / 100.0).round();
    let value = if field >= 0.0 {
        #[expect(clippy::cast_possible_truncation, reason = "a non-negative index")]
        #[expect(clippy::cast_sign_loss, reason = "checked non-negative")]
        values.get(field as usize).copied().unwrap_or(DNAN)
    } else {
        DNAN
    };
    VDefValue::timeless(value)
}

#[expect(
    clippy::cast_precision_loss,
    reason = "librrd's double arithmetic on indices"
)]
fn least_squares(data: &[f64], func: VDefFunc) -> VDefValue {
    let (mut cnt, mut sx, mut sy, mut sxy, mut sxx, mut syy) = (0u32, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in data.iter().enumerate() {
        if v.is_finite() {
            let x = i as f64;
            cnt += 1;
            sx += x;
            // librrd squares the index as a `long`.
            let k = i64::try_from(i).unwrap_or(i64::MAX);
            sxx += k.saturating_mul(k) as f64;
            sxy += x * v;
            sy += v;
            syy += v * v;
        }
    }
    if cnt == 0 {
        return VDefValue::timeless(DNAN);
    }
    let n = f64::from(cnt);
    let slope = (sx * sy - n * sxy) / (sx * sx - n * sxx);
    let value = match func {
        VDefFunc::LslSlope => slope,
        VDefFunc::LslInt => (sy - slope * sx) / n,
        _ => (sxy - (sx * sy) / n) / ((sxx - (sx * sx) / n) * (syy - (sy * sy) / n)).sqrt(),
    };
    VDefValue::timeless(value)
}
