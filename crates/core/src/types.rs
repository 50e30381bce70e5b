//! Small identifier and time types shared by every state machine.
//!
//! They are newtypes rather than bare integers so that a session id can never be passed
//! where a fence is expected, and so that the wire format of each is decided in one place.

use std::fmt;
use std::num::NonZeroU128;
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

/// A client's identity, unique cluster-wide without depending on any group's log.
///
/// 128 bits that a client draws at random once per client instance (the Rust client does
/// so in `Client::new`); the core never draws it. Random 128-bit ids collide with a
/// probability far below that of any hardware fault, so no group has to hand them out, and
/// the same id names the client in every CP group and (later) every shard: it is the key of
/// the [`DedupTable`](crate::dedup::DedupTable). Zero is not an id: it is what a missing
/// proto field decodes to, so it is refused rather than shared by every careless sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(NonZeroU128);

impl ClientId {
    /// The smallest id, 1 (for tests and examples; real clients draw theirs at random).
    pub const MIN: ClientId = ClientId(NonZeroU128::MIN);

    /// The id `value`, or `None` for zero.
    pub const fn new(value: u128) -> Option<ClientId> {
        match NonZeroU128::new(value) {
            Some(value) => Some(ClientId(value)),
            None => None,
        }
    }

    /// The id as a number.
    pub const fn get(self) -> u128 {
        self.0.get()
    }

    /// The id as 16 big-endian bytes (its wire form).
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.get().to_be_bytes()
    }

    /// The id in `bytes` (16 big-endian bytes), or `None` if they are not 16 or all zero.
    pub fn from_bytes(bytes: &[u8]) -> Option<ClientId> {
        let bytes: [u8; 16] = bytes.try_into().ok()?;
        ClientId::new(u128::from_be_bytes(bytes))
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {:032x}", self.0.get())
    }
}

/// One call made by a client: the client's identity and its sequence number for the call's
/// target (one CP group or one partition), the same on every resend.
///
/// The same id identifies a parked waiter (so it can be woken or cancelled) and a dedup
/// entry (so a resent mutation is answered instead of applied twice). It does not name a
/// session: a call made in a session carries the session beside it, and a resend of an
/// applied call is answered from the client's record even after that session expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InvocationId {
    /// The client that made the call.
    pub client: ClientId,
    /// The call's sequence number among the client's calls to this target, from 1.
    pub seq: u64,
}

impl fmt::Display for InvocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invocation {:032x}/{}", self.client.get(), self.seq)
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
