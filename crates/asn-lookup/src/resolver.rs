//! The [`AsnResolver`] trait every backend implements.

use std::net::IpAddr;
use std::sync::Arc;

use tcptrace::{AsName, Resolution};

use crate::{AsnError, BatchReport};

/// A source of AS data for addresses.
///
/// Implementations answer special-purpose addresses locally (see
/// [`special_range`](crate::special_range)) and treat IPv4-mapped IPv6 addresses as IPv4.
///
/// An implementation provides [`AsnResolver::resolve`] or [`AsnResolver::resolve_many`] (each
/// defaults to the other), and [`AsnResolver::resolve_batch`] when it can tell failed addresses
/// apart (then `resolve_many` is `resolve_batch(ips).into_result()`).
pub trait AsnResolver {
    /// Resolves one address. The default asks [`AsnResolver::resolve_many`].
    ///
    /// # Errors
    ///
    /// Online backends fail when the service cannot be reached or its reply is unusable as a
    /// whole; offline backends fail only on a corrupt database.
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        self.resolve_many(&[ip])
            .map(|mut v| v.pop().unwrap_or(Resolution::Unknown))
    }

    /// Resolves many addresses; the answers are in the order of `ips`. Online backends send
    /// one batch query where the service allows it. The default asks
    /// [`AsnResolver::resolve`] for each.
    ///
    /// # Errors
    ///
    /// As for [`AsnResolver::resolve`]: the whole batch fails.
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        ips.iter().map(|&ip| self.resolve(ip)).collect()
    }

    /// Resolves many addresses and accounts for every one: the report has one
    /// [`Outcome`](crate::Outcome) per address, in the order of `ips`, resolved or unresolved with its
    /// [`UnresolvedReason`](crate::UnresolvedReason). It never fails as a whole. The default asks
    /// [`AsnResolver::resolve_many`] and, when that fails, reports every address that is not
    /// special-purpose as unresolved with that error; [`WhoisResolver`](crate::WhoisResolver) and [`Chain`](crate::Chain) keep the
    /// answers that came before a failure and tell failed addresses from those never asked.
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        BatchReport::from_result(ips, self.resolve_many(ips))
    }

    /// The name of AS `asn`, when the backend knows it.
    ///
    /// # Errors
    ///
    /// As for [`AsnResolver::resolve`].
    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError>;
}

/// A resolver behind a pointer resolves as the resolver itself: one body for every pointer.
macro_rules! forward_resolver {
    ($($ptr:ty),+) => {$(
        impl<R: AsnResolver + ?Sized> AsnResolver for $ptr {
            fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
                (**self).resolve(ip)
            }
            fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
                (**self).resolve_many(ips)
            }
            fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
                (**self).resolve_batch(ips)
            }
            fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
                (**self).as_name(asn)
            }
        }
    )+};
}

forward_resolver!(Box<R>, Arc<R>, &R);
