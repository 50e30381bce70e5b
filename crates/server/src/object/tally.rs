//! When a blob is durable enough for a bucket's metadata to reference it: stored on a
//! majority of every voter configuration of the group (two during a membership change, as
//! Raft's joint consensus counts them).
//!
//! Why a majority: the metadata commit itself needs a majority of the same voters, so as long
//! as the group can serve the object at all, at least one live voter holds its bytes. Pure:
//! the driver feeds it each member's answer and asks for the verdict.

use std::collections::{BTreeMap, BTreeSet};

/// Where a blob's copies stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A majority of every configuration stores the blob.
    Durable,
    /// Not yet, but enough members have not answered for it to become durable.
    Pending,
    /// Too many members failed: the blob cannot reach a majority of some configuration.
    Impossible {
        /// The copies a majority of the tightest configuration needs.
        needed: usize,
        /// The copies stored in that configuration.
        got: usize,
        /// What the failed members said, by member.
        failures: BTreeMap<u64, String>,
    },
}

/// The answers about one blob's copies, counted against the group's voter configurations.
#[derive(Clone, Debug)]
pub struct DurableTally {
    configs: Vec<BTreeSet<u64>>,
    stored: BTreeSet<u64>,
    failed: BTreeMap<u64, String>,
}

fn majority(config: &BTreeSet<u64>) -> usize {
    config.len() / 2 + 1
}

impl DurableTally {
    /// A tally against `configs` (one set of voters, or two during a membership change).
    pub fn new(configs: Vec<BTreeSet<u64>>) -> Self {
        DurableTally { configs, stored: BTreeSet::new(), failed: BTreeMap::new() }
    }

    /// Every member a copy should go to: the voters of every configuration.
    pub fn targets(&self) -> BTreeSet<u64> {
        self.configs.iter().flatten().copied().collect()
    }

    /// Member `member` stores the blob durably. A later failure of the same member does not
    /// undo it.
    pub fn stored(&mut self, member: u64) {
        self.failed.remove(&member);
        self.stored.insert(member);
    }

    /// Member `member` could not store the blob, for `reason`.
    pub fn failed(&mut self, member: u64, reason: impl Into<String>) {
        if !self.stored.contains(&member) {
            self.failed.insert(member, reason.into());
        }
    }

    /// The verdict so far. With no configuration at all nothing can be durable.
    pub fn verdict(&self) -> Verdict {
        if self.configs.is_empty() {
            return Verdict::Impossible { needed: 1, got: 0, failures: self.failed.clone() };
        }
        let mut durable = true;
        for config in &self.configs {
            let got = config.iter().filter(|m| self.stored.contains(m)).count();
            let failed = config.iter().filter(|m| self.failed.contains_key(m)).count();
            let needed = majority(config);
            if got >= needed {
                continue;
            }
            durable = false;
            if config.len() - failed < needed {
                return Verdict::Impossible { needed, got, failures: self.failed.clone() };
            }
        }
        if durable { Verdict::Durable } else { Verdict::Pending }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[u64]) -> BTreeSet<u64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn two_of_three_is_durable_and_one_is_pending() {
        let mut tally = DurableTally::new(vec![set(&[1, 2, 3])]);
        assert_eq!(tally.targets(), set(&[1, 2, 3]));
        assert_eq!(tally.verdict(), Verdict::Pending);
        tally.stored(1);
        assert_eq!(tally.verdict(), Verdict::Pending);
        tally.failed(3, "down");
        assert_eq!(tally.verdict(), Verdict::Pending);
        tally.stored(2);
        assert_eq!(tally.verdict(), Verdict::Durable);
    }

    #[test]
    fn two_failures_of_three_make_it_impossible_with_what_they_said() {
        let mut tally = DurableTally::new(vec![set(&[1, 2, 3])]);
        tally.stored(1);
        tally.failed(2, "disk full");
        tally.failed(3, "unreachable");
        let Verdict::Impossible { needed, got, failures } = tally.verdict() else { panic!("{:?}", tally.verdict()) };
        assert_eq!((needed, got), (2, 1));
        assert_eq!(failures.get(&2).map(String::as_str), Some("disk full"));
        assert_eq!(failures.len(), 2);
    }

    #[test]
    fn a_joint_configuration_needs_a_majority_of_each() {
        // Moving from {1,2,3} to {3,4,5}: {1,2} is a majority of the old one only.
        let mut tally = DurableTally::new(vec![set(&[1, 2, 3]), set(&[3, 4, 5])]);
        assert_eq!(tally.targets(), set(&[1, 2, 3, 4, 5]));
        tally.stored(1);
        tally.stored(2);
        assert_eq!(tally.verdict(), Verdict::Pending);
        tally.stored(4);
        assert_eq!(tally.verdict(), Verdict::Pending);
        tally.stored(5);
        assert_eq!(tally.verdict(), Verdict::Durable);
    }

    #[test]
    fn a_store_after_a_failure_counts_and_a_failure_after_a_store_does_not_undo_it() {
        let mut tally = DurableTally::new(vec![set(&[1, 2, 3])]);
        tally.failed(1, "timeout");
        tally.stored(1);
        tally.stored(2);
        tally.failed(2, "late error");
        assert_eq!(tally.verdict(), Verdict::Durable);
    }

    #[test]
    fn no_configuration_is_never_durable() {
        assert!(matches!(DurableTally::new(vec![]).verdict(), Verdict::Impossible { .. }));
    }
}
