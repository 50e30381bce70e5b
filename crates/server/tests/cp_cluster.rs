//! The CP engine as a cluster: in-process nodes routed through a real openraft network
//! adapter, forming the group by themselves, surviving a leader loss and a follower
//! restart, and completing parked calls. Every wait is bounded and waits on Raft metrics.

#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions themselves")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::kinds::atomic_long::{AtomicLongCommand, AtomicLongOutput};
use coterie_core::kinds::fenced_lock::{FencedLockCommand, FencedLockOutput};
use coterie_core::{
    ClientId, Fence, Group, GroupCommand, GroupOutput, InvocationId, OwnerId, SessionId, Structure, StructureCommand,
    StructureOutput, Timestamp,
};
use coterie_server::Request;
use coterie_server::cp::{Clock, CpConfig, CpError, CpNode, ManualClock, Router, SystemClock, Transport};
use coterie_storage::{Entry, LogId, LogState, LogStore, MemoryLog, RedbStorage, SnapshotMeta, StorageError};
use openraft::{BasicNode, ServerState};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(10);
const CALL: Duration = Duration::from_secs(5);

fn members(n: u64) -> BTreeMap<u64, BasicNode> {
    (1..=n).map(|id| (id, BasicNode::new(format!("in-process:{id}")))).collect()
}

/// Raft timings with room for a loaded two-core test machine: six clusters run at once, and
/// a leader whose heartbeats are answered late loses its lease and refuses writes.
fn config() -> CpConfig {
    CpConfig {
        tick_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(100),
        election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
        ..CpConfig::default()
    }
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
        // A node is in the Leader state as soon as it wins the vote, but its vote is committed
        // and its lease valid only once a quorum has acknowledged it.
        candidate
            .raft()
            .wait(Some(remaining))
            .metrics(
                |m| m.state == ServerState::Leader && m.vote.is_committed() && m.last_quorum_acked.is_some(),
                "the leader is established",
            )
            .await
            .unwrap();
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
    // A new client for every open: these tests are not about resent opens.
    static CLIENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let client = ClientId::new(u128::from(CLIENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed))).unwrap();
    match node.call(Request::internal(GroupCommand::OpenSession { ttl, client, seq: 1 }), CALL).await.unwrap() {
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

/// A call made the moment a group starts, before any election has ended, waits for one to
/// name a leader instead of answering "no leader is known" (which a stock gRPC client behind
/// a forwarding member got as `UNAVAILABLE` on its first call to every new group: the CI
/// failure of `forwarding::a_plain_member_forwards_cp_calls`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_before_the_first_election_waits_for_a_leader() {
    let (_router, nodes) = memory_cluster(Arc::new(SystemClock), config()).await;
    let calls = nodes.iter().map(|node| {
        let node = Arc::clone(node);
        tokio::spawn(async move { (node.call(Request::internal(increment("fresh")), CALL).await, node.id()) })
    });
    let mut served = 0;
    for call in calls.collect::<Vec<_>>() {
        match call.await.unwrap() {
            (Ok(_), _) => served += 1,
            (Err(CpError::NotLeader { leader: Some(_) }), _) => {}
            (other, id) => panic!("node {id} answered {other:?} instead of waiting for the election"),
        }
    }
    assert_eq!(served, 1, "exactly the elected leader served its call");
    let read = nodes[0].read(Request::internal(increment("fresh")), CALL).await;
    assert!(!matches!(read, Err(CpError::NotLeader { leader: None })), "{read:?}");
    for node in &nodes {
        node.shutdown().await.unwrap();
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
    let first = fence(leader.call(Request::invoked(lock("l", 1), Some(a), call_of(a, 1)), CALL).await.unwrap());

    let waiter = {
        let leader = Arc::clone(&leader);
        tokio::spawn(async move { leader.call(Request::invoked(lock("l", 2), Some(b), call_of(b, 1)), CALL).await })
    };
    // Wait (on apply events) until B is parked in the lock.
    leader.raft().wait(Some(WAIT)).metrics(|_| waiting(&leader.group(), "l") == 1, "B parks").await.unwrap();
    assert!(!waiter.is_finished());

    let unlock = GroupCommand::Invoke {
        name: "l".to_owned(),
        command: StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(1) }),
    };
    leader.call(Request::invoked(unlock, Some(a), call_of(a, 2)), CALL).await.unwrap();
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
    leader.call(Request::invoked(lock("l", 1), Some(a), call_of(a, 1)), CALL).await.unwrap();
    let result = leader.call(Request::invoked(lock("l", 2), Some(b), call_of(b, 1)), Duration::from_millis(300)).await;
    assert!(matches!(result, Err(CpError::Timeout { .. })), "{result:?}");
    // The cancel was applied before the call returned: the lock has no waiter left.
    assert_eq!(waiting(&leader.group(), "l"), 0);
    assert!(leader.waiters().is_empty());
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_on_redb_restarts_from_its_data_dir_and_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = |id: u64| dir.path().join(format!("node-{id}.redb"));
    let open = |id: u64| RedbStorage::open(&path(id)).unwrap().log("default").unwrap();
    let router = Router::new();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let config = CpConfig { snapshot_every: 20, ..config() };
    let (n1, n2, n3) = tokio::join!(
        start(1, open(1), &router, Arc::clone(&clock), config.clone()),
        start(2, open(2), &router, Arc::clone(&clock), config.clone()),
        start(3, open(3), &router, Arc::clone(&clock), config.clone()),
    );
    let mut nodes = vec![n1, n2, n3];
    let leader = leader(&nodes).await;
    for _ in 0..30 {
        leader.call(Request::internal(increment("seq")), CALL).await.unwrap();
    }
    converged(&nodes).await;

    // Stop a follower once it has a snapshot, so the restart exercises snapshot + log replay.
    let position = nodes.iter().position(|n| n.id() != leader.id()).unwrap();
    let follower = nodes.remove(position);
    let id = follower.id();
    let snapshot = follower.raft().wait(Some(WAIT)).metrics(|m| m.snapshot.is_some(), "follower snapshot").await;
    let snapshot = snapshot.unwrap().snapshot.unwrap().index;
    follower.shutdown().await.unwrap();
    drop(follower);

    for _ in 0..30 {
        leader.call(Request::internal(increment("seq")), CALL).await.unwrap();
    }

    let restarted = start(id, open(id), &router, Arc::clone(&clock), config.clone()).await;
    let recovered = restarted.applied_index();
    assert!(
        recovered.is_some_and(|i| i >= snapshot),
        "restored from its snapshot at {snapshot}, applied {recovered:?}"
    );
    nodes.push(restarted);
    let group = converged(&nodes).await;
    assert_eq!(stored_value(&group, "seq"), 60);
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_behind_the_leaders_purged_log_catches_up_from_a_snapshot() {
    let config = CpConfig { snapshot_every: 10, keep_after_snapshot: 0, ..config() };
    let (router, nodes) = memory_cluster(Arc::new(SystemClock), config).await;
    let leader = leader(&nodes).await;
    leader.call(Request::internal(increment("seq")), CALL).await.unwrap();
    converged(&nodes).await;

    let follower = nodes.iter().find(|n| n.id() != leader.id()).unwrap();
    router.disconnect(follower.id());
    let behind = follower.metrics().last_log_index.unwrap();
    for _ in 0..40 {
        leader.call(Request::internal(increment("seq")), CALL).await.unwrap();
    }
    // The leader has purged entries the follower lacks, so only a snapshot can catch it up.
    leader
        .raft()
        .wait(Some(WAIT))
        .metrics(|m| m.purged.is_some_and(|p| p.index > behind), "leader purges past the follower")
        .await
        .unwrap();

    router.reconnect(follower.id());
    let group = converged(&nodes).await;
    assert_eq!(stored_value(&group, "seq"), 41);
    let installed = follower.metrics().snapshot.map(|id| id.index);
    assert!(installed.is_some_and(|i| i > behind), "follower snapshot {installed:?} is past index {behind}");
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leader_ticks_expire_a_silent_session_and_pass_its_lock_on() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    let config = CpConfig { tick_interval: Duration::from_millis(20), ..config() };
    let (_router, nodes) = memory_cluster(Arc::new(clock.clone()), config).await;
    let leader = leader(&nodes).await;
    let silent = open_session(&leader, Duration::from_secs(5)).await;
    let patient = open_session(&leader, Duration::from_secs(60)).await;
    let first =
        fence(leader.call(Request::invoked(lock("l", 1), Some(silent), call_of(silent, 1)), CALL).await.unwrap());
    let waiter = {
        let leader = Arc::clone(&leader);
        tokio::spawn(async move {
            leader.call(Request::invoked(lock("l", 2), Some(patient), call_of(patient, 1)), CALL).await
        })
    };
    leader.raft().wait(Some(WAIT)).metrics(|_| waiting(&leader.group(), "l") == 1, "waiter parks").await.unwrap();

    // Ticks keep coming, but with the clock still, nothing expires.
    let applied = leader.applied_index();
    leader.raft().wait(Some(WAIT)).applied_index_at_least(applied.map(|i| i + 3), "ticks").await.unwrap();
    assert!(leader.group().has_session(silent));
    assert!(!waiter.is_finished());

    clock.advance(Duration::from_secs(10));
    let second = fence(waiter.await.unwrap().unwrap());
    assert!(second > first, "fence {second} must exceed {first}");
    let group = converged(&nodes).await;
    assert!(!group.has_session(silent), "the silent session expired on every replica");
    assert!(group.has_session(patient));
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

/// Calls `request` until it succeeds, starting at node index `target` and following leader
/// hints, moving on from nodes that time out, always with the same request (so the same
/// invocation id). Leaves `target` at the node that answered, like a client would.
async fn call_retrying(nodes: &[Arc<CpNode>], target: &mut usize, request: &Request) -> GroupOutput {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "no node accepted {request:?} in time");
        match nodes[*target].call(request.clone(), Duration::from_millis(500)).await {
            Ok(output) => return output,
            Err(CpError::NotLeader { leader: Some((id, _)) }) if nodes[*target].id() != id => {
                *target = nodes.iter().position(|n| n.id() == id).unwrap();
            }
            Err(CpError::NotLeader { .. }) => {
                // No leader known yet: wait for this node to learn one, then try the next.
                let _ = nodes[*target]
                    .raft()
                    .wait(Some(Duration::from_millis(500)))
                    .metrics(|m| m.current_leader.is_some(), "a leader")
                    .await;
                *target = (*target + 1) % nodes.len();
            }
            Err(CpError::Timeout { .. } | CpError::OutcomeUnknown { .. }) => *target = (*target + 1) % nodes.len(),
            Err(other) => panic!("unexpected error for {request:?}: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_leader_loses_no_acknowledged_increment_and_applies_none_twice() {
    const TASKS: u64 = 16;
    const PER_TASK: u64 = 20;
    let (router, nodes) = memory_cluster(Arc::new(SystemClock), config()).await;
    let nodes = Arc::new(nodes);
    let old = leader(&nodes).await;
    let mut sessions = Vec::new();
    for _ in 0..TASKS {
        sessions.push(open_session(&old, Duration::from_secs(60)).await);
    }

    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|session| {
            let nodes = Arc::clone(&nodes);
            tokio::spawn(async move {
                let (mut values, mut target) = (Vec::new(), 0);
                for seq in 1..=PER_TASK {
                    let request = Request::invoked(increment("c"), Some(session), call_of(session, seq));
                    values.push(long_value(call_retrying(&nodes, &mut target, &request).await));
                }
                values
            })
        })
        .collect();

    // Cut the leader off while increments are in flight.
    let total = (TASKS * PER_TASK) as i64;
    old.raft()
        .wait(Some(WAIT))
        .metrics(
            |_| old.group().structure("c").is_some_and(|_| stored_value(&old.group(), "c") >= total / 4),
            "progress",
        )
        .await
        .unwrap();
    router.disconnect(old.id());
    let others: Vec<_> = nodes.iter().filter(|n| n.id() != old.id()).cloned().collect();
    let new = leader(&others).await;
    assert_ne!(new.id(), old.id());

    let mut values = Vec::new();
    for task in tasks {
        values.extend(task.await.unwrap());
    }
    values.sort_unstable();
    assert_eq!(values, (1..=total).collect::<Vec<_>>(), "each increment acknowledged once, with its own value");

    // Writes go on at the new leader, and the old one catches up once reconnected.
    let next = long_value(new.call(Request::internal(increment("c")), CALL).await.unwrap());
    assert_eq!(next, total + 1);
    router.reconnect(old.id());
    let group = converged(&nodes).await;
    assert_eq!(stored_value(&group, "c"), total + 1);
    for node in nodes.iter() {
        node.shutdown().await.unwrap();
    }
}

/// A memory log that counts its durable commits (appends) and the entries they carried.
struct CountingLog {
    inner: MemoryLog,
    commits: Arc<AtomicUsize>,
    entries: Arc<AtomicUsize>,
}

impl LogStore for CountingLog {
    fn log_state(&self) -> Result<LogState, StorageError> {
        self.inner.log_state()
    }
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        if !entries.is_empty() {
            self.commits.fetch_add(1, Ordering::SeqCst);
            self.entries.fetch_add(entries.len(), Ordering::SeqCst);
        }
        self.inner.append(entries)
    }
    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry>, StorageError> {
        self.inner.read_range(start, end)
    }
    fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        self.inner.truncate_from(index)
    }
    fn purge_up_to(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.inner.purge_up_to(log_id)
    }
    fn save_vote(&mut self, vote: &[u8]) -> Result<(), StorageError> {
        self.inner.save_vote(vote)
    }
    fn load_vote(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.load_vote()
    }
    fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.inner.save_committed(committed)
    }
    fn load_committed(&self) -> Result<Option<LogId>, StorageError> {
        self.inner.load_committed()
    }
    fn save_snapshot(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        self.inner.save_snapshot(meta, data)
    }
    fn load_snapshot(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StorageError> {
        self.inner.load_snapshot()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_share_durable_commits() {
    const CALLS: usize = 200;
    let router = Router::new();
    let counters: Vec<_> = (0..3).map(|_| (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))).collect();
    let mut nodes = Vec::new();
    for (id, (commits, entries)) in (1..=3).zip(&counters) {
        let log = CountingLog { inner: MemoryLog::new(), commits: Arc::clone(commits), entries: Arc::clone(entries) };
        nodes.push(start(id, log, &router, Arc::new(SystemClock), config()).await);
    }
    let leader = leader(&nodes).await;
    let (commits, entries) = &counters[usize::try_from(leader.id() - 1).unwrap()];
    let (commits_before, entries_before) = (commits.load(Ordering::SeqCst), entries.load(Ordering::SeqCst));

    let calls: Vec<_> = (0..CALLS)
        .map(|_| {
            let leader = Arc::clone(&leader);
            tokio::spawn(async move { leader.call(Request::internal(increment("seq")), CALL).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let commits = commits.load(Ordering::SeqCst) - commits_before;
    let entries = entries.load(Ordering::SeqCst) - entries_before;
    println!("{entries} entries in {commits} commits on the leader");
    assert!(entries >= CALLS);
    assert!(commits < CALLS / 2, "{CALLS} concurrent calls took {commits} commits: they were not batched");
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_are_linearizable_without_log_entries() {
    let (_router, nodes) = memory_cluster(Arc::new(SystemClock), config()).await;
    let leader = leader(&nodes).await;
    let get = Request::internal(GroupCommand::Invoke {
        name: "seq".to_owned(),
        command: StructureCommand::AtomicLong(AtomicLongCommand::Get),
    });
    for expected in 1..=20 {
        leader.call(Request::internal(increment("seq")), CALL).await.unwrap();
        let before = leader.metrics().last_log_index;
        // Each read sees the write acknowledged just before it, and adds nothing to the log.
        assert_eq!(long_value(leader.read(get.clone(), CALL).await.unwrap()), expected);
        assert_eq!(leader.metrics().last_log_index, before);
    }
    // A follower does not serve reads from its possibly stale state.
    let follower = nodes.iter().find(|n| n.id() != leader.id()).unwrap();
    match follower.read(get.clone(), CALL).await {
        Err(CpError::NotLeader { leader: Some((id, _)) }) => assert_eq!(id, leader.id()),
        other => panic!("expected NotLeader with a hint, got {other:?}"),
    }
    // A command that changes state is not served as a read: it goes through the log.
    assert_eq!(long_value(leader.read(Request::internal(increment("seq")), CALL).await.unwrap()), 21);
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
}

/// Call `seq` of the client that makes `session`'s calls in these tests (one per session).
fn call_of(session: SessionId, seq: u64) -> InvocationId {
    let client = coterie_core::ClientId::new(u128::from(session.0) + 1).unwrap_or(coterie_core::ClientId::MIN);
    InvocationId { client, seq }
}
