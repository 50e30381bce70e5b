//! Queue, Lock, Semaphore and Barrier on sharded targets, over real loopback members
//! (`support::Cluster`): every call goes through a member that does not own the
//! structure's partition (forwarded one hop), parked calls are released by calls through
//! another member, and a restarted owner replays its journal and fails the calls that were
//! parked on it. Every wait is bounded (`support::eventually`); no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_core::kinds::barrier::{BarrierCommand, BarrierOutput};
use coterie_core::kinds::lock::{LockCommand, LockOutput};
use coterie_core::kinds::queue::{QueueCommand, QueueConfig, QueueOutput};
use coterie_core::kinds::semaphore::{SemaphoreCommand, SemaphoreConfig, SemaphoreOutput};
use coterie_core::placement::{Layout, PartitionTable};
use coterie_core::{
    ClientId, CoreError, EngineError, Fence, GroupCommand, GroupOutput, InvocationId, Kind, OwnerId, StructureCommand,
    StructureOutput, StructureSpec, Target,
};
use coterie_server::{CallOptions, Request};
use support::{Cluster, cp_config, eventually};

const SHARDS: u32 = 100;

fn target() -> Target {
    Target::Sharded { shards: SHARDS }
}

fn options() -> CallOptions {
    CallOptions::new(Duration::from_secs(20))
}

/// Invocation `seq` of one test client.
fn inv(seq: u64) -> Option<InvocationId> {
    Some(InvocationId { client: ClientId::new(42).unwrap(), seq })
}

fn invoke(name: &str, command: StructureCommand, invocation: Option<InvocationId>) -> Request {
    Request { command: GroupCommand::Invoke { name: name.to_owned(), command }, session: None, invocation }
}

fn create(name: &str, spec: StructureSpec) -> Request {
    Request::internal(GroupCommand::Create { name: name.to_owned(), spec })
}

fn structure(output: GroupOutput) -> StructureOutput {
    match output {
        GroupOutput::Structure(output) => output,
        other => panic!("not a structure answer: {other:?}"),
    }
}

fn fence(output: GroupOutput) -> Fence {
    match structure(output) {
        StructureOutput::Lock(LockOutput::Fence(fence)) => fence,
        other => panic!("not a fence: {other:?}"),
    }
}

async fn settled_table(cluster: &Cluster) -> PartitionTable {
    eventually("every member applies one partition table over the three members", async || {
        let tables: Vec<_> = cluster.nodes.values().map(|node| node.partition_table()).collect();
        tables.iter().all(|table| table.as_ref().is_some_and(|table| table.up_members() == [1, 2, 3]))
            && tables.windows(2).all(|pair| pair[0] == pair[1])
    })
    .await;
    cluster.nodes.values().next().unwrap().partition_table().unwrap()
}

/// Two members that do not own `name` of `kind`, and its owner.
fn others(table: &PartitionTable, kind: Kind, name: &str) -> (u64, u64, u64) {
    let owner = table.owner_of(Layout::of(kind, SHARDS), name, &[]).unwrap();
    let mut rest = (1..=3).filter(|id| *id != owner);
    (rest.next().unwrap(), rest.next().unwrap(), owner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_lock_semaphore_and_barrier_are_served_through_members_that_do_not_own_them() {
    let mut cluster = Cluster::start(3).await;
    let sharded = target();
    let table = settled_table(&cluster).await;

    // Queue: FIFO, a blocking take through one member released by an enqueue through another.
    let (a, b, owner) = others(&table, Kind::Queue, "jobs");
    let q = |command| StructureCommand::Queue(command);
    let take =
        cluster.nodes[&a].call(&sharded, invoke("jobs", q(QueueCommand::Take { timeout: None }), inv(1)), options());
    let enqueue = async {
        // The take parks on the owner first, so the enqueue hands it the item.
        eventually("the take parks on the queue's owner", async || cluster.nodes[&owner].parked_sharded_callers() == 1)
            .await;
        let item = q(QueueCommand::Enqueue(b"item-1".to_vec()));
        cluster.nodes[&b].call(&target(), invoke("jobs", item, inv(100)), options()).await.unwrap();
    };
    let (taken, ()) = tokio::join!(take, enqueue);
    assert_eq!(structure(taken.unwrap()), StructureOutput::Queue(QueueOutput::Item(Some(b"item-1".to_vec()))));
    let timed = invoke("jobs", q(QueueCommand::Take { timeout: Some(Duration::from_millis(100)) }), inv(2));
    let drained = cluster.nodes[&a].call(&target(), timed, options()).await.unwrap();
    assert_eq!(
        structure(drained),
        StructureOutput::Queue(QueueOutput::Item(None)),
        "a timed take answers none when empty"
    );

    // Lock: FIFO waiters through non-owners, fences increasing, a non-holder's release false.
    let (a, b, _) = others(&table, Kind::Lock, "deploy");
    let acquire = |owner: u128, seq| {
        invoke("deploy", StructureCommand::Lock(LockCommand::Acquire { owner: OwnerId(owner), lease: None }), inv(seq))
    };
    let release = |owner: u128, seq| {
        invoke("deploy", StructureCommand::Lock(LockCommand::Release { owner: OwnerId(owner) }), inv(seq))
    };
    let first = fence(cluster.nodes[&a].call(&target(), acquire(1, 10), options()).await.unwrap());
    let waiting = cluster.nodes[&b].call(&sharded, acquire(2, 11), options());
    let releases = async {
        let not_held = cluster.nodes[&a].call(&target(), release(9, 12), options()).await.unwrap();
        assert_eq!(structure(not_held), StructureOutput::Lock(LockOutput::Bool(false)));
        let released = cluster.nodes[&a].call(&target(), release(1, 13), options()).await.unwrap();
        assert_eq!(structure(released), StructureOutput::Lock(LockOutput::Bool(true)));
    };
    let (second, ()) = tokio::join!(waiting, releases);
    let second = fence(second.unwrap());
    assert!(second > first, "fences increase: {first:?} then {second:?}");

    // Semaphore: created with two permits; one owner may hold both; a third try fails.
    let (a, b, _) = others(&table, Kind::Semaphore, "pool");
    cluster.nodes[&a]
        .call(&target(), create("pool", StructureSpec::Semaphore(SemaphoreConfig { permits: 2 })), options())
        .await
        .unwrap();
    let sem = |command| invoke("pool", StructureCommand::Semaphore(command), None);
    for seq in [20, 21] {
        let acquire = invoke(
            "pool",
            StructureCommand::Semaphore(SemaphoreCommand::Acquire { owner: OwnerId(5), lease: None }),
            inv(seq),
        );
        cluster.nodes[&b].call(&target(), acquire, options()).await.unwrap();
    }
    let held = cluster.nodes[&a]
        .call(&target(), sem(SemaphoreCommand::HeldBy { owner: OwnerId(5) }), options())
        .await
        .unwrap();
    assert_eq!(structure(held), StructureOutput::Semaphore(SemaphoreOutput::Count(2)));
    let try_third = invoke(
        "pool",
        StructureCommand::Semaphore(SemaphoreCommand::TryAcquire { owner: OwnerId(6), lease: None, timeout: None }),
        inv(22),
    );
    assert_eq!(
        structure(cluster.nodes[&a].call(&target(), try_third, options()).await.unwrap()),
        StructureOutput::Semaphore(SemaphoreOutput::Bool(false))
    );

    // Barrier: two arrivals through two non-owners are released at once; a mismatched
    // `expected` is a clear error.
    let (a, b, _) = others(&table, Kind::Barrier, "phase-1");
    let arrive = |expected, seq| {
        invoke("phase-1", StructureCommand::Barrier(BarrierCommand::Arrive { expected, timeout: None }), inv(seq))
    };
    let first = cluster.nodes[&a].call(&sharded, arrive(2, 30), options());
    let waiting = || invoke("phase-1", StructureCommand::Barrier(BarrierCommand::Waiting), None);
    let others_arrive = async {
        eventually("the first arrival parks", async || {
            structure(cluster.nodes[&b].call(&target(), waiting(), options()).await.unwrap())
                == StructureOutput::Barrier(BarrierOutput::Count(1))
        })
        .await;
        let mismatched = cluster.nodes[&b].call(&target(), arrive(3, 31), options()).await.unwrap_err();
        assert!(matches!(mismatched, EngineError::Core(CoreError::BarrierMismatch { .. })), "{mismatched:?}");
        let text = mismatched.to_string();
        assert!(text.contains("expects 2 parties but this arrival said 3"), "{text}");
        cluster.nodes[&b].call(&target(), arrive(2, 32), options()).await.unwrap()
    };
    let (first, second) = tokio::join!(first, others_arrive);
    let round = StructureOutput::Barrier(BarrierOutput::Released { round: 0 });
    assert_eq!(structure(second), round);
    assert_eq!(structure(first.unwrap()), round, "released at once");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_on_sharded_kinds_is_refused_with_a_clear_error() {
    let mut cluster = Cluster::start(3).await;
    let table = settled_table(&cluster).await;
    let (a, _, _) = others(&table, Kind::Queue, "jobs");
    let node = &cluster.nodes[&a];
    node.call(
        &target(),
        invoke("jobs", StructureCommand::Queue(QueueCommand::Enqueue(b"x".to_vec())), inv(1)),
        options(),
    )
    .await
    .unwrap();
    // The name is a queue: a lock of that name is the wrong kind (both live in its partition).
    let lock = invoke("jobs", StructureCommand::Lock(LockCommand::Acquire { owner: OwnerId(1), lease: None }), inv(2));
    let wrong = node.call(&target(), lock, options()).await.unwrap_err();
    assert!(matches!(wrong, EngineError::Core(CoreError::WrongKind { .. })), "{wrong:?}");
    assert!(wrong.to_string().contains("jobs"), "{wrong}");
    // A zero lease, a capacity that conflicts with the queue as created, zero permits.
    let zero = invoke(
        "l",
        StructureCommand::Lock(LockCommand::Acquire { owner: OwnerId(1), lease: Some(Duration::ZERO) }),
        inv(3),
    );
    assert!(matches!(
        node.call(&target(), zero, options()).await,
        Err(EngineError::Core(CoreError::InvalidArgument { .. }))
    ));
    let conflict = node
        .call(&target(), create("jobs", StructureSpec::Queue(QueueConfig { capacity: Some(1) })), options())
        .await
        .unwrap_err();
    assert!(matches!(conflict, EngineError::Core(CoreError::ConfigConflict { .. })), "{conflict:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_owner_replays_its_queue_and_fails_the_calls_parked_on_it() {
    let mut cluster = Cluster::start_with(3, true, cp_config()).await;
    let table = settled_table(&cluster).await;
    let (c, _, blocked_owner) = others(&table, Kind::Barrier, "gate");
    // A queue on the same owner, so one restart covers both.
    let work =
        (0..).map(|i| format!("work-{i}")).find(|name| others(&table, Kind::Queue, name).2 == blocked_owner).unwrap();
    let work = work.as_str();
    let a = c;
    let q = |command| StructureCommand::Queue(command);
    for (i, item) in [b"one", b"two"].into_iter().enumerate() {
        let enqueue = invoke(work, q(QueueCommand::Enqueue(item.to_vec())), inv(1 + i as u64));
        cluster.nodes[&a].call(&target(), enqueue, options()).await.unwrap();
    }
    // An arrival at a barrier parks; its owner restarts.
    let waiting = || invoke("gate", StructureCommand::Barrier(BarrierCommand::Waiting), None);
    // The arrival keeps its place when its attempt ends: parked with no caller waiting.
    let arrive =
        || invoke("gate", StructureCommand::Barrier(BarrierCommand::Arrive { expected: 2, timeout: None }), inv(10));
    let keep = CallOptions { keep_parked: true, ..CallOptions::new(Duration::from_millis(300)) };
    let kept = cluster.nodes[&c].call(&target(), arrive(), keep).await;
    assert!(matches!(kept, Err(EngineError::StillParked { .. })), "{kept:?}");
    assert_eq!(
        structure(cluster.nodes[&c].call(&target(), waiting(), options()).await.unwrap()),
        StructureOutput::Barrier(BarrierOutput::Count(1))
    );
    cluster.stop(blocked_owner).await;
    cluster.restart(blocked_owner).await;
    let dequeue = || invoke(work, q(QueueCommand::Dequeue), inv(20));
    eventually("the restarted owner serves again", async || {
        cluster.nodes[&a].call(&target(), invoke(work, q(QueueCommand::Size), None), options()).await.is_ok()
    })
    .await;
    let first = cluster.nodes[&a].call(&target(), dequeue(), options()).await.unwrap();
    assert_eq!(
        structure(first),
        StructureOutput::Queue(QueueOutput::Item(Some(b"one".to_vec()))),
        "replayed, in order"
    );
    // The arrival parked before the restart was withdrawn, journaled: nobody waits, and a
    // resend of it is answered from its record.
    assert_eq!(
        structure(cluster.nodes[&c].call(&target(), waiting(), options()).await.unwrap()),
        StructureOutput::Barrier(BarrierOutput::Count(0))
    );
    let answer = cluster.nodes[&c].call(&target(), arrive(), options()).await;
    assert!(matches!(answer, Err(EngineError::Core(CoreError::Cancelled { .. }))), "{answer:?}");
    cluster.shutdown().await;
}
