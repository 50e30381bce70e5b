//! The sharded Map handle.

use std::marker::PhantomData;

use coterie_core::kinds::map::{MapCommand as C, MapOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::Placement;
use super::page::{self, Cursor, Page};
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;
use crate::value::Value;

/// A map from `K` to `V` on the sharded engine (seed 000's `d.map`), each key kept by the
/// owner of its shard's partition. Keys and values are stored as bytes ([`Value`]):
/// strings and byte vectors raw (so a key typed on the command line is the same key), any
/// serde type wrapped in [`Serde`](crate::Serde). Changes answer what they replaced, so a
/// caller learns the outcome of its own write without a second read. Cheap to clone.
///
/// ```ignore
/// let users = client.map::<String, Serde<User>>("users")?;
/// let previous = users.put(&"alice".to_owned(), &Serde(alice)).await?; // None: a new key
/// ```
///
/// Its size, listings and `clear` span every partition holding a shard of the map: the
/// member that receives the call asks each and gathers the answers. A listing comes in
/// [`Page`]s ordered by partition, then key (not by key overall); `clear` is not atomic
/// across partitions (a reader may see some cleared before others).
pub struct Map<T: Transport, K: Value, V: Value> {
    client: Client<T>,
    placement: Placement,
    entry: PhantomData<fn() -> (K, V)>,
}

impl<T: Transport, K: Value, V: Value> Clone for Map<T, K, V> {
    fn clone(&self) -> Self {
        Map { client: self.client.clone(), placement: self.placement.clone(), entry: PhantomData }
    }
}

impl<T: Transport, K: Value, V: Value> Map<T, K, V> {
    pub(crate) fn new(client: Client<T>, placement: Placement) -> Self {
        Map { client, placement, entry: PhantomData }
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute_sharded(&self.placement, StructureCommand::Map(command), mode).await? {
            S::Map(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn value(&self, command: C, mode: Mode) -> Result<Option<V>, ClientError> {
        match self.run(command, mode).await? {
            O::Value(Some(bytes)) => Ok(Some(V::from_bytes(&bytes)?)),
            O::Value(None) => Ok(None),
            other => Err(unexpected(S::Map(other))),
        }
    }

    async fn flag(&self, command: C, mode: Mode) -> Result<bool, ClientError> {
        match self.run(command, mode).await? {
            O::Bool(flag) => Ok(flag),
            other => Err(unexpected(S::Map(other))),
        }
    }

    fn bytes(value: Option<&V>) -> Result<Option<Vec<u8>>, ClientError> {
        value.map(V::to_bytes).transpose().map_err(ClientError::from)
    }

    /// Stores `value` under `key`, returning the value it replaced (`None`: a new key).
    pub async fn put(&self, key: &K, value: &V) -> Result<Option<V>, ClientError> {
        self.value(C::Put { key: key.to_bytes()?, value: value.to_bytes()? }, Mode::Mutation).await
    }

    /// The value under `key`, `None` when there is no entry.
    pub async fn get(&self, key: &K) -> Result<Option<V>, ClientError> {
        self.value(C::Get { key: key.to_bytes()? }, Mode::Read).await
    }

    /// Whether `key` has an entry.
    pub async fn contains(&self, key: &K) -> Result<bool, ClientError> {
        self.flag(C::Contains { key: key.to_bytes()? }, Mode::Read).await
    }

    /// Removes the entry under `key`; returns whether it existed.
    pub async fn delete(&self, key: &K) -> Result<bool, ClientError> {
        self.flag(C::Delete { key: key.to_bytes()? }, Mode::Mutation).await
    }

    /// Stores `value` only if `key` has no entry. Answers the value already there (nothing
    /// stored), or `None` when it stored `value`.
    pub async fn put_if_absent(&self, key: &K, value: &V) -> Result<Option<V>, ClientError> {
        self.value(C::PutIfAbsent { key: key.to_bytes()?, value: value.to_bytes()? }, Mode::Mutation).await
    }

    /// Stores `value` only if `key` already has an entry. Answers the value it replaced, or
    /// `None` when the key was absent and nothing was stored.
    pub async fn replace(&self, key: &K, value: &V) -> Result<Option<V>, ClientError> {
        self.value(C::Replace { key: key.to_bytes()?, value: value.to_bytes()? }, Mode::Mutation).await
    }

    /// Sets the entry under `key` to `update` if it is `expected` now (compared as stored
    /// bytes); returns whether it did. `None` means no entry on either side: `expected`
    /// `None` inserts only if the key is absent, `update` `None` deletes the entry.
    pub async fn compare_and_set(
        &self,
        key: &K,
        expected: Option<&V>,
        update: Option<&V>,
    ) -> Result<bool, ClientError> {
        let command =
            C::CompareAndSet { key: key.to_bytes()?, expected: Self::bytes(expected)?, update: Self::bytes(update)? };
        self.flag(command, Mode::Mutation).await
    }

    /// The number of entries, summed over every partition.
    pub async fn size(&self) -> Result<u64, ClientError> {
        match self.run(C::Size, Mode::Read).await? {
            O::Count(size) => Ok(size),
            other => Err(unexpected(S::Map(other))),
        }
    }

    /// One page of at most `limit` keys (1 to 10 000), from the start (`cursor` `None`) or
    /// where the previous page's `next` says.
    pub async fn keys(&self, cursor: Option<Cursor>, limit: u32) -> Result<Page<K>, ClientError> {
        match self.run(C::Keys { after: cursor.map(|c| c.0), limit }, Mode::Read).await? {
            O::Keys { keys, next } => Ok(Page {
                items: keys
                    .iter()
                    .map(|key| K::from_bytes(key).map_err(ClientError::from))
                    .collect::<Result<_, _>>()?,
                next: next.map(Cursor),
            }),
            other => Err(unexpected(S::Map(other))),
        }
    }

    /// One page of at most `limit` entries (1 to 10 000), as [`Map::keys`].
    pub async fn entries(&self, cursor: Option<Cursor>, limit: u32) -> Result<Page<(K, V)>, ClientError> {
        match self.run(C::Entries { after: cursor.map(|c| c.0), limit }, Mode::Read).await? {
            O::Entries { entries, next } => Ok(Page {
                items: entries
                    .iter()
                    .map(|(key, value)| Ok((K::from_bytes(key)?, V::from_bytes(value)?)))
                    .collect::<Result<_, ClientError>>()?,
                next: next.map(Cursor),
            }),
            other => Err(unexpected(S::Map(other))),
        }
    }

    /// Every key, page by page, up to `max` of them: `next` is `None` when that is all of
    /// them, else the cursor of the rest (for [`Map::keys`]).
    pub async fn all_keys(&self, max: usize) -> Result<Page<K>, ClientError> {
        page::collect(max, |cursor, limit| self.keys(cursor, limit)).await
    }

    /// Every entry, page by page, up to `max` of them, as [`Map::all_keys`].
    pub async fn all_entries(&self, max: usize) -> Result<Page<(K, V)>, ClientError> {
        page::collect(max, |cursor, limit| self.entries(cursor, limit)).await
    }

    /// Removes every entry, answering how many there were. Each partition clears its part
    /// in its own write; a clear that fails part-way may be retried (it is applied once).
    pub async fn clear(&self) -> Result<u64, ClientError> {
        match self.run(C::Clear, Mode::Mutation).await? {
            O::Count(removed) => Ok(removed),
            other => Err(unexpected(S::Map(other))),
        }
    }
}
