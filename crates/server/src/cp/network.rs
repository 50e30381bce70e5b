//! How CP nodes reach each other.
//!
//! openraft's network traits are implemented once, over [`Transport`], an enum of the ways
//! a message can travel: [`Router`], which delivers in process by calling the target node's
//! `Raft` handle directly, and can cut a node off to simulate a crash or a partition; and
//! [`RemoteTransport`], which encodes openraft's (serde) messages and sends them over the
//! host's [`RaftWire`](super::RaftWire) to another process (see [`super::remote`]).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use openraft::errors::{ReplicationClosed, StreamingError, Timeout, Unreachable};
use openraft::network::{RPCOption, RPCTypes, RaftNetworkFactory, RaftNetworkV2};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, TransferLeaderRequest, TransferLeaderResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, OptionalSend, errors::RPCError};

pub use super::raft::CpRaft;
use super::remote::{RaftRpc, RemoteTransport, SnapshotRpc, VoteRpc};
use super::types::{CpTypes, CpVote};

type Snapshot = openraft::alias::SnapshotOf<CpTypes, Vec<u8>>;

/// The ways CP nodes can reach each other.
#[derive(Clone, Debug)]
pub enum Transport {
    /// Direct calls between nodes of one process.
    InProcess(Router),
    /// Messages to members in other processes, over the host's wire.
    Remote(RemoteTransport),
}

impl Transport {
    /// Makes `raft` reachable as node `id`.
    pub(crate) fn register(&self, id: u64, raft: CpRaft) {
        match self {
            Transport::InProcess(router) => {
                router.with(|state| state.nodes.insert(id, raft));
            }
            Transport::Remote(grpc) => grpc.register(raft),
        }
    }

    /// Makes node `id` unreachable again (it is shutting down).
    pub(crate) fn unregister(&self, id: u64) {
        match self {
            Transport::InProcess(router) => {
                router.with(|state| state.nodes.remove(&id));
            }
            Transport::Remote(grpc) => grpc.unregister(),
        }
    }
}

#[derive(Default)]
struct RouterState {
    nodes: BTreeMap<u64, CpRaft>,
    disconnected: BTreeSet<u64>,
}

/// Delivers Raft messages between nodes of one process. Cheap to clone: clones share the
/// routing table.
#[derive(Clone, Default)]
pub struct Router {
    inner: Arc<Mutex<RouterState>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (nodes, disconnected) =
            self.with(|state| (state.nodes.keys().copied().collect::<Vec<_>>(), state.disconnected.clone()));
        f.debug_struct("Router").field("nodes", &nodes).field("disconnected", &disconnected).finish()
    }
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut RouterState) -> T) -> T {
        // The routing table stays consistent even if a holder panicked.
        let mut state: MutexGuard<'_, RouterState> = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    /// Cuts node `id` off: nothing it sends arrives and nothing reaches it, as if it crashed
    /// or sat alone in a partition (its own callers can still talk to it).
    pub fn disconnect(&self, id: u64) {
        self.with(|state| state.disconnected.insert(id));
    }

    /// Undoes [`Router::disconnect`].
    pub fn reconnect(&self, id: u64) {
        self.with(|state| state.disconnected.remove(&id));
    }

    /// The node `to`, if a message from `from` can reach it.
    fn route(&self, from: u64, to: u64) -> Result<CpRaft, Unreachable<CpTypes>> {
        self.with(|state| {
            if state.disconnected.contains(&from) || state.disconnected.contains(&to) {
                return Err(Unreachable::from_string(format!("node {from} cannot reach node {to}: disconnected")));
            }
            state.nodes.get(&to).cloned().ok_or_else(|| Unreachable::from_string(format!("node {to} is not running")))
        })
    }
}

/// Creates the per-peer [`CpNetwork`] clients for node `source`.
pub struct CpNetworkFactory {
    transport: Transport,
    source: u64,
}

impl CpNetworkFactory {
    /// The factory of node `source`.
    pub fn new(transport: Transport, source: u64) -> Self {
        CpNetworkFactory { transport, source }
    }
}

impl RaftNetworkFactory<CpTypes> for CpNetworkFactory {
    type Network = CpNetwork;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> CpNetwork {
        // A member added at runtime is first heard of in a membership: its address is there.
        if let Transport::Remote(grpc) = &self.transport
            && !node.addr.is_empty()
        {
            grpc.learn(target, &node.addr);
        }
        CpNetwork { transport: self.transport.clone(), source: self.source, target }
    }
}

/// Sends node `source`'s Raft messages to node `target`.
pub struct CpNetwork {
    transport: Transport,
    source: u64,
    target: u64,
}

impl CpNetwork {
    /// The (source, target) member ids of this client's messages.
    fn ends(&self) -> (u64, u64) {
        (self.source, self.target)
    }

    fn timeout(&self, action: RPCTypes, timeout: Duration) -> Timeout<CpTypes> {
        Timeout { action, id: self.source, target: self.target, timeout }
    }

    /// Runs an in-process call within the RPC's soft deadline (openraft may abandon it at the
    /// hard one); a stopped target is unreachable.
    async fn deliver<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
        &self,
        router: &Router,
        action: RPCTypes,
        ttl: Duration,
        call: impl FnOnce(CpRaft) -> F,
    ) -> Result<T, RPCError<CpTypes>> {
        let raft = router.route(self.source, self.target).map_err(RPCError::Unreachable)?;
        match tokio::time::timeout(ttl, call(raft)).await {
            Err(_) => Err(RPCError::Timeout(self.timeout(action, ttl))),
            Ok(Err(err)) => {
                Err(RPCError::Unreachable(Unreachable::from_string(format!("node {} has stopped: {err}", self.target))))
            }
            Ok(Ok(value)) => Ok(value),
        }
    }
}

impl RaftNetworkV2<CpTypes> for CpNetwork {
    type SnapshotData = Vec<u8>;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<CpTypes>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<CpTypes>, RPCError<CpTypes>> {
        let (action, ttl) = (RPCTypes::AppendEntries, option.soft_ttl());
        match &self.transport {
            Transport::InProcess(router) => {
                self.deliver(router, action, ttl, |raft| async move { raft.append_entries(rpc).await }).await
            }
            Transport::Remote(grpc) => grpc.send(self.ends(), RaftRpc::AppendEntries, action, &rpc, ttl).await,
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<CpTypes>,
        option: RPCOption,
    ) -> Result<VoteResponse<CpTypes>, RPCError<CpTypes>> {
        let (action, ttl) = (RPCTypes::Vote, option.soft_ttl());
        match &self.transport {
            Transport::InProcess(router) => {
                self.deliver(router, action, ttl, |raft| async move { raft.vote(rpc).await }).await
            }
            Transport::Remote(grpc) => grpc.send(self.ends(), RaftRpc::Vote, action, &VoteRpc::Vote(rpc), ttl).await,
        }
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<CpTypes>,
        option: RPCOption,
    ) -> Result<VoteResponse<CpTypes>, RPCError<CpTypes>> {
        let (action, ttl) = (RPCTypes::Vote, option.soft_ttl());
        match &self.transport {
            Transport::InProcess(router) => {
                self.deliver(router, action, ttl, |raft| async move { raft.pre_vote(rpc).await }).await
            }
            Transport::Remote(grpc) => grpc.send(self.ends(), RaftRpc::Vote, action, &VoteRpc::PreVote(rpc), ttl).await,
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: CpVote,
        snapshot: Snapshot,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<CpTypes>, StreamingError<CpTypes>> {
        let (action, ttl) = (RPCTypes::InstallSnapshot, option.soft_ttl());
        let send =
            async {
                match &self.transport {
                    Transport::InProcess(router) => {
                        self.deliver(router, action, ttl, |raft| async move {
                            raft.install_full_snapshot(vote, snapshot).await
                        })
                        .await
                    }
                    Transport::Remote(grpc) => {
                        let rpc: SnapshotRpc = (vote, snapshot.meta, snapshot.snapshot);
                        grpc.send(self.ends(), RaftRpc::FullSnapshot, action, &rpc, ttl).await
                    }
                }
            };
        tokio::select! {
            closed = cancel => Err(StreamingError::Closed(closed)),
            result = send => result.map_err(|err| match err {
                RPCError::Timeout(e) => StreamingError::Timeout(e),
                RPCError::Unreachable(e) => StreamingError::Unreachable(e),
                RPCError::Network(e) => StreamingError::Network(e),
                RPCError::RemoteError(e) => StreamingError::Unreachable(Unreachable::from_string(e.to_string())),
            }),
        }
    }

    async fn transfer_leader(
        &mut self,
        req: TransferLeaderRequest<CpTypes>,
        option: RPCOption,
    ) -> Result<TransferLeaderResponse<CpTypes>, RPCError<CpTypes>> {
        let (action, ttl) = (RPCTypes::TransferLeader, option.soft_ttl());
        match &self.transport {
            Transport::InProcess(router) => {
                self.deliver(router, action, ttl, |raft| async move { raft.handle_transfer_leader(req).await }).await
            }
            Transport::Remote(grpc) => {
                grpc.send(self.ends(), RaftRpc::Vote, action, &VoteRpc::TransferLeader(req), ttl).await
            }
        }
    }
}
