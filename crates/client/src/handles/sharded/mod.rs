//! Typed handles over the sharded engine's structures: Counter, Map, Set, Queue, Lock,
//! Semaphore and Barrier (seed 000's `d.counter`, `d.map`, `d.set`, `d.queue`, `d.lock`,
//! `d.semaphore`, `d.barrier`, in async Rust).
//!
//! A sharded structure is not in a CP group: its state is split into `shards` shards, each
//! kept by the owner of one partition, and any member routes a call to that owner. So a
//! handle is a name, a shard count and a timeout ([`Sharded`]) plus a client, and creating
//! one sends nothing. Every handle of one name must use the same shard count: the first use
//! of a name fixes it, as in seed 000 ("use the same `name` and `shards`").
//!
//! Calls go through the client's one retry loop. A change carries this client's id and the
//! next number of its sharded series, the same on every resend, so the partition that
//! applied it answers a resend from its record instead of applying it twice. Sharded
//! structures have no sessions, so nothing here opens one.

mod barrier;
mod constructors;
mod counter;
mod lock;
mod map;
mod page;
mod queue;
mod semaphore;
mod set;

use std::time::Duration;

pub use barrier::Barrier;
pub use counter::Counter;
pub use lock::Lock;
pub use map::Map;
pub use page::{Cursor, Page};
pub use queue::Queue;
pub use semaphore::ShardedSemaphore;
pub use set::Set;

use std::sync::atomic::Ordering;

use coterie_core::{
    ConfigError, GroupCommand, GroupOutput, InvocationId, OwnerId, StructureCommand, StructureOutput, StructureSpec,
};
use tokio::time::Instant;

use crate::client::{Client, Mode};
use crate::error::ClientError;
use crate::retry::Progress;
use crate::transport::{Call, Transport};

/// The key of a client's series of sequence numbers for sharded structures (one for all of
/// them: numbers stay distinct and increasing per partition, as the dedup contract asks).
/// Not a group name, which has no `#`, so it never shares a group's series.
const SHARDED_SERIES: &str = "#sharded";

/// A new owner id for a sharded Lock or Semaphore handle: 128 random bits (seed 000's
/// "auto-generated UUID"), so owners from different clients and processes never collide
/// without any coordination.
pub(crate) fn new_owner() -> OwnerId {
    OwnerId(crate::identity::draw().get())
}

/// How a sharded structure is placed and called: its number of shards (default 100, seed
/// 000's) and how long each call may take (default: the client's call timeout, 5 s unless
/// configured; seed 000's `timeout`).
///
/// ```ignore
/// let views = client.counter_with("page-views", Sharded::default().shards(50))?;
/// let jobs = client.queue_with::<String>("jobs", Sharded::default().timeout(Duration::from_secs(2)))?;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sharded {
    shards: u32,
    timeout: Option<Duration>,
}

impl Default for Sharded {
    fn default() -> Self {
        Sharded { shards: Sharded::DEFAULT_SHARDS, timeout: None }
    }
}

impl Sharded {
    /// The shard count of a structure unless one is given (seed 000).
    pub const DEFAULT_SHARDS: u32 = 100;

    /// These options with `shards` shards (1 or more). Every handle of one name must use the
    /// same count: it decides which partition holds which key.
    pub fn shards(self, shards: u32) -> Self {
        Sharded { shards, ..self }
    }

    /// These options with each call bounded by `timeout`, retries included (for a queue's
    /// `take`, the wait plus this).
    pub fn timeout(self, timeout: Duration) -> Self {
        Sharded { timeout: Some(timeout), ..self }
    }
}

/// Where a sharded structure is and how long its calls may take, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The structure's name (no `@`: that suffix addresses CP groups).
    pub(crate) name: String,
    /// Its shard count.
    pub(crate) shards: u32,
    /// Its calls' timeout; `None`: the client's.
    pub(crate) timeout: Option<Duration>,
}

impl Placement {
    /// The placement of `name` with `options`, or why it cannot be used.
    pub(crate) fn new(name: &str, options: Sharded) -> Result<Self, ClientError> {
        let invalid = |reason| ClientError::InvalidName { name: name.to_owned(), reason };
        if name.is_empty() {
            return Err(invalid("the structure name is empty"));
        }
        if name.contains('@') {
            return Err(invalid(
                "a sharded structure's name cannot contain '@' (name@group addresses CP groups); choose a name without '@'",
            ));
        }
        ConfigError::ensure(
            options.shards > 0,
            "Sharded::shards",
            options.shards,
            "it must be 1 or more (100 is the default)",
        )?;
        if let Some(timeout) = options.timeout {
            ConfigError::ensure(!timeout.is_zero(), "Sharded::timeout", timeout, "it must be more than zero")?;
        }
        Ok(Placement { name: name.to_owned(), shards: options.shards, timeout: options.timeout })
    }
}

impl<T: Transport> Client<T> {
    /// Runs one command on a sharded structure: a read without an invocation id (stale if
    /// this client asks for stale reads), a change or a wait under the next number of this
    /// client's sharded series, the same on every resend. No session: sharded structures
    /// have none. A wait keeps its place across attempts (`keep_parked`).
    pub(crate) async fn execute_sharded(
        &self,
        placement: &Placement,
        command: StructureCommand,
        mode: Mode,
    ) -> Result<StructureOutput, ClientError> {
        let command = GroupCommand::Invoke { name: placement.name.clone(), command };
        match self.send_sharded(placement, command, mode).await? {
            GroupOutput::Structure(output) => Ok(output),
            other => Err(ClientError::UnexpectedOutput(format!("{other:?}"))),
        }
    }

    /// Creates the sharded structure `placement` with `spec` (its kind and configuration),
    /// a change applied once; answers whether this call created it (`false`: it existed
    /// with the same configuration; another configuration is refused, `ConfigConflict`).
    pub(crate) async fn create_sharded(&self, placement: &Placement, spec: StructureSpec) -> Result<bool, ClientError> {
        let command = GroupCommand::Create { name: placement.name.clone(), spec };
        match self.send_sharded(placement, command, Mode::Mutation).await? {
            GroupOutput::Bool(created) => Ok(created),
            other => Err(ClientError::UnexpectedOutput(format!("{other:?}"))),
        }
    }

    /// Sends one group command about the sharded structure `placement`, as
    /// [`Client::execute_sharded`] describes.
    async fn send_sharded(
        &self,
        placement: &Placement,
        command: GroupCommand,
        mode: Mode,
    ) -> Result<GroupOutput, ClientError> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(ClientError::Closed);
        }
        let timeout = placement.timeout.unwrap_or(self.call_timeout);
        let blocking = matches!(mode, Mode::Blocking { .. });
        let deadline = match mode {
            Mode::Blocking { wait: None } => None,
            Mode::Blocking { wait: Some(wait) } => Instant::now().checked_add(wait.saturating_add(timeout)),
            Mode::Read | Mode::SessionRead | Mode::Mutation => Instant::now().checked_add(timeout),
        };
        let (invocation, _pending) = if matches!(mode, Mode::Mutation | Mode::Blocking { .. }) {
            let (seq, pending) = self.series(SHARDED_SERIES).next(!blocking, deadline).await?;
            (Some(InvocationId { client: self.shared.client_id, seq }), pending)
        } else {
            (None, None)
        };
        let call = Call {
            target: coterie_core::Target::Sharded { shards: placement.shards },
            command,
            session: None,
            invocation,
            stale_read: invocation.is_none() && self.stale_reads,
            keep_parked: blocking,
            consistency: self.consistency,
            // Routed to the partition's owner by the retry loop when the client has the
            // partition table (`route.rs`); else any member forwards it.
            redirect: false,
        };
        let attempt = if blocking { self.shared.config.wait_poll } else { self.shared.config.attempt_timeout };
        self.send_bounded(call, deadline, attempt, &mut Progress::default()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_check_the_name_the_shards_and_the_timeout() {
        let placement = Placement::new("views", Sharded::default()).unwrap();
        assert_eq!(placement, Placement { name: "views".into(), shards: 100, timeout: None });
        let options = Sharded::default().shards(50).timeout(Duration::from_secs(2));
        let placement = Placement::new("views", options).unwrap();
        assert_eq!((placement.shards, placement.timeout), (50, Some(Duration::from_secs(2))));

        assert!(matches!(Placement::new("", Sharded::default()), Err(ClientError::InvalidName { .. })));
        let at = Placement::new("views@g", Sharded::default()).unwrap_err();
        assert!(at.to_string().contains("cannot contain '@'"), "{at}");
        let zero = Placement::new("views", Sharded::default().shards(0)).unwrap_err();
        assert!(zero.to_string().contains("Sharded::shards"), "{zero}");
        let instant = Placement::new("views", Sharded::default().timeout(Duration::ZERO)).unwrap_err();
        assert!(instant.to_string().contains("Sharded::timeout"), "{instant}");
    }
}
