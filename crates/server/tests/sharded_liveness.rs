//! Gossip suggests, the log decides, over real loopback members running gossip
//! (`support::Cluster::start_gossiping`): a member that stops is committed Down in the
//! member table by the metadata leader, the partitions only it held are reported lost
//! naming it (never recreated empty), the others' stay served, and when it comes back on
//! its data directory it is committed Up again and serves every acknowledged write of its
//! partitions. Every wait is bounded (`support::eventually`); no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_core::kinds::counter::{CounterCommand, CounterOutput};
use coterie_core::placement::{Layout, Liveness, PartitionState};
use coterie_core::{
    ClientId, EngineError, GroupCommand, GroupOutput, InvocationId, Kind, MemberState, StructureCommand,
    StructureOutput, Target,
};
use coterie_server::{CallOptions, Request};
use support::{Cluster, eventually};

const SHARDS: u32 = 100;

fn target() -> Target {
    Target::Sharded { shards: SHARDS }
}

fn increment(name: &str, by: i64, seq: u64) -> Request {
    let invocation = Some(InvocationId { client: ClientId::new(11).unwrap(), seq });
    let command = StructureCommand::Counter(CounterCommand::Increment(by));
    Request { command: GroupCommand::Invoke { name: name.to_owned(), command }, session: None, invocation }
}

fn get(name: &str) -> Request {
    let command = StructureCommand::Counter(CounterCommand::Get);
    Request { command: GroupCommand::Invoke { name: name.to_owned(), command }, session: None, invocation: None }
}

fn value(output: GroupOutput) -> i64 {
    match output {
        GroupOutput::Structure(StructureOutput::Counter(CounterOutput::Value(value))) => value,
        other => panic!("not a counter value: {other:?}"),
    }
}

fn options() -> CallOptions {
    CallOptions::new(Duration::from_secs(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_member_is_committed_down_its_partitions_lost_then_back_with_its_journal() {
    let mut cluster = Cluster::start_gossiping(3).await;
    eventually("every member applies a partition table over members 1 to 3", async || {
        cluster.nodes.values().all(|node| node.partition_table().is_some_and(|t| t.up_members() == [1, 2, 3]))
    })
    .await;
    let table = cluster.nodes[&1].partition_table().unwrap();
    let owner = |name: &str| table.owner_of(Layout::of(Kind::Counter, SHARDS), name, &[]).unwrap();
    let names: Vec<String> = (0..40).map(|i| format!("views-{i}")).collect();
    let on_3: Vec<&String> = names.iter().filter(|name| owner(name) == 3).collect();
    let elsewhere: Vec<&String> = names.iter().filter(|name| owner(name) != 3).collect();
    assert!(!on_3.is_empty() && !elsewhere.is_empty(), "the counters are spread: {} on member 3", on_3.len());
    for (seq, name) in (1..).zip(&names) {
        assert_eq!(value(cluster.nodes[&1].call(&target(), increment(name, 5, seq), options()).await.unwrap()), 5);
    }

    cluster.stop(3).await;
    eventually("the member table says member 3 is down", async || {
        cluster.nodes.values().all(|node| node.members().get(3).is_some_and(|r| r.state == MemberState::Down))
    })
    .await;
    eventually("members 1 and 2 apply a table where member 3 is down", async || {
        cluster
            .nodes
            .values()
            .all(|node| node.partition_table().is_some_and(|t| t.members().get(&3) == Some(&Liveness::Down)))
    })
    .await;
    // Down is not removed: member 3 still votes in the CP groups.
    assert!(cluster.nodes[&1].members().cp_voters().contains_key(&3));
    let lost = cluster.nodes[&2].partition_table().unwrap();
    for name in &on_3 {
        let partition = lost.partition_of(Layout::of(Kind::Counter, SHARDS), name, &[]).unwrap();
        assert_eq!(lost.state(partition).unwrap(), PartitionState::Lost { last_owner: 3 }, "{name}");
        for via in [1, 2] {
            let refused = cluster.nodes[&via].call(&target(), get(name), options()).await.unwrap_err();
            assert_eq!(refused, EngineError::PartitionLost { partition: partition.0, last_owner: 3 }, "{name}");
        }
    }
    for name in &elsewhere {
        assert_eq!(value(cluster.nodes[&2].call(&target(), get(name), options()).await.unwrap()), 5, "{name}");
    }

    cluster.restart(3).await;
    eventually("the member table says member 3 is up again", async || {
        cluster.nodes.values().all(|node| node.members().get(3).is_some_and(|r| r.state == MemberState::Up))
    })
    .await;
    for name in &on_3 {
        eventually("member 3's partitions are served again", async || {
            cluster.nodes[&1].call(&target(), get(name), options()).await.is_ok()
        })
        .await;
        for via in [1, 2, 3] {
            assert_eq!(value(cluster.nodes[&via].call(&target(), get(name), options()).await.unwrap()), 5, "{name}");
        }
    }
    let back = cluster.nodes[&1].partition_table().unwrap();
    assert_eq!(back.up_members(), vec![1, 2, 3]);
    for (partition, entry) in table.iter() {
        assert_eq!(back.state(partition).unwrap(), entry.state, "{partition}: every partition is where it was");
    }
    cluster.shutdown().await;
}
