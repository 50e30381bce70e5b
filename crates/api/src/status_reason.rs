//! The structured reasons of `invalid_argument`, `invalid_name`, `not_owner` and
//! `precondition_failed` errors in `ErrorDetail.metadata`.
//!
//! Each reason travels as `reason` (its stable snake_case code, such as `zero_permits` or
//! `held_by`), its data fields by name (numbers as decimal strings, ids as in the rest of
//! the metadata), and `reason_text`, the reason as a person reads it. A client in any
//! language branches on `reason` and the fields; it shows `ErrorDetail.message` (or
//! `reason_text`) to people. A reason code this build does not know (from a newer server)
//! is read as an edge refusal carrying `reason_text`, so the message survives.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use coterie_core::{InvalidReason, NameProblem, NotOwnerReason, OwnerId, PreconditionReason, SessionId, Timestamp};

/// The metadata key of the reason's code.
pub const REASON: &str = "reason";
/// The metadata key of the reason as a person reads it.
pub const REASON_TEXT: &str = "reason_text";

/// Fields of one error in the wire form.
pub(crate) type WireFields = Vec<(&'static str, String)>;

const NANOS_PER_SEC: u128 = 1_000_000_000;

fn nanos(d: Duration) -> String {
    d.as_nanos().to_string()
}

fn duration(text: &str) -> Option<Duration> {
    let n: u128 = text.parse().ok()?;
    Some(Duration::new(u64::try_from(n / NANOS_PER_SEC).ok()?, u32::try_from(n % NANOS_PER_SEC).ok()?))
}

fn with_code(code: &'static str, text: String, mut data: WireFields) -> WireFields {
    data.insert(0, (REASON, code.to_owned()));
    data.push((REASON_TEXT, text));
    data
}

/// The wire fields of an argument's refusal reason.
pub(crate) fn invalid_fields(reason: &InvalidReason) -> WireFields {
    use InvalidReason as R;
    let data = match reason {
        R::ZeroPermits
        | R::ZeroLockLease
        | R::ZeroPermitLease
        | R::ZeroDrainMax
        | R::ZeroParties
        | R::ZeroCount
        | R::ZeroOpenSeq
        | R::NotARead
        | R::NotReadOnly
        | R::ConsistencyZero
        | R::ObjectKeyEmpty
        | R::ObjectSizeOverflow
        | R::ZeroTtl => Vec::new(),
        R::ObjectKeyTooLong { length, limit } | R::ContentTypeTooLong { length, limit } => {
            vec![("length", length.to_string()), ("limit", limit.to_string())]
        }
        R::ObjectKeyNul { position } => vec![("position", position.to_string())],
        R::TooManyParts { parts, limit } => vec![("parts", parts.to_string()), ("limit", limit.to_string())],
        R::AttributesTooLarge { size, limit } => vec![("size", size.to_string()), ("limit", limit.to_string())],
        R::RangeReversed { start, end } => vec![("start", start.to_string()), ("end", end.to_string())],
        R::TooManyPermits { max } => vec![("max", max.to_string())],
        R::PageLimit { limit, max } => vec![("limit", limit.to_string()), ("max", max.to_string())],
        R::SessionTtl { ttl, max } => vec![("ttl_ns", nanos(*ttl)), ("max_ttl_ns", nanos(*max))],
        R::ConsistencyAboveMajority { requested, majority, replicas } => vec![
            ("requested", requested.to_string()),
            ("majority", majority.to_string()),
            ("replicas", replicas.to_string()),
        ],
        R::ConsistencyStrong { replicas } => vec![("replicas", replicas.to_string())],
        R::ShardedUnsupported { shards } => vec![("shards", shards.to_string())],
        R::Request { detail } => vec![("detail", detail.clone())],
    };
    with_code(reason.code(), reason.to_string(), data)
}

/// The wire fields of a name's refusal reason.
pub(crate) fn name_fields(problem: &NameProblem) -> WireFields {
    let data = match problem {
        NameProblem::Empty => Vec::new(),
        NameProblem::TooLong { length, limit } => vec![("length", length.to_string()), ("limit", limit.to_string())],
        NameProblem::Request { detail } => vec![("detail", detail.clone())],
    };
    with_code(problem.code(), problem.to_string(), data)
}

/// The wire fields of a not-the-owner reason.
pub(crate) fn not_owner_fields(reason: &NotOwnerReason) -> WireFields {
    let data = match reason {
        NotOwnerReason::NotHeld | NotOwnerReason::NoFence => Vec::new(),
        NotOwnerReason::HeldBy { session, owner } => {
            vec![("holder_session", session.0.to_string()), ("holder_owner", format!("{:032x}", owner.0))]
        }
    };
    with_code(reason.code(), reason.to_string(), data)
}

/// The wire fields of a failed precondition's reason.
pub(crate) fn precondition_fields(reason: &PreconditionReason) -> WireFields {
    use PreconditionReason as R;
    let data = match reason {
        R::Absent => Vec::new(),
        R::EtagMismatch { current } => vec![("current_etag", current.clone())],
        R::VersionMismatch { expected, current } => {
            vec![("expected_version", expected.to_string()), ("current_version", current.to_string())]
        }
        R::ModifiedSince { since, last_modified } => {
            vec![("since_ms", since.0.to_string()), ("last_modified_ms", last_modified.0.to_string())]
        }
    };
    with_code(reason.code(), reason.to_string(), data)
}

/// Typed reads of the metadata; `None` when a field is missing or unparsable.
struct Read<'a>(&'a BTreeMap<String, String>);

impl Read<'_> {
    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn parse<T: FromStr>(&self, key: &str) -> Option<T> {
        self.0.get(key)?.parse().ok()
    }

    fn code(&self) -> Option<&str> {
        self.0.get(REASON).map(String::as_str)
    }
}

/// The argument's refusal reason the metadata describes.
pub(crate) fn invalid_from(metadata: &BTreeMap<String, String>) -> Option<InvalidReason> {
    use InvalidReason as R;
    let f = Read(metadata);
    Some(match f.code()? {
        "zero_permits" => R::ZeroPermits,
        "too_many_permits" => R::TooManyPermits { max: f.parse("max")? },
        "zero_lock_lease" => R::ZeroLockLease,
        "zero_permit_lease" => R::ZeroPermitLease,
        "zero_drain_max" => R::ZeroDrainMax,
        "page_limit" => R::PageLimit { limit: f.parse("limit")?, max: f.parse("max")? },
        "zero_parties" => R::ZeroParties,
        "zero_count" => R::ZeroCount,
        "session_ttl" => R::SessionTtl { ttl: duration(&f.text("ttl_ns")?)?, max: duration(&f.text("max_ttl_ns")?)? },
        "zero_open_seq" => R::ZeroOpenSeq,
        "not_a_read" => R::NotARead,
        "not_read_only" => R::NotReadOnly,
        "consistency_zero" => R::ConsistencyZero,
        "consistency_above_majority" => R::ConsistencyAboveMajority {
            requested: f.parse("requested")?,
            majority: f.parse("majority")?,
            replicas: f.parse("replicas")?,
        },
        "consistency_strong" => R::ConsistencyStrong { replicas: f.parse("replicas")? },
        "sharded_unsupported" => R::ShardedUnsupported { shards: f.parse("shards")? },
        "request" => R::Request { detail: f.text("detail")? },
        "object_key_empty" => R::ObjectKeyEmpty,
        "object_key_too_long" => R::ObjectKeyTooLong { length: f.parse("length")?, limit: f.parse("limit")? },
        "object_key_nul" => R::ObjectKeyNul { position: f.parse("position")? },
        "content_type_too_long" => R::ContentTypeTooLong { length: f.parse("length")?, limit: f.parse("limit")? },
        "attributes_too_large" => R::AttributesTooLarge { size: f.parse("size")?, limit: f.parse("limit")? },
        "object_size_overflow" => R::ObjectSizeOverflow,
        "too_many_parts" => R::TooManyParts { parts: f.parse("parts")?, limit: f.parse("limit")? },
        "zero_ttl" => R::ZeroTtl,
        "range_reversed" => R::RangeReversed { start: f.parse("start")?, end: f.parse("end")? },
        _ => R::Request { detail: f.text(REASON_TEXT)? },
    })
}

/// The failed precondition's reason the metadata describes; `None` for a code this build
/// does not know (there is no edge form of it to fall back on).
pub(crate) fn precondition_from(metadata: &BTreeMap<String, String>) -> Option<PreconditionReason> {
    use PreconditionReason as R;
    let f = Read(metadata);
    Some(match f.code()? {
        "absent" => R::Absent,
        "etag_mismatch" => R::EtagMismatch { current: f.text("current_etag")? },
        "version_mismatch" => {
            R::VersionMismatch { expected: f.parse("expected_version")?, current: f.parse("current_version")? }
        }
        "modified_since" => R::ModifiedSince {
            since: Timestamp(f.parse("since_ms")?),
            last_modified: Timestamp(f.parse("last_modified_ms")?),
        },
        _ => return None,
    })
}

/// The name's refusal reason the metadata describes.
pub(crate) fn name_from(metadata: &BTreeMap<String, String>) -> Option<NameProblem> {
    let f = Read(metadata);
    Some(match f.code()? {
        "empty" => NameProblem::Empty,
        "too_long" => NameProblem::TooLong { length: f.parse("length")?, limit: f.parse("limit")? },
        "request" => NameProblem::Request { detail: f.text("detail")? },
        _ => NameProblem::Request { detail: f.text(REASON_TEXT)? },
    })
}

/// The not-the-owner reason the metadata describes; `None` for a code this build does not
/// know (there is no edge form of it to fall back on).
pub(crate) fn not_owner_from(metadata: &BTreeMap<String, String>) -> Option<NotOwnerReason> {
    let f = Read(metadata);
    Some(match f.code()? {
        "not_held" => NotOwnerReason::NotHeld,
        "held_by" => NotOwnerReason::HeldBy {
            session: SessionId(f.parse("holder_session")?),
            owner: OwnerId(u128::from_str_radix(&f.text("holder_owner")?, 16).ok()?),
        },
        "no_fence" => NotOwnerReason::NoFence,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "status_reason_tests.rs"]
mod tests;
