//! Property tests of the group state machine over random histories of many clients:
//! snapshot + replay equals full replay, retries are answered without being re-applied,
//! fences strictly increase across holders, and parked calls are granted in FIFO order.

#![allow(clippy::unwrap_used, reason = "test support: the client ids made here are never zero")]

use std::collections::BTreeMap;
use std::time::Duration;

use coterie_core::kinds::atomic_long::AtomicLongCommand;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand;
use coterie_core::kinds::barrier::BarrierCommand;
use coterie_core::kinds::bucket::{BlobRef, BucketCommand, DeleteCondition, PutCondition};
use coterie_core::kinds::count_down_latch::CountDownLatchCommand;
use coterie_core::kinds::counter::CounterCommand;
use coterie_core::kinds::cp_semaphore::{CpSemaphoreCommand, CpSemaphoreOutput};
use coterie_core::kinds::fenced_lock::{FencedLockCommand, FencedLockOutput};
use coterie_core::kinds::lock::{LockCommand, LockOutput};
use coterie_core::kinds::map::MapCommand;
use coterie_core::kinds::queue::QueueCommand;
use coterie_core::kinds::semaphore::SemaphoreCommand;
use coterie_core::kinds::set::SetCommand;
use coterie_core::{
    Applied, ApplyCtx, ClientId, Effect, Fence, Group, GroupCommand, GroupOutput, InvocationId, LogIndex, OwnerId,
    Reply, SessionId, StateMachine, StructureCommand, StructureOutput, Timestamp,
};
use proptest::prelude::*;

const SESSIONS: u64 = 3;
const CASES: u32 = 256;
const INITIAL_PERMITS: u64 = 3;

/// One step of a generated history, before it is given log positions.
#[derive(Clone, Debug)]
enum Op {
    Incr { session: u64, counter: u8 },
    Lock { session: u64, owner: u8, lock: u8 },
    TryLock { session: u64, owner: u8, lock: u8, timeout_ms: u64 },
    Unlock { session: u64, owner: u8, lock: u8 },
    Heartbeat { session: u64 },
    Cancel { session: u64, back: u64 },
    Close { session: u64 },
    Advance { ms: u64 },
    Acquire { session: u64, permits: u64, timeout_ms: Option<u64> },
    Release { session: u64, permits: u64 },
    Increase { permits: u64 },
    Enqueue { session: u64, item: u8 },
    Take { session: u64, timeout_ms: Option<u64> },
    Arrive { session: u64, timeout_ms: Option<u64> },
    CountDown { session: u64, round: u64 },
    Await { session: u64, timeout_ms: Option<u64> },
    Put { session: u64, key: u8, value: u8 },
    ShardLock { session: u64, owner: u8, lease_ms: Option<u64>, timeout_ms: Option<u64> },
    ShardUnlock { owner: u8 },
    ShardAcquire { session: u64, owner: u8, lease_ms: Option<u64>, timeout_ms: Option<u64> },
    ShardRelease { owner: u8 },
    Count { delta: i8 },
    SetAdd { item: u8, remove: bool },
    RefCas { expected: Option<u8>, update: Option<u8> },
    ObjPut { key: u8, condition: u8, version: u64, ttl_ms: Option<u64>, fence: Option<u64> },
    ObjMove { from: u8, to: u8, rename: bool, if_not_exists: bool, fence: Option<u64> },
    ObjDelete { key: u8, ttl_ms: Option<u64>, fence: Option<u64> },
}

fn lease_ms() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (1..500u64).prop_map(Some)]
}

fn timeout_ms() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), Just(Some(0)), (1..300u64).prop_map(Some)]
}

fn op() -> impl Strategy<Value = Op> {
    let session = 1..=SESSIONS;
    prop_oneof![
        1 => (session.clone(), 0..2u8).prop_map(|(session, counter)| Op::Incr { session, counter }),
        4 => (session.clone(), 0..2u8, 0..2u8).prop_map(|(session, owner, lock)| Op::Lock { session, owner, lock }),
        2 => (session.clone(), 0..2u8, 0..2u8, prop_oneof![Just(0u64), 1..300u64])
            .prop_map(|(session, owner, lock, timeout_ms)| Op::TryLock { session, owner, lock, timeout_ms }),
        4 => (session.clone(), 0..2u8, 0..2u8).prop_map(|(session, owner, lock)| Op::Unlock { session, owner, lock }),
        2 => session.clone().prop_map(|session| Op::Heartbeat { session }),
        1 => (session.clone(), 0..4u64).prop_map(|(session, back)| Op::Cancel { session, back }),
        1 => session.prop_map(|session| Op::Close { session }),
        3 => (0..400u64).prop_map(|ms| Op::Advance { ms }),
        3 => (1..=SESSIONS, 1..4u64, timeout_ms()).prop_map(|(session, permits, timeout_ms)| Op::Acquire { session, permits, timeout_ms }),
        3 => (1..=SESSIONS, 1..3u64).prop_map(|(session, permits)| Op::Release { session, permits }),
        1 => (0..3u64).prop_map(|permits| Op::Increase { permits }),
        2 => (1..=SESSIONS, any::<u8>()).prop_map(|(session, item)| Op::Enqueue { session, item }),
        2 => (1..=SESSIONS, timeout_ms()).prop_map(|(session, timeout_ms)| Op::Take { session, timeout_ms }),
        2 => (1..=SESSIONS, timeout_ms()).prop_map(|(session, timeout_ms)| Op::Arrive { session, timeout_ms }),
        2 => (1..=SESSIONS, 0..3u64).prop_map(|(session, round)| Op::CountDown { session, round }),
        2 => (1..=SESSIONS, timeout_ms()).prop_map(|(session, timeout_ms)| Op::Await { session, timeout_ms }),
        1 => (1..=SESSIONS, 0..4u8, any::<u8>()).prop_map(|(session, key, value)| Op::Put { session, key, value }),
        3 => (1..=SESSIONS, 0..3u8, lease_ms(), timeout_ms())
            .prop_map(|(session, owner, lease_ms, timeout_ms)| Op::ShardLock { session, owner, lease_ms, timeout_ms }),
        2 => (0..3u8).prop_map(|owner| Op::ShardUnlock { owner }),
        2 => (1..=SESSIONS, 0..3u8, lease_ms(), timeout_ms())
            .prop_map(|(session, owner, lease_ms, timeout_ms)| Op::ShardAcquire { session, owner, lease_ms, timeout_ms }),
        2 => (0..3u8).prop_map(|owner| Op::ShardRelease { owner }),
        1 => any::<i8>().prop_map(|delta| Op::Count { delta }),
        1 => (0..4u8, any::<bool>()).prop_map(|(item, remove)| Op::SetAdd { item, remove }),
        1 => (prop::option::of(0..2u8), prop::option::of(0..2u8)).prop_map(|(expected, update)| Op::RefCas { expected, update }),
        2 => (0..3u8, 0..3u8, 0..400u64, lease_ms(), prop::option::of(0..4u64))
            .prop_map(|(key, condition, version, ttl_ms, fence)| Op::ObjPut { key, condition, version, ttl_ms, fence }),
        1 => (0..3u8, 0..3u8, any::<bool>(), any::<bool>(), prop::option::of(0..4u64))
            .prop_map(|(from, to, rename, if_not_exists, fence)| Op::ObjMove { from, to, rename, if_not_exists, fence }),
        1 => (0..3u8, lease_ms(), prop::option::of(0..4u64)).prop_map(|(key, ttl_ms, fence)| Op::ObjDelete { key, ttl_ms, fence }),
    ]
}

/// A command at its log position, and what the test needs to know about it.
#[derive(Clone, Debug)]
struct Entry {
    command: GroupCommand,
    ctx: ApplyCtx,
    /// For lock calls: the lock's name and the (session, owner) acquiring.
    lock: Option<(String, (SessionId, u8))>,
}

/// Turns ops into log entries: sessions opened first, indexes spaced by 10 so a retry can
/// be slotted in between without changing any original entry's index (fences use it).
fn plan(ops: &[Op]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut index = 0;
    let mut now = 1_000;
    let mut seqs: BTreeMap<u64, u64> = BTreeMap::new();
    let mut push = |command, session: Option<u64>, seq: Option<u64>, now: u64, lock| {
        index += 10;
        let ctx = match (session, seq) {
            (Some(s), Some(seq)) => ApplyCtx::invoked(
                LogIndex(index),
                Timestamp(now),
                Some(SessionId(s)),
                InvocationId { client: client_of(SessionId(s)), seq },
            ),
            _ => ApplyCtx::internal(LogIndex(index), Timestamp(now)),
        };
        entries.push(Entry { command, ctx, lock });
    };
    for s in 1..=SESSIONS {
        let client = ClientId::new(u128::from(s)).unwrap();
        push(GroupCommand::OpenSession { ttl: Duration::from_millis(1_000), client, seq: 1 }, None, None, now, None);
    }
    // Session ids are the opening indexes: 10, 20, 30.
    let sid = |s: u64| SessionId(s * 10);
    let semaphore = StructureCommand::CpSemaphore(CpSemaphoreCommand::Init { permits: INITIAL_PERMITS });
    push(invoke("sem".into(), semaphore), None, None, now, None);
    let latch = StructureCommand::CountDownLatch(CountDownLatchCommand::TrySetCount { count: 2 });
    push(invoke("latch".into(), latch), None, None, now, None);
    for op in ops {
        let mut next_seq = |s: u64| {
            let seq = seqs.entry(s).or_insert(0);
            *seq += 1;
            *seq
        };
        match op.clone() {
            Op::Incr { session, counter } => {
                let command = StructureCommand::AtomicLong(AtomicLongCommand::IncrementAndGet);
                let seq = next_seq(session);
                push(invoke(format!("c{counter}"), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Lock { session, owner, lock } => {
                let command = StructureCommand::FencedLock(FencedLockCommand::Lock { owner: OwnerId(owner.into()) });
                let seq = next_seq(session);
                let name = format!("l{lock}");
                push(
                    invoke(name.clone(), command),
                    Some(sid(session).0),
                    Some(seq),
                    now,
                    Some((name, (sid(session), owner))),
                );
            }
            Op::TryLock { session, owner, lock, timeout_ms } => {
                let timeout = Some(Duration::from_millis(timeout_ms));
                let command =
                    StructureCommand::FencedLock(FencedLockCommand::TryLock { owner: OwnerId(owner.into()), timeout });
                let seq = next_seq(session);
                let name = format!("l{lock}");
                push(
                    invoke(name.clone(), command),
                    Some(sid(session).0),
                    Some(seq),
                    now,
                    Some((name, (sid(session), owner))),
                );
            }
            Op::Unlock { session, owner, lock } => {
                let command = StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(owner.into()) });
                let seq = next_seq(session);
                push(invoke(format!("l{lock}"), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Heartbeat { session } => push(GroupCommand::Heartbeat { session: sid(session) }, None, None, now, None),
            Op::Cancel { session, back } => {
                let last = seqs.get(&session).copied().unwrap_or(0);
                let invocation =
                    InvocationId { client: client_of(sid(session)), seq: last.saturating_sub(back).max(1) };
                push(GroupCommand::Cancel { invocation }, None, None, now, None);
            }
            Op::Close { session } => push(GroupCommand::CloseSession { session: sid(session) }, None, None, now, None),
            Op::Acquire { session, permits, timeout_ms } => {
                let command = match timeout_ms {
                    None => CpSemaphoreCommand::Acquire { permits },
                    Some(ms) => CpSemaphoreCommand::TryAcquire { permits, timeout: Some(Duration::from_millis(ms)) },
                };
                let seq = next_seq(session);
                push(
                    invoke("sem".into(), StructureCommand::CpSemaphore(command)),
                    Some(sid(session).0),
                    Some(seq),
                    now,
                    None,
                );
            }
            Op::Release { session, permits } => {
                let command = StructureCommand::CpSemaphore(CpSemaphoreCommand::Release { permits });
                let seq = next_seq(session);
                push(invoke("sem".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Increase { permits } => {
                let command = StructureCommand::CpSemaphore(CpSemaphoreCommand::IncreasePermits { permits });
                push(invoke("sem".into(), command), None, None, now, None);
            }
            Op::Enqueue { session, item } => {
                let command = StructureCommand::Queue(QueueCommand::Enqueue(vec![item]));
                let seq = next_seq(session);
                push(invoke("q".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Take { session, timeout_ms } => {
                let command =
                    StructureCommand::Queue(QueueCommand::Take { timeout: timeout_ms.map(Duration::from_millis) });
                let seq = next_seq(session);
                push(invoke("q".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Arrive { session, timeout_ms } => {
                let timeout = timeout_ms.map(Duration::from_millis);
                let command = StructureCommand::Barrier(BarrierCommand::Arrive { expected: 2, timeout });
                let seq = next_seq(session);
                push(invoke("b".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::CountDown { session, round } => {
                let command =
                    StructureCommand::CountDownLatch(CountDownLatchCommand::CountDown { expected_round: round });
                let seq = next_seq(session);
                push(invoke("latch".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Await { session, timeout_ms } => {
                let timeout = timeout_ms.map(Duration::from_millis);
                let command = StructureCommand::CountDownLatch(CountDownLatchCommand::Await { timeout });
                let seq = next_seq(session);
                push(invoke("latch".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::Put { session, key, value } => {
                let command = StructureCommand::Map(MapCommand::Put { key: vec![key], value: vec![value] });
                let seq = next_seq(session);
                push(invoke("m".into(), command), Some(sid(session).0), Some(seq), now, None);
            }
            Op::ShardLock { session, owner, lease_ms, timeout_ms } => {
                let (owner_id, lease) = (OwnerId(owner.into()), lease_ms.map(Duration::from_millis));
                let command = match timeout_ms {
                    None => LockCommand::Acquire { owner: owner_id, lease },
                    Some(ms) => {
                        LockCommand::TryAcquire { owner: owner_id, lease, timeout: Some(Duration::from_millis(ms)) }
                    }
                };
                let seq = next_seq(session);
                // A sharded lock belongs to its owner id, whatever session asks.
                let holder = (SessionId(0), owner);
                push(
                    invoke("slock".into(), StructureCommand::Lock(command)),
                    Some(sid(session).0),
                    Some(seq),
                    now,
                    Some(("slock".into(), holder)),
                );
            }
            Op::ShardUnlock { owner } => {
                let command = StructureCommand::Lock(LockCommand::Release { owner: OwnerId(owner.into()) });
                push(invoke("slock".into(), command), None, None, now, None);
            }
            Op::ShardAcquire { session, owner, lease_ms, timeout_ms } => {
                let (owner, lease) = (OwnerId(owner.into()), lease_ms.map(Duration::from_millis));
                let command = match timeout_ms {
                    None => SemaphoreCommand::Acquire { owner, lease },
                    Some(ms) => SemaphoreCommand::TryAcquire { owner, lease, timeout: Some(Duration::from_millis(ms)) },
                };
                let seq = next_seq(session);
                push(
                    invoke("ssem".into(), StructureCommand::Semaphore(command)),
                    Some(sid(session).0),
                    Some(seq),
                    now,
                    None,
                );
            }
            Op::ShardRelease { owner } => {
                let command = StructureCommand::Semaphore(SemaphoreCommand::Release { owner: OwnerId(owner.into()) });
                push(invoke("ssem".into(), command), None, None, now, None);
            }
            Op::Count { delta } => {
                let command = StructureCommand::Counter(CounterCommand::Increment(delta.into()));
                push(invoke("counter".into(), command), None, None, now, None);
            }
            Op::SetAdd { item, remove } => {
                let command = if remove { SetCommand::Remove(vec![item]) } else { SetCommand::Add(vec![item]) };
                push(invoke("set".into(), StructureCommand::Set(command)), None, None, now, None);
            }
            Op::RefCas { expected, update } => {
                let command = AtomicReferenceCommand::CompareAndSet {
                    expected: expected.map(|b| vec![b]),
                    update: update.map(|b| vec![b]),
                };
                push(invoke("ref".into(), StructureCommand::AtomicReference(command)), None, None, now, None);
            }
            Op::ObjPut { key, condition, version, ttl_ms, fence } => {
                let condition = match condition {
                    0 => PutCondition::Overwrite,
                    1 => PutCondition::CreateOnly,
                    _ => PutCondition::IfVersion(version),
                };
                let command = BucketCommand::Put {
                    key: format!("k{key}"),
                    data: BlobRef::single([key; 32], u64::from(key)),
                    content_type: None,
                    attributes: BTreeMap::new(),
                    ttl: ttl_ms.map(Duration::from_millis),
                    condition,
                    if_fence_at_least: fence,
                    commit_by: None,
                };
                push(invoke("bucket".into(), StructureCommand::Bucket(command)), None, None, now, None);
            }
            Op::ObjMove { from, to, rename, if_not_exists, fence } => {
                let (from, to) = (format!("k{from}"), format!("k{to}"));
                let command = if rename {
                    BucketCommand::Rename { from, to, source_if_match: None, if_not_exists, if_fence_at_least: fence }
                } else {
                    BucketCommand::Copy { from, to, source_if_match: None, if_not_exists, if_fence_at_least: fence }
                };
                push(invoke("bucket".into(), StructureCommand::Bucket(command)), None, None, now, None);
            }
            Op::ObjDelete { key, ttl_ms, fence } => {
                let key = format!("k{key}");
                let command = match ttl_ms {
                    Some(ms) => BucketCommand::SetTtl {
                        key,
                        ttl: Some(Duration::from_millis(ms)),
                        if_match: None,
                        if_fence_at_least: fence,
                    },
                    None => BucketCommand::Delete { key, condition: DeleteCondition::Any, if_fence_at_least: fence },
                };
                push(invoke("bucket".into(), StructureCommand::Bucket(command)), None, None, now, None);
            }
            Op::Advance { ms } => {
                now += ms;
                push(GroupCommand::Tick, None, None, now, None);
            }
        }
    }
    entries
}

fn invoke(name: String, command: StructureCommand) -> GroupCommand {
    GroupCommand::Invoke { name, command }
}

fn run(group: &mut Group, entries: &[Entry]) -> Vec<Applied<GroupOutput>> {
    entries.iter().map(|e| group.apply(e.command.clone(), &e.ctx)).collect()
}

fn granted_fence(result: &Result<GroupOutput, coterie_core::CoreError>) -> Option<Fence> {
    match result {
        Ok(GroupOutput::Structure(StructureOutput::FencedLock(
            FencedLockOutput::Fence(f) | FencedLockOutput::MaybeFence(Some(f)),
        ))) => Some(*f),
        Ok(GroupOutput::Structure(StructureOutput::Lock(LockOutput::Fence(f) | LockOutput::MaybeFence(Some(f))))) => {
            Some(*f)
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Restoring a snapshot taken anywhere and replaying the rest gives the same state and
    /// the same replies as replaying the whole log.
    #[test]
    fn snapshot_then_replay_equals_full_replay(ops in prop::collection::vec(op(), 1..150), split in any::<prop::sample::Index>()) {
        let entries = plan(&ops);
        let at = split.index(entries.len() + 1);
        let mut full = Group::default();
        let full_replies = run(&mut full, &entries);

        let mut head = Group::default();
        run(&mut head, &entries[..at]);
        let mut restored = Group::restore(&head.snapshot().unwrap()).unwrap();
        prop_assert_eq!(&restored, &head);
        let tail_replies = run(&mut restored, &entries[at..]);
        prop_assert_eq!(&tail_replies[..], &full_replies[at..]);
        prop_assert_eq!(restored, full);
    }

    /// Retrying every call right after it was applied returns the first reply and changes
    /// nothing: the final state is the state of the history without retries.
    #[test]
    fn retries_are_answered_without_being_reapplied(ops in prop::collection::vec(op(), 1..150)) {
        let entries = plan(&ops);
        let mut once = Group::default();
        let once_replies = run(&mut once, &entries);

        let mut twice = Group::default();
        for (entry, first) in entries.iter().zip(&once_replies) {
            let reply = twice.apply(entry.command.clone(), &entry.ctx);
            prop_assert_eq!(&reply, first);
            if matches!(entry.command, GroupCommand::Invoke { .. }) && entry.ctx.invocation.is_some() {
                let retry_ctx = ApplyCtx { index: LogIndex(entry.ctx.index.0 + 5), ..entry.ctx };
                let retry = twice.apply(entry.command.clone(), &retry_ctx);
                prop_assert!(retry.effects.is_empty(), "a retry woke someone: {:?}", retry);
                match (&first.response, &retry.response) {
                    // A parked call stays parked on retry, or, if the session already
                    // expired, the retry learns that.
                    (Reply::Parked, Reply::Parked) => {}
                    (Reply::Parked, other) => prop_assert!(matches!(other, Reply::Ready(Err(_))), "{:?}", other),
                    (a, b) if matches!(a, Reply::Ready(Err(coterie_core::CoreError::SessionExpired { .. }))) => {
                        prop_assert_eq!(a, b)
                    }
                    (a, b) => prop_assert_eq!(a, b),
                }
            }
        }
        prop_assert_eq!(twice, once);
    }

    /// Each lock's fences (FencedLock and sharded Lock) never go down, and a fence value
    /// belongs to one holder only, so fences strictly increase across successive holders.
    /// Waiters are granted in the order they parked.
    #[test]
    fn fences_increase_and_grants_are_fifo(ops in prop::collection::vec(op(), 1..200)) {
        let entries = plan(&ops);
        let mut group = Group::default();
        let replies = run(&mut group, &entries);

        let lock_of: BTreeMap<InvocationId, (String, (SessionId, u8))> = entries
            .iter()
            .filter_map(|e| Some((e.ctx.invocation?, e.lock.clone()?)))
            .collect();
        let mut last_fence: BTreeMap<String, Fence> = BTreeMap::new();
        let mut holder_of: BTreeMap<(String, Fence), (SessionId, u8)> = BTreeMap::new();
        let mut parked_order: BTreeMap<String, Vec<InvocationId>> = BTreeMap::new();
        let mut granted_order: BTreeMap<String, Vec<InvocationId>> = BTreeMap::new();

        for (entry, reply) in entries.iter().zip(&replies) {
            let mut grants = Vec::new();
            match &reply.response {
                Reply::Ready(result) => {
                    if let (Some(invocation), Some(fence)) = (entry.ctx.invocation, granted_fence(result)) {
                        grants.push((invocation, fence, false));
                    }
                }
                Reply::Parked => {
                    if let Some(invocation) = entry.ctx.invocation
                        && let Some((name, _)) = lock_of.get(&invocation)
                    {
                        parked_order.entry(name.clone()).or_default().push(invocation);
                    }
                }
            }
            for Effect::Wake { invocation, result } in &reply.effects {
                if let Some(fence) = granted_fence(result) {
                    grants.push((*invocation, fence, true));
                }
            }
            for (invocation, fence, woken) in grants {
                let (name, holder) = lock_of.get(&invocation).cloned().expect("grants answer lock calls");
                if let Some(previous) = last_fence.insert(name.clone(), fence) {
                    prop_assert!(fence >= previous, "{name}: fence went from {previous} to {fence}");
                }
                let owner = holder_of.entry((name.clone(), fence)).or_insert(holder);
                prop_assert_eq!(*owner, holder, "{} given to two holders", fence);
                if woken {
                    granted_order.entry(name).or_default().push(invocation);
                }
            }
        }
        for (name, granted) in granted_order {
            let parked = &parked_order[&name];
            let positions: Vec<usize> = granted.iter().map(|g| parked.iter().position(|p| p == g).expect("woken calls had parked")).collect();
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "{name}: grants out of parking order: {positions:?}");
        }
    }

    /// Permits are conserved: once every session has ended (closed, or expired by a tick),
    /// all permits are available again, whatever the history of acquires, releases,
    /// timeouts, cancellations and expiries.
    #[test]
    fn permits_return_when_every_session_ends(ops in prop::collection::vec(op(), 1..200)) {
        let mut entries = plan(&ops);
        let last = entries.last().map_or(0, |e| e.ctx.index.0);
        let now = entries.last().map_or(0, |e| e.ctx.now.0);
        for (i, session) in (1..=SESSIONS).enumerate() {
            let ctx = ApplyCtx::internal(LogIndex(last + 10 * (i as u64 + 1)), Timestamp(now));
            entries.push(Entry { command: GroupCommand::CloseSession { session: SessionId(session * 10) }, ctx, lock: None });
        }
        let increases: u64 = ops.iter().map(|op| match op { Op::Increase { permits } => *permits, _ => 0 }).sum();

        let mut group = Group::default();
        run(&mut group, &entries);
        let probe = ApplyCtx::internal(LogIndex(u64::MAX), Timestamp(now));
        let available = group.apply(invoke("sem".into(), StructureCommand::CpSemaphore(CpSemaphoreCommand::AvailablePermits)), &probe);
        let expected = i64::try_from(INITIAL_PERMITS + increases).unwrap();
        prop_assert_eq!(available, Applied::ok(GroupOutput::Structure(StructureOutput::CpSemaphore(CpSemaphoreOutput::Permits(expected)))));
        prop_assert_eq!(group.session_count(), 0);
    }
}

/// The client that makes the calls of `session` in these tests (one client per session).
fn client_of(session: coterie_core::SessionId) -> coterie_core::ClientId {
    coterie_core::ClientId::new(u128::from(session.0) + 1).unwrap_or(coterie_core::ClientId::MIN)
}
