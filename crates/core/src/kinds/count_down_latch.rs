//! CountDownLatch: a one-shot gate that opens when a count reaches zero, reusable in rounds
//! (Hazelcast CP `ICountDownLatch`).
//!
//! Every `set_count` starts a new round. A count-down names the round it belongs to, so a
//! retried or late count-down from a finished round is ignored instead of eating into the
//! next one, and one naming a round that has not started is refused (the caller read a
//! round that does not exist yet). Within a round each invocation counts at most once,
//! so a client retry after a lost reply does not count twice. `try_set_count` answers
//! `false` rather than failing while a round is running, because the usual pattern has
//! every participant call it and only the first one win; `set_count` is the strict form.
//! A latch that was never set has count 0, so `await` on it returns at once, as in
//! Hazelcast.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{InvocationId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// Operations on a CountDownLatch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CountDownLatchCommand {
    /// Start a new round with `count` if the current count is 0; answers whether it did.
    TrySetCount {
        /// The new count, at least 1.
        count: u64,
    },
    /// Start a new round with `count`; errors unless the current count is 0.
    SetCount {
        /// The new count, at least 1.
        count: u64,
    },
    /// Count down once in round `expected_round`, answering the remaining count. Stale
    /// rounds and repeated count-downs by one invocation are ignored.
    CountDown {
        /// The round the caller read (from `GetRound`).
        expected_round: u64,
    },
    /// The current count.
    GetCount,
    /// The current round (0 before the count was ever set).
    GetRound,
    /// Wait until the count is 0, up to `timeout` (`None`: forever). Answers whether it
    /// reached 0 in time.
    Await {
        /// How long to wait; zero does not wait.
        timeout: Option<Duration>,
    },
}

/// Results of [`CountDownLatchCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CountDownLatchOutput {
    /// A yes/no answer.
    Bool(bool),
    /// A count.
    Count(u64),
    /// A round number.
    Round(u64),
    /// Done, nothing to report.
    Unit,
}

/// A CountDownLatch's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountDownLatch {
    count: u64,
    round: u64,
    /// Invocations that counted down in the current round.
    counted: BTreeSet<InvocationId>,
    waiters: WaitQueue<()>,
}

impl CountDownLatch {
    /// The current count.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The current round.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// Number of parked calls.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// Starts a new round with `count` if the current one is over. `Ok(false)` when a
    /// round is still counting.
    fn start_round(&mut self, count: u64, operation: &'static str) -> Result<bool, CoreError> {
        if count == 0 {
            return Err(CoreError::invalid(operation, InvalidReason::ZeroCount));
        }
        if self.count != 0 {
            return Ok(false);
        }
        self.round = self.round.checked_add(1).ok_or(CoreError::overflow(operation))?;
        self.count = count;
        self.counted.clear();
        Ok(true)
    }

    fn count_down(&mut self, expected_round: u64, ctx: &ApplyCtx) -> Applied<CountDownLatchOutput> {
        let invocation = match ctx.require_invocation("count_down") {
            Ok(invocation) => invocation,
            Err(err) => return Applied::err(err),
        };
        if expected_round > self.round {
            return Applied::err(CoreError::FutureRound { requested: expected_round, current: self.round });
        }
        if expected_round < self.round || self.count == 0 || !self.counted.insert(invocation) {
            return Applied::ok(CountDownLatchOutput::Count(self.count));
        }
        self.count = self.count.saturating_sub(1);
        if self.count > 0 {
            return Applied::ok(CountDownLatchOutput::Count(self.count));
        }
        // Nothing can count in a finished round, so its count-downs need not be kept.
        self.counted.clear();
        let opened = self.waiters.take_all().iter().map(|w| w.answer(Ok(CountDownLatchOutput::Bool(true)))).collect();
        Applied::ok(CountDownLatchOutput::Count(0)).with_effects(opened)
    }

    fn await_zero(&mut self, timeout: Option<Duration>, ctx: &ApplyCtx) -> Applied<CountDownLatchOutput> {
        if self.count == 0 {
            return Applied::ok(CountDownLatchOutput::Bool(true));
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            return Applied::ok(CountDownLatchOutput::Bool(false));
        }
        match ctx.require_invocation("await") {
            Ok(invocation) => {
                self.waiters.push(Waiter::new(invocation, ctx, timeout, ()));
                Applied::parked()
            }
            Err(err) => Applied::err(err),
        }
    }
}

impl StateMachine for CountDownLatch {
    type Command = CountDownLatchCommand;
    type Output = CountDownLatchOutput;

    fn read(
        &self,
        command: &CountDownLatchCommand,
        _ctx: &ApplyCtx,
    ) -> Option<Result<CountDownLatchOutput, CoreError>> {
        use CountDownLatchCommand as C;
        use CountDownLatchOutput as O;
        match command {
            C::GetCount => Some(Ok(O::Count(self.count))),
            C::GetRound => Some(Ok(O::Round(self.round))),
            C::TrySetCount { .. } | C::SetCount { .. } | C::CountDown { .. } | C::Await { .. } => None,
        }
    }

    fn apply(&mut self, command: CountDownLatchCommand, ctx: &ApplyCtx) -> Applied<CountDownLatchOutput> {
        use CountDownLatchCommand as C;
        use CountDownLatchOutput as O;
        match command {
            C::TrySetCount { count } => Applied::ready(self.start_round(count, "try_set_count").map(O::Bool)),
            C::SetCount { count } => {
                let current = self.count;
                match self.start_round(count, "set_count") {
                    Ok(true) => Applied::ok(O::Unit),
                    Ok(false) => Applied::err(CoreError::CountNotZero { count: current }),
                    Err(err) => Applied::err(err),
                }
            }
            C::CountDown { expected_round } => self.count_down(expected_round, ctx),
            read @ (C::GetCount | C::GetRound) => answered(self.read(&read, ctx)),
            C::Await { timeout } => self.await_zero(timeout, ctx),
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<CountDownLatchOutput>> {
        self.waiters.take_expired(ctx.now).iter().map(|w| w.answer(Ok(CountDownLatchOutput::Bool(false)))).collect()
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.waiters.next_deadline()
    }

    fn cancel(&mut self, invocation: InvocationId, _ctx: &ApplyCtx) -> Vec<Effect<CountDownLatchOutput>> {
        self.waiters.remove(invocation).map(|w| w.cancelled()).into_iter().collect()
    }

    fn release_sessions(
        &mut self,
        sessions: &BTreeSet<SessionId>,
        _ctx: &ApplyCtx,
    ) -> Vec<Effect<CountDownLatchOutput>> {
        // Count-downs already made stay made: a departed participant did its part.
        self.waiters.take_sessions(sessions).iter().map(|w| w.session_ended()).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use super::*;
    use crate::testing::{call, internal, inv, session_read};

    use CountDownLatchCommand as C;
    use CountDownLatchOutput as O;

    fn count_down(l: &mut CountDownLatch, index: u64, session: u64, seq: u64, round: u64) -> Applied<O> {
        l.apply(C::CountDown { expected_round: round }, &call(index, 0, session, seq))
    }

    fn await_for(l: &mut CountDownLatch, index: u64, now: u64, session: u64, seq: u64, ms: Option<u64>) -> Applied<O> {
        l.apply(C::Await { timeout: ms.map(Duration::from_millis) }, &call(index, now, session, seq))
    }

    fn latch_with(count: u64) -> CountDownLatch {
        let mut l = CountDownLatch::default();
        assert_eq!(l.apply(C::SetCount { count }, &internal(1, 0)), Applied::ok(O::Unit));
        l
    }

    #[test]
    fn try_set_count_starts_a_round_only_when_the_count_is_zero() {
        let mut l = CountDownLatch::default();
        assert_eq!(l.apply(C::GetCount, &internal(1, 0)), Applied::ok(O::Count(0)));
        assert_eq!(l.apply(C::GetRound, &internal(1, 0)), Applied::ok(O::Round(0)));
        assert_eq!(
            l.apply(C::TrySetCount { count: 0 }, &internal(2, 0)),
            Applied::err(CoreError::invalid("try_set_count", InvalidReason::ZeroCount))
        );
        assert_eq!(l.apply(C::TrySetCount { count: 2 }, &call(3, 0, 1, 1)), Applied::ok(O::Bool(true)));
        // Every other participant tries too and is told it lost, not an error.
        assert_eq!(l.apply(C::TrySetCount { count: 5 }, &call(4, 0, 2, 1)), Applied::ok(O::Bool(false)));
        assert_eq!(l.apply(C::GetCount, &internal(5, 0)), Applied::ok(O::Count(2)));
        assert_eq!(l.apply(C::GetRound, &internal(5, 0)), Applied::ok(O::Round(1)));
    }

    #[test]
    fn set_count_is_strict() {
        let mut l = CountDownLatch::default();
        assert_eq!(
            l.apply(C::SetCount { count: 0 }, &internal(1, 0)),
            Applied::err(CoreError::invalid("set_count", InvalidReason::ZeroCount))
        );
        assert_eq!(l.apply(C::SetCount { count: 3 }, &internal(2, 0)), Applied::ok(O::Unit));
        assert_eq!(
            l.apply(C::SetCount { count: 4 }, &internal(3, 0)),
            Applied::err(CoreError::CountNotZero { count: 3 })
        );
        assert_eq!(l.count(), 3);
        assert_eq!(l.round(), 1);
    }

    #[test]
    fn count_down_counts_each_invocation_once_and_opens_at_zero() {
        let mut l = latch_with(3);
        assert_eq!(count_down(&mut l, 2, 1, 1, 1), Applied::ok(O::Count(2)));
        // A retry of the same invocation is not counted again.
        assert_eq!(count_down(&mut l, 3, 1, 1, 1), Applied::ok(O::Count(2)));
        assert_eq!(count_down(&mut l, 4, 1, 2, 1), Applied::ok(O::Count(1)));
        assert_eq!(count_down(&mut l, 5, 2, 1, 1), Applied::ok(O::Count(0)));
        // Once open, further count-downs change nothing.
        assert_eq!(count_down(&mut l, 6, 3, 1, 1), Applied::ok(O::Count(0)));
        assert_eq!(l.count(), 0);
        assert_eq!(l.round(), 1);
    }

    #[test]
    fn count_down_needs_an_invocation() {
        let mut l = latch_with(1);
        let expected = Applied::err(CoreError::InvocationRequired { operation: "count_down".into() });
        assert_eq!(l.apply(C::CountDown { expected_round: 1 }, &internal(2, 0)), expected);
        assert_eq!(l.apply(C::CountDown { expected_round: 1 }, &session_read(3, 0, 1)), expected);
        assert_eq!(l.count(), 1);
    }

    #[test]
    fn stale_rounds_are_ignored_and_future_rounds_refused() {
        let mut l = latch_with(1);
        assert_eq!(count_down(&mut l, 2, 1, 1, 2), Applied::err(CoreError::FutureRound { requested: 2, current: 1 }));
        assert_eq!(count_down(&mut l, 3, 1, 2, 1), Applied::ok(O::Count(0)));
        assert_eq!(l.apply(C::TrySetCount { count: 2 }, &internal(4, 0)), Applied::ok(O::Bool(true)));
        assert_eq!(l.round(), 2);
        // A late count-down of round 1 does not eat into round 2.
        assert_eq!(count_down(&mut l, 5, 2, 1, 1), Applied::ok(O::Count(2)));
        assert_eq!(count_down(&mut l, 6, 2, 2, 0), Applied::ok(O::Count(2)));
        assert_eq!(count_down(&mut l, 7, 2, 3, 2), Applied::ok(O::Count(1)));
    }

    #[test]
    fn a_new_round_forgets_who_counted() {
        let mut l = latch_with(2);
        assert_eq!(count_down(&mut l, 2, 1, 1, 1), Applied::ok(O::Count(1)));
        assert_eq!(l.counted, BTreeSet::from([inv(1, 1)]));
        assert_eq!(count_down(&mut l, 3, 1, 2, 1), Applied::ok(O::Count(0)));
        assert!(l.counted.is_empty());
        assert_eq!(l.apply(C::SetCount { count: 2 }, &internal(4, 0)), Applied::ok(O::Unit));
        assert_eq!(count_down(&mut l, 5, 1, 1, 2), Applied::ok(O::Count(1)));
    }

    #[test]
    fn reaching_zero_wakes_every_waiter_in_parking_order() {
        let mut l = latch_with(2);
        assert_eq!(await_for(&mut l, 2, 0, 1, 1, None), Applied::parked());
        assert_eq!(await_for(&mut l, 3, 0, 2, 1, Some(1_000)), Applied::parked());
        assert_eq!(await_for(&mut l, 4, 0, 1, 2, None), Applied::parked());
        assert_eq!(count_down(&mut l, 5, 3, 1, 1), Applied::ok(O::Count(1)));
        assert_eq!(l.waiting(), 3);
        assert_eq!(
            count_down(&mut l, 6, 3, 2, 1),
            Applied::ok(O::Count(0)).with_effects(vec![
                Effect::wake(inv(1, 1), O::Bool(true)),
                Effect::wake(inv(2, 1), O::Bool(true)),
                Effect::wake(inv(1, 2), O::Bool(true)),
            ])
        );
        assert_eq!(l.waiting(), 0);
        assert_eq!(l.next_deadline(), None);
    }

    #[test]
    fn await_answers_at_once_when_open_or_when_not_waiting() {
        let mut l = CountDownLatch::default();
        // A latch that was never set is open.
        assert_eq!(await_for(&mut l, 1, 0, 1, 1, None), Applied::ok(O::Bool(true)));
        assert_eq!(l.apply(C::Await { timeout: None }, &internal(2, 0)), Applied::ok(O::Bool(true)));
        l.apply(C::SetCount { count: 1 }, &internal(3, 0));
        assert_eq!(await_for(&mut l, 4, 0, 1, 2, Some(0)), Applied::ok(O::Bool(false)));
        assert_eq!(
            l.apply(C::Await { timeout: Some(Duration::from_secs(1)) }, &session_read(5, 0, 1)),
            Applied::err(CoreError::InvocationRequired { operation: "await".into() })
        );
        assert_eq!(l.waiting(), 0);
    }

    #[test]
    fn timed_await_expires_by_tick() {
        let mut l = latch_with(1);
        assert_eq!(await_for(&mut l, 2, 100, 1, 1, Some(50)), Applied::parked());
        assert_eq!(await_for(&mut l, 3, 100, 2, 1, None), Applied::parked());
        assert_eq!(await_for(&mut l, 4, 120, 3, 1, Some(50)), Applied::parked());
        assert_eq!(l.next_deadline(), Some(Timestamp(150)));
        assert_eq!(l.tick(&internal(5, 149)), vec![]);
        assert_eq!(l.tick(&internal(6, 150)), vec![Effect::wake(inv(1, 1), O::Bool(false))]);
        assert_eq!(l.next_deadline(), Some(Timestamp(170)));
        assert_eq!(l.tick(&internal(7, 500)), vec![Effect::wake(inv(3, 1), O::Bool(false))]);
        assert_eq!(l.next_deadline(), None);
        // The untimed waiter is still there and opens with the latch.
        let opened = count_down(&mut l, 8, 4, 1, 1);
        assert_eq!(opened.effects, vec![Effect::wake(inv(2, 1), O::Bool(true))]);
    }

    #[test]
    fn cancel_removes_only_the_named_waiter() {
        let mut l = latch_with(1);
        await_for(&mut l, 2, 0, 1, 1, None);
        await_for(&mut l, 3, 0, 2, 1, None);
        assert_eq!(
            l.cancel(inv(1, 1), &internal(4, 0)),
            vec![Effect::Wake { invocation: inv(1, 1), result: Err(CoreError::Cancelled { invocation: inv(1, 1) }) }]
        );
        assert_eq!(l.cancel(inv(1, 1), &internal(5, 0)), vec![]);
        assert_eq!(count_down(&mut l, 6, 3, 1, 1).effects, vec![Effect::wake(inv(2, 1), O::Bool(true))]);
    }

    #[test]
    fn released_sessions_lose_their_waiters_but_keep_their_count_downs() {
        let mut l = latch_with(3);
        assert_eq!(count_down(&mut l, 2, 1, 1, 1), Applied::ok(O::Count(2)));
        await_for(&mut l, 3, 0, 1, 2, None);
        await_for(&mut l, 4, 0, 2, 1, None);
        await_for(&mut l, 5, 0, 3, 1, Some(10));
        let effects = l.release_sessions(&BTreeSet::from([SessionId(1), SessionId(3)]), &internal(6, 0));
        assert_eq!(
            effects,
            vec![
                Effect::Wake {
                    invocation: inv(1, 2),
                    result: Err(CoreError::SessionExpired { session: SessionId(1) })
                },
                Effect::Wake {
                    invocation: inv(3, 1),
                    result: Err(CoreError::SessionExpired { session: SessionId(3) })
                },
            ]
        );
        assert_eq!(l.count(), 2);
        assert_eq!(l.waiting(), 1);
        assert_eq!(l.next_deadline(), None);
    }

    #[test]
    fn round_overflow_is_refused() {
        let mut l = CountDownLatch { round: u64::MAX, ..CountDownLatch::default() };
        assert_eq!(
            l.apply(C::TrySetCount { count: 1 }, &internal(1, 0)),
            Applied::err(CoreError::overflow("try_set_count"))
        );
        assert_eq!(l.apply(C::SetCount { count: 1 }, &internal(2, 0)), Applied::err(CoreError::overflow("set_count")));
        assert_eq!(l.count(), 0);
    }

    #[test]
    fn snapshot_round_trips() {
        let mut l = latch_with(3);
        count_down(&mut l, 2, 1, 1, 1);
        await_for(&mut l, 3, 0, 2, 1, Some(100));
        let restored = CountDownLatch::restore(&l.snapshot().unwrap()).unwrap();
        assert_eq!(restored, l);
        assert_eq!(restored.next_deadline(), Some(Timestamp(100)));
    }
}
