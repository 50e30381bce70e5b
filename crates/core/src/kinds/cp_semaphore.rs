//! CpSemaphore: a counting semaphore whose permits belong to CP sessions (Hazelcast CP
//! `ISemaphore`, session-aware mode).
//!
//! Permits held by a session go back to the pool when the session ends, so a crashed
//! client cannot leak them. Waiters are served strictly first come, first served: a new
//! acquire never overtakes a parked one even when enough permits are free for it, and a
//! large request at the head blocks smaller ones behind it. That costs throughput but means
//! a caller asking for many permits is never starved by a stream of small requests.
//! `reduce_permits` may drive the available count negative (permits already held stay
//! held and are simply not replaced when released), which is why the count is signed.
//! The total of available and held permits never exceeds `i64::MAX`, so returning a
//! session's permits can never overflow.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{InvocationId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// Operations on a CpSemaphore. The caller's session comes from the [`ApplyCtx`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CpSemaphoreCommand {
    /// Set the initial number of permits. Allowed once, and not after
    /// `IncreasePermits`/`ReducePermits`.
    Init {
        /// The initial permits, at most `i64::MAX`.
        permits: u64,
    },
    /// Take `permits` for the caller's session, waiting (FIFO) until they are available.
    Acquire {
        /// Permits wanted, at least 1.
        permits: u64,
    },
    /// Take `permits` if available, otherwise wait up to `timeout` (none or zero: do not
    /// wait). Answers [`CpSemaphoreOutput::Bool`]: whether they were taken.
    TryAcquire {
        /// Permits wanted, at least 1.
        permits: u64,
        /// How long to wait for them.
        timeout: Option<Duration>,
    },
    /// Give back `permits` held by the caller's session.
    Release {
        /// Permits to give back, at least 1.
        permits: u64,
    },
    /// The permits available now (negative after a reduction below what is held).
    AvailablePermits,
    /// Take every available permit for the caller's session, answering how many.
    DrainPermits,
    /// Remove `permits` from the available pool (it may go negative).
    ReducePermits {
        /// Permits to remove.
        permits: u64,
    },
    /// Add `permits` to the available pool, serving waiters.
    IncreasePermits {
        /// Permits to add.
        permits: u64,
    },
}

/// Results of [`CpSemaphoreCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CpSemaphoreOutput {
    /// A number of permits.
    Permits(i64),
    /// A yes/no answer (whether a try-acquire got its permits).
    Bool(bool),
    /// Done, nothing to report.
    Unit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PermitWait {
    permits: u64,
    /// A try-acquire answers `Bool`; an acquire answers `Unit`.
    is_try: bool,
}

/// A CpSemaphore's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpSemaphore {
    initialized: bool,
    available: i64,
    /// Permits held per session; sessions holding none are absent.
    held: BTreeMap<SessionId, u64>,
    waiters: WaitQueue<PermitWait>,
}

/// `permits` as a signed count, refusing values no pool can hold.
fn signed(permits: u64, operation: &'static str) -> Result<i64, CoreError> {
    i64::try_from(permits)
        .map_err(|_| CoreError::invalid(operation, InvalidReason::TooManyPermits { max: i64::MAX.unsigned_abs() }))
}

/// Like [`signed`], also refusing 0.
fn positive(permits: u64, operation: &'static str) -> Result<i64, CoreError> {
    if permits == 0 {
        return Err(CoreError::invalid(operation, InvalidReason::ZeroPermits));
    }
    signed(permits, operation)
}

impl CpSemaphore {
    /// Whether `Init`, `IncreasePermits` or `ReducePermits` has been applied.
    pub fn initialized(&self) -> bool {
        self.initialized
    }

    /// The permits available now.
    pub fn available(&self) -> i64 {
        self.available
    }

    /// The permits held by `session`.
    pub fn held_by(&self, session: SessionId) -> u64 {
        self.held.get(&session).copied().unwrap_or(0)
    }

    /// Number of parked calls.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// Available plus held permits, which only `Init`, `IncreasePermits` and
    /// `ReducePermits` change.
    fn total(&self) -> i128 {
        self.held.values().fold(i128::from(self.available), |sum, &held| sum.saturating_add(i128::from(held)))
    }

    /// Moves `permits` (= `signed`) from the pool to `session`.
    fn take(
        &mut self,
        session: SessionId,
        permits: u64,
        signed: i64,
        operation: &'static str,
    ) -> Result<(), CoreError> {
        let available = self.available.checked_sub(signed).ok_or(CoreError::overflow(operation))?;
        let held = self.held_by(session).checked_add(permits).ok_or(CoreError::overflow(operation))?;
        self.available = available;
        if held > 0 {
            self.held.insert(session, held);
        }
        Ok(())
    }

    fn acquire(
        &mut self,
        permits: u64,
        is_try: bool,
        timeout: Option<Duration>,
        ctx: &ApplyCtx,
    ) -> Applied<CpSemaphoreOutput> {
        let operation = if is_try { "try_acquire" } else { "acquire" };
        let wanted = match positive(permits, operation) {
            Ok(wanted) => wanted,
            Err(err) => return Applied::err(err),
        };
        let session = match ctx.require_session(operation) {
            Ok(session) => session,
            Err(err) => return Applied::err(err),
        };
        if self.waiters.is_empty() && wanted <= self.available {
            let granted = if is_try { CpSemaphoreOutput::Bool(true) } else { CpSemaphoreOutput::Unit };
            return Applied::ready(self.take(session, permits, wanted, operation).map(|()| granted));
        }
        let wait = if is_try { timeout.filter(|t| !t.is_zero()) } else { None };
        if is_try && wait.is_none() {
            return Applied::ok(CpSemaphoreOutput::Bool(false));
        }
        match ctx.require_invocation(operation) {
            Ok(invocation) => {
                self.waiters.push(Waiter::new(invocation, ctx, wait, PermitWait { permits, is_try }));
                Applied::parked()
            }
            Err(err) => Applied::err(err),
        }
    }

    fn release(&mut self, permits: u64, ctx: &ApplyCtx) -> Result<Vec<Effect<CpSemaphoreOutput>>, CoreError> {
        let returned = positive(permits, "release")?;
        let session = ctx.require_session("release")?;
        let held = self.held_by(session);
        let rest = held.checked_sub(permits).ok_or(CoreError::PermitsNotHeld { requested: permits, held })?;
        self.available = self.available.checked_add(returned).ok_or(CoreError::overflow("release"))?;
        if rest == 0 {
            self.held.remove(&session);
        } else {
            self.held.insert(session, rest);
        }
        Ok(self.grant_waiters())
    }

    fn drain(&mut self, ctx: &ApplyCtx) -> Result<CpSemaphoreOutput, CoreError> {
        let session = ctx.require_session("drain_permits")?;
        let drained = self.available.max(0);
        // `drained` is not negative, so the conversion cannot fail.
        let permits = u64::try_from(drained).unwrap_or(0);
        self.take(session, permits, drained, "drain_permits")?;
        Ok(CpSemaphoreOutput::Permits(drained))
    }

    fn init(&mut self, permits: u64) -> Result<Vec<Effect<CpSemaphoreOutput>>, CoreError> {
        let permits = signed(permits, "init")?;
        if self.initialized {
            return Err(CoreError::AlreadyInitialized);
        }
        // Before the first init nothing can have been granted, so the pool is empty.
        self.available = permits;
        self.initialized = true;
        Ok(self.grant_waiters())
    }

    fn increase(&mut self, permits: u64) -> Result<Vec<Effect<CpSemaphoreOutput>>, CoreError> {
        let operation = "increase_permits";
        let added = signed(permits, operation)?;
        if self.total().saturating_add(i128::from(added)) > i128::from(i64::MAX) {
            return Err(CoreError::overflow(operation));
        }
        self.available = self.available.checked_add(added).ok_or(CoreError::overflow(operation))?;
        self.initialized = true;
        Ok(self.grant_waiters())
    }

    fn reduce(&mut self, permits: u64) -> Result<CpSemaphoreOutput, CoreError> {
        let operation = "reduce_permits";
        let removed = signed(permits, operation)?;
        self.available = self.available.checked_sub(removed).ok_or(CoreError::overflow(operation))?;
        self.initialized = true;
        Ok(CpSemaphoreOutput::Unit)
    }

    /// Grants waiters from the head of the queue while the head's request fits, stopping
    /// at the first that does not (strict FIFO).
    fn grant_waiters(&mut self) -> Vec<Effect<CpSemaphoreOutput>> {
        let mut effects = Vec::new();
        while let Some(front) = self.waiters.front() {
            // Parked requests were checked to fit in an i64.
            let Ok(wanted) = i64::try_from(front.request.permits) else { break };
            if wanted > self.available {
                break;
            }
            let Some(waiter) = self.waiters.pop_front() else { break };
            let PermitWait { permits, is_try } = waiter.request;
            let operation = if is_try { "try_acquire" } else { "acquire" };
            let granted = if is_try { CpSemaphoreOutput::Bool(true) } else { CpSemaphoreOutput::Unit };
            // Every waiter was parked in a session; one without is refused, never granted.
            let result = match waiter.session {
                Some(session) => self.take(session, permits, wanted, operation).map(|()| granted),
                None => Err(CoreError::SessionRequired { operation: operation.into() }),
            };
            effects.push(waiter.answer(result));
        }
        effects
    }
}

impl StateMachine for CpSemaphore {
    type Command = CpSemaphoreCommand;
    type Output = CpSemaphoreOutput;

    fn read(&self, command: &CpSemaphoreCommand, _ctx: &ApplyCtx) -> Option<Result<CpSemaphoreOutput, CoreError>> {
        use CpSemaphoreCommand as C;
        match command {
            C::AvailablePermits => Some(Ok(CpSemaphoreOutput::Permits(self.available))),
            C::Init { .. }
            | C::Acquire { .. }
            | C::TryAcquire { .. }
            | C::Release { .. }
            | C::DrainPermits
            | C::ReducePermits { .. }
            | C::IncreasePermits { .. } => None,
        }
    }

    fn apply(&mut self, command: CpSemaphoreCommand, ctx: &ApplyCtx) -> Applied<CpSemaphoreOutput> {
        use CpSemaphoreCommand as C;
        let with_wakes = |result: Result<Vec<Effect<CpSemaphoreOutput>>, CoreError>| match result {
            Ok(effects) => Applied::ok(CpSemaphoreOutput::Unit).with_effects(effects),
            Err(err) => Applied::err(err),
        };
        match command {
            C::Init { permits } => with_wakes(self.init(permits)),
            C::Acquire { permits } => self.acquire(permits, false, None, ctx),
            C::TryAcquire { permits, timeout } => self.acquire(permits, true, timeout, ctx),
            C::Release { permits } => with_wakes(self.release(permits, ctx)),
            read @ C::AvailablePermits => answered(self.read(&read, ctx)),
            C::DrainPermits => Applied::ready(self.drain(ctx)),
            C::ReducePermits { permits } => Applied::ready(self.reduce(permits)),
            C::IncreasePermits { permits } => with_wakes(self.increase(permits)),
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<CpSemaphoreOutput>> {
        // Only try-acquires carry deadlines. An expired head may have been blocking others.
        let expired = self.waiters.take_expired(ctx.now);
        if expired.is_empty() {
            return Vec::new();
        }
        let mut effects: Vec<_> = expired.iter().map(|w| w.answer(Ok(CpSemaphoreOutput::Bool(false)))).collect();
        effects.extend(self.grant_waiters());
        effects
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.waiters.next_deadline()
    }

    fn cancel(&mut self, invocation: InvocationId, _ctx: &ApplyCtx) -> Vec<Effect<CpSemaphoreOutput>> {
        let Some(waiter) = self.waiters.remove(invocation) else { return Vec::new() };
        let mut effects = vec![waiter.cancelled()];
        effects.extend(self.grant_waiters());
        effects
    }

    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, _ctx: &ApplyCtx) -> Vec<Effect<CpSemaphoreOutput>> {
        let mut effects: Vec<_> = self.waiters.take_sessions(sessions).iter().map(|w| w.session_ended()).collect();
        for session in sessions {
            if let Some(held) = self.held.remove(session) {
                // The total never exceeds i64::MAX (see `increase`), so neither step saturates.
                let held = i64::try_from(held).unwrap_or(i64::MAX);
                self.available = self.available.saturating_add(held);
            }
        }
        effects.extend(self.grant_waiters());
        effects
    }
}

#[cfg(test)]
#[path = "cp_semaphore_tests.rs"]
mod tests;
