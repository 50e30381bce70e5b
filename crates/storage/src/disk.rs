//! The durable backend: every Raft group of a node in one redb file.
//!
//! # Why one file per node
//!
//! A node hosts many Raft groups, and each append must reach the disk before Raft may
//! acknowledge it. The cost of that is the fsync, which is per file. One file per node means one
//! file handle, one page cache and one allocator shared by all groups, and a node's state is a
//! single file to back up, move or delete. redb serialises write transactions, so appends of
//! different groups queue for the one writer; each still costs exactly one fsync.
//!
//! # Layout
//!
//! Each group `G` has two tables of its own:
//!
//! - `coterie/log/G`: `u64` index → encoded [`Entry`]. Keys are plain indices, so
//!   [`LogStore::read_range`], [`LogStore::truncate_from`] and [`LogStore::purge_up_to`] are
//!   range operations on that group's B-tree and never scan the rest of its log, nor any other
//!   group's.
//! - `coterie/meta/G`: `&str` key → encoded value, for `vote` (bytes), `committed`
//!   (`Option<LogId>`), `purged` ([`LogId`]), `snapshot_meta` ([`SnapshotMeta`]) and
//!   `snapshot_data` (bytes).
//!
//! Tables per group were chosen over one shared table with `(group, index)` keys because the
//! group name would otherwise be repeated in every key, each group's tree stays as shallow as its
//! own log, and removing a group later is deleting two tables. The group name is taken as is:
//! the fixed `coterie/log/` and `coterie/meta/` prefixes keep every group's names distinct.
//!
//! Every value is `[FORMAT_VERSION] + postcard` (see [`crate::codec`]); an entry also stores its
//! own index, which is checked against its key on read.
//!
//! # Durability
//!
//! Every write returns once it is on disk. Writes that arrive while a commit runs are queued
//! and go into the next commit together, one write transaction and one fsync for all of them,
//! whichever logs they belong to (group commit across the file's logs: `disk/commit_queue.rs`
//! says how and why). A write that fails its own checks (an append that does not continue its
//! log) is left out of the shared transaction, so it never takes the others down with it; a
//! failed commit fails every write it carried. An idle file pays one commit per write, as
//! before. Two-phase commit and quick-repair are deliberately left **off**:
//!
//! - redb's default one-phase commit writes the new commit slot, flips the primary bit and
//!   fsyncs **once**; all data carries checksums, and after a crash redb picks the most recent
//!   commit slot whose checksum is valid. Two-phase commit adds a second fsync to every commit
//!   to defeat a theoretical attacker who controls page flush order, can crash the process
//!   mid-fsync and can write chosen data into the database; Coterie's log contents come from its
//!   own cluster, not from such an attacker. Measured on the development VM (whose fsync is
//!   fast, 12–33 µs) with `cargo bench -p coterie-storage --bench append`, two-phase commit
//!   cost 13% at batch 1 (5.5k vs 6.3k entries/s) and 6% at batch 64 (179k vs 191k); on disks
//!   where the flush dominates, a second flush per commit costs proportionally more.
//! - Quick-repair saves the allocator state in every commit (and forces two-phase commit) so
//!   that reopening after a crash is instant. Without it, the first open after a crash walks the
//!   whole file to verify checksums and rebuild the allocator, which takes time proportional to
//!   the file size. A crash is rare and appends are constant, so we pay on the rare path.
//!
//! The database is opened in redb's default `ExclusiveWriter` mode (the only mode in which a
//! one-phase commit really is one fsync), so one process owns the file.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use commit_queue::CommitQueue;
use redb::{
    Database, Durability, ReadOnlyTable, ReadableDatabase, ReadableTable, TableDefinition, TableError, WriteTransaction,
};
use serde::de::DeserializeOwned;

use crate::codec::{decode, encode};
use crate::{Entry, LogId, LogState, LogStore, SnapshotMeta, StorageError, check_append_indices};

/// The per-group table of log entries: index → encoded [`Entry`].
type LogTable<'a> = TableDefinition<'a, u64, &'static [u8]>;
/// The per-group table of everything else: key → encoded value.
type MetaTable<'a> = TableDefinition<'a, &'static str, &'static [u8]>;

/// The most writes one commit carries: enough for every partition and group of a busy node
/// at once, few enough that one commit's pages stay a small multiple of one write's.
const MAX_WRITES_PER_COMMIT: usize = 512;

/// What a write does inside the transaction it shares: `Ok(true)` when it changed something.
type WriteBody = Box<dyn FnMut(&WriteTransaction) -> Result<bool, StorageError> + Send>;

/// One queued write (see [`RedbLog::write`]).
struct Write {
    /// What it does, phrased to follow "failed to", for errors of the commit.
    operation: &'static str,
    body: WriteBody,
}

/// Runs `writes` in one write transaction, in order, and commits it durably (one fsync):
/// what a leader of the file's [`CommitQueue`] does. A write whose body fails is answered
/// its error and left out: the transaction is aborted and run again without it, so nothing
/// it wrote is kept and the others' are. An error of the transaction itself (begin, commit)
/// fails every write it carried. Returns one result per write, in order.
fn commit_writes(db: &Database, mut writes: Vec<Write>) -> Vec<Result<(), StorageError>> {
    let mut results: Vec<Option<Result<(), StorageError>>> = vec![None; writes.len()];
    let mut live: Vec<usize> = (0..writes.len()).collect();
    let outcome = loop {
        let Some(&first) = live.first() else {
            break Ok(());
        };
        let operation = writes[first].operation;
        let mut txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(err) => break Err(StorageError::database(operation)(err)),
        };
        // Both off on purpose: one fsync per commit, full repair after a crash (module docs).
        txn.set_two_phase_commit(false);
        txn.set_quick_repair(false);
        let mut changed = false;
        let mut failed = None;
        for (position, &index) in live.iter().enumerate() {
            match (writes[index].body)(&txn) {
                Ok(wrote) => changed |= wrote,
                Err(err) => {
                    failed = Some((position, err));
                    break;
                }
            }
        }
        if let Some((position, err)) = failed {
            // The failed write's error is the one worth reporting; an abort only drops pages.
            let _ = txn.abort();
            results[live.remove(position)] = Some(Err(err));
            continue;
        }
        if !changed {
            break txn.abort().map_err(StorageError::database(operation));
        }
        break txn
            .set_durability(Durability::Immediate)
            .map_err(StorageError::database(operation))
            .and_then(|()| txn.commit().map_err(StorageError::database(operation)));
    };
    for index in live {
        results[index] = Some(outcome.clone().map_err(|err| with_operation(err, writes[index].operation)));
    }
    results.into_iter().map(|result| result.unwrap_or(Ok(()))).collect()
}

/// A database error of a shared commit, told with the operation of the write it failed.
fn with_operation(err: StorageError, operation: &'static str) -> StorageError {
    match err {
        StorageError::Database { reason, .. } => StorageError::Database { operation, reason },
        other => other,
    }
}

const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const PURGED: &str = "purged";
const SNAPSHOT_META: &str = "snapshot_meta";
const SNAPSHOT_DATA: &str = "snapshot_data";

/// One node's storage file, holding the logs of all the Raft groups the node hosts.
///
/// Cheap to clone: clones share the open database.
#[derive(Clone, Debug)]
pub struct RedbStorage {
    db: Arc<Db>,
    path: PathBuf,
}

/// The open database, and the flag that tells it is closed. Fields drop in order: the
/// flag is set only once the database's own drop (which may still write and sync the file)
/// has ended and its file is closed.
#[derive(Debug)]
struct Db {
    database: Database,
    /// Combines the file's concurrent writes into shared commits (`disk/commit_queue.rs`).
    queue: CommitQueue<Write, Result<(), StorageError>>,
    closed: ClosedOnDrop,
}

impl Deref for Db {
    type Target = Database;

    fn deref(&self) -> &Database {
        &self.database
    }
}

/// Sets its flag when dropped.
#[derive(Debug)]
struct ClosedOnDrop(Arc<AtomicBool>);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl RedbStorage {
    /// Opens the database file at `path`, creating it if it does not exist.
    ///
    /// Only one process (and one `RedbStorage` per process) may have the file open at a time.
    pub fn open(path: &Path) -> Result<RedbStorage, StorageError> {
        let db = Database::create(path).map_err(StorageError::database("open or create the database file"))?;
        let db = Db {
            database: db,
            queue: CommitQueue::new(MAX_WRITES_PER_COMMIT),
            closed: ClosedOnDrop(Arc::new(AtomicBool::new(false))),
        };
        Ok(RedbStorage { db: Arc::new(db), path: path.to_path_buf() })
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many commits (each one fsync, or none when nothing changed) the file's writes
    /// took so far: fewer than the writes when concurrent writers shared them (see the module
    /// docs, "Durability").
    pub fn durable_commits(&self) -> u64 {
        self.db.queue.commits()
    }

    /// A handle that tells when the file is closed: once this and every clone of it, and
    /// every [`RedbLog`] taken from them, are dropped. It does not keep the file open.
    pub fn watch(&self) -> StorageWatch {
        StorageWatch { closed: Arc::clone(&self.db.closed.0), path: self.path.clone() }
    }

    /// The [`LogStore`] of the Raft group named `group`. Cheap: nothing is read or written
    /// until the log is used, and a group that was never written reads as empty.
    ///
    /// Every check (such as contiguity) happens inside the write transaction, so two handles on
    /// the same group stay consistent; Raft should still use one per group.
    pub fn log(&self, group: &str) -> Result<RedbLog, StorageError> {
        Ok(RedbLog {
            db: Arc::clone(&self.db),
            log_table: format!("coterie/log/{group}").into(),
            meta_table: format!("coterie/meta/{group}").into(),
        })
    }
}

/// Tells whether a [`RedbStorage`]'s file is closed, without keeping it open
/// ([`RedbStorage::watch`]): what a process that stops a node waits for before it opens the
/// same file again (redb refuses a second open in one process with "Database already open").
#[derive(Clone, Debug)]
pub struct StorageWatch {
    closed: Arc<AtomicBool>,
    path: PathBuf,
}

impl StorageWatch {
    /// Whether the file is closed: nothing holds the database any more, and its drop (which
    /// may still write and sync the file after the last holder let go) has ended.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The [`LogStore`] of one Raft group inside a [`RedbStorage`] file.
#[derive(Clone, Debug)]
pub struct RedbLog {
    db: Arc<Db>,
    log_table: Arc<str>,
    meta_table: Arc<str>,
}

impl RedbLog {
    fn log_def(&self) -> LogTable<'_> {
        TableDefinition::new(&self.log_table)
    }

    fn meta_def(&self) -> MetaTable<'_> {
        TableDefinition::new(&self.meta_table)
    }

    /// The two table names, owned, for a write's body (which outlives the borrow of `self`).
    fn tables(&self) -> (Arc<str>, Arc<str>) {
        (Arc::clone(&self.log_table), Arc::clone(&self.meta_table))
    }

    /// Runs `body` in a write transaction, shared with the other writes queued on the file
    /// at the same moment, and returns once that transaction is durable (one fsync for all of
    /// them: `disk/commit_queue.rs`). `body` returns whether it changed anything; a commit in
    /// which no write changed anything is aborted instead. On an error nothing `body` wrote
    /// is kept, and the other writes of the transaction are committed without it.
    ///
    /// `body` may run more than once (when another write of its transaction fails, the
    /// transaction is aborted and run again without that one), so it only reads what it
    /// captures.
    fn write(
        &self,
        operation: &'static str,
        body: impl FnMut(&WriteTransaction) -> Result<bool, StorageError> + Send + 'static,
    ) -> Result<(), StorageError> {
        let write = Write { operation, body: Box::new(body) };
        let lost = || {
            Err(StorageError::Database {
                operation,
                reason: "the commit that carried this write ended without an answer (its thread panicked)".to_owned(),
            })
        };
        self.db.queue.run(write, |writes| commit_writes(&self.db.database, writes), lost)
    }

    /// Opens `def` for reading; `None` if the group never wrote to that table.
    fn read_table<K: redb::Key + 'static>(
        &self,
        def: TableDefinition<'_, K, &'static [u8]>,
        operation: &'static str,
    ) -> Result<Option<ReadOnlyTable<K, &'static [u8]>>, StorageError> {
        let txn = self.db.begin_read().map_err(StorageError::database(operation))?;
        match txn.open_table(def) {
            Ok(table) => Ok(Some(table)),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(err) => Err(StorageError::database(operation)(err)),
        }
    }

    /// Reads and decodes one meta value.
    fn read_meta<T: DeserializeOwned>(&self, key: &str, what: &'static str) -> Result<Option<T>, StorageError> {
        let operation = "read group metadata";
        match self.read_table(self.meta_def(), operation)? {
            Some(meta) => get_meta(&meta, key, what, operation),
            None => Ok(None),
        }
    }
}

/// Reads and decodes the value under `key` in a meta table.
fn get_meta<T: DeserializeOwned>(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
    what: &'static str,
    operation: &'static str,
) -> Result<Option<T>, StorageError> {
    match meta.get(key).map_err(StorageError::database(operation))? {
        Some(value) => decode(value.value(), what).map(Some),
        None => Ok(None),
    }
}

/// Decodes a log record and checks that it sits under its own index.
fn decode_entry(index: u64, bytes: &[u8]) -> Result<Entry, StorageError> {
    let entry: Entry = decode(bytes, "log entry")?;
    if entry.log_id.index != index {
        return Err(StorageError::Corrupt {
            what: "log entry",
            reason: format!("the entry stored under index {index} says it has index {}", entry.log_id.index),
        });
    }
    Ok(entry)
}

/// The log state from a group's two tables (either may be missing).
fn state_of(
    log: Option<&impl ReadableTable<u64, &'static [u8]>>,
    meta: Option<&impl ReadableTable<&'static str, &'static [u8]>>,
    operation: &'static str,
) -> Result<LogState, StorageError> {
    let last_purged: Option<LogId> = match meta {
        Some(meta) => get_meta(meta, PURGED, "last purged log id", operation)?,
        None => None,
    };
    let last = match log {
        Some(log) => match log.last().map_err(StorageError::database(operation))? {
            Some((key, value)) => Some(decode_entry(key.value(), value.value())?.log_id),
            None => None,
        },
        None => None,
    };
    Ok(LogState { last: last.or_else(|| last_purged.clone()), last_purged })
}

impl LogStore for RedbLog {
    fn log_state(&self) -> Result<LogState, StorageError> {
        let operation = "read the log state";
        let txn = self.db.begin_read().map_err(StorageError::database(operation))?;
        let log = match txn.open_table(self.log_def()) {
            Ok(table) => Some(table),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(err) => return Err(StorageError::database(operation)(err)),
        };
        let meta = match txn.open_table(self.meta_def()) {
            Ok(table) => Some(table),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(err) => return Err(StorageError::database(operation)(err)),
        };
        state_of(log.as_ref(), meta.as_ref(), operation)
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        if entries.is_empty() {
            return Ok(());
        }
        let operation = "append log entries";
        let records = entries
            .iter()
            .map(|entry| Ok((entry.log_id.index, encode(entry, "log entry")?)))
            .collect::<Result<Vec<_>, StorageError>>()?;
        let (log_table, meta_table) = self.tables();
        self.write(operation, move |txn| {
            let mut log = txn.open_table(LogTable::new(&log_table)).map_err(StorageError::database(operation))?;
            let meta = txn.open_table(MetaTable::new(&meta_table)).map_err(StorageError::database(operation))?;
            let state = state_of(Some(&log), Some(&meta), operation)?;
            check_append_indices(&state, records.iter().map(|(index, _)| *index))?;
            for (index, bytes) in &records {
                log.insert(index, bytes.as_slice()).map_err(StorageError::database(operation))?;
            }
            Ok(true)
        })
    }

    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError> {
        let operation = "read log entries";
        if start >= end {
            return Ok(Vec::new());
        }
        let Some(log) = self.read_table(self.log_def(), operation)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in log.range(start..end).map_err(StorageError::database(operation))? {
            let (key, value) = item.map_err(StorageError::database(operation))?;
            out.push(decode_entry(key.value(), value.value())?);
        }
        Ok(out)
    }

    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        let operation = "truncate the log";
        let (log_table, _) = self.tables();
        self.write(operation, move |txn| {
            let mut log = txn.open_table(LogTable::new(&log_table)).map_err(StorageError::database(operation))?;
            let last = log.last().map_err(StorageError::database(operation))?.map(|(key, _)| key.value());
            if last.is_none_or(|last| last < index) {
                return Ok(false);
            }
            log.retain_in(index.., |_, _| false).map_err(StorageError::database(operation))?;
            Ok(true)
        })
    }

    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let operation = "purge the log";
        let (log_table, meta_table) = self.tables();
        let bytes = encode(&log_id, "last purged log id")?;
        self.write(operation, move |txn| {
            let mut meta = txn.open_table(MetaTable::new(&meta_table)).map_err(StorageError::database(operation))?;
            let purged: Option<LogId> = get_meta(&meta, PURGED, "last purged log id", operation)?;
            if purged.is_some_and(|purged| log_id.index <= purged.index) {
                return Ok(false);
            }
            let mut log = txn.open_table(LogTable::new(&log_table)).map_err(StorageError::database(operation))?;
            log.retain_in(..=log_id.index, |_, _| false).map_err(StorageError::database(operation))?;
            meta.insert(PURGED, bytes.as_slice()).map_err(StorageError::database(operation))?;
            Ok(true)
        })
    }

    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError> {
        self.put_meta("save the vote", vec![(VOTE, encode(vote, "vote")?)])
    }

    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.read_meta(VOTE, "vote")
    }

    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.put_meta("save the committed log id", vec![(COMMITTED, encode(&committed, "committed log id")?)])
    }

    fn load_committed(&self) -> Result<Option<LogId>, StorageError> {
        Ok(self.read_meta::<Option<LogId>>(COMMITTED, "committed log id")?.flatten())
    }

    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        let records =
            vec![(SNAPSHOT_META, encode(meta, "snapshot meta")?), (SNAPSHOT_DATA, encode(data, "snapshot data")?)];
        self.put_meta("save the snapshot", records)
    }

    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError> {
        // Both halves from one read transaction, so they always belong to the same snapshot.
        let operation = "read the snapshot";
        let Some(table) = self.read_table(self.meta_def(), operation)? else {
            return Ok(None);
        };
        let meta: Option<SnapshotMeta> = get_meta(&table, SNAPSHOT_META, "snapshot meta", operation)?;
        let data: Option<Vec<u8>> = get_meta(&table, SNAPSHOT_DATA, "snapshot data", operation)?;
        match (meta, data) {
            (Some(meta), Some(data)) => Ok(Some((meta, data))),
            (None, None) => Ok(None),
            _ => Err(StorageError::Corrupt {
                what: "snapshot",
                reason: "only one of its meta and data records is present".to_owned(),
            }),
        }
    }
}

impl RedbLog {
    /// Stores already encoded meta values in one durable commit.
    fn put_meta(&self, operation: &'static str, records: Vec<(&'static str, Vec<u8>)>) -> Result<(), StorageError> {
        let (_, meta_table) = self.tables();
        self.write(operation, move |txn| {
            let mut meta = txn.open_table(MetaTable::new(&meta_table)).map_err(StorageError::database(operation))?;
            for (key, bytes) in &records {
                meta.insert(*key, bytes.as_slice()).map_err(StorageError::database(operation))?;
            }
            Ok(true)
        })
    }
}

mod commit_queue;

#[cfg(test)]
mod tests;
