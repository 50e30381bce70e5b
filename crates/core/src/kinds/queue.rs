//! Queue: a FIFO of byte strings with an optional capacity and a blocking take (seed 000
//! `d.queue`).
//!
//! A full queue refuses an enqueue with [`CoreError::QueueFull`] instead of parking the
//! producer: back-pressure is reported to the caller, who can retry, drop or slow down,
//! and no producer sits in the structure holding an item nobody has accepted yet.
//!
//! Consumers, on the other hand, may wait: `Take` parks (FIFO, optional timeout) while the
//! queue is empty. A taker can therefore only be parked while the queue holds no items, and
//! an enqueue that finds takers hands its item straight to the longest-waiting one without
//! storing it. That keeps the order strict (no item overtakes a parked taker, no taker
//! overtakes an older one) and means the capacity check never counts an item that is
//! already on its way out. A capacity of 0 follows from the same rule: such a queue stores
//! nothing and accepts an item only when a taker is already waiting for it (a hand-off).
//!
//! Expiry happens only in `tick`: an enqueue hands its item to the front taker even if
//! that taker's deadline has passed but no tick has fired yet, as every other kind grants
//! to parked callers, so the outcome depends on log order alone.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::{InvocationId, SessionId, Timestamp};
use crate::waiters::{WaitQueue, Waiter};

/// How a Queue behaves; fixed when the queue is created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// The most items the queue stores at once. `None` means unbounded; `Some(0)` stores
    /// nothing and only hands items to takers that are already waiting.
    pub capacity: Option<u64>,
}

/// Operations on a Queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueCommand {
    /// Append an item, or hand it to the longest-waiting taker. Answers [`QueueOutput::Unit`];
    /// errors with [`CoreError::QueueFull`] when the queue is at its capacity.
    Enqueue(Vec<u8>),
    /// The front item without removing it. Answers [`QueueOutput::Item`], `None` when empty.
    Peek,
    /// Remove the front item without waiting. Answers [`QueueOutput::Item`], `None` when empty.
    Dequeue,
    /// Remove the front item, waiting (FIFO) while the queue is empty. Answers
    /// [`QueueOutput::Item`]: `None` when `timeout` passed without an item.
    Take {
        /// How long to wait. `None` waits forever; zero does not wait at all.
        timeout: Option<Duration>,
    },
    /// The number of stored items. Answers [`QueueOutput::Count`].
    Size,
    /// Remove up to `max` items from the front. Answers [`QueueOutput::Items`], oldest first.
    Drain {
        /// The most items to remove; at least 1.
        max: u32,
    },
    /// Remove every stored item. Answers [`QueueOutput::Count`] with how many were removed.
    /// Parked takers keep waiting.
    Clear,
}

impl QueueCommand {
    /// Total bytes of user data carried (items), checked against the group's size limit.
    pub fn payload_len(&self) -> usize {
        match self {
            QueueCommand::Enqueue(item) => item.len(),
            QueueCommand::Peek
            | QueueCommand::Dequeue
            | QueueCommand::Take { .. }
            | QueueCommand::Size
            | QueueCommand::Drain { .. }
            | QueueCommand::Clear => 0,
        }
    }
}

/// Results of [`QueueCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueOutput {
    /// One item, or `None` when there was none (empty queue, or a take that timed out).
    Item(Option<Vec<u8>>),
    /// Several items, oldest first.
    Items(Vec<Vec<u8>>),
    /// A number of items.
    Count(u64),
    /// Done, nothing to report.
    Unit,
}

/// A Queue's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    config: QueueConfig,
    items: VecDeque<Vec<u8>>,
    /// Parked `Take`s; non-empty only while `items` is empty.
    takers: WaitQueue<()>,
}

impl Queue {
    /// An empty queue with `config`.
    pub fn new(config: QueueConfig) -> Self {
        Queue { config, items: VecDeque::new(), takers: WaitQueue::new() }
    }

    /// The queue's configuration.
    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// Number of stored items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is stored.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of parked takes.
    pub fn waiting(&self) -> usize {
        self.takers.len()
    }

    fn enqueue(&mut self, item: Vec<u8>) -> Applied<QueueOutput> {
        if let Some(taker) = self.takers.pop_front() {
            debug_assert!(self.items.is_empty());
            return Applied::ok(QueueOutput::Unit).with_effects(vec![taker.answer(Ok(QueueOutput::Item(Some(item))))]);
        }
        if let Some(capacity) = self.config.capacity
            && count(self.items.len()) >= capacity
        {
            return Applied::err(CoreError::QueueFull { capacity });
        }
        self.items.push_back(item);
        Applied::ok(QueueOutput::Unit)
    }

    fn take(&mut self, timeout: Option<Duration>, ctx: &ApplyCtx) -> Applied<QueueOutput> {
        if let Some(item) = self.items.pop_front() {
            return Applied::ok(QueueOutput::Item(Some(item)));
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            return Applied::ok(QueueOutput::Item(None));
        }
        match ctx.require_invocation("take") {
            Ok(invocation) => {
                self.takers.push(Waiter::new(invocation, ctx, timeout, ()));
                Applied::parked()
            }
            Err(err) => Applied::err(err),
        }
    }

    fn drain(&mut self, max: u32) -> Applied<QueueOutput> {
        if max == 0 {
            return Applied::err(CoreError::invalid("drain", InvalidReason::ZeroDrainMax));
        }
        let n = usize::try_from(max).unwrap_or(usize::MAX).min(self.items.len());
        Applied::ok(QueueOutput::Items(self.items.drain(..n).collect()))
    }
}

/// A collection size as the `u64` the outputs carry.
fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

impl StateMachine for Queue {
    type Command = QueueCommand;
    type Output = QueueOutput;

    fn read(&self, command: &QueueCommand, _ctx: &ApplyCtx) -> Option<Result<QueueOutput, CoreError>> {
        match command {
            QueueCommand::Peek => Some(Ok(QueueOutput::Item(self.items.front().cloned()))),
            QueueCommand::Size => Some(Ok(QueueOutput::Count(count(self.items.len())))),
            QueueCommand::Enqueue(_)
            | QueueCommand::Dequeue
            | QueueCommand::Take { .. }
            | QueueCommand::Drain { .. }
            | QueueCommand::Clear => None,
        }
    }

    fn apply(&mut self, command: QueueCommand, ctx: &ApplyCtx) -> Applied<QueueOutput> {
        match command {
            QueueCommand::Enqueue(item) => self.enqueue(item),
            read @ (QueueCommand::Peek | QueueCommand::Size) => answered(self.read(&read, ctx)),
            QueueCommand::Dequeue => Applied::ok(QueueOutput::Item(self.items.pop_front())),
            QueueCommand::Take { timeout } => self.take(timeout, ctx),
            QueueCommand::Drain { max } => self.drain(max),
            QueueCommand::Clear => {
                let removed = count(self.items.len());
                self.items.clear();
                Applied::ok(QueueOutput::Count(removed))
            }
        }
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<QueueOutput>> {
        self.takers.take_expired(ctx.now).iter().map(|w| w.answer(Ok(QueueOutput::Item(None)))).collect()
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.takers.next_deadline()
    }

    fn cancel(&mut self, invocation: InvocationId, _ctx: &ApplyCtx) -> Vec<Effect<QueueOutput>> {
        self.takers.remove(invocation).map(|w| w.cancelled()).into_iter().collect()
    }

    fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, _ctx: &ApplyCtx) -> Vec<Effect<QueueOutput>> {
        self.takers.take_sessions(sessions).iter().map(|w| w.session_ended()).collect()
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
