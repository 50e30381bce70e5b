//! Semaphore: a fixed number of permits owned by per-handle ids, with optional leases (seed 000).
//!
//! Each acquire takes exactly one permit, and one owner may hold several; a release returns
//! that owner's oldest permit. Owners are client-chosen UUIDs rather than sessions, so a
//! crashed holder's permit comes back when its lease ends in `tick`, not when a session
//! ends; ending a session only answers that session's parked calls.
//!
//! Permits are handed out strictly in arrival order: an acquire never takes a free permit
//! while someone is queued ahead of it. Since every request is for one permit, this costs no
//! throughput (a queued waiter implies no permit is free) and it rules out starvation.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{InvocationId, OwnerId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// How a Semaphore behaves; fixed when the semaphore is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemaphoreConfig {
    /// The total number of permits.
    pub permits: u32,
}

impl Default for SemaphoreConfig {
    fn default() -> Self {
        SemaphoreConfig { permits: 1 }
    }
}

/// Operations on a Semaphore. Owners are chosen by the client handle; no session is needed
/// except to park.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemaphoreCommand {
    /// Take one permit, waiting (FIFO, no deadline) until one is free.
    /// Answers [`SemaphoreOutput::Unit`].
    Acquire {
        /// The handle that acquires.
        owner: OwnerId,
        /// How long the permit stays held without a release; `None` holds it until
        /// released. Must be positive.
        lease: Option<Duration>,
    },
    /// Take one permit if one is free and nobody is queued, otherwise wait up to `timeout`
    /// (none or zero: do not wait). Answers [`SemaphoreOutput::Bool`], whether it was taken.
    TryAcquire {
        /// The handle that acquires.
        owner: OwnerId,
        /// How long the permit stays held without a release; `None` holds it until
        /// released. Must be positive.
        lease: Option<Duration>,
        /// How long to wait for a permit.
        timeout: Option<Duration>,
    },
    /// Return `owner`'s oldest permit. Answers [`SemaphoreOutput::Bool`], `false` when
    /// `owner` holds none.
    Release {
        /// The handle that releases.
        owner: OwnerId,
    },
    /// The number of free permits. Answers [`SemaphoreOutput::Count`].
    Available,
    /// The number of permits `owner` holds. Answers [`SemaphoreOutput::Count`].
    HeldBy {
        /// The handle asked about.
        owner: OwnerId,
    },
}

/// Results of [`SemaphoreCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemaphoreOutput {
    /// A yes/no answer.
    Bool(bool),
    /// A number of permits.
    Count(u64),
    /// Done, nothing to report.
    Unit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Grant {
    owner: OwnerId,
    /// When the lease ends, if the permit has one.
    expires_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SemWait {
    owner: OwnerId,
    /// The lease to start when the permit is granted.
    lease: Option<Duration>,
    /// A try-acquire answers `Bool`; an acquire answers `Unit`.
    is_try: bool,
}

/// A Semaphore's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Semaphore {
    config: SemaphoreConfig,
    /// Held permits, oldest grant first.
    grants: Vec<Grant>,
    waiters: WaitQueue<SemWait>,
}

impl Semaphore {
    /// A semaphore with all of `config.permits` free.
    pub fn new(config: SemaphoreConfig) -> Self {
        Semaphore { config, grants: Vec::new(), waiters: WaitQueue::new() }
    }

    /// The semaphore's configuration.
    pub fn config(&self) -> &SemaphoreConfig {
        &self.config
    }

    /// Number of parked calls.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    fn free_permits(&self) -> u64 {
        let held = u64::try_from(self.grants.len()).unwrap_or(u64::MAX);
        u64::from(self.config.permits).saturating_sub(held)
    }

    fn held_by(&self, owner: OwnerId) -> u64 {
        let held = self.grants.iter().filter(|g| g.owner == owner).count();
        u64::try_from(held).unwrap_or(u64::MAX)
    }

    fn grant(&mut self, owner: OwnerId, lease: Option<Duration>, now: Timestamp) {
        self.grants.push(Grant { owner, expires_at: lease.map(|l| now.saturating_add(l)) });
    }

    fn acquire(
        &mut self,
        owner: OwnerId,
        lease: Option<Duration>,
        is_try: bool,
        timeout: Option<Duration>,
        ctx: &ApplyCtx,
    ) -> Applied<SemaphoreOutput> {
        let operation = if is_try { "try_acquire" } else { "acquire" };
        if lease.is_some_and(|l| l.is_zero()) {
            return Applied::err(CoreError::invalid(operation, InvalidReason::ZeroPermitLease));
        }
        if self.waiters.is_empty() && self.free_permits() > 0 {
            self.grant(owner, lease, ctx.now);
            return Applied::ok(if is_try { SemaphoreOutput::Bool(true) } else { SemaphoreOutput::Unit });
        }
        let wait = if is_try { timeout.filter(|t| !t.is_zero()) } else { None };
        if is_try && wait.is_none() {
            return Applied::ok(SemaphoreOutput::Bool(false));
        }
        match ctx.require_invocation(operation) {
            Ok(invocation) => {
                self.waiters.push(Waiter::new(invocation, ctx, wait, SemWait { owner, lease, is_try }));
                Applied::parked()
            }
            Err(err) => Applied::err(err),
        }
    }

    fn release(&mut self, owner: OwnerId, ctx: &ApplyCtx) -> Applied<SemaphoreOutput> {
        let Some(oldest) = self.grants.iter().position(|g| g.owner == owner) else {
            return Applied::ok(SemaphoreOutput::Bool(false));
        };
        self.grants.remove(oldest);
        Applied::ok(SemaphoreOutput::Bool(true)).with_effects(self.grant_waiters(ctx))
    }

    /// Hands free permits to the longest waiters; their leases start now.
    fn grant_waiters(&mut self, ctx: &ApplyCtx) -> Vec<Effect<SemaphoreOutput>> {
        let mut effects = Vec::new();
        while self.free_permits() > 0 {
            let Some(waiter) = self.waiters.pop_front() else { break };
            self.grant(waiter.request.owner, waiter.request.lease, ctx.now);
            let output = if waiter.request.is_try { SemaphoreOutput::Bool(true) } else { SemaphoreOutput::Unit };
            effects.push(waiter.answer(Ok(output)));
        }
        effects
    }
}

impl StateMachine for Semaphore {
    type Command = SemaphoreCommand;
    type Output = SemaphoreOutput;

    fn read(&self, command: &SemaphoreCommand, _ctx: &ApplyCtx) -> Option<Result<SemaphoreOutput, CoreError>> {
        match command {
            SemaphoreCommand::Available => Some(Ok(SemaphoreOutput::Count(self.free_permits()))),
            SemaphoreCommand::HeldBy { owner } => Some(Ok(SemaphoreOutput::Count(self.held_by(*owner)))),
            SemaphoreCommand::Acquire { .. }
            | SemaphoreCommand::TryAcquire { .. }
            | SemaphoreCommand::Release { .. } => None,
        }
    }

    fn apply(&mut self, command: SemaphoreCommand, ctx: &ApplyCtx) -> Applied<SemaphoreOutput> {
        match command {
            SemaphoreCommand::Acquire { owner, lease } => self.acquire(owner, lease, false, None, ctx),
            SemaphoreCommand::TryAcquire { owner, lease, timeout } => self.acquire(owner, lease, true, timeout, ctx),
            SemaphoreCommand::Release { owner } => self.release(owner, ctx),
            read @ (SemaphoreCommand::Available | SemaphoreCommand::HeldBy { .. }) => answered(self.read(&read, ctx)),
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<SemaphoreOutput>> {
        // Timed-out waiters first, so a permit freed by an expiring lease never goes to one.
        let mut effects: Vec<_> =
            self.waiters.take_expired(ctx.now).iter().map(|w| w.answer(Ok(SemaphoreOutput::Bool(false)))).collect();
        self.grants.retain(|g| g.expires_at.is_none_or(|at| at > ctx.now));
        effects.extend(self.grant_waiters(ctx));
        effects
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        let lease = self.grants.iter().filter_map(|g| g.expires_at).min();
        [lease, self.waiters.next_deadline()].into_iter().flatten().min()
    }

    fn cancel(&mut self, invocation: InvocationId, ctx: &ApplyCtx) -> Vec<Effect<SemaphoreOutput>> {
        let mut effects: Vec<_> = self.waiters.remove(invocation).map(|w| w.cancelled()).into_iter().collect();
        // A no-op while the queue is only non-empty when no permit is free; kept so that
        // removing a waiter can never strand a free permit.
        effects.extend(self.grant_waiters(ctx));
        effects
    }

    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, ctx: &ApplyCtx) -> Vec<Effect<SemaphoreOutput>> {
        // Permits belong to owners, not sessions: only parked calls end with the session.
        let mut effects: Vec<_> = self.waiters.take_sessions(sessions).iter().map(|w| w.session_ended()).collect();
        effects.extend(self.grant_waiters(ctx));
        effects
    }
}

#[cfg(test)]
#[path = "semaphore_tests.rs"]
mod tests;
