//! Stable ids keyed by content, shared by the SVG and the DOT output, so that a platform can
//! style and link a map across runs.
//!
//! The rule:
//! - a router or endpoint is `node-<address>`, the address with `.` and `:` as `-`
//!   (`node-198-51-100-7`, `node-2001-db8--1`);
//! - an unreached host is `node-unreached-<target>`, every character of the target other than
//!   an ASCII letter or digit as `-`;
//! - a gap of silent hops is `node-gap-ttl<TTL>`, at the gap's first TTL;
//! - a key taken by an earlier node (two gaps at one TTL, two targets that differ only in
//!   punctuation) gets `-2`, `-3`… in the order the nodes were built, the first unused;
//! - an address seen at several TTLs is drawn once per TTL: the lowest TTL's occurrence has
//!   the node's id, each other one the id with `-ttl<TTL>` (`node-198-51-100-7-ttl5`);
//! - the edges between two occurrences are `edge-<from>-<to>`, from and to being the
//!   occurrences' ids without `node-` (`edge-198-51-100-1-198-51-100-7`); each trace's own
//!   line of it is `edge-<from>-<to>-trace-<N>`, N the trace's place in the legend.

use std::collections::HashSet;
use std::net::IpAddr;

/// The key of an address: `198-51-100-7`, `2001-db8--1`.
pub(crate) fn address(a: IpAddr) -> String {
    a.to_string().replace(['.', ':'], "-")
}

/// The key of an unreached host: `unreached-<target>`.
pub(crate) fn unreached(target: &str) -> String {
    format!("unreached-{}", slug(target))
}

/// The key of a gap of silent hops starting at `ttl`.
pub(crate) fn gap(ttl: u16) -> String {
    format!("gap-ttl{ttl}")
}

/// ASCII letters and digits kept, everything else as `-`: safe in any id, selector or URL
/// fragment.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// `base`, or when it is taken the first of `base-2`, `base-3`… that is not; marked taken.
pub(crate) fn unique(base: &str, taken: &mut HashSet<String>) -> String {
    let mut key = base.to_owned();
    let mut k = 2usize;
    while taken.contains(&key) {
        key = format!("{base}-{k}");
        k += 1;
    }
    taken.insert(key.clone());
    key
}

/// The key of the occurrence of node `key` (first seen at `first_ttl`) at `ttl`.
pub(crate) fn occurrence(key: &str, first_ttl: Option<u16>, ttl: u16) -> String {
    if first_ttl.is_none_or(|f| f == ttl) {
        key.to_owned()
    } else {
        format!("{key}-ttl{ttl}")
    }
}

/// The id of the bundle of edges between occurrences `from` and `to`.
pub(crate) fn edge_bundle(from: &str, to: &str) -> String {
    format!("edge-{from}-{to}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_content_and_unique() {
        assert_eq!(address("198.51.100.7".parse().unwrap()), "198-51-100-7");
        assert_eq!(address("2001:db8::1".parse().unwrap()), "2001-db8--1");
        assert_eq!(
            unreached("<script>x.example"),
            "unreached--script-x-example"
        );
        let mut taken = HashSet::new();
        assert_eq!(unique(&gap(3), &mut taken), "gap-ttl3");
        assert_eq!(unique(&gap(3), &mut taken), "gap-ttl3-2");
        assert_eq!(unique("gap-ttl3-2", &mut taken), "gap-ttl3-2-2");
        assert_eq!(occurrence("a", Some(2), 2), "a");
        assert_eq!(occurrence("a", Some(2), 5), "a-ttl5");
    }
}
