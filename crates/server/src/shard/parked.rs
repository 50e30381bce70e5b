//! Parked calls and deadlines on a partition replica: the sharded engine's counterpart of
//! what a CP node does for its Raft group (`cp/node.rs`), on the same machinery.
//!
//! A blocking call (a queue take, a lock or semaphore acquire, a barrier arrival) parks
//! *inside* its structure, in the core's [`WaitQueue`](coterie_core::waiters::WaitQueue),
//! which is journaled state like any other; what waits on the owner is only the caller's
//! future, registered in the replica's [`Waiters`](crate::waiters::Waiters) (the CP
//! engine's registry) before the call is queued. Every record applied may wake parked
//! calls; the replica delivers those wakes to the registrations (see `replica.rs`).
//!
//! - **Deadlines** (a take's or an acquire's timeout, a lease, a barrier arrival's timeout)
//!   fire in a journaled `Tick`, as in a CP group: the replica's ticker sleeps until the
//!   partition's earliest deadline (looked at again after every batch) and then queues a
//!   `Tick` stamped with the owner's clock, so replay fires them at the same log position.
//! - **A caller that gives up** (its timeout passes while parked, or its future is dropped:
//!   a disconnected gRPC client, a forwarding member that gave up) cancels its parked call
//!   with a journaled `Cancel`, so a lock or a permit is never granted to a caller that is
//!   gone, unless it asked to keep its place (`keep_parked`): then it is answered
//!   `still_waiting` and resends the same invocation to go on waiting.
//! - **A restart** loses every parked caller (they were connected to the process that
//!   stopped, and their calls failed with it): [`Replica::open`](super::Replica::open)
//!   replays the journal and then cancels every call still parked, journaled, so the state
//!   is consistent (nobody holds what nobody asked for any more) and a resend of such a
//!   call is answered `cancelled` from its record.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use coterie_core::{CoreError, EngineError, GroupCommand, GroupOutput, InvocationId};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::replica::{Shared, wall_clock};
use crate::engine::CallOptions;
use crate::request::Request;
use crate::waiters::{Registration, WakeResult};

/// How long a caller that gives up waits for its `Cancel` to be journaled.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(1);

/// The least time between two ticks of one partition: a bound on the ticker's rate should
/// a deadline not clear (a clock stepped back far).
const MIN_TICK_GAP: Duration = Duration::from_millis(5);

/// Waits for the wake of the parked call `registration` until `deadline`; then, unless it
/// keeps its place, cancels it (a wake that raced the deadline is delivered before the
/// cancel's answer, and wins).
pub(super) async fn await_wake(
    shared: &Arc<Shared>,
    registration: Registration,
    mut wake: oneshot::Receiver<WakeResult>,
    deadline: Instant,
    options: CallOptions,
) -> Result<GroupOutput, EngineError> {
    let invocation = registration.invocation();
    let _parked = Parked::count(shared);
    match tokio::time::timeout_at(deadline, &mut wake).await {
        Ok(Ok(result)) => return result.map_err(EngineError::Core),
        Ok(Err(_)) => {
            return Err(shared.stopped(&format!(
                "the wait for {invocation} was dropped (the replica closed, or the same invocation was called again)"
            )));
        }
        Err(_) => {}
    }
    if options.keep_parked {
        return Err(EngineError::StillParked { invocation });
    }
    let cancel = shared.submit(Request::internal(GroupCommand::Cancel { invocation }), false);
    let _ = tokio::time::timeout(CANCEL_TIMEOUT, cancel).await;
    match wake.try_recv() {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(CoreError::Cancelled { .. })) | Err(_) => Err(EngineError::Timeout { waited: options.timeout }),
        Ok(Err(err)) => Err(EngineError::Core(err)),
    }
}

/// Counts one parked caller in its replica's `parked` while it lives.
struct Parked<'a>(&'a Shared);

impl<'a> Parked<'a> {
    fn count(shared: &'a Shared) -> Self {
        shared.parked.fetch_add(1, Ordering::SeqCst);
        Parked(shared)
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        self.0.parked.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Cancels a call, should it be parked, when the future waiting for it is dropped before
/// it answered.
pub(super) struct CancelOnDrop {
    shared: Option<Arc<Shared>>,
    invocation: InvocationId,
}

impl CancelOnDrop {
    /// A guard for `invocation` on `shared`, armed.
    pub(super) fn new(shared: &Arc<Shared>, invocation: InvocationId) -> Self {
        CancelOnDrop { shared: Some(Arc::clone(shared)), invocation }
    }

    /// The call answered: nothing to cancel.
    pub(super) fn disarm(mut self) {
        self.shared = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else { return };
        // Without a runtime (the process is exiting) there is nobody left to grant to.
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        // Queued; nobody waits for its answer.
        drop(shared.submit(Request::internal(GroupCommand::Cancel { invocation: self.invocation }), false));
    }
}

/// Ticks `shared`'s partition whenever its earliest deadline passes, until aborted (when
/// the replica closes or is dropped) or the replica is gone. Looks again after every batch
/// (`deadlines` is notified). It holds the replica only while it looks or ticks, so a
/// closed replica's journal (and the data file) is released as soon as its calls end,
/// whenever the runtime gets round to dropping this task.
pub(super) async fn tick_loop(shared: Weak<Shared>, deadlines: Arc<Notify>) {
    loop {
        let changed = deadlines.notified();
        let Some(due) = shared.upgrade().map(|shared| shared.next_deadline()) else { return };
        let Some(due) = due else {
            changed.await;
            continue;
        };
        let now = wall_clock();
        if due > now {
            let wait = Duration::from_millis(due.0 - now.0);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = changed => {}
            }
            continue;
        }
        let Some(strong) = shared.upgrade() else { return };
        let tick = strong.submit(Request::internal(GroupCommand::Tick), false);
        drop(strong);
        // A tick that could not be journaled is retried at the next look (the deadline is
        // still due); the calls waiting on it are answered at their own deadlines meanwhile.
        let _ = tick.await;
        tokio::time::sleep(MIN_TICK_GAP).await;
    }
}

#[cfg(test)]
#[path = "parked_tests.rs"]
mod tests;
