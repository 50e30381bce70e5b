//! Sequence numbers of this client's calls, one series per group.
//!
//! Every call that must be applied once, or that may park, carries an
//! [`InvocationId`](coterie_core::InvocationId): this client's id and the next number of its
//! series for the call's group, the same on every resend. The group answers a resend from
//! its record of the client's calls, which keeps the last `GroupConfig::dedup_window`
//! (256 by default) answers in the order they were recorded (`coterie_core::dedup`). A
//! mutation whose resends are slow (it met a failover) while other tasks of this client
//! complete hundreds of calls to the same group would have its answer pushed out, so the
//! series never runs more than [`SEQ_SPAN`] numbers ahead of its oldest unanswered mutation:
//! new calls wait meanwhile (at most until that call ends, bounded by its timeout). Blocking
//! calls are not counted: the group never drops the record of a parked call, and records
//! its answer as the newest when it completes.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::ClientError;

/// How far the newest mutation may run ahead of the oldest unanswered one, in sequence
/// numbers: below the group's default window of 256, with room to spare.
pub(crate) const SEQ_SPAN: u64 = 192;

/// A group's mutations that are waiting for an answer, by sequence number.
#[derive(Debug, Default)]
struct InFlight {
    seqs: Mutex<BTreeSet<u64>>,
    freed: tokio::sync::Notify,
}

/// Keeps a mutation's sequence number in its group's in-flight set until the call ends
/// (answered, failed, or dropped).
pub(crate) struct Pending {
    in_flight: Arc<InFlight>,
    seq: u64,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.in_flight.seqs.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.seq);
        self.in_flight.freed.notify_waiters();
    }
}

/// One group's series of sequence numbers.
#[derive(Debug, Default)]
pub(crate) struct Series {
    last: Mutex<u64>,
    in_flight: Arc<InFlight>,
}

impl Series {
    /// The next sequence number (from 1), registered as pending if `track`; waits while that
    /// would put it [`SEQ_SPAN`] ahead of the oldest pending one, until `deadline`.
    pub(crate) async fn next(
        &self,
        track: bool,
        deadline: Option<Instant>,
    ) -> Result<(u64, Option<Pending>), ClientError> {
        let since = Instant::now();
        loop {
            {
                let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
                let seq = *last + 1;
                let mut seqs = self.in_flight.seqs.lock().unwrap_or_else(PoisonError::into_inner);
                let room = seqs.first().is_none_or(|oldest| seq - oldest < SEQ_SPAN);
                if !track || room {
                    if track {
                        seqs.insert(seq);
                    }
                    *last = seq;
                    let pending = track.then(|| Pending { in_flight: Arc::clone(&self.in_flight), seq });
                    return Ok((seq, pending));
                }
            }
            self.wait_for_room(deadline, since).await?;
        }
    }

    /// Waits until a pending call of this series ends (bounded by `deadline`).
    async fn wait_for_room(&self, deadline: Option<Instant>, since: Instant) -> Result<(), ClientError> {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(ClientError::Unavailable {
                waited_ms: since.elapsed().as_millis(),
                last: format!(
                    "this client's oldest call to the group is still unanswered {SEQ_SPAN} calls later; \
                     a member may be slow to fail over"
                ),
            });
        }
        // A short bound as well: a call that ends between the check and this wait is seen at
        // the next look, never missed for long.
        let _ = tokio::time::timeout(Duration::from_millis(10), self.in_flight.freed.notified()).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn numbers_increase_and_tracked_ones_hold_the_span() {
        let series = Series::default();
        let (first, pending) = series.next(true, None).await.unwrap();
        assert_eq!(first, 1);
        let mut held = Vec::new();
        for expected in 2..SEQ_SPAN + 1 {
            let (seq, p) = series.next(true, None).await.unwrap();
            assert_eq!(seq, expected);
            held.push(p);
        }
        // Untracked calls (blocking ones) are never held back.
        assert_eq!(series.next(false, None).await.unwrap().0, SEQ_SPAN + 1);
        // The next tracked one would be SEQ_SPAN ahead of seq 1: it waits until its deadline ...
        let deadline = Instant::now() + Duration::from_millis(50);
        assert!(matches!(series.next(true, Some(deadline)).await, Err(ClientError::Unavailable { .. })));
        // ... or until the oldest pending ones end (seq 194 needs the oldest above 2).
        drop(pending);
        assert!(matches!(series.next(true, Some(deadline)).await, Err(ClientError::Unavailable { .. })));
        held.remove(0);
        assert_eq!(series.next(true, None).await.unwrap().0, SEQ_SPAN + 2);
    }
}
