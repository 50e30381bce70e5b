//! The sharded Queue handle.

use std::marker::PhantomData;
use std::time::Duration;

use coterie_core::kinds::queue::{QueueCommand as C, QueueOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;
use crate::value::Value;

/// A FIFO queue of `V` on the sharded engine (seed 000's `d.queue`), kept whole by the
/// owner of one partition. Cheap to clone.
///
/// Queues are unbounded here: the core has a capacity (`QueueConfig`), but the API has no
/// way to create a queue with one yet, so this handle offers none.
pub struct Queue<T: Transport, V: Value> {
    client: Client<T>,
    placement: Placement,
    item: PhantomData<fn() -> V>,
}

impl<T: Transport, V: Value> Clone for Queue<T, V> {
    fn clone(&self) -> Self {
        Queue { client: self.client.clone(), placement: self.placement.clone(), item: PhantomData }
    }
}

impl<T: Transport, V: Value> Queue<T, V> {
    pub(crate) fn new(client: Client<T>, placement: Placement) -> Self {
        Queue { client, placement, item: PhantomData }
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
