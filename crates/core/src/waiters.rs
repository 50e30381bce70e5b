//! Parked calls, as state.
//!
//! A blocked `lock`, `acquire`, `await`, `arrive` or `take` is not a task sleeping
//! somewhere: it is an entry in a FIFO inside the structure, keyed by the caller's
//! invocation id and carrying an optional deadline. Every replica holds the same queue, so
//! whichever node becomes leader can complete, time out or cancel the call. Every kind that
//! parks callers uses this one queue, so fairness, timeouts, cancellation and session
//! expiry behave the same everywhere.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::machine::Effect;
use crate::types::{InvocationId, SessionId, Timestamp};

/// One parked call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiter<T> {
    /// The parked call.
    pub invocation: InvocationId,
    /// The session the call was made in, for calls that own what they wait for (a lock, a
    /// permit): the session's end cancels the call.
    pub session: Option<SessionId>,
    /// When the call gives up, if it has a timeout.
    pub deadline: Option<Timestamp>,
    /// What the call is waiting for (permits wanted, owner, ...).
    pub request: T,
}

impl<T> Waiter<T> {
    /// The call `invocation` of the context `ctx` (whose session it was made in), parked at
    /// `ctx.now` and giving up after `timeout`, if given.
    pub fn new(invocation: InvocationId, ctx: &ApplyCtx, timeout: Option<Duration>, request: T) -> Self {
        Waiter { invocation, session: ctx.session, deadline: timeout.map(|t| ctx.now.saturating_add(t)), request }
    }

    /// The effect that answers this waiter with `result`.
    pub fn answer<O>(&self, result: Result<O, CoreError>) -> Effect<O> {
        Effect::Wake { invocation: self.invocation, result }
    }

    /// The effect that tells this waiter it was cancelled.
    pub fn cancelled<O>(&self) -> Effect<O> {
        self.answer(Err(CoreError::Cancelled { invocation: self.invocation }))
    }

    /// The effect that tells this waiter its session ended (only waiters made in a session
    /// are taken by [`WaitQueue::take_sessions`]).
    pub fn session_ended<O>(&self) -> Effect<O> {
        self.answer(Err(CoreError::SessionExpired { session: self.session.unwrap_or(SessionId(0)) }))
    }
}

/// A FIFO of parked calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitQueue<T> {
    queue: VecDeque<Waiter<T>>,
}

impl<T> Default for WaitQueue<T> {
    fn default() -> Self {
        WaitQueue { queue: VecDeque::new() }
    }
}

impl<T> WaitQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parks a call at the back.
    pub fn push(&mut self, waiter: Waiter<T>) {
        self.queue.push_back(waiter);
    }

    /// The longest-waiting call.
    pub fn front(&self) -> Option<&Waiter<T>> {
        self.queue.front()
    }

    /// Removes and returns the longest-waiting call.
    pub fn pop_front(&mut self) -> Option<Waiter<T>> {
        self.queue.pop_front()
    }

    /// Number of parked calls.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no call is parked.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Parked calls, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Waiter<T>> {
        self.queue.iter()
    }

    /// Whether `invocation` is parked here.
    pub fn contains(&self, invocation: InvocationId) -> bool {
        self.queue.iter().any(|w| w.invocation == invocation)
    }

    /// Removes the parked call `invocation`, if present.
    pub fn remove(&mut self, invocation: InvocationId) -> Option<Waiter<T>> {
        let position = self.queue.iter().position(|w| w.invocation == invocation)?;
        self.queue.remove(position)
    }

    /// Removes every call whose deadline is at or before `now`, oldest first.
    pub fn take_expired(&mut self, now: Timestamp) -> Vec<Waiter<T>> {
        self.take_where(|w| w.deadline.is_some_and(|d| d <= now))
    }

    /// Removes every call made by one of `sessions`, oldest first.
    pub fn take_sessions(&mut self, sessions: &BTreeSet<SessionId>) -> Vec<Waiter<T>> {
        self.take_where(|w| w.session.is_some_and(|s| sessions.contains(&s)))
    }

    /// Removes every parked call, oldest first.
    pub fn take_all(&mut self) -> Vec<Waiter<T>> {
        self.queue.drain(..).collect()
    }

    /// The earliest deadline among parked calls.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.queue.iter().filter_map(|w| w.deadline).min()
    }

    fn take_where(&mut self, mut pred: impl FnMut(&Waiter<T>) -> bool) -> Vec<Waiter<T>> {
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for waiter in self.queue.drain(..) {
            if pred(&waiter) {
                taken.push(waiter);
            } else {
                kept.push_back(waiter);
            }
        }
        self.queue = kept;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::{call, inv};

    /// A waiter for `inv(session, seq)`, made in session `session` at `now`.
    fn waiter<T>(session: u64, seq: u64, now: u64, timeout: Option<Duration>, request: T) -> Waiter<T> {
        Waiter::new(inv(session, seq), &call(0, now, session, seq), timeout, request)
    }

    #[test]
    fn keeps_fifo_order_through_removals() {
        let mut q = WaitQueue::new();
        q.push(waiter(1, 1, 0, Some(Duration::from_millis(10)), 'a'));
        q.push(waiter(2, 1, 0, None, 'b'));
        q.push(waiter(1, 2, 0, Some(Duration::from_millis(5)), 'c'));
        q.push(waiter(3, 1, 0, None, 'd'));
        assert_eq!(q.next_deadline(), Some(Timestamp(5)));

        let expired = q.take_expired(Timestamp(5));
        assert_eq!(expired.iter().map(|w| w.request).collect::<Vec<_>>(), vec!['c']);
        assert_eq!(q.remove(inv(2, 1)).map(|w| w.request), Some('b'));
        assert_eq!(q.remove(inv(2, 1)), None);

        let gone = q.take_sessions(&BTreeSet::from([SessionId(1)]));
        assert_eq!(gone.iter().map(|w| w.request).collect::<Vec<_>>(), vec!['a']);
        assert_eq!(q.iter().map(|w| w.request).collect::<Vec<_>>(), vec!['d']);
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn answers_carry_the_invocation() {
        let w = waiter(4, 9, 100, Some(Duration::from_secs(1)), ());
        assert_eq!(w.deadline, Some(Timestamp(1100)));
        assert_eq!(
            w.cancelled::<()>(),
            Effect::Wake { invocation: inv(4, 9), result: Err(CoreError::Cancelled { invocation: inv(4, 9) }) }
        );
        assert_eq!(
            w.session_ended::<()>(),
            Effect::Wake { invocation: inv(4, 9), result: Err(CoreError::SessionExpired { session: SessionId(4) }) }
        );
    }
}
