//! The partition table: the committed answer to "who holds partition p, and who should".

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::hash::Layout;
use super::{PartitionId, PlacementConfig, PlacementError, Ring};

/// A member as the partition table sees it, from the committed member view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Liveness {
    /// On the ring: may own partitions and receive moves.
    Up,
    /// Leaving gracefully: off the ring (no partition should be on it) but alive, so its
    /// partitions move off it before it may go ([`PartitionTable::may_leave`]).
    Leaving,
    /// Down (or removed): whatever only it held is lost until it returns.
    Down,
}

impl fmt::Display for Liveness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Liveness::Up => "up",
            Liveness::Leaving => "leaving",
            Liveness::Down => "down",
        })
    }
}

/// Who holds a partition's one copy now (part 1: replication factor 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionState {
    /// No member has ever held it (the cluster has had no Up member since it was created):
    /// there is no data anywhere, so the first owner creates it empty.
    Unassigned,
    /// `owner` holds it and serves it.
    Owned {
        /// The member that holds and serves it.
        owner: u64,
    },
    /// `from` holds it and serves it while `to` receives a copy; when the copy is complete
    /// ([`PartitionTable::move_done`] with `epoch`) `to` becomes the owner.
    Moving {
        /// The member that holds and serves it until the switch.
        from: u64,
        /// The member receiving it.
        to: u64,
        /// The ring epoch at which this move was started; its completion must carry it.
        epoch: u64,
    },
    /// Its only copy is on `last_owner`, which is down. Never recreated empty: it is
    /// Owned again when `last_owner` returns (pitfall P11).
    Lost {
        /// The member that holds its only copy and must return.
        last_owner: u64,
    },
}

impl PartitionState {
    /// The state's name in words ("owned", "moving", "lost", "unassigned").
    pub fn name(&self) -> &'static str {
        match self {
            PartitionState::Unassigned => "unassigned",
            PartitionState::Owned { .. } => "owned",
            PartitionState::Moving { .. } => "moving",
            PartitionState::Lost { .. } => "lost",
        }
    }

    /// The member holding the partition's copy, if it is alive as far as the table knows
    /// (Owned or Moving); `None` for Unassigned and Lost.
    pub fn holder(&self) -> Option<u64> {
        match *self {
            PartitionState::Owned { owner } => Some(owner),
            PartitionState::Moving { from, .. } => Some(from),
            PartitionState::Unassigned | PartitionState::Lost { .. } => None,
        }
    }

    /// Whether `member` appears in this state (as owner, either end of a move, or the lost
    /// partition's last owner).
    pub fn involves(&self, member: u64) -> bool {
        match *self {
            PartitionState::Owned { owner } => owner == member,
            PartitionState::Moving { from, to, .. } => from == member || to == member,
            PartitionState::Lost { last_owner } => last_owner == member,
            PartitionState::Unassigned => false,
        }
    }
}

/// One partition's row of the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionEntry {
    /// The desired replicas at the table's ring epoch: the ring's preference list of
    /// `factor` members, primary first; empty when no member is up.
    pub replicas: Vec<u64>,
    /// Who holds the data now.
    pub state: PartitionState,
}

impl PartitionEntry {
    /// The member that should own the partition at this ring epoch (the first replica).
    pub fn desired_owner(&self) -> Option<u64> {
        self.replicas.first().copied()
    }
}

/// The sharded engine's partition table, as the metadata group commits it.
///
/// Every node that holds the same committed table gives the same answers: it is a plain
/// value (no caches, ordered maps only), and decoding checks its invariants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TableRepr")]
pub struct PartitionTable {
    pub(super) config: PlacementConfig,
    pub(super) ring_epoch: u64,
    pub(super) version: u64,
    pub(super) members: BTreeMap<u64, Liveness>,
    pub(super) entries: Vec<PartitionEntry>,
}

/// The decoded form, checked before it becomes a [`PartitionTable`]. Same fields, same
/// order: the encoded bytes are the same.
#[derive(Deserialize)]
struct TableRepr {
    config: PlacementConfig,
    ring_epoch: u64,
    version: u64,
    members: BTreeMap<u64, Liveness>,
    entries: Vec<PartitionEntry>,
}

impl TryFrom<TableRepr> for PartitionTable {
    type Error = PlacementError;

    fn try_from(repr: TableRepr) -> Result<Self, Self::Error> {
        PartitionTable {
            config: repr.config,
            ring_epoch: repr.ring_epoch,
            version: repr.version,
            members: repr.members,
            entries: repr.entries,
        }
        .checked()
    }
}

impl PartitionTable {
    /// The table if its invariants hold (a valid configuration, one entry per partition, no
    /// member 0, no more replicas than the factor, no move to its own source).
    pub(super) fn checked(self) -> Result<Self, PlacementError> {
        let config = self.config.validate()?;
        let malformed = |reason: String| Err(PlacementError::Malformed { reason });
        if self.entries.len() != config.partitions as usize {
            return malformed(format!("{} entries for {} partitions", self.entries.len(), config.partitions));
        }
        if self.members.contains_key(&0) {
            return Err(PlacementError::ZeroMemberId);
        }
        if self.members.len() > super::MAX_MEMBERS {
            return Err(PlacementError::TooManyMembers { count: self.members.len() });
        }
        for (index, entry) in self.entries.iter().enumerate() {
            if entry.replicas.len() > config.factor as usize {
                return malformed(format!(
                    "partition {index} has {} replicas for a factor of {}",
                    entry.replicas.len(),
                    config.factor
                ));
            }
            if let PartitionState::Moving { from, to, .. } = entry.state
                && from == to
            {
                return malformed(format!("partition {index} moves from member {from} to itself"));
            }
        }
        Ok(self)
    }

    /// A new cluster's table: ring epoch 0, no members, every partition Unassigned. The
    /// first [`with_members`](PartitionTable::with_members) with an Up member assigns them.
    pub fn new(config: PlacementConfig) -> Result<PartitionTable, PlacementError> {
        let config = config.validate()?;
        let entries = (0..config.partitions)
            .map(|_| PartitionEntry { replicas: Vec::new(), state: PartitionState::Unassigned })
            .collect();
        Ok(PartitionTable { config, ring_epoch: 0, version: 0, members: BTreeMap::new(), entries })
    }

    /// The settings the table was computed with.
    pub fn config(&self) -> PlacementConfig {
        self.config
    }

    /// The ring epoch: bumped by every change of the member view.
    pub fn ring_epoch(&self) -> u64 {
        self.ring_epoch
    }

    /// The table's version: bumped by every change (a new member view, a finished move, an
    /// accepted loss), so a cached copy can tell it is older than another. Owners change
    /// within one ring epoch as moves finish; the version tells those tables apart.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// How many partitions the cluster has.
    pub fn partitions(&self) -> u32 {
        self.config.partitions
    }

    /// The member view the table was computed over, by id.
    pub fn members(&self) -> &BTreeMap<u64, Liveness> {
        &self.members
    }

    /// The Up members, ascending: the ring's members.
    pub fn up_members(&self) -> Vec<u64> {
        self.members.iter().filter(|(_, liveness)| **liveness == Liveness::Up).map(|(id, _)| *id).collect()
    }

    /// The ring the desired replicas were computed from.
    pub fn ring(&self) -> Ring {
        Ring::new(self.up_members(), self.config.vnodes)
    }

    /// Partition `partition`'s row.
    pub fn entry(&self, partition: PartitionId) -> Result<&PartitionEntry, PlacementError> {
        self.entries
            .get(partition.0 as usize)
            .ok_or(PlacementError::UnknownPartition { partition, partitions: self.config.partitions })
    }

    /// Every partition's row, in partition order.
    pub fn iter(&self) -> impl Iterator<Item = (PartitionId, &PartitionEntry)> {
        (0u32..).zip(&self.entries).map(|(index, entry)| (PartitionId(index), entry))
    }

    /// Partition `partition`'s state.
    pub fn state(&self, partition: PartitionId) -> Result<PartitionState, PlacementError> {
        self.entry(partition).map(|entry| entry.state)
    }

    /// Partition `partition`'s desired replicas, primary first.
    pub fn replicas(&self, partition: PartitionId) -> Result<&[u64], PlacementError> {
        self.entry(partition).map(|entry| entry.replicas.as_slice())
    }

    /// The member that serves `partition` now: its owner, or during a move the member
    /// moving it away (it serves until the switch). A lost partition is an error naming
    /// the member that must return; an unassigned one says no member is up.
    pub fn owner(&self, partition: PartitionId) -> Result<u64, PlacementError> {
        match self.entry(partition)?.state {
            PartitionState::Owned { owner } => Ok(owner),
            PartitionState::Moving { from, .. } => Ok(from),
            PartitionState::Lost { last_owner } => Err(PlacementError::Lost { partition, last_owner }),
            PartitionState::Unassigned => Err(PlacementError::Unassigned { partition }),
        }
    }

    /// The partition of structure `name` under `layout` (and `key`, for per-key layouts).
    pub fn partition_of(&self, layout: Layout, name: &str, key: &[u8]) -> Result<PartitionId, PlacementError> {
        layout.partition(name, key, self.config.partitions)
    }

    /// The member that serves structure `name` (and `key`) under `layout`.
    pub fn owner_of(&self, layout: Layout, name: &str, key: &[u8]) -> Result<u64, PlacementError> {
        self.owner(self.partition_of(layout, name, key)?)
    }

    /// How many partitions `member` owns now (Owned, or Moving away from it).
    pub fn owned_count(&self, member: u64) -> usize {
        self.entries.iter().filter(|entry| entry.state.holder() == Some(member)).count()
    }

    /// The moves running now: `(partition, from, to, epoch)`, in partition order.
    pub fn in_flight(&self) -> Vec<(PartitionId, u64, u64, u64)> {
        self.iter()
            .filter_map(|(partition, entry)| match entry.state {
                PartitionState::Moving { from, to, epoch } => Some((partition, from, to, epoch)),
                _ => None,
            })
            .collect()
    }

    /// The moves planned but not started: `(partition, from, to)` for every partition
    /// owned by a live member other than its desired owner, in the order they will start.
    pub fn pending(&self) -> Vec<(PartitionId, u64, u64)> {
        self.iter()
            .filter_map(|(partition, entry)| match (entry.state, entry.desired_owner()) {
                (PartitionState::Owned { owner }, Some(desired)) if owner != desired => {
                    Some((partition, owner, desired))
                }
                _ => None,
            })
            .collect()
    }

    /// The lost partitions and the member each waits for, in partition order.
    pub fn lost(&self) -> Vec<(PartitionId, u64)> {
        self.iter()
            .filter_map(|(partition, entry)| match entry.state {
                PartitionState::Lost { last_owner } => Some((partition, last_owner)),
                _ => None,
            })
            .collect()
    }

    /// Whether every partition is where the ring wants it and no move runs.
    pub fn is_settled(&self) -> bool {
        self.entries.iter().all(|entry| match (entry.state, entry.desired_owner()) {
            (PartitionState::Owned { owner }, Some(desired)) => owner == desired,
            (PartitionState::Moving { .. }, _) => false,
            _ => true,
        })
    }

    /// Whether `member` may go: no partition is on it, moving to or from it, or lost with
    /// it. A leaving member's partitions move off it first; until they have, it must stay.
    pub fn may_leave(&self, member: u64) -> bool {
        !self.entries.iter().any(|entry| entry.state.involves(member))
    }
}
