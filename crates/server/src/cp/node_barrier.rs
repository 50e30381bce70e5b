//! A read barrier for work that must see every entry that can still commit: the blob
//! collector (`host/blob_maintenance.rs`) deletes an unreferenced blob only after its replica
//! has applied everything the leader had committed when it last confirmed its leadership.
//!
//! The leader's read index is the ReadIndex of Raft's §6.4: the leader confirms with a quorum
//! that it still leads and answers the index of its commit, which is at least its own term's
//! first entry. So every entry of an earlier term is either at or below that index or can
//! never commit (a later leader's log holds the committed entries of this term, which an
//! older entry beyond them would contradict). A follower asks the leader for the index over
//! the member-to-member wire and waits until it has applied that far.

use std::time::Duration;

use openraft::ReadPolicy;
use openraft::errors::{LinearizableReadError, RaftError};

use super::CpNode;
use crate::cp::error::CpError;

impl CpNode {
    /// The index up to which the group's log is committed, as this node, the leader, confirms
    /// with a quorum (ReadIndex). [`CpError::NotLeader`] on another member.
    pub async fn read_index(&self, timeout: Duration) -> Result<u64, CpError> {
        let read = self.raft().get_read_linearizer(ReadPolicy::ReadIndex);
        match tokio::time::timeout(timeout, read).await {
            Err(_) => Err(CpError::Timeout { timeout }),
            Ok(Ok(linearizer)) => Ok(linearizer.read_log_id().index()),
            Ok(Err(RaftError::APIError(LinearizableReadError::ForwardToLeader(forward)))) => {
                Err(CpError::NotLeader { leader: self.address(forward.leader_id) })
            }
            Ok(Err(RaftError::APIError(other))) => Err(CpError::Raft { reason: other.to_string() }),
            Ok(Err(RaftError::Fatal(fatal))) => Err(CpError::Stopped { reason: fatal.to_string() }),
        }
    }

    /// Waits until this replica has applied the entry at `index`, for at most `timeout`.
    pub async fn wait_applied(&self, index: u64, timeout: Duration) -> Result<(), CpError> {
        self.raft()
            .wait(Some(timeout))
            .applied_index_at_least(Some(index), "apply up to the leader's read index")
            .await
            .map(|_| ())
            .map_err(|_| CpError::Timeout { timeout })
    }
}
