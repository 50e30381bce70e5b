//! Client-side faults over three real nodes.
//!
//! Issue 8, part 2: a client paused (like SIGSTOP) past its session
//! TTL while its increments are in flight. Before the fix, a call whose answer was lost in
//! the pause was retried, met `SessionExpired`, and was sent again in a new session, so it
//! was applied twice (the issue saw 606, 607, 608 returned while 601-603 never were). Issue
//! 8 made such a call end with `OutcomeUnknown`; since calls are deduplicated by client id
//! rather than by session (issue 9, item 5), every one of them is answered, exactly once,
//! and only what the session owned (a lock) is lost.
//!
//! And a connection dropped while `lock()` waits: the client retries the same invocation,
//! and the wait must go on in its place, not end `Cancelled` because the server cancelled
//! the call whose connection went away (the review's race, issue 9 item 8).
//!
//! The pause is a transport wrapper: while frozen, nothing the client sends leaves and no
//! answer is read; on thaw, every call that was in flight across the freeze ends as timed
//! out (its answer, if any, is lost), as a resumed process's expired timers would make it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code and its shared harness")]

use crate::support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use coterie_client::{Call, Client, ClientConfig, ClientError, GrpcTransport, Transport, TransportError};
use coterie_core::{GroupOutput, Structure};
use support::{BOUND, Cluster, eventually};
use tokio::sync::watch;

/// A transport that can be frozen like a stopped process (see the module docs).
#[derive(Clone)]
struct Freezable {
    inner: GrpcTransport,
    /// `true` while frozen.
    frozen: watch::Sender<bool>,
    /// Counts freezes: a call that saw another value when it was sent was in flight across one.
    freezes: Arc<AtomicU64>,
    /// Freeze as soon as the next mutation's answer arrives (before it is read): a freeze
    /// that certainly catches a mutation in flight.
    freeze_on_next_answer: Arc<AtomicBool>,
    /// Notified: every call with an invocation waiting right now loses its connection (the attempt
    /// ends as unavailable and its stream is dropped, as when a TCP connection resets).
    cut: Arc<tokio::sync::Notify>,
    /// How many blocking attempts were cut.
    cuts: Arc<AtomicU64>,
}

impl Freezable {
    fn new(inner: GrpcTransport) -> Self {
        Freezable {
            inner,
            frozen: watch::channel(false).0,
            freezes: Arc::default(),
            freeze_on_next_answer: Arc::default(),
            cut: Arc::default(),
            cuts: Arc::default(),
        }
    }

    fn freeze(&self) {
        self.freezes.fetch_add(1, Ordering::SeqCst);
        self.frozen.send_replace(true);
    }

    fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    fn is_frozen(&self) -> bool {
        *self.frozen.borrow()
    }

    async fn thawed(&self) {
        let mut frozen = self.frozen.subscribe();
        let _ = frozen.wait_for(|frozen| !frozen).await;
    }
}

impl Transport for Freezable {
    fn endpoints(&self) -> usize {
        self.inner.endpoints()
    }

    async fn call(
        &self,
        endpoint: usize,
        call: Call,
        timeout: Option<Duration>,
    ) -> Result<GroupOutput, TransportError> {
        self.thawed().await;
        let sent_in = self.freezes.load(Ordering::SeqCst);
        let mutation = call.invocation.is_some();
        let answer = if mutation {
            tokio::select! {
                answer = self.inner.call(endpoint, call, timeout) => answer,
                () = self.cut.notified() => {
                    self.cuts.fetch_add(1, Ordering::SeqCst);
                    return Err(TransportError::Unavailable { reason: "connection reset".into() });
                }
            }
        } else {
            self.inner.call(endpoint, call, timeout).await
        };
        if mutation && self.freeze_on_next_answer.swap(false, Ordering::SeqCst) {
            self.freeze();
        }
        self.thawed().await;
        if self.freezes.load(Ordering::SeqCst) != sent_in {
            return Err(TransportError::Unavailable { reason: "timed out while the process was paused".into() });
        }
        answer
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_in_flight_when_the_session_expires_in_a_pause_are_answered_exactly_once() {
    const TASKS: usize = 8;
    let mut cluster = Cluster::start(3).await;
    let transport = Freezable::new(GrpcTransport::connect(&cluster.endpoints(), Duration::from_secs(2)).await.unwrap());
    let config = ClientConfig {
        session_ttl: Duration::from_secs(1),
        heartbeat_interval: Duration::from_millis(200),
        call_timeout: Duration::from_secs(20),
        ..ClientConfig::default()
    };
    let client = Client::new(transport.clone(), config);
    let counter = client.atomic_long("hits").unwrap();
    assert_eq!(counter.increment_and_get().await.unwrap(), 1);
    // A lock gives the client a session, which the pause will outlast.
    let lock = client.fenced_lock("owned-by-the-session").unwrap();
    lock.lock().await.unwrap();

    let answered = Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let counter = client.atomic_long("hits").unwrap();
        let (answered, done, stop) = (Arc::clone(&answered), Arc::clone(&done), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                match counter.increment_and_get().await {
                    Ok(value) => answered.lock().unwrap().push(value),
                    Err(other) => panic!("an increment failed: {other}"),
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    // Pause the client with calls in flight, until the cluster has expired its session.
    eventually("some increments", async || done.load(Ordering::SeqCst) >= 20).await;
    transport.freeze_on_next_answer.store(true, Ordering::SeqCst);
    eventually("the freeze", async || transport.is_frozen()).await;
    let leader = cluster.leader("default").await;
    let node = cluster.replica(leader, "default").await;
    eventually("the session to expire", async || node.group().session_count() == 0).await;
    transport.thaw();
    // Some more increments in a new session, then stop.
    let at_thaw = done.load(Ordering::SeqCst);
    eventually("increments after the pause", async || done.load(Ordering::SeqCst) >= at_thaw + 40).await;
    stop.store(true, Ordering::SeqCst);

    for task in tasks {
        tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let distinct: BTreeSet<i64> = answered.iter().copied().collect();
    assert_eq!(distinct.len(), answered.len(), "a value was answered twice: {answered:?}");
    let total = counter.get().await.unwrap();
    let ok = i64::try_from(answered.len()).unwrap() + 1;
    // Every increment was answered, and applied exactly once: the values are 1..=total.
    assert_eq!(total, ok, "{total} applied, {ok} answered");
    assert_eq!(distinct, (2..=total).collect::<BTreeSet<i64>>(), "the answers are not the applied values");
    // What the expired session owned is gone, and said so.
    assert!(matches!(lock.unlock().await, Err(ClientError::LockOwnershipLost { .. })));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_while_lock_waits_does_not_cancel_the_wait() {
    let mut cluster = Cluster::start(3).await;
    let holder = cluster.client().await.fenced_lock("job").unwrap();
    let fence = holder.lock().await.unwrap();
    let transport = Freezable::new(GrpcTransport::connect(&cluster.endpoints(), Duration::from_secs(2)).await.unwrap());
    let client = Client::new(transport.clone(), support::client_config());
    let waiter = client.fenced_lock("job").unwrap();
    let waiting = {
        let waiter = waiter.clone();
        tokio::spawn(async move { waiter.lock().await })
    };
    let leader = cluster.leader("default").await;
    let node = cluster.replica(leader, "default").await;
    let parked =
        async || matches!(node.group().structure("job"), Some(Structure::FencedLock(lock)) if lock.waiting() == 1);
    eventually("the waiter to park", parked).await;

    // The waiting call's connection resets; the client sends the same invocation again.
    transport.cut.notify_waiters();
    eventually("the cut", async || transport.cuts.load(Ordering::SeqCst) == 1).await;
    eventually("the waiter to wait again", parked).await;
    holder.unlock().await.unwrap();
    let granted = tokio::time::timeout(BOUND, waiting).await.unwrap().unwrap();
    let second = granted.unwrap_or_else(|err| panic!("the wait ended with {err:?}"));
    assert!(second > fence, "{second} must be above {fence}");
    assert!(waiter.is_locked_by_me().await.unwrap());
    cluster.shutdown().await;
}
