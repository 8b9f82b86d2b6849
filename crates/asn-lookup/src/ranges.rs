//! Sorted, disjoint address ranges of both families with a value (an entry index) each,
//! searched by binary search within 16-bit buckets: the structure behind the AS range table
//! and the geography table. Overlapping rows are flattened when it is built.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::IpRange;

/// Sorted, disjoint ranges of one family, with the entry index of each.
#[derive(Debug, Default)]
struct Family<K> {
    starts: Vec<K>,
    ends: Vec<K>,
    vals: Vec<u32>,
}

/// The bucket indexes narrow a search by the top 16 bits of the address: `index[h]` is the
/// number of ranges whose start's top 16 bits are below `h`.
const BUCKETS: usize = 1 << 16;

/// Both families of ranges, with their bucket indexes.
#[derive(Debug, Default)]
pub(crate) struct Ranges {
    v4: Family<u32>,
    v4_index: Vec<u32>,
    v6: Family<u128>,
    v6_index: Vec<u32>,
    /// The top 64 bits of each IPv6 start: half the bytes to search through.
    v6_hi: Vec<u64>,
}

impl Ranges {
    /// Sorts and flattens `(start, end, value)` rows (see [`finish`]); rows whose value
    /// `is_hole` punch holes.
    pub(crate) fn build(
        v4: Vec<(u32, u32, u32)>,
        v6: Vec<(u128, u128, u32)>,
        is_hole: impl Fn(u32) -> bool,
    ) -> Self {
        let v4 = finish(v4, &is_hole, |a| a.checked_add(1), |a| a.checked_sub(1));
        let v6 = finish(v6, &is_hole, |a| a.checked_add(1), |a| a.checked_sub(1));
        let v4_index = bucket_index(&v4.starts, |s| (s >> 16) as usize);
        let v6_index = bucket_index(&v6.starts, |s| (s >> 112) as usize);
        let v6_hi = v6.starts.iter().map(|&s| (s >> 64) as u64).collect();
        Self {
            v4,
            v4_index,
            v6,
            v6_index,
            v6_hi,
        }
    }

    pub(crate) fn len_v4(&self) -> usize {
        self.v4.starts.len()
    }

    pub(crate) fn len_v6(&self) -> usize {
        self.v6.starts.len()
    }

    /// The value and range of the row that covers `ip`.
    #[inline]
    pub(crate) fn find_v4(&self, ip: Ipv4Addr) -> Option<(u32, IpRange)> {
        let x = u32::from(ip);
        let h = (x >> 16) as usize;
        let lo = *self.v4_index.get(h)? as usize;
        let hi = *self.v4_index.get(h + 1)? as usize;
        let p = lo + self.v4.starts.get(lo..hi)?.partition_point(|&s| s <= x);
        let i = p.checked_sub(1)?;
        if self.v4.ends[i] < x {
            return None;
        }
        Some((
            self.v4.vals[i],
            IpRange::v4(self.v4.starts[i], self.v4.ends[i]),
        ))
    }

    /// [`Ranges::find_v4`] for IPv6.
    #[inline]
    pub(crate) fn find_v6(&self, ip: Ipv6Addr) -> Option<(u32, IpRange)> {
        let addr = u128::from(ip);
        let top16 = (addr >> 112) as usize;
        let lo = *self.v6_index.get(top16)? as usize;
        let hi = *self.v6_index.get(top16 + 1)? as usize;
        let key = (addr >> 64) as u64;
        let bucket = self.v6_hi.get(lo..hi)?;
        let upper = bucket.partition_point(|&s| s <= key);
        // Starts that share the top 64 bits with the address are ordered by their low bits.
        let equal = bucket[..upper].partition_point(|&s| s < key);
        let after = lo
            + equal
            + self
                .v6
                .starts
                .get(lo + equal..lo + upper)?
                .partition_point(|&s| s <= addr);
        let i = after.checked_sub(1)?;
        if self.v6.ends[i] < addr {
            return None;
        }
        Some((
            self.v6.vals[i],
            IpRange::v6(self.v6.starts[i], self.v6.ends[i]),
        ))
    }

    /// Every row, IPv4 first, in address order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (u32, IpRange)> + '_ {
        let v4 = (0..self.v4.starts.len()).map(|i| {
            (
                self.v4.vals[i],
                IpRange::v4(self.v4.starts[i], self.v4.ends[i]),
            )
        });
        let v6 = (0..self.v6.starts.len()).map(|i| {
            (
                self.v6.vals[i],
                IpRange::v6(self.v6.starts[i], self.v6.ends[i]),
            )
        });
        v4.chain(v6)
    }
}

/// `index[h]` = the number of starts whose top 16 bits are below `h`, for `h` in `0..=65536`.
fn bucket_index<K: Copy>(starts: &[K], bucket: impl Fn(K) -> usize) -> Vec<u32> {
    let mut index = vec![0u32; BUCKETS + 1];
    for &s in starts {
        index[bucket(s) + 1] += 1;
    }
    for h in 1..=BUCKETS {
        index[h] += index[h - 1];
    }
    index
}

/// Sorts (if needed), flattens overlaps and drops the holes (AS 0 rows of an AS table).
fn finish<K: Copy + Ord>(
    mut rows: Vec<(K, K, u32)>,
    is_hole: &impl Fn(u32) -> bool,
    succ: impl Fn(K) -> Option<K>,
    pred: impl Fn(K) -> Option<K>,
) -> Family<K> {
    let disjoint = rows.windows(2).all(|w| w[0].1 < w[1].0);
    if !disjoint {
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        rows = flatten(&rows, succ, pred);
    }
    let n = rows.iter().filter(|r| !is_hole(r.2)).count();
    let mut fam = Family {
        starts: Vec::with_capacity(n),
        ends: Vec::with_capacity(n),
        vals: Vec::with_capacity(n),
    };
    for (a, b, v) in rows {
        if !is_hole(v) {
            fam.starts.push(a);
            fam.ends.push(b);
            fam.vals.push(v);
        }
    }
    fam
}

/// Turns rows sorted by (start ascending, end descending) into disjoint pieces; the row that
/// started last among those covering a point wins it.
fn flatten<K: Copy + Ord>(
    rows: &[(K, K, u32)],
    succ: impl Fn(K) -> Option<K>,
    pred: impl Fn(K) -> Option<K>,
) -> Vec<(K, K, u32)> {
    let mut out: Vec<(K, K, u32)> = Vec::with_capacity(rows.len() + rows.len() / 4);
    let mut stack: Vec<(K, K, u32)> = Vec::new();
    // `cur`: the first point not yet emitted; `None` once the whole space is emitted.
    let mut cur: Option<K> = None;
    let emit = |out: &mut Vec<(K, K, u32)>, a: K, b: K, v: u32| {
        if a <= b {
            out.push((a, b, v));
        }
    };
    for &(start, end, val) in rows {
        // Close what ends before this row starts.
        while let Some(&(_, top_end, top_val)) = stack.last() {
            if top_end >= start {
                break;
            }
            if let Some(c) = cur
                && c <= top_end
            {
                emit(&mut out, c, top_end, top_val);
            }
            cur = succ(top_end).map(|n| cur.map_or(n, |c| c.max(n)));
            stack.pop();
        }
        if let (Some(&(_, _, top_val)), Some(c)) = (stack.last(), cur)
            && c < start
            && let Some(p) = pred(start)
        {
            emit(&mut out, c, p, top_val);
        }
        cur = Some(cur.map_or(start, |c| c.max(start)));
        stack.push((start, end, val));
    }
    while let Some((_, top_end, top_val)) = stack.pop() {
        let Some(c) = cur else { break };
        if c <= top_end {
            emit(&mut out, c, top_end, top_val);
            cur = succ(top_end);
        }
    }
    out
}
