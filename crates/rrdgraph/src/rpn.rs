//! A typed RPN expression (CDEF) with every librrd 1.7 operator, and the VDEF expression.

use std::fmt;
use std::str::FromStr;

use crate::op::Effect::Fixed;
use crate::op::{Effect, Op, VDEF_FUNCTION_NAMES};
use crate::value::{VName, fmt_f64, parse_f64};
use crate::value_error::RpnError;

/// The most tokens one expression may have (librrd has no limit; this bounds memory on untrusted
/// input).
pub const MAX_RPN_TOKENS: usize = 4096;

/// The largest TREND, TRENDNAN, PREDICT, PREDICTSIGMA or PREDICTPERC window, in seconds
/// (2^22, about 48.5 days).
///
/// librrd 1.7 turns a window into a step count as `(int) ceil((float) window / (float) step)`,
/// with a step as small as one second. A `float` holds every integer up to 2^24 exactly, so the
/// count is right and far from `int`'s range; at 2^31 - 1 the `float` rounds up to 2^31, the
/// cast overflows to a negative count, and TREND reads outside its data (`x,2147483647,TREND`
/// over a one-second RRD segfaults; `x,1e12,TREND` over any RRD). PREDICT walks the whole window
/// for every shift and every output value, and PREDICTPERC allocates
/// `(shifts + 1) × (window / step + 2)` doubles in an `int`: with [`MAX_PREDICT_SHIFTS`]
/// shifts and a one-second step that is at most 2^27 doubles (1 GiB), still within `int`.
pub const MAX_RPN_WINDOW: i64 = 1 << 22;

/// The largest PREDICT shift, in seconds (2^30, about 34 years), and the largest
/// `count × multiplier` of a negative shift count.
///
/// librrd converts a shift to steps through a `float` and adds the window's steps to it in an
/// `int`; 2^30 plus [`MAX_RPN_WINDOW`] stays below 2^31.
pub const MAX_PREDICT_SHIFT: i64 = 1 << 30;

/// The most shifts one PREDICT, PREDICTSIGMA or PREDICTPERC may have (the absolute value of
/// its count), so that PREDICTPERC's buffer stays within `int` and 1 GiB (see
/// [`MAX_RPN_WINDOW`]).
pub const MAX_PREDICT_SHIFTS: u32 = 31;

/// Refuses a window (1 s to [`MAX_RPN_WINDOW`]) or a shift (either sign, at most
/// [`MAX_PREDICT_SHIFT`]) that librrd cannot hold.
fn check_window(pos: usize, op: Op, what: &'static str, v: f64) -> Result<(), RpnError> {
    #[expect(
        clippy::cast_precision_loss,
        reason = "2^22 and 2^30 are exact in an f64"
    )]
    let (ok, max) = if what == "window" {
        let max = MAX_RPN_WINDOW;
        ((1.0..=max as f64).contains(&v), max)
    } else {
        let max = MAX_PREDICT_SHIFT;
        (v.abs() <= max as f64, max)
    };
    if ok {
        Ok(())
    } else {
        Err(RpnError::Window {
            pos,
            op: op.name(),
            what,
            value: fmt_f64(v),
            max,
        })
    }
}

/// One token of an RPN expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A finite number.
    Num(f64),
    /// A vname (DEF, CDEF or VDEF).
    Var(VName),
    /// An operator.
    Op(Op),
    /// `PREV(vname)`: the previous value of another vname.
    PrevOf(VName),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Num(v) => f.write_str(&fmt_f64(*v)),
            Token::Var(v) => f.write_str(v.as_str()),
            Token::Op(o) => f.write_str(o.name()),
            Token::PrevOf(v) => write!(f, "PREV({v})"),
        }
    }
}

/// An RPN expression for a CDEF, built in Rust or parsed from text. It is checked for stack
/// depth when built ([`Rpn::check`]) and for vnames when the graph spec is built.
///
/// ```
/// use rrdgraph::{Op, Rpn, VName};
/// let a = VName::new("inoctets")?;
/// let b = VName::new("outoctets")?;
/// let total = Rpn::var(&a).push_var(&b).op(Op::Add).push_num(8.0).op(Op::Mul);
/// assert_eq!(total.to_string(), "inoctets,outoctets,+,8,*");
/// assert_eq!("inoctets,outoctets,+,8,*".parse::<Rpn>()?, total);
/// assert!("inoctets,+".parse::<Rpn>().is_err()); // stack underflow
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rpn {
    tokens: Vec<Token>,
}

impl Rpn {
    /// An expression starting with a vname.
    #[must_use]
    pub fn var(v: &VName) -> Self {
        Rpn {
            tokens: vec![Token::Var(v.clone())],
        }
    }

    /// An expression starting with a number.
    #[must_use]
    pub fn num(v: f64) -> Self {
        Rpn {
            tokens: vec![Token::Num(v)],
        }
    }

    /// An expression from tokens (not checked until [`Rpn::check`] or build).
    #[must_use]
    pub fn from_tokens(tokens: Vec<Token>) -> Self {
        Rpn { tokens }
    }

    /// Pushes a vname.
    #[must_use]
    pub fn push_var(mut self, v: &VName) -> Self {
        self.tokens.push(Token::Var(v.clone()));
        self
    }

    /// Pushes a number.
    #[must_use]
    pub fn push_num(mut self, v: f64) -> Self {
        self.tokens.push(Token::Num(v));
        self
    }

    /// Applies an operator.
    #[must_use]
    pub fn op(mut self, op: Op) -> Self {
        self.tokens.push(Token::Op(op));
        self
    }

    /// Pushes `PREV(vname)`.
    #[must_use]
    pub fn push_prev_of(mut self, v: &VName) -> Self {
        self.tokens.push(Token::PrevOf(v.clone()));
        self
    }

    /// Appends another expression's tokens (e.g. a sub-expression that pushes one value).
    #[must_use]
    pub fn then(mut self, other: Rpn) -> Self {
        self.tokens.extend(other.tokens);
        self
    }

    /// The tokens.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The vnames the expression reads (including `PREV(vname)`), in order.
    pub fn vnames(&self) -> impl Iterator<Item = &VName> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Var(v) | Token::PrevOf(v) => Some(v),
            _ => None,
        })
    }

    /// Parses librrd's comma-separated text.
    ///
    /// # Errors
    /// [`RpnError`] for empty or unknown tokens and for stack errors.
    pub fn parse(text: &str) -> Result<Self, RpnError> {
        if text.is_empty() {
            return Err(RpnError::Empty);
        }
        let mut tokens = Vec::new();
        for (pos, tok) in text.split(',').enumerate() {
            if pos >= MAX_RPN_TOKENS {
                return Err(RpnError::TooLong(text.split(',').count()));
            }
            tokens.push(parse_token(pos, tok)?);
        }
        let rpn = Rpn { tokens };
        rpn.check()?;
        Ok(rpn)
    }

    /// Checks numbers and the stack: every operator has its operands, and exactly one value is
    /// left. Counts of SORT, AVG, COPY, … are checked when they are literal numbers; after a
    /// computed count the depth is unknown and the rest is not depth-checked (librrd checks it
    /// at run time).
    ///
    /// # Errors
    /// [`RpnError::Underflow`], [`RpnError::Leftover`], [`RpnError::BadCount`],
    /// [`RpnError::NotFinite`], [`RpnError::TrailingNumber`], [`RpnError::Empty`] or
    /// [`RpnError::TooLong`].
    #[expect(clippy::too_many_lines, reason = "one arm per stack effect")]
    pub fn check(&self) -> Result<(), RpnError> {
        if self.tokens.is_empty() {
            return Err(RpnError::Empty);
        }
        if self.tokens.len() > MAX_RPN_TOKENS {
            return Err(RpnError::TooLong(self.tokens.len()));
        }
        let last = self.tokens.len() - 1;
        if let Token::Num(_) = self.tokens[last] {
            return Err(RpnError::TrailingNumber { pos: last });
        }
        // Each slot holds the literal value if it is a known constant.
        let mut stack: Vec<Option<f64>> = Vec::new();
        // How many slots the expression has written: librrd's stack keeps what was popped.
        let mut written = 0;
        for (pos, tok) in self.tokens.iter().enumerate() {
            written = written.max(stack.len());
            let op = match tok {
                Token::Num(v) => {
                    if !v.is_finite() {
                        return Err(RpnError::NotFinite { pos });
                    }
                    stack.push(Some(*v));
                    continue;
                }
                Token::Var(_) | Token::PrevOf(_) => {
                    stack.push(None);
                    continue;
                }
                Token::Op(op) => *op,
            };
            if matches!(op, Op::Trend | Op::TrendNan)
                && !(pos >= 2
                    && matches!(self.tokens[pos - 2], Token::Var(_))
                    && matches!(self.tokens[pos - 1], Token::Num(_)))
            {
                return Err(RpnError::Malformed {
                    pos,
                    op: op.name(),
                    reason: "librrd needs `vname,window,TREND`: a vname and a literal window",
                });
            }
            // librrd reads the series' data and step from the token right before PREDICT
            // without checking that it is a vname: anything else has no step, and PREDICT
            // then divides by zero and yields only unknowns.
            if matches!(op.effect(), Effect::Predict | Effect::PredictPerc)
                && !(pos >= 1 && matches!(self.tokens[pos - 1], Token::Var(_)))
            {
                return Err(RpnError::Malformed {
                    pos,
                    op: op.name(),
                    reason: "librrd needs a vname right before PREDICT: `…,window,x,PREDICT`",
                });
            }
            if matches!(op, Op::Trend | Op::TrendNan)
                && let Token::Num(w) = self.tokens[pos - 1]
            {
                check_window(pos, op, "window", w)?;
            }
            let under = |needed: usize, depth: usize| RpnError::Underflow {
                pos,
                op: op.name(),
                needed,
                depth,
            };
            let depth = stack.len();
            // Reads the literal count at `from_top` (0 = top). librrd reads a count at run time
            // and trusts it: a computed one can be negative or NaN (an `int` of INT_MIN), and
            // librrd's qsort, memcpy and stack walks then run outside the stack.
            let count_at = |stack: &[Option<f64>], from_top: usize, negative_ok: bool| {
                let v = stack[stack.len() - 1 - from_top].ok_or(RpnError::Malformed {
                    pos,
                    op: op.name(),
                    reason: "the count must be a literal number (or DEPTH): librrd trusts a \
                             computed count, and a negative or NaN one crashes it",
                })?;
                as_count(v, negative_ok).ok_or(RpnError::BadCount {
                    pos,
                    op: op.name(),
                    count: fmt_f64(v),
                })
            };
            match op.effect() {
                Fixed { pop, push } => {
                    if depth < pop {
                        return Err(under(pop, depth));
                    }
                    let kept = stack[depth - pop..].to_vec();
                    stack.truncate(depth - pop);
                    match op {
                        // The depth is known here, so `DEPTH` is a literal count.
                        #[expect(clippy::cast_precision_loss, reason = "a depth of at most 4096")]
                        Op::Depth => stack.push(Some(depth as f64)),
                        Op::Dup => stack.extend([kept[0], kept[0]]),
                        Op::Exc => stack.extend([kept[1], kept[0]]),
                        _ => stack.extend(std::iter::repeat_n(None, push)),
                    }
                }
                Effect::Reduce | Effect::Reorder | Effect::Copy | Effect::Index => {
                    if depth < 1 {
                        return Err(under(1, depth));
                    }
                    let n = count_at(&stack, 0, false)?;
                    let needed = n + 1;
                    if depth < needed {
                        return Err(under(needed, depth));
                    }
                    stack.pop();
                    match op.effect() {
                        Effect::Reduce => {
                            stack.truncate(stack.len() - n);
                            stack.push(None);
                        }
                        Effect::Reorder => {
                            let len = stack.len();
                            stack[len - n..].iter_mut().for_each(|s| *s = None);
                        }
                        Effect::Copy => {
                            let top = stack[stack.len() - n..].to_vec();
                            stack.extend(top);
                        }
                        _ => {
                            if n == 0 {
                                return Err(RpnError::BadCount {
                                    pos,
                                    op: op.name(),
                                    count: "0".into(),
                                });
                            }
                            stack.push(stack[stack.len() - n]);
                        }
                    }
                }
                Effect::Percent => {
                    if depth < 2 {
                        return Err(under(2, depth));
                    }
                    let n = count_at(&stack, 0, false)?;
                    if depth < n + 2 {
                        return Err(under(n + 2, depth));
                    }
                    stack.truncate(depth - n - 2);
                    stack.push(None);
                }
                Effect::Roll => {
                    if depth < 2 {
                        return Err(under(2, depth));
                    }
                    let n = count_at(&stack, 1, false)?;
                    if depth < n + 2 {
                        return Err(under(n + 2, depth));
                    }
                    // librrd 1.7.2 rotates the `n` slots from the new top *upwards*: the top,
                    // the count and step it popped, then what lies above them. A slot this
                    // expression never wrote is uninitialised heap memory, or past the end
                    // of librrd's stack (valgrind shows both).
                    if depth + n > written + 3 {
                        return Err(RpnError::Malformed {
                            pos,
                            op: op.name(),
                            reason: "librrd 1.7.2's ROLL rotates the slots from the top \
                                     upwards, and this count reaches past what the \
                                     expression wrote: librrd reads uninitialised memory",
                        });
                    }
                    stack.truncate(depth - 2);
                    let len = stack.len();
                    stack[len - n..].iter_mut().for_each(|s| *s = None);
                }
                Effect::Predict | Effect::PredictPerc => {
                    let fixed = if op.effect() == Effect::Predict { 3 } else { 4 };
                    if depth < fixed {
                        return Err(under(fixed, depth));
                    }
                    let n = count_at(&stack, fixed - 1, true)?;
                    let literal = |v: Option<f64>, what| {
                        v.ok_or(RpnError::Malformed {
                            pos,
                            op: op.name(),
                            reason: what,
                        })
                    };
                    let count = stack[depth - fixed].unwrap_or_default();
                    if count == 0.0 || count.abs() > f64::from(MAX_PREDICT_SHIFTS) {
                        return Err(RpnError::BadCount {
                            pos,
                            op: op.name(),
                            count: fmt_f64(count),
                        });
                    }
                    // A negative count means one shift multiplier.
                    let shifts = if n == usize::MAX { 1 } else { n };
                    if depth < fixed + shifts {
                        return Err(under(fixed + shifts, depth));
                    }
                    // librrd takes the window and the shifts from the stack at run time: only
                    // literal ones can be bounded.
                    let window = literal(
                        stack[depth - 1 - (fixed - 2)],
                        "the window must be a literal number of seconds",
                    )?;
                    check_window(pos, op, "window", window)?;
                    for s in &stack[depth - fixed - shifts..depth - fixed] {
                        let s = literal(*s, "the shifts must be literal numbers of seconds")?;
                        // A negative count's multiplier spans count × multiplier seconds.
                        let span = if count < 0.0 { s * -count } else { s };
                        check_window(pos, op, "shift", span)?;
                    }
                    stack.truncate(depth - fixed - shifts);
                    stack.push(None);
                }
            }
            // COPY can double the stack at every step: bound what librrd (and this check)
            // would hold.
            if stack.len() > MAX_RPN_TOKENS {
                return Err(RpnError::Malformed {
                    pos,
                    op: op.name(),
                    reason: "the stack would hold more than MAX_RPN_TOKENS (4096) values",
                });
            }
        }
        if stack.len() == 1 {
            Ok(())
        } else {
            Err(RpnError::Leftover { depth: stack.len() })
        }
    }
}

/// A literal count: a non-negative integer, or (for PREDICT) a negative integer encoded as
/// `usize::MAX`.
fn as_count(v: f64, negative_ok: bool) -> Option<usize> {
    if v.fract() != 0.0 || v.abs() > 1e6 {
        return None;
    }
    if v < 0.0 {
        return negative_ok.then_some(usize::MAX);
    }
    #[expect(
        clippy::cast_sign_loss,
        reason = "checked non-negative and integral above"
    )]
    Some(v as usize)
}

fn parse_token(pos: usize, tok: &str) -> Result<Token, RpnError> {
    if tok.is_empty() {
        return Err(RpnError::EmptyToken { pos });
    }
    if let Some(op) = Op::from_name(tok) {
        return Ok(Token::Op(op));
    }
    if tok.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
        && let Ok(v) = parse_f64(tok)
    {
        return Ok(Token::Num(v));
    }
    if let Some(inner) = tok.strip_prefix("PREV(").and_then(|r| r.strip_suffix(')')) {
        return VName::new(inner)
            .map(Token::PrevOf)
            .map_err(|e| RpnError::BadToken {
                pos,
                token: tok.chars().take(60).collect(),
                reason: Box::new(e),
            });
    }
    VName::new(tok)
        .map(Token::Var)
        .map_err(|e| RpnError::BadToken {
            pos,
            token: tok.chars().take(60).collect(),
            reason: Box::new(e),
        })
}

impl fmt::Display for Rpn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            t.fmt(f)?;
        }
        Ok(())
    }
}

impl FromStr for Rpn {
    type Err = RpnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rpn::parse(s)
    }
}

/// A VDEF function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VDefFunc {
    /// `MAXIMUM` (value and time of the first maximum).
    Maximum,
    /// `MINIMUM`
    Minimum,
    /// `AVERAGE`
    Average,
    /// `STDEV`
    Stdev,
    /// `LAST`
    Last,
    /// `FIRST`
    First,
    /// `TOTAL`: rate × step summed.
    Total,
    /// `n,PERCENT`: the n-th percentile (0..=100), unknowns count as lowest.
    Percent(f64),
    /// `n,PERCENTNAN`: the n-th percentile ignoring unknowns.
    PercentNan(f64),
    /// `LSLSLOPE`
    LslSlope,
    /// `LSLINT`
    LslInt,
    /// `LSLCORREL`
    LslCorrel,
}

impl VDefFunc {
    const NAMES: &'static [&'static str] = VDEF_FUNCTION_NAMES;

    /// Every function (percentiles with 95).
    pub const ALL: [VDefFunc; 12] = [
        VDefFunc::Maximum,
        VDefFunc::Minimum,
        VDefFunc::Average,
        VDefFunc::Stdev,
        VDefFunc::Last,
        VDefFunc::First,
        VDefFunc::Total,
        VDefFunc::Percent(95.0),
        VDefFunc::PercentNan(95.0),
        VDefFunc::LslSlope,
        VDefFunc::LslInt,
        VDefFunc::LslCorrel,
    ];

    /// librrd's name.
    pub const fn name(self) -> &'static str {
        match self {
            VDefFunc::Maximum => "MAXIMUM",
            VDefFunc::Minimum => "MINIMUM",
            VDefFunc::Average => "AVERAGE",
            VDefFunc::Stdev => "STDEV",
            VDefFunc::Last => "LAST",
            VDefFunc::First => "FIRST",
            VDefFunc::Total => "TOTAL",
            VDefFunc::Percent(_) => "PERCENT",
            VDefFunc::PercentNan(_) => "PERCENTNAN",
            VDefFunc::LslSlope => "LSLSLOPE",
            VDefFunc::LslInt => "LSLINT",
            VDefFunc::LslCorrel => "LSLCORREL",
        }
    }
}

/// A VDEF expression: `vname,FUNC` or `vname,percent,PERCENT[NAN]`.
///
/// ```
/// use rrdgraph::{VDefExpr, VDefFunc};
/// let e: VDefExpr = "traffic,95,PERCENT".parse()?;
/// assert_eq!(e.func, VDefFunc::Percent(95.0));
/// assert!("traffic,5,AVERAGE".parse::<VDefExpr>().is_err());
/// assert!("traffic,8,*".parse::<VDefExpr>().is_err());
/// # Ok::<(), rrdgraph::RpnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VDefExpr {
    /// The DEF or CDEF the function runs over.
    pub src: VName,
    /// The function.
    pub func: VDefFunc,
}

impl VDefExpr {
    /// A VDEF expression.
    pub fn new(src: VName, func: VDefFunc) -> Self {
        VDefExpr { src, func }
    }

    /// Checks the percentile range.
    ///
    /// # Errors
    /// [`RpnError::Percentile`] if a percentile is outside 0..=100.
    pub fn check(&self) -> Result<(), RpnError> {
        if let VDefFunc::Percent(p) | VDefFunc::PercentNan(p) = self.func
            && !(0.0..=100.0).contains(&p)
        {
            return Err(RpnError::Percentile(fmt_f64(p)));
        }
        Ok(())
    }
}

impl fmt::Display for VDefExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.func {
            VDefFunc::Percent(p) | VDefFunc::PercentNan(p) => {
                write!(f, "{},{},{}", self.src, fmt_f64(p), self.func.name())
            }
            func => write!(f, "{},{}", self.src, func.name()),
        }
    }
}

impl FromStr for VDefExpr {
    type Err = RpnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.splitn(4, ',').collect();
        let src = |t: &str| {
            VName::new(t).map_err(|e| RpnError::BadToken {
                pos: 0,
                token: t.chars().take(60).collect(),
                reason: Box::new(e),
            })
        };
        let e = match parts.as_slice() {
            [v, name] => {
                let func = match *name {
                    "MAXIMUM" => VDefFunc::Maximum,
                    "MINIMUM" => VDefFunc::Minimum,
                    "AVERAGE" => VDefFunc::Average,
                    "STDEV" => VDefFunc::Stdev,
                    "LAST" => VDefFunc::Last,
                    "FIRST" => VDefFunc::First,
                    "TOTAL" => VDefFunc::Total,
                    "LSLSLOPE" => VDefFunc::LslSlope,
                    "LSLINT" => VDefFunc::LslInt,
                    "LSLCORREL" => VDefFunc::LslCorrel,
                    "PERCENT" | "PERCENTNAN" => {
                        return Err(RpnError::VDefShape(
                            "PERCENT needs a percentile: vname,95,PERCENT",
                        ));
                    }
                    other if VDefFunc::NAMES.contains(&other) || Op::from_name(other).is_some() => {
                        return Err(RpnError::VDefFunction(other.to_owned()));
                    }
                    other => return Err(RpnError::VDefFunction(other.chars().take(60).collect())),
                };
                VDefExpr { src: src(v)?, func }
            }
            [v, n, name] => {
                let p =
                    parse_f64(n).map_err(|_| RpnError::Percentile(n.chars().take(40).collect()))?;
                let func = match *name {
                    "PERCENT" => VDefFunc::Percent(p),
                    "PERCENTNAN" => VDefFunc::PercentNan(p),
                    other if VDefFunc::NAMES.contains(&other) => {
                        return Err(RpnError::VDefShape(
                            "only PERCENT and PERCENTNAN take a parameter",
                        ));
                    }
                    _ => {
                        return Err(RpnError::VDefShape(
                            "three tokens must be vname,percent,PERCENT",
                        ));
                    }
                };
                VDefExpr { src: src(v)?, func }
            }
            [] | [_] => return Err(RpnError::VDefShape("too few tokens")),
            _ => return Err(RpnError::VDefShape("too many tokens")),
        };
        e.check()?;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) {
        let r = Rpn::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(r.to_string(), s);
    }

    #[test]
    fn valid_expressions_round_trip() {
        for s in [
            "inoctets,outoctets,+",
            "inoctets,8,*",
            "a,b,c,3,AVG",
            "a,b,c,d,95,4,PERCENT",
            "a,b,c,3,SORT,POP,POP",
            "a,b,2,COPY,+,+,+",
            "a,b,c,2,INDEX,+,+,+",
            "a,b,c,3,1,ROLL,+,+",
            "86400,-2,1800,x,PREDICT",
            "172800,86400,2,1800,x,PREDICTSIGMA",
            "86400,-2,1800,95,x,PREDICTPERC",
            "a,UN,0,a,IF",
            "PREV(a),a,ADDNAN",
            "a,DUP,*",
            "a,b,EXC,-",
            "TIME,LTIME,-",
            "a,0.5,*",
            "a,-3,+",
        ] {
            ok(s);
        }
    }

    #[test]
    fn every_op_has_a_unique_name_and_parses() {
        for op in Op::ALL {
            assert_eq!(op.name().parse::<Op>().unwrap(), *op);
            assert!(VName::new(op.name()).is_err());
        }
        let mut names: Vec<_> = Op::ALL.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Op::ALL.len());
    }

    #[test]
    fn invalid_expressions() {
        assert_eq!(Rpn::parse(""), Err(RpnError::Empty));
        assert_eq!(Rpn::parse("a,,+"), Err(RpnError::EmptyToken { pos: 1 }));
        assert!(matches!(
            Rpn::parse("a,+"),
            Err(RpnError::Underflow {
                pos: 1,
                op: "+",
                needed: 2,
                depth: 1
            })
        ));
        assert_eq!(Rpn::parse("a,1,b"), Err(RpnError::Leftover { depth: 3 }));
        assert_eq!(
            Rpn::parse("a,POP,2"),
            Err(RpnError::TrailingNumber { pos: 2 })
        );
        assert!(matches!(
            Rpn::parse("a,b,c,4,AVG"),
            Err(RpnError::Underflow { needed: 5, .. })
        ));
        assert!(matches!(
            Rpn::parse("a,b,1.5,AVG"),
            Err(RpnError::BadCount { .. })
        ));
        assert!(matches!(
            Rpn::parse("a,b c,+"),
            Err(RpnError::BadToken { pos: 1, .. })
        ));
        // An unknown word is a vname: the spec build reports it as undefined.
        assert_eq!(Rpn::parse("a,ROUND"), Err(RpnError::Leftover { depth: 2 }));
        assert!(matches!(
            Rpn::parse("a,b:c,+"),
            Err(RpnError::BadToken { pos: 1, .. })
        ));
        assert!(matches!(
            Rpn::parse("a,nan,+"),
            Err(RpnError::BadToken { .. })
        ));
        assert!(matches!(
            Rpn::parse("3,-2,x,PREDICT"),
            Err(RpnError::Underflow { .. })
        ));
        assert_eq!(
            Rpn::num(f64::NAN)
                .push_var(&VName::new("a").unwrap())
                .op(Op::Add)
                .check(),
            Err(RpnError::NotFinite { pos: 0 })
        );
    }

    #[test]
    fn depth_is_a_literal_count() {
        assert!(Rpn::parse("a,b,DEPTH,AVG").is_ok());
        assert!(matches!(
            Rpn::parse("a,b,DEPTH,1,+,AVG"),
            Err(RpnError::Malformed { .. })
        ));
    }

    #[test]
    fn computed_counts_are_refused() {
        // librrd trusts a count from the stack: `0,1,-` is -1, and SORT then hands qsort a
        // length of 2^64 - 1.
        for bad in [
            "a,b,0,1,-,SORT",
            "a,b,a,AVG",
            "a,b,a,REV,+",
            "a,b,c,95,a,PERCENT",
            "a,a,COPY",
            "a,b,a,INDEX",
            "a,b,a,1,ROLL",
            "86400,a,1800,x,PREDICT",
        ] {
            assert!(
                matches!(Rpn::parse(bad), Err(RpnError::Malformed { .. })),
                "{bad}: {:?}",
                Rpn::parse(bad)
            );
        }
    }

    #[test]
    fn the_stack_is_bounded() {
        let mut e = "a".to_owned();
        for _ in 0..13 {
            e.push_str(",DEPTH,COPY");
        }
        assert!(
            matches!(Rpn::parse(&e), Err(RpnError::Malformed { .. })),
            "{e}"
        );
    }

    #[test]
    fn windows_librrd_cannot_hold_are_refused() {
        assert!(Rpn::parse("x,4194304,TREND").is_ok());
        assert!(Rpn::parse("1073741824,-1,4194304,x,PREDICT").is_ok());
        assert!(Rpn::parse("33554432,-31,4194304,95,x,PREDICTPERC").is_ok());
        for bad in [
            // Each of these crashed librrd 1.7.2 over a one-second RRD (the float rounding of
            // 2^31 - 1 overflows librrd's int), or over any RRD.
            "x,2147483647,TREND",
            "x,4194305,TREND",
            "x,1e12,TREND",
            "x,2147483648,TRENDNAN",
            "x,0,TREND",
            "x,-300,TREND",
            "86400,-2,1e12,x,PREDICT",
            "1e12,-2,1800,x,PREDICTSIGMA",
            "86400,-2,0,95,x,PREDICTPERC",
            "1073741825,1,1800,x,PREDICT",
            "1073741824,-2,1800,x,PREDICT",
        ] {
            assert!(
                matches!(Rpn::parse(bad), Err(RpnError::Window { .. })),
                "{bad}: {:?}",
                Rpn::parse(bad)
            );
        }
        // More shifts than PREDICTPERC's int-sized buffer holds.
        assert!(matches!(
            Rpn::parse("86400,-32,1800,95,x,PREDICTPERC"),
            Err(RpnError::BadCount { .. })
        ));
    }

    #[test]
    fn predict_needs_a_vname_before_it() {
        // librrd reads the step of the token before PREDICT: an operator there has none.
        for bad in [
            "86400,-2,1800,x,2,*,PREDICT",
            "86400,-2,1800,PREV(x),PREDICTSIGMA",
        ] {
            assert!(
                matches!(Rpn::parse(bad), Err(RpnError::Malformed { .. })),
                "{bad}: {:?}",
                Rpn::parse(bad)
            );
        }
    }

    #[test]
    fn trend_needs_a_vname_and_a_literal_window() {
        assert!(Rpn::parse("x,300,TREND").is_ok());
        assert!(Rpn::parse("x,x,1800,TRENDNAN,+").is_ok());
        for bad in ["x,2,+,300,TREND", "300,x,TREND", "x,300,2,*,TREND"] {
            assert!(
                matches!(Rpn::parse(bad), Err(RpnError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn vdef_shapes() {
        assert_eq!(
            "x,MAXIMUM".parse::<VDefExpr>().unwrap().func,
            VDefFunc::Maximum
        );
        assert_eq!(
            "x,5,PERCENTNAN".parse::<VDefExpr>().unwrap().to_string(),
            "x,5,PERCENTNAN"
        );
        assert!(matches!(
            "x,PERCENT".parse::<VDefExpr>(),
            Err(RpnError::VDefShape(_))
        ));
        assert!(matches!(
            "x,101,PERCENT".parse::<VDefExpr>(),
            Err(RpnError::Percentile(_))
        ));
        assert!(matches!(
            "x,5,AVERAGE".parse::<VDefExpr>(),
            Err(RpnError::VDefShape(_))
        ));
        assert!(matches!(
            "x,DUP".parse::<VDefExpr>(),
            Err(RpnError::VDefFunction(_))
        ));
        assert!(matches!(
            "x".parse::<VDefExpr>(),
            Err(RpnError::VDefShape(_))
        ));
        assert!(matches!(
            "x,1,2,PERCENT".parse::<VDefExpr>(),
            Err(RpnError::VDefShape(_))
        ));
    }
}
