//! The one way a subcommand reads a byte count on the command line.
//!
//! A size is a whole number of bytes (`65536`) or a whole number with a binary unit: `KiB`,
//! `MiB` or `GiB` (`64MiB`); `K`, `M` and `G` mean the same. It must be positive.

/// Parses a size for clap (`value_parser = size::parse`).
///
/// # Errors
///
/// A message that names what was wrong, for clap to print with the flag.
pub(crate) fn parse(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use KiB, MiB or GiB)"
            ));
        }
    };
    let n: usize = number
        .parse()
        .map_err(|_| format!("{text:?}: not a whole number of bytes or a size such as 64MiB"))?;
    if n == 0 {
        return Err(format!("{text:?}: must be more than zero"));
    }
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?}: too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse("65536"), Ok(65536));
        assert_eq!(parse("64MiB"), Ok(64 << 20));
        assert_eq!(parse("2K"), Ok(2048));
        assert_eq!(parse("1 GiB"), Ok(1 << 30));
        for bad in ["0", "", "1.5M", "3TB", "MiB", "-1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
