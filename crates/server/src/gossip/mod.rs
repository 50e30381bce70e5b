//! Gossip membership and failure detection: SWIM (foca 2) over UDP.
//!
//! Why it exists: the sharded engine needs to know, quickly, which members are alive,
//! joining or leaving, without a consensus round per heartbeat. SWIM gives that with
//! constant load per member: each member probes one other per period, asks a few others
//! to probe indirectly when it gets no answer, and spreads what it learns by piggybacking
//! on the probes. Its verdicts are **suggestions**: two members may disagree for a while,
//! and a verdict may be wrong (a stalled process is not a dead one). So gossip never
//! changes ownership by itself: the sharded engine commits Up and Down into the metadata
//! group, and the log decides (pitfall P10 of `research/sharded.md`: Scylla and Orleans
//! moved topology off gossip for this reason). This module only exposes the view
//! ([`GossipView`]) and the changes ([`Suggestion`]).
//!
//! The pieces:
//!
//! - [`GossipId`] (`identity.rs`): member id, gossip address, API address and generation.
//!   A restarted member is a new, larger generation that supersedes the old at once.
//! - Member news (`news.rs`): foca has no Joining or Leaving and reports no suspicion, so
//!   every member broadcasts `{ member, generation, state: Joining | Up | Leaving, version }`
//!   through foca's custom broadcasts.
//! - [`GossipCore`] (`core.rs`): sans-IO. Inputs in ([`Input`]: a datagram, a timer, join
//!   seeds, leave), effects out ([`Effect`]: datagrams, timers, suggestions). No clock, no
//!   socket, a caller-seeded RNG: deterministic, tested over an in-memory network with
//!   virtual time (`core_tests.rs`).
//! - [`GossipDriver`] (`driver.rs`): a tokio task around one core and one UDP socket, with
//!   a handle to watch the view, leave gracefully or stop.
//! - [`GossipConfig`] (`config.rs`): every timer, and why it has its value. With
//!   [`GossipConfig::lan`], a member killed without leaving is declared down in about 1 s
//!   on loopback (target: 2 s).
//!
//! Measured detection time (`driver_tests.rs`, `kill_is_detected_within_bound`: real
//! drivers on loopback UDP, one stopped without a word, i.e. its task and socket dropped;
//! the time from the stop until every other member's view shows it Down; 2-core machine
//! shared with other builds; 3 runs of 5 rounds each, 15 samples per row):
//!
//! | members | min     | median  | max     |
//! |---------|---------|---------|---------|
//! | 3       | 1.203 s | 1.207 s | 1.507 s |
//! | 5       | 1.203 s | 1.213 s | 1.516 s |
//!
//! On real processes (`scripts/gossip-detect.sh`: three debug-build `coterie serve
//! --gossip --seeds` members, `kill -9` of one at a random phase, until both others print
//! it down; their logs polled every 5 ms): 18 rounds without a cluster secret, min 0.92 s,
//! median 1.04 s, max 1.62 s; 10 rounds of the final code with a secret (authenticated
//! datagrams), min 0.96 s, median 1.10 s, max 1.32 s. A member stopped with SIGTERM is
//! printed as left by the others 4 to 18 ms later. The committed Down that follows
//! (`host/liveness.rs`, printed by `coterie serve` as the member table's change), 8 rounds:
//! min 0.95 s, median 1.09 s, max 1.47 s from the kill until both others applied it.
//!
//! The figures sit on the probe grid: the victim is probed at the next period (≤ 300 ms),
//! that probe fails at the end of its period (+300 ms, Suspect), and the suspicion ripens
//! (+600 ms, Down): 1.2 s; 1.5 s when no member happened to pick the victim in the first
//! period. The in-memory tests (`core_tests.rs`, virtual time, 10 RNG seeds) give 0.90 to
//! 1.45 s. A graceful leave is seen as Left by the others within a millisecond on
//! loopback (the Leaving news and the down update go out before the driver stops).
//!
//! With a cluster secret, every datagram carries an HMAC-SHA256 tag (`auth.rs`) and one
//! without the right tag is dropped before foca reads it; without one, anyone who reaches
//! the UDP port can inject members. Not done here: encryption, and the local-pause
//! guard is partial (P14: after a stall the driver reads the waiting datagrams before the
//! due timers and counts late timers, but does not yet hold back its verdicts about others
//! after a long stall, as Cassandra does).

mod auth;
mod config;
mod core;
#[cfg(test)]
mod core_tests;
mod driver;
#[cfg(test)]
mod driver_tests;
mod identity;
mod news;

use thiserror::Error;

pub use auth::TAG_LEN;
pub use config::GossipConfig;
pub use core::{
    CoreStats, Effect, GossipCore, GossipTimer, GossipView, Input, MAX_SEEDS, MemberInfo, MemberState, Outcome,
    Suggestion,
};
pub use driver::{DriverStats, GossipDriver, GossipHandle};
pub use identity::{GossipId, MAX_API_ADDR_LEN};
pub use news::{MAX_NEWS_MEMBERS, MemberNews, NewsError, NewsState};

/// Why gossip could not start, or refused an input.
#[derive(Debug, Error)]
pub enum GossipError {
    /// A setting of the [`GossipConfig`] cannot be used.
    #[error("invalid gossip configuration: {0}")]
    InvalidConfig(String),
    /// The identity cannot be used (or encoded).
    #[error("invalid gossip identity: {0}")]
    InvalidIdentity(String),
    /// A datagram was malformed, too big, or not for us; it was dropped.
    #[error("dropped a malformed gossip datagram: {0}")]
    Malformed(#[source] foca::Error),
    /// A datagram's authentication tag was wrong or missing (another cluster secret, or a
    /// forgery); it was dropped.
    #[error("dropped a gossip datagram not sealed with this cluster's secret")]
    Unauthenticated,
    /// foca found something wrong that is not the datagram's shape.
    #[error("gossip protocol error: {0}")]
    Protocol(#[source] foca::Error),
    /// The gossip socket could not be bound or read.
    #[error("cannot use the gossip socket {addr}: {source}; pick a free UDP port or another address")]
    Socket {
        /// The address.
        addr: std::net::SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The driver has stopped.
    #[error("the gossip driver has stopped")]
    Stopped,
}
