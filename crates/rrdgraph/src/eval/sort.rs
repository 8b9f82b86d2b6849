//! librrd's sort of stack values: its comparator run by glibc 2.36's `qsort`, a top-down merge
//! sort. The comparator is not a total order when an infinity is the second operand (a finite
//! value then compares above +INF and below -INF), so the order librrd produces depends on
//! which pairs the merge compares; only the same merge gives the same bits.

use std::cmp::Ordering;

/// `rpn_compare_double`: NaN lowest, an infinity compares by its own sign whichever side it is
/// on, finite values by their difference.
pub(super) fn librrd_cmp(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => {}
    }
    // glibc's isinf() returns the infinity's sign; librrd returns it as the comparison.
    let sign = |v: f64| {
        if v > 0.0 {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    };
    if x.is_infinite() {
        return sign(x);
    }
    if y.is_infinite() {
        return sign(y);
    }
    let diff = x - y;
    if diff < 0.0 {
        Ordering::Less
    } else if diff > 0.0 {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// `vdef_percent_compar`, the VDEF percentiles' comparator: NaN lowest (a NaN on the left is
/// "less" even against NaN), infinities as in [`librrd_cmp`], and finite values never equal.
pub(super) fn vdef_cmp(a: f64, b: f64) -> Ordering {
    if a.is_nan() {
        return Ordering::Less;
    }
    if b.is_nan() {
        return Ordering::Greater;
    }
    let sign = |v: f64| {
        if v > 0.0 {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    };
    if a.is_infinite() {
        return sign(a);
    }
    if b.is_infinite() {
        return sign(b);
    }
    if a < b {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// Sorts `v` with the RPN operators' comparator ([`librrd_cmp`]).
pub(super) fn librrd_sort(v: &mut [f64]) {
    glibc_sort(v, librrd_cmp);
}

/// Sorts `v` as glibc's `msort_with_tmp` does: halves (the first `n / 2` long), each sorted,
/// then merged taking from the left half while the comparator says "not greater".
pub(super) fn glibc_sort(v: &mut [f64], cmp: fn(f64, f64) -> Ordering) {
    let mut tmp = Vec::with_capacity(v.len());
    merge_sort(v, &mut tmp, cmp);
}

fn merge_sort(v: &mut [f64], tmp: &mut Vec<f64>, cmp: fn(f64, f64) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let (left, right) = v.split_at_mut(n / 2);
    merge_sort(left, tmp, cmp);
    merge_sort(right, tmp, cmp);
    tmp.clear();
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if cmp(left[i], right[j]) == Ordering::Greater {
            tmp.push(right[j]);
            j += 1;
        } else {
            tmp.push(left[i]);
            i += 1;
        }
    }
    tmp.extend_from_slice(&left[i..]);
    // What is left of the right half is already in place.
    let merged = tmp.len();
    v[..merged].copy_from_slice(tmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_values_and_nan_sort_nan_first() {
        let mut v = [3.0, f64::NAN, -1.0, 2.5, f64::NAN, 0.0];
        librrd_sort(&mut v);
        assert!(v[0].is_nan() && v[1].is_nan());
        assert_eq!(&v[2..], &[-1.0, 0.0, 2.5, 3.0]);
    }

    #[test]
    fn an_infinity_on_the_right_compares_by_its_own_sign() {
        assert_eq!(librrd_cmp(1.0, f64::INFINITY), Ordering::Greater);
        assert_eq!(librrd_cmp(1.0, f64::NEG_INFINITY), Ordering::Less);
        assert_eq!(librrd_cmp(f64::INFINITY, 1.0), Ordering::Greater);
        // The merge takes the right half's +INF first when it meets a finite value on the left.
        let mut v = [1.0, f64::INFINITY];
        librrd_sort(&mut v);
        assert_eq!(v.map(f64::to_bits), [f64::INFINITY, 1.0].map(f64::to_bits));
    }
}
