//! The AtomicReference handle.

use std::marker::PhantomData;

use coterie_core::StructureCommand;
use coterie_core::StructureOutput as S;
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand as C, AtomicReferenceOutput as O};

use super::unexpected;
use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;
use crate::value::Value;

/// A nullable register of `V`, compared by its stored bytes.
pub struct AtomicReference<T: Transport, V: Value> {
    client: Client<T>,
    target: Target,
    value: PhantomData<fn() -> V>,
}

impl<T: Transport, V: Value> AtomicReference<T, V> {
    pub(crate) fn new(client: Client<T>, target: Target) -> Self {
        AtomicReference { client, target, value: PhantomData }
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute(&self.target, StructureCommand::AtomicReference(command), mode).await? {
            S::AtomicReference(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn value(&self, command: C, mode: Mode) -> Result<Option<V>, ClientError> {
        match self.run(command, mode).await? {
            O::Value(Some(bytes)) => Ok(Some(V::from_bytes(&bytes)?)),
            O::Value(None) => Ok(None),
            other => Err(unexpected(S::AtomicReference(other))),
        }
    }

    async fn flag(&self, command: C, mode: Mode) -> Result<bool, ClientError> {
        match self.run(command, mode).await? {
            O::Bool(flag) => Ok(flag),
            other => Err(unexpected(S::AtomicReference(other))),
        }
    }

    fn bytes(value: Option<&V>) -> Result<Option<Vec<u8>>, ClientError> {
        value.map(V::to_bytes).transpose().map_err(ClientError::from)
    }

    /// The current value, `None` when null.
    pub async fn get(&self) -> Result<Option<V>, ClientError> {
        self.value(C::Get, Mode::Read).await
    }

    /// Stores `value` (`None`: null).
    pub async fn set(&self, value: Option<&V>) -> Result<(), ClientError> {
        self.run(C::Set(Self::bytes(value)?), Mode::Mutation).await.map(drop)
    }

    /// Stores `value`, returning the previous one.
    pub async fn get_and_set(&self, value: Option<&V>) -> Result<Option<V>, ClientError> {
        self.value(C::GetAndSet(Self::bytes(value)?), Mode::Mutation).await
    }

    /// Stores `update` if the current value is `expected`; returns whether it did.
    pub async fn compare_and_set(&self, expected: Option<&V>, update: Option<&V>) -> Result<bool, ClientError> {
        let command = C::CompareAndSet { expected: Self::bytes(expected)?, update: Self::bytes(update)? };
        self.flag(command, Mode::Mutation).await
    }

    /// Stores `value` if the reference is null; returns whether it did.
    pub async fn set_if_absent(&self, value: &V) -> Result<bool, ClientError> {
        self.flag(C::SetIfAbsent(value.to_bytes()?), Mode::Mutation).await
    }

    /// Whether the reference is null.
    pub async fn is_null(&self) -> Result<bool, ClientError> {
        self.flag(C::IsNull, Mode::Read).await
    }

    /// Sets the reference to null.
    pub async fn clear(&self) -> Result<(), ClientError> {
        self.run(C::Clear, Mode::Mutation).await.map(drop)
    }

    /// Whether the current value equals `value` (`None`: whether it is null).
    pub async fn contains(&self, value: Option<&V>) -> Result<bool, ClientError> {
        self.flag(C::Contains(Self::bytes(value)?), Mode::Read).await
    }
}
