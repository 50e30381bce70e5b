//! The sharded engine, part 1: partitions with one copy each, placed by the committed
//! partition table, journaled, and reachable from any member (DESIGN §4).
//!
//! How a sharded call is served, and why:
//!
//! 1. **Placement is committed, never guessed** ([`table`]): the metadata group's leader
//!    computes the [`PartitionTable`](coterie_core::placement::PartitionTable) from the
//!    committed member table and stores it by compare-and-set in the metadata register
//!    [`PARTITIONS`]; every member reads it from its applied metadata state. Two members
//!    may briefly hold different versions; the owner checks every call against its own
//!    table, so a call never lands on a member that does not own the partition.
//! 2. **Locating** ([`locate`]): the structure's name (and, for Map and Set, the key) and
//!    the target's `shards` give the partition, the same on every member. The name's kind
//!    and `shards` are fixed by its first use, committed in the metadata group
//!    ([`catalog`]), so every later call locates it the same way or is refused.
//! 3. **Routing** (`host/sharded.rs`): the member that owns the partition serves it from
//!    its [`Replica`]; any other member forwards the call one hop to the owner
//!    ([`forward`]), keeping the caller's deadline, identity and sequence. One handler path
//!    (`engine::serve`): both are [`Engine`](crate::engine::Engine)s the router picks.
//! 4. **Replicas** ([`replica`]): one journaled group per owned partition, on its own log
//!    in the node's redb file (or memory); reopened and replayed before it serves, so a
//!    restarted member keeps every acknowledged write; retries deduplicated by the caller's
//!    identity and sequence, journaled with the records.
//!
//! 5. **Moves** (`host/handoff.rs`, `host/sharded_entry.rs`): when a member joins, the
//!    table moves to it the partitions the ring now gives it, a bounded number at a time;
//!    when a member is removed, its partitions move to the others before it goes. The old
//!    owner seals its replica ([`Replica::seal`]), hands its snapshot to the new owner
//!    ([`Shards::install`]), and the metadata leader commits the switch; calls wait while
//!    their partition moves and are routed again once the switch is decided, so a write
//!    acknowledged by the old owner is in the state the new one starts from.
//!
//! A partition whose only copy is on a member that is down or was removed is Lost and
//! refused with an error naming that member
//! ([`EngineError::PartitionLost`](coterie_core::EngineError::PartitionLost)), never
//! recreated empty; it is served again once that member returns with its data. Replication
//! (factor > 1) is part 2.

pub mod catalog;
pub mod forward;
pub mod locate;
pub mod log;
mod parked;
pub mod replica;
pub mod table;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use coterie_core::placement::{PartitionId, PartitionTable};
use coterie_core::{EngineError, EntityRegistry};
use coterie_storage::RedbStorage;
use tokio::sync::OnceCell;

pub use forward::{ForwardAnswer, ForwardedCall, Forwarder};
pub use locate::partition_of;
pub use log::PartitionLog;
pub use replica::{Handoff, Replica};
pub use table::{PARTITIONS, member_view, next_table};

/// The partition replicas a member runs: opened on first need (a call, or the committed
/// table naming this member the owner), each once, and never while the member stops.
#[derive(Default)]
pub struct Shards {
    replicas: Mutex<BTreeMap<PartitionId, Arc<OnceCell<Arc<Replica>>>>>,
    storage: Mutex<Option<RedbStorage>>,
    /// The user entity types every replica applies.
    entities: EntityRegistry,
    stopping: AtomicBool,
    /// The last partition table decoded, with the register bytes it was decoded from: every
    /// call locates its partition in the table, and the table changes rarely.
    table: Mutex<Option<(Vec<u8>, Arc<PartitionTable>)>>,
    /// The catalog entries this member has seen ([`catalog`]).
    catalog: catalog::Cache,
}

impl Shards {
    /// Replicas kept in `storage` (the node's redb file), or in memory without it.
    pub fn new(storage: Option<RedbStorage>) -> Self {
        Shards { storage: Mutex::new(storage), ..Shards::default() }
    }

    /// These shards, their replicas applying the user entity types of `entities`.
    pub fn with_entities(self, entities: EntityRegistry) -> Self {
        Shards { entities, ..self }
    }

    /// The replica of `partition`, opened (and its journal replayed) if it is not open yet,
    /// stamping new records with `epoch` and `owner`. Concurrent callers wait for the one
    /// opening; none is served before the replay ends.
    pub async fn replica(&self, partition: PartitionId, epoch: u64, owner: u64) -> Result<Arc<Replica>, EngineError> {
        let cell = {
            let mut replicas = self.replicas.lock().unwrap_or_else(PoisonError::into_inner);
            if self.stopping.load(Ordering::SeqCst) {
                return Err(EngineError::Stopped { reason: "the member is shutting down".to_owned() });
            }
            Arc::clone(replicas.entry(partition).or_default())
        };
        cell.get_or_try_init(|| self.open(partition, epoch, owner)).await.cloned()
    }

    async fn open(&self, partition: PartitionId, epoch: u64, owner: u64) -> Result<Arc<Replica>, EngineError> {
        let storage = self.storage.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let entities = self.entities.clone();
        let stopped = |reason: String| EngineError::Stopped { reason: format!("{partition} could not open: {reason}") };
        let opened = tokio::task::spawn_blocking(move || {
            let log = PartitionLog::open(storage.as_ref(), partition).map_err(|err| err.to_string())?;
            Replica::open_with(partition, log, epoch, owner, entities).map_err(|err| err.to_string())
        })
        .await
        .map_err(|err| stopped(err.to_string()))?
        .map_err(stopped)?;
        Ok(Arc::new(opened))
    }

    /// The partition table stored as `bytes` (the `partitions` register's value), decoded
    /// once per distinct value; `None` without a value or for bytes that are no table.
    pub fn table(&self, bytes: Option<Vec<u8>>) -> Option<Arc<PartitionTable>> {
        let bytes = bytes?;
        let mut cached = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, table)) = cached.as_ref()
            && *seen == bytes
        {
            return Some(Arc::clone(table));
        }
        let table = Arc::new(table::decode(Some(&bytes)).ok().flatten()?);
        *cached = Some((bytes, Arc::clone(&table)));
        Some(table)
    }

    /// The replica of `partition` if it is open here (never opens one).
    pub fn open_replica(&self, partition: PartitionId) -> Option<Arc<Replica>> {
        let replicas = self.replicas.lock().unwrap_or_else(PoisonError::into_inner);
        replicas.get(&partition).and_then(|cell| cell.get()).cloned()
    }

    /// Closes and forgets the replica of `partition` (its log stays in the data file): this
    /// member no longer serves the partition. Calls still running on it are refused.
    pub fn evict(&self, partition: PartitionId) {
        let cell = self.replicas.lock().unwrap_or_else(PoisonError::into_inner).remove(&partition);
        if let Some(replica) = cell.as_ref().and_then(|cell| cell.get()) {
            replica.close();
        }
    }

    /// Makes `handoff` (a partition's state from its previous owner `from`, at move epoch
    /// `epoch`) this member's copy of `partition`: any older copy is closed and replaced,
    /// durably, and the replica is opened on it, stamping new records with `epoch` and
    /// `owner` (this member). Answers once the copy is durable.
    pub async fn install(
        &self,
        partition: PartitionId,
        from: u64,
        epoch: u64,
        owner: u64,
        handoff: Handoff,
    ) -> Result<(), EngineError> {
        self.evict(partition);
        let storage = self.storage.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let entities = self.entities.clone();
        let stopped =
            |reason: String| EngineError::Stopped { reason: format!("{partition} could not be installed: {reason}") };
        let replica = tokio::task::spawn_blocking(move || {
            let mut log = PartitionLog::open(storage.as_ref(), partition).map_err(|err| err.to_string())?;
            let last = coterie_storage::LogId::new(epoch, from, handoff.index);
            log.install(last, &handoff.snapshot).map_err(|err| err.to_string())?;
            Replica::open_with(partition, log, epoch, owner, entities).map_err(|err| err.to_string())
        })
        .await
        .map_err(|err| stopped(err.to_string()))?
        .map_err(stopped)?;
        let cell = {
            let mut replicas = self.replicas.lock().unwrap_or_else(PoisonError::into_inner);
            if self.stopping.load(Ordering::SeqCst) {
                return Err(EngineError::Stopped { reason: "the member is shutting down".to_owned() });
            }
            let cell = Arc::new(OnceCell::new_with(Some(Arc::new(replica))));
            replicas.insert(partition, Arc::clone(&cell));
            cell
        };
        drop(cell);
        Ok(())
    }

    /// The catalog entries this member has seen: what the first use of each sharded name
    /// fixed ([`catalog`]).
    pub fn catalog(&self) -> &catalog::Cache {
        &self.catalog
    }

    /// The partitions whose replicas are open here, ascending.
    pub fn open_partitions(&self) -> Vec<PartitionId> {
        let replicas = self.replicas.lock().unwrap_or_else(PoisonError::into_inner);
        replicas.iter().filter(|(_, cell)| cell.initialized()).map(|(partition, _)| *partition).collect()
    }

    /// How many callers are parked on the replicas open here.
    pub fn parked_callers(&self) -> usize {
        let replicas = self.replicas.lock().unwrap_or_else(PoisonError::into_inner);
        replicas.values().filter_map(|cell| cell.get()).map(|replica| replica.parked_callers()).sum()
    }

    /// Stops opening replicas and closes the open ones: their parked callers and the calls
    /// still queued are answered `Stopped` now, and their logs release the data file once
    /// the batches being journaled end (a blocking thread each, which nothing can cancel;
    /// `Node::shutdown` waits for the file to be closed).
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let replicas = std::mem::take(&mut *self.replicas.lock().unwrap_or_else(PoisonError::into_inner));
        for replica in replicas.values().filter_map(|cell| cell.get()) {
            replica.close();
        }
        self.storage.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::placement::PlacementConfig;

    use super::*;

    #[test]
    fn a_table_is_decoded_once_per_distinct_register_value() {
        let shards = Shards::new(None);
        let config = PlacementConfig { partitions: 4, ..PlacementConfig::default() };
        let first = PartitionTable::new(config).unwrap();
        let view = [(1, coterie_core::placement::Liveness::Up)].into_iter().collect();
        let second = first.with_members(&view).unwrap().table;
        let (a, b) = (table::encode(&first).unwrap(), table::encode(&second).unwrap());
        let decoded = shards.table(Some(a.clone())).unwrap();
        assert_eq!(*decoded, first);
        assert!(Arc::ptr_eq(&decoded, &shards.table(Some(a)).unwrap()), "the same bytes: the same table");
        assert_eq!(*shards.table(Some(b)).unwrap(), second);
        assert_eq!(shards.table(None), None);
        assert_eq!(shards.table(Some(b"not a table".to_vec())), None);
    }
}
