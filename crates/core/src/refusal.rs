//! Why an argument, a name or an ownership claim was refused, as data.
//!
//! These are the reasons inside [`CoreError::InvalidArgument`](crate::CoreError::InvalidArgument),
//! [`CoreError::InvalidName`](crate::CoreError::InvalidName),
//! [`CoreError::PreconditionFailed`](crate::CoreError::PreconditionFailed) and
//! [`CoreError::NotOwner`](crate::CoreError::NotOwner). Errors are stored in replicated state
//! (dedup windows, the client dedup table, and so snapshots and journals), so they hold codes
//! and the numbers and names involved, never English: rewording a message changes only its
//! `Display`, not the bytes replicas compare, and a wire client acts on [`code`](InvalidReason::code)
//! and the fields instead of parsing text. The message a person reads is made by `Display`.
//!
//! Each enum has one catch-all, `Request { detail }`, for refusals made at the edge (the API
//! layer converting a request, a client, a server routing a call) before any state machine
//! sees the call. A state machine's apply never produces it, so it never reaches replicated
//! state; its prose travels only in the answer to that one request.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::types::{OwnerId, SessionId, Timestamp};

/// Why an argument was refused: the data of [`CoreError::InvalidArgument`](crate::CoreError::InvalidArgument).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum InvalidReason {
    /// A permit count of 0 where at least 1 is needed.
    #[error("permits must be at least 1")]
    ZeroPermits,
    /// A permit count above what a semaphore can count.
    #[error("permits must be at most {max}")]
    TooManyPermits {
        /// The largest accepted count.
        max: u64,
    },
    /// A lock lease of zero.
    #[error("a lease must be positive; omit it to hold the lock until released")]
    ZeroLockLease,
    /// A permit lease of zero.
    #[error("a lease must be positive; omit it to hold the permit until released")]
    ZeroPermitLease,
    /// A queue drain of at most 0 items.
    #[error("max must be at least 1 item")]
    ZeroDrainMax,
    /// A page size outside what a listing accepts.
    #[error("limit must be between 1 and {max} items per page, got {limit}")]
    PageLimit {
        /// The page size asked for.
        limit: u32,
        /// The largest accepted page size.
        max: u32,
    },
    /// A barrier arrival expecting 0 parties.
    #[error("expected parties must be at least 1")]
    ZeroParties,
    /// A latch count of 0 where at least 1 is needed.
    #[error("count must be at least 1")]
    ZeroCount,
    /// A session TTL outside what the group accepts.
    #[error("ttl must be between 1ms and {max:?}, got {ttl:?}")]
    SessionTtl {
        /// The TTL asked for.
        ttl: Duration,
        /// The group's longest TTL.
        max: Duration,
    },
    /// A session open numbered 0.
    #[error("seq must be at least 1 (opens are numbered from 1)")]
    ZeroOpenSeq,
    /// A command routed as a read that is not one: a bug in Coterie.
    #[error("a command routed as a read is not one (a bug in coterie, please report it)")]
    NotARead,
    /// A stale read of an operation that is not read-only.
    #[error("only read-only operations can be stale reads; send it as a normal call")]
    NotReadOnly,
    /// Consistency `AtLeast(0)`.
    #[error("consistency at-least 0 asks for no replica at all; ask for at least 1")]
    ConsistencyZero,
    /// Consistency `AtLeast(n)` above the majority a CP group commits on.
    #[error(
        "consistency at-least {requested} asks for more than the majority ({majority} of {replicas}) a CP group commits on; \
         CP calls are linearizable at quorum: leave the consistency at default"
    )]
    ConsistencyAboveMajority {
        /// The replicas asked for.
        requested: u64,
        /// The group's majority.
        majority: u64,
        /// The group's voters.
        replicas: u64,
    },
    /// Consistency `Strong` from a CP group whose majority is not every voter.
    #[error(
        "consistency strong (all {replicas} replicas) is not what a CP group does: it commits on a majority \
         and is linearizable at that; leave the consistency at default"
    )]
    ConsistencyStrong {
        /// The group's voters.
        replicas: u64,
    },
    /// A sharded target, on a member that runs only the CP engine.
    #[error(
        "a sharded structure of {shards} shards was asked for, but this server version runs only the CP engine; \
         put the structure in a CP group (leave the call's target unset, or name a group)"
    )]
    ShardedUnsupported {
        /// The shards the call asked for.
        shards: u32,
    },
    /// Refused at the edge, before any state machine saw the request (see the module docs);
    /// never recorded in replicated state.
    #[error("{detail}")]
    Request {
        /// What was wrong and what is accepted instead.
        detail: String,
    },
    /// An object key of zero bytes.
    #[error("an object key must not be empty")]
    ObjectKeyEmpty,
    /// An object key longer than a bucket accepts.
    #[error("an object key of {length} bytes is longer than the limit of {limit} bytes (fixed, as in S3)")]
    ObjectKeyTooLong {
        /// The key's length in bytes.
        length: u64,
        /// The largest accepted key, in bytes.
        limit: u64,
    },
    /// An object key containing a NUL character.
    #[error("an object key must not contain NUL (found at byte {position})")]
    ObjectKeyNul {
        /// The byte offset of the first NUL.
        position: u64,
    },
    /// An object's content type longer than a bucket accepts.
    #[error("a content type of {length} bytes is longer than the limit of {limit} bytes (fixed)")]
    ContentTypeTooLong {
        /// The content type's length in bytes.
        length: u64,
        /// The largest accepted content type, in bytes.
        limit: u64,
    },
    /// User attributes larger in total than a bucket accepts.
    #[error(
        "user attributes of {size} bytes in total (names plus values) exceed the limit of {limit} bytes \
         (fixed, S3's user-metadata limit); keep large metadata in the object itself"
    )]
    AttributesTooLarge {
        /// The attributes' total size in bytes.
        size: u64,
        /// The largest accepted total, in bytes.
        limit: u64,
    },
    /// A blob reference whose part lengths add up to more than 2^64 - 1 bytes.
    #[error("the blob parts' lengths add up to more than 2^64 - 1 bytes")]
    ObjectSizeOverflow,
    /// A blob reference with more parts than a bucket accepts.
    #[error(
        "an object of {parts} parts has more than the limit of {limit} (fixed, S3's multipart limit); use larger parts"
    )]
    TooManyParts {
        /// The parts given.
        parts: u64,
        /// The most parts accepted.
        limit: u64,
    },
    /// An object TTL under a millisecond (the replicated clock counts milliseconds).
    #[error("an object ttl must be at least 1ms; omit it to keep the object until deleted")]
    ZeroTtl,
    /// A byte range whose end is not after its start.
    #[error("byte range {start}..{end} is empty or reversed; the end (exclusive) must be after the start")]
    RangeReversed {
        /// The range's first byte.
        start: u64,
        /// The range's end (exclusive).
        end: u64,
    },
}

/// Why a conditional object operation was refused: the data of
/// [`CoreError::PreconditionFailed`](crate::CoreError::PreconditionFailed).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum PreconditionReason {
    /// The condition needs the object to exist, and it does not (or it has expired).
    #[error("the object does not exist")]
    Absent,
    /// The object's ETag is not the one (or any of those) the condition named.
    #[error("its etag is {current}")]
    EtagMismatch {
        /// The object's current ETag.
        current: String,
    },
    /// The object's version is not the one the condition named.
    #[error("its version is {current}, not {expected}")]
    VersionMismatch {
        /// The version the condition named.
        expected: u64,
        /// The object's current version.
        current: u64,
    },
    /// If-Unmodified-Since: the object was modified after the given time.
    #[error("it was modified at {last_modified}, after {since}")]
    ModifiedSince {
        /// The time the condition named.
        since: Timestamp,
        /// The object's last modification.
        last_modified: Timestamp,
    },
}

impl PreconditionReason {
    /// The stable snake_case code of this reason (`ErrorDetail.metadata["reason"]` on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            PreconditionReason::Absent => "absent",
            PreconditionReason::EtagMismatch { .. } => "etag_mismatch",
            PreconditionReason::VersionMismatch { .. } => "version_mismatch",
            PreconditionReason::ModifiedSince { .. } => "modified_since",
        }
    }
}

/// Why a structure name was refused: the data of [`CoreError::InvalidName`](crate::CoreError::InvalidName).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum NameProblem {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than the group's limit.
    #[error("{length} bytes is longer than the limit of {limit} bytes")]
    TooLong {
        /// The name's length in bytes.
        length: u64,
        /// The group's `max_name_bytes`.
        limit: u64,
    },
    /// Refused at the edge, before any state machine saw the request (see the module docs);
    /// never recorded in replicated state.
    #[error("{detail}")]
    Request {
        /// What was wrong with the name.
        detail: String,
    },
}

/// Why the caller is not the owner: the data of [`CoreError::NotOwner`](crate::CoreError::NotOwner).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum NotOwnerReason {
    /// Nobody holds the lock.
    #[error("the lock is not held")]
    NotHeld,
    /// Someone else holds the lock.
    #[error("the lock is held by {session} ({owner}), not by the caller")]
    HeldBy {
        /// The holder's session.
        session: SessionId,
        /// The holder's owner within its session.
        owner: OwnerId,
    },
    /// A fence asked for by a caller that does not hold the lock.
    #[error("the caller does not hold the lock, so it has no fence")]
    NoFence,
}

impl InvalidReason {
    /// The stable snake_case code of this reason (`ErrorDetail.metadata["reason"]` on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            InvalidReason::ZeroPermits => "zero_permits",
            InvalidReason::TooManyPermits { .. } => "too_many_permits",
            InvalidReason::ZeroLockLease => "zero_lock_lease",
            InvalidReason::ZeroPermitLease => "zero_permit_lease",
            InvalidReason::ZeroDrainMax => "zero_drain_max",
            InvalidReason::PageLimit { .. } => "page_limit",
            InvalidReason::ZeroParties => "zero_parties",
            InvalidReason::ZeroCount => "zero_count",
            InvalidReason::SessionTtl { .. } => "session_ttl",
            InvalidReason::ZeroOpenSeq => "zero_open_seq",
            InvalidReason::NotARead => "not_a_read",
            InvalidReason::NotReadOnly => "not_read_only",
            InvalidReason::ConsistencyZero => "consistency_zero",
            InvalidReason::ConsistencyAboveMajority { .. } => "consistency_above_majority",
            InvalidReason::ConsistencyStrong { .. } => "consistency_strong",
            InvalidReason::ShardedUnsupported { .. } => "sharded_unsupported",
            InvalidReason::Request { .. } => "request",
            InvalidReason::ObjectKeyEmpty => "object_key_empty",
            InvalidReason::ObjectKeyTooLong { .. } => "object_key_too_long",
            InvalidReason::ObjectKeyNul { .. } => "object_key_nul",
            InvalidReason::ContentTypeTooLong { .. } => "content_type_too_long",
            InvalidReason::AttributesTooLarge { .. } => "attributes_too_large",
            InvalidReason::ObjectSizeOverflow => "object_size_overflow",
            InvalidReason::TooManyParts { .. } => "too_many_parts",
            InvalidReason::ZeroTtl => "zero_ttl",
            InvalidReason::RangeReversed { .. } => "range_reversed",
        }
    }
}

impl NameProblem {
    /// [`NameProblem::TooLong`] for a name of `length` bytes over a limit of `limit`.
    pub fn too_long(length: usize, limit: usize) -> Self {
        let bytes = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        NameProblem::TooLong { length: bytes(length), limit: bytes(limit) }
    }

    /// The stable snake_case code of this problem (`ErrorDetail.metadata["reason"]` on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            NameProblem::Empty => "empty",
            NameProblem::TooLong { .. } => "too_long",
            NameProblem::Request { .. } => "request",
        }
    }
}

impl NotOwnerReason {
    /// The stable snake_case code of this reason (`ErrorDetail.metadata["reason"]` on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            NotOwnerReason::NotHeld => "not_held",
            NotOwnerReason::HeldBy { .. } => "held_by",
            NotOwnerReason::NoFence => "no_fence",
        }
    }
}
