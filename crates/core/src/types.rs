//! Small identifier and time types shared by every state machine.
//!
//! They are newtypes rather than bare integers so that a session id can never be passed
//! where a fence is expected, and so that the wire format of each is decided in one place.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since the UNIX epoch, as stamped by the leader or
/// primary on a log entry.
///
/// State machines never read a clock: they only compare timestamps carried in
/// [`ApplyCtx`](crate::ApplyCtx). Arithmetic saturates so that a huge timeout means
/// "practically never" instead of wrapping into the past.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The timestamp `duration` after this one, saturating at the far future.
    pub fn saturating_add(self, duration: Duration) -> Timestamp {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(millis))
    }

    /// Milliseconds since the UNIX epoch.
    pub fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// The position of a command in its replication log (Raft index, or shard version in the
/// sharded engine). Strictly increasing within one group or shard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LogIndex(pub u64);

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A client session inside one CP group. Sessions own locks and permits so that a dead
/// client's holdings are freed when its session expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionId(pub u64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session {}", self.0)
    }
}

/// One call made by a client: its session and a per-session sequence number.
///
/// The same id identifies a parked waiter (so it can be woken or cancelled) and a dedup
/// entry (so a retried mutation is answered instead of applied twice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InvocationId {
    /// The session that made the call.
    pub session: SessionId,
    /// The call's sequence number within the session, chosen by the client.
    pub seq: u64,
}

impl fmt::Display for InvocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invocation {}/{}", self.session.0, self.seq)
    }
}

/// Who holds a lock or a permit, as chosen by the client: a thread/task id within a CP
/// session (FencedLock), or a per-handle UUID (sharded Lock and Semaphore).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OwnerId(pub u128);

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "owner {:032x}", self.0)
    }
}

/// A fencing token: strictly increasing across successive holders of one lock, the same
/// for reentrant acquires by one holder. Storage can reject writes carrying an older fence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fence(pub u64);

impl fmt::Display for Fence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fence {}", self.0)
    }
}
