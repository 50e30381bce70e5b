//! Failures a deployment sees: the leader dies under load, a five-member group loses two
//! and then three members, a client stops heartbeating while it holds a lock, a leader is
//! cut off from its quorum, a follower restarts after missing writes. Nothing acknowledged
//! is lost, nothing is applied twice, a minority keeps serving, a lost majority is reported
//! clearly within a bounded time, a dead client's lock passes on, and a lost leader costs an
//! election, not a timeout.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use coterie_client::{ClientConfig, ClientError};
use coterie_core::Structure;
use coterie_server::cp::CpConfig;
use tokio::sync::Notify;

use crate::support::suite::{DEFAULT_GROUP, NamedGroups, Partition, Restart, TestCluster, scenarios};
use crate::support::{BOUND, client_config, cp_config, eventually};

scenarios! {
    killing_the_leader_under_load_loses_no_acknowledged_increment_and_applies_none_twice: [grpc, embedded],
    // Time: its two 3 s refusals make it the slowest scenario (about 11 s a backend); the
    // embedded run passes but is left out to keep the suite within today's time.
    five_members_serve_with_two_down_and_refuse_in_bounded_time_with_three_down: [grpc],
    a_client_that_stops_heartbeating_loses_its_lock_to_the_next_waiter: [grpc, embedded],
    // Partition: the gRPC members talk over real sockets, which the harness cannot cut.
    a_leader_cut_off_from_its_quorum_costs_an_election_not_an_attempt_timeout: [embedded],
    // Restart: the embedded cluster runs on memory storage, gone when a member stops.
    a_restarted_follower_catches_up_from_its_storage_and_the_leaders_log: [grpc],
}

async fn killing_the_leader_under_load_loses_no_acknowledged_increment_and_applies_none_twice<C: TestCluster>() {
    const TASKS: usize = 16;
    const PER_TASK: usize = 40;
    let mut cluster = C::start(3).await;
    let client = cluster.client().await;
    let counter = client.atomic_long("hits").unwrap();
    counter.set(0).await.unwrap();

    // The kill starts the moment a quarter is acknowledged: an embedded cluster answers the
    // rest within a poll interval, so a polled trigger could miss the load.
    let quarter = TASKS * PER_TASK / 4;
    let quarter_acknowledged = Arc::new(Notify::new());
    let acknowledged_so_far = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let counter = client.atomic_long("hits").unwrap();
        let acks = Arc::clone(&acknowledged_so_far);
        let quarter_acknowledged = Arc::clone(&quarter_acknowledged);
        tasks.push(tokio::spawn(async move {
            // Each task retries a failed increment (a new call) until it has PER_TASK acks.
            let (mut acknowledged, mut failed) = (Vec::new(), 0_usize);
            while acknowledged.len() < PER_TASK {
                match counter.increment_and_get().await {
                    Ok(value) => {
                        acknowledged.push(value);
                        if acks.fetch_add(1, Ordering::SeqCst) + 1 == quarter {
                            quarter_acknowledged.notify_one();
                        }
                    }
                    Err(ClientError::Unavailable { .. }) => failed += 1,
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
            (acknowledged, failed)
        }));
    }
    tokio::time::timeout(BOUND, quarter_acknowledged.notified())
        .await
        .expect("a quarter of the increments acknowledged");
    let old_leader = cluster.leader().await;
    cluster.stop(old_leader).await;
    let at_kill = acknowledged_so_far.load(Ordering::SeqCst);

    let (mut acknowledged, mut failed) = (Vec::new(), 0);
    for task in tasks {
        let (acks, failures) = tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
        acknowledged.extend(acks);
        failed += failures;
    }
    assert!(at_kill < TASKS * PER_TASK, "every increment was acknowledged before the kill");
    let unique: BTreeSet<i64> = acknowledged.iter().copied().collect();
    assert_eq!(unique.len(), acknowledged.len(), "two increments were acknowledged with the same value");
    let last = counter.get().await.unwrap();
    let acked = i64::try_from(acknowledged.len()).unwrap();
    // Every acknowledged increment is in the value. A call that failed (its outcome unknown
    // to the caller) may have been applied once; a call retried inside the client (same
    // invocation id) never twice. With calls that outlast the election, none fails, and
    // the value is exactly the number of acknowledgements.
    assert!(acknowledged.iter().all(|v| *v <= last), "an acknowledged increment is missing from {last}");
    assert!(
        last >= acked && last <= acked + i64::try_from(failed).unwrap(),
        "final {last}, {acked} acks, {failed} failed"
    );
    assert_eq!(failed, 0, "a call failed although its timeout outlasts an election");
    assert_eq!(last, acked);

    // Writes resumed on the new leader.
    let new_leader = cluster.leader().await;
    assert_ne!(new_leader, old_leader);
    assert_eq!(counter.increment_and_get().await.unwrap(), last + 1);
    cluster.shutdown().await;
}

async fn a_client_that_stops_heartbeating_loses_its_lock_to_the_next_waiter<C: TestCluster>() {
    const TTL: Duration = Duration::from_millis(1_500);
    let mut cluster = C::start(3).await;
    // A client whose heartbeats never come: its session lives TTL after its last call.
    // `connect_with` refuses a heartbeat longer than the TTL, so it is built with
    // `Client::new`, which takes its config as it is.
    let config = ClientConfig { session_ttl: TTL, heartbeat_interval: Duration::from_secs(3_600), ..client_config() };
    let silent = cluster.client_unchecked(config).await;
    let waiter = cluster.client().await;
    let silent_lock = silent.fenced_lock("job").unwrap();
    // The session's TTL runs from the leader's stamp on the lock entry, which is after the
    // call starts but may be well before its answer: timed from the answer, an embedded run
    // under load saw the lock pass on "before" the TTL.
    let locked_at = tokio::time::Instant::now();
    let first = silent_lock.lock().await.unwrap();

    let waiting = {
        let lock = waiter.fenced_lock("job").unwrap();
        tokio::spawn(async move {
            let fence = lock.lock().await.unwrap();
            (lock, fence, locked_at.elapsed())
        })
    };
    let (lock, second, after) = tokio::time::timeout(BOUND, waiting).await.unwrap().unwrap();
    assert!(second > first, "the next holder's fence {second:?} is not above {first:?}");
    assert!(after >= TTL, "the lock passed on after {after:?}, before the session TTL");
    assert!(lock.is_locked_by_me().await.unwrap());

    // The silent client learns that it lost the lock with its session (issue 8, part 4):
    // not "not the owner", which would say it never held it.
    let refused = silent_lock.unlock().await.unwrap_err();
    match &refused {
        ClientError::LockOwnershipLost { name, .. } => assert_eq!(name, "job"),
        other => panic!("expected LockOwnershipLost, got {other:?}"),
    }
    assert!(refused.to_string().contains("expired"), "{refused}");
    // Having been told, the handle holds nothing, in a new session.
    assert!(!silent_lock.is_locked_by_me().await.unwrap());
    assert!(lock.is_locked_by_me().await.unwrap(), "the refused unlock did not release the new holder's lock");
    assert_eq!(lock.fence().await.unwrap(), second);
    lock.unlock().await.unwrap();
    cluster.shutdown().await;
}

/// Issue 8, part 3: a leader cut off from its quorum but still reachable by the client
/// accepts calls it can never commit. The client must move to the new leader after about an
/// election, not after its attempt timeout or the node's propose timeout (both set far above
/// an election here, so the test tells the two apart on any machine).
async fn a_leader_cut_off_from_its_quorum_costs_an_election_not_an_attempt_timeout<C: Partition>() {
    const PATIENT: Duration = Duration::from_secs(15);
    let mut cluster = C::start_with(3, CpConfig { propose_timeout: PATIENT, ..cp_config() }).await;
    let client = cluster
        .client_with(ClientConfig {
            attempt_timeout: PATIENT,
            call_timeout: Duration::from_secs(30),
            ..client_config()
        })
        .await;
    let counter = client.atomic_long("hits").unwrap();
    assert_eq!(counter.increment_and_get().await.unwrap(), 1);
    let leader = cluster.leader().await;
    // Let the client learn who leads, then cut that member off from the others.
    assert_eq!(counter.increment_and_get().await.unwrap(), 2);
    cluster.partition(leader);
    let started = tokio::time::Instant::now();
    assert_eq!(counter.increment_and_get().await.unwrap(), 3);
    let took = started.elapsed();
    assert!(took < PATIENT / 3, "the write waited {took:?} on the cut-off leader");
    let mut new_leader = None;
    for id in cluster.running() {
        new_leader = new_leader.or(cluster.leader_seen_by(id, DEFAULT_GROUP).await.filter(|l| *l != leader));
    }
    assert!(new_leader.is_some(), "another member leads");
    cluster.heal(leader);
    assert_eq!(counter.get().await.unwrap(), 3);
    cluster.shutdown().await;
}

/// A follower stopped while writes go on (in the default group and in a named one) comes
/// back on its storage, catches up in both groups, and counts toward the quorum again.
async fn a_restarted_follower_catches_up_from_its_storage_and_the_leaders_log<C: Restart + NamedGroups>() {
    let mut cluster = C::start_durable(3).await;
    let client = cluster.client().await;
    let counter = client.atomic_long("hits").unwrap();
    let orders = client.atomic_long("hits@orders").unwrap();
    for expected in 1..=20 {
        assert_eq!(counter.increment_and_get().await.unwrap(), expected);
    }
    for expected in 1..=3 {
        assert_eq!(orders.increment_and_get().await.unwrap(), expected);
    }
    let leader = cluster.leader().await;
    let follower = cluster.running().into_iter().find(|id| *id != leader).unwrap();
    let hits = async |cluster: &C, id: u64| match cluster.structure(id, DEFAULT_GROUP, "hits").await {
        Some(Structure::AtomicLong(long)) => Some(long.value()),
        _ => None,
    };
    eventually("the follower applies the first 20", async || hits(&cluster, follower).await == Some(20)).await;
    cluster.stop(follower).await;

    // It misses these writes.
    for expected in 21..=50 {
        assert_eq!(counter.increment_and_get().await.unwrap(), expected);
    }
    for expected in 4..=6 {
        assert_eq!(orders.increment_and_get().await.unwrap(), expected);
    }
    client.atomic_reference::<String>("config").unwrap().set(Some(&"v2".to_owned())).await.unwrap();
    cluster.restart(follower).await;

    // It reaches the leaders' applied index in both groups (`orders` comes back when its
    // leader contacts it), with the leader's state.
    for group in [DEFAULT_GROUP, "orders"] {
        let group_leader = cluster.leader_of(group).await;
        let target = cluster.applied_index(group_leader, group).await.unwrap();
        eventually("the restarted follower reaches the leader's applied index", async || {
            cluster.applied_index(follower, group).await.is_some_and(|applied| applied >= target)
        })
        .await;
    }
    assert_eq!(hits(&cluster, follower).await, Some(50));
    let config = cluster.structure(follower, DEFAULT_GROUP, "config").await;
    assert!(matches!(config, Some(Structure::AtomicReference(_))));

    // And it counts toward the quorum: with the leader stopped, it and the other member
    // elect a leader that has every write, and writes go on.
    let leader = cluster.leader().await;
    cluster.stop(leader).await;
    assert_eq!(counter.get().await.unwrap(), 50);
    assert_eq!(counter.increment_and_get().await.unwrap(), 51);
    let value = client.atomic_reference::<String>("config").unwrap().get().await.unwrap();
    assert_eq!(value.as_deref(), Some("v2"));
    eventually("the restarted follower applies the write made without the old leader", async || {
        hits(&cluster, follower).await == Some(51)
    })
    .await;
    cluster.shutdown().await;
}

async fn five_members_serve_with_two_down_and_refuse_in_bounded_time_with_three_down<C: TestCluster>() {
    const CALL_TIMEOUT: Duration = Duration::from_secs(3);
    let mut cluster = C::start(5).await;
    let client = cluster.client().await;
    let counter = client.atomic_long("hits").unwrap();
    assert_eq!(counter.increment_and_get().await.unwrap(), 1);

    // Two down, the leader among them: the other three elect a leader and serve.
    let leader = cluster.leader().await;
    let follower = (1..=5).find(|id| *id != leader).unwrap();
    cluster.stop(leader).await;
    cluster.stop(follower).await;
    assert_eq!(counter.increment_and_get().await.unwrap(), 2);
    assert_eq!(counter.get().await.unwrap(), 2);
    let lock = client.fenced_lock("l").unwrap();
    lock.lock().await.unwrap();
    lock.unlock().await.unwrap();

    // Three down: no majority. Calls fail with Unavailable within their timeout.
    let leader = cluster.leader().await;
    let follower = cluster.running().into_iter().find(|id| *id != leader).unwrap();
    cluster.stop(follower).await;
    let short = cluster.client_with(ClientConfig { call_timeout: CALL_TIMEOUT, ..ClientConfig::default() }).await;
    let margin = Duration::from_secs(2);
    let started = tokio::time::Instant::now();
    let write = short.atomic_long("hits").unwrap().increment_and_get().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < CALL_TIMEOUT + margin, "the write was refused after {elapsed:?}");
    // The increment needs no session, so it reaches a member: refused as unavailable, or,
    // once an attempt was delivered to a leader that cannot commit it, reported as possibly
    // applied (it may still commit if the others come back).
    match &write {
        ClientError::Unavailable { last, .. } => {
            assert!(!last.is_empty());
            assert!(write.to_string().contains("majority of the cluster"), "{write}");
        }
        ClientError::Indeterminate { last, .. } => assert!(!last.is_empty()),
        other => panic!("expected Unavailable or Indeterminate, got {other:?}"),
    }
    let started = tokio::time::Instant::now();
    let read = short.atomic_long("hits").unwrap().get().await.unwrap_err();
    assert!(started.elapsed() < CALL_TIMEOUT + margin, "the read was refused after {:?}", started.elapsed());
    assert!(matches!(read, ClientError::Unavailable { .. }), "{read:?}");

    // A stale read, asked for explicitly, is still answered by a surviving member from its
    // own applied state; a write through the same handle is still refused.
    let stale = short.with_stale_reads();
    assert_eq!(stale.atomic_long("hits").unwrap().get().await.unwrap(), 2);
    assert!(!stale.fenced_lock("l").unwrap().is_locked().await.unwrap());
    let write = stale.atomic_long("hits").unwrap().increment_and_get().await.unwrap_err();
    assert!(matches!(write, ClientError::Unavailable { .. } | ClientError::Indeterminate { .. }), "{write:?}");
    cluster.shutdown().await;
}
