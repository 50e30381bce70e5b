//! The client's logic against an in-process cluster stand-in: one `Group` behind a mutex,
//! reachable through several endpoints of which one is the leader. Faults are injected per
//! call: lost responses (applied, then reported unavailable), outages, leader moves.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a poisoned lock or a parked call without an invocation is a bug in the test"
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_client::{Call, Client, ClientConfig, ClientError, Serde, Transport, TransportError};
use coterie_core::{
    ApplyCtx, CoreError, Effect, Fence, Group, GroupCommand, GroupOutput, InvocationId, LogIndex, Reply, StateMachine,
    Timestamp,
};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

type Waiter = oneshot::Sender<Result<GroupOutput, CoreError>>;

#[derive(Default)]
struct State {
    group: Group,
    index: u64,
    now: u64,
    waiters: BTreeMap<InvocationId, Waiter>,
}

impl State {
    fn apply(
        &mut self,
        command: GroupCommand,
        session: Option<coterie_core::SessionId>,
        invocation: Option<InvocationId>,
    ) -> Reply<GroupOutput> {
        self.index += 1;
        let ctx = ApplyCtx { index: LogIndex(self.index), now: Timestamp(self.now), session, invocation };
        let applied = self.group.apply(command, &ctx);
        for Effect::Wake { invocation, result } in applied.effects {
            if let Some(waiter) = self.waiters.remove(&invocation) {
                let _ = waiter.send(result);
            }
        }
        applied.response
    }
}

/// A cluster stand-in with `endpoints` endpoints.
#[derive(Clone)]
struct Cluster {
    state: Arc<Mutex<State>>,
    endpoints: usize,
    leader: Arc<AtomicUsize>,
    /// Endpoints at or above this index are down.
    up_to: Arc<AtomicUsize>,
    /// This many next mutations are applied but their responses lost.
    lose: Arc<AtomicU64>,
    /// When a response is lost, the clock moves on this many ms (and ticks) before the
    /// caller's retry: a client paused past its session TTL.
    advance_on_loss: Arc<AtomicU64>,
    /// The next call with an invocation waits this many ms before it reaches the group: a
    /// call held up on its way (a slow link, a failover) while others overtake it.
    delay_next: Arc<AtomicU64>,
    /// The endpoint at this index has stopped answering (a paused leader): calls to it,
    /// and answers of calls parked there, never arrive; the caller's timeout ends them.
    hung: Arc<AtomicUsize>,
    calls: Arc<AtomicU64>,
    heartbeats: Arc<AtomicU64>,
}

impl Cluster {
    fn new(endpoints: usize, leader: usize) -> Self {
        Cluster {
            state: Arc::default(),
            endpoints,
            leader: Arc::new(AtomicUsize::new(leader)),
            up_to: Arc::new(AtomicUsize::new(endpoints)),
            lose: Arc::new(AtomicU64::new(0)),
            advance_on_loss: Arc::new(AtomicU64::new(0)),
            delay_next: Arc::new(AtomicU64::new(0)),
            hung: Arc::new(AtomicUsize::new(usize::MAX)),
            calls: Arc::new(AtomicU64::new(0)),
            heartbeats: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Advances the cluster clock and ticks, as a leader would.
    fn advance(&self, ms: u64) {
        let mut state = self.state.lock().unwrap();
        state.now += ms;
        state.apply(GroupCommand::Tick, None, None);
    }

    fn value(&self, name: &str) -> Option<coterie_core::Structure> {
        self.state.lock().unwrap().group.structure(name).cloned()
    }

    fn lock_waiters(&self, name: &str) -> usize {
        match self.value(name) {
            Some(coterie_core::Structure::FencedLock(lock)) => lock.waiting(),
            _ => 0,
        }
    }
}

/// Waits (bounded) until `condition` holds, yielding to the other tasks meanwhile.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// What a caller sees of a member that stopped answering: nothing, until its own timeout.
async fn no_answer(timeout: Option<Duration>) -> Result<GroupOutput, TransportError> {
    match timeout {
        Some(timeout) => tokio::time::sleep(timeout).await,
        None => std::future::pending().await,
    }
    Err(TransportError::Unavailable { reason: "timed out".into() })
}

impl Transport for Cluster {
    fn endpoints(&self) -> usize {
        self.endpoints
    }

    async fn call(
        &self,
        endpoint: usize,
        call: Call,
        timeout: Option<Duration>,
    ) -> Result<GroupOutput, TransportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if matches!(call.command, GroupCommand::Heartbeat { .. }) {
            self.heartbeats.fetch_add(1, Ordering::SeqCst);
        }
        if endpoint >= self.up_to.load(Ordering::SeqCst) {
            return Err(TransportError::Unavailable { reason: format!("endpoint {endpoint} is down") });
        }
        let started = tokio::time::Instant::now();
        if endpoint == self.hung.load(Ordering::SeqCst) {
            return no_answer(timeout).await;
        }
        let leader = self.leader.load(Ordering::SeqCst);
        if endpoint != leader {
            return Err(TransportError::NotLeader { leader: Some(leader) });
        }
        if call.invocation.is_some() {
            let delay = self.delay_next.swap(0, Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
        }
        let receiver = {
            let mut state = self.state.lock().unwrap();
            let reply = state.apply(call.command, call.session, call.invocation);
            let lost = call.invocation.is_some()
                && self.lose.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
            if lost {
                let ms = self.advance_on_loss.load(Ordering::SeqCst);
                if ms > 0 {
                    state.now += ms;
                    state.apply(GroupCommand::Tick, None, None);
                }
                return Err(TransportError::Unavailable { reason: "response lost".into() });
            }
            match reply {
                Reply::Ready(Ok(output)) => return Ok(output),
                Reply::Ready(Err(err)) => return Err(TransportError::Refused(err)),
                Reply::Parked => {
                    let (sender, receiver) = oneshot::channel();
                    let invocation = call.invocation.expect("parked calls carry an invocation");
                    state.waiters.insert(invocation, sender);
                    receiver
                }
            }
        };
        let answer = match timeout {
            Some(t) => match tokio::time::timeout(t, receiver).await {
                Ok(answer) => answer,
                // Like a server: a keep_parked call stays parked, others are given up on.
                Err(_) if call.keep_parked => return Err(TransportError::StillParked),
                Err(_) => return Err(TransportError::Unavailable { reason: "timed out".into() }),
            },
            None => receiver.await,
        };
        if endpoint == self.hung.load(Ordering::SeqCst) {
            // The member stopped answering while the call was parked there.
            return no_answer(timeout.map(|t| t.saturating_sub(started.elapsed()))).await;
        }
        match answer {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(err)) => Err(TransportError::Refused(err)),
            Err(_) => Err(TransportError::Unavailable { reason: "waiter dropped".into() }),
        }
    }
}

fn config() -> ClientConfig {
    ClientConfig {
        call_timeout: Duration::from_millis(500),
        heartbeat_interval: Duration::from_secs(3600),
        retry_initial: Duration::from_millis(1),
        retry_max: Duration::from_millis(20),
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn atomic_long_and_reference_behave_like_the_seed() {
    let client = Client::new(Cluster::new(3, 0), config());
    let seq = client.atomic_long("sequence-generator").unwrap();
    seq.set(0).await.unwrap();
    assert_eq!(seq.increment_and_get().await.unwrap(), 1);
    assert_eq!(seq.decrement_and_get().await.unwrap(), 0);
    assert_eq!(seq.add_and_get(10).await.unwrap(), 10);
    assert_eq!(seq.get_and_add(5).await.unwrap(), 10);
    assert_eq!(seq.get().await.unwrap(), 15);
    assert!(seq.compare_and_set(15, 20).await.unwrap());
    assert!(!seq.compare_and_set(15, 30).await.unwrap());
    assert_eq!(seq.get_and_set(1).await.unwrap(), 20);
    assert_eq!(seq.get_and_increment().await.unwrap(), 1);
    assert_eq!(seq.get_and_decrement().await.unwrap(), 2);

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        timeout: u32,
        retries: u32,
    }
    let config_ref = client.atomic_reference::<Serde<Config>>("config").unwrap();
    let old = Serde(Config { timeout: 30, retries: 3 });
    let new = Serde(Config { timeout: 60, retries: 5 });
    assert!(config_ref.is_null().await.unwrap());
    config_ref.set(Some(&old)).await.unwrap();
    assert_eq!(config_ref.get().await.unwrap(), Some(old.clone()));
    assert!(config_ref.compare_and_set(Some(&old), Some(&new)).await.unwrap());
    assert_eq!(config_ref.get_and_set(Some(&old)).await.unwrap(), Some(new.clone()));
    assert!(!config_ref.set_if_absent(&new).await.unwrap());
    assert!(config_ref.contains(Some(&old)).await.unwrap());
    config_ref.clear().await.unwrap();
    assert!(config_ref.set_if_absent(&new).await.unwrap());
}

#[tokio::test]
async fn the_client_follows_the_leader_hint() {
    let cluster = Cluster::new(3, 2);
    let client = Client::new(cluster.clone(), config());
    let seq = client.atomic_long("s").unwrap();
    assert_eq!(seq.increment_and_get().await.unwrap(), 1);
    let before = cluster.calls.load(Ordering::SeqCst);
    assert_eq!(seq.increment_and_get().await.unwrap(), 2);
    // The leader is remembered: the second call went straight to it.
    assert_eq!(cluster.calls.load(Ordering::SeqCst) - before, 1);
    cluster.leader.store(1, Ordering::SeqCst);
    assert_eq!(seq.increment_and_get().await.unwrap(), 3);
}

#[tokio::test]
async fn a_lost_response_is_retried_and_applied_once() {
    let cluster = Cluster::new(3, 0);
    let client = Client::new(cluster.clone(), config());
    let seq = client.atomic_long("ids").unwrap();
    assert_eq!(seq.increment_and_get().await.unwrap(), 1);
    cluster.lose.store(2, Ordering::SeqCst);
    // Applied on the first attempt, response lost twice, answered from the dedup window.
    assert_eq!(seq.increment_and_get().await.unwrap(), 2);
    assert_eq!(seq.get().await.unwrap(), 2);
}

#[tokio::test]
async fn an_unreachable_cluster_is_a_clear_error_within_the_call_timeout() {
    let cluster = Cluster::new(3, 0);
    cluster.up_to.store(0, Ordering::SeqCst);
    let client = Client::new(cluster, config());
    let started = tokio::time::Instant::now();
    let err = client.atomic_long("s").unwrap().get().await.unwrap_err();
    assert!(matches!(err, ClientError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("majority of the cluster"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_per_client_call_timeout_bounds_calls_of_its_handles_only() {
    let cluster = Cluster::new(3, 0);
    cluster.up_to.store(0, Ordering::SeqCst);
    let patient = ClientConfig { call_timeout: Duration::from_secs(4), ..config() };
    let client = Client::new(cluster, patient.clone());
    let hasty = client.with_call_timeout(Duration::from_millis(100));
    let started = tokio::time::Instant::now();
    let err = hasty.atomic_long("s").unwrap().get().await.unwrap_err();
    assert!(matches!(err, ClientError::Unavailable { .. }), "{err}");
    // Generous bounds: the point is which timeout applies (0.1 s or 4 s), not how fast.
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let started = tokio::time::Instant::now();
    client.atomic_long("s").unwrap().get().await.unwrap_err();
    assert!(started.elapsed() >= patient.call_timeout, "the original keeps its own timeout");
}

mod sessions;
