//! # coterie-storage
//!
//! Where a Coterie node keeps what Raft must not forget: the replicated log, the vote, the
//! committed index and the latest snapshot of each Raft group it hosts.
//!
//! Everything goes through one synchronous trait, [`LogStore`], with two backends:
//!
//! - [`RedbStorage`] / [`RedbLog`]: the durable backend. A node keeps **one redb file** for all
//!   of its groups, because a commit costs an fsync and an fsync is per file: with one file the
//!   groups share a single write-ahead structure, one file handle and one page cache, instead of
//!   each paying for its own (see [`mod@disk`] for the layout).
//! - [`MemoryLog`]: the same semantics in a `BTreeMap`, for tests and simulations.
//!
//! Both are held to the same contract by the shared suite in [`conformance`].
//!
//! Object bytes are not log entries: [`blob`] keeps them as content-addressed blobs, in files
//! beside the database or in memory.
//!
//! Why synchronous: the storage is the one place where a Raft node must wait for the disk
//! anyway, and keeping it free of an async runtime keeps it usable from tests, simulations and
//! whichever runtime the server adapts it to (typically on a blocking thread).
//!
//! Why one durable commit per [`LogStore::append`] call: Raft may only acknowledge entries once
//! they are on disk, and an fsync costs far more than writing the entries themselves, so the
//! caller batches entries and pays for one fsync per batch rather than one per entry.

pub mod blob;
pub mod codec;
#[doc(hidden)]
pub mod conformance;
pub mod disk;
pub mod error;
pub mod memory;

pub use disk::{RedbLog, RedbStorage, StorageWatch};
pub use error::StorageError;
pub use memory::MemoryLog;

use serde::{Deserialize, Serialize};

/// The format version written in front of every stored value (see [`codec`]).
///
/// It lives here rather than in [`codec`] because both [`codec`] and [`error`] need it, and
/// [`codec`] already depends on [`error`].
pub const FORMAT_VERSION: u8 = 1;

/// Identifies one log entry: the term and node of the leader that created it, and its index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogId {
    /// The leader's term when the entry was created.
    pub term: u64,
    /// The id of the leader node that created the entry.
    pub node: u64,
    /// The entry's position in the log.
    pub index: u64,
}

impl LogId {
    /// A log id from its parts.
    pub fn new(term: u64, node: u64, index: u64) -> Self {
        Self { term, node, index }
    }
}

/// One entry of the replicated log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Where the entry sits in the log and who created it.
    pub log_id: LogId,
    /// The entry's content, encoded by the layer above; storage never looks inside.
    pub payload: Vec<u8>,
}

/// The bounds of a log, as Raft asks for them at startup and after each change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    /// The last entry removed by [`LogStore::purge_up_to`], if any was ever purged.
    pub last_purged: Option<LogId>,
    /// The last entry present, or `last_purged` when the log is empty after a purge.
    pub last: Option<LogId>,
}

/// Describes a stored snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// The last log entry whose effect the snapshot includes, if any.
    pub last_included: Option<LogId>,
    /// The group membership as of `last_included`, encoded by the layer above.
    pub membership: Vec<u8>,
    /// A name for the snapshot, unique within the group.
    pub snapshot_id: String,
}

/// Durable storage for one Raft group: its log, vote, committed id and snapshot.
///
/// Every method returns once its change is durable (for a disk backend: after the fsync).
///
/// # Log contiguity
///
/// The log is always a contiguous run of indices. [`append`](Self::append) accepts entries
/// only at index `last.index + 1` (see [`LogState::last`]); an empty log that has never been
/// purged accepts any first index (this is also the state after [`truncate_from`] removed every
/// entry of a log never purged).
///
/// [`truncate_from`]: Self::truncate_from
pub trait LogStore: Send {
    /// The last purged and last present log ids.
    fn log_state(&self) -> Result<LogState, StorageError>;

    /// Appends `entries`, which must be contiguous and follow the last entry, in one durable
    /// commit. An empty slice does nothing. Otherwise fails with
    /// [`StorageError::NonContiguous`] and stores none of them.
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError>;

    /// The entries with `start <= index < end` that are present, in ascending order.
    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError>;

    /// Deletes every entry with an index of `index` or more (Raft conflict truncation).
    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError>;

    /// Deletes every entry with an index up to and including `log_id.index` and records
    /// `log_id` as the last purged id. `log_id` may lie beyond the last entry, which empties
    /// the log. Purging to an index at or below the current last purged index does nothing.
    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError>;

    /// Stores the vote (opaque bytes), replacing the previous one.
    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError>;

    /// The last saved vote, if any.
    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError>;

    /// Stores the id of the last committed entry, replacing the previous one.
    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError>;

    /// The last saved committed id, if any.
    fn load_committed(&self) -> Result<Option<LogId>, StorageError>;

    /// Stores a snapshot, replacing the previous one (meta and data together, atomically).
    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError>;

    /// The last saved snapshot, if any.
    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError>;

    /// Whether every call returns without blocking the thread (no disk, no waiting), so that
    /// an async caller may run it on its own task instead of a blocking thread pool. `false`
    /// unless a store says otherwise; no production store does. The deterministic simulation
    /// (`coterie-sim`) does: work done on a thread pool finishes at a moment the simulated
    /// scheduler does not control, and a replay of the same seed would diverge.
    fn runs_inline(&self) -> bool {
        false
    }
}

/// Checks that `entries` are contiguous and that the first one may follow `state`. Shared by
/// the backends so that they refuse exactly the same batches.
pub(crate) fn check_append(state: &LogState, entries: &[Entry]) -> Result<(), StorageError> {
    check_append_indices(state, entries.iter().map(|entry| entry.log_id.index))
}

/// [`check_append`] on the entries' indices alone, in order.
pub(crate) fn check_append_indices(
    state: &LogState,
    indices: impl IntoIterator<Item = u64>,
) -> Result<(), StorageError> {
    let mut indices = indices.into_iter().peekable();
    let Some(&first) = indices.peek() else {
        return Ok(());
    };
    // `None` once the index space is exhausted: nothing can follow index u64::MAX.
    let mut expected = match &state.last {
        Some(last) => last.index.checked_add(1),
        None => Some(first),
    };
    for got in indices {
        match expected {
            Some(want) if want == got => expected = want.checked_add(1),
            want => return Err(StorageError::NonContiguous { expected: want.unwrap_or(u64::MAX), got }),
        }
    }
    Ok(())
}
