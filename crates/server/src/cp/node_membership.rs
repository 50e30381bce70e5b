//! Membership of a CP node's group: what it is (effective and committed), which members
//! have caught up, and making one change ([`MembershipStep`]). Kept apart from the calls in
//! `node.rs`; the decision of which change to make is `cp::membership`'s.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;
use openraft::{BasicNode, ChangeMembers};

use super::CpNode;
use crate::cp::error::CpError;
use crate::cp::membership::MembershipStep;
use crate::cp::types::CpMembership;

impl CpNode {
    /// The group's effective membership as this replica knows it (the latest in its log,
    /// committed or not): its voter sets (two during a joint change) and every voter's and
    /// learner's address. What the next membership change starts from.
    pub fn membership(&self) -> (Vec<BTreeSet<u64>>, BTreeMap<u64, String>) {
        let metrics = self.raft.metrics().borrow_watched().clone();
        membership_parts(&metrics.membership_config)
    }

    /// Like [`CpNode::membership`], but the latest membership this replica knows is
    /// committed: what a finished change is judged by.
    pub fn committed_membership(&self) -> (Vec<BTreeSet<u64>>, BTreeMap<u64, String>) {
        let metrics = self.raft.metrics().borrow_watched().clone();
        membership_parts(&metrics.committed_membership_config)
    }

    /// On the leader, the members (voters and learners) whose log has reached the leader's
    /// within `slack` entries; empty on any other member.
    pub fn caught_up_members(&self, slack: u64) -> BTreeSet<u64> {
        let metrics = self.raft.metrics().borrow_watched().clone();
        let last = metrics.last_log_index.unwrap_or(0);
        let Some(replication) = &metrics.replication else { return BTreeSet::new() };
        replication
            .iter()
            .filter(|(_, matched)| matched.as_ref().is_some_and(|id| id.index.saturating_add(slack) >= last))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether this replica has applied every entry it knows to be committed.
    pub fn caught_up(&self) -> bool {
        let committed = self.raft.metrics().borrow_watched().local_committed.map(|id| id.index);
        self.applied_index() >= committed
    }

    /// Makes one membership change to this group, within `timeout`; only the leader can.
    /// A learner is added blocking: the call returns once the leader has brought it up to
    /// date, so it can vote without stalling the group.
    pub async fn change_membership(&self, step: &MembershipStep, timeout: Duration) -> Result<(), CpError> {
        let change = async {
            match step {
                MembershipStep::AddLearner { id, address } => {
                    self.raft.add_learner(*id, BasicNode::new(address.clone()), true).await.map(|_| ())
                }
                MembershipStep::SetVoters(voters) => self
                    .raft
                    .change_membership(ChangeMembers::ReplaceAllVoters(voters.clone()), false)
                    .await
                    .map(|_| ()),
                MembershipStep::RemoveLearners(learners) => {
                    self.raft.change_membership(ChangeMembers::RemoveNodes(learners.clone()), false).await.map(|_| ())
                }
            }
        };
        match tokio::time::timeout(timeout, change).await {
            Err(_) => Err(CpError::Timeout { timeout }),
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(self.write_error(err)),
        }
    }
}

/// The voter sets and the nodes' addresses of a stored membership.
fn membership_parts(stored: &CpMembership) -> (Vec<BTreeSet<u64>>, BTreeMap<u64, String>) {
    let membership = stored.membership();
    let nodes = membership.nodes().map(|(id, node)| (*id, node.addr.clone())).collect();
    (membership.get_joint_config().clone(), nodes)
}
