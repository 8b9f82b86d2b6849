//! [`annotate`]: AS data on every reply of a [`TraceReport`].

use std::net::IpAddr;

use tcptrace::{Resolution, TraceReport};

use crate::{AsnError, AsnResolver, BatchTally};

/// How many replies [`annotate`] labelled, and what became of each distinct address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnnotateStats {
    /// Distinct reply addresses resolved.
    pub addresses: usize,
    /// Replies that got an AS number.
    pub found: usize,
    /// Replies whose address is not routed (special-purpose ranges included).
    pub not_routed: usize,
    /// Replies the resolver could not tell about (failures included).
    pub unknown: usize,
    /// The batch of distinct addresses: given, resolved, unresolved by reason.
    pub tally: BatchTally,
}

/// The distinct addresses that replied anywhere in `report`, sorted (for a binary search).
pub(crate) fn reply_addrs(report: &TraceReport) -> Vec<IpAddr> {
    let mut addrs: Vec<IpAddr> = report
        .traces
        .iter()
        .flat_map(|t| t.hops.iter())
        .flat_map(|h| h.replies.iter().map(|r| r.from))
        .collect();
    addrs.sort_unstable();
    addrs.dedup();
    addrs
}

/// Fills `asn` and `as_name` of every reply in `report`, resolving each distinct address once,
/// in one [`AsnResolver::resolve_batch`].
///
/// Replies that are not found get `asn: None` and `as_name: None`.
///
/// # Errors
///
/// [`AsnError::Incomplete`] when the resolver failed on any address (a dead or silent whois
/// server): the replies whose address was resolved are annotated all the same, and the error
/// counts the rest and carries the first failure.
pub fn annotate(
    report: &mut TraceReport,
    resolver: &dyn AsnResolver,
) -> Result<AnnotateStats, AsnError> {
    let addrs = reply_addrs(report);
    let batch = resolver.resolve_batch(&addrs);
    let tally = batch.tally();
    let answers = batch.resolutions();
    let mut stats = AnnotateStats {
        addresses: addrs.len(),
        ..AnnotateStats::default()
    };
    for reply in report
        .traces
        .iter_mut()
        .flat_map(|t| t.hops.iter_mut())
        .flat_map(|h| h.replies.iter_mut())
    {
        let answer = addrs
            .binary_search(&reply.from)
            .ok()
            .and_then(|i| answers.get(i));
        match answer {
            Some(Resolution::Found(info)) => {
                reply.asn = Some(info.asn);
                reply.as_name = info.name.as_ref().map(|n| n.as_str().to_owned());
                stats.found += 1;
            }
            Some(Resolution::NotRouted { .. }) => {
                reply.asn = None;
                reply.as_name = None;
                stats.not_routed += 1;
            }
            _ => {
                reply.asn = None;
                reply.as_name = None;
                stats.unknown += 1;
            }
        }
    }
    if tally.failed() > 0 {
        let failed = tally.failed();
        let given = tally.given;
        return Err(match batch.into_result() {
            Err(source) => AsnError::Incomplete {
                failed,
                given,
                source: Box::new(source),
            },
            Ok(_) => AsnError::Config("the batch failed".into()),
        });
    }
    stats.tally = tally;
    Ok(stats)
}
