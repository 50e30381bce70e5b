//! Which partition serves a sharded call: pure, from the call's command alone.
//!
//! The router needs the structure's name and, for the per-key kinds (Map, Set), the key:
//! both are in the [`Request`]'s command, so locating a call needs no other input than the
//! structure's `shards` (from the target) and the cluster's partition count (from the
//! committed table). Every member computes the same answer for the same call, which is
//! what lets any member route it and the owner check it ([`Layout`] and the hashes are the
//! placement module's, pinned across releases).
//!
//! What this slice serves: Counter, Queue, Lock, Semaphore and Barrier (every operation:
//! one state per structure, in the partition of its name, see [`Layout`]), the single-key
//! operations of Map and Set, and `Create` of a one-partition kind (how a Queue gets its
//! capacity and a Semaphore its permits: the first use of a name fixes them). A Map's or a
//! Set's whole-structure operations (size, keys, entries, members, clear) span all of its
//! shards, so every partition holding one: they are located in all of those
//! ([`Located::Spread`]), scattered over them and gathered by the member that received the
//! call (`host/scatter.rs`), each partition's part served by its owner like any call
//! ([`forwarded_partition`] checks a forwarded part). CP kinds (AtomicLong, FencedLock, ...) and session commands are not sharded kinds
//! at all; a `Cancel` names no structure, so it cannot be located (a parked sharded call is
//! cancelled by its caller giving up, see `parked`).

use coterie_core::kinds::map::MapCommand;
use coterie_core::kinds::set::SetCommand;
use std::collections::BTreeSet;

use coterie_core::placement::{Layout, PartitionId, PlacementError, partition_of_shard};
use coterie_core::{CoreError, GroupCommand, Kind, StructureCommand, entity};

use crate::request::Request;

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

/// The partition of `request`, for a sharded structure of `shards` shards among
/// `partitions`; or why this slice of the sharded engine does not serve it in one
/// partition (a whole-structure operation is gathered, see [`locate`]).
pub fn partition_of(request: &Request, shards: u32, partitions: u32) -> Result<PartitionId, CoreError> {
    match locate(request, shards, partitions)? {
        Located::One(partition) => Ok(partition),
        Located::Spread(_) => Err(CoreError::invalid_request(
            OPERATION,
            "a whole-structure operation spans the structure's partitions; it is gathered, not served by one",
        )),
    }
}

/// The partition a forwarded call is served in: the one the forwarding member `located`
/// it in, checked against where this member locates it (for a whole-structure operation,
/// one of the structure's partitions).
pub fn forwarded_partition(
    request: &Request,
    shards: u32,
    partitions: u32,
    located: Option<u32>,
) -> Result<PartitionId, CoreError> {
    let agrees = match (locate(request, shards, partitions)?, located) {
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

/// Where `request` is served, for a sharded structure of `shards` shards among
/// `partitions`; or why this slice of the sharded engine does not serve it.
pub fn locate(request: &Request, shards: u32, partitions: u32) -> Result<Located, CoreError> {
    let (name, command) = match &request.command {
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
mod tests {
    use coterie_core::kinds::atomic_long::AtomicLongCommand;
    use coterie_core::kinds::barrier::BarrierCommand;
    use coterie_core::kinds::counter::CounterCommand;
    use coterie_core::kinds::lock::LockCommand;
    use coterie_core::kinds::queue::QueueCommand;
    use coterie_core::kinds::semaphore::SemaphoreCommand;
    use coterie_core::placement::{partition_of_key, partition_of_name, partition_of_shard, shard_of_key};
    use coterie_core::{InvalidReason, StructureCommand};

    use super::*;

    fn call(name: &str, command: StructureCommand) -> Request {
        Request::internal(GroupCommand::Invoke { name: name.to_owned(), command })
    }

    fn detail(err: CoreError) -> String {
        match err {
            CoreError::InvalidArgument { reason: InvalidReason::Request { detail }, .. } => detail,
            other => panic!("not an invalid request: {other:?}"),
        }
    }

    #[test]
    fn a_counter_lives_in_the_partition_of_its_name_shard() {
        let request = call("hits", StructureCommand::Counter(CounterCommand::Increment(1)));
        let shard = shard_of_key(b"hits", 100).unwrap();
        let expected = partition_of_shard("hits", shard, 271).unwrap();
        assert_eq!(partition_of(&request, 100, 271), Ok(expected));
        // Every operation on one counter goes to the same partition.
        assert_eq!(partition_of(&call("hits", StructureCommand::Counter(CounterCommand::Get)), 100, 271), Ok(expected));
    }

    #[test]
    fn map_and_set_keys_are_placed_per_key() {
        for key in [b"alice".to_vec(), b"bob".to_vec(), Vec::new()] {
            let expected = partition_of_key("users", &key, 100, 271).unwrap();
            let put = call("users", StructureCommand::Map(MapCommand::Put { key: key.clone(), value: b"v".to_vec() }));
            let get = call("users", StructureCommand::Map(MapCommand::Get { key: key.clone() }));
            let add = call("users", StructureCommand::Set(SetCommand::Add(key.clone())));
            assert_eq!(partition_of(&put, 100, 271), Ok(expected));
            assert_eq!(partition_of(&get, 100, 271), Ok(expected));
            assert_eq!(partition_of(&add, 100, 271), Ok(expected));
        }
    }

    #[test]
    fn one_partition_kinds_live_in_the_partition_of_their_name_and_are_created_there() {
        let expected = partition_of_name("jobs", 271).unwrap();
        let commands = [
            StructureCommand::Queue(QueueCommand::Size),
            StructureCommand::Lock(LockCommand::IsLocked),
            StructureCommand::Semaphore(SemaphoreCommand::Available),
            StructureCommand::Barrier(BarrierCommand::Round),
        ];
        for command in commands {
            let kind = command.kind();
            assert_eq!(partition_of(&call("jobs", command), 100, 271), Ok(expected), "{kind:?}");
            let create = Request::internal(GroupCommand::Create {
                name: "jobs".into(),
                spec: coterie_core::StructureSpec::default_for(kind),
            });
            assert_eq!(partition_of(&create, 100, 271), Ok(expected), "{kind:?} is created where it is served");
        }
        // A counter is created where its calls go too.
        let create = Request::internal(GroupCommand::Create {
            name: "hits".into(),
            spec: coterie_core::StructureSpec::default_for(Kind::Counter),
        });
        let get = call("hits", StructureCommand::Counter(CounterCommand::Get));
        assert_eq!(partition_of(&create, 100, 271), partition_of(&get, 100, 271));
    }

    #[test]
    fn a_whole_structure_operation_is_located_in_every_partition_of_its_shards() {
        let expected: BTreeSet<PartitionId> =
            (0..20).map(|shard| partition_of_shard("users", shard, 271).unwrap()).collect();
        for command in [
            StructureCommand::Map(MapCommand::Size),
            StructureCommand::Map(MapCommand::Keys { after: None, limit: 10 }),
            StructureCommand::Map(MapCommand::Entries { after: None, limit: 10 }),
            StructureCommand::Map(MapCommand::Clear),
            StructureCommand::Set(SetCommand::Members { after: None, limit: 10 }),
        ] {
            let located = locate(&call("users", command), 20, 271).unwrap();
            assert_eq!(located, Located::Spread(expected.iter().copied().collect()));
        }
        // A forwarded part is served in one of them, and only there.
        let size = call("users", StructureCommand::Map(MapCommand::Size));
        let first = expected.first().unwrap().0;
        assert_eq!(forwarded_partition(&size, 20, 271, Some(first)), Ok(PartitionId(first)));
        let elsewhere = (0..271).find(|p| !expected.contains(&PartitionId(*p))).unwrap();
        assert!(detail(forwarded_partition(&size, 20, 271, Some(elsewhere)).unwrap_err()).contains("disagree"));
        let key = call("users", StructureCommand::Map(MapCommand::Get { key: b"k".to_vec() }));
        let home = partition_of(&key, 20, 271).unwrap();
        assert_eq!(forwarded_partition(&key, 20, 271, Some(home.0)), Ok(home));
        assert!(forwarded_partition(&key, 20, 271, None).is_err());
        assert!(detail(locate(&size, 0, 271).unwrap_err()).starts_with("a structure cannot have 0 shards"));
    }

    #[test]
    fn what_this_slice_does_not_serve_is_refused_by_name() {
        let size = detail(partition_of(&call("users", StructureCommand::Map(MapCommand::Size)), 100, 271).unwrap_err());
        assert!(size.contains("gathered, not served by one"), "{size}");
        let create_map = Request::internal(GroupCommand::Create {
            name: "users".into(),
            spec: coterie_core::StructureSpec::default_for(Kind::Map),
        });
        let refused = detail(partition_of(&create_map, 100, 271).unwrap_err());
        assert!(
            refused.starts_with("\"users\": creating a sharded map with a configuration is not served"),
            "{refused}"
        );
        let create_long = Request::internal(GroupCommand::Create {
            name: "n".into(),
            spec: coterie_core::StructureSpec::default_for(Kind::AtomicLong),
        });
        assert!(
            detail(partition_of(&create_long, 100, 271).unwrap_err()).starts_with("\"n\": atomic-long is a CP kind")
        );
        let long = call("n", StructureCommand::AtomicLong(AtomicLongCommand::Get));
        let refused = detail(partition_of(&long, 100, 271).unwrap_err());
        assert!(refused.starts_with("\"n\": atomic-long is a CP kind"), "{refused}");
        let tick = Request::internal(GroupCommand::Tick);
        assert!(detail(partition_of(&tick, 100, 271).unwrap_err()).starts_with("only structure calls"));
        let zero = call("users", StructureCommand::Map(MapCommand::Get { key: b"k".to_vec() }));
        assert!(detail(partition_of(&zero, 0, 271).unwrap_err()).starts_with("a structure cannot have 0 shards"));
    }
}
