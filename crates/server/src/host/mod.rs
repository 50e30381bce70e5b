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
mod cluster;
mod dispatch;
mod error;
mod groups;
mod join;
mod members;
mod object_service;
mod raft_client;
mod raft_service;
mod sharded;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_api::convert::{ConvertError, DEFAULT_GROUP, METADATA_GROUP, resolve_group};
use coterie_core::placement::{PartitionId, PartitionTable};
use coterie_core::{ConfigError, EngineError, GroupOutput, Target};
use coterie_storage::blob::{BlobStore, FileBlobStore, MemoryBlobStore};
use coterie_storage::{MemoryLog, RedbStorage, StorageError};
use futures_util::future::BoxFuture;
use openraft::BasicNode;
use tokio::net::TcpListener;
use tokio::sync::{Notify, OnceCell, oneshot, watch};
use tokio::task::JoinHandle;

use crate::cp::{CpConfig, CpNode, RaftRegistry, RaftWire, RemoteTransport, SystemClock, Transport};
use crate::engine::{CallOptions, Engine, Router};
use crate::object::{Blobs, ObjectLimits};
use crate::request::Request;
use crate::shard::Shards;
use raft_client::Peers;

pub use api::parse_grpc_timeout;
pub use error::HostError;

/// The largest object part: below the 16 MiB limit of a `BlobService` message.
pub const MAX_PART_BYTES: usize = 15 << 20;
pub use members::MEMBERS;

/// How a node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This member's id; must be a key of `members`.
    pub id: u64,
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Every CP member's id and `host:port`, this one included, for a cluster started the
    /// static way (it seeds the member table); only this member, at the address the others
    /// reach it at, for one that [`join`](NodeConfig::join)s.
    pub members: BTreeMap<u64, String>,
    /// Where the node keeps its logs (`coterie.redb` inside it); `None` keeps them in memory.
    pub data_dir: Option<PathBuf>,
    /// Raft timings and group limits, used by every group.
    pub cp: CpConfig,
    /// The most CP groups this node hosts, `default` included.
    pub max_groups: usize,
    /// The timeout of a call whose request carries no deadline (`grpc-timeout`). A Lock,
    /// Acquire or Await without a timeout of its own waits this long, so it is as long as
    /// the cap by default: non-blocking calls are bounded by the Raft propose timeout anyway.
    pub default_call_timeout: Duration,
    /// The longest a call may run, whatever deadline its request carries.
    pub max_call_timeout: Duration,
    /// A secret every member of the cluster shares. When set, a `RaftService` message must
    /// carry it (the `x-coterie-cluster-secret` header), or it is refused `UNAUTHENTICATED`
    /// before its body is read, and this node's own Raft messages carry it. Without it, Raft
    /// messages (which can replace the group's log, and may be up to 1 GiB) are taken from
    /// anyone who reaches the port: only for a trusted network or local development. At
    /// least 16 printable ASCII characters, no spaces.
    pub cluster_secret: Option<String>,
    /// Join a running cluster through the member at this `host:port` instead of forming
    /// one: `members` then names only this node (its id and the address the others reach
    /// it at). The node asks to be added as a CP member (following redirects to the
    /// metadata leader), and [`Node::start`] returns once it votes in every CP group. A
    /// node that joined never initializes a group itself, also after a restart on its data
    /// directory (a `joined` file there remembers it).
    pub join: Option<String>,
    /// How long joining may take before [`Node::start`] gives up.
    pub join_timeout: Duration,
    /// Join as a plain member (with [`NodeConfig::join`] only): listed in the member table,
    /// but hosting no CP replica. Its structure calls are answered `not_leader` with the
    /// address of a CP member (forwarding them is a later step).
    pub plain: bool,
    /// How objects are cut into parts, and the largest object a put accepts.
    pub object_limits: ObjectLimits,
}

impl NodeConfig {
    /// Member `id` of `members`, listening on `listen`, in memory, with default limits.
    pub fn new(id: u64, listen: SocketAddr, members: BTreeMap<u64, String>) -> Self {
        NodeConfig {
            id,
            listen,
            members,
            data_dir: None,
            cp: CpConfig::default(),
            max_groups: 64,
            default_call_timeout: Duration::from_secs(600),
            max_call_timeout: Duration::from_secs(600),
            cluster_secret: None,
            join: None,
            join_timeout: Duration::from_secs(60),
            plain: false,
            object_limits: ObjectLimits::default(),
        }
    }
}

impl NodeConfig {
    /// This configuration, if a node can run with it; the first setting it cannot run with,
    /// otherwise. [`Node::start`] and [`Node::start_with_listener`] call it.
    ///
    /// `default_call_timeout` and `max_call_timeout` must be more than zero (a zero one
    /// times every call out at once), `max_groups` must be at least 1 (the `default` group
    /// counts), and `cp` must pass [`CpConfig::validate`]. That this node's id is among the
    /// members is checked by `start`, which answers [`HostError::NotAMember`].
    pub fn validate(self) -> Result<Self, ConfigError> {
        ConfigError::ensure(
            !self.default_call_timeout.is_zero(),
            "NodeConfig::default_call_timeout",
            self.default_call_timeout,
            "it must be more than zero (how long a call without a deadline may run)",
        )?;
        ConfigError::ensure(
            !self.max_call_timeout.is_zero(),
            "NodeConfig::max_call_timeout",
            self.max_call_timeout,
            "it must be more than zero (the longest a call may run, whatever its deadline)",
        )?;
        ConfigError::ensure(
            self.max_groups > 0,
            "NodeConfig::max_groups",
            self.max_groups,
            "it must be at least 1: the `default` group counts",
        )?;
        ConfigError::ensure(
            !self.plain || self.join.is_some(),
            "NodeConfig::plain",
            self.plain,
            "a plain member must be started with join (the member to join through), restarts included",
        )?;
        if let Some(secret) = &self.cluster_secret {
            ConfigError::ensure(
                secret.len() >= 16 && secret.bytes().all(|b| b.is_ascii_graphic()),
                "NodeConfig::cluster_secret",
                format!("<hidden, {} bytes>", secret.len()),
                "it must be at least 16 printable ASCII characters without spaces (the same on every member)",
            )?;
        }
        let part = self.object_limits.part_bytes;
        ConfigError::ensure(
            part > 0 && part <= MAX_PART_BYTES,
            "NodeConfig::object_limits.part_bytes",
            part,
            "it must be 1 byte to 15 MiB: each part travels between members in one message of at most 16 MiB",
        )?;
        let window = self.object_limits.upload_window;
        ConfigError::ensure(
            window >= Duration::from_millis(100) && window <= Duration::from_secs(7 * 24 * 3600),
            "NodeConfig::object_limits.upload_window",
            format!("{window:?}"),
            "it must be 100 ms to 7 days: the longest a put may take; unreferenced bytes are kept twice as long",
        )?;
        let cp = self.cp.validate()?;
        Ok(NodeConfig { cp, ..self })
    }
}

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
}

/// The group name `group` as this node hosts it: `""` is `default`, and the metadata
/// group, which the public API refuses, is hosted like any other.
fn hosted_group(group: &str) -> Result<String, ConvertError> {
    if group == METADATA_GROUP { Ok(group.to_owned()) } else { resolve_group(group) }
}

/// The node's router: a CP target is served by this node's replica of the group (started if
/// it is not running yet); a sharded target by the replica of its partition if this member
/// owns it, else forwarded one hop to the owner (`host/sharded.rs`).
impl Router for Inner {
    fn route<'a>(
        &'a self,
        target: &'a Target,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Arc<dyn Engine>, EngineError>> {
        Box::pin(async move {
            match target {
                Target::Cp { group } => {
                    // The faces refuse the metadata group already; this keeps it so for any new face.
                    let group = resolve_group(group).map_err(HostError::from)?;
                    let node: Arc<dyn Engine> = self.group(&group).await?;
                    Ok(node)
                }
                Target::Sharded { shards } => self.route_sharded(*shards, request).await,
            }
        })
    }
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

/// A running node: its groups and its gRPC server.
pub struct Node {
    inner: Arc<Inner>,
    local_addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<JoinHandle<()>>>,
    reconciler: Mutex<Option<JoinHandle<()>>>,
    maintenance: Mutex<Option<JoinHandle<()>>>,
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
        let shards = Shards::new(storage.clone());
        let inner = Arc::new(Inner {
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
        });
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(dispatch::serve(Arc::clone(&inner), listener, stopped));
        if !inner.config.plain {
            inner.start_in_background(METADATA_GROUP);
            inner.start_in_background(DEFAULT_GROUP);
        }
        let reconciler = tokio::spawn(members::reconcile_loop(Arc::clone(&inner)));
        let maintenance = tokio::spawn(blob_maintenance::run(Arc::clone(&inner)));
        let sharder = tokio::spawn(sharded::shard_loop(Arc::clone(&inner)));
        let node = Node {
            inner,
            local_addr,
            stop: Mutex::new(Some(stop)),
            server: Mutex::new(Some(server)),
            reconciler: Mutex::new(Some(reconciler)),
            maintenance: Mutex::new(Some(maintenance)),
            sharder: Mutex::new(Some(sharder)),
        };
        if let Some(seed) = node.inner.config.join.clone()
            && let Err(err) = join::join(&node.inner, &seed).await
        {
            node.shutdown().await;
            return Err(err);
        }
        Ok(node)
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

    /// The committed partition table as this node has applied it, if one is (never on a
    /// plain member, which has no metadata replica).
    pub fn partition_table(&self) -> Option<PartitionTable> {
        self.inner.partition_table().map(|table| PartitionTable::clone(&table))
    }

    /// The partitions whose replicas are open on this node, ascending.
    pub fn open_partitions(&self) -> Vec<PartitionId> {
        self.inner.shards.open_partitions()
    }

    /// The groups running on this node, by name.
    pub fn groups(&self) -> Vec<(String, Arc<CpNode>)> {
        self.inner.running()
    }

    /// Stops every group (parked calls end), then stops serving. Each step is bounded, so
    /// this returns within seconds even if a peer or a client does not cooperate.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        for task in [&self.reconciler, &self.maintenance, &self.sharder] {
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
        self.inner.storage.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod config_tests;
