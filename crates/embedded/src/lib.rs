//! # coterie-embedded
//!
//! Embedded mode: a CP cluster running inside the application's process, used through the
//! same client handles as a remote one.
//!
//! An application (or a test, or `coterie demo`) that wants Coterie's structures without
//! running servers starts an [`EmbeddedCluster`] and takes a [`Client`] from it. The calls go
//! through the real Raft engine — replication, leader election, waiters, session expiry —
//! and only the network between the members and the client is replaced by in-process
//! routing. [`EmbeddedTransport`] maps the node's answers onto the client's retry loop, so
//! leader following and exactly-once retries behave exactly as they do over gRPC.
//!
//! An application that wants its own entity types sharded over a real cluster (seed 002)
//! starts [`Member`]s instead ([`member`]): full nodes on 127.0.0.1, the first forming a
//! cluster and the others joining it through seeds, each serving the entity types it was
//! started with, reachable from any member through [`Member::entity`].

pub mod member;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use coterie_client::{Call, Client, ClientConfig, Transport as ClientTransport, TransportError};
use coterie_core::{CoreError, EngineError, GroupOutput, Target};
use coterie_storage::{MemoryLog, RedbStorage};
use futures_util::future::BoxFuture;
use openraft::BasicNode;

use coterie_server::Request;
use coterie_server::cp::{CpConfig, CpError, CpNode, Router, SystemClock, Transport};
use coterie_server::engine::{self, CallOptions, Engine, no_sharded_engine};

pub use member::{EmbeddedError, EntityRef, Member, MemberConfig};

/// A fresh random client identity: 128 bits from the operating system's generator (drawn
/// again in the 2^-128 event of zero, and from the time and a counter should the generator
/// fail, which it does not on the platforms Coterie runs on).
pub(crate) fn draw_client_id() -> coterie_core::ClientId {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let mut bytes = [0u8; 16];
    loop {
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            bytes = (nanos ^ (u128::from(count) << 96) ^ u128::from(std::process::id())).to_le_bytes();
        }
        if let Some(id) = coterie_core::ClientId::from_bytes(&bytes) {
            return id;
        }
    }
}

/// The CP group every embedded node runs (named groups are not built yet).
const DEFAULT_GROUP: &str = "default";

/// How long a call without its own limit may stay parked in one attempt; the client
/// re-attaches with the same invocation id after it.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// A client transport over CP nodes in this process: endpoint `i` is `nodes[i]`.
#[derive(Clone)]
pub struct EmbeddedTransport {
    nodes: Vec<Arc<CpNode>>,
    /// Members stopped with [`EmbeddedCluster::stop`]: unreachable, as a crashed server is.
    stopped: Arc<RwLock<BTreeSet<u64>>>,
}

impl EmbeddedTransport {
    /// A transport over `nodes`.
    pub fn new(nodes: Vec<Arc<CpNode>>) -> Self {
        EmbeddedTransport { nodes, stopped: Arc::default() }
    }

    fn is_stopped(&self, id: u64) -> bool {
        self.stopped.read().unwrap_or_else(PoisonError::into_inner).contains(&id)
    }

    fn endpoint_of(&self, id: u64) -> Option<usize> {
        self.nodes.iter().position(|node| node.id() == id)
    }
}

impl ClientTransport for EmbeddedTransport {
    fn endpoints(&self) -> usize {
        self.nodes.len()
    }

    async fn call(
        &self,
        endpoint: usize,
        call: Call,
        timeout: Option<Duration>,
    ) -> Result<GroupOutput, TransportError> {
        let Some(node) = self.nodes.get(endpoint) else {
            return Err(TransportError::Unreachable { reason: format!("there is no endpoint {endpoint}") });
        };
        if self.is_stopped(node.id()) {
            return Err(TransportError::Unreachable { reason: format!("member {} is stopped", node.id()) });
        }
        let target = call.target;
        let request = Request { command: call.command, session: call.session, invocation: call.invocation };
        let timeout = timeout.unwrap_or(LONGEST_WAIT);
        let options = CallOptions {
            timeout,
            stale_read: call.stale_read,
            keep_parked: call.keep_parked,
            consistency: call.consistency,
            // The embedded client follows redirects itself, and this router never forwards.
            redirect: true,
        };
        engine::serve(&MemberRouter(node), &target, request, options)
            .await
            .map_err(|err| TransportError::from_engine(err, |member, _| member.and_then(|id| self.endpoint_of(id))))
    }
}

/// The router of one embedded member: its replica of the `default` group is the one engine
/// it runs.
struct MemberRouter<'a>(&'a Arc<CpNode>);

impl engine::Router for MemberRouter<'_> {
    fn route<'a>(
        &'a self,
        target: &'a Target,
        _request: &'a coterie_server::Request,
    ) -> BoxFuture<'a, Result<Arc<dyn Engine>, EngineError>> {
        let routed = match target {
            Target::Cp { group } if group == DEFAULT_GROUP => {
                let engine: Arc<dyn Engine> = Arc::<CpNode>::clone(self.0);
                Ok(engine)
            }
            Target::Cp { group } => Err(EngineError::Core(CoreError::invalid_request(
                "call",
                format!("CP group {group:?} does not exist: an embedded cluster runs only the \"default\" group"),
            ))),
            Target::Sharded { shards } => Err(no_sharded_engine(*shards)),
        };
        Box::pin(std::future::ready(routed))
    }
}

/// Where embedded nodes keep their logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbeddedStorage {
    /// In memory: gone when the process ends.
    Memory,
    /// One redb file per node (`node-<id>.redb`) in this directory.
    Directory(PathBuf),
}

/// A CP cluster of `size` members inside this process.
pub struct EmbeddedCluster {
    router: Router,
    nodes: Vec<Arc<CpNode>>,
    /// Members stopped with [`EmbeddedCluster::stop`], shared with the clients' transports.
    stopped: Arc<RwLock<BTreeSet<u64>>>,
}

impl EmbeddedCluster {
    /// Starts members `1..=size` on `storage`; they form the `default` group by themselves.
    pub async fn start(size: u64, storage: EmbeddedStorage, config: CpConfig) -> Result<EmbeddedCluster, CpError> {
        let members: BTreeMap<u64, BasicNode> =
            (1..=size).map(|id| (id, BasicNode::new(format!("in-process:{id}")))).collect();
        let router = Router::new();
        let mut starting = Vec::new();
        for id in 1..=size {
            let (members, router, config, storage) = (members.clone(), router.clone(), config.clone(), storage.clone());
            starting.push(tokio::spawn(async move {
                let transport = Transport::InProcess(router);
                let clock = Arc::new(SystemClock);
                match storage {
                    EmbeddedStorage::Memory => {
                        CpNode::start(id, members, MemoryLog::new(), transport, clock, config).await
                    }
                    EmbeddedStorage::Directory(dir) => {
                        let log = RedbStorage::open(&dir.join(format!("node-{id}.redb")))?.log(DEFAULT_GROUP)?;
                        CpNode::start(id, members, log, transport, clock, config).await
                    }
                }
            }));
        }
        let mut nodes = Vec::new();
        for started in starting {
            let node = started
                .await
                .map_err(|err| CpError::Stopped { reason: format!("a member failed to start: {err}") })??;
            nodes.push(Arc::new(node));
        }
        Ok(EmbeddedCluster { router, nodes, stopped: Arc::default() })
    }

    /// A client of this cluster.
    pub fn client(&self, config: ClientConfig) -> Client<EmbeddedTransport> {
        Client::new(EmbeddedTransport { nodes: self.nodes.clone(), stopped: Arc::clone(&self.stopped) }, config)
    }

    /// The members, in id order (stopped ones too).
    pub fn nodes(&self) -> &[Arc<CpNode>] {
        &self.nodes
    }

    /// Stops member `id` for good, as a crash would: its parked callers learn it stopped,
    /// this cluster's clients find it unreachable and move on, and the rest elect a leader
    /// without it. It is not started again (on memory storage its log is gone).
    pub async fn stop(&self, id: u64) -> Result<(), CpError> {
        let Some(node) = self.nodes.iter().find(|node| node.id() == id) else {
            return Err(CpError::Stopped { reason: format!("there is no member {id}") });
        };
        if !self.stopped.write().unwrap_or_else(PoisonError::into_inner).insert(id) {
            return Ok(());
        }
        node.shutdown().await
    }

    /// Whether member `id` was stopped with [`EmbeddedCluster::stop`].
    pub fn is_stopped(&self, id: u64) -> bool {
        self.stopped.read().unwrap_or_else(PoisonError::into_inner).contains(&id)
    }

    /// Cuts member `id` off from the others (a crash or partition, as far as Raft can tell).
    pub fn disconnect(&self, id: u64) {
        self.router.disconnect(id);
    }

    /// Connects member `id` again.
    pub fn reconnect(&self, id: u64) {
        self.router.reconnect(id);
    }

    /// Waits until `n` members are up: running (not stopped), voters of the `default` group's
    /// committed membership, and following one leader that a running member knows. Answers
    /// their ids. The embedded cluster's members are fixed at start, so this is the moment
    /// they have formed the group; [`CpError::Timeout`] after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<u64>, CpError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let running: Vec<&Arc<CpNode>> = self.nodes.iter().filter(|node| !self.is_stopped(node.id())).collect();
            let leader = running.iter().find_map(|node| node.leader().map(|(id, _)| id));
            if let Some(leader) = leader
                && let Some(node) = running.iter().find(|node| node.id() == leader)
            {
                let voters: BTreeSet<u64> = node.committed_membership().0.into_iter().flatten().collect();
                let up: Vec<u64> = running
                    .iter()
                    .filter(|node| voters.contains(&node.id()) && node.leader().is_some_and(|(id, _)| id == leader))
                    .map(|node| node.id())
                    .collect();
                if up.len() >= n {
                    return Ok(up);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(CpError::Timeout { timeout });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops every member still running.
    pub async fn shutdown(&self) -> Result<(), CpError> {
        for node in self.nodes.iter().filter(|node| !self.is_stopped(node.id())) {
            node.shutdown().await?;
        }
        Ok(())
    }
}
