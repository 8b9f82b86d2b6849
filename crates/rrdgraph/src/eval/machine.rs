//! librrd's `rpn_calc`: one row of a CDEF, run on a stack that keeps what was popped (librrd's
//! ROLL copies slots above the top, so the stale values are part of its answer).

use crate::eval::clock::{Clock, Period};
use crate::eval::column::Column;
use crate::eval::scalar;
use crate::eval::sort::librrd_sort;
use crate::eval_error::EvalError;
use crate::op::Op;
use crate::rpn::MAX_RPN_TOKENS;
use crate::rrd_file::DNAN;

/// A resolved token: VDEFs are numbers by now, DEFs and CDEFs are series with a read position.
#[derive(Debug, Clone, Copy)]
pub(super) enum Code {
    Num(f64),
    /// A series read: `slot` into the program's series; `prev` for `PREV(vname)`.
    Var {
        slot: usize,
        prev: bool,
    },
    Op(Op),
}

/// One series token's state: librrd gives each token its own data pointer, moved on after
/// each read that falls on the series' step.
#[derive(Debug)]
pub(super) struct Reader<'a> {
    pub(super) column: &'a Column,
    /// Index of the value the next read takes.
    pub(super) at: i64,
}

/// What one row is evaluated at.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    /// Zero-based output index.
    pub(super) index: usize,
    /// The row's time (its end).
    pub(super) time: i64,
    /// The CDEF's step.
    pub(super) step: i64,
}

/// The compiled expression with its per-token readers and its stack.
#[derive(Debug)]
pub(super) struct Machine<'a> {
    pub(super) code: Vec<Code>,
    pub(super) readers: Vec<Reader<'a>>,
    /// For each token position, the reader slot if the token reads a series.
    pub(super) slot_at: Vec<Option<usize>>,
    pub(super) clock: Clock,
    stack: Vec<f64>,
    /// librrd's `stptr`: the top's index, -1 when empty.
    sp: isize,
    extra: Vec<f64>,
}

type Step = Result<(), EvalError>;

/// C's `(int) x` on x86-64: truncation, and `INT_MIN` for NaN or out of range.
#[expect(clippy::cast_possible_truncation, reason = "range checked first")]
fn c_int(x: f64) -> i64 {
    if x.is_nan() || x >= 2_147_483_648.0 || x <= -2_147_483_649.0 {
        i64::from(i32::MIN)
    } else {
        x.trunc() as i64
    }
}

/// librrd's step counts: `(int) ceil((float) a / (float) b)`.
#[expect(clippy::cast_precision_loss, reason = "librrd converts to float")]
fn float_ceil_div(a: i64, b: i64) -> i64 {
    c_int(f64::from(((a as f32) / (b as f32)).ceil()))
}

impl<'a> Machine<'a> {
    pub(super) fn new(
        code: Vec<Code>,
        readers: Vec<Reader<'a>>,
        slot_at: Vec<Option<usize>>,
        clock: Clock,
    ) -> Self {
        Self {
            code,
            readers,
            slot_at,
            clock,
            stack: Vec::with_capacity(16),
            sp: -1,
            extra: Vec::new(),
        }
    }

    /// Slot `i`. ROLL reads above the top, but validation refuses a ROLL that would reach a
    /// slot the expression never wrote (uninitialised memory in librrd), so a never-written
    /// slot is not read; 0 keeps this total. Below the bottom is outside librrd's buffer: NaN.
    fn get(&self, i: isize) -> f64 {
        match usize::try_from(i) {
            Ok(i) => self.stack.get(i).copied().unwrap_or(0.0),
            Err(_) => DNAN,
        }
    }

    fn set(&mut self, i: isize, v: f64) {
        if let Ok(i) = usize::try_from(i) {
            if i >= self.stack.len() {
                self.stack.resize(i + 1, 0.0);
            }
            self.stack[i] = v;
        }
    }

    fn top(&self) -> f64 {
        self.get(self.sp)
    }

    fn push(&mut self, pos: usize, v: f64) -> Step {
        if self.sp + 1 >= MAX_RPN_TOKENS.cast_signed() {
            return Err(EvalError::StackTooDeep {
                pos,
                max: MAX_RPN_TOKENS,
            });
        }
        self.sp += 1;
        self.set(self.sp, v);
        Ok(())
    }

    /// librrd's `stackunderflow(MINSIZE)`: the top's index must be at least `min`.
    fn need(&self, pos: usize, op: Op, min: i64) -> Step {
        if (self.sp as i64) < min {
            Err(EvalError::Underflow { pos, op: op.name() })
        } else {
            Ok(())
        }
    }

    /// Pops a count for `op`; negative counts are refused (librrd hands them to qsort and
    /// memcpy as sizes, or loops past the bottom of its stack).
    fn pop_count(&mut self, pos: usize, op: Op) -> Result<isize, EvalError> {
        let raw = self.top();
        self.sp -= 1;
        let n = c_int(raw);
        if n < 0 {
            return Err(EvalError::Operand {
                pos,
                op: op.name(),
                reason: format!("count {raw} is negative or not a number"),
            });
        }
        if n > i64::try_from(MAX_RPN_TOKENS).unwrap_or(i64::MAX) {
            return Err(EvalError::StackTooDeep {
                pos,
                max: MAX_RPN_TOKENS,
            });
        }
        Ok(isize::try_from(n).unwrap_or(0))
    }

    /// Binary operator on the top two: `f(below, top)` replaces both.
    fn binary(&mut self, pos: usize, op: Op, f: impl Fn(f64, f64) -> f64) -> Step {
        self.need(pos, op, 1)?;
        let v = f(self.get(self.sp - 1), self.top());
        self.sp -= 1;
        self.set(self.sp, v);
        Ok(())
    }

    fn unary(&mut self, pos: usize, op: Op, f: impl Fn(f64) -> f64) -> Step {
        self.need(pos, op, 0)?;
        let v = f(self.top());
        self.set(self.sp, v);
        Ok(())
    }

    /// Runs the expression for one row; `output` holds the rows before it (for `PREV`).
    pub(super) fn run(&mut self, row: Row, output: &[f64]) -> Result<f64, EvalError> {
        self.sp = -1;
        for pos in 0..self.code.len() {
            match self.code[pos] {
                Code::Num(v) => self.push(pos, v)?,
                Code::Var { slot, prev } => {
                    let reader = &mut self.readers[slot];
                    let v = if !prev {
                        reader.column.at(reader.at)
                    } else if row.index == 0 {
                        DNAN
                    } else {
                        reader.column.at(reader.at - 1)
                    };
                    if row.time % reader.column.step_i64() == 0 {
                        reader.at += 1;
                    }
                    self.push(pos, v)?;
                }
                Code::Op(op) => self.op(pos, op, row, output)?,
            }
        }
        if self.sp != 0 {
            return Err(EvalError::Leftover {
                depth: usize::try_from(self.sp + 1).unwrap_or(0),
            });
        }
        Ok(self.get(0))
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per operator, as librrd's switch"
    )]
    fn op(&mut self, pos: usize, op: Op, row: Row, output: &[f64]) -> Step {
        #[expect(clippy::cast_precision_loss, reason = "times and counts below 2^53")]
        let f = |v: i64| v as f64;
        match op {
            Op::StepWidth => self.push(pos, f(row.step)),
            Op::Count => self.push(pos, f(i64::try_from(row.index).unwrap_or(0) + 1)),
            Op::Prev => {
                let v = row
                    .index
                    .checked_sub(1)
                    .and_then(|i| output.get(i))
                    .copied()
                    .unwrap_or(DNAN);
                self.push(pos, v)
            }
            Op::Unkn => self.push(pos, DNAN),
            Op::Inf => self.push(pos, f64::INFINITY),
            Op::NegInf => self.push(pos, f64::NEG_INFINITY),
            Op::Now => self.push(pos, f(self.clock.now())),
            Op::Time => self.push(pos, f(row.time)),
            Op::LTime => self.push(pos, f(self.clock.local(row.time))),
            Op::NewDay | Op::NewWeek | Op::NewMonth | Op::NewYear => {
                let period = match op {
                    Op::NewDay => Period::Day,
                    Op::NewWeek => Period::Week,
                    Op::NewMonth => Period::Month,
                    _ => Period::Year,
                };
                let new = self.clock.new_period(row.time, row.step, period);
                self.push(pos, if new { 1.0 } else { 0.0 })
            }
            Op::Dup => {
                self.need(pos, op, 0)?;
                self.push(pos, self.top())
            }
            Op::Pop => {
                self.need(pos, op, 0)?;
                self.sp -= 1;
                Ok(())
            }
            Op::Exc => {
                self.need(pos, op, 1)?;
                let (a, b) = (self.get(self.sp - 1), self.top());
                self.set(self.sp - 1, b);
                self.set(self.sp, a);
                Ok(())
            }
            Op::If | Op::Limit => {
                self.need(pos, op, 2)?;
                let f = if op == Op::If {
                    scalar::if_else
                } else {
                    scalar::limit
                };
                let v = f(self.get(self.sp - 2), self.get(self.sp - 1), self.top());
                self.sp -= 2;
                self.set(self.sp, v);
                Ok(())
            }
            Op::Sort | Op::Rev => {
                self.need(pos, op, 0)?;
                let n = self.pop_count(pos, op)?;
                self.need(pos, op, (n - 1) as i64)?;
                let range = self.range(n);
                if op == Op::Sort {
                    librrd_sort(&mut self.stack[range]);
                } else {
                    self.stack[range].reverse();
                }
                Ok(())
            }
            Op::Avg => {
                self.need(pos, op, 0)?;
                let n = self.pop_count(pos, op)?;
                self.need(pos, op, (n - 1) as i64)?;
                let (mut sum, mut count) = (0.0, 0u32);
                for _ in 0..n {
                    let v = self.top();
                    self.sp -= 1;
                    if !v.is_nan() {
                        count += 1;
                        sum += v;
                    }
                }
                let v = if count > 0 {
                    sum / f64::from(count)
                } else {
                    DNAN
                };
                self.push(pos, v)
            }
            Op::Median => {
                self.need(pos, op, 0)?;
                let n = self.pop_count(pos, op)?;
                self.need(pos, op, (n - 1) as i64)?;
                let range = self.range(n);
                let v = median(&mut self.stack[range]);
                self.sp -= n;
                self.push(pos, v)
            }
            Op::Stdev => {
                self.need(pos, op, 0)?;
                let n = self.pop_count(pos, op)?;
                self.need(pos, op, (n - 1) as i64)?;
                let (mut count, mut mean, mut mean2) = (0u32, 0.0, 0.0);
                for _ in 0..n {
                    let datum = self.top();
                    self.sp -= 1;
                    if datum.is_nan() {
                        continue;
                    }
                    count += 1;
                    let delta = datum - mean;
                    mean += delta / f64::from(count);
                    mean2 += delta * (datum - mean);
                }
                let v = if count < 2 {
                    DNAN
                } else {
                    (mean2 / f64::from(count - 1)).sqrt()
                };
                self.push(pos, v)
            }
            Op::Percent => {
                self.need(pos, op, 2)?;
                let n = self.pop_count(pos, op)?;
                let percent = self.top();
                self.sp -= 1;
                if !(0.0..=100.0).contains(&percent) {
                    return Err(EvalError::Operand {
                        pos,
                        op: op.name(),
                        reason: format!("percentile {percent} is outside 0..=100"),
                    });
                }
                self.need(pos, op, (n - 1) as i64)?;
                let range = self.range(n);
                librrd_sort(&mut self.stack[range]);
                self.sp -= n;
                // librrd's index: `round(p·n/100)` above the slot *below* the values, so a
                // low percentile reads the value under them.
                #[expect(clippy::cast_precision_loss, reason = "n is at most 4096")]
                let k = c_int((percent * n as f64 / 100.0).round());
                let v = self.get(self.sp + isize::try_from(k).unwrap_or(0));
                self.set(self.sp + 1, v);
                self.sp += 1;
                Ok(())
            }
            Op::SMax | Op::SMin => {
                self.need(pos, op, 0)?;
                let n = self.pop_count(pos, op)?;
                self.need(pos, op, (n - 1) as i64)?;
                let mut best = DNAN;
                for _ in 0..n {
                    let v = self.top();
                    self.sp -= 1;
                    let better = if op == Op::SMax { v > best } else { v < best };
                    if best.is_nan() || better {
                        best = v;
                    }
                }
                self.push(pos, best)
            }
            Op::Roll => {
                self.need(pos, op, 1)?;
                let step = c_int(self.top());
                self.sp -= 1;
                let base = self.pop_count(pos, op)?;
                self.need(pos, op, (base - 1) as i64)?;
                // librrd copies `base` slots from the top *upwards*: the top, then the two
                // slots it just popped, then whatever is above them.
                let copy: Vec<f64> = (0..base).map(|k| self.get(self.sp + k)).collect();
                let base_i = base as i64;
                let mut j = base_i + step;
                let mut i = base;
                while i > 0 {
                    i -= 1;
                    j -= 1;
                    j = j.rem_euclid(base_i);
                    self.set(self.sp - i, copy[usize::try_from(j).unwrap_or(0)]);
                }
                Ok(())
            }
            Op::Index => {
                self.need(pos, op, 0)?;
                let i = c_int(self.top());
                if i < 0 {
                    return Err(EvalError::Operand {
                        pos,
                        op: op.name(),
                        reason: "a negative index reads above the stack".to_owned(),
                    });
                }
                self.need(pos, op, i)?;
                let v = self.get(self.sp - i as isize);
                self.set(self.sp, v);
                Ok(())
            }
            Op::Copy => {
                let n = self.pop_count(pos, op)?;
                self.need(pos, op, (n - 1) as i64)?;
                for _ in 0..n {
                    self.push(pos, self.get(self.sp + 1 - n))?;
                }
                Ok(())
            }
            Op::Depth => {
                let depth = f((self.sp + 1) as i64);
                self.push(pos, depth)
            }
            Op::Trend | Op::TrendNan => self.trend(pos, op, row),
            Op::Predict | Op::PredictSigma | Op::PredictPerc => self.predict(pos, op, row),
            // The operators of one or two values, as the column evaluator computes them.
            _ => {
                if let Some(f) = scalar::binary(op) {
                    self.binary(pos, op, f)
                } else if let Some(f) = scalar::unary(op) {
                    self.unary(pos, op, f)
                } else {
                    Err(EvalError::Unsupported(format!(
                        "the operator {}",
                        op.name()
                    )))
                }
            }
        }
    }

    /// The stack slots of the top `n` values.
    fn range(&self, n: isize) -> std::ops::Range<usize> {
        let hi = usize::try_from(self.sp + 1).unwrap_or(0);
        let lo = usize::try_from(self.sp + 1 - n).unwrap_or(0);
        if hi > self.stack.len() {
            return 0..0;
        }
        lo..hi
    }

    /// The reader of the series token at `pos`, if there is one.
    fn reader_at(&self, pos: usize) -> Option<&Reader<'a>> {
        self.slot_at
            .get(pos)
            .copied()
            .flatten()
            .map(|s| &self.readers[s])
    }

    fn trend(&mut self, pos: usize, op: Op, row: Row) -> Step {
        self.need(pos, op, 1)?;
        let malformed = || EvalError::Operand {
            pos,
            op: op.name(),
            reason: "malformed trend arguments: librrd needs `vname,window,TREND` over a DEF \
                     or CDEF"
                .to_owned(),
        };
        let var = pos.checked_sub(2).ok_or_else(malformed)?;
        if !matches!(self.code[var], Code::Var { prev: false, .. }) {
            return Err(malformed());
        }
        let reader = self.reader_at(var).ok_or_else(malformed)?;
        let step = reader.column.step_i64();
        #[expect(clippy::cast_possible_truncation, reason = "C's (time_t) of a window")]
        let mut dur = self.top() as i64;
        let index = i64::try_from(row.index).unwrap_or(i64::MAX);
        let v = if index + 1 >= float_ceil_div(dur, step) {
            let keep_nan = op == Op::Trend;
            let (mut accum, mut count) = (0.0, 0u32);
            let mut back = -1;
            loop {
                let v = reader.column.at(reader.at + back);
                back -= 1;
                if keep_nan || !v.is_nan() {
                    accum += v;
                    count += 1;
                }
                dur -= step;
                if dur <= 0 {
                    break;
                }
            }
            if count == 0 {
                DNAN
            } else {
                accum / f64::from(count)
            }
        } else {
            DNAN
        };
        self.sp -= 1;
        self.set(self.sp, v);
        Ok(())
    }

    #[expect(clippy::cast_precision_loss, reason = "librrd's float arithmetic")]
    #[expect(clippy::cast_possible_truncation, reason = "librrd's int arithmetic")]
    fn predict(&mut self, pos: usize, op: Op, row: Row) -> Step {
        let operand = |reason: String| EvalError::Operand {
            pos,
            op: op.name(),
            reason,
        };
        let mut percentile = DNAN;
        if op == Op::PredictPerc {
            self.need(pos, op, 1)?;
            self.sp -= 1;
            percentile = self.top();
            if percentile.abs() > 100.0 || percentile.is_nan() {
                return Err(operand(format!("unsupported percentile: {percentile}")));
            }
            percentile /= 100.0;
        }
        self.need(pos, op, 2)?;
        self.sp -= 1;
        let window = c_int(self.top());
        self.sp -= 1;
        let shifts = c_int(self.top());
        self.need(pos, op, shifts)?;
        if shifts < 0 {
            self.sp -= 1;
        } else {
            self.sp -= shifts as isize;
        }
        let (column, at) = pos
            .checked_sub(1)
            .and_then(|p| self.reader_at(p))
            .map(|r| (r.column, r.at))
            .ok_or_else(|| {
                operand(
                    "librrd reads the series right before PREDICT: it must be a DEF or CDEF".into(),
                )
            })?;
        let ds_step = column.step_i64();
        let local = float_ceil_div(window, ds_step);
        let index = i64::try_from(row.index).unwrap_or(i64::MAX);
        let (mut sum, mut sum2, mut count) = (0.0, 0.0, 0u32);
        self.extra.clear();
        for k in 0..shifts.abs() {
            let shift = if shifts < 0 {
                c_int(k as f64 * self.top())
            } else {
                c_int(self.get(self.sp + k as isize))
            };
            if shift < 0 {
                return Err(operand(format!("negative shift step not allowed: {shift}")));
            }
            let shift = float_ceil_div(shift, ds_step);
            for i in 0..=local {
                let offset = shift + i;
                if offset >= 0 && offset < index {
                    let v = column.at(at - offset);
                    if !v.is_nan() {
                        sum += v;
                        sum2 += v * v;
                        if op == Op::PredictPerc {
                            self.extra.push(v);
                        }
                        count += 1;
                    }
                }
            }
        }
        let n = f64::from(count);
        let v = match op {
            Op::Predict if count > 0 => sum / n,
            Op::PredictSigma if count > 1 => {
                let v = n * sum2 - sum * sum;
                if v < 0.0 {
                    DNAN
                } else {
                    let c = f64::from(n as f32);
                    (v / (c * (c - 1.0))).sqrt()
                }
            }
            Op::PredictPerc if count > 0 => {
                librrd_sort(&mut self.extra);
                percentile_of(&self.extra, percentile)
            }
            _ => DNAN,
        };
        self.set(self.sp, v);
        Ok(())
    }
}

/// librrd's MEDIAN over `v` (the slots themselves: it moves the unknowns up and sorts the rest
/// in place).
fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return DNAN;
    }
    let mut good = 0;
    let mut bad = v.len() - 1;
    let mut known = v.len();
    while good < bad {
        if v[good].is_nan() {
            v[good] = v[bad];
            bad -= 1;
            known -= 1;
        } else {
            good += 1;
        }
    }
    if v[good].is_nan() {
        known -= 1;
    }
    if known == 0 {
        return DNAN;
    }
    librrd_sort(&mut v[..known]);
    if known % 2 == 1 {
        v[known / 2]
    } else {
        0.5 * (v[known / 2] + v[known / 2 - 1])
    }
}

/// PREDICTPERC's pick from the sorted values (`percentile` as a fraction): a negative one takes
/// the nearest rank, a positive one interpolates between neighbours.
#[expect(clippy::cast_precision_loss, reason = "librrd's float arithmetic")]
fn percentile_of(sorted: &[f64], percentile: f64) -> f64 {
    let at = |i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| sorted.get(i))
            .copied()
            .unwrap_or(DNAN)
    };
    let idxf = percentile * (f64::from(sorted.len() as f32) - 1.0);
    if percentile < 0.0 {
        return at(c_int(idxf.abs().round()));
    }
    let idx = c_int(idxf.floor());
    #[expect(clippy::cast_precision_loss, reason = "an index below 2^31")]
    let delta = idxf - idx as f64;
    let base = at(idx);
    // librrd's own test: it also keeps the 100th percentile from reading past the end.
    if delta == 0.0 {
        base
    } else {
        base + (at(idx + 1) - base) * delta
    }
}
