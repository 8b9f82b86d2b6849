//! Free text: the control characters and lengths librrd can hold.

use crate::value_error::ValueError;

/// The longest legend or format librrd keeps (`FMT_LEG_LEN`); longer text is silently cut.
pub const MAX_LEGEND_LEN: usize = 200;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::legend::Legend;

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
}
