//! The group's user entities ([`crate::entity`]): applying a command to one, exactly once,
//! and the snapshot layout that carries their states.
//!
//! The states are kept encoded, by (type, id), so the group's snapshot holds them without
//! knowing the types; the registry its host gives it ([`Group::set_entity_types`]) is what
//! applies a command. The registry is not state: it is skipped by the snapshot and never
//! compared, so a group restored from a snapshot equals the one that wrote it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dedup::Recorded;
use super::sessions::SessionTable;
use super::{DeadlineIndex, Group, GroupConfig, GroupOutput};
use crate::codec;
use crate::ctx::ApplyCtx;
use crate::dedup::{Decision, DedupTable};
use crate::entity::{EntityCall, EntityCtx, EntityRegistry};
use crate::error::{CoreError, NameProblem};
use crate::machine::Applied;
use crate::structure::Structure;
use crate::types::{SessionId, Timestamp};

/// Where an entity's state is kept: its type's name and its id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityKey {
    /// The entity type's registered name.
    pub entity_type: String,
    /// The entity's id.
    pub id: String,
}

/// The registry a group applies entity commands with. Always equal to another: it is the
/// host's, not the group's state.
#[derive(Clone, Default)]
pub(super) struct Types(pub(super) EntityRegistry);

impl PartialEq for Types {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Types {}

impl std::fmt::Debug for Types {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Group {
    /// Gives the group the entity types it applies commands for (the same on every replica
    /// and on every replay). Set it before the group applies anything: a journal replayed
    /// without a type it used answers those records [`CoreError::UnknownEntityType`].
    pub fn set_entity_types(&mut self, types: EntityRegistry) {
        self.types = Types(types);
    }

    /// The encoded state of entity `id` of type `entity_type`, if it exists.
    pub fn entity_state(&self, entity_type: &str, id: &str) -> Option<&[u8]> {
        let key = EntityKey { entity_type: entity_type.to_owned(), id: id.to_owned() };
        self.entities.get(&key).map(Vec::as_slice)
    }

    /// How many entities the group holds.
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    fn validate_entity(&self, call: &EntityCall) -> Result<(), CoreError> {
        for name in [&call.entity_type, &call.id] {
            if name.is_empty() {
                return Err(CoreError::invalid_name(NameProblem::Empty));
            }
            if name.len() > self.config.max_name_bytes {
                return Err(CoreError::invalid_name(NameProblem::too_long(name.len(), self.config.max_name_bytes)));
            }
        }
        let size = call.payload_len();
        if size > self.config.max_value_bytes {
            return Err(CoreError::ValueTooLarge { size, limit: self.config.max_value_bytes });
        }
        Ok(())
    }

    /// Applies an entity call: answered from its record if it is a resend, else handled by
    /// its type and recorded.
    pub(super) fn entity(&mut self, call: EntityCall, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        if let Err(err) = self.validate_entity(&call) {
            return Applied::err(err);
        }
        if let Some(invocation) = ctx.invocation {
            match self.calls.decide(invocation.client, invocation.seq, ctx.now) {
                Decision::Apply => {}
                Decision::Answer(Recorded::Done(result)) => return Applied::ready(result.clone()),
                // Entity calls never park; a parked record under this number is another call's.
                Decision::Answer(Recorded::Parked { .. }) => return Applied::parked(),
                Decision::Refuse(err) => return Applied::err(err),
            }
        }
        if let Some(session) = ctx.session
            && let Err(err) = self.sessions.refresh(session, ctx.now)
        {
            return Applied::err(err);
        }
        let result = self.handle_entity(call, ctx);
        if let Some(invocation) = ctx.invocation {
            // `decide` answered Apply within this same apply: the record cannot be refused.
            let _ = self.calls.record(invocation.client, invocation.seq, Recorded::Done(result.clone()), ctx.now);
        }
        Applied::ready(result)
    }

    fn handle_entity(&mut self, call: EntityCall, ctx: &ApplyCtx) -> Result<GroupOutput, CoreError> {
        let EntityCall { entity_type, id, command, ask } = call;
        let Some(handler) = self.types.0.get(&entity_type) else {
            return Err(CoreError::UnknownEntityType { name: entity_type });
        };
        let key = EntityKey { entity_type, id };
        let entity_ctx = EntityCtx { entity_type: &key.entity_type, id: &key.id, now: ctx.now, index: ctx.index };
        let handled = handler
            .handle(self.entities.get(&key).map(Vec::as_slice), &command, &entity_ctx)
            .map_err(|what| CoreError::EntityPayload { entity_type: key.entity_type.clone(), what })?;
        self.entities.insert(key, handled.state);
        Ok(if ask { GroupOutput::Entity(handled.reply) } else { GroupOutput::Unit })
    }
}

/// The layout of a group snapshot written before groups held entities: the same fields,
/// without the entity states at the end.
#[derive(Deserialize)]
struct BeforeEntities {
    config: GroupConfig,
    now: Timestamp,
    structures: BTreeMap<String, Structure>,
    sessions: SessionTable,
    opens: DedupTable<SessionId>,
    calls: DedupTable<Recorded<GroupOutput>>,
}

/// Decodes a group snapshot of either layout: today's, or one written before groups held
/// entities (which has no entities).
pub(super) fn decode_snapshot(bytes: &[u8]) -> Result<Group, CoreError> {
    let current = codec::decode::<Group>(bytes, "group snapshot");
    let Err(err) = current else { return current };
    match codec::decode::<BeforeEntities>(bytes, "group snapshot") {
        Ok(old) => Ok(Group {
            config: old.config,
            now: old.now,
            structures: old.structures,
            sessions: old.sessions,
            opens: old.opens,
            calls: old.calls,
            entities: BTreeMap::new(),
            deadlines: DeadlineIndex::default(),
            types: Types::default(),
        }),
        // The current layout's complaint is the one to report.
        Err(_) => Err(err),
    }
}
