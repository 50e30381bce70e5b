//! The Rust client over a real three-member Raft cluster in this process: seed 001's four
//! use cases, and a leader loss under load. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use coterie_client::{ClientConfig, ClientError};
use coterie_core::Structure;
use coterie_server::cp::CpConfig;
use coterie_server::embedded::{EmbeddedCluster, EmbeddedStorage};

const BOUND: Duration = Duration::from_secs(60);

/// Raft timings with room for a loaded two-core test machine.
fn cp_config() -> CpConfig {
    CpConfig {
        tick_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(100),
        election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
        ..CpConfig::default()
    }
}

fn client_config() -> ClientConfig {
    ClientConfig { call_timeout: Duration::from_secs(10), ..ClientConfig::default() }
}

async fn cluster() -> EmbeddedCluster {
    EmbeddedCluster::start(3, EmbeddedStorage::Memory, cp_config()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_generator_draws_ten_thousand_ids_without_duplicate_or_gap() {
    let cluster = cluster().await;
    let clients = [cluster.client(client_config()), cluster.client(client_config())];
    let mut tasks = Vec::new();
    for task in 0..8 {
        let sequence = clients[task % 2].atomic_long("id-sequence").unwrap();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(1_250);
            for _ in 0..1_250 {
                ids.push(sequence.increment_and_get().await.unwrap());
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(tokio::time::timeout(BOUND, task).await.unwrap().unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (1..=10_000).collect::<Vec<i64>>());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiter_admits_exactly_its_limit() {
    let cluster = cluster().await;
    let client = cluster.client(client_config());
    let limiter = client.semaphore("rate-limit:user-42").unwrap();
    limiter.init(5).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = cluster.client(client_config());
        tasks.push(tokio::spawn(async move {
            client.semaphore("rate-limit:user-42").unwrap().try_acquire(1, Duration::ZERO).await.unwrap()
        }));
    }
    let mut admitted = 0;
    for task in tasks {
        admitted += usize::from(tokio::time::timeout(BOUND, task).await.unwrap().unwrap());
    }
    assert_eq!(admitted, 5);
    assert_eq!(limiter.available_permits().await.unwrap(), 0);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_election_hands_out_strictly_increasing_fences() {
    let cluster = cluster().await;
    let mut fences = Vec::new();
    // Three candidates take turns: whoever wins the try-lock leads, works, and steps down.
    let candidates: Vec<_> = (0..3).map(|_| cluster.client(client_config())).collect();
    for round in 0..9 {
        let mut leader = None;
        for (i, candidate) in candidates.iter().enumerate() {
            let lock = candidate.fenced_lock("leader-lock").unwrap();
            if let Some(fence) = lock.try_lock(Duration::ZERO).await.unwrap() {
                assert!(leader.is_none(), "round {round}: two leaders");
                leader = Some((i, lock, fence));
            }
        }
        let (_, lock, fence) = leader.expect("someone leads each round");
        fences.push(fence);
        lock.unlock().await.unwrap();
    }
    assert!(fences.windows(2).all(|w| w[0] < w[1]), "{fences:?}");
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latch_releases_all_waiters_at_once() {
    let cluster = cluster().await;
    let coordinator = cluster.client(client_config());
    let latch = coordinator.count_down_latch("barrier").unwrap();
    assert!(latch.try_set_count(3).await.unwrap());
    let released = Arc::new(AtomicBool::new(false));
    let mut waiters = Vec::new();
    for _ in 0..4 {
        let client = cluster.client(client_config());
        let released = Arc::clone(&released);
        waiters.push(tokio::spawn(async move {
            let opened = client.count_down_latch("barrier").unwrap().await_latch(None).await.unwrap();
            (opened, released.load(Ordering::SeqCst))
        }));
    }
    // All four are parked in the latch before the last count-down.
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let parked = match cluster.nodes()[0].group().structure("barrier") {
            Some(Structure::CountDownLatch(latch)) => latch.waiting(),
            _ => 0,
        };
        if parked == 4 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "waiters never parked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    latch.count_down().await.unwrap();
    latch.count_down().await.unwrap();
    assert!(waiters.iter().all(|w| !w.is_finished()), "released before the count reached zero");
    released.store(true, Ordering::SeqCst);
    latch.count_down().await.unwrap();
    for waiter in waiters {
        let (opened, after_last) = tokio::time::timeout(BOUND, waiter).await.unwrap().unwrap();
        assert!(opened && after_last);
    }
    cluster.shutdown().await.unwrap();
}

/// Polls `condition` until it holds, failing the test after `BOUND`.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + BOUND;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_survive_a_leader_loss_and_none_is_applied_twice() {
    let cluster = cluster().await;
    let client = cluster.client(client_config());
    let counter = client.atomic_long("hits").unwrap();
    counter.set(0).await.unwrap();
    let acknowledged_so_far = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let counter = client.atomic_long("hits").unwrap();
        let acks = Arc::clone(&acknowledged_so_far);
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for _ in 0..25 {
                match counter.increment_and_get().await {
                    Ok(value) => {
                        acknowledged.push(value);
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(ClientError::Unavailable { .. }) => {}
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
            acknowledged
        }));
    }
    // Cut the leader off once a quarter of the increments are acknowledged.
    eventually("100 acknowledged increments", || acknowledged_so_far.load(Ordering::SeqCst) >= 100).await;
    let leader = cluster.nodes()[0].leader().or_else(|| cluster.nodes()[1].leader()).expect("a leader is known").0;
    cluster.disconnect(leader);
    let at_cut = acknowledged_so_far.load(Ordering::SeqCst);

    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(tokio::time::timeout(BOUND, task).await.unwrap().unwrap());
    }
    assert!(acknowledged.len() > at_cut, "no increment was acknowledged after the leader was cut off");
    let unique: BTreeSet<i64> = acknowledged.iter().copied().collect();
    assert_eq!(unique.len(), acknowledged.len(), "an increment was acknowledged twice");
    let last = counter.get().await.unwrap();
    assert!(acknowledged.iter().all(|v| *v <= last), "an acknowledged increment is missing");
    // Retried increments were applied once: the final value is no larger than the number
    // of calls made (some unacknowledged calls may still have been applied).
    assert!(last >= i64::try_from(acknowledged.len()).unwrap() && last <= 16 * 25, "final value {last}");
    assert_eq!(counter.increment_and_get().await.unwrap(), last + 1);
    cluster.reconnect(leader);
    cluster.shutdown().await.unwrap();
}

/// Issue 8, part 3: a leader cut off from its quorum but still reachable by the client
/// accepts calls it can never commit. The client must move to the new leader after about an
/// election, not after its attempt timeout or the node's propose timeout (both set far above
/// an election here, so the test tells the two apart on any machine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_cut_off_from_its_quorum_costs_an_election_not_an_attempt_timeout() {
    const PATIENT: Duration = Duration::from_secs(15);
    let config = CpConfig { propose_timeout: PATIENT, ..cp_config() };
    let cluster = EmbeddedCluster::start(3, EmbeddedStorage::Memory, config).await.unwrap();
    let client = cluster.client(ClientConfig {
        attempt_timeout: PATIENT,
        call_timeout: Duration::from_secs(30),
        ..client_config()
    });
    let counter = client.atomic_long("hits").unwrap();
    assert_eq!(counter.increment_and_get().await.unwrap(), 1);
    let leader = cluster.nodes()[0].leader().or_else(|| cluster.nodes()[1].leader()).expect("a leader is known").0;
    // Let the client learn who leads, then cut that member off from the others.
    assert_eq!(counter.increment_and_get().await.unwrap(), 2);
    cluster.disconnect(leader);
    let started = tokio::time::Instant::now();
    assert_eq!(counter.increment_and_get().await.unwrap(), 3);
    let took = started.elapsed();
    assert!(took < PATIENT / 3, "the write waited {took:?} on the cut-off leader");
    let new_leader = cluster.nodes().iter().find_map(|n| n.leader().filter(|(id, _)| *id != leader));
    assert!(new_leader.is_some(), "another member leads");
    cluster.reconnect(leader);
    assert_eq!(counter.get().await.unwrap(), 3);
    cluster.shutdown().await.unwrap();
}
