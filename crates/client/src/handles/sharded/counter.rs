//! The sharded Counter handle.

use coterie_core::kinds::counter::{CounterCommand as C, CounterOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;

/// A 64-bit signed counter on the sharded engine (seed 000's `d.counter`): changes return
/// the new value; overflow is refused, never wrapped. Cheap to clone.
pub struct Counter<T: Transport> {
    client: Client<T>,
    placement: Placement,
}

impl<T: Transport> Clone for Counter<T> {
    fn clone(&self) -> Self {
        Counter { client: self.client.clone(), placement: self.placement.clone() }
    }
}

impl<T: Transport> Counter<T> {
    pub(crate) fn new(client: Client<T>, placement: Placement) -> Self {
        Counter { client, placement }
    }

    /// The counter's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    async fn value(&self, command: C, mode: Mode) -> Result<i64, ClientError> {
        match self.client.execute_sharded(&self.placement, StructureCommand::Counter(command), mode).await? {
            S::Counter(O::Value(value)) => Ok(value),
            other => Err(unexpected(other)),
        }
    }

    /// Adds `delta` (which may be negative), returning the new value; applied once however
    /// often the call is resent.
    pub async fn increment(&self, delta: i64) -> Result<i64, ClientError> {
        self.value(C::Increment(delta), Mode::Mutation).await
    }

    /// Subtracts `delta`, returning the new value.
    pub async fn decrement(&self, delta: i64) -> Result<i64, ClientError> {
        self.value(C::Decrement(delta), Mode::Mutation).await
    }

    /// The current value (0 for a counter never changed).
    pub async fn get(&self) -> Result<i64, ClientError> {
        self.value(C::Get, Mode::Read).await
    }
}
