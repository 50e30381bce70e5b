//! One partition's replica on its owner: a [`JournaledGroup`] on the partition's own log,
//! served as an [`Engine`].
//!
//! Why it is shaped this way:
//!
//! - **One copy, journaled before it is applied** (part 1): a write is appended to the
//!   partition's log in one durable commit and applied only after the commit returns, so an
//!   acknowledged write survives a crash, and a restart reopens the log and replays it
//!   before the replica serves anything ([`Replica::open`] returns only after replay).
//! - **One log per partition** (`partition-<p>` in the node's redb file, or in memory),
//!   each record's log id stamped `(epoch, owner, index)`: ordered by (epoch, index) as
//!   part 2's replication and failover need. Part 1 stamps the ring epoch of the table the
//!   owner opened the partition under (monotone across reopenings); part 2 replaces it with
//!   the partition's primary epoch.
//! - **The owner's wall clock**: with one copy there is no leader to agree on a time, so the
//!   owner stamps each record with its own clock (milliseconds since the Unix epoch). The
//!   group never lets its time go back (it keeps the greatest time it applied), so a clock
//!   stepped backwards only delays time-based behaviour; it never reorders it. The stamp is
//!   journaled with the record, so replay applies the same times.
//! - **Exactly once on retry**: a call that carries the caller's identity and sequence
//!   (`Request::invocation`) is recorded in the group's dedup table, journaled with it, so
//!   a retry, also after a restart, is answered from the record instead of being applied
//!   again: the same contract as a CP group's, per partition.
//! - Reads without an invocation (and stale reads) are answered from the applied state: a
//!   single copy is always current, so such an answer is as fresh as a journaled one.
//! - The journal is blocking I/O: each call runs on a blocking thread, one at a time per
//!   partition (calls of one partition are serialized by its lock; partitions run in
//!   parallel). Batching concurrent calls into one commit is a later optimisation.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::placement::PartitionId;
use coterie_core::{EngineError, GroupOutput, Reply, Timestamp};
use coterie_storage::{Entry, LogId, LogState, LogStore, MemoryLog, RedbLog, RedbStorage, SnapshotMeta, StorageError};
use futures_util::future::BoxFuture;

use crate::engine::{CallOptions, Engine};
use crate::journal::{JournalConfig, JournaledGroup};
use crate::request::Request;

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

/// The owner's wall clock, in milliseconds since the Unix epoch (see the module docs).
fn wall_clock() -> Timestamp {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis());
    Timestamp(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// A partition's replica on its owner.
pub struct Replica {
    partition: PartitionId,
    group: Arc<Mutex<JournaledGroup<PartitionLog>>>,
}

impl Replica {
    /// Opens partition `partition`'s replica on `log`, replaying its journal (blocking
    /// I/O: call it on a blocking thread), stamping new records with `epoch` and `owner`.
    pub fn open(
        partition: PartitionId,
        log: PartitionLog,
        epoch: u64,
        owner: u64,
    ) -> Result<Replica, crate::error::NodeError> {
        let mut group = JournaledGroup::open(log, JournalConfig::default())?;
        group.stamp_with(epoch, owner);
        Ok(Replica { partition, group: Arc::new(Mutex::new(group)) })
    }

    /// The partition this replica serves.
    pub fn partition(&self) -> PartitionId {
        self.partition
    }

    /// Index of the last record applied.
    pub fn applied_index(&self) -> u64 {
        self.group.lock().unwrap_or_else(PoisonError::into_inner).applied_index()
    }
}

/// Serves `request` on `group` at `now` (blocking: the journal commits durably).
fn serve(
    group: &Mutex<JournaledGroup<PartitionLog>>,
    request: Request,
    stale_read: bool,
    partition: PartitionId,
) -> Result<GroupOutput, EngineError> {
    let now = wall_clock();
    // The lock guards no invariant a panicking holder could break half-way: a record is
    // applied only after its commit, and the group's state is whole between calls.
    let mut group = group.lock().unwrap_or_else(PoisonError::into_inner);
    if (stale_read || request.invocation.is_none())
        && let Some(answer) = group.read(&request, now)
    {
        return answer.map_err(EngineError::Core);
    }
    let applied = group
        .submit_one(request, now)
        .map_err(|err| EngineError::Stopped { reason: format!("{partition} could not journal the call: {err}") })?;
    match applied.response {
        Reply::Ready(result) => result.map_err(EngineError::Core),
        // The kinds this slice routes here never park (see `locate`).
        Reply::Parked => Err(EngineError::Core(coterie_core::CoreError::invalid_request(
            "sharded",
            "the call parked, which the sharded engine does not serve yet",
        ))),
    }
}

/// A partition replica's dispatch: one copy, so every consistency level a single replica
/// meets is served (`AtLeast(n)` for n > 1 is refused); the call runs on a blocking thread,
/// bounded by the call's timeout.
impl Engine for Replica {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            options.consistency.check_majority(1, "call").map_err(EngineError::Core)?;
            let (group, partition, stale) = (Arc::clone(&self.group), self.partition, options.stale_read);
            let task = tokio::task::spawn_blocking(move || serve(&group, request, stale, partition));
            match tokio::time::timeout(options.timeout.max(Duration::from_millis(1)), task).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(join)) => Err(EngineError::Stopped { reason: format!("{partition}'s call failed: {join}") }),
                // The journaling thread goes on: the call may still be applied.
                Err(_) => Err(EngineError::Timeout { waited: options.timeout }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::counter::{CounterCommand, CounterOutput};
    use coterie_core::{ClientId, GroupCommand, InvocationId, StructureCommand, StructureOutput};

    use super::*;

    fn increment(by: i64, invocation: Option<InvocationId>) -> Request {
        let command = GroupCommand::Invoke {
            name: "hits".into(),
            command: StructureCommand::Counter(CounterCommand::Increment(by)),
        };
        Request { command, session: None, invocation }
    }

    fn value(output: GroupOutput) -> i64 {
        match output {
            GroupOutput::Structure(StructureOutput::Counter(CounterOutput::Value(value))) => value,
            other => panic!("not a counter value: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_retried_write_is_applied_once_also_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let storage = RedbStorage::open(&dir.path().join("coterie.redb")).unwrap();
        let partition = PartitionId(7);
        let replica = Replica::open(partition, PartitionLog::open(Some(&storage), partition).unwrap(), 1, 2).unwrap();
        let options = CallOptions::new(Duration::from_secs(10));
        let first = InvocationId { client: ClientId::MIN, seq: 1 };
        assert_eq!(value(replica.call(increment(5, Some(first)), options).await.unwrap()), 5);
        assert_eq!(value(replica.call(increment(5, Some(first)), options).await.unwrap()), 5, "answered again");
        let second = InvocationId { client: ClientId::MIN, seq: 2 };
        assert_eq!(value(replica.call(increment(2, Some(second)), options).await.unwrap()), 7);
        // The resend is journaled too (the dedup decision is part of applying), answered
        // from the record.
        assert_eq!(replica.applied_index(), 3);
        drop(replica);
        let replica = Replica::open(partition, PartitionLog::open(Some(&storage), partition).unwrap(), 1, 2).unwrap();
        assert_eq!(replica.applied_index(), 3, "replayed");
        assert_eq!(value(replica.call(increment(5, Some(first)), options).await.unwrap()), 5, "still deduplicated");
        let get = Request::internal(GroupCommand::Invoke {
            name: "hits".into(),
            command: StructureCommand::Counter(CounterCommand::Get),
        });
        assert_eq!(value(replica.call(get, options).await.unwrap()), 7);
        assert_eq!(replica.applied_index(), 4, "a read is not journaled");
        let strong = CallOptions { consistency: coterie_core::Consistency::AtLeast(2), ..options };
        assert!(matches!(replica.call(increment(1, None), strong).await, Err(EngineError::Core(_))));
        let log = storage.log(&log_name(partition)).unwrap();
        let last = log.log_state().unwrap().last.unwrap();
        assert_eq!((last.term, last.node, last.index), (1, 2, 4), "records are stamped (epoch, owner, index)");
    }
}
