//! Partition moves with one copy (issue 11 item 7), over real loopback members: a member
//! that joins is handed its partitions while a writer runs, and none of the writer's
//! acknowledged increments is lost or applied twice; the moved partitions survive a restart
//! of their new owner; a member removed through the admin service hands its partitions
//! back first. Every wait is bounded (`support::eventually`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coterie_api::pb::{self, admin_service_client::AdminServiceClient, counter_service_client::CounterServiceClient};
use coterie_core::placement::{PartitionState, PartitionTable};
use support::{CLUSTER_SECRET, Cluster, cp_config, eventually};
use tokio::time::Instant;
use tonic::transport::Channel;

const SHARDS: u32 = 100;
const COUNTERS: usize = 48;

fn call(name: &str, seq: u64) -> Option<pb::Call> {
    Some(pb::Call {
        name: name.to_owned(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards: SHARDS })),
        client_id: if seq == 0 { Vec::new() } else { vec![0x5e; 16] },
        seq,
        ..pb::Call::default()
    })
}

async fn counters(cluster: &Cluster, id: u64) -> CounterServiceClient<Channel> {
    CounterServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap()
}

fn name(i: usize) -> String {
    format!("moved-{i}")
}

/// Increments every counter in turn through `via` (round robin) until `stop`, each
/// increment resent with the same sequence until it is acknowledged (so it is applied
/// exactly once); answers the acknowledged increments per counter.
async fn writer(via: Vec<CounterServiceClient<Channel>>, stop: Arc<AtomicBool>) -> BTreeMap<String, i64> {
    let mut acked: BTreeMap<String, i64> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seq = 0;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        let i = usize::try_from(seq).unwrap() % COUNTERS;
        let mut client = via[i % via.len()].clone();
        loop {
            assert!(Instant::now() < deadline, "increment {seq} was never acknowledged");
            let request = pb::CounterIncrementRequest { call: call(&name(i), seq), delta: 1 };
            match client.increment(request).await {
                Ok(_) => break,
                // Not acknowledged: resent with the same sequence, applied at most once.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        *acked.entry(name(i)).or_default() += 1;
    }
    acked
}

async fn check_counts(cluster: &Cluster, acked: &BTreeMap<String, i64>) {
    for id in cluster.nodes.keys() {
        let mut client = counters(cluster, *id).await;
        for (name, expected) in acked {
            let value = client.get(pb::CounterGetRequest { call: call(name, 0) }).await.unwrap().into_inner().value;
            assert_eq!(value, *expected, "{name} read through member {id}");
        }
    }
}

/// Waits until every member applied one settled table (no move running or planned) over
/// `members`, and answers it.
async fn settled(cluster: &Cluster, members: &[u64]) -> PartitionTable {
    eventually("every member applies one settled partition table", async || {
        let tables: Vec<Option<PartitionTable>> = cluster.nodes.values().map(|node| node.partition_table()).collect();
        tables.iter().all(|table| table.as_ref().is_some_and(|t| t.up_members() == members && t.is_settled()))
            && tables.windows(2).all(|pair| pair[0] == pair[1])
    })
    .await;
    cluster.nodes.values().next().unwrap().partition_table().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_joining_member_is_handed_its_partitions_while_a_writer_runs_and_nothing_is_lost() {
    let mut cluster = Cluster::start_with(2, true, cp_config()).await;
    let before = settled(&cluster, &[1, 2]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let via = vec![counters(&cluster, 1).await, counters(&cluster, 2).await];
    let writing = tokio::spawn(writer(via, Arc::clone(&stop)));

    cluster.join(3, 1).await.unwrap();
    let after = settled(&cluster, &[1, 2, 3]).await;
    stop.store(true, Ordering::SeqCst);
    let acked = writing.await.unwrap();
    assert!(acked.values().sum::<i64>() > 0, "the writer made progress");

    // The ring gave member 3 partitions, and only from the others: each now owned by it.
    let moved: Vec<_> = after.iter().filter(|(_, entry)| entry.state == PartitionState::Owned { owner: 3 }).collect();
    assert!(moved.len() > 30, "member 3 owns {} partitions", moved.len());
    for (partition, _) in &moved {
        assert_ne!(before.state(*partition).unwrap(), PartitionState::Owned { owner: 3 });
    }
    assert!(after.version() > before.version() + 1, "each move was committed");
    eventually("member 3 serves what it owns, and the others closed what they gave", async || {
        cluster.nodes.iter().all(|(id, node)| {
            node.open_partitions().iter().all(|partition| after.state(*partition).unwrap().holder() == Some(*id))
        })
    })
    .await;
    check_counts(&cluster, &acked).await;

    // The moved partitions are durable on their new owner.
    cluster.stop(3).await;
    cluster.restart(3).await;
    check_counts(&cluster, &acked).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removed_member_hands_its_partitions_over_before_it_leaves() {
    let mut cluster = Cluster::start_with(3, true, cp_config()).await;
    let before = settled(&cluster, &[1, 2, 3]).await;
    assert!(before.owned_count(3) > 30);
    let mut expected = BTreeMap::new();
    let mut client = counters(&cluster, 1).await;
    for i in 0..COUNTERS {
        let delta = i64::try_from(i).unwrap() + 1;
        let request = pb::CounterIncrementRequest { call: call(&name(i), u64::try_from(i).unwrap() + 1), delta };
        client.increment(request).await.unwrap();
        expected.insert(name(i), delta);
    }

    let mut admin = AdminServiceClient::connect(format!("http://{}", cluster.address(1))).await.unwrap();
    let mut request = tonic::Request::new(pb::RemoveMemberRequest { id: 3 });
    request.metadata_mut().insert("x-coterie-cluster-secret", CLUSTER_SECRET.parse().unwrap());
    admin.remove_member(request).await.unwrap();

    // Right after the removal answered, member 3 holds nothing and nothing is lost.
    let table = cluster.nodes[&1].partition_table().unwrap();
    assert_eq!(table.owned_count(3), 0);
    assert!(table.lost().is_empty(), "{:?}", table.lost());
    cluster.stop(3).await;
    let after = settled(&cluster, &[1, 2]).await;
    assert_eq!(after.owned_count(1) + after.owned_count(2), 271);
    check_counts(&cluster, &expected).await;
    cluster.shutdown().await;
}
