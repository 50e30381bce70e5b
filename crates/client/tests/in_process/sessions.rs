//! Locks, sessions, parked calls, semaphores and latches through the stand-in cluster of
//! `main.rs`, and the client's limits (timeouts, heartbeats, resends).

use super::*;

#[tokio::test]
async fn a_waiting_lock_is_granted_with_a_larger_fence() {
    let cluster = Cluster::new(3, 0);
    let client = Client::new(cluster.clone(), config());
    let first = client.fenced_lock("resource-lock").unwrap();
    let second = client.fenced_lock("resource-lock").unwrap();
    let fence1 = first.lock().await.unwrap();
    assert_eq!(first.lock().await.unwrap(), fence1, "reentrant acquire keeps the fence");
    assert_eq!(first.lock_count().await.unwrap(), 2);
    assert!(first.is_locked_by_me().await.unwrap());
    assert!(!second.is_locked_by_me().await.unwrap());
    assert_eq!(second.try_lock(Duration::ZERO).await.unwrap(), None);

    let waiter = tokio::spawn(async move { second.lock().await });
    eventually("the second owner to park", || cluster.lock_waiters("resource-lock") == 1).await;
    first.unlock().await.unwrap();
    assert_eq!(cluster.lock_waiters("resource-lock"), 1, "still held once: the waiter waits");
    first.unlock().await.unwrap();
    let fence2 = tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap().unwrap();
    assert!(fence2 > fence1, "{fence2} must be above {fence1}");
    let err = first.unlock().await.unwrap_err();
    assert!(matches!(err, ClientError::Refused(CoreError::NotOwner { .. })), "{err}");
}

#[tokio::test]
async fn a_lock_guard_releases_on_unlock_and_on_drop() {
    let cluster = Cluster::new(1, 0);
    let client = Client::new(cluster, config());
    let lock = client.fenced_lock("leader-lock").unwrap();
    let guard = lock.lock_guard().await.unwrap();
    assert_eq!(lock.fence().await.unwrap(), guard.fence());
    guard.unlock().await.unwrap();
    assert!(!lock.is_locked().await.unwrap());

    let guard = lock.lock_guard().await.unwrap();
    let fence: Fence = guard.fence();
    drop(guard);
    let probe = lock.clone();
    let mut released = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !released {
        assert!(tokio::time::Instant::now() < deadline, "the dropped guard never released the lock");
        released = !probe.is_locked().await.unwrap();
        tokio::task::yield_now().await;
    }
    assert!(lock.lock().await.unwrap() > fence);
}

#[tokio::test]
async fn a_lock_lost_with_its_session_is_reported_lost_by_unlock_is_locked_by_me_and_the_guard() {
    let cluster = Cluster::new(1, 0);
    let client = Client::new(cluster.clone(), ClientConfig { session_ttl: Duration::from_secs(1), ..config() });
    let (a, b, c) =
        (client.fenced_lock("a").unwrap(), client.fenced_lock("b").unwrap(), client.fenced_lock("c").unwrap());
    let fence = a.lock().await.unwrap();
    b.lock().await.unwrap();
    let guard = c.lock_guard().await.unwrap();
    let rival = Client::new(cluster.clone(), config()).fenced_lock("a").unwrap();
    let waiting = tokio::spawn(async move { rival.lock().await });
    eventually("the rival to park", || cluster.lock_waiters("a") == 1).await;

    // The holder stops heartbeating past its TTL: its session expires and "a" passes on.
    cluster.advance(1_500);
    let rival_fence = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap().unwrap();
    assert!(rival_fence > fence, "{rival_fence} must be above {fence}");

    let lost = |err: ClientError, name: &str| {
        assert!(matches!(&err, ClientError::LockOwnershipLost { name: n, .. } if n == name), "{name}: {err}");
    };
    lost(a.unlock().await.unwrap_err(), "a");
    lost(b.is_locked_by_me().await.unwrap_err(), "b");
    assert!(!guard.is_held().await.unwrap());
    lost(guard.unlock().await.unwrap_err(), "c");

    // After the error the handle holds nothing: it says so, and locks anew in a new session.
    assert!(!b.is_locked_by_me().await.unwrap());
    let again = a.try_lock(Duration::ZERO).await.unwrap();
    assert_eq!(again, None, "the rival holds \"a\" now");
    assert!(b.lock().await.unwrap() > fence);
    assert!(b.is_locked_by_me().await.unwrap());
}

#[tokio::test]
async fn a_call_resent_after_its_session_expired_is_answered_from_its_record_and_applied_once() {
    let cluster = Cluster::new(1, 0);
    let client = Client::new(cluster.clone(), ClientConfig { session_ttl: Duration::from_secs(1), ..config() });
    let lock = client.fenced_lock("l").unwrap();
    let first = lock.lock().await.unwrap();
    lock.unlock().await.unwrap();
    // The next lock is granted, its answer is lost, and the session expires (releasing the
    // lock) before the resend reaches the group: the resend is answered with the fence, not
    // applied again, and not mistaken for a call that was never made.
    cluster.advance_on_loss.store(1_500, Ordering::SeqCst);
    cluster.lose.store(1, Ordering::SeqCst);
    let fence = lock.lock().await.unwrap();
    assert!(fence > first, "{fence} after {first}");
    assert_eq!(cluster.lock_waiters("l"), 0);
    // The lock went with the session, and the handle says so.
    assert!(matches!(lock.unlock().await, Err(ClientError::LockOwnershipLost { .. })));
    // Calls outside sessions lose nothing to an expiry: an increment whose answer was lost
    // in such a pause is answered from its record.
    let seq = client.atomic_long("ids").unwrap();
    assert_eq!(seq.increment_and_get().await.unwrap(), 1);
    cluster.advance_on_loss.store(1_500, Ordering::SeqCst);
    cluster.lose.store(1, Ordering::SeqCst);
    assert_eq!(seq.increment_and_get().await.unwrap(), 2);
    assert_eq!(seq.get().await.unwrap(), 2, "applied exactly once");
    // A session found expired on a call's first attempt is replaced: nothing was applied,
    // and the call is made again, under the same invocation, in a new session. (The client
    // has not noticed the expiry: its heartbeat is an hour away.)
    let before = lock.lock().await.unwrap();
    cluster.advance(1_500);
    let other = client.fenced_lock("m").unwrap();
    assert!(other.lock().await.unwrap() > before);
    assert!(other.is_locked_by_me().await.unwrap());
    assert!(matches!(lock.unlock().await, Err(ClientError::LockOwnershipLost { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_is_not_overtaken_by_more_calls_than_the_group_remembers() {
    let cluster = Cluster::new(1, 0);
    let patient =
        ClientConfig { attempt_timeout: Duration::from_secs(60), call_timeout: Duration::from_secs(60), ..config() };
    let client = Client::new(cluster.clone(), patient);
    assert_eq!(client.atomic_long("n").unwrap().increment_and_get().await.unwrap(), 1);
    // One increment is held up on its way for 10 s while four tasks of the same session
    // make 400 more: far more than the group's retry window (256) remembers.
    cluster.delay_next.store(10_000, Ordering::SeqCst);
    let slow = {
        let counter = client.atomic_long("n").unwrap();
        tokio::spawn(async move { counter.increment_and_get().await })
    };
    eventually("the slow call to be on its way", || cluster.delay_next.load(Ordering::SeqCst) == 0).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let counter = client.atomic_long("n").unwrap();
        tasks.push(tokio::spawn(async move {
            for _ in 0..100 {
                counter.increment_and_get().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Not refused as older than the retry window: the others waited for it.
    slow.await.unwrap().unwrap();
    assert_eq!(client.atomic_long("n").unwrap().get().await.unwrap(), 402);
}

#[tokio::test(start_paused = true)]
async fn a_call_moves_off_a_leader_that_stopped_answering_without_waiting_out_the_attempt() {
    let cluster = Cluster::new(3, 0);
    let slow_to_give_up =
        ClientConfig { attempt_timeout: Duration::from_secs(10), call_timeout: Duration::from_secs(30), ..config() };
    let client = Client::new(cluster.clone(), slow_to_give_up);
    let seq = client.atomic_long("ids").unwrap();
    assert_eq!(seq.increment_and_get().await.unwrap(), 1);
    // Leader 0 is paused; the others have elected 1.
    cluster.hung.store(0, Ordering::SeqCst);
    cluster.leader.store(1, Ordering::SeqCst);
    let started = tokio::time::Instant::now();
    assert_eq!(seq.increment_and_get().await.unwrap(), 2);
    assert_eq!(seq.get().await.unwrap(), 2);
    // Virtual time: one failover check (300 ms by default), not the 10 s attempt timeout.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_parked_lock_keeps_its_place_when_its_leader_stops_answering() {
    let cluster = Cluster::new(3, 0);
    let holder = Client::new(cluster.clone(), config()).fenced_lock("l").unwrap();
    let first = Client::new(cluster.clone(), config()).fenced_lock("l").unwrap();
    let second = Client::new(cluster.clone(), config()).fenced_lock("l").unwrap();
    let fence = holder.lock().await.unwrap();
    let waiter = first.clone();
    let first_wait = tokio::spawn(async move { waiter.lock().await });
    eventually("the first waiter to park", || cluster.lock_waiters("l") == 1).await;
    let waiter = second.clone();
    let second_wait = tokio::spawn(async move { waiter.lock().await });
    eventually("the second waiter to park", || cluster.lock_waiters("l") == 2).await;

    // The leader both waiters are parked at stops answering; the others elect 1.
    cluster.hung.store(0, Ordering::SeqCst);
    cluster.leader.store(1, Ordering::SeqCst);
    holder.unlock().await.unwrap();
    let first_fence = tokio::time::timeout(Duration::from_secs(30), first_wait).await.unwrap().unwrap().unwrap();
    assert!(first_fence > fence);
    // The first in line got it: its place survived the leader change.
    assert!(first.is_locked_by_me().await.unwrap());
    assert!(!second.is_locked_by_me().await.unwrap());
    assert_eq!(cluster.lock_waiters("l"), 1);
    first.unlock().await.unwrap();
    let second_fence = tokio::time::timeout(Duration::from_secs(30), second_wait).await.unwrap().unwrap().unwrap();
    assert!(second_fence > first_fence);
}

#[tokio::test]
async fn closing_the_client_releases_its_locks() {
    let cluster = Cluster::new(1, 0);
    let holder = Client::new(cluster.clone(), config());
    holder.fenced_lock("l").unwrap().lock().await.unwrap();
    let other = Client::new(cluster.clone(), config());
    let contender = other.fenced_lock("l").unwrap();
    assert_eq!(contender.try_lock(Duration::ZERO).await.unwrap(), None);
    holder.close().await.unwrap();
    assert!(contender.try_lock(Duration::ZERO).await.unwrap().is_some());
    let err = holder.atomic_long("x").unwrap().get().await.unwrap_err();
    assert_eq!(err, ClientError::Closed);
}

#[tokio::test]
async fn semaphore_and_latch_cover_the_seed_use_cases() {
    let cluster = Cluster::new(1, 0);
    let client = Client::new(cluster.clone(), config());
    // Rate limiter: exactly `limit` admissions.
    let limiter = client.semaphore("rate-limit:alice").unwrap();
    limiter.init(3).await.unwrap();
    let err = limiter.init(3).await.unwrap_err();
    assert_eq!(err, ClientError::Refused(CoreError::AlreadyInitialized));
    let mut admitted = 0;
    for _ in 0..5 {
        admitted += usize::from(limiter.try_acquire(1, Duration::ZERO).await.unwrap());
    }
    assert_eq!(admitted, 3);
    assert_eq!(limiter.available_permits().await.unwrap(), 0);
    limiter.release(2).await.unwrap();
    assert_eq!(limiter.drain_permits().await.unwrap(), 2);
    limiter.increase_permits(5).await.unwrap();
    limiter.reduce_permits(2).await.unwrap();
    assert_eq!(limiter.available_permits().await.unwrap(), 3);
    let err = limiter.release(10).await.unwrap_err();
    assert!(matches!(err, ClientError::Refused(CoreError::PermitsNotHeld { .. })), "{err}");

    // Latch as a barrier: every participant sets, counts down and awaits.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let client = Client::new(cluster.clone(), config());
        tasks.push(tokio::spawn(async move {
            let latch = client.count_down_latch("barrier").unwrap();
            latch.try_set_count(3).await.unwrap();
            latch.count_down().await.unwrap();
            latch.await_latch(None).await.unwrap()
        }));
    }
    for task in tasks {
        assert!(tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap());
    }
    let latch = client.count_down_latch("barrier").unwrap();
    assert_eq!(latch.get_count().await.unwrap(), 0);
    assert_eq!(latch.get_round().await.unwrap(), 1);
    assert!(latch.await_latch(Some(Duration::ZERO)).await.unwrap());
    assert!(cluster.value("barrier").is_some());
}

#[tokio::test]
async fn heartbeats_keep_the_session_and_its_lock_alive() {
    let cluster = Cluster::new(1, 0);
    let fast =
        ClientConfig { session_ttl: Duration::from_secs(1), heartbeat_interval: Duration::from_millis(5), ..config() };
    let client = Client::new(cluster.clone(), fast);
    let lock = client.fenced_lock("lease").unwrap();
    lock.lock().await.unwrap();
    cluster.advance(600);
    let seen = cluster.heartbeats.load(Ordering::SeqCst);
    eventually("a heartbeat after the clock moved", || cluster.heartbeats.load(Ordering::SeqCst) > seen).await;
    // Past the original expiry (1000 ms), but the heartbeat at 600 ms moved it to 1600 ms.
    cluster.advance(600);
    assert!(lock.is_locked_by_me().await.unwrap());
}

#[tokio::test]
async fn the_longest_timeouts_do_not_overflow() {
    let cluster = Cluster::new(3, 0);
    let client = Client::new(cluster.clone(), config());
    let lock = client.fenced_lock("l").unwrap();
    assert!(lock.try_lock(Duration::MAX).await.unwrap().is_some());
    let permits = client.semaphore("s").unwrap();
    permits.init(1).await.unwrap();
    assert!(permits.try_acquire(1, Duration::MAX).await.unwrap());
    let latch = client.count_down_latch("c").unwrap();
    assert!(latch.await_latch(Some(Duration::MAX)).await.unwrap());
    let patient = client.with_call_timeout(Duration::MAX);
    assert_eq!(patient.atomic_long("n").unwrap().increment_and_get().await.unwrap(), 1);
}

#[tokio::test]
async fn a_client_made_with_a_zero_heartbeat_interval_heartbeats_instead_of_panicking() {
    // `Client::new` does not validate: a zero interval (which `tokio::time::interval` panics
    // on) must still give a heartbeat task that runs, not one that dies at its first tick.
    let cluster = Cluster::new(1, 0);
    let zero = ClientConfig { session_ttl: Duration::from_secs(1), heartbeat_interval: Duration::ZERO, ..config() };
    let client = Client::new(cluster.clone(), zero);
    let lock = client.fenced_lock("lease").unwrap();
    lock.lock().await.unwrap();
    eventually("heartbeats of the session", || cluster.heartbeats.load(Ordering::SeqCst) >= 3).await;
    cluster.advance(600);
    let seen = cluster.heartbeats.load(Ordering::SeqCst);
    eventually("a heartbeat after the clock moved", || cluster.heartbeats.load(Ordering::SeqCst) > seen).await;
    cluster.advance(600);
    assert!(lock.is_locked_by_me().await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_mutation_is_not_resent_past_the_resend_limit_whatever_its_timeout() {
    // The group is sure to remember a call's answer only for a while (coterie_core::dedup):
    // a resend after that could be applied again, so the client stops at RESEND_LIMIT.
    let cluster = Cluster::new(1, 0);
    let client = Client::new(cluster.clone(), config()).with_call_timeout(Duration::from_secs(3_600));
    let seq = client.atomic_long("ids").unwrap();
    assert_eq!(seq.increment_and_get().await.unwrap(), 1);
    cluster.hung.store(0, Ordering::SeqCst);
    let started = tokio::time::Instant::now();
    let err = seq.increment_and_get().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, ClientError::Indeterminate { .. }), "{err}");
    assert!(err.to_string().contains("not resent after"), "{err}");
    assert!(took >= coterie_core::dedup::RESEND_LIMIT, "gave up early: {took:?}");
    assert!(took < coterie_core::dedup::RESEND_LIMIT + Duration::from_secs(5), "took {took:?}");
}
