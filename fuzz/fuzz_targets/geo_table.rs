//! The geography CSV parser of `asn-lookup`: ip-location-db country and city tables. Loading
//! must never panic, and what a table that loads answers must hold the model's promises
//! (coordinates on the globe, names bounded and plain).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use asn_lookup::{Geo, GeoTable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = GeoTable::from_reader(data) else {
        return;
    };
    // Addresses from the input's own bytes, so that its ranges are hit, and the ends.
    let mut probes = vec![
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::BROADCAST),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::from(u128::MAX)),
    ];
    for w in data.chunks(4).take(64) {
        let mut b = [0u8; 4];
        b[..w.len()].copy_from_slice(w);
        probes.push(IpAddr::V4(Ipv4Addr::from(b)));
    }
    for ip in probes {
        let Some((geo, range)) = table.lookup_range(ip) else {
            continue;
        };
        assert!(range.contains(ip));
        check(geo);
    }
});

fn check(geo: &Geo) {
    for name in [&geo.city, &geo.region].into_iter().flatten() {
        assert!(name.chars().count() <= Geo::MAX_CHARS);
        assert!(!name.chars().any(char::is_control));
        assert!(!name.trim().is_empty());
    }
    if let Some(lat) = geo.lat {
        assert!((-90.0..=90.0).contains(&lat));
    }
    if let Some(lon) = geo.lon {
        assert!((-180.0..=180.0).contains(&lon));
    }
    assert_eq!(geo.lat.is_some(), geo.lon.is_some());
}
