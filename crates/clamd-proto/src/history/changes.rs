//! What changed between two runs of an environment (`opskit scan report --new`).

use std::collections::{BTreeMap, BTreeSet};

use super::record::{Finding, FindingKind, HostRecord, RunChanges, RunRecord};
use crate::fleet::HostState;

/// An infection, as compared between runs: the host, the path and the signature.
fn infections(r: &RunRecord) -> BTreeSet<&Finding> {
    r.findings
        .iter()
        .filter(|f| f.kind == FindingKind::Infected)
        .collect()
}

fn states(r: &RunRecord) -> BTreeMap<&str, HostState> {
    r.hosts.iter().map(|h| (h.host.as_str(), h.state)).collect()
}

/// `run` against `previous`: with no previous run, everything `run` found is new and every
/// host that failed has failed. A host that failed in both is in neither list.
pub(crate) fn changes(run: RunRecord, previous: Option<RunRecord>) -> RunChanges {
    let now = infections(&run);
    let before = previous.as_ref().map(infections).unwrap_or_default();
    let now_states = states(&run);
    let before_states = previous.as_ref().map(states).unwrap_or_default();
    let new_infections = now.difference(&before).map(|f| (*f).clone()).collect();
    let infections_gone = before
        .difference(&now)
        .filter(|f| now_states.get(f.host.as_str()) == Some(&HostState::Done))
        .map(|f| (*f).clone())
        .collect();
    let failed_before = |h: &HostRecord| {
        before_states
            .get(h.host.as_str())
            .is_some_and(|s| *s != HostState::Done)
    };
    let hosts_failed = run
        .hosts
        .iter()
        .filter(|h| h.state != HostState::Done && !failed_before(h))
        .cloned()
        .collect();
    let hosts_recovered = run
        .hosts
        .iter()
        .filter(|h| h.state == HostState::Done && failed_before(h))
        .cloned()
        .collect();
    RunChanges {
        environment: run.run.environment.clone(),
        previous: previous.map(|p| p.run),
        run: run.run,
        new_infections,
        infections_gone,
        hosts_failed,
        hosts_recovered,
    }
}
