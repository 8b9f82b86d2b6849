//! The stopping rule between two hops, router by router of the first: which of the flows
//! through each router to probe at the next hop.
//!
//! A router whose flows reached `s` successors hides one more with chance
//! [`miss`]`(s, m)` after `m` of its flows answered at the next hop.
//!
//! - **Pooled** (MDA-Lite's model of uniform, unmeshed load balancing): every router of a
//!   hop has as many successors as the others, so the next hop hides an interface only if
//!   every router hides one, and the test multiplies their chances. Against routers whose
//!   numbers of successors differ unseen (which the model rules out, and the pooled chance
//!   does not see) each router also keeps its chance, weighted by its share of the hop's
//!   flows, under `1 - confidence`: a router that carries half the flows can hide much more
//!   than one that carries an eighth. A router that showed one successor gets fresh flows
//!   for it when its own run short (it may be a load balancer that looks like a plain hop);
//!   one that showed a split, only the flows at hand. No router goes below two answered
//!   flows when it has them (MDA-Lite's meshing test).
//! - **Full** (the full MDA, where meshing or uneven numbers of successors were seen): each
//!   router passes on its own.

use super::stopping::{MAX_PROBES_PER_HOP, miss};

/// One router of the first hop.
#[derive(Clone, Debug)]
pub(crate) struct Branch {
    /// Successors its flows reached at the next hop.
    pub(crate) succ: usize,
    /// Its flows answered at the next hop.
    pub(crate) answered: u32,
    /// Its flows not yet probed at the next hop, the next to try last.
    pub(crate) untried: Vec<u16>,
    /// Its share of the hop's flows, 0 to 1.
    pub(crate) share: f64,
}

impl Branch {
    fn chance(&self) -> f64 {
        miss(self.succ, self.answered)
    }

    /// The chance it must get under, whatever the others show.
    fn floor(&self, eps: f64) -> f64 {
        (eps / self.share.max(f64::MIN_POSITIVE)).min(MIN_FLOWS_CHANCE)
    }
}

/// `miss(1, 2)`: two answered flows through a router with one successor.
const MIN_FLOWS_CHANCE: f64 = 0.5;

/// What the test asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Flows to probe at the next hop.
    pub(crate) asks: Vec<u16>,
    /// The flows at hand do not suffice: more flows through the first hop's routers are
    /// needed (node control).
    pub(crate) short: bool,
    /// When short: how many more answers the test wants.
    pub(crate) more: u32,
}

/// Plans the flows that bring the hop's chance of hiding an interface to `eps` at most.
pub(crate) fn plan(mut branches: Vec<Branch>, eps: f64, full: bool) -> Plan {
    let mut out = Plan::default();
    if full {
        for b in &mut branches {
            while b.chance() > eps {
                let Some(f) = b.untried.pop() else {
                    out.short = true;
                    break;
                };
                out.asks.push(f);
                b.answered += 1;
            }
        }
        if out.short {
            estimate_more(&mut branches, eps, true, &mut out);
        }
        return out;
    }
    let mut left: f64 = branches.iter().map(Branch::chance).product();
    loop {
        let pooled = left > eps;
        // The router with the most to tell: its next answer cuts the chance most.
        let best = branches
            .iter_mut()
            .filter(|b| !b.untried.is_empty() && (pooled || b.chance() > b.floor(eps)))
            .max_by(|a, b| a.chance().total_cmp(&b.chance()));
        let Some(b) = best else {
            out.short = pooled
                || branches
                    .iter()
                    .any(|b| b.succ <= 1 && b.chance() > b.floor(eps));
            break;
        };
        let before = b.chance();
        out.asks.extend(b.untried.pop());
        b.answered += 1;
        left = left / before.max(f64::MIN_POSITIVE) * b.chance();
    }
    // Every router needs one answered flow at least, for its link.
    out.short |= branches.iter().any(|b| b.answered == 0);
    if out.short {
        estimate_more(&mut branches, eps, false, &mut out);
    }
    out
}

/// Fills in `more`: answers still wanted as if more flows were at hand, by
/// the pooled test or (`full`) router by router.
fn estimate_more(branches: &mut [Branch], eps: f64, full: bool, out: &mut Plan) {
    let mut wanted = vec![0u32; branches.len()];
    let mut left: f64 = branches.iter().map(Branch::chance).product();
    for _ in 0..MAX_PROBES_PER_HOP {
        let unlinked = branches
            .iter()
            .position(|b| b.answered == 0 || (full && b.chance() > eps));
        let pick = unlinked.or_else(|| {
            (!full && left > eps)
                .then(|| {
                    (0..branches.len())
                        .max_by(|&a, &b| branches[a].chance().total_cmp(&branches[b].chance()))
                })
                .flatten()
        });
        let Some(i) = pick else { break };
        let before = branches[i].chance();
        branches[i].answered += 1;
        wanted[i] += 1;
        left = left / before.max(f64::MIN_POSITIVE) * branches[i].chance();
    }
    out.more = wanted.iter().sum::<u32>().max(1);
}

#[cfg(test)]
mod tests {
    use super::{Branch, plan};

    fn branches(k: usize, flows_each: u16) -> Vec<Branch> {
        (0..k)
            .map(|i| Branch {
                succ: 1,
                answered: 1,
                untried: (0..flows_each).map(|f| i as u16 * 100 + f).collect(),
                share: 1.0 / f64::from(k as u32),
            })
            .collect()
    }

    #[test]
    fn one_router_needs_the_stopping_rule() {
        // n_1 = 6 answers: five more after the first.
        let p = plan(branches(1, 20), 0.05, false);
        assert_eq!(p.asks.len(), 5);
        assert!(!p.short);
    }

    #[test]
    fn parallel_routers_share_the_evidence() {
        // Eight routers with one successor each: 2^(8 - m) <= 5% takes m = 13 answers, and
        // the floor (share 1/8: 5% / 1/8 = 40%, three answers each) 24: sixteen more, against
        // 44 answers for the hop-level rule.
        let p = plan(branches(8, 20), 0.05, false);
        assert_eq!(p.asks.len(), 16);
        // The full MDA: six answers each.
        let p = plan(branches(8, 20), 0.05, true);
        assert_eq!(p.asks.len(), 8 * 5);
    }

    #[test]
    fn a_router_with_half_the_flows_gets_more_of_them() {
        let mut b = branches(2, 20);
        b[0].share = 0.75;
        b[1].share = 0.25;
        let p = plan(b, 0.05, false);
        let first = p.asks.iter().filter(|&&f| f < 100).count();
        assert!(first > p.asks.len() - first, "{:?}", p.asks);
    }

    #[test]
    fn too_few_flows_at_hand_ask_for_more() {
        let p = plan(branches(2, 1), 0.05, false);
        assert_eq!(p.asks.len(), 2);
        assert!(p.short);
        let mut b = branches(2, 0);
        b[1].answered = 0;
        assert!(plan(b, 0.05, false).short);
    }
}
