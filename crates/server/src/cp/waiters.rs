//! Parked callers waiting on this node.
//!
//! A blocked call (lock, acquire, await, take, arrive) is parked *inside* the replicated
//! structure; what waits on a node is only the caller's future. Before proposing a call,
//! the node registers the call's invocation here; when any replica applies an entry whose
//! effects wake that invocation, the node holding the registration completes the future.
//! Every replica computes the same wakes, and nodes without the registration ignore them,
//! so the caller is answered exactly once, by the node it called, whoever leads by then.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use coterie_core::{CoreError, GroupOutput, InvocationId};
use tokio::sync::oneshot;

/// The result a parked call is completed with.
pub type WakeResult = Result<GroupOutput, CoreError>;

/// The registry of calls parked on behalf of this node's callers. Cheap to clone: clones
/// share the registry.
#[derive(Clone, Debug, Default)]
pub struct Waiters {
    inner: Arc<Mutex<HashMap<InvocationId, oneshot::Sender<WakeResult>>>>,
}

impl Waiters {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<InvocationId, oneshot::Sender<WakeResult>>) -> T) -> T {
        // The map holds no invariant a panicking holder could break half-way.
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }

    /// Registers `invocation`, replacing an earlier registration of it (whose receiver then
    /// sees a closed channel), and returns the receiver its wake will arrive on.
    pub fn register(&self, invocation: InvocationId) -> oneshot::Receiver<WakeResult> {
        let (tx, rx) = oneshot::channel();
        self.with(|map| map.insert(invocation, tx));
        rx
    }

    /// Forgets `invocation`; a later wake for it is ignored.
    pub fn unregister(&self, invocation: InvocationId) {
        self.with(|map| map.remove(&invocation));
    }

    /// Completes `invocation` with `result` if it is registered here; returns whether it was.
    pub fn complete(&self, invocation: InvocationId, result: WakeResult) -> bool {
        match self.with(|map| map.remove(&invocation)) {
            Some(tx) => {
                // The caller may have given up in the meantime; nothing else to do then.
                let _ = tx.send(result);
                true
            }
            None => false,
        }
    }

    /// Drops every registration; their callers see a closed channel.
    pub fn clear(&self) {
        self.with(|map| map.clear());
    }

    /// Number of registered invocations.
    pub fn len(&self) -> usize {
        self.with(|map| map.len())
    }

    /// Whether no invocation is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Unregisters an invocation when dropped, so a caller that returns early, fails or is
/// cancelled never leaves a registration behind.
pub(crate) struct Registration {
    waiters: Waiters,
    invocation: InvocationId,
}

impl Registration {
    /// Registers `invocation` in `waiters` until the returned guard is dropped.
    pub(crate) fn new(waiters: &Waiters, invocation: InvocationId) -> (Self, oneshot::Receiver<WakeResult>) {
        let rx = waiters.register(invocation);
        (Registration { waiters: waiters.clone(), invocation }, rx)
    }
}

impl Registration {
    /// The registered invocation.
    pub(crate) fn invocation(&self) -> InvocationId {
        self.invocation
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.waiters.unregister(self.invocation);
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::SessionId;

    use super::*;

    #[tokio::test]
    async fn completes_registered_invocations_once_and_ignores_others() {
        let waiters = Waiters::default();
        let a = InvocationId { session: SessionId(1), seq: 1 };
        let b = InvocationId { session: SessionId(1), seq: 2 };
        let rx = waiters.register(a);
        assert!(!waiters.complete(b, Ok(GroupOutput::Unit)), "b was never registered");
        assert!(waiters.complete(a, Ok(GroupOutput::Bool(true))));
        assert!(!waiters.complete(a, Ok(GroupOutput::Unit)), "a is completed only once");
        assert_eq!(rx.await.ok(), Some(Ok(GroupOutput::Bool(true))));
        assert!(waiters.is_empty());

        let (guard, _rx) = Registration::new(&waiters, b);
        assert_eq!(waiters.len(), 1);
        drop(guard);
        assert!(waiters.is_empty(), "dropping the guard unregisters");
    }
}
