//! The CP engine as a cluster: in-process nodes routed through a real openraft network
//! adapter, forming the group by themselves, surviving a leader loss and a follower
//! restart, and completing parked calls. Every wait is bounded and waits on Raft metrics.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::kinds::atomic_long::{AtomicLongCommand, AtomicLongOutput};
use coterie_core::kinds::fenced_lock::{FencedLockCommand, FencedLockOutput};
use coterie_core::{
    Fence, Group, GroupCommand, GroupOutput, InvocationId, OwnerId, SessionId, Structure, StructureCommand,
    StructureOutput, Timestamp,
};
use coterie_server::Request;
use coterie_server::cp::{Clock, CpConfig, CpError, CpNode, ManualClock, Router, SystemClock, Transport};
use coterie_storage::{LogStore, MemoryLog, RedbStorage};
use openraft::{BasicNode, ServerState};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(10);
const CALL: Duration = Duration::from_secs(5);

fn members(n: u64) -> BTreeMap<u64, BasicNode> {
    (1..=n).map(|id| (id, BasicNode::new(format!("in-process:{id}")))).collect()
}

fn config() -> CpConfig {
    CpConfig { tick_interval: Duration::from_millis(50), ..CpConfig::default() }
}

async fn start(
    id: u64,
    storage: impl LogStore + 'static,
    router: &Router,
    clock: Arc<dyn Clock>,
    config: CpConfig,
) -> Arc<CpNode> {
    let node = CpNode::start(id, members(3), storage, Transport::InProcess(router.clone()), clock, config);
    Arc::new(node.await.unwrap())
}

/// Starts nodes 1..=3 on memory storage concurrently, in an order that changes per run.
async fn memory_cluster(clock: Arc<dyn Clock>, config: CpConfig) -> (Router, Vec<Arc<CpNode>>) {
    let router = Router::new();
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos() as usize;
    let mut order = vec![1u64, 2, 3];
    order.rotate_left(seed % 3);
    if seed % 2 == 1 {
        order.swap(0, 1);
    }
    let handles: Vec<_> = order
        .into_iter()
        .map(|id| {
            let (router, clock, config) = (router.clone(), Arc::clone(&clock), config.clone());
            tokio::spawn(async move { start(id, MemoryLog::new(), &router, clock, config).await })
        })
        .collect();
    let mut nodes = Vec::new();
    for handle in handles {
        nodes.push(handle.await.unwrap());
    }
    nodes.sort_by_key(|node| node.id());
    (router, nodes)
}

/// Waits until every node in `nodes` agrees on a leader among them, and that leader leads.
async fn leader(nodes: &[Arc<CpNode>]) -> Arc<CpNode> {
    let ids: BTreeSet<u64> = nodes.iter().map(|n| n.id()).collect();
    let deadline = Instant::now() + WAIT;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let metrics = nodes[0]
            .raft()
            .wait(Some(remaining))
            .metrics(|m| m.current_leader.is_some_and(|l| ids.contains(&l)), "a leader among the nodes")
            .await
            .unwrap();
        let id = metrics.current_leader.unwrap();
        let candidate = nodes.iter().find(|n| n.id() == id).unwrap();
        let remaining = deadline.saturating_duration_since(Instant::now());
        candidate.raft().wait(Some(remaining)).state(ServerState::Leader, "the leader leads").await.unwrap();
        if nodes.iter().all(|n| n.metrics().current_leader == Some(id)) {
            return Arc::clone(candidate);
        }
        for node in nodes {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let _ = node.raft().wait(Some(remaining)).metrics(|m| m.current_leader == Some(id), "agree").await;
        }
        if nodes.iter().all(|n| n.metrics().current_leader == Some(id)) {
            return Arc::clone(candidate);
        }
        assert!(Instant::now() < deadline, "the nodes did not agree on a leader within {WAIT:?}");
    }
}

/// Waits until all nodes have applied the same entries, and returns their (equal) group.
async fn converged(nodes: &[Arc<CpNode>]) -> Group {
    let deadline = Instant::now() + WAIT;
    loop {
        let target = nodes.iter().filter_map(|n| n.applied_index()).max();
        for node in nodes {
            let remaining = deadline.saturating_duration_since(Instant::now());
            node.raft().wait(Some(remaining)).applied_index_at_least(target, "catch up").await.unwrap();
        }
        let states: Vec<(Option<u64>, Group)> = nodes.iter().map(|n| n.applied()).collect();
        if states.windows(2).all(|w| w[0] == w[1]) {
            return states[0].1.clone();
        }
        assert!(Instant::now() < deadline, "replicas did not converge within {WAIT:?}");
    }
}

fn increment(name: &str) -> GroupCommand {
    GroupCommand::Invoke {
        name: name.to_owned(),
        command: StructureCommand::AtomicLong(AtomicLongCommand::IncrementAndGet),
    }
}

fn long_value(output: GroupOutput) -> i64 {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicLong(AtomicLongOutput::Value(v))) => v,
        other => panic!("expected an AtomicLong value, got {other:?}"),
    }
}

fn stored_value(group: &Group, name: &str) -> i64 {
    match group.structure(name) {
        Some(Structure::AtomicLong(long)) => long.value(),
        other => panic!("expected an AtomicLong named {name}, got {other:?}"),
    }
}

async fn open_session(node: &CpNode, ttl: Duration) -> SessionId {
    match node.call(Request::internal(GroupCommand::OpenSession { ttl }), CALL).await.unwrap() {
        GroupOutput::Session(id) => id,
        other => panic!("expected a session, got {other:?}"),
    }
}

fn lock(name: &str, owner: u128) -> GroupCommand {
    GroupCommand::Invoke {
        name: name.to_owned(),
        command: StructureCommand::FencedLock(FencedLockCommand::Lock { owner: OwnerId(owner) }),
    }
}

fn fence(output: GroupOutput) -> Fence {
    match output {
        GroupOutput::Structure(StructureOutput::FencedLock(FencedLockOutput::Fence(f))) => f,
        other => panic!("expected a fence, got {other:?}"),
    }
}

fn waiting(group: &Group, name: &str) -> usize {
    match group.structure(name) {
        Some(Structure::FencedLock(lock)) => lock.waiting(),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_form_a_cluster_and_replicate_increments() {
    let (_router, nodes) = memory_cluster(Arc::new(SystemClock), config()).await;
    let leader = leader(&nodes).await;
    for expected in 1..=100 {
        let value = long_value(leader.call(Request::internal(increment("seq")), CALL).await.unwrap());
        assert_eq!(value, expected);
    }
    let group = converged(&nodes).await;
    assert_eq!(stored_value(&group, "seq"), 100);

    // A follower answers with where the leader is.
    let follower = nodes.iter().find(|n| n.id() != leader.id()).unwrap();
    match follower.call(Request::internal(increment("seq")), CALL).await {
        Err(CpError::NotLeader { leader: Some((id, addr)) }) => {
            assert_eq!(id, leader.id());
            assert_eq!(addr, format!("in-process:{id}"));
        }
        other => panic!("expected NotLeader with a hint, got {other:?}"),
    }
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parked_lock_is_granted_on_unlock_with_a_larger_fence() {
    let (_router, nodes) = memory_cluster(Arc::new(SystemClock), config()).await;
    let leader = leader(&nodes).await;
    let a = open_session(&leader, Duration::from_secs(60)).await;
    let b = open_session(&leader, Duration::from_secs(60)).await;
    let first =
        fence(leader.call(Request::invoked(lock("l", 1), InvocationId { session: a, seq: 1 }), CALL).await.unwrap());

    let waiter = {
        let leader = Arc::clone(&leader);
        tokio::spawn(async move {
            leader.call(Request::invoked(lock("l", 2), InvocationId { session: b, seq: 1 }), CALL).await
        })
    };
    // Wait (on apply events) until B is parked in the lock.
    leader.raft().wait(Some(WAIT)).metrics(|_| waiting(&leader.group(), "l") == 1, "B parks").await.unwrap();
    assert!(!waiter.is_finished());

    let unlock = GroupCommand::Invoke {
        name: "l".to_owned(),
        command: StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(1) }),
    };
    leader.call(Request::invoked(unlock, InvocationId { session: a, seq: 2 }), CALL).await.unwrap();
    let second = fence(waiter.await.unwrap().unwrap());
    assert!(second > first, "fence {second} must exceed {first}");
    assert!(leader.waiters().is_empty());
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parked_call_that_times_out_is_cancelled() {
    let (_router, nodes) = memory_cluster(Arc::new(SystemClock), config()).await;
    let leader = leader(&nodes).await;
    let a = open_session(&leader, Duration::from_secs(60)).await;
    let b = open_session(&leader, Duration::from_secs(60)).await;
    leader.call(Request::invoked(lock("l", 1), InvocationId { session: a, seq: 1 }), CALL).await.unwrap();
    let result = leader
        .call(Request::invoked(lock("l", 2), InvocationId { session: b, seq: 1 }), Duration::from_millis(300))
        .await;
    assert!(matches!(result, Err(CpError::Timeout { .. })), "{result:?}");
    // The cancel was applied before the call returned: the lock has no waiter left.
    assert_eq!(waiting(&leader.group(), "l"), 0);
    assert!(leader.waiters().is_empty());
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}
