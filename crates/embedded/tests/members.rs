//! Embedded members serving an entity type: a command through the member that does not own
//! the entity is answered by the one that does, an unknown type is refused by name (not
//! retried), and a member restarted on its data directory replays its entities.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::time::Duration;

use coterie_core::{CoreError, EngineError, Entity, EntityCtx};
use coterie_embedded::{EmbeddedError, Member, MemberConfig};
use serde::{Deserialize, Serialize};

const BOUND: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    balance: i64,
}

impl Entity for Counter {
    type Command = i64;
    type Reply = i64;

    fn handle(&mut self, by: i64, _ctx: &EntityCtx<'_>) -> i64 {
        self.balance += by;
        self.balance
    }
}

fn config(id: u64) -> MemberConfig {
    MemberConfig::new(id).register("counter", |_: &str| Counter::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_through_either_member_reaches_the_entity_where_it_lives() {
    let node1 = Member::start(config(1)).await.unwrap();
    let node2 = Member::start(config(2).seeds([node1.address()])).await.unwrap();
    assert_eq!(node2.wait_for(2, BOUND).await.unwrap(), [1, 2]);
    node1.wait_for(2, BOUND).await.unwrap();
    let owner = node2.owner_of("counter", "alice").unwrap();
    assert_eq!(node1.owner_of("counter", "alice"), Some(owner), "both members place it alike");
    // Through the member that does not own it, and through the one that does.
    let (other, home) = if owner == 1 { (&node2, &node1) } else { (&node1, &node2) };
    assert_eq!(other.entity::<Counter>("counter", "alice").ask(10).await.unwrap(), 10);
    home.entity::<Counter>("counter", "alice").tell(5).await.unwrap();
    assert_eq!(other.entity::<Counter>("counter", "alice").ask(0).await.unwrap(), 15);

    let refused = node2.entity::<Counter>("account", "alice").ask(1).await.unwrap_err();
    match &refused {
        EmbeddedError::Call { source, .. } => {
            assert_eq!(**source, EngineError::Core(CoreError::UnknownEntityType { name: "account".into() }));
        }
        other => panic!("not a refused call: {other:?}"),
    }
    assert!(refused.to_string().contains("no entity type \"account\" is registered"), "{refused}");
    node2.shutdown().await;
    node1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_restarted_on_its_data_directory_keeps_its_entities() {
    let dir = tempfile::tempdir().unwrap();
    let node = Member::start(config(1).data_dir(dir.path())).await.unwrap();
    node.wait_for(1, BOUND).await.unwrap();
    for id in ["alice", "bob"] {
        node.entity::<Counter>("counter", id).tell(7).await.unwrap();
    }
    assert_eq!(node.entity::<Counter>("counter", "alice").ask(3).await.unwrap(), 10);
    node.shutdown().await;
    drop(node);

    // `shutdown` returns once the data file is released, so the restart needs no retry.
    let node = Member::start(config(1).data_dir(dir.path())).await.unwrap();
    node.wait_for(1, BOUND).await.unwrap();
    assert_eq!(node.entity::<Counter>("counter", "alice").ask(0).await.unwrap(), 10);
    assert_eq!(node.entity::<Counter>("counter", "bob").ask(1).await.unwrap(), 8);
    node.shutdown().await;
}
