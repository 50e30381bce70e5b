//! Conversion tests: every rpc's request becomes exactly the expected command, every
//! output becomes exactly the expected response, and anything else is a typed error.

mod atomic_long;
mod atomic_reference;
mod count_down_latch;
mod fenced_lock;
mod header;
mod reverse;
mod semaphore;
mod session;
mod sharded_kinds;
mod text;

use std::fmt::Debug;

use coterie_core::{
    Consistency, GroupCommand, GroupOutput, InvocationId, OwnerId, SessionId, StructureCommand, StructureOutput, Target,
};

use super::*;
use crate::pb;

/// The header every structure test request carries: structure "x" in the default group,
/// session 7, seq 9.
fn call() -> Option<pb::Call> {
    Some(pb::Call {
        name: "x".to_owned(),
        session_id: 7,
        seq: 9,
        client_id: ClientId::MIN.to_bytes().to_vec(),
        ..pb::Call::default()
    })
}

/// Asserts that `request` becomes `command` on structure "x" of the default group, called by
/// session 7 and invocation 9 of client 1, and that its header is checked (a request without one is refused).
fn assert_request<R: IntoCommand + Clone + Debug>(request: R, command: StructureCommand) {
    let session = SessionId(7);
    let expected = Routed {
        target: Target::cp("default"),
        consistency: Consistency::Default,
        caller: Caller { session: Some(session), invocation: Some(InvocationId { client: ClientId::MIN, seq: 9 }) },
        command: GroupCommand::Invoke { name: "x".to_owned(), command },
        stale_read: false,
        keep_parked: false,
    };
    assert_eq!(request.clone().into_command(), Ok(expected), "{request:?}");
}

/// Asserts that `output` becomes `response`, and that outputs of another shape are refused.
fn assert_response<T: FromOutput + PartialEq + Debug>(output: StructureOutput, response: T) {
    assert_eq!(T::from_output(GroupOutput::Structure(output.clone())), Ok(response), "{output:?}");
    for wrong in [GroupOutput::Unit, GroupOutput::Bool(true), GroupOutput::Session(SessionId(1))] {
        assert!(
            matches!(T::from_output(wrong.clone()), Err(ConvertError::UnexpectedOutput { operation, .. }) if operation == T::OPERATION),
            "{wrong:?} accepted for {}",
            T::OPERATION
        );
    }
}

/// Asserts that `output`, a structure output of the wrong kind or variant, is refused.
fn assert_refused<T: FromOutput + Debug>(output: StructureOutput) {
    let result = T::from_output(GroupOutput::Structure(output.clone()));
    assert!(matches!(result, Err(ConvertError::UnexpectedOutput { .. })), "{output:?} gave {result:?}");
}

#[test]
fn the_group_defaults_and_may_come_from_the_field_or_a_suffix() {
    let ok = |group: &str, name: &str| resolve_target(group, name);
    let target = |group: &str, name: &str| Ok((group.to_owned(), name.to_owned()));
    assert_eq!(ok("", "x"), target("default", "x"));
    assert_eq!(ok("", "x@g1"), target("g1", "x"));
    assert_eq!(ok("g1", "x"), target("g1", "x"));
    assert_eq!(ok("g1", "x@g1"), target("g1", "x"));
    assert_eq!(ok("default", "x@default"), target("default", "x"));
    assert_eq!(ok("a-b_9", "x"), target("a-b_9", "x"));
    assert_eq!(ok("", "x y/z"), target("default", "x y/z"));
    assert_eq!(ok(&"g".repeat(MAX_GROUP_NAME_BYTES), "x"), target(&"g".repeat(MAX_GROUP_NAME_BYTES), "x"));
}

#[test]
fn bad_names_and_groups_are_refused_with_a_reason() {
    let refused = |group: &str, name: &str, needle: &str| match resolve_target(group, name) {
        Err(ConvertError::InvalidName { reason }) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("{group:?}/{name:?} gave {other:?}"),
    };
    refused("", "", "empty");
    refused("g", "", "empty");
    refused("", "@g", "empty");
    refused("", "x@", "without a group");
    refused("", "x@a@b", "more than one");
    refused("g1", "x@g2", "give the group once");
    refused("G1", "x", "lowercase");
    refused("", "x@G", "lowercase");
    refused("a.b", "x", "lowercase");
    refused("", "x@a b", "lowercase");
    refused("metadata", "x", "reserved");
    refused("", "x@metadata", "reserved");
    refused(&"g".repeat(MAX_GROUP_NAME_BYTES + 1), "x", "longer than");
    assert!(matches!(resolve_group("metadata"), Err(ConvertError::InvalidName { .. })));
    assert_eq!(resolve_group(""), Ok("default".to_owned()));
    assert_eq!(resolve_group("g"), Ok("g".to_owned()));
}

#[test]
fn the_caller_comes_from_session_client_id_and_seq() {
    let s = SessionId(3);
    let me = ClientId::MIN.to_bytes();
    let invocation = InvocationId { client: ClientId::MIN, seq: 4 };
    assert_eq!(caller(0, &[], 0, "get"), Ok(Caller::default()));
    assert_eq!(caller(3, &[], 0, "get"), Ok(Caller { session: Some(s), invocation: None }));
    assert_eq!(caller(3, &me, 4, "get"), Ok(Caller { session: Some(s), invocation: Some(invocation) }));
    // A call needs no session to be deduplicated ...
    assert_eq!(caller(0, &me, 4, "get"), Ok(Caller { session: None, invocation: Some(invocation) }));
    // ... but a seq names a call of a client: it needs the client's id.
    for bad in [&[][..], &[0; 16][..], &[1; 15][..]] {
        assert!(matches!(caller(3, bad, 4, "get"), Err(ConvertError::InvalidArgument { operation: "get", .. })));
    }
    let ctx = Caller { session: Some(s), invocation: Some(invocation) }
        .ctx(coterie_core::LogIndex(10), coterie_core::Timestamp(20));
    assert_eq!(
        ctx,
        coterie_core::ApplyCtx::invoked(coterie_core::LogIndex(10), coterie_core::Timestamp(20), Some(s), invocation)
    );
}

#[test]
fn a_request_without_a_header_or_with_a_bad_one_is_refused() {
    let missing = pb::AtomicLongGetRequest { call: None };
    assert!(matches!(missing.into_command(), Err(ConvertError::InvalidName { .. })));
    // The header is checked before the arguments.
    let both_bad = pb::FencedLockLockRequest { call: None, owner: vec![0; 17] };
    assert!(matches!(both_bad.into_command(), Err(ConvertError::InvalidName { .. })));
    let seq_only = pb::AtomicLongIncrementAndGetRequest {
        call: Some(pb::Call { name: "x".to_owned(), session_id: 0, seq: 1, ..pb::Call::default() }),
    };
    assert!(matches!(
        seq_only.into_command(),
        Err(ConvertError::InvalidArgument { operation: "increment_and_get", .. })
    ));
    let grouped = pb::AtomicLongGetRequest {
        call: Some(pb::Call { name: "x@g2".to_owned(), session_id: 0, seq: 0, ..pb::Call::default() }),
    };
    assert_eq!(
        grouped.into_command(),
        Ok(Routed {
            target: Target::cp("g2"),
            consistency: Consistency::Default,
            caller: Caller::default(),
            command: GroupCommand::Invoke {
                name: "x".to_owned(),
                command: StructureCommand::AtomicLong(coterie_core::kinds::atomic_long::AtomicLongCommand::Get)
            },
            stale_read: false,
            keep_parked: false,
        })
    );
}

#[test]
fn owners_are_up_to_sixteen_big_endian_bytes() {
    assert_eq!(owner_from_bytes(&[], "lock"), Ok(OwnerId(0)));
    assert_eq!(owner_from_bytes(&[1, 2], "lock"), Ok(OwnerId(0x0102)));
    assert_eq!(owner_from_bytes(&[0, 0, 1, 2], "lock"), Ok(OwnerId(0x0102)));
    assert_eq!(owner_from_bytes(&[0xff; 16], "lock"), Ok(OwnerId(u128::MAX)));
    let err = owner_from_bytes(&[0; 17], "unlock");
    assert!(
        matches!(err, Err(ConvertError::InvalidArgument { operation: "unlock", ref reason }) if reason.contains("17 bytes"))
    );
    for owner in [OwnerId(0), OwnerId(42), OwnerId(u128::MAX), OwnerId(1 << 100)] {
        let bytes = owner_to_bytes(owner);
        assert_eq!(bytes.len(), MAX_OWNER_BYTES);
        assert_eq!(owner_from_bytes(&bytes, "lock"), Ok(owner));
    }
}

#[test]
fn request_errors_become_the_equivalent_core_errors() {
    assert_eq!(
        ConvertError::InvalidArgument { operation: "lock", reason: "r".to_owned() }.to_core(),
        Some(coterie_core::CoreError::invalid_request("lock", "r"))
    );
    assert_eq!(
        ConvertError::InvalidName { reason: "r".to_owned() }.to_core(),
        Some(coterie_core::CoreError::invalid_name(coterie_core::NameProblem::Request { detail: "r".to_owned() }))
    );
    assert_eq!(ConvertError::UnexpectedOutput { operation: "get", output: "Unit".to_owned() }.to_core(), None);
}

/// Asserts that a request and its response name the same operation.
fn assert_pair<Q: IntoCommand, A: FromOutput>() {
    assert_eq!(Q::OPERATION, A::OPERATION, "{} answered by {}", std::any::type_name::<Q>(), std::any::type_name::<A>());
}

#[test]
fn each_request_and_its_response_name_the_same_operation() {
    assert_pair::<pb::AtomicLongGetRequest, pb::AtomicLongGetResponse>();
    assert_pair::<pb::AtomicLongSetRequest, pb::AtomicLongSetResponse>();
    assert_pair::<pb::AtomicLongGetAndSetRequest, pb::AtomicLongGetAndSetResponse>();
    assert_pair::<pb::AtomicLongAddAndGetRequest, pb::AtomicLongAddAndGetResponse>();
    assert_pair::<pb::AtomicLongGetAndAddRequest, pb::AtomicLongGetAndAddResponse>();
    assert_pair::<pb::AtomicLongIncrementAndGetRequest, pb::AtomicLongIncrementAndGetResponse>();
    assert_pair::<pb::AtomicLongDecrementAndGetRequest, pb::AtomicLongDecrementAndGetResponse>();
    assert_pair::<pb::AtomicLongGetAndIncrementRequest, pb::AtomicLongGetAndIncrementResponse>();
    assert_pair::<pb::AtomicLongGetAndDecrementRequest, pb::AtomicLongGetAndDecrementResponse>();
    assert_pair::<pb::AtomicLongCompareAndSetRequest, pb::AtomicLongCompareAndSetResponse>();
    assert_pair::<pb::AtomicReferenceGetRequest, pb::AtomicReferenceGetResponse>();
    assert_pair::<pb::AtomicReferenceSetRequest, pb::AtomicReferenceSetResponse>();
    assert_pair::<pb::AtomicReferenceGetAndSetRequest, pb::AtomicReferenceGetAndSetResponse>();
    assert_pair::<pb::AtomicReferenceCompareAndSetRequest, pb::AtomicReferenceCompareAndSetResponse>();
    assert_pair::<pb::AtomicReferenceSetIfAbsentRequest, pb::AtomicReferenceSetIfAbsentResponse>();
    assert_pair::<pb::AtomicReferenceIsNullRequest, pb::AtomicReferenceIsNullResponse>();
    assert_pair::<pb::AtomicReferenceClearRequest, pb::AtomicReferenceClearResponse>();
    assert_pair::<pb::AtomicReferenceContainsRequest, pb::AtomicReferenceContainsResponse>();
    assert_pair::<pb::FencedLockLockRequest, pb::FencedLockLockResponse>();
    assert_pair::<pb::FencedLockTryLockRequest, pb::FencedLockTryLockResponse>();
    assert_pair::<pb::FencedLockUnlockRequest, pb::FencedLockUnlockResponse>();
    assert_pair::<pb::FencedLockIsLockedRequest, pb::FencedLockIsLockedResponse>();
    assert_pair::<pb::FencedLockIsLockedByMeRequest, pb::FencedLockIsLockedByMeResponse>();
    assert_pair::<pb::FencedLockGetLockCountRequest, pb::FencedLockGetLockCountResponse>();
    assert_pair::<pb::FencedLockGetFenceRequest, pb::FencedLockGetFenceResponse>();
    assert_pair::<pb::SemaphoreInitRequest, pb::SemaphoreInitResponse>();
    assert_pair::<pb::SemaphoreAcquireRequest, pb::SemaphoreAcquireResponse>();
    assert_pair::<pb::SemaphoreTryAcquireRequest, pb::SemaphoreTryAcquireResponse>();
    assert_pair::<pb::SemaphoreReleaseRequest, pb::SemaphoreReleaseResponse>();
    assert_pair::<pb::SemaphoreAvailablePermitsRequest, pb::SemaphoreAvailablePermitsResponse>();
    assert_pair::<pb::SemaphoreDrainPermitsRequest, pb::SemaphoreDrainPermitsResponse>();
    assert_pair::<pb::SemaphoreReducePermitsRequest, pb::SemaphoreReducePermitsResponse>();
    assert_pair::<pb::SemaphoreIncreasePermitsRequest, pb::SemaphoreIncreasePermitsResponse>();
    assert_pair::<pb::CountDownLatchTrySetCountRequest, pb::CountDownLatchTrySetCountResponse>();
    assert_pair::<pb::CountDownLatchSetCountRequest, pb::CountDownLatchSetCountResponse>();
    assert_pair::<pb::CountDownLatchCountDownRequest, pb::CountDownLatchCountDownResponse>();
    assert_pair::<pb::CountDownLatchGetCountRequest, pb::CountDownLatchGetCountResponse>();
    assert_pair::<pb::CountDownLatchGetRoundRequest, pb::CountDownLatchGetRoundResponse>();
    assert_pair::<pb::CountDownLatchAwaitRequest, pb::CountDownLatchAwaitResponse>();
    assert_pair::<pb::OpenSessionRequest, pb::OpenSessionResponse>();
    assert_pair::<pb::HeartbeatRequest, pb::HeartbeatResponse>();
    assert_pair::<pb::CloseSessionRequest, pb::CloseSessionResponse>();
    assert_pair::<pb::CancelRequest, pb::CancelResponse>();
}

#[test]
fn stale_reads_are_only_accepted_for_reads_without_a_seq() {
    let header = |seq, stale_read| {
        Some(pb::Call {
            name: "x".to_owned(),
            session_id: 7,
            seq,
            stale_read,
            client_id: vec![1; 16],
            ..pb::Call::default()
        })
    };
    let read = pb::AtomicLongGetRequest { call: header(0, true) }.into_command().unwrap();
    assert!(read.stale_read);
    assert!(!pb::AtomicLongGetRequest { call: header(0, false) }.into_command().unwrap().stale_read);
    let with_seq = pb::AtomicLongGetRequest { call: header(9, true) }.into_command().unwrap_err();
    assert!(with_seq.to_string().contains("cannot carry a seq"), "{with_seq}");
    let write = pb::AtomicLongIncrementAndGetRequest { call: header(0, true) }.into_command().unwrap_err();
    assert!(write.to_string().contains("only read-only operations"), "{write}");
}

#[test]
fn a_client_request_becomes_a_stale_read_only_where_one_is_allowed() {
    use coterie_core::kinds::atomic_long::AtomicLongCommand;
    let get =
        GroupCommand::Invoke { name: "x".to_owned(), command: StructureCommand::AtomicLong(AtomicLongCommand::Get) };
    let request = crate::convert::to_request("default", &get, None, None).unwrap().into_stale_read().unwrap();
    let routed = request.into_command().unwrap();
    assert!(routed.stale_read);
    assert_eq!(routed.command, get);
    let client = coterie_core::ClientId::new(1).unwrap();
    let open = GroupCommand::OpenSession { ttl: std::time::Duration::from_secs(1), client, seq: 1 };
    let session = crate::convert::to_request("default", &open, None, None).unwrap();
    assert!(session.into_stale_read().is_err());
}

#[test]
fn keep_parked_is_only_accepted_with_a_seq() {
    use coterie_core::kinds::fenced_lock::FencedLockCommand;
    let header = |session_id, seq, keep_parked| {
        Some(pb::Call {
            name: "x".to_owned(),
            session_id,
            seq,
            keep_parked,
            client_id: vec![1; 16],
            ..pb::Call::default()
        })
    };
    let owner = vec![1u8; 16];
    let lock = |call| pb::FencedLockLockRequest { call, owner: owner.clone() };
    assert!(lock(header(7, 9, true)).into_command().unwrap().keep_parked);
    assert!(!lock(header(7, 9, false)).into_command().unwrap().keep_parked);
    let without_seq = lock(header(7, 0, true)).into_command().unwrap_err();
    assert!(without_seq.to_string().contains("keep_parked needs a client_id and a seq"), "{without_seq}");

    // The client side: only calls with a seq can ask for it.
    let session = SessionId(7);
    let invocation = InvocationId { client: ClientId::MIN, seq: 3 };
    let command = GroupCommand::Invoke {
        name: "x".to_owned(),
        command: StructureCommand::FencedLock(FencedLockCommand::Lock { owner: coterie_core::OwnerId(1) }),
    };
    let request = crate::convert::to_request("default", &command, Some(session), Some(invocation)).unwrap();
    assert!(request.into_keep_parked().unwrap().into_command().unwrap().keep_parked);
    let unsequenced = crate::convert::to_request("default", &command, Some(session), None).unwrap();
    assert!(unsequenced.into_keep_parked().is_err());
}

#[test]
fn a_request_made_sharded_reaches_the_sharded_target_with_its_caller() {
    use coterie_core::Target;
    use coterie_core::kinds::counter::CounterCommand;

    let invocation = InvocationId { client: ClientId::MIN, seq: 4 };
    let command = GroupCommand::Invoke {
        name: "views".to_owned(),
        command: StructureCommand::Counter(CounterCommand::Increment(3)),
    };
    let request = crate::convert::to_request("default", &command, None, Some(invocation)).unwrap();
    let routed = request.into_sharded(50).unwrap().into_command().unwrap();
    assert_eq!(routed.target, Target::Sharded { shards: 50 });
    assert_eq!(routed.command, command);
    assert_eq!(routed.caller.invocation, Some(invocation));

    // Zero shards would read as the default on the wire, and sessions do not exist there.
    let request = crate::convert::to_request("default", &command, None, Some(invocation)).unwrap();
    assert!(request.into_sharded(0).unwrap_err().to_string().contains("at least one shard"));
    let request = crate::convert::to_request("default", &command, Some(SessionId(7)), Some(invocation)).unwrap();
    assert!(request.into_sharded(50).unwrap_err().to_string().contains("without a session"));
}
