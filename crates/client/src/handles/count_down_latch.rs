//! The CountDownLatch handle.

use std::time::Duration;

use coterie_core::kinds::count_down_latch::{CountDownLatchCommand as C, CountDownLatchOutput as O};
use coterie_core::{StructureCommand, StructureOutput as S};

use super::unexpected;
use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;

/// A count-down latch with rounds: it opens when the count reaches zero and can then be
/// set again for a new round.
pub struct CountDownLatch<T: Transport> {
    client: Client<T>,
    target: Target,
}

impl<T: Transport> CountDownLatch<T> {
    pub(crate) fn new(client: Client<T>, target: Target) -> Self {
        CountDownLatch { client, target }
    }

    async fn run(&self, command: C, mode: Mode) -> Result<O, ClientError> {
        match self.client.execute(&self.target, StructureCommand::CountDownLatch(command), mode).await? {
            S::CountDownLatch(output) => Ok(output),
            other => Err(unexpected(other)),
        }
    }

    /// Starts a round counting down from `count` if the latch is open (count 0); returns
    /// whether it did. Every participant may call it: only the first one succeeds.
    pub async fn try_set_count(&self, count: u64) -> Result<bool, ClientError> {
        match self.run(C::TrySetCount { count }, Mode::Mutation).await? {
            O::Bool(set) => Ok(set),
            other => Err(unexpected(S::CountDownLatch(other))),
        }
    }

    /// Counts down once in the current round (a retry is not counted twice).
    pub async fn count_down(&self) -> Result<(), ClientError> {
        let expected_round = self.get_round().await?;
        self.run(C::CountDown { expected_round }, Mode::Mutation).await.map(drop)
    }

    /// The current count.
    pub async fn get_count(&self) -> Result<u64, ClientError> {
        match self.run(C::GetCount, Mode::Read).await? {
            O::Count(count) => Ok(count),
            other => Err(unexpected(S::CountDownLatch(other))),
        }
    }

    /// The current round (0 before the first count is set).
    pub async fn get_round(&self) -> Result<u64, ClientError> {
        match self.run(C::GetRound, Mode::Read).await? {
            O::Round(round) => Ok(round),
            other => Err(unexpected(S::CountDownLatch(other))),
        }
    }

    /// Waits until the count reaches zero, up to `timeout` (`None`: as long as it takes);
    /// returns whether it did.
    pub async fn await_latch(&self, timeout: Option<Duration>) -> Result<bool, ClientError> {
        let mode = match timeout {
            Some(t) if t.is_zero() => Mode::Mutation,
            wait => Mode::Blocking { wait },
        };
        match self.run(C::Await { timeout }, mode).await? {
            O::Bool(opened) => Ok(opened),
            other => Err(unexpected(S::CountDownLatch(other))),
        }
    }
}
