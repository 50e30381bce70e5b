//! Exactly-once requests keyed by client identity, for both engines.
//!
//! A client that loses an answer resends the request, and a request that reaches a leader
//! twice (a probe copy, a resend after a failover) must not be applied twice. The CP engine
//! used to tie that dedup to a session, whose id was a Raft log index: unusable by the
//! sharded engine (no sessions per partition) and by the command that *opens* a session
//! (a lost reply opened a second one). [`DedupTable`] is keyed by [`ClientId`] instead — 128
//! random bits the client draws once, unique cluster-wide — with a per-client, per-target
//! sequence number, so it works wherever a replicated state machine applies requests.
//!
//! # What the table decides
//!
//! For a request `(client, seq)` at replicated time `now` ([`ApplyCtx::now`]), one of
//! ([`Decision`]):
//!
//! - **Apply**: the sequence number was never recorded for this client (a new request, or
//!   a client the table does not know). The caller applies it and [`DedupTable::record`]s
//!   the answer.
//! - **Answer**: the sequence number is recorded: a resend; the recorded answer is the
//!   request's answer, nothing is applied.
//! - **Refuse** with [`CoreError::ClientWindowPassed`]: the client is known, and `seq` is
//!   below its window (each client keeps its last `window` answers, by sequence number;
//!   lower ones were dropped). The request may have been applied: its outcome is unknown.
//! - **Refuse** with [`CoreError::TooManyClients`]: the client is unknown and the table
//!   holds `max_clients` clients all seen within the TTL. Nothing was applied.
//!
//! # The contract
//!
//! **What the table promises.** It forgets a client only after the client has been idle —
//! no request decided or recorded for it — for `ttl` of replicated time. It never forgets a
//! live client to make room: when full, it refuses *new* clients instead (a refusal that
//! applied nothing is always safe; forgetting a live client is not, because the resend of
//! a request it already applied would then look new). Within a client's entry, a sequence
//! number is either answered, or refused, or new: never applied twice.
//!
//! **What the client must do.** Number its requests to one target (one group or partition)
//! with distinct, increasing sequence numbers; keep fewer than `window` numbers between
//! its newest request and its oldest one it may still resend; and **never resend a request
//! more than [`RESEND_LIMIT`] after its first send** (measured on its own monotonic clock).
//! Past that limit it stops and reports the outcome as unknown (or, for a request that is
//! harmless to repeat under a fresh number, sends it again as a new request). Groups refuse
//! a `ttl` below [`MIN_CLIENT_TTL`] = 2 × [`RESEND_LIMIT`].
//!
//! **Why that is enough.** The hard case is a client whose entry was forgotten: a resend of
//! a request it already applied would be decided *Apply*. If a request was applied at group
//! time `a`, its client was seen at `a`, so the table keeps it at least until `a + ttl`. Any
//! resend of it is sent within [`RESEND_LIMIT`] ≤ `ttl / 2` of the first send, which was
//! before `a`. So the resend arrives before `a + ttl` — and is answered — as long as
//! **group time runs less than twice as fast as the client's clock** between the first send
//! and the resend's arrival, message delays and the clock offset between successive leaders
//! included (the group clock is the leaders' stamps, clamped never to go back). With the
//! default TTL of ten minutes and a [`RESEND_LIMIT`] of one minute the margin is nine minutes.
//! So a request from a client the table does not know is never a resend of an applied one,
//! and is applied — whatever its sequence number: refusing a known-nothing client's request
//! unless it is its first would only refuse clients that were idle for a TTL and come back.
//!
//! **Requests still in flight.** An answer may be *pinned* ([`Recordable::pinned`]): the
//! group records a call that parked (a `lock()` waiting in a queue) as pinned until it is
//! woken. A pinned answer is never dropped from its client's window, and a client with one
//! is never forgotten, so a resend of a parked call always finds it, however long it waits.
//! The window drops the lowest sequence numbers first, except that the answer of a parked
//! call, recorded when it completes, ranks with the newest: a call that waited long is not
//! dropped the moment it is answered, and the resend limit counts from its completion. A client whose parked calls are never woken would pin its entry forever, but
//! a parked call always ends: by its grant, its timeout, a cancel, or its session's end.
//!
//! The table is pure: time arrives as the `now` of each call, nothing here reads a clock or
//! draws randomness, and it iterates only ordered maps, so every replica decides the same.
//!
//! [`ApplyCtx::now`]: crate::ApplyCtx::now

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;
use crate::types::{ClientId, Timestamp};

/// The longest a client may go on resending one request after its first send, on its own
/// clock. Past it, the client reports the outcome unknown (see the module docs).
pub const RESEND_LIMIT: Duration = Duration::from_secs(60);

/// The shortest TTL a [`DedupTable`] may have: twice [`RESEND_LIMIT`], so that group time
/// may run up to twice as fast as a client's clock without a resend outliving its record.
pub const MIN_CLIENT_TTL: Duration = Duration::from_secs(2 * 60);

/// The bounds of a [`DedupTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupLimits {
    /// How long a client is remembered after it was last seen (replicated time).
    pub ttl: Duration,
    /// Answers remembered per client, by sequence number (the highest are kept).
    pub window: usize,
    /// Clients remembered at once.
    pub max_clients: usize,
}

/// An answer a [`DedupTable`] records. A *pinned* answer stands for a request that is still
/// in flight inside the state machine (a call parked in a structure): it is never dropped
/// from the client's window, and a client with a pinned answer is never forgotten, because
/// the record is where a cancel or a wake finds the call.
pub trait Recordable {
    /// Whether this answer is pinned (see the trait docs). Answers are not pinned unless the
    /// type says so.
    fn pinned(&self) -> bool {
        false
    }
}

impl Recordable for crate::types::SessionId {}

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a, A> {
    /// Never recorded: apply it, then [`DedupTable::record`] its answer.
    Apply,
    /// A resend: this is its recorded answer; apply nothing.
    Answer(&'a A),
    /// Not applied, and not to be: [`CoreError::ClientWindowPassed`] (the outcome is
    /// unknown) or [`CoreError::TooManyClients`] (nothing was applied).
    Refuse(CoreError),
}

/// What the table keeps of one client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ClientEntry<A> {
    /// When the client was last seen (a request decided or recorded).
    last_seen: Timestamp,
    /// The recorded answers, by sequence number.
    answers: BTreeMap<u64, A>,
    /// The unpinned answers as `(rank, seq)`, lowest rank first: what the window drops. An
    /// answer ranks by its sequence number, except that a parked call's answer, recorded when
    /// it completes, ranks with the newest (so a call that waited long, while later ones
    /// completed, is not dropped the moment it is answered).
    recorded: BTreeSet<(u64, u64)>,
    /// Every sequence number below this one was dropped from the window, or is below one
    /// that was (pinned answers and later-recorded ones below it are kept).
    floor: u64,
}

impl<A: Recordable> ClientEntry<A> {
    /// Whether any answer is pinned.
    fn has_pins(&self) -> bool {
        self.answers.len() > self.recorded.len()
    }
}

/// A bounded, expiring table of `(client, seq) -> answer` (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DedupTable<A> {
    limits: DedupLimits,
    clients: BTreeMap<ClientId, ClientEntry<A>>,
    /// `(last_seen, client)` of every client, oldest first: what expiry takes from.
    by_age: BTreeSet<(Timestamp, ClientId)>,
}

impl<A> DedupTable<A> {
    /// An empty table with `limits`.
    pub fn new(limits: DedupLimits) -> Self {
        DedupTable { limits, clients: BTreeMap::new(), by_age: BTreeSet::new() }
    }

    /// The table's bounds.
    pub fn limits(&self) -> DedupLimits {
        self.limits
    }

    /// Number of clients remembered.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is remembered.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Whether `client` is remembered.
    pub fn contains(&self, client: ClientId) -> bool {
        self.clients.contains_key(&client)
    }

    /// The recorded answer of `(client, seq)`, if any.
    pub fn get(&self, client: ClientId, seq: u64) -> Option<&A> {
        self.clients.get(&client)?.answers.get(&seq)
    }
}

impl<A: Recordable> DedupTable<A> {
    /// Decides what to do with `(client, seq)` at `now` (see [`Decision`]). A known client
    /// counts as seen at `now`, whatever the decision.
    pub fn decide(&mut self, client: ClientId, seq: u64, now: Timestamp) -> Decision<'_, A> {
        if self.clients.contains_key(&client) {
            self.touch(client, now);
        } else if !self.has_room(now) {
            return Decision::Refuse(self.full());
        }
        let Some(entry) = self.clients.get(&client) else {
            return Decision::Apply;
        };
        match entry.answers.get(&seq) {
            Some(answer) => Decision::Answer(answer),
            None if seq < entry.floor => {
                Decision::Refuse(CoreError::ClientWindowPassed { client, seq, oldest: entry.floor })
            }
            None => Decision::Apply,
        }
    }

    /// Records `answer` for `(client, seq)` at `now`, after [`Decision::Apply`], dropping
    /// the client's lowest answers beyond the window and, for a new client, first forgetting
    /// the clients idle for the TTL. Refused with [`CoreError::TooManyClients`] (recording
    /// nothing) when a new client finds the table full of live ones: a caller that records
    /// before it applies then applies nothing.
    pub fn record(&mut self, client: ClientId, seq: u64, answer: A, now: Timestamp) -> Result<(), CoreError> {
        self.insert(client, seq, answer, now, false)
    }

    /// [`DedupTable::record`], ranking the answer with the newest if `newest`.
    fn insert(&mut self, client: ClientId, seq: u64, answer: A, now: Timestamp, newest: bool) -> Result<(), CoreError> {
        if !self.clients.contains_key(&client) {
            self.expire(now);
            if self.clients.len() >= self.limits.max_clients {
                return Err(self.full());
            }
            let entry = ClientEntry { last_seen: now, answers: BTreeMap::new(), recorded: BTreeSet::new(), floor: 0 };
            self.clients.insert(client, entry);
            self.by_age.insert((now, client));
        }
        self.touch(client, now);
        let window = self.limits.window.max(1);
        if let Some(entry) = self.clients.get_mut(&client) {
            let pins = answer.pinned();
            if entry.answers.insert(seq, answer).is_some_and(|old| !old.pinned()) {
                entry.recorded.retain(|&(_, s)| s != seq);
            }
            if !pins {
                let rank = if newest { entry.recorded.last().map_or(seq, |&(rank, _)| rank.max(seq)) } else { seq };
                entry.recorded.insert((rank, seq));
            }
            while entry.recorded.len() > window {
                let Some((_, dropped)) = entry.recorded.pop_first() else { break };
                entry.answers.remove(&dropped);
                entry.floor = entry.floor.max(dropped.saturating_add(1));
            }
        }
        Ok(())
    }

    /// Replaces the pinned answer of `(client, seq)` with `answer` at `now` (a parked call
    /// completed), as [`DedupTable::record`] does; does nothing if that answer is not a
    /// pinned one.
    pub fn complete(&mut self, client: ClientId, seq: u64, answer: A, now: Timestamp) {
        let pinned = self.clients.get(&client).and_then(|e| e.answers.get(&seq)).is_some_and(Recordable::pinned);
        if pinned {
            // The client is known, so recording cannot be refused.
            let _ = self.insert(client, seq, answer, now, true);
        }
    }

    /// Every pinned answer, by client and sequence number.
    pub fn pinned(&self) -> impl Iterator<Item = (ClientId, u64, &A)> {
        self.clients.iter().filter(|(_, entry)| entry.has_pins()).flat_map(|(&client, entry)| {
            entry.answers.iter().filter(|(_, a)| a.pinned()).map(move |(&seq, a)| (client, seq, a))
        })
    }

    /// Forgets every client idle for the TTL at `now` (last seen at or before `now - ttl`)
    /// that has no pinned answer; answers how many.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let idle: Vec<(Timestamp, ClientId)> = self
            .by_age
            .iter()
            .take_while(|(seen, _)| seen.saturating_add(self.limits.ttl) <= now)
            .filter(|(_, client)| self.clients.get(client).is_none_or(|e| !e.has_pins()))
            .copied()
            .collect();
        for key in &idle {
            self.by_age.remove(key);
            self.clients.remove(&key.1);
        }
        idle.len()
    }

    /// Whether a new client could be recorded at `now`.
    fn has_room(&self, now: Timestamp) -> bool {
        self.clients.len() < self.limits.max_clients
            || self
                .by_age
                .iter()
                .take_while(|(seen, _)| seen.saturating_add(self.limits.ttl) <= now)
                .any(|(_, client)| self.clients.get(client).is_none_or(|e| !e.has_pins()))
    }

    fn full(&self) -> CoreError {
        CoreError::TooManyClients { limit: u64::try_from(self.limits.max_clients).unwrap_or(u64::MAX) }
    }

    /// Marks the known `client` as seen at `now` (never earlier than it was).
    fn touch(&mut self, client: ClientId, now: Timestamp) {
        if let Some(entry) = self.clients.get_mut(&client)
            && now > entry.last_seen
        {
            self.by_age.remove(&(entry.last_seen, client));
            entry.last_seen = now;
            self.by_age.insert((now, client));
        }
    }
}

/// The serialized form: the bounds and the entries; the age index is rebuilt on decoding.
#[derive(Serialize)]
struct TableRef<'a, A> {
    limits: &'a DedupLimits,
    clients: &'a BTreeMap<ClientId, ClientEntry<A>>,
}

#[derive(Deserialize)]
struct TableOwned<A> {
    limits: DedupLimits,
    clients: BTreeMap<ClientId, ClientEntry<A>>,
}

impl<A: Serialize> Serialize for DedupTable<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TableRef { limits: &self.limits, clients: &self.clients }.serialize(serializer)
    }
}

impl<'de, A: Deserialize<'de>> Deserialize<'de> for DedupTable<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let TableOwned { limits, clients } = TableOwned::deserialize(deserializer)?;
        let by_age = clients.iter().map(|(&client, entry)| (entry.last_seen, client)).collect();
        Ok(DedupTable { limits, clients, by_age })
    }
}

#[cfg(test)]
#[path = "dedup_tests.rs"]
mod tests;
