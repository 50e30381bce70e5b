//! Which partition serves a sharded call, for a [`Request`]: the server's face of
//! [`coterie_core::placement::locate`], the one implementation the Rust client uses too (it
//! routes calls straight to the owner from its cached partition table), so a member and a
//! client can never disagree on where a call goes.
//!
//! A Map's or a Set's whole-structure operations are located in every partition holding one
//! of the structure's shards ([`Located::Spread`]), scattered over them and gathered by the
//! member that received the call (`host/scatter.rs`), each partition's part served by its
//! owner like any call ([`forwarded_partition`] checks a forwarded part). A parked sharded
//! call is cancelled by its caller giving up (see `parked`).

use coterie_core::CoreError;
use coterie_core::placement::{self, PartitionId};

pub use coterie_core::placement::Located;

use crate::request::Request;

/// The partition of `request`, for a sharded structure of `shards` shards among
/// `partitions`; or why it is not served in one partition (see
/// [`placement::partition_of_command`]).
pub fn partition_of(request: &Request, shards: u32, partitions: u32) -> Result<PartitionId, CoreError> {
    placement::partition_of_command(&request.command, shards, partitions)
}

/// The partition a forwarded call is served in: the one the forwarding member `located`
/// it in, checked against where this member locates it (see
/// [`placement::forwarded_partition`]).
pub fn forwarded_partition(
    request: &Request,
    shards: u32,
    partitions: u32,
    located: Option<u32>,
) -> Result<PartitionId, CoreError> {
    placement::forwarded_partition(&request.command, shards, partitions, located)
}

/// Where `request` is served, for a sharded structure of `shards` shards among
/// `partitions`; or why it is not served (see [`placement::locate`]).
pub fn locate(request: &Request, shards: u32, partitions: u32) -> Result<Located, CoreError> {
    placement::locate(&request.command, shards, partitions)
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::counter::CounterCommand;
    use coterie_core::kinds::map::MapCommand;
    use coterie_core::{GroupCommand, StructureCommand};

    use super::*;

    fn call(name: &str, command: StructureCommand) -> Request {
        Request::internal(GroupCommand::Invoke { name: name.to_owned(), command })
    }

    #[test]
    fn a_request_is_located_by_its_command() {
        let hits = call("hits", StructureCommand::Counter(CounterCommand::Increment(1)));
        assert_eq!(partition_of(&hits, 100, 271), placement::partition_of_command(&hits.command, 100, 271));
        let size = call("users", StructureCommand::Map(MapCommand::Size));
        assert_eq!(locate(&size, 20, 271), placement::locate(&size.command, 20, 271));
        assert!(partition_of(&size, 20, 271).is_err());
        let get = call("users", StructureCommand::Map(MapCommand::Get { key: b"k".to_vec() }));
        let home = partition_of(&get, 20, 271).unwrap();
        assert_eq!(forwarded_partition(&get, 20, 271, Some(home.0)), Ok(home));
    }
}
