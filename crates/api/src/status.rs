//! The one place where errors become gRPC statuses, and statuses become typed errors again.
//!
//! Every error a Coterie server answers with is a `tonic::Status` whose code a generic gRPC
//! client can act on, and whose details carry an [`ErrorDetail`] with a stable snake_case
//! `code`, the leader hint and the retry-after hint, plus the error's fields by name. The
//! detail is packed the standard way (a `google.rpc.Status` holding a `google.protobuf.Any`
//! in the `grpc-status-details-bin` trailer), so clients in other languages read it with
//! their gRPC library's own status-details support. Keeping the mapping in one module makes
//! the table in the proto's `ErrorDetail` comment checkable against one function, and lets
//! tests round-trip every [`CoreError`] variant through the wire form.
//!
//! The reasons of `invalid_argument`, `invalid_name` and `not_owner` are structured too: a
//! `reason` code, its data fields and a `reason_text` ([`crate::status_reason`]).
//!
//! A [`CoreError::SessionExpired`] is `NOT_FOUND`: the session id names a session that is not
//! there (never opened, closed or expired). The only other error with that code is a bucket's
//! [`CoreError::ObjectNotFound`], which only object calls answer, so a client of the other
//! kinds that ignores the details can still react to `NOT_FOUND` by opening a new session.
//!
//! A bucket's [`CoreError::NotModified`] (a conditional read whose cached copy is current) is
//! `FAILED_PRECONDITION` with its own detail code, `not_modified`, which an HTTP gateway turns
//! into 304 (and `precondition_failed` into 412).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use coterie_core::{ClientId, CoreError, EngineError, GroupOutput, InvocationId, Kind, SessionId, Timestamp};
use prost::Message;
use prost::bytes::Bytes;
use thiserror::Error;
use tonic::{Code, Response, Status};

use crate::convert::{ConvertError, FromOutput};
use crate::pb::ErrorDetail;
use crate::status_reason as reason;

/// The stable `ErrorDetail.code` values. Clients branch on these, never on messages.
pub mod code {
    /// [`CoreError::InvalidArgument`](coterie_core::CoreError::InvalidArgument).
    pub const INVALID_ARGUMENT: &str = "invalid_argument";
    /// [`CoreError::ValueTooLarge`](coterie_core::CoreError::ValueTooLarge).
    pub const VALUE_TOO_LARGE: &str = "value_too_large";
    /// [`CoreError::InvalidName`](coterie_core::CoreError::InvalidName).
    pub const INVALID_NAME: &str = "invalid_name";
    /// [`CoreError::UnknownKind`](coterie_core::CoreError::UnknownKind).
    pub const UNKNOWN_KIND: &str = "unknown_kind";
    /// [`CoreError::WrongKind`](coterie_core::CoreError::WrongKind).
    pub const WRONG_KIND: &str = "wrong_kind";
    /// [`CoreError::ConfigConflict`](coterie_core::CoreError::ConfigConflict).
    pub const CONFIG_CONFLICT: &str = "config_conflict";
    /// [`CoreError::Overflow`](coterie_core::CoreError::Overflow).
    pub const OVERFLOW: &str = "overflow";
    /// [`CoreError::SessionRequired`](coterie_core::CoreError::SessionRequired).
    pub const SESSION_REQUIRED: &str = "session_required";
    /// [`CoreError::InvocationRequired`](coterie_core::CoreError::InvocationRequired).
    pub const INVOCATION_REQUIRED: &str = "invocation_required";
    /// [`CoreError::SessionExpired`](coterie_core::CoreError::SessionExpired).
    pub const SESSION_EXPIRED: &str = "session_expired";
    /// [`CoreError::NotOwner`](coterie_core::CoreError::NotOwner).
    pub const NOT_OWNER: &str = "not_owner";
    /// [`CoreError::PermitsNotHeld`](coterie_core::CoreError::PermitsNotHeld).
    pub const PERMITS_NOT_HELD: &str = "permits_not_held";
    /// [`CoreError::AcquireLimitReached`](coterie_core::CoreError::AcquireLimitReached).
    pub const ACQUIRE_LIMIT_REACHED: &str = "acquire_limit_reached";
    /// [`CoreError::AlreadyInitialized`](coterie_core::CoreError::AlreadyInitialized).
    pub const ALREADY_INITIALIZED: &str = "already_initialized";
    /// [`CoreError::CountNotZero`](coterie_core::CoreError::CountNotZero).
    pub const COUNT_NOT_ZERO: &str = "count_not_zero";
    /// [`CoreError::FutureRound`](coterie_core::CoreError::FutureRound).
    pub const FUTURE_ROUND: &str = "future_round";
    /// [`CoreError::QueueFull`](coterie_core::CoreError::QueueFull).
    pub const QUEUE_FULL: &str = "queue_full";
    /// [`CoreError::BarrierMismatch`](coterie_core::CoreError::BarrierMismatch).
    pub const BARRIER_MISMATCH: &str = "barrier_mismatch";
    /// [`CoreError::Cancelled`](coterie_core::CoreError::Cancelled).
    pub const CANCELLED: &str = "cancelled";
    /// [`CoreError::ClientWindowPassed`](coterie_core::CoreError::ClientWindowPassed).
    pub const CLIENT_WINDOW_PASSED: &str = "client_window_passed";
    /// [`CoreError::TooManyClients`](coterie_core::CoreError::TooManyClients).
    pub const TOO_MANY_CLIENTS: &str = "too_many_clients";
    /// [`CoreError::Malformed`](coterie_core::CoreError::Malformed).
    pub const MALFORMED: &str = "malformed";
    /// [`CoreError::AlreadyExists`](coterie_core::CoreError::AlreadyExists).
    pub const ALREADY_EXISTS: &str = "already_exists";
    /// [`CoreError::PreconditionFailed`](coterie_core::CoreError::PreconditionFailed).
    pub const PRECONDITION_FAILED: &str = "precondition_failed";
    /// [`CoreError::NotModified`](coterie_core::CoreError::NotModified).
    pub const NOT_MODIFIED: &str = "not_modified";
    /// [`CoreError::ObjectNotFound`](coterie_core::CoreError::ObjectNotFound).
    pub const OBJECT_NOT_FOUND: &str = "object_not_found";
    /// [`CoreError::StaleFence`](coterie_core::CoreError::StaleFence).
    pub const STALE_FENCE: &str = "stale_fence";
    /// [`CoreError::RangeNotSatisfiable`](coterie_core::CoreError::RangeNotSatisfiable).
    pub const RANGE_NOT_SATISFIABLE: &str = "range_not_satisfiable";
    /// [`CoreError::UploadExpired`](coterie_core::CoreError::UploadExpired).
    pub const UPLOAD_EXPIRED: &str = "upload_expired";
    /// [`CoreError::UnknownEntityType`](coterie_core::CoreError::UnknownEntityType).
    pub const UNKNOWN_ENTITY_TYPE: &str = "unknown_entity_type";
    /// [`CoreError::EntityPayload`](coterie_core::CoreError::EntityPayload).
    pub const ENTITY_PAYLOAD: &str = "entity_payload";
    /// This member is not the group's leader; the detail names the leader when known.
    pub const NOT_LEADER: &str = "not_leader";
    /// The service cannot answer now (no quorum, shutting down); retry later.
    pub const UNAVAILABLE: &str = "unavailable";
    /// The call did not complete in time. It may still be applied.
    pub const TIMEOUT: &str = "timeout";
    /// Leadership changed while the call was replicated: it may or may not have been
    /// applied; retry with the same session and seq, at the member named when known.
    pub const OUTCOME_UNKNOWN: &str = "outcome_unknown";
    /// Too few replicas acknowledged a write in time; it may still have been applied.
    pub const QUORUM_NOT_MET: &str = "quorum_not_met";
    /// A `keep_parked` call's attempt ended while the call is still parked in its place:
    /// send the same session and seq again to go on waiting.
    pub const STILL_WAITING: &str = "still_waiting";
    /// A server bug, such as an answer of the wrong shape for the rpc.
    pub const INTERNAL: &str = "internal";
}

/// The type URL the [`ErrorDetail`] is packed under in the status details.
pub const ERROR_DETAIL_TYPE_URL: &str = "type.googleapis.com/coterie.v1.ErrorDetail";

/// `google.rpc.Status`, the standard envelope of gRPC status details.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<AnyDetail>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
struct AnyDetail {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// The `ErrorDetail.code` and the gRPC status code of a core error.
pub fn classify(err: &CoreError) -> (&'static str, Code) {
    use CoreError as E;
    match err {
        E::InvalidArgument { .. } => (code::INVALID_ARGUMENT, Code::InvalidArgument),
        E::ValueTooLarge { .. } => (code::VALUE_TOO_LARGE, Code::InvalidArgument),
        E::InvalidName { .. } => (code::INVALID_NAME, Code::InvalidArgument),
        E::UnknownKind { .. } => (code::UNKNOWN_KIND, Code::InvalidArgument),
        E::SessionRequired { .. } => (code::SESSION_REQUIRED, Code::InvalidArgument),
        E::InvocationRequired { .. } => (code::INVOCATION_REQUIRED, Code::InvalidArgument),
        E::WrongKind { .. } => (code::WRONG_KIND, Code::FailedPrecondition),
        E::ConfigConflict { .. } => (code::CONFIG_CONFLICT, Code::FailedPrecondition),
        E::NotOwner { .. } => (code::NOT_OWNER, Code::FailedPrecondition),
        E::PermitsNotHeld { .. } => (code::PERMITS_NOT_HELD, Code::FailedPrecondition),
        E::AcquireLimitReached { .. } => (code::ACQUIRE_LIMIT_REACHED, Code::FailedPrecondition),
        E::AlreadyInitialized => (code::ALREADY_INITIALIZED, Code::FailedPrecondition),
        E::CountNotZero { .. } => (code::COUNT_NOT_ZERO, Code::FailedPrecondition),
        E::FutureRound { .. } => (code::FUTURE_ROUND, Code::FailedPrecondition),
        E::QueueFull { .. } => (code::QUEUE_FULL, Code::FailedPrecondition),
        E::BarrierMismatch { .. } => (code::BARRIER_MISMATCH, Code::FailedPrecondition),
        E::SessionExpired { .. } => (code::SESSION_EXPIRED, Code::NotFound),
        E::Overflow { .. } => (code::OVERFLOW, Code::OutOfRange),
        E::Cancelled { .. } => (code::CANCELLED, Code::Aborted),
        // The outcome is unknown and the client must re-read before retrying: gRPC's
        // "retry at a higher level" meaning of ABORTED.
        E::ClientWindowPassed { .. } => (code::CLIENT_WINDOW_PASSED, Code::Aborted),
        // Nothing was applied; room comes back as idle clients expire.
        E::TooManyClients { .. } => (code::TOO_MANY_CLIENTS, Code::ResourceExhausted),
        // Clients never send the core bytes to decode over gRPC, so a decoding failure is
        // in the server's own log, snapshot or replication traffic.
        E::Malformed { .. } => (code::MALFORMED, Code::Internal),
        E::AlreadyExists { .. } => (code::ALREADY_EXISTS, Code::AlreadyExists),
        E::PreconditionFailed { .. } => (code::PRECONDITION_FAILED, Code::FailedPrecondition),
        E::NotModified { .. } => (code::NOT_MODIFIED, Code::FailedPrecondition),
        E::ObjectNotFound { .. } => (code::OBJECT_NOT_FOUND, Code::NotFound),
        E::StaleFence { .. } => (code::STALE_FENCE, Code::FailedPrecondition),
        E::RangeNotSatisfiable { .. } => (code::RANGE_NOT_SATISFIABLE, Code::OutOfRange),
        E::UploadExpired { .. } => (code::UPLOAD_EXPIRED, Code::Aborted),
        E::UnknownEntityType { .. } => (code::UNKNOWN_ENTITY_TYPE, Code::InvalidArgument),
        E::EntityPayload { .. } => (code::ENTITY_PAYLOAD, Code::InvalidArgument),
    }
}

/// The fields of a core error by name, as they travel in `ErrorDetail.metadata`.
fn core_fields(err: &CoreError) -> Vec<(&'static str, String)> {
    use CoreError as E;
    let invocation = |i: &InvocationId| [("client", format!("{:032x}", i.client.get())), ("seq", i.seq.to_string())];
    match err {
        E::InvalidArgument { operation, reason } => {
            let mut fields = vec![("operation", operation.to_string())];
            fields.extend(reason::invalid_fields(reason));
            fields
        }
        E::ValueTooLarge { size, limit } => vec![("size", size.to_string()), ("limit", limit.to_string())],
        E::InvalidName { reason } => reason::name_fields(reason),
        E::UnknownKind { name } => vec![("name", name.clone())],
        E::WrongKind { name, expected, actual } => {
            vec![("name", name.clone()), ("expected", expected.name().to_owned()), ("actual", actual.name().to_owned())]
        }
        E::ConfigConflict { name, existing } => vec![("name", name.clone()), ("existing", existing.clone())],
        E::Overflow { operation } | E::SessionRequired { operation } | E::InvocationRequired { operation } => {
            vec![("operation", operation.to_string())]
        }
        E::SessionExpired { session } => vec![("session", session.0.to_string())],
        E::NotOwner { reason } => reason::not_owner_fields(reason),
        E::PermitsNotHeld { requested, held } => vec![("requested", requested.to_string()), ("held", held.to_string())],
        E::AcquireLimitReached { limit } => vec![("limit", limit.to_string())],
        E::AlreadyInitialized => Vec::new(),
        E::CountNotZero { count } => vec![("count", count.to_string())],
        E::FutureRound { requested, current } => {
            vec![("requested", requested.to_string()), ("current", current.to_string())]
        }
        E::QueueFull { capacity } => vec![("capacity", capacity.to_string())],
        E::BarrierMismatch { round, expected, got } => {
            vec![("round", round.to_string()), ("expected", expected.to_string()), ("got", got.to_string())]
        }
        E::Cancelled { invocation: i } => invocation(i).to_vec(),
        E::ClientWindowPassed { client, seq, oldest } => {
            vec![("client", format!("{:032x}", client.get())), ("seq", seq.to_string()), ("oldest", oldest.to_string())]
        }
        E::TooManyClients { limit } => vec![("limit", limit.to_string())],
        E::Malformed { what, reason } => vec![("what", what.to_string()), ("reason", reason.clone())],
        E::AlreadyExists { key } | E::ObjectNotFound { key } => vec![("key", key.clone())],
        E::PreconditionFailed { key, reason } => {
            let mut fields = vec![("key", key.clone())];
            fields.extend(reason::precondition_fields(reason));
            fields
        }
        E::NotModified { key, etag, last_modified } => {
            vec![("key", key.clone()), ("etag", etag.clone()), ("last_modified_ms", last_modified.0.to_string())]
        }
        E::StaleFence { key, presented, highest } => {
            vec![("key", key.clone()), ("presented", presented.to_string()), ("highest", highest.to_string())]
        }
        E::RangeNotSatisfiable { key, size } => vec![("key", key.clone()), ("size", size.to_string())],
        E::UploadExpired { key, commit_by } => vec![("key", key.clone()), ("commit_by_ms", commit_by.0.to_string())],
        E::UnknownEntityType { name } => vec![("name", name.clone())],
        E::EntityPayload { entity_type, what } => {
            vec![("entity_type", entity_type.clone()), ("what", what.name().to_owned())]
        }
    }
}

/// Typed reads of `ErrorDetail.metadata`; `None` when a field is missing or unparsable.
struct Fields<'a>(&'a BTreeMap<String, String>);

impl Fields<'_> {
    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn parse<T: FromStr>(&self, key: &str) -> Option<T> {
        self.0.get(key)?.parse().ok()
    }

    fn invocation(&self) -> Option<InvocationId> {
        let client = ClientId::new(u128::from_str_radix(&self.text("client")?, 16).ok()?)?;
        Some(InvocationId { client, seq: self.parse("seq")? })
    }
}

/// Rebuilds the core error an [`ErrorDetail`] describes, if its code is a core error's
/// and its fields are all present.
fn core_from_detail(detail: &ErrorDetail) -> Option<CoreError> {
    use CoreError as E;
    let f = Fields(&detail.metadata);
    let owned = |s: String| -> Cow<'static, str> { Cow::Owned(s) };
    Some(match detail.code.as_str() {
        code::INVALID_ARGUMENT => {
            E::InvalidArgument { operation: owned(f.text("operation")?), reason: reason::invalid_from(f.0)? }
        }
        code::VALUE_TOO_LARGE => E::ValueTooLarge { size: f.parse("size")?, limit: f.parse("limit")? },
        code::INVALID_NAME => E::InvalidName { reason: reason::name_from(f.0)? },
        code::UNKNOWN_KIND => E::UnknownKind { name: f.text("name")? },
        code::WRONG_KIND => E::WrongKind {
            name: f.text("name")?,
            expected: f.parse::<Kind>("expected")?,
            actual: f.parse::<Kind>("actual")?,
        },
        code::CONFIG_CONFLICT => E::ConfigConflict { name: f.text("name")?, existing: f.text("existing")? },
        code::OVERFLOW => E::Overflow { operation: owned(f.text("operation")?) },
        code::SESSION_REQUIRED => E::SessionRequired { operation: owned(f.text("operation")?) },
        code::INVOCATION_REQUIRED => E::InvocationRequired { operation: owned(f.text("operation")?) },
        code::SESSION_EXPIRED => E::SessionExpired { session: SessionId(f.parse("session")?) },
        code::NOT_OWNER => E::NotOwner { reason: reason::not_owner_from(f.0)? },
        code::PERMITS_NOT_HELD => E::PermitsNotHeld { requested: f.parse("requested")?, held: f.parse("held")? },
        code::ACQUIRE_LIMIT_REACHED => E::AcquireLimitReached { limit: f.parse("limit")? },
        code::ALREADY_INITIALIZED => E::AlreadyInitialized,
        code::COUNT_NOT_ZERO => E::CountNotZero { count: f.parse("count")? },
        code::FUTURE_ROUND => E::FutureRound { requested: f.parse("requested")?, current: f.parse("current")? },
        code::QUEUE_FULL => E::QueueFull { capacity: f.parse("capacity")? },
        code::BARRIER_MISMATCH => {
            E::BarrierMismatch { round: f.parse("round")?, expected: f.parse("expected")?, got: f.parse("got")? }
        }
        code::CANCELLED => E::Cancelled { invocation: f.invocation()? },
        code::CLIENT_WINDOW_PASSED => E::ClientWindowPassed {
            client: ClientId::new(u128::from_str_radix(&f.text("client")?, 16).ok()?)?,
            seq: f.parse("seq")?,
            oldest: f.parse("oldest")?,
        },
        code::TOO_MANY_CLIENTS => E::TooManyClients { limit: f.parse("limit")? },
        code::MALFORMED => E::Malformed { what: owned(f.text("what")?), reason: f.text("reason")? },
        code::ALREADY_EXISTS => E::AlreadyExists { key: f.text("key")? },
        code::PRECONDITION_FAILED => {
            E::PreconditionFailed { key: f.text("key")?, reason: reason::precondition_from(f.0)? }
        }
        code::NOT_MODIFIED => E::NotModified {
            key: f.text("key")?,
            etag: f.text("etag")?,
            last_modified: Timestamp(f.parse("last_modified_ms")?),
        },
        code::OBJECT_NOT_FOUND => E::ObjectNotFound { key: f.text("key")? },
        code::STALE_FENCE => {
            E::StaleFence { key: f.text("key")?, presented: f.parse("presented")?, highest: f.parse("highest")? }
        }
        code::RANGE_NOT_SATISFIABLE => E::RangeNotSatisfiable { key: f.text("key")?, size: f.parse("size")? },
        code::UPLOAD_EXPIRED => {
            E::UploadExpired { key: f.text("key")?, commit_by: Timestamp(f.parse("commit_by_ms")?) }
        }
        code::UNKNOWN_ENTITY_TYPE => E::UnknownEntityType { name: f.text("name")? },
        code::ENTITY_PAYLOAD => E::EntityPayload { entity_type: f.text("entity_type")?, what: f.parse("what")? },
        _ => return None,
    })
}

/// A status with `detail` packed in its details; the status message is the detail's.
pub fn with_detail(grpc: Code, detail: ErrorDetail) -> Status {
    let envelope = RpcStatus {
        code: grpc as i32,
        message: detail.message.clone(),
        details: vec![AnyDetail { type_url: ERROR_DETAIL_TYPE_URL.to_owned(), value: detail.encode_to_vec() }],
    };
    Status::with_details(grpc, detail.message, Bytes::from(envelope.encode_to_vec()))
}

fn detail(code: &str, message: String) -> ErrorDetail {
    ErrorDetail { code: code.to_owned(), message, ..ErrorDetail::default() }
}

/// The status a core error is answered with.
pub fn from_core(err: &CoreError) -> Status {
    let (code, grpc) = classify(err);
    let mut detail = detail(code, err.to_string());
    detail.metadata = core_fields(err).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    with_detail(grpc, detail)
}

/// `UNAVAILABLE` with code `not_leader`: this member cannot serve the group, and the
/// leader, when known, is `leader_id` at `leader_address`.
pub fn not_leader(leader_id: Option<u64>, leader_address: Option<String>) -> Status {
    let message = match (&leader_id, &leader_address) {
        (Some(id), Some(address)) => format!("not the leader; the leader is member {id} at {address}"),
        (Some(id), None) => format!("not the leader; the leader is member {id}"),
        (None, Some(address)) => format!("not the leader; the leader is at {address}"),
        (None, None) => "not the leader, and no leader is known yet; retry shortly".to_owned(),
    };
    let mut detail = detail(code::NOT_LEADER, message);
    detail.leader_id = leader_id;
    detail.leader_address = leader_address;
    with_detail(Code::Unavailable, detail)
}

/// `UNAVAILABLE` with code `unavailable`, and when given, how long to wait before retrying.
pub fn unavailable(message: impl Into<String>, retry_after: Option<Duration>) -> Status {
    let mut detail = detail(code::UNAVAILABLE, message.into());
    detail.retry_after_ms = retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    with_detail(Code::Unavailable, detail)
}

/// `DEADLINE_EXCEEDED` with code `timeout`: the call did not complete in time (it may
/// still be applied; a retry with the same session and seq is answered once).
pub fn timeout(message: impl Into<String>) -> Status {
    with_detail(Code::DeadlineExceeded, detail(code::TIMEOUT, message.into()))
}

/// `DEADLINE_EXCEEDED` with code `still_waiting`: this attempt of a `keep_parked` call
/// ended, but the call stays parked in its place; the same session and seq sent again (to
/// any member) go on waiting.
pub fn still_waiting(message: impl Into<String>) -> Status {
    with_detail(Code::DeadlineExceeded, detail(code::STILL_WAITING, message.into()))
}

/// The status an engine error is answered with: the one mapping of [`EngineError`] to
/// wire codes, used by every face.
pub fn from_engine(err: &EngineError) -> Status {
    match err {
        EngineError::Redirect { member, address } => not_leader(*member, address.clone()),
        EngineError::OutcomeUnknown { member, address } => {
            let mut detail = detail(code::OUTCOME_UNKNOWN, err.to_string());
            detail.leader_id = *member;
            detail.leader_address = address.clone();
            with_detail(Code::Unavailable, detail)
        }
        EngineError::Timeout { .. } => timeout(err.to_string()),
        EngineError::StillParked { .. } => still_waiting(err.to_string()),
        EngineError::QuorumNotMet { needed, got } => {
            let mut detail = detail(code::QUORUM_NOT_MET, err.to_string());
            detail.metadata = [("needed", needed.to_string()), ("got", got.to_string())]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            with_detail(Code::Unavailable, detail)
        }
        EngineError::Core(core) => from_core(core),
        EngineError::Stopped { .. } | EngineError::PartitionLost { .. } => unavailable(err.to_string(), None),
    }
}

/// `INTERNAL` with code `internal`: a server bug.
pub fn internal(message: impl Into<String>) -> Status {
    with_detail(Code::Internal, detail(code::INTERNAL, message.into()))
}

impl From<ConvertError> for Status {
    /// Request-side failures are answered exactly as the core's equivalent error would be;
    /// an answer of the wrong shape is an internal error.
    fn from(err: ConvertError) -> Self {
        match err.to_core() {
            Some(core) => from_core(&core),
            None => internal(err.to_string()),
        }
    }
}

/// The response to an rpc whose command the group answered with `result`.
pub fn respond<T: FromOutput>(result: Result<GroupOutput, CoreError>) -> Result<Response<T>, Status> {
    let output = result.map_err(|err| from_core(&err))?;
    Ok(Response::new(T::from_output(output)?))
}

/// The [`ErrorDetail`] packed in `status`, if it carries one.
pub fn error_detail(status: &Status) -> Option<ErrorDetail> {
    let envelope = RpcStatus::decode(status.details()).ok()?;
    let any = envelope.details.into_iter().find(|any| any.type_url == ERROR_DETAIL_TYPE_URL)?;
    ErrorDetail::decode(any.value.as_slice()).ok()
}

/// An error as a Rust client sees it: the core's typed error when the server refused the
/// call, the leader hint when it asked to be redirected, and the gRPC status otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApiError {
    /// The group (or the API layer, for a malformed request) refused the call.
    #[error(transparent)]
    Core(CoreError),
    /// The member asked is not the group's leader; send the call to the one named, if any.
    #[error("{message}")]
    NotLeader {
        /// The leader's member id, when known.
        leader_id: Option<u64>,
        /// The leader's address, when known.
        leader_address: Option<String>,
        /// The server's message.
        message: String,
    },
    /// The service cannot answer now; retry, after `retry_after` when given.
    #[error("unavailable: {message}")]
    Unavailable {
        /// The server's (or transport's) message.
        message: String,
        /// How long the server asked to wait before retrying.
        retry_after: Option<Duration>,
    },
    /// The call did not complete in time; it may still be applied.
    #[error("timed out: {message}")]
    Timeout {
        /// The server's (or transport's) message.
        message: String,
    },
    /// The call may or may not have been applied; retry it with the same session and seq,
    /// at the leader named when known.
    #[error("{message}")]
    OutcomeUnknown {
        /// The new leader's member id, when known.
        leader_id: Option<u64>,
        /// Its address, when known.
        leader_address: Option<String>,
        /// The server's message.
        message: String,
    },
    /// Too few replicas acknowledged a write in time; it may still have been applied.
    #[error("{message}")]
    QuorumNotMet {
        /// Acknowledgements needed.
        needed: Option<u32>,
        /// Acknowledgements that arrived.
        got: Option<u32>,
        /// The server's message.
        message: String,
    },
    /// A `keep_parked` call is still parked in its place: send it again to go on waiting.
    #[error("still waiting: {message}")]
    StillWaiting {
        /// The server's message.
        message: String,
    },
    /// The server reported a bug.
    #[error("internal server error: {message}")]
    Internal {
        /// The server's message.
        message: String,
    },
    /// A status without a Coterie error detail that this client understands: a transport
    /// failure, a proxy's answer, or a code from a newer server.
    #[error("{code:?}: {message}")]
    Other {
        /// The gRPC status code.
        code: Code,
        /// The status message.
        message: String,
        /// The `ErrorDetail.code`, if the status carried a detail.
        detail_code: Option<String>,
    },
}

impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        ApiError::from(&status)
    }
}

impl From<&Status> for ApiError {
    fn from(status: &Status) -> Self {
        let message = status.message().to_owned();
        let Some(detail) = error_detail(status) else {
            // No detail: the status came from the transport or a proxy, not a Coterie server.
            return match status.code() {
                Code::Unavailable => ApiError::Unavailable { message, retry_after: None },
                Code::DeadlineExceeded => ApiError::Timeout { message },
                code => ApiError::Other { code, message, detail_code: None },
            };
        };
        if let Some(core) = core_from_detail(&detail) {
            return ApiError::Core(core);
        }
        match detail.code.as_str() {
            code::NOT_LEADER => ApiError::NotLeader {
                leader_id: detail.leader_id,
                leader_address: detail.leader_address,
                message: detail.message,
            },
            code::UNAVAILABLE => ApiError::Unavailable {
                message: detail.message,
                retry_after: detail.retry_after_ms.map(Duration::from_millis),
            },
            code::TIMEOUT => ApiError::Timeout { message: detail.message },
            code::STILL_WAITING => ApiError::StillWaiting { message: detail.message },
            code::OUTCOME_UNKNOWN => ApiError::OutcomeUnknown {
                leader_id: detail.leader_id,
                leader_address: detail.leader_address,
                message: detail.message,
            },
            code::QUORUM_NOT_MET => ApiError::QuorumNotMet {
                needed: detail.metadata.get("needed").and_then(|n| n.parse().ok()),
                got: detail.metadata.get("got").and_then(|n| n.parse().ok()),
                message: detail.message,
            },
            code::INTERNAL => ApiError::Internal { message: detail.message },
            _ => ApiError::Other { code: status.code(), message, detail_code: Some(detail.code) },
        }
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
