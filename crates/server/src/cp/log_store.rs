//! openraft's log storage over any [`LogStore`].
//!
//! # Why every call goes through `spawn_blocking`
//!
//! [`LogStore`] is synchronous and a durable append ends in an fsync. Running that on a
//! runtime worker would stall every other task scheduled there (other groups, RPCs, client
//! calls), so each storage call runs on tokio's blocking pool; reads go the same way
//! because a redb read can touch the disk too. The one exception is a store that declares it
//! never blocks ([`LogStore::runs_inline`], the deterministic simulation's): it is called in
//! place, because a blocking thread finishes at a moment no simulated scheduler controls.
//!
//! # Batching
//!
//! openraft hands `append` every entry that accumulated since the previous append (from
//! many concurrent client writes, or one replication message), and [`LogStore::append`]
//! commits them all with one fsync. `append` awaits that commit and only then reports the
//! entries flushed, so while one fsync is in progress the next batch grows: under load the
//! cost of an fsync is shared by everything that arrived during the previous one.
//!
//! # The committed index is not persisted
//!
//! openraft awaits `save_committed` inside its core loop every time the commit index moves,
//! so persisting it would add a second fsync to every batch, on the path every write waits
//! on. It is optional: without it a restarted replica comes back at its last snapshot and
//! re-applies its log only once a leader tells it how far the log is committed. Until then
//! its state machine is behind what it had applied before the restart, and nothing may be
//! answered linearizably from it:
//!
//! - Writes (and reads that are not read-only) go through the log: they are answered when
//!   their own entry is applied, after everything before it.
//! - ReadIndex reads (`CpNode::read`) are answered only by a leader, once it has applied its
//!   read index: the larger of the commit it knows and the first entry it proposed in its
//!   term. A leader of a new term proposes a blank entry above every entry committed
//!   before, so that bound covers everything a restarted state machine lacks. A leader
//!   that restored itself from disk in its old term would not: its first entry of that term
//!   was applied long before the crash, and it would answer from the middle of its replay
//!   (issue 8). So `CpConfig` disables openraft's `enable_leader_restore`: a restarted
//!   leader stays a follower until it, or another member, wins an election in a new term.
//!   The cost is one election after a leader restarts; `tests/restart_reads.rs` holds the
//!   regression test.
//! - Stale reads (`CpNode::read_stale`) are answered from whatever the replica has applied,
//!   by definition; right after a restart that is its last snapshot, which can be older
//!   than what the same member answered before the restart.
//!
//! # Encoding
//!
//! An entry is stored as its storage [`LogId`](coterie_storage::LogId) (term, leader node,
//! index) plus the encoded openraft payload (blank, membership, or a
//! [`JournalRecord`](crate::JournalRecord)). The vote is stored as encoded bytes. Every
//! encoded value starts with the core's format version byte.

use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, Mutex};

use coterie_storage::{Entry, LogStore};
use openraft::storage::{IOFlushed, LogState, RaftLogStorage};
use openraft::{OptionalSend, RaftLogReader};

use super::types::{
    CpEntry, CpLogId, CpPayload, CpTypes, CpVote, decode, encode, from_storage_id, storage_io, to_storage_id,
};

/// One group's [`LogStore`], shared by the Raft log adapter and the state machine (which
/// keeps its snapshots there).
pub type SharedStore = Arc<Mutex<Box<dyn LogStore>>>;

/// Wraps a [`LogStore`] for sharing between the log adapter and the state machine.
pub fn share(store: impl LogStore + 'static) -> SharedStore {
    Arc::new(Mutex::new(Box::new(store)))
}

/// Runs `f` on the store on tokio's blocking pool, or in place for a store that
/// [`runs_inline`](LogStore::runs_inline).
pub(crate) async fn blocking<T, F>(store: &SharedStore, f: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn LogStore) -> io::Result<T> + Send + 'static,
{
    // A store that never blocks (the simulation's) is called in place: see
    // `LogStore::runs_inline`.
    {
        let mut guard = store
            .lock()
            .map_err(|_| io::Error::other("the log store lock is poisoned: a storage call panicked earlier"))?;
        if guard.runs_inline() {
            return f(guard.as_mut());
        }
    }
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || {
        let mut guard = store
            .lock()
            .map_err(|_| io::Error::other("the log store lock is poisoned: a storage call panicked earlier"))?;
        f(guard.as_mut())
    })
    .await
    .map_err(|err| io::Error::other(format!("a storage task did not finish: {err}")))?
}

/// openraft's [`RaftLogStorage`] and [`RaftLogReader`] over a [`SharedStore`]. Cheap to
/// clone: clones (including the log readers openraft asks for) share the store.
#[derive(Clone)]
pub struct CpLogStore {
    store: SharedStore,
}

impl CpLogStore {
    /// The adapter over `store`.
    pub fn new(store: SharedStore) -> Self {
        CpLogStore { store }
    }
}

fn encode_entry(entry: &CpEntry) -> io::Result<Entry> {
    Ok(Entry { log_id: to_storage_id(&entry.log_id), payload: encode(&entry.payload)? })
}

fn decode_entry(entry: &Entry) -> io::Result<CpEntry> {
    let payload: CpPayload = decode(&entry.payload, "raft log entry")?;
    Ok(CpEntry { log_id: from_storage_id(&entry.log_id), payload })
}

/// The half-open index range `[start, end)` of `range`.
fn index_range(range: &impl RangeBounds<u64>) -> (u64, u64) {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => u64::MAX,
    };
    (start, end)
}

impl RaftLogReader<CpTypes> for CpLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<CpEntry>, io::Error> {
        let (start, end) = index_range(&range);
        let entries = blocking(&self.store, move |store| store.read_range(start, end).map_err(storage_io)).await?;
        entries.iter().map(decode_entry).collect()
    }

    async fn read_vote(&mut self) -> Result<Option<CpVote>, io::Error> {
        let bytes = blocking(&self.store, |store| store.load_vote().map_err(storage_io)).await?;
        bytes.map(|bytes| decode(&bytes, "raft vote")).transpose()
    }
}

impl RaftLogStorage<CpTypes> for CpLogStore {
    type LogReader = CpLogStore;

    async fn get_log_state(&mut self) -> Result<LogState<CpTypes>, io::Error> {
        let state = blocking(&self.store, |store| store.log_state().map_err(storage_io)).await?;
        Ok(LogState {
            last_purged_log_id: state.last_purged.as_ref().map(from_storage_id),
            last_log_id: state.last.as_ref().map(from_storage_id),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &CpVote) -> Result<(), io::Error> {
        let bytes = encode(vote)?;
        blocking(&self.store, move |store| store.save_vote(&bytes).map_err(storage_io)).await
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<CpTypes>) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = CpEntry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let encoded = entries.into_iter().map(|entry| encode_entry(&entry)).collect::<io::Result<Vec<_>>>();
        let result = match encoded {
            Ok(encoded) => blocking(&self.store, move |store| store.append(&encoded).map_err(storage_io)).await,
            Err(err) => Err(err),
        };
        // One durable commit for the whole batch: only now may openraft count it as flushed.
        match result {
            Ok(()) => {
                callback.io_completed(Ok(()));
                Ok(())
            }
            Err(err) => {
                callback.io_completed(Err(io::Error::new(err.kind(), err.to_string())));
                Err(err)
            }
        }
    }

    async fn truncate_after(&mut self, last_log_id: Option<CpLogId>) -> Result<(), io::Error> {
        let from = last_log_id.map_or(0, |id| id.index.saturating_add(1));
        blocking(&self.store, move |store| store.truncate_from(from).map_err(storage_io)).await
    }

    async fn purge(&mut self, log_id: CpLogId) -> Result<(), io::Error> {
        let log_id = to_storage_id(&log_id);
        blocking(&self.store, move |store| store.purge_up_to(log_id).map_err(storage_io)).await
    }
}

#[cfg(test)]
#[path = "log_store_tests.rs"]
mod tests;
