//! Legend text and its control codes.

use std::fmt;

use super::text::{MAX_LEGEND_LEN, check_text};
use crate::value_error::ValueError;

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

    /// Literal text and a control code (the public spelling is
    /// `Legend::new(text)?.with_code(code)`).
    pub(crate) fn with(
        text: impl Into<String>,
        code: Option<ControlCode>,
    ) -> Result<Self, ValueError> {
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

    /// Attaches (or replaces) the control code: the one way to put a code on a legend, a
    /// COMMENT or a GPRINT format ([`PrintFormat::with_code`](crate::PrintFormat::with_code)).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
