//! `EmbeddedCluster::wait_for`: the members are up once they vote in the `default` group and
//! follow one leader; a stopped member no longer counts, and a wait for more members than are
//! up ends with a timeout instead of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::time::Duration;

use coterie_embedded::{EmbeddedCluster, EmbeddedStorage};
use coterie_server::cp::{CpConfig, CpError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_counts_running_voters_that_follow_the_leader() {
    let cluster = EmbeddedCluster::start(3, EmbeddedStorage::Memory, CpConfig::default()).await.unwrap();
    assert_eq!(cluster.wait_for(3, Duration::from_secs(30)).await.unwrap(), vec![1, 2, 3]);
    let leader = cluster.nodes()[0].leader().unwrap().0;
    let follower = (1..=3).find(|id| *id != leader).unwrap();
    cluster.stop(follower).await.unwrap();
    let two = cluster.wait_for(2, Duration::from_secs(30)).await.unwrap();
    assert_eq!(two.len(), 2);
    assert!(!two.contains(&follower), "{two:?}");
    let timeout = Duration::from_millis(200);
    assert!(matches!(cluster.wait_for(3, timeout).await, Err(CpError::Timeout { .. })));
    cluster.shutdown().await.unwrap();
}
