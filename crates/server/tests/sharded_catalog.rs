//! The catalog of sharded structures over real loopback members (`support::Cluster`): the
//! first use of a name fixes its kind and shards cluster-wide, in the metadata group; a
//! later use through another member with other shards or another kind is refused with an
//! error naming what is fixed; two concurrent first uses through different members agree
//! on one winner, whose shards hold the data; and a cluster restarted on its data
//! directories still refuses (the entries are committed, not only cached). Every wait is
//! bounded (`support::eventually`); no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_core::kinds::counter::{CounterCommand, CounterOutput};
use coterie_core::kinds::queue::QueueCommand;
use coterie_core::{
    ClientId, CoreError, EngineError, GroupCommand, GroupOutput, InvocationId, Kind, StructureCommand, StructureOutput,
    Target,
};
use coterie_server::{CallOptions, Request};
use support::{Cluster, cp_config, eventually};
use tonic::Code;

fn sharded(shards: u32) -> Target {
    Target::Sharded { shards }
}

fn options() -> CallOptions {
    CallOptions::new(Duration::from_secs(20))
}

fn increment(name: &str, seq: u64) -> Request {
    let command = StructureCommand::Counter(CounterCommand::Increment(1));
    let invocation = InvocationId { client: ClientId::new(7).unwrap(), seq };
    Request {
        command: GroupCommand::Invoke { name: name.to_owned(), command },
        session: None,
        invocation: Some(invocation),
    }
}

fn get(name: &str) -> Request {
    Request::internal(GroupCommand::Invoke {
        name: name.to_owned(),
        command: StructureCommand::Counter(CounterCommand::Get),
    })
}

fn counter(output: GroupOutput) -> i64 {
    match output {
        GroupOutput::Structure(StructureOutput::Counter(CounterOutput::Value(value))) => value,
        other => panic!("not a counter value: {other:?}"),
    }
}

/// Waits until every member has applied a partition table (the sharded engine serves).
async fn serving(cluster: &Cluster) {
    eventually("every member applies a partition table", async || {
        cluster.nodes.values().all(|node| node.partition_table().is_some())
    })
    .await;
}

/// Asserts `refused` is the catalog's refusal of other shards for a counter of `shards`.
fn assert_fixed_shards(refused: &EngineError, name: &str, shards: u32) {
    let EngineError::Core(CoreError::ConfigConflict { name: refused_name, existing }) = refused else {
        panic!("not the catalog's refusal: {refused:?}");
    };
    assert_eq!(refused_name, name);
    assert!(existing.starts_with(&format!("a counter of {shards} shards, fixed by its first use")), "{existing}");
    let text = refused.to_string();
    assert!(text.contains(&format!("open it as a counter with shards={shards}")), "{text}");
    assert_eq!(coterie_api::status::from_engine(refused).code(), Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_counter_opened_with_other_shards_or_as_another_kind_through_another_member_is_refused() {
    let mut cluster = Cluster::start(3).await;
    serving(&cluster).await;

    assert_eq!(counter(cluster.nodes[&1].call(&sharded(50), increment("users", 1), options()).await.unwrap()), 1);
    // Other shards, through another member: refused, nothing applied anywhere.
    let refused = cluster.nodes[&2].call(&sharded(100), increment("users", 2), options()).await.unwrap_err();
    assert_fixed_shards(&refused, "users", 50);
    let refused = cluster.nodes[&3].call(&sharded(100), get("users"), options()).await.unwrap_err();
    assert_fixed_shards(&refused, "users", 50);
    // The fixed shards, through any member: the one increment.
    for id in [1, 2, 3] {
        assert_eq!(counter(cluster.nodes[&id].call(&sharded(50), get("users"), options()).await.unwrap()), 1);
    }

    // A counter, then a queue of the same name (same shards): the wrong kind.
    cluster.nodes[&3].call(&sharded(8), increment("x", 3), options()).await.unwrap();
    let enqueue = Request {
        command: GroupCommand::Invoke {
            name: "x".to_owned(),
            command: StructureCommand::Queue(QueueCommand::Enqueue(b"job".to_vec())),
        },
        session: None,
        invocation: Some(InvocationId { client: ClientId::new(7).unwrap(), seq: 4 }),
    };
    let wrong = cluster.nodes[&1].call(&sharded(8), enqueue.clone(), options()).await.unwrap_err();
    assert_eq!(
        wrong,
        EngineError::Core(CoreError::WrongKind { name: "x".to_owned(), expected: Kind::Queue, actual: Kind::Counter })
    );
    assert_eq!(coterie_api::status::from_engine(&wrong).code(), Code::FailedPrecondition);
    // Another kind and other shards: the refusal names both what is fixed.
    let other = cluster.nodes[&2].call(&sharded(9), enqueue, options()).await.unwrap_err();
    let text = other.to_string();
    assert!(text.contains("a counter of 8 shards") && text.contains("shards=8"), "{text}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_first_uses_through_different_members_one_wins_and_holds_the_data() {
    let mut cluster = Cluster::start(3).await;
    serving(&cluster).await;
    for round in 0..4u64 {
        let name = format!("race-{round}");
        let (fifty, hundred) = (sharded(50), sharded(100));
        let (first, second) = tokio::join!(
            cluster.nodes[&1].call(&fifty, increment(&name, 10 + 2 * round), options()),
            cluster.nodes[&2].call(&hundred, increment(&name, 11 + 2 * round), options()),
        );
        let (winner, refused) = match (first, second) {
            (Ok(_), Err(refused)) => (50, refused),
            (Err(refused), Ok(_)) => (100, refused),
            other => panic!("{name}: not one winner: {other:?}"),
        };
        assert_fixed_shards(&refused, &name, winner);
        // The winner's increment is where the winner's shards say, through every member.
        for id in [1, 2, 3] {
            let value = counter(cluster.nodes[&id].call(&sharded(winner), get(&name), options()).await.unwrap());
            assert_eq!(value, 1, "{name} through member {id}");
        }
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_cluster_still_refuses_what_the_catalog_fixed() {
    let mut cluster = Cluster::start_with(3, true, cp_config()).await;
    serving(&cluster).await;
    cluster.nodes[&1].call(&sharded(50), increment("users", 1), options()).await.unwrap();
    // Every member restarted: no cache survives, only what the metadata group committed.
    for id in [1, 2, 3] {
        cluster.stop(id).await;
    }
    for id in [1, 2, 3] {
        cluster.restart(id).await;
    }
    serving(&cluster).await;
    let refused = cluster.nodes[&2].call(&sharded(100), get("users"), options()).await.unwrap_err();
    assert_fixed_shards(&refused, "users", 50);
    assert_eq!(counter(cluster.nodes[&3].call(&sharded(50), get("users"), options()).await.unwrap()), 1);
    cluster.shutdown().await;
}
