//! x placement: Brandes–Köpf-style alignment and compaction in four directions, balanced, then
//! a pass that pushes nodes apart until no two overlap and every AS box holds only its members.
//! AS titles are items of their own, so they get room like any member.

use std::collections::{HashMap, HashSet};

use super::item::{BOX_GAP, BOX_PAD, Item, ItemKind, NODE_GAP};

/// A run of one AS over consecutive layers.
#[derive(Clone, Debug)]
pub(super) struct Run {
    pub(super) asn: u32,
    pub(super) first: usize,
    pub(super) last: usize,
    /// Items of the run, top to bottom.
    pub(super) members: Vec<usize>,
}

/// The AS runs of an ordering, in order of first layer then position.
pub(super) fn runs(layers: &[Vec<usize>], groups: &[Option<u32>]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    // AS number to run index, for runs that reach layer l - 1.
    let mut open: HashMap<u32, usize> = HashMap::new();
    for (l, layer) in layers.iter().enumerate() {
        let mut now: HashMap<u32, usize> = HashMap::new();
        for &v in layer {
            let Some(g) = groups[v] else { continue };
            if let Some(&r) = now.get(&g) {
                out[r].members.push(v);
                continue;
            }
            let r = if let Some(&r) = open.get(&g) {
                out[r].last = l;
                r
            } else {
                out.push(Run {
                    asn: g,
                    first: l,
                    last: l,
                    members: Vec::new(),
                });
                out.len() - 1
            };
            out[r].members.push(v);
            now.insert(g, r);
        }
        open = now;
    }
    out
}

/// Horizontal separation between neighbours `a` then `b` on one layer.
fn sep(items: &[Item], a: usize, b: usize) -> f64 {
    let (ia, ib) = (&items[a], &items[b]);
    let gap = if ia.kind == ItemKind::Dummy || ib.kind == ItemKind::Dummy {
        NODE_GAP / 2.0
    } else {
        NODE_GAP
    };
    let boxes = if ia.group == ib.group {
        0.0
    } else {
        f64::from(u8::from(ia.group.is_some()) + u8::from(ib.group.is_some())) * BOX_PAD
            + if ia.group.is_some() || ib.group.is_some() {
                BOX_GAP
            } else {
                0.0
            }
    };
    f64::midpoint(ia.w, ib.w) + gap + boxes
}

/// One Brandes–Köpf pass. `vdown`: align with upper neighbours, top to bottom; `hleft`: left to
/// right. Returns x per item (mirrored back for right-to-left passes).
fn bk_pass(
    layers: &[Vec<usize>],
    items: &[Item],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    vdown: bool,
    hleft: bool,
) -> Vec<f64> {
    let n = items.len();
    // Positions in this pass's horizontal order.
    let mut hpos = vec![0usize; n];
    let ordered: Vec<Vec<usize>> = layers
        .iter()
        .map(|l| {
            if hleft {
                l.clone()
            } else {
                l.iter().rev().copied().collect()
            }
        })
        .collect();
    for l in &ordered {
        for (i, &v) in l.iter().enumerate() {
            hpos[v] = i;
        }
    }
    let nbrs = if vdown { up } else { down };
    let layer_seq: Vec<usize> = if vdown {
        (0..ordered.len()).collect()
    } else {
        (0..ordered.len()).rev().collect()
    };

    // Type 1 conflicts: a non-inner segment crossing an inner (dummy-dummy) segment.
    let is_dummy = |v: usize| items[v].kind == ItemKind::Dummy;
    let mut marked: HashSet<(usize, usize)> = HashSet::new();
    for &l in &layer_seq {
        let mut inner = Vec::new();
        let mut other = Vec::new();
        for &v in &ordered[l] {
            for &u in &nbrs[v] {
                if is_dummy(u) && is_dummy(v) {
                    inner.push((hpos[u], hpos[v]));
                } else {
                    other.push((u, v));
                }
            }
        }
        if inner.is_empty() {
            continue;
        }
        for &(u, v) in &other {
            let (pu, pv) = (hpos[u], hpos[v]);
            if inner
                .iter()
                .any(|&(iu, iv)| (pu < iu && pv > iv) || (pu > iu && pv < iv))
            {
                marked.insert((u, v));
            }
        }
    }

    // Vertical alignment.
    let mut root: Vec<usize> = (0..n).collect();
    let mut align: Vec<usize> = (0..n).collect();
    for &l in layer_seq.iter().skip(1) {
        let mut r: isize = -1;
        for &v in &ordered[l] {
            let mut ns: Vec<usize> = nbrs[v].clone();
            if ns.is_empty() {
                continue;
            }
            ns.sort_by_key(|&u| hpos[u]);
            let d = ns.len();
            let mut meds = vec![(d - 1) / 2];
            if d / 2 != (d - 1) / 2 {
                meds.push(d / 2);
            }
            for m in meds {
                if align[v] != v {
                    break;
                }
                let u = ns[m];
                let pu = hpos[u].cast_signed();
                if !marked.contains(&(u, v)) && r < pu && align[u] == u {
                    align[u] = v;
                    root[v] = root[u];
                    align[v] = root[v];
                    r = pu;
                }
            }
        }
    }

    // Horizontal compaction: longest path over blocks, left to right.
    let mut succ: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for l in &ordered {
        for w in l.windows(2) {
            let (a, b) = (w[0], w[1]);
            let s = if hleft {
                sep(items, a, b)
            } else {
                sep(items, b, a)
            };
            succ[root[a]].push((root[b], s));
            indeg[root[b]] += 1;
        }
    }
    let mut x = vec![0.0f64; n];
    let mut queue: Vec<usize> = (0..n).filter(|&v| root[v] == v && indeg[v] == 0).collect();
    let mut done = 0usize;
    let blocks = (0..n).filter(|&v| root[v] == v).count();
    while let Some(b) = queue.pop() {
        done += 1;
        for &(c, s) in &succ[b] {
            if x[c] < x[b] + s {
                x[c] = x[b] + s;
            }
            indeg[c] -= 1;
            if indeg[c] == 0 {
                queue.push(c);
            }
        }
    }
    if done < blocks {
        // Cannot happen with a proper alignment; fall back to packing each layer on its own.
        for l in &ordered {
            let mut cur = 0.0;
            for (i, &v) in l.iter().enumerate() {
                if i > 0 {
                    cur += if hleft {
                        sep(items, l[i - 1], v)
                    } else {
                        sep(items, v, l[i - 1])
                    };
                }
                x[v] = cur;
            }
        }
        return if hleft {
            x
        } else {
            x.iter().map(|v| -v).collect()
        };
    }
    let out: Vec<f64> = (0..n).map(|v| x[root[v]]).collect();
    if hleft {
        out
    } else {
        out.iter().map(|v| -v).collect()
    }
}

fn extent(items: &[Item], x: &[f64]) -> (f64, f64) {
    let lo = items
        .iter()
        .zip(x)
        .map(|(i, x)| x - i.w / 2.0)
        .fold(f64::MAX, f64::min);
    let hi = items
        .iter()
        .zip(x)
        .map(|(i, x)| x + i.w / 2.0)
        .fold(f64::MIN, f64::max);
    (lo, hi)
}

/// Places every item; see the module docs.
pub(super) fn place(
    layers: &[Vec<usize>],
    items: &[Item],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    runs: &[Run],
) -> Vec<f64> {
    let n = items.len();
    if n == 0 {
        return Vec::new();
    }
    let passes: Vec<(bool, Vec<f64>)> =
        [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .map(|(vd, hl)| (hl, bk_pass(layers, items, up, down, vd, hl)))
            .collect();
    // Align to the narrowest pass, then take the average median.
    let exts: Vec<(f64, f64)> = passes.iter().map(|(_, x)| extent(items, x)).collect();
    let narrowest = (0..4)
        .min_by(|&a, &b| (exts[a].1 - exts[a].0).total_cmp(&(exts[b].1 - exts[b].0)))
        .unwrap_or(0);
    let (nlo, nhi) = exts[narrowest];
    let shifted: Vec<Vec<f64>> = passes
        .iter()
        .zip(&exts)
        .map(|((hl, x), (lo, hi))| {
            let d = if *hl { nlo - lo } else { nhi - hi };
            x.iter().map(|v| v + d).collect()
        })
        .collect();
    let mut x: Vec<f64> = (0..n)
        .map(|v| {
            let mut c = [shifted[0][v], shifted[1][v], shifted[2][v], shifted[3][v]];
            c.sort_by(f64::total_cmp);
            f64::midpoint(c[1], c[2])
        })
        .collect();

    // Brandes–Köpf can spread a tangled graph far wider than its widest row (long alignment
    // chains pushing each other); then start from packed rows refined by neighbour averaging.
    let packed = layers
        .iter()
        .map(|l| {
            let seps: f64 = l.windows(2).map(|w| sep(items, w[0], w[1])).sum();
            seps + l.first().map_or(0.0, |&v| items[v].w / 2.0)
                + l.last().map_or(0.0, |&v| items[v].w / 2.0)
        })
        .fold(0.0, f64::max);
    let (lo, hi) = extent(items, &x);
    if hi - lo > 1.5 * packed + 200.0 {
        x = refine(layers, items, up, down);
    }

    // Constraints x[b] >= x[a] + d, all within one layer and pointing right, so they settle.
    let mut cons: Vec<(usize, usize, f64)> = Vec::new();
    for l in layers {
        for w in l.windows(2) {
            cons.push((w[0], w[1], sep(items, w[0], w[1])));
        }
    }
    let mut run_of: HashMap<usize, usize> = HashMap::new();
    for (r, run) in runs.iter().enumerate() {
        for &m in &run.members {
            run_of.insert(m, r);
        }
    }
    // In row order, left to right, one pass settles them (the second checks).
    let mut pos = vec![0usize; items.len()];
    for l in layers {
        for (k, &v) in l.iter().enumerate() {
            pos[v] = k;
        }
    }
    cons.sort_by_key(|&(a, _, _)| (items[a].layer, pos[a]));
    let start = x.clone();
    if !relax(&mut x, &cons, items.len() + 2) {
        // Cannot happen (every constraint points right within a layer); stay overlap-free.
        x = start;
        for l in layers {
            for k in 1..l.len() {
                x[l[k]] = x[l[k]].max(x[l[k - 1]] + sep(items, l[k - 1], l[k]));
            }
        }
        return x;
    }
    // Tidy boxes: try to make every AS box a rectangle, by keeping whatever is beside a run on
    // any of its rows clear of all of the run's members. Kept unless it widens the map much.
    let mut rect = x.clone();
    let Some(box_cons) = rectangle_constraints(layers, items, runs, &run_of) else {
        return x;
    };
    cons.extend(box_cons);
    if relax(&mut rect, &cons, MAX_RECT_PASSES) {
        let (lo, hi) = extent(items, &x);
        let (rlo, rhi) = extent(items, &rect);
        if rhi - rlo <= 1.25 * (hi - lo) + 100.0 {
            return rect;
        }
    }
    x
}

/// A layer's run of one AS or a single item, for [`rectangle_constraints`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Ent {
    Run(usize),
    Item(usize),
}

/// Constraints that keep, for every pair of neighbouring entities on a row where one is an AS
/// run, all members of the right one clear of all members of the left one (with box padding
/// and label width), so every box can be drawn as a rectangle.
fn rectangle_constraints(
    layers: &[Vec<usize>],
    items: &[Item],
    runs: &[Run],
    run_of: &HashMap<usize, usize>,
) -> Option<Vec<(usize, usize, f64)>> {
    let mut pairs: HashSet<(Ent, Ent)> = HashSet::new();
    let mut pair_list: Vec<(Ent, Ent)> = Vec::new();
    for l in layers {
        let mut ents: Vec<Ent> = Vec::new();
        for &v in l {
            let e = run_of.get(&v).map_or(Ent::Item(v), |&r| Ent::Run(r));
            if ents.last() != Some(&e) {
                ents.push(e);
            }
        }
        for w in ents.windows(2) {
            if (matches!(w[0], Ent::Run(_)) || matches!(w[1], Ent::Run(_)))
                && pairs.insert((w[0], w[1]))
            {
                pair_list.push((w[0], w[1]));
            }
        }
    }
    let mut cons = Vec::new();
    for (e, f) in pair_list {
        let es: &[usize] = match e {
            Ent::Run(r) => &runs[r].members,
            Ent::Item(ref i) => std::slice::from_ref(i),
        };
        let fs: &[usize] = match f {
            Ent::Run(r) => &runs[r].members,
            Ent::Item(ref i) => std::slice::from_ref(i),
        };
        if cons.len() + es.len() * fs.len() > MAX_RECT_CONSTRAINTS {
            return None;
        }
        let epad = if matches!(e, Ent::Run(_)) {
            BOX_PAD
        } else {
            0.0
        };
        let fpad = if matches!(f, Ent::Run(_)) {
            BOX_PAD
        } else {
            0.0
        };
        for &a in es {
            let right = items[a].w / 2.0 + epad;
            for &b in fs {
                if a != b {
                    cons.push((a, b, right + BOX_GAP + items[b].w / 2.0 + fpad));
                }
            }
        }
    }
    Some(cons)
}

/// Past this many constraints, boxes are left as staircases (bounded work on huge inputs).
const MAX_RECT_CONSTRAINTS: usize = 2_000_000;
/// Relaxation passes allowed for rectangular boxes before giving up on them.
const MAX_RECT_PASSES: usize = 64;

/// Rounds of neighbour averaging in [`refine`].
const REFINE_ROUNDS: usize = 12;

/// Placement by neighbour averaging: rows start packed and centred; each round moves every
/// item towards the mean x of its neighbours in the row above (then below), and projects each
/// row back onto its order and spacing with the least squared movement.
fn refine(
    layers: &[Vec<usize>],
    items: &[Item],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
) -> Vec<f64> {
    let mut x = vec![0.0; items.len()];
    for l in layers {
        let mut cur = 0.0;
        for (k, &v) in l.iter().enumerate() {
            if k > 0 {
                cur += sep(items, l[k - 1], v);
            }
            x[v] = cur;
        }
        let mid = cur / 2.0;
        for &v in l {
            x[v] -= mid;
        }
    }
    for round in 0..REFINE_ROUNDS {
        let downward = round % 2 == 0;
        let order: Vec<usize> = if downward {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for li in order {
            let l = &layers[li];
            let nbrs = if downward { up } else { down };
            let want: Vec<f64> = l
                .iter()
                .map(|&v| {
                    let ns = &nbrs[v];
                    if ns.is_empty() {
                        x[v]
                    } else {
                        ns.iter().map(|&u| x[u]).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            let placed = project(l, items, &want);
            for (&v, p) in l.iter().zip(placed) {
                x[v] = p;
            }
        }
    }
    x
}

/// The positions closest (least squares) to `want` that keep the row's order and spacing:
/// isotonic regression by pooling adjacent violators, on positions less their offsets.
fn project(l: &[usize], items: &[Item], want: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; l.len()];
    for k in 1..l.len() {
        offset[k] = offset[k - 1] + sep(items, l[k - 1], l[k]);
    }
    // Blocks of (sum, count) whose mean is non-decreasing.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(l.len());
    for k in 0..l.len() {
        blocks.push((want[k] - offset[k], 1.0, 1));
        while blocks.len() >= 2 {
            let (s1, c1, n1) = blocks[blocks.len() - 1];
            let (s0, c0, n0) = blocks[blocks.len() - 2];
            if s0 / c0 <= s1 / c1 {
                break;
            }
            blocks.pop();
            blocks.pop();
            blocks.push((s0 + s1, c0 + c1, n0 + n1));
        }
    }
    let mut out = Vec::with_capacity(l.len());
    for (s, c, n) in blocks {
        for _ in 0..n {
            out.push(s / c + offset[out.len()]);
        }
    }
    out
}

/// Pushes items right until every constraint holds. False if that does not settle (a cycle).
fn relax(x: &mut [f64], cons: &[(usize, usize, f64)], max_passes: usize) -> bool {
    for _ in 0..max_passes {
        let mut changed = false;
        for &(a, b, d) in cons {
            let want = x[a] + d;
            if x[b] < want - 1e-9 {
                x[b] = want;
                changed = true;
            }
        }
        if !changed {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_when_an_as_leaves_and_returns() {
        let layers = vec![vec![0], vec![1], vec![2], vec![3]];
        let groups = vec![Some(1), Some(1), None, Some(1)];
        let r = runs(&layers, &groups);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].first, r[0].last, r[0].members.clone()),
            (0, 1, vec![0, 1])
        );
        assert_eq!((r[1].first, r[1].last), (3, 3));
    }
}
