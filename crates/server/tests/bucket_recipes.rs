//! Issue 13, item 4: seed 003's recipes through the Rust client's bucket handle against a
//! real three-member cluster. Each is one atomic call on Coterie where S3 needs a racy
//! fallback: a create-only lock, a TTL lock stolen once expired (by the cluster's clock, no
//! client clock), a renewable lock, a compare-and-swap counter by ETag (8 tasks × 50
//! increments = exactly 400), an HTTP-style cache, an atomic backup, a safe rename, and a
//! leader election; plus a put retried across a killed leader, applied once.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_client::ClientError;
use coterie_client::bucket::{CopyOptions, GetOptions, PutOptions, ReadConditions};
use coterie_core::CoreError;
use coterie_core::kinds::bucket::{DeleteCondition, ETag};
use support::{Cluster, eventually};

fn refused(result: Result<impl std::fmt::Debug, ClientError>) -> CoreError {
    match result {
        Err(ClientError::Refused(err)) => err,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_by_create_only_puts_with_ttl_renewal_and_stealing() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    let locks = client.bucket("locks").unwrap();
    // Basic lock: a create-only put acquires, a second one is refused, a conditional
    // delete by the holder's ETag releases.
    let held = locks.put("jobs/nightly", b"owner-a", PutOptions::create_only()).await.unwrap();
    assert!(matches!(
        refused(locks.put("jobs/nightly", b"owner-b", PutOptions::create_only()).await),
        CoreError::AlreadyExists { .. }
    ));
    // A release by someone who does not hold it (another ETag) is refused.
    let wrong = locks.delete("jobs/nightly", DeleteCondition::IfMatch(ETag::new("not-the-holder")), None).await;
    assert!(matches!(refused(wrong), CoreError::PreconditionFailed { .. }));
    assert!(locks.delete("jobs/nightly", DeleteCondition::IfMatch(ETag::new(&held.etag)), None).await.unwrap());
    locks.put("jobs/nightly", b"owner-b", PutOptions::create_only()).await.unwrap();

    // TTL lock: held for 400 ms of the cluster's time; renewal by the holder's ETag gives a
    // new ETag; once it expires, another owner's create-only put takes it.
    let ttl = Duration::from_millis(400);
    let lease = locks.put("lease", b"owner-a", PutOptions::create_only().with_ttl(ttl)).await.unwrap();
    assert!(lease.expires_at.is_some());
    let renewed = locks.set_ttl("lease", Some(ttl), Some(&lease.etag)).await.unwrap();
    assert_ne!(renewed.etag, lease.etag);
    // The renewal's expiry counts from its own (leader-stamped) time, which may be the same
    // millisecond as the put's on a fast machine: never earlier.
    assert!(renewed.expires_at >= lease.expires_at);
    // The old ETag no longer renews: a holder that lost the lock learns it.
    assert!(matches!(
        refused(locks.set_ttl("lease", Some(ttl), Some(&lease.etag)).await),
        CoreError::PreconditionFailed { .. }
    ));
    let locks_ref = &locks;
    eventually("the expired lease is taken by another owner", async || {
        locks_ref.put("lease", b"owner-b", PutOptions::create_only().with_ttl(Duration::from_secs(60))).await.is_ok()
    })
    .await;
    let now = locks.get("lease", GetOptions::default()).await.unwrap();
    assert_eq!(now.data, b"owner-b");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cas_counter_by_etag_counts_every_increment_once() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    let counters = client.bucket("counters").unwrap();
    counters.put("visits", b"0", PutOptions::create_only()).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let counters = counters.clone();
        tasks.push(tokio::spawn(async move {
            let mut retries = 0u32;
            for _ in 0..50 {
                loop {
                    let current = counters.get("visits", GetOptions::default()).await.unwrap();
                    let n: u64 = std::str::from_utf8(&current.data).unwrap().parse().unwrap();
                    let next = (n + 1).to_string();
                    match counters.put("visits", next.as_bytes(), PutOptions::if_match(&current.info.etag)).await {
                        Ok(_) => break,
                        Err(ClientError::Refused(CoreError::PreconditionFailed { .. })) => retries += 1,
                        Err(other) => panic!("{other:?}"),
                    }
                }
            }
            retries
        }));
    }
    let mut retries = 0;
    for task in tasks {
        retries += task.await.unwrap();
    }
    let last = counters.get("visits", GetOptions::default()).await.unwrap();
    assert_eq!(last.data, b"400", "8 x 50 increments with {retries} CAS retries");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_validation_backup_rename_and_leader_election() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    let docs = client.bucket("docs").unwrap();
    // JSON document update and an HTTP-style cache: a revalidation with the cached ETag
    // answers NotModified until the document changes.
    let v1 = docs
        .put("config.json", br#"{"replicas":3}"#, PutOptions::default().with_content_type("application/json"))
        .await
        .unwrap();
    assert!(matches!(
        refused(docs.get("config.json", GetOptions::if_none_match(&v1.etag)).await),
        CoreError::NotModified { .. }
    ));
    let v2 = docs.put("config.json", br#"{"replicas":5}"#, PutOptions::if_match(&v1.etag)).await.unwrap();
    let fresh = docs.get("config.json", GetOptions::if_none_match(&v1.etag)).await.unwrap();
    assert_eq!((fresh.info.etag.as_str(), fresh.data.as_slice()), (v2.etag.as_str(), &br#"{"replicas":5}"#[..]));
    assert_eq!(fresh.info.content_type, None, "a put without a content type replaces it");
    assert_eq!(docs.get("config.json", GetOptions::range(2..10)).await.unwrap().data, br#"replicas"#);

    // Atomic backup: copy if not exists, once; a second backup under the same key is refused.
    docs.copy("config.json", "backups/config.json", CopyOptions::if_not_exists()).await.unwrap();
    let twice = docs.copy("config.json", "backups/config.json", CopyOptions::if_not_exists()).await;
    assert!(matches!(refused(twice), CoreError::AlreadyExists { .. }));

    // Safe rename: moves, never leaving both; a rename onto an existing key is refused and
    // changes nothing.
    docs.put("draft.txt", b"draft", PutOptions::default()).await.unwrap();
    docs.put("final.txt", b"older final", PutOptions::default()).await.unwrap();
    let onto = docs.rename("draft.txt", "final.txt", CopyOptions::if_not_exists()).await;
    assert!(matches!(refused(onto), CoreError::AlreadyExists { .. }));
    assert_eq!(docs.get("draft.txt", GetOptions::default()).await.unwrap().data, b"draft");
    docs.rename("draft.txt", "published.txt", CopyOptions::if_not_exists()).await.unwrap();
    assert!(matches!(
        refused(docs.head("draft.txt", ReadConditions::default()).await),
        CoreError::ObjectNotFound { .. }
    ));
    assert_eq!(docs.get("published.txt", GetOptions::default()).await.unwrap().data, b"draft");

    // Leader election: the first create-only put of the leader key wins; the leader keeps
    // it by renewing its TTL by ETag (a heartbeat); candidates are refused meanwhile.
    let elections = client.bucket("elections").unwrap();
    let term = PutOptions::create_only().with_ttl(Duration::from_secs(30));
    let (a, b) = tokio::join!(
        elections.put("leader", b"node-a", term.clone()),
        elections.put("leader", b"node-b", term.clone())
    );
    let (winner, loser) = match (a, b) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one candidate must win: {other:?}"),
    };
    assert!(matches!(loser, ClientError::Refused(CoreError::AlreadyExists { .. })));
    let heartbeat = elections.set_ttl("leader", Some(Duration::from_secs(30)), Some(&winner.etag)).await.unwrap();
    assert!(matches!(refused(elections.put("leader", b"node-c", term).await), CoreError::AlreadyExists { .. }));
    assert_eq!(elections.head("leader", ReadConditions::default()).await.unwrap().etag, heartbeat.etag);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn puts_keep_going_through_a_killed_leader_and_none_is_applied_twice() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    let bucket = client.bucket("survivors").unwrap();
    for i in 0..5u32 {
        bucket.put(&format!("k{i}"), &i.to_be_bytes(), PutOptions::create_only()).await.unwrap();
    }
    let leader = cluster.leader("default").await;
    cluster.stop(leader).await;
    // Create-only puts: a put applied twice would answer AlreadyExists to its own resend.
    for i in 5..10u32 {
        bucket.put(&format!("k{i}"), &i.to_be_bytes(), PutOptions::create_only()).await.unwrap();
    }
    let page = bucket.list(Default::default()).await.unwrap();
    assert_eq!(page.objects.len(), 10);
    for i in 0..10u32 {
        assert_eq!(bucket.get(&format!("k{i}"), GetOptions::default()).await.unwrap().data, i.to_be_bytes());
    }
    cluster.shutdown().await;
}
