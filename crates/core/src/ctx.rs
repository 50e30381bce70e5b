//! The context of one apply: everything a state machine would otherwise read from its
//! environment, so that the same log produces the same state on every replica.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::types::{InvocationId, LogIndex, SessionId, Timestamp};

/// What a state machine knows about the command it is applying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyCtx {
    /// The command's log index (CP) or shard version (sharded). Fences derive from it.
    pub index: LogIndex,
    /// The time the leader or primary stamped on the entry. Never decreases within a group
    /// (the group clamps it), so deadlines fire in the same order everywhere.
    pub now: Timestamp,
    /// The caller's session, when the call was made inside one.
    pub session: Option<SessionId>,
    /// The caller's invocation, for calls that may park or must not be applied twice. It
    /// names the client, not the session: a call may carry either, both or neither.
    pub invocation: Option<InvocationId>,
}

impl ApplyCtx {
    /// A context for a command that no client made (ticks, administrative commands).
    pub fn internal(index: LogIndex, now: Timestamp) -> Self {
        Self { index, now, session: None, invocation: None }
    }

    /// A context for the call `invocation`, made in `session` if it was made in one.
    pub fn invoked(index: LogIndex, now: Timestamp, session: Option<SessionId>, invocation: InvocationId) -> Self {
        Self { index, now, session, invocation: Some(invocation) }
    }

    /// The caller's session, or an error naming `operation` when there is none.
    pub fn require_session(&self, operation: &'static str) -> Result<SessionId, CoreError> {
        self.session.ok_or(CoreError::SessionRequired { operation: operation.into() })
    }

    /// The caller's invocation, or an error naming `operation` when there is none.
    pub fn require_invocation(&self, operation: &'static str) -> Result<InvocationId, CoreError> {
        self.invocation.ok_or(CoreError::InvocationRequired { operation: operation.into() })
    }
}
