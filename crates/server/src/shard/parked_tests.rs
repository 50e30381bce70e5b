//! Parked calls and deadlines on one partition replica, without the network: the wakes,
//! the ticks, a caller that goes away, and a reopening.

use std::sync::Arc;
use std::time::Duration;

use coterie_core::kinds::barrier::{BarrierCommand, BarrierOutput};
use coterie_core::kinds::lock::{LockCommand, LockOutput};
use coterie_core::kinds::queue::{QueueCommand, QueueOutput};
use coterie_core::placement::PartitionId;
use coterie_core::{
    ClientId, CoreError, EngineError, Fence, GroupCommand, GroupOutput, InvocationId, OwnerId, StructureCommand,
    StructureOutput,
};
use coterie_storage::RedbStorage;
use tokio::time::Instant;

use crate::engine::{CallOptions, Engine};
use crate::request::Request;
use crate::shard::log::PartitionLog;
use crate::shard::replica::Replica;

const LONG: Duration = Duration::from_secs(10);

fn invocation(seq: u64) -> InvocationId {
    InvocationId { client: ClientId::MIN, seq }
}

fn invoke(name: &str, command: StructureCommand, seq: Option<u64>) -> Request {
    let command = GroupCommand::Invoke { name: name.to_owned(), command };
    Request { command, session: None, invocation: seq.map(invocation) }
}

fn memory_replica() -> Arc<Replica> {
    let partition = PartitionId(5);
    Arc::new(Replica::open(partition, PartitionLog::open(None, partition).unwrap(), 1, 1).unwrap())
}

fn queue_item(output: GroupOutput) -> Option<Vec<u8>> {
    match output {
        GroupOutput::Structure(StructureOutput::Queue(QueueOutput::Item(item))) => item,
        other => panic!("not a queue item: {other:?}"),
    }
}

fn fence(output: GroupOutput) -> Fence {
    match output {
        GroupOutput::Structure(StructureOutput::Lock(LockOutput::Fence(fence))) => fence,
        other => panic!("not a fence: {other:?}"),
    }
}

/// Polls `check` until it holds, failing after ten seconds.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !check() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_take_is_released_by_an_enqueue_and_a_timed_take_answers_none() {
    let replica = memory_replica();
    let options = CallOptions::new(LONG);
    let taker = {
        let replica = Arc::clone(&replica);
        let take = invoke("jobs", StructureCommand::Queue(QueueCommand::Take { timeout: None }), Some(1));
        tokio::spawn(async move { replica.call(take, options).await })
    };
    eventually("the take parks", || replica.parked_callers() == 1).await;
    let enqueue = invoke("jobs", StructureCommand::Queue(QueueCommand::Enqueue(b"a".to_vec())), Some(2));
    replica.call(enqueue, options).await.unwrap();
    assert_eq!(queue_item(taker.await.unwrap().unwrap()), Some(b"a".to_vec()), "handed to the taker");

    // A take with its own timeout is answered `None` by the partition's tick.
    let started = Instant::now();
    let take = invoke(
        "jobs",
        StructureCommand::Queue(QueueCommand::Take { timeout: Some(Duration::from_millis(100)) }),
        Some(3),
    );
    assert_eq!(queue_item(replica.call(take, options).await.unwrap()), None);
    assert!(started.elapsed() >= Duration::from_millis(100), "not before its timeout");
    assert_eq!(replica.parked_callers(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_waiters_are_granted_in_arrival_order_with_increasing_fences_and_leases_expire() {
    let replica = memory_replica();
    let options = CallOptions::new(LONG);
    let acquire = |owner: u128, seq: u64| {
        invoke("l", StructureCommand::Lock(LockCommand::Acquire { owner: OwnerId(owner), lease: None }), Some(seq))
    };
    let release = |owner: u128, seq: u64| {
        invoke("l", StructureCommand::Lock(LockCommand::Release { owner: OwnerId(owner) }), Some(seq))
    };
    let first = fence(replica.call(acquire(1, 1), options).await.unwrap());
    let mut waiters = Vec::new();
    for (owner, seq) in [(2, 2), (3, 3)] {
        let caller = Arc::clone(&replica);
        let call = acquire(owner, seq);
        waiters.push(tokio::spawn(async move { caller.call(call, options).await }));
        let parked = waiters.len();
        eventually("the acquire parks", || replica.parked_callers() == parked).await;
    }
    replica.call(release(1, 4), options).await.unwrap();
    let second = fence(waiters.remove(0).await.unwrap().unwrap());
    replica.call(release(2, 5), options).await.unwrap();
    let third = fence(waiters.remove(0).await.unwrap().unwrap());
    assert!(first < second && second < third, "{first:?} {second:?} {third:?}");
    // A non-holder's release answers false.
    let not_held = replica.call(release(9, 6), options).await.unwrap();
    assert_eq!(not_held, GroupOutput::Structure(StructureOutput::Lock(LockOutput::Bool(false))));
    replica.call(release(3, 7), options).await.unwrap();

    // A lease ends in the partition's tick, with no call to drive it.
    let leased = invoke(
        "l",
        StructureCommand::Lock(LockCommand::Acquire { owner: OwnerId(4), lease: Some(Duration::from_millis(50)) }),
        Some(8),
    );
    replica.call(leased, options).await.unwrap();
    let is_locked = || invoke("l", StructureCommand::Lock(LockCommand::IsLocked), None);
    let unlocked = GroupOutput::Structure(StructureOutput::Lock(LockOutput::Bool(false)));
    let deadline = Instant::now() + LONG;
    while replica.call(is_locked(), options).await.unwrap() != unlocked {
        assert!(Instant::now() < deadline, "the lease never ended");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_goes_away_or_times_out_is_cancelled_and_a_kept_place_is_still_waiting() {
    let replica = memory_replica();
    let options = CallOptions::new(LONG);
    let arrive =
        |seq| invoke("b", StructureCommand::Barrier(BarrierCommand::Arrive { expected: 2, timeout: None }), Some(seq));
    let waiting = || invoke("b", StructureCommand::Barrier(BarrierCommand::Waiting), None);
    let count = |n| GroupOutput::Structure(StructureOutput::Barrier(BarrierOutput::Count(n)));

    // Dropped: the arrival withdraws.
    let dropped = {
        let replica = Arc::clone(&replica);
        let call = arrive(1);
        tokio::spawn(async move { replica.call(call, options).await })
    };
    eventually("the arrival parks", || replica.parked_callers() == 1).await;
    dropped.abort();
    let deadline = Instant::now() + LONG;
    while replica.call(waiting(), options).await.unwrap() != count(0) {
        assert!(Instant::now() < deadline, "the dropped arrival never withdrew");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Timed out: cancelled too.
    let short = CallOptions::new(Duration::from_millis(50));
    assert!(matches!(replica.call(arrive(2), short).await, Err(EngineError::Timeout { .. })));
    assert_eq!(replica.call(waiting(), options).await.unwrap(), count(0));

    // Kept: still parked, and a resend of the same invocation goes on waiting.
    let keep = CallOptions { keep_parked: true, ..short };
    assert_eq!(replica.call(arrive(3), keep).await, Err(EngineError::StillParked { invocation: invocation(3) }));
    assert_eq!(replica.call(waiting(), options).await.unwrap(), count(1));
    let resent = {
        let replica = Arc::clone(&replica);
        tokio::spawn(async move { replica.call(arrive(3), options).await })
    };
    eventually("the resend waits", || replica.parked_callers() == 1).await;
    let released = replica.call(arrive(4), options).await.unwrap();
    let round = GroupOutput::Structure(StructureOutput::Barrier(BarrierOutput::Released { round: 0 }));
    assert_eq!(released, round);
    assert_eq!(resent.await.unwrap().unwrap(), round, "both released at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_cancels_the_calls_parked_before_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("coterie.redb")).unwrap();
    let partition = PartitionId(9);
    let open =
        || Arc::new(Replica::open(partition, PartitionLog::open(Some(&storage), partition).unwrap(), 1, 1).unwrap());
    let replica = open();
    let options = CallOptions::new(LONG);
    let acquire = |owner: u128, seq| {
        invoke("l", StructureCommand::Lock(LockCommand::Acquire { owner: OwnerId(owner), lease: None }), Some(seq))
    };
    let holder = fence(replica.call(acquire(1, 1), options).await.unwrap());
    let waiter = {
        let replica = Arc::clone(&replica);
        tokio::spawn(async move { replica.call(acquire(2, 2), options).await })
    };
    eventually("the acquire parks", || replica.parked_callers() == 1).await;
    replica.close();
    assert!(matches!(waiter.await.unwrap(), Err(EngineError::Stopped { .. })), "closing answers parked callers");
    drop(replica);

    let replica = open();
    // The parked acquire was cancelled on reopening: a resend is answered from its record.
    let resent = replica.call(acquire(2, 2), options).await;
    assert!(matches!(resent, Err(EngineError::Core(CoreError::Cancelled { .. }))), "{resent:?}");
    // The holding was journaled and survives; releasing it grants nobody.
    let holder_now =
        replica.call(invoke("l", StructureCommand::Lock(LockCommand::Holder), None), options).await.unwrap();
    assert_eq!(
        holder_now,
        GroupOutput::Structure(StructureOutput::Lock(LockOutput::Holder(Some((OwnerId(1), holder)))))
    );
    let released = replica
        .call(invoke("l", StructureCommand::Lock(LockCommand::Release { owner: OwnerId(1) }), Some(3)), options)
        .await;
    assert_eq!(released.unwrap(), GroupOutput::Structure(StructureOutput::Lock(LockOutput::Bool(true))));
    let free = replica.call(invoke("l", StructureCommand::Lock(LockCommand::IsLocked), None), options).await.unwrap();
    assert_eq!(free, GroupOutput::Structure(StructureOutput::Lock(LockOutput::Bool(false))));
}
