//! Line parsers for the text tables: ip-location-db CSV, iptoasn TSV and pyasn `.dat`.
//!
//! Hand-written and allocation-free per line: a row borrows its line, and a quoted name is
//! unescaped into a scratch buffer that the caller reuses.

use std::io::BufRead;
use std::path::Path;

use crate::{AsnError, CountryCode};

/// The longest line accepted; longer lines are malformed (and never buffered whole).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The layout of a text table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeFormat {
    /// ip-location-db `asn` CSV: `start,end,asn,org`, bounds as dotted IPv4, IPv6 or decimal
    /// integers, `org` optionally quoted (RFC 4180, `""` for a quote). An unquoted `org`
    /// extends to the end of the line. A header line is skipped.
    Csv,
    /// iptoasn TSV: `range_start<TAB>range_end<TAB>AS_number<TAB>country_code<TAB>AS_description`.
    /// Rows with AS 0 (`Not routed`) are gaps.
    IptoasnTsv,
    /// pyasn `.dat`: `prefix<TAB>asn` lines, `;` comments. Overlapping prefixes resolve by
    /// longest-prefix match.
    Pyasn,
}

/// The address span of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    V4(u32, u32),
    V6(u128, u128),
}

/// One parsed row; its name (if any) is in the caller's scratch buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) span: Span,
    pub(crate) asn: u32,
    pub(crate) has_name: bool,
    pub(crate) country: Option<CountryCode>,
}

/// Reads lines with a bound on their length, reusing one buffer.
pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: u64,
}

/// A line that could not be read.
#[derive(Debug)]
pub(crate) enum LineError {
    Io(std::io::Error),
    TooLong,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(256),
            line_no: 0,
        }
    }

    /// The number of the line last returned (1-based).
    pub(crate) fn line_no(&self) -> u64 {
        self.line_no
    }

    /// The next line without its `\n` / `\r\n`, or `None` at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        self.buf.clear();
        let mut saw_any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if avail.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if self.buf.len() + take > MAX_LINE {
                self.line_no += 1;
                return Err(LineError::TooLong);
            }
            self.buf.extend_from_slice(&avail[..take]);
            self.inner.consume(if done { take + 1 } else { take });
            if done {
                break;
            }
        }
        self.line_no += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(&self.buf))
    }
}

/// Feeds every line of `reader` to `row`, which parses it and keeps what it holds: `Ok(true)`
/// for a row, `Ok(false)` for a blank or comment line. A first line that fails and looks like
/// a header is skipped when `header` allows one.
///
/// # Errors
///
/// [`AsnError::Io`] for a read error, [`AsnError::Malformed`] with the line number for an
/// over-long line or `row`'s error, and [`AsnError::EmptyDatabase`] when no line was a row
/// (an empty file, or only a header or comments, is almost always a failed download;
/// answering "not found" for every address would hide that).
pub(crate) fn for_each_row(
    reader: impl BufRead,
    path: &Path,
    header: bool,
    mut row: impl FnMut(&[u8]) -> Result<bool, String>,
) -> Result<(), AsnError> {
    let mut lines = Lines::new(reader);
    let malformed = |line: u64, reason: String| AsnError::Malformed {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut rows = 0u64;
    loop {
        let line_no = lines.line_no() + 1;
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(LineError::Io(source)) => {
                return Err(AsnError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
            Err(LineError::TooLong) => {
                return Err(malformed(
                    lines.line_no(),
                    format!("line longer than {MAX_LINE} bytes"),
                ));
            }
        };
        match row(line) {
            Ok(true) => rows += 1,
            Ok(false) => {}
            Err(_) if header && line_no == 1 && looks_like_header(line) => {}
            Err(reason) => return Err(malformed(line_no, reason)),
        }
    }
    if rows == 0 {
        return Err(AsnError::EmptyDatabase {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// Parses one line. `Ok(None)` for blank and comment lines.
pub(crate) fn parse_line(
    format: RangeFormat,
    line: &[u8],
    name: &mut Vec<u8>,
) -> Result<Option<Row>, String> {
    name.clear();
    let line = trim(line);
    if line.is_empty() {
        return Ok(None);
    }
    match format {
        RangeFormat::Csv => {
            if line[0] == b'#' {
                return Ok(None);
            }
            parse_csv(line, name).map(Some)
        }
        RangeFormat::IptoasnTsv => {
            if line[0] == b'#' {
                return Ok(None);
            }
            parse_tsv(line, name).map(Some)
        }
        RangeFormat::Pyasn => {
            if line[0] == b';' || line[0] == b'#' {
                return Ok(None);
            }
            parse_pyasn(line).map(Some)
        }
    }
}

/// Whether a first line that failed to parse looks like a header row.
pub(crate) fn looks_like_header(line: &[u8]) -> bool {
    let first = line
        .split(|&b| b == b',' || b == b'\t')
        .next()
        .unwrap_or_default();
    let first = trim(first);
    !first.is_empty()
        && first
            .iter()
            .all(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b' ' || *b == b'"')
        && !first.contains(&b':')
}

fn parse_csv(line: &[u8], name: &mut Vec<u8>) -> Result<Row, String> {
    let (start, rest) = split_once(line, b',').ok_or("expected start,end,asn[,org]")?;
    let (end, rest) = split_once(rest, b',').ok_or("expected start,end,asn[,org]")?;
    let (asn, org) = match split_once(rest, b',') {
        Some((a, o)) => (a, Some(o)),
        None => (rest, None),
    };
    let span = parse_span(trim(start), trim(end))?;
    let asn = parse_asn(trim(asn))?;
    let mut has_name = false;
    if let Some(org) = org {
        let org = trim(org);
        if org.first() == Some(&b'"') {
            unquote(org, name)?;
        } else {
            name.extend_from_slice(org);
        }
        has_name = !name.is_empty();
    }
    Ok(Row {
        span,
        asn,
        has_name,
        country: None,
    })
}

/// RFC 4180 field: `"..."` with `""` for a quote; only white space may follow.
fn unquote(field: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut i = 1;
    loop {
        let Some(rel) = memchr::memchr(b'"', &field[i..]) else {
            return Err("unterminated quoted field".into());
        };
        out.extend_from_slice(&field[i..i + rel]);
        i += rel + 1;
        if field.get(i) == Some(&b'"') {
            out.push(b'"');
            i += 1;
        } else {
            if !trim(&field[i..]).is_empty() {
                return Err("text after the closing quote".into());
            }
            return Ok(());
        }
    }
}

fn parse_tsv(line: &[u8], name: &mut Vec<u8>) -> Result<Row, String> {
    const SHAPE: &str =
        "expected range_start<TAB>range_end<TAB>AS_number<TAB>country_code<TAB>AS_description";
    let (start, rest) = split_once(line, b'\t').ok_or(SHAPE)?;
    let (end, rest) = split_once(rest, b'\t').ok_or(SHAPE)?;
    let (asn, rest) = split_once(rest, b'\t').ok_or(SHAPE)?;
    let (cc, desc) = match split_once(rest, b'\t') {
        Some((c, d)) => (c, d),
        None => (rest, &b""[..]),
    };
    let span = parse_span(trim(start), trim(end))?;
    let asn = parse_asn(trim(asn))?;
    let country = CountryCode::from_bytes(trim(cc));
    let desc = trim(desc);
    if asn != 0 && !desc.is_empty() && !desc.eq_ignore_ascii_case(b"Not routed") {
        name.extend_from_slice(desc);
    }
    Ok(Row {
        span,
        asn,
        has_name: !name.is_empty(),
        country,
    })
}

fn parse_pyasn(line: &[u8]) -> Result<Row, String> {
    let mut fields = line
        .split(|b| *b == b'\t' || *b == b' ')
        .filter(|f| !f.is_empty());
    let prefix = fields.next().ok_or("expected prefix<TAB>asn")?;
    let asn = fields.next().ok_or("expected prefix<TAB>asn")?;
    if fields.next().is_some() {
        return Err("expected exactly two fields: prefix<TAB>asn".into());
    }
    let (addr, len) = split_once(prefix, b'/').ok_or("prefix without /length")?;
    let len = parse_dec(len)
        .filter(|l| *l <= 128)
        .ok_or("bad prefix length")? as u8;
    let span = match parse_addr(addr)? {
        Addr::V4(a) => {
            let (lo, hi) = super::prefix_bounds(a, len).ok_or("IPv4 prefix length over 32")?;
            Span::V4(lo, hi)
        }
        Addr::V6(a) => {
            let (lo, hi) = super::prefix_bounds(a, len).ok_or("IPv6 prefix length over 128")?;
            Span::V6(lo, hi)
        }
        Addr::Int(_) => return Err("prefix address must be dotted IPv4 or IPv6".into()),
    };
    Ok(Row {
        span,
        asn: parse_asn(asn)?,
        has_name: false,
        country: None,
    })
}

enum Addr {
    V4(u32),
    V6(u128),
    Int(u128),
}

fn parse_addr(f: &[u8]) -> Result<Addr, String> {
    if f.contains(&b':') {
        let s = std::str::from_utf8(f).map_err(|_| "address is not UTF-8")?;
        s.parse::<std::net::Ipv6Addr>()
            .map(|a| Addr::V6(u128::from(a)))
            .map_err(|_| format!("bad IPv6 address {:?}", truncate(s)))
    } else if f.contains(&b'.') {
        parse_v4(f).map(Addr::V4).ok_or_else(|| {
            format!(
                "bad IPv4 address {:?}",
                truncate(&String::from_utf8_lossy(f))
            )
        })
    } else {
        parse_dec(f)
            .map(Addr::Int)
            .ok_or_else(|| format!("bad address {:?}", truncate(&String::from_utf8_lossy(f))))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

pub(crate) fn parse_span(start: &[u8], end: &[u8]) -> Result<Span, String> {
    let span = match (parse_addr(start)?, parse_addr(end)?) {
        (Addr::V4(a), Addr::V4(b)) => Span::V4(a, b),
        (Addr::V6(a), Addr::V6(b)) => Span::V6(a, b),
        (Addr::Int(a), Addr::Int(b)) => match (u32::try_from(a), u32::try_from(b)) {
            (Ok(a), Ok(b)) => Span::V4(a, b),
            _ => Span::V6(a, b),
        },
        _ => return Err("start and end are of different address families".into()),
    };
    match span {
        Span::V4(a, b) if a > b => Err("range start is after its end".into()),
        Span::V6(a, b) if a > b => Err("range start is after its end".into()),
        s => Ok(s),
    }
}

fn parse_asn(f: &[u8]) -> Result<u32, String> {
    let digits = match f {
        [b'A' | b'a', b'S' | b's', rest @ ..] => rest,
        _ => f,
    };
    parse_dec(digits)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("bad AS number {:?}", truncate(&String::from_utf8_lossy(f))))
}

/// Dotted-quad IPv4, four decimal octets.
pub(crate) fn parse_v4(f: &[u8]) -> Option<u32> {
    let mut out = 0u32;
    let mut octets = 0;
    for part in f.split(|b| *b == b'.') {
        if part.is_empty() || part.len() > 3 || octets == 4 {
            return None;
        }
        let mut v = 0u32;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        if v > 255 {
            return None;
        }
        out = (out << 8) | v;
        octets += 1;
    }
    (octets == 4).then_some(out)
}

/// A decimal integer that fits in `u128`.
fn parse_dec(f: &[u8]) -> Option<u128> {
    if f.is_empty() || f.len() > 39 {
        return None;
    }
    let mut v = 0u128;
    for &b in f {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
    }
    Some(v)
}

fn split_once(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    memchr::memchr(sep, s).map(|i| (&s[..i], &s[i + 1..]))
}

pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(line: &str) -> Result<(Row, String), String> {
        let mut name = Vec::new();
        let row = parse_line(RangeFormat::Csv, line.as_bytes(), &mut name)?.expect("a row");
        Ok((row, String::from_utf8(name).unwrap()))
    }

    #[test]
    fn csv_rows() {
        let (r, n) = csv("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"").unwrap();
        assert_eq!(r.span, Span::V4(0x0100_0000, 0x0100_00ff));
        assert_eq!(r.asn, 13335);
        assert_eq!(n, "Cloudflare, Inc.");
        let (_, n) = csv("1.0.0.0,1.0.0.255,1,\"Say \"\"hi\"\", ok\"").unwrap();
        assert_eq!(n, "Say \"hi\", ok");
        let (_, n) = csv("1.0.0.0,1.0.0.255,1,Plain, with comma").unwrap();
        assert_eq!(n, "Plain, with comma");
        let (r, n) = csv("2001::,2001::ffff,6939,Hurricane Electric LLC\r").unwrap();
        assert_eq!(r.span, Span::V6(0x2001 << 112, (0x2001 << 112) | 0xffff));
        assert_eq!(n, "Hurricane Electric LLC");
        let (r, _) = csv("16777216,16777471,13335,x").unwrap();
        assert_eq!(r.span, Span::V4(16_777_216, 16_777_471));
        let (r, _) = csv(
            "42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,x",
        )
        .unwrap();
        assert!(matches!(r.span, Span::V6(..)));
        let (r, _) = csv("1.2.3.4,1.2.3.4,AS64500").unwrap();
        assert_eq!((r.asn, r.has_name), (64500, false));
        let mut name = Vec::new();
        assert_eq!(parse_line(RangeFormat::Csv, b"  ", &mut name), Ok(None));
        assert_eq!(
            parse_line(RangeFormat::Csv, b"# comment", &mut name),
            Ok(None)
        );
    }

    #[test]
    fn csv_errors() {
        for bad in [
            "1.0.0.0",
            "1.0.0.0,1.0.0.255",
            "1.0.0.256,1.0.1.0,1,x",
            "1.0.0.0.0,1.0.1.0,1,x",
            "1.0.1.0,1.0.0.0,1,x",
            "1.0.0.0,::1,1,x",
            "1.0.0.0,1.0.0.1,4294967296,x",
            "1.0.0.0,1.0.0.1,-1,x",
            "1.0.0.0,1.0.0.1,1,\"open",
            "1.0.0.0,1.0.0.1,1,\"closed\" junk",
            "zz::,1.0.0.1,1,x",
            "99999999999999999999999999999999999999999,1,1,x",
        ] {
            assert!(csv(bad).is_err(), "{bad:?} should be an error");
        }
    }

    #[test]
    fn tsv_rows() {
        let mut name = Vec::new();
        let r = parse_line(
            RangeFormat::IptoasnTsv,
            b"1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET",
            &mut name,
        )
        .unwrap()
        .unwrap();
        assert_eq!((r.asn, r.country.unwrap().as_str()), (13335, "US"));
        assert_eq!(name, b"CLOUDFLARENET");
        let r = parse_line(
            RangeFormat::IptoasnTsv,
            b"0.0.0.0\t0.255.255.255\t0\tNone\tNot routed",
            &mut name,
        )
        .unwrap()
        .unwrap();
        assert_eq!((r.asn, r.country, r.has_name), (0, None, false));
        assert!(
            parse_line(
                RangeFormat::IptoasnTsv,
                b"1.0.0.0 1.0.0.255 13335 US X",
                &mut name
            )
            .is_err()
        );
    }

    #[test]
    fn pyasn_rows() {
        let mut name = Vec::new();
        let r = parse_line(RangeFormat::Pyasn, b"1.0.0.0/24\t13335", &mut name)
            .unwrap()
            .unwrap();
        assert_eq!(r.span, Span::V4(0x0100_0000, 0x0100_00ff));
        let r = parse_line(RangeFormat::Pyasn, b"1.0.0.9/24\t13335", &mut name)
            .unwrap()
            .unwrap();
        assert_eq!(
            r.span,
            Span::V4(0x0100_0000, 0x0100_00ff),
            "host bits are masked"
        );
        let r = parse_line(RangeFormat::Pyasn, b"2001:db8::/32\t64500", &mut name)
            .unwrap()
            .unwrap();
        assert!(matches!(r.span, Span::V6(..)));
        assert_eq!(
            parse_line(RangeFormat::Pyasn, b"; IP-ASN32-DAT file", &mut name),
            Ok(None)
        );
        for bad in [
            "1.0.0.0\t1",
            "1.0.0.0/33\t1",
            "1.0.0.0/24",
            "1.0.0.0/24\t1\t2",
            "16777216/8\t1",
        ] {
            assert!(
                parse_line(RangeFormat::Pyasn, bad.as_bytes(), &mut name).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn lines_are_bounded() {
        let long = vec![b'a'; MAX_LINE + 10];
        let mut data = b"first\r\n".to_vec();
        data.extend_from_slice(&long);
        let mut lines = Lines::new(&data[..]);
        assert_eq!(lines.next_line().unwrap(), Some(&b"first"[..]));
        assert!(matches!(lines.next_line(), Err(LineError::TooLong)));
        assert_eq!(lines.line_no(), 2);
        let mut lines = Lines::new(&b"a\nb"[..]);
        assert_eq!(lines.next_line().unwrap(), Some(&b"a"[..]));
        assert_eq!(lines.next_line().unwrap(), Some(&b"b"[..]));
        assert_eq!(lines.next_line().unwrap(), None);
    }

    proptest::proptest! {
        #[test]
        fn quoted_names_round_trip(name in "[^\r\n]{0,40}", a: u32, b: u32, asn: u32) {
            let (lo, hi) = (a.min(b), a.max(b));
            let line = format!(
                "{},{},{asn},\"{}\"",
                std::net::Ipv4Addr::from(lo),
                std::net::Ipv4Addr::from(hi),
                name.replace('"', "\"\"")
            );
            let mut out = Vec::new();
            let row = parse_line(RangeFormat::Csv, line.as_bytes(), &mut out).unwrap().unwrap();
            proptest::prop_assert_eq!(row.span, Span::V4(lo, hi));
            proptest::prop_assert_eq!(row.asn, asn);
            // Surrounding white space is trimmed from the field before unquoting only.
            proptest::prop_assert_eq!(out, name.as_bytes());
        }

        #[test]
        fn no_line_panics(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut out = Vec::new();
            for format in [RangeFormat::Csv, RangeFormat::IptoasnTsv, RangeFormat::Pyasn] {
                let _ = parse_line(format, &line, &mut out);
            }
        }
    }

    #[test]
    fn headers() {
        assert!(looks_like_header(b"start,end,asn,org"));
        assert!(looks_like_header(b"range_start\trange_end"));
        assert!(!looks_like_header(b"fe80::,fe80::1,1,x"));
        assert!(!looks_like_header(b"1.0.0.0,1.0.0.1,1,x"));
    }
}
