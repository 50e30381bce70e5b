//! How a client runs: its timeouts and intervals, checked once ([`ClientConfig::validate`]).

use std::time::Duration;

use coterie_core::ConfigError;

/// Timeouts and intervals of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long a non-blocking call may take, retries included.
    pub call_timeout: Duration,
    /// How long one attempt of a non-blocking call may take before the client tries another
    /// endpoint (with the same invocation id, so it is still applied once). A leader cut
    /// off from its quorum accepts calls it can never commit; this bounds the time lost
    /// to it.
    pub attempt_timeout: Duration,
    /// The TTL of the client's sessions: locks and permits are released this long after the
    /// client stops heartbeating.
    pub session_ttl: Duration,
    /// How often sessions are kept alive; well under `session_ttl`. [`ClientConfig::validate`]
    /// refuses zero; a client made by [`Client::new`](crate::Client::new), which does not validate, heartbeats
    /// every millisecond instead.
    pub heartbeat_interval: Duration,
    /// The first retry backoff; it doubles up to `retry_max`.
    pub retry_initial: Duration,
    /// The largest retry backoff.
    pub retry_max: Duration,
    /// How long an attempt may go unanswered before the client asks another member whether
    /// the endpoint it waits on still leads, and again this often while it waits. When a
    /// member names another leader, the client moves the call there (same invocation id);
    /// so a paused or cut-off leader costs about an election plus this, not the attempt
    /// timeout. Zero turns the check off.
    pub failover_probe: Duration,
    /// How long one attempt of a blocking call (lock, acquire, await) waits at one member
    /// before the client asks again. The call keeps its place in the queue between
    /// attempts; this only bounds what a lost answer or a stuck member can cost.
    pub wait_poll: Duration,
    /// Send a sharded call for one partition straight to the member that serves it, from the
    /// partition table the client fetches (`route.rs`); `false`: to any member, which
    /// forwards it (a hop more per call; for comparing the two).
    pub route_sharded: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            call_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(2),
            session_ttl: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(5),
            retry_initial: Duration::from_millis(10),
            // Elections take one election timeout (150-300 ms by default): a client pausing
            // longer than ~100 ms between tries adds its pause to every failover. Measured
            // with `coterie bench failover`: a 500 ms cap made failover ~650 ms, the sum of
            // the doubling pauses.
            retry_max: Duration::from_millis(100),
            // About one election timeout: a follower names the new leader from its first
            // heartbeat on, and a healthy leader's slow answers cost one cheap probe each.
            failover_probe: Duration::from_millis(300),
            wait_poll: Duration::from_secs(5),
            route_sharded: true,
        }
    }
}

/// The shortest heartbeat period: what a zero `heartbeat_interval` becomes in a client made
/// by [`Client::new`] without validating its config (`tokio::time::interval` panics on zero).
pub(crate) const MIN_HEARTBEAT: Duration = Duration::from_millis(1);

impl ClientConfig {
    /// This configuration, if a client can run with it; the first setting it cannot run
    /// with, otherwise. [`Client::connect_with`](crate::Client::connect_with) calls it and
    /// answers [`ClientError::InvalidConfig`](crate::ClientError::InvalidConfig).
    ///
    /// - `call_timeout`, `attempt_timeout` and `wait_poll` must be more than zero (a zero
    ///   one fails every call, or every attempt, at once).
    /// - `heartbeat_interval` must be more than zero and less than `session_ttl`, so a
    ///   session is kept alive before it expires.
    /// - `retry_initial` must not be more than `retry_max`.
    /// - `failover_probe` may be anything; zero turns the check off.
    pub fn validate(self) -> Result<Self, ConfigError> {
        let positive = "it must be more than zero";
        ConfigError::ensure(
            !self.call_timeout.is_zero(),
            "ClientConfig::call_timeout",
            self.call_timeout,
            format!("{positive} (how long a non-blocking call may take, retries included)"),
        )?;
        ConfigError::ensure(
            !self.attempt_timeout.is_zero(),
            "ClientConfig::attempt_timeout",
            self.attempt_timeout,
            format!("{positive} (how long one attempt may take before another endpoint is tried)"),
        )?;
        ConfigError::ensure(
            !self.wait_poll.is_zero(),
            "ClientConfig::wait_poll",
            self.wait_poll,
            format!("{positive} (how long one attempt of a blocking call waits at one member)"),
        )?;
        ConfigError::ensure(
            !self.heartbeat_interval.is_zero(),
            "ClientConfig::heartbeat_interval",
            self.heartbeat_interval,
            format!("{positive} (how often sessions are kept alive)"),
        )?;
        ConfigError::ensure(
            self.heartbeat_interval < self.session_ttl,
            "ClientConfig::heartbeat_interval",
            self.heartbeat_interval,
            format!("it must be less than session_ttl ({:?}), or sessions expire between heartbeats", self.session_ttl),
        )?;
        ConfigError::ensure(
            self.retry_initial <= self.retry_max,
            "ClientConfig::retry_initial",
            self.retry_initial,
            format!("it must not be more than retry_max ({:?}), the backoff it doubles up to", self.retry_max),
        )?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ClientError;

    #[test]
    fn the_default_client_config_is_valid() {
        assert_eq!(ClientConfig::default().validate(), Ok(ClientConfig::default()));
        let probe_off = ClientConfig { failover_probe: Duration::ZERO, ..ClientConfig::default() };
        assert_eq!(probe_off.clone().validate(), Ok(probe_off));
    }

    #[test]
    fn client_config_refuses_what_it_cannot_run_with() {
        let base = ClientConfig::default;
        let ms = Duration::from_millis;
        let cases: Vec<(ClientConfig, &str, &str)> = vec![
            (ClientConfig { call_timeout: Duration::ZERO, ..base() }, "call_timeout is 0ns", "more than zero"),
            (ClientConfig { attempt_timeout: Duration::ZERO, ..base() }, "attempt_timeout is 0ns", "more than zero"),
            (ClientConfig { wait_poll: Duration::ZERO, ..base() }, "wait_poll is 0ns", "more than zero"),
            (
                ClientConfig { heartbeat_interval: Duration::ZERO, ..base() },
                "heartbeat_interval is 0ns",
                "more than zero",
            ),
            (
                ClientConfig { heartbeat_interval: ms(60_000), session_ttl: ms(60_000), ..base() },
                "heartbeat_interval is 60s",
                "less than session_ttl (60s)",
            ),
            (
                ClientConfig { heartbeat_interval: ms(5_000), session_ttl: ms(1_000), ..base() },
                "heartbeat_interval is 5s",
                "less than session_ttl (1s)",
            ),
            (
                ClientConfig { retry_initial: ms(200), retry_max: ms(100), ..base() },
                "retry_initial is 200ms",
                "not be more than retry_max (100ms)",
            ),
        ];
        for (config, named, accepted) in cases {
            let message = config.validate().unwrap_err().to_string();
            assert!(message.starts_with(&format!("invalid configuration: ClientConfig::{named};")), "{message}");
            assert!(message.contains(accepted), "{message}");
        }
    }

    #[test]
    fn an_invalid_config_is_a_client_error_that_names_the_setting() {
        let config = ClientConfig { heartbeat_interval: Duration::ZERO, ..ClientConfig::default() };
        let err = ClientError::from(config.validate().unwrap_err());
        assert!(matches!(&err, ClientError::InvalidConfig { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "invalid configuration: ClientConfig::heartbeat_interval is 0ns; it must be more than zero \
             (how often sessions are kept alive)"
        );
    }
}
