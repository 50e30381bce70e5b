//! Raft invariants, as pure functions over snapshots of a run.
//!
//! Linearizability of the clients' histories is the property users see; these are the
//! properties of the replication underneath that imply it, checked directly so that a bug is
//! named where it happens (two leaders, diverging logs, diverging replicas, a lost write)
//! rather than as a history no sequential execution explains. Each property is one file and
//! one function from plain data to `Result<(), Violation>`, with no engine types, so the
//! same function serves proptests over hand-built models and the simulation's recordings.
//!
//! * [`election_safety`]: at most one leader per leader id, and one reign per leader id.
//! * [`log_matching`]: two logs that hold an entry of the same index and leader id agree up
//!   to it; and terms never decrease along a log.
//! * [`state_machine_safety`]: replicas that applied the same index have the same state,
//!   and never applied different entries at one index.
//! * [`acknowledged_writes`]: every write acknowledged to a client is in some replica's
//!   committed prefix at the end.
//!
//! What a snapshot holds is a *sample*: leadership is observed when someone looks, a log is
//! what a disk holds at the end. A checker can only find violations the sample shows; it
//! never reports one that did not happen (every violation names the observations behind it).

use std::fmt;

pub mod acknowledged_writes;
pub mod election_safety;
pub mod log_matching;
pub mod state_machine_safety;

pub use acknowledged_writes::check_acknowledged_writes;
pub use election_safety::check_election_safety;
pub use log_matching::check_log_matching;
pub use state_machine_safety::check_state_machine_safety;

/// A node (replica) id.
pub type NodeId = u64;

/// Where an entry sits in the logs and who created it.
///
/// `term` and `leader` together are the *leader id*: in standard Raft the term alone names
/// the leader (set `leader` to the leader or to 0 consistently); in openraft's "advanced"
/// mode several leaders may share a term and the node id tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    /// The entry's position in the log, from 1.
    pub index: u64,
    /// The term of the leader that created it.
    pub term: u64,
    /// The node id of the leader that created it.
    pub leader: NodeId,
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@T{}-N{}", self.index, self.term, self.leader)
    }
}

/// One log entry, as far as the invariants need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogEntry {
    /// Its id.
    pub id: EntryId,
    /// A hash of its payload (two entries with different payloads must hash differently).
    pub payload: u64,
    /// The client write it carries, if any (see [`AckedWrite::write`]).
    pub write: Option<u64>,
}

/// What one node's log held when the snapshot was taken.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeLog {
    /// The node.
    pub node: NodeId,
    /// The entries it holds, by increasing index. Gaps are allowed (a prefix replaced by an
    /// installed snapshot is absent); the checkers compare only indices both sides hold.
    pub entries: Vec<LogEntry>,
    /// The highest index the node knows to be committed.
    pub committed: Option<u64>,
    /// The highest index the node has applied to its state machine.
    pub applied: Option<u64>,
}

impl NodeLog {
    /// The entry at `index`, if the node holds it.
    pub fn get(&self, index: u64) -> Option<&LogEntry> {
        self.entries.binary_search_by_key(&index, |e| e.id.index).ok().and_then(|i| self.entries.get(i))
    }
}

/// How leaders are identified, which decides what "one leader" means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaderIds {
    /// Standard Raft: a term has at most one leader.
    Term,
    /// openraft's advanced leader ids `(term, node)`: several candidates may win one term,
    /// each in its own leader id.
    TermAndNode,
}

/// One observation of leadership: `observer` believed, at `at`, that `leader` led `term`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderObservation {
    /// When (any monotonic unit; the simulation's virtual microseconds).
    pub at: u64,
    /// Who observed.
    pub observer: NodeId,
    /// The observer's incarnation (bumped at each restart from disk).
    pub incarnation: u64,
    /// The term.
    pub term: u64,
    /// Who leads it, in the observer's view.
    pub leader: NodeId,
    /// Whether the observer itself was acting as leader (then `leader == observer`).
    pub acting: bool,
}

/// A replica's applied state, sampled: after applying up to `index`, its state hashed to
/// `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedState {
    /// When.
    pub at: u64,
    /// The replica.
    pub node: NodeId,
    /// The last index applied.
    pub index: u64,
    /// A hash of the whole state machine as of `index`.
    pub state: u64,
}

/// A write acknowledged to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckedWrite {
    /// The write's identity, as log entries carry it ([`LogEntry::write`]).
    pub write: u64,
    /// When it was acknowledged.
    pub acked_at: u64,
    /// What it was, for the report.
    pub description: String,
}

/// Everything recorded about one run.
#[derive(Clone, Debug)]
pub struct RunSnapshot {
    /// How leaders are identified.
    pub leader_ids: LeaderIds,
    /// Every leadership observation.
    pub leaders: Vec<LeaderObservation>,
    /// Every node's log at the end.
    pub logs: Vec<NodeLog>,
    /// Applied-state samples.
    pub applied: Vec<AppliedState>,
    /// The acknowledged writes.
    pub acked: Vec<AckedWrite>,
}

/// Which property a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    /// [`election_safety`].
    ElectionSafety,
    /// [`log_matching`].
    LogMatching,
    /// [`state_machine_safety`].
    StateMachineSafety,
    /// [`acknowledged_writes`].
    AcknowledgedWrites,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Property::ElectionSafety => "election safety",
            Property::LogMatching => "log matching",
            Property::StateMachineSafety => "state-machine safety",
            Property::AcknowledgedWrites => "no acknowledged write lost",
        })
    }
}

/// A broken invariant, with the observations that show it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{property} violated: {detail}")]
pub struct Violation {
    /// The property.
    pub property: Property,
    /// Which nodes, indices and terms, in words.
    pub detail: String,
}

impl Violation {
    /// A violation of `property` described by `detail`.
    pub fn new(property: Property, detail: impl Into<String>) -> Self {
        Violation { property, detail: detail.into() }
    }
}

/// Runs all four checkers over `run`, returning every violation found (one per property at
/// most).
pub fn check_all(run: &RunSnapshot) -> Vec<Violation> {
    [
        check_election_safety(&run.leaders, run.leader_ids),
        check_log_matching(&run.logs),
        check_state_machine_safety(&run.logs, &run.applied),
        check_acknowledged_writes(&run.logs, &run.acked),
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect()
}
