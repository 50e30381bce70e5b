//! Client sessions of one group.
//!
//! A session is how the group knows a client is alive. Locks and permits belong to a
//! session, so when its TTL passes without a heartbeat (or any call) the group releases
//! them for the next waiter instead of leaving them held by a dead process forever. Each
//! session also carries the names of the structures it touched, so that expiry visits only
//! those structures. (Resent calls are answered by client, not by session: see
//! [`super::dedup`].)

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::types::{SessionId, Timestamp};

/// One open session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// How long the session lives without a heartbeat.
    pub ttl: Duration,
    /// When it expires unless refreshed.
    pub expires_at: Timestamp,
    /// Structures the session has called (they may hold its locks, permits or waiters).
    pub touched: BTreeSet<String>,
}

/// The open sessions of a group, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTable {
    sessions: BTreeMap<SessionId, Session>,
}

impl SessionTable {
    /// Opens session `id` (the group uses the opening command's log index, unique per group).
    pub fn open(&mut self, id: SessionId, ttl: Duration, now: Timestamp) {
        let session = Session { ttl, expires_at: now.saturating_add(ttl), touched: BTreeSet::new() };
        self.sessions.insert(id, session);
    }

    /// The open session `id`, refreshed as alive at `now`.
    pub fn refresh(&mut self, id: SessionId, now: Timestamp) -> Result<&mut Session, CoreError> {
        let session = self.sessions.get_mut(&id).ok_or(CoreError::SessionExpired { session: id })?;
        session.expires_at = session.expires_at.max(now.saturating_add(session.ttl));
        Ok(session)
    }

    /// The open session `id`.
    pub fn get_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        self.sessions.get_mut(&id)
    }

    /// Whether `id` is open.
    pub fn contains(&self, id: SessionId) -> bool {
        self.sessions.contains_key(&id)
    }

    /// Closes `id`, returning it if it was open.
    pub fn remove(&mut self, id: SessionId) -> Option<Session> {
        self.sessions.remove(&id)
    }

    /// Removes and returns every session whose expiry is at or before `now`.
    pub fn take_expired(&mut self, now: Timestamp) -> BTreeMap<SessionId, Session> {
        let expired: Vec<SessionId> =
            self.sessions.iter().filter(|(_, s)| s.expires_at <= now).map(|(&id, _)| id).collect();
        expired.into_iter().filter_map(|id| self.sessions.remove(&id).map(|s| (id, s))).collect()
    }

    /// Number of open sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Open sessions, by id.
    pub fn iter(&self) -> impl Iterator<Item = (SessionId, &Session)> {
        self.sessions.iter().map(|(&id, s)| (id, s))
    }
}
