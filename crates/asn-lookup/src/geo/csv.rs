//! The line parser of ip-location-db's geography CSV tables: `country` tables
//! (`ip_range_start,ip_range_end,country_code`) and `city` tables
//! (`ip_range_start,ip_range_end,country_code,state1,state2,city,postcode,latitude,longitude,timezone`),
//! with the bounds as addresses or, in the `-num` files, as decimal integers.
//!
//! Allocation-free per line once warm: the fields are unquoted into buffers the caller reuses.

use crate::CountryCode;
use crate::parse::{Span, parse_span, trim};

/// The most fields a line may have (a city row has 10).
pub(super) const MAX_FIELDS: usize = 16;

/// The fields of a row, in order: start, end, country, then the city table's.
const COUNTRY: usize = 2;
const REGION: usize = 3;
const CITY: usize = 5;
const LATITUDE: usize = 7;
const LONGITUDE: usize = 8;

/// One parsed row; its texts are in the caller's [`Fields`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct GeoRow {
    pub(super) span: Span,
    /// `None`: the row is a hole (no country, or `ZZ`).
    pub(super) country: Option<CountryCode>,
    pub(super) coords: Option<(f64, f64)>,
}

/// The unquoted fields of the last line parsed.
#[derive(Debug, Default)]
pub(super) struct Fields {
    bufs: Vec<Vec<u8>>,
    len: usize,
}

impl Fields {
    /// Field `i`, empty when the line has fewer.
    pub(super) fn get(&self, i: usize) -> &[u8] {
        if i < self.len { &self.bufs[i] } else { &[] }
    }

    /// The region (`state1`) of a city row.
    pub(super) fn region(&self) -> &[u8] {
        self.get(REGION)
    }

    /// The city of a city row.
    pub(super) fn city(&self) -> &[u8] {
        self.get(CITY)
    }

    fn next(&mut self) -> Result<&mut Vec<u8>, String> {
        if self.len == MAX_FIELDS {
            return Err(format!("more than {MAX_FIELDS} fields"));
        }
        if self.bufs.len() == self.len {
            self.bufs.push(Vec::new());
        }
        let f = &mut self.bufs[self.len];
        f.clear();
        self.len += 1;
        Ok(f)
    }

    /// Splits a line into RFC 4180 fields: `"..."` with `""` for a quote, white space around
    /// a field trimmed.
    fn split(&mut self, line: &[u8]) -> Result<(), String> {
        self.len = 0;
        let mut rest = line;
        loop {
            let field = self.next()?;
            let t = trim(rest);
            if t.first() == Some(&b'"') {
                let mut i = 1;
                loop {
                    let Some(rel) = memchr::memchr(b'"', &t[i..]) else {
                        return Err("unterminated quoted field".into());
                    };
                    field.extend_from_slice(&t[i..i + rel]);
                    i += rel + 1;
                    if t.get(i) == Some(&b'"') {
                        field.push(b'"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                let after = trim(&t[i..]);
                match after.split_first() {
                    None => return Ok(()),
                    Some((b',', more)) => rest = more,
                    Some(_) => return Err("text after the closing quote".into()),
                }
            } else if let Some(i) = memchr::memchr(b',', rest) {
                field.extend_from_slice(trim(&rest[..i]));
                rest = &rest[i + 1..];
            } else {
                field.extend_from_slice(t);
                return Ok(());
            }
        }
    }
}

/// Parses one line into `fields`. `Ok(None)` for blank and `#` comment lines.
pub(super) fn parse_geo_line(line: &[u8], fields: &mut Fields) -> Result<Option<GeoRow>, String> {
    let line = trim(line);
    if line.is_empty() || line[0] == b'#' {
        return Ok(None);
    }
    fields.split(line)?;
    if fields.len < 3 {
        return Err(
            "expected ip_range_start,ip_range_end,country_code[,state1,state2,city,...]".into(),
        );
    }
    let span = parse_span(fields.get(0), fields.get(1))?;
    let cc = fields.get(COUNTRY);
    let country = match CountryCode::alpha2(cc) {
        Some(c) => Some(c),
        None if cc.is_empty() || cc.eq_ignore_ascii_case(b"ZZ") || cc == b"-" => None,
        None if cc.iter().all(u8::is_ascii_digit) => {
            return Err(
                "the third field is a number: this is an AS table, not a geography table".into(),
            );
        }
        None => {
            return Err(format!(
                "bad country code {:?}",
                String::from_utf8_lossy(&cc[..cc.len().min(16)])
            ));
        }
    };
    let coord = |i: usize, what: &str| -> Result<Option<f64>, String> {
        let f = fields.get(i);
        if f.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(f)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "bad {what} {:?}",
                    String::from_utf8_lossy(&f[..f.len().min(24)])
                )
            })
    };
    let coords = match (coord(LATITUDE, "latitude")?, coord(LONGITUDE, "longitude")?) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        _ => None,
    };
    Ok(Some(GeoRow {
        span,
        country,
        coords,
    }))
}

/// Whether a line is a geography row rather than an AS row or something else: its third
/// field is a two-letter code, or empty (a hole). For the detection of a file's format.
pub(super) fn looks_like_geo(line: &[u8]) -> bool {
    let mut fields = Fields::default();
    parse_geo_line(line, &mut fields).is_ok_and(|r| r.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: &str) -> Result<(GeoRow, Fields), String> {
        let mut f = Fields::default();
        let r = parse_geo_line(line.as_bytes(), &mut f)?.expect("a row");
        Ok((r, f))
    }

    #[test]
    fn country_and_city_rows() {
        let (r, _) = row("1.0.0.0,1.0.0.255,AU").unwrap();
        assert_eq!(r.span, Span::V4(0x0100_0000, 0x0100_00ff));
        assert_eq!(r.country.unwrap().as_str(), "AU");
        assert_eq!(r.coords, None);
        let (r, f) = row(
            "1.0.0.0,1.0.0.255,AU,Queensland,,South Brisbane,4101,-27.4766,153.0166,Australia/Brisbane",
        )
        .unwrap();
        assert_eq!(f.region(), b"Queensland");
        assert_eq!(f.city(), b"South Brisbane");
        assert_eq!(r.coords, Some((-27.4766, 153.0166)));
        let (r, f) = row(
            "2001:db8::,2001:db8::ffff,DE,\"Land \"\"Berlin\"\"\",,\"Berlin, Mitte\",,52.5,13.4,",
        )
        .unwrap();
        assert!(matches!(r.span, Span::V6(..)));
        assert_eq!(f.region(), b"Land \"Berlin\"");
        assert_eq!(f.city(), b"Berlin, Mitte");
        // The -num files give the bounds as integers.
        let (r, _) = row("16777216,16777471,au").unwrap();
        assert_eq!(r.span, Span::V4(16_777_216, 16_777_471));
        assert_eq!(r.country.unwrap().as_str(), "AU");
        let (r, _) = row("1.0.0.0,1.0.0.255,").unwrap();
        assert_eq!(r.country, None, "an empty country is a hole");
        let (r, _) = row("1.0.0.0,1.0.0.255,NA").unwrap();
        assert_eq!(r.country.unwrap().as_str(), "NA", "Namibia");
        let mut f = Fields::default();
        assert_eq!(parse_geo_line(b" # comment", &mut f), Ok(None));
        assert_eq!(parse_geo_line(b"", &mut f), Ok(None));
    }

    #[test]
    fn bad_rows() {
        for bad in [
            "1.0.0.0,1.0.0.255",
            "1.0.0.0,1.0.0.255,13335,Cloudflare",
            "1.0.0.0,1.0.0.255,USA",
            "1.0.1.0,1.0.0.0,US",
            "1.0.0.0,::1,US",
            "1.0.0.0,1.0.0.1,US,a,b,c,d,north,8.6",
            "1.0.0.0,1.0.0.1,US,\"open",
            "1.0.0.0,1.0.0.1,US,\"closed\" junk",
            "1.0.0.0,1.0.0.1,US,,,,,,,,,,,,,,,,,,",
        ] {
            assert!(row(bad).is_err(), "{bad:?} should be an error");
        }
        assert!(!looks_like_geo(b"1.0.0.0,1.0.0.255,13335,Cloudflare"));
        assert!(looks_like_geo(b"1.0.0.0,1.0.0.255,JP"));
    }

    proptest::proptest! {
        #[test]
        fn no_line_panics(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut f = Fields::default();
            let _ = parse_geo_line(&line, &mut f);
        }

        #[test]
        fn quoted_cities_round_trip(city in "[^\r\n]{0,40}", a: u32, b: u32) {
            let (lo, hi) = (a.min(b), a.max(b));
            let line = format!(
                "{},{},FR,,,\"{}\",,,,",
                std::net::Ipv4Addr::from(lo),
                std::net::Ipv4Addr::from(hi),
                city.replace('"', "\"\"")
            );
            let (r, f) = row(&line).unwrap();
            proptest::prop_assert_eq!(r.span, Span::V4(lo, hi));
            proptest::prop_assert_eq!(f.city(), city.as_bytes());
        }
    }
}
