use std::time::Duration;

use coterie_core::kinds::atomic_long::{AtomicLongCommand, AtomicLongOutput};
use coterie_core::kinds::fenced_lock::FencedLockCommand;
use coterie_core::{
    ClientId, GroupCommand, InvocationId, OwnerId, Reply, SessionId, StructureCommand, StructureOutput,
};
use coterie_storage::{LogState, MemoryLog, RedbStorage, StorageError};

use super::*;

fn invoke(name: &str, command: StructureCommand) -> GroupCommand {
    GroupCommand::Invoke { name: name.to_owned(), command }
}

fn incr() -> GroupCommand {
    invoke("seq", StructureCommand::AtomicLong(AtomicLongCommand::IncrementAndGet))
}

fn value(v: i64) -> GroupOutput {
    GroupOutput::Structure(StructureOutput::AtomicLong(AtomicLongOutput::Value(v)))
}

fn open_session<S: LogStore>(g: &mut JournaledGroup<S>, now: u64) -> SessionId {
    // A new client for every open: these tests are not about resent opens.
    static CLIENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let client = ClientId::new(u128::from(CLIENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed))).unwrap();
    let open = GroupCommand::OpenSession { ttl: Duration::from_secs(10), client, seq: 1 };
    let opened = g.submit_one(Request::internal(open), Timestamp(now));
    match opened.unwrap().response {
        Reply::Ready(Ok(GroupOutput::Session(id))) => id,
        other => panic!("open session: {other:?}"),
    }
}

/// A history touching sessions, locks, counters and ticks.
fn history<S: LogStore>(g: &mut JournaledGroup<S>) -> SessionId {
    let a = open_session(g, 1_000);
    let b = open_session(g, 1_000);
    let lock =
        |owner| invoke("leader", StructureCommand::FencedLock(FencedLockCommand::Lock { owner: OwnerId(owner) }));
    let batch = vec![
        Request::invoked(incr(), Some(a), call_of(a, 1)),
        Request::invoked(lock(1), Some(a), call_of(a, 2)),
        Request::invoked(lock(2), Some(b), call_of(b, 1)),
        Request::invoked(incr(), Some(b), call_of(b, 2)),
    ];
    g.submit(batch, Timestamp(2_000)).unwrap();
    g.submit_one(Request::internal(GroupCommand::Heartbeat { session: b }), Timestamp(9_000)).unwrap();
    // Session a expires: b is handed the lock during this tick.
    g.submit_one(Request::internal(GroupCommand::Tick), Timestamp(12_500)).unwrap();
    b
}

#[test]
fn restart_replays_the_journal_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    let (state, applied) = {
        let log = RedbStorage::open(&path).unwrap().log("default").unwrap();
        let mut g = JournaledGroup::open(log, JournalConfig::default()).unwrap();
        history(&mut g);
        assert_eq!(g.group().session_count(), 1);
        (g.group().clone(), g.applied_index())
    };
    let log = RedbStorage::open(&path).unwrap().log("default").unwrap();
    let reopened = JournaledGroup::open(log, JournalConfig::default()).unwrap();
    assert_eq!(reopened.group(), &state);
    assert_eq!(reopened.applied_index(), applied);
}

#[test]
fn a_retry_after_restart_is_answered_not_reapplied() {
    let mut g = JournaledGroup::open(MemoryLog::new(), JournalConfig::default()).unwrap();
    let s = open_session(&mut g, 0);
    let call = Request::invoked(incr(), Some(s), call_of(s, 1));
    assert_eq!(g.submit_one(call.clone(), Timestamp(1)).unwrap(), Applied::ok(value(1)));

    let mut g = JournaledGroup::open(g.into_store(), JournalConfig::default()).unwrap();
    assert_eq!(g.submit_one(call, Timestamp(2)).unwrap(), Applied::ok(value(1)));
    let next = Request::invoked(incr(), Some(s), call_of(s, 2));
    assert_eq!(g.submit_one(next, Timestamp(3)).unwrap(), Applied::ok(value(2)));
}

#[test]
fn compaction_snapshots_purges_and_restart_replays_only_the_rest() {
    let config = JournalConfig { snapshot_every: 0, ..JournalConfig::default() };
    let mut g = JournaledGroup::open(MemoryLog::new(), config.clone()).unwrap();
    history(&mut g);
    g.compact().unwrap();
    let covered = g.applied_index();
    g.submit(vec![Request::internal(incr()), Request::internal(incr())], Timestamp(13_000)).unwrap();
    let state = g.group().clone();

    let store = g.into_store();
    let log_state = store.log_state().unwrap();
    assert_eq!(log_state.last_purged.map(|id| id.index), Some(covered));
    assert_eq!(store.read_range(0, u64::MAX).unwrap().len(), 2);

    let mut reopened = JournaledGroup::open(store, config).unwrap();
    assert_eq!(reopened.group(), &state);
    // New records continue after the old ones, not over them.
    let applied = reopened.submit_one(Request::internal(incr()), Timestamp(13_001)).unwrap();
    assert_eq!(applied, Applied::ok(value(5)));
    assert_eq!(reopened.applied_index(), covered + 3);
}

#[test]
fn compaction_runs_by_itself_every_n_records() {
    let config = JournalConfig { snapshot_every: 3, ..JournalConfig::default() };
    let mut g = JournaledGroup::open(MemoryLog::new(), config).unwrap();
    for now in 0..7 {
        g.submit_one(Request::internal(incr()), Timestamp(now)).unwrap();
    }
    let store = g.into_store();
    assert_eq!(store.log_state().unwrap().last_purged.map(|id| id.index), Some(6));
    assert_eq!(store.load_snapshot().unwrap().map(|(meta, _)| meta.snapshot_id), Some("local-6".to_owned()));
}

/// A store that counts commits and can be told to fail them.
struct Probe {
    inner: MemoryLog,
    appends: usize,
    fail: bool,
}

impl LogStore for Probe {
    fn log_state(&self) -> Result<LogState, StorageError> {
        self.inner.log_state()
    }
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        if self.fail {
            return Err(StorageError::Database { operation: "append entries", reason: "disk full (injected)".into() });
        }
        self.appends += 1;
        self.inner.append(entries)
    }
    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError> {
        self.inner.read_range(start, end)
    }
    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        self.inner.truncate_from(index)
    }
    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.inner.purge_up_to(log_id)
    }
    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError> {
        self.inner.save_vote(vote)
    }
    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.load_vote()
    }
    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.inner.save_committed(committed)
    }
    fn load_committed(&self) -> Result<Option<LogId>, StorageError> {
        self.inner.load_committed()
    }
    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        self.inner.save_snapshot(meta, data)
    }
    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError> {
        self.inner.load_snapshot()
    }
}

#[test]
fn a_batch_is_one_commit_and_a_failed_commit_applies_nothing() {
    let probe = Probe { inner: MemoryLog::new(), appends: 0, fail: false };
    let mut g = JournaledGroup::open(probe, JournalConfig::default()).unwrap();
    let results = g.submit((0..64).map(|_| Request::internal(incr())).collect(), Timestamp(0)).unwrap();
    assert_eq!(results.last(), Some(&Applied::ok(value(64))));
    assert_eq!(g.store.appends, 1);

    g.store.fail = true;
    let before = g.group().clone();
    let err = g.submit(vec![Request::internal(incr())], Timestamp(1)).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(g.group(), &before);
    g.store.fail = false;
    assert_eq!(g.submit_one(Request::internal(incr()), Timestamp(2)).unwrap(), Applied::ok(value(65)));
}

#[test]
fn an_unreadable_record_is_a_clear_error() {
    let mut store = MemoryLog::new();
    let good = codec::encode(&JournalRecord { now: Timestamp(0), request: Request::internal(incr()) }).unwrap();
    store.append(&[Entry { log_id: LogId::new(0, 0, 1), payload: good }]).unwrap();
    store.append(&[Entry { log_id: LogId::new(0, 0, 2), payload: vec![1, 0xff, 0xff] }]).unwrap();
    let err = JournaledGroup::open(store, JournalConfig::default()).err().expect("opening must fail");
    assert!(matches!(err, NodeError::CorruptJournal { index: 2, .. }), "{err}");
    assert!(err.to_string().contains("restore it from a backup"), "{err}");
}

#[test]
fn reads_are_answered_without_being_journaled() {
    let mut g = JournaledGroup::open(MemoryLog::new(), JournalConfig::default()).unwrap();
    g.submit_one(Request::internal(incr()), Timestamp(0)).unwrap();
    let get = Request::internal(invoke("seq", StructureCommand::AtomicLong(AtomicLongCommand::Get)));
    assert_eq!(g.read(&get, Timestamp(1)), Some(Ok(value(1))));
    assert_eq!(g.read(&Request::internal(incr()), Timestamp(1)), None);
    assert_eq!(g.into_store().log_state().unwrap().last.map(|id| id.index), Some(1));
}

#[test]
fn a_new_group_with_an_invalid_config_is_refused() {
    let config =
        JournalConfig { group: GroupConfig { dedup_window: 0, ..GroupConfig::default() }, ..JournalConfig::default() };
    let err = JournaledGroup::open(MemoryLog::new(), config).err().expect("opening must fail");
    assert!(
        matches!(&err, NodeError::InvalidConfig(invalid) if invalid.setting == "GroupConfig::dedup_window"),
        "{err}"
    );
}

/// Call `seq` of the client that makes `session`'s calls in these tests (one per session).
fn call_of(session: SessionId, seq: u64) -> InvocationId {
    let client = coterie_core::ClientId::new(u128::from(session.0) + 1).unwrap_or(coterie_core::ClientId::MIN);
    InvocationId { client, seq }
}
