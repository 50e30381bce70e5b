//! What the runner drives: a [`Driver`] per system and workload that connects one
//! [`ClientDriver`] per simulated client.
//!
//! The runner knows nothing about any system: it only calls `op` in a closed loop and times
//! it. Each system (Coterie, and with the `peers` feature etcd, ZooKeeper, Redis) implements
//! these two traits, so every system is measured by exactly the same loop.

use futures_util::future::BoxFuture;

use crate::error::BenchError;

/// One simulated client: its own connection, one request in flight.
pub trait ClientDriver: Send {
    /// Performs one operation of the workload. An `Err` is counted as an error with its text.
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>>;

    /// Releases what the client holds (sessions, leases) before it is dropped. Best effort:
    /// the runner bounds it by the op timeout and ignores its outcome.
    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A system and workload ready to connect clients.
pub trait Driver: Send + Sync {
    /// One-time setup before any client runs (for example, initializing a semaphore).
    fn prepare(&self) -> BoxFuture<'_, Result<(), BenchError>> {
        Box::pin(async { Ok(()) })
    }

    /// Connects client number `client` (0-based), with its own connection.
    fn connect(&self, client: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>>;
}
