//! Combinators over resolvers: a chain and a range-keyed cache.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;

use super::{
    AsInfo, AsName, AsnError, AsnResolver, BatchReport, Outcome, Resolution, UnresolvedReason,
};

/// Asks its backends in order; each one sees only the addresses still unresolved.
///
/// An address is resolved once a backend finds its AS, or when it is special-purpose.
/// `NotRouted` from one backend (a table without a row for it) and `Unknown` are passed on;
/// if no later backend finds the AS, the answer is `NotRouted` when any backend said so,
/// else `Unknown`. A backend that fails is skipped (and logged through `tracing`) and the
/// addresses it failed on are passed on; [`AsnResolver::resolve_batch`] reports each address
/// that no backend resolved with that failure, while [`AsnResolver::resolve_many`] fails when
/// any address did.
///
/// ```
/// use asn_lookup::{AsnResolver, Chain, RangeFormat, RangeTable};
///
/// # fn main() -> Result<(), asn_lookup::AsnError> {
/// let first = RangeTable::from_reader(&b"1.0.0.0,1.0.0.255,1,One\n"[..], RangeFormat::Csv)?;
/// let second = RangeTable::from_reader(&b"2.0.0.0/8\t2\n"[..], RangeFormat::Pyasn)?;
/// let chain = Chain::new().then(first).then(second);
/// assert_eq!(chain.resolve("2.1.1.1".parse().unwrap())?.asn(), Some(2));
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct Chain {
    backends: Vec<Box<dyn AsnResolver + Send + Sync>>,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("backends", &self.backends.len())
            .finish()
    }
}

impl Chain {
    /// An empty chain (everything is `Unknown` except special addresses).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a backend.
    #[must_use]
    pub fn then(mut self, backend: impl AsnResolver + Send + Sync + 'static) -> Self {
        self.backends.push(Box::new(backend));
        self
    }

    /// Appends a boxed backend (as [`open_database`](super::open_database) returns).
    #[must_use]
    pub fn then_boxed(mut self, backend: Box<dyn AsnResolver + Send + Sync>) -> Self {
        self.backends.push(backend);
        self
    }

    /// Number of backends.
    pub fn len(&self) -> usize {
        self.backends.len()
    }

    /// Whether the chain has no backend.
    pub fn is_empty(&self) -> bool {
        self.backends.is_empty()
    }
}

impl AsnResolver for Chain {
    /// As [`Chain::resolve_batch`], failing when any address failed (with the first cause).
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        self.resolve_batch(ips).into_result()
    }

    /// Asks each backend in turn about the addresses still open. An address a backend failed
    /// on (a dead or silent whois server after a database) is passed on like an unresolved
    /// one; if no later backend finds its AS it is reported with that failure, even when an
    /// earlier backend said "not routed" (a table gap is not the last word). Answers given
    /// before a failure are kept.
    ///
    /// ```
    /// use asn_lookup::{AsnResolver, Chain, RangeFormat, RangeTable, UnresolvedReason};
    ///
    /// # fn main() -> Result<(), asn_lookup::AsnError> {
    /// let table = RangeTable::from_reader(&b"1.0.0.0,1.0.0.255,1,One\n"[..], RangeFormat::Csv)?;
    /// let ips = ["1.0.0.1".parse().unwrap(), "2.0.0.1".parse().unwrap()];
    /// let batch = Chain::new().then(table).resolve_batch(&ips);
    /// assert_eq!(batch.entries()[0].outcome.found().map(|i| i.asn), Some(1));
    /// assert_eq!(batch.entries()[1].outcome.reason(), Some(UnresolvedReason::NotAnnounced));
    /// let tally = batch.tally();
    /// assert_eq!((tally.given, tally.resolved, tally.unresolved()), (2, 1, 1));
    /// # Ok(())
    /// # }
    /// ```
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        let mut done: Vec<Option<Outcome>> = Vec::with_capacity(ips.len());
        let mut pending: Vec<usize> = Vec::new();
        for (i, &ip) in ips.iter().enumerate() {
            if let Some(r) = super::local_answer(ip) {
                done.push(Some(Outcome::of_resolution(r)));
            } else {
                done.push(None);
                pending.push(i);
            }
        }
        let mut not_routed = vec![false; ips.len()];
        let mut failure: Vec<Option<Outcome>> = vec![None; ips.len()];
        for backend in &self.backends {
            if pending.is_empty() {
                break;
            }
            let ask: Vec<IpAddr> = pending.iter().map(|&i| ips[i]).collect();
            let report = backend.resolve_batch(&ask);
            if let Some(e) = report.first_error() {
                tracing::warn!(error = %e, "AS resolver in chain failed; passing on");
            }
            let mut still = Vec::new();
            for (&i, entry) in pending.iter().zip(report.into_entries()) {
                match entry.outcome.reason() {
                    None | Some(UnresolvedReason::Special) => done[i] = Some(entry.outcome),
                    Some(UnresolvedReason::NotAnnounced) => {
                        not_routed[i] = true;
                        still.push(i);
                    }
                    Some(UnresolvedReason::NoData) => still.push(i),
                    Some(_) => {
                        failure[i] = Some(entry.outcome);
                        still.push(i);
                    }
                }
            }
            pending = still;
        }
        for i in pending {
            done[i] = Some(failure[i].take().unwrap_or_else(|| {
                Outcome::answered(if not_routed[i] {
                    UnresolvedReason::NotAnnounced
                } else {
                    UnresolvedReason::NoData
                })
            }));
        }
        BatchReport::from_slots(ips, done)
    }

    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        let mut last_err = None;
        let mut any_ok = false;
        for backend in &self.backends {
            match backend.as_name(asn) {
                Ok(Some(name)) => return Ok(Some(name)),
                Ok(None) => any_ok = true,
                Err(e) => last_err = Some(e),
            }
        }
        match last_err {
            Some(e) if !any_ok => Err(e),
            _ => Ok(None),
        }
    }
}

#[derive(Default)]
struct CacheState {
    v4: BTreeMap<u32, (u32, AsInfo)>,
    v6: BTreeMap<u128, (u128, AsInfo)>,
    not_routed: HashSet<IpAddr>,
    names: HashMap<u32, Option<AsName>>,
    hits: u64,
    misses: u64,
}

impl CacheState {
    fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.not_routed.len() + self.names.len()
    }

    fn get(&self, ip: IpAddr) -> Option<Resolution> {
        match ip {
            IpAddr::V4(a) => {
                let x = u32::from(a);
                let (_, (end, info)) = self.v4.range(..=x).next_back()?;
                (*end >= x).then(|| Resolution::Found(info.clone()))
            }
            IpAddr::V6(a) => {
                let x = u128::from(a);
                let (_, (end, info)) = self.v6.range(..=x).next_back()?;
                (*end >= x).then(|| Resolution::Found(info.clone()))
            }
        }
        .or_else(|| {
            self.not_routed
                .contains(&ip)
                .then_some(Resolution::NotRouted { special: None })
        })
    }

    fn put(&mut self, ip: IpAddr, answer: &Resolution) {
        match answer {
            Resolution::Found(info) => match (info.range.first(), info.range.last()) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    self.v4.insert(u32::from(a), (u32::from(b), info.clone()));
                }
                (IpAddr::V6(a), IpAddr::V6(b)) => {
                    self.v6.insert(u128::from(a), (u128::from(b), info.clone()));
                }
                _ => {}
            },
            Resolution::NotRouted { special: None } => {
                self.not_routed.insert(ip);
            }
            _ => {}
        }
    }
}

/// Remembers answers of another resolver: each `Found` under the range it covers (so one
/// answer serves every address of its block), `NotRouted` per address. `Unknown` answers and
/// errors are not cached. The cache holds at most `capacity` entries and starts over when
/// full. Safe to share between threads.
///
/// ```
/// use asn_lookup::{AsnResolver, Cache, RangeFormat, RangeTable};
///
/// # fn main() -> Result<(), asn_lookup::AsnError> {
/// let table = RangeTable::from_reader(&b"1.0.0.0,1.0.0.255,13335,Cloudflare\n"[..], RangeFormat::Csv)?;
/// let cache = Cache::new(table, 10_000);
/// cache.resolve("1.0.0.1".parse().unwrap())?;
/// cache.resolve("1.0.0.200".parse().unwrap())?; // same block: served from the cache
/// assert_eq!((cache.hits(), cache.misses()), (1, 1));
/// # Ok(())
/// # }
/// ```
pub struct Cache<R> {
    inner: R,
    capacity: usize,
    state: Mutex<CacheState>,
}

impl<R> fmt::Debug for Cache<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<R: AsnResolver> Cache<R> {
    /// Caches `inner`, holding at most `capacity` entries (at least 1).
    pub fn new(inner: R, capacity: usize) -> Self {
        Self {
            inner,
            capacity: capacity.max(1),
            state: Mutex::new(CacheState::default()),
        }
    }
}

impl<R> Cache<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lookups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.lock().hits
    }

    /// Lookups passed to the inner resolver.
    pub fn misses(&self) -> u64 {
        self.lock().misses
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut s = self.lock();
        let (hits, misses) = (s.hits, s.misses);
        *s = CacheState {
            hits,
            misses,
            ..CacheState::default()
        };
    }

    /// The inner resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }
}

impl<R: AsnResolver> AsnResolver for Cache<R> {
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        self.resolve_batch(ips).into_result()
    }

    /// Answers what it holds, and asks the inner resolver's
    /// [`resolve_batch`](AsnResolver::resolve_batch) about the rest (each distinct address
    /// once); failed addresses keep the inner report's reason and are not cached.
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        let mut out: Vec<Option<Outcome>> = Vec::with_capacity(ips.len());
        let mut miss: Vec<IpAddr> = Vec::new();
        {
            let mut s = self.lock();
            for &ip in ips {
                let ip = ip.to_canonical();
                let hit = super::local_answer(ip).or_else(|| s.get(ip));
                if hit.is_some() {
                    s.hits += 1;
                } else {
                    s.misses += 1;
                    miss.push(ip);
                }
                out.push(hit.map(Outcome::of_resolution));
            }
        }
        if !miss.is_empty() {
            miss.sort_unstable();
            miss.dedup();
            let answers: Vec<Outcome> = self
                .inner
                .resolve_batch(&miss)
                .into_entries()
                .into_iter()
                .map(|e| e.outcome)
                .collect();
            let mut s = self.lock();
            if s.len() + miss.len() > self.capacity {
                let (hits, misses) = (s.hits, s.misses);
                *s = CacheState {
                    hits,
                    misses,
                    ..CacheState::default()
                };
            }
            for (&ip, a) in miss.iter().zip(&answers) {
                if !a.reason().is_some_and(UnresolvedReason::is_failure) {
                    s.put(ip, &a.resolution());
                }
            }
            drop(s);
            for (slot, &ip) in out.iter_mut().zip(ips) {
                if slot.is_none() {
                    *slot = miss
                        .binary_search(&ip.to_canonical())
                        .ok()
                        .and_then(|i| answers.get(i).cloned());
                }
            }
        }
        BatchReport::from_slots(ips, out)
    }

    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        if let Some(n) = self.lock().names.get(&asn) {
            return Ok(n.clone());
        }
        let name = self.inner.as_name(asn)?;
        let mut s = self.lock();
        if s.len() >= self.capacity {
            s.names.clear();
        }
        s.names.insert(asn, name.clone());
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::{IpRange, Source};

    /// Answers AS 64500 for 1.0.0.0/24, counting addresses asked.
    struct Counting {
        asked: AtomicUsize,
        fail: bool,
    }

    impl AsnResolver for Counting {
        fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(AsnError::Config("down".into()));
            }
            let range = IpRange::from_prefix("1.0.0.0".parse().unwrap(), 24).unwrap();
            Ok(if range.contains(ip) {
                Resolution::Found(AsInfo::new(64500, range, Source::Cymru))
            } else if ip.to_string().starts_with("2.") {
                Resolution::NotRouted { special: None }
            } else {
                Resolution::Unknown
            })
        }
        fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            Ok((asn == 64500).then(|| AsName::new("EXAMPLE").unwrap()))
        }
    }

    fn counting(fail: bool) -> Counting {
        Counting {
            asked: AtomicUsize::new(0),
            fail,
        }
    }

    fn ips(s: &[&str]) -> Vec<IpAddr> {
        s.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn cache_covers_the_block() {
        let cache = Cache::new(counting(false), 100);
        let r = cache
            .resolve_many(&ips(&[
                "1.0.0.1", "1.0.0.2", "10.0.0.1", "2.0.0.1", "3.0.0.1",
            ]))
            .unwrap();
        assert_eq!(r[0].asn(), Some(64500));
        assert_eq!(r[1].asn(), Some(64500));
        assert!(matches!(r[2], Resolution::NotRouted { special: Some(_) }));
        assert_eq!(
            cache.inner().asked.load(Ordering::SeqCst),
            4,
            "special addresses are not asked"
        );
        let r = cache
            .resolve_many(&ips(&["1.0.0.255", "2.0.0.1", "3.0.0.1"]))
            .unwrap();
        assert_eq!(r[0].asn(), Some(64500));
        assert_eq!(r[1], Resolution::NotRouted { special: None });
        assert_eq!(r[2], Resolution::Unknown);
        assert_eq!(
            cache.inner().asked.load(Ordering::SeqCst),
            5,
            "only the Unknown one is asked again"
        );
        assert_eq!(cache.as_name(64500).unwrap().unwrap().as_str(), "EXAMPLE");
        assert_eq!(cache.as_name(64500).unwrap().unwrap().as_str(), "EXAMPLE");
        assert_eq!(cache.inner().asked.load(Ordering::SeqCst), 6);
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn cache_is_bounded() {
        let cache = Cache::new(counting(false), 2);
        for i in 0..10 {
            cache
                .resolve(format!("2.0.0.{i}").parse().unwrap())
                .unwrap();
            assert!(cache.len() <= 2);
        }
    }

    #[test]
    fn chain_passes_only_unresolved() {
        let first = Cache::new(counting(false), 100);
        let chain = Chain::new()
            .then(Chain::new().then(counting(false)))
            .then(first);
        let r = chain
            .resolve_many(&ips(&["1.0.0.1", "2.0.0.1", "3.0.0.1", "192.168.1.1"]))
            .unwrap();
        assert_eq!(r[0].asn(), Some(64500));
        assert_eq!(r[1], Resolution::NotRouted { special: None });
        assert_eq!(r[2], Resolution::Unknown);
        assert!(matches!(r[3], Resolution::NotRouted { special: Some(_) }));
    }

    #[test]
    fn chain_skips_failing_backends() {
        let chain = Chain::new().then(counting(true)).then(counting(false));
        assert_eq!(
            chain.resolve("1.0.0.9".parse().unwrap()).unwrap().asn(),
            Some(64500)
        );
        let all_down = Chain::new().then(counting(true));
        assert!(all_down.resolve("1.0.0.9".parse().unwrap()).is_err());
        assert_eq!(
            Chain::new().resolve("1.0.0.9".parse().unwrap()).unwrap(),
            Resolution::Unknown
        );
        assert_eq!(chain.as_name(64500).unwrap().unwrap().as_str(), "EXAMPLE");
    }
}
