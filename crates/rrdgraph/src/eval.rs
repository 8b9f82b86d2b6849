//! The data behind a graph, computed in Rust as librrd 1.7.2 computes it: CDEF expressions
//! over aligned series ([`eval_cdef`]). Sans-IO: the series come in as [`Column`]s, the time
//! as a [`Clock`].

mod clock;
mod column;
mod columns;
mod machine;
mod reduce;
mod scalar;
mod sort;
mod vdef;

pub use clock::Clock;
pub use column::Column;
pub(crate) use reduce::fold;
pub use reduce::reduce;
pub use vdef::{VDefValue, vdef};

use crate::eval_error::EvalError;
use crate::rpn::{Rpn, Token};
use crate::rrd_file::MAX_FETCH_VALUES;
use crate::value::VName;
use machine::{Code, Machine, Reader, Row};

/// What a vname stands for inside a CDEF.
#[derive(Debug, Clone, Copy)]
pub enum Operand<'a> {
    /// A DEF or CDEF: a series.
    Series(&'a Column),
    /// A VDEF: one value (librrd substitutes it as a number).
    Value(f64),
}

/// A value as JSON: `null` for UNKN, `"inf"`/`"-inf"`, else the number.
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference"
)]
pub(crate) fn sample_json<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    crate::sample::serialize_sample(*v, s)
}

/// librrd's `rrd_lcd`, which despite its name is the greatest common divisor of the steps.
pub(crate) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Evaluates a CDEF as librrd's `data_calc` does: the result runs from the latest start to the
/// earliest end of the series it reads, at the greatest common divisor of their steps; each
/// series token reads its own value for every row, moving on when the row's time is a multiple
/// of its step; a VDEF is its value.
///
/// ```
/// use rrdgraph::{Clock, Column, Operand, Rpn, VName, eval_cdef};
/// let x = VName::new("x")?;
/// let data = Column::new(1_699_999_800, 300, vec![1.0, f64::NAN, 3.0])?;
/// let rpn: Rpn = "x,UN,0,x,IF,2,*".parse()?;
/// let out = eval_cdef(&rpn, |v| (v == &x).then_some(Operand::Series(&data)), Clock::at(0))?;
/// assert_eq!(out.values(), &[2.0, 0.0, 6.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`EvalError`] where librrd fails the CDEF (a vname without data, no series read, a stack
/// underflow or leftover, an operand librrd refuses), and where librrd would read outside its
/// memory (a negative count, a TREND or PREDICT over a VDEF).
pub fn eval_cdef<'a>(
    rpn: &Rpn,
    lookup: impl Fn(&VName) -> Option<Operand<'a>>,
    clock: Clock,
) -> Result<Column, EvalError> {
    eval_cdef_by(rpn, lookup, clock, true)
}

/// [`eval_cdef`], `by_column` where the expression allows it, else row by row (the tests
/// compare the two).
fn eval_cdef_by<'a>(
    rpn: &Rpn,
    lookup: impl Fn(&VName) -> Option<Operand<'a>>,
    clock: Clock,
    by_column: bool,
) -> Result<Column, EvalError> {
    let tokens = rpn.tokens();
    let mut code = Vec::with_capacity(tokens.len());
    let mut readers: Vec<Reader<'a>> = Vec::new();
    let mut slot_at = Vec::with_capacity(tokens.len());
    for token in tokens {
        let (var, prev) = match token {
            Token::Num(v) => {
                code.push(Code::Num(*v));
                slot_at.push(None);
                continue;
            }
            Token::Op(op) => {
                code.push(Code::Op(*op));
                slot_at.push(None);
                continue;
            }
            Token::Var(v) => (v, false),
            Token::PrevOf(v) => (v, true),
        };
        match lookup(var).ok_or_else(|| EvalError::Undefined(var.clone()))? {
            Operand::Value(v) => {
                code.push(Code::Num(v));
                slot_at.push(None);
            }
            Operand::Series(column) => {
                slot_at.push(Some(readers.len()));
                code.push(Code::Var {
                    slot: readers.len(),
                    prev,
                });
                readers.push(Reader { column, at: 0 });
            }
        }
    }
    let Some(step) = readers.iter().map(|r| r.column.step()).reduce(gcd) else {
        return Err(EvalError::NoSeries);
    };
    // librrd starts from 0 and an end of 0 means "none yet".
    let start = readers.iter().map(|r| r.column.start()).fold(0, i64::max);
    let end = readers
        .iter()
        .map(|r| r.column.end())
        .min()
        .unwrap_or(start);
    for r in &mut readers {
        let diff = start - r.column.start();
        if diff > 0 {
            r.at = diff / r.column.step_i64();
        }
    }
    let step_i = i64::try_from(step).unwrap_or(i64::MAX);
    let rows = if end < start {
        return Err(EvalError::Series {
            name: "result".to_owned(),
            reason: format!(
                "the series it reads do not overlap (latest start {start}, earliest end {end})"
            ),
        });
    } else {
        usize::try_from((end - start) / step_i).unwrap_or(usize::MAX)
    };
    if rows > MAX_FETCH_VALUES {
        return Err(EvalError::Series {
            name: "result".to_owned(),
            reason: format!("{rows} values, more than MAX_FETCH_VALUES"),
        });
    }
    if by_column && let Some(out) = columns::eval_columns(&code, &readers, start, step_i, rows) {
        return Column::new(start, step, out);
    }
    let mut machine = Machine::new(code, readers, slot_at, clock);
    let mut out = Vec::with_capacity(rows);
    let mut time = start;
    for index in 0..rows {
        time += step_i;
        let v = machine.run(
            Row {
                index,
                time,
                step: step_i,
            },
            &out,
        )?;
        out.push(v);
    }
    Column::new(start, step, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expr: &str, cols: &[(&str, &Column)]) -> Result<Vec<f64>, EvalError> {
        let rpn: Rpn = expr.parse().unwrap();
        eval_cdef(
            &rpn,
            |v| {
                cols.iter()
                    .find(|(n, _)| *n == v.as_str())
                    .map(|(_, c)| Operand::Series(c))
            },
            Clock::at(1_800_000_000),
        )
        .map(Column::into_values)
    }

    #[test]
    fn series_of_different_steps_meet_at_their_gcd() {
        let a = Column::new(6000, 300, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let b = Column::new(6000, 600, vec![10.0, 20.0]).unwrap();
        assert_eq!(
            eval("a,b,+", &[("a", &a), ("b", &b)]).unwrap(),
            [11.0, 12.0, 23.0, 24.0]
        );
    }

    #[test]
    fn the_later_start_wins_and_prev_reads_the_output() {
        let a = Column::new(6000, 300, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let b = Column::new(6300, 300, vec![5.0, 6.0, 7.0]).unwrap();
        assert_eq!(
            eval("a,b,+", &[("a", &a), ("b", &b)]).unwrap(),
            [7.0, 9.0, 11.0]
        );
        let out = eval("PREV,UN,0,PREV,IF,a,+", &[("a", &a)]).unwrap();
        assert_eq!(out, [1.0, 3.0, 6.0, 10.0]);
        let out = eval("PREV(a),COUNT,+", &[("a", &a)]).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[3.0, 5.0, 7.0]);
    }

    #[test]
    fn by_column_and_by_row_agree_to_the_bit() {
        let nan = f64::NAN;
        let a = Column::new(6000, 300, vec![1.0, nan, 3.0, -4.5, 0.0, f64::INFINITY]).unwrap();
        // Another step (b), a later start (c), and a start off the step (d: rows at times that
        // are no multiple of the step, so the row machine's reads never move on).
        let b = Column::new(5400, 600, vec![10.0, 20.0, nan, 0.5, 7.0]).unwrap();
        let c = Column::new(6300, 300, vec![2.0, 2.0, nan, -1.0]).unwrap();
        let d = Column::new(6100, 300, vec![5.0, 6.0, 7.0, 8.0]).unwrap();
        let cols = [("a", &a), ("b", &b), ("c", &c), ("d", &d)];
        let rows_run = [
            "a,b,+",
            "a,8,*",
            "2,3,+,a,*",
            "a,UN,0,a,IF",
            "a,b,GT,a,b,IF,c,ADDNAN",
            "a,PREV(a),-,DUP,*,SQRT",
            "a,0,2,LIMIT,c,MAXNAN,b,MIN",
            "a,b,EXC,/,POP,TIME,COUNT,+,STEPWIDTH,-",
            "UNKN,a,+,INF,NEGINF,+,+",
            "a,d,+,PREV(d),MINNAN,ISINF",
            "a,c,%,ATAN,COS,SIN,FLOOR,CEIL,ABS,EXP,LOG",
            "a,b,EQ,c,NE,a,LE,b,GE,a,LT,d,POW,c,ATAN2,RAD2DEG,DEG2RAD",
            "1,2,+",
        ];
        for expr in rows_run {
            let rpn: Rpn = expr.parse().unwrap();
            let lookup = |v: &VName| {
                cols.iter()
                    .find(|(n, _)| *n == v.as_str())
                    .map(|(_, c)| Operand::Series(c))
            };
            let clock = Clock::at(1_800_000_000);
            let by_column = eval_cdef_by(&rpn, lookup, clock.clone(), true);
            let by_row = eval_cdef_by(&rpn, lookup, clock, false);
            let bits = |r: &Result<Column, EvalError>| {
                r.as_ref()
                    .map(|c| {
                        (
                            c.start(),
                            c.step(),
                            c.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        )
                    })
                    .map_err(Clone::clone)
            };
            assert_eq!(bits(&by_column), bits(&by_row), "{expr}");
            if let Ok(c) = &by_row {
                assert!(!c.values().is_empty(), "{expr}");
            }
        }
    }

    #[test]
    fn runtime_failures_are_typed() {
        let a = Column::new(6000, 300, vec![1.0]).unwrap();
        assert!(matches!(
            eval("a,b,+", &[("a", &a)]),
            Err(EvalError::Undefined(_))
        ));
        let rpn: Rpn = "1,2,+".parse().unwrap();
        assert_eq!(
            eval_cdef(&rpn, |_| None, Clock::at(0)),
            Err(EvalError::NoSeries)
        );
        assert!(matches!(
            eval("a,a,0,1,-,2,PERCENT", &[("a", &a)]),
            Err(EvalError::Operand { .. })
        ));
    }
}
