//! The sharded Queue handle.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use coterie_core::kinds::queue::{QueueCommand as C, QueueConfig, QueueOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S, StructureSpec};
use tokio::sync::OnceCell;

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;
use crate::value::Value;

/// A FIFO queue of `V` on the sharded engine (seed 000's `d.queue`), kept whole by the
/// owner of one partition. Cheap to clone.
///
/// Unbounded unless made with a capacity ([`Client::queue_with_capacity`]): such a handle
/// creates the queue with it before its first call (once per handle and its clones), and
/// an enqueue to a full queue is refused (`QueueFull`). The first use of a name fixes its
/// capacity: a name already used without one, or with another, is a configuration
/// conflict, reported on every call of the bounded handle.
pub struct Queue<T: Transport, V: Value> {
    client: Client<T>,
    placement: Placement,
    capacity: Option<u64>,
    created: Arc<OnceCell<()>>,
    item: PhantomData<fn() -> V>,
}

impl<T: Transport, V: Value> Clone for Queue<T, V> {
    fn clone(&self) -> Self {
        Queue {
            client: self.client.clone(),
            placement: self.placement.clone(),
            capacity: self.capacity,
            created: Arc::clone(&self.created),
            item: PhantomData,
        }
    }
}

impl<T: Transport, V: Value> Queue<T, V> {
    pub(crate) fn new(client: Client<T>, placement: Placement, capacity: Option<u64>) -> Self {
        Queue { client, placement, capacity, created: Arc::default(), item: PhantomData }
    }

    /// The capacity this handle creates the queue with (`None`: unbounded, nothing created).
    pub fn capacity(&self) -> Option<u64> {
        self.capacity
    }

    /// Creates the queue with this handle's capacity, if no earlier call of this handle (or
    /// a clone) did; answers whether this call created it (`false`: it existed with the
    /// same capacity, or there is no capacity to create it with). Every call of a bounded
    /// handle does this first; call it to learn the answer or to fail early on a conflict.
    pub async fn create(&self) -> Result<bool, ClientError> {
        let Some(capacity) = self.capacity else { return Ok(false) };
        let mut created = false;
        self.created
            .get_or_try_init(|| async {
                let spec = StructureSpec::Queue(QueueConfig { capacity: Some(capacity) });
                created = self.client.create_sharded(&self.placement, spec).await?;
                Ok::<(), ClientError>(())
            })
            .await?;
        Ok(created)
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        self.create().await?;
        match self.client.execute_sharded(&self.placement, StructureCommand::Queue(command), mode).await? {
            S::Queue(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn item(&self, command: C, mode: Mode) -> Result<Option<V>, ClientError> {
        match self.run(command, mode).await? {
            O::Item(Some(bytes)) => Ok(Some(V::from_bytes(&bytes)?)),
            O::Item(None) => Ok(None),
            other => Err(unexpected(S::Queue(other))),
        }
    }

    async fn count(&self, command: C, mode: Mode) -> Result<u64, ClientError> {
        match self.run(command, mode).await? {
            O::Count(count) => Ok(count),
            other => Err(unexpected(S::Queue(other))),
        }
    }

    /// Appends `item` (or hands it to the longest-waiting [`Queue::take`]); applied once
    /// however often the call is resent.
    pub async fn enqueue(&self, item: &V) -> Result<(), ClientError> {
        match self.run(C::Enqueue(item.to_bytes()?), Mode::Mutation).await? {
            O::Unit => Ok(()),
            other => Err(unexpected(S::Queue(other))),
        }
    }

    /// The front item without removing it, `None` when the queue is empty.
    pub async fn peek(&self) -> Result<Option<V>, ClientError> {
        self.item(C::Peek, Mode::Read).await
    }

    /// Removes and returns the front item without waiting, `None` when the queue is empty.
    pub async fn dequeue(&self) -> Result<Option<V>, ClientError> {
        self.item(C::Dequeue, Mode::Mutation).await
    }

    /// Removes and returns the front item, waiting up to `timeout` (in FIFO order with the
    /// other takers) while the queue is empty; `None` when `timeout` passed without one.
    ///
    /// The wait keeps its place across retries and member changes. It is always bounded:
    /// the owner ends it at `timeout` even if this future is dropped before then (the wire
    /// has no cancel for sharded calls yet), and an item enqueued meanwhile may go to that
    /// abandoned wait, so drop a take only when losing an item to it is acceptable.
    pub async fn take(&self, timeout: Duration) -> Result<Option<V>, ClientError> {
        let mode = if timeout.is_zero() { Mode::Mutation } else { Mode::Blocking { wait: Some(timeout) } };
        self.item(C::Take { timeout: Some(timeout) }, mode).await
    }

    /// The number of items in the queue.
    pub async fn size(&self) -> Result<u64, ClientError> {
        self.count(C::Size, Mode::Read).await
    }

    /// Removes up to `max` items (1 or more) from the front, oldest first.
    pub async fn drain(&self, max: u32) -> Result<Vec<V>, ClientError> {
        match self.run(C::Drain { max }, Mode::Mutation).await? {
            O::Items(items) => items.iter().map(|bytes| V::from_bytes(bytes).map_err(ClientError::from)).collect(),
            other => Err(unexpected(S::Queue(other))),
        }
    }

    /// Removes every item, returning how many there were. Takers already waiting go on
    /// waiting.
    pub async fn clear(&self) -> Result<u64, ClientError> {
        self.count(C::Clear, Mode::Mutation).await
    }
}
