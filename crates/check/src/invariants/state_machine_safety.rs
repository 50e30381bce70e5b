//! State-machine safety: replicas never apply different things at the same index.
//!
//! Two observations can show it, and both are checked:
//!
//! * **Applied states.** A sample of a replica's whole state machine hashed right after it
//!   applied up to some index. Any two samples at the same index, from any replicas or
//!   incarnations, must hash the same: a deterministic state machine that applied the same
//!   entries is in the same state. This is the precise form: it sees a divergence whatever
//!   entry caused it, even one purged from every log since.
//! * **Applied entries.** At the end, every log entry a replica holds at or below its applied
//!   index was applied; any two replicas holding such an entry at the same index must hold
//!   the same one (same id and payload). This only compares entries still in both logs.

use std::collections::BTreeMap;

use super::{AppliedState, NodeLog, Property, Violation};

/// Checks state-machine safety over the final `logs` and the `applied` samples.
pub fn check_state_machine_safety(logs: &[NodeLog], applied: &[AppliedState]) -> Result<(), Violation> {
    let mut by_index: BTreeMap<u64, &AppliedState> = BTreeMap::new();
    for sample in applied {
        let first = *by_index.entry(sample.index).or_insert(sample);
        if first.state != sample.state {
            return Err(Violation::new(
                Property::StateMachineSafety,
                format!(
                    "two states after applying index {}: node {} had {:016x} at {}, node {} had {:016x} at {}",
                    sample.index, first.node, first.state, first.at, sample.node, sample.state, sample.at
                ),
            ));
        }
    }
    for (i, a) in logs.iter().enumerate() {
        for b in logs.iter().skip(i + 1) {
            let (Some(applied_a), Some(applied_b)) = (a.applied, b.applied) else { continue };
            let upto = applied_a.min(applied_b);
            for ea in a.entries.iter().take_while(|e| e.id.index <= upto) {
                let Some(eb) = b.get(ea.id.index) else { continue };
                if ea != eb {
                    return Err(Violation::new(
                        Property::StateMachineSafety,
                        format!(
                            "nodes {} and {} applied different entries at index {}: {} (payload {:016x}) and {} (payload {:016x})",
                            a.node, b.node, ea.id.index, ea.id, ea.payload, eb.id, eb.payload
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{EntryId, LogEntry};
    use super::*;

    fn state(at: u64, node: u64, index: u64, state: u64) -> AppliedState {
        AppliedState { at, node, index, state }
    }

    fn log(node: u64, terms: &[u64], applied: u64) -> NodeLog {
        let entries = terms
            .iter()
            .zip(1..)
            .map(|(&term, index)| LogEntry { id: EntryId { index, term, leader: 1 }, payload: term, write: None })
            .collect();
        NodeLog { node, entries, committed: Some(applied), applied: Some(applied) }
    }

    #[test]
    fn equal_states_at_equal_indices_pass() {
        let samples = [state(1, 1, 5, 0xab), state(2, 2, 5, 0xab), state(3, 3, 6, 0xcd)];
        assert_eq!(check_state_machine_safety(&[], &samples), Ok(()));
    }

    #[test]
    fn two_states_at_one_index_fail() {
        let samples = [state(1, 1, 5, 0xab), state(7, 3, 5, 0xac)];
        let err = check_state_machine_safety(&[], &samples).unwrap_err();
        assert_eq!(err.property, Property::StateMachineSafety);
        assert!(err.detail.contains("after applying index 5: node 1"), "{err}");
        assert!(err.detail.contains("node 3"), "{err}");
    }

    #[test]
    fn unapplied_suffixes_may_differ_but_applied_entries_may_not() {
        // Node 2 holds a different entry at index 3, above what either applied: fine.
        let a = log(1, &[1, 1, 2], 2);
        let b = log(2, &[1, 1, 3], 2);
        assert_eq!(check_state_machine_safety(&[a.clone(), b.clone()], &[]), Ok(()));
        let b = NodeLog { applied: Some(3), ..b };
        let a = NodeLog { applied: Some(3), ..a };
        let err = check_state_machine_safety(&[a, b], &[]).unwrap_err();
        assert!(err.detail.contains("nodes 1 and 2 applied different entries at index 3"), "{err}");
    }
}
