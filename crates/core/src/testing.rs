//! Helpers for unit tests: compact constructors for contexts and invocations.

use crate::ctx::ApplyCtx;
use crate::types::{InvocationId, LogIndex, SessionId, Timestamp};

/// The invocation `seq` of session `session`.
pub fn inv(session: u64, seq: u64) -> InvocationId {
    InvocationId { session: SessionId(session), seq }
}

/// A context for a call by `inv(session, seq)` at log `index` and time `now` (ms).
pub fn call(index: u64, now: u64, session: u64, seq: u64) -> ApplyCtx {
    ApplyCtx::invoked(LogIndex(index), Timestamp(now), inv(session, seq))
}

/// A context for a sessionless read or internal command at `index` and `now` (ms).
pub fn internal(index: u64, now: u64) -> ApplyCtx {
    ApplyCtx::internal(LogIndex(index), Timestamp(now))
}

/// A context with a session but no invocation (a read that depends on the caller).
pub fn session_read(index: u64, now: u64, session: u64) -> ApplyCtx {
    ApplyCtx { session: Some(SessionId(session)), ..internal(index, now) }
}
