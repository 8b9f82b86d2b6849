//! Colors.

use std::fmt;
use std::str::FromStr;

use crate::value_error::ValueError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
