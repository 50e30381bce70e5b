//! The openraft type configuration of the CP engine and the conversions between openraft's
//! log ids and the storage crate's.
//!
//! The Raft log payload is the same [`JournalRecord`] the single-node journal writes (a
//! request plus the leader's timestamp), so a Raft replica and a journaled group replay
//! exactly the same records. Leader ids are openraft's "advanced" ones (term and node id),
//! which is what `coterie_storage::LogId { term, node, index }` records.

use std::fmt;

use coterie_core::{CoreError, GroupOutput, codec};
use openraft::alias::{LogIdOf, StoredMembershipOf, VoteOf};
use openraft::impls::leader_id_adv::LeaderId;
use openraft::{BasicNode, EntryPayload, RaftTypeConfig};
use serde::{Deserialize, Serialize};

use crate::request::JournalRecord;

openraft::declare_raft_types!(
    /// The openraft type configuration of a CP group: log entries carry [`JournalRecord`]s,
    /// applying one answers a [`CpResponse`], nodes are `u64` ids with a [`BasicNode`] address.
    pub CpTypes:
        D = JournalRecord,
        R = CpResponse,
        NodeId = u64,
        Node = BasicNode,
        Term = u64,
        LeaderId = LeaderId<u64, u64>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A Raft log id of a CP group.
pub type CpLogId = LogIdOf<CpTypes>;
/// A Raft vote of a CP group.
pub type CpVote = VoteOf<CpTypes>;
/// A membership config of a CP group together with the log id that introduced it.
pub type CpMembership = StoredMembershipOf<CpTypes>;
/// What one Raft log entry carries.
pub type CpPayload = EntryPayload<JournalRecord, u64, BasicNode>;
/// One Raft log entry of a CP group.
pub type CpEntry = <CpTypes as RaftTypeConfig>::Entry;

/// What applying one log entry answers to the proposer.
///
/// Effects (wakes of *other* parked callers) are not part of it: every replica computes
/// them, and the node that holds the parked caller completes it through its waiter registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CpResponse {
    /// The call completed, successfully or with an error of the structure or group.
    Ready(Result<GroupOutput, CoreError>),
    /// The call is parked in a structure; a later entry's wake completes it.
    Parked,
}

impl fmt::Display for JournalRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {}", self.request.command, self.now)
    }
}

/// The storage crate's log id for an openraft log id.
pub(crate) fn to_storage_id(id: &CpLogId) -> coterie_storage::LogId {
    coterie_storage::LogId::new(id.leader_id.term, id.leader_id.node_id, id.index)
}

/// The openraft log id for a storage log id.
pub(crate) fn from_storage_id(id: &coterie_storage::LogId) -> CpLogId {
    CpLogId::new(LeaderId { term: id.term, node_id: id.node }, id.index)
}

/// Encodes a value stored by the CP engine (payloads, votes, memberships), with the core's
/// format version in front.
pub(crate) fn encode<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    codec::encode(value).map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err))
}

/// Decodes a value written by [`encode`]; `what` names it in the error.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &'static str) -> std::io::Result<T> {
    codec::decode(bytes, what).map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err))
}

/// Turns a storage failure into the `io::Error` openraft's storage traits return.
pub(crate) fn storage_io(err: coterie_storage::StorageError) -> std::io::Error {
    std::io::Error::other(err)
}
