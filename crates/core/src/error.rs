//! The errors a state machine can answer with.
//!
//! Errors are part of the replicated response (they are stored in dedup tables and sent to
//! clients), so they are plain serializable data: codes and the numbers and names involved
//! ([`InvalidReason`], [`NameProblem`], [`NotOwnerReason`]), never English prose, so that a
//! reworded message changes no snapshot and replicas of different builds agree byte for
//! byte. The message, made by `Display`, says what was wrong and, where there is something
//! to do, what to do.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kind::Kind;
pub use crate::refusal::{InvalidReason, NameProblem, NotOwnerReason, PreconditionReason};
use crate::types::{ClientId, InvocationId, SessionId, Timestamp};

/// An error answered by a structure or by the group that hosts it.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum CoreError {
    /// An argument is outside what the operation accepts.
    #[error("invalid argument to {operation}: {reason}")]
    InvalidArgument {
        /// The operation that refused it.
        operation: Cow<'static, str>,
        /// What was wrong and what is accepted instead.
        reason: InvalidReason,
    },
    /// A key or value is larger than the group's configured limit.
    #[error("value of {size} bytes exceeds the limit of {limit} bytes; store a smaller value or raise max_value_bytes")]
    ValueTooLarge {
        /// The offending size in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A structure name is empty or too long.
    #[error("invalid structure name: {reason}")]
    InvalidName {
        /// What was wrong with the name.
        reason: NameProblem,
    },
    /// A kind name that Coterie does not know.
    #[error(
        "unknown structure kind {name:?}; known kinds are atomic-long, atomic-reference, fenced-lock, cp-semaphore, count-down-latch, counter, map, set, queue, lock, semaphore, barrier, bucket"
    )]
    UnknownKind {
        /// The name that was given.
        name: String,
    },
    /// The name is already used by a structure of another kind.
    #[error("{name:?} is of kind {actual}, not {expected}; use another name, or the {actual} operations on this one")]
    WrongKind {
        /// The structure's name.
        name: String,
        /// The kind the command was for.
        expected: Kind,
        /// The kind that exists under that name.
        actual: Kind,
    },
    /// The structure exists with a configuration other than the one requested.
    #[error(
        "{name:?} already exists with a different configuration ({existing}); use the existing configuration (or, for a kind that can be destroyed, destroy it first)"
    )]
    ConfigConflict {
        /// The structure's name.
        name: String,
        /// The existing configuration, for the message. Text, but never in replicated state:
        /// only `GroupCommand::Create` answers this, and the answers of such admin commands
        /// are not recorded (only `Invoke` results are, in the session's dedup window).
        existing: String,
    },
    /// A 64-bit arithmetic result does not fit.
    #[error("{operation} would overflow a 64-bit signed integer")]
    Overflow {
        /// The operation that would overflow.
        operation: Cow<'static, str>,
    },
    /// The operation must be called inside a session (locks and permits belong to sessions).
    #[error("{operation} needs a session: open one first (the client does this for you)")]
    SessionRequired {
        /// The operation.
        operation: Cow<'static, str>,
    },
    /// The operation needs an invocation id (it may block or must be applied once).
    #[error("{operation} needs an invocation id (session and sequence number)")]
    InvocationRequired {
        /// The operation.
        operation: Cow<'static, str>,
    },
    /// The session is unknown: never opened, closed, or expired.
    #[error(
        "{session} is not open (closed or expired after its TTL); open a new session — locks and permits it held were released"
    )]
    SessionExpired {
        /// The session.
        session: SessionId,
    },
    /// The caller does not own what it tried to release or query.
    #[error("not the owner: {reason}")]
    NotOwner {
        /// Who holds it, or that nobody does.
        reason: NotOwnerReason,
    },
    /// A release of more permits than the session holds.
    #[error("cannot release {requested} permit(s): this session holds {held}")]
    PermitsNotHeld {
        /// Permits the caller tried to release.
        requested: u64,
        /// Permits the caller's session holds.
        held: u64,
    },
    /// A reentrant acquire beyond the lock's configured limit.
    #[error("lock acquire limit of {limit} reached by the current holder; unlock before locking again")]
    AcquireLimitReached {
        /// The configured limit (1 = non-reentrant).
        limit: u32,
    },
    /// `init` on a semaphore that already has permits configured.
    #[error("semaphore is already initialized; use increase_permits or reduce_permits to change it")]
    AlreadyInitialized,
    /// A latch count set while a round is still counting down.
    #[error("latch count is still {count}; it can be set again only when it reaches 0")]
    CountNotZero {
        /// The current count.
        count: u64,
    },
    /// A count-down for a round the latch has not started.
    #[error("count_down for round {requested}, but the latch is in round {current}; read the round again")]
    FutureRound {
        /// The round the caller named.
        requested: u64,
        /// The latch's current round.
        current: u64,
    },
    /// An enqueue on a queue at its capacity.
    #[error("queue is full at its capacity of {capacity} items; dequeue first or retry later")]
    QueueFull {
        /// The queue's capacity.
        capacity: u64,
    },
    /// An arrival whose party count differs from the round's.
    #[error(
        "barrier round {round} expects {expected} parties but this arrival said {got}; all arrivals of a round must agree"
    )]
    BarrierMismatch {
        /// The current round.
        round: u64,
        /// The round's party count.
        expected: u64,
        /// The party count this arrival gave.
        got: u64,
    },
    /// A parked call was cancelled before it completed (caller gone or timed out).
    #[error("{invocation} was cancelled before it completed")]
    Cancelled {
        /// The cancelled call.
        invocation: InvocationId,
    },
    /// A resent request older than what its client's entry in a
    /// [`DedupTable`](crate::dedup::DedupTable) still answers.
    #[error(
        "request {seq} of {client} is older than its retry window (oldest kept: {oldest}); its outcome is unknown, read the state before retrying"
    )]
    ClientWindowPassed {
        /// The client that sent it.
        client: ClientId,
        /// The request's sequence number.
        seq: u64,
        /// The oldest sequence number the client's window still answers.
        oldest: u64,
    },
    /// A request from a client the [`DedupTable`](crate::dedup::DedupTable) does not know,
    /// while the table is full of clients seen within its TTL. Nothing was applied.
    #[error(
        "this group already remembers {limit} clients seen within its client TTL; nothing was applied, retry later (idle clients are forgotten after the TTL) or raise GroupConfig::max_clients"
    )]
    TooManyClients {
        /// The table's bound.
        limit: u64,
    },
    /// Bytes that do not decode as a command, response or snapshot.
    ///
    /// The only variant whose data is prose (the decoder's own words), and on purpose: it is
    /// made only where bytes are decoded (a log entry, a snapshot, a journal, a server's
    /// answer), outside any state machine's apply, so it is never recorded in a dedup window
    /// or a snapshot; it reports what some other build or a corruption wrote.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: Cow<'static, str>,
        /// The decoder's complaint.
        reason: String,
    },
    /// A create-only write (put, copy or rename if not exists) found its key present.
    #[error("object {key:?} already exists; nothing was written (read it, or write without create-only)")]
    AlreadyExists {
        /// The key that exists.
        key: String,
    },
    /// A conditional object operation whose condition does not hold; nothing was changed.
    #[error("precondition failed on object {key:?}: {reason}; read it again before retrying")]
    PreconditionFailed {
        /// The object the condition was about.
        key: String,
        /// Which condition failed, with the object's current state.
        reason: PreconditionReason,
    },
    /// A conditional read (If-None-Match, If-Modified-Since) whose cached copy is current:
    /// HTTP's 304. An answer rather than a failure, sent as an error so it carries no body.
    #[error("object {key:?} is not modified (etag {etag}, last modified {last_modified}): the cached copy is current")]
    NotModified {
        /// The object.
        key: String,
        /// Its current ETag.
        etag: String,
        /// Its last modification.
        last_modified: Timestamp,
    },
    /// An object that does not exist (never written, deleted, or expired).
    #[error("object {key:?} not found")]
    ObjectNotFound {
        /// The missing key.
        key: String,
    },
    /// A write whose `if_fence_at_least` is below the highest fence the key has seen: the
    /// writer's lock was taken over by a newer holder.
    #[error(
        "stale fence for object {key:?}: the write presented fence {presented}, but the key has seen {highest}; \
         the lock this fence came from has a newer holder, acquire it again"
    )]
    StaleFence {
        /// The key written.
        key: String,
        /// The fence the write carried.
        presented: u64,
        /// The highest fence the key has seen.
        highest: u64,
    },
    /// A byte range that selects nothing of the object: HTTP's 416.
    #[error("the byte range selects nothing of object {key:?}, which has {size} bytes")]
    RangeNotSatisfiable {
        /// The object.
        key: String,
        /// The object's size in bytes.
        size: u64,
    },
    /// A put that reached the log after its upload window closed (see
    /// `BucketCommand::Put::commit_by`): its bytes may already have been collected as
    /// unreferenced, so it is refused and nothing is written.
    #[error(
        "the put of object {key:?} reached the log after its upload window closed (at {commit_by}); nothing was \
         written: send the object again (a slow upload needs a longer `upload_window` on the members)"
    )]
    UploadExpired {
        /// The key written.
        key: String,
        /// When the window closed, by the group's clock.
        commit_by: Timestamp,
    },
    /// An entity call names a type this member has not registered (see [`crate::entity`]).
    #[error(
        "no entity type {name:?} is registered on the member that serves it; register it in the EntityRegistry \
         every member is started with (the same types on every member), or check the type name"
    )]
    UnknownEntityType {
        /// The type name the call gave.
        name: String,
    },
    /// An entity's command, state or reply did not decode or encode as its registered type's.
    #[error(
        "the {what} of entity type {entity_type:?} does not match the type registered under that name; send \
         commands of the registered type, and start every member with the same build of it"
    )]
    EntityPayload {
        /// The entity type.
        entity_type: String,
        /// Which part did not match.
        what: EntityPayload,
    },
}

/// Which part of an entity call did not match its registered type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityPayload {
    /// The command the caller sent.
    Command,
    /// The entity's stored state.
    State,
    /// The reply the entity answered.
    Reply,
}

impl EntityPayload {
    /// The part's name, as messages and the wire say it.
    pub fn name(self) -> &'static str {
        match self {
            EntityPayload::Command => "command",
            EntityPayload::State => "state",
            EntityPayload::Reply => "reply",
        }
    }
}

impl std::fmt::Display for EntityPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for EntityPayload {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [EntityPayload::Command, EntityPayload::State, EntityPayload::Reply]
            .into_iter()
            .find(|part| part.name() == s)
            .ok_or_else(|| CoreError::malformed("entity payload name", s.to_owned()))
    }
}

impl CoreError {
    /// Shorthand for [`CoreError::InvalidArgument`].
    pub fn invalid(operation: &'static str, reason: InvalidReason) -> Self {
        CoreError::InvalidArgument { operation: Cow::Borrowed(operation), reason }
    }

    /// An [`InvalidReason::Request`]: a request refused at the edge, before any state
    /// machine saw it (never for a refusal made while applying a command).
    pub fn invalid_request(operation: &'static str, detail: impl Into<String>) -> Self {
        CoreError::invalid(operation, InvalidReason::Request { detail: detail.into() })
    }

    /// Shorthand for [`CoreError::InvalidName`].
    pub fn invalid_name(reason: NameProblem) -> Self {
        CoreError::InvalidName { reason }
    }

    /// Shorthand for [`CoreError::NotOwner`].
    pub fn not_owner(reason: NotOwnerReason) -> Self {
        CoreError::NotOwner { reason }
    }

    /// Shorthand for [`CoreError::Overflow`].
    pub fn overflow(operation: &'static str) -> Self {
        CoreError::Overflow { operation: Cow::Borrowed(operation) }
    }

    /// Shorthand for [`CoreError::Malformed`].
    pub fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        CoreError::Malformed { what: Cow::Borrowed(what), reason: reason.into() }
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
