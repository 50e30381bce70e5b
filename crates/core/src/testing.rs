//! Helpers for unit tests: compact constructors for contexts and invocations.

use crate::ctx::ApplyCtx;
use crate::types::{ClientId, InvocationId, LogIndex, SessionId, Timestamp};

/// The client that tests pair with session `session`: client `session` (or 1 for 0).
pub fn client(session: u64) -> ClientId {
    ClientId::new(u128::from(session.max(1))).unwrap_or(ClientId::MIN)
}

/// The invocation `seq` of the client paired with session `session` (see [`client`]).
pub fn inv(session: u64, seq: u64) -> InvocationId {
    InvocationId { client: client(session), seq }
}

/// A context for a call by `inv(session, seq)`, made in session `session`, at log `index`
/// and time `now` (ms).
pub fn call(index: u64, now: u64, session: u64, seq: u64) -> ApplyCtx {
    ApplyCtx::invoked(LogIndex(index), Timestamp(now), Some(SessionId(session)), inv(session, seq))
}

/// A context for a sessionless read or internal command at `index` and `now` (ms).
pub fn internal(index: u64, now: u64) -> ApplyCtx {
    ApplyCtx::internal(LogIndex(index), Timestamp(now))
}

/// A context with a session but no invocation (a read that depends on the caller).
pub fn session_read(index: u64, now: u64, session: u64) -> ApplyCtx {
    ApplyCtx { session: Some(SessionId(session)), ..internal(index, now) }
}
