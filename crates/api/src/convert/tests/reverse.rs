//! The reverse conversions invert the forward ones exactly: for every command a client can
//! send, `to_request` then the server's `IntoCommand` gives back the same group, caller and
//! command; for every output, the server's `FromOutput` then `into_output` gives back the
//! same output. Anything `to_request` cannot send faithfully is refused, never altered.

use std::time::Duration;

use coterie_core::kinds::atomic_long::{AtomicLongCommand as Al, AtomicLongOutput as AlO};
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand as Ar, AtomicReferenceOutput as ArO};
use coterie_core::kinds::count_down_latch::{CountDownLatchCommand as Cdl, CountDownLatchOutput as CdlO};
use coterie_core::kinds::counter::{CounterCommand, CounterOutput as CO};
use coterie_core::kinds::cp_semaphore::{CpSemaphoreCommand as Sem, CpSemaphoreOutput as SemO};
use coterie_core::kinds::fenced_lock::{FencedLockCommand as Fl, FencedLockOutput as FlO};
use coterie_core::kinds::map::{MapCommand as M, MapOutput as MO};
use coterie_core::kinds::set::{SetCommand as St, SetOutput as StO};
use coterie_core::{
    ClientId, Fence, GroupCommand, GroupOutput, InvocationId, OwnerId, SessionId, StructureCommand as S,
};
use coterie_core::{Consistency, StructureOutput as SO, StructureSpec, Target};
use proptest::prelude::*;

use super::super::{Caller, ConvertError, Routed, RpcRequest, timeout_ms, to_request};

fn millis() -> impl Strategy<Value = Duration> {
    prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..100_000].prop_map(Duration::from_millis)
}

fn opt_millis() -> impl Strategy<Value = Option<Duration>> {
    proptest::option::of(millis())
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..24)
}

fn owner() -> impl Strategy<Value = OwnerId> {
    prop_oneof![Just(0u128), Just(u128::MAX), any::<u128>()].prop_map(OwnerId)
}

fn atomic_long() -> impl Strategy<Value = Al> {
    prop_oneof![
        Just(Al::Get),
        any::<i64>().prop_map(Al::Set),
        any::<i64>().prop_map(Al::GetAndSet),
        any::<i64>().prop_map(Al::AddAndGet),
        any::<i64>().prop_map(Al::GetAndAdd),
        Just(Al::IncrementAndGet),
        Just(Al::DecrementAndGet),
        Just(Al::GetAndIncrement),
        Just(Al::GetAndDecrement),
        (any::<i64>(), any::<i64>()).prop_map(|(expected, update)| Al::CompareAndSet { expected, update }),
        (any::<i64>(), any::<i64>()).prop_map(|(expected, update)| Al::CompareAndExchange { expected, update }),
    ]
}

fn atomic_reference() -> impl Strategy<Value = Ar> {
    let value = || proptest::option::of(bytes());
    prop_oneof![
        Just(Ar::Get),
        value().prop_map(Ar::Set),
        value().prop_map(Ar::GetAndSet),
        (value(), value()).prop_map(|(expected, update)| Ar::CompareAndSet { expected, update }),
        bytes().prop_map(Ar::SetIfAbsent),
        Just(Ar::IsNull),
        Just(Ar::Clear),
        value().prop_map(Ar::Contains),
    ]
}

fn fenced_lock() -> impl Strategy<Value = Fl> {
    prop_oneof![
        owner().prop_map(|owner| Fl::Lock { owner }),
        (owner(), opt_millis()).prop_map(|(owner, timeout)| Fl::TryLock { owner, timeout }),
        owner().prop_map(|owner| Fl::Unlock { owner }),
        Just(Fl::IsLocked),
        owner().prop_map(|owner| Fl::IsLockedByMe { owner }),
        Just(Fl::LockCount),
        owner().prop_map(|owner| Fl::Fence { owner }),
    ]
}

fn semaphore() -> impl Strategy<Value = Sem> {
    let permits = || prop_oneof![Just(0u64), Just(1u64), Just(u64::MAX), any::<u64>()];
    prop_oneof![
        permits().prop_map(|permits| Sem::Init { permits }),
        permits().prop_map(|permits| Sem::Acquire { permits }),
        (permits(), opt_millis()).prop_map(|(permits, timeout)| Sem::TryAcquire { permits, timeout }),
        permits().prop_map(|permits| Sem::Release { permits }),
        Just(Sem::AvailablePermits),
        Just(Sem::DrainPermits),
        permits().prop_map(|permits| Sem::ReducePermits { permits }),
        permits().prop_map(|permits| Sem::IncreasePermits { permits }),
    ]
}

fn latch() -> impl Strategy<Value = Cdl> {
    prop_oneof![
        any::<u64>().prop_map(|count| Cdl::TrySetCount { count }),
        any::<u64>().prop_map(|count| Cdl::SetCount { count }),
        any::<u64>().prop_map(|expected_round| Cdl::CountDown { expected_round }),
        Just(Cdl::GetCount),
        Just(Cdl::GetRound),
        opt_millis().prop_map(|timeout| Cdl::Await { timeout }),
    ]
}

fn structure_command() -> impl Strategy<Value = S> {
    prop_oneof![
        atomic_long().prop_map(S::AtomicLong),
        atomic_reference().prop_map(S::AtomicReference),
        fenced_lock().prop_map(S::FencedLock),
        semaphore().prop_map(S::CpSemaphore),
        latch().prop_map(S::CountDownLatch),
    ]
}

fn group() -> impl Strategy<Value = String> {
    prop_oneof![Just("default".to_owned()), "[a-z0-9_-]{1,64}"].prop_filter("reserved", |g| g != "metadata")
}

fn name() -> impl Strategy<Value = String> {
    "[^@]{1,40}"
}

fn session_command() -> impl Strategy<Value = GroupCommand> {
    let id = || (1u64..).prop_map(SessionId);
    prop_oneof![
        (millis(), 1u128.., 1u64..).prop_map(|(ttl, client, seq)| GroupCommand::OpenSession {
            ttl,
            client: ClientId::new(client).unwrap(),
            seq
        }),
        id().prop_map(|session| GroupCommand::Heartbeat { session }),
        id().prop_map(|session| GroupCommand::CloseSession { session }),
        (1u128.., 1u64..).prop_map(|(client, seq)| GroupCommand::Cancel {
            invocation: InvocationId { client: ClientId::new(client).unwrap(), seq }
        }),
    ]
}

/// A structure call's caller as the client makes them: a session or not, an invocation or
/// not, independently.
fn caller() -> impl Strategy<Value = Caller> {
    (proptest::option::of(1u64..), proptest::option::of((1u128.., 1u64..))).prop_map(|(session, invocation)| Caller {
        session: session.map(SessionId),
        invocation: invocation.map(|(client, seq)| InvocationId { client: ClientId::new(client).unwrap(), seq }),
    })
}

/// Every output of the five CP kinds and every session-level output.
fn output() -> impl Strategy<Value = GroupOutput> {
    let structure = prop_oneof![
        any::<i64>().prop_map(|v| SO::AtomicLong(AlO::Value(v))),
        any::<bool>().prop_map(|b| SO::AtomicLong(AlO::Bool(b))),
        Just(SO::AtomicLong(AlO::Unit)),
        proptest::option::of(bytes()).prop_map(|v| SO::AtomicReference(ArO::Value(v))),
        any::<bool>().prop_map(|b| SO::AtomicReference(ArO::Bool(b))),
        Just(SO::AtomicReference(ArO::Unit)),
        any::<u64>().prop_map(|f| SO::FencedLock(FlO::Fence(Fence(f)))),
        proptest::option::of(any::<u64>()).prop_map(|f| SO::FencedLock(FlO::MaybeFence(f.map(Fence)))),
        any::<bool>().prop_map(|b| SO::FencedLock(FlO::Bool(b))),
        any::<u32>().prop_map(|c| SO::FencedLock(FlO::Count(c))),
        Just(SO::FencedLock(FlO::Unit)),
        any::<i64>().prop_map(|p| SO::CpSemaphore(SemO::Permits(p))),
        any::<bool>().prop_map(|b| SO::CpSemaphore(SemO::Bool(b))),
        Just(SO::CpSemaphore(SemO::Unit)),
        any::<bool>().prop_map(|b| SO::CountDownLatch(CdlO::Bool(b))),
        any::<u64>().prop_map(|c| SO::CountDownLatch(CdlO::Count(c))),
        any::<u64>().prop_map(|r| SO::CountDownLatch(CdlO::Round(r))),
        Just(SO::CountDownLatch(CdlO::Unit)),
    ];
    prop_oneof![
        4 => structure.prop_map(GroupOutput::Structure),
        1 => any::<u64>().prop_map(|s| GroupOutput::Session(SessionId(s))),
        1 => any::<bool>().prop_map(GroupOutput::Bool),
        1 => Just(GroupOutput::Unit),
    ]
}

/// Any request a client can build, paired with the routed command it must become.
fn sendable() -> impl Strategy<Value = (RpcRequest, Routed)> {
    let structure = (group(), name(), structure_command(), caller()).prop_map(|(group, name, command, caller)| {
        let command = GroupCommand::Invoke { name, command };
        let request = to_request(&group, &command, caller.session, caller.invocation);
        (
            request,
            Routed {
                target: Target::Cp { group },
                consistency: Consistency::Default,
                caller,
                command,
                stale_read: false,
                keep_parked: false,
            },
        )
    });
    let session = (group(), session_command()).prop_map(|(group, command)| {
        let request = to_request(&group, &command, None, None);
        (
            request,
            Routed {
                target: Target::Cp { group },
                consistency: Consistency::Default,
                caller: Caller::default(),
                command,
                stale_read: false,
                keep_parked: false,
            },
        )
    });
    prop_oneof![4 => structure, 1 => session].prop_map(|(request, routed)| match request {
        Ok(request) => (request, routed),
        Err(err) => panic!("{routed:?} could not be sent: {err}"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn every_command_comes_back_from_its_request((request, routed) in sendable()) {
        prop_assert_eq!(request.into_command(), Ok(routed));
    }

    #[test]
    fn every_output_comes_back_from_its_response((request, _) in sendable(), output in output()) {
        if let Ok(response) = request.respond(output.clone()) {
            prop_assert_eq!(response.into_output(), Ok(output));
        }
    }

    #[test]
    fn any_caller_is_either_sent_exactly_or_refused(
        group in "[a-z@]{0,3}",
        name in "[a-z@]{0,3}",
        command in structure_command(),
        session in proptest::option::of(0u64..3),
        invocation in proptest::option::of((0u64..3, 0u64..3)),
    ) {
        let session = session.map(SessionId);
        let invocation = invocation.map(|(c, seq)| InvocationId { client: ClientId::new(u128::from(c) + 1).unwrap(), seq });
        let command = GroupCommand::Invoke { name: name.clone(), command };
        if let Ok(request) = to_request(&group, &command, session, invocation) {
            let group = if group.is_empty() { "default".to_owned() } else { group };
            let expected = Routed { target: Target::Cp { group }, consistency: Consistency::Default, caller: Caller { session, invocation }, command, stale_read: false, keep_parked: false };
            prop_assert_eq!(request.into_command(), Ok(expected));
        }
    }
}

/// The output each operation answers with on success, one per rpc.
fn expected_outputs() -> Vec<(GroupCommand, GroupOutput)> {
    let invoke = |command| GroupCommand::Invoke { name: "x".to_owned(), command };
    let st = GroupOutput::Structure;
    let o = OwnerId(3);
    vec![
        (invoke(S::AtomicLong(Al::Get)), st(SO::AtomicLong(AlO::Value(1)))),
        (invoke(S::AtomicLong(Al::Set(1))), st(SO::AtomicLong(AlO::Unit))),
        (invoke(S::AtomicLong(Al::GetAndSet(1))), st(SO::AtomicLong(AlO::Value(2)))),
        (invoke(S::AtomicLong(Al::AddAndGet(1))), st(SO::AtomicLong(AlO::Value(3)))),
        (invoke(S::AtomicLong(Al::GetAndAdd(1))), st(SO::AtomicLong(AlO::Value(4)))),
        (invoke(S::AtomicLong(Al::IncrementAndGet)), st(SO::AtomicLong(AlO::Value(5)))),
        (invoke(S::AtomicLong(Al::DecrementAndGet)), st(SO::AtomicLong(AlO::Value(6)))),
        (invoke(S::AtomicLong(Al::GetAndIncrement)), st(SO::AtomicLong(AlO::Value(7)))),
        (invoke(S::AtomicLong(Al::GetAndDecrement)), st(SO::AtomicLong(AlO::Value(8)))),
        (invoke(S::AtomicLong(Al::CompareAndSet { expected: 1, update: 2 })), st(SO::AtomicLong(AlO::Bool(true)))),
        (invoke(S::AtomicReference(Ar::Get)), st(SO::AtomicReference(ArO::Value(Some(vec![1]))))),
        (invoke(S::AtomicReference(Ar::Set(None))), st(SO::AtomicReference(ArO::Unit))),
        (invoke(S::AtomicReference(Ar::GetAndSet(None))), st(SO::AtomicReference(ArO::Value(None)))),
        (
            invoke(S::AtomicReference(Ar::CompareAndSet { expected: None, update: None })),
            st(SO::AtomicReference(ArO::Bool(false))),
        ),
        (invoke(S::AtomicReference(Ar::SetIfAbsent(vec![]))), st(SO::AtomicReference(ArO::Bool(true)))),
        (invoke(S::AtomicReference(Ar::IsNull)), st(SO::AtomicReference(ArO::Bool(true)))),
        (invoke(S::AtomicReference(Ar::Clear)), st(SO::AtomicReference(ArO::Unit))),
        (invoke(S::AtomicReference(Ar::Contains(None))), st(SO::AtomicReference(ArO::Bool(false)))),
        (invoke(S::FencedLock(Fl::Lock { owner: o })), st(SO::FencedLock(FlO::Fence(Fence(9))))),
        (invoke(S::FencedLock(Fl::TryLock { owner: o, timeout: None })), st(SO::FencedLock(FlO::MaybeFence(None)))),
        (invoke(S::FencedLock(Fl::Unlock { owner: o })), st(SO::FencedLock(FlO::Unit))),
        (invoke(S::FencedLock(Fl::IsLocked)), st(SO::FencedLock(FlO::Bool(true)))),
        (invoke(S::FencedLock(Fl::IsLockedByMe { owner: o })), st(SO::FencedLock(FlO::Bool(false)))),
        (invoke(S::FencedLock(Fl::LockCount)), st(SO::FencedLock(FlO::Count(2)))),
        (invoke(S::FencedLock(Fl::Fence { owner: o })), st(SO::FencedLock(FlO::Fence(Fence(4))))),
        (invoke(S::CpSemaphore(Sem::Init { permits: 1 })), st(SO::CpSemaphore(SemO::Unit))),
        (invoke(S::CpSemaphore(Sem::Acquire { permits: 1 })), st(SO::CpSemaphore(SemO::Unit))),
        (invoke(S::CpSemaphore(Sem::TryAcquire { permits: 1, timeout: None })), st(SO::CpSemaphore(SemO::Bool(true)))),
        (invoke(S::CpSemaphore(Sem::Release { permits: 1 })), st(SO::CpSemaphore(SemO::Unit))),
        (invoke(S::CpSemaphore(Sem::AvailablePermits)), st(SO::CpSemaphore(SemO::Permits(-2)))),
        (invoke(S::CpSemaphore(Sem::DrainPermits)), st(SO::CpSemaphore(SemO::Permits(5)))),
        (invoke(S::CpSemaphore(Sem::ReducePermits { permits: 1 })), st(SO::CpSemaphore(SemO::Unit))),
        (invoke(S::CpSemaphore(Sem::IncreasePermits { permits: 1 })), st(SO::CpSemaphore(SemO::Unit))),
        (invoke(S::CountDownLatch(Cdl::TrySetCount { count: 1 })), st(SO::CountDownLatch(CdlO::Bool(true)))),
        (invoke(S::CountDownLatch(Cdl::SetCount { count: 1 })), st(SO::CountDownLatch(CdlO::Unit))),
        (invoke(S::CountDownLatch(Cdl::CountDown { expected_round: 1 })), st(SO::CountDownLatch(CdlO::Count(0)))),
        (invoke(S::CountDownLatch(Cdl::GetCount)), st(SO::CountDownLatch(CdlO::Count(3)))),
        (invoke(S::CountDownLatch(Cdl::GetRound)), st(SO::CountDownLatch(CdlO::Round(2)))),
        (invoke(S::CountDownLatch(Cdl::Await { timeout: None })), st(SO::CountDownLatch(CdlO::Bool(true)))),
        (invoke(S::Counter(CounterCommand::Increment(3))), st(SO::Counter(CO::Value(3)))),
        (invoke(S::Counter(CounterCommand::Decrement(-2))), st(SO::Counter(CO::Value(5)))),
        (invoke(S::Counter(CounterCommand::Get)), st(SO::Counter(CO::Value(i64::MIN)))),
        (invoke(S::Map(M::Put { key: b"k".to_vec(), value: vec![] })), st(SO::Map(MO::Value(Some(vec![]))))),
        (invoke(S::Map(M::Get { key: vec![] })), st(SO::Map(MO::Value(None)))),
        (invoke(S::Map(M::Contains { key: b"k".to_vec() })), st(SO::Map(MO::Bool(true)))),
        (invoke(S::Map(M::Delete { key: b"k".to_vec() })), st(SO::Map(MO::Bool(false)))),
        (invoke(S::Map(M::PutIfAbsent { key: b"k".to_vec(), value: b"v".to_vec() })), st(SO::Map(MO::Value(None)))),
        (
            invoke(S::Map(M::Replace { key: b"k".to_vec(), value: b"v".to_vec() })),
            st(SO::Map(MO::Value(Some(b"u".to_vec())))),
        ),
        (
            invoke(S::Map(M::CompareAndSet { key: b"k".to_vec(), expected: None, update: Some(vec![1]) })),
            st(SO::Map(MO::Bool(true))),
        ),
        (invoke(S::Set(St::Add(b"i".to_vec()))), st(SO::Set(StO::Bool(true)))),
        (invoke(S::Set(St::Remove(vec![]))), st(SO::Set(StO::Bool(false)))),
        (invoke(S::Set(St::Contains(b"i".to_vec()))), st(SO::Set(StO::Bool(true)))),
        (
            GroupCommand::OpenSession { ttl: Duration::from_secs(1), client: ClientId::new(9).unwrap(), seq: 1 },
            GroupOutput::Session(SessionId(4)),
        ),
        (GroupCommand::Heartbeat { session: SessionId(4) }, GroupOutput::Unit),
        (GroupCommand::CloseSession { session: SessionId(4) }, GroupOutput::Unit),
        (GroupCommand::Cancel { invocation: InvocationId { client: ClientId::MIN, seq: 1 } }, GroupOutput::Bool(true)),
    ]
}

#[test]
fn every_rpc_answers_its_output_shape_and_gives_it_back() {
    let pairs = expected_outputs();
    let mut operations: Vec<(&str, String)> = Vec::new();
    for (command, output) in pairs {
        let request = match to_request("default", &command, None, None) {
            Ok(request) => request,
            Err(err) => panic!("{command:?}: {err}"),
        };
        let response = request.respond(output.clone());
        assert_eq!(response.and_then(|r| r.into_output()), Ok(output), "{command:?}");
        let variant = format!("{request:?}");
        operations.push((request.operation(), variant.split('(').next().unwrap_or_default().to_owned()));
    }
    // One pair per rpc: 52 structure rpcs and 4 session rpcs, all distinct.
    operations.sort();
    operations.dedup();
    assert_eq!(operations.len(), 56, "{operations:?}");
}

#[test]
fn commands_without_an_rpc_are_refused_clearly() {
    let refused = |command: GroupCommand| match to_request("default", &command, None, None) {
        Err(ConvertError::InvalidArgument { reason, .. }) => assert!(reason.contains("no rpc"), "{reason}"),
        other => panic!("{command:?} gave {other:?}"),
    };
    refused(GroupCommand::Tick);
    refused(GroupCommand::Destroy { name: "x".to_owned() });
    refused(GroupCommand::Create { name: "x".to_owned(), spec: StructureSpec::AtomicLong });
}

#[test]
fn what_the_wire_cannot_say_is_refused_not_altered() {
    let invoke = GroupCommand::Invoke { name: "x@g".to_owned(), command: S::AtomicLong(Al::Get) };
    assert!(matches!(to_request("g", &invoke, None, None), Err(ConvertError::InvalidName { .. })));
    let invoke = GroupCommand::Invoke { name: "x".to_owned(), command: S::AtomicLong(Al::IncrementAndGet) };
    let s1 = SessionId(1);
    let refused = |session, invocation| {
        let result = to_request("default", &invoke, session, invocation);
        assert!(matches!(result, Err(ConvertError::InvalidArgument { .. })), "{session:?} {invocation:?}: {result:?}");
    };
    refused(Some(s1), Some(InvocationId { client: ClientId::MIN, seq: 0 }));
    refused(Some(SessionId(0)), None);
    let heartbeat = GroupCommand::Heartbeat { session: s1 };
    assert!(to_request("default", &heartbeat, Some(s1), None).is_err());
    assert!(matches!(to_request("metadata", &heartbeat, None, None), Err(ConvertError::InvalidName { .. })));
}

#[test]
fn timeouts_round_up_to_whole_milliseconds() {
    assert_eq!(timeout_ms(Duration::ZERO), 0);
    assert_eq!(timeout_ms(Duration::from_micros(1)), 1);
    assert_eq!(timeout_ms(Duration::from_micros(1500)), 2);
    assert_eq!(timeout_ms(Duration::from_millis(7)), 7);
    assert_eq!(timeout_ms(Duration::MAX), u64::MAX);
}
