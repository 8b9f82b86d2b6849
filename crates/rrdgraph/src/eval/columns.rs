//! A CDEF run a token at a time over every row (rather than every token for each row), for
//! the expressions whose rows do not depend on each other: no `PREV` of the output and only
//! operators of a fixed stack effect, so the stack's depth at each token is known before the
//! first row and no row can fail. Each value is computed by the same function as in the row
//! machine, so the answer is the same to the bit; what is saved is the dispatch per row and
//! token. Numbers stay single values until they meet a series (constant folding).

use crate::eval::machine::{Code, Reader};
use crate::eval::scalar;
use crate::op::Op;
use crate::rpn::MAX_RPN_TOKENS;
use crate::rrd_file::DNAN;

/// A stack slot: one value for every row, or the same value in every row.
enum Val {
    Num(f64),
    Col(Vec<f64>),
}

impl Val {
    fn at(&self, i: usize) -> f64 {
        match self {
            Val::Num(v) => *v,
            Val::Col(c) => c[i],
        }
    }
}

/// What an operator of this evaluator pops and pushes; `None` for the others.
fn effect(op: Op) -> Option<(usize, usize)> {
    if scalar::binary(op).is_some() {
        return Some((2, 1));
    }
    if scalar::unary(op).is_some() {
        return Some((1, 1));
    }
    Some(match op {
        Op::If | Op::Limit => (3, 1),
        Op::Dup => (1, 2),
        Op::Pop => (1, 0),
        Op::Exc => (2, 2),
        Op::Unkn | Op::Inf | Op::NegInf | Op::StepWidth | Op::Count | Op::Time => (0, 1),
        _ => return None,
    })
}

/// Whether `code` is for this evaluator: every operator known to it, never fewer values on
/// the stack than an operator takes, never as deep as the row machine refuses, one value left.
fn fits(code: &[Code]) -> bool {
    let mut depth = 0usize;
    for c in code {
        let (pop, push) = match c {
            Code::Num(_) | Code::Var { .. } => (0, 1),
            Code::Op(op) => match effect(*op) {
                Some(e) => e,
                None => return false,
            },
        };
        if depth < pop {
            return false;
        }
        depth = depth - pop + push;
        if depth >= MAX_RPN_TOKENS {
            return false;
        }
    }
    depth == 1
}

/// The rows of the CDEF `code` from `start` at `step`, or `None` where the row machine must
/// run it. `readers` are at their first value, as the row machine gets them.
pub(super) fn eval_columns(
    code: &[Code],
    readers: &[Reader<'_>],
    start: i64,
    step: i64,
    rows: usize,
) -> Option<Vec<f64>> {
    if !fits(code) {
        return None;
    }
    let mut spare: Vec<Vec<f64>> = Vec::new();
    let mut stack: Vec<Val> = Vec::with_capacity(code.len());
    for c in code {
        match *c {
            Code::Num(v) => stack.push(Val::Num(v)),
            Code::Var { slot, prev } => {
                let mut out = fresh(&mut spare, rows);
                read(&readers[slot], prev, start, step, rows, &mut out);
                stack.push(Val::Col(out));
            }
            Code::Op(op) => {
                if let Some(func) = scalar::binary(op) {
                    let top = stack.pop()?;
                    let below = stack.pop()?;
                    stack.push(binary(below, top, func, &mut spare));
                } else if let Some(func) = scalar::unary(op) {
                    let top = stack.pop()?;
                    stack.push(match top {
                        Val::Num(x) => Val::Num(func(x)),
                        Val::Col(mut col) => {
                            for v in &mut col {
                                *v = func(*v);
                            }
                            Val::Col(col)
                        }
                    });
                } else {
                    other(op, &mut stack, &mut spare, (start, step, rows))?;
                }
            }
        }
    }
    match stack.pop()? {
        Val::Num(v) => Some(vec![v; rows]),
        Val::Col(c) => Some(c),
    }
}

/// A buffer for `rows` values, a spare one where there is one.
fn fresh(spare: &mut Vec<Vec<f64>>, rows: usize) -> Vec<f64> {
    let mut v = spare.pop().unwrap_or_default();
    v.clear();
    v.reserve(rows);
    v
}

/// The operators of [`effect`] that are not of one or two values, over `rows` rows from
/// `start` at `step`.
fn other(
    op: Op,
    stack: &mut Vec<Val>,
    spare: &mut Vec<Vec<f64>>,
    (start, step, rows): (i64, i64, usize),
) -> Option<()> {
    #[expect(clippy::cast_precision_loss, reason = "times and counts below 2^53")]
    let float = |v: i64| v as f64;
    match op {
        Op::If | Op::Limit => {
            let func = if op == Op::If {
                scalar::if_else
            } else {
                scalar::limit
            };
            let third = stack.pop()?;
            let second = stack.pop()?;
            let first = stack.pop()?;
            let v = if let (Val::Num(x), Val::Num(y), Val::Num(z)) = (&first, &second, &third) {
                Val::Num(func(*x, *y, *z))
            } else {
                let mut out = fresh(spare, rows);
                out.extend((0..rows).map(|i| func(first.at(i), second.at(i), third.at(i))));
                for v in [first, second, third] {
                    if let Val::Col(c) = v {
                        spare.push(c);
                    }
                }
                Val::Col(out)
            };
            stack.push(v);
        }
        Op::Dup => {
            let copy = match stack.last()? {
                Val::Num(v) => Val::Num(*v),
                Val::Col(c) => {
                    let mut out = fresh(spare, rows);
                    out.extend_from_slice(c);
                    Val::Col(out)
                }
            };
            stack.push(copy);
        }
        Op::Pop => {
            if let Val::Col(c) = stack.pop()? {
                spare.push(c);
            }
        }
        Op::Exc => {
            let n = stack.len();
            stack.swap(n.checked_sub(2)?, n - 1);
        }
        Op::Unkn => stack.push(Val::Num(DNAN)),
        Op::Inf => stack.push(Val::Num(f64::INFINITY)),
        Op::NegInf => stack.push(Val::Num(f64::NEG_INFINITY)),
        Op::StepWidth => stack.push(Val::Num(float(step))),
        Op::Count => {
            let mut out = fresh(spare, rows);
            let mut n = 0i64;
            out.extend((0..rows).map(|_| {
                n += 1;
                float(n)
            }));
            stack.push(Val::Col(out));
        }
        Op::Time => {
            let mut out = fresh(spare, rows);
            let mut time = start;
            out.extend((0..rows).map(|_| {
                time += step;
                float(time)
            }));
            stack.push(Val::Col(out));
        }
        _ => return None,
    }
    Some(())
}

/// `func(below, top)` over two slots, into the buffer of one of them.
fn binary(below: Val, top: Val, func: fn(f64, f64) -> f64, spare: &mut Vec<Vec<f64>>) -> Val {
    match (below, top) {
        (Val::Num(x), Val::Num(y)) => Val::Num(func(x, y)),
        (Val::Col(mut col), Val::Num(y)) => {
            for v in &mut col {
                *v = func(*v, y);
            }
            Val::Col(col)
        }
        (Val::Num(x), Val::Col(mut col)) => {
            for v in &mut col {
                *v = func(x, *v);
            }
            Val::Col(col)
        }
        (Val::Col(mut col), Val::Col(other)) => {
            for (v, w) in col.iter_mut().zip(&other) {
                *v = func(*v, *w);
            }
            spare.push(other);
            Val::Col(col)
        }
    }
}

/// What one series token reads in each row, as the row machine's reader: its value at the
/// reader's position (`PREV(vname)`: the one before, unknown in the first row), the position
/// moving on in each row whose time is a multiple of the series' step.
fn read(reader: &Reader<'_>, prev: bool, start: i64, step: i64, rows: usize, out: &mut Vec<f64>) {
    let column = reader.column;
    let own = column.step_i64();
    let mut at = reader.at;
    let mut time = start;
    if own == step && start % step == 0 {
        // Every row's time is a multiple of the step: the position moves on in every row.
        if prev && rows > 0 {
            out.push(DNAN);
            column.window_into(at, rows - 1, out);
        } else {
            column.window_into(at, rows, out);
        }
        return;
    }
    out.extend((0..rows).map(|i| {
        time += step;
        let v = if !prev {
            column.at(at)
        } else if i == 0 {
            DNAN
        } else {
            column.at(at - 1)
        };
        if time % own == 0 {
            at += 1;
        }
        v
    }));
}
