//! What every engine applies: one call to a group ([`Request`]), and the record of it that a
//! log keeps ([`JournalRecord`]: the request and the time it was stamped with).
//!
//! Engine-neutral on purpose: the single-node journal stores these records, the CP engine
//! replicates them as its Raft entries, and the sharded engine's partition logs will carry
//! the same, so every engine applies the same records the same way.

use coterie_core::{GroupCommand, InvocationId, SessionId, Timestamp};
use serde::{Deserialize, Serialize};

/// One client call to a group: the command and who made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The command.
    pub command: GroupCommand,
    /// The caller's session, for calls that depend on it.
    pub session: Option<SessionId>,
    /// The caller's invocation, for calls that may park or must be applied once.
    pub invocation: Option<InvocationId>,
}

impl Request {
    /// A command no client session is behind (ticks, administration, plain reads).
    pub fn internal(command: GroupCommand) -> Self {
        Request { command, session: None, invocation: None }
    }

    /// The call `invocation`, made in `session` when it needs one.
    pub fn invoked(command: GroupCommand, session: Option<SessionId>, invocation: InvocationId) -> Self {
        Request { command, session, invocation: Some(invocation) }
    }
}

/// What the journal stores for one applied command: the request and the time it was
/// applied at. The log index is the record's position in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// The time the batch was submitted at.
    pub now: Timestamp,
    /// The request.
    pub request: Request,
}
