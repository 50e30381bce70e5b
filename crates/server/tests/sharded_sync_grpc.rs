//! The gRPC `LockService`, `ShardedSemaphoreService` and `BarrierService` over sharded
//! structures, and the create rpcs, on real loopback members: every rpc through members that
//! do not own the structure's partition. Parked calls are observed, never waited for with a
//! sleep: a `keep_parked` attempt answers `still_waiting` once it is parked in its place,
//! and a barrier's `Waiting` counts its parked arrivals; every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use coterie_api::pb::barrier_service_client::BarrierServiceClient;
use coterie_api::pb::lock_service_client::LockServiceClient;
use coterie_api::pb::queue_service_client::QueueServiceClient;
use coterie_api::pb::sharded_semaphore_service_client::ShardedSemaphoreServiceClient;
use coterie_api::{pb, status};
use coterie_core::Kind;
use coterie_core::placement::Layout;
use support::{BOUND, Cluster, eventually};
use tonic::Code;
use tonic::transport::Channel;

const SHARDS: u32 = 10;

/// A call header for `name` made by client `client` (its id repeated 16 times) with `seq`
/// (0: none), with the given keep-parked flag.
fn header(name: &str, client: u8, seq: u64, keep_parked: bool) -> Option<pb::Call> {
    Some(pb::Call {
        name: name.to_owned(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards: SHARDS })),
        client_id: if seq == 0 { Vec::new() } else { vec![client; 16] },
        seq,
        keep_parked,
        ..pb::Call::default()
    })
}

fn call(name: &str, client: u8, seq: u64) -> Option<pb::Call> {
    header(name, client, seq, false)
}

/// A lock or semaphore handle's owner id.
fn owner(handle: u8) -> Vec<u8> {
    vec![handle; 16]
}

fn bounded<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(BOUND);
    request
}

/// A request whose attempt ends after 300 ms: a `keep_parked` call then answers `still_waiting`.
fn short<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(std::time::Duration::from_millis(300));
    request
}

fn assert_still_waiting(status: &tonic::Status) {
    let detail = status::error_detail(status).map(|d| d.code);
    assert_eq!(detail.as_deref(), Some(status::code::STILL_WAITING), "{status:?}");
}

/// The cluster of three, once every member applies a table over all three, and two members
/// that do not own structure `name` of `kind`.
async fn cluster_and_non_owners(kind: Kind, name: &str) -> (Cluster, u64, u64) {
    let cluster = Cluster::start(3).await;
    eventually("every member applies a partition table over the three members", async || {
        cluster.nodes.values().all(|node| node.partition_table().is_some_and(|t| t.up_members() == [1, 2, 3]))
    })
    .await;
    let (a, b) = non_owners(&cluster, kind, name);
    (cluster, a, b)
}

fn non_owners(cluster: &Cluster, kind: Kind, name: &str) -> (u64, u64) {
    let table = cluster.nodes[&1].partition_table().unwrap();
    let owner = table.owner_of(Layout::of(kind, SHARDS), name, &[]).unwrap();
    let mut rest = (1..=3).filter(|id| *id != owner);
    (rest.next().unwrap(), rest.next().unwrap())
}

fn endpoint(cluster: &Cluster, id: u64) -> String {
    format!("http://{}", cluster.address(id))
}

async fn locks(cluster: &Cluster, id: u64) -> LockServiceClient<Channel> {
    LockServiceClient::connect(endpoint(cluster, id)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_waiters_are_granted_in_fifo_order_with_increasing_fences() {
    let (mut cluster, a, b) = cluster_and_non_owners(Kind::Lock, "deploy").await;
    let (mut via_a, mut via_b) = (locks(&cluster, a).await, locks(&cluster, b).await);
    let acquire = |client: u8, seq, keep_parked| pb::LockAcquireRequest {
        call: header("deploy", client, seq, keep_parked),
        owner: owner(client),
        lease_ms: None,
    };
    let holder = async |via: &mut LockServiceClient<Channel>| {
        via.holder(pb::LockHolderRequest { call: call("deploy", 0, 0) }).await.unwrap().into_inner().holder
    };

    // Client 1 holds the lock; clients 2 and then 3 wait behind it, each kept in its place.
    let first = via_a.acquire(bounded(acquire(1, 1, false))).await.unwrap().into_inner().fence;
    assert_still_waiting(&via_b.acquire(short(acquire(2, 1, true))).await.unwrap_err());
    assert_still_waiting(&via_a.acquire(short(acquire(3, 1, true))).await.unwrap_err());
    let try_now =
        pb::LockTryAcquireRequest { call: call("deploy", 4, 1), owner: owner(4), lease_ms: None, timeout_ms: None };
    assert_eq!(via_b.try_acquire(bounded(try_now)).await.unwrap().into_inner().fence, None, "held: not acquired");
    assert!(via_b.is_locked(pb::LockIsLockedRequest { call: call("deploy", 0, 0) }).await.unwrap().into_inner().locked);

    // A release by a handle that does not hold it answers false and changes nothing.
    let stranger = pb::LockReleaseRequest { call: call("deploy", 9, 1), owner: owner(9) };
    assert!(!via_b.release(bounded(stranger)).await.unwrap().into_inner().released);
    assert_eq!(holder(&mut via_b).await.map(|h| (h.owner, h.fence)), Some((owner(1), first)));

    // Released: the longest waiter (client 2) gets it, not client 3.
    let release = |client: u8, seq| pb::LockReleaseRequest { call: call("deploy", client, seq), owner: owner(client) };
    assert!(via_a.release(bounded(release(1, 2))).await.unwrap().into_inner().released);
    let second = holder(&mut via_a).await.unwrap();
    assert_eq!(second.owner, owner(2), "FIFO: the first waiter is granted first");
    // Its resend is answered with its grant.
    assert_eq!(via_a.acquire(bounded(acquire(2, 1, true))).await.unwrap().into_inner().fence, second.fence);
    assert!(second.fence > first, "fences increase: {first} then {}", second.fence);

    assert!(via_b.release(bounded(release(2, 2))).await.unwrap().into_inner().released);
    let third = holder(&mut via_b).await.unwrap();
    assert_eq!(third.owner, owner(3));
    assert_eq!(via_b.acquire(bounded(acquire(3, 1, true))).await.unwrap().into_inner().fence, third.fence);
    assert!(third.fence > second.fence);

    // A lease frees a holder that never releases: client 5 gets the lock once client 3's
    // lease ends, within its own timed try.
    assert!(via_a.release(bounded(release(3, 2))).await.unwrap().into_inner().released);
    let leased = pb::LockAcquireRequest { call: call("deploy", 6, 1), owner: owner(6), lease_ms: Some(200) };
    let leased = via_a.acquire(bounded(leased)).await.unwrap().into_inner().fence;
    let after_lease = pb::LockTryAcquireRequest {
        call: call("deploy", 5, 1),
        owner: owner(5),
        lease_ms: None,
        timeout_ms: Some(30_000),
    };
    let granted = via_b.try_acquire(bounded(after_lease)).await.unwrap().into_inner().fence;
    assert!(granted.is_some_and(|fence| fence > leased), "granted after the lease: {granted:?}");

    // Bad input: an acquire without an owner, a zero lease.
    let anonymous = pb::LockAcquireRequest { call: call("deploy", 7, 1), owner: Vec::new(), lease_ms: None };
    let refused = via_a.acquire(bounded(anonymous)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("owner is required"), "{refused:?}");
    let zero = pb::LockAcquireRequest { call: call("deploy", 7, 2), owner: owner(7), lease_ms: Some(0) };
    assert_eq!(via_a.acquire(bounded(zero)).await.unwrap_err().code(), Code::InvalidArgument);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_semaphore_created_over_grpc_has_its_permits_and_a_queue_its_capacity() {
    let (mut cluster, a, b) = cluster_and_non_owners(Kind::Semaphore, "pool").await;
    let connect = async |id| ShardedSemaphoreServiceClient::connect(endpoint(&cluster, id)).await.unwrap();
    let (mut via_a, mut via_b) = (connect(a).await, connect(b).await);
    let create = |seq, permits| pb::ShardedSemaphoreCreateRequest { call: call("pool", 1, seq), permits };

    assert!(via_a.create(bounded(create(1, 2))).await.unwrap().into_inner().created);
    // The same count again: nothing to do; another count: a conflict naming the first.
    assert!(!via_b.create(bounded(create(2, 2))).await.unwrap().into_inner().created);
    let conflict = via_b.create(bounded(create(3, 5))).await.unwrap_err();
    assert_eq!(status::error_detail(&conflict).map(|d| d.code).as_deref(), Some(status::code::CONFIG_CONFLICT));
    // Zero or negative permits are refused with the reason.
    for (seq, permits) in [(4, 0), (5, -3)] {
        let refused = via_a.create(bounded(create(seq, permits))).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(refused.message().contains("positive"), "{refused:?}");
    }

    let available = async |via: &mut ShardedSemaphoreServiceClient<Channel>| {
        via.available(pb::ShardedSemaphoreAvailableRequest { call: call("pool", 0, 0) })
            .await
            .unwrap()
            .into_inner()
            .permits
    };
    assert_eq!(available(&mut via_a).await, 2);
    // One owner takes both permits; a third try, by another owner, is refused.
    for seq in [1, 2] {
        let acquire =
            pb::ShardedSemaphoreAcquireRequest { call: call("pool", 2, seq), owner: owner(2), lease_ms: None };
        via_b.acquire(bounded(acquire)).await.unwrap();
    }
    let held = pb::ShardedSemaphoreHeldByRequest { call: call("pool", 0, 0), owner: owner(2) };
    assert_eq!(via_a.held_by(held).await.unwrap().into_inner().permits, 2);
    let third = pb::ShardedSemaphoreTryAcquireRequest {
        call: call("pool", 3, 1),
        owner: owner(3),
        lease_ms: None,
        timeout_ms: None,
    };
    assert!(!via_a.try_acquire(bounded(third)).await.unwrap().into_inner().acquired);
    assert_eq!(available(&mut via_b).await, 0);
    // A release by an owner holding none answers false; the holder's frees a permit.
    let release =
        |client: u8, seq| pb::ShardedSemaphoreReleaseRequest { call: call("pool", client, seq), owner: owner(client) };
    assert!(!via_a.release(bounded(release(3, 2))).await.unwrap().into_inner().released);
    assert!(via_a.release(bounded(release(2, 3))).await.unwrap().into_inner().released);
    assert_eq!(available(&mut via_b).await, 1);

    // A queue created with capacity 1 through a non-owner refuses a second item.
    let (qa, qb) = non_owners(&cluster, Kind::Queue, "bounded-jobs");
    let mut queue_a = QueueServiceClient::connect(endpoint(&cluster, qa)).await.unwrap();
    let mut queue_b = QueueServiceClient::connect(endpoint(&cluster, qb)).await.unwrap();
    let created = queue_a.create(pb::QueueCreateRequest { call: call("bounded-jobs", 11, 1), capacity: Some(1) }).await;
    assert!(created.unwrap().into_inner().created);
    let enqueue = |seq| pb::QueueEnqueueRequest { call: call("bounded-jobs", 11, seq), item: b"job".to_vec() };
    queue_b.enqueue(enqueue(2)).await.unwrap();
    let full = queue_b.enqueue(enqueue(3)).await.unwrap_err();
    assert_eq!(status::error_detail(&full).map(|d| d.code).as_deref(), Some(status::code::QUEUE_FULL), "{full:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn barrier_arrivals_through_different_members_are_released_at_once() {
    let (mut cluster, a, b) = cluster_and_non_owners(Kind::Barrier, "phase-1").await;
    let connect = async |id| BarrierServiceClient::connect(endpoint(&cluster, id)).await.unwrap();
    let (via_a, mut via_b) = (connect(a).await, connect(b).await);
    let arrive = |client: u8, expected, timeout_ms| pb::BarrierArriveRequest {
        call: call("phase-1", client, 1),
        expected,
        timeout_ms,
    };
    let waiting = async |via: &mut BarrierServiceClient<Channel>| {
        via.waiting(pb::BarrierWaitingRequest { call: call("phase-1", 0, 0) }).await.unwrap().into_inner().waiting
    };

    let mut first = via_a.clone();
    let first = tokio::spawn(async move { first.arrive(bounded(arrive(1, 2, None))).await.map(|r| r.into_inner()) });
    eventually("the first arrival parks", async || waiting(&mut via_b.clone()).await == 1).await;
    // An arrival expecting another party count is refused with the reason.
    let mismatched = via_b.arrive(bounded(arrive(2, 3, None))).await.unwrap_err();
    assert_eq!(status::error_detail(&mismatched).map(|d| d.code).as_deref(), Some(status::code::BARRIER_MISMATCH));
    assert!(mismatched.message().contains("expects 2 parties but this arrival said 3"), "{mismatched:?}");
    let second = via_b.arrive(bounded(arrive(3, 2, None))).await.unwrap().into_inner();
    let first = tokio::time::timeout(BOUND, first).await.unwrap().unwrap().unwrap();
    assert_eq!(second, pb::BarrierArriveResponse { released: true, round: 0 });
    assert_eq!(first, second, "released at once, in the same round");
    let round = via_b.round(pb::BarrierRoundRequest { call: call("phase-1", 0, 0) }).await.unwrap().into_inner();
    assert_eq!(round.round, 1);

    // A timed arrival that nobody joins times out and is withdrawn: nobody waits, and the next
    // round may choose another party count.
    let timed = via_b.arrive(bounded(arrive(4, 2, Some(150)))).await.unwrap().into_inner();
    assert_eq!(timed, pb::BarrierArriveResponse { released: false, round: 0 });
    assert_eq!(waiting(&mut via_b).await, 0);
    let alone = via_b.arrive(bounded(arrive(5, 1, None))).await.unwrap().into_inner();
    assert_eq!(alone, pb::BarrierArriveResponse { released: true, round: 1 });
    // Zero parties are refused.
    assert_eq!(via_b.arrive(bounded(arrive(6, 0, None))).await.unwrap_err().code(), Code::InvalidArgument);
    cluster.shutdown().await;
}
