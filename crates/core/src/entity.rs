//! User entities: an application's own state machines, sharded, journaled and reachable
//! from any member like the built-in kinds (DESIGN §2, seed 002).
//!
//! An application implements [`Entity`] for its type (an account, a counter, a sensor
//! aggregator) and registers it in an [`EntityRegistry`] under a type name, with a factory
//! that makes the initial state of an entity from its id. Every member is started with the
//! same registry. A call ([`EntityCall`]) names the type, the entity id and a command;
//! the entity is created lazily, by its factory, on the first command for its id.
//!
//! Why it is shaped this way:
//!
//! - **Deterministic like every state machine**: [`Entity::handle`] gets the command and an
//!   [`EntityCtx`] carrying the entity's id and the time the owner stamped on the entry,
//!   never a clock, so replaying a partition's journal rebuilds every entity exactly.
//! - **State as bytes in the group**: the group hosting the partition keeps each entity's
//!   state encoded (the core's [`codec`]), so its snapshot carries the entities without
//!   knowing their types, and a member restarted on its data directory recovers them by
//!   restoring the snapshot and replaying the journal. Only applying a command needs the
//!   type: the group decodes the state, has the entity handle the command and encodes it
//!   again, through the registry's type-erased [`EntityType`].
//! - **Exactly once**: an entity call is deduplicated by the caller's identity and sequence
//!   like any structure call, so a retried `tell` is applied once.
//! - **Placement by (type, id)**: [`partition_of`] hashes the type name and the id, so the
//!   entities of one type spread over the partitions, and so over the members.
//! - **Refused at the edge, recorded as data**: the serving member checks a call against its
//!   registry before journaling it ([`EntityRegistry::check`]), so an unknown type or a
//!   command that does not decode is refused with a clear error and nothing is written. If
//!   a journal is replayed with a registry that lacks a type it used, the group answers
//!   [`CoreError::UnknownEntityType`] for those records (data, not prose, as replicated
//!   errors must be).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::codec;
use crate::error::{CoreError, EntityPayload};
use crate::placement::{PartitionId, PlacementError, partition_of_key};
use crate::types::{LogIndex, Timestamp};

/// How many shards an entity type's ids are hashed into before the shards are placed on
/// partitions. Fixed (pinned like the placement hashes): every member and every caller must
/// place an entity in the same partition whatever target it was sent with.
pub const ENTITY_SHARDS: u32 = 4096;

/// What an entity knows about the command it handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityCtx<'a> {
    /// The entity's type name, as registered.
    pub entity_type: &'a str,
    /// The entity's id.
    pub id: &'a str,
    /// The time the owner stamped on the entry (milliseconds since the Unix epoch). The
    /// same on every replay; never read a clock instead.
    pub now: Timestamp,
    /// The entry's index in its partition's log.
    pub index: LogIndex,
}

/// An application's entity type: a deterministic state machine with typed commands and
/// replies.
///
/// `handle` must be pure: no I/O, no clock, no randomness, iteration only over ordered
/// collections. What it needs to know about the moment arrives in the [`EntityCtx`]. The
/// state, the commands and the replies are serde types, encoded with the core's codec; a
/// change to their shapes is a change to the journal's format, so make it compatibly
/// (append enum variants, do not reorder fields).
pub trait Entity: Serialize + DeserializeOwned + Send + 'static {
    /// The commands this entity accepts.
    type Command: Serialize + DeserializeOwned + Send + 'static;
    /// What a command answers.
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// Handles one command, changing the state as it must, and answers it.
    fn handle(&mut self, command: Self::Command, ctx: &EntityCtx<'_>) -> Self::Reply;
}

/// One call to an entity: its type, its id, and the encoded command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCall {
    /// The entity type's registered name.
    pub entity_type: String,
    /// The entity's id.
    pub id: String,
    /// The command, encoded with [`codec::encode`].
    pub command: Vec<u8>,
    /// Whether the caller waits for the reply (`ask`) or only for the command to be applied
    /// (`tell`, answered [`GroupOutput::Unit`](crate::GroupOutput::Unit)).
    pub ask: bool,
}

impl EntityCall {
    /// A call of `command` to entity `id` of type `entity_type`.
    pub fn new<C: Serialize>(
        entity_type: impl Into<String>,
        id: impl Into<String>,
        command: &C,
        ask: bool,
    ) -> Result<Self, CoreError> {
        Ok(EntityCall { entity_type: entity_type.into(), id: id.into(), command: codec::encode(command)?, ask })
    }

    /// Bytes of user data the call carries, for the group's value size limit.
    pub fn payload_len(&self) -> usize {
        self.command.len()
    }
}

/// The partition of entity `id` of type `entity_type`, among `partitions`.
pub fn partition_of(entity_type: &str, id: &str, partitions: u32) -> Result<PartitionId, PlacementError> {
    partition_of_key(entity_type, id.as_bytes(), ENTITY_SHARDS, partitions)
}

/// What applying a command to an entity produced: its new state and its reply, encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled {
    /// The entity's state after the command.
    pub state: Vec<u8>,
    /// The command's reply.
    pub reply: Vec<u8>,
}

/// An entity type with its type erased: what the registry stores and the group applies.
pub trait EntityType: Send + Sync {
    /// Whether `command` decodes as a command of this type.
    fn check(&self, command: &[u8]) -> Result<(), EntityPayload>;

    /// Applies `command` to the entity whose encoded state is `state` (`None`: the entity
    /// does not exist yet, and the factory makes it from `ctx.id`).
    fn handle(&self, state: Option<&[u8]>, command: &[u8], ctx: &EntityCtx<'_>) -> Result<Handled, EntityPayload>;
}

/// An [`Entity`] type `E` and its factory.
struct Typed<E, F> {
    factory: F,
    entity: PhantomData<fn() -> E>,
}

impl<E, F> EntityType for Typed<E, F>
where
    E: Entity,
    F: Fn(&str) -> E + Send + Sync + 'static,
{
    fn check(&self, command: &[u8]) -> Result<(), EntityPayload> {
        codec::decode::<E::Command>(command, "entity command").map(drop).map_err(|_| EntityPayload::Command)
    }

    fn handle(&self, state: Option<&[u8]>, command: &[u8], ctx: &EntityCtx<'_>) -> Result<Handled, EntityPayload> {
        let command: E::Command = codec::decode(command, "entity command").map_err(|_| EntityPayload::Command)?;
        let mut entity = match state {
            Some(bytes) => codec::decode::<E>(bytes, "entity state").map_err(|_| EntityPayload::State)?,
            None => (self.factory)(ctx.id),
        };
        let reply = entity.handle(command, ctx);
        let reply = codec::encode(&reply).map_err(|_| EntityPayload::Reply)?;
        let state = codec::encode(&entity).map_err(|_| EntityPayload::State)?;
        Ok(Handled { state, reply })
    }
}

/// Why a type could not be registered.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RegistryError {
    /// The name is empty.
    #[error("an entity type needs a non-empty name")]
    EmptyName,
    /// The name is taken.
    #[error("entity type {name:?} is registered already; register each type once, under one name")]
    Duplicate {
        /// The name.
        name: String,
    },
}

/// The entity types a member serves, by name: given when the member starts, the same on
/// every member. Cloning it is cheap (the types are shared).
#[derive(Clone, Default)]
pub struct EntityRegistry {
    types: BTreeMap<String, Arc<dyn EntityType>>,
}

impl EntityRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        EntityRegistry::default()
    }

    /// Registers entity type `E` as `name`; `factory` makes an entity's initial state from
    /// its id, on the first command for that id.
    pub fn register<E, F>(&mut self, name: impl Into<String>, factory: F) -> Result<&mut Self, RegistryError>
    where
        E: Entity,
        F: Fn(&str) -> E + Send + Sync + 'static,
    {
        let name = name.into();
        if name.is_empty() {
            return Err(RegistryError::EmptyName);
        }
        if self.types.contains_key(&name) {
            return Err(RegistryError::Duplicate { name });
        }
        self.types.insert(name, Arc::new(Typed { factory, entity: PhantomData }));
        Ok(self)
    }

    /// The type registered as `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn EntityType>> {
        self.types.get(name)
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// Whether no type is registered.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Whether this member can apply `call`: its type is registered and its command decodes
    /// as that type's. What the serving member checks before journaling a call.
    pub fn check(&self, call: &EntityCall) -> Result<(), CoreError> {
        let Some(entity_type) = self.get(&call.entity_type) else {
            return Err(CoreError::UnknownEntityType { name: call.entity_type.clone() });
        };
        entity_type
            .check(&call.command)
            .map_err(|what| CoreError::EntityPayload { entity_type: call.entity_type.clone(), what })
    }
}

/// Lists the names: the types themselves have nothing to show.
impl fmt::Debug for EntityRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// Two registries are equal when they register the same names (a factory has no identity
/// to compare).
impl PartialEq for EntityRegistry {
    fn eq(&self, other: &Self) -> bool {
        self.names().eq(other.names())
    }
}

impl Eq for EntityRegistry {}

#[cfg(test)]
#[path = "entity_tests.rs"]
mod tests;
