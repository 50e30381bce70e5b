//! The invariant checkers on runs of a tiny Raft model: every run the model produces passes
//! all four, and each mutation that breaks one property is caught by its checker.
//!
//! The model keeps the rules the properties follow from and nothing else: a candidate wins a
//! new term only with the votes of a majority whose logs are no more up to date than its own;
//! a leader appends to its own log and a follower takes a leader's entries only after a
//! matching previous entry, dropping a conflicting suffix; a leader commits an entry of its
//! own term once a majority holds it, and followers learn the commit as they replicate.
//! Crashes bump an incarnation and end a reign; a heal at the end elects a leader that
//! brings every log up to date.

use coterie_check::invariants::{
    AckedWrite, AppliedState, EntryId, LeaderIds, LeaderObservation, LogEntry, NodeLog, Property, RunSnapshot,
    check_acknowledged_writes, check_all, check_election_safety, check_log_matching, check_state_machine_safety,
};
use proptest::prelude::*;

const NODES: usize = 3;

struct Model {
    /// The planted protocol bug: voters grant their vote without comparing logs.
    sloppy_votes: bool,
    logs: Vec<Vec<LogEntry>>,
    committed: Vec<u64>,
    incarnation: Vec<u64>,
    term: u64,
    leader: Option<usize>,
    next_write: u64,
    now: u64,
    run: RunSnapshot,
}

fn mix(a: u64, b: u64) -> u64 {
    (a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15)).rotate_left(27).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

fn up_to_date(log: &[LogEntry]) -> (u64, u64) {
    log.last().map_or((0, 0), |e| (e.id.term, e.id.index))
}

impl Model {
    fn new(sloppy_votes: bool) -> Self {
        Model {
            sloppy_votes,
            logs: vec![Vec::new(); NODES],
            committed: vec![0; NODES],
            incarnation: vec![1; NODES],
            term: 0,
            leader: None,
            next_write: 1,
            now: 0,
            run: RunSnapshot {
                leader_ids: LeaderIds::Term,
                leaders: Vec::new(),
                logs: Vec::new(),
                applied: Vec::new(),
                acked: Vec::new(),
            },
        }
    }

    fn observe(&mut self, observer: usize, acting: bool) {
        let Some(leader) = self.leader else { return };
        self.run.leaders.push(LeaderObservation {
            at: self.now,
            observer: observer as u64 + 1,
            incarnation: self.incarnation[observer],
            term: self.term,
            leader: leader as u64 + 1,
            acting,
        });
    }

    /// Candidate `c` runs for a new term; it wins with a majority of voters not ahead of it.
    fn elect(&mut self, c: usize) -> bool {
        self.term += 1;
        let mine = up_to_date(&self.logs[c]);
        let votes = (0..NODES).filter(|&v| self.sloppy_votes || up_to_date(&self.logs[v]) <= mine).count();
        if votes * 2 <= NODES {
            self.leader = None;
            return false;
        }
        self.leader = Some(c);
        self.observe(c, true);
        true
    }

    fn append(&mut self, write: bool) {
        let Some(l) = self.leader else { return };
        let index = self.logs[l].len() as u64 + 1;
        let write = write.then(|| {
            self.next_write += 1;
            self.next_write
        });
        let id = EntryId { index, term: self.term, leader: l as u64 + 1 };
        self.logs[l].push(LogEntry { id, payload: mix(index, mix(self.term, write.unwrap_or(0))), write });
    }

    /// The leader sends follower `f` its entries up to `upto` (clamped), Raft's AppendEntries.
    fn replicate(&mut self, f: usize, upto: usize) {
        let Some(l) = self.leader else { return };
        if f == l {
            return;
        }
        let leader_log = self.logs[l].clone();
        let common = leader_log.iter().zip(&self.logs[f]).take_while(|(a, b)| a == b).count();
        let upto = upto.clamp(common, leader_log.len());
        // A follower keeps a longer matching log; it drops everything from the first conflict.
        let conflict = self.logs[f].iter().zip(&leader_log[..upto]).position(|(a, b)| a != b);
        if let Some(at) = conflict {
            self.logs[f].truncate(at);
        }
        for entry in leader_log.iter().take(upto).skip(self.logs[f].len()) {
            self.logs[f].push(*entry);
        }
        self.observe(f, false);
        self.commit(l);
        let known = self.committed[l].min(upto as u64);
        self.committed[f] = self.committed[f].max(known);
        self.sample(f);
    }

    fn commit(&mut self, l: usize) {
        let log = &self.logs[l];
        for entry in log.iter().rev() {
            if entry.id.term != self.term || entry.id.index <= self.committed[l] {
                break;
            }
            let holders = (0..NODES).filter(|&n| self.logs[n].get(entry.id.index as usize - 1) == Some(entry)).count();
            if holders * 2 > NODES {
                let from = self.committed[l];
                self.committed[l] = entry.id.index;
                for e in log.iter().take(entry.id.index as usize).skip(from as usize) {
                    if let Some(write) = e.write {
                        let description = format!("write at {}", e.id);
                        self.run.acked.push(AckedWrite { write, acked_at: self.now, description });
                    }
                }
                break;
            }
        }
        self.sample(l);
    }

    fn sample(&mut self, n: usize) {
        let applied = self.committed[n];
        let state = self.logs[n].iter().take(applied as usize).fold(0, |h, e| mix(h, e.payload));
        self.run.applied.push(AppliedState { at: self.now, node: n as u64 + 1, index: applied, state });
    }

    fn crash(&mut self, n: usize) {
        self.incarnation[n] += 1;
        if self.leader == Some(n) {
            self.leader = None;
        }
    }

    fn step(&mut self, (kind, a, b): (u8, usize, usize)) {
        self.now += 1;
        match kind % 10 {
            0 => {
                self.elect(a % NODES);
            }
            1..=4 => self.append(b % 2 == 0),
            5..=8 => self.replicate(a % NODES, b % 12),
            _ => self.crash(a % NODES),
        }
    }

    /// Heals: a leader is elected, appends a blank entry and brings every log up to date.
    fn finish(mut self) -> RunSnapshot {
        let mut elected = false;
        for c in 0..NODES {
            if self.elect(c) {
                elected = true;
                break;
            }
        }
        if elected {
            self.append(false);
            for f in 0..NODES {
                self.replicate(f, usize::MAX);
            }
            for f in 0..NODES {
                self.replicate(f, usize::MAX);
            }
        }
        self.run.logs = (0..NODES)
            .map(|n| NodeLog {
                node: n as u64 + 1,
                entries: self.logs[n].clone(),
                committed: Some(self.committed[n]),
                applied: Some(self.committed[n]),
            })
            .collect();
        self.run
    }
}

fn runs() -> impl Strategy<Value = RunSnapshot> {
    runs_of(false)
}

fn runs_of(sloppy_votes: bool) -> impl Strategy<Value = RunSnapshot> {
    prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 10..120).prop_map(move |steps| {
        let mut model = Model::new(sloppy_votes);
        for step in steps {
            model.step(step);
        }
        model.finish()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_run_of_the_model_passes_all_four(run in runs()) {
        prop_assert_eq!(check_all(&run), Vec::new());
    }

    #[test]
    fn a_second_leader_in_a_term_is_caught(run in runs(), pick in any::<usize>()) {
        prop_assume!(!run.leaders.is_empty());
        let mut leaders = run.leaders.clone();
        let obs = leaders[pick % leaders.len()];
        let other = obs.leader % 3 + 1;
        leaders.push(LeaderObservation { observer: other, leader: other, acting: true, ..obs });
        let err = check_election_safety(&leaders, LeaderIds::Term).unwrap_err();
        prop_assert_eq!(err.property, Property::ElectionSafety);
        // The same leader in a later incarnation is caught in either mode.
        let mut again = run.leaders.clone();
        let acting = run.leaders.iter().find(|o| o.acting).copied();
        prop_assume!(acting.is_some());
        if let Some(first) = acting {
            again.push(LeaderObservation { incarnation: first.incarnation + 1, at: first.at + 1, ..first });
        }
        prop_assert!(check_election_safety(&again, LeaderIds::TermAndNode).is_err());
    }

    #[test]
    fn a_changed_entry_below_a_common_one_is_caught(run in runs(), pick in any::<usize>()) {
        let mut logs = run.logs.clone();
        // After the heal every log ends with the same blank entry; change one below it.
        let len = logs[0].entries.len();
        prop_assume!(len >= 2);
        let at = pick % (len - 1);
        logs[pick % NODES].entries[at].payload ^= 1;
        let err = check_log_matching(&logs).unwrap_err();
        prop_assert_eq!(err.property, Property::LogMatching);
        prop_assert!(check_state_machine_safety(&logs, &[]).is_err());
    }

    #[test]
    fn a_diverging_applied_state_is_caught(run in runs(), pick in any::<usize>()) {
        let mut applied = run.applied.clone();
        prop_assume!(!applied.is_empty());
        let sample = applied[pick % applied.len()];
        applied.push(AppliedState { state: sample.state ^ 1, node: sample.node % 3 + 1, ..sample });
        let err = check_state_machine_safety(&run.logs, &applied).unwrap_err();
        prop_assert_eq!(err.property, Property::StateMachineSafety);
    }

    #[test]
    fn an_acknowledged_write_missing_from_every_log_is_caught(run in runs(), pick in any::<usize>()) {
        prop_assume!(!run.acked.is_empty());
        let lost = run.acked[pick % run.acked.len()].write;
        let mut logs = run.logs.clone();
        for log in &mut logs {
            for entry in &mut log.entries {
                if entry.write == Some(lost) {
                    entry.write = None;
                }
            }
        }
        let err = check_acknowledged_writes(&logs, &run.acked).unwrap_err();
        prop_assert_eq!(err.property, Property::AcknowledgedWrites);
        // And an acknowledged write that only the uncommitted tail of a log holds.
        let mut logs = run.logs.clone();
        for log in &mut logs {
            log.committed = Some(0);
        }
        prop_assert!(check_acknowledged_writes(&logs, &run.acked).is_err());
    }
}

/// A protocol bug rather than a data mutation: with votes granted whatever the candidate's
/// log, a leader can lack committed entries and overwrite them. The checkers must catch it in
/// some runs (134 of these 300), and name only the properties such a bug breaks.
#[test]
fn votes_granted_without_the_log_check_are_caught() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut caught, mut total) = (0, 0);
    for _ in 0..300 {
        let Ok(tree) = runs_of(true).new_tree(&mut runner) else { continue };
        let violations = check_all(&tree.current());
        total += 1;
        caught += usize::from(!violations.is_empty());
        for v in &violations {
            assert_ne!(v.property, Property::ElectionSafety, "{v}");
        }
    }
    assert!(caught * 10 > total, "only {caught} of {total} runs with sloppy votes were caught");
}

/// The model is not vacuous: most runs elect leaders, commit writes and replicate them.
#[test]
fn the_model_produces_runs_with_leaders_and_committed_writes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut with_writes, mut with_terms, mut total) = (0, 0, 0);
    for _ in 0..200 {
        let Ok(tree) = runs().new_tree(&mut runner) else { continue };
        let run = tree.current();
        total += 1;
        with_writes += usize::from(run.acked.len() >= 3);
        with_terms += usize::from(run.leaders.iter().filter(|o| o.acting).count() >= 3);
    }
    assert!(with_writes * 2 > total, "{with_writes} of {total} runs acknowledged 3 writes or more");
    assert!(with_terms * 2 > total, "{with_terms} of {total} runs had 3 reigns or more");
}
