//! Log matching: if two logs hold an entry with the same index and leader id, they hold the
//! same entries at every index up to it.
//!
//! Compared over the indices both logs hold (a prefix replaced by a snapshot is absent from
//! a log and compared nowhere). Two entries with the same index and leader id must also
//! carry the same payload: a leader creates one entry per index. Along one log, indices
//! increase and terms never decrease (a leader only appends after entries of older terms).

use std::cmp::Ordering;

use super::{LogEntry, NodeLog, Property, Violation};

/// Checks log matching over every pair of `logs` (see the module docs).
pub fn check_log_matching(logs: &[NodeLog]) -> Result<(), Violation> {
    for log in logs {
        check_one(log)?;
    }
    for (i, a) in logs.iter().enumerate() {
        for b in logs.iter().skip(i + 1) {
            check_pair(a, b)?;
        }
    }
    Ok(())
}

fn check_one(log: &NodeLog) -> Result<(), Violation> {
    for pair in log.entries.windows(2) {
        let [prev, next] = pair else { continue };
        if next.id.index <= prev.id.index || next.id.term < prev.id.term {
            return Err(Violation::new(
                Property::LogMatching,
                format!("node {}'s log holds {} after {}: out of order", log.node, next.id, prev.id),
            ));
        }
    }
    Ok(())
}

fn check_pair(a: &NodeLog, b: &NodeLog) -> Result<(), Violation> {
    let mut first_diff: Option<(&LogEntry, &LogEntry)> = None;
    let (mut x, mut y) = (a.entries.iter().peekable(), b.entries.iter().peekable());
    while let (Some(ea), Some(eb)) = (x.peek().copied(), y.peek().copied()) {
        match ea.id.index.cmp(&eb.id.index) {
            Ordering::Less => {
                x.next();
                continue;
            }
            Ordering::Greater => {
                y.next();
                continue;
            }
            Ordering::Equal => {}
        }
        x.next();
        y.next();
        if ea.id != eb.id {
            first_diff = first_diff.or(Some((ea, eb)));
            continue;
        }
        if ea.payload != eb.payload {
            return Err(Violation::new(
                Property::LogMatching,
                format!(
                    "nodes {} and {} both hold entry {} with different payloads ({:016x} and {:016x})",
                    a.node, b.node, ea.id, ea.payload, eb.payload
                ),
            ));
        }
        if let Some((da, db)) = first_diff {
            return Err(Violation::new(
                Property::LogMatching,
                format!(
                    "nodes {} and {} both hold entry {} but differ below it, at index {}: node {} has {}, node {} has {}",
                    a.node, b.node, ea.id, da.id.index, a.node, da.id, b.node, db.id
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::EntryId;
    use super::*;

    fn entry(index: u64, term: u64) -> LogEntry {
        LogEntry { id: EntryId { index, term, leader: term % 3 + 1 }, payload: index * 1_000 + term, write: None }
    }

    fn log(node: u64, terms: &[(u64, u64)]) -> NodeLog {
        NodeLog { node, entries: terms.iter().map(|&(i, t)| entry(i, t)).collect(), committed: None, applied: None }
    }

    #[test]
    fn logs_that_diverge_only_after_their_last_common_entry_pass() {
        let a = log(1, &[(1, 1), (2, 1), (3, 2), (4, 2)]);
        let b = log(2, &[(1, 1), (2, 1), (3, 3)]);
        // A log whose prefix was replaced by a snapshot.
        let c = log(3, &[(3, 2), (4, 2), (5, 2)]);
        assert_eq!(check_log_matching(&[a, b, c]), Ok(()));
    }

    #[test]
    fn a_common_entry_above_a_divergence_fails() {
        let a = log(1, &[(1, 1), (2, 1), (3, 2)]);
        let b = log(2, &[(1, 1), (2, 2), (3, 2)]);
        let err = check_log_matching(&[a, b]).unwrap_err();
        assert_eq!(err.property, Property::LogMatching);
        assert!(err.detail.contains("nodes 1 and 2 both hold entry 3@T2"), "{err}");
        assert!(err.detail.contains("at index 2"), "{err}");
    }

    #[test]
    fn one_id_with_two_payloads_fails() {
        let a = log(1, &[(1, 1)]);
        let mut b = log(2, &[(1, 1)]);
        b.entries[0].payload += 1;
        let err = check_log_matching(&[a, b]).unwrap_err();
        assert!(err.detail.contains("different payloads"), "{err}");
    }

    #[test]
    fn a_log_whose_terms_decrease_fails() {
        let err = check_log_matching(&[log(4, &[(1, 2), (2, 1)])]).unwrap_err();
        assert!(err.detail.contains("node 4's log holds 2@T1"), "{err}");
    }
}
