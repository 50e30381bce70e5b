//! The storage adapter against openraft's own storage suite, over both backends, plus the
//! properties the engine relies on that the suite does not check.

use std::collections::BTreeSet;

use coterie_core::kinds::atomic_long::AtomicLongCommand;
use coterie_core::{ApplyCtx, Group, GroupCommand, GroupConfig, LogIndex, StateMachine, StructureCommand, Timestamp};
use coterie_storage::{MemoryLog, RedbStorage};
use futures_util::stream;
use openraft::impls::leader_id_adv::LeaderId;
use openraft::storage::{IOFlushed, RaftLogStorage, RaftStateMachine};
use openraft::testing::log::{StoreBuilder, Suite};
use openraft::type_config::TypeConfigExt;
use openraft::{Entry, EntryPayload, Membership, RaftLogReader, RaftSnapshotBuilder, StorageError};
use tempfile::TempDir;

use super::*;
use crate::cp::state_machine::CpStateMachine;
use crate::request::{JournalRecord, Request};
use crate::waiters::Waiters;

struct MemoryBuilder;

impl StoreBuilder<CpTypes, CpLogStore, CpStateMachine, ()> for MemoryBuilder {
    async fn build(&self) -> Result<((), CpLogStore, CpStateMachine), StorageError<CpTypes>> {
        let store = share(MemoryLog::new());
        let sm = CpStateMachine::open(store.clone(), Waiters::default(), GroupConfig::default()).await.unwrap();
        Ok(((), CpLogStore::new(store), sm))
    }
}

struct RedbBuilder;

impl StoreBuilder<CpTypes, CpLogStore, CpStateMachine, TempDir> for RedbBuilder {
    async fn build(&self) -> Result<(TempDir, CpLogStore, CpStateMachine), StorageError<CpTypes>> {
        let dir = tempfile::tempdir().unwrap();
        let log = RedbStorage::open(&dir.path().join("node.redb")).unwrap().log("default").unwrap();
        let store = share(log);
        let sm = CpStateMachine::open(store.clone(), Waiters::default(), GroupConfig::default()).await.unwrap();
        Ok((dir, CpLogStore::new(store), sm))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openraft_suite_over_memory() {
    Suite::test_all(MemoryBuilder).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openraft_suite_over_redb() {
    Suite::test_all(RedbBuilder).await.unwrap();
}

fn log_id(term: u64, node: u64, index: u64) -> CpLogId {
    CpLogId::new(LeaderId { term, node_id: node }, index)
}

fn increment(index: u64) -> CpEntry {
    let record = JournalRecord {
        now: Timestamp(index),
        request: Request::internal(GroupCommand::Invoke {
            name: "n".to_owned(),
            command: StructureCommand::AtomicLong(AtomicLongCommand::AddAndGet(1)),
        }),
    };
    Entry { log_id: log_id(1, 1, index), payload: EntryPayload::Normal(record) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_readable_and_flushed_once_appended_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    {
        let mut store = CpLogStore::new(share(RedbStorage::open(&path).unwrap().log("default").unwrap()));
        let (tx, rx) = CpTypes::oneshot();
        store.append((1..=64).map(increment), IOFlushed::signal(tx)).await.unwrap();
        rx.await.unwrap().unwrap();
        assert_eq!(store.get_log_state().await.unwrap().last_log_id, Some(log_id(1, 1, 64)));
    }
    let mut store = CpLogStore::new(share(RedbStorage::open(&path).unwrap().log("default").unwrap()));
    let entries = store.try_get_log_entries(10..13).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.log_id.index).collect::<Vec<_>>(), vec![10, 11, 12]);
    assert_eq!(entries[0].payload, increment(10).payload);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_machine_applies_records_and_restarts_from_its_snapshot() {
    let store = share(MemoryLog::new());
    let mut sm = CpStateMachine::open(store.clone(), Waiters::default(), GroupConfig::default()).await.unwrap();
    let membership = Membership::new_with_defaults(vec![BTreeSet::from([1, 2, 3])], []);
    let mut entries = vec![Entry { log_id: log_id(1, 1, 0), payload: EntryPayload::Membership(membership.clone()) }];
    entries.extend((1..=5).map(increment));
    sm.apply(stream::iter(entries.into_iter().map(|e| Ok((e, None))))).await.unwrap();
    let (applied, stored) = sm.applied_state().await.unwrap();
    assert_eq!(applied, Some(log_id(1, 1, 5)));
    assert_eq!(stored.membership(), &membership);

    let snapshot = sm.build_snapshot().await.unwrap();
    assert_eq!(snapshot.meta.last_log_id, Some(log_id(1, 1, 5)));

    // A node restarting on the same store starts from the snapshot.
    let mut reopened = CpStateMachine::open(store, Waiters::default(), GroupConfig::default()).await.unwrap();
    assert_eq!(reopened.applied_state().await.unwrap(), (applied, stored));
    let value = reopened.state().lock().unwrap().group.structure("n").cloned();
    let original = sm.state().lock().unwrap().group.structure("n").cloned();
    assert!(value.is_some());
    assert_eq!(value, original);
    assert_eq!(reopened.get_current_snapshot().await.unwrap().map(|s| s.meta), Some(snapshot.meta));

    // And applies the rest of the log after it, reaching the state of an uninterrupted run.
    reopened.apply(stream::iter([Ok((increment(6), None))])).await.unwrap();
    let mut reference = Group::new(GroupConfig::default());
    for index in 1..=6 {
        let EntryPayload::Normal(record) = increment(index).payload else { unreachable!() };
        let ctx = ApplyCtx::internal(LogIndex(index), record.now);
        reference.apply(record.request.command, &ctx);
    }
    assert_eq!(reopened.state().lock().unwrap().group, reference);
}
