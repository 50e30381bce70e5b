//! The sharded Barrier handle (seed 000's `d.barrier`).

use std::time::Duration;

use coterie_core::kinds::barrier::{BarrierCommand as C, BarrierOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::Placement;
use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::handles::unexpected;
use crate::transport::Transport;

/// A reusable rendezvous point on the sharded engine (seed 000's `d.barrier`): an arrival
/// waits until the round's party count has arrived, then every arrival of the round is
/// released with the round's number and the next round starts empty. The first arrival of
/// a round fixes its party count; a later arrival that disagrees is refused. Cheap to clone.
///
/// ```ignore
/// let phase = client.barrier("phase-1")?;
/// let round = phase.arrive(3, Some(Duration::from_secs(30))).await?; // the 3rd arrival releases all
/// ```
pub struct Barrier<T: Transport> {
    client: Client<T>,
    placement: Placement,
}

impl<T: Transport> Clone for Barrier<T> {
    fn clone(&self) -> Self {
        Barrier { client: self.client.clone(), placement: self.placement.clone() }
    }
}

impl<T: Transport> Barrier<T> {
    pub(crate) fn new(client: Client<T>, placement: Placement) -> Self {
        Barrier { client, placement }
    }

    /// The barrier's name.
    pub fn name(&self) -> &str {
        &self.placement.name
    }

    /// Its shard count.
    pub fn shards(&self) -> u32 {
        self.placement.shards
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute_sharded(&self.placement, StructureCommand::Barrier(command), mode).await? {
            S::Barrier(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    /// Arrives and waits until `expected` parties (this one included, 1 or more) have
    /// arrived in this round, at most `timeout` (`None`: as long as it takes; zero: do not
    /// wait). Answers the number of the round it completed (rounds count from 0).
    ///
    /// Fails with [`ClientError::BarrierTimedOut`] when `timeout` passed first: the arrival
    /// was withdrawn and no longer counts towards the round. Fails with
    /// [`ClientError::Refused`] (`BarrierMismatch`) when the round's first arrival gave
    /// another party count.
    pub async fn arrive(&self, expected: u64, timeout: Option<Duration>) -> Result<u64, ClientError> {
        let mode = match timeout {
            Some(wait) if wait.is_zero() => Mode::Mutation,
            wait => Mode::Blocking { wait },
        };
        match self.run(C::Arrive { expected, timeout }, mode).await? {
            O::Released { round } => Ok(round),
            O::TimedOut => Err(ClientError::BarrierTimedOut {
                name: self.placement.name.clone(),
                expected,
                waited_ms: timeout.unwrap_or_default().as_millis(),
            }),
            other => Err(unexpected(S::Barrier(other))),
        }
    }

    /// How many arrivals wait in the current round.
    pub async fn waiting(&self) -> Result<u64, ClientError> {
        match self.run(C::Waiting, Mode::Read).await? {
            O::Count(waiting) => Ok(waiting),
            other => Err(unexpected(S::Barrier(other))),
        }
    }

    /// The current round's number: how many rounds have completed.
    pub async fn round(&self) -> Result<u64, ClientError> {
        match self.run(C::Round, Mode::Read).await? {
            O::Round(round) => Ok(round),
            other => Err(unexpected(S::Barrier(other))),
        }
    }
}
