//! Which Raft membership change a CP group needs next to have exactly the voters the member
//! table says it should.
//!
//! Pure on purpose: the driver (the group's leader, see `host::members`) reads the desired
//! voters from the metadata group and the group's current membership from its Raft
//! metrics, asks [`next_step`], makes that one change, and asks again. One step at a time,
//! each through openraft's own safe operations: a new member is first a learner that the
//! leader brings up to date (`add_learner`), only then a voter (`change_membership`, which
//! openraft runs as a joint change); voters leave by the same joint change, and leftover
//! learners are dropped last. A leader that changes mid-way simply finds the next step from
//! the state the old one left (a group left in a joint config is finished by the next
//! `SetVoters`).

use std::collections::{BTreeMap, BTreeSet};

/// One Raft membership change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembershipStep {
    /// Add member `id` at `address` as a learner and wait until it has caught up.
    AddLearner {
        /// The member.
        id: u64,
        /// Its `host:port`.
        address: String,
    },
    /// Make exactly these members the voters (every one already a learner or a voter);
    /// voters not among them leave the group.
    SetVoters(BTreeSet<u64>),
    /// Drop these learners from the group.
    RemoveLearners(BTreeSet<u64>),
}

/// The next change that brings a group whose membership is `configs` (one voter set, or
/// two during a joint change) over `nodes` (every voter and learner, by id, with its
/// address) to exactly the voters `desired`; `None` once it has them, or while the only
/// change left is promoting learners that are not `ready` (caught up with the leader's
/// log). An empty `desired` (a table not seeded yet) asks for nothing: a group never loses
/// all its voters.
///
/// A learner that is not ready is not promoted: a member added to the table whose process
/// is down or still far behind would count toward the quorum without being able to vote
/// in time, so the group would tolerate one failure fewer.
pub fn next_step(
    desired: &BTreeMap<u64, String>,
    configs: &[BTreeSet<u64>],
    nodes: &BTreeMap<u64, String>,
    ready: &BTreeSet<u64>,
) -> Option<MembershipStep> {
    if desired.is_empty() {
        return None;
    }
    if let Some((id, address)) = desired.iter().find(|(id, _)| !nodes.contains_key(id)) {
        return Some(MembershipStep::AddLearner { id: *id, address: address.clone() });
    }
    let voters: BTreeSet<u64> = configs.iter().flatten().copied().collect();
    let wanted: BTreeSet<u64> =
        desired.keys().filter(|id| voters.contains(id) || ready.contains(id)).copied().collect();
    let joint = configs.len() > 1;
    if !wanted.is_empty() && (joint || configs.last() != Some(&wanted)) {
        return Some(MembershipStep::SetVoters(wanted));
    }
    let extra: BTreeSet<u64> = nodes.keys().filter(|id| !desired.contains_key(id)).copied().collect();
    if !extra.is_empty() {
        return Some(MembershipStep::RemoveLearners(extra));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(ids: &[u64]) -> BTreeMap<u64, String> {
        ids.iter().map(|id| (*id, format!("h:{id}"))).collect()
    }

    fn set(ids: &[u64]) -> BTreeSet<u64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn a_new_member_becomes_a_learner_then_a_voter_once_it_has_caught_up() {
        let desired = map(&[1, 2, 3, 4]);
        assert_eq!(
            next_step(&desired, &[set(&[1, 2, 3])], &map(&[1, 2, 3]), &set(&[1, 2, 3])),
            Some(MembershipStep::AddLearner { id: 4, address: "h:4".to_owned() })
        );
        // Down or far behind: it stays a learner.
        assert_eq!(next_step(&desired, &[set(&[1, 2, 3])], &map(&[1, 2, 3, 4]), &set(&[1, 2, 3])), None);
        assert_eq!(
            next_step(&desired, &[set(&[1, 2, 3])], &map(&[1, 2, 3, 4]), &set(&[1, 2, 3, 4])),
            Some(MembershipStep::SetVoters(set(&[1, 2, 3, 4])))
        );
        assert_eq!(next_step(&desired, &[set(&[1, 2, 3, 4])], &map(&[1, 2, 3, 4]), &set(&[1, 2, 3, 4])), None);
        // A voter that falls behind stays a voter: readiness only gates promotion.
        assert_eq!(next_step(&desired, &[set(&[1, 2, 3, 4])], &map(&[1, 2, 3, 4]), &set(&[1])), None);
    }

    #[test]
    fn a_leaving_member_stops_voting_and_is_dropped() {
        let desired = map(&[1, 3]);
        assert_eq!(
            next_step(&desired, &[set(&[1, 2, 3])], &map(&[1, 2, 3]), &BTreeSet::new()),
            Some(MembershipStep::SetVoters(set(&[1, 3])))
        );
        // Left behind as a learner (a change with retain): dropped.
        assert_eq!(
            next_step(&desired, &[set(&[1, 3])], &map(&[1, 2, 3]), &BTreeSet::new()),
            Some(MembershipStep::RemoveLearners(set(&[2])))
        );
        assert_eq!(next_step(&desired, &[set(&[1, 3])], &map(&[1, 3]), &BTreeSet::new()), None);
    }

    #[test]
    fn a_joint_config_left_by_an_old_leader_is_finished() {
        let desired = map(&[1, 2, 3, 4]);
        let joint = [set(&[1, 2, 3]), set(&[1, 2, 3, 4])];
        assert_eq!(
            next_step(&desired, &joint, &map(&[1, 2, 3, 4]), &BTreeSet::new()),
            Some(MembershipStep::SetVoters(set(&[1, 2, 3, 4])))
        );
    }

    #[test]
    fn an_unseeded_table_changes_nothing() {
        assert_eq!(next_step(&BTreeMap::new(), &[set(&[1, 2, 3])], &map(&[1, 2, 3]), &set(&[1, 2, 3])), None);
    }
}
