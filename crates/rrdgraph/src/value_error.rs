//! Why a value or an RPN expression is invalid: the bottom of the crate, importing nothing of it
//! but the librrd error it converts into.

use crate::rrd_error::RrdError;

/// Why a single value (a vname, a color, a legend, a format, …) is invalid.
///
/// Returned by the validating constructors of the value types ([`VName::new`](crate::VName::new),
/// [`Color::parse`](crate::Color::parse), [`Legend::new`](crate::Legend::new), …) and carried
/// inside [`Error`](crate::Error) with the element or argument it was found in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value is empty where text is required.
    #[error("must not be empty")]
    Empty,
    /// The value is longer than librrd accepts (it would silently truncate it).
    #[error("is {len} bytes long, at most {max} are allowed")]
    TooLong {
        /// The length found, in bytes.
        len: usize,
        /// The maximum length, in bytes.
        max: usize,
    },
    /// The value contains a character that is not allowed here.
    #[error("character {ch:?} at byte {pos} is not allowed{}", hint_suffix(.hint))]
    BadChar {
        /// The offending character.
        ch: char,
        /// Its byte offset.
        pos: usize,
        /// What is allowed instead.
        hint: &'static str,
    },
    /// A vname that is an RPN operator or a number, which librrd would not read as a vname.
    #[error("{0:?} is reserved: it is an RPN operator or a number")]
    Reserved(String),
    /// A color that is not `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA`.
    #[error("{0:?} is not a color (#RGB, #RGBA, #RRGGBB or #RRGGBBAA)")]
    Color(String),
    /// A legend or format ends in `\x` with an `x` that is not a control code.
    #[error("unknown control code \\{0} at the end (known: \\l \\r \\c \\j \\g \\s \\u \\. \\n)")]
    ControlCode(char),
    /// A PRINT/GPRINT value format is not exactly one `%l[eEfFgG]` conversion, optionally
    /// followed by one `%s`/`%S`.
    #[error("bad print format: {0}")]
    Format(&'static str),
    /// A format's width or precision is larger than librrd's C code can hold
    /// (see [`MAX_FORMAT_WIDTH`](crate::MAX_FORMAT_WIDTH)).
    #[error("format {what} {value} is larger than {max} (librrd would crash or exhaust memory)")]
    FormatTooWide {
        /// `"width"` or `"precision"`.
        what: &'static str,
        /// The digits found.
        value: String,
        /// The largest value allowed.
        max: usize,
    },
    /// A number that does not parse or is out of range.
    #[error("{text:?} is not {expected}")]
    Number {
        /// The text found.
        text: String,
        /// What was expected, e.g. "a positive integer".
        expected: &'static str,
    },
    /// A keyword that is not one of the allowed ones.
    #[error("{found:?} is not one of {allowed}")]
    Keyword {
        /// The text found.
        found: String,
        /// The allowed keywords, separated by `|`.
        allowed: &'static str,
    },
    /// An at-style time specification that does not parse.
    #[error("bad at-style time {text:?}: {reason}")]
    Time {
        /// The text found.
        text: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A grid specification (`--x-grid`, `--y-grid`, `--right-axis`, `--grid-dash`, `--font`,
    /// `--color`) that does not have the right shape.
    #[error("bad {what} {text:?}: expected {expected}")]
    Shape {
        /// Which kind of value.
        what: &'static str,
        /// The text found.
        text: String,
        /// The expected shape.
        expected: &'static str,
    },
    /// A value that breaks a rule of its element (the text says which).
    #[error("{0}")]
    Invalid(&'static str),
    /// A text that ends in a backslash where it would escape the field separator.
    #[error("must not end in a backslash here (it would escape the next `:`)")]
    TrailingBackslash,
    /// An RPN expression that is invalid.
    #[error(transparent)]
    Rpn(#[from] RpnError),
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!(" ({hint})")
    }
}

/// Why an RPN expression (CDEF) or a VDEF expression is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RpnError {
    /// The expression has no tokens.
    #[error("empty expression")]
    Empty,
    /// An empty token, e.g. from `a,,b`.
    #[error("empty token at position {pos}")]
    EmptyToken {
        /// Zero-based token position.
        pos: usize,
    },
    /// A token that is neither a number, an operator nor a valid vname.
    #[error("token {pos} {token:?} is not a number, an operator or a vname: {reason}")]
    BadToken {
        /// Zero-based token position.
        pos: usize,
        /// The token text.
        token: String,
        /// Why it is not a vname.
        reason: Box<ValueError>,
    },
    /// An operator needs more operands than the stack holds.
    #[error("token {pos} {op} needs {needed} operand(s) but the stack holds {depth}")]
    Underflow {
        /// Zero-based token position.
        pos: usize,
        /// The operator.
        op: &'static str,
        /// Operands needed.
        needed: usize,
        /// Stack depth at that point.
        depth: usize,
    },
    /// The expression leaves more or less than one value on the stack.
    #[error("the expression leaves {depth} values on the stack, it must leave exactly one")]
    Leftover {
        /// Final stack depth.
        depth: usize,
    },
    /// An operator whose operands must have a particular form (librrd: `vname,window,TREND`
    /// needs a vname and a literal window).
    #[error("token {pos} {op}: {reason}")]
    Malformed {
        /// Zero-based token position.
        pos: usize,
        /// The operator.
        op: &'static str,
        /// What librrd requires.
        reason: &'static str,
    },
    /// A count operand (SORT, AVG, PERCENT, COPY, …) is not a non-negative integer.
    #[error("token {pos} {op}: count {count} is not a non-negative integer")]
    BadCount {
        /// Zero-based token position.
        pos: usize,
        /// The operator.
        op: &'static str,
        /// The count found.
        count: String,
    },
    /// A TREND, TRENDNAN or PREDICT window, or a PREDICT shift, outside what librrd's `int`
    /// arithmetic holds (see [`MAX_RPN_WINDOW`](crate::MAX_RPN_WINDOW) and
    /// [`MAX_PREDICT_SHIFT`](crate::MAX_PREDICT_SHIFT)).
    #[error(
        "token {pos} {op}: {what} {value} is outside what librrd holds (at most {max} seconds)"
    )]
    Window {
        /// Zero-based token position of the operator.
        pos: usize,
        /// The operator.
        op: &'static str,
        /// `"window"` or `"shift"`.
        what: &'static str,
        /// The value found.
        value: String,
        /// The largest value allowed.
        max: i64,
    },
    /// A number as the expression's last token, which librrd 1.7.2 refuses ("don't
    /// understand"): it reads a number only when a comma follows it.
    #[error("token {pos}: librrd does not read a number as the last token")]
    TrailingNumber {
        /// Zero-based token position.
        pos: usize,
    },
    /// A number that is NaN or infinite (use `UNKN`, `INF` or `NEGINF`).
    #[error("token {pos}: numbers must be finite (use UNKN, INF or NEGINF)")]
    NotFinite {
        /// Zero-based token position.
        pos: usize,
    },
    /// A VDEF that is not `vname,FUNC` or `vname,n,FUNC`.
    #[error("VDEF must be `vname,FUNC` or `vname,percent,PERCENT[NAN]`: {0}")]
    VDefShape(&'static str),
    /// A VDEF function name that librrd does not know.
    #[error("{0:?} is not a VDEF function")]
    VDefFunction(String),
    /// A PERCENT/PERCENTNAN argument outside 0..=100.
    #[error("percentile {0} is outside 0..=100")]
    Percentile(String),
    /// The expression is too long.
    #[error("expression has {0} tokens, more than the limit")]
    TooLong(usize),
}

impl From<ValueError> for RrdError {
    fn from(e: ValueError) -> Self {
        RrdError::Invalid {
            what: "value",
            reason: e.to_string(),
        }
    }
}
