//! Where a partition's journal is kept: the node's redb file, or memory (a node without a
//! data directory). One log per partition, named `partition-<p>`, so partitions replay,
//! compact and (in part 2) move independently of each other.

use coterie_core::placement::PartitionId;
use coterie_storage::{Entry, LogId, LogState, LogStore, MemoryLog, RedbLog, RedbStorage, SnapshotMeta, StorageError};

/// The name of partition `partition`'s log in the node's redb file.
pub fn log_name(partition: PartitionId) -> String {
    format!("partition-{}", partition.0)
}

/// Where a partition's log is kept: the node's redb file, or memory.
pub enum PartitionLog {
    /// A log in the node's redb file.
    Redb(RedbLog),
    /// A log in memory (a node without a data directory).
    Memory(MemoryLog),
}

impl PartitionLog {
    /// Partition `partition`'s log in `storage`, or a new one in memory without storage.
    pub fn open(storage: Option<&RedbStorage>, partition: PartitionId) -> Result<PartitionLog, StorageError> {
        match storage {
            Some(storage) => Ok(PartitionLog::Redb(storage.log(&log_name(partition))?)),
            None => Ok(PartitionLog::Memory(MemoryLog::new())),
        }
    }

    /// Replaces whatever this log holds (records and snapshot of an older copy of the
    /// partition) with `snapshot`, covering every record up to `last`: what the next owner
    /// of a handed-over partition opens its replica from. Not atomic: a crash part-way
    /// leaves an incomplete copy, but one the member never serves, since it owns the
    /// partition only once it answered the handoff, after this returned.
    pub fn install(&mut self, last: LogId, snapshot: &[u8]) -> Result<(), StorageError> {
        self.truncate_from(0)?;
        let meta = SnapshotMeta {
            last_included: Some(last.clone()),
            membership: Vec::new(),
            snapshot_id: format!("handoff-{}-{}", last.term, last.index),
        };
        self.save_snapshot(&meta, snapshot)?;
        self.purge_up_to(last)
    }

    fn store(&self) -> &dyn LogStore {
        match self {
            PartitionLog::Redb(log) => log,
            PartitionLog::Memory(log) => log,
        }
    }

    fn store_mut(&mut self) -> &mut dyn LogStore {
        match self {
            PartitionLog::Redb(log) => log,
            PartitionLog::Memory(log) => log,
        }
    }
}

impl LogStore for PartitionLog {
    fn log_state(&self) -> Result<LogState, StorageError> {
        self.store().log_state()
    }
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.store_mut().append(entries)
    }
    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError> {
        self.store().read_range(start, end)
    }
    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        self.store_mut().truncate_from(index)
    }
    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.store_mut().purge_up_to(log_id)
    }
    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError> {
        self.store_mut().save_vote(vote)
    }
    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.store().load_vote()
    }
    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.store_mut().save_committed(committed)
    }
    fn load_committed(&self) -> Result<Option<LogId>, StorageError> {
        self.store().load_committed()
    }
    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        self.store_mut().save_snapshot(meta, data)
    }
    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError> {
        self.store().load_snapshot()
    }
}
