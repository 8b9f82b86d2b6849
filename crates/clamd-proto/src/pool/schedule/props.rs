//! Property tests of the scheduler under any order of answers, failures, probe results and
//! clock ticks: every file is final exactly once, a file is never in flight twice, a slot
//! never holds two files, and only a host that is up gets files.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::{AfterFailure, Assignment, FileId, Health, Retry, Scheduler};

#[derive(Debug, Clone, Copy)]
enum Op {
    /// A file of this many bytes from the walk, if the scheduler wants one.
    Feed(u64),
    /// The in-flight file picked by this number is answered.
    Done(usize),
    /// Its host fails with it.
    Fail(usize),
    /// The clock moves on by this many milliseconds.
    Tick(u64),
    /// The probe picked by this number answers (or not).
    Probe(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..1000).prop_map(Op::Feed),
        3 => any::<usize>().prop_map(Op::Done),
        2 => any::<usize>().prop_map(Op::Fail),
        2 => (0u64..3000).prop_map(Op::Tick),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(i, ok)| Op::Probe(i, ok)),
    ]
}

/// The test's view of a run: what is in flight where, and what is final.
struct Model {
    s: Scheduler,
    now: Instant,
    next: FileId,
    flight: Vec<Assignment>,
    probes: Vec<usize>,
    finals: BTreeMap<FileId, &'static str>,
}

impl Model {
    fn final_once(&mut self, id: FileId, how: &'static str) {
        let before = self.finals.insert(id, how);
        assert!(before.is_none(), "file {id} final twice: {before:?}, {how}");
    }

    /// What the driver does between two events: assignments, then probes.
    fn settle(&mut self) {
        while let Some(a) = self.s.poll_assign() {
            assert_eq!(self.s.health(a.host), Some(Health::Up), "{a:?}");
            assert!(!self.finals.contains_key(&a.work.id), "{a:?} is final");
            let busy: HashSet<(usize, usize)> =
                self.flight.iter().map(|f| (f.host, f.slot)).collect();
            assert!(!busy.contains(&(a.host, a.slot)), "{a:?}: slot busy");
            assert!(
                self.flight.iter().all(|f| f.work.id != a.work.id),
                "{a:?}: already in flight"
            );
            self.flight.push(a);
        }
        self.s.handle_timeout(self.now);
        while let Some(h) = self.s.poll_probe() {
            assert!(matches!(self.s.health(h), Some(Health::Probing { .. })));
            self.probes.push(h);
        }
        let queued = self.next - self.finals.len() - self.flight.len();
        assert_eq!(self.s.pending(), self.flight.len() + queued);
        if let Some(at) = self.s.poll_timeout() {
            assert!(at > self.now, "a retry that is due was not probed");
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Feed(bytes) if self.s.wants_files() => {
                let id = self.next;
                self.next += 1;
                self.s.handle_file(id, format!("/f{id}").into(), bytes);
            }
            Op::Done(i) if !self.flight.is_empty() => {
                let a = self.flight.swap_remove(i % self.flight.len());
                let w = self.s.handle_done(a.host, a.slot, a.work.id).unwrap();
                self.final_once(w.id, "done");
                // A second answer for it is refused.
                assert!(self.s.handle_done(a.host, a.slot, a.work.id).is_none());
            }
            Op::Fail(i) if !self.flight.is_empty() => {
                let a = self.flight.swap_remove(i % self.flight.len());
                let (_, after) = self
                    .s
                    .handle_failed(a.host, a.slot, a.work.id, self.now)
                    .unwrap();
                if let AfterFailure::GaveUp(w) = after {
                    self.final_once(w.id, "gave up");
                }
            }
            Op::Tick(ms) => self.now += Duration::from_millis(ms),
            Op::Probe(i, ok) if !self.probes.is_empty() => {
                let h = self.probes.swap_remove(i % self.probes.len());
                assert!(self.s.handle_probe(h, ok, self.now).is_some());
            }
            _ => {}
        }
        self.settle();
    }

    /// The end of the run: the deadline closes it, what is queued is given back, and what is
    /// in flight is answered.
    fn end(mut self) -> BTreeMap<FileId, &'static str> {
        self.s.close();
        for w in self.s.drain() {
            self.final_once(w.id, "not scanned");
        }
        for a in std::mem::take(&mut self.flight) {
            let w = self.s.handle_done(a.host, a.slot, a.work.id).unwrap();
            self.final_once(w.id, "done");
        }
        assert!(self.s.is_empty());
        self.finals
    }
}

proptest! {
    #[test]
    fn every_file_is_final_once_whatever_fails_and_comes_back(
        hosts in 1usize..4,
        slots in 1usize..3,
        probes in 0usize..4,
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        let retry = Retry {
            first: Duration::from_millis(500),
            max: Duration::from_secs(2),
            probes,
        };
        let mut m = Model {
            s: Scheduler::new(hosts, slots, 8, 3, retry),
            now: Instant::now(),
            next: 0,
            flight: Vec::new(),
            probes: Vec::new(),
            finals: BTreeMap::new(),
        };
        m.settle();
        for op in ops {
            m.apply(op);
        }
        let fed = m.next;
        let finals = m.end();
        let ids: BTreeSet<FileId> = finals.keys().copied().collect();
        prop_assert_eq!(ids, (0..fed).collect::<BTreeSet<_>>());
    }
}
