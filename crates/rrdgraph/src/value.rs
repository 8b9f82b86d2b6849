//! Validated value types: vnames, colors, legends, print formats, times and grid specs.

use std::fmt;
use std::str::FromStr;

use crate::error::ValueError;
use crate::rpn;

/// The longest legend or format librrd keeps (`FMT_LEG_LEN`); longer text is silently cut.
pub const MAX_LEGEND_LEN: usize = 200;
/// The longest vname librrd accepts.
pub const MAX_VNAME_LEN: usize = 255;
/// The longest data source name librrd accepts.
pub const MAX_DS_NAME_LEN: usize = 19;
/// The largest width, and the largest precision, in a PRINT/GPRINT, axis or duration format.
///
/// librrd formats PRINT values with `sprintf_alloc`, which allocates as much as the width asks
/// (`%2147483647lf` allocates 2 GiB), and GPRINT values with `snprintf`, whose `int` result
/// overflows at a width of 2^31 (librrd then segfaults). Anything GPRINT writes lands in a
/// [`MAX_LEGEND_LEN`]-byte legend, so a width past a few hundred can only waste memory; 255 keeps
/// every real format (the widest `%lf` of a double is 309 digits before the point) and bounds
/// PRINT's allocation to a few hundred bytes.
pub const MAX_FORMAT_WIDTH: usize = 255;
/// The longest free text (titles, labels, paths) this crate accepts.
pub const MAX_TEXT_LEN: usize = 4096;

pub(crate) fn check_text(s: &str, max: usize) -> Result<(), ValueError> {
    // A newline would become an extra argument in `--emit` (one argument per line), and librrd
    // draws no control character but the tab (a tab stop), so only the tab passes.
    if let Some((pos, ch)) = s.char_indices().find(|&(_, c)| c.is_control() && c != '\t') {
        return Err(ValueError::BadChar {
            ch,
            pos,
            hint: if ch == '\0' {
                "NUL cannot pass to librrd"
            } else {
                "control characters cannot pass to librrd or to one-argument-per-line output"
            },
        });
    }
    if s.len() > max {
        return Err(ValueError::TooLong { len: s.len(), max });
    }
    Ok(())
}

/// A variable name: `[A-Za-z0-9_-]{1,255}`, never an RPN operator name and never a number.
///
/// ```
/// use rrdgraph::VName;
/// assert!(VName::new("inoctets").is_ok());
/// assert!(VName::new("MAX").is_err()); // an RPN operator
/// assert!(VName::new("in:octets").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VName(String);

impl VName {
    /// Validates `name`.
    ///
    /// # Errors
    /// [`ValueError::Empty`], [`ValueError::TooLong`], [`ValueError::BadChar`] or
    /// [`ValueError::Reserved`].
    pub fn new(name: impl Into<String>) -> Result<Self, ValueError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ValueError::Empty);
        }
        if name.len() > MAX_VNAME_LEN {
            return Err(ValueError::TooLong {
                len: name.len(),
                max: MAX_VNAME_LEN,
            });
        }
        if let Some((pos, ch)) = name
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(ValueError::BadChar {
                ch,
                pos,
                hint: "allowed: A-Z a-z 0-9 _ -",
            });
        }
        if rpn::is_reserved(&name) || name.parse::<f64>().is_ok() {
            return Err(ValueError::Reserved(name));
        }
        Ok(VName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for VName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for VName {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VName::new(s)
    }
}

impl TryFrom<&str> for VName {
    type Error = ValueError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        VName::new(s)
    }
}

/// How many hex digits a [`Color`] was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColorForm {
    /// `#RGB`
    Rgb3,
    /// `#RGBA`
    Rgba4,
    /// `#RRGGBB`
    Rgb6,
    /// `#RRGGBBAA`
    Rgba8,
}

/// A color: `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA`. It is emitted in upper case, in the form
/// it was given.
///
/// ```
/// use rrdgraph::Color;
/// let c = Color::parse("#ff8833")?;
/// assert_eq!(c.to_string(), "#FF8833");
/// assert_eq!(Color::rgba(0, 0, 255, 0x80).to_string(), "#0000FF80");
/// # Ok::<(), rrdgraph::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    r: u8,
    g: u8,
    b: u8,
    a: u8,
    form: ColorForm,
}

impl Color {
    /// An opaque color, written `#RRGGBB`.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Color {
            r,
            g,
            b,
            a: 0xFF,
            form: ColorForm::Rgb6,
        }
    }

    /// A color with alpha, written `#RRGGBBAA`.
    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Color {
            r,
            g,
            b,
            a,
            form: ColorForm::Rgba8,
        }
    }

    /// Parses `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA` (case-insensitive).
    ///
    /// # Errors
    /// [`ValueError::Color`] for anything else.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = || ValueError::Color(s.chars().take(40).collect());
        let hex = s.strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let nib = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map(|v| v * 0x11);
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16);
        let c = match hex.len() {
            3 | 4 => Color {
                r: nib(0).map_err(|_| bad())?,
                g: nib(1).map_err(|_| bad())?,
                b: nib(2).map_err(|_| bad())?,
                a: if hex.len() == 4 {
                    nib(3).map_err(|_| bad())?
                } else {
                    0xFF
                },
                form: if hex.len() == 4 {
                    ColorForm::Rgba4
                } else {
                    ColorForm::Rgb3
                },
            },
            6 | 8 => Color {
                r: byte(0).map_err(|_| bad())?,
                g: byte(2).map_err(|_| bad())?,
                b: byte(4).map_err(|_| bad())?,
                a: if hex.len() == 8 {
                    byte(6).map_err(|_| bad())?
                } else {
                    0xFF
                },
                form: if hex.len() == 8 {
                    ColorForm::Rgba8
                } else {
                    ColorForm::Rgb6
                },
            },
            _ => return Err(bad()),
        };
        Ok(c)
    }

    /// Red, green, blue and alpha.
    pub const fn components(self) -> (u8, u8, u8, u8) {
        (self.r, self.g, self.b, self.a)
    }

    /// The form the color is written in.
    pub const fn form(self) -> ColorForm {
        self.form
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            ColorForm::Rgb3 => write!(f, "#{:X}{:X}{:X}", self.r >> 4, self.g >> 4, self.b >> 4),
            ColorForm::Rgba4 => {
                write!(
                    f,
                    "#{:X}{:X}{:X}{:X}",
                    self.r >> 4,
                    self.g >> 4,
                    self.b >> 4,
                    self.a >> 4
                )
            }
            ColorForm::Rgb6 => write!(f, "#{:02X}{:02X}{:02X}", self.r, self.g, self.b),
            ColorForm::Rgba8 => {
                write!(
                    f,
                    "#{:02X}{:02X}{:02X}{:02X}",
                    self.r, self.g, self.b, self.a
                )
            }
        }
    }
}

impl FromStr for Color {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Color::parse(s)
    }
}

/// A legend control code: the `\x` suffix that tells librrd how to place the pending legend text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlCode {
    /// `\l`: left-align and end the line.
    Left,
    /// `\n`: librrd's alias for `\l`.
    NewLine,
    /// `\r`: right-align and end the line.
    Right,
    /// `\c`: center and end the line.
    Center,
    /// `\j`: justify and end the line.
    Justify,
    /// `\g`: glue, no space after this item (and trailing spaces are dropped).
    Glue,
    /// `\s`: extra vertical space before the next row (`COMMENT:\s`).
    Space,
    /// `\u`: go back up one line (`COMMENT:\u`).
    Up,
    /// `\.`: no-op, so that text can end in a backslash sequence.
    Nop,
}

impl ControlCode {
    /// Every control code.
    pub const ALL: [ControlCode; 9] = [
        ControlCode::Left,
        ControlCode::NewLine,
        ControlCode::Right,
        ControlCode::Center,
        ControlCode::Justify,
        ControlCode::Glue,
        ControlCode::Space,
        ControlCode::Up,
        ControlCode::Nop,
    ];

    /// The character after the backslash.
    pub const fn as_char(self) -> char {
        match self {
            ControlCode::Left => 'l',
            ControlCode::NewLine => 'n',
            ControlCode::Right => 'r',
            ControlCode::Center => 'c',
            ControlCode::Justify => 'j',
            ControlCode::Glue => 'g',
            ControlCode::Space => 's',
            ControlCode::Up => 'u',
            ControlCode::Nop => '.',
        }
    }

    /// The code for the character after the backslash.
    pub fn from_char(c: char) -> Option<Self> {
        ControlCode::ALL.into_iter().find(|k| k.as_char() == c)
    }

    pub(crate) const fn rust_name(self) -> &'static str {
        match self {
            ControlCode::Left => "Left",
            ControlCode::NewLine => "NewLine",
            ControlCode::Right => "Right",
            ControlCode::Center => "Center",
            ControlCode::Justify => "Justify",
            ControlCode::Glue => "Glue",
            ControlCode::Space => "Space",
            ControlCode::Up => "Up",
            ControlCode::Nop => "Nop",
        }
    }
}

/// Splits a trailing `\x` control code off librrd text (already colon-unescaped).
fn split_code(raw: &str) -> Result<(&str, Option<ControlCode>), ValueError> {
    let b = raw.as_bytes();
    // librrd reads a final `\t` as a tab, not as a control code.
    if b.len() >= 2 && b[b.len() - 2] == b'\\' && b[b.len() - 1] != b't' {
        let c = char::from(b[b.len() - 1]);
        let code = ControlCode::from_char(c).ok_or(ValueError::ControlCode(c))?;
        Ok((&raw[..raw.len() - 2], Some(code)))
    } else {
        Ok((raw, None))
    }
}

/// Whether text without a control code would be misread by librrd: it ends in a backslash, or
/// its second-to-last byte is a backslash (librrd would take the last byte as a control code).
fn needs_nop(text: &str) -> bool {
    let b = text.as_bytes();
    b.last() == Some(&b'\\') || (b.len() >= 2 && b[b.len() - 2] == b'\\')
}

fn check_legend_text(text: &str, code: Option<ControlCode>) -> Result<(), ValueError> {
    check_text(text, MAX_LEGEND_LEN)?;
    // librrd turns every `\t` of a legend into a tab and has no escape for it, so literal text
    // with that pair could not come back unchanged: refuse it and let the caller write a tab.
    if let Some(pos) = text.find("\\t") {
        return Err(ValueError::BadChar {
            ch: 't',
            pos: pos + 1,
            hint: "librrd reads `\\t` in a legend as a tab; write a tab character instead",
        });
    }
    let len = text.len() + if code.is_some() { 2 } else { 0 };
    if len > MAX_LEGEND_LEN {
        return Err(ValueError::TooLong {
            len,
            max: MAX_LEGEND_LEN,
        });
    }
    Ok(())
}

/// Legend text with an optional typed control code suffix.
///
/// The text is literal: a `:` in it is escaped on emit, and text that librrd would misread
/// (ending in a backslash sequence) gets the no-op code `\.` so it survives unchanged.
///
/// ```
/// use rrdgraph::{ControlCode, Legend};
/// let l = Legend::new("Alarm value")?.with_code(ControlCode::Right);
/// assert_eq!(l.to_raw(), "Alarm value\\r");
/// let p = Legend::parse_raw("Avg\\l")?;
/// assert_eq!((p.text(), p.code()), ("Avg", Some(ControlCode::Left)));
/// # Ok::<(), rrdgraph::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Legend {
    text: String,
    code: Option<ControlCode>,
}

impl Legend {
    /// Literal legend text without a control code.
    ///
    /// # Errors
    /// [`ValueError::BadChar`] for a NUL byte or a backslash followed by `t` (librrd would show
    /// a tab: write the tab itself), [`ValueError::TooLong`] beyond 200 bytes.
    pub fn new(text: impl Into<String>) -> Result<Self, ValueError> {
        Self::with(text, None)
    }

    /// Literal text and a control code.
    ///
    /// # Errors
    /// As [`Legend::new`].
    pub fn with(text: impl Into<String>, code: Option<ControlCode>) -> Result<Self, ValueError> {
        let text = text.into();
        let code = match code {
            None if needs_nop(&text) => Some(ControlCode::Nop),
            c => c,
        };
        check_legend_text(&text, code)?;
        Ok(Legend { text, code })
    }

    /// Only a control code, e.g. `COMMENT:\s`.
    pub fn code_only(code: ControlCode) -> Self {
        Legend {
            text: String::new(),
            code: Some(code),
        }
    }

    /// Parses librrd's legend text (after `\:` unescaping): a trailing `\x` is the control
    /// code, and `\t` is a tab, as librrd reads them.
    ///
    /// # Errors
    /// [`ValueError::ControlCode`] for an unknown code, and the errors of [`Legend::new`].
    pub fn parse_raw(raw: &str) -> Result<Self, ValueError> {
        let (text, code) = split_code(raw)?;
        // What librrd shows for `\t` is a tab: keep the meaning, so that the literal text of
        // the spec is what librrd prints.
        Self::with(text.replace("\\t", "\t"), code)
    }

    /// Text exactly as librrd's PRINT writes it: PRINT does not read control codes, tabs or a
    /// final backslash, so `\t` stays two characters and a final `\` stays as it is. A known
    /// control code at the end is still split off (it is written back unchanged), so the text
    /// round-trips through [`Legend::to_raw`].
    ///
    /// ```
    /// use rrdgraph::Legend;
    /// assert_eq!(Legend::literal("%lf\\")?.to_raw(), "%lf\\");
    /// assert_eq!(Legend::literal("a\\tb")?.to_raw(), "a\\tb");
    /// # Ok::<(), rrdgraph::ValueError>(())
    /// ```
    ///
    /// # Errors
    /// [`ValueError::BadChar`] for a control character, [`ValueError::TooLong`] beyond 200
    /// bytes.
    pub fn literal(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        let (text, code) = match split_code(&raw) {
            Ok((text, Some(code))) => (text.to_owned(), Some(code)),
            _ => (raw, None),
        };
        check_text(&text, MAX_LEGEND_LEN)?;
        let len = text.len() + if code.is_some() { 2 } else { 0 };
        if len > MAX_LEGEND_LEN {
            return Err(ValueError::TooLong {
                len,
                max: MAX_LEGEND_LEN,
            });
        }
        Ok(Legend { text, code })
    }

    /// Replaces the control code.
    #[must_use]
    pub fn with_code(mut self, code: ControlCode) -> Self {
        self.code = Some(code);
        self
    }

    /// The literal text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The control code.
    pub fn code(&self) -> Option<ControlCode> {
        self.code
    }

    /// librrd's text: the literal text followed by the control code (colons not escaped).
    pub fn to_raw(&self) -> String {
        let mut s = self.text.clone();
        if let Some(c) = self.code {
            s.push('\\');
            s.push(c.as_char());
        }
        s
    }

    /// Whether the legend is empty (no text and no code).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.code.is_none()
    }
}

impl fmt::Display for Legend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_raw())
    }
}

impl TryFrom<&str> for Legend {
    type Error = ValueError;
    /// Parses like [`Legend::parse_raw`], so `"Total\\l"` has the code `\l`.
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Legend::parse_raw(s)
    }
}

/// A PRINT/GPRINT value format: exactly one `%[flag][width][.precision]l[eEfFgG]`, then
/// optionally one `%s` or `%S` (the SI unit), with `%%` allowed anywhere — the same rule as
/// librrd 1.7's format check. An optional trailing control code is kept typed.
///
/// ```
/// use rrdgraph::PrintFormat;
/// assert!(PrintFormat::new("Avg: %6.2lf %Sbps").is_ok());
/// assert!(PrintFormat::new("%lf %lf").is_err());
/// assert!(PrintFormat::new("%d").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrintFormat(Legend);

impl PrintFormat {
    /// Validates a format without a control code.
    ///
    /// # Errors
    /// [`ValueError::Format`] if the conversions are wrong; the errors of [`Legend::new`].
    pub fn new(text: impl Into<String>) -> Result<Self, ValueError> {
        Self::with(text, None)
    }

    /// Validates a format with a control code.
    ///
    /// # Errors
    /// As [`PrintFormat::new`].
    pub fn with(text: impl Into<String>, code: Option<ControlCode>) -> Result<Self, ValueError> {
        let l = Legend::with(text, code)?;
        check_value_format(l.text())?;
        Ok(PrintFormat(l))
    }

    /// Parses librrd's text (after `\:` unescaping), splitting off a trailing control code.
    ///
    /// # Errors
    /// As [`PrintFormat::new`], and [`ValueError::ControlCode`].
    pub fn parse_raw(raw: &str) -> Result<Self, ValueError> {
        let l = Legend::parse_raw(raw)?;
        check_value_format(l.text())?;
        Ok(PrintFormat(l))
    }

    /// A PRINT format exactly as librrd's PRINT writes it (see [`Legend::literal`]): `%lf\t`
    /// prints the value and `\t`, `%lf\\` the value and a backslash, as `rrdtool graph` does.
    ///
    /// # Errors
    /// As [`PrintFormat::new`].
    pub fn literal(raw: impl Into<String>) -> Result<Self, ValueError> {
        let l = Legend::literal(raw)?;
        check_value_format(l.text())?;
        Ok(PrintFormat(l))
    }

    /// The format text without the control code.
    pub fn text(&self) -> &str {
        self.0.text()
    }

    /// The control code.
    pub fn code(&self) -> Option<ControlCode> {
        self.0.code()
    }

    /// The format as a legend (text and code).
    pub fn as_legend(&self) -> &Legend {
        &self.0
    }
}

impl fmt::Display for PrintFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Checks librrd 1.7's rule:
/// `^(?:[^%]+|%%)*%[-+ 0#]?[0-9]*(?:[.][0-9]+)?l[eEfFgG](?:[^%]+|%%)*(?:%[sS])?(?:[^%]+|%%)*$`.
fn check_value_format(s: &str) -> Result<(), ValueError> {
    check_format(s, true)
}

/// Checks librrd 1.7's axis-format rule for the numeric formatter: like a print format, but
/// without the `%s`/`%S` unit.
pub(crate) fn check_axis_format(s: &str) -> Result<(), ValueError> {
    check_format(s, false)
}

fn check_format(s: &str, allow_unit: bool) -> Result<(), ValueError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut value_seen = false;
    let mut unit_seen = false;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if i >= b.len() {
            return Err(ValueError::Format("a lone % at the end"));
        }
        if b[i] == b'%' {
            i += 1;
            continue;
        }
        if b[i] == b's' || b[i] == b'S' {
            if !allow_unit {
                return Err(ValueError::Format(
                    "an axis format takes no %s/%S unit (librrd 1.7 refuses it)",
                ));
            }
            if !value_seen {
                return Err(ValueError::Format(
                    "%s/%S must come after the %lf conversion",
                ));
            }
            if unit_seen {
                return Err(ValueError::Format("more than one %s/%S"));
            }
            unit_seen = true;
            i += 1;
            continue;
        }
        if value_seen {
            return Err(ValueError::Format(if unit_seen {
                "a conversion after %s/%S"
            } else {
                "more than one value conversion (exactly one %l[eEfFgG] is allowed)"
            }));
        }
        if matches!(b[i], b'-' | b'+' | b' ' | b'0' | b'#') {
            i += 1;
        }
        i = bounded_digits(b, i, "width")?;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let start = i;
            i = bounded_digits(b, i, "precision")?;
            if i == start {
                return Err(ValueError::Format("a precision needs digits after the dot"));
            }
        }
        if i + 1 < b.len() + 1 && b.get(i) == Some(&b'l') {
            match b.get(i + 1) {
                Some(b'e' | b'E' | b'f' | b'F' | b'g' | b'G') => {
                    value_seen = true;
                    i += 2;
                }
                _ => {
                    return Err(ValueError::Format(
                        "%l must be followed by one of e E f F g G",
                    ));
                }
            }
        } else {
            return Err(ValueError::Format(
                "the conversion must be %[flag][width][.precision]l[eEfFgG] (one flag at most)",
            ));
        }
    }
    if value_seen {
        Ok(())
    } else {
        Err(ValueError::Format("no %l[eEfFgG] value conversion"))
    }
}

/// Skips the digits at `i`, refusing a number above [`MAX_FORMAT_WIDTH`]; returns the index
/// after them.
fn bounded_digits(b: &[u8], mut i: usize, what: &'static str) -> Result<usize, ValueError> {
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let digits = &b[start..i];
    let significant = digits.iter().skip_while(|&&d| d == b'0').count();
    let value = digits.iter().fold(0usize, |acc, &d| {
        acc.saturating_mul(10).saturating_add(usize::from(d - b'0'))
    });
    if significant > 4 || value > MAX_FORMAT_WIDTH {
        return Err(ValueError::FormatTooWide {
            what,
            value: String::from_utf8_lossy(digits).chars().take(40).collect(),
            max: MAX_FORMAT_WIDTH,
        });
    }
    Ok(i)
}

/// Checks a valstrfduration format: `%` [`0`] [width] [`.` precision] one of `%WdDhHmMsSf`.
pub(crate) fn check_duration_format(s: &str) -> Result<(), ValueError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'0') {
            i += 1;
        }
        i = bounded_digits(b, i, "width")?;
        if b.get(i) == Some(&b'.') {
            i += 1;
            i = bounded_digits(b, i, "precision")?;
        }
        match b.get(i) {
            Some(b'%' | b'W' | b'd' | b'D' | b'h' | b'H' | b'm' | b'M' | b's' | b'S' | b'f') => {
                i += 1;
            }
            _ => {
                return Err(ValueError::Format(
                    "a duration conversion must be one of %W %d %D %h %H %m %M %s %S %f %%",
                ));
            }
        }
    }
    Ok(())
}

/// A consolidation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cf {
    /// `AVERAGE`
    Average,
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `LAST`
    Last,
    /// `HWPREDICT`
    HwPredict,
    /// `MHWPREDICT`
    MhwPredict,
    /// `SEASONAL`
    Seasonal,
    /// `DEVSEASONAL`
    DevSeasonal,
    /// `DEVPREDICT`
    DevPredict,
    /// `FAILURES`
    Failures,
}

impl Cf {
    /// Every consolidation function.
    pub const ALL: [Cf; 10] = [
        Cf::Average,
        Cf::Min,
        Cf::Max,
        Cf::Last,
        Cf::HwPredict,
        Cf::MhwPredict,
        Cf::Seasonal,
        Cf::DevSeasonal,
        Cf::DevPredict,
        Cf::Failures,
    ];

    /// librrd's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cf::Average => "AVERAGE",
            Cf::Min => "MIN",
            Cf::Max => "MAX",
            Cf::Last => "LAST",
            Cf::HwPredict => "HWPREDICT",
            Cf::MhwPredict => "MHWPREDICT",
            Cf::Seasonal => "SEASONAL",
            Cf::DevSeasonal => "DEVSEASONAL",
            Cf::DevPredict => "DEVPREDICT",
            Cf::Failures => "FAILURES",
        }
    }

    pub(crate) const fn rust_name(self) -> &'static str {
        match self {
            Cf::Average => "Average",
            Cf::Min => "Min",
            Cf::Max => "Max",
            Cf::Last => "Last",
            Cf::HwPredict => "HwPredict",
            Cf::MhwPredict => "MhwPredict",
            Cf::Seasonal => "Seasonal",
            Cf::DevSeasonal => "DevSeasonal",
            Cf::DevPredict => "DevPredict",
            Cf::Failures => "Failures",
        }
    }
}

impl fmt::Display for Cf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cf {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cf::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| ValueError::Keyword {
            found: s.to_owned(),
            allowed: "AVERAGE|MIN|MAX|LAST|HWPREDICT|MHWPREDICT|SEASONAL|DEVSEASONAL|DEVPREDICT|FAILURES",
        })
    }
}

/// A data source name: `[A-Za-z0-9_]{1,19}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DsName(String);

impl DsName {
    /// Validates a data source name.
    ///
    /// # Errors
    /// [`ValueError::Empty`], [`ValueError::TooLong`] or [`ValueError::BadChar`].
    pub fn new(name: impl Into<String>) -> Result<Self, ValueError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ValueError::Empty);
        }
        if name.len() > MAX_DS_NAME_LEN {
            return Err(ValueError::TooLong {
                len: name.len(),
                max: MAX_DS_NAME_LEN,
            });
        }
        if let Some((pos, ch)) = name
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(ValueError::BadChar {
                ch,
                pos,
                hint: "allowed: A-Z a-z 0-9 _",
            });
        }
        Ok(DsName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An at-style time (see rrdfetch(1) "AT-STYLE TIME SPECIFICATION"): `-1d`, `now-2h`,
/// `end-1w`, `1700000000`, `noon yesterday`, `20:00 12/31/2023`, …
///
/// The text is checked against librrd's at-style grammar (reference, time of day, day, and
/// `+`/`-` offsets with units), so typos like `-1dy` or `now-` fail at build time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AtTime(String);

impl AtTime {
    /// Validates an at-style time.
    ///
    /// # Errors
    /// [`ValueError::Time`] if the text does not follow the at-style grammar.
    pub fn new(spec: impl Into<String>) -> Result<Self, ValueError> {
        let spec = spec.into();
        let err = |reason| ValueError::Time {
            text: spec.chars().take(60).collect(),
            reason,
        };
        if spec.trim().is_empty() {
            return Err(err("empty"));
        }
        if spec.len() > 128 {
            return Err(err("longer than 128 bytes"));
        }
        crate::attime::check(&spec).map_err(err)?;
        Ok(AtTime(spec))
    }

    /// Seconds since the epoch.
    pub fn epoch(secs: i64) -> Self {
        AtTime(secs.to_string())
    }

    /// `now`.
    pub fn now() -> Self {
        AtTime("now".to_owned())
    }

    /// `now-<secs>s`.
    pub fn ago(secs: u64) -> Self {
        AtTime(format!("now-{secs}s"))
    }

    /// The spec text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AtTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AtTime {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AtTime::new(s)
    }
}

/// A time unit of the `--x-grid` spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `SECOND`
    Second,
    /// `MINUTE`
    Minute,
    /// `HOUR`
    Hour,
    /// `DAY`
    Day,
    /// `WEEK`
    Week,
    /// `MONTH`
    Month,
    /// `YEAR`
    Year,
}

impl TimeUnit {
    /// Every unit.
    pub const ALL: [TimeUnit; 7] = [
        TimeUnit::Second,
        TimeUnit::Minute,
        TimeUnit::Hour,
        TimeUnit::Day,
        TimeUnit::Week,
        TimeUnit::Month,
        TimeUnit::Year,
    ];

    /// The unit's shortest and longest length in seconds (months and years vary).
    pub(crate) const fn seconds(self) -> (u64, u64) {
        match self {
            TimeUnit::Second => (1, 1),
            TimeUnit::Minute => (60, 60),
            TimeUnit::Hour => (3600, 3600),
            TimeUnit::Day => (86_400, 86_400),
            TimeUnit::Week => (604_800, 604_800),
            TimeUnit::Month => (28 * 86_400, 31 * 86_400),
            TimeUnit::Year => (365 * 86_400, 366 * 86_400),
        }
    }

    /// librrd's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "SECOND",
            TimeUnit::Minute => "MINUTE",
            TimeUnit::Hour => "HOUR",
            TimeUnit::Day => "DAY",
            TimeUnit::Week => "WEEK",
            TimeUnit::Month => "MONTH",
            TimeUnit::Year => "YEAR",
        }
    }
}

impl FromStr for TimeUnit {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeUnit::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| ValueError::Keyword {
                found: s.to_owned(),
                allowed: "SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|YEAR",
            })
    }
}

/// The `--x-grid` spec: `GTM:GST:MTM:MST:LTM:LST:LPR:LFM`, or `none`.
///
/// ```
/// use rrdgraph::XGrid;
/// let g: XGrid = "MINUTE:12:HOUR:1:HOUR:1:0:%H".parse()?;
/// assert_eq!(g.to_string(), "MINUTE:12:HOUR:1:HOUR:1:0:%H");
/// # Ok::<(), rrdgraph::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XGrid {
    /// `none`: no grid and no labels.
    None,
    /// A full grid spec.
    Spec {
        /// Base grid unit and count (GTM:GST).
        base: (TimeUnit, u32),
        /// Major grid unit and count (MTM:MST).
        major: (TimeUnit, u32),
        /// Label unit and count (LTM:LST).
        label: (TimeUnit, u32),
        /// Label placement in seconds (LPR): 0 puts the label under its line.
        precision: u32,
        /// The strftime label format (LFM).
        format: String,
    },
}

impl fmt::Display for XGrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XGrid::None => f.write_str("none"),
            XGrid::Spec {
                base,
                major,
                label,
                precision,
                format,
            } => write!(
                f,
                "{}:{}:{}:{}:{}:{}:{}:{}",
                base.0.as_str(),
                base.1,
                major.0.as_str(),
                major.1,
                label.0.as_str(),
                label.1,
                precision,
                format
            ),
        }
    }
}

impl FromStr for XGrid {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(XGrid::None);
        }
        let bad = || ValueError::Shape {
            what: "x-grid",
            text: s.chars().take(80).collect(),
            expected: "GTM:GST:MTM:MST:LTM:LST:LPR:LFM (e.g. MINUTE:10:HOUR:1:HOUR:4:0:%X) or none",
        };
        let parts: Vec<&str> = s.splitn(8, ':').collect();
        if parts.len() != 8 {
            return Err(bad());
        }
        let unit = |i: usize| parts[i].parse::<TimeUnit>().map_err(|_| bad());
        let num = |i: usize| parts[i].parse::<u32>().map_err(|_| bad());
        // An empty label format is allowed: librrd then draws no labels.
        let format = parts[7].to_owned();
        check_text(&format, MAX_LEGEND_LEN)?;
        let g = XGrid::Spec {
            base: (unit(0)?, num(1)?),
            major: (unit(2)?, num(3)?),
            label: (unit(4)?, num(5)?),
            precision: num(6)?,
            format,
        };
        g.validate()?;
        Ok(g)
    }
}

impl XGrid {
    pub(crate) fn validate(&self) -> Result<(), ValueError> {
        if let XGrid::Spec {
            base,
            major,
            label,
            precision,
            format,
        } = self
        {
            for (what, n) in [("base", base.1), ("major", major.1), ("label", label.1)] {
                if n == 0 {
                    return Err(ValueError::Shape {
                        what: "x-grid",
                        text: self.to_string(),
                        expected: match what {
                            "base" => "a base grid count above 0",
                            "major" => "a major grid count above 0",
                            _ => "a label count above 0",
                        },
                    });
                }
            }
            check_text(format, MAX_LEGEND_LEN)?;
            // librrd steps through the grid with `struct tm` and `int` arithmetic.
            let too_long = [base, major, label]
                .iter()
                .any(|(unit, n)| u64::from(*n) * unit.seconds().1 > MAX_GRID_INTERVAL)
                || u64::from(*precision) > MAX_GRID_INTERVAL;
            if too_long {
                return Err(ValueError::Shape {
                    what: "x-grid",
                    text: self.to_string(),
                    expected: "intervals and a label placement of at most 2147483647 seconds \
                               (librrd steps through them in an int)",
                });
            }
        }
        Ok(())
    }

    /// The shortest interval (seconds) between two lines or labels of the grid.
    pub(crate) fn shortest_interval(&self) -> Option<u64> {
        match self {
            XGrid::None => None,
            XGrid::Spec {
                base, major, label, ..
            } => [base, major, label]
                .iter()
                .map(|(unit, n)| u64::from(*n) * unit.seconds().0)
                .min(),
        }
    }
}

/// The longest `--x-grid` interval and label placement, in seconds: librrd adds them to a
/// `struct tm` and a `time_t` through `int`s.
pub const MAX_GRID_INTERVAL: u64 = i32::MAX as u64;

/// The most lines or labels an `--x-grid` may draw over the graph's time range: librrd draws
/// every one of them (100,000 labelled lines take librrd about 3 s of CPU), and a second grid
/// over decades (`SECOND:1` over 60 years) never ends.
pub const MAX_GRID_LINES: u64 = 100_000;

/// The `--y-grid` spec: `grid step:label factor`, or `none`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YGrid {
    /// `none`: no grid, no labels, no space for them.
    None,
    /// Grid lines every `step`, a label every `factor` lines.
    Spec {
        /// The grid step (> 0).
        step: f64,
        /// Label every this many lines (> 0).
        factor: u32,
    },
}

impl fmt::Display for YGrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            YGrid::None => f.write_str("none"),
            YGrid::Spec { step, factor } => write!(f, "{step}:{factor}"),
        }
    }
}

impl FromStr for YGrid {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(YGrid::None);
        }
        let bad = || ValueError::Shape {
            what: "y-grid",
            text: s.chars().take(80).collect(),
            expected: "step:factor with step > 0 and an integer factor > 0, or none",
        };
        let (a, b) = s.split_once(':').ok_or_else(bad)?;
        let step = parse_f64(a).map_err(|_| bad())?;
        let factor = b.parse::<u32>().map_err(|_| bad())?;
        if step <= 0.0 || factor == 0 {
            return Err(bad());
        }
        Ok(YGrid::Spec { step, factor })
    }
}

/// Parses a finite number the way librrd's `strtod` would accept it, rejecting NaN/inf.
pub(crate) fn parse_f64(s: &str) -> Result<f64, ValueError> {
    let bad = || ValueError::Number {
        text: s.chars().take(40).collect(),
        expected: "a finite number",
    };
    if s.is_empty() || s.len() > 64 || s.starts_with('+') && s[1..].starts_with(['+', '-']) {
        return Err(bad());
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return Err(bad());
    }
    let v: f64 = s.parse().map_err(|_| bad())?;
    if v.is_finite() { Ok(v) } else { Err(bad()) }
}

/// Formats a number so that `strtod` and [`parse_f64`] read back exactly the same value.
pub(crate) fn fmt_f64(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    let plain = format!("{v}");
    if v.fract() == 0.0 && v.abs() < 1e16 {
        return plain;
    }
    let exp = format!("{v:e}");
    if plain.len() <= exp.len() { plain } else { exp }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_text_are_refused() {
        for bad in ["a\nb", "a\rb", "a\u{1b}[2J", "a\u{85}b"] {
            assert!(
                matches!(Legend::new(bad), Err(ValueError::BadChar { .. })),
                "{bad:?}"
            );
            assert!(check_text(bad, MAX_TEXT_LEN).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn format_widths_and_precisions_librrd_cannot_hold_are_refused() {
        assert!(PrintFormat::new("%255.255lf").is_ok());
        assert!(PrintFormat::new("%000255lf").is_ok());
        for bad in [
            "%2147483648lf",
            "%2147483647lf",
            "%256lf",
            "%.256lf",
            "%.99999999999999999999lf",
        ] {
            assert!(
                matches!(PrintFormat::new(bad), Err(ValueError::FormatTooWide { .. })),
                "{bad}"
            );
        }
        assert!(check_axis_format("%.2147483647lf").is_err());
        assert!(check_duration_format("%2147483648H").is_err());
    }

    #[test]
    fn backslash_t_is_a_tab_in_librrd_so_literal_text_refuses_it() {
        assert!(matches!(
            Legend::new("in\\tout"),
            Err(ValueError::BadChar {
                ch: 't',
                pos: 3,
                ..
            })
        ));
        // A real tab passes through as it is.
        assert_eq!(Legend::new("in\tout").unwrap().to_raw(), "in\tout");
        // An old script's `\t` means the tab librrd shows.
        let parsed = Legend::parse_raw("in\\tout\\l").unwrap();
        assert_eq!(parsed.text(), "in\tout");
        assert_eq!(parsed.code(), Some(ControlCode::Left));
    }

    #[test]
    fn vnames() {
        assert!(VName::new("in-octets_2").is_ok());
        assert_eq!(VName::new(""), Err(ValueError::Empty));
        assert!(matches!(
            VName::new("a b"),
            Err(ValueError::BadChar {
                ch: ' ',
                pos: 1,
                ..
            })
        ));
        assert!(matches!(VName::new("DUP"), Err(ValueError::Reserved(_))));
        assert!(matches!(
            VName::new("PERCENT"),
            Err(ValueError::Reserved(_))
        ));
        assert!(matches!(VName::new("12"), Err(ValueError::Reserved(_))));
        assert!(matches!(VName::new("inf"), Err(ValueError::Reserved(_))));
        assert!(VName::new("info").is_ok());
        assert!(matches!(
            VName::new("a".repeat(256)),
            Err(ValueError::TooLong { .. })
        ));
        assert!(VName::new("a".repeat(255)).is_ok());
    }

    #[test]
    fn colors() {
        for s in ["#FFF", "#FFFA", "#FF8833", "#FF883380"] {
            assert_eq!(Color::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Color::parse("#abc").unwrap().components(),
            (0xAA, 0xBB, 0xCC, 0xFF)
        );
        for s in [
            "FF8833",
            "#FF88833",
            "#FF883",
            "#FF",
            "#FF8833 ",
            "#GG0000",
            "#",
            "#FF8833801",
            "#+F8833",
        ] {
            assert!(matches!(Color::parse(s), Err(ValueError::Color(_))), "{s}");
        }
    }

    #[test]
    fn legends() {
        let l = Legend::parse_raw("Alarm value\\r").unwrap();
        assert_eq!(l.text(), "Alarm value");
        assert_eq!(l.code(), Some(ControlCode::Right));
        assert_eq!(Legend::parse_raw("a\\b"), Err(ValueError::ControlCode('b')));
        // text that would be misread gets the no-op code
        assert_eq!(Legend::new("OS\\2").unwrap().to_raw(), "OS\\2\\.");
        assert_eq!(Legend::new("ends\\").unwrap().to_raw(), "ends\\\\.");
        assert_eq!(Legend::new("plain").unwrap().to_raw(), "plain");
        assert!(matches!(
            Legend::new("x".repeat(201)),
            Err(ValueError::TooLong { .. })
        ));
        assert!(matches!(
            Legend::new("a\0b"),
            Err(ValueError::BadChar { ch: '\0', .. })
        ));
        assert_eq!(
            Legend::parse_raw("\\s").unwrap(),
            Legend::code_only(ControlCode::Space)
        );
    }

    #[test]
    fn print_formats() {
        for ok in [
            "%lf",
            "%6.2lf %Sbps",
            "Avg: %-8.3le%s",
            "100%% %lG",
            "%#lF",
            "%+5lg%%%S",
        ] {
            assert!(PrintFormat::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "%d",
            "%lf %lf",
            "%s %lf",
            "%lf %s %s",
            "%lf%",
            "%-+5lf",
            "%5.lf",
            "%lx",
        ] {
            assert!(
                matches!(PrintFormat::new(bad), Err(ValueError::Format(_))),
                "{bad}"
            );
        }
        let f = PrintFormat::parse_raw("MIN: %6.2lf %Sbps\\r").unwrap();
        assert_eq!(f.code(), Some(ControlCode::Right));
        assert!(check_duration_format("%H:%02M:%02s").is_ok());
        assert!(check_axis_format("%5.1lf").is_ok());
        assert!(check_axis_format("%5.1lf %s").is_err());
        assert!(check_duration_format("%Q").is_err());
    }

    #[test]
    fn times() {
        for ok in [
            "-1d",
            "now-2h",
            "end-1w",
            "1700000000",
            "noon yesterday",
            "start+30min",
        ] {
            assert!(AtTime::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-1dy", "now--1h", "now-", "rm -rf", "now;1"] {
            assert!(
                matches!(AtTime::new(bad), Err(ValueError::Time { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn grids() {
        let g: XGrid = "HOUR:8:DAY:1:DAY:1:86400:%A %H:%M".parse().unwrap();
        assert_eq!(g.to_string(), "HOUR:8:DAY:1:DAY:1:86400:%A %H:%M");
        // librrd 1.7.2 segfaults on a spec without the format field; an empty one is fine.
        assert!("HOUR:8:DAY:1:DAY:1:86400".parse::<XGrid>().is_err());
        assert_eq!(
            "HOUR:8:DAY:1:DAY:1:0:"
                .parse::<XGrid>()
                .unwrap()
                .to_string(),
            "HOUR:8:DAY:1:DAY:1:0:"
        );
        assert!("HOURS:8:DAY:1:DAY:1:0:%H".parse::<XGrid>().is_err());
        assert!("HOUR:0:DAY:1:DAY:1:0:%H".parse::<XGrid>().is_err());
        assert_eq!(
            "10:2".parse::<YGrid>().unwrap(),
            YGrid::Spec {
                step: 10.0,
                factor: 2
            }
        );
        assert!("0:2".parse::<YGrid>().is_err());
        assert!("x:2".parse::<YGrid>().is_err());
    }

    #[test]
    fn numbers_round_trip() {
        for v in [0.0, 1.0, -3.5, 6144.0, 1e-7, 1.5e300, 0.1, 123_456_789.125] {
            assert_eq!(parse_f64(&fmt_f64(v)).unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(fmt_f64(8.0), "8");
        assert!(parse_f64("nan").is_err());
        assert!(parse_f64("inf").is_err());
        assert!(parse_f64("1e999").is_err());
        assert!(parse_f64("0x10").is_err());
    }
}
