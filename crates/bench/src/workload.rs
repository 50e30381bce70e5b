//! Workloads by name. The names are part of the interface: scripts, JSON records and the
//! report all use them, so they never change meaning.

use std::fmt;
use std::str::FromStr;

/// What each client does in a loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// `cp-incr`: increment-and-get on one hot counter.
    CpIncr,
    /// `cp-cas`: read, then compare-and-set to value+1, retried until it succeeds; one op per
    /// successful CAS, the retries inside its latency.
    CpCas,
    /// `cp-get`: a linearizable read of one key.
    CpGet,
    /// `cp-lock`: lock then unlock of one lock shared by every client.
    CpLock,
    /// `cp-lock-each`: lock then unlock of a lock of the client's own.
    CpLockEach,
    /// `cp-semaphore`: acquire then release one permit of a semaphore with a few permits.
    CpSemaphore,
    /// `obj-create`: a create-only put of a new key (a value of [`OBJECT_VALUE_BYTES`] bytes).
    ObjCreate,
    /// `obj-cas`: get one hot object, then put value+1 only if its ETag (etcd: mod_revision)
    /// is the one read, retried until it succeeds; one op per successful swap, the retries
    /// inside its latency.
    ObjCas,
    /// `sharded-incr`: increment of one hot sharded Counter (Redis: INCR of one key).
    ShardedIncr,
    /// `sharded-incr-each`: increment of a sharded Counter of the client's own (Redis: INCR of
    /// a key per client).
    ShardedIncrEach,
    /// `sharded-put`: put of a [`MAP_VALUE_BYTES`]-byte value into a sharded Map, cycling
    /// over [`MAP_KEYS`] keys (Redis: SET).
    ShardedPut,
    /// `sharded-get`: get from a sharded Map of [`MAP_KEYS`] preloaded keys (Redis: GET).
    ShardedGet,
    /// `sharded-lock`: acquire (with a lease) then release of one sharded Lock contended by
    /// every client (Redis: SET NX PX retried while taken, then DEL).
    ShardedLock,
}

/// The size of each value the `obj-create` workload writes.
pub const OBJECT_VALUE_BYTES: usize = 100;

/// How many keys the map workloads (`sharded-put`, `sharded-get`) cycle over.
pub const MAP_KEYS: usize = 1000;

/// The size of each value the map workloads write (and preload).
pub const MAP_VALUE_BYTES: usize = 100;

/// The key of a map workload's op number `op` of client `client`: the clients start at
/// different keys and each walks all [`MAP_KEYS`] of them, so every shard is used.
pub fn map_key(client: usize, op: u64) -> String {
    let spread = (client as u64).wrapping_mul(7919).wrapping_add(op);
    format!("key-{}", spread % MAP_KEYS as u64)
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 13] = [
        Workload::CpIncr,
        Workload::CpCas,
        Workload::CpGet,
        Workload::CpLock,
        Workload::CpLockEach,
        Workload::CpSemaphore,
        Workload::ObjCreate,
        Workload::ObjCas,
        Workload::ShardedIncr,
        Workload::ShardedIncrEach,
        Workload::ShardedPut,
        Workload::ShardedGet,
        Workload::ShardedLock,
    ];

    /// The workload's name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::CpIncr => "cp-incr",
            Workload::CpCas => "cp-cas",
            Workload::CpGet => "cp-get",
            Workload::CpLock => "cp-lock",
            Workload::CpLockEach => "cp-lock-each",
            Workload::CpSemaphore => "cp-semaphore",
            Workload::ObjCreate => "obj-create",
            Workload::ObjCas => "obj-cas",
            Workload::ShardedIncr => "sharded-incr",
            Workload::ShardedIncrEach => "sharded-incr-each",
            Workload::ShardedPut => "sharded-put",
            Workload::ShardedGet => "sharded-get",
            Workload::ShardedLock => "sharded-lock",
        }
    }

    /// One line saying what one op is.
    pub fn describe(self) -> &'static str {
        match self {
            Workload::CpIncr => "increment-and-get on one hot counter",
            Workload::CpCas => "get + compare-and-set(v, v+1) retried until it succeeds (retries inside the op)",
            Workload::CpGet => "linearizable read of one key",
            Workload::CpLock => "lock + unlock of one lock contended by every client",
            Workload::CpLockEach => "lock + unlock of the client's own lock (no contention)",
            Workload::CpSemaphore => "acquire + release of one permit of a semaphore with 4 permits",
            Workload::ObjCreate => "create-only put of a new key, 100-byte value (etcd: txn create_revision == 0, put)",
            Workload::ObjCas => {
                "get + put(v+1) if-match the ETag read, retried until it succeeds (etcd: txn mod_revision == seen)"
            }
            Workload::ShardedIncr => "increment of one hot sharded counter (redis: INCR of one key)",
            Workload::ShardedIncrEach => {
                "increment of the client's own sharded counter (redis: INCR of a key per client)"
            }
            Workload::ShardedPut => "put of a 100-byte value into a sharded map, over 1000 keys (redis: SET)",
            Workload::ShardedGet => "get from a sharded map of 1000 preloaded keys (redis: GET)",
            Workload::ShardedLock => {
                "acquire (10 s lease) + release of one sharded lock contended by every client (redis: SET NX PX retried, DEL)"
            }
        }
    }

    /// Whether the workload is on objects (a Coterie bucket), not on a CP structure.
    pub fn is_object(self) -> bool {
        matches!(self, Workload::ObjCreate | Workload::ObjCas)
    }

    /// Whether the workload is on the sharded engine's structures (measured beside Redis
    /// only: etcd and ZooKeeper have no counterpart of a sharded structure).
    pub fn is_sharded(self) -> bool {
        matches!(
            self,
            Workload::ShardedIncr
                | Workload::ShardedIncrEach
                | Workload::ShardedPut
                | Workload::ShardedGet
                | Workload::ShardedLock
        )
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A workload name that is not one of [`Workload::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown workload {given:?}; the workloads are: {}", Workload::ALL.map(Workload::name).join(", "))]
pub struct UnknownWorkload {
    /// The name given.
    pub given: String,
}

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL.into_iter().find(|w| w.name() == s.trim()).ok_or_else(|| UnknownWorkload { given: s.to_owned() })
    }
}

/// The systems a run can target.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// A Coterie cluster.
    Coterie,
    /// An etcd v3 cluster.
    Etcd,
    /// A ZooKeeper ensemble.
    Zookeeper,
    /// A Redis server.
    Redis,
}

impl System {
    /// Every system, in report column order (Coterie first).
    pub const ALL: [System; 4] = [System::Coterie, System::Etcd, System::Zookeeper, System::Redis];

    /// The system's name.
    pub fn name(self) -> &'static str {
        match self {
            System::Coterie => "coterie",
            System::Etcd => "etcd",
            System::Zookeeper => "zookeeper",
            System::Redis => "redis",
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
