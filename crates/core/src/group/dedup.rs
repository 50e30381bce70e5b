//! The per-session retry window that makes mutations exactly-once.
//!
//! A client that loses a response retries with the same `(session, seq)`. The window
//! answers such a retry from its record instead of applying the command again. It is
//! bounded: completed entries beyond the window are evicted in the order they completed
//! (a call parked for a long time is kept for a while after it completes, when its client
//! is most likely to retry), and a retry of
//! an evicted sequence is refused with [`CoreError::RetryWindowPassed`] rather than applied
//! a second time. Parked calls are never evicted: they are still in flight, and their
//! record is where a cancellation finds the structure that holds them.
//!
//! The contract for clients: number a session's calls with increasing sequence numbers, and
//! never let a session's newest call run as many numbers ahead of its oldest call that may
//! still be retried as the window holds: fewer calls in flight is not enough, because calls
//! that complete while an old one is being retried (through a failover, say) push its
//! record out. The Rust client keeps that span under 192 for the default window of 256. A
//! first attempt whose number is below the oldest evicted one is indistinguishable from a
//! late retry, so it is refused too.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::types::InvocationId;

/// What the window remembers of one invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recorded<T> {
    /// The call is parked in the named structure.
    Parked {
        /// The structure holding the waiter.
        structure: String,
    },
    /// The call completed with this result.
    Done(Result<T, CoreError>),
}

/// What to do with an incoming invocation.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<'a, T> {
    /// Never seen: apply it.
    New,
    /// A retry: answer with what was recorded.
    Retry(&'a Recorded<T>),
}

/// A bounded table of `seq -> outcome` for one session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupWindow<T> {
    entries: BTreeMap<u64, Recorded<T>>,
    /// Completed sequences, in completion order: eviction takes from the front.
    completions: VecDeque<u64>,
    /// Every completed sequence below this was evicted.
    floor: u64,
}

impl<T> Default for DedupWindow<T> {
    fn default() -> Self {
        DedupWindow { entries: BTreeMap::new(), completions: VecDeque::new(), floor: 0 }
    }
}

impl<T> DedupWindow<T> {
    /// Classifies `invocation`: new, or a retry with its recorded outcome.
    pub fn check(&self, invocation: InvocationId) -> Result<Seen<'_, T>, CoreError> {
        match self.entries.get(&invocation.seq) {
            Some(recorded) => Ok(Seen::Retry(recorded)),
            None if invocation.seq < self.floor => Err(CoreError::RetryWindowPassed { invocation, oldest: self.floor }),
            None => Ok(Seen::New),
        }
    }

    /// Records the outcome of `seq`, evicting the earliest-completed entries beyond `capacity`.
    pub fn record(&mut self, seq: u64, recorded: Recorded<T>, capacity: usize) {
        let completes = matches!(recorded, Recorded::Done(_));
        if let Some(Recorded::Done(_)) = self.entries.insert(seq, recorded) {
            self.completions.retain(|&s| s != seq);
        }
        if completes {
            self.completions.push_back(seq);
        }
        while self.completions.len() > capacity {
            let Some(oldest) = self.completions.pop_front() else { break };
            self.entries.remove(&oldest);
            self.floor = self.floor.max(oldest.saturating_add(1));
        }
    }

    /// Marks a parked `seq` as completed with `result`; ignored if `seq` is not parked here.
    pub fn complete(&mut self, seq: u64, result: Result<T, CoreError>, capacity: usize) {
        if matches!(self.entries.get(&seq), Some(Recorded::Parked { .. })) {
            self.record(seq, Recorded::Done(result), capacity);
        }
    }

    /// The parked calls of this session and the structures holding them, oldest first.
    pub fn parked(&self) -> impl Iterator<Item = (u64, &str)> {
        self.entries.iter().filter_map(|(&seq, r)| match r {
            Recorded::Parked { structure } => Some((seq, structure.as_str())),
            Recorded::Done(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::inv;

    #[test]
    fn answers_retries_and_refuses_evicted_sequences() {
        let mut w = DedupWindow::<u32>::default();
        assert_eq!(w.check(inv(1, 1)), Ok(Seen::New));
        w.record(1, Recorded::Done(Ok(10)), 2);
        w.record(2, Recorded::Parked { structure: "lock".into() }, 2);
        w.record(3, Recorded::Done(Ok(30)), 2);
        assert_eq!(w.check(inv(1, 1)), Ok(Seen::Retry(&Recorded::Done(Ok(10)))));
        // A third completion evicts seq 1, never the parked seq 2.
        w.record(4, Recorded::Done(Ok(40)), 2);
        assert_eq!(w.check(inv(1, 1)), Err(CoreError::RetryWindowPassed { invocation: inv(1, 1), oldest: 2 }));
        assert_eq!(w.check(inv(1, 2)), Ok(Seen::Retry(&Recorded::Parked { structure: "lock".into() })));
        assert_eq!(w.parked().collect::<Vec<_>>(), vec![(2, "lock")]);

        w.complete(2, Ok(20), 2);
        assert_eq!(w.check(inv(1, 2)), Ok(Seen::Retry(&Recorded::Done(Ok(20)))));
        // Completing seq 2 pushed the oldest completed entry (3) out.
        assert!(matches!(w.check(inv(1, 3)), Err(CoreError::RetryWindowPassed { .. })));
        assert_eq!(w.check(inv(1, 5)), Ok(Seen::New));
        // Completing something that is not parked does nothing.
        w.complete(9, Ok(90), 2);
        assert_eq!(w.check(inv(1, 9)), Ok(Seen::New));
    }
}
