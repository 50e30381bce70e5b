//! The new client paths on a fault-free simulated cluster, one scenario at a time:
//!
//! * a `lock()` that parks behind another session's hold, is resent after every attempt
//!   (`StillParked`) and through a crash of the leader, waits in one place in the lock's queue
//!   and is woken by the holder's unlock; with the planted bug (each resend a new call) the
//!   queue keeps the client's abandoned waiters;
//! * a session whose client stops heartbeating expires, the group releases its lock for the
//!   waiter, and the history explains the hand-over only with the recorded expiry.
//!
//! Virtual time (a paused runtime) stands in for waiting; nothing sleeps in real time.

#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_check::models::{FencedMutex, MutexInput, MutexOutput};
use coterie_check::{Budget, History, Outcome, check};
use coterie_core::kinds::fenced_lock::FencedLockOutput;
use coterie_core::{GroupOutput, Structure, StructureOutput};
use coterie_sim::client::{ClientCtx, SimClient};
use coterie_sim::cluster::Cluster;
use coterie_sim::net::Net;
use coterie_sim::observe::Recorder;
use coterie_sim::ops::Op;
use coterie_sim::record::{Ended, Histories};
use coterie_sim::rng::SimRng;
use coterie_sim::{Bugs, SimParams};
use tokio::time::Instant;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap()
}

/// A 3-member cluster of seed 5's timings, no faults, with `ttl` sessions (or lasting ones).
async fn cluster(ttl: Option<Duration>, bugs: Bugs) -> ClientCtx {
    let start = Instant::now();
    let mut params = SimParams::from_seed(5);
    params.nodes = 3;
    params.election.truncate(3);
    params.skew_ms = vec![0; 3];
    params.attempt_timeout = Duration::from_millis(200);
    params.op_timeout = Duration::from_secs(5);
    params.session_ttl = ttl;
    params.membership = false;
    let net = Net::new(SimRng::new(5), start, false, false);
    let cluster = Cluster::start(params.clone(), bugs, Arc::clone(&net), start).await.unwrap();
    ClientCtx {
        cluster,
        net,
        params,
        bugs,
        histories: Arc::new(Mutex::new(Histories::default())),
        start,
        recorder: Recorder::default(),
    }
}

fn lock(owner: u64) -> Op {
    Op::Lock { key: "l0".into(), input: MutexInput::Lock { owner }, wait: None }
}

fn fence(ended: &Ended) -> u64 {
    match ended {
        Ended::Ok(GroupOutput::Structure(StructureOutput::FencedLock(FencedLockOutput::Fence(f)))) => f.0,
        other => panic!("not granted: {other:?}"),
    }
}

/// The lock's waiters on member `id`'s applied state.
fn waiting(ctx: &ClientCtx, id: u64) -> usize {
    match ctx.cluster.node(id).unwrap().group().structure("l0") {
        Some(Structure::FencedLock(lock)) => lock.waiting(),
        _ => 0,
    }
}

/// Waits (in virtual time, polling, at most 10 s) until `condition` holds.
async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn parked_retries(ctx: &ClientCtx) -> u64 {
    ctx.histories.lock().unwrap().coverage.parked_retries
}

/// Client 2 parks behind client 1's hold and is resent after several attempts, then through
/// a crash of the leader; then client 1 unlocks. Returns client 2's ending and the waiters
/// left once every member has applied as far as the others.
async fn parked_through_a_crash(bugs: Bugs) -> (Ended, u64, usize, Histories) {
    let ctx = cluster(None, bugs).await;
    let until_open = Instant::now() + Duration::from_secs(10);
    let mut holder = SimClient::new(ctx.clone(), 1, SimRng::new(1));
    assert!(holder.open_session(until_open).await);
    let first = fence(&holder.run(&lock(1001)).await);
    let mut waiter = SimClient::new(ctx.clone(), 2, SimRng::new(2));
    assert!(waiter.open_session(until_open).await);
    let parked = tokio::spawn(async move { waiter.run(&lock(2001)).await });
    until("the waiter was resent after 4 parked attempts", || parked_retries(&ctx) >= 4).await;
    let leader = ctx.cluster.node(1).unwrap().leader().unwrap().0;
    ctx.cluster.crash(leader);
    let before = parked_retries(&ctx);
    until("the waiter was resent 4 more times with the leader down", || parked_retries(&ctx) >= before + 4).await;
    ctx.cluster.restart(leader).await.unwrap();
    let unlock = Op::Lock { key: "l0".into(), input: MutexInput::Unlock { owner: 1001 }, wait: None };
    assert!(matches!(holder.run(&unlock).await, Ended::Ok(_)));
    let ended = parked.await.unwrap();
    assert!(fence(&ended) > first, "fences increase");
    let applied = |ctx: &ClientCtx| -> Vec<Option<u64>> {
        ctx.cluster.ids().into_iter().map(|id| ctx.cluster.node(id).and_then(|n| n.applied_index())).collect()
    };
    until("every member has applied as far as the others", || {
        let indexes = applied(&ctx);
        indexes.iter().all(|index| index.is_some() && *index == indexes[0])
    })
    .await;
    let left = ctx.cluster.ids().into_iter().map(|id| waiting(&ctx, id)).max().unwrap_or(0);
    let histories = ctx.histories.lock().unwrap().clone();
    (ended, first, left, histories)
}

#[test]
fn a_parked_lock_resent_after_each_attempt_waits_in_one_place_and_is_woken_by_the_unlock() {
    runtime().block_on(async {
        let (_, _, left, histories) = parked_through_a_crash(Bugs::default()).await;
        let c = histories.coverage;
        assert!(c.parked_retries >= 3, "{c:?}");
        assert_eq!(c.woken_after_parking, 1, "{c:?}");
        assert_eq!(left, 0, "a resend of the parked call enqueued another waiter");
        let l0 = histories.locks.key(&"l0".to_owned()).unwrap();
        assert!(check(&FencedMutex::default(), l0, Budget::default()).is_linearizable());
    });
}

#[test]
fn with_the_planted_bug_every_resend_leaves_a_waiter_behind() {
    runtime().block_on(async {
        let bugs = Bugs { parked_retry_fresh_seq: true, ..Bugs::default() };
        let (_, _, left, histories) = parked_through_a_crash(bugs).await;
        // The first abandoned waiter was granted the lock at the unlock; the rest still wait.
        assert!(left >= 2, "only {left} waiters left behind ({:?})", histories.coverage);
    });
}

#[test]
fn an_expired_session_loses_its_lock_to_the_waiter_and_the_history_says_why() {
    runtime().block_on(async {
        let ctx = cluster(Some(Duration::from_millis(400)), Bugs::default()).await;
        let until = Instant::now() + Duration::from_secs(10);
        let mut holder = SimClient::new(ctx.clone(), 1, SimRng::new(1));
        assert!(holder.open_session(until).await);
        let first = fence(&holder.run(&lock(1001)).await);
        // The holder goes silent: its heartbeats stop with it.
        drop(holder);
        let mut waiter = SimClient::new(ctx.clone(), 2, SimRng::new(2));
        assert!(waiter.open_session(until).await);
        let started = Instant::now();
        let second = fence(&waiter.run(&lock(2001)).await);
        assert!(second > first);
        // Granted once the silent session expired (its TTL, and a tick), not before.
        assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
        let l0 = ctx.histories.lock().unwrap().locks.key(&"l0".to_owned()).unwrap().clone();
        let expiries = l0.ops().iter().filter(|op| matches!(op.input, MutexInput::Expire { .. })).count();
        assert_eq!(expiries, 2, "one possible expiry per session");
        assert!(check(&FencedMutex::default(), &l0, Budget::default()).is_linearizable());
        // Without the expiries, the same acquisitions are two holders at once.
        let mut bare = History::new();
        for op in l0.ops().iter().filter(|op| !matches!(op.input, MutexInput::Expire { .. })) {
            bare.push(op.clone()).unwrap();
        }
        assert!(bare.ops().iter().all(|op| matches!(op.outcome, Outcome::Ok(MutexOutput::Fence(_)))));
        assert!(check(&FencedMutex::default(), &bare, Budget::default()).is_not_linearizable());
    });
}
