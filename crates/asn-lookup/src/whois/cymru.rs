//! Team Cymru bulk whois: the query and the reply parser (sans-IO).
//!
//! Query: `begin`, `verbose`, one address (or `AS<n>`) per line, `end`. Reply: a
//! `Bulk mode; whois.cymru.com [...]` line, a header, then one `|`-separated line per answer:
//! `AS | IP | BGP Prefix | CC | Registry | Allocated | AS Name` (verbose) or `AS | IP | AS Name`,
//! with `NA` where there is no data, and `Error: ...` lines for input it could not read. AS
//! queries answer `AS | CC | Registry | Allocated | AS Name`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::{AsInfo, AsName, CountryCode, IpRange, Resolution, Source};

/// The bulk query for `ips`.
pub(crate) fn bulk_query(ips: &[IpAddr]) -> Vec<u8> {
    let mut q = String::from("begin\nverbose\n");
    for ip in ips {
        let _ = writeln!(q, "{ip}");
    }
    q.push_str("end\n");
    q.into_bytes()
}

/// The bulk query for AS names.
pub(crate) fn names_query(asns: &[u32]) -> Vec<u8> {
    let mut q = String::from("begin\nverbose\n");
    for asn in asns {
        let _ = writeln!(q, "AS{asn}");
    }
    q.push_str("end\n");
    q.into_bytes()
}

fn fields(line: &str) -> Vec<&str> {
    line.split('|').map(str::trim).collect()
}

fn is_noise(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("Bulk mode")
        || l.starts_with("Error:")
        || l.starts_with('%')
        || l.starts_with('#')
}

/// Parses a bulk reply into one answer per queried address (in the order of `ips`). `Err` when
/// the reply has no recognisable line at all, or leaves a queried address unanswered (a reply
/// cut short).
pub(crate) fn parse_bulk(reply: &[u8], ips: &[IpAddr]) -> Result<Vec<Resolution>, String> {
    let text = String::from_utf8_lossy(reply);
    let mut by_ip: HashMap<IpAddr, Resolution> = HashMap::new();
    let mut recognised = false;
    let mut error_lines = 0;
    for line in text.lines() {
        if line.trim_start().starts_with("Error:") {
            error_lines += 1;
        }
        if is_noise(line) {
            recognised |= line.trim_start().starts_with("Bulk mode")
                || line.trim_start().starts_with("Error:");
            continue;
        }
        let f = fields(line);
        if f.len() < 3 {
            continue;
        }
        if f[0].eq_ignore_ascii_case("AS") {
            recognised = true;
            continue;
        }
        let Ok(ip) = f[1].parse::<IpAddr>() else {
            continue;
        };
        let ip = ip.to_canonical();
        recognised = true;
        if by_ip.contains_key(&ip) {
            // Several origins (MOAS): keep the first.
            continue;
        }
        let res = if f[0].eq_ignore_ascii_case("NA") {
            Resolution::NotRouted { special: None }
        } else if let Ok(asn) = f[0].parse::<u32>() {
            let (prefix, cc, registry, name) = if f.len() >= 7 {
                (Some(f[2]), Some(f[3]), Some(f[4]), f[6..].join("|"))
            } else {
                (None, None, None, f[2..].join("|"))
            };
            let range = prefix
                .and_then(parse_prefix)
                .filter(|r| r.contains(ip))
                .or_else(|| IpRange::new(ip, ip))
                .unwrap_or(IpRange::v4(0, 0));
            if asn == 0 {
                Resolution::NotRouted { special: None }
            } else {
                Resolution::Found(
                    AsInfo::new(asn, range, Source::Cymru)
                        .with_name(if name == "NA" {
                            None
                        } else {
                            AsName::new(&name)
                        })
                        .with_country(cc.and_then(CountryCode::new))
                        .with_registry(registry),
                )
            }
        } else {
            Resolution::Unknown
        };
        by_ip.insert(ip, res);
    }
    if !recognised && !ips.is_empty() {
        return Err("reply has no Cymru bulk line".into());
    }
    // Bulk mode answers every address it is sent: a line for it (`NA` when unrouted) or an
    // `Error:` line. More missing than error lines means the reply was cut short, even by a
    // clean close.
    let mut distinct: Vec<IpAddr> = ips.iter().map(IpAddr::to_canonical).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let missing = distinct.iter().filter(|ip| !by_ip.contains_key(ip)).count();
    if missing > error_lines {
        return Err(format!(
            "reply ends before answering {missing} of {} addresses",
            distinct.len()
        ));
    }
    Ok(ips
        .iter()
        .map(|ip| {
            by_ip
                .get(&ip.to_canonical())
                .cloned()
                .unwrap_or(Resolution::Unknown)
        })
        .collect())
}

/// Parses the reply to an AS-name query: AS number to name.
pub(crate) fn parse_names(reply: &[u8]) -> HashMap<u32, AsName> {
    let text = String::from_utf8_lossy(reply);
    let mut out = HashMap::new();
    for line in text.lines() {
        if is_noise(line) {
            continue;
        }
        let f = fields(line);
        if f.len() < 2 {
            continue;
        }
        let Some(asn) = f[0].strip_prefix("AS").unwrap_or(f[0]).parse::<u32>().ok() else {
            continue;
        };
        let name = if f.len() >= 5 {
            f[4..].join("|")
        } else {
            f[f.len() - 1].to_owned()
        };
        if name != "NA"
            && let Some(n) = AsName::new(&name)
        {
            out.entry(asn).or_insert(n);
        }
    }
    out
}

pub(crate) fn parse_prefix(s: &str) -> Option<IpRange> {
    let (addr, len) = s.trim().split_once('/')?;
    IpRange::from_prefix(addr.parse().ok()?, len.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &[u8] = b"Bulk mode; whois.cymru.com [2026-11-28 23:00:00 +0000]\n\
AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n\
15169   | 8.8.8.8          | 8.8.8.0/24          | US | arin     | 1992-12-01 | GOOGLE, US\n\
NA      | 100.0.0.1        | NA                  | NA | NA       | NA         | NA\n\
13335   | 2606:4700::1111  | 2606:4700::/32      | US | arin     | 2011-11-01 | CLOUDFLARENET, US\n\
3356    | 4.2.2.2          | 4.0.0.0/9           | US | arin     | 1992-12-01 | LEVEL3\x1b[0m, US\n\
174     | 4.2.2.2          | 4.0.0.0/9           | US | arin     | 1992-12-01 | COGENT, US\n\
Error: no ASN or IP match on line 7.\n";

    #[test]
    fn bulk_reply() {
        let ips: Vec<IpAddr> = [
            "8.8.8.8",
            "100.0.0.1",
            "2606:4700::1111",
            "4.2.2.2",
            "9.9.9.9",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let r = parse_bulk(REPLY, &ips).unwrap();
        // Cut after the header and two answers (a clean close): an error.
        let cut = REPLY
            .split(|&b| b == b'\n')
            .take(3)
            .collect::<Vec<_>>()
            .join(&b'\n');
        assert!(parse_bulk(&cut, &ips).is_err());
        let google = r[0].found().unwrap();
        assert_eq!(google.asn, 15169);
        assert_eq!(google.name.as_ref().unwrap().as_str(), "GOOGLE, US");
        assert_eq!(google.range.to_string(), "8.8.8.0/24");
        assert_eq!(google.country.unwrap().as_str(), "US");
        assert_eq!(google.registry.as_deref(), Some("arin"));
        assert_eq!(r[1], Resolution::NotRouted { special: None });
        assert_eq!(r[2].asn(), Some(13335));
        assert_eq!(r[3].asn(), Some(3356), "the first origin of a MOAS prefix");
        assert_eq!(
            r[3].found().unwrap().name.as_ref().unwrap().as_str(),
            "LEVEL3\u{fffd}[0m, US"
        );
        assert_eq!(r[4], Resolution::Unknown);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let ips = ["8.8.8.8".parse().unwrap()];
        assert!(parse_bulk(b"\xff\xfe garbage | | |\n|||||||\n", &ips).is_err());
        assert!(parse_bulk(b"", &ips).is_err());
        assert_eq!(parse_bulk(b"", &[]).unwrap(), vec![]);
        // A line with a bad AS field is Unknown, not an error.
        let r = parse_bulk(
            b"Bulk mode; x\nAS|IP|x\nxyz | 8.8.8.8 | 8.8.8.0/99 | US\n",
            &ips,
        )
        .unwrap();
        assert_eq!(r, vec![Resolution::Unknown]);
    }

    #[test]
    fn names_reply() {
        let reply = b"Bulk mode; whois.cymru.com [x]\nAS      | CC | Registry | Allocated  | AS Name\n\
15169   | US | arin     | 2000-03-30 | GOOGLE, US\n23028   | US | arin     | 2002-01-04 | TEAM-CYMRU, US\n";
        let m = parse_names(reply);
        assert_eq!(m[&15169].as_str(), "GOOGLE, US");
        assert_eq!(m[&23028].as_str(), "TEAM-CYMRU, US");
        assert_eq!(names_query(&[1, 2]), b"begin\nverbose\nAS1\nAS2\nend\n");
        assert_eq!(
            bulk_query(&["1.2.3.4".parse().unwrap()]),
            b"begin\nverbose\n1.2.3.4\nend\n"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let ips = ["8.8.8.8".parse().unwrap(), "::1".parse().unwrap()];
            let _ = parse_bulk(&bytes, &ips);
            let _ = parse_names(&bytes);
        }
    }
}
