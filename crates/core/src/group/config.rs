//! A group's limits and defaults, fixed when the group is created (and kept in its snapshot).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::dedup::{DedupLimits, MIN_CLIENT_TTL};

/// Limits and defaults of a group, fixed when the group is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupConfig {
    /// Largest total of user bytes (keys, values, items) one command may carry.
    pub max_value_bytes: usize,
    /// Longest structure name, in bytes.
    pub max_name_bytes: usize,
    /// Completed calls remembered per client for answering resends (calls still parked are
    /// kept besides).
    pub dedup_window: usize,
    /// Longest session TTL a client may ask for.
    pub max_session_ttl: Duration,
    /// How long the group remembers a client's session opens and calls after it was last
    /// seen (at least [`MIN_CLIENT_TTL`]; see [`crate::dedup`] for why).
    pub client_ttl: Duration,
    /// Session opens remembered per client, by open sequence number.
    pub client_window: usize,
    /// Clients whose opens (and, separately, whose calls) are remembered at once; past it,
    /// opens and calls by new clients are refused
    /// with [`CoreError::TooManyClients`](crate::CoreError::TooManyClients) until a client has been idle for `client_ttl`.
    pub max_clients: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            max_value_bytes: 1024 * 1024,
            max_name_bytes: 256,
            dedup_window: 256,
            max_session_ttl: Duration::from_secs(24 * 60 * 60),
            client_ttl: Duration::from_secs(10 * 60),
            client_window: 4,
            max_clients: 65_536,
        }
    }
}

impl GroupConfig {
    /// This configuration, if every limit can be used; the first one that cannot, otherwise.
    ///
    /// Every limit must be more than zero: a zero `max_value_bytes` or `max_name_bytes`
    /// refuses every command, a zero `dedup_window` leaves retries unanswerable (a retry
    /// after a lost answer would be refused instead of answered), and a zero
    /// `max_session_ttl` refuses every session.
    pub fn validate(self) -> Result<Self, ConfigError> {
        let positive = "it must be more than zero";
        ConfigError::ensure(
            self.max_value_bytes > 0,
            "GroupConfig::max_value_bytes",
            self.max_value_bytes,
            format!("{positive} (the largest user payload of one command, in bytes)"),
        )?;
        ConfigError::ensure(
            self.max_name_bytes > 0,
            "GroupConfig::max_name_bytes",
            self.max_name_bytes,
            format!("{positive} (the longest structure name, in bytes)"),
        )?;
        ConfigError::ensure(
            self.dedup_window > 0,
            "GroupConfig::dedup_window",
            self.dedup_window,
            format!("{positive}: it is how many completed calls per client are remembered to answer resends"),
        )?;
        ConfigError::ensure(
            !self.max_session_ttl.is_zero(),
            "GroupConfig::max_session_ttl",
            self.max_session_ttl,
            format!("{positive} (the longest session TTL a client may ask for)"),
        )?;
        ConfigError::ensure(
            self.client_ttl >= MIN_CLIENT_TTL,
            "GroupConfig::client_ttl",
            self.client_ttl,
            format!(
                "it must be at least {MIN_CLIENT_TTL:?}: twice how long a client may resend an open, so that a resend never outlives its record"
            ),
        )?;
        ConfigError::ensure(
            self.client_window > 0,
            "GroupConfig::client_window",
            self.client_window,
            format!("{positive}: it is how many session opens per client are remembered to answer resends"),
        )?;
        ConfigError::ensure(
            self.max_clients > 0,
            "GroupConfig::max_clients",
            self.max_clients,
            format!("{positive}: it is how many clients' session opens are remembered at once"),
        )?;
        Ok(self)
    }

    /// The bounds of the group's table of session opens.
    pub fn client_limits(&self) -> DedupLimits {
        DedupLimits { ttl: self.client_ttl, window: self.client_window, max_clients: self.max_clients }
    }

    /// The bounds of the group's table of calls.
    pub fn call_limits(&self) -> DedupLimits {
        DedupLimits { ttl: self.client_ttl, window: self.dedup_window, max_clients: self.max_clients }
    }
}
