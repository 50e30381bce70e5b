//! The sharded Set handle.

use std::marker::PhantomData;

use coterie_core::kinds::set::{SetCommand as C, SetOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;
use crate::value::Value;

/// A set of `V` on the sharded engine (seed 000's `d.set`), its members compared by their
/// stored bytes ([`Value`]). Cheap to clone.
///
/// Its size and member listing are not offered yet: the sharded engine does not serve
/// whole-set operations over the API.
pub struct Set<T: Transport, V: Value> {
    client: Client<T>,
    placement: Placement,
    member: PhantomData<fn() -> V>,
}

impl<T: Transport, V: Value> Clone for Set<T, V> {
    fn clone(&self) -> Self {
        Set { client: self.client.clone(), placement: self.placement.clone(), member: PhantomData }
    }
}

impl<T: Transport, V: Value> Set<T, V> {
    pub(crate) fn new(client: Client<T>, placement: Placement) -> Self {
        Set { client, placement, member: PhantomData }
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    async fn flag(&self, command: C, mode: Mode) -> Result<bool, ClientError> {
        match self.client.execute_sharded(&self.placement, StructureCommand::Set(command), mode).await? {
            S::Set(O::Bool(flag)) => Ok(flag),
            other => Err(unexpected(other)),
        }
    }

    /// Adds `member`; returns whether it was added (false: it was already there).
    pub async fn add(&self, member: &V) -> Result<bool, ClientError> {
        self.flag(C::Add(member.to_bytes()?), Mode::Mutation).await
    }

    /// Removes `member`; returns whether it was there.
    pub async fn remove(&self, member: &V) -> Result<bool, ClientError> {
        self.flag(C::Remove(member.to_bytes()?), Mode::Mutation).await
    }

    /// Whether `member` is in the set.
    pub async fn contains(&self, member: &V) -> Result<bool, ClientError> {
        self.flag(C::Contains(member.to_bytes()?), Mode::Read).await
    }
}
