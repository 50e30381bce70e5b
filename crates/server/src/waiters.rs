//! Parked callers waiting on this node.
//!
//! A blocked call (lock, acquire, await, take, arrive) is parked *inside* the replicated
//! structure; what waits on a node is only the caller's future. Before proposing a call,
//! the node registers the call's invocation here; when any replica applies an entry whose
//! effects wake that invocation, the node holding the registration completes the future.
//! Every replica computes the same wakes, and nodes without the registration ignore them,
//! so the caller is answered exactly once, by the node it called, whoever leads by then.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use coterie_core::{CoreError, GroupOutput, InvocationId};
use tokio::sync::oneshot;

/// The result a parked call is completed with.
pub type WakeResult = Result<GroupOutput, CoreError>;

/// Registered invocations: the registration's token and where its wake goes.
type Registry = HashMap<InvocationId, (u64, oneshot::Sender<WakeResult>)>;

/// The registry of calls parked on behalf of this node's callers. Cheap to clone: clones
/// share the registry.
///
/// Each registration carries a token, so that the end of an earlier attempt of the same
/// invocation (its guard dropped late) never removes a later attempt's registration.
#[derive(Clone, Debug, Default)]
pub struct Waiters {
    inner: Arc<Mutex<Registry>>,
    tokens: Arc<AtomicU64>,
}

impl Waiters {
    fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        // The map holds no invariant a panicking holder could break half-way.
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }

    /// Registers `invocation`, replacing an earlier registration of it (whose receiver then
    /// sees a closed channel), and returns the receiver its wake will arrive on.
    pub fn register(&self, invocation: InvocationId) -> oneshot::Receiver<WakeResult> {
        self.register_with_token(invocation).1
    }

    /// Like [`Waiters::register`], also returning the registration's token for
    /// [`Waiters::unregister_token`].
    fn register_with_token(&self, invocation: InvocationId) -> (u64, oneshot::Receiver<WakeResult>) {
        let (tx, rx) = oneshot::channel();
        let token = self.tokens.fetch_add(1, Ordering::Relaxed);
        self.with(|map| map.insert(invocation, (token, tx)));
        (token, rx)
    }

    /// Forgets `invocation`; a later wake for it is ignored.
    pub fn unregister(&self, invocation: InvocationId) {
        self.with(|map| map.remove(&invocation));
    }

    /// Forgets `invocation` if its registration is still the one with `token`.
    fn unregister_token(&self, invocation: InvocationId, token: u64) {
        self.with(|map| {
            if map.get(&invocation).is_some_and(|(current, _)| *current == token) {
                map.remove(&invocation);
            }
        });
    }

    /// Completes `invocation` with `result` if it is registered here; returns whether it was.
    pub fn complete(&self, invocation: InvocationId, result: WakeResult) -> bool {
        match self.with(|map| map.remove(&invocation)) {
            Some((_, tx)) => {
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
    token: u64,
}

impl Registration {
    /// Registers `invocation` in `waiters` until the returned guard is dropped.
    pub(crate) fn new(waiters: &Waiters, invocation: InvocationId) -> (Self, oneshot::Receiver<WakeResult>) {
        let (token, rx) = waiters.register_with_token(invocation);
        (Registration { waiters: waiters.clone(), invocation, token }, rx)
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
        self.waiters.unregister_token(self.invocation, self.token);
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[tokio::test]
    async fn completes_registered_invocations_once_and_ignores_others() {
        let waiters = Waiters::default();
        let a = InvocationId { client: coterie_core::ClientId::MIN, seq: 1 };
        let b = InvocationId { client: coterie_core::ClientId::MIN, seq: 2 };
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

    #[tokio::test]
    async fn an_earlier_attempt_ending_late_leaves_the_later_registration_alone() {
        let waiters = Waiters::default();
        let a = InvocationId { client: coterie_core::ClientId::MIN, seq: 1 };
        let (first, _first_rx) = Registration::new(&waiters, a);
        let (second, second_rx) = Registration::new(&waiters, a);
        drop(first);
        assert_eq!(waiters.len(), 1, "the second attempt is still registered");
        assert!(waiters.complete(a, Ok(GroupOutput::Unit)));
        assert_eq!(second_rx.await.ok(), Some(Ok(GroupOutput::Unit)));
        drop(second);
        assert!(waiters.is_empty());
    }
}
