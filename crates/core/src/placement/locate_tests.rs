//! The locating of sharded calls: which partition each kind of call goes to, what is
//! refused, and pinned vectors so that a change of hash or layout breaks the build.
use crate::kinds::atomic_long::AtomicLongCommand;
use crate::kinds::barrier::BarrierCommand;
use crate::kinds::counter::CounterCommand;
use crate::kinds::lock::LockCommand;
use crate::kinds::queue::QueueCommand;
use crate::kinds::semaphore::SemaphoreCommand;
use crate::placement::{partition_of_key, partition_of_name, partition_of_shard, shard_of_key};
use crate::{InvalidReason, StructureCommand};

use super::*;

fn call(name: &str, command: StructureCommand) -> GroupCommand {
    GroupCommand::Invoke { name: name.to_owned(), command }
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
    assert_eq!(partition_of_command(&request, 100, 271), Ok(expected));
    // Every operation on one counter goes to the same partition.
    assert_eq!(
        partition_of_command(&call("hits", StructureCommand::Counter(CounterCommand::Get)), 100, 271),
        Ok(expected)
    );
}

#[test]
fn map_and_set_keys_are_placed_per_key() {
    for key in [b"alice".to_vec(), b"bob".to_vec(), Vec::new()] {
        let expected = partition_of_key("users", &key, 100, 271).unwrap();
        let put = call("users", StructureCommand::Map(MapCommand::Put { key: key.clone(), value: b"v".to_vec() }));
        let get = call("users", StructureCommand::Map(MapCommand::Get { key: key.clone() }));
        let add = call("users", StructureCommand::Set(SetCommand::Add(key.clone())));
        assert_eq!(partition_of_command(&put, 100, 271), Ok(expected));
        assert_eq!(partition_of_command(&get, 100, 271), Ok(expected));
        assert_eq!(partition_of_command(&add, 100, 271), Ok(expected));
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
        assert_eq!(partition_of_command(&call("jobs", command), 100, 271), Ok(expected), "{kind:?}");
        let create = GroupCommand::Create { name: "jobs".into(), spec: crate::StructureSpec::default_for(kind) };
        assert_eq!(partition_of_command(&create, 100, 271), Ok(expected), "{kind:?} is created where it is served");
    }
    // A counter is created where its calls go too.
    let create = GroupCommand::Create { name: "hits".into(), spec: crate::StructureSpec::default_for(Kind::Counter) };
    let get = call("hits", StructureCommand::Counter(CounterCommand::Get));
    assert_eq!(partition_of_command(&create, 100, 271), partition_of_command(&get, 100, 271));
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
    let home = partition_of_command(&key, 20, 271).unwrap();
    assert_eq!(forwarded_partition(&key, 20, 271, Some(home.0)), Ok(home));
    assert!(forwarded_partition(&key, 20, 271, None).is_err());
    assert!(detail(locate(&size, 0, 271).unwrap_err()).starts_with("a structure cannot have 0 shards"));
}

#[test]
fn what_this_slice_does_not_serve_is_refused_by_name() {
    let size =
        detail(partition_of_command(&call("users", StructureCommand::Map(MapCommand::Size)), 100, 271).unwrap_err());
    assert!(size.contains("gathered, not served by one"), "{size}");
    let create_map = GroupCommand::Create { name: "users".into(), spec: crate::StructureSpec::default_for(Kind::Map) };
    let refused = detail(partition_of_command(&create_map, 100, 271).unwrap_err());
    assert!(refused.starts_with("\"users\": creating a sharded map with a configuration is not served"), "{refused}");
    let create_long =
        GroupCommand::Create { name: "n".into(), spec: crate::StructureSpec::default_for(Kind::AtomicLong) };
    assert!(
        detail(partition_of_command(&create_long, 100, 271).unwrap_err())
            .starts_with("\"n\": atomic-long is a CP kind")
    );
    let long = call("n", StructureCommand::AtomicLong(AtomicLongCommand::Get));
    let refused = detail(partition_of_command(&long, 100, 271).unwrap_err());
    assert!(refused.starts_with("\"n\": atomic-long is a CP kind"), "{refused}");
    let tick = GroupCommand::Tick;
    assert!(detail(partition_of_command(&tick, 100, 271).unwrap_err()).starts_with("only structure calls"));
    let zero = call("users", StructureCommand::Map(MapCommand::Get { key: b"k".to_vec() }));
    assert!(detail(partition_of_command(&zero, 0, 271).unwrap_err()).starts_with("a structure cannot have 0 shards"));
}

/// Pinned: where concrete calls are located. The members and the Rust client both route by
/// this function; if this test fails, a change of hash, framing or layout would send every
/// call of an upgraded node or client to another partition than the others: restore it.
#[test]
fn pinned_call_locations() {
    let hits = call("page-views", StructureCommand::Counter(CounterCommand::Increment(1)));
    assert_eq!(partition_of_command(&hits, 100, 271), Ok(PartitionId(257)));
    let alice = call("users", StructureCommand::Map(MapCommand::Get { key: b"alice".to_vec() }));
    assert_eq!(partition_of_command(&alice, 100, 271), Ok(PartitionId(229)));
    let lock = call("deploy-lock", StructureCommand::Lock(LockCommand::IsLocked));
    assert_eq!(partition_of_command(&lock, 100, 271), Ok(PartitionId(98)));
    let queue = call("work-queue", StructureCommand::Queue(QueueCommand::Size));
    assert_eq!(partition_of_command(&queue, 100, 271), Ok(PartitionId(20)));
}
