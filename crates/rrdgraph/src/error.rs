//! The crate's error type.

use crate::element_kind::ElementKind;
use crate::eval_error::EvalError;
use crate::rrd_error::RrdError;
use crate::value::VName;
use crate::value_error::ValueError;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    /// A long option and its value in one argument (`"--height 200"`): rrdtool 1.7.2's getopt
    /// refuses it too (`invalid option -- 'height 200'`). The short form in one argument
    /// (`"-h 200"`) is accepted, as in rrdtool.
    #[error(
        "option --{0} and its value are one argument; rrdtool refuses that too: write \
         --{0}=VALUE, or the value as the next argument"
    )]
    JoinedLongValue(String),
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
    /// Computing a graph's data in Rust failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// librrd failed (rendering, or an RRD operation); the message is rrdtool's own.
    #[error(transparent)]
    Rrd(#[from] RrdError),
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
