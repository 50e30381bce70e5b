//! The [`LogStore`] contract as executable cases, shared by every backend.
//!
//! Each case takes a fresh, empty store, exercises one part of the contract and panics (via
//! `assert!`) on a violation; storage failures that are not under test are returned as errors.
//! `tests/conformance.rs` runs every case against [`MemoryLog`](crate::MemoryLog) and
//! [`RedbLog`](crate::RedbLog); a new backend gets the same guarantees by adding one line there.
//! The cases live in the library, not in the test, so that backends in other crates can run
//! them too.

use crate::{Entry, LogId, LogState, LogStore, SnapshotMeta, StorageError};

/// Every case, by name, for suites that want to check they run them all.
pub const CASES: &[&str] = &[
    "empty_state",
    "empty_append_is_noop",
    "first_append_may_start_anywhere",
    "append_and_read_ranges",
    "rejects_gap",
    "rejects_gap_inside_batch",
    "rejects_overlap",
    "rejects_wrong_start_after_purge",
    "truncate_then_append_new_term",
    "truncate_beyond_end_is_noop",
    "truncate_everything",
    "purge_then_state_and_reads",
    "purge_beyond_last",
    "purge_backwards_is_noop",
    "truncate_after_purge",
    "vote_save_load_replace",
    "committed_save_load_replace",
    "snapshot_save_load_replace",
    "multi_batch_appends",
    "large_batch",
];

/// An entry at `index` in `term` (leader node 1) whose payload names both.
pub fn entry(term: u64, index: u64) -> Entry {
    Entry { log_id: LogId::new(term, 1, index), payload: format!("t{term}-i{index}").into_bytes() }
}

/// Entries `first..=last`, all in `term`.
pub fn entries(term: u64, first: u64, last: u64) -> Vec<Entry> {
    (first..=last).map(|index| entry(term, index)).collect()
}

fn state(last_purged: Option<(u64, u64)>, last: Option<(u64, u64)>) -> LogState {
    let id = |(term, index)| LogId::new(term, 1, index);
    LogState { last_purged: last_purged.map(id), last: last.map(id) }
}

fn indices(entries: &[Entry]) -> Vec<u64> {
    entries.iter().map(|entry| entry.log_id.index).collect()
}

/// A new store is empty and has no vote, committed id or snapshot.
pub fn empty_state<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    assert_eq!(store.log_state()?, LogState::default());
    assert_eq!(store.read_range(0, u64::MAX)?, vec![]);
    assert_eq!(store.load_vote()?, None);
    assert_eq!(store.load_committed()?, None);
    assert_eq!(store.load_snapshot()?, None);
    Ok(())
}

/// Appending nothing changes nothing, even where a non-empty batch would be refused.
pub fn empty_append_is_noop<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&[])?;
    assert_eq!(store.log_state()?, LogState::default());
    store.append(&entries(1, 1, 3))?;
    store.append(&[])?;
    assert_eq!(store.log_state()?, state(None, Some((1, 3))));
    Ok(())
}

/// A log that has never held anything accepts any first index.
pub fn first_append_may_start_anywhere<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(3, 100, 101))?;
    assert_eq!(store.log_state()?, state(None, Some((3, 101))));
    assert_eq!(indices(&store.read_range(0, u64::MAX)?), vec![100, 101]);
    Ok(())
}

/// Reads return the existing entries of the half-open range, in order, unchanged.
pub fn append_and_read_ranges<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    let all = entries(1, 1, 10);
    store.append(&all)?;
    assert_eq!(store.log_state()?, state(None, Some((1, 10))));
    assert_eq!(store.read_range(0, u64::MAX)?, all, "full");
    assert_eq!(store.read_range(1, 11)?, all, "exact");
    assert_eq!(store.read_range(3, 6)?, all[2..5].to_vec(), "partial");
    assert_eq!(store.read_range(8, 100)?, all[7..].to_vec(), "past the end");
    assert_eq!(store.read_range(11, 20)?, vec![], "beyond the end");
    assert_eq!(store.read_range(0, 1)?, vec![], "before the start");
    assert_eq!(store.read_range(5, 5)?, vec![], "empty range");
    assert_eq!(store.read_range(7, 3)?, vec![], "reversed range");
    Ok(())
}

/// An append that skips indices is refused and stores nothing.
pub fn rejects_gap<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 3))?;
    let err = store.append(&entries(1, 5, 6));
    assert_eq!(err, Err(StorageError::NonContiguous { expected: 4, got: 5 }));
    assert_eq!(store.log_state()?, state(None, Some((1, 3))));
    Ok(())
}

/// A batch with a hole in the middle is refused whole.
pub fn rejects_gap_inside_batch<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 2))?;
    let batch = vec![entry(1, 3), entry(1, 4), entry(1, 6)];
    assert_eq!(store.append(&batch), Err(StorageError::NonContiguous { expected: 5, got: 6 }));
    assert_eq!(indices(&store.read_range(0, u64::MAX)?), vec![1, 2]);
    Ok(())
}

/// An append that rewrites existing indices is refused (truncate first).
pub fn rejects_overlap<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 5))?;
    assert_eq!(store.append(&entries(2, 4, 6)), Err(StorageError::NonContiguous { expected: 6, got: 4 }));
    assert_eq!(store.append(&entries(2, 5, 5)), Err(StorageError::NonContiguous { expected: 6, got: 5 }));
    assert_eq!(store.read_range(0, u64::MAX)?, entries(1, 1, 5));
    Ok(())
}

/// After a purge empties the log, the next entry must follow the purged id.
pub fn rejects_wrong_start_after_purge<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 5))?;
    store.purge_up_to(LogId::new(1, 1, 5))?;
    assert_eq!(store.append(&entries(1, 7, 8)), Err(StorageError::NonContiguous { expected: 6, got: 7 }));
    assert_eq!(store.append(&entries(1, 5, 6)), Err(StorageError::NonContiguous { expected: 6, got: 5 }));
    assert_eq!(store.append(&entries(1, 1, 1)), Err(StorageError::NonContiguous { expected: 6, got: 1 }));
    store.append(&entries(2, 6, 7))?;
    assert_eq!(store.log_state()?, state(Some((1, 5)), Some((2, 7))));
    Ok(())
}

/// Raft conflict resolution: drop a suffix and replace it with a newer leader's entries.
pub fn truncate_then_append_new_term<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 10))?;
    store.truncate_from(6)?;
    assert_eq!(store.log_state()?, state(None, Some((1, 5))));
    assert_eq!(store.read_range(0, u64::MAX)?, entries(1, 1, 5));
    store.append(&entries(2, 6, 8))?;
    assert_eq!(store.log_state()?, state(None, Some((2, 8))));
    let mut expected = entries(1, 1, 5);
    expected.extend(entries(2, 6, 8));
    assert_eq!(store.read_range(0, u64::MAX)?, expected);
    Ok(())
}

/// Truncating past the last entry deletes nothing.
pub fn truncate_beyond_end_is_noop<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.truncate_from(1)?;
    assert_eq!(store.log_state()?, LogState::default());
    store.append(&entries(1, 1, 3))?;
    store.truncate_from(4)?;
    store.truncate_from(u64::MAX)?;
    assert_eq!(store.read_range(0, u64::MAX)?, entries(1, 1, 3));
    Ok(())
}

/// Truncating every entry of a never-purged log leaves it as new: any first index is accepted.
pub fn truncate_everything<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 3, 6))?;
    store.truncate_from(0)?;
    assert_eq!(store.log_state()?, LogState::default());
    assert_eq!(store.read_range(0, u64::MAX)?, vec![]);
    store.append(&entries(2, 3, 4))?;
    assert_eq!(store.log_state()?, state(None, Some((2, 4))));
    Ok(())
}

/// A purge drops the prefix, remembers the purged id and leaves the rest readable.
pub fn purge_then_state_and_reads<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 10))?;
    store.purge_up_to(LogId::new(1, 1, 4))?;
    assert_eq!(store.log_state()?, state(Some((1, 4)), Some((1, 10))));
    assert_eq!(store.read_range(0, u64::MAX)?, entries(1, 5, 10));
    assert_eq!(store.read_range(0, 6)?, entries(1, 5, 5));
    assert_eq!(store.read_range(1, 5)?, vec![]);
    store.append(&entries(1, 11, 12))?;
    assert_eq!(store.log_state()?, state(Some((1, 4)), Some((1, 12))));
    Ok(())
}

/// Purging beyond the last entry (after installing a snapshot) empties the log, and the purged
/// id stands in as the last one.
pub fn purge_beyond_last<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 5))?;
    store.purge_up_to(LogId::new(3, 2, 20))?;
    let purged = LogId::new(3, 2, 20);
    assert_eq!(store.log_state()?, LogState { last_purged: Some(purged.clone()), last: Some(purged) });
    assert_eq!(store.read_range(0, u64::MAX)?, vec![]);
    store.append(&entries(3, 21, 22))?;
    assert_eq!(store.log_state()?.last, Some(LogId::new(3, 1, 22)));
    Ok(())
}

/// Purging to an index at or below the last purged one changes nothing.
pub fn purge_backwards_is_noop<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 10))?;
    store.purge_up_to(LogId::new(1, 1, 5))?;
    store.purge_up_to(LogId::new(1, 1, 3))?;
    store.purge_up_to(LogId::new(9, 9, 5))?;
    assert_eq!(store.log_state()?, state(Some((1, 5)), Some((1, 10))));
    assert_eq!(store.read_range(0, u64::MAX)?, entries(1, 6, 10));
    Ok(())
}

/// Truncating into the purged prefix removes what is left and keeps the purged id.
pub fn truncate_after_purge<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.append(&entries(1, 1, 10))?;
    store.purge_up_to(LogId::new(1, 1, 5))?;
    store.truncate_from(3)?;
    assert_eq!(store.log_state()?, state(Some((1, 5)), Some((1, 5))));
    assert_eq!(store.read_range(0, u64::MAX)?, vec![]);
    store.append(&entries(2, 6, 6))?;
    assert_eq!(store.log_state()?, state(Some((1, 5)), Some((2, 6))));
    Ok(())
}

/// The vote is opaque bytes; the last one saved wins, including an empty one.
pub fn vote_save_load_replace<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.save_vote(b"term 1, voted for 2")?;
    assert_eq!(store.load_vote()?, Some(b"term 1, voted for 2".to_vec()));
    store.save_vote(b"term 2")?;
    assert_eq!(store.load_vote()?, Some(b"term 2".to_vec()));
    store.save_vote(b"")?;
    assert_eq!(store.load_vote()?, Some(vec![]));
    Ok(())
}

/// The committed id can be set, replaced and cleared.
pub fn committed_save_load_replace<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    store.save_committed(Some(LogId::new(1, 1, 3)))?;
    assert_eq!(store.load_committed()?, Some(LogId::new(1, 1, 3)));
    store.save_committed(Some(LogId::new(2, 3, 9)))?;
    assert_eq!(store.load_committed()?, Some(LogId::new(2, 3, 9)));
    store.save_committed(None)?;
    assert_eq!(store.load_committed()?, None);
    Ok(())
}

/// A saved snapshot replaces the previous one, meta and data together.
pub fn snapshot_save_load_replace<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    let first = SnapshotMeta {
        last_included: Some(LogId::new(1, 1, 10)),
        membership: b"{1,2,3}".to_vec(),
        snapshot_id: "1-10".to_owned(),
    };
    store.save_snapshot(&first, b"state at 10")?;
    assert_eq!(store.load_snapshot()?, Some((first, b"state at 10".to_vec())));
    let second = SnapshotMeta { last_included: None, membership: vec![], snapshot_id: "empty".to_owned() };
    let big = vec![0xA5; 300_000];
    store.save_snapshot(&second, &big)?;
    assert_eq!(store.load_snapshot()?, Some((second, big)));
    assert_eq!(store.log_state()?, LogState::default(), "a snapshot alone does not purge");
    Ok(())
}

/// Many small batches build one contiguous log.
pub fn multi_batch_appends<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    let mut next = 1;
    for size in [1, 2, 3, 5, 8, 13] {
        store.append(&entries(1, next, next + size - 1))?;
        next += size;
    }
    store.append(&[entry(2, next)])?;
    assert_eq!(store.log_state()?, state(None, Some((2, next))));
    assert_eq!(indices(&store.read_range(0, u64::MAX)?), (1..=next).collect::<Vec<_>>());
    assert_eq!(store.read_range(6, 12)?, entries(1, 6, 11));
    Ok(())
}

/// A batch of 1000 entries is one append, fully readable afterwards.
pub fn large_batch<S: LogStore + ?Sized>(store: &mut S) -> Result<(), StorageError> {
    let batch: Vec<Entry> = (1..=1000)
        .map(|index| Entry { log_id: LogId::new(1, 1, index), payload: vec![(index % 251) as u8; 128] })
        .collect();
    store.append(&batch)?;
    assert_eq!(store.log_state()?, state(None, Some((1, 1000))));
    assert_eq!(store.read_range(0, u64::MAX)?, batch);
    assert_eq!(store.read_range(500, 503)?, batch[499..502].to_vec());
    Ok(())
}
