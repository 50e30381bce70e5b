//! User entities over real loopback members (`support::Cluster`): an entity command sent
//! through a member that does not own the entity is forwarded one hop to the owner, a
//! retried tell (same identity and sequence) is applied once whichever member it is sent
//! through, a member restarted on its data directory replays its entities' states, and an
//! unknown type or a command that does not decode is refused by name, with nothing
//! journaled. Every wait is bounded (`support::eventually`); no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_core::entity::{self, EntityCall};
use coterie_core::placement::PartitionTable;
use coterie_core::{
    ClientId, CoreError, EngineError, Entity, EntityCtx, EntityPayload, EntityRegistry, GroupCommand, GroupOutput,
    InvocationId, Target, codec,
};
use coterie_server::{CallOptions, Request};
use serde::{Deserialize, Serialize};
use support::{Cluster, eventually};

/// Seed 002's counter entity.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    balance: i64,
}

#[derive(Debug, Serialize, Deserialize)]
enum Command {
    Increment(i64),
    Get,
}

impl Entity for Counter {
    type Command = Command;
    type Reply = i64;

    fn handle(&mut self, command: Command, _ctx: &EntityCtx<'_>) -> i64 {
        if let Command::Increment(by) = command {
            self.balance += by;
        }
        self.balance
    }
}

fn registry() -> EntityRegistry {
    let mut registry = EntityRegistry::new();
    registry.register("counter", |_: &str| Counter::default()).unwrap();
    registry
}

fn target() -> Target {
    Target::Sharded { shards: 1 }
}

fn options() -> CallOptions {
    CallOptions::new(Duration::from_secs(20))
}

fn call(entity_type: &str, id: &str, command: &Command, ask: bool, invocation: Option<InvocationId>) -> Request {
    let call = EntityCall::new(entity_type, id, command, ask).unwrap();
    Request { command: GroupCommand::Entity(call), session: None, invocation }
}

fn balance(output: GroupOutput) -> i64 {
    match output {
        GroupOutput::Entity(bytes) => codec::decode(&bytes, "reply").unwrap(),
        other => panic!("not an entity reply: {other:?}"),
    }
}

fn invocation(client: u128, seq: u64) -> InvocationId {
    InvocationId { client: ClientId::new(client).unwrap(), seq }
}

/// Waits until every running member has applied one partition table over `members`.
async fn settled_table(cluster: &Cluster, members: &[u64]) -> PartitionTable {
    eventually("every member applies one partition table over the members", async || {
        let tables: Vec<Option<PartitionTable>> = cluster.nodes.values().map(|node| node.partition_table()).collect();
        tables.iter().all(|table| table.as_ref().is_some_and(|table| table.up_members() == members))
            && tables.windows(2).all(|pair| pair[0] == pair[1])
    })
    .await;
    cluster.nodes.values().next().unwrap().partition_table().unwrap()
}

/// The member that owns counter `id` in `table`.
fn owner(table: &PartitionTable, id: &str) -> u64 {
    table.owner(entity::partition_of("counter", id, table.partitions()).unwrap()).unwrap()
}

/// The first id `prefix-<n>` whose counter member `member` owns.
fn owned_by(table: &PartitionTable, member: u64, prefix: &str) -> String {
    (0..).map(|i| format!("{prefix}-{i}")).find(|id| owner(table, id) == member).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_through_a_non_owner_is_forwarded_and_a_retried_tell_is_applied_once() {
    let mut cluster = Cluster::start_with_entities(3, false, registry()).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    let owners: std::collections::BTreeSet<u64> = (0..30).map(|i| owner(&table, &format!("user-{i}"))).collect();
    assert_eq!(owners.len(), 3, "entities spread over every member");

    let id = owned_by(&table, 3, "alice");
    // Asked through member 1, which does not own it: forwarded to member 3.
    let ask = call("counter", &id, &Command::Increment(10), true, None);
    assert_eq!(balance(cluster.nodes[&1].call(&target(), ask, options()).await.unwrap()), 10);

    // A tell, resent with the same identity and sequence through every member.
    let told = invocation(0xfeed, 1);
    for via in [1, 2, 3, 1] {
        let tell = call("counter", &id, &Command::Increment(5), false, Some(told));
        let answer = cluster.nodes[&via].call(&target(), tell, options()).await.unwrap();
        assert_eq!(answer, GroupOutput::Unit, "a tell through member {via} answers no reply");
    }
    for via in [1, 2, 3] {
        let get = call("counter", &id, &Command::Get, true, None);
        assert_eq!(balance(cluster.nodes[&via].call(&target(), get, options()).await.unwrap()), 15, "via {via}");
    }
    // Another entity is another state, even on the same member.
    let other = owned_by(&table, 3, "bob");
    let get = call("counter", &other, &Command::Get, true, None);
    assert_eq!(balance(cluster.nodes[&2].call(&target(), get, options()).await.unwrap()), 0);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_type_or_an_undecodable_command_is_refused_by_name_through_any_member() {
    let mut cluster = Cluster::start_with_entities(3, false, registry()).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    for via in [1, 2, 3] {
        let unknown = call("account", "alice", &Command::Get, true, Some(invocation(9, u64::from(via as u8))));
        let refused = cluster.nodes[&via].call(&target(), unknown, options()).await.unwrap_err();
        assert_eq!(refused, EngineError::Core(CoreError::UnknownEntityType { name: "account".into() }));
        let message = refused.to_string();
        assert!(message.contains("\"account\"") && message.contains("register it"), "{message}");
    }
    let id = owned_by(&table, 2, "carol");
    let garbage = EntityCall { entity_type: "counter".into(), id: id.clone(), command: vec![3, 200], ask: true };
    let request = Request { command: GroupCommand::Entity(garbage), session: None, invocation: None };
    let refused = cluster.nodes[&1].call(&target(), request, options()).await.unwrap_err();
    assert_eq!(
        refused,
        EngineError::Core(CoreError::EntityPayload { entity_type: "counter".into(), what: EntityPayload::Command })
    );
    // Nothing was journaled for either: the entity is still new.
    let get = call("counter", &id, &Command::Get, true, None);
    assert_eq!(balance(cluster.nodes[&2].call(&target(), get, options()).await.unwrap()), 0);
    cluster.shutdown().await;

    // Members started without the type refuse it the same way.
    let mut bare = Cluster::start(1).await;
    settled_table(&bare, &[1]).await;
    let refused = bare.nodes[&1].call(&target(), call("counter", "a", &Command::Get, true, None), options()).await;
    assert_eq!(refused, Err(EngineError::Core(CoreError::UnknownEntityType { name: "counter".into() })));
    bare.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_owner_replays_every_acknowledged_command_of_its_entities() {
    let mut cluster = Cluster::start_with_entities(3, true, registry()).await;
    let table = settled_table(&cluster, &[1, 2, 3]).await;
    let ids: Vec<String> = (0..12).map(|i| format!("acct-{i}")).collect();
    assert!(ids.iter().any(|id| owner(&table, id) == 3), "member 3 owns some of them");
    let mut seq = 0;
    for (i, id) in ids.iter().enumerate() {
        for _ in 0..3 {
            seq += 1;
            let tell = call(
                "counter",
                id,
                &Command::Increment(i64::try_from(i).unwrap() + 1),
                false,
                Some(invocation(7, seq)),
            );
            cluster.nodes[&[1, 2][i % 2]].call(&target(), tell, options()).await.unwrap();
        }
    }
    // The last tell, to an entity member 3 owns, is resent after the restart.
    let on_3 = ids.iter().find(|id| owner(&table, id) == 3).unwrap().clone();
    let last = invocation(7, seq + 1);
    let retried = call("counter", &on_3, &Command::Increment(100), false, Some(last));
    cluster.nodes[&1].call(&target(), retried.clone(), options()).await.unwrap();

    cluster.stop(3).await;
    cluster.restart(3).await;
    let get = |id: &str| call("counter", id, &Command::Get, true, None);
    eventually("the restarted member serves its entities again", async || {
        cluster.nodes[&1].call(&target(), get(&on_3), options()).await.is_ok()
    })
    .await;
    for (i, id) in ids.iter().enumerate() {
        let mut expected = 3 * (i64::try_from(i).unwrap() + 1);
        if *id == on_3 {
            expected += 100;
        }
        for via in [1, 3] {
            let value = balance(cluster.nodes[&via].call(&target(), get(id), options()).await.unwrap());
            assert_eq!(value, expected, "{id} (owned by {}) through member {via}", owner(&table, id));
        }
    }
    // The resend of the last acknowledged tell, after the restart, is answered, not applied.
    assert_eq!(cluster.nodes[&2].call(&target(), retried, options()).await.unwrap(), GroupOutput::Unit);
    let value = balance(cluster.nodes[&3].call(&target(), get(&on_3), options()).await.unwrap());
    let index = ids.iter().position(|id| *id == on_3).unwrap();
    assert_eq!(value, 3 * (i64::try_from(index).unwrap() + 1) + 100);
    cluster.shutdown().await;
}
