//! The sharded Semaphore handle (seed 000's `d.semaphore`).
//!
//! Like the sharded [`Lock`](super::Lock), permits belong to the handle (its random owner id),
//! not to a session, so a crashed holder's permits come back when their lease ends. The
//! number of permits is the semaphore's configuration: the handle creates the semaphore
//! with it before its first call (the API's `ShardedSemaphoreService.Create`), once per
//! handle and its clones. Creating is idempotent for the same count; a name first used with
//! another count is a configuration conflict, reported on every call.

use std::sync::Arc;
use std::time::Duration;

use coterie_core::kinds::semaphore::{SemaphoreCommand as C, SemaphoreConfig, SemaphoreOutput as O};
use coterie_core::{OwnerId, StructureCommand, StructureOutput as S, StructureSpec};
use tokio::sync::OnceCell;

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;

/// A counting semaphore of a fixed number of permits on the sharded engine, whose permits
/// this handle holds (seed 000's `d.semaphore("db-pool", permits=5)`). Each acquire takes
/// one permit; one handle may hold several. Waiters are granted permits in FIFO order, and
/// an acquire never takes a free permit while another waits ahead of it. Cheap to clone; a
/// clone is the same owner.
///
/// ```ignore
/// let pool = client.sharded_semaphore("db-pool", 5)?;
/// pool.acquire(Some(Duration::from_secs(30))).await?;   // blocks while all 5 are taken
/// // ... use the connection ...
/// assert!(pool.release().await?);
/// ```
pub struct ShardedSemaphore<T: Transport> {
    client: Client<T>,
    placement: Placement,
    owner: OwnerId,
    permits: u32,
    created: Arc<OnceCell<()>>,
}

impl<T: Transport> Clone for ShardedSemaphore<T> {
    fn clone(&self) -> Self {
        ShardedSemaphore {
            client: self.client.clone(),
            placement: self.placement.clone(),
            owner: self.owner,
            permits: self.permits,
            created: Arc::clone(&self.created),
        }
    }
}

impl<T: Transport> ShardedSemaphore<T> {
    pub(crate) fn new(client: Client<T>, placement: Placement, owner: OwnerId, permits: u32) -> Self {
        ShardedSemaphore { client, placement, owner, permits, created: Arc::default() }
    }

    /// The semaphore's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    /// The number of permits it was created with.
    pub fn permits(&self) -> u32 {
        self.permits
    }

    /// This handle's owner id.
    pub fn owner(&self) -> OwnerId {
        self.owner
    }

    /// Creates the semaphore with this handle's permits, if no earlier call of this handle
    /// (or a clone) did. Answers whether this call created it (`false`: it existed with the
    /// same permits, or this handle created it before). Every other call does this first,
    /// so calling it is needed only to learn the answer or to fail early on a conflict.
    pub async fn create(&self) -> Result<bool, ClientError> {
        let mut created = false;
        self.created
            .get_or_try_init(|| async {
                let spec = StructureSpec::Semaphore(SemaphoreConfig { permits: self.permits });
                created = self.client.create_sharded(&self.placement, spec).await?;
                Ok::<(), ClientError>(())
            })
            .await?;
        Ok(created)
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        self.create().await?;
        match self.client.execute_sharded(&self.placement, StructureCommand::Semaphore(command), mode).await? {
            S::Semaphore(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn count(&self, command: C) -> Result<u64, ClientError> {
        match self.run(command, Mode::Read).await? {
            O::Count(count) => Ok(count),
            other => Err(unexpected(S::Semaphore(other))),
        }
    }

    /// Takes one permit, waiting (FIFO) as long as it takes. `lease`: the permit comes back
    /// that long after the grant unless released first (`None`: held until released).
    pub async fn acquire(&self, lease: Option<Duration>) -> Result<(), ClientError> {
        match self.run(C::Acquire { owner: self.owner, lease }, Mode::Blocking { wait: None }).await? {
            O::Unit => Ok(()),
            other => Err(unexpected(S::Semaphore(other))),
        }
    }

    /// Takes one permit if one is free (and nobody waits ahead) or becomes free within
    /// `timeout` (zero: do not wait); answers whether it took one.
    pub async fn try_acquire(&self, lease: Option<Duration>, timeout: Duration) -> Result<bool, ClientError> {
        let mode = if timeout.is_zero() { Mode::Mutation } else { Mode::Blocking { wait: Some(timeout) } };
        match self.run(C::TryAcquire { owner: self.owner, lease, timeout: Some(timeout) }, mode).await? {
            O::Bool(acquired) => Ok(acquired),
            other => Err(unexpected(S::Semaphore(other))),
        }
    }

    /// Returns this handle's oldest permit (granted to the longest waiter, if any); `false`
    /// when this handle holds none, and nothing changed.
    pub async fn release(&self) -> Result<bool, ClientError> {
        match self.run(C::Release { owner: self.owner }, Mode::Mutation).await? {
            O::Bool(released) => Ok(released),
            other => Err(unexpected(S::Semaphore(other))),
        }
    }

    /// The number of free permits.
    pub async fn available(&self) -> Result<u64, ClientError> {
        self.count(C::Available).await
    }

    /// The number of permits this handle holds.
    pub async fn held(&self) -> Result<u64, ClientError> {
        self.count(C::HeldBy { owner: self.owner }).await
    }
}
