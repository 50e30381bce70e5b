//! A Coterie node as a process serves it: the CP groups this member hosts, Raft between the
//! members over gRPC, and the public gRPC API.
//!
//! Why it is shaped this way:
//!
//! - **Every group has the same voters**: the CP members of the committed member table,
//!   kept in the `metadata` group (see `host/members.rs`), so a group needs no placement decision:
//!   any CP member can start its replica of group `g` on its own, and the group forms
//!   with the table's CP members (the configured ones until a table is applied). Exactly one
//!   member initializes a group: the one whose claim the metadata group registered first
//!   (`host/groups.rs`); the others wait for its leader. Each group's leader brings its Raft
//!   voters in line with the table when it changes.
//! - **Groups start on first use**: a client call naming `g` on any member, or a Raft
//!   message for `g` from a peer, starts the local replica, and every CP member opens the
//!   groups registered in the metadata group (`host/groups.rs`) once it has applied them. So
//!   one client call is enough to create a group on all members, and a member restarted on
//!   its data directory reopens its groups as soon as its metadata replica has caught up.
//!   `metadata` and `default` are started eagerly.
//! - **One redb file per node** (`<data_dir>/coterie.redb`) holds every group's log, so
//!   appends of all groups share one file and one fsync queue; without a data directory,
//!   each group keeps its log in memory.
//! - **Any member answers any call**: a CP call this member's replica redirects (or any CP
//!   call, on a plain member) is forwarded one hop to the group's leader and the answer
//!   relayed (`host/cp_forward.rs`), unless the caller follows redirects itself.
//! - **Sharded structures** are served by the partition owner's journaled replica, the
//!   placement committed in the metadata group beside the member table, and a call to any
//!   other member forwarded one hop (`crate::shard`, `host/sharded.rs`).
//! - The number of groups is capped ([`NodeConfig::max_groups`]): each group is a Raft
//!   instance with its own timers and heartbeats, and a typo in a group name must not be
//!   able to create an unbounded number of them.

mod admin;
mod api;
mod blob_client;
mod blob_maintenance;
mod blob_service;
mod catalog;
mod cluster;
mod config;
mod cp_forward;
mod dispatch;
mod error;
mod groups;
mod handoff;
mod health;
mod join;
mod leadership_log;
mod liveness;
mod members;
mod object_service;
mod raft_client;
mod raft_service;
mod refusal_log;
mod router;
mod scatter;
mod sharded;
mod sharded_entry;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use coterie_api::convert::{ConvertError, DEFAULT_GROUP, METADATA_GROUP, resolve_group};
use coterie_core::placement::{PartitionId, PartitionTable};
use coterie_core::{EngineError, GroupOutput, Target};
use coterie_storage::blob::{BlobStore, FileBlobStore, MemoryBlobStore};
use coterie_storage::{MemoryLog, RedbStorage, StorageError, StorageWatch};
use openraft::BasicNode;
use tokio::net::TcpListener;
use tokio::sync::{Notify, OnceCell, oneshot, watch};
use tokio::task::JoinHandle;

use crate::cp::{CpConfig, CpNode, RaftRegistry, RaftWire, RemoteTransport, SystemClock, Transport};
use crate::engine::CallOptions;
use crate::gossip::{GossipDriver, GossipHandle, GossipView};
use crate::object::Blobs;
use crate::request::Request;
use crate::shard::Shards;
use raft_client::Peers;

pub use api::parse_grpc_timeout;
pub use error::HostError;

pub use config::{MAX_PART_BYTES, NodeConfig, NodeGossipConfig};
pub use members::MEMBERS;

/// The state the node's services share.
struct Inner {
    config: NodeConfig,
    members: BTreeMap<u64, BasicNode>,
    storage: Mutex<Option<RedbStorage>>,
    groups: Mutex<BTreeMap<String, Arc<OnceCell<Arc<CpNode>>>>>,
    registry: RaftRegistry,
    peers: Peers,
    stopping: AtomicBool,
    /// This node joined at runtime (now or before a restart): it never initializes a group
    /// and never seeds the member table.
    joined: bool,
    /// Wakes the reconcile loop at once (an admin change was committed).
    reconcile: Notify,
    /// On a plain member (which hosts no metadata replica): the member table as a CP member
    /// last listed it, and the metadata leader it named.
    listed: Mutex<members::Listed>,
    /// Set once the committed table says this member was removed: it then stops serving CP
    /// groups, and [`Node::removed`] tells its process.
    removed: watch::Sender<bool>,
    /// Set as soon as this member knows it was removed (before its replicas are stopped):
    /// no group starts on it from then on.
    retired: AtomicBool,
    /// Object bytes: this member's blob store (`<data_dir>/blobs`, or memory) and the wire
    /// to the others' (`object/`).
    blobs: Blobs,
    /// The replicas of the sharded partitions this member owns (`crate::shard`).
    shards: Shards,
    /// This member's gossip view, once gossip runs: what `host/liveness.rs` turns into
    /// committed Down and Up on the metadata leader.
    gossip_view: OnceLock<watch::Receiver<GossipView>>,
    /// How many times this member forwarded a CP call to another member (`host/cp_forward.rs`).
    forwarded: Arc<AtomicU64>,
    /// How many times this member forwarded a sharded call (or one partition's part of a
    /// gathered one) to the partition's owner (`host/sharded_entry.rs`).
    sharded_forwarded: AtomicU64,
    /// This node's own handle, for the engines that serve sharded calls (`host/sharded_entry.rs`).
    this: std::sync::Weak<Inner>,
    /// Set once this member's metadata replica passed a read barrier since it started: only
    /// then does it serve sharded calls (`host/sharded_entry.rs`).
    sharded_fresh: AtomicBool,
    /// The partitions this member is handing over now (`host/handoff.rs`).
    moves: Mutex<std::collections::BTreeSet<PartitionId>>,
}

/// The group name `group` as this node hosts it: `""` is `default`, and the metadata
/// group, which the public API refuses, is hosted like any other.
fn hosted_group(group: &str) -> Result<String, ConvertError> {
    if group == METADATA_GROUP { Ok(group.to_owned()) } else { resolve_group(group) }
}

impl Inner {
    /// The local replica of `group`, started if it is not running yet.
    async fn group(&self, group: &str) -> Result<Arc<CpNode>, HostError> {
        let group = hosted_group(group)?;
        if self.config.plain {
            return Err(HostError::PlainMember { id: self.config.id, cp_member: self.cp_member() });
        }
        if self.retired.load(Ordering::SeqCst) {
            return Err(HostError::Removed { id: self.config.id, cp_member: self.cp_member() });
        }
        let cell = {
            let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
            if self.stopping.load(Ordering::SeqCst) {
                return Err(HostError::Stopping);
            }
            match groups.get(&group) {
                Some(cell) => Arc::clone(cell),
                None => {
                    // The metadata group is the cluster's, not a user's: it does not count.
                    if group != METADATA_GROUP
                        && groups.keys().filter(|name| *name != METADATA_GROUP).count() >= self.config.max_groups
                    {
                        return Err(HostError::TooManyGroups { group, limit: self.config.max_groups });
                    }
                    let cell = Arc::new(OnceCell::new());
                    groups.insert(group.clone(), Arc::clone(&cell));
                    cell
                }
            }
        };
        cell.get_or_try_init(|| self.start_group(&group)).await.cloned()
    }

    /// The replicas started so far, by group name.
    fn running(&self) -> Vec<(String, Arc<CpNode>)> {
        let groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        groups.iter().filter_map(|(name, cell)| Some((name.clone(), Arc::clone(cell.get()?)))).collect()
    }

    async fn start_group(&self, group: &str) -> Result<Arc<CpNode>, HostError> {
        let wire: Arc<dyn RaftWire> = Arc::new(self.peers.clone());
        let transport = Transport::Remote(RemoteTransport::new(group, self.registry.clone(), wire));
        let config = CpConfig { group_name: group.to_owned(), ..self.config.cp.clone() };
        let (id, clock) = (self.config.id, Arc::new(SystemClock));
        let members = self.initial_members(group).await?;
        // The metadata group is initialized by every configured member, staggered; any
        // other group by the one member that claimed it, at once.
        let staggered = group == METADATA_GROUP;
        let storage = self.storage.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let started = match (storage, members) {
            (Some(storage), members) => {
                let log = storage
                    .log(group)
                    .map_err(|err| HostError::Group { group: group.to_owned(), source: err.into() })?;
                match members {
                    Some(members) => CpNode::start_with(id, members, staggered, log, transport, clock, config).await,
                    None => CpNode::start_joining(id, log, transport, clock, config).await,
                }
            }
            (None, Some(members)) => {
                CpNode::start_with(id, members, staggered, MemoryLog::new(), transport, clock, config).await
            }
            (None, None) => CpNode::start_joining(id, MemoryLog::new(), transport, clock, config).await,
        };
        let node = Arc::new(started.map_err(|source| HostError::Group { group: group.to_owned(), source })?);
        // Ends by itself when the replica stops (its metrics channel closes).
        tokio::spawn(leadership_log::watch(group.to_owned(), id, node.raft().clone()));
        if self.stopping.load(Ordering::SeqCst) {
            // Shutdown began while this group was starting and will not see it: stop it here.
            let _ = node.shutdown().await;
            return Err(HostError::Stopping);
        }
        Ok(node)
    }

    /// The members a new replica of `group` initializes the group with, or `None` if it
    /// must not initialize it and wait for the group's leader instead.
    ///
    /// The metadata group starts from the configured members (its table is what says who the
    /// members are), except on a node that joined at runtime. Any other group is initialized
    /// only by the member that won its claim in the metadata group (`host/groups.rs`), with
    /// the committed table's CP members (the configured ones before a table is applied); a
    /// node the table does not count among the CP members does not claim.
    async fn initial_members(&self, group: &str) -> Result<Option<BTreeMap<u64, BasicNode>>, HostError> {
        let as_nodes = |voters: BTreeMap<u64, String>| -> BTreeMap<u64, BasicNode> {
            voters.into_iter().map(|(id, address)| (id, BasicNode::new(address))).collect()
        };
        if group == METADATA_GROUP {
            return Ok((!self.joined).then(|| self.members.clone()));
        }
        let voters = match self.table() {
            Some(table) => as_nodes(table.cp_voters()),
            None if self.joined => return Ok(None),
            None => self.members.clone(),
        };
        if !voters.contains_key(&self.config.id) {
            return Ok(None);
        }
        let owner = self.claim_group(group).await?;
        Ok((owner == self.config.id).then_some(voters))
    }

    /// Starts `group` in the background (a peer's Raft message named it).
    fn start_in_background(self: &Arc<Self>, group: &str) {
        let (inner, group) = (Arc::clone(self), group.to_owned());
        tokio::spawn(async move {
            // A failure is seen by the peer as an unreachable member; it retries.
            let _ = inner.group(&group).await;
        });
    }
}

/// How long shutting down waits for each step (stopping a group, draining connections).
const SHUTDOWN_STEP: Duration = Duration::from_secs(5);

/// What a starting node has spawned before it is assembled.
struct Tasks {
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
    reconciler: JoinHandle<()>,
    maintenance: JoinHandle<()>,
    health: JoinHandle<()>,
    reporter: tonic_health::server::HealthReporter,
    sharder: JoinHandle<()>,
}

/// A running node: its groups and its gRPC server.
pub struct Node {
    inner: Arc<Inner>,
    local_addr: SocketAddr,
    /// The gossip driver, until shutdown leaves; its view outlives it.
    gossip: Mutex<Option<GossipHandle>>,
    gossip_view: Option<watch::Receiver<GossipView>>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<JoinHandle<()>>>,
    reconciler: Mutex<Option<JoinHandle<()>>>,
    maintenance: Mutex<Option<JoinHandle<()>>>,
    /// Refreshes the gRPC health statuses (`host/health.rs`).
    health: Mutex<Option<JoinHandle<()>>>,
    reporter: tonic_health::server::HealthReporter,
    /// Keeps the partition table committed and this member's partitions open (`host/sharded.rs`).
    sharder: Mutex<Option<JoinHandle<()>>>,
}

impl Node {
    /// Binds `config.listen`, serves, and starts the `default` group.
    pub async fn start(config: NodeConfig) -> Result<Node, HostError> {
        let config = config.validate()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| HostError::Listen { addr: config.listen, source })?;
        Node::start_with_listener(config, listener).await
    }

    /// Resolves once the committed member table says this member was removed: it has then
    /// stopped serving CP groups, and its process should stop (`coterie serve` does).
    pub async fn removed(&self) {
        let mut removed = self.inner.removed.subscribe();
        let _ = removed.wait_for(|removed| *removed).await;
    }

    /// Serves on `listener` (already bound; `config.listen` is ignored) and starts the
    /// `default` group. Tests bind port 0 first, collect the addresses, then start.
    pub async fn start_with_listener(config: NodeConfig, listener: TcpListener) -> Result<Node, HostError> {
        let config = config.validate()?;
        if !config.members.contains_key(&config.id) {
            return Err(HostError::NotAMember { id: config.id, members: config.members.keys().copied().collect() });
        }
        let local_addr = listener.local_addr().map_err(|source| HostError::Listen { addr: config.listen, source })?;
        let storage = match &config.data_dir {
            Some(dir) => {
                let storage_err = |source| HostError::Storage { dir: dir.clone(), source };
                std::fs::create_dir_all(dir).map_err(|err| {
                    storage_err(StorageError::Database {
                        operation: "create the data directory",
                        reason: err.to_string(),
                    })
                })?;
                Some(RedbStorage::open(&dir.join("coterie.redb")).map_err(storage_err)?)
            }
            None => None,
        };
        let blob_store: Arc<dyn BlobStore> = match &config.data_dir {
            Some(dir) => Arc::new(FileBlobStore::open(dir.join("blobs")).map_err(|err| HostError::Storage {
                dir: dir.clone(),
                source: StorageError::Database { operation: "open the blob store", reason: err.to_string() },
            })?),
            None => Arc::new(MemoryBlobStore::new()),
        };
        let joined = join::joined(&config)?;
        let members = config.members.iter().map(|(id, addr)| (*id, BasicNode::new(addr.clone()))).collect();
        let peers =
            Peers::new(config.members.clone(), config.cp.election_timeout.0).with_secret(config.cluster_secret.clone());
        let (config_id, peers_for_blobs) = (config.id, peers.clone());
        let shards = Shards::new(storage.clone()).with_entities(config.entities.clone());
        let inner = Arc::new_cyclic(|this| Inner {
            config,
            members,
            storage: Mutex::new(storage),
            groups: Mutex::default(),
            registry: RaftRegistry::default(),
            peers,
            stopping: AtomicBool::new(false),
            joined,
            reconcile: Notify::new(),
            listed: Mutex::default(),
            removed: watch::Sender::new(false),
            retired: AtomicBool::new(false),
            blobs: Blobs::new(config_id, blob_store, Arc::new(peers_for_blobs)),
            shards,
            gossip_view: OnceLock::new(),
            forwarded: Arc::default(),
            sharded_forwarded: AtomicU64::new(0),
            this: this.clone(),
            sharded_fresh: AtomicBool::new(false),
            moves: Mutex::default(),
        });
        let (stop, stopped) = oneshot::channel();
        let (reporter, health_server) = health::health();
        let server = tokio::spawn(dispatch::serve(Arc::clone(&inner), listener, health_server, stopped));
        if !inner.config.plain {
            inner.start_in_background(METADATA_GROUP);
            inner.start_in_background(DEFAULT_GROUP);
        }
        let reconciler = tokio::spawn(members::reconcile_loop(Arc::clone(&inner)));
        let maintenance = tokio::spawn(blob_maintenance::run(Arc::clone(&inner)));
        let health = tokio::spawn(health::run(Arc::clone(&inner), reporter.clone()));
        let sharder = tokio::spawn(sharded::shard_loop(Arc::clone(&inner)));
        let tasks = Tasks { stop, server, reconciler, maintenance, health, reporter, sharder };
        let gossip = match start_gossip(&inner.config, local_addr).await {
            Ok(gossip) => gossip,
            Err(err) => {
                // Nothing but the server and the background tasks started yet: stop them.
                let node = Node::assemble(inner, local_addr, None, tasks);
                node.shutdown().await;
                return Err(err);
            }
        };
        if let Some(gossip) = &gossip {
            let _ = inner.gossip_view.set(gossip.members());
        }
        let node = Node::assemble(inner, local_addr, gossip, tasks);
        if !node.inner.config.join.is_empty()
            && let Err(err) = join::join(&node.inner, &node.inner.config.join).await
        {
            node.shutdown().await;
            return Err(err);
        }
        Ok(node)
    }

    fn assemble(inner: Arc<Inner>, local_addr: SocketAddr, gossip: Option<GossipHandle>, tasks: Tasks) -> Node {
        let Tasks { stop, server, reconciler, maintenance, health, reporter, sharder } = tasks;
        Node {
            inner,
            local_addr,
            gossip_view: gossip.as_ref().map(GossipHandle::members),
            gossip: Mutex::new(gossip),
            stop: Mutex::new(Some(stop)),
            server: Mutex::new(Some(server)),
            reconciler: Mutex::new(Some(reconciler)),
            maintenance: Mutex::new(Some(maintenance)),
            health: Mutex::new(Some(health)),
            reporter,
            sharder: Mutex::new(Some(sharder)),
        }
    }

    /// The members as gossip sees them now (this one included, with their state, gossip
    /// and API addresses), if this node runs gossip. A *suggestion* of who is alive: the
    /// committed member table ([`Node::members`]) is what the cluster acts on.
    pub fn gossip_members(&self) -> Option<GossipView> {
        self.gossip_view.as_ref().map(|view| view.borrow().clone())
    }

    /// The same, to watch for changes.
    pub fn gossip_watch(&self) -> Option<watch::Receiver<GossipView>> {
        self.gossip_view.clone()
    }

    /// The committed member table as this node has applied it (empty before the metadata
    /// group has applied one).
    pub fn members(&self) -> coterie_core::MemberTable {
        self.inner.table().unwrap_or_default()
    }

    /// The members as the wire lists them: the committed table as this node has applied
    /// it, or, on a plain member, as a CP member last listed it.
    pub fn listed_members(&self) -> Vec<coterie_api::pb::Member> {
        self.inner.listed_members()
    }

    /// The address the node serves on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// This member's id.
    pub fn id(&self) -> u64 {
        self.inner.config.id
    }

    /// The local replica of `group`, started if needed.
    pub async fn group(&self, group: &str) -> Result<Arc<CpNode>, HostError> {
        self.inner.group(group).await
    }

    /// The limits this member's objects are held to (`NodeConfig::object_limits`).
    pub fn object_limits(&self) -> crate::object::ObjectLimits {
        self.inner.config.object_limits
    }

    /// This member's object bytes: its blob store and the copies on the other members.
    pub fn blobs(&self) -> &Blobs {
        &self.inner.blobs
    }

    /// Runs one background blob pass now (see `host/blob_maintenance.rs`): fetches every
    /// referenced blob this member lacks and, once every group here passed its read barrier,
    /// deletes the unreferenced blobs older than `object_limits.collect_after()`; answers
    /// what it did.
    pub async fn maintain_blobs(&self) -> crate::object::Maintained {
        blob_maintenance::pass(&self.inner).await
    }

    /// Serves one call as every face does (`engine::serve` through this node's router): a
    /// CP target by the group's local replica, a sharded one by its partition's owner, this
    /// member or, forwarded one hop, another. The Rust entry point of the sharded engine
    /// until the sharded kinds have gRPC services.
    pub async fn call(
        &self,
        target: &Target,
        request: Request,
        options: CallOptions,
    ) -> Result<GroupOutput, EngineError> {
        crate::engine::serve(self.inner.as_ref(), target, request, options).await
    }

    /// How many times this member forwarded a CP call to another member (a group's leader)
    /// since it started: each hop counts once, a call redirected once and forwarded twice.
    pub fn forwarded_calls(&self) -> u64 {
        self.inner.forwarded.load(Ordering::Relaxed)
    }

    /// How many times this member forwarded a sharded call to its partition's owner since it
    /// started (each hop once; a part of a gathered whole-structure call counts as a call).
    /// A client that routes from the partition table sends calls to the owner directly, so
    /// this stays 0 for its calls.
    pub fn sharded_forwarded_calls(&self) -> u64 {
        self.inner.sharded_forwarded.load(Ordering::Relaxed)
    }

    /// The committed partition table as this node has applied it, if one is (never on a
    /// plain member, which has no metadata replica).
    pub fn partition_table(&self) -> Option<PartitionTable> {
        self.inner.partition_table().map(|table| PartitionTable::clone(&table))
    }

    /// The partitions whose replicas are open on this node, ascending.
    pub fn open_partitions(&self) -> Vec<PartitionId> {
        self.inner.shards.open_partitions()
    }

    /// How many callers are parked on this node's partition replicas now (a blocking take,
    /// acquire or arrival waiting to be woken).
    pub fn parked_sharded_callers(&self) -> usize {
        self.inner.shards.parked_callers()
    }

    /// The groups running on this node, by name.
    pub fn groups(&self) -> Vec<(String, Arc<CpNode>)> {
        self.inner.running()
    }

    /// Stops every group (parked calls end), then stops serving. Each step is bounded, so
    /// this returns within seconds even if a peer or a client does not cooperate.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        // Not serving from now on, so a load balancer drains this member first.
        health::refresh(&self.inner, &self.reporter).await;
        // Leave the gossip cluster first, so the others see Leaving and Left, not a crash.
        let gossip = self.gossip.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(gossip) = gossip {
            let _ = tokio::time::timeout(SHUTDOWN_STEP, gossip.leave()).await;
        }
        for task in [&self.reconciler, &self.maintenance, &self.health, &self.sharder] {
            let task = task.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(task) = task {
                task.abort();
                let _ = task.await;
            }
        }
        let groups = {
            let mut groups = self.inner.groups.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *groups)
        };
        for cell in groups.values() {
            if let Some(node) = cell.get() {
                let _ = tokio::time::timeout(SHUTDOWN_STEP, node.shutdown()).await;
            }
        }
        drop(groups);
        let stop = self.stop.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let server = self.server.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut server) = server
            && tokio::time::timeout(SHUTDOWN_STEP, &mut server).await.is_err()
        {
            server.abort();
            let _ = server.await;
        }
        // Release the data file, so the node can be started again on it in this process.
        self.inner.shards.shutdown();
        let storage = self.inner.storage.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(watch) = storage.map(|storage| storage.watch()) {
            file_closed(&watch).await;
        }
    }
}

/// Between two looks at whether a stopped node's data file is closed.
const CLOSED_POLL: Duration = Duration::from_millis(5);

/// Waits, at most [`SHUTDOWN_STEP`], until the data file `watch` names is closed, and
/// answers whether it was. What outlived the steps of [`Node::shutdown`] before it (seen in
/// `tests/shutdown_release.rs`): the calls in flight on partition replicas, each holding its
/// replica, hence its log, while its partition's drain journals it on a blocking thread
/// (which nothing can cancel); and the last of them to let go runs redb's close, which still
/// writes and syncs the file, on its own thread after that. Without this wait, starting the
/// node again in the same process (a test harness, an embedding application) failed with
/// redb's "Database already open". A bounded poll: nothing else announces the close.
async fn file_closed(watch: &StorageWatch) -> bool {
    let deadline = tokio::time::Instant::now() + SHUTDOWN_STEP;
    while !watch.is_closed() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(CLOSED_POLL).await;
    }
    true
}

/// Starts the gossip driver of `config`, if it has one: its identity carries this member's
/// API address as the others reach it (its entry in `members`, else the bound address).
async fn start_gossip(config: &NodeConfig, local_addr: SocketAddr) -> Result<Option<GossipHandle>, HostError> {
    let Some(gossip) = &config.gossip else {
        return Ok(None);
    };
    let api_addr = config.members.get(&config.id).cloned().unwrap_or_else(|| local_addr.to_string());
    let driver = GossipDriver {
        advertise: gossip.advertise,
        seeds: gossip.seeds.clone(),
        config: gossip.timers.clone(),
        cluster_secret: config.cluster_secret.clone(),
        ..GossipDriver::new(config.id, gossip.bind, api_addr)
    };
    Ok(Some(driver.start().await?))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod config_tests;
#[cfg(test)]
#[path = "gossip_tests.rs"]
mod gossip_tests;
