//! Issue 13: object bytes as blobs between real members over loopback gRPC. A part written
//! through one member reaches every member's store through `BlobService`, durable files on
//! data directories survive a restart, a member that missed a part reads it from a peer, and
//! `BlobService` calls without the cluster secret are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use coterie_storage::blob::BlobHash;
use support::{Cluster, cp_config, eventually};
use tokio::time::Instant;
use tonic::Code;

fn voters(cluster: &Cluster) -> Vec<BTreeSet<u64>> {
    vec![cluster.nodes.keys().copied().collect()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_written_through_one_member_reaches_every_member_and_survives_a_restart() {
    let mut cluster = Cluster::start_with(3, true, cp_config()).await;
    let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let hash =
        cluster.nodes[&2].blobs().replicate(Arc::from(data.as_slice()), voters(&cluster), deadline).await.unwrap();
    assert_eq!(hash, BlobHash::of(&data));
    for id in [1, 2, 3] {
        let cluster = &cluster;
        eventually(&format!("member {id} stores the part"), async || {
            cluster.nodes[&id].blobs().store().contains(&hash).unwrap()
        })
        .await;
    }
    cluster.stop(3).await;
    cluster.restart(3).await;
    assert_eq!(cluster.nodes[&3].blobs().store().get(&hash).unwrap(), data);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_missed_a_part_reads_it_from_a_peer() {
    let mut cluster = Cluster::start(3).await;
    cluster.stop(3).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let blobs = cluster.nodes[&1].blobs().clone();
    let hash =
        blobs.replicate(Arc::from(&b"written while 3 was down"[..]), vec![[1, 2, 3].into()], deadline).await.unwrap();
    cluster.restart(3).await;
    let third = cluster.nodes[&3].blobs();
    assert!(!third.store().contains(&hash).unwrap());
    let all: BTreeSet<u64> = [1, 2, 3].into();
    let read = third.read(hash, Some(8..13), &all, Duration::from_secs(5)).await.unwrap();
    assert_eq!(read, b"while");
    assert!(third.store().contains(&hash).unwrap(), "the read kept a copy");
    cluster.shutdown().await;
}

fn with_secret<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("x-coterie-cluster-secret", support::CLUSTER_SECRET.parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_calls_without_the_cluster_secret_are_refused() {
    use coterie_api::pb::blob_service_client::BlobServiceClient;
    use coterie_api::pb::{GetBlobRequest, PutBlobRequest};

    let mut cluster = Cluster::start(1).await;
    let mut client = BlobServiceClient::connect(format!("http://{}", cluster.address(1))).await.unwrap();
    let put = PutBlobRequest { hash: BlobHash::of(b"x").0.to_vec(), data: b"x".to_vec() };
    let refused = client.put_blob(put.clone()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let refused = client.get_blob(GetBlobRequest { hash: vec![0; 32] }).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    // With the secret: a wrong hash is refused, the right one stored.
    let forged = PutBlobRequest { hash: BlobHash::of(b"y").0.to_vec(), data: b"x".to_vec() };
    let refused = client.put_blob(with_secret(forged)).await.unwrap_err();
    assert!(refused.message().contains("corrupt"), "{refused:?}");
    client.put_blob(with_secret(put)).await.unwrap();
    assert!(cluster.nodes[&1].blobs().store().contains(&BlobHash::of(b"x")).unwrap());
    let short = client.get_blob(with_secret(GetBlobRequest { hash: vec![0; 5] })).await.unwrap_err();
    assert_eq!(short.code(), Code::InvalidArgument, "{short:?}");
    cluster.shutdown().await;
}
