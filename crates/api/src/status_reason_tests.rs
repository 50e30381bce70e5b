//! Round trips of every structured reason through the status wire form, and the shape a
//! non-Rust client reads (`reason` code, data fields, `reason_text`).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

use coterie_core::{
    CoreError, InvalidReason, NameProblem, NotOwnerReason, OwnerId, PreconditionReason, SessionId, Timestamp,
};
use proptest::prelude::*;
use tonic::Status;
use tonic::codegen::http::HeaderMap;

use super::{REASON, REASON_TEXT};
use crate::pb;
use crate::status::{ApiError, error_detail, from_core, with_detail};

/// One value of every [`InvalidReason`] variant, with extreme numbers.
fn every_invalid_reason() -> Vec<InvalidReason> {
    use InvalidReason as R;
    vec![
        R::ZeroPermits,
        R::TooManyPermits { max: i64::MAX.unsigned_abs() },
        R::ZeroLockLease,
        R::ZeroPermitLease,
        R::ZeroDrainMax,
        R::PageLimit { limit: u32::MAX, max: 10_000 },
        R::ZeroParties,
        R::ZeroCount,
        R::SessionTtl { ttl: Duration::MAX, max: Duration::from_nanos(1) },
        R::ZeroOpenSeq,
        R::NotARead,
        R::NotReadOnly,
        R::ConsistencyZero,
        R::ConsistencyAboveMajority { requested: u64::from(u32::MAX), majority: 2, replicas: 3 },
        R::ConsistencyStrong { replicas: 5 },
        R::ShardedUnsupported { shards: 8 },
        R::Request { detail: "field=\"x\" is not true or false ✓\nline two".to_owned() },
        R::ObjectKeyEmpty,
        R::ObjectKeyTooLong { length: u64::MAX, limit: 1024 },
        R::ObjectKeyNul { position: 7 },
        R::ContentTypeTooLong { length: 300, limit: 256 },
        R::AttributesTooLarge { size: 4096, limit: 2048 },
        R::ObjectSizeOverflow,
        R::ZeroTtl,
        R::RangeReversed { start: u64::MAX, end: 0 },
        R::TooManyParts { parts: 10_001, limit: 10_000 },
    ]
}

/// A number per variant. No wildcard: a new reason fails to compile here until the sample
/// above (and the wire mapping) covers it.
fn invalid_ordinal(reason: &InvalidReason) -> usize {
    use InvalidReason as R;
    match reason {
        R::ZeroPermits => 0,
        R::TooManyPermits { .. } => 1,
        R::ZeroLockLease => 2,
        R::ZeroPermitLease => 3,
        R::ZeroDrainMax => 4,
        R::PageLimit { .. } => 5,
        R::ZeroParties => 6,
        R::ZeroCount => 7,
        R::SessionTtl { .. } => 8,
        R::ZeroOpenSeq => 9,
        R::NotARead => 10,
        R::NotReadOnly => 11,
        R::ConsistencyZero => 12,
        R::ConsistencyAboveMajority { .. } => 13,
        R::ConsistencyStrong { .. } => 14,
        R::ShardedUnsupported { .. } => 15,
        R::Request { .. } => 16,
        R::ObjectKeyEmpty => 17,
        R::ObjectKeyTooLong { .. } => 18,
        R::ObjectKeyNul { .. } => 19,
        R::ContentTypeTooLong { .. } => 20,
        R::AttributesTooLarge { .. } => 21,
        R::ObjectSizeOverflow => 22,
        R::ZeroTtl => 23,
        R::RangeReversed { .. } => 24,
        R::TooManyParts { .. } => 25,
    }
}

fn every_name_problem() -> Vec<NameProblem> {
    vec![
        NameProblem::Empty,
        NameProblem::TooLong { length: u64::MAX, limit: 256 },
        NameProblem::Request { detail: "\"a@b@c\" has more than one '@'".to_owned() },
    ]
}

fn name_ordinal(problem: &NameProblem) -> usize {
    match problem {
        NameProblem::Empty => 0,
        NameProblem::TooLong { .. } => 1,
        NameProblem::Request { .. } => 2,
    }
}

fn every_not_owner_reason() -> Vec<NotOwnerReason> {
    vec![
        NotOwnerReason::NotHeld,
        NotOwnerReason::HeldBy { session: SessionId(u64::MAX), owner: OwnerId(u128::MAX) },
        NotOwnerReason::NoFence,
    ]
}

fn not_owner_ordinal(reason: &NotOwnerReason) -> usize {
    match reason {
        NotOwnerReason::NotHeld => 0,
        NotOwnerReason::HeldBy { .. } => 1,
        NotOwnerReason::NoFence => 2,
    }
}

fn every_precondition_reason() -> Vec<PreconditionReason> {
    vec![
        PreconditionReason::Absent,
        PreconditionReason::EtagMismatch { current: "00000000000000070102030405060708".to_owned() },
        PreconditionReason::VersionMismatch { expected: 3, current: u64::MAX },
        PreconditionReason::ModifiedSince { since: Timestamp(0), last_modified: Timestamp(u64::MAX) },
    ]
}

fn precondition_ordinal(reason: &PreconditionReason) -> usize {
    match reason {
        PreconditionReason::Absent => 0,
        PreconditionReason::EtagMismatch { .. } => 1,
        PreconditionReason::VersionMismatch { .. } => 2,
        PreconditionReason::ModifiedSince { .. } => 3,
    }
}

/// Every reason, as the core error that carries it, with its code.
fn every_reason_error() -> Vec<(&'static str, CoreError)> {
    let invalid = every_invalid_reason()
        .into_iter()
        .map(|r| (r.code(), CoreError::InvalidArgument { operation: Cow::Borrowed("try_acquire"), reason: r }));
    let names = every_name_problem().into_iter().map(|r| (r.code(), CoreError::InvalidName { reason: r }));
    let owners = every_not_owner_reason().into_iter().map(|r| (r.code(), CoreError::NotOwner { reason: r }));
    let preconditions = every_precondition_reason()
        .into_iter()
        .map(|r| (r.code(), CoreError::PreconditionFailed { key: "locks/a ✓".to_owned(), reason: r }));
    invalid.chain(names).chain(owners).chain(preconditions).collect()
}

fn over_the_wire(status: &Status) -> Status {
    let mut headers = HeaderMap::new();
    status.add_header(&mut headers).unwrap();
    Status::from_header_map(&headers).unwrap()
}

#[test]
fn the_samples_cover_every_variant() {
    assert_eq!(every_invalid_reason().iter().map(invalid_ordinal).collect::<Vec<_>>(), (0..26).collect::<Vec<_>>());
    assert_eq!(every_name_problem().iter().map(name_ordinal).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(every_not_owner_reason().iter().map(not_owner_ordinal).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(every_precondition_reason().iter().map(precondition_ordinal).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
}

#[test]
fn every_reason_round_trips_through_the_wire_form() {
    for (code, err) in every_reason_error() {
        let status = over_the_wire(&from_core(&err));
        assert_eq!(status.message(), err.to_string());
        let detail = error_detail(&status).unwrap();
        assert_eq!(detail.metadata.get(REASON).map(String::as_str), Some(code), "{err:?}");
        assert_eq!(ApiError::from(&status), ApiError::Core(err.clone()), "{err:?}");
        assert_eq!(ApiError::from(status).to_string(), err.to_string());
    }
}

#[test]
fn reason_codes_are_distinct_snake_case_within_each_error() {
    for codes in [
        every_invalid_reason().iter().map(InvalidReason::code).collect::<Vec<_>>(),
        every_name_problem().iter().map(NameProblem::code).collect(),
        every_not_owner_reason().iter().map(NotOwnerReason::code).collect(),
        every_precondition_reason().iter().map(PreconditionReason::code).collect(),
    ] {
        assert_eq!(codes.iter().collect::<BTreeSet<_>>().len(), codes.len(), "{codes:?}");
        for code in codes {
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        }
    }
}

#[test]
fn a_client_in_any_language_reads_the_code_the_data_and_the_text() {
    let err = CoreError::not_owner(NotOwnerReason::HeldBy { session: SessionId(3), owner: OwnerId(0xab) });
    let detail = error_detail(&from_core(&err)).unwrap();
    let field = |key: &str| detail.metadata.get(key).map(String::as_str);
    assert_eq!(detail.code, "not_owner");
    assert_eq!(field(REASON), Some("held_by"));
    assert_eq!(field("holder_session"), Some("3"));
    assert_eq!(field("holder_owner"), Some("000000000000000000000000000000ab"));
    assert_eq!(
        field(REASON_TEXT),
        Some("the lock is held by session 3 (owner 000000000000000000000000000000ab), not by the caller")
    );
    assert_eq!(
        detail.message,
        "not the owner: the lock is held by session 3 (owner 000000000000000000000000000000ab), not by the caller"
    );

    let err = CoreError::invalid("members", InvalidReason::PageLimit { limit: 0, max: 10_000 });
    let detail = error_detail(&from_core(&err)).unwrap();
    let field = |key: &str| detail.metadata.get(key).map(String::as_str);
    assert_eq!((field("operation"), field(REASON)), (Some("members"), Some("page_limit")));
    assert_eq!((field("limit"), field("max")), (Some("0"), Some("10000")));
    assert_eq!(detail.message, "invalid argument to members: limit must be between 1 and 10000 items per page, got 0");
}

#[test]
fn a_reason_code_from_a_newer_server_keeps_its_text() {
    let mut detail = pb::ErrorDetail {
        code: "invalid_argument".to_owned(),
        message: "invalid argument to lock: too purple".to_owned(),
        ..Default::default()
    };
    for (k, v) in [("operation", "lock"), (REASON, "too_purple"), (REASON_TEXT, "too purple")] {
        detail.metadata.insert(k.to_owned(), v.to_owned());
    }
    let back = ApiError::from(over_the_wire(&with_detail(tonic::Code::InvalidArgument, detail)));
    assert_eq!(back, ApiError::Core(CoreError::invalid_request("lock", "too purple")));
    assert_eq!(back.to_string(), "invalid argument to lock: too purple");
}

proptest! {
    #[test]
    fn data_fields_round_trip_exactly(
        secs in any::<u64>(),
        nanos in 0u32..1_000_000_000,
        session in any::<u64>(),
        owner in any::<u128>(),
        limit in any::<u32>(),
    ) {
        let cases = [
            CoreError::invalid("open_session", InvalidReason::SessionTtl {
                ttl: Duration::new(secs, nanos),
                max: Duration::new(secs / 2, nanos / 3),
            }),
            CoreError::invalid("keys", InvalidReason::PageLimit { limit, max: 10_000 }),
            CoreError::not_owner(NotOwnerReason::HeldBy { session: SessionId(session), owner: OwnerId(owner) }),
        ];
        for err in cases {
            let status = over_the_wire(&from_core(&err));
            prop_assert_eq!(ApiError::from(&status), ApiError::Core(err.clone()));
        }
    }
}

#[test]
fn the_proto_documents_every_reason_and_field() {
    let proto = include_str!("../../../proto/coterie/v1/coterie.proto");
    let start = proto.find("say why in `metadata`").unwrap();
    let end = proto.find("message ErrorDetail {").unwrap();
    let words: BTreeSet<&str> =
        proto[start..end].split(|c: char| !(c.is_ascii_lowercase() || c == '_')).filter(|w| !w.is_empty()).collect();
    for (code, err) in every_reason_error() {
        assert!(words.contains(code), "reason {code} is not in the proto's list");
        for key in error_detail(&from_core(&err)).unwrap().metadata.keys() {
            assert!(words.contains(key.as_str()), "field {key} of {code} is not in the proto's list");
        }
    }
}
