//! The Rust client routes sharded calls straight to their partition's owner (issue 11 item
//! 3), over real loopback members: a client given one member learns the partition table
//! and sends calls for partitions other members own to those members directly (the member
//! it was given forwards none of them); and when a member joins and partitions move while
//! the client writes, it follows the redirects, refreshes its table, and no increment is
//! lost or applied twice. Every wait is bounded (`support::eventually`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coterie_client::Sharded;
use coterie_core::Kind;
use coterie_core::placement::{Layout, PartitionTable};
use support::{Cluster, GrpcClient, client_config, eventually};
use tokio::time::Instant;

const SHARDS: u32 = 100;

/// Waits until every member applied one settled table over `members`, and answers it.
async fn settled(cluster: &Cluster, members: &[u64]) -> PartitionTable {
    eventually("every member applies one settled partition table", async || {
        let tables: Vec<Option<PartitionTable>> = cluster.nodes.values().map(|node| node.partition_table()).collect();
        tables.iter().all(|table| table.as_ref().is_some_and(|t| t.up_members() == members && t.is_settled()))
            && tables.windows(2).all(|pair| pair[0] == pair[1])
    })
    .await;
    cluster.nodes.values().next().unwrap().partition_table().unwrap()
}

/// The endpoint index of member `id` in `client`'s member list.
fn endpoint_of(client: &GrpcClient, id: u64) -> Option<usize> {
    client.members().iter().position(|(member, _)| *member == Some(id))
}

/// Waits until `client` routes by a table of `version` or later in which every partition's
/// owner is a member it knows (each call may start a background fetch; none waits for it).
async fn routes_by(client: &GrpcClient, version: u64) {
    let probe = client.counter_with("route-probe", Sharded::default().shards(SHARDS)).unwrap();
    eventually("the client routes by the current partition table", async || {
        probe.get().await.unwrap();
        client.route_table().is_some_and(|t| t.version >= version && t.owners.iter().all(Option::is_some))
    })
    .await;
}

/// The member that owns counter `name`.
fn owner(table: &PartitionTable, name: &str) -> u64 {
    table.owner_of(Layout::of(Kind::Counter, SHARDS), name, &[]).unwrap()
}

fn sharded_forwards(cluster: &Cluster) -> BTreeMap<u64, u64> {
    cluster.nodes.iter().map(|(id, node)| (*id, node.sharded_forwarded_calls())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_of_one_member_sends_calls_straight_to_the_owner() {
    let mut cluster = Cluster::start(3).await;
    let table = settled(&cluster, &[1, 2, 3]).await;
    let client = GrpcClient::connect_with(&[cluster.address(1)], client_config()).await.unwrap();
    routes_by(&client, table.version()).await;
    let route = client.route_table().unwrap();
    assert_eq!(route.partitions, table.partitions());
    for (partition, entry) in table.iter() {
        let expected = entry.state.holder().and_then(|id| endpoint_of(&client, id));
        assert_eq!(route.owners[usize::try_from(partition.0).unwrap()], expected, "{partition}");
    }

    // Counters and map keys whose partitions members 2 and 3 own.
    let names: Vec<String> =
        (0..200).map(|i| format!("direct-{i}")).filter(|n| owner(&table, n) != 1).take(12).collect();
    assert_eq!(names.len(), 12);
    let before = sharded_forwards(&cluster);
    for name in &names {
        let counter = client.counter_with(name, Sharded::default().shards(SHARDS)).unwrap();
        for _ in 0..3 {
            counter.increment(1).await.unwrap();
        }
        assert_eq!(counter.get().await.unwrap(), 3, "{name}");
    }
    let users = client.map_with::<String, String>("direct-users", Sharded::default().shards(SHARDS)).unwrap();
    for key in ["alice", "bob", "carol", "dave"] {
        users.put(&key.to_owned(), &format!("{key}@example.com")).await.unwrap();
        assert_eq!(users.get(&key.to_owned()).await.unwrap(), Some(format!("{key}@example.com")));
    }
    // No member forwarded any of them: each went to its owner directly.
    assert_eq!(sharded_forwards(&cluster), before, "sharded forwards per member");
    assert_eq!(cluster.nodes[&1].sharded_forwarded_calls(), before[&1]);
    cluster.shutdown().await;
}

/// Increments counters `names` round robin through `client` until `stop`; answers how many
/// increments of each were acknowledged. Every increment must be acknowledged: the client
/// retries it (same invocation id) through redirects and moves.
async fn writer(client: GrpcClient, names: Vec<String>, stop: Arc<AtomicBool>) -> BTreeMap<String, i64> {
    let mut acked = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the writer ran past its bound");
        let name = &names[i % names.len()];
        i += 1;
        let counter = client.counter_with(name, Sharded::default().shards(SHARDS)).unwrap();
        counter.increment(1).await.unwrap_or_else(|err| panic!("increment of {name} failed: {err}"));
        *acked.entry(name.clone()).or_default() += 1;
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_follows_moving_partitions_and_applies_each_increment_once() {
    let mut cluster = Cluster::start(2).await;
    let before = settled(&cluster, &[1, 2]).await;
    let client = GrpcClient::connect_with(&[cluster.address(1)], client_config()).await.unwrap();
    routes_by(&client, before.version()).await;
    let names: Vec<String> = (0..48).map(|i| format!("moving-{i}")).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writing = tokio::spawn(writer(client.clone(), names.clone(), Arc::clone(&stop)));

    cluster.join(3, 1).await.unwrap();
    let after = settled(&cluster, &[1, 2, 3]).await;
    let moved: Vec<&String> = names.iter().filter(|name| owner(&after, name) == 3).collect();
    assert!(!moved.is_empty(), "some counters moved to member 3");
    // The writer goes on until the client routes by the new table.
    routes_by(&client, after.version()).await;
    stop.store(true, Ordering::SeqCst);
    let acked = writing.await.unwrap();
    assert!(acked.values().sum::<i64>() > 0, "the writer made progress");

    // Nothing lost, nothing applied twice.
    for (name, expected) in &acked {
        let counter = client.counter_with(name, Sharded::default().shards(SHARDS)).unwrap();
        assert_eq!(counter.get().await.unwrap(), *expected, "{name}");
    }
    // From the new table, calls for member 3's partitions go to it directly.
    assert_eq!(client.route_table().unwrap().version, after.version());
    let forwards = sharded_forwards(&cluster);
    for name in &moved {
        let counter = client.counter_with(name, Sharded::default().shards(SHARDS)).unwrap();
        let value = counter.increment(1).await.unwrap();
        assert_eq!(value, acked.get(*name).copied().unwrap_or(0) + 1, "{name}");
    }
    assert_eq!(sharded_forwards(&cluster), forwards, "sharded forwards per member");
    cluster.shutdown().await;
}
