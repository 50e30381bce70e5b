//! The catalogue of built-in structure kinds.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every structure kind Coterie ships. The first five are the CP subsystem's (seed 001),
/// the rest are the sharded structures (seed 000); both engines can host any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A 64-bit signed register with atomic arithmetic.
    AtomicLong,
    /// A nullable byte-string register with compare-and-set.
    AtomicReference,
    /// A reentrant, session-owned mutex that hands out fencing tokens.
    FencedLock,
    /// A session-aware counting semaphore (Hazelcast's CP ISemaphore).
    CpSemaphore,
    /// A count-down latch with rounds.
    CountDownLatch,
    /// A simple counter (seed 000).
    Counter,
    /// A byte-keyed map.
    Map,
    /// A set of byte strings.
    Set,
    /// A FIFO queue with optional capacity and blocking take.
    Queue,
    /// A mutex owned by a per-handle id, with optional lease (seed 000).
    Lock,
    /// A semaphore with fixed permits owned by per-handle ids, with optional lease (seed 000).
    Semaphore,
    /// A reusable rendezvous point.
    Barrier,
    /// An object store's metadata: keys to ETag, version, attributes and blob reference.
    Bucket,
}

impl Kind {
    /// Whether what this kind hands out belongs to a CP session (a FencedLock's hold, a CP
    /// Semaphore's permits): calls that take, release or wait for it must be made in one, so
    /// that the session's expiry gives it back. Other kinds' calls need no session.
    pub fn owned_by_sessions(self) -> bool {
        matches!(self, Kind::FencedLock | Kind::CpSemaphore)
    }

    /// The kind's name as users write it (`atomic-long`, `fenced-lock`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::AtomicLong => "atomic-long",
            Kind::AtomicReference => "atomic-reference",
            Kind::FencedLock => "fenced-lock",
            Kind::CpSemaphore => "cp-semaphore",
            Kind::CountDownLatch => "count-down-latch",
            Kind::Counter => "counter",
            Kind::Map => "map",
            Kind::Set => "set",
            Kind::Queue => "queue",
            Kind::Lock => "lock",
            Kind::Semaphore => "semaphore",
            Kind::Barrier => "barrier",
            Kind::Bucket => "bucket",
        }
    }

    /// Every kind, in declaration order.
    pub const ALL: [Kind; 13] = [
        Kind::AtomicLong,
        Kind::AtomicReference,
        Kind::FencedLock,
        Kind::CpSemaphore,
        Kind::CountDownLatch,
        Kind::Counter,
        Kind::Map,
        Kind::Set,
        Kind::Queue,
        Kind::Lock,
        Kind::Semaphore,
        Kind::Barrier,
        Kind::Bucket,
    ];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = crate::CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| crate::CoreError::UnknownKind { name: s.to_owned() })
    }
}
