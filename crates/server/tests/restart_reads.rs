//! Linearizable reads across a full restart (issue 8): every member killed at once and
//! restarted on its data dir must not answer a ReadIndex read from a state machine that is
//! still re-applying its log.
//!
//! The committed index is not persisted (see `cp/log_store.rs`), so a restarted member
//! starts from its last snapshot (here: none, so from an empty group) and learns how far
//! the log is committed only from a leader of a new term. If the member that led before
//! the crash could restore itself as leader in its old term, its read index would be the
//! first entry it proposed in that term, far below what was committed, and reads would
//! return old values while the log replays. Every wait is bounded; no sleep synchronizes.

#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions themselves")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use coterie_core::kinds::atomic_long::{AtomicLongCommand, AtomicLongOutput};
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand, AtomicReferenceOutput};
use coterie_core::{GroupCommand, GroupOutput, StructureCommand, StructureOutput};
use coterie_server::Request;
use coterie_server::cp::{Clock, CpConfig, CpError, CpNode, Router, SystemClock, Transport};
use coterie_storage::{RedbLog, RedbStorage};
use openraft::{BasicNode, ServerState};
use tokio::time::Instant;

/// The bound on every wait: generous for a loaded two-core machine.
const WAIT: Duration = Duration::from_secs(20);
const CALL: Duration = Duration::from_secs(5);
/// Acknowledged increments before the crash, from this many concurrent writers.
const WRITERS: u64 = 50;
const PER_WRITER: u64 = 60;
/// The register is overwritten every this many increments of a writer.
const REGISTER_EVERY: u64 = 20;
/// Concurrent readers after the restart, and the answered reads each of them collects.
const READERS: usize = 5;
const READS_PER_READER: usize = 200;

fn members() -> BTreeMap<u64, BasicNode> {
    (1..=3).map(|id| (id, BasicNode::new(format!("in-process:{id}")))).collect()
}

/// Raft timings with room for a loaded two-core machine, and no snapshot: a restarted
/// member re-applies its whole log, which makes the window a stale read could hit as wide
/// as it gets.
fn config() -> CpConfig {
    CpConfig {
        tick_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(100),
        election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
        snapshot_every: 1_000_000,
        ..CpConfig::default()
    }
}

fn invoke(name: &str, command: StructureCommand) -> Request {
    Request::internal(GroupCommand::Invoke { name: name.to_owned(), command })
}

fn increment() -> Request {
    invoke("seq", StructureCommand::AtomicLong(AtomicLongCommand::IncrementAndGet))
}

fn get_long() -> Request {
    invoke("seq", StructureCommand::AtomicLong(AtomicLongCommand::Get))
}

fn set_register(value: &str) -> Request {
    invoke("reg", StructureCommand::AtomicReference(AtomicReferenceCommand::Set(Some(value.as_bytes().to_vec()))))
}

fn get_register() -> Request {
    invoke("reg", StructureCommand::AtomicReference(AtomicReferenceCommand::Get))
}

fn long_value(output: GroupOutput) -> i64 {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicLong(AtomicLongOutput::Value(v))) => v,
        other => panic!("expected an AtomicLong value, got {other:?}"),
    }
}

fn register_value(output: GroupOutput) -> Option<String> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Value(v))) => {
            v.map(|bytes| String::from_utf8(bytes).unwrap())
        }
        other => panic!("expected an AtomicReference value, got {other:?}"),
    }
}

/// Opens node `id`'s redb file in `dir`. A stopped node's background tasks (its state
/// machine worker, its replication streams) may still hold the file for a moment after
/// `shutdown` returns, so this polls, bounded, until redb grants the file lock.
async fn open(dir: &Path, id: u64) -> RedbLog {
    let path = dir.join(format!("node-{id}.redb"));
    let deadline = Instant::now() + WAIT;
    loop {
        match RedbStorage::open(&path) {
            Ok(storage) => return storage.log("default").unwrap(),
            Err(err) => assert!(Instant::now() < deadline, "{} still locked after {WAIT:?}: {err}", path.display()),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Opens the redb files of nodes 1..=3 in `dir`.
async fn open_all(dir: &Path) -> [RedbLog; 3] {
    [open(dir, 1).await, open(dir, 2).await, open(dir, 3).await]
}

/// Starts nodes 1..=3 on `logs`, concurrently, on `router`.
async fn start_all([l1, l2, l3]: [RedbLog; 3], router: &Router) -> Vec<Arc<CpNode>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let start = |id: u64, log: RedbLog| {
        let transport = Transport::InProcess(router.clone());
        CpNode::start(id, members(), log, transport, Arc::clone(&clock), config())
    };
    let (n1, n2, n3) = tokio::join!(start(1, l1), start(2, l2), start(3, l3));
    vec![Arc::new(n1.unwrap()), Arc::new(n2.unwrap()), Arc::new(n3.unwrap())]
}

/// Waits until a node leads with a committed vote and a quorum has acknowledged it.
async fn established_leader(nodes: &[Arc<CpNode>]) -> Arc<CpNode> {
    let deadline = Instant::now() + WAIT;
    loop {
        for node in nodes {
            let m = node.metrics();
            if m.state == ServerState::Leader && m.vote.is_committed() && m.last_quorum_acked.is_some() {
                return Arc::clone(node);
            }
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        assert!(!remaining.is_zero(), "no leader established within {WAIT:?}");
        let _ = nodes[0]
            .raft()
            .wait(Some(remaining.min(Duration::from_millis(200))))
            .metrics(|m| m.current_leader.is_some(), "a leader")
            .await;
    }
}

/// One linearizable read answered after the restart.
#[derive(Debug)]
struct Answer {
    value: Answered,
    node: u64,
    /// The answering node's term just after it answered.
    term: u64,
    /// Time from the restart to the answer.
    after: Duration,
}

#[derive(Debug, PartialEq)]
enum Answered {
    Long(i64),
    Register(Option<String>),
}

/// Reads back to back (alternating the long and the register), trying the nodes in turn and
/// following leader hints, until `count` reads are answered.
async fn read_back_to_back(
    nodes: Arc<Vec<Arc<CpNode>>>,
    first: usize,
    count: usize,
    restarted: Instant,
) -> Vec<Answer> {
    let deadline = Instant::now() + WAIT;
    let mut target = first % nodes.len();
    let mut answers = Vec::with_capacity(count);
    while answers.len() < count {
        assert!(Instant::now() < deadline, "only {} of {count} reads answered within {WAIT:?}", answers.len());
        let node = &nodes[target];
        let long = answers.len() % 2 == 0;
        let request = if long { get_long() } else { get_register() };
        match node.read(request, Duration::from_secs(1)).await {
            Ok(output) => {
                let value =
                    if long { Answered::Long(long_value(output)) } else { Answered::Register(register_value(output)) };
                answers.push(Answer {
                    value,
                    node: node.id(),
                    term: node.metrics().current_term,
                    after: restarted.elapsed(),
                });
            }
            Err(CpError::NotLeader { leader: Some((id, _)) }) if id != node.id() => {
                target = nodes.iter().position(|n| n.id() == id).unwrap();
            }
            Err(CpError::NotLeader { .. }) => {
                // No leader known yet: wait (bounded) for this node to learn one, then go on.
                let _ = node
                    .raft()
                    .wait(Some(Duration::from_millis(100)))
                    .metrics(|m| m.current_leader.is_some_and(|l| l != node.id()), "a leader")
                    .await;
                target = (target + 1) % nodes.len();
            }
            Err(CpError::Timeout { .. }) => target = (target + 1) % nodes.len(),
            Err(other) => panic!("unexpected read error: {other}"),
        }
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn linearizable_reads_after_a_full_restart_never_see_a_replaying_state_machine() {
    let dir = tempfile::tempdir().unwrap();

    // Before the crash: acknowledged increments from concurrent writers, so commits batch,
    // and register writes among them; the last acknowledged write of each is known.
    let nodes = start_all(open_all(dir.path()).await, &Router::new()).await;
    let leader = established_leader(&nodes).await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let leader = Arc::clone(&leader);
            tokio::spawn(async move {
                for i in 1..=PER_WRITER {
                    long_value(leader.call(increment(), CALL).await.unwrap());
                    if writer == 0 && i % REGISTER_EVERY == 0 {
                        leader.call(set_register(&format!("v{i}")), CALL).await.unwrap();
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let last_register = format!("v{}", PER_WRITER - PER_WRITER % REGISTER_EVERY);
    leader.call(set_register(&last_register), CALL).await.unwrap();
    let total = i64::try_from(WRITERS * PER_WRITER).unwrap();
    assert_eq!(long_value(leader.read(get_long(), CALL).await.unwrap()), total);
    assert_eq!(register_value(leader.read(get_register(), CALL).await.unwrap()), Some(last_register.clone()));
    let (old_leader, old_term) = (leader.id(), leader.metrics().current_term);
    drop(leader);

    // The crash: every member stops at once. Stopping writes nothing more than kill -9
    // would have left on disk (the committed index is never written), and dropping the
    // nodes closes their redb files.
    for node in &nodes {
        node.shutdown().await.unwrap();
    }
    drop(nodes);

    // The restart, on the same files and a fresh router, then reads as soon as possible.
    let logs = open_all(dir.path()).await;
    let restarted = Instant::now();
    let nodes = Arc::new(start_all(logs, &Router::new()).await);
    let readers: Vec<_> = (0..READERS)
        .map(|reader| tokio::spawn(read_back_to_back(Arc::clone(&nodes), reader, READS_PER_READER, restarted)))
        .collect();
    let mut answers = Vec::new();
    for reader in readers {
        answers.extend(reader.await.unwrap());
    }

    let first = answers.iter().map(|a| a.after).min().unwrap();
    let answering: BTreeSet<(u64, u64)> = answers.iter().map(|a| (a.node, a.term)).collect();
    println!(
        "first answered read {first:?} after the restart, by (node, term) {answering:?}; \
         before the crash node {old_leader} led in term {old_term}"
    );
    let stale: Vec<&Answer> = answers
        .iter()
        .filter(|a| match &a.value {
            Answered::Long(v) => *v != total,
            Answered::Register(v) => v.as_deref() != Some(last_register.as_str()),
        })
        .collect();
    assert!(
        stale.is_empty(),
        "{} of {} linearizable reads after the restart were stale (expected {total} and {last_register:?}); \
         the first ones: {:?}",
        stale.len(),
        answers.len(),
        &stale[..stale.len().min(8)],
    );
    // The mechanism: reads are answered only by a leader elected after the restart, in a
    // term above the one before the crash, never by a leadership restored from disk.
    let restored: BTreeSet<&(u64, u64)> = answering.iter().filter(|(_, term)| *term <= old_term).collect();
    assert!(
        restored.is_empty(),
        "reads were answered by (node, term) {restored:?}, not above the pre-crash term {old_term} of node {old_leader}"
    );

    for node in nodes.iter() {
        node.shutdown().await.unwrap();
    }
}
