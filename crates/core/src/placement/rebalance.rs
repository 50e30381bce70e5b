//! The table's pure transitions: a new committed member view, and a finished move.
//!
//! Both take the committed table and an input and return the next table with the effects
//! the engine must carry out; neither mutates the table it is given, so the metadata group
//! commits the result, and a driver that lost it simply computes it again.

use std::collections::BTreeMap;

use super::{Liveness, PartitionId, PartitionState, PartitionTable, PlacementError, Ring};

/// Something the engine must do because the table changed. Listed in partition order
/// (the member-view transition) or in the order they happened (a finished move).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacementEffect {
    /// `owner` creates the partition empty. Only for a partition no member ever held.
    Create {
        /// The partition.
        partition: PartitionId,
        /// Its first owner.
        owner: u64,
    },
    /// `from` starts sending the partition to `to`, which reports completion with
    /// [`PartitionTable::move_done`]`(partition, epoch)`; `from` keeps serving meanwhile.
    StartMove {
        /// The partition.
        partition: PartitionId,
        /// Its owner, the source.
        from: u64,
        /// Its new owner once the copy is complete.
        to: u64,
        /// The move's epoch, to be given back with its completion.
        epoch: u64,
    },
    /// The move is abandoned (its target is no longer wanted, or its source died): `to`
    /// drops what it received; `from` keeps the partition, unless it is now lost.
    CancelMove {
        /// The partition.
        partition: PartitionId,
        /// The source.
        from: u64,
        /// The abandoned target.
        to: u64,
        /// The abandoned move's epoch.
        epoch: u64,
    },
    /// The move finished: `to` owns and serves the partition; `from` may drop its copy.
    MoveFinished {
        /// The partition.
        partition: PartitionId,
        /// The old owner.
        from: u64,
        /// The new owner.
        to: u64,
    },
    /// The partition's only copy is on `last_owner`, which went down: calls to it are
    /// refused with [`PlacementError::Lost`] until that member returns.
    Lost {
        /// The partition.
        partition: PartitionId,
        /// The member that must return.
        last_owner: u64,
    },
    /// `owner` returned with the lost partition: it owns and serves it again.
    Recovered {
        /// The partition.
        partition: PartitionId,
        /// The member that returned.
        owner: u64,
    },
}

impl PlacementEffect {
    /// The partition the effect is about.
    pub fn partition(&self) -> PartitionId {
        match *self {
            PlacementEffect::Create { partition, .. }
            | PlacementEffect::StartMove { partition, .. }
            | PlacementEffect::CancelMove { partition, .. }
            | PlacementEffect::MoveFinished { partition, .. }
            | PlacementEffect::Lost { partition, .. }
            | PlacementEffect::Recovered { partition, .. } => partition,
        }
    }
}

/// The result of a transition: the next table and what the engine must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The table to commit.
    pub table: PartitionTable,
    /// What the engine must do, in order.
    pub effects: Vec<PlacementEffect>,
    /// Whether the table differs from the one the transition started from (an input that
    /// asks for the state the table is already in changes nothing).
    pub changed: bool,
}

/// Why a move completion was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaleMove {
    /// The partition is not one of the table's.
    UnknownPartition {
        /// The partition reported.
        partition: PartitionId,
    },
    /// No move of the partition runs (it finished already, or was cancelled).
    NotMoving {
        /// The partition.
        partition: PartitionId,
        /// Its state.
        state: PartitionState,
    },
    /// A move of the partition runs, but another one: the completion is of a move started
    /// at another epoch and since cancelled.
    WrongEpoch {
        /// The partition.
        partition: PartitionId,
        /// The epoch of the move that runs.
        running: u64,
        /// The epoch the completion carried.
        reported: u64,
    },
}

/// What [`PartitionTable::move_done`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoveDone {
    /// The owner switched; the transition may also start the next queued moves.
    Finished(Transition),
    /// The completion was stale and changed nothing.
    Ignored(StaleMove),
}

impl PartitionTable {
    /// The table for a new committed member view (a join, a graceful leave, a member going
    /// Down or returning). Members not in `members` count as Down.
    ///
    /// The ring is rebuilt over the Up members and every partition's desired replicas
    /// recomputed; the ring epoch goes up by one. Then, per partition:
    /// - never held and a member is up: created empty at its desired owner;
    /// - held by a member now Down (owned, or moving away from it): **Lost**, naming it;
    ///   never given to another member (pitfall P11);
    /// - lost and its last owner is back (Up or Leaving): owned by it again;
    /// - moving to a member that is no longer its desired owner: the move is cancelled and
    ///   the source keeps it;
    /// - owned by a live member other than its desired owner: a move is planned.
    ///
    /// Planned moves start in partition order while fewer than `max_in_flight` run; the
    /// others wait for [`move_done`](PartitionTable::move_done). The same view again
    /// changes nothing.
    pub fn with_members(&self, members: &BTreeMap<u64, Liveness>) -> Result<Transition, PlacementError> {
        if members.contains_key(&0) {
            return Err(PlacementError::ZeroMemberId);
        }
        if members.len() > super::MAX_MEMBERS {
            return Err(PlacementError::TooManyMembers { count: members.len() });
        }
        if *members == self.members {
            return Ok(Transition { table: self.clone(), effects: Vec::new(), changed: false });
        }
        let mut table = self.clone();
        table.members = members.clone();
        table.ring_epoch = self.ring_epoch.saturating_add(1);
        table.version = self.version.saturating_add(1);
        let ring = Ring::new(table.up_members(), table.config.vnodes);
        let factor = table.config.factor as usize;
        let partitions = table.config.partitions;
        let alive = |member: u64| matches!(members.get(&member), Some(Liveness::Up | Liveness::Leaving));
        let mut effects = Vec::new();
        for (partition, entry) in (0u32..).map(PartitionId).zip(table.entries.iter_mut()) {
            entry.replicas = ring.preference_list(partition, partitions, factor);
            let desired = entry.replicas.first().copied();
            entry.state = match entry.state {
                PartitionState::Unassigned => match desired {
                    Some(owner) => {
                        effects.push(PlacementEffect::Create { partition, owner });
                        PartitionState::Owned { owner }
                    }
                    None => PartitionState::Unassigned,
                },
                PartitionState::Owned { owner } if alive(owner) => PartitionState::Owned { owner },
                PartitionState::Owned { owner } => {
                    effects.push(PlacementEffect::Lost { partition, last_owner: owner });
                    PartitionState::Lost { last_owner: owner }
                }
                PartitionState::Lost { last_owner } if alive(last_owner) => {
                    effects.push(PlacementEffect::Recovered { partition, owner: last_owner });
                    PartitionState::Owned { owner: last_owner }
                }
                lost @ PartitionState::Lost { .. } => lost,
                PartitionState::Moving { from, to, epoch } => {
                    if !alive(from) {
                        effects.push(PlacementEffect::CancelMove { partition, from, to, epoch });
                        effects.push(PlacementEffect::Lost { partition, last_owner: from });
                        PartitionState::Lost { last_owner: from }
                    } else if desired != Some(to) {
                        effects.push(PlacementEffect::CancelMove { partition, from, to, epoch });
                        PartitionState::Owned { owner: from }
                    } else {
                        PartitionState::Moving { from, to, epoch }
                    }
                }
            };
        }
        table.start_moves(&mut effects);
        Ok(Transition { table, effects, changed: true })
    }

    /// The table after the move of `partition` started at `epoch` finished: its target
    /// owns it, and the next planned moves start while fewer than `max_in_flight` run. A
    /// completion for a partition not moving, or for a move of another epoch (one since
    /// cancelled), is ignored and says why.
    pub fn move_done(&self, partition: PartitionId, epoch: u64) -> MoveDone {
        let Some(entry) = self.entries.get(partition.0 as usize) else {
            return MoveDone::Ignored(StaleMove::UnknownPartition { partition });
        };
        let (from, to) = match entry.state {
            PartitionState::Moving { from, to, epoch: running } if running == epoch => (from, to),
            PartitionState::Moving { epoch: running, .. } => {
                return MoveDone::Ignored(StaleMove::WrongEpoch { partition, running, reported: epoch });
            }
            state => return MoveDone::Ignored(StaleMove::NotMoving { partition, state }),
        };
        let mut table = self.clone();
        table.version = self.version.saturating_add(1);
        if let Some(entry) = table.entries.get_mut(partition.0 as usize) {
            entry.state = PartitionState::Owned { owner: to };
        }
        let mut effects = vec![PlacementEffect::MoveFinished { partition, from, to }];
        table.start_moves(&mut effects);
        MoveDone::Finished(Transition { table, effects, changed: true })
    }

    /// The table after an administrator accepted that lost partition `partition`'s data is
    /// gone (its last owner will not return): the partition is created empty at its
    /// desired owner ([`PlacementEffect::Create`]). This is the only way a partition that
    /// held data is ever recreated empty, and it is never done without being asked
    /// (pitfall P11). A partition not lost, or no member up, is refused. If the last owner
    /// returns after all, its old copy of the partition is stale: it holds the partition
    /// only where the table says so, and drops the copy the table no longer gives it.
    pub fn accept_loss(&self, partition: PartitionId) -> Result<Transition, PlacementError> {
        let entry = self.entry(partition)?;
        if !matches!(entry.state, PartitionState::Lost { .. }) {
            return Err(PlacementError::NotLost { partition, state: entry.state.name() });
        }
        let owner = entry.desired_owner().ok_or(PlacementError::NoMemberUp { partition })?;
        let mut table = self.clone();
        table.version = self.version.saturating_add(1);
        if let Some(entry) = table.entries.get_mut(partition.0 as usize) {
            entry.state = PartitionState::Owned { owner };
        }
        Ok(Transition { table, effects: vec![PlacementEffect::Create { partition, owner }], changed: true })
    }

    /// Starts planned moves, in partition order, while fewer than `max_in_flight` run.
    fn start_moves(&mut self, effects: &mut Vec<PlacementEffect>) {
        let max = self.config.max_in_flight as usize;
        let mut running =
            self.entries.iter().filter(|entry| matches!(entry.state, PartitionState::Moving { .. })).count();
        let epoch = self.ring_epoch;
        for (partition, entry) in (0u32..).map(PartitionId).zip(self.entries.iter_mut()) {
            if running >= max {
                break;
            }
            if let (PartitionState::Owned { owner }, Some(desired)) = (entry.state, entry.replicas.first().copied())
                && owner != desired
            {
                entry.state = PartitionState::Moving { from: owner, to: desired, epoch };
                effects.push(PlacementEffect::StartMove { partition, from: owner, to: desired, epoch });
                running += 1;
            }
        }
    }
}
