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
//!    the target's `shards` give the partition, the same on every member.
//! 3. **Routing** (`host/sharded.rs`): the member that owns the partition serves it from
//!    its [`Replica`]; any other member forwards the call one hop to the owner
//!    ([`forward`]), keeping the caller's deadline, identity and sequence. One handler path
//!    (`engine::serve`): both are [`Engine`](crate::engine::Engine)s the router picks.
//! 4. **Replicas** ([`replica`]): one journaled group per owned partition, on its own log
//!    in the node's redb file (or memory); reopened and replayed before it serves, so a
//!    restarted member keeps every acknowledged write; retries deduplicated by the caller's
//!    identity and sequence, journaled with the records.
//!
//! What part 1 does not do yet, on purpose: partitions never move. A join or a graceful
//! leave changes the table's desired replicas and may mark partitions Moving, but the move
//! is not executed, and the table keeps the old owner serving until a move completes (which
//! nothing reports yet), so no write is ever lost or served by an empty copy. A partition
//! whose owner was removed is Lost and refused with an error naming that member
//! ([`EngineError::PartitionLost`](coterie_core::EngineError::PartitionLost)); no failure
//! detector marks members Down yet (the SWIM work does), so a stopped member's partitions
//! are unreachable, not Lost, until it restarts. Replication (factor > 1) is part 2.

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
pub use replica::Replica;
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

    /// The partitions whose replicas are open here, ascending.
    pub fn open_partitions(&self) -> Vec<PartitionId> {
        let replicas = self.replicas.lock().unwrap_or_else(PoisonError::into_inner);
        replicas.iter().filter(|(_, cell)| cell.initialized()).map(|(partition, _)| *partition).collect()
    }

    /// Stops opening replicas and closes the open ones: their parked callers are answered
    /// `Stopped` now, and their logs release the data file once the calls running on them end.
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
