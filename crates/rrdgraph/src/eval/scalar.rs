//! The value functions of librrd's operators that take one or two values and give one: shared
//! by the row machine and the column evaluator, so both compute each value the same way.

use std::cmp::Ordering::Equal;

use crate::op::Op;

/// The comparison operators: an unknown on the left stays, one on the right is taken.
fn compare(a: f64, b: f64, holds: bool) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else if holds {
        1.0
    } else {
        0.0
    }
}

/// `f(below, top)` for an operator that replaces the top two values with one.
pub(super) fn binary(op: Op) -> Option<fn(f64, f64) -> f64> {
    let f: fn(f64, f64) -> f64 = match op {
        Op::Add => |a, b| a + b,
        Op::AddNan => |a, b| {
            if a.is_nan() {
                b
            } else if b.is_nan() {
                a
            } else {
                a + b
            }
        },
        Op::Sub => |a, b| a - b,
        Op::Mul => |a, b| a * b,
        Op::Div => |a, b| a / b,
        Op::Mod => |a, b| a % b,
        Op::Pow => f64::powf,
        Op::Atan2 => f64::atan2,
        Op::Lt => |a, b| compare(a, b, a < b),
        Op::Le => |a, b| compare(a, b, a <= b),
        Op::Gt => |a, b| compare(a, b, a > b),
        Op::Ge => |a, b| compare(a, b, a >= b),
        Op::Ne => |a, b| compare(a, b, a.partial_cmp(&b) != Some(Equal)),
        Op::Eq => |a, b| compare(a, b, a.partial_cmp(&b) == Some(Equal)),
        Op::Min => |a, b| {
            if a.is_nan() {
                a
            } else if b.is_nan() || a > b {
                b
            } else {
                a
            }
        },
        Op::Max => |a, b| {
            if a.is_nan() {
                a
            } else if b.is_nan() || a < b {
                b
            } else {
                a
            }
        },
        Op::MinNan => |a, b| {
            if a.is_nan() || (!b.is_nan() && a > b) {
                b
            } else {
                a
            }
        },
        Op::MaxNan => |a, b| {
            if a.is_nan() || (!b.is_nan() && a < b) {
                b
            } else {
                a
            }
        },
        _ => return None,
    };
    Some(f)
}

/// `f(top)` for an operator that replaces the top value.
pub(super) fn unary(op: Op) -> Option<fn(f64) -> f64> {
    let f: fn(f64) -> f64 = match op {
        Op::Sin => f64::sin,
        Op::Cos => f64::cos,
        Op::Atan => f64::atan,
        // librrd's own constants, not the exact conversions.
        Op::Rad2Deg => |a| 57.295_779_51 * a,
        Op::Deg2Rad => |a| 0.017_453_295_2 * a,
        Op::Ceil => f64::ceil,
        Op::Floor => f64::floor,
        Op::Log => f64::ln,
        Op::Exp => f64::exp,
        Op::Sqrt => f64::sqrt,
        Op::Abs => f64::abs,
        Op::Un => |a| if a.is_nan() { 1.0 } else { 0.0 },
        Op::IsInf => |a| if a.is_infinite() { 1.0 } else { 0.0 },
        _ => return None,
    };
    Some(f)
}

/// `IF`: `cond,then,else`.
pub(super) fn if_else(cond: f64, then: f64, other: f64) -> f64 {
    if cond.is_nan() || cond == 0.0 {
        other
    } else {
        then
    }
}

/// `LIMIT`: `x,lo,hi`.
pub(super) fn limit(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() {
        x
    } else if lo.is_nan() {
        lo
    } else if hi.is_nan() {
        hi
    } else if x < lo || x > hi {
        crate::rrd_file::DNAN
    } else {
        x
    }
}
