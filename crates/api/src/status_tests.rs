//! Round trips of every error through the status wire form (the HTTP/2 trailer headers a
//! client actually receives), and the code table the proto documents.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

use coterie_core::kinds::atomic_long::AtomicLongOutput;
use coterie_core::{ClientId, CoreError, EngineError, GroupOutput, InvocationId, Kind, SessionId, StructureOutput};
use prost::Message;
use tonic::codegen::http::HeaderMap;
use tonic::{Code, Status};

use super::*;
use crate::convert::ConvertError;
use crate::pb;

/// One value of every [`CoreError`] variant, with awkward contents (non-ASCII, separators,
/// extreme numbers) so the wire form is exercised.
fn every_core_error() -> Vec<CoreError> {
    let invocation = InvocationId { client: ClientId::new(u128::MAX).unwrap(), seq: 3 };
    vec![
        CoreError::invalid("try_acquire", coterie_core::InvalidReason::ZeroPermits),
        CoreError::ValueTooLarge { size: usize::MAX, limit: 1024 },
        CoreError::invalid_name(coterie_core::NameProblem::Empty),
        CoreError::UnknownKind { name: "hyper-log-log ✓".to_owned() },
        CoreError::WrongKind { name: "x".to_owned(), expected: Kind::FencedLock, actual: Kind::CpSemaphore },
        CoreError::ConfigConflict { name: "l".to_owned(), existing: "FencedLock(FencedLockConfig { .. })".to_owned() },
        CoreError::overflow("increment_and_get"),
        CoreError::SessionRequired { operation: Cow::Borrowed("lock") },
        CoreError::InvocationRequired { operation: Cow::Owned("count_down".to_owned()) },
        CoreError::SessionExpired { session: SessionId(42) },
        CoreError::not_owner(coterie_core::NotOwnerReason::HeldBy {
            session: SessionId(1),
            owner: coterie_core::OwnerId(1),
        }),
        CoreError::PermitsNotHeld { requested: 3, held: 0 },
        CoreError::AcquireLimitReached { limit: u32::MAX },
        CoreError::AlreadyInitialized,
        CoreError::CountNotZero { count: 5 },
        CoreError::FutureRound { requested: 9, current: 8 },
        CoreError::QueueFull { capacity: 100 },
        CoreError::BarrierMismatch { round: 1, expected: 3, got: 4 },
        CoreError::Cancelled { invocation },
        CoreError::ClientWindowPassed {
            client: coterie_core::ClientId::new(u128::MAX - 1).unwrap(),
            seq: 3,
            oldest: 9,
        },
        CoreError::TooManyClients { limit: 65_536 },
        CoreError::malformed("group command", "unexpected end of input\nline two"),
        CoreError::AlreadyExists { key: "locks/ä b\nc".to_owned() },
        CoreError::PreconditionFailed {
            key: "k".to_owned(),
            reason: coterie_core::PreconditionReason::VersionMismatch { expected: 1, current: 2 },
        },
        CoreError::NotModified {
            key: "k".to_owned(),
            etag: "0000000000000009ffffffffffffffff".to_owned(),
            last_modified: coterie_core::Timestamp(u64::MAX),
        },
        CoreError::ObjectNotFound { key: "a/b/c".to_owned() },
        CoreError::StaleFence { key: "data".to_owned(), presented: 3, highest: u64::MAX },
        CoreError::RangeNotSatisfiable { key: "k".to_owned(), size: 0 },
        CoreError::UploadExpired { key: "big".to_owned(), commit_by: coterie_core::Timestamp(1_700_000_000_000) },
        CoreError::UnknownEntityType { name: "account ✓".to_owned() },
        CoreError::EntityPayload { entity_type: "counter".to_owned(), what: coterie_core::EntityPayload::Command },
    ]
}

/// A number per variant. The match has no wildcard, so a new `CoreError` variant fails to
/// compile here until the sample above (and the status mapping) covers it.
fn ordinal(err: &CoreError) -> usize {
    use CoreError as E;
    match err {
        E::InvalidArgument { .. } => 0,
        E::ValueTooLarge { .. } => 1,
        E::InvalidName { .. } => 2,
        E::UnknownKind { .. } => 3,
        E::WrongKind { .. } => 4,
        E::ConfigConflict { .. } => 5,
        E::Overflow { .. } => 6,
        E::SessionRequired { .. } => 7,
        E::InvocationRequired { .. } => 8,
        E::SessionExpired { .. } => 9,
        E::NotOwner { .. } => 10,
        E::PermitsNotHeld { .. } => 11,
        E::AcquireLimitReached { .. } => 12,
        E::AlreadyInitialized => 13,
        E::CountNotZero { .. } => 14,
        E::FutureRound { .. } => 15,
        E::QueueFull { .. } => 16,
        E::BarrierMismatch { .. } => 17,
        E::Cancelled { .. } => 18,
        E::ClientWindowPassed { .. } => 19,
        E::TooManyClients { .. } => 20,
        E::Malformed { .. } => 21,
        E::AlreadyExists { .. } => 22,
        E::PreconditionFailed { .. } => 23,
        E::NotModified { .. } => 24,
        E::ObjectNotFound { .. } => 25,
        E::StaleFence { .. } => 26,
        E::RangeNotSatisfiable { .. } => 27,
        E::UploadExpired { .. } => 28,
        E::UnknownEntityType { .. } => 29,
        E::EntityPayload { .. } => 30,
    }
}

/// `status` as the client receives it: written to trailer headers and parsed back.
fn over_the_wire(status: &Status) -> Status {
    let mut headers = HeaderMap::new();
    status.add_header(&mut headers).unwrap();
    Status::from_header_map(&headers).unwrap()
}

#[test]
fn the_sample_covers_every_variant() {
    let ordinals: Vec<usize> = every_core_error().iter().map(ordinal).collect();
    assert_eq!(ordinals, (0..31).collect::<Vec<_>>());
}

#[test]
fn every_core_error_round_trips_through_the_wire_form() {
    for err in every_core_error() {
        let status = over_the_wire(&from_core(&err));
        let (code, grpc) = classify(&err);
        assert_eq!(status.code(), grpc, "{err:?}");
        assert_eq!(status.message(), err.to_string());
        let detail = error_detail(&status).unwrap();
        assert_eq!(detail.code, code);
        assert_eq!(detail.message, err.to_string());
        assert_eq!((detail.leader_id, detail.leader_address, detail.retry_after_ms), (None, None, None));
        assert_eq!(ApiError::from(&status), ApiError::Core(err.clone()), "{err:?}");
        assert_eq!(ApiError::from(status).to_string(), err.to_string());
    }
}

#[test]
fn codes_follow_the_table_in_the_proto() {
    let table: Vec<(&str, Code)> = every_core_error().iter().map(classify).collect();
    let expected = [
        ("invalid_argument", Code::InvalidArgument),
        ("value_too_large", Code::InvalidArgument),
        ("invalid_name", Code::InvalidArgument),
        ("unknown_kind", Code::InvalidArgument),
        ("wrong_kind", Code::FailedPrecondition),
        ("config_conflict", Code::FailedPrecondition),
        ("overflow", Code::OutOfRange),
        ("session_required", Code::InvalidArgument),
        ("invocation_required", Code::InvalidArgument),
        ("session_expired", Code::NotFound),
        ("not_owner", Code::FailedPrecondition),
        ("permits_not_held", Code::FailedPrecondition),
        ("acquire_limit_reached", Code::FailedPrecondition),
        ("already_initialized", Code::FailedPrecondition),
        ("count_not_zero", Code::FailedPrecondition),
        ("future_round", Code::FailedPrecondition),
        ("queue_full", Code::FailedPrecondition),
        ("barrier_mismatch", Code::FailedPrecondition),
        ("cancelled", Code::Aborted),
        ("client_window_passed", Code::Aborted),
        ("too_many_clients", Code::ResourceExhausted),
        ("malformed", Code::Internal),
        ("already_exists", Code::AlreadyExists),
        ("precondition_failed", Code::FailedPrecondition),
        ("not_modified", Code::FailedPrecondition),
        ("object_not_found", Code::NotFound),
        ("stale_fence", Code::FailedPrecondition),
        ("range_not_satisfiable", Code::OutOfRange),
        ("upload_expired", Code::Aborted),
        ("unknown_entity_type", Code::InvalidArgument),
        ("entity_payload", Code::InvalidArgument),
    ];
    assert_eq!(table, expected);

    // Every code, core or not, is documented in the proto's ErrorDetail comment.
    let proto = include_str!("../../../proto/coterie/v1/coterie.proto");
    let grpc_name = |code: Code| {
        format!("{code:?}").chars().fold(String::new(), |mut s, c| {
            if c.is_uppercase() && !s.is_empty() {
                s.push('_');
            }
            s.push(c.to_ascii_uppercase());
            s
        })
    };
    let others = [
        (code::NOT_LEADER, Code::Unavailable),
        (code::UNAVAILABLE, Code::Unavailable),
        (code::TIMEOUT, Code::DeadlineExceeded),
        (code::STILL_WAITING, Code::DeadlineExceeded),
        (code::OUTCOME_UNKNOWN, Code::Unavailable),
        (code::QUORUM_NOT_MET, Code::Unavailable),
        (code::INTERNAL, Code::Internal),
    ];
    for (code, grpc) in expected.into_iter().chain(others) {
        let documented = proto.lines().any(|line| {
            let words: Vec<&str> = line.trim_start_matches("//").split_whitespace().collect();
            words.first() == Some(&code) && words.get(1) == Some(&grpc_name(grpc).as_str())
        });
        assert!(documented, "{code} {} is not in the proto's table", grpc_name(grpc));
    }
}

#[test]
fn codes_are_distinct_snake_case() {
    let mut codes: Vec<&str> = every_core_error().iter().map(|e| classify(e).0).collect();
    codes.extend([
        code::NOT_LEADER,
        code::UNAVAILABLE,
        code::TIMEOUT,
        code::STILL_WAITING,
        code::OUTCOME_UNKNOWN,
        code::QUORUM_NOT_MET,
        code::INTERNAL,
    ]);
    let distinct: BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(distinct.len(), codes.len());
    for code in codes {
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
    }
}

#[test]
fn the_detail_is_a_standard_google_rpc_status() {
    let status = from_core(&CoreError::AlreadyInitialized);
    let envelope = RpcStatus::decode(status.details()).unwrap();
    assert_eq!(envelope.code, Code::FailedPrecondition as i32);
    assert_eq!(envelope.message, status.message());
    assert_eq!(envelope.details.len(), 1);
    assert_eq!(envelope.details[0].type_url, "type.googleapis.com/coterie.v1.ErrorDetail");
    let detail = pb::ErrorDetail::decode(envelope.details[0].value.as_slice()).unwrap();
    assert_eq!(detail.code, "already_initialized");
}

#[test]
fn not_leader_carries_the_leader_hint() {
    let cases = [
        (Some(2), Some("10.0.0.2:7000".to_owned()), "member 2 at 10.0.0.2:7000"),
        (Some(2), None, "member 2"),
        (None, Some("10.0.0.2:7000".to_owned()), "at 10.0.0.2:7000"),
        (None, None, "no leader is known"),
    ];
    for (leader_id, leader_address, says) in cases {
        let status = over_the_wire(&not_leader(leader_id, leader_address.clone()));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.message().contains(says), "{}", status.message());
        let detail = error_detail(&status).unwrap();
        assert_eq!(
            (detail.code.as_str(), detail.leader_id, &detail.leader_address),
            ("not_leader", leader_id, &leader_address)
        );
        match ApiError::from(status) {
            ApiError::NotLeader { leader_id: id, leader_address: address, message } => {
                assert_eq!((id, address), (leader_id, leader_address));
                assert!(message.contains(says));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn unavailable_timeout_and_internal_round_trip() {
    let status = over_the_wire(&unavailable("no quorum", Some(Duration::from_millis(250))));
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(error_detail(&status).unwrap().retry_after_ms, Some(250));
    assert_eq!(
        ApiError::from(status),
        ApiError::Unavailable { message: "no quorum".to_owned(), retry_after: Some(Duration::from_millis(250)) }
    );
    let huge = unavailable("later", Some(Duration::MAX));
    assert_eq!(error_detail(&huge).unwrap().retry_after_ms, Some(u64::MAX));
    assert_eq!(
        ApiError::from(over_the_wire(&unavailable("x", None))),
        ApiError::Unavailable { message: "x".to_owned(), retry_after: None }
    );

    let status = over_the_wire(&timeout("no answer in 5s"));
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert_eq!(ApiError::from(status), ApiError::Timeout { message: "no answer in 5s".to_owned() });

    let status = over_the_wire(&still_waiting("parked"));
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert_eq!(ApiError::from(status), ApiError::StillWaiting { message: "parked".to_owned() });

    let status = over_the_wire(&internal("bug"));
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(ApiError::from(status), ApiError::Internal { message: "bug".to_owned() });
}

#[test]
fn convert_errors_are_answered_as_their_core_equivalent_or_as_internal() {
    let status =
        over_the_wire(&Status::from(ConvertError::InvalidArgument { operation: "lock", reason: "r".to_owned() }));
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(ApiError::from(status), ApiError::Core(CoreError::invalid_request("lock", "r")));

    let status = over_the_wire(&Status::from(ConvertError::InvalidName { reason: "empty".to_owned() }));
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        ApiError::from(status),
        ApiError::Core(CoreError::invalid_name(coterie_core::NameProblem::Request { detail: "empty".to_owned() }))
    );

    let status =
        over_the_wire(&Status::from(ConvertError::UnexpectedOutput { operation: "get", output: "Unit".to_owned() }));
    assert_eq!(status.code(), Code::Internal);
    assert!(matches!(ApiError::from(status), ApiError::Internal { message } if message.contains("get")));
}

#[test]
fn statuses_without_a_coterie_detail_are_classified_by_code() {
    assert_eq!(
        ApiError::from(Status::unavailable("connection refused")),
        ApiError::Unavailable { message: "connection refused".to_owned(), retry_after: None }
    );
    assert_eq!(
        ApiError::from(Status::deadline_exceeded("deadline")),
        ApiError::Timeout { message: "deadline".to_owned() }
    );
    assert_eq!(
        ApiError::from(Status::not_found("no such service")),
        ApiError::Other { code: Code::NotFound, message: "no such service".to_owned(), detail_code: None }
    );
    let garbage = Status::with_details(Code::Internal, "x", prost::bytes::Bytes::from_static(&[0xff, 0xff, 0xff]));
    assert_eq!(error_detail(&garbage), None);
    assert_eq!(
        ApiError::from(garbage),
        ApiError::Other { code: Code::Internal, message: "x".to_owned(), detail_code: None }
    );
}

#[test]
fn details_with_unknown_codes_or_missing_fields_are_kept_as_other() {
    let newer = with_detail(
        Code::ResourceExhausted,
        pb::ErrorDetail { code: "rate_limited".to_owned(), message: "slow down".to_owned(), ..Default::default() },
    );
    assert_eq!(
        ApiError::from(over_the_wire(&newer)),
        ApiError::Other {
            code: Code::ResourceExhausted,
            message: "slow down".to_owned(),
            detail_code: Some("rate_limited".to_owned())
        }
    );
    // An overflow without its `operation` field cannot be rebuilt faithfully.
    let partial = with_detail(
        Code::OutOfRange,
        pb::ErrorDetail { code: "overflow".to_owned(), message: "m".to_owned(), ..Default::default() },
    );
    assert!(matches!(ApiError::from(partial), ApiError::Other { detail_code: Some(c), .. } if c == "overflow"));
    // A field that does not parse is as good as missing.
    let mut bad = pb::ErrorDetail { code: "session_expired".to_owned(), ..Default::default() };
    bad.metadata.insert("session".to_owned(), "minus one".to_owned());
    assert!(matches!(ApiError::from(with_detail(Code::NotFound, bad)), ApiError::Other { .. }));
    let mut bad_kind = pb::ErrorDetail { code: "wrong_kind".to_owned(), ..Default::default() };
    for (k, v) in [("name", "x"), ("expected", "lock"), ("actual", "hyperloglog")] {
        bad_kind.metadata.insert(k.to_owned(), v.to_owned());
    }
    assert!(matches!(ApiError::from(with_detail(Code::FailedPrecondition, bad_kind)), ApiError::Other { .. }));
}

#[test]
fn respond_builds_the_response_or_the_status() {
    let ok: Result<tonic::Response<pb::AtomicLongGetResponse>, Status> =
        respond(Ok(GroupOutput::Structure(StructureOutput::AtomicLong(AtomicLongOutput::Value(5)))));
    assert_eq!(ok.unwrap().into_inner(), pb::AtomicLongGetResponse { value: 5 });

    let refused: Result<tonic::Response<pb::AtomicLongGetResponse>, Status> =
        respond(Err(CoreError::overflow("add_and_get")));
    let status = refused.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange);
    assert_eq!(ApiError::from(status), ApiError::Core(CoreError::overflow("add_and_get")));

    let wrong: Result<tonic::Response<pb::AtomicLongGetResponse>, Status> = respond(Ok(GroupOutput::Unit));
    assert_eq!(wrong.unwrap_err().code(), Code::Internal);
}

#[test]
fn every_engine_error_has_one_status_and_comes_back_as_what_it_means() {
    let invocation = InvocationId { client: ClientId::MIN, seq: 5 };
    let cases = [
        EngineError::Redirect { member: Some(3), address: Some("127.0.0.1:7103".to_owned()) },
        EngineError::OutcomeUnknown { member: Some(1), address: Some("127.0.0.1:7101".to_owned()) },
        EngineError::Timeout { waited: Duration::from_secs(2) },
        EngineError::StillParked { invocation },
        EngineError::QuorumNotMet { needed: 2, got: 1 },
        EngineError::Core(CoreError::AlreadyInitialized),
        EngineError::Stopped { reason: "shutting down".to_owned() },
    ];
    for err in cases {
        let status = over_the_wire(&from_engine(&err));
        let back = ApiError::from(&status);
        match (&err, back) {
            (EngineError::Redirect { member, address }, ApiError::NotLeader { leader_id, leader_address, .. }) => {
                assert_eq!((member, address), (&leader_id, &leader_address));
            }
            (
                EngineError::OutcomeUnknown { member, address },
                ApiError::OutcomeUnknown { leader_id, leader_address, message },
            ) => {
                assert_eq!((member, address), (&leader_id, &leader_address));
                assert!(message.contains("may or may not have been applied"), "{message}");
            }
            (EngineError::Timeout { .. }, ApiError::Timeout { .. }) => {}
            (EngineError::StillParked { .. }, ApiError::StillWaiting { message }) => {
                assert!(message.contains("invocation 00000000000000000000000000000001/5"), "{message}");
            }
            (EngineError::QuorumNotMet { .. }, ApiError::QuorumNotMet { needed, got, .. }) => {
                assert_eq!((needed, got), (Some(2), Some(1)));
            }
            (EngineError::Core(core), ApiError::Core(back)) => assert_eq!(core, &back),
            (EngineError::Stopped { .. }, ApiError::Unavailable { message, .. }) => {
                assert!(message.contains("shutting down"), "{message}");
            }
            (err, back) => panic!("{err:?} came back as {back:?}"),
        }
    }
}
