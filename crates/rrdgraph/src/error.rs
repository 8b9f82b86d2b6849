//! The crate's error type.

use crate::element::ElementKind;
use crate::value::VName;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a single value (a vname, a color, a legend, a format, …) is invalid.
///
/// Returned by the validating constructors of the value types ([`VName::new`],
/// [`Color::parse`](crate::Color::parse), [`Legend::new`](crate::Legend::new), …) and carried
/// inside [`Error`] with the element or argument it was found in.
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

/// Why parsing an rrdtool argument list failed, without the position (see [`Error::Parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseReason {
    /// The argument list is empty: the output filename is missing.
    #[error("missing the output filename")]
    MissingOutput,
    /// An option that `rrdtool graph` (librrd 1.7) does not know.
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    /// An option that needs a value came last.
    #[error("option needs a value")]
    MissingValue,
    /// A flag option was given a value with `--flag=value`.
    #[error("option takes no value")]
    UnexpectedValue,
    /// An argument that is not an option and not a known element.
    #[error("{0:?} is not a graph element (DEF, CDEF, VDEF, LINE, AREA, …)")]
    UnknownElement(String),
    /// A required field of an element is missing.
    #[error("missing field")]
    MissingField,
    /// Fields left over that the element does not use.
    #[error("unused field(s) {0:?}")]
    UnusedFields(String),
    /// A `key=value` field that librrd reads as a keyed argument this crate does not model
    /// (`vname=`, `color=`, `xaxis=`, …); write the value positionally.
    #[error("keyed field {0}= is not supported here; write it positionally")]
    UnsupportedKey(String),
    /// A field or option value is invalid.
    #[error(transparent)]
    Invalid(#[from] ValueError),
    /// A shell-style command line has an unterminated quote or a trailing backslash.
    #[error("unterminated {0} in the command line")]
    Shell(&'static str),
    /// The argument contains a NUL byte.
    #[error("contains a NUL byte")]
    Nul,
    /// The argument is not UTF-8 (only a DEF's RRD path may be).
    #[error("is not UTF-8 (only a DEF's RRD file path may be)")]
    NotUtf8,
}

/// The error type of this crate.
///
/// Spec errors name the element (index and kind) or option and the field; parse errors name the
/// argument index (0 is the output filename, as in `rrdtool graph FILE ARGS...`), the field and
/// the reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given to a builder or constructor is invalid.
    #[error("invalid {field}: {reason}")]
    Value {
        /// What the value is for, e.g. "legend" or "--title".
        field: &'static str,
        /// Why it is invalid.
        reason: ValueError,
    },
    /// A field of an element is invalid.
    #[error("element {index} ({kind}): field {field}: {reason}")]
    Element {
        /// Zero-based index of the element in the spec.
        index: usize,
        /// The element's kind.
        kind: ElementKind,
        /// The field, e.g. "vname", "rpn", "legend", "format".
        field: &'static str,
        /// Why it is invalid.
        reason: ValueError,
    },
    /// An element uses a vname that is not defined by an earlier DEF, CDEF or VDEF.
    #[error("element {index} ({kind}): field {field}: vname {name} is not defined before use")]
    Undefined {
        /// Zero-based index of the element.
        index: usize,
        /// The element's kind.
        kind: ElementKind,
        /// The field that names the vname.
        field: &'static str,
        /// The undefined vname.
        name: VName,
    },
    /// A vname is defined twice.
    #[error("element {index} ({kind}): vname {name} is already defined by element {first}")]
    Duplicate {
        /// Zero-based index of the second definition.
        index: usize,
        /// The element's kind.
        kind: ElementKind,
        /// The vname.
        name: VName,
        /// Index of the first definition.
        first: usize,
    },
    /// An element refers to a vname of the wrong kind (e.g. a VDEF over a VDEF, a SHIFT of a
    /// VDEF, an HRULE at a CDEF).
    #[error(
        "element {index} ({kind}): field {field}: vname {name} is a {found}, expected {expected}"
    )]
    WrongKind {
        /// Zero-based index of the element.
        index: usize,
        /// The element's kind.
        kind: ElementKind,
        /// The field that names the vname.
        field: &'static str,
        /// The vname.
        name: VName,
        /// The kind of the element that defines it.
        found: ElementKind,
        /// What was expected, e.g. "DEF or CDEF".
        expected: &'static str,
    },
    /// An option value is invalid, or options contradict each other.
    #[error("option --{option}: {reason}")]
    Option {
        /// The option's long name without dashes.
        option: &'static str,
        /// Why it is invalid.
        reason: ValueError,
    },
    /// The image would be larger than the pixel budget: an upper bound of librrd's image
    /// (canvas, margins, legend rows, fonts, border, all times the zoom squared) is over
    /// [`MAX_IMAGE_PIXELS`](crate::MAX_IMAGE_PIXELS).
    #[error(
        "the image would have up to {pixels} pixels (zoom included), more than the budget of \
         {max}: reduce --width, --height, --zoom, the font sizes, the border or the legend"
    )]
    ImageTooLarge {
        /// The estimated upper bound of the image's pixels.
        pixels: u64,
        /// The budget.
        max: u64,
    },
    /// The spec has no output filename.
    #[error("the graph has no output filename")]
    NoOutput,
    /// The spec draws and prints nothing (librrd needs at least one graph or print element).
    #[error("the graph has no graph or print element")]
    Empty,
    /// Parsing an argument list failed.
    #[error("argument {index} ({arg:?}): {field}: {reason}")]
    Parse {
        /// Zero-based argument index (0 is the output filename).
        index: usize,
        /// The argument text (shortened to 200 bytes).
        arg: String,
        /// The field or option being parsed, e.g. "legend", "--width", "element".
        field: &'static str,
        /// Why it failed.
        reason: ParseReason,
    },
    /// librrd failed (rendering, or an RRD operation); the message is rrdtool's own.
    #[error(transparent)]
    Rrd(#[from] crate::RrdError),
    /// A parsed argument list is syntactically fine but the spec it describes is invalid.
    #[error("argument {index}: {source}")]
    ParsedSpec {
        /// Zero-based argument index of the offending element or option.
        index: usize,
        /// The spec error.
        source: Box<Error>,
    },
}

impl Error {
    pub(crate) fn value(field: &'static str, reason: impl Into<ValueError>) -> Self {
        Error::Value {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn parse(
        index: usize,
        arg: &str,
        field: &'static str,
        reason: impl Into<ParseReason>,
    ) -> Self {
        let mut arg = arg.to_owned();
        if arg.len() > 200 {
            let mut end = 200;
            while !arg.is_char_boundary(end) {
                end -= 1;
            }
            arg.truncate(end);
            arg.push('…');
        }
        Error::Parse {
            index,
            arg,
            field,
            reason: reason.into(),
        }
    }

    /// The zero-based argument index for parse errors, if this error came from parsing.
    pub fn arg_index(&self) -> Option<usize> {
        match self {
            Error::Parse { index, .. } | Error::ParsedSpec { index, .. } => Some(*index),
            _ => None,
        }
    }
}

impl From<ValueError> for crate::RrdError {
    fn from(e: ValueError) -> Self {
        crate::RrdError::Invalid {
            what: "value",
            reason: e.to_string(),
        }
    }
}
