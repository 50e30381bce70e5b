//! No acknowledged write lost: every write acknowledged to a client is, at the end of the
//! run, in the committed prefix of some replica's log.
//!
//! Precisely: for each [`AckedWrite`], some [`NodeLog`] holds an entry carrying that write
//! ([`LogEntry::write`]) at an index at or below the node's committed index. Together with
//! [`state_machine_safety`](super::state_machine_safety) (committed prefixes agree) this says
//! the write is in *the* committed history. The snapshot must therefore keep, for each node,
//! the entries it purged into a snapshot of its own (the simulation's disk keeps them): an
//! entry that no log holds any more cannot be found, and is reported lost.
//!
//! A write may appear more than once (a retry proposed again, answered once by the
//! group's retry window); one committed copy is enough.

use std::collections::BTreeSet;

use super::{AckedWrite, NodeLog, Property, Violation};

/// Checks that every write in `acked` is committed in one of `logs` (see the module docs).
pub fn check_acknowledged_writes(logs: &[NodeLog], acked: &[AckedWrite]) -> Result<(), Violation> {
    let committed: BTreeSet<u64> = logs
        .iter()
        .flat_map(|log| {
            let upto = log.committed.unwrap_or(0);
            log.entries.iter().take_while(move |e| e.id.index <= upto).filter_map(|e| e.write)
        })
        .collect();
    let lost: Vec<&AckedWrite> = acked.iter().filter(|w| !committed.contains(&w.write)).collect();
    let Some(first) = lost.first() else { return Ok(()) };
    let holders: Vec<String> = logs
        .iter()
        .filter_map(|log| {
            let entry = log.entries.iter().find(|e| e.write == Some(first.write))?;
            Some(format!("node {} holds it at {} above its commit {:?}", log.node, entry.id, log.committed))
        })
        .collect();
    let commits: Vec<String> = logs.iter().map(|l| format!("node {} at {:?}", l.node, l.committed)).collect();
    Err(Violation::new(
        Property::AcknowledgedWrites,
        format!(
            "{} of {} acknowledged writes are in no committed log; the first, {} (write {:#x}, acknowledged at {}), {} (commits: {})",
            lost.len(),
            acked.len(),
            first.description,
            first.write,
            first.acked_at,
            if holders.is_empty() { "is in no log at all".to_owned() } else { holders.join(", ") },
            commits.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{EntryId, LogEntry};
    use super::*;

    fn log(node: u64, writes: &[Option<u64>], committed: u64) -> NodeLog {
        let entries = writes
            .iter()
            .zip(1..)
            .map(|(&write, index)| LogEntry { id: EntryId { index, term: 1, leader: 1 }, payload: index, write })
            .collect();
        NodeLog { node, entries, committed: Some(committed), applied: Some(committed) }
    }

    fn acked(write: u64) -> AckedWrite {
        AckedWrite { write, acked_at: write * 10, description: format!("w{write}") }
    }

    #[test]
    fn writes_committed_somewhere_pass() {
        let logs = [log(1, &[None, Some(7), Some(8)], 3), log(2, &[None, Some(7)], 1)];
        assert_eq!(check_acknowledged_writes(&logs, &[acked(7), acked(8)]), Ok(()));
    }

    #[test]
    fn a_write_held_only_above_the_commit_or_nowhere_fails() {
        let logs = [log(1, &[None, Some(7), Some(8)], 2), log(2, &[None, Some(7)], 2)];
        let err = check_acknowledged_writes(&logs, &[acked(7), acked(8)]).unwrap_err();
        assert_eq!(err.property, Property::AcknowledgedWrites);
        assert!(err.detail.contains("1 of 2 acknowledged writes"), "{err}");
        assert!(err.detail.contains("w8") && err.detail.contains("node 1 holds it at 3@T1-N1"), "{err}");
        let err = check_acknowledged_writes(&logs, &[acked(9)]).unwrap_err();
        assert!(err.detail.contains("in no log at all"), "{err}");
    }
}
