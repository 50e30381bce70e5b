//! Raft between processes: the [`Transport::Remote`](super::Transport::Remote) variant.
//!
//! Members of a cluster run in different processes, so openraft's messages travel as bytes
//! over a [`RaftWire`] that the host provides (gRPC's `RaftService` in a node, see
//! `host/raft_client.rs`): the CP engine knows nothing of tonic or of the generated code,
//! only that a wire carries one group's message to one member and brings back the answer.
//! The engine owns the encoding: a version byte ([`RAFT_PAYLOAD_VERSION`]) then postcard of
//! openraft's own serde types, and a response payload is the same of
//! `Result<response, String>` (the string is the remote Raft's error, which the sender
//! treats as "unreachable" so openraft backs off and retries). The version byte lets a
//! member refuse, with a message that says so, the traffic of a member running an
//! incompatible build, instead of misreading it.
//!
//! Why it is shaped this way:
//!
//! - One wire per node, shared by every group: all groups of two members multiplex over one
//!   connection, and a peer that is down costs nothing until a message is sent to it (the
//!   failed send is `Unreachable`, which makes openraft back off).
//! - Locally, the Raft of each group is found through a [`RaftRegistry`], filled by
//!   `CpNode::start` *before* it waits to self-initialize, so a peer's vote request for a
//!   group that is still starting here can already be delivered.
//! - `Vote` carries pre-votes and leader transfers too ([`VoteRpc`]): one message kind for
//!   the election traffic, and the payload says which message it is.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use openraft::alias::SnapshotMetaOf;
use openraft::errors::{NetworkError, RPCError, Timeout, Unreachable};
use openraft::network::RPCTypes;
use openraft::raft::{TransferLeaderRequest, VoteRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use super::raft::CpRaft;
use super::types::{CpTypes, CpVote};

/// What a `RaftService.Vote` payload carries.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum VoteRpc {
    /// A vote request of an election.
    Vote(VoteRequest<CpTypes>),
    /// A pre-vote request (answered without changing the receiver's state).
    PreVote(VoteRequest<CpTypes>),
    /// A leader asks the receiver to take over leadership.
    TransferLeader(TransferLeaderRequest<CpTypes>),
}

/// What a `RaftService.FullSnapshot` payload carries: the leader's vote, the snapshot's
/// metadata and its bytes.
pub type SnapshotRpc = (CpVote, SnapshotMetaOf<CpTypes>, Vec<u8>);

/// The format version written in front of every Raft payload. Raised whenever the encoding
/// of openraft's messages, or of the entries they carry, changes.
pub const RAFT_PAYLOAD_VERSION: u8 = 1;

/// Encodes a Raft message or response for a gRPC payload: [`RAFT_PAYLOAD_VERSION`], then
/// postcard.
pub fn encode_payload<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_extend(value, vec![RAFT_PAYLOAD_VERSION]).map_err(|err| format!("cannot encode a Raft message: {err}"))
}

/// Decodes a gRPC payload written by [`encode_payload`]. Another format version, and bytes
/// left over after the value, are refused: neither is what a member of this build sent.
pub fn decode_payload<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    let mismatch = |reason: String| {
        format!("cannot decode the {what} payload ({reason}); are both members running the same Coterie version?")
    };
    let Some((&version, body)) = bytes.split_first() else {
        return Err(mismatch("it is empty".to_owned()));
    };
    if version != RAFT_PAYLOAD_VERSION {
        return Err(mismatch(format!(
            "it is Raft payload format {version}, and this member reads format {RAFT_PAYLOAD_VERSION}"
        )));
    }
    let (value, rest) = postcard::take_from_bytes(body).map_err(|err| mismatch(err.to_string()))?;
    if !rest.is_empty() {
        return Err(mismatch(format!("{} bytes were left over after the message", rest.len())));
    }
    Ok(value)
}

#[cfg(test)]
mod payload_tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_a_tail_or_garbage_is_refused() {
        let bytes = encode_payload(&(7u64, "seven".to_owned())).unwrap();
        assert_eq!(decode_payload::<(u64, String)>(&bytes, "test"), Ok((7, "seven".to_owned())));
        let mut tailed = bytes.clone();
        tailed.extend_from_slice(&[1, 2, 3]);
        let err = decode_payload::<(u64, String)>(&tailed, "test").unwrap_err();
        assert!(err.contains("3 bytes were left over"), "{err}");
        assert!(decode_payload::<(u64, String)>(&[0xff; 3], "test").is_err());
        assert_eq!(bytes[0], RAFT_PAYLOAD_VERSION);
        let mut future = bytes.clone();
        future[0] = RAFT_PAYLOAD_VERSION + 1;
        let err = decode_payload::<(u64, String)>(&future, "test").unwrap_err();
        assert!(err.contains("format 2") && err.contains("same Coterie version"), "{err}");
        assert!(decode_payload::<(u64, String)>(&[], "test").unwrap_err().contains("empty"));
    }
}

/// The local Raft of each group, by group name, as the `RaftService` server finds them.
/// Cheap to clone: clones share the table.
#[derive(Clone, Debug)]
pub struct RaftRegistry {
    groups: Arc<watch::Sender<BTreeMap<String, CpRaft>>>,
}

impl Default for RaftRegistry {
    fn default() -> Self {
        RaftRegistry { groups: Arc::new(watch::channel(BTreeMap::new()).0) }
    }
}

impl RaftRegistry {
    /// Makes `raft` the local Raft of `group`.
    pub fn insert(&self, group: &str, raft: CpRaft) {
        self.groups.send_modify(|groups| {
            groups.insert(group.to_owned(), raft);
        });
    }

    /// Forgets the local Raft of `group`.
    pub fn remove(&self, group: &str) {
        self.groups.send_modify(|groups| {
            groups.remove(group);
        });
    }

    /// The local Raft of `group`, if it runs.
    pub fn get(&self, group: &str) -> Option<CpRaft> {
        self.groups.borrow().get(group).cloned()
    }

    /// The local Raft of `group`, waiting up to `timeout` for it to be registered.
    pub async fn wait_for(&self, group: &str, timeout: Duration) -> Option<CpRaft> {
        let mut rx = self.groups.subscribe();
        let found = tokio::time::timeout(timeout, rx.wait_for(|groups| groups.contains_key(group))).await;
        match found {
            Ok(Ok(groups)) => groups.get(group).cloned(),
            _ => None,
        }
    }
}

/// Carries one group's encoded Raft message to another member and brings back the encoded
/// answer: what the CP engine needs from a network between processes. The host implements
/// it over gRPC (`RaftService`).
pub trait RaftWire: Send + Sync + std::fmt::Debug {
    /// Sends `payload` (an [`encode_payload`]d message) of `group` to member `target`
    /// through `rpc`, within `ttl`; answers the response payload, or why it did not arrive.
    fn send(
        &self,
        group: &str,
        target: u64,
        rpc: RaftRpc,
        payload: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'static, Result<Vec<u8>, String>>;

    /// Learns that member `id` listens at `address` (a member named in a Raft membership).
    fn learn(&self, id: u64, address: &str);
}

/// How one CP group's Raft messages travel between processes.
#[derive(Clone, Debug)]
pub struct RemoteTransport {
    group: Arc<str>,
    registry: RaftRegistry,
    wire: Arc<dyn RaftWire>,
}

/// The kind of Raft message a payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftRpc {
    /// AppendEntries (also heartbeats).
    AppendEntries,
    /// Vote, pre-vote or leader transfer ([`VoteRpc`]).
    Vote,
    /// A whole snapshot ([`SnapshotRpc`]).
    FullSnapshot,
}

impl RemoteTransport {
    /// The transport of group `group`: local Rafts register in `registry`, peers are
    /// reached through `wire`.
    pub fn new(group: &str, registry: RaftRegistry, wire: Arc<dyn RaftWire>) -> Self {
        RemoteTransport { group: Arc::from(group), registry, wire }
    }

    pub(crate) fn register(&self, raft: CpRaft) {
        self.registry.insert(&self.group, raft);
    }

    pub(crate) fn unregister(&self) {
        self.registry.remove(&self.group);
    }

    /// Learns member `id`'s address from a Raft membership.
    pub(crate) fn learn(&self, id: u64, address: &str) {
        self.wire.learn(id, address);
    }

    /// Sends `request` from member `source` to member `target` through `rpc` within `ttl`,
    /// and decodes its response.
    pub(crate) async fn send<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        (source, target): (u64, u64),
        rpc: RaftRpc,
        action: RPCTypes,
        request: &Req,
        ttl: Duration,
    ) -> Result<Resp, RPCError<CpTypes>> {
        let payload = encode_payload(request).map_err(|err| RPCError::Network(NetworkError::from_string(err)))?;
        let sent = self.wire.send(&self.group, target, rpc, payload, ttl);
        let response = match tokio::time::timeout(ttl, sent).await {
            Err(_) => return Err(RPCError::Timeout(Timeout { action, id: source, target, timeout: ttl })),
            Ok(Err(reason)) => {
                return Err(RPCError::Unreachable(Unreachable::from_string(format!(
                    "member {target} did not take the {action:?} message for group {:?}: {reason}",
                    self.group
                ))));
            }
            Ok(Ok(response)) => response,
        };
        let answer: Result<Resp, String> = decode_payload(&response, "Raft response")
            .map_err(|err| RPCError::Network(NetworkError::from_string(err)))?;
        answer.map_err(|err| {
            RPCError::Unreachable(Unreachable::from_string(format!(
                "member {target}'s Raft of group {:?} refused the message: {err}",
                self.group
            )))
        })
    }
}
