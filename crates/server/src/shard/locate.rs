//! Which partition serves a sharded call: pure, from the call's command alone.
//!
//! The router needs the structure's name and, for the per-key kinds (Map, Set), the key:
//! both are in the [`Request`]'s command, so locating a call needs no other input than the
//! structure's `shards` (from the target) and the cluster's partition count (from the
//! committed table). Every member computes the same answer for the same call, which is
//! what lets any member route it and the owner check it ([`Layout`] and the hashes are the
//! placement module's, pinned across releases).
//!
//! What this slice serves: Counter (every operation), and the single-key operations of Map
//! and Set. A Map's or a Set's whole-structure operations (size, keys, entries, members,
//! clear) span all of its shards, so every partition holding one; they need a scatter and
//! gather over the owners that is not built yet, and are refused with a clear error rather
//! than answered from one shard. The other sharded kinds (Queue, Lock, Semaphore, Barrier)
//! park callers and keep deadlines, which the partition replica does not drive yet: refused
//! too. CP kinds (AtomicLong, FencedLock, ...) and session commands are not sharded kinds at
//! all.

use coterie_core::kinds::map::MapCommand;
use coterie_core::kinds::set::SetCommand;
use coterie_core::placement::{Layout, PartitionId};
use coterie_core::{CoreError, GroupCommand, Kind, StructureCommand};

use crate::request::Request;

/// The operation name refusals carry.
const OPERATION: &str = "sharded";

/// The partition of `request`, for a sharded structure of `shards` shards among
/// `partitions`; or why this slice of the sharded engine does not serve it.
pub fn partition_of(request: &Request, shards: u32, partitions: u32) -> Result<PartitionId, CoreError> {
    let GroupCommand::Invoke { name, command } = &request.command else {
        return Err(CoreError::invalid_request(
            OPERATION,
            "only structure calls go to a sharded structure (sessions, create, destroy and cancel are CP-group \
             commands)",
        ));
    };
    let whole_map = |what: &str| {
        CoreError::invalid_request(
            OPERATION,
            format!(
                "{what} of sharded {name:?} spans all of its shards, which this server version cannot gather yet; \
                 only single-key operations are served"
            ),
        )
    };
    let layout = Layout::of(command.kind(), shards);
    let key: &[u8] = match command {
        StructureCommand::Counter(_) => &[],
        StructureCommand::Map(map) => match map {
            MapCommand::Put { key, .. }
            | MapCommand::Get { key }
            | MapCommand::Contains { key }
            | MapCommand::Delete { key }
            | MapCommand::PutIfAbsent { key, .. }
            | MapCommand::Replace { key, .. }
            | MapCommand::CompareAndSet { key, .. } => key,
            MapCommand::Size => return Err(whole_map("the size")),
            MapCommand::Keys { .. } => return Err(whole_map("listing the keys")),
            MapCommand::Entries { .. } => return Err(whole_map("listing the entries")),
            MapCommand::Clear => return Err(whole_map("clearing")),
        },
        StructureCommand::Set(set) => match set {
            SetCommand::Add(item) | SetCommand::Remove(item) | SetCommand::Contains(item) => item,
            SetCommand::Size => return Err(whole_map("the size")),
            SetCommand::Members { .. } => return Err(whole_map("listing the members")),
            SetCommand::Clear => return Err(whole_map("clearing")),
        },
        other => return Err(unserved(other.kind(), name)),
    };
    layout.partition(name, key, partitions).map_err(|err| CoreError::invalid_request(OPERATION, err.to_string()))
}

/// The refusal of a kind this slice does not serve on a sharded target.
fn unserved(kind: Kind, name: &str) -> CoreError {
    let detail = match kind {
        Kind::Queue | Kind::Lock | Kind::Semaphore | Kind::Barrier => format!(
            "{name:?}: sharded {} structures are not served by this server version yet (only counter, map and set \
             are); use a CP group for now",
            kind.name()
        ),
        _ => format!(
            "{name:?}: {} is a CP kind, not a sharded one; address it to a CP group (no sharded target)",
            kind.name()
        ),
    };
    CoreError::invalid_request(OPERATION, detail)
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::atomic_long::AtomicLongCommand;
    use coterie_core::kinds::counter::CounterCommand;
    use coterie_core::kinds::queue::QueueCommand;
    use coterie_core::placement::{partition_of_key, partition_of_shard, shard_of_key};
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
    fn what_this_slice_does_not_serve_is_refused_by_name() {
        let size = detail(partition_of(&call("users", StructureCommand::Map(MapCommand::Size)), 100, 271).unwrap_err());
        assert!(size.starts_with("the size of sharded \"users\" spans all of its shards"), "{size}");
        let queue = call("jobs", StructureCommand::Queue(QueueCommand::Size));
        let refused = detail(partition_of(&queue, 100, 271).unwrap_err());
        assert!(refused.starts_with("\"jobs\": sharded queue structures are not served"), "{refused}");
        let long = call("n", StructureCommand::AtomicLong(AtomicLongCommand::Get));
        let refused = detail(partition_of(&long, 100, 271).unwrap_err());
        assert!(refused.starts_with("\"n\": atomic-long is a CP kind"), "{refused}");
        let tick = Request::internal(GroupCommand::Tick);
        assert!(detail(partition_of(&tick, 100, 271).unwrap_err()).starts_with("only structure calls"));
        let zero = call("users", StructureCommand::Map(MapCommand::Get { key: b"k".to_vec() }));
        assert!(detail(partition_of(&zero, 0, 271).unwrap_err()).starts_with("a structure cannot have 0 shards"));
    }
}
