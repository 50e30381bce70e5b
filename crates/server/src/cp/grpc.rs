//! Raft over gRPC: the [`Transport::Grpc`](super::Transport::Grpc) variant.
//!
//! Members of a cluster run in different processes, so openraft's messages travel through
//! the proto's `RaftService` (`RaftRequest { group, payload }`). The proto deliberately does
//! not describe openraft's messages: the Raft layer owns their encoding, here a version byte
//! ([`RAFT_PAYLOAD_VERSION`]) then postcard of openraft's own serde types, and a response
//! payload is the same of `Result<response, String>` (the string is the remote Raft's error,
//! which the sender treats as "unreachable" so openraft backs off and retries). The version
//! byte lets a member refuse, with a message that says so, the traffic of a member running
//! an incompatible build, instead of misreading it.
//!
//! Why it is shaped this way:
//!
//! - One lazily-connected tonic channel per peer ([`Peers`]), shared by every group of the
//!   node: all groups of two members multiplex over one HTTP/2 connection, and a peer that
//!   is down costs nothing until a message is sent to it (the failed send is `Unreachable`,
//!   which makes openraft back off).
//! - Locally, the Raft of each group is found through a [`RaftRegistry`], filled by
//!   `CpNode::start` *before* it waits to self-initialize, so a peer's vote request for a
//!   group that is still starting here can already be delivered.
//! - `Vote` carries pre-votes and leader transfers too ([`VoteRpc`]): the proto has one rpc
//!   for the election traffic, and the payload says which message it is.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_api::pb::RaftRequest;
use coterie_api::pb::raft_service_client::RaftServiceClient;
use openraft::alias::SnapshotMetaOf;
use openraft::errors::{NetworkError, RPCError, Timeout, Unreachable};
use openraft::network::RPCTypes;
use openraft::raft::{TransferLeaderRequest, VoteRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tonic::transport::{Channel, Endpoint};

use super::raft::CpRaft;
use super::types::{CpTypes, CpVote};

/// The gRPC header that carries the cluster secret on Raft messages
/// (`NodeConfig::cluster_secret`).
pub const CLUSTER_SECRET_HEADER: &str = "x-coterie-cluster-secret";

/// Whether `given` is `secret`, compared in time that does not depend on where they differ.
pub fn secret_matches(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len() && given.iter().zip(secret).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// The largest Raft message accepted or sent over gRPC. A full snapshot travels in one
/// message, so this bounds the size of a group's snapshot.
pub const MAX_RAFT_MESSAGE_BYTES: usize = 1 << 30;

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

/// Lazily-connected gRPC channels to the other members, by member id. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Peers {
    addresses: Arc<Mutex<BTreeMap<u64, String>>>,
    channels: Arc<Mutex<BTreeMap<u64, Channel>>>,
    connect_timeout: Duration,
    secret: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
}

impl Peers {
    /// Channels to `addresses` (`host:port` by member id); connecting gives up after
    /// `connect_timeout`.
    pub fn new(addresses: BTreeMap<u64, String>, connect_timeout: Duration) -> Self {
        Peers { addresses: Arc::new(Mutex::new(addresses)), channels: Arc::default(), connect_timeout, secret: None }
    }

    /// These peers, sending `secret` with every Raft message (see
    /// [`CLUSTER_SECRET_HEADER`]). A secret that cannot be a header value (not printable
    /// ASCII; `NodeConfig::validate` refuses those) is not sent, and the peers refuse the
    /// messages.
    pub fn with_secret(mut self, secret: Option<String>) -> Self {
        self.secret = secret.and_then(|secret| secret.parse().ok());
        self
    }

    /// The address of member `id`.
    pub fn address(&self, id: u64) -> Option<String> {
        self.addresses.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
    }

    /// Learns that member `id` listens at `address` (a member added at runtime, or one
    /// named in a Raft membership). A changed address drops the old channel, so the next
    /// message connects to the new one.
    pub fn learn(&self, id: u64, address: &str) {
        let changed = {
            let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
            if addresses.get(&id).map(String::as_str) == Some(address) {
                false
            } else {
                addresses.insert(id, address.to_owned());
                true
            }
        };
        if changed {
            self.channels.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        }
    }

    /// The cluster secret these peers send, if any, for other member-to-member calls
    /// (the admin service's) to carry as well.
    pub fn secret(&self) -> Option<&tonic::metadata::MetadataValue<tonic::metadata::Ascii>> {
        self.secret.as_ref()
    }

    /// A Raft client of member `id`. Nothing is connected until the first call.
    fn client(&self, id: u64) -> Result<RaftServiceClient<Channel>, Unreachable<CpTypes>> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let channel = match channels.get(&id) {
            Some(channel) => channel.clone(),
            None => {
                let address = self
                    .address(id)
                    .ok_or_else(|| Unreachable::from_string(format!("member {id} has no known address")))?;
                let endpoint = Endpoint::from_shared(format!("http://{address}")).map_err(|err| {
                    Unreachable::from_string(format!("member {id}'s address {address:?} is not usable: {err}"))
                })?;
                let channel = endpoint.connect_timeout(self.connect_timeout).tcp_nodelay(true).connect_lazy();
                channels.insert(id, channel.clone());
                channel
            }
        };
        Ok(RaftServiceClient::new(channel)
            .max_decoding_message_size(MAX_RAFT_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_RAFT_MESSAGE_BYTES))
    }
}

/// How one CP group's Raft messages travel over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcTransport {
    group: Arc<str>,
    registry: RaftRegistry,
    peers: Peers,
}

/// The `RaftService` rpc a message goes through.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RaftRpc {
    AppendEntries,
    Vote,
    FullSnapshot,
}

impl GrpcTransport {
    /// The transport of group `group`: local Rafts register in `registry`, peers are
    /// reached through `peers`.
    pub fn new(group: &str, registry: RaftRegistry, peers: Peers) -> Self {
        GrpcTransport { group: Arc::from(group), registry, peers }
    }

    pub(crate) fn register(&self, raft: CpRaft) {
        self.registry.insert(&self.group, raft);
    }

    pub(crate) fn unregister(&self) {
        self.registry.remove(&self.group);
    }

    /// Learns member `id`'s address from a Raft membership.
    pub(crate) fn learn(&self, id: u64, address: &str) {
        self.peers.learn(id, address);
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
        let mut client = self.peers.client(target).map_err(RPCError::Unreachable)?;
        let mut message = tonic::Request::new(RaftRequest { group: self.group.to_string(), payload });
        message.set_timeout(ttl);
        if let Some(secret) = &self.peers.secret {
            message.metadata_mut().insert(CLUSTER_SECRET_HEADER, secret.clone());
        }
        let call = async move {
            match rpc {
                RaftRpc::AppendEntries => client.append_entries(message).await,
                RaftRpc::Vote => client.vote(message).await,
                RaftRpc::FullSnapshot => client.full_snapshot(message).await,
            }
        };
        let response = match tokio::time::timeout(ttl, call).await {
            Err(_) => return Err(RPCError::Timeout(Timeout { action, id: source, target, timeout: ttl })),
            Ok(Err(status)) => {
                return Err(RPCError::Unreachable(Unreachable::from_string(format!(
                    "member {target} did not take the {action:?} message for group {:?}: {} ({})",
                    self.group,
                    status.message(),
                    status.code()
                ))));
            }
            Ok(Ok(response)) => response.into_inner(),
        };
        let answer: Result<Resp, String> = decode_payload(&response.payload, "Raft response")
            .map_err(|err| RPCError::Network(NetworkError::from_string(err)))?;
        answer.map_err(|err| {
            RPCError::Unreachable(Unreachable::from_string(format!(
                "member {target}'s Raft of group {:?} refused the message: {err}",
                self.group
            )))
        })
    }
}
