//! The sharded Lock, Semaphore and Barrier rpcs, the create rpcs and the whole-structure
//! Map and Set rpcs: each request becomes
//! its command, each output its response and back (Barrier's arrive answers one of two
//! outputs through one response), and what the wire must refuse is refused with the reason.

use std::time::Duration;

use coterie_core::kinds::barrier::{BarrierCommand as B, BarrierOutput as BO};
use coterie_core::kinds::lock::{LockCommand as L, LockOutput as LO};
use coterie_core::kinds::map::{MapCommand as M, MapOutput as MO};
use coterie_core::kinds::queue::QueueConfig;
use coterie_core::kinds::semaphore::{SemaphoreCommand as Sm, SemaphoreConfig, SemaphoreOutput as SmO};
use coterie_core::kinds::set::{SetCommand as St, SetOutput as StO};
use coterie_core::{Fence, GroupCommand, GroupOutput, OwnerId, StructureCommand as S, StructureOutput as SO};
use proptest::prelude::*;

use super::super::{ConvertError, FromOutput, IntoCommand, IntoOutput, RpcRequest, to_request};
use super::{assert_request, assert_response, call};
use crate::pb;

fn owner_bytes() -> Vec<u8> {
    OwnerId(0xfeed).0.to_be_bytes().to_vec()
}

/// `command` sent by a client and read back by the server, and `output` answered by the
/// server and read back by the client: both come back unchanged.
fn round_trip(command: GroupCommand, output: GroupOutput) {
    let request = to_request("default", &command, None, None).unwrap_or_else(|err| panic!("{command:?}: {err}"));
    let routed = request.clone().into_command().unwrap_or_else(|err| panic!("{command:?}: {err}"));
    assert_eq!(routed.command, command);
    let response = request.respond(output.clone()).unwrap_or_else(|err| panic!("{command:?}: {err}"));
    assert_eq!(response.into_output(), Ok(output), "{command:?}");
}

fn invoke(command: S) -> GroupCommand {
    GroupCommand::Invoke { name: "x".to_owned(), command }
}

#[test]
fn lock_requests_carry_the_owner_the_lease_and_the_timeout() {
    let owner = OwnerId(0xfeed);
    assert_request(
        pb::LockAcquireRequest { call: call(), owner: owner_bytes(), lease_ms: Some(1500) },
        S::Lock(L::Acquire { owner, lease: Some(Duration::from_millis(1500)) }),
    );
    assert_request(
        pb::LockTryAcquireRequest { call: call(), owner: owner_bytes(), lease_ms: None, timeout_ms: Some(0) },
        S::Lock(L::TryAcquire { owner, lease: None, timeout: Some(Duration::ZERO) }),
    );
    assert_request(pb::LockReleaseRequest { call: call(), owner: owner_bytes() }, S::Lock(L::Release { owner }));
    assert_response(SO::Lock(LO::Fence(Fence(4))), pb::LockAcquireResponse { fence: 4 });
    assert_response(SO::Lock(LO::MaybeFence(None)), pb::LockTryAcquireResponse { fence: None });
    assert_response(
        SO::Lock(LO::Holder(Some((owner, Fence(2))))),
        pb::LockHolderResponse { holder: Some(pb::LockHolder { owner: owner_bytes(), fence: 2 }) },
    );
}

#[test]
fn an_owner_is_required_and_at_most_sixteen_bytes() {
    let empty = pb::LockAcquireRequest { call: call(), owner: Vec::new(), lease_ms: None }.into_command();
    match empty {
        Err(ConvertError::InvalidArgument { operation: "acquire", reason }) => {
            assert!(reason.contains("owner is required") && reason.contains("handle"), "{reason}");
        }
        other => panic!("an empty owner was accepted: {other:?}"),
    }
    let long = pb::ShardedSemaphoreReleaseRequest { call: call(), owner: vec![1; 17] }.into_command();
    assert!(matches!(long, Err(ConvertError::InvalidArgument { operation: "release", .. })), "{long:?}");
}

#[test]
fn a_barrier_arrival_answers_released_with_its_round_or_timed_out_through_one_response() {
    assert_request(
        pb::BarrierArriveRequest { call: call(), expected: 3, timeout_ms: Some(250) },
        S::Barrier(B::Arrive { expected: 3, timeout: Some(Duration::from_millis(250)) }),
    );
    assert_response(SO::Barrier(BO::Released { round: 0 }), pb::BarrierArriveResponse { released: true, round: 0 });
    assert_response(SO::Barrier(BO::Released { round: 7 }), pb::BarrierArriveResponse { released: true, round: 7 });
    assert_response(SO::Barrier(BO::TimedOut), pb::BarrierArriveResponse { released: false, round: 0 });
    // Back on the client: the response says which output it was built from.
    let back = |released, round| pb::BarrierArriveResponse { released, round }.into_output();
    assert_eq!(back(true, 7), Ok(GroupOutput::Structure(SO::Barrier(BO::Released { round: 7 }))));
    assert_eq!(back(false, 0), Ok(GroupOutput::Structure(SO::Barrier(BO::TimedOut))));
    // A response no output gives is refused, not guessed at.
    assert!(matches!(back(false, 3), Err(ConvertError::InvalidArgument { operation: "arrive", .. })));
}

#[test]
fn create_carries_a_queue_capacity_and_semaphore_permits() {
    let created = |spec| GroupCommand::Create { name: "x".to_owned(), spec };
    let semaphore = pb::ShardedSemaphoreCreateRequest { call: call(), permits: 2 }.into_command().unwrap();
    assert_eq!(semaphore.command, created(coterie_core::StructureSpec::Semaphore(SemaphoreConfig { permits: 2 })));
    let queue = pb::QueueCreateRequest { call: call(), capacity: Some(10) }.into_command().unwrap();
    assert_eq!(queue.command, created(coterie_core::StructureSpec::Queue(QueueConfig { capacity: Some(10) })));
    let unbounded = pb::QueueCreateRequest { call: call(), capacity: None }.into_command().unwrap();
    assert_eq!(unbounded.command, created(coterie_core::StructureSpec::Queue(QueueConfig { capacity: None })));
    assert_eq!(
        pb::QueueCreateResponse::from_output(GroupOutput::Bool(false)),
        Ok(pb::QueueCreateResponse { created: false })
    );
    // Another output is not a create's answer.
    assert!(pb::QueueCreateResponse::from_output(GroupOutput::Unit).is_err());
}

#[test]
fn zero_and_negative_permits_are_refused_with_the_reason() {
    for permits in [0, -1, i64::MIN, i64::from(u32::MAX) + 1] {
        match (pb::ShardedSemaphoreCreateRequest { call: call(), permits }).into_command() {
            Err(ConvertError::InvalidArgument { operation: "create", reason }) => {
                assert!(reason.contains(&permits.to_string()) && reason.contains("positive"), "{reason}");
            }
            other => panic!("{permits} permits accepted: {other:?}"),
        }
    }
}

#[test]
fn create_is_sent_for_configured_kinds_only() {
    let refused = to_request(
        "default",
        &GroupCommand::Create { name: "x".to_owned(), spec: coterie_core::StructureSpec::Lock },
        None,
        None,
    );
    assert!(matches!(refused, Err(ConvertError::InvalidArgument { operation: "create", .. })), "{refused:?}");
    // The command line names the sharded semaphore `semaphore` (the CP one is `cp-semaphore`).
    let text = RpcRequest::from_text("semaphore", "create", "x", &["permits=0".to_owned()]).unwrap();
    assert!(matches!(text.into_command(), Err(ConvertError::InvalidArgument { operation: "create", .. })));
}

fn owner() -> impl Strategy<Value = OwnerId> {
    prop_oneof![Just(0u128), Just(u128::MAX), any::<u128>()].prop_map(OwnerId)
}

fn opt_millis() -> impl Strategy<Value = Option<Duration>> {
    proptest::option::of((0u64..100_000).prop_map(Duration::from_millis))
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..12)
}

/// A listing's start (`after`, the cursor) and limit: any, as the wire carries both unchanged.
fn page() -> impl Strategy<Value = (Option<Vec<u8>>, u32)> {
    (proptest::option::of(bytes()), any::<u32>())
}

/// A page of items and its next cursor.
fn pages() -> impl Strategy<Value = (Vec<Vec<u8>>, Option<Vec<u8>>)> {
    (proptest::collection::vec(bytes(), 0..4), proptest::option::of(bytes()))
}

/// Every command of the three kinds, every create spec the API carries and every
/// whole-structure Map and Set command, with one of the outputs it may answer.
fn exchange() -> impl Strategy<Value = (GroupCommand, GroupOutput)> {
    let st = |output| GroupOutput::Structure(output);
    prop_oneof![
        (owner(), opt_millis(), any::<u64>()).prop_map(move |(owner, lease, f)| (
            invoke(S::Lock(L::Acquire { owner, lease })),
            st(SO::Lock(LO::Fence(Fence(f))))
        )),
        (owner(), opt_millis(), opt_millis(), proptest::option::of(any::<u64>())).prop_map(
            move |(owner, lease, timeout, f)| (
                invoke(S::Lock(L::TryAcquire { owner, lease, timeout })),
                st(SO::Lock(LO::MaybeFence(f.map(Fence))))
            )
        ),
        (owner(), any::<bool>())
            .prop_map(move |(owner, b)| (invoke(S::Lock(L::Release { owner })), st(SO::Lock(LO::Bool(b))))),
        any::<bool>().prop_map(move |b| (invoke(S::Lock(L::IsLocked)), st(SO::Lock(LO::Bool(b))))),
        proptest::option::of((owner(), any::<u64>())).prop_map(move |holder| (
            invoke(S::Lock(L::Holder)),
            st(SO::Lock(LO::Holder(holder.map(|(o, f)| (o, Fence(f))))))
        )),
        (owner(), opt_millis()).prop_map(move |(owner, lease)| (
            invoke(S::Semaphore(Sm::Acquire { owner, lease })),
            st(SO::Semaphore(SmO::Unit))
        )),
        (owner(), opt_millis(), opt_millis(), any::<bool>()).prop_map(move |(owner, lease, timeout, b)| (
            invoke(S::Semaphore(Sm::TryAcquire { owner, lease, timeout })),
            st(SO::Semaphore(SmO::Bool(b)))
        )),
        (owner(), any::<bool>())
            .prop_map(move |(owner, b)| (invoke(S::Semaphore(Sm::Release { owner })), st(SO::Semaphore(SmO::Bool(b))))),
        any::<u64>().prop_map(move |c| (invoke(S::Semaphore(Sm::Available)), st(SO::Semaphore(SmO::Count(c))))),
        (owner(), any::<u64>())
            .prop_map(move |(owner, c)| (invoke(S::Semaphore(Sm::HeldBy { owner })), st(SO::Semaphore(SmO::Count(c))))),
        (any::<u64>(), opt_millis(), proptest::option::of(any::<u64>())).prop_map(move |(expected, timeout, round)| (
            invoke(S::Barrier(B::Arrive { expected, timeout })),
            st(SO::Barrier(round.map_or(BO::TimedOut, |round| BO::Released { round })))
        )),
        any::<u64>().prop_map(move |c| (invoke(S::Barrier(B::Waiting)), st(SO::Barrier(BO::Count(c))))),
        any::<u64>().prop_map(move |r| (invoke(S::Barrier(B::Round)), st(SO::Barrier(BO::Round(r))))),
        any::<u64>().prop_map(move |c| (invoke(S::Map(M::Size)), st(SO::Map(MO::Count(c))))),
        any::<u64>().prop_map(move |c| (invoke(S::Map(M::Clear)), st(SO::Map(MO::Count(c))))),
        (page(), pages()).prop_map(move |((after, limit), (keys, next))| (
            invoke(S::Map(M::Keys { after, limit })),
            st(SO::Map(MO::Keys { keys, next }))
        )),
        (page(), pages(), pages()).prop_map(move |((after, limit), (keys, next), (values, _))| (
            invoke(S::Map(M::Entries { after, limit })),
            st(SO::Map(MO::Entries { entries: keys.into_iter().zip(values).collect(), next }))
        )),
        any::<u64>().prop_map(move |c| (invoke(S::Set(St::Size)), st(SO::Set(StO::Count(c))))),
        any::<u64>().prop_map(move |c| (invoke(S::Set(St::Clear)), st(SO::Set(StO::Count(c))))),
        (page(), pages()).prop_map(move |((after, limit), (members, next))| (
            invoke(S::Set(St::Members { after, limit })),
            st(SO::Set(StO::Members { members, next }))
        )),
        (1u32.., any::<bool>()).prop_map(|(permits, b)| (
            GroupCommand::Create {
                name: "x".to_owned(),
                spec: coterie_core::StructureSpec::Semaphore(SemaphoreConfig { permits })
            },
            GroupOutput::Bool(b)
        )),
        (proptest::option::of(any::<u64>()), any::<bool>()).prop_map(|(capacity, b)| (
            GroupCommand::Create {
                name: "x".to_owned(),
                spec: coterie_core::StructureSpec::Queue(QueueConfig { capacity })
            },
            GroupOutput::Bool(b)
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_command_and_output_of_the_sharded_kinds_comes_back((command, output) in exchange()) {
        round_trip(command, output);
    }
}
