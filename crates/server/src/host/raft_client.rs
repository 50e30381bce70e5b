//! Raft over gRPC, the node's side: [`Peers`] is the [`RaftWire`] the CP engine's remote
//! transport sends through, as `RaftService` calls on lazily connected tonic channels, one
//! per peer and shared by every group. The cluster secret travels with every message.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_api::pb::RaftRequest;
use coterie_api::pb::raft_service_client::RaftServiceClient;
use futures_util::future::BoxFuture;
use tonic::transport::{Channel, Endpoint};

use crate::cp::{RaftRpc, RaftWire};

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
    fn client(&self, id: u64) -> Result<RaftServiceClient<Channel>, String> {
        Ok(RaftServiceClient::new(self.channel(id)?)
            .max_decoding_message_size(MAX_RAFT_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_RAFT_MESSAGE_BYTES))
    }

    /// The channel to member `id`, shared by every member-to-member service. Nothing is
    /// connected until the first call.
    pub(super) fn channel(&self, id: u64) -> Result<Channel, String> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let channel = match channels.get(&id) {
            Some(channel) => channel.clone(),
            None => {
                let address = self.address(id).ok_or_else(|| format!("member {id} has no known address"))?;
                let endpoint = Endpoint::from_shared(format!("http://{address}"))
                    .map_err(|err| format!("member {id}'s address {address:?} is not usable: {err}"))?;
                let channel = endpoint.connect_timeout(self.connect_timeout).tcp_nodelay(true).connect_lazy();
                channels.insert(id, channel.clone());
                channel
            }
        };
        Ok(channel)
    }
}

impl RaftWire for Peers {
    fn send(
        &self,
        group: &str,
        target: u64,
        rpc: RaftRpc,
        payload: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'static, Result<Vec<u8>, String>> {
        let client = self.client(target);
        let mut message = tonic::Request::new(RaftRequest { group: group.to_owned(), payload });
        message.set_timeout(ttl);
        if let Some(secret) = &self.secret {
            message.metadata_mut().insert(CLUSTER_SECRET_HEADER, secret.clone());
        }
        Box::pin(async move {
            let mut client = client?;
            let answer = match rpc {
                RaftRpc::AppendEntries => client.append_entries(message).await,
                RaftRpc::Vote => client.vote(message).await,
                RaftRpc::FullSnapshot => client.full_snapshot(message).await,
            };
            answer
                .map(|response| response.into_inner().payload)
                .map_err(|status| format!("{} ({})", status.message(), status.code()))
        })
    }

    fn learn(&self, id: u64, address: &str) {
        Peers::learn(self, id, address);
    }
}
