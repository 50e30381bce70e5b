//! FencedLock: a reentrant mutex owned by (session, owner) that hands out fencing tokens.
//!
//! The fence is the log index of the command that granted the lock, so it strictly
//! increases across holders (every grant happens at a later index) and stays the same for
//! reentrant acquires. A holder whose session expires loses the lock in the same apply that
//! notices the expiry, and the next waiter is granted it there and then.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, NotOwnerReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{Fence, InvocationId, OwnerId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// How a FencedLock behaves; fixed when the lock is created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FencedLockConfig {
    /// How many times one holder may acquire the lock without unlocking. `None` means no
    /// limit; `Some(1)` makes the lock non-reentrant.
    pub acquire_limit: Option<NonZeroU32>,
}

/// Operations on a FencedLock. The caller's session comes from the [`ApplyCtx`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FencedLockCommand {
    /// Acquire, waiting (FIFO) while another owner holds it. Answers [`FencedLockOutput::Fence`].
    Lock {
        /// The task within the session that acquires.
        owner: OwnerId,
    },
    /// Acquire if free, otherwise wait up to `timeout` (none or zero: do not wait).
    /// Answers [`FencedLockOutput::MaybeFence`], `None` when not acquired.
    TryLock {
        /// The task within the session that acquires.
        owner: OwnerId,
        /// How long to wait for the lock.
        timeout: Option<Duration>,
    },
    /// Release one hold. Errors unless the caller holds the lock.
    Unlock {
        /// The task within the session that releases.
        owner: OwnerId,
    },
    /// Whether anyone holds the lock.
    IsLocked,
    /// Whether the caller holds the lock.
    IsLockedByMe {
        /// The task within the session asking.
        owner: OwnerId,
    },
    /// How many times the current holder has acquired it (0 when free).
    LockCount,
    /// The caller's current fence. Errors unless the caller holds the lock.
    Fence {
        /// The task within the session asking.
        owner: OwnerId,
    },
}

/// Results of [`FencedLockCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FencedLockOutput {
    /// The lock was acquired (or already held) with this fence.
    Fence(Fence),
    /// A try-lock's result: the fence, or `None` when not acquired in time.
    MaybeFence(Option<Fence>),
    /// A yes/no answer.
    Bool(bool),
    /// A hold count.
    Count(u32),
    /// Done, nothing to report.
    Unit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    session: SessionId,
    owner: OwnerId,
    count: u32,
    fence: Fence,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LockWait {
    owner: OwnerId,
    /// A try-lock answers `MaybeFence`; a lock answers `Fence`.
    is_try: bool,
}

/// A FencedLock's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FencedLock {
    config: FencedLockConfig,
    holder: Option<Holder>,
    waiters: WaitQueue<LockWait>,
}

impl FencedLock {
    /// A free lock with `config`.
    pub fn new(config: FencedLockConfig) -> Self {
        FencedLock { config, holder: None, waiters: WaitQueue::new() }
    }

    /// The lock's configuration.
    pub fn config(&self) -> &FencedLockConfig {
        &self.config
    }

    /// Number of parked calls.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    fn is_held_by(&self, session: Option<SessionId>, owner: OwnerId) -> bool {
        self.holder.as_ref().is_some_and(|h| Some(h.session) == session && h.owner == owner)
    }

    fn acquire(
        &mut self,
        owner: OwnerId,
        is_try: bool,
        timeout: Option<Duration>,
        ctx: &ApplyCtx,
    ) -> Applied<FencedLockOutput> {
        let operation = if is_try { "try_lock" } else { "lock" };
        let session = match ctx.require_session(operation) {
            Ok(session) => session,
            Err(err) => return Applied::err(err),
        };
        let answer =
            |fence| if is_try { FencedLockOutput::MaybeFence(Some(fence)) } else { FencedLockOutput::Fence(fence) };
        match &mut self.holder {
            None => {
                let fence = Fence(ctx.index.0);
                self.holder = Some(Holder { session, owner, count: 1, fence });
                Applied::ok(answer(fence))
            }
            Some(holder) if holder.session == session && holder.owner == owner => {
                if let Some(limit) = self.config.acquire_limit
                    && holder.count >= limit.get()
                {
                    return Applied::err(CoreError::AcquireLimitReached { limit: limit.get() });
                }
                holder.count = holder.count.saturating_add(1);
                Applied::ok(answer(holder.fence))
            }
            Some(_) => {
                let wait = if is_try { timeout.filter(|t| !t.is_zero()) } else { None };
                if is_try && wait.is_none() {
                    return Applied::ok(FencedLockOutput::MaybeFence(None));
                }
                match ctx.require_invocation(operation) {
                    Ok(invocation) => {
                        self.waiters.push(Waiter::new(invocation, ctx, wait, LockWait { owner, is_try }));
                        Applied::parked()
                    }
                    Err(err) => Applied::err(err),
                }
            }
        }
    }

    fn unlock(&mut self, owner: OwnerId, ctx: &ApplyCtx) -> Applied<FencedLockOutput> {
        let Some(holder) = &mut self.holder else {
            return Applied::err(CoreError::not_owner(NotOwnerReason::NotHeld));
        };
        if Some(holder.session) != ctx.session || holder.owner != owner {
            return Applied::err(CoreError::not_owner(NotOwnerReason::HeldBy {
                session: holder.session,
                owner: holder.owner,
            }));
        }
        holder.count -= 1;
        if holder.count > 0 {
            return Applied::ok(FencedLockOutput::Unit);
        }
        self.holder = None;
        Applied::ok(FencedLockOutput::Unit).with_effects(self.grant_next(ctx))
    }

    /// Hands a free lock to the longest waiter, at this command's index. (Every waiter was
    /// parked in a session; one without would be refused, never made the holder.)
    fn grant_next(&mut self, ctx: &ApplyCtx) -> Vec<Effect<FencedLockOutput>> {
        debug_assert!(self.holder.is_none());
        let mut effects = Vec::new();
        while let Some(waiter) = self.waiters.pop_front() {
            let Some(session) = waiter.session else {
                effects.push(waiter.answer(Err(CoreError::SessionRequired { operation: "lock".into() })));
                continue;
            };
            let fence = Fence(ctx.index.0);
            self.holder = Some(Holder { session, owner: waiter.request.owner, count: 1, fence });
            let output = if waiter.request.is_try {
                FencedLockOutput::MaybeFence(Some(fence))
            } else {
                FencedLockOutput::Fence(fence)
            };
            effects.push(waiter.answer(Ok(output)));
            break;
        }
        effects
    }
}

impl StateMachine for FencedLock {
    type Command = FencedLockCommand;
    type Output = FencedLockOutput;

    fn read(&self, command: &FencedLockCommand, ctx: &ApplyCtx) -> Option<Result<FencedLockOutput, CoreError>> {
        Some(match command {
            FencedLockCommand::IsLocked => Ok(FencedLockOutput::Bool(self.holder.is_some())),
            FencedLockCommand::IsLockedByMe { owner } => {
                Ok(FencedLockOutput::Bool(self.is_held_by(ctx.session, *owner)))
            }
            FencedLockCommand::LockCount => Ok(FencedLockOutput::Count(self.holder.as_ref().map_or(0, |h| h.count))),
            FencedLockCommand::Fence { owner } => match &self.holder {
                Some(h) if Some(h.session) == ctx.session && h.owner == *owner => Ok(FencedLockOutput::Fence(h.fence)),
                _ => Err(CoreError::not_owner(NotOwnerReason::NoFence)),
            },
            FencedLockCommand::Lock { .. } | FencedLockCommand::TryLock { .. } | FencedLockCommand::Unlock { .. } => {
                return None;
            }
        })
    }

    fn apply(&mut self, command: FencedLockCommand, ctx: &ApplyCtx) -> Applied<FencedLockOutput> {
        match command {
            FencedLockCommand::Lock { owner } => self.acquire(owner, false, None, ctx),
            FencedLockCommand::TryLock { owner, timeout } => self.acquire(owner, true, timeout, ctx),
            FencedLockCommand::Unlock { owner } => self.unlock(owner, ctx),
            read @ (FencedLockCommand::IsLocked
            | FencedLockCommand::IsLockedByMe { .. }
            | FencedLockCommand::LockCount
            | FencedLockCommand::Fence { .. }) => answered(self.read(&read, ctx)),
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<FencedLockOutput>> {
        // Only try-locks carry deadlines; timing out never frees the lock itself.
        self.waiters.take_expired(ctx.now).iter().map(|w| w.answer(Ok(FencedLockOutput::MaybeFence(None)))).collect()
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.waiters.next_deadline()
    }

    fn cancel(&mut self, invocation: InvocationId, _ctx: &ApplyCtx) -> Vec<Effect<FencedLockOutput>> {
        self.waiters.remove(invocation).map(|w| w.cancelled()).into_iter().collect()
    }

    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, ctx: &ApplyCtx) -> Vec<Effect<FencedLockOutput>> {
        let mut effects: Vec<_> = self.waiters.take_sessions(sessions).iter().map(|w| w.session_ended()).collect();
        if self.holder.as_ref().is_some_and(|h| sessions.contains(&h.session)) {
            self.holder = None;
            effects.extend(self.grant_next(ctx));
        }
        effects
    }
}

#[cfg(test)]
#[path = "fenced_lock_tests.rs"]
mod tests;
