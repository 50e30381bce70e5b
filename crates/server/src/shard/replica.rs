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

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::placement::PartitionId;
use coterie_core::{Effect, EngineError, EntityRegistry, GroupCommand, GroupOutput, Reply, Timestamp};
use futures_util::future::BoxFuture;
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::log::PartitionLog;
use super::parked::{self, CancelOnDrop};
use crate::engine::{CallOptions, Engine};
use crate::journal::{JournalConfig, JournaledGroup};
use crate::request::Request;
use crate::waiters::{Registration, Waiters};

/// The owner's wall clock, in milliseconds since the Unix epoch (see the module docs).
pub(super) fn wall_clock() -> Timestamp {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis());
    Timestamp(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// The most calls journaled in one commit.
const MAX_BATCH: usize = 256;

/// What the journal answered a call: its result, or that it parked (its result then
/// arrives through the replica's [`Waiters`]).
pub(super) enum Answer {
    /// The call's result.
    Ready(GroupOutput),
    /// The call waits in its structure.
    Parked,
}

/// What a call is answered through.
type AnswerTx = oneshot::Sender<Result<Answer, EngineError>>;

/// A call waiting for its partition's next commit.
struct Pending {
    request: Request,
    stale_read: bool,
    reply: AnswerTx,
}

/// The calls waiting for a commit, and whether a drain is running.
#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    draining: bool,
}

/// What a replica's calls, its ticker and its cancel guards share.
pub(super) struct Shared {
    partition: PartitionId,
    group: Mutex<JournaledGroup<PartitionLog>>,
    queue: Mutex<Queue>,
    commits: AtomicU64,
    /// The calls in flight here, registered before they are queued so that a wake applied
    /// in their own batch finds them; a parked caller's is completed by the wake.
    pub(super) waiters: Waiters,
    /// How many of them are parked now: answered `Parked` and waiting for their wake
    /// (`waiters` also holds the calls not yet answered).
    pub(super) parked: AtomicUsize,
    /// Notified after every batch, so the ticker looks at the next deadline again.
    pub(super) deadlines: Arc<Notify>,
    /// Set by [`Replica::close`]: new calls are refused.
    closed: AtomicBool,
    /// Set by [`Replica::seal`] while the partition is handed to another member: new calls
    /// are answered with a redirect (nothing applied: the router routes them again).
    sealed: AtomicBool,
}

impl Shared {
    /// Queues `request` for the next commit (starting a drain if none runs) and answers
    /// where its answer will arrive. A closed replica answers `Stopped` at once.
    pub(super) fn submit(
        self: &Arc<Self>,
        request: Request,
        stale_read: bool,
    ) -> oneshot::Receiver<Result<Answer, EngineError>> {
        let (reply, answer) = oneshot::channel();
        if self.closed.load(Ordering::SeqCst) {
            let _ = reply.send(Err(self.stopped("the partition replica closed (the member is stopping)")));
            return answer;
        }
        let lead = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked under the queue's lock: `seal` sets it under the same lock, so once it
            // returns no call joins the queue.
            if self.sealed.load(Ordering::SeqCst) {
                let _ = reply.send(Err(EngineError::Redirect { member: None, address: None }));
                return answer;
            }
            queue.pending.push(Pending { request, stale_read, reply });
            !std::mem::replace(&mut queue.draining, true)
        };
        if lead {
            tokio::spawn(Shared::drain(Arc::clone(self)));
        }
        answer
    }

    /// The earliest deadline of a parked call or a lease in this partition.
    pub(super) fn next_deadline(&self) -> Option<Timestamp> {
        self.group.lock().unwrap_or_else(PoisonError::into_inner).group().next_deadline()
    }

    pub(super) fn stopped(&self, why: &str) -> EngineError {
        EngineError::Stopped { reason: format!("{}: {why}", self.partition) }
    }

    /// The state a sealed replica hands over (see [`Replica::seal`]): parked calls
    /// cancelled in the journal first, then a snapshot of the group and its last index.
    fn handoff_state(&self) -> Result<Handoff, EngineError> {
        let mut group = self.group.lock().unwrap_or_else(PoisonError::into_inner);
        let parked: Vec<Request> = group
            .group()
            .parked()
            .into_iter()
            .map(|invocation| Request::internal(GroupCommand::Cancel { invocation }))
            .collect();
        if !parked.is_empty() {
            let applied = group
                .submit(parked, wall_clock())
                .map_err(|err| self.stopped(&format!("could not journal the handoff's cancels: {err}")))?;
            for Effect::Wake { invocation, result } in applied.into_iter().flat_map(|applied| applied.effects) {
                self.waiters.complete(invocation, result);
            }
        }
        let snapshot = group.snapshot().map_err(|err| self.stopped(&format!("could not snapshot: {err}")))?;
        Ok(Handoff { index: group.applied_index(), snapshot })
    }

    /// Works off the queue, a batch per commit, until it is empty (group commit: calls
    /// that arrive while a batch is journaled go into the next one), or, once the replica is
    /// closed, answers what is left `Stopped`.
    async fn drain(self: Arc<Self>) {
        loop {
            let batch = {
                let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                if self.closed.load(Ordering::SeqCst) {
                    // Closed: what is still queued is answered, not journaled, so the journal
                    // (and the data file) is let go as soon as the batch in flight ends.
                    for pending in queue.pending.drain(..) {
                        let _ = pending
                            .reply
                            .send(Err(self.stopped("the partition replica closed (the member is stopping)")));
                    }
                }
                if queue.pending.is_empty() {
                    queue.draining = false;
                    return;
                }
                let take = queue.pending.len().min(MAX_BATCH);
                queue.pending.drain(..take).collect::<Vec<_>>()
            };
            let shared = Arc::clone(&self);
            // A panic drops the batch's replies: its callers are answered `Stopped`.
            let _ = tokio::task::spawn_blocking(move || shared.serve_batch(batch)).await;
            self.deadlines.notify_one();
        }
    }

    /// Serves `batch` in order (blocking: the journal commits durably). Consecutive writes
    /// share one commit; a read is answered from the state once the writes before it are
    /// applied, so every call sees every call queued before it.
    fn serve_batch(&self, batch: Vec<Pending>) {
        let now = wall_clock();
        // The lock guards no invariant a panicking holder could break half-way: a record is
        // applied only after its commit, and the group's state is whole between calls.
        let mut group = self.group.lock().unwrap_or_else(PoisonError::into_inner);
        let mut writes = Vec::new();
        for pending in batch {
            let read =
                (pending.stale_read || pending.request.invocation.is_none()) && pending.request.command.is_read();
            if !read {
                writes.push(pending);
                continue;
            }
            self.flush(&mut group, &mut writes, now);
            match group.read(&pending.request, now) {
                Some(answer) => {
                    let _ = pending.reply.send(answer.map(Answer::Ready).map_err(EngineError::Core));
                }
                None => writes.push(pending),
            }
        }
        self.flush(&mut group, &mut writes, now);
    }

    /// Journals `writes` in one commit at `now`, delivers the wakes their records caused,
    /// and answers each of them.
    fn flush(&self, group: &mut JournaledGroup<PartitionLog>, writes: &mut Vec<Pending>, now: Timestamp) {
        if writes.is_empty() {
            return;
        }
        let (requests, replies): (Vec<Request>, Vec<_>) =
            std::mem::take(writes).into_iter().map(|pending| (pending.request, pending.reply)).unzip();
        match group.submit(requests, now) {
            Ok(results) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                for (applied, reply) in results.into_iter().zip(replies) {
                    // Wakes first: a call parked earlier in this batch is registered already.
                    for Effect::Wake { invocation, result } in applied.effects {
                        self.waiters.complete(invocation, result);
                    }
                    let answer = match applied.response {
                        Reply::Ready(result) => result.map(Answer::Ready).map_err(EngineError::Core),
                        Reply::Parked => Ok(Answer::Parked),
                    };
                    // A caller that gave up no longer listens.
                    let _ = reply.send(answer);
                }
            }
            // Nothing of the batch was applied.
            Err(err) => {
                tracing::error!(
                    target: "coterie::storage",
                    "{}: could not journal a batch of {} calls (refused, nothing applied): {err}",
                    self.partition,
                    replies.len()
                );
                for reply in replies {
                    let _ = reply.send(Err(self.stopped(&format!("could not journal the call: {err}"))));
                }
            }
        }
    }
}

/// What a sealed replica hands to the partition's next owner: the group's snapshot and
/// the index of the last record it covers (the next owner continues the log after it, so
/// indexes, and the fences drawn from them, keep increasing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handoff {
    /// Index of the last record applied.
    pub index: u64,
    /// The group's snapshot.
    pub snapshot: Vec<u8>,
}

/// A partition's replica on its owner.
pub struct Replica {
    shared: Arc<Shared>,
    /// The entity types this replica applies: an entity call is checked against them
    /// before it is journaled.
    entities: EntityRegistry,
    /// The task that ticks the partition's deadlines, started on first need.
    ticker: OnceLock<AbortHandle>,
}

impl Replica {
    /// Opens partition `partition`'s replica on `log`, replaying its journal (blocking
    /// I/O: call it on a blocking thread), stamping new records with `epoch` and `owner`.
    ///
    /// Calls parked when the journal was last written had callers in the process that
    /// wrote it; those are gone (their calls failed with the connection), so opening
    /// journals a `Cancel` for each: the structures forget them (a barrier arrival
    /// withdraws, a lock or permit is never granted to nobody), and a resend of such a
    /// call is answered `cancelled` from its record.
    pub fn open(
        partition: PartitionId,
        log: PartitionLog,
        epoch: u64,
        owner: u64,
    ) -> Result<Replica, crate::error::NodeError> {
        Replica::open_with(partition, log, epoch, owner, EntityRegistry::default())
    }

    /// [`Replica::open`] for a member serving the user entity types of `entities`: they
    /// apply the partition's entity commands, on replay too, and a call naming a type that
    /// is not among them is refused before it is journaled.
    pub fn open_with(
        partition: PartitionId,
        log: PartitionLog,
        epoch: u64,
        owner: u64,
        entities: EntityRegistry,
    ) -> Result<Replica, crate::error::NodeError> {
        let mut group = JournaledGroup::open_with(log, JournalConfig::default(), entities.clone())?;
        group.stamp_with(epoch, owner);
        let orphans: Vec<Request> = group
            .group()
            .parked()
            .into_iter()
            .map(|invocation| Request::internal(GroupCommand::Cancel { invocation }))
            .collect();
        if !orphans.is_empty() {
            group.submit(orphans, wall_clock())?;
        }
        let shared = Arc::new(Shared {
            partition,
            group: Mutex::new(group),
            queue: Mutex::default(),
            commits: AtomicU64::new(0),
            waiters: Waiters::default(),
            parked: AtomicUsize::new(0),
            deadlines: Arc::new(Notify::new()),
            closed: AtomicBool::new(false),
            sealed: AtomicBool::new(false),
        });
        let replica = Replica { shared, entities, ticker: OnceLock::new() };
        // On a runtime's thread (blocking ones included) the ticker starts now, so leases
        // and timeouts replayed from the journal fire without waiting for a call.
        if tokio::runtime::Handle::try_current().is_ok() {
            replica.start_ticker();
        }
        Ok(replica)
    }

    fn start_ticker(&self) {
        self.ticker.get_or_init(|| {
            let deadlines = Arc::clone(&self.shared.deadlines);
            tokio::spawn(parked::tick_loop(Arc::downgrade(&self.shared), deadlines)).abort_handle()
        });
    }

    /// The partition this replica serves.
    pub fn partition(&self) -> PartitionId {
        self.shared.partition
    }

    /// Index of the last record applied.
    pub fn applied_index(&self) -> u64 {
        self.shared.group.lock().unwrap_or_else(PoisonError::into_inner).applied_index()
    }

    /// How many journal commits this replica has made since it was opened (each carries a
    /// batch of one or more calls).
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    /// How many callers are parked on this replica now (a blocking call answered `Parked`
    /// and waiting for its wake; not the calls still queued or being journaled).
    pub fn parked_callers(&self) -> usize {
        self.shared.parked.load(Ordering::SeqCst)
    }

    /// Seals the replica for a handoff and answers the state to hand over: from now on a
    /// new call is answered with a redirect (nothing applied; the router routes it again
    /// once the move is decided), the calls already queued are served first, and every
    /// call still parked is cancelled in the journal and answered `cancelled` (as a
    /// restart does: its caller calls again, at the new owner). The snapshot is taken after
    /// that, so it holds every write this replica acknowledged and no parked call.
    pub async fn seal(&self, timeout: Duration) -> Result<Handoff, EngineError> {
        {
            let _queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            self.shared.sealed.store(true, Ordering::SeqCst);
        }
        let deadline = Instant::now() + timeout;
        // Bounded: a drain works off what was queued before the seal, and nothing joins.
        while {
            let queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.draining || !queue.pending.is_empty()
        } {
            if Instant::now() >= deadline {
                return Err(self.shared.stopped("the calls queued before the handoff did not finish in time"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || shared.handoff_state())
            .await
            .map_err(|err| self.shared.stopped(&format!("the handoff snapshot failed: {err}")))?
    }

    /// Serves calls again after a handoff that did not happen (the move was cancelled).
    pub fn unseal(&self) {
        self.shared.sealed.store(false, Ordering::SeqCst);
    }

    /// Whether the replica is sealed for a handoff.
    pub fn is_sealed(&self) -> bool {
        self.shared.sealed.load(Ordering::SeqCst)
    }

    /// Stops serving: new calls are answered `Stopped`, the ticker stops, and parked
    /// callers are answered `Stopped` now rather than at their deadlines, so the journal
    /// is released as soon as the calls in flight end.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        if let Some(ticker) = self.ticker.get() {
            ticker.abort();
        }
        self.shared.waiters.clear();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.get() {
            ticker.abort();
        }
    }
}

/// A partition replica's dispatch: one copy, so every consistency level a single replica
/// meets is served (`AtLeast(n)` for n > 1 is refused). The call joins the partition's
/// queue, journaled with the calls queued beside it in one commit, and is answered within
/// its timeout (past it, it may still be applied: retry with the same invocation). A call
/// that parks waits for its wake within the same timeout (see [`parked`]).
impl Engine for Replica {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            options.consistency.check_majority(1, "call").map_err(EngineError::Core)?;
            // Refused here, not journaled: an unknown type or a command that does not decode.
            if let GroupCommand::Entity(call) = &request.command {
                self.entities.check(call).map_err(EngineError::Core)?;
            }
            self.start_ticker();
            let shared = &self.shared;
            let timeout = options.timeout.max(Duration::from_millis(1));
            let deadline = Instant::now() + timeout;
            // Registered before the call is queued: its wake may be applied in its batch.
            let registration = request.invocation.map(|invocation| Registration::new(&shared.waiters, invocation));
            // Armed until the call answers: a caller that goes away first cancels it.
            let guard = request
                .invocation
                .filter(|_| !options.keep_parked)
                .map(|invocation| CancelOnDrop::new(shared, invocation));
            let answer = match tokio::time::timeout_at(deadline, shared.submit(request, options.stale_read)).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(_)) => Err(shared.stopped("the journal thread failed")),
                // The guard, dropped armed, cancels the call should it park later.
                Err(_) => return Err(EngineError::Timeout { waited: options.timeout }),
            };
            let result = match (answer, registration) {
                (Ok(Answer::Ready(output)), _) => Ok(output),
                (Ok(Answer::Parked), Some((registration, wake))) => {
                    parked::await_wake(shared, registration, wake, deadline, options).await
                }
                (Ok(Answer::Parked), None) => {
                    Err(shared.stopped("a call without an invocation id was parked, so it could never be woken"))
                }
                (Err(err), _) => Err(err),
            };
            if let Some(guard) = guard {
                guard.disarm();
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::counter::{CounterCommand, CounterOutput};
    use coterie_core::{ClientId, GroupCommand, InvocationId, StructureCommand, StructureOutput};
    use coterie_storage::{LogStore, RedbStorage};

    use super::*;
    use crate::shard::log::log_name;

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
