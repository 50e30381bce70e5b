//! The invariant checkers on what the simulation really records: a run's snapshot passes,
//! is not vacuous, and each checker fails once the snapshot is mutated the way its property
//! would be broken.

use std::collections::BTreeMap;

use coterie_check::invariants::{
    AppliedState, LeaderObservation, Property, check_acknowledged_writes, check_all, check_election_safety,
    check_log_matching, check_state_machine_safety,
};
use coterie_sim::{SimOptions, run};

#[test]
fn a_recorded_run_passes_and_each_mutation_of_it_is_caught() {
    // Seed 1: five members, partitions, crashes and pauses.
    let report = run(1, SimOptions::default()).unwrap();
    let snap = &report.snapshot;
    assert_eq!(check_all(snap), Vec::new(), "{report}");

    // Not vacuous: leaders seen acting, writes acknowledged, applied states compared across
    // members at shared indices, logs overlapping.
    assert!(snap.leaders.iter().any(|o| o.acting), "{report}");
    assert!(snap.acked.len() > 20, "{report}");
    let mut nodes_at: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for sample in &snap.applied {
        nodes_at.entry(sample.index).or_default().push(sample.node);
    }
    let shared = nodes_at.values().filter(|nodes| nodes.iter().any(|n| *n != nodes[0])).count();
    assert!(shared > 5, "only {shared} applied indices were sampled on two members:\n{report}");
    println!(
        "seed 1: {} observations, {} applied states ({} indices sampled on two members or more), {} acked, {} log entries",
        snap.leaders.len(),
        snap.applied.len(),
        shared,
        snap.acked.len(),
        snap.logs.iter().map(|l| l.entries.len()).sum::<usize>()
    );

    // Election safety: the first reign seen again in a later incarnation.
    let first = *snap.leaders.iter().find(|o| o.acting).unwrap();
    let mut leaders = snap.leaders.clone();
    leaders.push(LeaderObservation { incarnation: first.incarnation + 1, at: first.at + 1, ..first });
    let err = check_election_safety(&leaders, snap.leader_ids).unwrap_err();
    assert_eq!(err.property, Property::ElectionSafety);

    // Log matching: one member's copy of an entry changed, below another entry it shares
    // with a second member (logs have gaps where a snapshot was installed).
    let mut logs = snap.logs.clone();
    let shared_pair = (0..logs.len()).flat_map(|a| (a + 1..logs.len()).map(move |b| (a, b))).find_map(|(a, b)| {
        let common: Vec<u64> =
            logs[a].entries.iter().map(|e| e.id.index).filter(|i| logs[b].get(*i).is_some()).collect();
        (common.len() >= 2).then(|| (a, common[0]))
    });
    let (a, index) = shared_pair.unwrap();
    let at = logs[a].entries.iter().position(|e| e.id.index == index).unwrap();
    logs[a].entries[at].payload ^= 1;
    assert_eq!(check_log_matching(&logs).unwrap_err().property, Property::LogMatching);

    // State-machine safety: a sampled state seen differently by another member.
    let sample = snap.applied[snap.applied.len() / 2];
    let mut applied = snap.applied.clone();
    applied.push(AppliedState { node: sample.node % 5 + 1, state: sample.state ^ 1, ..sample });
    let err = check_state_machine_safety(&snap.logs, &applied).unwrap_err();
    assert_eq!(err.property, Property::StateMachineSafety);

    // No acknowledged write lost: an acknowledged write erased from every log.
    let lost = snap.acked[snap.acked.len() / 2].write;
    let mut logs = snap.logs.clone();
    for entry in logs.iter_mut().flat_map(|l| l.entries.iter_mut()) {
        if entry.write == Some(lost) {
            entry.write = None;
        }
    }
    let err = check_acknowledged_writes(&logs, &snap.acked).unwrap_err();
    assert_eq!(err.property, Property::AcknowledgedWrites);
    assert!(err.detail.contains("1 of"), "{err}");
}
