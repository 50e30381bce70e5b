//! Barrier: a reusable rendezvous point for a fixed number of parties (seed 000).
//!
//! There is no configured party count: each arrival says how many parties it expects, and
//! the first arrival of a round fixes it. A later arrival that disagrees is refused with
//! [`CoreError::BarrierMismatch`] rather than silently joining, because two groups that
//! believe in different counts would otherwise release each other early or never.
//!
//! The arrival that completes a round is answered directly and every parked arrival is
//! woken with the same round number; the barrier then starts the next round empty, so it
//! can be reused without a reset. An arrival that times out, is cancelled or whose session
//! ends is withdrawn (it no longer counts towards the round), and a round that loses all
//! its arrivals forgets its party count, so the next arrival may choose a new one.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{InvocationId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// Operations on a Barrier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarrierCommand {
    /// Arrive and wait until `expected` parties (this one included) have arrived in this
    /// round, or until `timeout` passes (none: wait indefinitely; zero: do not wait).
    /// Answers [`BarrierOutput::Released`] or [`BarrierOutput::TimedOut`].
    Arrive {
        /// The round's party count, at least 1; every arrival of a round must agree.
        expected: u64,
        /// How long to wait for the other parties.
        timeout: Option<Duration>,
    },
    /// How many arrivals are parked in the current round. Answers [`BarrierOutput::Count`].
    Waiting,
    /// The current round number. Answers [`BarrierOutput::Round`].
    Round,
}

/// Results of [`BarrierCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarrierOutput {
    /// All parties arrived; `round` is the round they completed.
    Released {
        /// The completed round's number.
        round: u64,
    },
    /// The arrival gave up before the round completed and no longer counts towards it.
    TimedOut,
    /// A number of arrivals.
    Count(u64),
    /// A round number.
    Round(u64),
}

/// A Barrier's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Barrier {
    /// The current round, counted from 0.
    round: u64,
    /// The current round's party count; `None` while nobody is waiting.
    parties: Option<u64>,
    arrivals: WaitQueue<()>,
}

impl Barrier {
    /// The current round number.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// Number of arrivals parked in the current round.
    pub fn waiting(&self) -> usize {
        self.arrivals.len()
    }

    fn arrive(&mut self, expected: u64, timeout: Option<Duration>, ctx: &ApplyCtx) -> Applied<BarrierOutput> {
        if expected == 0 {
            return Applied::err(CoreError::invalid("arrive", InvalidReason::ZeroParties));
        }
        if let Some(parties) = self.parties
            && parties != expected
        {
            return Applied::err(CoreError::BarrierMismatch { round: self.round, expected: parties, got: expected });
        }
        let arrived = u64::try_from(self.arrivals.len()).unwrap_or(u64::MAX).saturating_add(1);
        if arrived == expected {
            let Some(next_round) = self.round.checked_add(1) else {
                return Applied::err(CoreError::overflow("arrive"));
            };
            let released = BarrierOutput::Released { round: self.round };
            let effects = self.arrivals.take_all().iter().map(|w| w.answer(Ok(released.clone()))).collect();
            self.round = next_round;
            self.parties = None;
            return Applied::ok(released).with_effects(effects);
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            return Applied::ok(BarrierOutput::TimedOut);
        }
        match ctx.require_invocation("arrive") {
            Ok(invocation) => {
                self.arrivals.push(Waiter::new(invocation, ctx, timeout, ()));
                self.parties = Some(expected);
                Applied::parked()
            }
            Err(err) => Applied::err(err),
        }
    }

    /// Forgets the round's party count once every arrival has been withdrawn.
    fn reset_if_empty(&mut self) {
        if self.arrivals.is_empty() {
            self.parties = None;
        }
    }
}

impl StateMachine for Barrier {
    type Command = BarrierCommand;
    type Output = BarrierOutput;

    fn read(&self, command: &BarrierCommand, _ctx: &ApplyCtx) -> Option<Result<BarrierOutput, CoreError>> {
        match command {
            BarrierCommand::Waiting => {
                Some(Ok(BarrierOutput::Count(u64::try_from(self.arrivals.len()).unwrap_or(u64::MAX))))
            }
            BarrierCommand::Round => Some(Ok(BarrierOutput::Round(self.round))),
            BarrierCommand::Arrive { .. } => None,
        }
    }

    fn apply(&mut self, command: BarrierCommand, ctx: &ApplyCtx) -> Applied<BarrierOutput> {
        match command {
            BarrierCommand::Arrive { expected, timeout } => self.arrive(expected, timeout, ctx),
            read @ (BarrierCommand::Waiting | BarrierCommand::Round) => answered(self.read(&read, ctx)),
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<BarrierOutput>> {
        let effects =
            self.arrivals.take_expired(ctx.now).iter().map(|w| w.answer(Ok(BarrierOutput::TimedOut))).collect();
        self.reset_if_empty();
        effects
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.arrivals.next_deadline()
    }

    fn cancel(&mut self, invocation: InvocationId, _ctx: &ApplyCtx) -> Vec<Effect<BarrierOutput>> {
        let effects = self.arrivals.remove(invocation).map(|w| w.cancelled()).into_iter().collect();
        self.reset_if_empty();
        effects
    }

    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, _ctx: &ApplyCtx) -> Vec<Effect<BarrierOutput>> {
        let effects = self.arrivals.take_sessions(sessions).iter().map(|w| w.session_ended()).collect();
        self.reset_if_empty();
        effects
    }
}

#[cfg(test)]
#[path = "barrier_tests.rs"]
mod tests;
