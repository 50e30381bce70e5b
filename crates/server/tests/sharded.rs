//! The sharded engine, part 1, over real loopback members (`support::Cluster`): the
//! committed partition table spreads the partitions over the members, a call sent to any
//! member is answered by its partition's owner (served there or forwarded one hop), a
//! retried write with the same identity and sequence is applied once whichever member it
//! is sent to, and a member restarted on its data directory keeps every acknowledged write
//! of its partitions. Every wait is bounded (`support::eventually`); no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use coterie_api::pb::{self, admin_service_client::AdminServiceClient};
use coterie_api::status::ApiError;
use coterie_core::kinds::counter::{CounterCommand, CounterOutput};
use coterie_core::kinds::map::{MapCommand, MapOutput};
use coterie_core::kinds::set::{SetCommand, SetOutput};
use coterie_core::placement::{Layout, PartitionTable};
use coterie_core::placement::{Liveness, PartitionState};
use coterie_core::{
    ClientId, EngineError, GroupCommand, GroupOutput, InvocationId, Kind, StructureCommand, StructureOutput, Target,
};
use coterie_server::{CallOptions, Request};
use support::{BOUND, CLUSTER_SECRET, Cluster, POLL, cp_config, eventually};

const SHARDS: u32 = 100;

fn target() -> Target {
    Target::Sharded { shards: SHARDS }
}

fn options() -> CallOptions {
    CallOptions::new(Duration::from_secs(20))
}

fn invoke(name: &str, command: StructureCommand, invocation: Option<InvocationId>) -> Request {
    Request { command: GroupCommand::Invoke { name: name.to_owned(), command }, session: None, invocation }
}

fn client(n: u128) -> ClientId {
    ClientId::new(n).unwrap()
}

fn counter(output: GroupOutput) -> i64 {
    match output {
        GroupOutput::Structure(StructureOutput::Counter(CounterOutput::Value(value))) => value,
        other => panic!("not a counter value: {other:?}"),
    }
}

fn map_value(output: GroupOutput) -> Option<Vec<u8>> {
    match output {
        GroupOutput::Structure(StructureOutput::Map(MapOutput::Value(value))) => value,
        other => panic!("not a map value: {other:?}"),
    }
}

fn set_bool(output: GroupOutput) -> bool {
    match output {
        GroupOutput::Structure(StructureOutput::Set(SetOutput::Bool(value))) => value,
        other => panic!("not a set answer: {other:?}"),
    }
}

/// Waits until every running member has applied the same partition table, placed over
/// `members`, and answers it.
async fn settled_table(cluster: &Cluster, members: &[u64]) -> PartitionTable {
    eventually("every member applies one partition table over the members", async || {
        let tables: Vec<Option<PartitionTable>> = cluster.nodes.values().map(|node| node.partition_table()).collect();
        tables.iter().all(|table| table.as_ref().is_some_and(|table| table.up_members() == members))
            && tables.windows(2).all(|pair| pair[0] == pair[1])
    })
    .await;
    cluster.nodes.values().next().unwrap().partition_table().unwrap()
}

/// The member serving `name` (and `key`) of `kind` in `table`.
fn owner(table: &PartitionTable, kind: Kind, name: &str, key: &[u8]) -> u64 {
    table.owner_of(Layout::of(kind, SHARDS), name, key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_member_answers_for_counters_maps_and_sets_spread_over_every_member() {
    let mut cluster = Cluster::start(3).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    assert_eq!(table.partitions(), 271);
    for member in [1, 2, 3] {
        let owned = table.owned_count(member);
        assert!((30..=150).contains(&owned), "member {member} owns {owned} of 271 partitions");
    }
    assert_eq!(table.owned_count(1) + table.owned_count(2) + table.owned_count(3), 271);
    // Every member's status shows the table, and opens the replicas of what it owns.
    for id in 1..=3u64 {
        let address = format!("http://{}", cluster.address(id));
        let status = pb::cluster_service_client::ClusterServiceClient::connect(address).await.unwrap();
        let owned = u32::try_from(table.owned_count(id)).unwrap();
        eventually(&format!("member {id} opens the replicas of its {owned} partitions"), async || {
            let answer = status.clone().status(pb::ClusterStatusRequest {}).await.unwrap().into_inner();
            let partitions = answer.partitions.unwrap();
            assert_eq!((partitions.partitions, partitions.ring_epoch), (271, table.ring_epoch()));
            let served: Vec<(u64, u32)> = partitions.served.iter().map(|s| (s.member, s.partitions)).collect();
            let expected: Vec<(u64, u32)> =
                (1..=3).map(|m| (m, u32::try_from(table.owned_count(m)).unwrap())).collect();
            assert_eq!(served, expected);
            assert!(partitions.lost.is_empty());
            partitions.open_here == owned
        })
        .await;
    }

    // Counters: each incremented through a different member, read through all three.
    let names: Vec<String> = (0..12).map(|i| format!("hits-{i}")).collect();
    let owners: BTreeSet<u64> = names.iter().map(|name| owner(&table, Kind::Counter, name, &[])).collect();
    assert!(owners.len() > 1, "the counters live on more than one member: {owners:?}");
    for (i, name) in names.iter().enumerate() {
        let via = [1, 2, 3][i % 3];
        let by = i64::try_from(i).unwrap() + 1;
        for round in 1..=2 {
            let increment = invoke(name, StructureCommand::Counter(CounterCommand::Increment(by)), None);
            let value = counter(cluster.nodes[&via].call(&target(), increment, options()).await.unwrap());
            assert_eq!(value, by * round, "{name} through member {via}");
        }
    }
    for (i, name) in names.iter().enumerate() {
        let expected = 2 * (i64::try_from(i).unwrap() + 1);
        for (id, node) in &cluster.nodes {
            let get = invoke(name, StructureCommand::Counter(CounterCommand::Get), None);
            assert_eq!(counter(node.call(&target(), get, options()).await.unwrap()), expected, "{name} at {id}");
        }
    }

    // A map: every key put through one member, read through all three.
    let keys: Vec<Vec<u8>> = (0..24).map(|i| format!("user-{i}").into_bytes()).collect();
    let owners: BTreeSet<u64> = keys.iter().map(|key| owner(&table, Kind::Map, "users", key)).collect();
    assert_eq!(owners.len(), 3, "the map's keys live on every member");
    for (i, key) in keys.iter().enumerate() {
        let via = [3, 1, 2][i % 3];
        let put = MapCommand::Put { key: key.clone(), value: format!("v{i}").into_bytes() };
        let previous = map_value(
            cluster.nodes[&via]
                .call(&target(), invoke("users", StructureCommand::Map(put), None), options())
                .await
                .unwrap(),
        );
        assert_eq!(previous, None);
    }
    for (i, key) in keys.iter().enumerate() {
        for (id, node) in &cluster.nodes {
            let get = invoke("users", StructureCommand::Map(MapCommand::Get { key: key.clone() }), None);
            let value = map_value(node.call(&target(), get, options()).await.unwrap());
            assert_eq!(value, Some(format!("v{i}").into_bytes()), "key {i} at member {id}");
        }
    }
    let missing = invoke("users", StructureCommand::Map(MapCommand::Get { key: b"nobody".to_vec() }), None);
    assert_eq!(map_value(cluster.nodes[&2].call(&target(), missing, options()).await.unwrap()), None);

    // A set: add through one member, the second add and a contains through the others.
    for item in [b"red".to_vec(), b"green".to_vec(), b"blue".to_vec()] {
        let add = || invoke("colours", StructureCommand::Set(SetCommand::Add(item.clone())), None);
        assert!(set_bool(cluster.nodes[&1].call(&target(), add(), options()).await.unwrap()));
        assert!(!set_bool(cluster.nodes[&2].call(&target(), add(), options()).await.unwrap()));
        let contains = invoke("colours", StructureCommand::Set(SetCommand::Contains(item.clone())), None);
        assert!(set_bool(cluster.nodes[&3].call(&target(), contains, options()).await.unwrap()));
    }

    // The map's size spans its shards on every member: gathered by whichever member is
    // called, the same answer from each (host/scatter.rs).
    for (id, node) in &cluster.nodes {
        let size = invoke("users", StructureCommand::Map(MapCommand::Size), None);
        let size = node.call(&target(), size, options()).await.unwrap();
        let expected = GroupOutput::Structure(StructureOutput::Map(MapOutput::Count(24)));
        assert_eq!(size, expected, "the size gathered at member {id}");
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_write_is_applied_once_whichever_member_it_is_sent_to() {
    let mut cluster = Cluster::start(3).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    // A counter owned by member 3, first sent through member 1 (forwarded).
    let name = (0..).map(|i| format!("retried-{i}")).find(|name| owner(&table, Kind::Counter, name, &[]) == 3).unwrap();
    let first = InvocationId { client: client(0xfeed), seq: 1 };
    let increment = || invoke(&name, StructureCommand::Counter(CounterCommand::Increment(5)), Some(first));
    for via in [1, 2, 3, 1] {
        let value = counter(cluster.nodes[&via].call(&target(), increment(), options()).await.unwrap());
        assert_eq!(value, 5, "the resend through member {via} is answered, not applied");
    }
    let second = InvocationId { client: client(0xfeed), seq: 2 };
    let more = invoke(&name, StructureCommand::Counter(CounterCommand::Increment(1)), Some(second));
    assert_eq!(counter(cluster.nodes[&2].call(&target(), more, options()).await.unwrap()), 6);
    // Another client's seq 1 is its own call.
    let other = InvocationId { client: client(0xbeef), seq: 1 };
    let theirs = invoke(&name, StructureCommand::Counter(CounterCommand::Increment(5)), Some(other));
    assert_eq!(counter(cluster.nodes[&1].call(&target(), theirs, options()).await.unwrap()), 11);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_restarted_on_its_data_dir_keeps_every_acknowledged_write_of_its_partitions() {
    let mut cluster = Cluster::start_with(3, true, cp_config()).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    let keys: Vec<Vec<u8>> = (0..60).map(|i| format!("k{i}").into_bytes()).collect();
    let on_3: Vec<&Vec<u8>> = keys.iter().filter(|key| owner(&table, Kind::Map, "durable", key) == 3).collect();
    assert!(on_3.len() >= 5, "member 3 owns some of the keys: {}", on_3.len());
    let counters: Vec<String> = (0..30).map(|i| format!("count-{i}")).collect();
    let seq = std::sync::atomic::AtomicU64::new(0);
    let next = || InvocationId { client: client(7), seq: seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 };
    // Every write acknowledged before the stop, sent through members 1 and 2.
    for (i, key) in keys.iter().enumerate() {
        let put = MapCommand::Put { key: key.clone(), value: format!("value-{i}").into_bytes() };
        let via = [1, 2][i % 2];
        cluster.nodes[&via]
            .call(&target(), invoke("durable", StructureCommand::Map(put), Some(next())), options())
            .await
            .unwrap();
    }
    for name in &counters {
        for _ in 0..3 {
            let increment = invoke(name, StructureCommand::Counter(CounterCommand::Increment(2)), Some(next()));
            cluster.nodes[&1].call(&target(), increment, options()).await.unwrap();
        }
    }
    // The last write, to a counter member 3 owns, is retried after the restart.
    let on_3_counter = counters.iter().position(|name| owner(&table, Kind::Counter, name, &[]) == 3).unwrap();
    let last = next();
    let retried =
        invoke(&counters[on_3_counter], StructureCommand::Counter(CounterCommand::Increment(100)), Some(last));
    assert_eq!(counter(cluster.nodes[&2].call(&target(), retried.clone(), options()).await.unwrap()), 106);

    cluster.stop(3).await;
    // While it is down, its partitions are unreachable (not lost: these members run no
    // gossip, so nothing commits it Down; `sharded_liveness.rs` does); the others' are served.
    if let Some(key) = on_3.first() {
        let get = invoke("durable", StructureCommand::Map(MapCommand::Get { key: (*key).clone() }), None);
        let short = CallOptions::new(Duration::from_secs(2));
        let refused = cluster.nodes[&1].call(&target(), get, short).await.unwrap_err();
        assert!(
            // A read changed nothing: refused as unreachable, naming the member.
            matches!(&refused, EngineError::Stopped { reason } if reason.contains("member 3"))
                || matches!(refused, EngineError::Timeout { .. }),
            "{refused:?}"
        );
    }
    cluster.restart(3).await;

    for (i, key) in keys.iter().enumerate() {
        let expected = Some(format!("value-{i}").into_bytes());
        for via in [1, 3] {
            let get = || invoke("durable", StructureCommand::Map(MapCommand::Get { key: key.clone() }), None);
            eventually("the restarted member serves its partitions again", async || {
                cluster.nodes[&via].call(&target(), get(), options()).await.is_ok()
            })
            .await;
            let value = map_value(cluster.nodes[&via].call(&target(), get(), options()).await.unwrap());
            assert_eq!(value, expected, "key {i} through member {via}");
        }
    }
    for (i, name) in counters.iter().enumerate() {
        let expected = if i == on_3_counter { 106 } else { 6 };
        let get = invoke(name, StructureCommand::Counter(CounterCommand::Get), None);
        assert_eq!(counter(cluster.nodes[&3].call(&target(), get, options()).await.unwrap()), expected, "{name}");
    }
    // The retry of the last acknowledged write, after the restart, is still answered once.
    assert_eq!(counter(cluster.nodes[&1].call(&target(), retried, options()).await.unwrap()), 106);
    assert!(!cluster.nodes[&3].open_partitions().is_empty());
    cluster.shutdown().await;
}

/// Removes member `id` through the admin service, starting at member `first` and
/// following `not_leader` to the metadata leader.
async fn remove_member(cluster: &Cluster, first: u64, id: u64) {
    let mut address = cluster.address(first);
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "the removal did not succeed in time");
        let mut client = AdminServiceClient::connect(format!("http://{address}")).await.unwrap();
        let mut request = tonic::Request::new(pb::RemoveMemberRequest { id });
        request.metadata_mut().insert("x-coterie-cluster-secret", CLUSTER_SECRET.parse().unwrap());
        request.set_timeout(BOUND);
        match client.remove_member(request).await {
            Ok(_) => return,
            Err(status) => match ApiError::from(&status) {
                ApiError::NotLeader { leader_address: Some(leader), .. } => address = leader,
                ApiError::NotLeader { .. } | ApiError::Unavailable { .. } => tokio::time::sleep(POLL).await,
                other => panic!("the removal failed: {other}"),
            },
        }
    }
}

/// A member that is stopped, then removed, cannot hand its partitions over (a running one
/// does: `sharded_moves.rs`): what only it held is lost, naming it, never recreated empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_partitions_of_a_removed_member_are_lost_naming_it_never_recreated_empty() {
    let mut cluster = Cluster::start(3).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    let key = (0..).map(|i| format!("k{i}").into_bytes()).find(|key| owner(&table, Kind::Map, "m", key) == 3).unwrap();
    let kept = (0..).map(|i| format!("k{i}").into_bytes()).find(|key| owner(&table, Kind::Map, "m", key) == 1).unwrap();
    for key in [&key, &kept] {
        let put = MapCommand::Put { key: key.clone(), value: b"v".to_vec() };
        cluster.nodes[&2].call(&target(), invoke("m", StructureCommand::Map(put), None), options()).await.unwrap();
    }
    cluster.stop(3).await;
    remove_member(&cluster, 1, 3).await;
    eventually("members 1 and 2 apply a table where member 3 is down", async || {
        [1, 2].iter().all(|id| {
            cluster.nodes[id].partition_table().is_some_and(|table| table.members().get(&3) == Some(&Liveness::Down))
        })
    })
    .await;
    let table = cluster.nodes[&1].partition_table().unwrap();
    let partition = table.partition_of(Layout::of(Kind::Map, SHARDS), "m", &key).unwrap();
    assert_eq!(table.state(partition).unwrap(), PartitionState::Lost { last_owner: 3 });
    for via in [1, 2] {
        let get = invoke("m", StructureCommand::Map(MapCommand::Get { key: key.clone() }), None);
        let refused = cluster.nodes[&via].call(&target(), get, options()).await.unwrap_err();
        assert_eq!(refused, EngineError::PartitionLost { partition: partition.0, last_owner: 3 });
        assert!(refused.to_string().contains("restart member 3 with its data directory"), "{refused}");
        let put = MapCommand::Put { key: key.clone(), value: b"new".to_vec() };
        let refused =
            cluster.nodes[&via].call(&target(), invoke("m", StructureCommand::Map(put), None), options()).await;
        assert!(matches!(refused, Err(EngineError::PartitionLost { last_owner: 3, .. })), "{refused:?}");
        // The partitions of the members that stayed are served as before.
        let get = invoke("m", StructureCommand::Map(MapCommand::Get { key: kept.clone() }), None);
        assert_eq!(map_value(cluster.nodes[&via].call(&target(), get, options()).await.unwrap()), Some(b"v".to_vec()));
    }
    cluster.shutdown().await;
}

/// The `Call` header of a sharded call on `name`, with the caller's identity and `seq`
/// (0: none).
fn sharded_call(name: &str, seq: u64) -> Option<pb::Call> {
    Some(pb::Call {
        name: name.to_owned(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards: SHARDS })),
        client_id: if seq == 0 { Vec::new() } else { vec![0x5a; 16] },
        seq,
        ..pb::Call::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_counter_map_and_set_services_serve_sharded_calls_from_any_member() {
    use pb::counter_service_client::CounterServiceClient;
    use pb::map_service_client::MapServiceClient;

    let mut cluster = Cluster::start(3).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    let mut counters = Vec::new();
    let mut maps = Vec::new();
    for id in 1..=3 {
        counters.push(CounterServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap());
        maps.push(MapServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap());
    }
    // A counter owned by member 2, incremented through member 1, the same call resent
    // through members 2 and 3 (answered, not applied again), then read through all three.
    let name = (0..).map(|i| format!("grpc-{i}")).find(|name| owner(&table, Kind::Counter, name, &[]) == 2).unwrap();
    for client in &mut counters {
        let request = pb::CounterIncrementRequest { call: sharded_call(&name, 1), delta: 4 };
        assert_eq!(client.increment(request).await.unwrap().into_inner().value, 4);
    }
    let request = pb::CounterDecrementRequest { call: sharded_call(&name, 2), delta: 1 };
    assert_eq!(counters[2].decrement(request).await.unwrap().into_inner().value, 3);
    for client in &mut counters {
        let get = pb::CounterGetRequest { call: sharded_call(&name, 0) };
        assert_eq!(client.get(get).await.unwrap().into_inner().value, 3);
    }
    // Map entries put through rotating members, read back through every member.
    for i in 0..9u64 {
        let put = pb::MapPutRequest {
            call: sharded_call("profiles", 10 + i),
            key: format!("p{i}").into_bytes(),
            value: format!("{i}").into_bytes(),
        };
        let client = &mut maps[usize::try_from(i % 3).unwrap()];
        assert_eq!(client.put(put).await.unwrap().into_inner().previous, None);
    }
    for client in &mut maps {
        for i in 0..9u64 {
            let get = pb::MapGetRequest { call: sharded_call("profiles", 0), key: format!("p{i}").into_bytes() };
            assert_eq!(client.get(get).await.unwrap().into_inner().value, Some(format!("{i}").into_bytes()));
        }
    }
    let swap = pb::MapCompareAndSetRequest {
        call: sharded_call("profiles", 30),
        key: b"p0".to_vec(),
        expected: Some(b"0".to_vec()),
        update: None,
    };
    assert!(maps[1].compare_and_set(swap).await.unwrap().into_inner().swapped);
    let contains = pb::MapContainsRequest { call: sharded_call("profiles", 0), key: b"p0".to_vec() };
    assert!(!maps[2].contains(contains).await.unwrap().into_inner().contains);
    // A set: an add through each member, the first one adding.
    for (i, id) in (1..=3u64).enumerate() {
        let address = format!("http://{}", cluster.address(id));
        let mut sets = pb::set_service_client::SetServiceClient::connect(address).await.unwrap();
        let seq = 40 + u64::try_from(i).unwrap();
        let add = pb::SetAddRequest { call: sharded_call("tags", seq), item: b"rust".to_vec() };
        assert_eq!(sets.add(add).await.unwrap().into_inner().added, i == 0, "through member {id}");
        let contains = pb::SetContainsRequest { call: sharded_call("tags", 0), item: b"rust".to_vec() };
        assert!(sets.contains(contains).await.unwrap().into_inner().contains);
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plain_member_owns_no_partition_and_redirects_sharded_calls_to_a_cp_member() {
    let mut cluster = Cluster::start(3).await;
    settled_table(&cluster, &[1, 2, 3]).await;
    cluster.join_as(4, 1, true).await.unwrap();
    // The table is computed over the CP members only: member 4 is never on the ring.
    eventually("a CP member lists member 4", async || {
        cluster.nodes[&1].members().iter().any(|(id, record)| id == 4 && !record.cp)
    })
    .await;
    let table = cluster.nodes[&1].partition_table().unwrap();
    assert_eq!(table.up_members(), vec![1, 2, 3]);
    assert_eq!(table.owned_count(4), 0);
    assert_eq!(cluster.nodes[&4].partition_table(), None, "a plain member has no metadata replica");
    let get = invoke("hits", StructureCommand::Counter(CounterCommand::Get), None);
    let refused = cluster.nodes[&4].call(&target(), get, options()).await.unwrap_err();
    assert!(matches!(refused, EngineError::Redirect { member: Some(1..=3), .. }), "{refused:?}");
    cluster.shutdown().await;
}
