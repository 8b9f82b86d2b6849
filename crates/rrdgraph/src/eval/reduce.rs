//! librrd's `rrd_reduce_data`: a fetched series consolidated to a coarser step, as a DEF with
//! `:step=` (or a graph too wide for its archive) gets it.

use crate::eval::column::Column;
use crate::eval_error::EvalError;
use crate::rrd_file::DNAN;
use crate::value::Cf;

/// Consolidates `column` (at its fetched step) to the smallest multiple of that step that is
/// at least `step`, with `cf` (the DEF's `:reduce=`, else its CF): the start moves back and the
/// end forward to the new step, a partial first or last interval is UNKN, and each other value
/// combines its source values, skipping unknowns (AVERAGE and the Holt-Winters CFs average,
/// MIN and MAX pick, FAILURES is a MAX, LAST takes the last known).
///
/// # Errors
///
/// [`EvalError::Series`] when the rows do not divide as librrd's sanity check requires (librrd
/// fails the graph then too).
pub fn reduce(column: &Column, cf: Cf, step: u64) -> Result<Column, EvalError> {
    let cur = column.step();
    if step <= cur {
        return Ok(column.clone());
    }
    let fail = |reason: String| EvalError::Series {
        name: "reduce".to_owned(),
        reason,
    };
    let factor = step.div_ceil(cur);
    let new_step = cur
        .checked_mul(factor)
        .ok_or_else(|| fail("the step overflows".into()))?;
    let step_i = i64::try_from(new_step).map_err(|_| fail("the step overflows".into()))?;
    let cur_i = column.step_i64();
    let factor_i = i64::try_from(factor).unwrap_or(i64::MAX);
    let mut start = column.start();
    let values = column.values();
    let mut rows = i64::try_from(values.len()).unwrap_or(i64::MAX);
    let end_offset = column.end().rem_euclid(step_i);
    let start_offset = start.rem_euclid(step_i);
    let mut out = Vec::with_capacity(values.len() / usize::try_from(factor).unwrap_or(1) + 2);
    let mut src = 0usize;
    if start_offset != 0 {
        start -= start_offset;
        let skip = factor_i - start_offset / cur_i;
        src = usize::try_from(skip).unwrap_or(usize::MAX);
        out.push(DNAN);
        rows -= skip;
    }
    if end_offset != 0 {
        rows -= end_offset / cur_i;
    }
    if rows < 0 || rows % factor_i != 0 {
        return Err(fail(format!(
            "librrd's sanity check: {rows} rows cannot be reduced by {factor}"
        )));
    }
    while rows >= factor_i {
        let chunk = values
            .get(src..src + usize::try_from(factor).unwrap_or(0))
            .ok_or_else(|| fail("rows outside the series".into()))?;
        out.push(combine(chunk, cf));
        src += chunk.len();
        rows -= factor_i;
    }
    if end_offset != 0 {
        out.push(DNAN);
    }
    Column::new(start, new_step, out)
}

fn combine(chunk: &[f64], cf: Cf) -> f64 {
    let mut acc = DNAN;
    let mut known = 0u32;
    for &v in chunk {
        if v.is_nan() {
            continue;
        }
        known += 1;
        if acc.is_nan() {
            acc = v;
            continue;
        }
        acc = fold(cf, acc, v);
    }
    match cf {
        Cf::Min | Cf::Max | Cf::Failures | Cf::Last => acc,
        _ if known == 0 => DNAN,
        _ => acc / f64::from(known),
    }
}

/// One step of librrd's consolidation by `cf`: the value so far and the next known one.
/// Every CF but MIN, MAX, FAILURES and LAST sums (an average divides afterwards).
pub(crate) fn fold(cf: Cf, acc: f64, v: f64) -> f64 {
    match cf {
        // librrd's min() and max() macros: the right operand unless the left wins.
        Cf::Min => {
            if acc < v {
                acc
            } else {
                v
            }
        }
        Cf::Max | Cf::Failures => {
            if acc > v {
                acc
            } else {
                v
            }
        }
        Cf::Last => v,
        _ => acc + v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aligned_series_halves() {
        let c = Column::new(6000, 300, vec![1.0, 3.0, DNAN, 4.0, DNAN, DNAN]).unwrap();
        let r = reduce(&c, Cf::Average, 600).unwrap();
        assert_eq!((r.start(), r.step()), (6000, 600));
        assert_eq!(&r.values()[..2], &[2.0, 4.0]);
        assert!(r.values()[2].is_nan());
        let r = reduce(&c, Cf::Max, 600).unwrap();
        assert_eq!(&r.values()[..2], &[3.0, 4.0]);
    }

    #[test]
    fn a_partial_first_interval_is_unknown() {
        // 6300 is half way into a 600 s interval.
        let c = Column::new(6300, 300, vec![1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        let r = reduce(&c, Cf::Average, 600).unwrap();
        assert_eq!((r.start(), r.step()), (6000, 600));
        assert!(r.values()[0].is_nan());
        assert_eq!(&r.values()[1..], &[2.5, 4.5]);
    }
}
