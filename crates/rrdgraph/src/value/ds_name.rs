//! Data source names.

use std::fmt;

use crate::value_error::ValueError;

/// The longest data source name librrd accepts.
pub const MAX_DS_NAME_LEN: usize = 19;

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
