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
//! - **Group commit**: the journal is blocking I/O, so calls join the partition's queue and
//!   a drain works it off on a blocking thread, a batch (up to 256 calls) per durable
//!   commit: calls that arrive while a batch is being journaled share the next commit. A
//!   read waits in the queue for the writes before it, so every call sees every call
//!   queued before it. Partitions drain in parallel (they share the node's redb writer).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::placement::PartitionId;
use coterie_core::{EngineError, GroupOutput, Reply, Timestamp};
use coterie_storage::{Entry, LogId, LogState, LogStore, MemoryLog, RedbLog, RedbStorage, SnapshotMeta, StorageError};
use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

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

/// The most calls journaled in one commit.
const MAX_BATCH: usize = 256;

/// A call waiting for its partition's next commit.
struct Pending {
    request: Request,
    stale_read: bool,
    reply: oneshot::Sender<Result<GroupOutput, EngineError>>,
}

/// The calls waiting for a commit, and whether a drain is running.
#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    draining: bool,
}

/// A partition's replica on its owner.
pub struct Replica {
    partition: PartitionId,
    group: Arc<Mutex<JournaledGroup<PartitionLog>>>,
    queue: Arc<Mutex<Queue>>,
    commits: Arc<AtomicU64>,
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
        Ok(Replica { partition, group: Arc::new(Mutex::new(group)), queue: Arc::default(), commits: Arc::default() })
    }

    /// The partition this replica serves.
    pub fn partition(&self) -> PartitionId {
        self.partition
    }

    /// Index of the last record applied.
    pub fn applied_index(&self) -> u64 {
        self.group.lock().unwrap_or_else(PoisonError::into_inner).applied_index()
    }

    /// How many journal commits this replica has made since it was opened (each carries a
    /// batch of one or more calls).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

fn unjournaled(partition: PartitionId, err: &crate::error::NodeError) -> EngineError {
    EngineError::Stopped { reason: format!("{partition} could not journal the call: {err}") }
}

/// Journals `writes` in one commit at `now` and answers each of them.
fn flush(
    group: &mut JournaledGroup<PartitionLog>,
    writes: &mut Vec<Pending>,
    now: Timestamp,
    partition: PartitionId,
    commits: &AtomicU64,
) {
    if writes.is_empty() {
        return;
    }
    let (requests, replies): (Vec<Request>, Vec<_>) =
        std::mem::take(writes).into_iter().map(|pending| (pending.request, pending.reply)).unzip();
    match group.submit(requests, now) {
        Ok(results) => {
            commits.fetch_add(1, Ordering::Relaxed);
            for (applied, reply) in results.into_iter().zip(replies) {
                let answer = match applied.response {
                    Reply::Ready(result) => result.map_err(EngineError::Core),
                    // The kinds this slice routes here never park (see `locate`).
                    Reply::Parked => Err(EngineError::Core(coterie_core::CoreError::invalid_request(
                        "sharded",
                        "the call parked, which the sharded engine does not serve yet",
                    ))),
                };
                // A caller that gave up no longer listens.
                let _ = reply.send(answer);
            }
        }
        // Nothing of the batch was applied.
        Err(err) => {
            for reply in replies {
                let _ = reply.send(Err(unjournaled(partition, &err)));
            }
        }
    }
}

/// Serves `batch` in order on `group` (blocking: the journal commits durably). Consecutive
/// writes share one commit; a read is answered from the state once the writes before it
/// are applied, so every call sees every call queued before it.
fn serve_batch(
    group: &Mutex<JournaledGroup<PartitionLog>>,
    batch: Vec<Pending>,
    partition: PartitionId,
    commits: &AtomicU64,
) {
    let now = wall_clock();
    // The lock guards no invariant a panicking holder could break half-way: a record is
    // applied only after its commit, and the group's state is whole between calls.
    let mut group = group.lock().unwrap_or_else(PoisonError::into_inner);
    let mut writes = Vec::new();
    for pending in batch {
        let read = (pending.stale_read || pending.request.invocation.is_none()) && pending.request.command.is_read();
        if !read {
            writes.push(pending);
            continue;
        }
        flush(&mut group, &mut writes, now, partition, commits);
        match group.read(&pending.request, now) {
            Some(answer) => {
                let _ = pending.reply.send(answer.map_err(EngineError::Core));
            }
            None => writes.push(pending),
        }
    }
    flush(&mut group, &mut writes, now, partition, commits);
}

impl Replica {
    /// Works off the queue, a batch per commit, until it is empty (group commit: calls
    /// that arrive while a batch is journaled go into the next one).
    async fn drain(
        queue: Arc<Mutex<Queue>>,
        group: Arc<Mutex<JournaledGroup<PartitionLog>>>,
        partition: PartitionId,
        commits: Arc<AtomicU64>,
    ) {
        loop {
            let batch = {
                let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
                if queue.pending.is_empty() {
                    queue.draining = false;
                    return;
                }
                let take = queue.pending.len().min(MAX_BATCH);
                queue.pending.drain(..take).collect::<Vec<_>>()
            };
            let (group, commits) = (Arc::clone(&group), Arc::clone(&commits));
            // A panic drops the batch's replies: its callers are answered `Stopped`.
            let _ = tokio::task::spawn_blocking(move || serve_batch(&group, batch, partition, &commits)).await;
        }
    }
}

/// A partition replica's dispatch: one copy, so every consistency level a single replica
/// meets is served (`AtLeast(n)` for n > 1 is refused). The call joins the partition's
/// queue, journaled with the calls queued beside it in one commit, and is answered within
/// its timeout (past it, it may still be applied: retry with the same invocation).
impl Engine for Replica {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            options.consistency.check_majority(1, "call").map_err(EngineError::Core)?;
            let (reply, answer) = oneshot::channel();
            let lead = {
                let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                queue.pending.push(Pending { request, stale_read: options.stale_read, reply });
                !std::mem::replace(&mut queue.draining, true)
            };
            if lead {
                let (queue, group, commits) =
                    (Arc::clone(&self.queue), Arc::clone(&self.group), Arc::clone(&self.commits));
                tokio::spawn(Replica::drain(queue, group, self.partition, commits));
            }
            let partition = self.partition;
            match tokio::time::timeout(options.timeout.max(Duration::from_millis(1)), answer).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(_)) => Err(EngineError::Stopped { reason: format!("{partition}'s journal thread failed") }),
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_calls_are_each_applied_once_in_shared_commits() {
        let partition = PartitionId(3);
        let replica = Arc::new(Replica::open(partition, PartitionLog::open(None, partition).unwrap(), 1, 1).unwrap());
        let options = CallOptions::new(Duration::from_secs(10));
        let calls: Vec<_> = (1..=64u64)
            .map(|seq| {
                let replica = Arc::clone(&replica);
                let invocation = InvocationId { client: ClientId::MIN, seq };
                tokio::spawn(async move { replica.call(increment(1, Some(invocation)), options).await })
            })
            .collect();
        let mut values = Vec::new();
        for call in calls {
            values.push(value(call.await.unwrap().unwrap()));
        }
        values.sort_unstable();
        assert_eq!(values, (1..=64).collect::<Vec<i64>>(), "every increment applied once, in some order");
        assert_eq!(replica.applied_index(), 64);
        assert!((1..=64).contains(&replica.commits()), "{} commits", replica.commits());
        let get = Request::internal(GroupCommand::Invoke {
            name: "hits".into(),
            command: StructureCommand::Counter(CounterCommand::Get),
        });
        assert_eq!(value(replica.call(get, options).await.unwrap()), 64);
    }
}
