//! Variable names.

use std::fmt;
use std::str::FromStr;

use crate::op;
use crate::value_error::ValueError;

/// The longest vname librrd accepts.
pub const MAX_VNAME_LEN: usize = 255;

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
        if op::is_reserved(&name) || name.parse::<f64>().is_ok() {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
