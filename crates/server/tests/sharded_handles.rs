//! The Rust client's typed handles for the sharded structures (Counter, Map, Set, Queue)
//! against real loopback members (`support::Cluster`), each through a member that does not
//! own the structure's partition (so every call is forwarded one hop), and a retried
//! increment, whose first answer is lost, applied once. Every wait is bounded; no sleep
//! synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_client::{Call, Client, GrpcTransport, Serde, Sharded, Transport, TransportError};
use coterie_core::placement::Layout;
use coterie_core::{GroupOutput, InvocationId, Kind};
use serde::{Deserialize, Serialize};
use support::{Cluster, client_config, eventually};

/// Every call a [`Through`] sent: the endpoint, and the call's invocation id (None: a read).
type Sent = Arc<Mutex<Vec<(usize, Option<InvocationId>)>>>;

/// The gRPC transport to the members it was given only (it never learns the others), which
/// records every call it sends and can lose the answer of the next change it delivers.
#[derive(Clone)]
struct Through {
    inner: GrpcTransport,
    lose_next_answer: Arc<AtomicBool>,
    sent: Sent,
}

impl Transport for Through {
    fn endpoints(&self) -> usize {
        self.inner.endpoints()
    }

    fn call(
        &self,
        endpoint: usize,
        call: Call,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<GroupOutput, TransportError>> + Send {
        let this = self.clone();
        async move {
            let change = call.invocation.is_some();
            this.sent.lock().unwrap().push((endpoint, call.invocation));
            let answer = this.inner.call(endpoint, call, timeout).await;
            if change && answer.is_ok() && this.lose_next_answer.swap(false, Ordering::SeqCst) {
                return Err(TransportError::Unavailable { reason: "the answer was lost on the way back".into() });
            }
            answer
        }
    }
}

/// A three-member cluster whose members all apply a partition table over the three.
async fn cluster() -> Cluster {
    let cluster = Cluster::start(3).await;
    eventually("every member applies a partition table over the three members", async || {
        cluster.nodes.values().all(|node| node.partition_table().is_some_and(|t| t.up_members() == [1, 2, 3]))
    })
    .await;
    cluster
}

/// The members that do not own `name`'s partition for `key` (`&[]`: a one-state kind).
fn non_owners(cluster: &Cluster, kind: Kind, shards: u32, name: &str, key: &[u8]) -> Vec<u64> {
    let table = cluster.nodes[&1].partition_table().unwrap();
    let owner = table.owner_of(Layout::of(kind, shards), name, key).unwrap();
    (1..=3).filter(|id| *id != owner).collect()
}

/// A client of `members` only, and the transport it sends through.
async fn client_of(cluster: &Cluster, members: &[u64]) -> (Client<Through>, Through) {
    let addresses: Vec<String> = members.iter().map(|id| cluster.address(*id)).collect();
    let inner = GrpcTransport::connect(&addresses, Duration::from_secs(2)).await.unwrap();
    let through = Through { inner, lose_next_answer: Arc::default(), sent: Arc::default() };
    (Client::new(through.clone(), client_config()), through)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    email: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_handles_serve_sharded_structures_through_members_that_do_not_own_them() {
    let mut cluster = cluster().await;

    // Counter (seed 000): changes return the new value.
    let (client, _) = client_of(&cluster, &non_owners(&cluster, Kind::Counter, 50, "page-views", &[])[..1]).await;
    let views = client.counter_with("page-views", Sharded::default().shards(50)).unwrap();
    assert_eq!(views.increment(100).await.unwrap(), 100);
    assert_eq!(views.decrement(10).await.unwrap(), 90);
    assert_eq!(views.get().await.unwrap(), 90);
    // The same name with the same shards through another member is the same counter.
    let (other, _) = client_of(&cluster, &non_owners(&cluster, Kind::Counter, 50, "page-views", &[])[1..]).await;
    assert_eq!(other.counter_with("page-views", Sharded::default().shards(50)).unwrap().get().await.unwrap(), 90);

    // Map of serde values: put answers the previous value, the struct comes back whole.
    let (client, _) = client_of(&cluster, &non_owners(&cluster, Kind::Map, 100, "users", b"alice")[..1]).await;
    let users = client.map::<String, Serde<User>>("users").unwrap();
    let alice = Serde(User { name: "Alice".into(), email: "alice@example.com".into() });
    let moved = Serde(User { name: "Alice".into(), email: "alice@example.org".into() });
    let key = "alice".to_owned();
    assert_eq!(users.put(&key, &alice).await.unwrap(), None, "a new key has no previous value");
    assert_eq!(users.put(&key, &moved).await.unwrap(), Some(alice.clone()), "put answers the value it replaced");
    assert_eq!(users.get(&key).await.unwrap(), Some(moved.clone()));
    assert!(users.contains(&key).await.unwrap());
    assert_eq!(users.put_if_absent(&key, &alice).await.unwrap(), Some(moved.clone()), "present: not stored");
    assert!(!users.compare_and_set(&key, Some(&alice), None).await.unwrap(), "not the current value");
    assert!(users.compare_and_set(&key, Some(&moved), Some(&alice)).await.unwrap());
    assert_eq!(users.replace(&key, &moved).await.unwrap(), Some(alice.clone()));
    assert!(users.delete(&key).await.unwrap(), "it existed");
    assert!(!users.delete(&key).await.unwrap(), "it is gone");
    assert_eq!(users.get(&key).await.unwrap(), None);
    assert_eq!(users.replace(&key, &alice).await.unwrap(), None, "absent: nothing replaced");
    assert!(!users.contains(&key).await.unwrap(), "replace stores nothing for an absent key");

    // Set: add answers whether it added.
    let (client, _) = client_of(&cluster, &non_owners(&cluster, Kind::Set, 100, "tags", b"python")[..1]).await;
    let tags = client.set::<String>("tags").unwrap();
    let python = "python".to_owned();
    assert!(tags.add(&python).await.unwrap(), "added");
    assert!(!tags.add(&python).await.unwrap(), "already present");
    assert!(tags.contains(&python).await.unwrap());
    assert!(tags.remove(&python).await.unwrap());
    assert!(!tags.remove(&python).await.unwrap());
    assert!(!tags.contains(&python).await.unwrap());

    // Queue: FIFO, dequeue of an empty queue is None, a timed take answers None.
    let members = non_owners(&cluster, Kind::Queue, 100, "work-queue", &[]);
    let (client, _) = client_of(&cluster, &members[..1]).await;
    let jobs = client.queue::<String>("work-queue").unwrap();
    for task in ["task-1", "task-2", "task-3"] {
        jobs.enqueue(&task.to_owned()).await.unwrap();
    }
    assert_eq!(jobs.size().await.unwrap(), 3);
    assert_eq!(jobs.peek().await.unwrap().as_deref(), Some("task-1"), "peek does not remove");
    assert_eq!(jobs.dequeue().await.unwrap().as_deref(), Some("task-1"));
    assert_eq!(jobs.drain(1).await.unwrap(), vec!["task-2".to_owned()]);
    assert_eq!(jobs.clear().await.unwrap(), 1);
    assert_eq!(jobs.dequeue().await.unwrap(), None, "an empty queue dequeues None");
    assert_eq!(jobs.take(Duration::from_millis(100)).await.unwrap(), None, "nothing came within the wait");

    // A take through one member is given the item enqueued through the other.
    let taker = jobs.clone();
    let take = tokio::spawn(async move { taker.take(Duration::from_secs(30)).await });
    let (producer, _) = client_of(&cluster, &members[1..]).await;
    producer.queue::<String>("work-queue").unwrap().enqueue(&"late".to_owned()).await.unwrap();
    let taken = tokio::time::timeout(Duration::from_secs(60), take).await.unwrap().unwrap().unwrap();
    assert_eq!(taken.as_deref(), Some("late"));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_increment_whose_answer_was_lost_is_resent_under_its_invocation_and_applied_once() {
    let mut cluster = cluster().await;
    let members = non_owners(&cluster, Kind::Counter, 100, "retried", &[]);
    let (client, through) = client_of(&cluster, &members).await;
    let counter = client.counter("retried").unwrap();

    through.lose_next_answer.store(true, Ordering::SeqCst);
    assert_eq!(counter.increment(5).await.unwrap(), 5, "the resend is answered from the record of the first");
    assert_eq!(counter.get().await.unwrap(), 5, "applied once");

    let sent = through.sent.lock().unwrap().clone();
    let changes: Vec<_> = sent.iter().filter(|(_, invocation)| invocation.is_some()).collect();
    assert!(changes.len() >= 2, "the lost answer made the client resend: {sent:?}");
    assert!(changes.iter().all(|(_, invocation)| *invocation == changes[0].1), "one invocation id: {sent:?}");
    // Only the two members that do not own the counter were ever called.
    assert_eq!(through.inner.members().len(), 2, "{:?}", through.inner.members());
    cluster.shutdown().await;
}
