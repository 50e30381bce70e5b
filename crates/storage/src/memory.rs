//! [`MemoryLog`]: the [`LogStore`] contract kept in memory.
//!
//! It exists for tests and simulations, which need Raft's storage semantics without a disk,
//! and as the reference the disk backend is compared against. Nothing survives a drop.

use std::collections::BTreeMap;

use crate::{Entry, LogId, LogState, LogStore, SnapshotMeta, StorageError, check_append};

/// A [`LogStore`] held in memory: entries in a `BTreeMap` keyed by index.
#[derive(Clone, Debug, Default)]
pub struct MemoryLog {
    entries: BTreeMap<u64, Entry>,
    last_purged: Option<LogId>,
    vote: Option<Vec<u8>>,
    committed: Option<LogId>,
    snapshot: Option<(SnapshotMeta, Vec<u8>)>,
}

impl MemoryLog {
    /// An empty log with no vote, committed id or snapshot.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LogStore for MemoryLog {
    fn log_state(&self) -> Result<LogState, StorageError> {
        let last = self.entries.last_key_value().map(|(_, entry)| entry.log_id.clone());
        Ok(LogState { last_purged: self.last_purged.clone(), last: last.or_else(|| self.last_purged.clone()) })
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        check_append(&self.log_state()?, entries)?;
        for entry in entries {
            self.entries.insert(entry.log_id.index, entry.clone());
        }
        Ok(())
    }

    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError> {
        if start >= end {
            return Ok(Vec::new());
        }
        Ok(self.entries.range(start..end).map(|(_, entry)| entry.clone()).collect())
    }

    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        self.entries.split_off(&index);
        Ok(())
    }

    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError> {
        if self.last_purged.as_ref().is_some_and(|purged| log_id.index <= purged.index) {
            return Ok(());
        }
        self.entries = match log_id.index.checked_add(1) {
            Some(keep_from) => self.entries.split_off(&keep_from),
            None => BTreeMap::new(),
        };
        self.last_purged = Some(log_id);
        Ok(())
    }

    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError> {
        self.vote = Some(vote.to_vec());
        Ok(())
    }

    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.vote.clone())
    }

    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.committed = committed;
        Ok(())
    }

    fn load_committed(&self) -> Result<Option<LogId>, StorageError> {
        Ok(self.committed.clone())
    }

    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        self.snapshot = Some((meta.clone(), data.to_vec()));
        Ok(())
    }

    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError> {
        Ok(self.snapshot.clone())
    }
}
