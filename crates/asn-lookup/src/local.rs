//! The local answer for special-purpose addresses that every backend gives before looking
//! anything up. A leaf module, so that the batch report and the resolvers can both use it.

use std::net::IpAddr;

use tcptrace::{Resolution, special_range};

/// Resolves special-purpose addresses locally; `None` means "look it up".
pub(crate) fn local_answer(ip: IpAddr) -> Option<Resolution> {
    special_range(ip).map(|s| Resolution::NotRouted { special: Some(s) })
}
