//! Walks the records of a JSON input: the elements of one top-level array, or values one
//! after another (JSON lines), each with its number and the line it starts on.

use super::detect::ImportFormat;
use super::error::ImportError;
use super::report::MAX_RECORDS;

/// Where a record is: its number from 1 and the line it starts on.
#[derive(Clone, Copy, Debug)]
pub(super) struct At {
    pub(super) format: ImportFormat,
    pub(super) record: usize,
    pub(super) line: usize,
}

impl At {
    /// An error in this record.
    pub(super) fn error(self, message: impl std::fmt::Display) -> ImportError {
        ImportError::Record {
            format: self.format,
            record: self.record,
            line: self.line,
            message: message.to_string(),
        }
    }

    /// The record holds more of `what` than `limit`.
    pub(super) fn too_large(self, what: &'static str, limit: usize) -> ImportError {
        ImportError::TooLarge {
            format: self.format,
            record: self.record,
            line: self.line,
            what,
            limit,
        }
    }
}

/// Calls `each` with every record of `text`, parsed as `T`, in order.
pub(super) fn for_each<'a, T, F>(
    format: ImportFormat,
    text: &'a str,
    mut each: F,
) -> Result<(), ImportError>
where
    T: serde::Deserialize<'a>,
    F: FnMut(At, T) -> Result<(), ImportError>,
{
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    let array = bytes.get(pos) == Some(&b'[');
    if array {
        pos = skip_ws(bytes, pos + 1);
    }
    let mut line_at = LineCounter::default();
    let mut record = 0;
    loop {
        if pos >= bytes.len() {
            if array {
                let line = line_at.line(bytes, pos);
                return Err(At {
                    format,
                    record: record + 1,
                    line,
                }
                .error("the array is not closed"));
            }
            return Ok(());
        }
        if array && bytes[pos] == b']' && record == 0 {
            return trailing(format, bytes, pos + 1, &mut line_at, record);
        }
        record += 1;
        let at = At {
            format,
            record,
            line: line_at.line(bytes, pos),
        };
        if record > MAX_RECORDS {
            return Err(at.too_large("the number of records", MAX_RECORDS));
        }
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<T>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                // serde_json's line is relative to where this record's parse began.
                let line = at.line + e.line().saturating_sub(1);
                return Err(At { line, ..at }.error(e));
            }
            None => return Ok(()),
        };
        pos += stream.byte_offset();
        each(at, value)?;
        pos = skip_ws(bytes, pos);
        if array {
            match bytes.get(pos) {
                Some(b',') => pos = skip_ws(bytes, pos + 1),
                Some(b']') => return trailing(format, bytes, pos + 1, &mut line_at, record),
                None => return Err(at.error("the array is not closed after this record")),
                Some(_) => {
                    let line = line_at.line(bytes, pos);
                    return Err(At { line, ..at }.error("expected `,` or `]` after the record"));
                }
            }
        }
    }
}

/// Only whitespace may follow the closing `]`.
fn trailing(
    format: ImportFormat,
    bytes: &[u8],
    pos: usize,
    line_at: &mut LineCounter,
    record: usize,
) -> Result<(), ImportError> {
    let pos = skip_ws(bytes, pos);
    if pos < bytes.len() {
        let line = line_at.line(bytes, pos);
        return Err(At {
            format,
            record: record + 1,
            line,
        }
        .error("text after the closing `]`"));
    }
    Ok(())
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// Line numbers of increasing offsets, counted once over the text.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: usize,
}

impl LineCounter {
    #[expect(
        clippy::naive_bytecount,
        reason = "counted once over the text; not worth a dependency"
    )]
    fn line(&mut self, bytes: &[u8], pos: usize) -> usize {
        let pos = pos.min(bytes.len());
        if pos >= self.pos {
            self.line += bytes[self.pos..pos].iter().filter(|&&b| b == b'\n').count();
            self.pos = pos;
        }
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Result<Vec<(usize, usize, u32)>, ImportError> {
        let mut out = Vec::new();
        for_each::<u32, _>(ImportFormat::Atlas, text, |at, v| {
            out.push((at.record, at.line, v));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn arrays_and_lines() {
        assert_eq!(
            numbers("[1,\n 2 ,\n\n3]\n").unwrap(),
            [(1, 1, 1), (2, 2, 2), (3, 4, 3)]
        );
        assert_eq!(
            numbers("1\n2\n\n3").unwrap(),
            [(1, 1, 1), (2, 2, 2), (3, 4, 3)]
        );
        assert_eq!(numbers(" [ ] ").unwrap(), []);
        assert_eq!(numbers("").unwrap(), []);
    }

    #[test]
    fn errors_name_record_and_line() {
        let at = |e: &ImportError| match e {
            ImportError::Record { record, line, .. } => (*record, *line),
            other => panic!("{other}"),
        };
        let e = numbers("[1,\n2,\n\"x\"]").unwrap_err();
        assert_eq!(at(&e), (3, 3), "{e}");
        let e = numbers("[1,2").unwrap_err();
        assert!(matches!(e, ImportError::Record { record: 2, .. }), "{e}");
        assert!(e.to_string().contains("not closed"), "{e}");
        let e = numbers("[1,").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
        let e = numbers("[1] 2").unwrap_err();
        assert!(e.to_string().contains("after the closing"), "{e}");
        let e = numbers("[1 2]").unwrap_err();
        assert!(e.to_string().contains("expected `,`"), "{e}");
        let e = numbers("1\n2\n{").unwrap_err();
        assert_eq!(at(&e), (3, 3), "{e}");
    }
}
