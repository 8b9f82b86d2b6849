//! Why computing a graph's data in Rust failed.

use crate::value::VName;

/// Why evaluating a CDEF (or computing a graph's data) failed. librrd fails the same graph;
/// where librrd would read outside its buffers instead, this refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A vname the expression reads was not given.
    #[error("vname {0} has no data")]
    Undefined(VName),
    /// The expression reads no DEF or CDEF (librrd: "rpn expressions without DEF or CDEF
    /// variables are not supported").
    #[error("the expression reads no DEF or CDEF (librrd does not support that)")]
    NoSeries,
    /// An operator found too few values at run time (librrd: "RPN stack underflow").
    #[error("token {pos} {op}: RPN stack underflow")]
    Underflow {
        /// Zero-based token position.
        pos: usize,
        /// The operator.
        op: &'static str,
    },
    /// The expression left other than one value (librrd: "RPN final stack size != 1").
    #[error("the expression leaves {depth} values on the stack, it must leave exactly one")]
    Leftover {
        /// The final depth.
        depth: usize,
    },
    /// An operand librrd refuses at run time, or one it would read its memory outside its
    /// buffers for (a count that is negative or too large, a percentile outside 0..=100, a
    /// negative PREDICT shift, a TREND or PREDICT over a VDEF).
    #[error("token {pos} {op}: {reason}")]
    Operand {
        /// Zero-based token position.
        pos: usize,
        /// The operator.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The stack would grow past [`MAX_RPN_TOKENS`](crate::MAX_RPN_TOKENS) values.
    #[error("token {pos}: the stack would hold more than {max} values")]
    StackTooDeep {
        /// Zero-based token position.
        pos: usize,
        /// The limit.
        max: usize,
    },
    /// Something the Rust data path does not compute yet (it names what).
    #[error("not computed in Rust: {0}")]
    Unsupported(String),
    /// A `--start` or `--end` this crate does not resolve, or a window librrd refuses.
    #[error("time {spec:?}: {reason}")]
    Time {
        /// The at-style time.
        spec: String,
        /// Why.
        reason: String,
    },
    /// A series is malformed (a step of 0, or fewer values than its window needs), or the
    /// result would be larger than [`MAX_FETCH_VALUES`](crate::MAX_FETCH_VALUES).
    #[error("series {name}: {reason}")]
    Series {
        /// The vname (or `"result"`).
        name: String,
        /// What is wrong.
        reason: String,
    },
}
