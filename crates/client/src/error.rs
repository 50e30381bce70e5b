//! Errors a client call can end with.

use coterie_core::{ConfigError, CoreError, SessionId};
use thiserror::Error;

/// Why a client call failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClientError {
    /// The structure refused the call (not the owner, over the limit, wrong kind, ...).
    #[error("{0}")]
    Refused(#[from] CoreError),
    /// No endpoint answered as leader before the call's deadline, and nothing was applied: the
    /// call was a read, or no member received it.
    #[error(
        "no leader answered within {waited_ms} ms ({last}); check that a majority of the cluster is up and reachable"
    )]
    Unavailable {
        /// How long the client tried.
        waited_ms: u128,
        /// The last failure seen.
        last: String,
    },
    /// [`Client::wait_for`](crate::Client::wait_for) timed out before enough members were
    /// Up in the committed member table.
    #[error(
        "after {waited_ms} ms, {up} of the {wanted} members wanted are Up in the committed member table ({last}); \
         start or join the missing members, or wait longer"
    )]
    MembersNotUp {
        /// How many members were wanted.
        wanted: usize,
        /// How many were Up at the last answer (0 if no member answered).
        up: usize,
        /// How long the client waited.
        waited_ms: u128,
        /// What the last answer said.
        last: String,
    },
    /// The call's deadline passed after an attempt that may have been delivered (it timed out
    /// at a member, the member answered that the outcome is unknown, or too few replicas
    /// acknowledged it), so it may or may not have been applied; it was applied at most
    /// once. Distinct from [`ClientError::Refused`] (the structure said no, nothing changed)
    /// and from [`ClientError::Unavailable`] (nothing was applied). Like Hazelcast's
    /// `IndeterminateOperationStateException`.
    #[error(
        "the outcome is unknown after {waited_ms} ms ({last}): the call may have been applied (once, never twice); read the structure to find out before repeating it"
    )]
    Indeterminate {
        /// How long the client tried.
        waited_ms: u128,
        /// The last failure seen.
        last: String,
    },
    /// The lock this handle held is lost: the session that held it expired (the client did
    /// not heartbeat within the session TTL), so the cluster released the lock and another
    /// owner may hold it now. Like Hazelcast's `LockOwnershipLostException`.
    #[error(
        "the lock {name:?} is no longer held: {session}, which held it, expired (no heartbeat within the session TTL), so another owner may hold it now; stop using what it protects, and lock again"
    )]
    LockOwnershipLost {
        /// The lock's name.
        name: String,
        /// The expired session that held it.
        session: SessionId,
    },
    /// A barrier arrival's timeout passed before the round's parties had all arrived. The
    /// arrival was withdrawn: it no longer counts towards the round.
    #[error(
        "barrier {name:?}: fewer than {expected} parties arrived within {waited_ms} ms, so this arrival was withdrawn (it no longer counts towards the round); arrive again, or wait longer"
    )]
    BarrierTimedOut {
        /// The barrier's name.
        name: String,
        /// The party count this arrival waited for.
        expected: u64,
        /// How long it waited.
        waited_ms: u128,
    },
    /// A stored value could not be read as the handle's type.
    #[error(transparent)]
    Value(#[from] crate::ValueError),
    /// An invalid structure name (`name` or `name@group`).
    #[error("invalid structure name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An endpoint given to [`Client::connect`](crate::Client::connect) is not usable.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it and what is expected.
        reason: String,
    },
    /// A setting of the [`ClientConfig`](crate::ClientConfig) cannot be used (see
    /// [`ClientConfig::validate`](crate::ClientConfig::validate)).
    #[error(transparent)]
    InvalidConfig(#[from] ConfigError),
    /// The client was closed.
    #[error("the client is closed; create a new one")]
    Closed,
    /// The server answered with an output of the wrong shape (a version mismatch or bug).
    #[error("unexpected answer {0}; the server and client versions may not match")]
    UnexpectedOutput(String),
}
