//! librrd 1.7's fetch rules as arithmetic (no I/O): which archive answers a request, the step
//! and window it answers with, and which rows of the ring buffer fill the answer.
//!
//! The rules are `rrd_fetch` and `rrd_fetch_fn` of rrdtool 1.7.2:
//!
//! - an archive is a candidate when its CF is the one asked for, or when it has one step per
//!   row and both CFs are among AVERAGE, MIN, MAX and LAST;
//! - a candidate whose rows reach back to the start (a *full match*) beats every other; among
//!   full matches, the one whose row step is closest to the wished resolution wins, the first
//!   on a tie;
//! - without a full match, the candidate covering most of the window wins, then the closest
//!   step, then the first;
//! - the start is rounded down to the chosen step and the end up to the next step (an end on
//!   a step boundary still moves one step on), giving `(end - start) / step` rows, each
//!   stamped with the end of its interval;
//! - rows before the archive's oldest row or after its newest are UNKN.
//!
//! All arithmetic is in `i128`, which holds every intermediate exactly; librrd's mix of signed
//! and unsigned C arithmetic gives the same numbers on the inputs [`plan`] accepts (times from
//! 1980 on, steps and spans below 2^63 seconds, checked by the header reader).

use crate::rrd_layout::ArchiveDef;
use crate::value::Cf;

/// The earliest start librrd's `rrd_fetch` accepts: ten 365-day years after the epoch.
pub(crate) const MIN_START: i64 = 3600 * 24 * 365 * 10;

/// Why a request cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// The window or resolution is refused (librrd's wording where it has one).
    Window(String),
    /// No archive has the CF (nor, at one step per row, a compatible one).
    NoArchive,
    /// The end, rounded up to the step, is past `i64`.
    Overflow,
}

/// A fetch request, times in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wish {
    pub(crate) cf: Cf,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) resolution: u64,
}

/// What answers a request: the archive, the real window, and where its rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) archive: usize,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) step: u64,
    /// Rows of the answer: `(end - start) / step`.
    pub(crate) rows: u64,
    /// Leading UNKN rows (before the archive's oldest row).
    pub(crate) lead: u64,
    /// Rows read from the archive after the lead, oldest first: `(ring row, count)`, at most
    /// two runs (the second one after the ring wraps to row 0).
    pub(crate) runs: Vec<(u64, u64)>,
}

fn is_basic(cf: Cf) -> bool {
    matches!(cf, Cf::Average | Cf::Min | Cf::Max | Cf::Last)
}

/// `rrd_fetch`'s checks of the window, and `--align-start`: the start must be from 1980 on,
/// the end not before it, and the resolution at least 1 second (and below 2^63).
pub(crate) fn check_wish(mut wish: Wish, align_start: bool) -> Result<Wish, PlanError> {
    if wish.resolution == 0 || i64::try_from(wish.resolution).is_err() {
        return Err(PlanError::Window(format!(
            "resolution {} (1 to 2^63 - 1 seconds)",
            wish.resolution
        )));
    }
    if wish.start < MIN_START {
        return Err(PlanError::Window(
            "the first entry to fetch should be after 1980".to_owned(),
        ));
    }
    if align_start {
        // The start is positive, so C's `%` and Rust's agree.
        let delta = i128::from(wish.start) % i128::from(wish.resolution);
        let shift = |t: i64| i64::try_from(i128::from(t) - delta).ok();
        wish.start = shift(wish.start).ok_or(PlanError::Overflow)?;
        wish.end = shift(wish.end).ok_or(PlanError::Overflow)?;
    }
    if wish.end < wish.start {
        return Err(PlanError::Window(format!(
            "start ({}) should be less than end ({})",
            wish.start, wish.end
        )));
    }
    Ok(wish)
}

/// The archive librrd chooses for `wish`, given the file's step and last update.
pub(crate) fn choose(
    archives: &[ArchiveDef],
    pdp_step: u64,
    last_up: i64,
    wish: Wish,
) -> Option<usize> {
    let (start, end) = (i128::from(wish.start), i128::from(wish.end));
    let resolution = i128::from(wish.resolution);
    let mut best_full: Option<(usize, i128)> = None;
    let mut best_part: Option<(usize, i128, i128)> = None;
    for (i, a) in archives.iter().enumerate() {
        let direct = a.cf == Some(wish.cf);
        let compatible = a.pdp_cnt == 1 && is_basic(wish.cf) && a.cf.is_some_and(is_basic);
        if !direct && !compatible {
            continue;
        }
        let step = i128::from(a.pdp_cnt) * i128::from(pdp_step);
        let last = i128::from(last_up);
        let cal_end = last - last % step;
        let cal_start = cal_end - step * i128::from(a.row_cnt);
        let diff = (resolution - step).abs();
        if cal_start <= start {
            if best_full.is_none_or(|(_, d)| diff < d) {
                best_full = Some((i, diff));
            }
        } else {
            let covered = (end - start) - (cal_start - start);
            if best_part.is_none_or(|(_, m, d)| m < covered || (m == covered && diff < d)) {
                best_part = Some((i, covered, diff));
            }
        }
    }
    best_full.map(|(i, _)| i).or(best_part.map(|(i, _, _)| i))
}

/// Plans `wish` (already through [`check_wish`]) against the archives, the file's step, its
/// last update and each archive's current row.
pub(crate) fn plan(
    archives: &[ArchiveDef],
    pdp_step: u64,
    last_up: i64,
    cur_rows: &[u64],
    wish: Wish,
) -> Result<Plan, PlanError> {
    let archive = choose(archives, pdp_step, last_up, wish).ok_or(PlanError::NoArchive)?;
    let a = &archives[archive];
    let cur_row = i128::from(cur_rows.get(archive).copied().unwrap_or(0));
    let step = i128::from(a.pdp_cnt) * i128::from(pdp_step);
    let (start, end) = (i128::from(wish.start), i128::from(wish.end));
    let start = start - start % step;
    let end = end + (step - end % step);
    let last = i128::from(last_up);
    let row_cnt = i128::from(a.row_cnt);
    let rra_end = last - last % step;
    let rra_start = rra_end - step * (row_cnt - 1);
    // Every term is a multiple of the step, so these divisions are exact.
    let first = (start + step - rra_start) / step;
    let past = row_cnt - (rra_end - end) / step;
    let lead = (past.min(0) - first).max(0);
    let (lo, hi) = (first.max(0), past.min(row_cnt));
    let mut runs = Vec::new();
    if lo < hi {
        let ring = (cur_row + 1 + lo) % row_cnt;
        let n = hi - lo;
        let head = n.min(row_cnt - ring);
        runs.push((ring, head));
        if n > head {
            runs.push((0, n - head));
        }
    }
    let as_u64 = |v: i128| u64::try_from(v).map_err(|_| PlanError::Overflow);
    Ok(Plan {
        archive,
        start: i64::try_from(start).map_err(|_| PlanError::Overflow)?,
        end: i64::try_from(end).map_err(|_| PlanError::Overflow)?,
        step: as_u64(step)?,
        rows: as_u64((end - start) / step)?,
        lead: as_u64(lead)?,
        runs: runs
            .into_iter()
            .map(|(r, n)| Ok((as_u64(r)?, as_u64(n)?)))
            .collect::<Result<_, PlanError>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rra(cf: Cf, pdp_cnt: u64, row_cnt: u64) -> ArchiveDef {
        ArchiveDef {
            cf: Some(cf),
            row_cnt,
            pdp_cnt,
            data_at: 0,
        }
    }

    fn wish(cf: Cf, start: i64, end: i64, resolution: u64) -> Wish {
        Wish {
            cf,
            start,
            end,
            resolution,
        }
    }

    const LAST: i64 = 1_000_000_200;

    #[test]
    fn full_match_with_the_closest_step_wins() {
        // 300 s × 100 rows reach back 30 000 s; 1800 s × 100 rows 180 000 s.
        let archives = [rra(Cf::Average, 1, 100), rra(Cf::Average, 6, 100)];
        let near = wish(Cf::Average, LAST - 3600, LAST, 1);
        assert_eq!(choose(&archives, 300, LAST, near), Some(0));
        let coarse = wish(Cf::Average, LAST - 3600, LAST, 1800);
        assert_eq!(choose(&archives, 300, LAST, coarse), Some(1));
        // Only the coarse archive reaches back two days: a full match beats a closer step.
        let old = wish(Cf::Average, LAST - 2 * 86_400 + 60_000, LAST, 1);
        assert_eq!(choose(&archives, 300, LAST, old), Some(1));
    }

    #[test]
    fn partial_match_covering_most_wins_then_the_step() {
        // Both reach back 6000 s: the tie goes to the step closer to the resolution.
        let archives = [rra(Cf::Max, 1, 20), rra(Cf::Max, 2, 10), rra(Cf::Max, 1, 5)];
        let far = wish(Cf::Max, LAST - 1_000_000, LAST, 1);
        assert_eq!(choose(&archives, 300, LAST, far), Some(0));
        let far_coarse = wish(Cf::Max, LAST - 1_000_000, LAST, 600);
        assert_eq!(choose(&archives, 300, LAST, far_coarse), Some(1));
    }

    #[test]
    fn one_step_archives_answer_the_other_basic_cfs() {
        let archives = [rra(Cf::Min, 2, 10), rra(Cf::Last, 1, 10)];
        let w = wish(Cf::Average, LAST - 600, LAST, 1);
        assert_eq!(choose(&archives, 300, LAST, w), Some(1));
        let hw = wish(Cf::HwPredict, LAST - 600, LAST, 1);
        assert_eq!(choose(&archives, 300, LAST, hw), None);
        let only_coarse = [rra(Cf::Min, 2, 10)];
        assert_eq!(choose(&only_coarse, 300, LAST, w), None);
    }

    #[test]
    fn window_is_aligned_and_the_ring_is_unrolled() {
        // 10 rows of 300 s, the newest (stamped LAST, a step boundary) at ring row 3.
        let archives = [rra(Cf::Average, 1, 10)];
        let w = wish(Cf::Average, LAST - 3000, LAST, 1);
        let p = plan(&archives, 300, LAST, &[3], w).unwrap();
        assert_eq!(p.step, 300);
        assert_eq!((p.start, p.end), (LAST - 3000, LAST + 300));
        assert_eq!(p.rows, 11);
        // The oldest row is ring row 4; an end on a boundary moves one step on, so the last
        // row of the answer is after the newest row: UNKN.
        assert_eq!(p.lead, 0);
        assert_eq!(p.runs, vec![(4, 6), (0, 4)]);
        let read: u64 = p.runs.iter().map(|r| r.1).sum();
        assert_eq!(p.lead + read + 1, p.rows);
    }

    #[test]
    fn window_before_or_after_the_archive_is_all_unknown() {
        let archives = [rra(Cf::Average, 1, 10)];
        let before = wish(Cf::Average, MIN_START, MIN_START + 600, 1);
        let p = plan(&archives, 300, LAST, &[0], before).unwrap();
        assert_eq!((p.lead, p.runs.len(), p.rows), (3, 0, 3));
        let after = wish(Cf::Average, LAST + 10_000, LAST + 10_600, 1);
        let p = plan(&archives, 300, LAST, &[0], after).unwrap();
        assert_eq!((p.lead, p.runs.len(), p.rows), (0, 0, 3));
    }

    #[test]
    fn wish_checks_follow_rrd_fetch() {
        let w = wish(Cf::Average, MIN_START - 1, MIN_START, 1);
        assert!(matches!(check_wish(w, false), Err(PlanError::Window(_))));
        let w = wish(Cf::Average, MIN_START + 10, MIN_START, 1);
        assert!(
            matches!(check_wish(w, false), Err(PlanError::Window(m)) if m.contains("should be less"))
        );
        let w = wish(Cf::Average, MIN_START, MIN_START, 0);
        assert!(check_wish(w, false).is_err());
        let w = wish(Cf::Average, 1_000_000_123, 1_000_000_500, 100);
        let a = check_wish(w, true).unwrap();
        assert_eq!((a.start, a.end), (1_000_000_100, 1_000_000_477));
    }
}
