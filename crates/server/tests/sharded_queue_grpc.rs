//! The gRPC `QueueService` over sharded queues on real loopback members: every operation
//! through members that do not own the queue, a blocking `Take` through one member released
//! by an `Enqueue` through another, and a retried enqueue (same client id and sequence)
//! applied once. Every wait is bounded; no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_api::pb::{self, queue_service_client::QueueServiceClient};
use coterie_core::Kind;
use coterie_core::placement::Layout;
use support::{BOUND, Cluster, eventually};
use tonic::transport::Channel;

const SHARDS: u32 = 100;

fn call(name: &str, seq: u64) -> Option<pb::Call> {
    Some(pb::Call {
        name: name.to_owned(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards: SHARDS })),
        client_id: if seq == 0 { Vec::new() } else { vec![0x7c; 16] },
        seq,
        ..pb::Call::default()
    })
}

async fn client(cluster: &Cluster, id: u64) -> QueueServiceClient<Channel> {
    QueueServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_queue_service_serves_a_sharded_queue_from_any_member() {
    let mut cluster = Cluster::start(3).await;
    eventually("every member applies a partition table over the three members", async || {
        cluster.nodes.values().all(|node| node.partition_table().is_some_and(|t| t.up_members() == [1, 2, 3]))
    })
    .await;
    let table = cluster.nodes[&1].partition_table().unwrap();
    let owner = table.owner_of(Layout::of(Kind::Queue, SHARDS), "jobs", &[]).unwrap();
    let (a, b) = {
        let mut rest = (1..=3).filter(|id| *id != owner);
        (rest.next().unwrap(), rest.next().unwrap())
    };
    let (mut via_a, mut via_b) = (client(&cluster, a).await, client(&cluster, b).await);

    // Enqueued through one member, the same call resent through the other: applied once.
    for (seq, item) in [(1, "first"), (2, "second"), (3, "third")] {
        let enqueue = || pb::QueueEnqueueRequest { call: call("jobs", seq), item: item.as_bytes().to_vec() };
        via_a.enqueue(enqueue()).await.unwrap();
        via_b.enqueue(enqueue()).await.unwrap();
    }
    assert_eq!(via_b.size(pb::QueueSizeRequest { call: call("jobs", 0) }).await.unwrap().into_inner().size, 3);
    let peeked = via_a.peek(pb::QueuePeekRequest { call: call("jobs", 0) }).await.unwrap().into_inner();
    assert_eq!(peeked.item, Some(b"first".to_vec()));
    let taken = via_b.dequeue(pb::QueueDequeueRequest { call: call("jobs", 4) }).await.unwrap().into_inner();
    assert_eq!(taken.item, Some(b"first".to_vec()));
    let drained = via_a.drain(pb::QueueDrainRequest { call: call("jobs", 5), max: 1 }).await.unwrap().into_inner();
    assert_eq!(drained.items, vec![b"second".to_vec()]);
    let cleared = via_b.clear(pb::QueueClearRequest { call: call("jobs", 6) }).await.unwrap().into_inner();
    assert_eq!(cleared.removed, 1);
    let empty = via_a.dequeue(pb::QueueDequeueRequest { call: call("jobs", 7) }).await.unwrap().into_inner();
    assert_eq!(empty.item, None);

    // A timed take on the empty queue answers no item once its time passes.
    let timed = pb::QueueTakeRequest { call: call("jobs", 8), timeout_ms: Some(100) };
    assert_eq!(via_a.take(timed).await.unwrap().into_inner().item, None);

    // A take through member a waits until an enqueue through member b gives it an item.
    let mut taker = via_a.clone();
    let take = tokio::spawn(async move {
        let request = pb::QueueTakeRequest { call: call("jobs", 9), timeout_ms: None };
        let mut request = tonic::Request::new(request);
        request.set_timeout(BOUND);
        taker.take(request).await.map(|r| r.into_inner().item)
    });
    // Whether the take parks before the enqueue arrives or not, it gets the queue's only
    // item: handed over by the enqueue, or found there.
    let enqueue = pb::QueueEnqueueRequest { call: call("jobs", 10), item: b"late".to_vec() };
    via_b.enqueue(enqueue).await.unwrap();
    let taken = tokio::time::timeout(Duration::from_secs(30), take).await.unwrap().unwrap().unwrap();
    assert_eq!(taken, Some(b"late".to_vec()));

    // Bad input is refused with the reason: draining zero items.
    let refused = via_b.drain(pb::QueueDrainRequest { call: call("jobs", 11), max: 0 }).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    cluster.shutdown().await;
}
