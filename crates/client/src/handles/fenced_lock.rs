//! The FencedLock handle and its guard.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_core::kinds::fenced_lock::{FencedLockCommand as C, FencedLockOutput as O};
use coterie_core::{CoreError, Fence, OwnerId, SessionId, StructureCommand, StructureOutput as S};

use super::unexpected;
use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;

/// A reentrant distributed mutex with fencing tokens, owned by this handle within the
/// client's session. If the client dies, its session expires and the lock passes on.
///
/// # When the session expires while the lock is held
///
/// A client that cannot heartbeat within its session TTL (paused, cut off) loses its
/// session, and the cluster releases the session's locks: the next waiter gets the lock
/// with a larger fence. The handle remembers the session it acquired the lock in, so after
/// that `unlock`, `is_locked_by_me`, `fence` and a reentrant `lock` fail with
/// [`ClientError::LockOwnershipLost`] instead of quietly answering for a new session that
/// never held the lock. After the error the handle holds nothing, and `lock` acquires anew.
pub struct FencedLock<T: Transport> {
    client: Client<T>,
    target: Target,
    owner: OwnerId,
    hold: Arc<Mutex<Hold>>,
}

/// What a handle (and its clones) holds: the session the lock was acquired in, and how many
/// times it was acquired and not yet released.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Hold {
    session: Option<SessionId>,
    count: u32,
}

impl<T: Transport> Clone for FencedLock<T> {
    /// A handle for the same owner (tasks sharing one ownership).
    fn clone(&self) -> Self {
        FencedLock {
            client: self.client.clone(),
            target: self.target.clone(),
            owner: self.owner,
            hold: Arc::clone(&self.hold),
        }
    }
}

impl<T: Transport> FencedLock<T> {
    pub(crate) fn new(client: Client<T>, target: Target, owner: OwnerId) -> Self {
        FencedLock { client, target, owner, hold: Arc::default() }
    }

    fn hold(&self) -> Hold {
        *self.hold.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update_hold(&self, f: impl FnOnce(&mut Hold)) {
        f(&mut self.hold.lock().unwrap_or_else(PoisonError::into_inner));
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute(&self.target, StructureCommand::FencedLock(command), mode).await? {
            S::FencedLock(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    /// Runs `command` in the session this handle holds the lock in, if it holds it (in any
    /// session the client picks otherwise). If that session expired, the hold is forgotten
    /// and the call fails with [`ClientError::LockOwnershipLost`]. Answers the output and
    /// the session the call was made in.
    async fn run_held(&self, command: C, mode: Mode) -> Result<(O, Option<SessionId>), ClientError> {
        let held = self.hold().session;
        let command = StructureCommand::FencedLock(command);
        match self.client.execute_pinned(&self.target, command, mode, held).await {
            Ok((S::FencedLock(output), session)) => Ok((output, session)),
            Ok((other, _)) => Err(unexpected(other)),
            Err(ClientError::Refused(CoreError::SessionExpired { session })) if held == Some(session) => {
                self.update_hold(|hold| {
                    if hold.session == Some(session) {
                        *hold = Hold::default();
                    }
                });
                Err(ClientError::LockOwnershipLost { name: self.target.name.clone(), session })
            }
            Err(err) => Err(err),
        }
    }

    /// Records one more acquisition, made in `session`.
    fn acquired(&self, session: Option<SessionId>) {
        self.update_hold(|hold| {
            if hold.session != session {
                *hold = Hold { session, count: 0 };
            }
            hold.count = hold.count.saturating_add(1);
        });
    }

    /// Acquires the lock, waiting as long as it takes; returns its fence. Fails with
    /// [`ClientError::LockOwnershipLost`] if this handle held the lock in a session that
    /// has expired since (a reentrant acquire cannot continue a lost hold).
    pub async fn lock(&self) -> Result<Fence, ClientError> {
        match self.run_held(C::Lock { owner: self.owner }, Mode::Blocking { wait: None }).await? {
            (O::Fence(fence), session) => {
                self.acquired(session);
                Ok(fence)
            }
            (other, _) => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// Acquires the lock and returns a guard that releases it.
    pub async fn lock_guard(&self) -> Result<LockGuard<T>, ClientError> {
        let fence = self.lock().await?;
        let session = self.hold().session;
        Ok(LockGuard { lock: Some(self.clone()), fence, session })
    }

    /// Acquires the lock if it is free or becomes free within `timeout` (zero: do not wait);
    /// returns the fence, or `None` if it was not acquired.
    /// Like [`FencedLock::lock`], it fails with [`ClientError::LockOwnershipLost`] when a
    /// hold of this handle was lost with its session.
    pub async fn try_lock(&self, timeout: Duration) -> Result<Option<Fence>, ClientError> {
        let mode = if timeout.is_zero() { Mode::Mutation } else { Mode::Blocking { wait: Some(timeout) } };
        match self.run_held(C::TryLock { owner: self.owner, timeout: Some(timeout) }, mode).await? {
            (O::MaybeFence(fence), session) => {
                if fence.is_some() {
                    self.acquired(session);
                }
                Ok(fence)
            }
            (other, _) => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// Releases one hold. Fails with [`ClientError::LockOwnershipLost`] if the session this
    /// handle held the lock in has expired (the lock was released for it, and may be held
    /// by another owner now), and with [`CoreError::NotOwner`] if this handle does not hold
    /// the lock.
    pub async fn unlock(&self) -> Result<(), ClientError> {
        match self.run_held(C::Unlock { owner: self.owner }, Mode::Mutation).await {
            Ok(_) => {
                self.update_hold(|hold| {
                    hold.count = hold.count.saturating_sub(1);
                    if hold.count == 0 {
                        *hold = Hold::default();
                    }
                });
                Ok(())
            }
            Err(ClientError::Refused(err @ CoreError::NotOwner { .. })) => {
                self.update_hold(|hold| *hold = Hold::default());
                Err(ClientError::Refused(err))
            }
            Err(err) => Err(err),
        }
    }

    /// Whether anyone holds the lock.
    pub async fn is_locked(&self) -> Result<bool, ClientError> {
        self.flag(C::IsLocked, Mode::Read).await
    }

    /// Whether this handle holds the lock. Fails with [`ClientError::LockOwnershipLost`]
    /// if it held it in a session that has expired since.
    pub async fn is_locked_by_me(&self) -> Result<bool, ClientError> {
        match self.run_held(C::IsLockedByMe { owner: self.owner }, Mode::SessionRead).await? {
            (O::Bool(flag), _) => Ok(flag),
            (other, _) => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// How many times the holder has acquired the lock (0 when free).
    pub async fn lock_count(&self) -> Result<u32, ClientError> {
        match self.run(C::LockCount, Mode::Read).await? {
            O::Count(count) => Ok(count),
            other => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// The fence of this handle's current hold; an error if it does not hold the lock
    /// ([`ClientError::LockOwnershipLost`] if it held it in a session that has expired).
    pub async fn fence(&self) -> Result<Fence, ClientError> {
        match self.run_held(C::Fence { owner: self.owner }, Mode::SessionRead).await? {
            (O::Fence(fence), _) => Ok(fence),
            (other, _) => Err(unexpected(S::FencedLock(other))),
        }
    }

    async fn flag(&self, command: C, mode: Mode) -> Result<bool, ClientError> {
        match self.run(command, mode).await? {
            O::Bool(flag) => Ok(flag),
            other => Err(unexpected(S::FencedLock(other))),
        }
    }
}

/// A held lock: `with lock as fence` in Rust. Release it with [`LockGuard::unlock`] to see
/// the outcome; a guard dropped without it releases the lock in the background.
pub struct LockGuard<T: Transport> {
    lock: Option<FencedLock<T>>,
    fence: Fence,
    /// The session the lock was acquired in.
    session: Option<SessionId>,
}

impl<T: Transport> LockGuard<T> {
    /// The fence of this hold, to pass to storage that checks fences.
    pub fn fence(&self) -> Fence {
        self.fence
    }

    /// Whether this guard's hold is still in force: `false` once the lock was lost with
    /// the session that held it ([`ClientError::LockOwnershipLost`] is what `unlock` then
    /// answers). Asks the cluster.
    pub async fn is_held(&self) -> Result<bool, ClientError> {
        match &self.lock {
            Some(lock) if lock.hold().session == self.session => match lock.is_locked_by_me().await {
                Ok(held) => Ok(held),
                Err(ClientError::LockOwnershipLost { .. }) => Ok(false),
                Err(err) => Err(err),
            },
            _ => Ok(false),
        }
    }

    /// Releases the lock. Fails with [`ClientError::LockOwnershipLost`] if the lock was
    /// lost with its session while the guard was held.
    pub async fn unlock(mut self) -> Result<(), ClientError> {
        match self.lock.take() {
            // The handle's hold moved on: this guard's session was lost (and noticed by
            // another call of the handle) before it was released.
            Some(lock) if lock.hold().session != self.session => match self.session {
                Some(session) => Err(ClientError::LockOwnershipLost { name: lock.target.name.clone(), session }),
                None => Ok(()),
            },
            Some(lock) => lock.unlock().await,
            None => Ok(()),
        }
    }
}

impl<T: Transport> Drop for LockGuard<T> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take()
            && lock.hold().session == self.session
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // Best effort: if this fails, the session's expiry releases the lock.
            runtime.spawn(async move {
                let _ = lock.unlock().await;
            });
        }
    }
}
