//! The CP Semaphore handle.

use std::time::Duration;

use coterie_core::kinds::cp_semaphore::{CpSemaphoreCommand as C, CpSemaphoreOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::unexpected;
use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;

/// A counting semaphore whose permits belong to the client's session: if the client dies,
/// its permits return when the session expires.
pub struct Semaphore<T: Transport> {
    client: Client<T>,
    target: Target,
}

impl<T: Transport> Semaphore<T> {
    pub(crate) fn new(client: Client<T>, target: Target) -> Self {
        Semaphore { client, target }
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute(&self.target, StructureCommand::CpSemaphore(command), mode).await? {
            S::CpSemaphore(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    async fn permits(&self, command: C, mode: Mode) -> Result<i64, ClientError> {
        match self.run(command, mode).await? {
            O::Permits(permits) => Ok(permits),
            other => Err(unexpected(S::CpSemaphore(other))),
        }
    }

    /// Sets the initial permits; an error if the semaphore was already initialized.
    pub async fn init(&self, permits: u64) -> Result<(), ClientError> {
        self.run(C::Init { permits }, Mode::Mutation).await.map(drop)
    }

    /// Acquires `permits`, waiting (in FIFO order) as long as it takes.
    pub async fn acquire(&self, permits: u64) -> Result<(), ClientError> {
        self.run(C::Acquire { permits }, Mode::Blocking { wait: None }).await.map(drop)
    }

    /// Acquires `permits` if available now or within `timeout`; returns whether it did.
    pub async fn try_acquire(&self, permits: u64, timeout: Duration) -> Result<bool, ClientError> {
        let mode = if timeout.is_zero() { Mode::Mutation } else { Mode::Blocking { wait: Some(timeout) } };
        match self.run(C::TryAcquire { permits, timeout: Some(timeout) }, mode).await? {
            O::Bool(acquired) => Ok(acquired),
            other => Err(unexpected(S::CpSemaphore(other))),
        }
    }

    /// Returns `permits` this client holds.
    pub async fn release(&self, permits: u64) -> Result<(), ClientError> {
        self.run(C::Release { permits }, Mode::Mutation).await.map(drop)
    }

    /// Permits available now (negative after reductions below zero).
    pub async fn available_permits(&self) -> Result<i64, ClientError> {
        self.permits(C::AvailablePermits, Mode::Read).await
    }

    /// Acquires every available permit, returning how many.
    pub async fn drain_permits(&self) -> Result<i64, ClientError> {
        self.permits(C::DrainPermits, Mode::Mutation).await
    }

    /// Removes `permits` from the available count without acquiring them.
    pub async fn reduce_permits(&self, permits: u64) -> Result<(), ClientError> {
        self.run(C::ReducePermits { permits }, Mode::Mutation).await.map(drop)
    }

    /// Adds `permits` to the available count.
    pub async fn increase_permits(&self, permits: u64) -> Result<(), ClientError> {
        self.run(C::IncreasePermits { permits }, Mode::Mutation).await.map(drop)
    }
}
