//! The AtomicLong handle.

use coterie_core::StructureCommand;
use coterie_core::StructureOutput as S;
use coterie_core::kinds::atomic_long::{AtomicLongCommand as C, AtomicLongOutput as O};

use super::unexpected;
use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;

/// A 64-bit signed register with atomic arithmetic; overflow is an error, never a wrap.
pub struct AtomicLong<T: Transport> {
    client: Client<T>,
    target: Target,
}

impl<T: Transport> AtomicLong<T> {
    pub(crate) fn new(client: Client<T>, target: Target) -> Self {
        AtomicLong { client, target }
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute(&self.target, StructureCommand::AtomicLong(command), mode).await? {
            S::AtomicLong(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn value(&self, command: C, mode: Mode) -> Result<i64, ClientError> {
        match self.run(command, mode).await? {
            O::Value(value) => Ok(value),
            other => Err(unexpected(S::AtomicLong(other))),
        }
    }

    /// The current value (linearizable).
    pub async fn get(&self) -> Result<i64, ClientError> {
        self.value(C::Get, Mode::Read).await
    }

    /// Replaces the value.
    pub async fn set(&self, value: i64) -> Result<(), ClientError> {
        self.run(C::Set(value), Mode::Mutation).await.map(drop)
    }

    /// Replaces the value, returning the previous one.
    pub async fn get_and_set(&self, value: i64) -> Result<i64, ClientError> {
        self.value(C::GetAndSet(value), Mode::Mutation).await
    }

    /// Adds `delta`, returning the new value.
    pub async fn add_and_get(&self, delta: i64) -> Result<i64, ClientError> {
        self.value(C::AddAndGet(delta), Mode::Mutation).await
    }

    /// Adds `delta`, returning the previous value.
    pub async fn get_and_add(&self, delta: i64) -> Result<i64, ClientError> {
        self.value(C::GetAndAdd(delta), Mode::Mutation).await
    }

    /// Adds one, returning the new value (a sequence generator's next id).
    pub async fn increment_and_get(&self) -> Result<i64, ClientError> {
        self.value(C::IncrementAndGet, Mode::Mutation).await
    }

    /// Subtracts one, returning the new value.
    pub async fn decrement_and_get(&self) -> Result<i64, ClientError> {
        self.value(C::DecrementAndGet, Mode::Mutation).await
    }

    /// Adds one, returning the previous value.
    pub async fn get_and_increment(&self) -> Result<i64, ClientError> {
        self.value(C::GetAndIncrement, Mode::Mutation).await
    }

    /// Subtracts one, returning the previous value.
    pub async fn get_and_decrement(&self) -> Result<i64, ClientError> {
        self.value(C::GetAndDecrement, Mode::Mutation).await
    }

    /// Sets `update` if the value is `expected`; returns whether it did.
    pub async fn compare_and_set(&self, expected: i64, update: i64) -> Result<bool, ClientError> {
        match self.run(C::CompareAndSet { expected, update }, Mode::Mutation).await? {
            O::Bool(swapped) => Ok(swapped),
            other => Err(unexpected(S::AtomicLong(other))),
        }
    }

    /// Sets `update` if the value is `expected`; returns the value it found (the witness),
    /// which equals `expected` exactly when it swapped. A compare-and-set loop needs no
    /// read after a miss: the witness is the next `expected`.
    ///
    /// ```ignore
    /// let mut current = counter.get().await?;
    /// loop {
    ///     let witness = counter.compare_and_exchange(current, current * 2).await?;
    ///     if witness == current { break; }
    ///     current = witness;
    /// }
    /// ```
    pub async fn compare_and_exchange(&self, expected: i64, update: i64) -> Result<i64, ClientError> {
        match self.run(C::CompareAndExchange { expected, update }, Mode::Mutation).await? {
            O::Value(witness) => Ok(witness),
            other => Err(unexpected(S::AtomicLong(other))),
        }
    }
}
