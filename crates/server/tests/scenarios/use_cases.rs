//! Seed 001's four use cases, and every operation of every structure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coterie_client::{ClientError, Serde};
use coterie_core::{CoreError, Structure};

use crate::support::suite::{DEFAULT_GROUP, NamedGroups, TestCluster, scenarios};
use crate::support::{BOUND, eventually};

scenarios! {
    sequence_generator_draws_ten_thousand_ids_without_duplicate_or_gap: [grpc, embedded],
    rate_limiter_admits_exactly_its_limit: [grpc, embedded],
    leader_election_hands_out_strictly_increasing_fences: [grpc, embedded],
    a_latch_releases_all_waiters_at_once: [grpc, embedded],
    // Named groups: the embedded cluster runs only the default group.
    every_operation_of_every_structure: [grpc],
}

/// A short wait for the timed variants (try_lock, try_acquire, await).
const SHORT: Duration = Duration::from_millis(300);

/// 8 tasks on 2 clients draw 10 000 ids: no duplicate, no gap.
async fn sequence_generator_draws_ten_thousand_ids_without_duplicate_or_gap<C: TestCluster>() {
    let mut cluster = C::start(3).await;
    let clients = [cluster.client().await, cluster.client().await];
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
    cluster.shutdown().await;
}

/// Of 20 concurrent try_acquire(0) on limit 5, exactly 5 are admitted.
async fn rate_limiter_admits_exactly_its_limit<C: TestCluster>() {
    let mut cluster = C::start(3).await;
    let client = cluster.client().await;
    let limiter = client.semaphore("rate-limit:user-42").unwrap();
    limiter.init(5).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = cluster.client().await;
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
    cluster.shutdown().await;
}

/// Candidates take turns with try_lock (never two leaders), then each leader works and
/// closes its client, which hands over; the fences of successive leaders strictly increase.
async fn leader_election_hands_out_strictly_increasing_fences<C: TestCluster>() {
    let mut cluster = C::start(3).await;
    let mut fences = Vec::new();
    // Three candidates take turns: whoever wins the try-lock leads, works, and steps down.
    let mut candidates = Vec::new();
    for _ in 0..3 {
        candidates.push(cluster.client().await);
    }
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

    // Three candidates block in lock(); each leader closes its client to hand over.
    let handed_over = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let client = cluster.client().await;
        let handed_over = Arc::clone(&handed_over);
        waiting.push(tokio::spawn(async move {
            let lock = client.fenced_lock("leader-lock").unwrap();
            let fence = lock.lock().await.unwrap();
            // Only the leader gets here, so the pushes are in the order of leadership.
            handed_over.lock().unwrap().push(fence);
            assert!(lock.is_locked_by_me().await.unwrap());
            client.close().await.unwrap();
        }));
    }
    for candidate in waiting {
        tokio::time::timeout(BOUND, candidate).await.unwrap().unwrap();
    }
    fences.extend(handed_over.lock().unwrap().iter().copied());
    // A later leader, after the three hand over by closing their clients.
    let last = candidates[1].fenced_lock("leader-lock").unwrap();
    fences.push(last.lock().await.unwrap());
    assert_eq!(fences.len(), 13);
    assert!(fences.windows(2).all(|w| w[0] < w[1]), "fences of successive leaders: {fences:?}");
    last.unlock().await.unwrap();
    cluster.shutdown().await;
}

/// Latch as a barrier: four waiters are released together, only after the last count-down.
async fn a_latch_releases_all_waiters_at_once<C: TestCluster>() {
    let mut cluster = C::start(3).await;
    let coordinator = cluster.client().await;
    let latch = coordinator.count_down_latch("barrier").unwrap();
    assert!(latch.try_set_count(3).await.unwrap());
    let released = Arc::new(AtomicBool::new(false));
    let mut waiters = Vec::new();
    for _ in 0..4 {
        let client = cluster.client().await;
        let released = Arc::clone(&released);
        waiters.push(tokio::spawn(async move {
            let opened = client.count_down_latch("barrier").unwrap().await_latch(None).await.unwrap();
            (opened, released.load(Ordering::SeqCst))
        }));
    }
    let leader = cluster.leader().await;
    eventually("four waiters park in the latch", async || {
        match cluster.structure(leader, DEFAULT_GROUP, "barrier").await {
            Some(Structure::CountDownLatch(latch)) => latch.waiting() == 4,
            _ => false,
        }
    })
    .await;
    latch.count_down().await.unwrap();
    latch.count_down().await.unwrap();
    assert!(waiters.iter().all(|w| !w.is_finished()), "released before the count reached zero");
    released.store(true, Ordering::SeqCst);
    latch.count_down().await.unwrap();
    for waiter in waiters {
        let (opened, after_last) = tokio::time::timeout(BOUND, waiter).await.unwrap().unwrap();
        assert!(opened && after_last);
    }
    cluster.shutdown().await;
}

async fn every_operation_of_every_structure<C: NamedGroups>() {
    let mut cluster = C::start(3).await;
    let client = cluster.client().await;
    let other = cluster.client().await;

    // AtomicLong: all ten operations, in the default group and in a named one.
    for name in ["counter", "counter@orders"] {
        let long = client.atomic_long(name).unwrap();
        assert_eq!(long.get().await.unwrap(), 0, "{name}");
        long.set(10).await.unwrap();
        assert_eq!(long.get_and_set(20).await.unwrap(), 10);
        assert_eq!(long.add_and_get(5).await.unwrap(), 25);
        assert_eq!(long.get_and_add(-5).await.unwrap(), 25);
        assert_eq!(long.increment_and_get().await.unwrap(), 21);
        assert_eq!(long.decrement_and_get().await.unwrap(), 20);
        assert_eq!(long.get_and_increment().await.unwrap(), 20);
        assert_eq!(long.get_and_decrement().await.unwrap(), 21);
        assert!(long.compare_and_set(20, 100).await.unwrap());
        assert!(!long.compare_and_set(20, 200).await.unwrap());
        assert_eq!(long.get().await.unwrap(), 100);
        // The witness is the value found: a miss changes nothing, a hit swaps.
        assert_eq!(long.compare_and_exchange(7, 300).await.unwrap(), 100);
        assert_eq!(long.compare_and_exchange(100, 42).await.unwrap(), 100);
        assert_eq!(long.compare_and_exchange(42, 100).await.unwrap(), 42);
        assert_eq!(long.get().await.unwrap(), 100);
    }
    // The two groups are separate: the named group's counter is its own Raft group's state.
    client.atomic_long("counter").unwrap().set(1).await.unwrap();
    assert_eq!(other.atomic_long("counter@orders").unwrap().get().await.unwrap(), 100);
    let orders = cluster.leader_of("orders").await;
    match cluster.structure(orders, "orders", "counter").await {
        Some(Structure::AtomicLong(long)) => assert_eq!(long.value(), 100),
        other => panic!("orders holds {other:?}"),
    }
    let overflow = client.atomic_long("counter").unwrap().add_and_get(i64::MAX).await.unwrap_err();
    assert!(matches!(overflow, ClientError::Refused(CoreError::Overflow { .. })), "{overflow}");

    // AtomicReference: all eight operations, with strings and a serde type.
    let reference = client.atomic_reference::<String>("config").unwrap();
    assert!(reference.is_null().await.unwrap());
    assert_eq!(reference.get().await.unwrap(), None);
    assert!(reference.contains(None).await.unwrap());
    assert!(reference.set_if_absent(&"v1".to_owned()).await.unwrap());
    assert!(!reference.set_if_absent(&"other".to_owned()).await.unwrap());
    assert_eq!(reference.get().await.unwrap().as_deref(), Some("v1"));
    assert_eq!(reference.get_and_set(Some(&"v2".to_owned())).await.unwrap().as_deref(), Some("v1"));
    assert!(reference.contains(Some(&"v2".to_owned())).await.unwrap());
    assert!(!reference.compare_and_set(Some(&"v1".to_owned()), Some(&"v3".to_owned())).await.unwrap());
    assert!(reference.compare_and_set(Some(&"v2".to_owned()), Some(&"v3".to_owned())).await.unwrap());
    reference.set(Some(&"v4".to_owned())).await.unwrap();
    assert_eq!(other.atomic_reference::<String>("config").unwrap().get().await.unwrap().as_deref(), Some("v4"));
    reference.clear().await.unwrap();
    assert!(reference.is_null().await.unwrap());
    let typed = client.atomic_reference::<Serde<(u32, String)>>("typed@orders").unwrap();
    typed.set(Some(&Serde((7, "seven".to_owned())))).await.unwrap();
    assert_eq!(typed.get().await.unwrap(), Some(Serde((7, "seven".to_owned()))));

    // FencedLock: lock, reentrancy, counts, fences, try_lock with and without a wait, guard.
    let lock = client.fenced_lock("resource").unwrap();
    let rival = other.fenced_lock("resource").unwrap();
    assert!(!lock.is_locked().await.unwrap());
    assert_eq!(lock.lock_count().await.unwrap(), 0);
    let fence = lock.lock().await.unwrap();
    assert_eq!(lock.lock().await.unwrap(), fence, "a reentrant acquire keeps the fence");
    assert_eq!(lock.try_lock(Duration::ZERO).await.unwrap(), Some(fence));
    assert_eq!(lock.lock_count().await.unwrap(), 3);
    assert!(lock.is_locked().await.unwrap());
    assert!(lock.is_locked_by_me().await.unwrap());
    assert!(!rival.is_locked_by_me().await.unwrap());
    assert_eq!(lock.fence().await.unwrap(), fence);
    let not_holder = rival.fence().await.unwrap_err();
    assert!(matches!(not_holder, ClientError::Refused(CoreError::NotOwner { .. })), "{not_holder}");
    assert_eq!(rival.try_lock(Duration::ZERO).await.unwrap(), None);
    let started = tokio::time::Instant::now();
    assert_eq!(rival.try_lock(SHORT).await.unwrap(), None, "the lock is held for the whole wait");
    assert!(started.elapsed() >= SHORT, "try_lock gave up after {:?}", started.elapsed());
    let rival_unlock = rival.unlock().await.unwrap_err();
    assert!(matches!(rival_unlock, ClientError::Refused(CoreError::NotOwner { .. })), "{rival_unlock}");
    for remaining in [2, 1] {
        lock.unlock().await.unwrap();
        assert_eq!(lock.lock_count().await.unwrap(), remaining);
    }
    // The rival waits with a timeout and gets the lock when it is released during the wait.
    let waiting = {
        let rival = rival.clone();
        tokio::spawn(async move { rival.try_lock(BOUND).await })
    };
    eventually("the rival parks in the lock", async || {
        match cluster.structure(cluster.leader().await, DEFAULT_GROUP, "resource").await {
            Some(Structure::FencedLock(lock)) => lock.waiting() == 1,
            _ => false,
        }
    })
    .await;
    lock.unlock().await.unwrap();
    let rival_fence = waiting.await.unwrap().unwrap().expect("the rival acquires during its wait");
    assert!(rival_fence > fence);
    assert!(rival.is_locked_by_me().await.unwrap() && !lock.is_locked_by_me().await.unwrap());
    rival.unlock().await.unwrap();
    let guard = lock.lock_guard().await.unwrap();
    assert!(guard.fence() > rival_fence);
    assert_eq!(lock.fence().await.unwrap(), guard.fence());
    guard.unlock().await.unwrap();
    assert!(!lock.is_locked().await.unwrap());
    // A guard dropped without unlock releases in the background.
    drop(lock.lock_guard().await.unwrap());
    eventually("the dropped guard releases", async || !rival.is_locked().await.unwrap()).await;

    // Semaphore: all eight operations.
    let pool = client.semaphore("pool@orders").unwrap();
    pool.init(3).await.unwrap();
    let again = pool.init(3).await.unwrap_err();
    assert!(matches!(again, ClientError::Refused(CoreError::AlreadyInitialized)), "{again}");
    assert_eq!(pool.available_permits().await.unwrap(), 3);
    pool.acquire(2).await.unwrap();
    assert!(pool.try_acquire(1, Duration::ZERO).await.unwrap());
    let other_pool = other.semaphore("pool@orders").unwrap();
    assert!(!other_pool.try_acquire(1, Duration::ZERO).await.unwrap());
    let started = tokio::time::Instant::now();
    assert!(!other_pool.try_acquire(1, SHORT).await.unwrap());
    assert!(started.elapsed() >= SHORT, "try_acquire gave up after {:?}", started.elapsed());
    let not_held = other_pool.release(1).await.unwrap_err();
    assert!(
        matches!(not_held, ClientError::Refused(CoreError::PermitsNotHeld { requested: 1, held: 0 })),
        "{not_held}"
    );
    pool.release(3).await.unwrap();
    pool.increase_permits(2).await.unwrap();
    assert_eq!(pool.available_permits().await.unwrap(), 5);
    pool.reduce_permits(4).await.unwrap();
    assert_eq!(pool.available_permits().await.unwrap(), 1);
    pool.increase_permits(3).await.unwrap();
    assert_eq!(other_pool.drain_permits().await.unwrap(), 4);
    assert_eq!(pool.available_permits().await.unwrap(), 0);
    other_pool.release(4).await.unwrap();
    assert_eq!(pool.available_permits().await.unwrap(), 4);

    // CountDownLatch: rounds, count-down, await with and without a timeout.
    let latch = client.count_down_latch("startup").unwrap();
    assert_eq!(latch.get_round().await.unwrap(), 0);
    assert_eq!(latch.get_count().await.unwrap(), 0);
    assert!(latch.await_latch(Some(Duration::ZERO)).await.unwrap(), "an unset latch is open");
    assert!(latch.try_set_count(2).await.unwrap());
    assert!(!latch.try_set_count(5).await.unwrap(), "a round is counting");
    assert_eq!(latch.get_round().await.unwrap(), 1);
    assert_eq!(latch.get_count().await.unwrap(), 2);
    let started = tokio::time::Instant::now();
    assert!(!latch.await_latch(Some(SHORT)).await.unwrap());
    assert!(started.elapsed() >= SHORT, "await gave up after {:?}", started.elapsed());
    latch.count_down().await.unwrap();
    assert_eq!(latch.get_count().await.unwrap(), 1);
    other.count_down_latch("startup").unwrap().count_down().await.unwrap();
    assert_eq!(latch.get_count().await.unwrap(), 0);
    assert!(latch.await_latch(None).await.unwrap());
    assert!(latch.await_latch(Some(SHORT)).await.unwrap());
    assert!(latch.try_set_count(1).await.unwrap(), "an open latch starts a new round");
    assert_eq!(latch.get_round().await.unwrap(), 2);
    latch.count_down().await.unwrap();
    assert!(latch.await_latch(Some(Duration::ZERO)).await.unwrap());

    client.close().await.unwrap();
    other.close().await.unwrap();
    let closed = client.atomic_long("counter").unwrap().get().await.unwrap_err();
    assert_eq!(closed, ClientError::Closed);
    cluster.shutdown().await;
}
