//! Bad input never panics: every kind is fed extreme arguments (i64::MIN/MAX, u64::MAX
//! permits and counts, huge durations, timestamps near the end of time, zero limits) in
//! random order from several sessions. Each call must be answered (value or typed error),
//! and the group must still snapshot and restore to the same state afterwards.

use std::time::Duration;

use coterie_core::kinds::atomic_long::AtomicLongCommand;
use coterie_core::kinds::barrier::BarrierCommand;
use coterie_core::kinds::bucket::{
    BlobPart, BlobRef, BucketCommand, ByteRange, DeleteCondition, ETag, EtagMatch, PutCondition, ReadConditions,
};
use coterie_core::kinds::count_down_latch::CountDownLatchCommand;
use coterie_core::kinds::counter::CounterCommand;
use coterie_core::kinds::cp_semaphore::CpSemaphoreCommand;
use coterie_core::kinds::fenced_lock::{FencedLockCommand, FencedLockConfig};
use coterie_core::kinds::lock::LockCommand;
use coterie_core::kinds::map::MapCommand;
use coterie_core::kinds::queue::{QueueCommand, QueueConfig};
use coterie_core::kinds::semaphore::{SemaphoreCommand, SemaphoreConfig};
use coterie_core::kinds::set::SetCommand;
use coterie_core::{
    ApplyCtx, ClientId, Group, GroupCommand, InvocationId, LogIndex, OwnerId, SessionId, StateMachine,
    StructureCommand, StructureSpec, Timestamp,
};
use proptest::prelude::*;

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1), Just(1), any::<i64>()]
}

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), Just(1), Just(u64::MAX), Just(i64::MAX as u64), Just(i64::MAX as u64 + 1), any::<u64>()]
}

fn small() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0), Just(1), Just(u32::MAX), Just(10_000), Just(10_001), any::<u32>()]
}

fn duration() -> impl Strategy<Value = Option<Duration>> {
    prop_oneof![
        Just(None),
        Just(Some(Duration::ZERO)),
        Just(Some(Duration::MAX)),
        Just(Some(Duration::from_millis(1))),
        (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Some(Duration::new(s, n))),
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..4)
}

fn owner() -> impl Strategy<Value = OwnerId> {
    prop_oneof![Just(OwnerId(0)), Just(OwnerId(u128::MAX)), any::<u128>().prop_map(OwnerId)]
}

fn command() -> impl Strategy<Value = (String, StructureCommand)> {
    use StructureCommand as S;
    prop_oneof![
        int().prop_map(|v| ("al".into(), S::AtomicLong(AtomicLongCommand::AddAndGet(v)))),
        int().prop_map(|v| ("al".into(), S::AtomicLong(AtomicLongCommand::GetAndAdd(v)))),
        int().prop_map(|v| ("al".into(), S::AtomicLong(AtomicLongCommand::Set(v)))),
        Just(("al".into(), S::AtomicLong(AtomicLongCommand::IncrementAndGet))),
        Just(("al".into(), S::AtomicLong(AtomicLongCommand::GetAndDecrement))),
        int().prop_map(|v| ("ctr".into(), S::Counter(CounterCommand::Increment(v)))),
        int().prop_map(|v| ("ctr".into(), S::Counter(CounterCommand::Decrement(v)))),
        count().prop_map(|permits| ("cps".into(), S::CpSemaphore(CpSemaphoreCommand::Init { permits }))),
        count().prop_map(|permits| ("cps".into(), S::CpSemaphore(CpSemaphoreCommand::Acquire { permits }))),
        (count(), duration()).prop_map(|(permits, timeout)| (
            "cps".into(),
            S::CpSemaphore(CpSemaphoreCommand::TryAcquire { permits, timeout })
        )),
        count().prop_map(|permits| ("cps".into(), S::CpSemaphore(CpSemaphoreCommand::Release { permits }))),
        count().prop_map(|permits| ("cps".into(), S::CpSemaphore(CpSemaphoreCommand::IncreasePermits { permits }))),
        count().prop_map(|permits| ("cps".into(), S::CpSemaphore(CpSemaphoreCommand::ReducePermits { permits }))),
        Just(("cps".into(), S::CpSemaphore(CpSemaphoreCommand::DrainPermits))),
        count().prop_map(|count| ("latch".into(), S::CountDownLatch(CountDownLatchCommand::TrySetCount { count }))),
        count().prop_map(|count| ("latch".into(), S::CountDownLatch(CountDownLatchCommand::SetCount { count }))),
        count()
            .prop_map(|r| ("latch".into(), S::CountDownLatch(CountDownLatchCommand::CountDown { expected_round: r }))),
        duration().prop_map(|timeout| ("latch".into(), S::CountDownLatch(CountDownLatchCommand::Await { timeout }))),
        (owner(), duration())
            .prop_map(|(owner, timeout)| ("fl".into(), S::FencedLock(FencedLockCommand::TryLock { owner, timeout }))),
        owner().prop_map(|owner| ("fl".into(), S::FencedLock(FencedLockCommand::Lock { owner }))),
        owner().prop_map(|owner| ("fl".into(), S::FencedLock(FencedLockCommand::Unlock { owner }))),
        owner().prop_map(|owner| ("fl".into(), S::FencedLock(FencedLockCommand::Fence { owner }))),
        (owner(), duration()).prop_map(|(owner, lease)| ("lk".into(), S::Lock(LockCommand::Acquire { owner, lease }))),
        (owner(), duration(), duration()).prop_map(|(owner, lease, timeout)| (
            "lk".into(),
            S::Lock(LockCommand::TryAcquire { owner, lease, timeout })
        )),
        owner().prop_map(|owner| ("lk".into(), S::Lock(LockCommand::Release { owner }))),
        (owner(), duration())
            .prop_map(|(owner, lease)| ("sem".into(), S::Semaphore(SemaphoreCommand::Acquire { owner, lease }))),
        (owner(), duration(), duration()).prop_map(|(owner, lease, timeout)| (
            "sem".into(),
            S::Semaphore(SemaphoreCommand::TryAcquire { owner, lease, timeout })
        )),
        owner().prop_map(|owner| ("sem".into(), S::Semaphore(SemaphoreCommand::Release { owner }))),
        (count(), duration())
            .prop_map(|(expected, timeout)| ("bar".into(), S::Barrier(BarrierCommand::Arrive { expected, timeout }))),
        bytes().prop_map(|item| ("q".into(), S::Queue(QueueCommand::Enqueue(item)))),
        duration().prop_map(|timeout| ("q".into(), S::Queue(QueueCommand::Take { timeout }))),
        small().prop_map(|max| ("q".into(), S::Queue(QueueCommand::Drain { max }))),
        (prop::option::of(bytes()), small())
            .prop_map(|(after, limit)| ("m".into(), S::Map(MapCommand::Keys { after, limit }))),
        (prop::option::of(bytes()), small())
            .prop_map(|(after, limit)| ("m".into(), S::Map(MapCommand::Entries { after, limit }))),
        (bytes(), bytes()).prop_map(|(key, value)| ("m".into(), S::Map(MapCommand::Put { key, value }))),
        (prop::option::of(bytes()), small())
            .prop_map(|(after, limit)| ("s".into(), S::Set(SetCommand::Members { after, limit }))),
        bytes().prop_map(|item| ("s".into(), S::Set(SetCommand::Add(item)))),
        (key(), prop::collection::vec(count(), 0..3), duration(), put_condition(), prop::option::of(count())).prop_map(
            |(key, lens, ttl, condition, fence)| {
                let data = BlobRef { parts: lens.into_iter().map(|len| BlobPart { hash: [0; 32], len }).collect() };
                let command = BucketCommand::Put {
                    key,
                    data,
                    content_type: Some("t".repeat(257)).filter(|_| ttl.is_none()),
                    attributes: Default::default(),
                    ttl,
                    condition,
                    if_fence_at_least: fence,
                    commit_by: None,
                };
                ("bk".into(), S::Bucket(command))
            }
        ),
        (key(), key(), any::<bool>(), any::<bool>(), prop::option::of(count())).prop_map(
            |(from, to, rename, if_not_exists, fence)| {
                let command = if rename {
                    BucketCommand::Rename { from, to, source_if_match: None, if_not_exists, if_fence_at_least: fence }
                } else {
                    BucketCommand::Copy {
                        from,
                        to,
                        source_if_match: Some(ETag::new("")),
                        if_not_exists,
                        if_fence_at_least: fence,
                    }
                };
                ("bk".into(), S::Bucket(command))
            }
        ),
        (key(), duration(), prop::option::of(count())).prop_map(|(key, ttl, fence)| {
            let command = BucketCommand::SetTtl { key, ttl, if_match: None, if_fence_at_least: fence };
            ("bk".into(), S::Bucket(command))
        }),
        (key(), count()).prop_map(|(key, version)| {
            let command =
                BucketCommand::Delete { key, condition: DeleteCondition::IfVersion(version), if_fence_at_least: None };
            ("bk".into(), S::Bucket(command))
        }),
        (key(), count(), count(), any::<u8>()).prop_map(|(key, a, b, which)| {
            let range = match which % 3 {
                0 => ByteRange::Bounded { start: a, end: b },
                1 => ByteRange::From { start: a },
                _ => ByteRange::Suffix { len: a },
            };
            let conditions = ReadConditions {
                if_match: Some(EtagMatch::Any).filter(|_| which > 128),
                if_none_match: Some(EtagMatch::OneOf(vec![])),
                if_modified_since: Some(coterie_core::Timestamp(b)),
                if_unmodified_since: Some(coterie_core::Timestamp(a)),
            };
            ("bk".into(), S::Bucket(BucketCommand::Get { key, conditions, range: Some(range) }))
        }),
        (key(), prop::option::of(key()), prop::option::of(key()), prop::option::of(small())).prop_map(
            |(prefix, delimiter, start_after, max_keys)| {
                ("bk".into(), S::Bucket(BucketCommand::List { prefix, delimiter, start_after, max_keys }))
            }
        ),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\0".to_owned()),
        Just("x".repeat(1025)),
        Just("\u{10FFFF}".to_owned()),
        "[ab/]{1,3}"
    ]
}

fn put_condition() -> impl Strategy<Value = PutCondition> {
    prop_oneof![
        Just(PutCondition::Overwrite),
        Just(PutCondition::CreateOnly),
        count().prop_map(PutCondition::IfVersion),
        Just(PutCondition::IfMatch(ETag::new("0"))),
    ]
}

/// A step: a call from a session (or none), at some time, or a tick.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant, reason = "test steps, generated and applied once each")]
enum Step {
    Call { session: Option<u64>, seq: u64, name: String, command: StructureCommand },
    Tick,
    Cancel { session: u64, seq: u64 },
}

fn step() -> impl Strategy<Value = (Step, u64)> {
    let now = prop_oneof![Just(0u64), Just(u64::MAX), Just(u64::MAX - 1), any::<u64>(), 0..10_000u64];
    let step = prop_oneof![
        6 => (prop::option::of(1..=3u64), any::<u64>(), command())
            .prop_map(|(session, seq, (name, command))| Step::Call { session, seq, name, command }),
        1 => Just(Step::Tick),
        1 => (1..=3u64, any::<u64>()).prop_map(|(session, seq)| Step::Cancel { session, seq }),
    ];
    (step, now)
}

fn specs() -> Vec<(String, StructureSpec)> {
    vec![
        ("fl".into(), StructureSpec::FencedLock(FencedLockConfig { acquire_limit: std::num::NonZeroU32::new(2) })),
        ("q".into(), StructureSpec::Queue(QueueConfig { capacity: Some(2) })),
        ("sem".into(), StructureSpec::Semaphore(SemaphoreConfig { permits: u32::MAX })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extreme_arguments_are_answered_never_panic(steps in prop::collection::vec(step(), 1..80)) {
        let mut group = Group::default();
        let mut index = 0u64;
        let mut next = |now: u64| {
            index += 1;
            ApplyCtx::internal(LogIndex(index), Timestamp(now))
        };
        for session in 1..=3u64 {
            let ctx = next(0);
            let client = ClientId::new(u128::from(session)).unwrap();
            group.apply(GroupCommand::OpenSession { ttl: Duration::from_secs(3600), client, seq: 1 }, &ctx);
            prop_assert!(group.has_session(SessionId(session)));
        }
        for (name, spec) in specs() {
            let ctx = next(0);
            group.apply(GroupCommand::Create { name, spec }, &ctx);
        }
        for (step, now) in steps {
            let ctx = next(now);
            match step {
                Step::Call { session, seq, name, command } => {
                    let ctx = match session {
                        Some(s) => ApplyCtx::invoked(ctx.index, ctx.now, Some(SessionId(s)), InvocationId { client: client_of(SessionId(s)), seq }),
                        None => ctx,
                    };
                    group.apply(GroupCommand::Invoke { name, command }, &ctx);
                }
                Step::Tick => {
                    group.apply(GroupCommand::Tick, &ctx);
                }
                Step::Cancel { session, seq } => {
                    group.apply(GroupCommand::Cancel { invocation: InvocationId { client: client_of(SessionId(session)), seq } }, &ctx);
                }
            }
        }
        let restored = Group::restore(&group.snapshot().unwrap()).unwrap();
        prop_assert_eq!(restored, group);
    }
}

/// The client that makes the calls of `session` in these tests (one client per session).
fn client_of(session: coterie_core::SessionId) -> coterie_core::ClientId {
    coterie_core::ClientId::new(u128::from(session.0) + 1).unwrap_or(coterie_core::ClientId::MIN)
}
