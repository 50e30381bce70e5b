//! Issue 13: the blob collector over real members on loopback gRPC. The bytes of overwritten
//! and deleted objects are deleted from every member once they have been unreferenced for
//! `collect_after` (twice the upload window), while the bytes of live objects stay; nothing is
//! collected within the window, nor by a member whose groups cannot pass their read barrier
//! (no quorum), because an entry it cannot see might still reference the bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::{Duration, SystemTime};

use coterie_client::bucket::{GetOptions, PutOptions};
use coterie_core::kinds::bucket::DeleteCondition;
use coterie_server::object::ObjectLimits;
use coterie_storage::blob::BlobHash;
use support::{Cluster, cp_config, eventually};

/// A window short enough for a test: unreferenced bytes may go after 600 ms.
fn short_window() -> ObjectLimits {
    ObjectLimits { upload_window: Duration::from_millis(300), ..ObjectLimits::default() }
}

fn stored_on(cluster: &Cluster, hash: &BlobHash) -> Vec<u64> {
    cluster.nodes.iter().filter(|(_, node)| node.blobs().store().contains(hash).unwrap()).map(|(id, _)| *id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_nothing_references_are_collected_on_every_member_and_live_bytes_stay() {
    let cluster = Cluster::start_with_limits(3, true, cp_config(), short_window()).await;
    let bucket = cluster.client().await.bucket("photos").unwrap();
    let (old, new, gone) = (b"first version".as_slice(), b"second version".as_slice(), b"deleted".as_slice());
    bucket.put("a", old, PutOptions::default()).await.unwrap();
    bucket.put("a", new, PutOptions::default()).await.unwrap();
    bucket.put("b", gone, PutOptions::default()).await.unwrap();
    assert!(bucket.delete("b", DeleteCondition::Any, None).await.unwrap());
    let (old, new, gone) = (BlobHash::of(old), BlobHash::of(new), BlobHash::of(gone));
    for hash in [&old, &new, &gone] {
        let cluster = &cluster;
        eventually("every member stores the bytes", async || stored_on(cluster, hash).len() == 3).await;
    }
    let cluster = &cluster;
    eventually("every member collects the unreferenced bytes", async || {
        for node in cluster.nodes.values() {
            node.maintain_blobs().await;
        }
        stored_on(cluster, &old).is_empty() && stored_on(cluster, &gone).is_empty()
    })
    .await;
    assert_eq!(stored_on(cluster, &new), vec![1, 2, 3], "the live object's bytes stay on every member");
    let object = bucket.get("a", GetOptions::default()).await.unwrap();
    assert_eq!(object.data, b"second version");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_collected_within_the_window() {
    let cluster = Cluster::start(3).await;
    let bucket = cluster.client().await.bucket("photos").unwrap();
    bucket.put("a", b"first", PutOptions::default()).await.unwrap();
    bucket.put("a", b"second", PutOptions::default()).await.unwrap();
    let old = BlobHash::of(b"first");
    for node in cluster.nodes.values() {
        let done = node.maintain_blobs().await;
        assert_eq!(done.deleted, 0, "unreferenced for less than two hours: kept");
    }
    assert!(!stored_on(&cluster, &old).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_without_a_quorum_collects_nothing_until_it_has_one_again() {
    let mut cluster = Cluster::start_with_limits(3, true, cp_config(), short_window()).await;
    let bucket = cluster.client().await.bucket("photos").unwrap();
    bucket.put("a", b"first", PutOptions::default()).await.unwrap();
    bucket.put("a", b"second", PutOptions::default()).await.unwrap();
    let old = BlobHash::of(b"first");
    {
        let cluster = &cluster;
        eventually("every member stores the old bytes", async || stored_on(cluster, &old).len() == 3).await;
    }
    cluster.stop(2).await;
    cluster.stop(3).await;
    let node = &cluster.nodes[&1];
    let collect_after = short_window().collect_after();
    eventually("the old bytes are old enough to collect", async || {
        let stored = node.blobs().store().info(&old).unwrap().unwrap().stored_at;
        SystemTime::now().duration_since(stored).is_ok_and(|age| age > collect_after)
    })
    .await;
    assert_eq!(node.maintain_blobs().await.deleted, 0, "no barrier without a quorum: nothing is collected");
    assert!(node.blobs().store().contains(&old).unwrap());
    cluster.restart(2).await;
    cluster.restart(3).await;
    let cluster = &cluster;
    eventually("the old bytes are collected once the groups have a quorum", async || {
        for node in cluster.nodes.values() {
            node.maintain_blobs().await;
        }
        stored_on(cluster, &old).is_empty()
    })
    .await;
    assert_eq!(stored_on(cluster, &BlobHash::of(b"second")).len(), 3);
}
