//! A node's storage that outlives the node: crash and restart keep exactly what was durable.
//!
//! The simulated disk is a [`MemoryLog`] shared between the node's incarnations. Every call
//! of the engine's `LogStore` returns only once the change is durable, so the state a crash
//! leaves is whatever the calls that returned had written: a restarted node loses only what
//! it had not made durable. A crash fences the old incarnation's handle: from then on it
//! refuses every call, so tasks of the crashed node that are still unwinding can neither
//! write to the disk the new incarnation reads nor read from it.
//!
//! For the invariant checkers the disk also keeps what its log purged into a snapshot
//! (never read by the node: see [`Disk::entries`]).
//!
//! The store [`runs_inline`](LogStore::runs_inline): it never blocks, and work sent to a
//! blocking thread pool would finish at a moment the simulation does not control.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use coterie_storage::{Entry, LogId, LogState, LogStore, MemoryLog, SnapshotMeta, StorageError};

/// The durable state of one simulated node, kept across its crashes.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    log: Arc<Mutex<MemoryLog>>,
    incarnation: Arc<AtomicU64>,
    /// Entries purged into a snapshot (see [`Disk::entries`]).
    purged: Arc<Mutex<Vec<Entry>>>,
    /// One more than the highest log index the running incarnation was seen to have applied
    /// (0: none seen), as the sampler last read it: entries up to it are committed, so a purge
    /// may archive them even when the log did not hold the snapshot's last entry.
    applied: Arc<AtomicU64>,
}

impl Disk {
    /// An empty disk.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store for a new incarnation of the node; every store handed out before is fenced.
    pub fn open(&self) -> SimStore {
        let incarnation = self.incarnation.fetch_add(1, Ordering::SeqCst) + 1;
        SimStore { disk: self.clone(), incarnation }
    }

    /// Fences every store handed out so far (the node crashed).
    pub fn fence(&self) {
        self.incarnation.fetch_add(1, Ordering::SeqCst);
        // What the crashed incarnation applied says nothing about what the next one has.
        self.applied.store(0, Ordering::SeqCst);
    }

    /// Notes that the running incarnation has applied up to the entry `applied`, if its log
    /// holds that very entry: then every entry the log holds up to it was applied, by log
    /// matching. (Right after a snapshot was installed, the applied entry is the snapshot's,
    /// which the log may not hold: that says nothing about the log's own entries.)
    pub fn note_applied(&self, applied: LogId) {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let held = log.read_range(applied.index, applied.index.saturating_add(1)).unwrap_or_default();
        if held.first().is_some_and(|entry| entry.log_id == applied) {
            self.applied.fetch_max(applied.index.saturating_add(1), Ordering::SeqCst);
        }
    }

    /// Every entry the log holds, after every entry it purged into a snapshot while holding
    /// that snapshot's last entry itself (a snapshot it built, or one installed over a log
    /// that agreed with it): a purge that follows a snapshot installed over a shorter or
    /// conflicting log would archive entries the node never applied, so it archives nothing.
    /// Also the index the stored snapshot covers.
    pub fn entries(&self) -> (Vec<Entry>, Option<u64>) {
        let mut entries = self.purged.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let snapshot = log.load_snapshot().ok().flatten().and_then(|(meta, _)| meta.last_included.map(|id| id.index));
        let Ok(state) = log.log_state() else { return (entries, snapshot) };
        let from = state.last_purged.map_or(0, |id| id.index.saturating_add(1));
        let to = state.last.map_or(0, |id| id.index.saturating_add(1));
        entries.extend(log.read_range(from, to).unwrap_or_default());
        (entries, snapshot)
    }

    /// The planted lossy disk ([`Bugs::lossy_disk`](crate::Bugs::lossy_disk)): forgets the
    /// last `entries` log entries (never below the last purged one), as a disk that
    /// acknowledged writes before they were durable would after a power loss.
    pub fn lose_tail(&self, entries: u64) {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(state) = log.log_state() else { return };
        let (Some(last), floor) = (state.last, state.last_purged.map_or(0, |id| id.index)) else { return };
        let from = last.index.saturating_add(1).saturating_sub(entries).max(floor.saturating_add(1));
        let _ = log.truncate_from(from);
    }
}

/// One incarnation's handle on its node's [`Disk`].
#[derive(Debug)]
pub struct SimStore {
    disk: Disk,
    incarnation: u64,
}

impl SimStore {
    fn log(&self) -> Result<MutexGuard<'_, MemoryLog>, StorageError> {
        if self.disk.incarnation.load(Ordering::SeqCst) != self.incarnation {
            return Err(StorageError::Database {
                operation: "reach the simulated disk",
                reason: "this incarnation of the node crashed".to_owned(),
            });
        }
        Ok(self.disk.log.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl LogStore for SimStore {
    fn log_state(&self) -> Result<LogState, StorageError> {
        self.log()?.log_state()
    }
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.log()?.append(entries)
    }
    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError> {
        self.log()?.read_range(start, end)
    }
    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        self.log()?.truncate_from(index)
    }
    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let mut log = self.log()?;
        let from = log.log_state()?.last_purged.map_or(0, |id| id.index.saturating_add(1));
        let gone = log.read_range(from, log_id.index.saturating_add(1))?;
        let mut purged = self.disk.purged.lock().unwrap_or_else(PoisonError::into_inner);
        if gone.last().is_some_and(|last| last.log_id == log_id) {
            purged.extend(gone);
        } else {
            // A snapshot installed over a shorter or conflicting log: of what the log held,
            // only the entries this node applied are known to be committed (the others may be
            // a deposed leader's), so only those are archived.
            let applied = self.disk.applied.load(Ordering::SeqCst);
            purged.extend(gone.into_iter().filter(|entry| entry.log_id.index < applied));
        }
        drop(purged);
        log.purge_up_to(log_id)
    }
    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError> {
        self.log()?.save_vote(vote)
    }
    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.log()?.load_vote()
    }
    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.log()?.save_committed(committed)
    }
    fn load_committed(&self) -> Result<Option<LogId>, StorageError> {
        self.log()?.load_committed()
    }
    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        self.log()?.save_snapshot(meta, data)
    }
    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError> {
        self.log()?.load_snapshot()
    }
    fn runs_inline(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_fences_the_old_incarnation_and_the_new_one_sees_what_it_wrote() {
        let disk = Disk::new();
        let mut first = disk.open();
        first.save_vote(b"v1").unwrap();
        disk.fence();
        assert!(first.save_vote(b"v2").is_err());
        assert!(first.load_vote().is_err());
        let second = disk.open();
        assert_eq!(second.load_vote().unwrap(), Some(b"v1".to_vec()));
        assert!(second.runs_inline());
    }

    fn entry(term: u64, index: u64) -> Entry {
        Entry { log_id: LogId::new(term, 1, index), payload: vec![term as u8, index as u8] }
    }

    #[test]
    fn a_purge_keeps_the_entries_for_the_checkers_only_when_the_log_held_the_purged_id() {
        let disk = Disk::new();
        let mut store = disk.open();
        store.append(&[entry(1, 1), entry(1, 2), entry(1, 3)]).unwrap();
        store.purge_up_to(LogId::new(1, 1, 2)).unwrap();
        let (entries, _) = disk.entries();
        assert_eq!(entries.iter().map(|e| e.log_id.index).collect::<Vec<_>>(), [1, 2, 3]);
        // A purge up to an id the log does not hold (a snapshot installed over a shorter or
        // different log) keeps nothing: those entries may never have been applied.
        store.purge_up_to(LogId::new(2, 2, 5)).unwrap();
        let (entries, _) = disk.entries();
        assert_eq!(entries.iter().map(|e| e.log_id.index).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn a_purge_over_a_log_without_the_snapshots_entry_keeps_what_the_node_applied() {
        let disk = Disk::new();
        let mut store = disk.open();
        store.append(&[entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4)]).unwrap();
        // Applied up to 3, seen while the log held entry 3: 1..=3 are committed.
        disk.note_applied(LogId::new(1, 1, 3));
        // An applied id the log does not hold (a snapshot's) says nothing.
        disk.note_applied(LogId::new(2, 2, 9));
        store.purge_up_to(LogId::new(2, 2, 6)).unwrap();
        let (entries, _) = disk.entries();
        assert_eq!(entries.iter().map(|e| e.log_id.index).collect::<Vec<_>>(), [1, 2, 3]);
        // A crash forgets what the old incarnation applied.
        disk.fence();
        let mut store = disk.open();
        store.append(&[entry(3, 7), entry(3, 8)]).unwrap();
        store.purge_up_to(LogId::new(4, 2, 9)).unwrap();
        let (entries, _) = disk.entries();
        assert_eq!(entries.iter().map(|e| e.log_id.index).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
