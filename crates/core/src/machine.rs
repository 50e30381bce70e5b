//! The state-machine contract that both replication engines drive.
//!
//! A state machine is a plain value. The engine feeds it commands in log order with an
//! [`ApplyCtx`], and gets back the caller's reply plus effects for *other* callers (a
//! release that hands a lock to a parked waiter answers the waiter through an effect).
//! Because `apply` does no I/O and reads no clock, replaying the same log on any replica
//! yields the same state and the same replies; that is what makes Raft replication,
//! restart-by-replay and deterministic simulation possible.

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec;
use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::types::{InvocationId, SessionId, Timestamp};

/// What the caller of a command gets back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply<T> {
    /// The call completed (successfully or with an error).
    Ready(Result<T, CoreError>),
    /// The call is parked in the structure under the caller's invocation id; a later
    /// [`Effect::Wake`] completes it.
    Parked,
}

/// Something the engine must do for a caller other than the one whose command was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<T> {
    /// Complete the parked call `invocation` with `result`.
    Wake {
        /// The parked call.
        invocation: InvocationId,
        /// Its final result.
        result: Result<T, CoreError>,
    },
}

impl<T> Effect<T> {
    /// Shorthand for a successful wake.
    pub fn wake(invocation: InvocationId, value: T) -> Self {
        Effect::Wake { invocation, result: Ok(value) }
    }

    /// The parked call this effect completes.
    pub fn invocation(&self) -> InvocationId {
        match self {
            Effect::Wake { invocation, .. } => *invocation,
        }
    }

    /// Converts the carried value, for hosts that wrap a structure's output in their own.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Effect<U> {
        match self {
            Effect::Wake { invocation, result } => Effect::Wake { invocation, result: result.map(f) },
        }
    }
}

/// The result of applying one command: the caller's reply and the effects for others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied<T> {
    /// What the caller gets back (or that it is parked).
    pub response: Reply<T>,
    /// Wakes for parked callers, in the order they must be delivered.
    pub effects: Vec<Effect<T>>,
}

impl<T> Applied<T> {
    /// A completed call with no effects.
    pub fn ready(result: Result<T, CoreError>) -> Self {
        Applied { response: Reply::Ready(result), effects: Vec::new() }
    }

    /// A successful call with no effects.
    pub fn ok(value: T) -> Self {
        Self::ready(Ok(value))
    }

    /// A failed call with no effects.
    pub fn err(error: CoreError) -> Self {
        Self::ready(Err(error))
    }

    /// A parked call.
    pub fn parked() -> Self {
        Applied { response: Reply::Parked, effects: Vec::new() }
    }

    /// Adds effects to this result.
    pub fn with_effects(mut self, effects: Vec<Effect<T>>) -> Self {
        self.effects.extend(effects);
        self
    }
}

/// Completes a read inside `apply` with the answer [`StateMachine::read`] gave.
///
/// `None` would mean `apply` routed a command as a read that `read` does not answer: a bug,
/// answered with an error instead of a panic (the property tests check it cannot happen).
pub fn answered<O>(read: Option<Result<O, CoreError>>) -> Applied<O> {
    Applied::ready(read.unwrap_or_else(|| Err(CoreError::invalid("read", InvalidReason::NotARead))))
}

/// A deterministic state machine: one structure, a user entity, or a whole group of them.
///
/// Implementations must be pure: no I/O, no clock, no randomness, and iteration only over
/// ordered collections. Time enters only through [`ApplyCtx::now`], and deadlines fire only
/// in [`StateMachine::tick`].
///
/// The optional hooks (`tick`, `cancel`, `release_sessions`, `next_deadline`) have no-op
/// defaults, so a structure that never parks callers or holds per-session state only
/// implements `apply`.
pub trait StateMachine: Serialize + DeserializeOwned {
    /// The commands this machine accepts.
    type Command;
    /// The successful result of a command.
    type Output;

    /// Applies one command.
    fn apply(&mut self, command: Self::Command, ctx: &ApplyCtx) -> Applied<Self::Output>;

    /// Answers `command` from the current state without changing it, if it is a read;
    /// `None` means the command may change state and must be applied through the log.
    ///
    /// Replicas use this to serve reads without writing them to the log (after confirming
    /// leadership, for linearizable reads). For every read, `read` must answer exactly what
    /// `apply` would, and `apply` must leave the state unchanged; kinds route their read
    /// commands in `apply` through [`answered`] so there is one implementation of each.
    fn read(&self, command: &Self::Command, ctx: &ApplyCtx) -> Option<Result<Self::Output, CoreError>> {
        let _ = (command, ctx);
        None
    }

    /// Fires every deadline at or before `ctx.now` (timed waits, leases), returning the wakes
    /// that result. Called by the host when `next_deadline` has passed.
    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<Self::Output>> {
        let _ = ctx;
        Vec::new()
    }

    /// The earliest deadline `tick` would act on, if any. Hosts use it to tick only the
    /// structures that need it.
    fn next_deadline(&self) -> Option<Timestamp> {
        None
    }

    /// Cancels the parked call `invocation`, if this machine holds it. The cancelled caller
    /// is answered with [`CoreError::Cancelled`] in the returned effects, followed by any
    /// wakes the cancellation makes possible (a semaphore waiter behind it, say).
    fn cancel(&mut self, invocation: InvocationId, ctx: &ApplyCtx) -> Vec<Effect<Self::Output>> {
        let _ = (invocation, ctx);
        Vec::new()
    }

    /// Releases everything held by `sessions` (locks, permits, barrier arrivals) and cancels
    /// their parked calls, in one step. All sessions are handled together so that a lock
    /// passes at most once per apply, which keeps fences strictly increasing.
    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, ctx: &ApplyCtx) -> Vec<Effect<Self::Output>> {
        let _ = (sessions, ctx);
        Vec::new()
    }

    /// Serializes the machine's whole state, with a format version.
    fn snapshot(&self) -> Result<Vec<u8>, CoreError> {
        codec::encode(self)
    }

    /// Rebuilds a machine from [`StateMachine::snapshot`] bytes.
    fn restore(bytes: &[u8]) -> Result<Self, CoreError>
    where
        Self: Sized,
    {
        codec::decode(bytes, "snapshot")
    }
}
