//! How a CP node runs: Raft timings and group limits, checked once
//! ([`CpConfig::validate`]), and the openraft configuration made from them.

use std::sync::Arc;
use std::time::Duration;

use coterie_core::{ConfigError, GroupConfig};
use openraft::{Config, SnapshotPolicy};

use super::error::CpError;

/// How a CP node runs.
#[derive(Clone, Debug)]
pub struct CpConfig {
    /// The CP group's name; part of openraft's cluster name, so that logs and metrics of
    /// the groups of one node tell apart.
    pub group_name: String,
    /// The group's limits, used when the node starts without a snapshot.
    pub group: GroupConfig,
    /// How often the leader proposes a `Tick`.
    pub tick_interval: Duration,
    /// How often the leader sends heartbeats.
    pub heartbeat_interval: Duration,
    /// A follower that hears no leader for a random time in this range starts an election.
    pub election_timeout: (Duration, Duration),
    /// Build a snapshot (and purge the log before it) after this many applied entries.
    pub snapshot_every: u64,
    /// Log entries kept behind a snapshot, so a follower that lags by less catches up from
    /// the log instead of receiving the whole snapshot.
    pub keep_after_snapshot: u64,
    /// How long a timed-out call waits for its `Cancel` to be applied.
    pub cancel_timeout: Duration,
    /// How long a proposal may wait to be committed before the call gives up with an
    /// unknown outcome (a leader cut off from its quorum never commits). Separate from the
    /// caller's timeout, which also covers the time a call stays parked: a blocking call
    /// with a long wait must still fail over quickly from a stale leader.
    pub propose_timeout: Duration,
}

impl Default for CpConfig {
    fn default() -> Self {
        CpConfig {
            group_name: "default".to_owned(),
            group: GroupConfig::default(),
            tick_interval: Duration::from_millis(100),
            heartbeat_interval: Duration::from_millis(50),
            election_timeout: (Duration::from_millis(150), Duration::from_millis(300)),
            snapshot_every: 5_000,
            keep_after_snapshot: 1_000,
            cancel_timeout: Duration::from_secs(1),
            propose_timeout: Duration::from_secs(3),
        }
    }
}

/// A duration in whole milliseconds, the unit openraft's timings are counted in.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl CpConfig {
    /// This configuration, if a node can run with it; the first setting it cannot run with,
    /// otherwise. [`CpNode::start`](super::CpNode::start) calls it, so a bad value is refused there rather than
    /// panicking in the tick task or stalling the group.
    ///
    /// - `tick_interval`, `propose_timeout` and `cancel_timeout` must be more than zero.
    /// - Raft counts its timings in whole milliseconds: `heartbeat_interval` must be at
    ///   least 1 ms, and the election timeout range `(min, max)` must have
    ///   `heartbeat_interval < min < max` in milliseconds, so followers hear a heartbeat
    ///   before they time out and the election timeouts are spread.
    /// - `group` must pass [`GroupConfig::validate`].
    pub fn validate(self) -> Result<Self, ConfigError> {
        let positive = "it must be more than zero";
        ConfigError::ensure(
            !self.tick_interval.is_zero(),
            "CpConfig::tick_interval",
            self.tick_interval,
            format!("{positive} (how often the leader advances the group clock)"),
        )?;
        ConfigError::ensure(
            millis(self.heartbeat_interval) > 0,
            "CpConfig::heartbeat_interval",
            self.heartbeat_interval,
            "it must be at least 1ms (Raft counts it in whole milliseconds)",
        )?;
        let (min, max) = self.election_timeout;
        ConfigError::ensure(
            millis(min) > millis(self.heartbeat_interval),
            "CpConfig::election_timeout",
            self.election_timeout,
            format!(
                "its minimum must be more than heartbeat_interval ({:?}) in whole milliseconds, so that a \
                 follower hears from its leader before it starts an election",
                self.heartbeat_interval
            ),
        )?;
        ConfigError::ensure(
            millis(min) < millis(max),
            "CpConfig::election_timeout",
            self.election_timeout,
            "it must be a range (min, max) with min < max in whole milliseconds",
        )?;
        ConfigError::ensure(
            !self.propose_timeout.is_zero(),
            "CpConfig::propose_timeout",
            self.propose_timeout,
            format!("{positive} (how long a proposal may wait to be committed)"),
        )?;
        ConfigError::ensure(
            !self.cancel_timeout.is_zero(),
            "CpConfig::cancel_timeout",
            self.cancel_timeout,
            format!("{positive} (how long a timed-out call waits for its cancel to be applied)"),
        )?;
        let group = self.group.validate()?;
        Ok(CpConfig { group, ..self })
    }

    pub(super) fn raft_config(&self) -> Result<Arc<Config>, CpError> {
        let config = Config {
            cluster_name: format!("coterie-cp-{}", self.group_name),
            heartbeat_interval: millis(self.heartbeat_interval),
            election_timeout_min: millis(self.election_timeout.0),
            election_timeout_max: millis(self.election_timeout.1),
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_every),
            max_in_snapshot_log_to_keep: self.keep_after_snapshot,
            // A member cut off and rejoining must not depose a healthy leader.
            enable_pre_vote: Some(true),
            // A restarted leader must win a new election before it serves again. The log
            // store does not persist the committed index (see `log_store.rs`), so a member
            // restarts at its last snapshot and re-applies its log only once it learns the
            // commit from a leader. A leader restored from disk in its old term would learn
            // nothing: its ReadIndex is the first entry it proposed in that term, long
            // applied-past before the crash, and linearizable reads would be answered from
            // a state machine still replaying (issue 8). A leader of a new term proposes a
            // blank entry above everything committed before and serves a read only once it
            // has applied it. openraft's `Config::enable_leader_restore` documents this
            // exact combination. The cost is one election after a leader restarts.
            enable_leader_restore: Some(false),
            ..Config::default()
        };
        let config = config.validate().map_err(|err| CpError::Config { reason: err.to_string() })?;
        Ok(Arc::new(config))
    }
}
