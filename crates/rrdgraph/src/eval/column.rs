//! One series of a graph: values at a fixed step, as librrd holds a DEF or CDEF.

use crate::eval_error::EvalError;
use crate::rrd_file::{DNAN, MAX_FETCH_VALUES};

/// A series at a fixed step: value `i` covers `(start + i·step, start + (i+1)·step]`, as a
/// fetch row stamped with its end. Unknown is NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    start: i64,
    step: u64,
    values: Vec<f64>,
}

impl Column {
    /// A series from its start (the time before its first value), its step and its values.
    ///
    /// # Errors
    ///
    /// [`EvalError::Series`] for a step of 0, more than
    /// [`MAX_FETCH_VALUES`](crate::MAX_FETCH_VALUES) values, or an end past `i64::MAX`.
    pub fn new(start: i64, step: u64, values: Vec<f64>) -> Result<Self, EvalError> {
        let bad = |reason: &str| EvalError::Series {
            name: "column".to_owned(),
            reason: reason.to_owned(),
        };
        if step == 0 {
            return Err(bad("a step of 0"));
        }
        if values.len() > MAX_FETCH_VALUES {
            return Err(bad("more values than MAX_FETCH_VALUES"));
        }
        let span = i64::try_from(step)
            .ok()
            .and_then(|s| s.checked_mul(i64::try_from(values.len()).ok()?))
            .and_then(|span| start.checked_add(span));
        if span.is_none() {
            return Err(bad("the end is past the last time there is"));
        }
        Ok(Self {
            start,
            step,
            values,
        })
    }

    /// The time before the first value.
    pub fn start(&self) -> i64 {
        self.start
    }

    /// The time of the last value: `start + len·step`.
    pub fn end(&self) -> i64 {
        // Checked in `new`.
        self.start + self.step_i64() * self.len_i64()
    }

    /// Seconds between values.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The values, oldest first.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The values, taken out.
    pub fn into_values(self) -> Vec<f64> {
        self.values
    }

    /// Moves the series to start at `start` (a SHIFT: the same values, other times).
    pub(crate) fn move_to(&mut self, start: i64) -> Result<(), EvalError> {
        let moved = Column::new(start, self.step, std::mem::take(&mut self.values));
        match moved {
            Ok(c) => {
                *self = c;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The step as librrd's `long` (checked below `i64::MAX` in `new`).
    pub(crate) fn step_i64(&self) -> i64 {
        i64::try_from(self.step).unwrap_or(i64::MAX)
    }

    fn len_i64(&self) -> i64 {
        i64::try_from(self.values.len()).unwrap_or(i64::MAX)
    }

    /// Appends the values at `first`, `first + 1`, … (`rows` of them) to `out`, NaN outside
    /// the series, as [`at`](Column::at) of each would: one copy of the part inside.
    pub(crate) fn window_into(&self, first: i64, rows: usize, out: &mut Vec<f64>) {
        let end = out.len() + rows;
        let lead = usize::try_from(first.saturating_neg())
            .unwrap_or(0)
            .min(rows);
        out.resize(out.len() + lead, DNAN);
        let from = usize::try_from(first).unwrap_or(0);
        let inside = self.values.get(from..).unwrap_or(&[]);
        out.extend_from_slice(&inside[..inside.len().min(end - out.len())]);
        out.resize(end, DNAN);
    }

    /// The value at `index`, or NaN outside the series (where librrd would read memory past its
    /// array).
    pub(crate) fn at(&self, index: i64) -> f64 {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.values.get(i))
            .copied()
            .unwrap_or(DNAN)
    }
}
