//! How a failover measurement finds the leader, and what a peer hands it to measure.
//!
//! A leaf (it imports only [`driver`](crate::driver)): [`failover`](crate::failover) runs the
//! measurement and `peers` (feature `peers`) implements the probes, and both depend on this
//! module rather than on each other.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::driver::Driver;

/// Finds which member leads: its id in the key space of `--member-pids`.
pub trait LeaderProbe: Send + Sync {
    /// The leader's member id, or why it could not be told.
    fn leader(&self) -> BoxFuture<'_, Result<u64, String>>;
}

impl<F> LeaderProbe for F
where
    F: Fn() -> BoxFuture<'static, Result<u64, String>> + Send + Sync,
{
    fn leader(&self) -> BoxFuture<'_, Result<u64, String>> {
        self()
    }
}

/// A peer's failover writer and leader probe.
pub type PeerFailover = (Arc<dyn Driver>, Box<dyn LeaderProbe>);
