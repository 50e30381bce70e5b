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
    /// Every sequence number below this one was dropped from the window.
    floor: u64,
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
        if !self.clients.contains_key(&client) {
            self.expire(now);
            if self.clients.len() >= self.limits.max_clients {
                return Err(self.full());
            }
            self.clients.insert(client, ClientEntry { last_seen: now, answers: BTreeMap::new(), floor: 0 });
            self.by_age.insert((now, client));
        }
        self.touch(client, now);
        let window = self.limits.window.max(1);
        if let Some(entry) = self.clients.get_mut(&client) {
            entry.answers.insert(seq, answer);
            while entry.answers.len() > window {
                let Some((dropped, _)) = entry.answers.pop_first() else { break };
                entry.floor = entry.floor.max(dropped.saturating_add(1));
            }
        }
        Ok(())
    }

    /// Forgets every client idle for the TTL at `now` (last seen at or before `now - ttl`);
    /// answers how many.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let mut forgotten = 0;
        while let Some(&(seen, client)) = self.by_age.first() {
            if seen.saturating_add(self.limits.ttl) > now {
                break;
            }
            self.by_age.pop_first();
            self.clients.remove(&client);
            forgotten += 1;
        }
        forgotten
    }

    /// Whether a new client could be recorded at `now`.
    fn has_room(&self, now: Timestamp) -> bool {
        self.clients.len() < self.limits.max_clients
            || self.by_age.first().is_some_and(|&(seen, _)| seen.saturating_add(self.limits.ttl) <= now)
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
