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
    let fresh = |spare: &mut Vec<Vec<f64>>| {
        let mut v = spare.pop().unwrap_or_default();
        v.clear();
        v.reserve(rows);
        v
    };
    let mut stack: Vec<Val> = Vec::with_capacity(code.len());
    for c in code {
        match *c {
            Code::Num(v) => stack.push(Val::Num(v)),
            Code::Var { slot, prev } => {
                let mut out = fresh(&mut spare);
                read(&readers[slot], prev, start, step, rows, &mut out);
                stack.push(Val::Col(out));
            }
            Code::Op(op) => {
                #[expect(clippy::cast_precision_loss, reason = "times and counts below 2^53")]
                let f = |v: i64| v as f64;
                if let Some(g) = scalar::binary(op) {
                    let b = stack.pop()?;
                    let a = stack.pop()?;
                    stack.push(binary(a, b, g, &mut spare));
                } else if let Some(g) = scalar::unary(op) {
                    let a = stack.pop()?;
                    stack.push(match a {
                        Val::Num(x) => Val::Num(g(x)),
                        Val::Col(mut x) => {
                            x.iter_mut().for_each(|v| *v = g(*v));
                            Val::Col(x)
                        }
                    });
                } else {
                    match op {
                        Op::If | Op::Limit => {
                            let g = if op == Op::If {
                                scalar::if_else
                            } else {
                                scalar::limit
                            };
                            let z = stack.pop()?;
                            let y = stack.pop()?;
                            let x = stack.pop()?;
                            let v = if let (Val::Num(a), Val::Num(b), Val::Num(c)) = (&x, &y, &z) {
                                Val::Num(g(*a, *b, *c))
                            } else {
                                let mut out = fresh(&mut spare);
                                out.extend((0..rows).map(|i| g(x.at(i), y.at(i), z.at(i))));
                                for v in [x, y, z] {
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
                                    let mut out = fresh(&mut spare);
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
                        Op::StepWidth => stack.push(Val::Num(f(step))),
                        Op::Count => {
                            let mut out = fresh(&mut spare);
                            let mut n = 0i64;
                            out.extend((0..rows).map(|_| {
                                n += 1;
                                f(n)
                            }));
                            stack.push(Val::Col(out));
                        }
                        Op::Time => {
                            let mut out = fresh(&mut spare);
                            let mut time = start;
                            out.extend((0..rows).map(|_| {
                                time += step;
                                f(time)
                            }));
                            stack.push(Val::Col(out));
                        }
                        _ => return None,
                    }
                }
            }
        }
    }
    match stack.pop()? {
        Val::Num(v) => Some(vec![v; rows]),
        Val::Col(c) => Some(c),
    }
}

/// `g(below, top)` over two slots, into the buffer of one of them.
fn binary(a: Val, b: Val, g: fn(f64, f64) -> f64, spare: &mut Vec<Vec<f64>>) -> Val {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => Val::Num(g(x, y)),
        (Val::Col(mut x), Val::Num(y)) => {
            x.iter_mut().for_each(|v| *v = g(*v, y));
            Val::Col(x)
        }
        (Val::Num(x), Val::Col(mut y)) => {
            y.iter_mut().for_each(|v| *v = g(x, *v));
            Val::Col(y)
        }
        (Val::Col(mut x), Val::Col(y)) => {
            x.iter_mut().zip(&y).for_each(|(v, w)| *v = g(*v, *w));
            spare.push(y);
            Val::Col(x)
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
