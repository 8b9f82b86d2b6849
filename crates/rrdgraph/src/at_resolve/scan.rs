//! librrd's at-style scanner: numbers, words, `: . + - /`, with spaces, `_` and `,` between
//! them; any other character ends the text (librrd's scanner answers EOF from there on, so
//! what follows it is never read).

/// A token's kind before its word is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Raw {
    Number,
    Word,
    Colon,
    Dot,
    Plus,
    Minus,
    Slash,
    /// The end, or the character that stopped the scanner.
    Eof,
}

/// Splits `spec` into tokens with their texts; the last is always [`Raw::Eof`].
pub(super) fn tokens(spec: &str) -> Vec<(Raw, &str)> {
    let b = spec.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len()
            && (b[i].is_ascii_whitespace() || b[i] == 0x0b || b[i] == b'_' || b[i] == b',')
        {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            out.push((Raw::Eof, ""));
            return out;
        };
        let run = |pred: fn(&u8) -> bool| i + b[i..].iter().take_while(|c| pred(c)).count();
        let (kind, end) = match c {
            b'0'..=b'9' => (Raw::Number, run(u8::is_ascii_digit)),
            b'a'..=b'z' | b'A'..=b'Z' => (Raw::Word, run(u8::is_ascii_alphabetic)),
            b':' => (Raw::Colon, i + 1),
            b'.' => (Raw::Dot, i + 1),
            b'+' => (Raw::Plus, i + 1),
            b'-' => (Raw::Minus, i + 1),
            b'/' => (Raw::Slash, i + 1),
            _ => {
                // The stopping character is the EOF token's text (what atoi and strlen see).
                let len = spec[i..].chars().next().map_or(1, char::len_utf8);
                out.push((Raw::Eof, &spec[i..i + len]));
                return out;
            }
        };
        out.push((kind, &spec[i..end]));
        i = end;
    }
}
