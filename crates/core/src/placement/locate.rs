//! Which partition serves a sharded call: pure, from the call's command alone.
//!
//! The one implementation of "where does this call go" for everyone who asks: the member
//! that receives a call (to serve it, forward it or redirect it), the owner that checks a
//! forwarded one, and the Rust client that routes a call straight to the owner from the
//! partition table it fetched. Two copies could drift apart (a new command, a changed
//! layout) and send calls to the wrong member, so there is one, here.
//!
//! The router needs the structure's name and, for the per-key kinds (Map, Set), the key:
//! both are in the [`GroupCommand`], so locating a call needs no other input than the
//! structure's `shards` (from the target) and the cluster's partition count (from the
//! committed table). Every member computes the same answer for the same call, which is
//! what lets any member route it and the owner check it ([`Layout`] and the hashes are the
//! placement module's, pinned across releases).
//!
//! What is located in one partition: Counter, Queue, Lock, Semaphore and Barrier (every
//! operation: one state per structure, in the partition of its name, see [`Layout`]), the
//! single-key operations of Map and Set, an entity call (the partition of its type and id),
//! and `Create` of a one-partition kind (how a Queue gets its capacity and a Semaphore its
//! permits: the first use of a name fixes them). A Map's or a Set's whole-structure
//! operations (size, keys, entries, members, clear) span all of its shards, so every
//! partition holding one: they are located in all of those ([`Located::Spread`]) and
//! gathered by the member that received the call. CP kinds (AtomicLong, FencedLock, ...)
//! and session commands are not sharded kinds at all; a `Cancel` names no structure, so it
//! cannot be located.

use std::collections::BTreeSet;

use super::{Layout, PartitionId, PlacementError, partition_of_shard};
use crate::kinds::map::MapCommand;
use crate::kinds::set::SetCommand;
use crate::{CoreError, GroupCommand, Kind, StructureCommand, entity};

/// The operation name refusals carry.
const OPERATION: &str = "sharded";

/// Where a sharded call is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    /// In one partition: its name's, or its key's.
    One(PartitionId),
    /// A Map's or a Set's whole-structure operation: in every partition holding one of its
    /// shards, ascending, each once.
    Spread(Vec<PartitionId>),
}

/// The partition of `command`, for a sharded structure of `shards` shards among
/// `partitions`; or why this slice of the sharded engine does not serve it in one
/// partition (a whole-structure operation is gathered, see [`locate`]).
pub fn partition_of_command(command: &GroupCommand, shards: u32, partitions: u32) -> Result<PartitionId, CoreError> {
    match locate(command, shards, partitions)? {
        Located::One(partition) => Ok(partition),
        Located::Spread(_) => Err(CoreError::invalid_request(
            OPERATION,
            "a whole-structure operation spans the structure's partitions; it is gathered, not served by one",
        )),
    }
}

/// The partition a forwarded call (of `command`) is served in: the one the forwarding member `located`
/// it in, checked against where this member locates it (for a whole-structure operation,
/// one of the structure's partitions).
pub fn forwarded_partition(
    command: &GroupCommand,
    shards: u32,
    partitions: u32,
    located: Option<u32>,
) -> Result<PartitionId, CoreError> {
    let agrees = match (locate(command, shards, partitions)?, located) {
        (Located::One(partition), Some(located)) if partition.0 == located => Some(partition),
        (Located::Spread(spread), Some(located)) => spread.into_iter().find(|partition| partition.0 == located),
        _ => None,
    };
    agrees.ok_or_else(|| {
        CoreError::invalid_request(
            OPERATION,
            format!(
                "the forwarding member located the call in partition {located:?}, which this member does not: the \
                 members disagree on the partition count"
            ),
        )
    })
}

/// Where `command` is served, for a sharded structure of `shards` shards among
/// `partitions`; or why this slice of the sharded engine does not serve it.
pub fn locate(command: &GroupCommand, shards: u32, partitions: u32) -> Result<Located, CoreError> {
    let (name, command) = match command {
        GroupCommand::Invoke { name, command } => (name, command),
        GroupCommand::Create { name, spec } => {
            let kind = spec.kind();
            if !matches!(Layout::of(kind, shards), Layout::Whole | Layout::PerShard { .. }) {
                return Err(CoreError::invalid_request(
                    OPERATION,
                    format!(
                        "{name:?}: creating a sharded {} with a configuration is not served (its state spans its \
                         shards); use it without creating it",
                        kind.name()
                    ),
                ));
            }
            if !is_sharded(kind) {
                return Err(unserved(kind, name));
            }
            return Layout::of(kind, shards)
                .partition(name, &[], partitions)
                .map(Located::One)
                .map_err(|err| CoreError::invalid_request(OPERATION, err.to_string()));
        }
        // A user entity lives in the partition of its type and id (`coterie_core::entity`).
        GroupCommand::Entity(call) => {
            return entity::partition_of(&call.entity_type, &call.id, partitions)
                .map(Located::One)
                .map_err(|err| CoreError::invalid_request(OPERATION, err.to_string()));
        }
        _ => {
            return Err(CoreError::invalid_request(
                OPERATION,
                "only structure calls, entity calls and create go to a sharded structure (sessions, destroy and cancel are \
                 CP-group commands)",
            ));
        }
    };
    let whole = || spread(name, shards, partitions);
    let layout = Layout::of(command.kind(), shards);
    let key: &[u8] = match command {
        StructureCommand::Counter(_)
        | StructureCommand::Queue(_)
        | StructureCommand::Lock(_)
        | StructureCommand::Semaphore(_)
        | StructureCommand::Barrier(_) => &[],
        StructureCommand::Map(map) => match map {
            MapCommand::Put { key, .. }
            | MapCommand::Get { key }
            | MapCommand::Contains { key }
            | MapCommand::Delete { key }
            | MapCommand::PutIfAbsent { key, .. }
            | MapCommand::Replace { key, .. }
            | MapCommand::CompareAndSet { key, .. } => key,
            MapCommand::Size => return whole(),
            MapCommand::Keys { .. } => return whole(),
            MapCommand::Entries { .. } => return whole(),
            MapCommand::Clear => return whole(),
        },
        StructureCommand::Set(set) => match set {
            SetCommand::Add(item) | SetCommand::Remove(item) | SetCommand::Contains(item) => item,
            SetCommand::Size => return whole(),
            SetCommand::Members { .. } => return whole(),
            SetCommand::Clear => return whole(),
        },
        other => return Err(unserved(other.kind(), name)),
    };
    layout
        .partition(name, key, partitions)
        .map(Located::One)
        .map_err(|err| CoreError::invalid_request(OPERATION, err.to_string()))
}

/// The partitions holding the shards of per-key structure `name` of `shards` shards,
/// ascending, each once.
fn spread(name: &str, shards: u32, partitions: u32) -> Result<Located, CoreError> {
    if shards == 0 {
        return Err(CoreError::invalid_request(OPERATION, PlacementError::ZeroShards.to_string()));
    }
    let mut spread = BTreeSet::new();
    for shard in 0..shards {
        let partition = partition_of_shard(name, shard, partitions)
            .map_err(|err| CoreError::invalid_request(OPERATION, err.to_string()))?;
        spread.insert(partition);
    }
    Ok(Located::Spread(spread.into_iter().collect()))
}

/// Whether `kind` is one of the sharded kinds (seed 000's).
fn is_sharded(kind: Kind) -> bool {
    matches!(kind, Kind::Counter | Kind::Map | Kind::Set | Kind::Queue | Kind::Lock | Kind::Semaphore | Kind::Barrier)
}

/// The refusal of a kind that is not a sharded one.
fn unserved(kind: Kind, name: &str) -> CoreError {
    CoreError::invalid_request(
        OPERATION,
        format!(
            "{name:?}: {} is a CP kind, not a sharded one; address it to a CP group (no sharded target)",
            kind.name()
        ),
    )
}

#[cfg(test)]
#[path = "locate_tests.rs"]
mod tests;
