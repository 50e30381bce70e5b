//! The sharded Set handle.

use std::marker::PhantomData;

use coterie_core::kinds::set::{SetCommand as C, SetOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::Placement;
use super::page::{self, Cursor, Page};
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;
use crate::value::Value;

/// A set of `V` on the sharded engine (seed 000's `d.set`), its members compared by their
/// stored bytes ([`Value`]). Cheap to clone.
///
/// Its size, member listing and `clear` span every partition holding a shard of the set,
/// as a [`Map`](super::Map)'s do.
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

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute_sharded(&self.placement, StructureCommand::Set(command), mode).await? {
            S::Set(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn flag(&self, command: C, mode: Mode) -> Result<bool, ClientError> {
        match self.run(command, mode).await? {
            O::Bool(flag) => Ok(flag),
            other => Err(unexpected(S::Set(other))),
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

    /// The number of members, summed over every partition.
    pub async fn size(&self) -> Result<u64, ClientError> {
        match self.run(C::Size, Mode::Read).await? {
            O::Count(size) => Ok(size),
            other => Err(unexpected(S::Set(other))),
        }
    }

    /// One page of at most `limit` members (1 to 10 000), from the start (`cursor` `None`)
    /// or where the previous page's `next` says; ordered by partition, then bytes.
    pub async fn members(&self, cursor: Option<Cursor>, limit: u32) -> Result<Page<V>, ClientError> {
        match self.run(C::Members { after: cursor.map(|c| c.0), limit }, Mode::Read).await? {
            O::Members { members, next } => Ok(Page {
                items: members.iter().map(|m| V::from_bytes(m).map_err(ClientError::from)).collect::<Result<_, _>>()?,
                next: next.map(Cursor),
            }),
            other => Err(unexpected(S::Set(other))),
        }
    }

    /// Every member, page by page, up to `max` of them: `next` is `None` when that is all
    /// of them, else the cursor of the rest (for [`Set::members`]).
    pub async fn all_members(&self, max: usize) -> Result<Page<V>, ClientError> {
        page::collect(max, |cursor, limit| self.members(cursor, limit)).await
    }

    /// Removes every member, answering how many there were (not atomic across partitions).
    pub async fn clear(&self) -> Result<u64, ClientError> {
        match self.run(C::Clear, Mode::Mutation).await? {
            O::Count(removed) => Ok(removed),
            other => Err(unexpected(S::Set(other))),
        }
    }
}
