//! The read path agrees with the log path: for every read-only operation of every kind,
//! `Group::read` answers exactly what applying the command would, and applying it changes
//! nothing; every other operation is refused by `read` (it must go through the log).

use std::time::Duration;

use coterie_core::kinds::atomic_long::AtomicLongCommand;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand;
use coterie_core::kinds::barrier::BarrierCommand;
use coterie_core::kinds::bucket::{
    BlobRef, BucketCommand, ByteRange, DeleteCondition, EtagMatch, PutCondition, ReadConditions,
};
use coterie_core::kinds::count_down_latch::CountDownLatchCommand;
use coterie_core::kinds::counter::CounterCommand;
use coterie_core::kinds::cp_semaphore::CpSemaphoreCommand;
use coterie_core::kinds::fenced_lock::FencedLockCommand;
use coterie_core::kinds::lock::LockCommand;
use coterie_core::kinds::map::MapCommand;
use coterie_core::kinds::queue::QueueCommand;
use coterie_core::kinds::semaphore::SemaphoreCommand;
use coterie_core::kinds::set::SetCommand;
use coterie_core::{
    Applied, ApplyCtx, ClientId, Group, GroupCommand, InvocationId, LogIndex, OwnerId, Reply, SessionId, StateMachine,
    StructureCommand as S, Timestamp,
};
use proptest::prelude::*;

fn reads() -> Vec<(&'static str, S)> {
    let owner = OwnerId(1);
    vec![
        ("al", S::AtomicLong(AtomicLongCommand::Get)),
        ("ref", S::AtomicReference(AtomicReferenceCommand::Get)),
        ("ref", S::AtomicReference(AtomicReferenceCommand::IsNull)),
        ("ref", S::AtomicReference(AtomicReferenceCommand::Contains(Some(vec![1])))),
        ("fl", S::FencedLock(FencedLockCommand::IsLocked)),
        ("fl", S::FencedLock(FencedLockCommand::IsLockedByMe { owner })),
        ("fl", S::FencedLock(FencedLockCommand::LockCount)),
        ("fl", S::FencedLock(FencedLockCommand::Fence { owner })),
        ("cps", S::CpSemaphore(CpSemaphoreCommand::AvailablePermits)),
        ("latch", S::CountDownLatch(CountDownLatchCommand::GetCount)),
        ("latch", S::CountDownLatch(CountDownLatchCommand::GetRound)),
        ("ctr", S::Counter(CounterCommand::Get)),
        ("m", S::Map(MapCommand::Get { key: vec![1] })),
        ("m", S::Map(MapCommand::Contains { key: vec![1] })),
        ("m", S::Map(MapCommand::Size)),
        ("m", S::Map(MapCommand::Keys { after: None, limit: 2 })),
        ("m", S::Map(MapCommand::Entries { after: Some(vec![0]), limit: 2 })),
        ("m", S::Map(MapCommand::Keys { after: None, limit: 0 })),
        ("s", S::Set(SetCommand::Contains(vec![1]))),
        ("s", S::Set(SetCommand::Size)),
        ("s", S::Set(SetCommand::Members { after: None, limit: 2 })),
        ("q", S::Queue(QueueCommand::Peek)),
        ("q", S::Queue(QueueCommand::Size)),
        ("lk", S::Lock(LockCommand::IsLocked)),
        ("lk", S::Lock(LockCommand::Holder)),
        ("sem", S::Semaphore(SemaphoreCommand::Available)),
        ("sem", S::Semaphore(SemaphoreCommand::HeldBy { owner })),
        ("bar", S::Barrier(BarrierCommand::Waiting)),
        ("bar", S::Barrier(BarrierCommand::Round)),
        ("bk", S::Bucket(BucketCommand::Head { key: "a".into(), conditions: ReadConditions::default() })),
        ("bk", S::Bucket(BucketCommand::Head { key: String::new(), conditions: ReadConditions::default() })),
        (
            "bk",
            S::Bucket(BucketCommand::Get {
                key: "a".into(),
                conditions: ReadConditions { if_none_match: Some(EtagMatch::Any), ..ReadConditions::default() },
                range: None,
            }),
        ),
        (
            "bk",
            S::Bucket(BucketCommand::Get {
                key: "b".into(),
                conditions: ReadConditions::default(),
                range: Some(ByteRange::Suffix { len: 1 }),
            }),
        ),
        (
            "bk",
            S::Bucket(BucketCommand::List {
                prefix: String::new(),
                delimiter: Some("/".into()),
                start_after: None,
                max_keys: Some(1),
            }),
        ),
        // A read addressed to a name of another kind is answered with WrongKind by both paths.
        ("al", S::Counter(CounterCommand::Get)),
    ]
}

fn writes() -> Vec<(&'static str, S)> {
    let owner = OwnerId(1);
    let timeout = Some(Duration::from_millis(50));
    vec![
        ("al", S::AtomicLong(AtomicLongCommand::IncrementAndGet)),
        ("al", S::AtomicLong(AtomicLongCommand::Set(3))),
        ("ref", S::AtomicReference(AtomicReferenceCommand::Set(Some(vec![1])))),
        ("ref", S::AtomicReference(AtomicReferenceCommand::Clear)),
        ("fl", S::FencedLock(FencedLockCommand::Lock { owner })),
        ("fl", S::FencedLock(FencedLockCommand::TryLock { owner: OwnerId(2), timeout })),
        ("fl", S::FencedLock(FencedLockCommand::Unlock { owner })),
        ("cps", S::CpSemaphore(CpSemaphoreCommand::Init { permits: 2 })),
        ("cps", S::CpSemaphore(CpSemaphoreCommand::Acquire { permits: 1 })),
        ("cps", S::CpSemaphore(CpSemaphoreCommand::Release { permits: 1 })),
        ("cps", S::CpSemaphore(CpSemaphoreCommand::DrainPermits)),
        ("latch", S::CountDownLatch(CountDownLatchCommand::TrySetCount { count: 2 })),
        ("latch", S::CountDownLatch(CountDownLatchCommand::CountDown { expected_round: 1 })),
        ("latch", S::CountDownLatch(CountDownLatchCommand::Await { timeout })),
        ("ctr", S::Counter(CounterCommand::Increment(2))),
        ("m", S::Map(MapCommand::Put { key: vec![1], value: vec![2] })),
        ("m", S::Map(MapCommand::Delete { key: vec![0] })),
        ("s", S::Set(SetCommand::Add(vec![1]))),
        ("s", S::Set(SetCommand::Clear)),
        ("q", S::Queue(QueueCommand::Enqueue(vec![1]))),
        ("q", S::Queue(QueueCommand::Dequeue)),
        ("q", S::Queue(QueueCommand::Take { timeout })),
        ("lk", S::Lock(LockCommand::Acquire { owner, lease: None })),
        ("lk", S::Lock(LockCommand::Release { owner })),
        ("sem", S::Semaphore(SemaphoreCommand::Acquire { owner, lease: None })),
        ("sem", S::Semaphore(SemaphoreCommand::Release { owner })),
        ("bar", S::Barrier(BarrierCommand::Arrive { expected: 2, timeout })),
        ("bk", S::Bucket(bucket_put("a", Some(Duration::from_millis(100))))),
        ("bk", S::Bucket(bucket_put("b", None))),
        (
            "bk",
            S::Bucket(BucketCommand::Delete {
                key: "a".into(),
                condition: DeleteCondition::Any,
                if_fence_at_least: None,
            }),
        ),
        (
            "bk",
            S::Bucket(BucketCommand::Rename {
                from: "b".into(),
                to: "a".into(),
                source_if_match: None,
                if_not_exists: true,
                if_fence_at_least: None,
            }),
        ),
        (
            "bk",
            S::Bucket(BucketCommand::SetTtl {
                key: "b".into(),
                ttl: Some(Duration::from_millis(50)),
                if_match: None,
                if_fence_at_least: None,
            }),
        ),
    ]
}

fn bucket_put(key: &str, ttl: Option<Duration>) -> BucketCommand {
    BucketCommand::Put {
        key: key.into(),
        data: BlobRef::single([1; 32], 4),
        content_type: None,
        attributes: Default::default(),
        ttl,
        condition: PutCondition::Overwrite,
        if_fence_at_least: None,
        commit_by: None,
    }
}

fn invoke(name: &str, command: S) -> GroupCommand {
    GroupCommand::Invoke { name: name.to_owned(), command }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// After a random history of writes from two sessions, every read answers the same
    /// through both paths and leaves the state as it was.
    #[test]
    fn reads_answer_like_apply_and_change_nothing(history in prop::collection::vec((0..32usize, 1..=2u64, 0..200u64), 0..60)) {
        let mut group = Group::default();
        let mut index = 0;
        let mut now = 0;
        for client in 1..=2u128 {
            index += 1;
            let open = GroupCommand::OpenSession { ttl: Duration::from_secs(3600), client: ClientId::new(client).unwrap(), seq: 1 };
            group.apply(open, &ApplyCtx::internal(LogIndex(index), Timestamp(0)));
        }
        let writes = writes();
        for (seq, (which, session, advance)) in (1..).zip(history) {
            index += 1;
            now += advance;
            let (name, command) = writes[which % writes.len()].clone();
            let ctx = ApplyCtx::invoked(LogIndex(index), Timestamp(now), Some(SessionId(session)), InvocationId { client: client_of(SessionId(session)), seq });
            group.apply(invoke(name, command), &ctx);
            if advance > 150 {
                index += 1;
                group.apply(GroupCommand::Tick, &ApplyCtx::internal(LogIndex(index), Timestamp(now)));
            }
        }

        for (name, command) in reads() {
            for session in [None, Some(SessionId(1)), Some(SessionId(2))] {
                let ctx = ApplyCtx { session, ..ApplyCtx::internal(LogIndex(index + 1), group.now()) };
                let read = group.read(&invoke(name, command.clone()), &ctx);
                prop_assert!(read.is_some(), "{name}: {command:?} is a read but read() refused it");
                prop_assert!(invoke(name, command.clone()).is_read());
                let before = group.clone();
                let mut scratch = group.clone();
                let applied = scratch.apply(invoke(name, command.clone()), &ctx);
                prop_assert_eq!(applied, Applied { response: Reply::Ready(read.unwrap_or_else(|| unreachable!())), effects: vec![] });
                if session.is_none() {
                    // With a session, applying refreshes its TTL; without, nothing may change.
                    prop_assert_eq!(&scratch, &before, "{}: applying {:?} changed the state", name, command);
                }
            }
        }
        for (name, command) in writes {
            let ctx = ApplyCtx::internal(LogIndex(index + 1), group.now());
            prop_assert_eq!(group.read(&invoke(name, command.clone()), &ctx), None, "{}: {:?} is not a read", name, command);
            prop_assert!(!invoke(name, command.clone()).is_read());
        }
        let expired = ApplyCtx { session: Some(SessionId(99)), ..ApplyCtx::internal(LogIndex(index + 1), group.now()) };
        prop_assert!(matches!(group.read(&invoke("al", S::AtomicLong(AtomicLongCommand::Get)), &expired), Some(Err(_))));
        prop_assert_eq!(group.read(&GroupCommand::Tick, &expired), None);
    }
}

/// The client that makes the calls of `session` in these tests (one client per session).
fn client_of(session: coterie_core::SessionId) -> coterie_core::ClientId {
    coterie_core::ClientId::new(u128::from(session.0) + 1).unwrap_or(coterie_core::ClientId::MIN)
}
