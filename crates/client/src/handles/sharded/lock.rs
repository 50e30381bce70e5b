//! The sharded Lock handle (seed 000's `d.lock`).
//!
//! A sharded structure has no sessions, so the holder is the handle: each handle draws its
//! own random 128-bit owner id when it is created (seed 000's "unique owner, auto-generated
//! UUID") and sends it with every call. A crashed holder is freed by its lease, not by a
//! session ending, so give a lease to any holding that must not outlive its process.

use std::time::Duration;

use coterie_core::kinds::lock::{LockCommand as C, LockOutput as O};
use coterie_core::{Fence, OwnerId, StructureCommand, StructureOutput as S};

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;

/// A non-reentrant mutex on the sharded engine, owned by this handle (seed 000's `d.lock`).
/// Waiters are granted the lock in FIFO order, each grant with a fence that is strictly
/// greater than every earlier one of this lock. Cheap to clone; a clone is the same owner.
///
/// ```ignore
/// let lock = client.lock("deploy-lock")?;
/// let fence = lock.acquire(Some(Duration::from_secs(30))).await?; // held at most 30 s
/// // ... critical section; storage may reject writes with an older fence ...
/// assert!(lock.release().await?);
/// ```
pub struct Lock<T: Transport> {
    client: Client<T>,
    placement: Placement,
    owner: OwnerId,
}

impl<T: Transport> Clone for Lock<T> {
    fn clone(&self) -> Self {
        Lock { client: self.client.clone(), placement: self.placement.clone(), owner: self.owner }
    }
}

impl<T: Transport> Lock<T> {
    pub(crate) fn new(client: Client<T>, placement: Placement, owner: OwnerId) -> Self {
        Lock { client, placement, owner }
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    /// This handle's owner id: what [`Lock::holder`] answers while this handle holds it.
    pub fn owner(&self) -> OwnerId {
        self.owner
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute_sharded(&self.placement, StructureCommand::Lock(command), mode).await? {
            S::Lock(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    /// Acquires the lock, waiting (in FIFO order with the other waiters) as long as it
    /// takes, and returns its fence. `lease`: the lock is freed that long after the grant
    /// unless released first (`None`: held until released). Acquiring a lock this handle
    /// already holds answers the same fence and restarts the lease: one release frees it.
    pub async fn acquire(&self, lease: Option<Duration>) -> Result<Fence, ClientError> {
        match self.run(C::Acquire { owner: self.owner, lease }, Mode::Blocking { wait: None }).await? {
            O::Fence(fence) => Ok(fence),
            other => Err(unexpected(S::Lock(other))),
        }
    }

    /// Acquires the lock if it is free or becomes free within `timeout` (zero: do not
    /// wait); returns its fence, or `None` when it was not acquired in time.
    pub async fn try_acquire(&self, lease: Option<Duration>, timeout: Duration) -> Result<Option<Fence>, ClientError> {
        let mode = if timeout.is_zero() { Mode::Mutation } else { Mode::Blocking { wait: Some(timeout) } };
        match self.run(C::TryAcquire { owner: self.owner, lease, timeout: Some(timeout) }, mode).await? {
            O::MaybeFence(fence) => Ok(fence),
            other => Err(unexpected(S::Lock(other))),
        }
    }

    /// Releases the lock if this handle holds it (the next waiter is granted it); `false`
    /// when this handle is not the holder (never acquired it, released it, or its lease
    /// ended), and nothing changed.
    pub async fn release(&self) -> Result<bool, ClientError> {
        match self.run(C::Release { owner: self.owner }, Mode::Mutation).await? {
            O::Bool(released) => Ok(released),
            other => Err(unexpected(S::Lock(other))),
        }
    }

    /// Whether anyone holds the lock.
    pub async fn is_locked(&self) -> Result<bool, ClientError> {
        match self.run(C::IsLocked, Mode::Read).await? {
            O::Bool(locked) => Ok(locked),
            other => Err(unexpected(S::Lock(other))),
        }
    }

    /// The current holder's owner id and fence, `None` when the lock is free. Compare the
    /// owner with [`Lock::owner`] to learn whether this handle holds it.
    pub async fn holder(&self) -> Result<Option<(OwnerId, Fence)>, ClientError> {
        match self.run(C::Holder, Mode::Read).await? {
            O::Holder(holder) => Ok(holder),
            other => Err(unexpected(S::Lock(other))),
        }
    }
}
