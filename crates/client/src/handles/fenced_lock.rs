//! The FencedLock handle and its guard.

use std::time::Duration;

use coterie_core::kinds::fenced_lock::{FencedLockCommand as C, FencedLockOutput as O};
use coterie_core::{Fence, OwnerId, StructureCommand, StructureOutput as S};

use super::unexpected;
use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;

/// A reentrant distributed mutex with fencing tokens, owned by this handle within the
/// client's session. If the client dies, its session expires and the lock passes on.
pub struct FencedLock<T: Transport> {
    client: Client<T>,
    target: Target,
    owner: OwnerId,
}

impl<T: Transport> Clone for FencedLock<T> {
    /// A handle for the same owner (tasks sharing one ownership).
    fn clone(&self) -> Self {
        FencedLock { client: self.client.clone(), target: self.target.clone(), owner: self.owner }
    }
}

impl<T: Transport> FencedLock<T> {
    pub(crate) fn new(client: Client<T>, target: Target, owner: OwnerId) -> Self {
        FencedLock { client, target, owner }
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute(&self.target, StructureCommand::FencedLock(command), mode).await? {
            S::FencedLock(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    /// Acquires the lock, waiting as long as it takes; returns its fence.
    pub async fn lock(&self) -> Result<Fence, ClientError> {
        match self.run(C::Lock { owner: self.owner }, Mode::Blocking { wait: None }).await? {
            O::Fence(fence) => Ok(fence),
            other => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// Acquires the lock and returns a guard that releases it.
    pub async fn lock_guard(&self) -> Result<LockGuard<T>, ClientError> {
        let fence = self.lock().await?;
        Ok(LockGuard { lock: Some(self.clone()), fence })
    }

    /// Acquires the lock if it is free or becomes free within `timeout` (zero: do not wait);
    /// returns the fence, or `None` if it was not acquired.
    pub async fn try_lock(&self, timeout: Duration) -> Result<Option<Fence>, ClientError> {
        let mode = if timeout.is_zero() { Mode::Mutation } else { Mode::Blocking { wait: Some(timeout) } };
        match self.run(C::TryLock { owner: self.owner, timeout: Some(timeout) }, mode).await? {
            O::MaybeFence(fence) => Ok(fence),
            other => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// Releases one hold. Fails with [`coterie_core::CoreError::NotOwner`] if this handle
    /// does not hold the lock (for example, because its session expired).
    pub async fn unlock(&self) -> Result<(), ClientError> {
        self.run(C::Unlock { owner: self.owner }, Mode::Mutation).await.map(drop)
    }

    /// Whether anyone holds the lock.
    pub async fn is_locked(&self) -> Result<bool, ClientError> {
        self.flag(C::IsLocked, Mode::Read).await
    }

    /// Whether this handle holds the lock.
    pub async fn is_locked_by_me(&self) -> Result<bool, ClientError> {
        self.flag(C::IsLockedByMe { owner: self.owner }, Mode::SessionRead).await
    }

    /// How many times the holder has acquired the lock (0 when free).
    pub async fn lock_count(&self) -> Result<u32, ClientError> {
        match self.run(C::LockCount, Mode::Read).await? {
            O::Count(count) => Ok(count),
            other => Err(unexpected(S::FencedLock(other))),
        }
    }

    /// The fence of this handle's current hold; an error if it does not hold the lock.
    pub async fn fence(&self) -> Result<Fence, ClientError> {
        match self.run(C::Fence { owner: self.owner }, Mode::SessionRead).await? {
            O::Fence(fence) => Ok(fence),
            other => Err(unexpected(S::FencedLock(other))),
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
}

impl<T: Transport> LockGuard<T> {
    /// The fence of this hold, to pass to storage that checks fences.
    pub fn fence(&self) -> Fence {
        self.fence
    }

    /// Releases the lock.
    pub async fn unlock(mut self) -> Result<(), ClientError> {
        match self.lock.take() {
            Some(lock) => lock.unlock().await,
            None => Ok(()),
        }
    }
}

impl<T: Transport> Drop for LockGuard<T> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // Best effort: if this fails, the session's expiry releases the lock.
            runtime.spawn(async move {
                let _ = lock.unlock().await;
            });
        }
    }
}
