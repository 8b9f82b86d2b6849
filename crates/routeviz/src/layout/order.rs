//! Crossing reduction: barycenter sweeps with AS groups kept contiguous, then transposition.

use std::collections::{HashMap, HashSet};

/// How many down+up sweep rounds to try at most.
const MAX_ROUNDS: usize = 16;
/// Stop after this many rounds without improvement.
const PATIENCE: usize = 4;
/// The most transposition passes at the end.
const MAX_TRANSPOSE: usize = 24;
/// Transposition passes within each sweep round.
const ROUND_TRANSPOSE: usize = 1;
/// Sifting passes within each sweep round.
const ROUND_SIFT: usize = 1;
/// The most sifting passes at the end, each after a transposition.
const MAX_SIFT: usize = 4;
/// The most rounds of transposition then sifting at the end.
const MAX_POLISH: usize = 4;
/// Up to this many items, every sweep round also transposes and sifts; bigger maps transpose once at the
/// end, to keep the layout fast.
const ROUND_TRANSPOSE_ITEMS: usize = 1000;

/// Orders every layer to reduce crossings, keeping the members of each group (AS) contiguous
/// on each layer and the relative order of groups consistent between consecutive layers.
/// Returns the layers and their crossing count.
pub(super) fn order(
    mut layers: Vec<Vec<usize>>,
    groups: &[Option<u32>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
) -> (Vec<Vec<usize>>, usize) {
    let n = groups.len();
    let mut pos = vec![0usize; n];
    for l in 0..layers.len() {
        let keys = pos_keys(&layers[l]);
        arrange(&mut layers, l, groups, &keys, &mut pos);
        set_pos(&layers[l], &mut pos);
    }
    make_consistent(&mut layers, groups, &mut pos);
    let mut best = layers.clone();
    let mut best_c = crossings(&layers, &pos, down);
    let mut stale = 0;
    for _ in 0..MAX_ROUNDS {
        if best_c == 0 {
            break;
        }
        for l in 1..layers.len() {
            sweep(&mut layers, l, l - 1, groups, up, &mut pos);
        }
        for l in (0..layers.len().saturating_sub(1)).rev() {
            sweep(&mut layers, l, l + 1, groups, down, &mut pos);
        }
        make_consistent(&mut layers, groups, &mut pos);
        if groups.len() <= ROUND_TRANSPOSE_ITEMS {
            transpose(&mut layers, groups, up, down, &mut pos, ROUND_TRANSPOSE);
            sift(&mut layers, groups, up, down, &mut pos, ROUND_SIFT);
        }
        let c = crossings(&layers, &pos, down);
        if c < best_c {
            best_c = c;
            best.clone_from(&layers);
            stale = 0;
        } else {
            stale += 1;
            if stale >= PATIENCE {
                break;
            }
        }
    }
    let mut layers = best;
    for l in &layers {
        set_pos(l, &mut pos);
    }
    for _ in 0..MAX_POLISH {
        transpose(&mut layers, groups, up, down, &mut pos, MAX_TRANSPOSE);
        if !sift(&mut layers, groups, up, down, &mut pos, MAX_SIFT) {
            break;
        }
    }
    let c = crossings(&layers, &pos, down);
    (layers, c)
}

fn set_pos(layer: &[usize], pos: &mut [usize]) {
    for (i, &v) in layer.iter().enumerate() {
        pos[v] = i;
    }
}

fn pos_keys(layer: &[usize]) -> Vec<f64> {
    (0..layer.len()).map(|i| i as f64).collect()
}

/// Reorders layer `l` against the fixed layer `r`, whose items are `nbrs` of layer `l`'s.
fn sweep(
    layers: &mut [Vec<usize>],
    l: usize,
    r: usize,
    groups: &[Option<u32>],
    nbrs: &[Vec<usize>],
    pos: &mut [usize],
) {
    let len = layers[l].len().max(1) as f64;
    let rlen = layers[r].len().max(1) as f64;
    let keys: Vec<f64> = layers[l]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let ns = &nbrs[v];
            if ns.is_empty() {
                (i as f64 + 0.5) * rlen / len - 0.5
            } else {
                let mut ps: Vec<f64> = ns.iter().map(|&u| pos[u] as f64).collect();
                ps.sort_by(f64::total_cmp);
                let bary = ps.iter().sum::<f64>() / ps.len() as f64;
                let med = f64::midpoint(ps[(ps.len() - 1) / 2], ps[ps.len() / 2]);
                // Barycenter, nudged towards the median to break its ties sensibly.
                bary * 0.75 + med * 0.25
            }
        })
        .collect();
    arrange(layers, l, groups, &keys, pos);
    set_pos(&layers[l], pos);
    // Keep groups continuing from the reference layer in the reference layer's order.
    fix_against(layers, l, r, groups, pos);
}

/// A run of a layer sorted as one: its key, first position and members (key, position, item).
type Entity = (f64, usize, Vec<(f64, usize, usize)>);

/// Sorts layer `l` by `keys` (one per current position), groups first by their mean key.
fn arrange(
    layers: &mut [Vec<usize>],
    l: usize,
    groups: &[Option<u32>],
    keys: &[f64],
    _pos: &mut [usize],
) {
    let layer = &layers[l];
    // Entities: (key, first position, members with their keys).
    let mut entities: Vec<Entity> = Vec::new();
    let mut group_slot: HashMap<u32, usize> = HashMap::new();
    for (i, &v) in layer.iter().enumerate() {
        let k = keys[i];
        match groups[v] {
            Some(g) => {
                if let Some(&e) = group_slot.get(&g) {
                    entities[e].2.push((k, i, v));
                } else {
                    group_slot.insert(g, entities.len());
                    entities.push((0.0, i, vec![(k, i, v)]));
                }
            }
            None => entities.push((0.0, i, vec![(k, i, v)])),
        }
    }
    for e in &mut entities {
        e.0 = e.2.iter().map(|m| m.0).sum::<f64>() / e.2.len() as f64;
        e.2.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    entities.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    layers[l] = entities
        .into_iter()
        .flat_map(|e| e.2.into_iter().map(|m| m.2))
        .collect();
}

/// The groups of a layer in order of first appearance.
fn group_order(layer: &[usize], groups: &[Option<u32>]) -> Vec<u32> {
    let mut seen: HashSet<u32> = HashSet::new();
    layer
        .iter()
        .filter_map(|&v| groups[v])
        .filter(|g| seen.insert(*g))
        .collect()
}

/// Permutes the groups of layer `l` that also occur on layer `r` into `r`'s relative order,
/// leaving everything else in place.
fn fix_against(
    layers: &mut [Vec<usize>],
    l: usize,
    r: usize,
    groups: &[Option<u32>],
    pos: &mut [usize],
) {
    let ref_rank: HashMap<u32, usize> = group_order(&layers[r], groups)
        .into_iter()
        .enumerate()
        .map(|(i, g)| (g, i))
        .collect();
    let continuing: Vec<u32> = group_order(&layers[l], groups)
        .into_iter()
        .filter(|g| ref_rank.contains_key(g))
        .collect();
    if continuing.len() < 2 {
        return;
    }
    let mut wanted: Vec<u32> = continuing.clone();
    wanted.sort_by_key(|g| ref_rank[g]);
    if wanted == continuing {
        return;
    }
    // Rebuild: each continuing-group slot takes the next wanted group.
    let layer = &layers[l];
    let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
    for &v in layer {
        if let Some(g) = groups[v]
            && ref_rank.contains_key(&g)
        {
            members.entry(g).or_default().push(v);
        }
    }
    let mut next = wanted.iter();
    let mut out = Vec::with_capacity(layer.len());
    let mut done: HashSet<u32> = HashSet::new();
    for &v in layer {
        match groups[v] {
            Some(g) if ref_rank.contains_key(&g) => {
                if !done.insert(g) {
                    continue;
                }
                if let Some(h) = next.next() {
                    out.extend(members.get(h).into_iter().flatten().copied());
                }
            }
            _ => out.push(v),
        }
    }
    layers[l] = out;
    set_pos(&layers[l], pos);
}

/// Makes every layer's continuing groups follow the order of the layer above.
fn make_consistent(layers: &mut [Vec<usize>], groups: &[Option<u32>], pos: &mut [usize]) {
    for l in 1..layers.len() {
        fix_against(layers, l, l - 1, groups, pos);
    }
    for l in layers.iter() {
        set_pos(l, pos);
    }
}

/// Total crossings between all consecutive layers.
pub(super) fn crossings(layers: &[Vec<usize>], pos: &[usize], down: &[Vec<usize>]) -> usize {
    let mut total = 0;
    for l in 0..layers.len().saturating_sub(1) {
        total += layer_crossings(&layers[l], layers[l + 1].len(), pos, down);
    }
    total
}

/// Crossings between a layer and the next, by counting inversions with a Fenwick tree.
fn layer_crossings(layer: &[usize], next_len: usize, pos: &[usize], down: &[Vec<usize>]) -> usize {
    let mut ends: Vec<usize> = Vec::new();
    for &u in layer {
        let mut vs: Vec<usize> = down[u].iter().map(|&v| pos[v]).collect();
        vs.sort_unstable();
        ends.extend(vs);
    }
    let mut tree = vec![0usize; next_len + 1];
    let mut total = 0;
    for (seen, &p) in ends.iter().enumerate() {
        // Count earlier ends at positions <= p, the rest cross.
        let mut i = p + 1;
        let mut le = 0;
        while i > 0 {
            le += tree[i];
            i &= i - 1;
        }
        total += seen - le;
        let mut i = p + 1;
        while i <= next_len {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    total
}

/// Crossings among the edges of `a` and `b` (to `nbrs`) when `a` is left of `b`, and when `b`
/// is left of `a`.
fn pair_cost(a: &[usize], b: &[usize], nbrs: &[Vec<usize>], pos: &[usize]) -> (usize, usize) {
    let (mut ab, mut ba) = (0, 0);
    for &u in a {
        for &v in b {
            for &nu in &nbrs[u] {
                for &nv in &nbrs[v] {
                    match pos[nu].cmp(&pos[nv]) {
                        std::cmp::Ordering::Greater => ab += 1,
                        std::cmp::Ordering::Less => ba += 1,
                        std::cmp::Ordering::Equal => {}
                    }
                }
            }
        }
    }
    (ab, ba)
}

/// Swaps neighbouring entities (whole groups or single items) and neighbouring members of one
/// group while that lowers the crossings, without breaking group consistency.
fn transpose(
    layers: &mut [Vec<usize>],
    groups: &[Option<u32>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    pos: &mut [usize],
    max_passes: usize,
) {
    for _ in 0..max_passes {
        let mut improved = false;
        for l in 0..layers.len() {
            let set = |k: usize| -> HashSet<u32> {
                layers[k].iter().filter_map(|&v| groups[v]).collect()
            };
            let above: HashSet<u32> = if l > 0 { set(l - 1) } else { HashSet::new() };
            let below: HashSet<u32> = if l + 1 < layers.len() {
                set(l + 1)
            } else {
                HashSet::new()
            };
            // Entities of the layer as ranges.
            let mut ents: Vec<Vec<usize>> = Vec::new();
            for &v in &layers[l] {
                match (groups[v], ents.last()) {
                    (Some(g), Some(last)) if groups[last[0]] == Some(g) => {
                        ents.last_mut().expect("non-empty").push(v);
                    }
                    _ => ents.push(vec![v]),
                }
            }
            // Members within a group.
            for e in &mut ents {
                for i in 0..e.len().saturating_sub(1) {
                    let (a, b) = ([e[i]], [e[i + 1]]);
                    let (ab1, ba1) = pair_cost(&a, &b, up, pos);
                    let (ab2, ba2) = pair_cost(&a, &b, down, pos);
                    if ba1 + ba2 < ab1 + ab2 {
                        e.swap(i, i + 1);
                        pos[e[i]] = pos[e[i + 1]];
                        pos[e[i + 1]] = pos[e[i]] + 1;
                        improved = true;
                    }
                }
            }
            // Whole entities.
            let sticky = |e: &Vec<usize>| {
                groups[e[0]].is_some_and(|g| above.contains(&g) || below.contains(&g))
            };
            for i in 0..ents.len().saturating_sub(1) {
                if sticky(&ents[i]) && sticky(&ents[i + 1]) {
                    continue;
                }
                let (ab1, ba1) = pair_cost(&ents[i], &ents[i + 1], up, pos);
                let (ab2, ba2) = pair_cost(&ents[i], &ents[i + 1], down, pos);
                if ba1 + ba2 < ab1 + ab2 {
                    ents.swap(i, i + 1);
                    let flat: Vec<usize> = ents.iter().flatten().copied().collect();
                    set_pos(&flat, pos);
                    improved = true;
                }
            }
            layers[l] = ents.into_iter().flatten().collect();
            set_pos(&layers[l], pos);
        }
        if !improved {
            break;
        }
    }
}

/// A layer's entities: each maximal stretch of one group's members, and each item outside
/// any group on its own.
fn entities(layer: &[usize], groups: &[Option<u32>]) -> Vec<Vec<usize>> {
    let mut ents: Vec<Vec<usize>> = Vec::new();
    for &v in layer {
        match (groups[v], ents.last_mut()) {
            (Some(g), Some(last)) if groups[last[0]] == Some(g) => last.push(v),
            _ => ents.push(vec![v]),
        }
    }
    ents
}

/// Sifting: moves each entity of every layer, and each member within its group, to the place
/// with the fewest crossings with both neighbouring layers. Unlike transposition it crosses
/// several entities at once, so it leaves the local minima where every single swap costs more.
/// Two groups that both occur on a neighbouring layer never pass each other there, so groups
/// stay consistent. Returns whether anything moved.
fn sift(
    layers: &mut [Vec<usize>],
    groups: &[Option<u32>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    pos: &mut [usize],
    max_passes: usize,
) -> bool {
    let cost = |a: &[usize], b: &[usize], pos: &[usize]| {
        let (ab1, ba1) = pair_cost(a, b, up, pos);
        let (ab2, ba2) = pair_cost(a, b, down, pos);
        (ab1 + ab2, ba1 + ba2)
    };
    let mut any = false;
    for _ in 0..max_passes {
        let mut improved = false;
        for l in 0..layers.len() {
            let set = |k: Option<usize>| -> HashSet<u32> {
                k.and_then(|k| layers.get(k))
                    .map(|layer| layer.iter().filter_map(|&v| groups[v]).collect())
                    .unwrap_or_default()
            };
            let (above, below) = (set(l.checked_sub(1)), set(Some(l + 1)));
            let locked = |a: &[usize], b: &[usize]| match (groups[a[0]], groups[b[0]]) {
                (Some(g), Some(h)) => {
                    (above.contains(&g) && above.contains(&h))
                        || (below.contains(&g) && below.contains(&h))
                }
                _ => false,
            };
            let mut ents = entities(&layers[l], groups);
            for e in &mut ents {
                let mut members: Vec<Vec<usize>> = e.iter().map(|&v| vec![v]).collect();
                if sift_sequence(&mut members, |_, _| false, |a, b| cost(a, b, pos)) {
                    *e = members.into_iter().flatten().collect();
                    improved = true;
                }
            }
            if sift_sequence(&mut ents, locked, |a, b| cost(a, b, pos)) {
                improved = true;
            }
            layers[l] = ents.into_iter().flatten().collect();
            set_pos(&layers[l], pos);
        }
        any |= improved;
        if !improved {
            break;
        }
    }
    any
}

/// Moves each element of `seq` in turn (in their first order) to the slot with the least
/// `cost`, within the elements it is not `locked` against. `cost(a, b)` gives the crossings
/// with `a` left of `b` and with `b` left of `a`. Returns whether anything moved.
fn sift_sequence(
    seq: &mut Vec<Vec<usize>>,
    locked: impl Fn(&[usize], &[usize]) -> bool,
    cost: impl Fn(&[usize], &[usize]) -> (usize, usize),
) -> bool {
    if seq.len() < 2 {
        return false;
    }
    let order: Vec<usize> = seq.iter().map(|e| e[0]).collect();
    let mut moved = false;
    for key in order {
        let Some(i) = seq.iter().position(|e| e[0] == key) else {
            continue;
        };
        let e = seq.remove(i);
        let mut lo = i;
        while lo > 0 && !locked(&e, &seq[lo - 1]) {
            lo -= 1;
        }
        let mut hi = i;
        while hi < seq.len() && !locked(&e, &seq[hi]) {
            hi += 1;
        }
        // At slot s, the elements of lo..s are left of `e` (their ba) and the rest of lo..hi
        // right of it (their ab).
        let costs: Vec<(usize, usize)> = seq[lo..hi].iter().map(|f| cost(&e, f)).collect();
        let mut left = 0;
        let mut right: usize = costs.iter().map(|c| c.0).sum();
        let mut at_i = 0;
        let mut best = (usize::MAX, lo);
        for s in lo..=hi {
            let here = left + right;
            if s == i {
                at_i = here;
            }
            if here < best.0 {
                best = (here, s);
            }
            if s < hi {
                let (ab, ba) = costs[s - lo];
                left += ba;
                right -= ab;
            }
        }
        let target = if best.0 < at_i { best.1 } else { i };
        moved |= target != i;
        seq.insert(target, e);
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_crossings() {
        // Layer 0: a(0) b(1); layer 1: c(2) d(3); a->d, b->c cross once.
        let layers = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        let pos = vec![0, 1, 0, 1];
        assert_eq!(crossings(&layers, &pos, &down), 1);
    }

    #[test]
    fn removes_a_simple_crossing_and_keeps_groups_together() {
        let layers = vec![vec![0, 1], vec![2, 3, 4]];
        let down = vec![vec![4], vec![2], vec![], vec![], vec![]];
        let mut up = vec![vec![]; 5];
        up[4].push(0);
        up[2].push(1);
        let groups = vec![None, None, Some(7), None, Some(7)];
        let (layers, c) = order(layers, &groups, &up, &down);
        assert_eq!(c, 0);
        let l1 = &layers[1];
        let p2 = l1.iter().position(|&v| v == 2).unwrap();
        let p4 = l1.iter().position(|&v| v == 4).unwrap();
        assert_eq!(p2.abs_diff(p4), 1, "AS members adjacent: {l1:?}");
    }
}
