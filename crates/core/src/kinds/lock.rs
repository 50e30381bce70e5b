//! Lock: a non-reentrant mutex owned by a per-handle id, with an optional lease (seed 000).
//!
//! The owner is a UUID chosen by the client handle, not a session: the sharded engine has
//! no sessions to expire, so a crashed holder is freed by its lease instead. A lease runs
//! from the moment the lock is granted and ends in `tick`, which hands the lock to the next
//! waiter in the same step. Ending a session therefore only answers that session's parked
//! calls; it never frees a holding.
//!
//! An acquire by the current holder is idempotent (same fence, lease restarted from now)
//! rather than reentrant: a client that retries an acquire whose reply was lost must not
//! deadlock against itself, and one release always frees the lock.
//!
//! Fences come from a per-lock counter rather than the log index, because the sharded
//! engine's index is a shard version that other structures in the shard also advance;
//! a counter keeps them dense and strictly increasing across holders of this lock.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{Fence, InvocationId, OwnerId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// Operations on a Lock. Owners are chosen by the client handle; no session is needed
/// except to park.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockCommand {
    /// Acquire, waiting (FIFO, no deadline) while another owner holds it.
    /// Answers [`LockOutput::Fence`].
    Acquire {
        /// The handle that acquires.
        owner: OwnerId,
        /// How long the lock stays held without a release; `None` holds it until released.
        /// Must be positive.
        lease: Option<Duration>,
    },
    /// Acquire if free (or already held by `owner`), otherwise wait up to `timeout`
    /// (none or zero: do not wait). Answers [`LockOutput::MaybeFence`], `None` when not
    /// acquired.
    TryAcquire {
        /// The handle that acquires.
        owner: OwnerId,
        /// How long the lock stays held without a release; `None` holds it until released.
        /// Must be positive.
        lease: Option<Duration>,
        /// How long to wait for the lock.
        timeout: Option<Duration>,
    },
    /// Free the lock if `owner` holds it. Answers [`LockOutput::Bool`], `false` when
    /// `owner` is not the holder.
    Release {
        /// The handle that releases.
        owner: OwnerId,
    },
    /// Whether anyone holds the lock. Answers [`LockOutput::Bool`].
    IsLocked,
    /// The current holder and its fence. Answers [`LockOutput::Holder`].
    Holder,
}

/// Results of [`LockCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockOutput {
    /// The lock was acquired (or already held) with this fence.
    Fence(Fence),
    /// A try-acquire's result: the fence, or `None` when not acquired in time.
    MaybeFence(Option<Fence>),
    /// A yes/no answer.
    Bool(bool),
    /// The current holder and its fence, or `None` when the lock is free.
    Holder(Option<(OwnerId, Fence)>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    owner: OwnerId,
    fence: Fence,
    /// When the lease ends, if the holding has one.
    expires_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LockWait {
    owner: OwnerId,
    /// The lease to start when the lock is granted.
    lease: Option<Duration>,
    /// A try-acquire answers `MaybeFence`; an acquire answers `Fence`.
    is_try: bool,
}

/// A Lock's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    holder: Option<Holder>,
    /// The fence of the latest grant; the next grant uses one more.
    last_fence: u64,
    waiters: WaitQueue<LockWait>,
}

impl Lock {
    /// Number of parked calls.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    fn acquire(
        &mut self,
        owner: OwnerId,
        lease: Option<Duration>,
        is_try: bool,
        timeout: Option<Duration>,
        ctx: &ApplyCtx,
    ) -> Applied<LockOutput> {
        let operation = if is_try { "try_acquire" } else { "acquire" };
        if lease.is_some_and(|l| l.is_zero()) {
            return Applied::err(CoreError::invalid(operation, InvalidReason::ZeroLockLease));
        }
        let answer = |fence| if is_try { LockOutput::MaybeFence(Some(fence)) } else { LockOutput::Fence(fence) };
        match &mut self.holder {
            None => match self.grant(owner, lease, ctx.now, operation) {
                Ok(fence) => Applied::ok(answer(fence)),
                Err(err) => Applied::err(err),
            },
            Some(holder) if holder.owner == owner => {
                // A retried acquire: same fence, the lease restarts from now.
                holder.expires_at = lease.map(|l| ctx.now.saturating_add(l));
                Applied::ok(answer(holder.fence))
            }
            Some(_) => {
                let wait = if is_try { timeout.filter(|t| !t.is_zero()) } else { None };
                if is_try && wait.is_none() {
                    return Applied::ok(LockOutput::MaybeFence(None));
                }
                match ctx.require_invocation(operation) {
                    Ok(invocation) => {
                        self.waiters.push(Waiter::new(invocation, ctx, wait, LockWait { owner, lease, is_try }));
                        Applied::parked()
                    }
                    Err(err) => Applied::err(err),
                }
            }
        }
    }

    /// Makes `owner` the holder of a free lock with the next fence.
    fn grant(
        &mut self,
        owner: OwnerId,
        lease: Option<Duration>,
        now: Timestamp,
        operation: &'static str,
    ) -> Result<Fence, CoreError> {
        debug_assert!(self.holder.is_none());
        let next = self.last_fence.checked_add(1).ok_or(CoreError::overflow(operation))?;
        self.last_fence = next;
        let fence = Fence(next);
        self.holder = Some(Holder { owner, fence, expires_at: lease.map(|l| now.saturating_add(l)) });
        Ok(fence)
    }

    fn release(&mut self, owner: OwnerId, ctx: &ApplyCtx) -> Applied<LockOutput> {
        if self.holder.as_ref().is_none_or(|h| h.owner != owner) {
            return Applied::ok(LockOutput::Bool(false));
        }
        self.holder = None;
        Applied::ok(LockOutput::Bool(true)).with_effects(self.grant_next(ctx))
    }

    /// Hands a free lock to the longest waiter; its lease starts now.
    fn grant_next(&mut self, ctx: &ApplyCtx) -> Vec<Effect<LockOutput>> {
        let mut effects = Vec::new();
        while self.holder.is_none() {
            let Some(waiter) = self.waiters.pop_front() else { break };
            let LockWait { owner, lease, is_try } = waiter.request;
            let operation = if is_try { "try_acquire" } else { "acquire" };
            let result = self
                .grant(owner, lease, ctx.now, operation)
                .map(|fence| if is_try { LockOutput::MaybeFence(Some(fence)) } else { LockOutput::Fence(fence) });
            effects.push(waiter.answer(result));
        }
        effects
    }
}

impl StateMachine for Lock {
    type Command = LockCommand;
    type Output = LockOutput;

    fn read(&self, command: &LockCommand, _ctx: &ApplyCtx) -> Option<Result<LockOutput, CoreError>> {
        match command {
            LockCommand::IsLocked => Some(Ok(LockOutput::Bool(self.holder.is_some()))),
            LockCommand::Holder => Some(Ok(LockOutput::Holder(self.holder.as_ref().map(|h| (h.owner, h.fence))))),
            LockCommand::Acquire { .. } | LockCommand::TryAcquire { .. } | LockCommand::Release { .. } => None,
        }
    }

    fn apply(&mut self, command: LockCommand, ctx: &ApplyCtx) -> Applied<LockOutput> {
        match command {
            LockCommand::Acquire { owner, lease } => self.acquire(owner, lease, false, None, ctx),
            LockCommand::TryAcquire { owner, lease, timeout } => self.acquire(owner, lease, true, timeout, ctx),
            LockCommand::Release { owner } => self.release(owner, ctx),
            read @ (LockCommand::IsLocked | LockCommand::Holder) => answered(self.read(&read, ctx)),
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<LockOutput>> {
        // Timed-out waiters first, so an expiring lease is never handed to one of them.
        let mut effects: Vec<_> =
            self.waiters.take_expired(ctx.now).iter().map(|w| w.answer(Ok(LockOutput::MaybeFence(None)))).collect();
        if self.holder.as_ref().and_then(|h| h.expires_at).is_some_and(|at| at <= ctx.now) {
            self.holder = None;
            effects.extend(self.grant_next(ctx));
        }
        effects
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        let lease = self.holder.as_ref().and_then(|h| h.expires_at);
        [lease, self.waiters.next_deadline()].into_iter().flatten().min()
    }

    fn cancel(&mut self, invocation: InvocationId, _ctx: &ApplyCtx) -> Vec<Effect<LockOutput>> {
        self.waiters.remove(invocation).map(|w| w.cancelled()).into_iter().collect()
    }

    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, _ctx: &ApplyCtx) -> Vec<Effect<LockOutput>> {
        // Holdings belong to owners, not sessions: only parked calls end with the session.
        self.waiters.take_sessions(sessions).iter().map(|w| w.session_ended()).collect()
    }
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
