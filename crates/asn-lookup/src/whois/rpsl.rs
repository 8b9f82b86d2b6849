//! RPSL-style replies of RIPE RIS whois and RADB (sans-IO).
//!
//! Both answer an address query with `key: value` objects separated by blank lines and `%`
//! comment lines. RIS (`riswhois.ripe.net`) sends `route:`/`route6:`, `origin:`, `descr:`,
//! `lastupd-frst:`, `seen-at:`, `num-rispeers:`, `source: RISWHOIS`, or `% No entries found`.
//! RADB (`whois.radb.net`, `IRRd`) sends `route:`/`route6:`, `descr:`, `origin:`, `mnt-by:`,
//! `source:` objects, or `%  No entries found for the selected source(s).` (and `%ERROR:`
//! lines). An AS query to RADB answers an `aut-num:` object with `as-name:` and `descr:`.

use std::net::IpAddr;

use super::cymru::parse_prefix;
use crate::{AsInfo, AsName, IpRange, Resolution, Source};

/// One `route:`/`route6:` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) range: IpRange,
    pub(crate) origin: u32,
    pub(crate) descr: Option<AsName>,
}

/// Objects of a reply, as lists of (key, value) with continuation lines folded.
fn objects(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with('%') || line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t', '+']) {
            // RPSL continuation line.
            if let Some(last) = cur.last_mut()
                && last.1.len() < 4096
            {
                last.1.push(' ');
                last.1.push_str(line.trim_start_matches('+').trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            if !k.is_empty()
                && k.len() <= 32
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                cur.push((k.to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn parse_asn(v: &str) -> Option<u32> {
    let v = v.split_whitespace().next()?;
    let digits = v
        .strip_prefix("AS")
        .or_else(|| v.strip_prefix("as"))
        .unwrap_or(v);
    digits.parse().ok()
}

/// Every route object of a reply. An object with an `origin:` but no `route:` (RIS has
/// answered that way) covers just the queried address.
pub(crate) fn routes(reply: &[u8], ip: IpAddr) -> Vec<Route> {
    let text = String::from_utf8_lossy(reply);
    let mut out = Vec::new();
    for obj in objects(&text) {
        let get = |key: &str| obj.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let Some(origin) = get("origin").and_then(parse_asn) else {
            continue;
        };
        let range = match get("route").or_else(|| get("route6")) {
            Some(prefix) => parse_prefix(prefix),
            None => IpRange::new(ip, ip),
        };
        let Some(range) = range else {
            continue;
        };
        out.push(Route {
            range,
            origin,
            descr: get("descr").and_then(AsName::new),
        });
    }
    out
}

/// The most specific route containing `ip` as a resolution.
fn best(routes: &[Route], ip: IpAddr, source: Source) -> Option<Resolution> {
    routes
        .iter()
        .filter(|r| r.range.contains(ip) && r.origin != 0)
        .max_by_key(|r| r.range.prefix_len().unwrap_or(0))
        .map(|r| {
            Resolution::Found(AsInfo::new(r.origin, r.range, source).with_name(r.descr.clone()))
        })
}

fn says_no_entries(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with('%') && l.to_ascii_lowercase().contains("no entries found"))
}

fn is_comment_only(text: &str) -> bool {
    let mut any = false;
    for l in text.lines() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        if !l.starts_with('%') {
            return false;
        }
        any = true;
    }
    any
}

/// `Err` when a reply was cut short, even by a clean close: it does not end with a line break,
/// or its last object has no `source:` (the attribute RIS and `IRRd` print last in every object).
fn check_complete(reply: &[u8]) -> Result<(), String> {
    if reply.is_empty() {
        return Ok(());
    }
    if !reply.ends_with(b"\n") {
        return Err("reply ends in the middle of a line".into());
    }
    let text = String::from_utf8_lossy(reply);
    if let Some(last) = objects(&text).last()
        && !last.iter().any(|(k, _)| k == "source")
    {
        return Err("reply ends in the middle of an object (no source: line)".into());
    }
    Ok(())
}

/// A RIS reply for `ip`. `Err` for a reply that is neither objects nor `%` comments, or is cut
/// short.
pub(crate) fn parse_ris(reply: &[u8], ip: IpAddr) -> Result<Resolution, String> {
    check_complete(reply)?;
    let ip = ip.to_canonical();
    let routes = routes(reply, ip);
    if let Some(r) = best(&routes, ip, Source::Ris) {
        return Ok(r);
    }
    let text = String::from_utf8_lossy(reply);
    if says_no_entries(&text) || is_comment_only(&text) || !routes.is_empty() {
        // RIS sees every route its peers carry: no route is "not routed".
        return Ok(Resolution::NotRouted { special: None });
    }
    Err("reply has neither route objects nor comments".into())
}

/// A RADB reply for `ip`. `Err` for a reply that is neither objects nor `%` comments, or is
/// cut short.
pub(crate) fn parse_radb(reply: &[u8], ip: IpAddr) -> Result<Resolution, String> {
    check_complete(reply)?;
    let ip = ip.to_canonical();
    let routes = routes(reply, ip);
    if let Some(r) = best(&routes, ip, Source::Radb) {
        return Ok(r);
    }
    let text = String::from_utf8_lossy(reply);
    if says_no_entries(&text) || is_comment_only(&text) || !routes.is_empty() {
        // An IRR without a route object does not prove the address unrouted.
        return Ok(Resolution::Unknown);
    }
    Err("reply has neither route objects nor comments".into())
}

/// The name in a RADB `aut-num` reply for `asn`: `as-name:`, else `descr:`.
pub(crate) fn parse_aut_num(reply: &[u8], asn: u32) -> Option<AsName> {
    let text = String::from_utf8_lossy(reply);
    objects(&text).into_iter().find_map(|obj| {
        let get = |key: &str| obj.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        if get("aut-num").and_then(parse_asn) != Some(asn) {
            return None;
        }
        get("as-name")
            .or_else(|| get("descr"))
            .and_then(AsName::new)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIS: &[u8] = b"% This is RIPE NCC's Routing Information Service\n\
% whois gateway to collected BGP Routing Tables, version 2.0\n\
% IPv4 or IPv6 address to origin prefix match\n\
%\n\
% For more information visit http://www.ripe.net/ris/riswhois.html\n\
\n\
route:        193.0.0.0/21\n\
origin:       AS3333\n\
descr:        RIPE-NCC-AS Reseaux IP Europeens Network Coordination Centre (RIPE NCC), NL\n\
lastupd-frst: 2024-01-01 00:00Z  2001:7f8:1::a500:6939:1@rrc00\n\
lastupd-last: 2026-11-28 00:00Z  80.81.192.1@rrc12\n\
seen-at:      rrc00,rrc01,rrc03\n\
num-rispeers: 312\n\
source:       RISWHOIS\n\
\n";

    const RADB: &[u8] = b"route:      8.0.0.0/9\ndescr:      Level 3\norigin:     AS3356\nmnt-by:     LEVEL3-MNT\nsource:     LEVEL3\n\n\
route:      8.8.8.0/24\ndescr:      Google\n            continued\norigin:     AS15169\nmnt-by:     MAINT-AS15169\nsource:     RADB\n\n";

    #[test]
    fn ris_reply() {
        let r = parse_ris(RIS, "193.0.6.139".parse().unwrap()).unwrap();
        let info = r.found().unwrap();
        assert_eq!(info.asn, 3333);
        assert_eq!(info.range.to_string(), "193.0.0.0/21");
        assert!(
            info.name
                .as_ref()
                .unwrap()
                .as_str()
                .starts_with("RIPE-NCC-AS")
        );
        assert_eq!(info.source, Source::Ris);
        let none = b"% This is RIPE NCC's Routing Information Service\n\n% No entries found\n";
        assert_eq!(
            parse_ris(none, "1.2.3.4".parse().unwrap()).unwrap(),
            Resolution::NotRouted { special: None }
        );
        assert!(parse_ris(b"HTTP/1.1 400 Bad Request\r\n", "1.2.3.4".parse().unwrap()).is_err());
    }

    #[test]
    fn ris_reply_without_route_line() {
        let reply = b"% This is RIPE NCC's Routing Information Service\n\
% Connected to backend ris-whois15.ripe.net\n\n\
origin:       AS3333\ndescr:        RIPE-NCC-AS\nsource:       RISWHOIS\n";
        let r = parse_ris(reply, "193.0.0.1".parse().unwrap()).unwrap();
        let info = r.found().unwrap();
        assert_eq!(info.asn, 3333);
        assert_eq!(info.range.to_string(), "193.0.0.1/32");
    }

    #[test]
    fn radb_most_specific_wins() {
        let r = parse_radb(RADB, "8.8.8.8".parse().unwrap()).unwrap();
        let info = r.found().unwrap();
        assert_eq!(info.asn, 15169);
        assert_eq!(info.name.as_ref().unwrap().as_str(), "Google continued");
        let r = parse_radb(RADB, "8.1.1.1".parse().unwrap()).unwrap();
        assert_eq!(r.asn(), Some(3356));
        let none = b"%  No entries found for the selected source(s).\n";
        assert_eq!(
            parse_radb(none, "1.2.3.4".parse().unwrap()).unwrap(),
            Resolution::Unknown
        );
        let err = b"%ERROR:101: no entries found\n%\n% No entries found\n";
        assert_eq!(
            parse_radb(err, "1.2.3.4".parse().unwrap()).unwrap(),
            Resolution::Unknown
        );
        assert!(parse_radb(b"\x00\x01garbage", "1.2.3.4".parse().unwrap()).is_err());
    }

    #[test]
    fn aut_num() {
        let reply =
            b"aut-num:    AS15169\nas-name:    GOOGLE\ndescr:      Google LLC\nsource: RADB\n";
        assert_eq!(parse_aut_num(reply, 15169).unwrap().as_str(), "GOOGLE");
        assert_eq!(parse_aut_num(reply, 1), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let ip = "8.8.8.8".parse().unwrap();
            let _ = parse_ris(&bytes, ip);
            let _ = parse_radb(&bytes, ip);
            let _ = parse_aut_num(&bytes, 1);
        }
    }
}
