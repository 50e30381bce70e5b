//! A group: the state machine one Raft group (or one shard) replicates.
//!
//! A group hosts structures of any kind by name and owns what must be shared between them:
//! client sessions (a session's expiry must release its locks in *every* structure in the
//! same apply), the record of every client's calls that answers resends, the deadline index
//! that ticks use, and the group clock. Structures never see each other; the group routes commands to them and
//! turns their effects into wakes for parked callers.
//!
//! Opening a session is idempotent: [`GroupCommand::OpenSession`] carries the caller's
//! [`ClientId`] and a per-client open sequence number, and the group answers a resent open
//! from a [`DedupTable`] of the sessions it opened, so a lost reply never leaves the client
//! with two sessions (the table's contract — bounded, expiring after
//! [`GroupConfig::client_ttl`], never applying a resend twice — is in [`crate::dedup`]).
//!
//! Calls are deduplicated the same way, by the caller's [`InvocationId`] — its client id and
//! its sequence number for this group — in a second table ([`dedup`] says what it records),
//! not by session. Sessions stay what they are for: owning locks and permits (and the calls
//! waiting for them). A resend of a call that was applied is answered even after the session
//! it was made in expired; a call refused because its session expired was certainly not
//! applied, so the client may make it again in a new session.

pub mod config;
pub mod deadlines;
pub mod dedup;
mod entities;
pub mod sessions;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::ctx::ApplyCtx;
use crate::dedup::{Decision, DedupTable};
use crate::entity::EntityCall;
use crate::error::CoreError;
use crate::machine::{Applied, Effect, Reply, StateMachine};
use crate::structure::{Structure, StructureCommand, StructureOutput, StructureSpec};
use crate::types::{ClientId, InvocationId, LogIndex, SessionId, Timestamp};
pub use config::GroupConfig;
use deadlines::DeadlineIndex;
use dedup::Recorded;
use sessions::SessionTable;

/// Commands a group accepts. The caller's session and invocation travel in the [`ApplyCtx`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupCommand {
    /// Opens a session that expires `ttl` after its last heartbeat or call.
    /// Answers [`GroupOutput::Session`] (the id is the log index of the command that opened
    /// it). Idempotent per `(client, seq)`: a resend answers the session the first one
    /// opened, even if that session has since expired (the client then opens another, with
    /// a new `seq`). The client must keep to the contract of [`crate::dedup`].
    OpenSession {
        /// Time to live without a heartbeat.
        ttl: Duration,
        /// The opening client.
        client: ClientId,
        /// The client's open sequence number in this group: from 1, a new one per open, the
        /// same on every resend of one open.
        seq: u64,
    },
    /// Keeps a session alive.
    Heartbeat {
        /// The session.
        session: SessionId,
    },
    /// Closes a session, releasing everything it holds and cancelling its parked calls.
    CloseSession {
        /// The session.
        session: SessionId,
    },
    /// Advances the group clock to the entry's time: fires due deadlines and expires
    /// sessions. Answers [`GroupOutput::Expired`] with the sessions that expired.
    Tick,
    /// Applies a structure command to the structure `name`, creating it with its kind's
    /// default configuration on first use (a read of a missing structure creates nothing).
    Invoke {
        /// The structure's name.
        name: String,
        /// The command.
        command: StructureCommand,
    },
    /// Creates `name` with an explicit configuration. Answers `Bool(true)` if created,
    /// `Bool(false)` if it already existed with the same spec, and an error otherwise.
    Create {
        /// The structure's name.
        name: String,
        /// Its kind and configuration.
        spec: StructureSpec,
    },
    /// Removes `name` and cancels its parked calls. Answers `Bool(existed)`.
    Destroy {
        /// The structure's name.
        name: String,
    },
    /// Cancels a parked call (its caller went away or gave up). Answers `Bool(was parked)`.
    Cancel {
        /// The parked call.
        invocation: InvocationId,
    },
    /// Applies a command to a user entity ([`crate::entity`]), creating it with its type's
    /// factory on first use. Answers [`GroupOutput::Entity`] with the encoded reply for an
    /// `ask`, [`GroupOutput::Unit`] for a `tell`. Never a read: every entity command is
    /// journaled, since only the entity knows whether it changes state.
    Entity(EntityCall),
}

impl GroupCommand {
    /// Encodes the command for the log or the wire.
    pub fn encode(&self) -> Result<Vec<u8>, CoreError> {
        codec::encode(self)
    }

    /// Whether this command is a read: a structure command that
    /// [`StateMachine::read`] answers without changing state. Decided by the kind and the
    /// operation alone, so it costs no access to any structure.
    pub fn is_read(&self) -> bool {
        let GroupCommand::Invoke { name, command } = self else {
            return false;
        };
        let empty = StructureSpec::default_for(command.kind()).build();
        empty.read(name, command, &ApplyCtx::internal(LogIndex(0), Timestamp(0))).is_some()
    }

    /// Decodes a command, with a clear error for malformed or foreign bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CoreError> {
        codec::decode(bytes, "group command")
    }
}

/// Results of [`GroupCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupOutput {
    /// A session was opened.
    Session(SessionId),
    /// Sessions that a tick expired.
    Expired(Vec<SessionId>),
    /// A yes/no answer.
    Bool(bool),
    /// Done, nothing to report.
    Unit,
    /// A structure's output.
    Structure(StructureOutput),
    /// An entity's reply to an `ask`, encoded with the core's codec.
    Entity(Vec<u8>),
}

/// The replicated state of one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    config: GroupConfig,
    /// The highest time any entry carried; time never goes back within the group.
    now: Timestamp,
    structures: BTreeMap<String, Structure>,
    sessions: SessionTable,
    /// The sessions each client opened, by open sequence number: answers resent opens.
    opens: DedupTable<SessionId>,
    /// Every client's calls, by sequence number: answers resent calls.
    calls: DedupTable<Recorded<GroupOutput>>,
    /// Every user entity's encoded state, by type and id ([`crate::entity`]).
    entities: BTreeMap<entities::EntityKey, Vec<u8>>,
    #[serde(skip)]
    deadlines: DeadlineIndex,
    /// The entity types this group applies commands for: given by its host, not state.
    #[serde(skip)]
    types: entities::Types,
}

impl Default for Group {
    fn default() -> Self {
        Group::new(GroupConfig::default())
    }
}

impl Group {
    /// An empty group.
    pub fn new(config: GroupConfig) -> Self {
        Group {
            now: Timestamp::default(),
            structures: BTreeMap::new(),
            sessions: SessionTable::default(),
            opens: DedupTable::new(config.client_limits()),
            calls: DedupTable::new(config.call_limits()),
            entities: BTreeMap::new(),
            deadlines: DeadlineIndex::default(),
            types: entities::Types::default(),
            config,
        }
    }

    /// The group's configuration.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// The structure `name`, if it exists.
    pub fn structure(&self, name: &str) -> Option<&Structure> {
        self.structures.get(name)
    }

    /// Names of all structures, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.structures.keys().map(String::as_str)
    }

    /// Whether `session` is open.
    pub fn has_session(&self, session: SessionId) -> bool {
        self.sessions.contains(session)
    }

    /// Number of open sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Number of clients whose session opens the group remembers.
    pub fn client_count(&self) -> usize {
        self.opens.len()
    }

    /// Number of clients whose calls the group remembers.
    pub fn caller_count(&self) -> usize {
        self.calls.len()
    }

    /// The calls parked in the group's structures, in no particular order: what a host
    /// that lost its callers (a journaled group reopened after a restart) cancels, so that
    /// nothing is granted to a caller that is gone.
    pub fn parked(&self) -> Vec<InvocationId> {
        self.calls
            .pinned()
            .filter(|(_, _, recorded)| matches!(recorded, Recorded::Parked { .. }))
            .map(|(client, seq, _)| InvocationId { client, seq })
            .collect()
    }

    /// The group clock: the latest time any applied entry carried.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The earliest pending deadline of any structure, so the driver knows when to tick.
    /// Session expiry is not included: the driver ticks periodically for that.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.deadlines.earliest()
    }

    /// Whether the group's time must go on advancing: it has open sessions (which expire), or
    /// parked calls or timers with deadlines. The tick policy every engine follows: tick a
    /// group periodically while this holds, and not at all while it does not, so idle groups
    /// cost no log entries. Remembered clients (session opens, calls) do not count: their
    /// records need no time to pass to stay correct (a resend is decided at its own entry's
    /// time), and are forgotten by the next tick or when a new client needs the room.
    pub fn needs_ticks(&self) -> bool {
        self.session_count() > 0 || self.next_deadline().is_some()
    }

    fn validate_name(&self, name: &str) -> Result<(), CoreError> {
        if name.is_empty() {
            return Err(CoreError::invalid_name(crate::error::NameProblem::Empty));
        }
        if name.len() > self.config.max_name_bytes {
            return Err(CoreError::invalid_name(crate::error::NameProblem::too_long(
                name.len(),
                self.config.max_name_bytes,
            )));
        }
        Ok(())
    }

    fn reindex(&mut self, name: &str) {
        let deadline = self.structures.get(name).and_then(Structure::next_deadline);
        self.deadlines.set(name, deadline);
    }

    /// Stores the results of wakes in their callers' records, so a client that resends a
    /// parked call after it completed gets the result.
    fn record_wakes(&mut self, effects: &[Effect<GroupOutput>], now: Timestamp) {
        for Effect::Wake { invocation, result } in effects {
            self.calls.complete(invocation.client, invocation.seq, Recorded::Done(result.clone()), now);
        }
    }

    fn invoke(&mut self, name: String, command: StructureCommand, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        if let Err(err) = self.validate_name(&name) {
            return Applied::err(err);
        }
        let size = command.payload_len();
        if size > self.config.max_value_bytes {
            return Applied::err(CoreError::ValueTooLarge { size, limit: self.config.max_value_bytes });
        }
        // A resend is answered from its record first, whatever became of its session since.
        if let Some(invocation) = ctx.invocation {
            match self.calls.decide(invocation.client, invocation.seq, ctx.now) {
                Decision::Apply => {}
                Decision::Answer(Recorded::Done(result)) => return Applied::ready(result.clone()),
                Decision::Answer(Recorded::Parked { .. }) => return Applied::parked(),
                Decision::Refuse(err) => return Applied::err(err),
            }
        }
        if let Some(session) = ctx.session
            && let Err(err) = self.sessions.refresh(session, ctx.now)
        {
            // Not recorded: the refusal is certain (nothing was applied), so a resend in the
            // same session gets it again, and the call may be made anew in another session.
            return Applied::err(err);
        }

        let applied = match self.structures.get_mut(&name) {
            Some(structure) => structure.apply(&name, command, ctx),
            None => {
                let spec = StructureSpec::default_for(command.kind());
                let mut structure = spec.build();
                let applied = structure.apply(&name, command, ctx);
                // Keep the new structure only if the command changed it: reads and failed
                // calls on a missing name leave nothing behind.
                if structure != spec.build() {
                    self.structures.insert(name.clone(), structure);
                }
                applied
            }
        };
        let applied = Applied {
            response: match applied.response {
                Reply::Ready(result) => Reply::Ready(result.map(GroupOutput::Structure)),
                Reply::Parked => Reply::Parked,
            },
            effects: applied.effects.into_iter().map(|e| e.map(GroupOutput::Structure)).collect(),
        };

        self.reindex(&name);
        if self.structures.contains_key(&name)
            && let Some(session) = ctx.session.and_then(|s| self.sessions.get_mut(s))
        {
            session.touched.insert(name.clone());
        }
        if let Some(invocation) = ctx.invocation {
            let recorded = match &applied.response {
                Reply::Ready(result) => Recorded::Done(result.clone()),
                Reply::Parked => Recorded::Parked { structure: name },
            };
            // `decide` answered Apply within this same apply, so the client has room: the
            // record cannot be refused.
            let _ = self.calls.record(invocation.client, invocation.seq, recorded, ctx.now);
        }
        self.record_wakes(&applied.effects, ctx.now);
        applied
    }

    /// Releases everything `sessions` hold in the structures they touched.
    fn release(
        &mut self,
        sessions: &BTreeSet<SessionId>,
        touched: BTreeSet<String>,
        ctx: &ApplyCtx,
    ) -> Vec<Effect<GroupOutput>> {
        let mut effects = Vec::new();
        for name in touched {
            if let Some(structure) = self.structures.get_mut(&name) {
                effects.extend(
                    structure.release_sessions(sessions, ctx).into_iter().map(|e| e.map(GroupOutput::Structure)),
                );
                self.reindex(&name);
            }
        }
        effects
    }

    fn close_session(&mut self, session: SessionId, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        let Some(closed) = self.sessions.remove(session) else {
            return Applied::err(CoreError::SessionExpired { session });
        };
        let effects = self.release(&BTreeSet::from([session]), closed.touched, ctx);
        self.record_wakes(&effects, ctx.now);
        Applied::ok(GroupOutput::Unit).with_effects(effects)
    }

    fn open_session(&mut self, ttl: Duration, client: ClientId, seq: u64, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        if ttl.is_zero() || ttl > self.config.max_session_ttl {
            return Applied::err(CoreError::invalid(
                "open_session",
                crate::error::InvalidReason::SessionTtl { ttl, max: self.config.max_session_ttl },
            ));
        }
        if seq == 0 {
            return Applied::err(CoreError::invalid("open_session", crate::error::InvalidReason::ZeroOpenSeq));
        }
        match self.opens.decide(client, seq, ctx.now) {
            Decision::Answer(&id) => return Applied::ok(GroupOutput::Session(id)),
            Decision::Refuse(err) => return Applied::err(err),
            Decision::Apply => {}
        }
        let id = SessionId(ctx.index.0);
        // Recorded before the session opens: if the table has no room, nothing opens.
        if let Err(err) = self.opens.record(client, seq, id, ctx.now) {
            return Applied::err(err);
        }
        self.sessions.open(id, ttl, ctx.now);
        Applied::ok(GroupOutput::Session(id))
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        self.opens.expire(ctx.now);
        self.calls.expire(ctx.now);
        let mut effects = Vec::new();
        for name in self.deadlines.due(ctx.now) {
            if let Some(structure) = self.structures.get_mut(&name) {
                effects.extend(structure.tick(ctx).into_iter().map(|e| e.map(GroupOutput::Structure)));
            }
            self.reindex(&name);
        }
        let expired = self.sessions.take_expired(ctx.now);
        let ids: BTreeSet<SessionId> = expired.keys().copied().collect();
        let touched: BTreeSet<String> = expired.into_values().flat_map(|s| s.touched).collect();
        effects.extend(self.release(&ids, touched, ctx));
        self.record_wakes(&effects, ctx.now);
        Applied::ok(GroupOutput::Expired(ids.into_iter().collect())).with_effects(effects)
    }

    fn cancel(&mut self, invocation: InvocationId, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        let parked_in = match self.calls.get(invocation.client, invocation.seq) {
            Some(Recorded::Parked { structure }) => Some(structure.clone()),
            _ => None,
        };
        let Some(name) = parked_in else {
            return Applied::ok(GroupOutput::Bool(false));
        };
        let effects: Vec<_> = match self.structures.get_mut(&name) {
            Some(structure) => {
                structure.cancel(invocation, ctx).into_iter().map(|e| e.map(GroupOutput::Structure)).collect()
            }
            None => Vec::new(),
        };
        self.reindex(&name);
        self.record_wakes(&effects, ctx.now);
        let cancelled = effects.iter().any(|e| e.invocation() == invocation);
        Applied::ok(GroupOutput::Bool(cancelled)).with_effects(effects)
    }

    fn create(&mut self, name: String, spec: StructureSpec) -> Applied<GroupOutput> {
        if let Err(err) = self.validate_name(&name) {
            return Applied::err(err);
        }
        match self.structures.get(&name) {
            Some(existing) if existing.spec() == spec => Applied::ok(GroupOutput::Bool(false)),
            Some(existing) => {
                Applied::err(CoreError::ConfigConflict { name, existing: format!("{:?}", existing.spec()) })
            }
            None => {
                self.structures.insert(name, spec.build());
                Applied::ok(GroupOutput::Bool(true))
            }
        }
    }

    fn destroy(&mut self, name: String, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        let parked: Vec<InvocationId> = self
            .calls
            .pinned()
            .filter(|(_, _, recorded)| matches!(recorded, Recorded::Parked { structure } if *structure == name))
            .map(|(client, seq, _)| InvocationId { client, seq })
            .collect();
        let Some(mut structure) = self.structures.remove(&name) else {
            return Applied::ok(GroupOutput::Bool(false));
        };
        let effects: Vec<_> = parked
            .into_iter()
            .flat_map(|invocation| structure.cancel(invocation, ctx))
            .map(|e| e.map(GroupOutput::Structure))
            .collect();
        self.deadlines.set(&name, None);
        self.record_wakes(&effects, ctx.now);
        Applied::ok(GroupOutput::Bool(true)).with_effects(effects)
    }
}

impl StateMachine for Group {
    type Command = GroupCommand;
    type Output = GroupOutput;

    fn apply(&mut self, command: GroupCommand, ctx: &ApplyCtx) -> Applied<GroupOutput> {
        self.now = self.now.max(ctx.now);
        let ctx = &ApplyCtx { now: self.now, ..*ctx };
        match command {
            GroupCommand::OpenSession { ttl, client, seq } => self.open_session(ttl, client, seq, ctx),
            GroupCommand::Heartbeat { session } => match self.sessions.refresh(session, ctx.now) {
                Ok(_) => Applied::ok(GroupOutput::Unit),
                Err(err) => Applied::err(err),
            },
            GroupCommand::CloseSession { session } => self.close_session(session, ctx),
            GroupCommand::Tick => self.tick(ctx),
            GroupCommand::Invoke { name, command } => self.invoke(name, command, ctx),
            GroupCommand::Create { name, spec } => self.create(name, spec),
            GroupCommand::Destroy { name } => self.destroy(name, ctx),
            GroupCommand::Cancel { invocation } => self.cancel(invocation, ctx),
            GroupCommand::Entity(call) => self.entity(call, ctx),
        }
    }

    /// Serves a read-only structure command from the current state. Unlike applying it
    /// through the log, this neither refreshes the caller's session nor records the call in
    /// the caller's record (a read needs neither); the answer is the same.
    fn read(&self, command: &GroupCommand, ctx: &ApplyCtx) -> Option<Result<GroupOutput, CoreError>> {
        if !command.is_read() {
            return None;
        }
        let GroupCommand::Invoke { name, command } = command else {
            return None;
        };
        if let Err(err) = self.validate_name(name) {
            return Some(Err(err));
        }
        let size = command.payload_len();
        if size > self.config.max_value_bytes {
            return Some(Err(CoreError::ValueTooLarge { size, limit: self.config.max_value_bytes }));
        }
        if let Some(session) = ctx.session
            && !self.sessions.contains(session)
        {
            return Some(Err(CoreError::SessionExpired { session }));
        }
        let result = match self.structures.get(name) {
            Some(structure) => structure.read(name, command, ctx)?,
            None => StructureSpec::default_for(command.kind()).build().read(name, command, ctx)?,
        };
        Some(result.map(GroupOutput::Structure))
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.deadlines.earliest()
    }

    fn restore(bytes: &[u8]) -> Result<Self, CoreError> {
        let mut group = entities::decode_snapshot(bytes)?;
        let names: Vec<String> = group.structures.keys().cloned().collect();
        for name in names {
            group.reindex(&name);
        }
        Ok(group)
    }
}

#[cfg(test)]
mod tests;
