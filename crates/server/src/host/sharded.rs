//! The sharded engine on a node: the partition table's driver, the router's sharded
//! branch, and the `PartitionService` that serves forwarded calls (see `crate::shard` for
//! the design).
//!
//! - [`shard_loop`] runs on every CP member: on the metadata leader it commits members
//!   Down and back Up from its gossip view (`host/liveness.rs`), then the
//!   partition table for the committed member table whenever that changed
//!   (read-modify-compare-and-set on the [`PARTITIONS`] register, as `members.rs` does for
//!   the member table), and on every member it opens the replicas of the partitions the
//!   applied table says it owns, so a restarted member replays its partitions' journals
//!   without waiting for the first call.
//! - [`Inner::route_sharded`] locates a call's partition in the applied table: its owner
//!   serves it from its replica; any other member forwards it one hop. A Map's or Set's
//!   whole-structure operation spans partitions: it is gathered (`host/scatter.rs`), each
//!   partition's part through the same [`Inner::partition_engine`].
//! - A forwarded call is served only from the receiver's own replica, after checking that
//!   its applied table makes it the owner (otherwise: a redirect to the owner it knows);
//!   the same rpc serves CP calls forwarded to a group's leader (`host/cp_forward.rs`).

use std::sync::Arc;
use std::time::Duration;

use coterie_api::pb::partition_service_server::PartitionService;
use coterie_api::pb::{ForwardRequest, ForwardResponse, HandoffRequest, HandoffResponse};
use coterie_api::status;
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand, AtomicReferenceOutput};
use coterie_core::placement::{PartitionId, PartitionTable, PlacementConfig};
use coterie_core::{
    CoreError, EngineError, GroupCommand, GroupOutput, MemberTable, StructureCommand, StructureOutput, Target, codec,
};
use tonic::{Response, Status};

use super::handoff::HandoffMessage;
use super::members::MEMBERS;
use super::sharded_entry::ShardedEntry;
use super::{HostError, Inner};
use crate::cp::CpNode;
use crate::engine::{CallOptions, Engine};
use crate::request::Request;
use crate::shard::locate::{Located, locate};
use crate::shard::{self, ForwardAnswer, ForwardedCall, PARTITIONS, next_table};

/// Between two looks of [`shard_loop`].
const SHARD_EVERY: Duration = Duration::from_millis(200);

/// How long one metadata read or compare-and-set of the driver may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How many compare-and-set attempts one look makes before leaving it to the next.
const CAS_ATTEMPTS: usize = 8;

pub(super) fn register(name: &str, command: AtomicReferenceCommand) -> Request {
    Request::internal(GroupCommand::Invoke {
        name: name.to_owned(),
        command: StructureCommand::AtomicReference(command),
    })
}

fn register_value(output: GroupOutput, name: &str) -> Result<Option<Vec<u8>>, EngineError> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Value(value))) => Ok(value),
        other => Err(EngineError::Stopped { reason: format!("the {name} register answered {other:?}") }),
    }
}

/// The register `name` as the metadata leader `node` reads it linearizably.
pub(super) async fn read_register(node: &CpNode, name: &str) -> Result<Option<Vec<u8>>, EngineError> {
    let output = node.read(register(name, AtomicReferenceCommand::Get), STEP_TIMEOUT).await?;
    register_value(output, name)
}

impl Inner {
    /// The committed partition table as this member has applied it, if one is.
    pub(super) fn partition_table(&self) -> Option<Arc<PartitionTable>> {
        let node = self.metadata()?;
        let output = node.read_stale(&register(PARTITIONS, AtomicReferenceCommand::Get)).ok()?;
        self.shards.table(register_value(output, PARTITIONS).ok()?)
    }

    /// On the metadata leader, once its replica has caught up: commits the partition table
    /// for the committed member table if it differs from the committed one. Answers whether
    /// it committed a new table.
    async fn commit_partition_table(&self) -> Result<bool, EngineError> {
        let Some(node) = self.metadata() else { return Ok(false) };
        if !node.raft().is_leader() || !node.caught_up() {
            return Ok(false);
        }
        for _ in 0..CAS_ATTEMPTS {
            let members: MemberTable = match read_register(&node, MEMBERS).await? {
                Some(bytes) => codec::decode(&bytes, "member table")?,
                None => return Ok(false),
            };
            let current = read_register(&node, PARTITIONS).await?;
            let table = shard::table::decode(current.as_deref())?;
            let next = next_table(table.as_ref(), &members, PlacementConfig::default())
                .map_err(|err| EngineError::Core(CoreError::invalid_request("partitions", err.to_string())))?;
            let Some(next) = next else { return Ok(false) };
            let update = Some(shard::table::encode(&next)?);
            let cas = AtomicReferenceCommand::CompareAndSet { expected: current, update };
            match node.call(register(PARTITIONS, cas), STEP_TIMEOUT).await? {
                GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Bool(true))) => {
                    return Ok(true);
                }
                // Another leader's change won the race: read again.
                _ => continue,
            }
        }
        Ok(false)
    }

    /// Opens the replica of every partition the applied table says this member serves.
    async fn open_owned(&self) {
        let Some(table) = self.partition_table() else { return };
        let id = self.config.id;
        for (partition, entry) in table.iter() {
            if entry.state.holder() == Some(id) {
                // A failure is retried on the next look, and by the first call.
                let _ = self.shards.replica(partition, table.ring_epoch(), id).await;
            }
        }
    }

    /// The engine serving a call to a sharded structure of `shards` shards: this member's
    /// replica of its partition if it serves it, else a forwarder to the member that does,
    /// waiting out a move of the partition (`host/sharded_entry.rs`).
    pub(super) async fn route_sharded(&self, shards: u32, request: &Request) -> Result<Arc<dyn Engine>, EngineError> {
        // The name's kind and shards, fixed by its first use (`host/catalog.rs`).
        self.check_catalog(shards, request).await?;
        // A Map's or Set's whole-structure operation, gathered here (`host/scatter.rs`).
        if let Some(table) = self.partition_table()
            && let Located::Spread(partitions) = locate(request, shards, table.partitions())?
        {
            return self.route_scatter(&table, shards, partitions).await;
        }
        let inner =
            self.this.upgrade().ok_or_else(|| EngineError::Stopped { reason: "the member stopped".to_owned() })?;
        Ok(Arc::new(ShardedEntry { inner, shards, forwarded: None, partition: None }))
    }

    /// The engine serving `partition` for one part of a whole-structure call: its owner
    /// serves it, here or one hop away, waiting out a move like any sharded call.
    pub(super) async fn partition_engine(
        &self,
        _table: &PartitionTable,
        shards: u32,
        partition: PartitionId,
    ) -> Result<Arc<dyn Engine>, EngineError> {
        let inner =
            self.this.upgrade().ok_or_else(|| EngineError::Stopped { reason: "the member stopped".to_owned() })?;
        Ok(Arc::new(ShardedEntry { inner, shards, forwarded: None, partition: Some(partition) }))
    }

    /// Serves a call another member forwarded, from this member's own replica only: a CP
    /// call by its replica of the group (a redirect if it does not lead it), a sharded call
    /// by its replica of the partition (a redirect if it does not own it). Never forwarded
    /// again, so a call makes one hop at most.
    async fn serve_forwarded(&self, call: ForwardedCall) -> Result<GroupOutput, EngineError> {
        let options = call.options();
        match &call.target {
            Target::Cp { group } => {
                // The same name checks as a call from a face (the metadata group is refused,
                // but for the catalog's own calls, `host/catalog.rs`).
                let group = super::catalog::forwarded_group(group, &call.request).map_err(HostError::from)?;
                let node = self.group(&group).await?;
                Engine::call(node.as_ref(), call.request, options).await
            }
            Target::Sharded { shards } => {
                self.serve_forwarded_sharded(*shards, call.partition, call.request, options).await
            }
        }
    }

    async fn serve_forwarded_sharded(
        &self,
        shards: u32,
        located: Option<u32>,
        request: Request,
        options: CallOptions,
    ) -> Result<GroupOutput, EngineError> {
        let inner =
            self.this.upgrade().ok_or_else(|| EngineError::Stopped { reason: "the member stopped".to_owned() })?;
        ShardedEntry { inner, shards, forwarded: Some(located), partition: None }.call(request, options).await
    }
}

/// Commits the partition table (on the metadata leader) and opens the owned partitions'
/// replicas, every [`SHARD_EVERY`], until the node stops. A plain member does neither.
pub(super) async fn shard_loop(inner: Arc<Inner>) {
    loop {
        if inner.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if !inner.config.plain {
            // A failure (a lost leadership, a timeout) is retried on the next look.
            inner.commit_liveness().await;
            let _ = inner.commit_partition_table().await;
            inner.catch_up_sharded().await;
            inner.open_owned().await;
            inner.drive_moves();
        }
        tokio::time::sleep(SHARD_EVERY).await;
    }
}

/// The `PartitionService` of a node: serves forwarded sharded calls.
#[derive(Clone)]
pub(super) struct PartitionServer {
    inner: Arc<Inner>,
}

impl PartitionServer {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        PartitionServer { inner }
    }
}

#[tonic::async_trait]
impl PartitionService for PartitionServer {
    async fn handoff(&self, request: tonic::Request<HandoffRequest>) -> Result<Response<HandoffResponse>, Status> {
        let message: HandoffMessage =
            codec::decode(&request.into_inner().message, "handoff message").map_err(|err| status::from_core(&err))?;
        let answer = ForwardAnswer::from(self.inner.serve_handoff(message).await);
        let answer = codec::encode(&answer).map_err(|err| status::internal(err.to_string()))?;
        Ok(Response::new(HandoffResponse { answer }))
    }

    async fn forward(&self, request: tonic::Request<ForwardRequest>) -> Result<Response<ForwardResponse>, Status> {
        let call: ForwardedCall =
            codec::decode(&request.into_inner().call, "forwarded call").map_err(|err| status::from_core(&err))?;
        let answer = ForwardAnswer::from(self.inner.serve_forwarded(call).await);
        let answer = codec::encode(&answer).map_err(|err| status::internal(err.to_string()))?;
        Ok(Response::new(ForwardResponse { answer }))
    }
}
