//! librrd 1.7's RPN operators with their stack effects, and the reserved words that cannot be
//! vnames. A leaf: it imports nothing of this crate but the value error.

use std::fmt;
use std::str::FromStr;

use crate::value_error::ValueError;

/// librrd's VDEF function names (also reserved: no vname may be one).
pub(crate) const VDEF_FUNCTION_NAMES: &[&str] = &[
    "MAXIMUM",
    "MINIMUM",
    "AVERAGE",
    "STDEV",
    "LAST",
    "FIRST",
    "TOTAL",
    "PERCENT",
    "PERCENTNAN",
    "LSLSLOPE",
    "LSLINT",
    "LSLCORREL",
];

macro_rules! ops {
    ($( $(#[$doc:meta])* $var:ident = $name:literal, $effect:expr; )*) => {
        /// An RPN operator of librrd 1.7 (`rrdgraph_rpn(1)`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Op {
            $( $(#[$doc])* $var, )*
        }

        impl Op {
            /// Every operator.
            pub const ALL: &'static [Op] = &[$(Op::$var),*];

            /// librrd's name of the operator.
            pub const fn name(self) -> &'static str {
                match self { $(Op::$var => $name,)* }
            }

            /// The operator's stack effect.
            pub const fn effect(self) -> Effect {
                match self { $(Op::$var => $effect,)* }
            }

            /// The operator librrd calls `name`: one `match` on the text, which the compiler
            /// turns into a length switch, not a scan of every name.
            pub fn from_name(name: &str) -> Option<Op> {
                match name { $($name => Some(Op::$var),)* _ => None }
            }
        }
    };
}

/// How an operator changes the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Pops `pop` values and pushes `push`.
    Fixed {
        /// Values popped.
        pop: usize,
        /// Values pushed.
        push: usize,
    },
    /// `count,OP`: pops the count and then `count` values, pushes one (AVG, SMIN, SMAX, MEDIAN,
    /// STDEV).
    Reduce,
    /// `count,OP`: pops the count, reorders the top `count` values in place (SORT, REV).
    Reorder,
    /// `percent,count,PERCENT`: pops both, then `count` values, pushes one.
    Percent,
    /// `n,COPY`: pops n, pushes copies of the top n values.
    Copy,
    /// `n,INDEX`: pops n, pushes a copy of the n-th value.
    Index,
    /// `n,m,ROLL`: pops both, rotates the top n values.
    Roll,
    /// `shifts…,n,window,x,PREDICT` (and PREDICTSIGMA): pops x, window and n, then n shifts
    /// (or one shift multiplier if n is negative); pushes one.
    Predict,
    /// `shifts…,n,window,percentile,x,PREDICTPERC`.
    PredictPerc,
}

use Effect::Fixed;

const fn f(pop: usize, push: usize) -> Effect {
    Fixed { pop, push }
}

ops! {
    /// `a,b,LT`
    Lt = "LT", f(2, 1);
    /// `a,b,LE`
    Le = "LE", f(2, 1);
    /// `a,b,GT`
    Gt = "GT", f(2, 1);
    /// `a,b,GE`
    Ge = "GE", f(2, 1);
    /// `a,b,EQ`
    Eq = "EQ", f(2, 1);
    /// `a,b,NE`
    Ne = "NE", f(2, 1);
    /// `a,UN`: 1 if unknown.
    Un = "UN", f(1, 1);
    /// `a,ISINF`
    IsInf = "ISINF", f(1, 1);
    /// `cond,then,else,IF`
    If = "IF", f(3, 1);
    /// `a,b,MIN`
    Min = "MIN", f(2, 1);
    /// `a,b,MAX`
    Max = "MAX", f(2, 1);
    /// `a,b,MINNAN`
    MinNan = "MINNAN", f(2, 1);
    /// `a,b,MAXNAN`
    MaxNan = "MAXNAN", f(2, 1);
    /// `a,lower,upper,LIMIT`
    Limit = "LIMIT", f(3, 1);
    /// `a,b,+`
    Add = "+", f(2, 1);
    /// `a,b,-`
    Sub = "-", f(2, 1);
    /// `a,b,*`
    Mul = "*", f(2, 1);
    /// `a,b,/`
    Div = "/", f(2, 1);
    /// `a,b,%`
    Mod = "%", f(2, 1);
    /// `a,b,ADDNAN`
    AddNan = "ADDNAN", f(2, 1);
    /// `value,power,POW`
    Pow = "POW", f(2, 1);
    /// `a,SIN`
    Sin = "SIN", f(1, 1);
    /// `a,COS`
    Cos = "COS", f(1, 1);
    /// `a,LOG`
    Log = "LOG", f(1, 1);
    /// `a,EXP`
    Exp = "EXP", f(1, 1);
    /// `a,SQRT`
    Sqrt = "SQRT", f(1, 1);
    /// `a,ATAN`
    Atan = "ATAN", f(1, 1);
    /// `y,x,ATAN2`
    Atan2 = "ATAN2", f(2, 1);
    /// `a,FLOOR`
    Floor = "FLOOR", f(1, 1);
    /// `a,CEIL`
    Ceil = "CEIL", f(1, 1);
    /// `a,DEG2RAD`
    Deg2Rad = "DEG2RAD", f(1, 1);
    /// `a,RAD2DEG`
    Rad2Deg = "RAD2DEG", f(1, 1);
    /// `a,ABS`
    Abs = "ABS", f(1, 1);
    /// `…,count,SORT`
    Sort = "SORT", Effect::Reorder;
    /// `…,count,REV`
    Rev = "REV", Effect::Reorder;
    /// `…,count,AVG`
    Avg = "AVG", Effect::Reduce;
    /// `…,count,SMIN`
    SMin = "SMIN", Effect::Reduce;
    /// `…,count,SMAX`
    SMax = "SMAX", Effect::Reduce;
    /// `…,count,MEDIAN`
    Median = "MEDIAN", Effect::Reduce;
    /// `…,count,STDEV`
    Stdev = "STDEV", Effect::Reduce;
    /// `…,percent,count,PERCENT`
    Percent = "PERCENT", Effect::Percent;
    /// `a,window,TREND`
    Trend = "TREND", f(2, 1);
    /// `a,window,TRENDNAN`
    TrendNan = "TRENDNAN", f(2, 1);
    /// `shifts…,n,window,x,PREDICT`
    Predict = "PREDICT", Effect::Predict;
    /// `shifts…,n,window,x,PREDICTSIGMA`
    PredictSigma = "PREDICTSIGMA", Effect::Predict;
    /// `shifts…,n,window,percentile,x,PREDICTPERC`
    PredictPerc = "PREDICTPERC", Effect::PredictPerc;
    /// Pushes unknown.
    Unkn = "UNKN", f(0, 1);
    /// Pushes +infinity.
    Inf = "INF", f(0, 1);
    /// Pushes -infinity.
    NegInf = "NEGINF", f(0, 1);
    /// Pushes this CDEF's previous value.
    Prev = "PREV", f(0, 1);
    /// Pushes the position in the data set (1-based).
    Count = "COUNT", f(0, 1);
    /// Pushes the current time.
    Now = "NOW", f(0, 1);
    /// Pushes the step width in seconds.
    StepWidth = "STEPWIDTH", f(0, 1);
    /// 1 at the first step of a day.
    NewDay = "NEWDAY", f(0, 1);
    /// 1 at the first step of a week.
    NewWeek = "NEWWEEK", f(0, 1);
    /// 1 at the first step of a month.
    NewMonth = "NEWMONTH", f(0, 1);
    /// 1 at the first step of a year.
    NewYear = "NEWYEAR", f(0, 1);
    /// Pushes the time of the current value.
    Time = "TIME", f(0, 1);
    /// Pushes the local time of the current value.
    LTime = "LTIME", f(0, 1);
    /// Duplicates the top value.
    Dup = "DUP", f(1, 2);
    /// Drops the top value.
    Pop = "POP", f(1, 0);
    /// Exchanges the top two values.
    Exc = "EXC", f(2, 2);
    /// Pushes the stack depth.
    Depth = "DEPTH", f(0, 1);
    /// `…,n,COPY`
    Copy = "COPY", Effect::Copy;
    /// `…,n,INDEX`
    Index = "INDEX", Effect::Index;
    /// `…,n,m,ROLL`
    Roll = "ROLL", Effect::Roll;
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Op::from_name(s).ok_or_else(|| ValueError::Keyword {
            found: s.to_owned(),
            allowed: "an RPN operator (see rrdgraph_rpn)",
        })
    }
}

/// Whether `name` is an RPN operator or VDEF function name (and so cannot be a vname).
pub(crate) fn is_reserved(name: &str) -> bool {
    // Every operator and function name is upper case (or punctuation).
    if name.bytes().any(|b| b.is_ascii_lowercase()) {
        return false;
    }
    Op::from_name(name).is_some() || VDEF_FUNCTION_NAMES.contains(&name)
}
